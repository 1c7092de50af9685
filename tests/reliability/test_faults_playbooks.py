# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Faults end to end: real ansible-playbook runs of the role, dag_wait, dag_info and the lookup against the
simulator, for the cases where what Ansible itself does matters (host fan-out, combined verdicts, tracebacks).

The role is a few tasks around one dag_wait with ``hosts`` (run_once): one watcher reads the cluster DAGs from the
first CLUSTER AGENT and every host's own DAGs, and each host then fails with its own part of the one verdict
(``wait_for_tasks_result.per_host[host].msg``)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re
import threading
import time

from tests.integration._ansible import local_inventory, run_playbook
from tests.reliability._support import (
    AGENT_LIST,
    AGGREGATED_LIST,
    CLUSTER_LIST,
    LISTS,
    PASSWORD,
    figure,
    load,
    requests_to,
    role_play,
    with_err_code,
)
from tests.simulator.scenarios import held_dag, held_scale_out
from tests.simulator.waiting import wait_until

DECRYPT_FAILED = 'Security.Authentication.Header.DecryptFailed'
# Every outcome in fail_on but unreachable: a batch that tolerates an agent that does not answer.
TOLERANT = ['failed', 'rolled_back', 'passed', 'canceled', 'timeout']
# A verdict may come this late after the moment it was due (one poll's reads, and scheduling).
MARGIN = 0.75


def inventory_for(sim, **group_vars):
    hosts = dict(('obs%d' % (index + 1), {'ansible_host': '127.0.0.1', 'obshell_port': agent.port})
                 for index, agent in enumerate(sim.agents))
    group_vars.setdefault('obshell_password', PASSWORD)
    return local_inventory(hosts, group='observers', **group_vars)


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
    """Fault: a rolling upgrade DAG during which every agent restarts with a new RSA key and each zone's observer is
    down while it is reinstalled (scenario upgrade_restart), started once the role is waiting.
    Verdict: succeeded on every host. Every agent is read by its own client (its own DAGs; the first also the
    cluster DAGs), so each answered DecryptFailed exactly once and gave its key twice (the first and the new one):
    one re-fetch per restart, no loop. The observers being down never made the cluster DAGs look finished."""
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
    assert verdict['dags'][0]['state'] == 'SUCCEED'
    assert len([e for e in sim.events if e[1] == 'restart']) == 3
    for agent in sim.agents:
        assert len(with_err_code(agent, DECRYPT_FAILED)) == 1, (agent.address, [r['err_code'] for r in agent.requests])
        assert len(requests_to(agent, '/api/v1/secret')) == 2, agent.address
    assert len(with_err_code(sim, DECRYPT_FAILED)) == 3
    assert requests_to(sim, AGGREGATED_LIST) == []
    assert 'Traceback' not in result.stdout + result.stderr
    figure('upgrade_restart through the role', 'DecryptFailed answers / key fetches, per agent', '1 / 2')
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
    assert 'unreachable' not in waited
    assert waited['unreachable_agent']['agent'] == sim.agents[0].address
    assert 'agent %s has not answered for 0:01 (unreachable_timeout 1s)' % sim.agents[0].address in waited['msg']


