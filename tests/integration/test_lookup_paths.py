# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The unfinished_dags lookup's option path, terms and gates, by real ansible-playbook against simulated agents:
each inventory host's own obshell_* variables, one host check for terms, unknown keywords refused, and no empty
answer without evidence."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os

from tests.integration._ansible import local_inventory, run_playbook
from tests.simulator.waiting import wait_until

SAVE = """
    - name: Save the result for the test
      ansible.builtin.copy:
        content: "{{{{ {var} | to_json }}}}"
        dest: "{out}/{name}.json"
        mode: "0600"
"""


def load(tmp_path, name):
    with open(os.path.join(str(tmp_path), name + '.json')) as handle:
        return json.load(handle)


def test_each_inventory_host_is_asked_with_its_own_password(sim_cluster, tmp_path):
    # Two clusters, each with its own root@sys password, given per host as obshell_password: the lookup must use
    # each host's own, as dag_wait with hosts does (it used to send the asking host's, and the agent said
    # "password is wrong"). Each agent's own DAGs (scope agent): the cluster DAGs of two clusters are not one read.
    alpha = sim_cluster(agents=1, password='Alpha-pass-1', scenario='agent_local', step_seconds=1000)
    beta = sim_cluster(agents=1, password='Beta-pass-2', scenario='idle')
    assert wait_until(lambda: alpha.find_dag('Start observer') is not None)
    hosts = {
        'obs_alpha': {'ansible_host': '127.0.0.1', 'obshell_port': alpha.agents[0].port,
                      'obshell_password': 'Alpha-pass-1'},
        'obs_beta': {'ansible_host': '127.0.0.1', 'obshell_port': beta.agents[0].port,
                     'obshell_password': 'Beta-pass-2'},
    }
    playbook = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Ask both hosts
      ansible.builtin.set_fact:
        busy: "{{ query('oceanbase.obshell.unfinished_dags', 'obs_alpha', 'obs_beta', scope='agent') }}"
    - name: A task option still wins over a host's variable
      block:
        - name: One password for both
          ansible.builtin.set_fact:
            never: "{{ query('oceanbase.obshell.unfinished_dags', 'obs_beta', scope='agent',
                              password='Alpha-pass-1') }}"
      rescue:
        - name: Keep it
          ansible.builtin.set_fact:
            overridden: "{{ ansible_failed_result.msg }}"
    - name: Collect
      ansible.builtin.set_fact:
        outcome: {busy: "{{ busy }}", overridden: "{{ overridden | default('') }}"}
""" + SAVE.format(var='outcome', name='outcome', out=str(tmp_path))
    inventory = local_inventory(hosts, group='observers')
    inventory = inventory.replace('all:\n', 'all:\n  hosts:\n    localhost:\n      ansible_connection: local\n', 1)
    result = run_playbook(playbook, inventory)
    assert result.rc == 0, result.output
    outcome = load(tmp_path, 'outcome')
    assert [dag['agent'] for dag in outcome['busy']] == [alpha.agents[0].address]
    assert 'password' in outcome['overridden'] and beta.agents[0].address in outcome['overridden']
    for sim in (alpha, beta):
        assert all(r['status'] != 401 for r in sim.requests[:4]), sim.requests


def test_terms_keywords_and_numbers_are_checked_as_everywhere_else(sim_cluster, tmp_path):
    sim = sim_cluster(agents=1, password='pw-1', scenario='idle')
    cases = {
        'scheme': "'http://127.0.0.1'",
        'scheme_port': "'http://127.0.0.1:%d'" % sim.agents[0].port,
        'typo': "'127.0.0.1:%d', nmes=['Cluster scale out']" % sim.agents[0].port,
        'workers': "'127.0.0.1:%d', max_workers=0" % sim.agents[0].port,
        'nan': "'127.0.0.1:%d', request_timeout='nan'" % sim.agents[0].port,
    }
    tasks = ''.join("""
    - name: Case {name}
      block:
        - name: Ask
          ansible.builtin.set_fact:
            never: "{{{{ query('oceanbase.obshell.unfinished_dags', {args}, password='pw-1') }}}}"
      rescue:
        - name: Keep it
          ansible.builtin.set_fact:
            messages: "{{{{ messages | combine({{'{name}': ansible_failed_result.msg}}) }}}}"
