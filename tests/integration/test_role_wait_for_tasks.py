# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The role oceanbase.obshell.wait_for_tasks, run by real ansible-playbook against simulated agents."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import re
import time

import pytest

from tests.integration._ansible import local_inventory, run_playbook
from tests.simulator.scenarios import held_scale_out
from tests.simulator.waiting import wait_until
from tests.support.sim_requests import after_first_poll, task_requests

PASSWORD = 'R0le/Wait-pass'
POLL = 0.5
IDLE = 'no matching unfinished DAG; nothing to wait for'

# The role inside block/rescue, so that the facts of a failed run can be saved for the test. `returned_at` is the
# monotonic clock (system-wide, the simulator's too) when the role had returned on the first host.
PLAYBOOK = """
- name: Wait with the role
  hosts: observers
  gather_facts: false
  {play_keywords}
  tasks:
    - name: Run the role
      block:
        - name: Wait for tasks
          ansible.builtin.include_role:
            name: oceanbase.obshell.wait_for_tasks
          vars: {role_vars}
          {include_keywords}
      rescue:
        - name: Keep the failure message
          ansible.builtin.set_fact:
            test_failed_msg: "{{{{ ansible_failed_result.msg }}}}"
      always:
        - name: Note when the role returned
          ansible.builtin.set_fact:
            test_returned_at: >-
              {{{{ lookup('ansible.builtin.pipe', ansible_playbook_python
                  ~ ' -c "import time; print(repr(time.monotonic()))"') }}}}
          run_once: true
        - name: Save what the test needs
          ansible.builtin.copy:
            content: >-
              {{{{ {{'result': wait_for_tasks_result | default(none), 'failed_msg': test_failed_msg | default(none),
                   'returned_at': test_returned_at}} | to_json }}}}
            dest: "{out}/{{{{ inventory_hostname }}}}.json"
            mode: "0600"
          check_mode: false
"""

PLAIN_PLAYBOOK = """
- name: Wait with the role
  hosts: observers
  gather_facts: false
  {play_keywords}
  roles:
    - role: oceanbase.obshell.wait_for_tasks
      vars: {role_vars}
      {include_keywords}
"""


def inventory_for(sim, hosts=None, host_vars=None, **group_vars):
    agents = sim.agents if hosts is None else sim.agents[:hosts]
    inventory = dict(('obs%d' % (index + 1), {'ansible_host': '127.0.0.1', 'obshell_port': agent.port})
                     for index, agent in enumerate(agents))
    for host, variables in (host_vars or {}).items():
        inventory[host].update(variables)
    if sim.password and 'obshell_password' not in group_vars:
        group_vars['obshell_password'] = sim.password
    group_vars = dict((key, value) for key, value in group_vars.items() if value is not None)
    return local_inventory(inventory, group='observers', **group_vars)


def run_role(sim, tmp_path, role_vars=None, extra_args=(), plain=False, hosts=None, play_keywords='',
             include_keywords='', host_vars=None, extra_env=None, **group_vars):
    variables = {'wait_for_tasks_poll_interval': POLL}
    variables.update(role_vars or {})
    # Each run in a directory of its own, so that a test can run the role more than once.
    runs = len([name for name in os.listdir(str(tmp_path)) if name.startswith('run')])
    tmp_path = tmp_path / ('run%d' % runs)
    tmp_path.mkdir()
    template = PLAIN_PLAYBOOK if plain else PLAYBOOK
    playbook = template.format(role_vars=json.dumps(variables), out=str(tmp_path), play_keywords=play_keywords,
                               include_keywords=include_keywords)
    result = run_playbook(playbook, inventory_for(sim, hosts=hosts, host_vars=host_vars, **group_vars),
                          extra_args=extra_args, workdir=tmp_path, extra_env=extra_env)
    saved = {}
    for name in os.listdir(str(tmp_path)):
        if name.startswith('obs') and name.endswith('.json'):
            with open(os.path.join(str(tmp_path), name)) as handle:
                saved[name[:-5]] = json.load(handle)
    return result, saved


def progress(stdout):
    return [line for line in stdout.splitlines() if re.match(r'^obs\d( \[cluster\])? \| ', line)]


def role_task_hosts(stdout):
    """[(task name, [hosts it reported on])] for the role's tasks, in order, from the default callback's output:
    a run_once task reports on one host, a per-host task on each (ok, skipping, fatal...)."""
    role = 'oceanbase.obshell.wait_for_tasks : '
    tasks = []
    for line in stdout.splitlines():
        header = re.match(r'^(?:TASK|PLAY|RUNNING HANDLER) \[(.*)\] \*', line) or re.match(r'^PLAY RECAP', line)
        if header:
            tasks.append((header.group(1) if header.groups() else '', []))
            continue
        reported = re.match(r'^(?:ok|changed|skipping|fatal|failed|included): \[([^\]\s]+)', line)
        if reported and tasks:
            tasks[-1][1].append(reported.group(1))
    return [(name[len(role):], hosts) for name, hosts in tasks if name.startswith(role)]


