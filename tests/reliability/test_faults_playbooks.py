# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Faults end to end: real ansible-playbook runs of the role, dag_wait, dag_info and the lookup against the
simulator, for the cases where what Ansible itself does matters (host fan-out, combined verdicts, tracebacks)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import threading
import time

from tests.integration._ansible import local_inventory, run_playbook
from tests.reliability._support import PASSWORD, figure, requests_to, with_err_code
from tests.simulator.waiting import wait_until

DECRYPT_FAILED = 'Security.Authentication.Header.DecryptFailed'
LISTS = ('/api/v1/task/dag/unfinish', '/api/v1/task/dag/ob/unfinish', '/api/v1/task/dag/agent/unfinish')

ROLE_RUN = """
- name: Role run {label}
  hosts: observers
  gather_facts: false
  tasks:
    - name: Run the role ({label})
      block:
        - name: Wait for tasks
          ansible.builtin.include_role:
            name: oceanbase.obshell.wait_for_tasks
          vars: {role_vars}
      rescue:
        - name: Keep the failure message
          ansible.builtin.set_fact:
            test_failed_msg: "{{{{ ansible_failed_result.msg }}}}"
      always:
        - name: Save the verdict
          ansible.builtin.copy:
            content: >-
              {{{{ {{'result': wait_for_tasks_result | default(none),
                   'failed_msg': test_failed_msg | default(none)}} | to_json }}}}
            dest: "{out}/{{{{ inventory_hostname }}}}-{label}.json"
            mode: "0600"
        - name: Forget the failure message
          ansible.builtin.set_fact:
            test_failed_msg: null
"""


def role_play(label, tmp_path, **role_vars):
    variables = {'wait_for_tasks_poll_interval': 0.5}
    variables.update(role_vars)
    return ROLE_RUN.format(label=label, role_vars=json.dumps(variables), out=str(tmp_path))


def inventory_for(sim, **group_vars):
    hosts = dict(('obs%d' % (index + 1), {'ansible_host': '127.0.0.1', 'obshell_port': agent.port})
                 for index, agent in enumerate(sim.agents))
    group_vars.setdefault('obshell_password', PASSWORD)
    return local_inventory(hosts, group='observers', **group_vars)


def load(tmp_path, name):
    with open(os.path.join(str(tmp_path), name)) as handle:
        return json.load(handle)


def when_first_listed(sim, action):
    """Run ``action`` in a thread as soon as any agent was asked for its list (the wait has started)."""
    def run():
        if wait_until(lambda: any(r['path'] in LISTS for r in sim.requests), timeout=90, interval=0.05):
            action()
    thread = threading.Thread(target=run)
    thread.daemon = True
    thread.start()
    return thread


def test_role_through_an_upgrade_that_restarts_every_agent_with_a_new_key(sim_cluster, tmp_path):
    """Fault: a rolling upgrade DAG during which every agent restarts with a new RSA key (scenario upgrade_restart),
    started once the role is waiting.
    Verdict: succeeded on every host; the polled agent answered DecryptFailed exactly once (one key re-fetch)."""
    sim = sim_cluster(agents=3, password=PASSWORD, scenario='idle', step_seconds=0.25)
    when_first_listed(sim, lambda: sim.run_scenario('upgrade_restart'))
    started = time.monotonic()
    result = run_playbook(role_play('upgrade', tmp_path, wait_for_tasks_appear_timeout=3,
                                    wait_for_tasks_names=['^OB rolling upgrade']), inventory_for(sim))
    seconds = time.monotonic() - started
    assert result.rc == 0, result.output
    verdict = load(tmp_path, 'obs1-upgrade.json')['result']
    assert verdict['outcome'] == 'succeeded', verdict['msg']
    assert verdict['cluster']['outcome'] == 'succeeded'
    assert [d['name'] for d in verdict['dags']] == ['OB rolling upgrade 4.3.5.0-100000202024123117']
    assert len([e for e in sim.events if e[1] == 'restart']) == 3
    agent0 = sim.agents[0]
    assert len(with_err_code(agent0, DECRYPT_FAILED)) == 1, [r['err_code'] for r in agent0.requests]
    assert with_err_code(sim, DECRYPT_FAILED) == with_err_code(agent0, DECRYPT_FAILED)
    assert 'Traceback' not in result.stdout + result.stderr
    figure('upgrade_restart through the role', 'DecryptFailed answers / key fetches on the polled agent',
           '1 / %d' % len(requests_to(agent0, '/api/v1/secret')))
    figure('upgrade_restart through the role', 'playbook wall time (s)', round(seconds, 1))


