# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run the ansible command-line tools (ansible-inventory, ansible-playbook, ansible-vault...) from integration tests,
as test_inventory.py and test_docs_examples.py do.

    from tests.integration._inventory import run_tool, write_config

    path = write_config(tmp_path, {'plugin': 'oceanbase.obshell.obshell', 'agents': [sim.agents[0].address]})
    run = run_tool('ansible-inventory', ['-i', path, '--list'], tmp_path)

Each run has its own directory (the config file, an ansible.cfg, ANSIBLE_HOME, temp dirs), and inherited
ANSIBLE_*, OBSHELL_* and proxy variables are dropped, as tests/integration/_ansible.py does for playbooks.
The ansible binaries are those next to sys.executable; OBSHELL_TEST_ANSIBLE_BIN (a bin directory, e.g. the
ansible-core 2.16 virtualenv's) and OBSHELL_TEST_ANSIBLE_PYTHONPATH (added to PYTHONPATH, for requests) run the
same tests with another ansible-core.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import re
import subprocess
import sys
import time

import yaml

from tests.integration._ansible import COLLECTIONS_DIR

BIN_DIR = os.environ.get('OBSHELL_TEST_ANSIBLE_BIN') or os.path.dirname(sys.executable)
TIMEOUT = 120

ANSIBLE_CFG = """\
[defaults]
nocolor = True
host_key_checking = False
retry_files_enabled = False
interpreter_python = {python}
"""


class InventoryRun(object):
    def __init__(self, args, rc, stdout, stderr, elapsed):
        self.args, self.rc, self.stdout, self.stderr, self.elapsed = args, rc, stdout, stderr, elapsed

    @property
    def output(self):
        return 'command: %s\nrc: %s\n--- stdout\n%s\n--- stderr\n%s' % (
            ' '.join(self.args), self.rc, self.stdout, self.stderr)

    @property
    def text(self):
        """stderr as one line: ansible-core 2.16 wraps its messages at 79 columns (at spaces and after hyphens)."""
        return ' '.join(re.sub(r'-\n', '-', self.stderr).split())

    @property
    def data(self):
        return unwrap(json.loads(self.stdout))

    @property
    def hostvars(self):
        return self.data['_meta']['hostvars']

    def groups(self):
        """{group: sorted host names} for every group with hosts (children flattened one level, as --list has them)."""
        data = self.data
        out = dict((name, []) for name in data['all'].get('children', []))   # empty groups are only named here
        for name, group in data.items():
            if name != '_meta':
                out[name] = sorted(group.get('hosts', []))
        return out


def unwrap(value):
    """ansible-inventory marks untrusted strings ({"__ansible_unsafe": "x"}): the plain values."""
    if isinstance(value, dict):
        if list(value) == ['__ansible_unsafe']:
            return value['__ansible_unsafe']
        return dict((key, unwrap(item)) for key, item in value.items())
    if isinstance(value, list):
        return [unwrap(item) for item in value]
    return value


def isolated_env(workdir, extra_env=None):
    env = dict((key, value) for key, value in os.environ.items()
               if not key.startswith(('ANSIBLE_', 'OBSHELL_')) and not key.lower().endswith('_proxy'))
    env.update({
        'ANSIBLE_CONFIG': os.path.join(workdir, 'ansible.cfg'),
        'ANSIBLE_COLLECTIONS_PATH': COLLECTIONS_DIR,
        'ANSIBLE_HOME': os.path.join(workdir, 'ansible-home'),
        'ANSIBLE_LOCAL_TEMP': os.path.join(workdir, 'local-tmp'),
        'ANSIBLE_REMOTE_TEMP': os.path.join(workdir, 'remote-tmp'),
        'ANSIBLE_NOCOLOR': '1',
        'PYTHONDONTWRITEBYTECODE': '1',
    })
    if os.environ.get('OBSHELL_TEST_ANSIBLE_PYTHONPATH'):
        env['PYTHONPATH'] = os.environ['OBSHELL_TEST_ANSIBLE_PYTHONPATH']
    if extra_env:
        env.update(dict((key, str(value)) for key, value in extra_env.items()))
    return env


def write_config(workdir, config, name='cluster.obshell.yml'):
    path = os.path.join(str(workdir), name)
    with open(path, 'w') as handle:
        handle.write(config if isinstance(config, str) else yaml.safe_dump(config, default_flow_style=False))
    with open(os.path.join(str(workdir), 'ansible.cfg'), 'w') as handle:
        handle.write(ANSIBLE_CFG.format(python=sys.executable))
    return path


def run_tool(tool, args, workdir, extra_env=None):
    argv = [os.path.join(BIN_DIR, tool)] + [str(arg) for arg in args]
    started = time.monotonic()
    done = subprocess.run(argv, cwd=str(workdir), env=isolated_env(str(workdir), extra_env), stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=TIMEOUT,
                          check=False)
    return InventoryRun(argv, done.returncode, done.stdout, done.stderr, time.monotonic() - started)
