# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ansible-doc renders every plugin and the role, with examples and return values."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest

from tests.integration._ansible import COLLECTIONS_DIR

ANSIBLE_DOC = os.path.join(os.path.dirname(sys.executable), 'ansible-doc')


def ansible_doc(*args):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_DIR, ANSIBLE_NOCOLOR='1')
    return subprocess.run([ANSIBLE_DOC] + list(args), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False,
                          universal_newlines=True, timeout=120)


PLUGINS = [('module', 'dag_info'), ('module', 'facts'), ('module', 'dag_wait'), ('module', 'dag'),
           ('lookup', 'unfinished_dags'), ('inventory', 'obshell'), ('filter', 'wait_verdict')]
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_every_plugin_is_in_the_list():
    """A plugin added later gets its docs checked too."""
    found = set()
    for plugin_type in ('modules', 'lookup', 'inventory', 'filter'):
        for name in os.listdir(os.path.join(REPO, 'plugins', plugin_type)):
            if name.endswith('.py') and not name.startswith('_'):
                found.add(('module' if plugin_type == 'modules' else plugin_type, name[:-3]))
    assert found == set(PLUGINS)


def dicts_without_contains(returned, path=''):
    """Return values of type dict (or lists of dicts) that do not say what they contain."""
    missing = []
    for key, value in (returned or {}).items():
        where = path + key
        holds_dicts = value.get('type') == 'dict' or (value.get('type') == 'list' and value.get('elements') == 'dict')
        if holds_dicts and not value.get('contains'):
            missing.append(where)
        missing.extend(dicts_without_contains(value.get('contains'), where + '.'))
    return missing


@pytest.mark.parametrize('plugin_type,name', PLUGINS)
@pytest.mark.smoke
def test_plugin_docs_render(plugin_type, name):
    fqcn = 'oceanbase.obshell.' + name
    done = ansible_doc('-t', plugin_type, '--json', fqcn)
    assert done.returncode == 0, done.stderr
    assert 'WARNING' not in done.stderr, done.stderr
    doc = json.loads(done.stdout)[fqcn]
    assert doc['doc']['short_description'] and doc['examples'].strip()
    assert doc['doc']['version_added'] == '1.0.0'
    assert doc['return'] or plugin_type == 'inventory'
    assert dicts_without_contains(doc['return']) == []
    options = doc['doc']['options']
    if plugin_type in ('module', 'lookup', 'inventory') and name != 'dag_wait':
        assert options['password']['type'] == 'str'
    text = ansible_doc('-t', plugin_type, fqcn)
    assert text.returncode == 0 and 'EXAMPLES' in text.stdout, text.stderr


def test_module_options_mark_the_action_group():
    for name in ('dag_info', 'facts', 'dag_wait', 'dag'):
        done = ansible_doc('-t', 'module', '--json', 'oceanbase.obshell.' + name)
        doc = json.loads(done.stdout)['oceanbase.obshell.' + name]['doc']
        assert 'oceanbase.obshell.obshell' in doc['attributes']['action_group']['membership'], name


@pytest.mark.smoke
def test_role_docs_render():
    done = ansible_doc('-t', 'role', '--json', 'oceanbase.obshell.wait_for_tasks')
    assert done.returncode == 0, done.stderr
    options = json.loads(done.stdout)['oceanbase.obshell.wait_for_tasks']['entry_points']['main']['options']
    for name in ('mode', 'scope', 'names', 'timeout', 'poll_interval', 'appear_timeout', 'fail_on', 'connect_from',
                 'on_failure', 'max_remediations'):
        assert 'wait_for_tasks_' + name in options
