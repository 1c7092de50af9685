# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where every plugin takes its settings from, and what the read-only plugins answer when the cluster DAGs cannot be
read: real ansible-playbook runs against simulated agents."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os

import pytest

from tests.integration._ansible import local_inventory, run_playbook

PASSWORD = 'Sett1ngs/pw'


def load(tmp_path, name):
    with open(os.path.join(str(tmp_path), name)) as handle:
        return json.load(handle)


def play(tmp_path, task, play_keywords='', hosts='obs1'):
    return """
- name: Settings
  hosts: {hosts}
  gather_facts: false
  {keywords}
  tasks:
    - name: The task
{task}
      register: out
      ignore_errors: true
    - name: Save
      ansible.builtin.copy:
        content: "{{{{ out | to_json }}}}"
        dest: "{dir}/{{{{ inventory_hostname }}}}.json"
        mode: "0600"
""".format(hosts=hosts, keywords=play_keywords, task=task, dir=str(tmp_path))


DAG_INFO = """      oceanbase.obshell.dag_info:
        host: 127.0.0.1{port}"""


@pytest.mark.parametrize('source', ['task', 'module_defaults', 'host_var', 'environment', 'default'])
def test_the_port_comes_from_the_first_source_that_sets_it(sim_cluster, tmp_path, source):
    # Five agents; each source names a different one, and each run leaves out the sources above it. The agent that
    # answered says which source won.
    sim = sim_cluster(agents=5, password=PASSWORD, scenario='idle', base_port=0)
    ports = dict(zip(['task', 'module_defaults', 'host_var', 'environment', 'default'],
                     [agent.port for agent in sim.agents]))
    order = ['task', 'module_defaults', 'host_var', 'environment', 'default']
    active = order[order.index(source):]
    task_port = '\n        port: %d' % ports['task'] if 'task' in active else ''
    keywords = ('module_defaults:\n    group/oceanbase.obshell.obshell:\n      port: %d' % ports['module_defaults']
                if 'module_defaults' in active else '')
    host_vars = {'obshell_password': PASSWORD}
    if 'host_var' in active:
        host_vars['obshell_port'] = ports['host_var']
    env = {'OBSHELL_PORT': str(ports['environment'])} if 'environment' in active else {}
    result = run_playbook(play(tmp_path, DAG_INFO.format(port=task_port), keywords),
                          local_inventory({'obs1': host_vars}), extra_env=env, workdir=tmp_path)
    assert result.rc == 0, result.output
    out = load(tmp_path, 'obs1.json')
    if source == 'default':
        # Nothing set: the default port 2886, where no simulated agent listens.
        assert out['failed'] is True and ':2886' in out['msg'], out
    else:
        assert out['agent']['port'] == ports[source], (source, out)


def test_modules_read_obshell_group_variables(sim_cluster, tmp_path):
    # group_vars obshell_port 30300 once meant port 2886 for dag_info and dag_wait.
    sim = sim_cluster(agents=1, password=PASSWORD, scenario='idle')
    inventory = local_inventory(['obs1'], obshell_port=sim.agents[0].port, obshell_password=PASSWORD,
                                obshell_host='127.0.0.1')
    tasks = """      oceanbase.obshell.dag_info: {}"""
    result = run_playbook(play(tmp_path, tasks), inventory, workdir=tmp_path)
    assert result.rc == 0, result.output
    assert load(tmp_path, 'obs1.json')['agent']['port'] == sim.agents[0].port
    wait = """      oceanbase.obshell.dag_wait:
        poll_interval: 0.5"""
    os.makedirs(str(tmp_path / 'w'))
    result = run_playbook(play(tmp_path / 'w', wait), inventory, workdir=tmp_path / 'w')
    assert result.rc == 0, result.output
    waited = load(tmp_path / 'w', 'obs1.json')
    assert waited['outcome'] == 'idle', waited
    assert waited['agent']['port'] == sim.agents[0].port
    assert PASSWORD not in result.stdout + result.stderr


def test_dag_wait_asks_ansible_host_from_the_controller_when_no_host_is_given(sim_cluster, tmp_path):
    sim = sim_cluster(agents=1, password=PASSWORD, scenario='idle')
    inventory = local_inventory({'obs1': {'ansible_host': '127.0.0.1', 'obshell_port': sim.agents[0].port}},
                                obshell_password=PASSWORD)
    result = run_playbook(play(tmp_path, """      oceanbase.obshell.dag_wait: {}"""), inventory, workdir=tmp_path)
    assert result.rc == 0, result.output
    assert load(tmp_path, 'obs1.json')['agent']['address'] == '127.0.0.1:%d' % sim.agents[0].port


