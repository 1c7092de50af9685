# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A target without cryptography (the one library the modules need) gets Ansible's missing_required_lib message, not a traceback."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import subprocess
import sys

from tests.integration._ansible import local_inventory, run_playbook


def test_modules_name_the_missing_library(tmp_path):
    bare = os.path.join(str(tmp_path), 'bare-venv')
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip', bare], check=True)
    python = os.path.join(bare, 'bin', 'python')
    assert subprocess.run([python, '-c', 'import cryptography'], stderr=subprocess.DEVNULL, check=False).returncode != 0
    playbook = """
- hosts: obs1
  gather_facts: false
  tasks:
    - name: Each module on a bare Python
      %s
      register: out
      ignore_errors: true  # noqa: ignore-errors
      loop: [1]
    - name: Save
      ansible.builtin.copy:
        content: "{{ out.results | to_json }}"
        dest: "%s/out-{{ item }}.json"
        mode: "0600"
      loop: [1]
"""
    for task in ('oceanbase.obshell.dag_info: {}', 'oceanbase.obshell.facts: {}',
                 'oceanbase.obshell.dag: {id: "11", state: retried}'):
        result = run_playbook(playbook % (task, tmp_path), local_inventory({'obs1': {'ansible_python_interpreter': python}}))
        assert result.rc == 0, result.output
        with open(os.path.join(str(tmp_path), 'out-1.json')) as handle:
            out = json.load(handle)[0]
        assert out['failed'] is True
        assert 'Failed to import the required Python library (cryptography)' in out['msg'], (task, out['msg'])
        assert 'Traceback' not in result.stdout
