# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""dag_info, facts and the unfinished_dags lookup, run by real ansible-playbook against simulated agents."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os

import pytest

from tests.integration._ansible import local_inventory, run_playbook
from tests.simulator.scenarios import SCALE_OUT_NODES, held_scale_out
from tests.simulator.waiting import wait_until

PASSWORD = 'Sc4le-0ut/Pass'

# A scale-out that runs its first two nodes quickly, then stays on node 3 ("Wait scale out ready").
HELD_AT_NODE_3 = held_scale_out(hold_at=3)


def inventory_for(sim, **group_vars):
    hosts = dict(('obs%d' % (i + 1), {'obshell_port': agent.port}) for i, agent in enumerate(sim.agents))
    return local_inventory(hosts, group='observers', **group_vars)


def held_cluster(sim_cluster, **kwargs):
    sim = sim_cluster(agents=3, password=PASSWORD, scenario=HELD_AT_NODE_3, **kwargs)
    assert wait_until(lambda: sim.find_dag('Cluster scale out') is not None)
    dag_id = sim.find_dag('Cluster scale out')
    assert wait_until(lambda: sim.dag_dto(dag_id, show_details=False)['stage'] == 3)
    return sim, dag_id


def load(tmp_path, name):
    with open(os.path.join(str(tmp_path), name)) as handle:
        return json.load(handle)


SAVE = """
    - name: Save the result for the test
      ansible.builtin.copy:
        content: "{{{{ {var} | to_json }}}}"
        dest: "{out}/{{{{ inventory_hostname }}}}-{name}.json"
        mode: "0600"
      check_mode: false
"""


def save(var, name, tmp_path):
    return SAVE.format(var=var, name=name, out=str(tmp_path))


@pytest.mark.smoke
@pytest.mark.target
def test_dag_info_with_host_and_port_shows_progress_and_current_node(sim_cluster, tmp_path):
    sim, dag_id = held_cluster(sim_cluster)
    playbook = """
- hosts: obs1
  gather_facts: false
  tasks:
    - name: Ask the agent
      oceanbase.obshell.dag_info:
        host: 127.0.0.1
        port: "{{ obshell_port }}"
        password: "%s"
        scope: cluster
      register: info
""" % PASSWORD + save('info', 'info', tmp_path)
    result = run_playbook(playbook, inventory_for(sim))
    assert result.rc == 0, result.output
    info = load(tmp_path, 'obs1-info.json')
    assert info['changed'] is False and info['idle'] is False
    assert info['agent']['identity'] == 'CLUSTER AGENT'
    assert info['agent']['address'] == sim.agents[0].address
    assert info['counts'] == {'RUNNING': 1, 'total': 1}
    dag = info['dags'][0]
    assert dag['id'] == dag_id and dag['name'] == 'Cluster scale out' and dag['kind'] == 'cluster'
    assert dag['progress'] == '3/9' and dag['current_node'] == 'Wait scale out ready'
    assert dag['state'] == 'RUNNING' and dag['outcome'] == 'running' and dag['end_time'] is None
    assert dag['maintenance'] == 'global' and dag['failure'] is None and 'nodes' not in dag


def test_module_defaults_group_sets_the_connection_once(sim_cluster, tmp_path):
    sim, dag_id = held_cluster(sim_cluster)
    playbook = """
- hosts: observers
  gather_facts: false
  module_defaults:
    group/oceanbase.obshell.obshell:
      port: "{{ obshell_port }}"
      password: "%s"
  tasks:
    - name: Ask each host's agent, with full details
      oceanbase.obshell.dag_info:
        details: full
        names: ['^Cluster scale']
      register: info
""" % PASSWORD + save('info', 'info', tmp_path)
    result = run_playbook(playbook, inventory_for(sim))
    assert result.rc == 0, result.output
    for index, agent in enumerate(sim.agents):
        info = load(tmp_path, 'obs%d-info.json' % (index + 1))
        assert info['agent']['address'] == agent.address
        assert [d['id'] for d in info['dags']] == [dag_id]
        nodes = info['dags'][0]['nodes']
        assert [n['name'] for n in nodes] == SCALE_OUT_NODES
        assert [n['state'] for n in nodes[:3]] == ['SUCCEED', 'SUCCEED', 'RUNNING']