@pytest.mark.parametrize('host, message', [
    ('https://127.0.0.1', "host 'https://127.0.0.1' has a scheme: give the bare address"),
    ('127.0.0.1:2886', "host '127.0.0.1:2886' has a port in it: put the port in the port option"),
    ('127.0.0.1 ', "host '127.0.0.1 ' has spaces in it"),
    ('127.0.0.1/api/v1', "host '127.0.0.1/api/v1' has a path in it"),
])
def test_a_bad_host_fails_at_once_naming_the_option_in_every_plugin(sim_cluster, tmp_path, host, message):
    tasks = []
    for index, module in enumerate(('oceanbase.obshell.dag_info', 'oceanbase.obshell.facts',
                                    'oceanbase.obshell.dag_wait')):
        tasks.append("""
    - name: Module {index}
      {module}:
        host: "{host}"
      register: case{index}
      ignore_errors: true
""".format(index=index, module=module, host=host))
    playbook = """
- name: Bad host
  hosts: obs1
  gather_facts: false
  tasks:
{tasks}
    - name: Lookup
      ansible.builtin.set_fact:
        case3: "{{{{ query('oceanbase.obshell.unfinished_dags', host='{host}') }}}}"
      ignore_errors: true
      register: case3
    - name: Save
      ansible.builtin.copy:
        content: "{{{{ [case0, case1, case2, case3] | to_json }}}}"
        dest: "{dir}/cases.json"
        mode: "0600"
""".format(tasks=''.join(tasks), host=host, dir=str(tmp_path))
    result = run_playbook(playbook, local_inventory(['obs1']), workdir=tmp_path, timeout=120)
    assert result.rc == 0, result.output
    for case in load(tmp_path, 'cases.json'):
        assert case['failed'] is True, case
        assert message in case['msg'], case['msg']


def test_missing_tls_files_are_named_not_a_traceback(sim_cluster, tmp_path):
    tasks = """      oceanbase.obshell.dag_info:
        use_tls: true
        ca_path: /nonexistent/ca.pem
        client_cert: /nonexistent/client.pem"""
    result = run_playbook(play(tmp_path, tasks), local_inventory(['obs1']), workdir=tmp_path)
    out = load(tmp_path, 'obs1.json')
    assert out['failed'] is True
    assert "ca_path '/nonexistent/ca.pem' does not exist" in out['msg']
    assert "client_cert '/nonexistent/client.pem' does not exist" in out['msg']
    assert 'Errno' not in out['msg'] and 'Traceback' not in out.get('exception', ''), result.output


# ------------------------------------------------------------------------------------------------- cluster DAGs unknown


def test_read_only_plugins_never_answer_idle_while_the_cluster_dags_cannot_be_read(sim_cluster, tmp_path):
    # The observer behind the only agent is down (a rolling upgrade restarts it): /dag/unfinish would answer
    # success without the running scale-out. dag_info, facts and the lookup say "cluster DAGs unknown" instead.
    sim = sim_cluster(agents=1, password=PASSWORD, scenario='scale_out', step_seconds=30)
    sim.agents[0].observer_down()
    playbook = """
- name: Ask while the observer is down
  hosts: obs1
  gather_facts: false
  tasks:
    - name: dag_info
      oceanbase.obshell.dag_info: {{}}
      register: case0
      ignore_errors: true
    - name: facts
      oceanbase.obshell.facts: {{}}
      register: case1
      ignore_errors: true
    - name: lookup
      ansible.builtin.set_fact:
        found: "{{{{ query('oceanbase.obshell.unfinished_dags', 'obs1') }}}}"
      register: case2
      ignore_errors: true
    - name: dag_info with scope all (the aggregated list, checked against obState)
      oceanbase.obshell.dag_info:
        scope: all
      register: case3
      ignore_errors: true
    - name: Save
      ansible.builtin.copy:
        content: "{{{{ [case0, case1, case2, case3] | to_json }}}}"
        dest: "{dir}/cases.json"
        mode: "0600"
""".format(dir=str(tmp_path))
    inventory = local_inventory({'obs1': {'ansible_host': '127.0.0.1', 'obshell_port': sim.agents[0].port}},
                                obshell_password=PASSWORD)
    result = run_playbook(playbook, inventory, workdir=tmp_path)
    assert result.rc == 0, result.output
    for case in load(tmp_path, 'cases.json'):
        assert case['failed'] is True, case
        assert 'cluster DAGs unknown' in case['msg'], case['msg']
        assert 'idle' not in case or case.get('idle') is not True
    sim.agents[0].observer_up()


