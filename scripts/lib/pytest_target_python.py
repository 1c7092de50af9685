# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""pytest plugin for scripts/test.sh's target stages: modules run on an old target Python.

    OBSHELL_TEST_TARGET_PYTHON=/path/to/python3.6 python -m pytest -p scripts.lib.pytest_target_python -m target tests

The playbooks that integration tests run (tests/integration/_ansible.py) give every host the test Python as
``ansible_python_interpreter`` through the run's group_vars/all, or OBSHELL_TEST_TARGET_PYTHON when it is set, so
each module (dag_info, facts, dag, dag_wait run_on=target) runs there, while the controller side stays on the test
Python. A host that sets its own interpreter keeps it. Before any test, one playbook checks that a module really
runs on that Python and can import the collection's libraries; if not, the run stops.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import subprocess

import pytest

TARGET_PYTHON_VARIABLE = 'OBSHELL_TEST_TARGET_PYTHON'

CHECK_PLAYBOOK = """
- hosts: target
  gather_facts: false
  tasks:
    - name: Which Python runs the modules
      ansible.builtin.setup:
        gather_subset: [min]
      register: facts

    - name: Save it
      ansible.builtin.copy:
        content: "{{ facts.ansible_facts.ansible_python | to_json }}"
        dest: "%s"
        mode: "0600"
"""


def target_python():
    return os.environ.get(TARGET_PYTHON_VARIABLE) or None


def pytest_configure(config):
    python = target_python()
    if not python:
        raise pytest.UsageError('%s is not set: it names the Python that modules run on' % TARGET_PYTHON_VARIABLE)
    # tests/integration/_ansible.py reads the variable itself and gives the hosts that interpreter.


def pytest_report_header(config):
    return 'modules run on the target Python %s' % target_python()


@pytest.fixture(scope='session', autouse=True)
def _modules_run_on_the_target_python(tmp_path_factory):
    from tests.integration._ansible import local_inventory, run_playbook

    python = target_python()
    probe = subprocess.run([python, '-c', 'import sys, requests, cryptography; '
                            'print("%d.%d" % sys.version_info[:2], requests.__version__, cryptography.__version__)'],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False)
    if probe.returncode != 0:
        pytest.exit('the target Python %s cannot import requests and cryptography:\n%s%s'
                    % (python, probe.stdout, probe.stderr), returncode=1)
    work = str(tmp_path_factory.mktemp('target-python'))
    out = os.path.join(work, 'python.json')
    result = run_playbook(CHECK_PLAYBOOK % out, local_inventory(['target'], group='targets'), workdir=work)
    if result.rc != 0 or not os.path.exists(out):
        pytest.exit('a module could not run on %s:\n%s' % (python, result.output), returncode=1)
    with open(out) as handle:
        seen = json.load(handle)
    version = '%s.%s' % (seen['version']['major'], seen['version']['minor'])
    if os.path.realpath(seen['executable']) != os.path.realpath(python) or version != probe.stdout.split()[0]:
        pytest.exit('modules ran on %s (Python %s), not on %s' % (seen['executable'], version, python), returncode=1)
    print('\nmodules run on %s: Python %s, requests %s, cryptography %s'
          % (seen['executable'], version, probe.stdout.split()[1], probe.stdout.split()[2]))