@pytest.mark.smoke
@pytest.mark.target
def test_facts_inside_gather_facts(sim_cluster, tmp_path):
    sim, dag_id = held_cluster(sim_cluster)
    playbook = """
- hosts: observers
  gather_facts: true
  vars:
    ansible_facts_modules:
      - oceanbase.obshell.facts
  module_defaults:
    group/oceanbase.obshell.obshell:
      port: "{{ obshell_port }}"
      password: "%s"
  tasks:
    - name: The facts are there before the first task
      ansible.builtin.assert:
        that:
          - ansible_facts.obshell is defined
          - not ansible_facts.obshell.idle
""" % PASSWORD + save('ansible_facts.obshell', 'facts', tmp_path)
    result = run_playbook(playbook, inventory_for(sim))
    assert result.rc == 0, result.output
    facts = load(tmp_path, 'obs2-facts.json')
    assert facts['idle'] is False and facts['agent']['address'] == sim.agents[1].address
    assert [d['id'] for d in facts['unfinished_dags']] == [dag_id]
    assert facts['queried_at'].endswith('Z')


def test_lookup_with_one_agent_down_under_each_mode(sim_cluster, tmp_path):
    sim, dag_id = held_cluster(sim_cluster)
    down = sim.agents[2]
    down.go_down(120)
    terms = ', '.join("'%s'" % a.address for a in sim.agents)
    playbook = """
- hosts: localhost
  gather_facts: false
  vars:
    obshell_password: "%(pw)s"
  tasks:
    - name: Warn mode
      ansible.builtin.set_fact:
        warned: "{{ query('oceanbase.obshell.unfinished_dags', %(terms)s, on_unreachable='warn', retries=0) }}"
    - name: Skip mode
      ansible.builtin.set_fact:
        skipped: "{{ query('oceanbase.obshell.unfinished_dags', %(terms)s, on_unreachable='skip', retries=0) }}"
    - name: Error mode
      block:
        - name: Ask all three
          ansible.builtin.set_fact:
            never: "{{ query('oceanbase.obshell.unfinished_dags', %(terms)s, retries=0) }}"
      rescue:
        - name: Keep the error
          ansible.builtin.set_fact:
            error_message: "{{ ansible_failed_result.msg }}"
    - name: Collect
      ansible.builtin.set_fact:
        outcome:
          warned: "{{ warned }}"
          skipped: "{{ skipped }}"
          error_message: "{{ error_message | default('') }}"
          never_defined: "{{ never is defined }}"
""" % dict(pw=PASSWORD, terms=terms) + save('outcome', 'lookup', tmp_path)
    result = run_playbook(playbook, local_inventory({'localhost': None}, group='controller'))
    assert result.rc == 0, result.output
    outcome = load(tmp_path, 'localhost-lookup.json')
    for mode in ('warned', 'skipped'):
        dags = outcome[mode]
        assert [d['id'] for d in dags] == [dag_id], 'a cluster DAG appears once'
        # The cluster DAGs are asked of one CLUSTER AGENT (the first that answered), not of every agent.
        assert dags[0]['seen_on'] == [sim.agents[0].address]
    assert down.address in outcome['error_message'] and 'cannot reach 1 of 3' in outcome['error_message']
    assert outcome['never_defined'] is False
    warnings = [line for line in (result.stdout + result.stderr).splitlines() if '[WARNING]' in line]
    assert len([w for w in warnings if down.address in w]) == 1, result.output


