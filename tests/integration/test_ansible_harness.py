# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The integration harness itself: real ansible-playbook runs against local hosts."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import sys

from tests.integration._ansible import local_inventory, run_playbook

PING_AND_REPORT = """
- name: Ping two local hosts and report what they run
  hosts: agents
  gather_facts: false
  tasks:
    - name: Ping
      ansible.builtin.ping:

    - name: Learn which Python runs modules
      ansible.builtin.setup:
        gather_subset: ['!all', 'python']
        filter: ansible_python

    - name: Report the interpreter and the collections path
      ansible.builtin.debug:
        msg: "REPORT {{ {'host': inventory_hostname, 'python': ansible_facts.python.executable,
               'collections': lookup('ansible.builtin.config', 'COLLECTIONS_PATHS')} | to_json }}"
"""


def _reports(stdout):
    """The JSON payloads of the REPORT lines the debug task printed."""
    reports = []
    for line in stdout.splitlines():
        marker = line.find('REPORT ')
        if marker >= 0 and line.rstrip().endswith('"'):
            payload = line[marker + len('REPORT '):].rstrip()[:-1]
            reports.append(json.loads(payload.encode('utf-8').decode('unicode_escape')))
    return reports


def test_ping_two_local_hosts(tmp_path):
    result = run_playbook(PING_AND_REPORT, local_inventory(['agent1', 'agent2']), workdir=tmp_path)

    assert result.rc == 0, result.output
    recap = result.recap()
    assert sorted(recap) == ['agent1', 'agent2'], result.output
    for host in ('agent1', 'agent2'):
        assert recap[host]['ok'] == 3, result.output
        assert recap[host]['failed'] == 0, result.output
        assert recap[host]['unreachable'] == 0, result.output

    reports = _reports(result.stdout)
    assert sorted(report['host'] for report in reports) == ['agent1', 'agent2'], result.output
    for report in reports:
        assert report['python'] == sys.executable
        # The repository's collections/ directory, so oceanbase.obshell resolves to this checkout.
        assert any(path.endswith('/collections') for path in report['collections']), report


def test_collection_resolves_from_the_checkout(tmp_path):
    # The action group comes from this repository's meta/runtime.yml; an unresolvable collection would
    # make module_defaults fail to load.
    playbook = """
- name: Use the collection's action group
  hosts: agents
  gather_facts: false
  module_defaults:
    group/oceanbase.obshell.obshell:
      timeout: 5
  tasks:
    - name: Ping
      ansible.builtin.ping:
"""
    result = run_playbook(playbook, local_inventory(['agent1']), workdir=tmp_path, extra_args=('-vvv',))

    assert result.rc == 0, result.output
    assert 'oceanbase.obshell' not in result.stderr, result.output


def test_failure_is_reported(tmp_path):
    playbook = """
- name: Fail on one host only
  hosts: agents
  gather_facts: false
  tasks:
    - name: Fail where asked
      ansible.builtin.fail:
        msg: deliberate failure
      when: inventory_hostname == 'agent2'
"""
    result = run_playbook(playbook, local_inventory(['agent1', 'agent2']), workdir=tmp_path)

    assert result.rc == 2, result.output
    assert 'deliberate failure' in result.stdout, result.output
    recap = result.recap()
    assert recap['agent1']['failed'] == 0, result.output
    assert recap['agent2']['failed'] == 1, result.output


def test_extra_env_and_args_reach_the_run(tmp_path):
    playbook = """
- name: Echo a variable and an environment value
  hosts: agents
  gather_facts: false
  tasks:
    - name: Echo
      ansible.builtin.debug:
        msg: "ECHO {{ greeting }} {{ lookup('ansible.builtin.env', 'OBSHELL_HARNESS_PROBE') }}"
"""
    result = run_playbook(playbook, local_inventory(['agent1']), workdir=tmp_path,
                          extra_env={'OBSHELL_HARNESS_PROBE': 'probe-value'},
                          extra_args=('-e', 'greeting=hello'))

    assert result.rc == 0, result.output
    assert 'ECHO hello probe-value' in result.stdout, result.output