def test_a_play_variable_that_is_a_template_is_filled_in_for_each_host_it_serves(sim_cluster, tmp_path):
    # The play says obshell_port: "{{ my_port }}" and obshell_password: "{{ pw }}"; each host has its own my_port
    # and pw. Asked from obs_alpha, obs_beta must be reached at its own port with its own password: once, the
    # play's values were filled in with obs_alpha's variables for every host, and obs_beta's agent, busy with a DAG
    # of its own, was reported idle from obs_alpha's (found by the red team). dag_wait without hosts and the lookup
    # without terms fill in the play's values too (they took '{{ my_port }}' as it is).
    from tests.simulator.waiting import wait_until

    alpha = sim_cluster(agents=1, password='Alpha-pass-1', scenario='idle')
    beta = sim_cluster(agents=1, password='Beta-pass-2', scenario='agent_local', step_seconds=1000)
    assert wait_until(lambda: beta.find_dag('Start observer') is not None)
    hosts = {'obs_alpha': {'ansible_host': '127.0.0.1', 'my_port': alpha.agents[0].port, 'pw': 'Alpha-pass-1',
                           'obshell_agent_password': '{{ pw }}-unused'},
             'obs_beta': {'ansible_host': '127.0.0.1', 'my_port': beta.agents[0].port, 'pw': 'Beta-pass-2'}}
    playbook = """
- hosts: obs_alpha
  gather_facts: false
  vars:
    obshell_port: "{{ my_port }}"
    obshell_password: "{{ pw }}"
  tasks:
    - name: Wait on both hosts from obs_alpha
      oceanbase.obshell.dag_wait:
        mode: assert_idle
        scope: agent
        hosts: [obs_alpha, obs_beta]
      register: both
      ignore_errors: true
    - name: Wait on obs_alpha alone (its own templated values)
      oceanbase.obshell.dag_wait:
        mode: assert_idle
        scope: agent
      register: alone
    - name: Ask both hosts with the lookup
      ansible.builtin.set_fact:
        listed: "{{ query('oceanbase.obshell.unfinished_dags', 'obs_alpha', 'obs_beta', scope='agent', retries=0) }}"
    - name: Ask the lookup without terms (the play's values, filled in for obs_alpha)
      ansible.builtin.set_fact:
        mine: "{{ query('oceanbase.obshell.unfinished_dags', host='127.0.0.1', retries=0) }}"
    - name: Save
      ansible.builtin.copy:
        content: "{{ {'both': both, 'alone': alone, 'listed': listed, 'mine': mine} | to_json }}"
        dest: "%s/out.json"
        mode: "0600"
""" % tmp_path
    result = run_playbook(playbook, local_inventory(hosts), workdir=tmp_path)
    assert result.rc == 0, result.output
    out = load(tmp_path, 'out.json')
    both = out['both']
    assert both['failed'] is True and both['outcome'] != 'idle', both
    parts = dict((part['host'], part) for part in both['parts'])
    assert parts['obs_beta']['agent'] == beta.agents[0].address, parts
    assert parts['obs_alpha']['agent'] == alpha.agents[0].address, parts
    assert 'Start observer' in json.dumps(parts['obs_beta'])
    assert out['alone']['outcome'] == 'idle' and out['alone']['agent']['port'] == alpha.agents[0].port
    assert [(dag['name'], dag['agent']) for dag in out['listed']] == [('Start observer', beta.agents[0].address)]
    assert out['mine'] == []
    for secret in ('Alpha-pass-1', 'Beta-pass-2'):
        assert secret not in result.stdout + result.stderr


def test_one_address_for_every_host_of_a_batch_is_refused_not_read_as_one_agent(sim_cluster, tmp_path):
    # OBSHELL_HOST exported on the controller (or a play's constant obshell_host) named one agent for every host of
    # `hosts:` and of the lookup's host terms: both hosts were read at 127.0.0.1, the idle one answered for the busy
    # one at 127.0.0.2, and the gate passed (found by the red team). Each host of a batch is its own agent.
    sim = sim_cluster(agents=1, password=PASSWORD, scenario='idle')
    port = sim.agents[0].port
    hosts = {'obs_idle': {'ansible_host': '127.0.0.1', 'obshell_port': port},
             'obs_busy': {'ansible_host': '127.0.0.2', 'obshell_port': port}}
    playbook = """
- hosts: obs_idle
  gather_facts: false
  tasks:
    - name: The gate over both hosts
      oceanbase.obshell.dag_wait:
        mode: assert_idle
        scope: agent
        hosts: [obs_idle, obs_busy]
      register: gate
      ignore_errors: true
    - name: The lookup over both hosts
      ansible.builtin.set_fact:
        listed: "{{ query('oceanbase.obshell.unfinished_dags', 'obs_idle', 'obs_busy', scope='agent', retries=0) }}"
      ignore_errors: true
      register: lookup
    - name: Save
      ansible.builtin.copy:
        content: "{{ {'gate': gate, 'lookup': lookup} | to_json }}"
        dest: "%s/out.json"
        mode: "0600"
""" % tmp_path
    before = len(sim.requests)
    result = run_playbook(playbook, local_inventory(hosts, obshell_password=PASSWORD), workdir=tmp_path,
                          extra_env={'OBSHELL_HOST': '127.0.0.1'})
    assert result.rc == 0, result.output
    out = load(tmp_path, 'out.json')
    reason = 'obs_idle and obs_busy are both asked at 127.0.0.1:%d, but each host is its own agent' % port
    assert out['gate']['failed'] is True and reason in out['gate']['msg'], out['gate']
    assert out['lookup']['failed'] is True and reason in out['lookup']['msg'], out['lookup']
    assert len(sim.requests) == before, sim.requests[before:]       # refused before any agent was asked