# ------------------------------------------------------------------------------------------------- wait


def test_scale_out_succeeds_and_returns_soon_after_the_dag_ends(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, password=PASSWORD, scenario='scale_out', step_seconds=0.5)
    dag_id = sim.find_dag('Cluster scale out')
    result, saved = run_role(sim, tmp_path)
    assert result.rc == 0, result.output
    verdict = saved['obs1']['result']
    assert verdict['outcome'] == 'succeeded', result.output
    assert verdict['failed'] is False
    assert verdict['cluster']['outcome'] == 'succeeded'
    assert verdict['cluster']['host'] == 'obs1'
    assert sorted(verdict['per_host']) == ['obs1', 'obs2', 'obs3']
    assert all(host['outcome'] == 'idle' for host in verdict['per_host'].values())
    assert [d['id'] for d in verdict['dags']] == [dag_id]
    # The same combined verdict on every host.
    assert saved['obs2']['result'] == verdict and saved['obs3']['result'] == verdict
    # Live progress of the one watcher, prefixed with the host whose agent answered.
    lines = progress(result.stdout)
    assert any(line.startswith('obs1 [cluster] | Cluster scale out | 9/9 ') and 'SUCCEED' in line for line in lines)
    assert PASSWORD not in result.stdout + result.stderr

    ended = [e[0] for e in sim.events if e[1] == 'finished' and e[2] == dag_id][0]
    lag = float(saved['obs1']['returned_at']) - ended
    print('\nthe role returned %.2f s after the DAG ended (poll_interval %s s)' % (lag, POLL))
    # Target: poll_interval + 1 s. Generous here so a loaded machine does not make the test flaky.
    assert 0 < lag < POLL + 2.0, lag


@pytest.mark.smoke
def test_the_role_is_a_few_tasks_around_one_watcher(sim_cluster, tmp_path):
    # Per host: the argument validation ansible-core inserts and joining the run; the fail that carries each host's
    # part runs per host only when the batch failed. Everything else runs once for the batch.
    sim = sim_cluster(agents=4, scenario='idle')
    result, saved = run_role(sim, tmp_path)
    assert result.rc == 0, result.output
    tasks = role_task_hosts(result.stdout)
    per_host = [name for name, hosts in tasks if len(hosts) > 1]
    assert len(per_host) == 2 and per_host[1] == 'Take part in this wait', tasks
    # What runs once: the wait, keeping its verdict, and the fail (skipped once); the hosts' own waits are skipped
    # once too (from the controller). No internal step of the role shows up under its own name.
    assert [name for name, hosts in tasks if len(hosts) == 1] == [
        "Wait on each host for its own agent's DAGs (wait_for_tasks_connect_from is target)",
        'Wait for the OBShell task DAGs of the cluster and of every host',
        'Keep the verdict as wait_for_tasks_result on every host',
        'Fail each host whose batch failed, with its own part of the verdict'], tasks
    assert all(len(hosts) == 1 for name, hosts in tasks if name not in per_host), tasks
    verdict = saved['obs4']['result']
    assert verdict['outcome'] == 'idle' and sorted(verdict['per_host']) == ['obs1', 'obs2', 'obs3', 'obs4']
    # A failed batch: the fail runs on every host, each with its own message.
    failing = sim_cluster(agents=4, scenario='scale_out_fail', step_seconds=0.2)
    result, saved = run_role(failing, tmp_path)
    tasks = dict(role_task_hosts(result.stdout))
    assert sorted(tasks['Fail each host whose batch failed, with its own part of the verdict']) == \
        ['obs1', 'obs2', 'obs3', 'obs4'], result.stdout
    assert all(saved[host]['failed_msg'].startswith('failed: ') for host in ('obs1', 'obs2', 'obs3', 'obs4'))


@pytest.mark.smoke
def test_scale_out_fail_fails_every_host_with_node_log_tail_and_what_the_template_allows(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, scenario='scale_out_fail', step_seconds=0.3)
    dag_id = sim.find_dag('Cluster scale out')
    result, saved = run_role(sim, tmp_path)
    assert all(saved[host]['failed_msg'] for host in ('obs1', 'obs2', 'obs3')), result.output
    verdict = saved['obs2']['result']
    assert verdict['outcome'] == 'failed'
    failure = verdict['failures'][0]
    assert failure['node']['name'] == 'Prev check for scale_out'
    assert failure['sub_tasks'][0]['log_tail'][-1].startswith('ERROR: [Common.Unexpected]')
    # The scale-out template allows retry and rollback, not pass (§11.1): only those are suggested.
    assert failure['follow_up']['states'] == ['retried', 'rolled_back']
    expected = ("failed: cluster DAGs (asked %s via obs1): DAG %s 'Cluster scale out' failed at node 6/9 "
                "'Prev check for scale_out' on %s: [Common.Unexpected] Unexpected error: server 127.0.0.1:2882 "
                "already exists in the cluster; to act on it: oceanbase.obshell.dag id=%s state=retried|rolled_back"
                % (sim.agents[0].address, dag_id, sim.agents[0].address, dag_id))
    assert saved['obs1']['failed_msg'] == expected
    # The cluster DAGs concern every host: each says so first.
    assert saved['obs2']['failed_msg'] == expected


