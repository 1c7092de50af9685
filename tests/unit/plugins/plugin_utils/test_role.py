# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the role wait_for_tasks decides in Python (plugins/plugin_utils/_role.py)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

import yaml

from ansible_collections.oceanbase.obshell.plugins.plugin_utils import _role

ROLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', '..', 'roles', 'wait_for_tasks')


def spec_options():
    with open(os.path.join(ROLE, 'meta', 'argument_specs.yml')) as handle:
        return set(yaml.safe_load(handle)['argument_specs']['main']['options'])


def test_the_known_variables_are_the_argument_spec_and_the_roles_own():
    own = set(_role.PREFIX + name for name in _role.OWN_VARIABLES)
    assert set(_role.known_variables()) - own == spec_options()
    # Every variable the role's own files set or read is known.
    with open(os.path.join(ROLE, 'tasks', 'main.yml')) as handle:
        tasks = handle.read()
    with open(os.path.join(ROLE, 'vars', 'main.yml')) as handle:
        internal = yaml.safe_load(handle)
    import re
    used = set(re.findall(r'\bwait_for_tasks_[a-z_]+', tasks)) | set(internal)
    assert used <= set(_role.known_variables()), used - set(_role.known_variables())


def test_a_misspelt_variable_is_named_with_the_closest():
    task_vars = {'wait_for_tasks_timout': 5, 'wait_for_tasks_poll_interval': 1, 'wait_for_tasks_result': {},
                 'other_variable': 1, 'wait_for_tasks_zzz': 1}
    assert _role.unknown_variables(task_vars) == [
        'wait_for_tasks_timout is not a variable of this role (did you mean wait_for_tasks_timeout?)',
        'wait_for_tasks_zzz is not a variable of this role']


def test_only_the_numbers_that_are_wrong_are_named():
    assert _role.number_problems({'timeout': 0, 'poll_interval': 1, 'appear_timeout': 0,
                                  'unreachable_timeout': 300, 'max_remediations': 1}) == [
        'wait_for_tasks_timeout must be more than 0 (got 0)']
    assert _role.number_problems({'poll_interval': 0.1, 'max_remediations': -1, 'timeout': 'nan'}) == [
        'wait_for_tasks_poll_interval must be at least 0.5 (got 0.1)',
        'wait_for_tasks_timeout must be a finite number (got nan)',
        'wait_for_tasks_max_remediations must be 0 or more (got -1)']
    assert _role.number_problems({'timeout': 3600, 'poll_interval': 5}) == []
    assert _role.number_problems({'unreachable_timeout': 'inf', 'timeout': 'nan'}) == [
        'wait_for_tasks_timeout must be a finite number (got nan)',
        'wait_for_tasks_unreachable_timeout must be a finite number (got inf)']


def test_the_hosts_of_a_run_are_those_marked_in_batch_order():
    hostvars = {'a': {'wait_for_tasks_joined': True}, 'b': {}, 'c': {'wait_for_tasks_joined': False},
                'd': {'wait_for_tasks_joined': True}}
    assert _role.joined_hosts({'ansible_play_batch': ['d', 'c', 'b', 'a'], 'hostvars': hostvars}) == ['d', 'a']


def test_role_variables_override_the_tasks_args_and_unset_ones_leave_them():
    args = _role.wait_args({'timeout': 5, 'port': 2999, 'connect_from': 'target'},
                           {'_role': 'verdict', 'password': 'from-module-defaults', 'port': 2886})
    assert args == {'timeout': 5, 'port': 2999, 'password': 'from-module-defaults'}