def test_role_with_one_agent_down_fails_every_host_naming_it(sim_cluster, tmp_path):
    """Fault: the agent of obs3 is down for the whole run, while obs2 runs a local DAG and the cluster a scale-out
    (both held, so they are still running when obs3's budget is spent).
    Verdict: with the default policy (unreachable in fail_on) the wait ends as soon as obs3 has not answered for
    unreachable_timeout (fail fast: nothing can make the batch pass any more), and every host of the batch fails
    with one verdict: obs3 with its own reason alone; obs1 (idle) and obs2 (its DAG still running when the wait
    ended) each with their own state first, then obs3's reason. No host leaves the play as UNREACHABLE."""
    local = held_dag('start_observer', hold_at=2, agent=1)['dags'][0]
    local['scope'] = 'local'
    scenario = {'name': 'a held scale-out and a held local DAG on agent 1',
                'dags': held_scale_out(hold_at=3)['dags'] + [local]}
    sim = sim_cluster(agents=3, password=PASSWORD, scenario=scenario)
    down = sim.agents[2]
    down.go_down()
    result = run_playbook(role_play('strict', tmp_path, wait_for_tasks_unreachable_timeout=2), inventory_for(sim))
    assert result.rc == 0, result.output
    assert dict((host, counts['unreachable']) for host, counts in result.recap().items()) == \
        {'obs1': 0, 'obs2': 0, 'obs3': 0}, result.output

    saved = dict((host, load(tmp_path, '%s-strict.json' % host)) for host in ('obs1', 'obs2', 'obs3'))
    verdict = saved['obs1']['result']
    for host in ('obs2', 'obs3'):
        assert saved[host]['result'] == verdict  # one verdict for the play
    outcomes = dict((host, part['outcome']) for host, part in verdict['per_host'].items())
    assert outcomes == {'obs1': 'idle', 'obs2': 'running', 'obs3': 'unreachable'}, (
        'per-host verdicts %s, combined %s: %s; Ansible recap %s'
        % (outcomes, verdict['outcome'], verdict['msg'], result.recap()))
    assert verdict['outcome'] == 'unreachable', verdict['msg']
    assert [verdict['per_host'][host]['failed'] for host in ('obs1', 'obs2', 'obs3')] == [True, True, True]
    assert verdict['cluster']['outcome'] == 'running', verdict['cluster']['msg']
    assert verdict['unreachable_agent']['agent'] == down.address
    # Fail fast: the wait ended when obs3's budget was spent, not when the held DAGs would have ended.
    assert 2.0 <= verdict['elapsed'] <= 2.0 + MARGIN, verdict['elapsed']
    reason = 'obs3: agent %s has not answered for 0:02 (unreachable_timeout 2s): ' % down.address
    assert saved['obs3']['failed_msg'].startswith('unreachable: ' + reason), saved['obs3']['failed_msg']
    assert 'obs1' not in saved['obs3']['failed_msg'] and 'obs2' not in saved['obs3']['failed_msg']
    obs1 = saved['obs1']['failed_msg']
    assert obs1.startswith('unreachable: obs1: no matching unfinished DAG; nothing to wait for; elsewhere in the '
                           'batch: ' + reason), obs1
    obs2 = saved['obs2']['failed_msg']
    assert obs2.startswith("unreachable: obs2: still running when the wait ended: DAG "), obs2
    assert "'Start observer' still RUNNING at 2/" in obs2 and '; elsewhere in the batch: ' + reason in obs2, obs2
    assert obs2.index('Start observer') < obs2.index('elsewhere in the batch')
    # What the one watcher printed: obs3's outage under its own name, and the last line of the task.
    lines = result.stdout.splitlines()
    assert [line for line in lines if line.startswith('obs3 | ') and 'retrying for up to 0:02' in line], result.stdout
    assert [line for line in lines if re.match(r'^obs1 \| done: unreachable in 0:02 after \d+ polls \(3 hosts\)$', line)], \
        result.stdout
    figure('one of three agents down (role)', 'verdict on obs3 (default fail_on)', saved['obs3']['failed_msg'][:120])
    figure('one of three agents down (role)', 'wait ended after (s)', verdict['elapsed'])


def test_the_roles_result_says_failed_when_the_hosts_failed(sim_cluster, tmp_path):
    """Fault: the only host's agent is down (unreachable_timeout 1 s), so the role fails the host.
    Verdict: the host fails with the reason, and the result fact says so: wait_for_tasks_result.failed is true
    (roles/wait_for_tasks/README.md: "`failed`: Whether the hosts failed"), as per_host[host].failed is."""
    # Failed before the fix, which this test guards: the role registers dag_wait's combined result with
    # `failed_when: false` (roles/wait_for_tasks/tasks/main.yml, so that the per-host task can fail each host),
    # and Ansible then sets the registered `failed` to false. The result fact says failed: false, outcome
    # unreachable, next to a host that failed: a playbook that rescues the role, or reads the fact in a later
    # play, and checks `wait_for_tasks_result.failed` is told the batch passed.
    sim = sim_cluster(agents=1, password=PASSWORD, scenario='idle')
    sim.agents[0].go_down()
    result = run_playbook(role_play('down', tmp_path, wait_for_tasks_unreachable_timeout=1), inventory_for(sim))
    assert result.rc == 0, result.output
    saved = load(tmp_path, 'obs1-down.json')
    verdict = saved['result']
    assert saved['failed_msg'].startswith('unreachable: '), saved['failed_msg']
    assert 'obs1: agent %s has not answered for 0:01' % sim.agents[0].address in saved['failed_msg']
    assert verdict['outcome'] == 'unreachable' and verdict['per_host']['obs1']['failed'] is True
    assert verdict['failed'] is True, 'wait_for_tasks_result.failed is %r while the host failed: %s' % (
        verdict['failed'], saved['failed_msg'])