def test_plain_roles_keyword_fails_every_host_in_the_recap(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, scenario='scale_out_fail', step_seconds=0.2)
    result, dummy = run_role(sim, tmp_path, plain=True)
    assert result.rc == 2, result.output
    assert all(result.recap()[host]['failed'] == 1 for host in ('obs1', 'obs2', 'obs3')), result.output


def test_a_batch_wait_ends_with_a_table_and_custom_stats(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, scenario='scale_out_fail', step_seconds=0.2)
    dag_id = sim.find_dag('Cluster scale out')
    result, saved = run_role(sim, tmp_path, extra_env={'ANSIBLE_SHOW_CUSTOM_STATS': '1'})
    assert saved['obs1']['result']['outcome'] == 'failed', result.output
    # The table is printed once, as it is: no host name before each of its lines.
    lines = result.stdout.splitlines()
    head = [index for index, line in enumerate(lines) if line.split() == ['HOST', 'OUTCOME', 'TIME', 'DAGS']]
    assert len(head) == 1, result.stdout
    rows = lines[head[0] + 1:head[0] + 5]
    # Just before the done line: the cluster part with its DAG, then every host of the batch, in inventory order.
    assert rows[0].split()[:3] == ['obs1', '[cluster]', 'failed'], rows
    assert rows[0].endswith('%s Cluster scale out: failed' % dag_id), rows
    assert [row.split()[:2] for row in rows[1:]] == [['obs1', 'idle'], ['obs2', 'idle'], ['obs3', 'idle']], rows
    assert lines[head[0] + 5].startswith('obs1 | done: failed in '), lines
    # ANSIBLE_SHOW_CUSTOM_STATS prints the same at the end of the run (AWX keeps it in the job's artifacts).
    custom = result.stdout.split('CUSTOM STATS:', 1)[1]
    assert 'obs1 [cluster]' in custom and dag_id in custom and 'obs3' in custom, custom


def test_an_agent_dag_that_fails_while_the_cluster_dag_runs_fails_the_role(sim_cluster, tmp_path):
    # The role once said "succeeded" here: it waited for the cluster DAG first, and by the time it looked at
    # agent 1, that agent's failed non-maintenance DAG had left its unfinished list.
    sim = sim_cluster(agents=3, scenario='idle', step_seconds=0.4)
    # Started once the wait has read the agents, so that the local DAG fails while the wait is under way.
    after_first_poll(sim, sim.run_scenario, 'local_fail_during_cluster')
    result, saved = run_role(sim, tmp_path, {'wait_for_tasks_appear_timeout': 10})
    local_id = sim.find_dag('Start local observer')
    verdict = saved['obs1']['result']
    assert verdict['outcome'] == 'failed', result.output
    failure = verdict['failures'][0]
    assert (failure['id'], failure['host'], failure['node']['name']) == (local_id, 'obs2', 'Start observer')
    assert failure['sub_tasks'][0]['agent'] == '%s:%d' % (sim.agents[1].ip, sim.agents[1].port)
    assert saved['obs2']['failed_msg'].startswith("failed: obs2: DAG %s 'Start local observer' failed at node 2/3 "
                                                  "'Start observer'" % local_id), saved['obs2']['failed_msg']
    assert 'elsewhere in the batch: obs2' in saved['obs1']['failed_msg']
    # The cluster DAG was still running: fail fast.
    assert verdict['cluster']['outcome'] == 'running'


def test_a_cluster_dag_that_fails_and_leaves_the_list_while_agent_dags_run_fails_the_role(sim_cluster, tmp_path):
    # The mirror: a cluster DAG whose template sets no maintenance fails (and so leaves the list at once) while a
    # long local DAG is waited on.
    scenario = {'name': 'cluster failure during a local DAG', 'dags': [
        {'name': 'Cluster inspection', 'scope': 'cluster', 'maintenance': 'none', 'step_seconds': 0.4,
         'nodes': [{'name': 'Inspect zone1'}, {'name': 'Inspect zone2', 'fail_times': 1}, {'name': 'Report'}]},
        {'template': 'start_observer', 'scope': 'local', 'agent': 1, 'step_seconds': 20}]}
    sim = sim_cluster(agents=3, scenario='idle')
    after_first_poll(sim, sim.run_scenario, scenario)
    result, saved = run_role(sim, tmp_path, {'wait_for_tasks_appear_timeout': 10})
    cluster_id = sim.find_dag('Cluster inspection')
    verdict = saved['obs3']['result']
    assert verdict['outcome'] == 'failed', result.output
    assert verdict['failures'][0]['id'] == cluster_id
    assert verdict['failures'][0]['node']['name'] == 'Inspect zone2'
    assert verdict['per_host']['obs2']['outcome'] == 'running'
    assert all(saved[host]['failed_msg'] for host in ('obs1', 'obs2', 'obs3'))