""".format(name=name, args=args) for name, args in sorted(cases.items()))
    playbook = """
- hosts: localhost
  gather_facts: false
  vars:
    messages: {}
  tasks:""" + tasks + SAVE.format(var='messages', name='messages', out=str(tmp_path))
    result = run_playbook(playbook, local_inventory({'localhost': None}, group='controller'))
    assert result.rc == 0, result.output
    messages = load(tmp_path, 'messages')
    assert sorted(messages) == sorted(cases), messages
    assert "term 1: 'http://127.0.0.1' has a scheme: give host or host:port" in messages['scheme']
    assert 'has a scheme' in messages['scheme_port'] and 'IPv6' not in messages['scheme_port']
    assert 'port must be a number' not in messages['scheme'] + messages['scheme_port']
    assert "unknown option 'nmes' (did you mean 'names'?)" in messages['typo']
    assert 'max_workers must be between 1 and 1024, got 0' in messages['workers']
    assert 'request_timeout must be a positive number of seconds, got nan' in messages['nan']
    assert not [r for r in sim.requests if 'unfinish' in r['path']], 'nothing is asked before the checks pass'


def test_the_busy_gate_fails_when_no_agent_answers_even_with_warn(sim_cluster, tmp_path):
    sim = sim_cluster(agents=2, password='pw-1', scenario='idle')
    for agent in sim.agents:
        agent.go_down(120)
    hosts = dict(('obs%d' % (index + 1), {'ansible_host': '127.0.0.1', 'obshell_port': agent.port})
                 for index, agent in enumerate(sim.agents))
    # The README's busy gate, with on_unreachable='warn'.
    playbook = """
- hosts: observers
  gather_facts: false
  vars:
    obshell_password: pw-1
  tasks:
    - name: Refuse to start on a busy cluster
      ansible.builtin.assert:
        that: busy | length == 0
        fail_msg: "Busy: {{ busy | map(attribute='name') | join(', ') }}"
      vars:
        busy: "{{ query('oceanbase.obshell.unfinished_dags', *groups['observers'], on_unreachable='warn',
                        retries=0, request_timeout=2) }}"
      run_once: true
    - name: Never reached
      ansible.builtin.debug:
        msg: GATE PASSED
"""
    result = run_playbook(playbook, local_inventory(hosts, group='observers'))
    assert result.rc != 0, result.output
    assert 'GATE PASSED' not in result.output
    assert 'cluster DAGs unknown' in result.output and 'could not be reached' in result.output, result.output


def test_a_play_variable_serves_the_hosts_without_their_own_as_in_dag_wait(sim_cluster, tmp_path):
    """The lookup takes an inventory host's settings by the one precedence (_options.resolve): the host's own
    obshell_* variable, else the play's, else OBSHELL_* (here wrong, and never reached for either host)."""
    alpha = sim_cluster(agents=1, password='Alpha-pass-1', scenario='agent_local', step_seconds=1000)
    beta = sim_cluster(agents=1, password='Beta-pass-2', scenario='idle')
    assert wait_until(lambda: alpha.find_dag('Start observer') is not None)
    hosts = {
        'obs_alpha': {'ansible_host': '127.0.0.1', 'obshell_port': alpha.agents[0].port},
        'obs_beta': {'ansible_host': '127.0.0.1', 'obshell_port': beta.agents[0].port,
                     'obshell_password': 'Beta-pass-2'},
    }
    playbook = """
- hosts: localhost
  gather_facts: false
  vars:
    obshell_password: Alpha-pass-1
  tasks:
    - name: Ask both hosts
      ansible.builtin.set_fact:
        outcome: "{{ query('oceanbase.obshell.unfinished_dags', 'obs_alpha', 'obs_beta', scope='agent', retries=0) }}"
""" + SAVE.format(var='outcome', name='outcome', out=str(tmp_path))
    inventory = local_inventory(hosts, group='observers')
    inventory = inventory.replace('all:\n', 'all:\n  hosts:\n    localhost:\n      ansible_connection: local\n', 1)
    result = run_playbook(playbook, inventory, extra_env={'OBSHELL_PASSWORD': 'wrong-for-both'})
    # Both agents were read with auth (a wrong password fails the lookup).
    assert result.rc == 0, result.output
    outcome = load(tmp_path, 'outcome')
    assert [dag['agent'] for dag in outcome] == [alpha.agents[0].address]