@pytest.mark.smoke
def test_lookup_without_terms_uses_host_option_and_bad_terms_fail(sim_cluster, tmp_path):
    sim = sim_cluster(agents=1, password=PASSWORD, scenario='idle')
    playbook = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: No terms
      ansible.builtin.set_fact:
        none_running: "{{ query('oceanbase.obshell.unfinished_dags', port=%d, password='%s') }}"
    - name: A malformed term
      block:
        - name: Bad port
          ansible.builtin.debug:
            msg: "{{ query('oceanbase.obshell.unfinished_dags', '127.0.0.1:notaport') }}"
      rescue:
        - name: Keep it
          ansible.builtin.set_fact:
            bad_term: "{{ ansible_failed_result.msg }}"
    - name: Collect
      ansible.builtin.set_fact:
        outcome: {none_running: "{{ none_running }}", bad_term: "{{ bad_term }}"}
""" % (sim.agents[0].port, PASSWORD) + save('outcome', 'lookup', tmp_path)
    result = run_playbook(playbook, local_inventory({'localhost': None}, group='controller'))
    assert result.rc == 0, result.output
    outcome = load(tmp_path, 'localhost-lookup.json')
    assert outcome['none_running'] == []
    assert "'127.0.0.1:notaport'" in outcome['bad_term'] and 'port must be a number' in outcome['bad_term']


def test_scale_out_fail_shows_the_failed_node_and_log_tail(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, password=PASSWORD, scenario='scale_out_fail', step_seconds=0.05)
    assert wait_until(lambda: sim.find_dag('Cluster scale out') is not None
                      and sim.dag_state(sim.find_dag('Cluster scale out'))[0] == 'FAILED')
    playbook = """
- hosts: obs1
  gather_facts: false
  tasks:
    - name: Ask
      oceanbase.obshell.dag_info:
        port: "{{ obshell_port }}"
        password: "%s"
      register: info
""" % PASSWORD + save('info', 'info', tmp_path)
    result = run_playbook(playbook, inventory_for(sim))
    assert result.rc == 0, result.output
    dag = load(tmp_path, 'obs1-info.json')['dags'][0]
    assert dag['state'] == 'FAILED' and dag['outcome'] == 'failed' and dag['progress'] == '6/9'
    failure = dag['failure']
    assert failure['node']['name'] == 'Prev check for scale_out' and failure['node']['stage'] == 6
    sub = failure['sub_tasks'][0]
    assert sub['agent'] == sim.agents[0].address
    assert sub['log_tail'][-1].startswith('ERROR: [Common.Unexpected]: ')
    assert sub['error']['code'] == 'Common.Unexpected'
    assert "failed at node 6/9 'Prev check for scale_out'" in failure['summary']


def test_scope_auto_and_cluster_on_a_single_agent(sim_cluster, tmp_path):
    sim = sim_cluster(agents=1, password=PASSWORD, identities=['SINGLE'])
    playbook = """
- hosts: obs1
  gather_facts: false
  module_defaults:
    group/oceanbase.obshell.obshell:
      port: "{{ obshell_port }}"
  tasks:
    - name: Auto scope
      oceanbase.obshell.dag_info:
      register: auto
    - name: Cluster scope is refused with advice
      oceanbase.obshell.dag_info:
        scope: cluster
      register: cluster
      ignore_errors: true  # noqa: ignore-errors
    - name: Collect
      ansible.builtin.set_fact:
        outcome: {auto: "{{ auto }}", cluster: "{{ cluster }}"}
""" + save('outcome', 'single', tmp_path)
    result = run_playbook(playbook, inventory_for(sim))
    assert result.rc == 0, result.output
    outcome = load(tmp_path, 'obs1-single.json')
    assert outcome['auto']['idle'] is True and outcome['auto']['scope'] == ['agent']
    assert outcome['auto']['agent']['identity'] == 'SINGLE'
    assert outcome['cluster']['failed'] is True
    assert 'SINGLE' in outcome['cluster']['msg'] and 'scope agent or auto' in outcome['cluster']['msg']
    assert not [e for e in sim.requests if e['path'].endswith('/dag/ob/unfinish')]


@pytest.mark.parametrize('task,expected', [
    ('oceanbase.obshell.dag_info: {id: "abc"}', "id: 'abc' is not a valid OBShell generic task id"),
    ('oceanbase.obshell.dag_info: {scope: everything}', 'value of scope must be one of'),
    ('oceanbase.obshell.dag_info: {names: ["(unclosed"]}', "'(unclosed'"),
    ('oceanbase.obshell.dag_info: {port: 70000}', 'port must be between 1 and 65535'),
])
def test_bad_input_gives_one_clear_message(sim_cluster, tmp_path, task, expected):
    playbook = """