def test_stop_fail_is_failed_not_succeeded(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, scenario='idle', step_seconds=0.4)
    after_first_poll(sim, sim.run_scenario, 'stop_fail')
    result, saved = run_role(sim, tmp_path, {'wait_for_tasks_appear_timeout': 10})
    verdict = saved['obs1']['result']
    assert verdict['outcome'] == 'failed', result.output
    assert 'Wait for all agents to execute tasks successfully' in verdict['msg']


def test_timeout_is_shared_and_reported(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, scenario=held_scale_out(hold_at=3))
    assert wait_until(lambda: sim.dag_dto(sim.find_dag('Cluster scale out'), False)['stage'] == 3)
    started = time.monotonic()
    result, saved = run_role(sim, tmp_path, {'wait_for_tasks_timeout': 2})
    verdict = saved['obs1']['result']
    assert verdict['outcome'] == 'timeout', result.output
    assert "still RUNNING at 3/9 'Wait scale out ready'" in verdict['msg']
    # The timeout message of each host names only what concerns it, and the cluster part.
    assert time.monotonic() - started < 15


# ------------------------------------------------------------------------------------------------- batches


def test_serial_one_waits_on_each_batch_alone(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, scenario='scale_out', step_seconds=0.2)
    result, saved = run_role(sim, tmp_path, play_keywords='serial: 1')
    assert result.rc == 0, result.output
    # Each batch had only its own host; the cluster DAGs were asked of it.
    for host in ('obs1', 'obs2', 'obs3'):
        verdict = saved[host]['result']
        assert sorted(verdict['per_host']) == [host], verdict
        assert verdict['cluster'] is None or verdict['cluster']['host'] == host


def test_a_host_skipped_by_when_is_neither_waited_on_nor_reported(sim_cluster, tmp_path):
    # The first host is skipped: the cluster DAGs are asked of obs2, and the result says obs2, not obs1.
    scenario = {'name': 'busy obs1', 'dags': [
        {'template': 'scale_out', 'step_seconds': 0.8},
        {'template': 'start_observer', 'scope': 'local', 'agent': 0, 'step_seconds': 30}]}
    sim = sim_cluster(agents=3, scenario=scenario)
    result, saved = run_role(sim, tmp_path, include_keywords="when: inventory_hostname != 'obs1'")
    assert result.rc == 0, result.output
    verdict = saved['obs2']['result']
    assert verdict['outcome'] == 'succeeded', result.output
    assert sorted(verdict['per_host']) == ['obs2', 'obs3']
    assert verdict['cluster']['host'] == 'obs2'
    assert verdict['cluster']['agent'] == sim.agents[1].address
    assert saved['obs1']['failed_msg'] is None
    # obs1's long local DAG was not waited on, and obs1's agent was never asked for anything.
    assert not [r for r in task_requests(sim) if r['agent'] == sim.agents[0].address]
    assert result.recap()['obs1']['failed'] == 0


def test_a_static_when_that_skips_the_first_host_fails_saying_so(sim_cluster, tmp_path):
    sim = sim_cluster(agents=2, scenario='idle')
    result, dummy = run_role(sim, tmp_path, plain=True, include_keywords="when: inventory_hostname != 'obs1'")
    assert result.rc == 2, result.output
    assert 'Put the condition on ansible.builtin.include_role instead' in result.stdout
    assert result.recap()['obs2']['failed'] == 1


def test_connect_from_target(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, password=PASSWORD, scenario='idle', step_seconds=0.6)
    # The scale-out starts once the waits poll: on a loaded machine the play may take longer to get there than
    # the scale-out takes to end, and the test is about what the waits see.
    after_first_poll(sim, sim.run_scenario, 'scale_out')
    # On the "target" each host talks to its own agent; here they all share one machine, so the port tells them
    # apart (obshell_port per host), at 127.0.0.1.
    result, saved = run_role(sim, tmp_path, {'wait_for_tasks_connect_from': 'target', 'wait_for_tasks_appear_timeout': 10})
    verdict = saved['obs3']['result']
    assert verdict['outcome'] == 'succeeded', result.output
    assert verdict['cluster']['host'] == 'obs1'
    assert verdict['per_host']['obs3']['agent'] == '127.0.0.1:%d' % sim.agents[2].port
    assert any(line.startswith('obs1 [cluster] | Cluster scale out | ') for line in progress(result.stdout))
    assert PASSWORD not in result.stdout + result.stderr


