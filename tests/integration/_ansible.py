# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run real ansible-playbook processes from integration tests.

    from tests.integration._ansible import local_inventory, run_playbook

    result = run_playbook(PLAYBOOK_TEXT, local_inventory(['agent1', 'agent2'], obshell_port=port))
    assert result.rc == 0, result.output

Each run gets its own directory holding the playbook, the inventory, an ansible.cfg and the local/remote
temp directories, so runs never share state. Hosts use the local connection and the Python running the
tests (the main virtualenv; OBSHELL_TEST_TARGET_PYTHON, when set, for the modules), whatever interpreter discovery
would pick. Inherited ANSIBLE_* variables are
dropped so a developer's shell settings cannot change what a test sees; pass them in extra_env instead.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import shutil
import subprocess
import sys
import tempfile

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS_DIR = os.path.join(REPO_ROOT, 'collections')
DEFAULT_TIMEOUT = 180

ANSIBLE_CFG = """\
[defaults]
interpreter_python = {python}
host_key_checking = False
retry_files_enabled = False
nocolor = True
"""

# Applied to every host through group_vars/all next to the inventory; the inventory itself may override.
GROUP_VARS_ALL = """\
ansible_connection: local
ansible_python_interpreter: {python}
"""


class PlaybookResult(object):
    """What one ansible-playbook run did."""

    def __init__(self, args, rc, stdout, stderr, workdir):
        self.args = args
        self.rc = rc
        self.returncode = rc
        self.stdout = stdout
        self.stderr = stderr
        self.workdir = workdir

    @property
    def output(self):
        """stdout and stderr together, for assertion messages."""
        return 'command: %s\nrc: %s\n--- stdout\n%s\n--- stderr\n%s' % (
            ' '.join(self.args), self.rc, self.stdout, self.stderr)

    def recap(self):
        """PLAY RECAP counters per host: {'host': {'ok': 1, 'changed': 0, 'failed': 0, ...}}."""
        counts = {}
        in_recap = False
        for line in self.stdout.splitlines():
            if line.startswith('PLAY RECAP'):
                in_recap = True
                continue
            if not in_recap or ':' not in line:
                continue
            host, _sep, fields = line.partition(':')
            host_counts = {}
            for field in fields.split():
                name, _eq, value = field.partition('=')
                if value.isdigit():
                    host_counts[name] = int(value)
            if host_counts:
                counts[host.strip()] = host_counts
        return counts

    def __repr__(self):
        return 'PlaybookResult(rc=%r, workdir=%r)' % (self.rc, self.workdir)


def ansible_playbook_path():
    """The ansible-playbook of the virtualenv running the tests (next to sys.executable)."""
    path = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
    if not os.path.isfile(path):
        raise RuntimeError('no ansible-playbook next to %s; run the tests with the main virtualenv '
                           '(scripts/test.sh does)' % sys.executable)
    return path


def local_inventory(hosts, group='agents', **group_vars):
    """YAML inventory text: the given host names in one group, with optional group variables.

    hosts is a list of names, or a dict of name -> host variables.
    """
    import yaml

    if not isinstance(hosts, dict):
        hosts = dict((name, None) for name in hosts)
    inventory = {'all': {'children': {group: {'hosts': dict(hosts)}}}}
    if group_vars:
        inventory['all']['children'][group]['vars'] = group_vars
    return yaml.safe_dump(inventory, default_flow_style=False, sort_keys=False)


def _write(path, text):
    with open(path, 'w') as handle:
        handle.write(text)


def run_playbook(playbook, inventory, extra_env=None, extra_args=(), timeout=DEFAULT_TIMEOUT, workdir=None):
    """Run ansible-playbook and return a PlaybookResult (rc, stdout, stderr).

    playbook: the path of an existing playbook file, or playbook YAML text.
    inventory: inventory text (YAML or INI); see local_inventory().
    extra_env: environment variables added last (may override ours).
    extra_args: more ansible-playbook arguments, e.g. ('-v', '--check', '-e', 'x=1').
    timeout: seconds before the run is killed; that raises AssertionError carrying the output so far.
    workdir: directory for the run's files (e.g. pytest's tmp_path, kept for inspection); by default a
      temporary directory removed afterwards.
    """
    own_workdir = workdir is None
    workdir = tempfile.mkdtemp(prefix='obshell-playbook-') if own_workdir else str(workdir)
    try:
        return _run(playbook, inventory, extra_env, extra_args, timeout, workdir)
    finally:
        if own_workdir:
            shutil.rmtree(workdir, ignore_errors=True)


def _run(playbook, inventory, extra_env, extra_args, timeout, workdir):
    python = sys.executable
    playbook = str(playbook)
    if '\n' not in playbook and os.path.isfile(playbook):
        playbook_path = os.path.abspath(playbook)
    else:
        playbook_path = os.path.join(workdir, 'playbook.yml')
        _write(playbook_path, playbook)

    inventory_dir = os.path.join(workdir, 'inventory')
    os.makedirs(os.path.join(inventory_dir, 'group_vars'))
    inventory_path = os.path.join(inventory_dir, 'hosts')
    _write(inventory_path, inventory)
    # Modules run on the test Python, or on OBSHELL_TEST_TARGET_PYTHON (scripts/test.sh's target stages: an old
    # target Python); the controller side stays on the test Python.
    target_python = os.environ.get('OBSHELL_TEST_TARGET_PYTHON') or python
    _write(os.path.join(inventory_dir, 'group_vars', 'all.yml'), GROUP_VARS_ALL.format(python=target_python))

    config_path = os.path.join(workdir, 'ansible.cfg')
    _write(config_path, ANSIBLE_CFG.format(python=python))

    env = dict((key, value) for key, value in os.environ.items() if not key.startswith('ANSIBLE_'))
    env.update({
        'ANSIBLE_CONFIG': config_path,
        'ANSIBLE_COLLECTIONS_PATH': COLLECTIONS_DIR,
        'ANSIBLE_PYTHON_INTERPRETER': python,
        'ANSIBLE_HOST_KEY_CHECKING': 'False',
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_LOCAL_TEMP': os.path.join(workdir, 'local-tmp'),
        'ANSIBLE_REMOTE_TEMP': os.path.join(workdir, 'remote-tmp'),
        'ANSIBLE_HOME': os.path.join(workdir, 'ansible-home'),
        'ANSIBLE_RETRY_FILES_ENABLED': 'False',
        'PYTHONDONTWRITEBYTECODE': '1',
    })
    if extra_env:
        env.update(dict((key, str(value)) for key, value in extra_env.items()))

    args = [ansible_playbook_path(), '-i', inventory_path] + [str(arg) for arg in extra_args] + [playbook_path]
    try:
        completed = subprocess.run(args, cwd=workdir, env=env, stdin=subprocess.DEVNULL, check=False,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   universal_newlines=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        def _text(data):
            if isinstance(data, bytes):
                return data.decode('utf-8', 'replace')
            return data or ''
        raise AssertionError('ansible-playbook did not finish within %ss\n--- stdout\n%s\n--- stderr\n%s'
                             % (timeout, _text(exc.stdout), _text(exc.stderr)))
    return PlaybookResult(args, completed.returncode, completed.stdout, completed.stderr, workdir)