def test_dag_wait_not_failing_on_unreachable_keeps_the_host_in_the_play(sim_cluster, tmp_path):
    """Fault: the agent is down; dag_wait is told not to fail on unreachable (fail_on without it).
    Verdict: the task is ok, with outcome unreachable in its result, and the host stays in the play. A result key
    named `unreachable` holding a truthy value would make Ansible declare the *host* unreachable instead: the task
    could then be neither registered nor rescued, and the host would leave the play."""
    sim = sim_cluster(agents=1, password=PASSWORD, scenario='idle')
    sim.agents[0].go_down()
    playbook = """
- name: Tolerate an unreachable agent
  hosts: obs1
  gather_facts: false
  tasks:
    - name: Wait, not failing on unreachable
      oceanbase.obshell.dag_wait:
        port: "{{ obshell_port }}"
        poll_interval: 0.5
        unreachable_timeout: 1
        fail_on: [failed]
      register: waited
    - name: Save
      ansible.builtin.copy:
        content: "{{ waited | to_json }}"
        dest: "%s/waited.json"
        mode: "0600"
""" % str(tmp_path)
    result = run_playbook(playbook, inventory_for(sim))
    recap = result.recap()['obs1']
    assert recap['unreachable'] == 0, 'Ansible declared the host unreachable: %s' % [
        line for line in result.stdout.splitlines() if 'UNREACHABLE!' in line][:1]
    assert result.rc == 0, result.output
    waited = load(tmp_path, 'waited.json')
    assert waited['outcome'] == 'unreachable' and waited['failed'] is False


def test_role_with_one_agent_down_names_it_and_keeps_the_other_verdicts(sim_cluster, tmp_path):
    """Fault: the agent of obs3 is down for the whole run, while obs2 runs a local DAG and the cluster a scale-out.
    Verdict: the cluster and obs2 parts say succeeded, obs1 idle, obs3 unreachable after unreachable_timeout.
    With the default policy (unreachable in fail_on) the play fails, naming obs3 and its agent; with unreachable
    left out of fail_on it passes, and the combined outcome still says unreachable."""
    scenario = {'name': 'scale-out and a local DAG on agent 1',
                'dags': [{'template': 'scale_out', 'step_seconds': 0.8},
                         {'template': 'start_observer', 'scope': 'local', 'agent': 1, 'step_seconds': 2.0}]}
    sim = sim_cluster(agents=3, password=PASSWORD, scenario=scenario)
    down = sim.agents[2]
    down.go_down()
    playbook = role_play('strict', tmp_path, wait_for_tasks_unreachable_timeout=2) + role_play(
        'tolerant', tmp_path, wait_for_tasks_unreachable_timeout=2,
        wait_for_tasks_fail_on=['failed', 'rolled_back', 'passed', 'canceled', 'timeout'])
    result = run_playbook(playbook, inventory_for(sim))

    strict = load(tmp_path, 'obs1-strict.json')
    verdict = strict['result']
    parts = dict((host, part['outcome']) for host, part in verdict['per_host'].items())
    assert parts == {'obs1': 'idle', 'obs2': 'succeeded', 'obs3': 'unreachable'}, (
        'per-host verdicts %s, combined %s: %s; Ansible recap %s'
        % (parts, verdict['outcome'], verdict['msg'], result.recap()))
    assert verdict['outcome'] == 'unreachable' and verdict['failed'] is True, verdict
    assert verdict['cluster']['outcome'] == 'succeeded'
    assert down.address in verdict['per_host']['obs3']['msg']
    assert strict['failed_msg'].startswith('unreachable: obs3: agent %s has not answered for ' % down.address)
    assert 'obs1' not in strict['failed_msg'] and 'obs2' not in strict['failed_msg']
    for host in ('obs2', 'obs3'):
        assert load(tmp_path, '%s-strict.json' % host)['result'] == verdict  # one verdict for the play
    assert result.recap()['obs3']['unreachable'] == 0, result.output
    assert result.rc == 0, result.output

    tolerant = load(tmp_path, 'obs1-tolerant.json')
    assert tolerant['failed_msg'] is None
    assert tolerant['result']['failed'] is False and tolerant['result']['outcome'] == 'unreachable'
    assert tolerant['result']['per_host']['obs3']['outcome'] == 'unreachable'
    figure('one of three agents down (role)', 'verdict (default fail_on)', strict['failed_msg'][:120])
    figure('one of three agents down (role)', 'obs3 part ended after (s)', verdict['per_host']['obs3']['elapsed'])