@pytest.mark.parametrize('connect_from', ['controller', 'target'])
def test_obshell_progress_false_in_the_environment_silences_the_role(sim_cluster, tmp_path, connect_from):
    """An AWX job template's environment turns progress off for the role too (the role does not force it on)."""
    sim = sim_cluster(agents=2, scenario='scale_out', step_seconds=0.3)
    result, saved = run_role(sim, tmp_path, {'wait_for_tasks_connect_from': connect_from},
                             extra_env={'OBSHELL_PROGRESS': 'false'})
    assert result.rc == 0, result.output
    assert saved['obs1']['result']['outcome'] in ('succeeded', 'idle'), result.output
    assert progress(result.stdout) == [], result.stdout
    loud, dummy = run_role(sim, tmp_path, {'wait_for_tasks_connect_from': connect_from})
    assert any(' | done: ' in line for line in progress(loud.stdout)), loud.stdout


def test_connect_from_target_catches_a_dag_that_fails_elsewhere(sim_cluster, tmp_path):
    # 1.5 s per node: the local DAG runs 3 s before it fails and leaves the lists, longer than the gap between two
    # module runs of a target-side wait, even on a loaded machine (a DAG that starts and ends between two polls
    # cannot be seen: the agent lists only unfinished DAGs)
    sim = sim_cluster(agents=3, scenario='idle', step_seconds=1.5)
    after_first_poll(sim, sim.run_scenario, 'local_fail_during_cluster')
    result, saved = run_role(sim, tmp_path, {'wait_for_tasks_connect_from': 'target', 'wait_for_tasks_appear_timeout': 10})
    local_id = sim.find_dag('Start local observer')
    verdict = saved['obs1']['result']
    assert verdict['outcome'] == 'failed', result.output
    assert [(f['id'], f['host']) for f in verdict['failures']] == [(local_id, 'obs2')]
    assert all(saved[host]['failed_msg'] for host in ('obs1', 'obs2', 'obs3'))


def test_the_cluster_agent_going_down_mid_wait_moves_the_cluster_dags_to_another(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, scenario='scale_out', step_seconds=0.8)
    after_first_poll(sim, sim.agents[0].go_down, 120)
    result, saved = run_role(sim, tmp_path, {'wait_for_tasks_unreachable_timeout': 3,
                                             'wait_for_tasks_fail_on': ['failed', 'timeout']})
    verdict = saved['obs2']['result']
    assert 'cluster' in verdict, (verdict, result.output)
    assert verdict['cluster']['outcome'] == 'succeeded', result.output
    assert verdict['cluster']['host'] == 'obs2'
    switch = verdict['cluster']['switches'][0]
    assert (switch['from'], switch['to']) == ('obs1', 'obs2')
    assert any('cluster DAGs are now read from obs2' in line for line in progress(result.stdout)), result.stdout
    # obs1's own agent is honestly unreachable: it did not answer within its window.
    assert verdict['per_host']['obs1']['outcome'] == 'unreachable'
    assert verdict['outcome'] == 'unreachable'


def test_the_observer_restarting_is_waited_out_not_taken_for_idle(sim_cluster, tmp_path):
    # Before, /dag/unfinish answered success without the cluster DAG meanwhile, and the role said idle.
    sim = sim_cluster(agents=1, scenario='scale_out', step_seconds=0.5)
    after_first_poll(sim, sim.agents[0].observer_down, 2.0)
    result, saved = run_role(sim, tmp_path)
    verdict = saved['obs1']['result']
    assert verdict['outcome'] == 'succeeded', result.output
    assert any('cluster DAGs unknown' in line for line in progress(result.stdout)), result.stdout


# ------------------------------------------------------------------------------------------------- assert_idle


def test_assert_idle_passes_on_an_idle_cluster(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, password=PASSWORD, scenario='idle')
    result, saved = run_role(sim, tmp_path, {'wait_for_tasks_mode': 'assert_idle'})
    verdict = saved['obs1']['result']
    assert result.rc == 0, result.output
    assert verdict['outcome'] == 'idle'
    assert verdict['failed'] is False
    assert saved['obs1']['failed_msg'] is None
    # One read per agent plus the cluster read, no waiting.
    assert len(task_requests(sim)) == 4