- hosts: obs1
  gather_facts: false
  tasks:
    - name: Bad input
      %s
      register: out
      ignore_errors: true  # noqa: ignore-errors
""" % task + save('out', 'out', tmp_path)
    result = run_playbook(playbook, local_inventory({'obs1': None}))
    assert result.rc == 0, result.output
    out = load(tmp_path, 'obs1-out.json')
    assert out['failed'] is True and expected in out['msg'], out
    assert 'Traceback' not in result.stdout + result.stderr


def test_unreachable_agent_and_wrong_password_name_the_host(sim_cluster, tmp_path):
    sim = sim_cluster(agents=1, password=PASSWORD)
    sim.agents[0].go_down(120)
    other = sim_cluster(agents=1, password=PASSWORD)
    playbook = """
- hosts: obs1
  gather_facts: false
  tasks:
    - name: Down
      oceanbase.obshell.dag_info: {port: %d, retries: 0, request_timeout: 2}
      register: down
      ignore_errors: true  # noqa: ignore-errors
    - name: Wrong password
      oceanbase.obshell.dag_info: {port: %d, password: wrong-pw}
      register: wrong
      ignore_errors: true  # noqa: ignore-errors
    - name: Collect
      ansible.builtin.set_fact:
        outcome: {down: "{{ down }}", wrong: "{{ wrong }}"}
""" % (sim.agents[0].port, other.agents[0].port) + save('outcome', 'errors', tmp_path)
    result = run_playbook(playbook, local_inventory({'obs1': None}))
    assert result.rc == 0, result.output
    outcome = load(tmp_path, 'obs1-errors.json')
    assert sim.agents[0].address in outcome['down']['msg'] and 'cannot connect' in outcome['down']['msg']
    assert outcome['down']['error']['kind'] == 'unreachable'
    wrong = outcome['wrong']
    assert other.agents[0].address in wrong['msg'] and 'root@sys password is wrong' in wrong['msg']
    assert wrong['error']['err_code'] == 'Security.Authentication.IncorrectOceanbasePassword'
    assert 'Traceback' not in result.stdout + result.stderr


def test_check_mode_reads_and_changes_nothing(sim_cluster, tmp_path):
    sim, dag_id = held_cluster(sim_cluster)
    playbook = """
- hosts: obs1
  gather_facts: false
  tasks:
    - name: Read in check mode
      oceanbase.obshell.dag_info: {port: "{{ obshell_port }}", password: "%s"}
      register: info
""" % PASSWORD + save('info', 'info', tmp_path)
    result = run_playbook(playbook, inventory_for(sim), extra_args=['--check'])
    assert result.rc == 0, result.output
    info = load(tmp_path, 'obs1-info.json')
    assert info['changed'] is False and [d['id'] for d in info['dags']] == [dag_id]
    assert not [e for e in sim.requests if e['method'] == 'POST']


def test_passwords_never_appear_at_vvvv(sim_cluster, tmp_path):
    root_pw = 'ZqX-root-9f3k'
    agent_pw = 'ZqX-agent-7h2m'
    sim = sim_cluster(agents=2, password=root_pw, agent_password=agent_pw, scenario='scale_out_fail',
                      step_seconds=0.05)
    log_path = os.path.join(str(tmp_path), 'ansible.log')
    playbook = """
