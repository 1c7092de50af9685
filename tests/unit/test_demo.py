# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""scripts/demo.sh: the CryptographyDeprecationWarning a user saw twice is ansible-core's, not the collection's, and
the demo's filter hides that one warning and nothing else."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import re
import subprocess
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(REPO_ROOT, 'collections')


def python(code, *options):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([COLLECTIONS, REPO_ROOT]))
    env.pop('PYTHONWARNINGS', None)
    return subprocess.run([sys.executable] + list(options) + ['-c', code], cwd=REPO_ROOT, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=120,
                          check=False)


def test_the_collection_and_the_simulator_import_nothing_deprecated():
    # Every warning an error: the collection's own code (what plays import) and the simulator the demo starts.
    code = ('import ansible_collections.oceanbase.obshell.plugins.module_utils._crypto as c; assert c.HAS_CRYPTOGRAPHY\n'
            'from ansible_collections.oceanbase.obshell.plugins.module_utils import _client, _transport, _watcher\n'
            'import tests.simulator.cluster, tests.simulator.__main__\n')
    run = python(code, '-W', 'error')
    assert run.returncode == 0, run.stderr


def demo_filter():
    with open(os.path.join(REPO_ROOT, 'scripts', 'demo.sh')) as handle:
        return re.search(r"DSA_WARNING='(ignore:[^']+)'", handle.read()).group(1)


def test_the_demo_hides_ansible_cores_dsa_warning_and_no_other():
    code = 'import warnings\nimport ansible.cli\nwarnings.warn("another warning", DeprecationWarning)\n'
    plain = python(code, '-W', 'always')
    filtered = python(code, '-W', 'always', '-W', demo_filter())
    assert 'another warning' in plain.stderr and 'another warning' in filtered.stderr, filtered.stderr
    assert 'DSA is deprecated' not in filtered.stderr, filtered.stderr
    if 'DSA is deprecated' in plain.stderr:
        # Where it comes from: ansible-core's own import when its command line starts.
        assert 'ansible/_internal/_ssh/_ssh_agent.py' in plain.stderr, plain.stderr