@pytest.mark.smoke
def test_assert_idle_fails_listing_every_unfinished_dag(sim_cluster, tmp_path):
    scenario = {'name': 'busy and held',
                'dags': [held_scale_out(hold_at=3)['dags'][0],
                         {'template': 'start_observer', 'scope': 'local', 'agent': 1, 'step_seconds': 30}]}
    sim = sim_cluster(agents=3, scenario=scenario)
    cluster_id = sim.find_dag('Cluster scale out')
    local_id = sim.find_dag('Start observer')
    assert wait_until(lambda: sim.dag_dto(cluster_id, False)['stage'] == 3)
    started = time.monotonic()
    result, saved = run_role(sim, tmp_path, {'wait_for_tasks_mode': 'assert_idle'}, plain=True)
    assert result.rc == 2, result.output
    expected = ("not idle: cluster DAGs (asked %s via obs1): DAG %s 'Cluster scale out' RUNNING at 3/9 "
                "'Wait scale out ready'; obs2: DAG %s 'Start observer' RUNNING at 1/5 'Start preparations'"
                % (sim.agents[0].address, cluster_id, local_id))
    assert expected in result.stdout, result.output
    assert time.monotonic() - started < 10


def test_assert_idle_fails_on_a_failed_maintenance_dag(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, scenario='scale_out_fail', step_seconds=0.05)
    dag_id = sim.find_dag('Cluster scale out')
    assert sim.wait_for(dag_id) == ('FAILED', 'RUN')
    result, saved = run_role(sim, tmp_path, {'wait_for_tasks_mode': 'assert_idle'})
    assert "DAG %s 'Cluster scale out' FAILED at 6/9 'Prev check for scale_out' (" % dag_id \
        in saved['obs1']['failed_msg'], result.output


def test_check_mode_reports_without_waiting(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, scenario=held_scale_out(hold_at=3))
    assert wait_until(lambda: sim.dag_dto(sim.find_dag('Cluster scale out'), False)['stage'] == 3)
    result, saved = run_role(sim, tmp_path, extra_args=('--check',))
    verdict = saved['obs1']['result']
    assert result.rc == 0, result.output
    assert verdict['outcome'] == 'running'
    assert verdict['failed'] is False
    assert verdict['cluster']['polls'] == 1
    assert not [r for r in sim.requests if r['method'] == 'POST']


# ------------------------------------------------------------------------------------------------- remediation


def test_on_failure_retry_remediates_the_failed_scale_out(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, scenario='scale_out_fail', step_seconds=0.2)
    dag_id = sim.find_dag('Cluster scale out')
    result, saved = run_role(sim, tmp_path, {'wait_for_tasks_on_failure': 'retry'})
    verdict = saved['obs1']['result']
    assert verdict['outcome'] == 'succeeded', result.output
    assert saved['obs1']['failed_msg'] is None
    remediation = verdict['remediations'][0]
    assert (remediation['attempt'], remediation['action'], remediation['dag_id'], remediation['operator'],
            remediation['outcome']) == (1, 'retry', dag_id, 'RETRY', 'sent')
    assert "Prev check for scale_out" in remediation['failure']
    posts = [r for r in sim.requests if r['method'] == 'POST']
    assert len(posts) == 1
    assert any('remediation (retry, attempt 1 of at most 1)' in line for line in progress(result.stdout))


def test_on_failure_pass_of_a_scale_out_is_refused_at_once_with_the_reason(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, scenario='scale_out_fail', step_seconds=0.1)
    dag_id = sim.find_dag('Cluster scale out')
    assert sim.wait_for(dag_id) == ('FAILED', 'RUN')
    started = time.monotonic()
    result, saved = run_role(sim, tmp_path, {'wait_for_tasks_on_failure': 'pass', 'wait_for_tasks_max_remediations': 3})
    verdict = saved['obs1']['result']
    assert verdict['outcome'] == 'failed', result.output
    assert verdict['remediations'][0]['outcome'] == 'refused'
    assert "the agent does not allow passing DAG %s 'Cluster scale out' (Task.Dag.Operator.PassNotAllowed)" % dag_id \
        in saved['obs1']['failed_msg']
    assert len([r for r in sim.requests if r['method'] == 'POST']) == 1
    assert time.monotonic() - started < 15


def test_on_failure_pass_of_a_passable_dag_ends_passed_not_succeeded(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, scenario='passable_fail', step_seconds=0.2)
    result, saved = run_role(sim, tmp_path, {'wait_for_tasks_on_failure': 'pass'})
    verdict = saved['obs1']['result']
    assert verdict['outcome'] == 'passed', result.output
    assert saved['obs1']['failed_msg']            # passed is in the default fail_on
    assert "passed, not done" in saved['obs1']['failed_msg']
    sim = sim_cluster(agents=3, scenario='passable_fail', step_seconds=0.2)
    result, saved = run_role(sim, tmp_path, {'wait_for_tasks_on_failure': 'pass',
                                             'wait_for_tasks_fail_on': ['failed', 'timeout', 'unreachable']})
    assert saved['obs1']['result']['outcome'] == 'passed'
    assert saved['obs1']['failed_msg'] is None


# ------------------------------------------------------------------------------------------------- settings