- hosts: obs1
  gather_facts: true
  vars:
    ansible_facts_modules: [oceanbase.obshell.facts]
  module_defaults:
    group/oceanbase.obshell.obshell:
      port: "{{ obshell_port }}"
      agent_password: "%(agent)s"
  tasks:
    - name: As options
      oceanbase.obshell.dag_info: {password: "%(root)s", agent_password: "%(agent)s", details: full}
    - name: From the environment (OBSHELL_PASSWORD of the ansible-playbook process; a task-level `environment:`
        would put it on the command line that Ansible itself prints at -vvv)
      oceanbase.obshell.dag_info: {scope: agent, agent_password: null}
    - name: A failure with a wrong password
      oceanbase.obshell.dag_info: {agent_password: "%(agent)s-wrong"}
      ignore_errors: true  # noqa: ignore-errors
    - name: The lookup with inventory variables
      ansible.builtin.debug:
        msg: "{{ query('oceanbase.obshell.unfinished_dags', '127.0.0.1:' ~ obshell_port) }}"
      vars:
        obshell_password: "%(root)s"
        obshell_agent_password: "%(agent)s"
""" % dict(root=root_pw, agent=agent_pw)
    result = run_playbook(playbook, inventory_for(sim), extra_args=['-vvvv'],
                          extra_env={'ANSIBLE_LOG_PATH': log_path, 'OBSHELL_PASSWORD': root_pw})
    assert result.rc == 0, result.output
    with open(log_path) as handle:
        logged = handle.read()
    assert 'Agent password is incorrect' in result.stdout  # the failure really happened
    for text in (result.stdout, result.stderr, logged):
        assert root_pw not in text and agent_pw not in text


def test_an_agents_words_cannot_drive_the_terminal_from_any_plugin(sim_cluster, tmp_path):
    # An agent's error message with escapes that erase the line and print a result of its own. ansible-core 2.19+
    # prints a module's msg, a lookup's error and warnings as they are: each must arrive escaped (found by the red
    # team for the lookup; modules on 2.19+ too).
    forged = '\x1b[2K\r\x1b[1;32mok: [obs1] => all idle\x1b[0m\x07\u200f'
    sim = sim_cluster(agents=1, password=PASSWORD, scenario='idle')
    good = sim_cluster(agents=1, password=PASSWORD, scenario='idle')
    api = sim.agents[0].api
    api.h_info = lambda agent, req, ctx: api.fail(agent, ctx, 'Common.Unexpected', status=500, message=forged)
    tasks = ''.join("""
    - name: {name}
      {task}
      ignore_errors: true
""".format(name=name, task=task) for name, task in (
        ('Info', 'oceanbase.obshell.dag_info: {}'),
        ('Facts', 'oceanbase.obshell.facts: {}'),
        ('Wait', 'oceanbase.obshell.dag_wait: {timeout: 2}'),
        ('Operate', 'oceanbase.obshell.dag: {id: "11", state: retried, wait: false}'),
        ('Lookup', 'ansible.builtin.debug: {msg: "{{ query(\'oceanbase.obshell.unfinished_dags\', '
                   '\'127.0.0.1:%d\', retries=0) }}"}' % sim.agents[0].port),
        ('Lookup warning', 'ansible.builtin.debug: {msg: "{{ query(\'oceanbase.obshell.unfinished_dags\', '
                           '\'127.0.0.1:%d\', \'127.0.0.1:%d\', scope=\'agent\', retries=0, '
                           'on_unreachable=\'warn\') }}"}' % (sim.agents[0].port, good.agents[0].port))))
    playbook = """
- hosts: obs1
  gather_facts: false
  tasks:%s""" % tasks
    result = run_playbook(playbook, inventory_for(sim, obshell_password=PASSWORD, obshell_host='127.0.0.1',
                                                  obshell_retries=0), workdir=tmp_path)
    assert result.rc == 0, result.output
    printed = result.stdout + result.stderr
    assert result.output.count('TASK [') == 6
    for char in ('\x1b', '\r', '\x07'):
        assert char not in printed, (char, result.output)
    # Results are data (the agent's words kept as they are, JSON-escaped by the callback); the lines Ansible prints
    # as they are escape even the invisible bidirectional mark.
    plain = [line for line in printed.splitlines() if line.startswith(('[ERROR]', '[WARNING]'))]
    assert any(line.startswith('[WARNING]: unfinished_dags: cannot reach 1 of 2') for line in plain), result.output
    assert not any('\u200f' in line for line in plain), result.output
    assert '\\e[2K\\r\\e[1;32mok: [obs1] => all idle' in printed, result.output