def test_malformed_answers_end_to_end_are_clear_errors_without_traceback(sim_cluster, tmp_path):
    """Fault: an empty body, truncated JSON and an envelope without its fields, through dag_info, dag_wait and the
    lookup, at -vvv (where a module traceback would be printed).
    Verdict: each task fails with a message naming the agent and what came back; no traceback anywhere."""
    sim = sim_cluster(agents=3, password=PASSWORD, scenario='scale_out', step_seconds=0.5)
    for agent, kind in zip(sim.agents, ('empty', 'truncated', 'missing_fields')):
        agent.inject_malformed(kind, count=1)
    ports = [agent.port for agent in sim.agents]
    playbook = """
- name: Malformed answers
  hosts: localhost
  gather_facts: false
  tasks:
    - name: dag_info gets an empty body
      oceanbase.obshell.dag_info: {port: %d, password: "%s"}
      register: info
      ignore_errors: true
    - name: dag_wait gets truncated JSON
      oceanbase.obshell.dag_wait: {port: %d, password: "%s", poll_interval: 0.5}
      register: waited
      ignore_errors: true
    - name: The lookup gets an envelope without its fields
      block:
        - name: Ask
          ansible.builtin.debug:
            msg: "{{ query('oceanbase.obshell.unfinished_dags', '127.0.0.1:%d', password='%s') }}"
      rescue:
        - name: Keep the message
          ansible.builtin.set_fact:
            lookup_msg: "{{ ansible_failed_result.msg }}"
    - name: Save
      ansible.builtin.copy:
        content: "{{ {'info': info, 'waited': waited, 'lookup': lookup_msg} | to_json }}"
        dest: "%s/malformed.json"
        mode: "0600"
""" % (ports[0], PASSWORD, ports[1], PASSWORD, ports[2], PASSWORD, str(tmp_path))
    result = run_playbook(playbook, local_inventory({'localhost': None}, group='controller'), extra_args=['-vvv'])
    assert result.rc == 0, result.output
    saved = load(tmp_path, 'malformed.json')
    assert saved['info']['failed'] is True
    assert saved['info']['msg'] == ('OBShell agent %s: GET /api/v1/info: HTTP 200 with an empty body, not an OBShell '
                                    'JSON envelope' % sim.agents[0].address)
    assert saved['info']['error']['kind'] == 'protocol'
    assert saved['waited']['outcome'] == 'error' and saved['waited']['error']['kind'] == 'protocol'
    assert sim.agents[1].address in saved['waited']['msg'] and 'not an OBShell JSON envelope' in saved['waited']['msg']
    assert sim.agents[2].address in saved['lookup'] and 'not an OBShell JSON envelope' in saved['lookup']
    assert 'Traceback' not in result.stdout + result.stderr, result.output
    assert 'MODULE FAILURE' not in result.stdout and 'unhandled exception' not in result.stdout + result.stderr
    for name, text in (('dag_info', saved['info']['msg']), ('dag_wait', saved['waited']['msg']),
                       ('lookup', saved['lookup'])):
        figure('malformed answer end to end', name, text[text.find('OBShell agent'):][:140])


def test_lookup_asks_fifty_agents_at_once_with_one_request_each_per_question(sim_cluster, tmp_path):
    """Fault: 50 agents, each with a running local DAG, asked by one lookup call.
    Verdict: 50 records, one per agent; each agent got exactly info, key, the list, the list with details; all 200."""
    count = 50
    scenario = {'name': '50 local DAGs',
                'dags': [{'template': 'start_observer', 'scope': 'local', 'agent': index, 'step_seconds': 60}
                         for index in range(count)]}
    sim = sim_cluster(agents=count, password=PASSWORD, scenario=scenario, profile='4.4.1')
    terms = ', '.join("'%s'" % agent.address for agent in sim.agents)
    playbook = """
- name: Fifty agents
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Ask them all at once
      ansible.builtin.set_fact:
        busy: "{{ query('oceanbase.obshell.unfinished_dags', %s, password='%s', scope='agent') }}"
    - name: Save
      ansible.builtin.copy:
        content: "{{ busy | to_json }}"
        dest: "%s/fifty.json"
        mode: "0600"
""" % (terms, PASSWORD, str(tmp_path))
    sim.reset_log()
    result = run_playbook(playbook, local_inventory({'localhost': None}, group='controller'))
    assert result.rc == 0, result.output
    records = load(tmp_path, 'fifty.json')
    assert len(records) == count and len(set(r['id'] for r in records)) == count
    assert sorted(r['agent'] for r in records) == sorted(agent.address for agent in sim.agents)
    assert [r for r in sim.requests if r['status'] != 200] == []
    per_agent = [[r['path'] for r in agent.requests] for agent in sim.agents]
    expected = ['/api/v1/info', '/api/v1/secret', '/api/v1/task/dag/agent/unfinish', '/api/v1/task/dag/agent/unfinish']
    assert all(paths == expected for paths in per_agent), per_agent
    spread = max(r['end'] for r in sim.requests) - min(r['time'] for r in sim.requests)
    figure('lookup over 50 agents', 'requests per agent / failed', '4 / 0')
    figure('lookup over 50 agents', 'first to last request (s)', round(spread, 2))