def test_settings_come_from_role_vars_then_module_defaults_then_obshell_vars(sim_cluster, tmp_path):
    sim = sim_cluster(agents=2, password=PASSWORD, scenario='idle')
    defaults = ('module_defaults:\n    group/oceanbase.obshell.obshell:\n      password: "%s"\n' % PASSWORD)
    # No obshell_password in the inventory: the play's module_defaults group gives it.
    result, saved = run_role(sim, tmp_path, play_keywords=defaults, obshell_password=None)
    assert result.rc == 0, result.output
    assert saved['obs1']['result']['outcome'] == 'idle'
    # A wrong obshell_password host variable loses to the module_defaults group.
    result, saved = run_role(sim, tmp_path, play_keywords=defaults, obshell_password='wrong')
    assert saved['obs1']['result']['outcome'] == 'idle', result.output
    # A wrong role variable wins over both: the role's own settings come first.
    result, saved = run_role(sim, tmp_path, {'wait_for_tasks_password': 'wrong'}, play_keywords=defaults)
    assert saved['obs1']['result']['outcome'] == 'error'
    assert 'the root@sys password is wrong' in saved['obs1']['failed_msg']
    assert PASSWORD not in result.stdout + result.stderr and 'wrong' not in result.stdout.replace(
        'password is wrong', '')


def test_obshell_port_per_host_is_used(sim_cluster, tmp_path):
    # The inventory gives each host its own obshell_port; the role asks each agent at its own port.
    sim = sim_cluster(agents=3, scenario='agent_local', step_seconds=1.0)
    result, saved = run_role(sim, tmp_path)
    verdict = saved['obs1']['result']
    assert verdict['outcome'] == 'succeeded', result.output
    assert [verdict['per_host'][host]['agent'] for host in ('obs1', 'obs2', 'obs3')] == \
        ['127.0.0.1:%d' % agent.port for agent in sim.agents]


def test_a_second_run_in_the_play_does_not_inherit_the_first(sim_cluster, tmp_path):
    sim = sim_cluster(agents=2, scenario='scale_out_fail', step_seconds=0.1)
    dag_id = sim.find_dag('Cluster scale out')
    assert sim.wait_for(dag_id) == ('FAILED', 'RUN')
    playbook = """
- name: Two runs
  hosts: observers
  gather_facts: false
  tasks:
    - name: First run, which remediates
      ansible.builtin.include_role:
        name: oceanbase.obshell.wait_for_tasks
      vars: {{wait_for_tasks_on_failure: retry, wait_for_tasks_poll_interval: 0.5}}
    - name: Second run, only for obs2
      ansible.builtin.include_role:
        name: oceanbase.obshell.wait_for_tasks
      vars: {{wait_for_tasks_mode: assert_idle}}
      when: inventory_hostname == 'obs2'
    - name: Save
      ansible.builtin.copy:
        content: "{{{{ wait_for_tasks_result | to_json }}}}"
        dest: "{out}/{{{{ inventory_hostname }}}}-second.json"
        mode: "0600"
""".format(out=str(tmp_path))
    result = run_playbook(playbook, inventory_for(sim), workdir=tmp_path)
    assert result.rc == 0, result.output
    with open(os.path.join(str(tmp_path), 'obs2-second.json')) as handle:
        second = json.load(handle)
    assert second['mode'] == 'assert_idle'
    assert second['remediations'] == []
    assert sorted(second['per_host']) == ['obs2']


@pytest.mark.parametrize('role_vars, message', [
    ({'wait_for_tasks_mode': 'hurry'}, 'value of wait_for_tasks_mode must be one of: wait, assert_idle, got: hurry'),
    ({'wait_for_tasks_fail_on': ['exploded']}, 'value of wait_for_tasks_fail_on must be one or more of'),
    ({'wait_for_tasks_connect_from': 'moon'}, 'value of wait_for_tasks_connect_from must be one of'),
    ({'wait_for_tasks_timeout': 'soon'}, "argument 'wait_for_tasks_timeout' is of type"),
    ({'wait_for_tasks_poll_interval': 0.1}, 'wait_for_tasks_poll_interval must be at least 0.5 (got 0.1)'),
    # Stricter than before: the sentence names the variable, what it must be and what it got.
    ({'wait_for_tasks_max_remediations': -1}, 'wait_for_tasks_max_remediations must be 0 or more (got -1)'),
])
def test_argument_spec_rejects_bad_values(sim_cluster, tmp_path, role_vars, message):
    sim = sim_cluster(agents=1, scenario='idle')
    result, saved = run_role(sim, tmp_path, role_vars)
    assert message in (saved['obs1']['failed_msg'] or ''), result.output
    assert task_requests(sim) == []


