# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""What the role oceanbase.obshell.wait_for_tasks decides, done once in Python instead of in Jinja: its settings
(every ``wait_for_tasks_*`` variable, a misspelt one refused), which hosts take part in this run, and the options
of the one wait. The action of dag_wait calls these when the role passes ``_role``."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import difflib
import math

from ansible_collections.oceanbase.obshell.plugins.module_utils import _text, _vocabulary

PREFIX = 'wait_for_tasks_'
# The role's variables (meta/argument_specs.yml), by the dag_wait option each one sets (None: the role's own).
WAIT_VARIABLES = {
    'mode': 'mode', 'scope': 'scope', 'names': 'names', 'timeout': 'timeout', 'poll_interval': 'poll_interval',
    'appear_timeout': 'appear_timeout', 'unreachable_timeout': 'unreachable_timeout', 'fail_on': 'fail_on',
    'on_failure': 'on_failure', 'max_remediations': 'max_remediations', 'progress': 'progress',
    'connect_from': None,
}
CONNECTION_VARIABLES = ('port', 'password', 'agent_password', 'use_tls', 'validate_certs', 'ca_path', 'client_cert',
                        'client_key', 'request_timeout', 'auth_version', 'use_proxy')
# Variables the role sets itself (its result, and the mark of the hosts that take part in a run).
OWN_VARIABLES = ('result', 'joined', 'wait', 'part', 'not_waited')
JOINED = PREFIX + 'joined'


def known_variables():
    return sorted(PREFIX + name for name in tuple(WAIT_VARIABLES) + CONNECTION_VARIABLES + OWN_VARIABLES)


def unknown_variables(task_vars):
    """A message for each ``wait_for_tasks_*`` variable the role does not know, with the closest valid name."""
    known = known_variables()
    # Compared without the prefix that every name shares; only documented names are suggested.
    documented = list(WAIT_VARIABLES) + list(CONNECTION_VARIABLES)
    problems = []
    for name in sorted(key for key in task_vars if str(key).startswith(PREFIX) and key not in known):
        close = difflib.get_close_matches(name[len(PREFIX):], documented, n=1, cutoff=0.6)
        problems.append('%s is not a variable of this role%s' % (
            _text.safe_text(name, 80), ' (did you mean %s%s?)' % (PREFIX, close[0]) if close else ''))
    return problems


def settings(task_vars, templar):
    """The role's variables that are set, by their short name (``timeout``...), templated."""
    values = {}
    for name in tuple(WAIT_VARIABLES) + CONNECTION_VARIABLES:
        value = task_vars.get(PREFIX + name)
        if value is not None:
            value = templar.template(value)
        if value is not None:
            values[name] = value
    return values


def number_problems(values):
    """What is wrong with the numbers the argument spec cannot check: only what is wrong, each naming its
    variable."""
    checks = (
        ('poll_interval', lambda v: v >= _vocabulary.MIN_POLL_INTERVAL, 'must be at least %s' % _vocabulary.MIN_POLL_INTERVAL),
        ('timeout', lambda v: v > 0, 'must be more than 0'),
        ('appear_timeout', lambda v: v >= 0, 'must be 0 or more'),
        ('unreachable_timeout', lambda v: v >= 0, 'must be 0 or more'),
        ('max_remediations', lambda v: v >= 0, 'must be 0 or more'),
    )
    problems = []
    for name, good, wanted in checks:
        if name not in values:
            continue
        try:
            number = float(values[name])
        except (TypeError, ValueError):
            problems.append('%s%s must be a number (got %s)' % (PREFIX, name, _text.safe_text(values[name], 80)))
            continue
        if not math.isfinite(number):
            wanted = 'must be a finite number'
        elif good(number):
            continue
        problems.append('%s%s %s (got %s)' % (PREFIX, name, wanted, _text.safe_text(values[name], 80)))
    return problems


def joined_hosts(task_vars):
    """The hosts of the batch that take part in this run of the role, in batch order: those whose mark is set (the
    role's first task sets it on each host that runs the role; its last run_once task clears it on every host)."""
    hostvars = task_vars.get('hostvars') or {}
    joined = []
    for host in task_vars.get('ansible_play_batch') or []:
        try:
            mark = hostvars[host].get(JOINED)
        except (KeyError, AttributeError):
            mark = None
        if mark is True or str(mark).lower() == 'true':
            joined.append(host)
    return joined


def wait_args(values, base_args):
    """The dag_wait arguments of the role's wait: the task's (module_defaults included), then the role's
    variables over them."""
    args = dict((key, value) for key, value in base_args.items() if key != '_role')
    for name, option in WAIT_VARIABLES.items():
        if option is not None and name in values:
            args[option] = values[name]
    for name in CONNECTION_VARIABLES:
        if name in values:
            args[name] = values[name]
    return args


def error_verdict(hosts, mode, message):
    """A verdict that fails every host of the run with ``message`` (the wait could not be carried out)."""
    message = _text.cap_message(message)
    return {
        'mode': mode, 'outcome': 'error', 'failed': True, 'msg': message, 'dags': [], 'failures': [], 'running': [],
        'cluster': None, 'hosts': list(hosts), 'remediations': [], 'parts': [], 'elapsed': 0.0, 'polls': 0,
        'per_host': dict((host, {'outcome': 'error', 'failed': True, 'msg': message, 'agent': None, 'dags': []})
                         for host in hosts),
    }