def test_role_tolerating_an_agent_down_waits_for_the_others_and_still_says_unreachable(sim_cluster, tmp_path):
    """Fault: the agent of obs3 is down for the whole run; once the role waits, the cluster runs a scale-out and obs2
    a local DAG; unreachable is left out of fail_on.
    Verdict: the play passes; the wait goes on past obs3's budget until the other parts end: the cluster part and
    obs2 succeeded, obs1 idle, obs3 unreachable, and the combined outcome still says unreachable."""
    sim = sim_cluster(agents=3, password=PASSWORD, scenario='idle', step_seconds=0.4)
    down = sim.agents[2]
    down.go_down()
    scenario = {'name': 'scale-out and a local DAG on agent 1',
                'dags': [{'template': 'scale_out'}, {'template': 'start_observer', 'scope': 'local', 'agent': 1}]}
    when_first_listed(sim, lambda: sim.run_scenario(scenario))
    result = run_playbook(role_play('tolerant', tmp_path, wait_for_tasks_unreachable_timeout=2,
                                    wait_for_tasks_appear_timeout=10, wait_for_tasks_fail_on=TOLERANT),
                          inventory_for(sim))
    assert result.rc == 0, result.output
    saved = dict((host, load(tmp_path, '%s-tolerant.json' % host)) for host in ('obs1', 'obs2', 'obs3'))
    assert [saved[host]['failed_msg'] for host in saved] == [None, None, None]
    verdict = saved['obs1']['result']
    assert verdict['failed'] is False and verdict['outcome'] == 'unreachable', verdict['msg']
    outcomes = dict((host, part['outcome']) for host, part in verdict['per_host'].items())
    assert outcomes == {'obs1': 'idle', 'obs2': 'succeeded', 'obs3': 'unreachable'}, verdict['msg']
    assert verdict['cluster']['outcome'] == 'succeeded', verdict['cluster']['msg']
    assert sorted(d['name'] for d in verdict['dags']) == ['Cluster scale out', 'Start observer']
    assert down.address in verdict['per_host']['obs3']['msg']
    assert all(d['state'] == 'SUCCEED' for d in verdict['dags'])
    figure('one of three agents down, unreachable tolerated (role)', 'combined outcome / failed / wait ended after (s)',
           '%s / %s / %.1f' % (verdict['outcome'], verdict['failed'], verdict['elapsed']))


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
    # dag_wait on the controller asks the play's host (localhost) at the port given: the agent as addressed.
    assert saved['waited']['msg'].startswith('error: localhost: cannot wait: OBShell agent localhost:%d: '
                                             % sim.agents[1].port), saved['waited']['msg']
    assert 'not an OBShell JSON envelope' in saved['waited']['msg']
    assert sim.agents[2].address in saved['lookup'] and 'not an OBShell JSON envelope' in saved['lookup']
    assert 'Traceback' not in result.stdout + result.stderr, result.output
    assert 'MODULE FAILURE' not in result.stdout and 'unhandled exception' not in result.stdout + result.stderr
    for name, text in (('dag_info', saved['info']['msg']), ('dag_wait', saved['waited']['msg']),
                       ('lookup', saved['lookup'])):
        figure('malformed answer end to end', name, text[text.find('OBShell agent'):][:140])


def test_lookup_asks_fifty_agents_at_once_with_one_request_each_per_question(sim_cluster, tmp_path):
    """Fault: 50 agents, each with a running local DAG, and a scale-out on the cluster, asked by one lookup call
    (scope auto, the default).
    Verdict: 51 records: each agent's own DAG from that agent, and the cluster DAG once, from the first CLUSTER
    AGENT only. Each agent got exactly info, key, its own list and that list with details; the first agent also the
    cluster list and that list with details, and /api/v1/ob/info once (every CLUSTER AGENT asked is of its
    cluster); all 200, nothing read the aggregated list."""
    count = 50
    scenario = {'name': '50 local DAGs and a scale-out',
                'dags': held_scale_out(hold_at=3)['dags']
                + [{'template': 'start_observer', 'scope': 'local', 'agent': index, 'step_seconds': 60}
                   for index in range(count)]}
    sim = sim_cluster(agents=count, password=PASSWORD, scenario=scenario, profile='4.4.1')
    scale_out = sim.find_dag('Cluster scale out')
    terms = ', '.join("'%s'" % agent.address for agent in sim.agents)
    playbook = """
- name: Fifty agents
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Ask them all at once
      ansible.builtin.set_fact:
        busy: "{{ query('oceanbase.obshell.unfinished_dags', %s, password='%s') }}"
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
    assert len(records) == count + 1 and len(set(r['id'] for r in records)) == count + 1
    cluster = [r for r in records if r['kind'] == 'cluster']
    assert [r['id'] for r in cluster] == [scale_out] and cluster[0]['seen_on'] == [sim.agents[0].address]
    assert cluster[0]['current_node'] == 'Wait scale out ready'
    own = [r for r in records if r['kind'] == 'agent']
    assert sorted(r['agent'] for r in own) == sorted(agent.address for agent in sim.agents)
    assert all(r['seen_on'] == [r['agent']] and r['current_node'] for r in own)
    assert [r for r in sim.requests if r['status'] != 200] == []
    assert requests_to(sim, AGGREGATED_LIST) == []
    per_agent = [[(r['path'], r['query']) for r in agent.requests] for agent in sim.agents]
    own_reads = [('/api/v1/info', ''), ('/api/v1/secret', ''), (AGENT_LIST, 'show_details=false'),
                 (AGENT_LIST, 'show_details=true')]
    cluster_reads = [(CLUSTER_LIST, 'show_details=false'), (CLUSTER_LIST, 'show_details=true'),
                     ('/api/v1/ob/info', '')]
    assert per_agent[0] == own_reads + cluster_reads, per_agent[0]
    assert all(paths == own_reads for paths in per_agent[1:]), [p for p in per_agent[1:] if p != own_reads][:3]
    spread = max(r['end'] for r in sim.requests) - min(r['time'] for r in sim.requests)
    figure('lookup over 50 agents', 'requests per agent (first agent) / failed', '4 (7) / 0')
    figure('lookup over 50 agents', 'first to last request (s)', round(spread, 2))