def test_a_misspelt_role_variable_fails_at_once_naming_the_closest(sim_cluster, tmp_path):
    # Issue 18 #9: `wait_for_tasks_timout: 5` was ignored, and the role waited up to the 3,600 s default.
    sim = sim_cluster(agents=2, scenario=held_scale_out(hold_at=3))
    started = time.monotonic()
    result, saved = run_role(sim, tmp_path, {'wait_for_tasks_timout': 5})
    assert time.monotonic() - started < 30, result.output
    for host in ('obs1', 'obs2'):
        assert saved[host]['failed_msg'] == ('wait_for_tasks cannot wait: wait_for_tasks_timout is not a variable of '
                                             'this role (did you mean wait_for_tasks_timeout?)'), result.output
    assert saved['obs1']['result']['outcome'] == 'error' and saved['obs1']['result']['failed'] is True
    assert task_requests(sim) == []


def test_a_bad_number_names_only_what_is_wrong(sim_cluster, tmp_path):
    # `timeout: 0` once listed every constraint, met ones too ("poll_interval must be at least 0.5 (got 1)...").
    sim = sim_cluster(agents=1, scenario='idle')
    result, saved = run_role(sim, tmp_path, {'wait_for_tasks_timeout': 0, 'wait_for_tasks_poll_interval': 1})
    assert saved['obs1']['failed_msg'] == 'wait_for_tasks cannot wait: wait_for_tasks_timeout must be more than 0 ' \
        '(got 0)', result.output
    assert task_requests(sim) == []


def test_a_failed_batch_says_each_problem_once_and_hosts_never_reached_are_unreachable(sim_cluster, tmp_path):
    # A scale-out that fails at once while three of four agents are down: the wait ends on the failure (fail fast),
    # before the down agents' unreachable_timeout. They were never reached: `unreachable`, not `running` with
    # "still running when the wait ended: nothing seen yet". Each host reads its own problem, then at most two
    # others cut short; the table printed once shows the whole batch; -v prints one lean result, not two dumps.
    sim = sim_cluster(agents=4, scenario='scale_out_fail', step_seconds=0.2)
    dag_id = sim.find_dag('Cluster scale out')
    assert sim.wait_for(dag_id) == ('FAILED', 'RUN')
    for agent in sim.agents[1:]:
        agent.go_down()
    result, saved = run_role(sim, tmp_path, {'wait_for_tasks_unreachable_timeout': 60}, extra_args=('-v',))
    verdict = saved['obs1']['result']
    assert verdict['cluster']['outcome'] == 'failed', result.output
    assert dict((host, part['outcome']) for host, part in verdict['per_host'].items()) == {
        'obs1': 'idle', 'obs2': 'unreachable', 'obs3': 'unreachable', 'obs4': 'unreachable'}, verdict['msg']
    assert verdict['outcome'] == 'unreachable' and verdict['elapsed'] < 30, verdict['msg']
    never = 'obs%d: agent %s was never reached before the wait ended (not answering for '
    for index in (2, 3, 4):
        assert never % (index, sim.agents[index - 1].address) in verdict['msg'], verdict['msg']
        assert 'nothing seen yet' not in saved['obs%d' % index]['failed_msg']
    table = [line.split() for line in result.stdout.splitlines()
             if re.match(r'^obs\d +(idle|unreachable|failed) ', line)]
    assert [row[:2] for row in table] == [['obs1', 'idle'], ['obs2', 'unreachable'], ['obs3', 'unreachable'],
                                          ['obs4', 'unreachable']], result.stdout
    failure = "DAG %s 'Cluster scale out' failed at node 6/9 'Prev check for scale_out'" % dag_id
    for host in ('obs1', 'obs2', 'obs3', 'obs4'):
        message = saved[host]['failed_msg']
        # The cluster DAGs concern every host: once each; the other hosts: at most two, each cut short.
        assert message.count(failure) == 1, message
        others = [index for index in (2, 3, 4) if 'obs%d' % index != host
                  and never % (index, sim.agents[index - 1].address) in message]
        assert len(others) <= 2, message
        assert len(message) < 1400, (len(message), message)
    own = saved['obs2']['failed_msg']
    assert own.index(never % (2, sim.agents[1].address)) < own.index('elsewhere in the batch'), own
    assert saved['obs1']['failed_msg'].endswith('; and 1 more (obs4 unreachable; all in the msg of the wait)'), \
        saved['obs1']['failed_msg']
    # -v: one dump of the verdict (the fact kept for the hosts), each DAG record once in it, and its failure twice
    # (in the record, and in the failure report with the follow-up), not in every part too.
    dumps = [line for line in result.stdout.splitlines() if '"per_host"' in line]
    assert len(dumps) == 1, [line[:200] for line in dumps]
    assert dumps[0].count('"start_time"') == 1 and dumps[0].count('"log_tail"') == 2, dumps[0]
    assert len(dumps[0]) < 12500, len(dumps[0])      # mostly the four hosts' messages
