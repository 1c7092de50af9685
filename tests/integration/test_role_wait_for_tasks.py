# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The role oceanbase.obshell.wait_for_tasks, run by real ansible-playbook against three simulated agents."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import re
import time

import pytest

from tests.integration._ansible import local_inventory, run_playbook
from tests.integration.test_dag_wait import after_first_poll, held_scale_out, task_requests, wait_until

PASSWORD = 'R0le/Wait-pass'
POLL = 0.5
IDLE = 'no matching unfinished DAG; nothing to wait for'

# The role inside block/rescue, so that the facts of a failed run can be saved for the test. `returned_at` is the
# monotonic clock (system-wide, the simulator's too) when the role had returned on the first host.
PLAYBOOK = """
- name: Wait with the role
  hosts: observers
  gather_facts: false
  tasks:
    - name: Run the role
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
  roles:
    - role: oceanbase.obshell.wait_for_tasks
      vars: {role_vars}
"""


def inventory_for(sim, hosts=None, **group_vars):
    agents = sim.agents if hosts is None else sim.agents[:hosts]
    inventory = dict(('obs%d' % (index + 1), {'ansible_host': '127.0.0.1', 'obshell_port': agent.port})
                     for index, agent in enumerate(agents))
    if sim.password:
        group_vars.setdefault('obshell_password', sim.password)
    return local_inventory(inventory, group='observers', **group_vars)


def run_role(sim, tmp_path, role_vars=None, extra_args=(), plain=False, hosts=None, **group_vars):
    variables = {'wait_for_tasks_poll_interval': POLL}
    variables.update(role_vars or {})
    template = PLAIN_PLAYBOOK if plain else PLAYBOOK
    playbook = template.format(role_vars=json.dumps(variables), out=str(tmp_path))
    result = run_playbook(playbook, inventory_for(sim, hosts=hosts, **group_vars), extra_args=extra_args,
                          workdir=tmp_path)
    saved = {}
    for name in os.listdir(str(tmp_path)):
        if name.startswith('obs') and name.endswith('.json'):
            with open(os.path.join(str(tmp_path), name)) as handle:
                saved[name[:-5]] = json.load(handle)
    return result, saved


def progress(stdout):
    return [line for line in stdout.splitlines() if re.match(r'^obs\d \| ', line)]


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
    assert all(part['outcome'] == 'idle' for part in verdict['per_host'].values())
    assert [d['id'] for d in verdict['dags']] == [dag_id]
    # The same combined verdict on every host.
    assert saved['obs2']['result'] == verdict and saved['obs3']['result'] == verdict
    # Live progress of the cluster wait, once (run_once), prefixed with the host that asked.
    lines = progress(result.stdout)
    assert any(line.startswith('obs1 | Cluster scale out | 9/9 ') and 'SUCCEED' in line for line in lines)
    assert not any(line.startswith(('obs2 | Cluster', 'obs3 | Cluster')) for line in lines)
    assert PASSWORD not in result.stdout + result.stderr

    ended = [e[0] for e in sim.events if e[1] == 'finished' and e[2] == dag_id][0]
    lag = float(saved['obs1']['returned_at']) - ended
    print('\nthe role returned %.2f s after the DAG ended (poll_interval %s s)' % (lag, POLL))
    # Target: poll_interval + 0.5 s. Generous here so a loaded machine does not make the test flaky.
    assert 0 < lag < POLL + 2.0, lag


def test_scale_out_fail_fails_every_host_with_node_and_log_tail(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, scenario='scale_out_fail', step_seconds=0.3)
    dag_id = sim.find_dag('Cluster scale out')
    result, dummy = run_role(sim, tmp_path, plain=True)
    assert result.rc == 2, result.output
    assert result.recap()['obs1']['failed'] == 1 and result.recap()['obs3']['failed'] == 1, result.output
    expected = ("failed: obs1 (cluster DAGs): DAG %s 'Cluster scale out' failed at node 6/9 'Prev check for "
                "scale_out' on %s: [Common.Unexpected] Unexpected error: server 127.0.0.1:2882 already exists in the "
                "cluster; to act on it: oceanbase.obshell.dag id=%s state=retried|rolled_back|passed"
                % (dag_id, sim.agents[0].address, dag_id))
    assert result.stdout.count(expected) >= 3, result.output


def test_scale_out_fail_fact_has_the_failure(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, scenario='scale_out_fail', step_seconds=0.3)
    result, saved = run_role(sim, tmp_path)
    verdict = saved['obs2']['result']
    assert verdict['outcome'] == 'failed', result.output
    assert verdict['failed'] is True
    failure = verdict['cluster']['failures'][0]
    assert failure['node']['name'] == 'Prev check for scale_out'
    assert failure['sub_tasks'][0]['log_tail'][-1].startswith('ERROR: [Common.Unexpected]')
    assert saved['obs2']['failed_msg'] == verdict['msg']
    # After the cluster part failed, the agent parts were only read (check mode), not waited on.
    assert all(part['polls'] == 1 for part in verdict['per_host'].values())


def test_stop_fail_is_failed_not_succeeded(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, scenario='idle', step_seconds=0.4)
    after_first_poll(sim, sim.run_scenario, 'stop_fail')
    result, saved = run_role(sim, tmp_path, {'wait_for_tasks_appear_timeout': 10})
    verdict = saved['obs1']['result']
    assert verdict['outcome'] == 'failed', result.output
    assert 'Wait for all agents to execute tasks successfully' in verdict['msg']


def test_agent_dags_are_waited_for_on_each_host(sim_cluster, tmp_path):
    scenario = {'name': 'local DAG on agent 1',
                'dags': [{'template': 'start_observer', 'scope': 'local', 'agent': 1, 'step_seconds': 1.0}]}
    sim = sim_cluster(agents=3, scenario=scenario)
    dag_id = sim.find_dag('Start observer')
    result, saved = run_role(sim, tmp_path)
    verdict = saved['obs1']['result']
    assert verdict['outcome'] == 'succeeded', result.output
    assert verdict['cluster']['outcome'] == 'idle'
    assert verdict['per_host']['obs2']['outcome'] == 'succeeded'
    assert verdict['per_host']['obs1']['outcome'] == 'idle'
    assert [d['id'] for d in verdict['per_host']['obs2']['dags']] == [dag_id]
    assert any(line.startswith('obs2 | Start observer | ') for line in progress(result.stdout)), result.stdout


def test_timeout_is_shared_and_reported(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, scenario=held_scale_out(hold_at=3))
    assert wait_until(lambda: sim.dag_dto(sim.find_dag('Cluster scale out'), False)['stage'] == 3)
    started = time.monotonic()
    result, saved = run_role(sim, tmp_path, {'wait_for_tasks_timeout': 2})
    verdict = saved['obs1']['result']
    assert verdict['outcome'] == 'timeout', result.output
    assert "still RUNNING at 3/9 'Wait scale out ready'" in verdict['msg']
    assert time.monotonic() - started < 12


def test_connect_from_target(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, password=PASSWORD, scenario='scale_out', step_seconds=0.6)
    # On the "target" each host would talk to its own agent on 127.0.0.1; here they all share one machine, so
    # the port tells them apart (obshell_port per host).
    result, saved = run_role(sim, tmp_path, {'wait_for_tasks_connect_from': 'target'})
    verdict = saved['obs3']['result']
    assert verdict['outcome'] == 'succeeded', result.output
    assert verdict['per_host']['obs3']['agent']['port'] == sim.agents[2].port
    assert any(line.startswith('obs1 | Cluster scale out | ') for line in progress(result.stdout))
    assert PASSWORD not in result.stdout + result.stderr


def test_check_mode_reports_without_waiting(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, scenario=held_scale_out(hold_at=3))
    assert wait_until(lambda: sim.dag_dto(sim.find_dag('Cluster scale out'), False)['stage'] == 3)
    result, saved = run_role(sim, tmp_path, extra_args=('--check',))
    verdict = saved['obs1']['result']
    assert result.rc == 0, result.output
    assert verdict['outcome'] == 'running'
    assert verdict['failed'] is False
    assert verdict['cluster']['polls'] == 1


def test_after_the_cluster_wait_only_the_agent_waits_and_the_fail_run_per_host(sim_cluster, tmp_path):
    # Each per-host task costs a worker per host, and those after the cluster wait delay the role's return: only the
    # agent waits and the fail are per host (the remediation check and the verdict are run_once), and every host
    # still gets the verdict.
    sim = sim_cluster(agents=4, scenario='idle')
    result, saved = run_role(sim, tmp_path)
    assert result.rc == 0, result.output
    tasks = role_task_hosts(result.stdout)
    names = [name for name, dummy in tasks]
    after = tasks[names.index('Wait once for the cluster DAGs') + 1:]
    per_host = [name for name, hosts in after if len(hosts) > 1]
    assert per_host == ["Wait for each host's agent DAGs",
                        'Fail when the verdict is one of wait_for_tasks_fail_on (or anything is unfinished, for '
                        'assert_idle)'], tasks
    assert all(hosts == ['obs1'] for name, hosts in after if name not in per_host), tasks
    assert all(sorted(hosts) == ['obs1', 'obs2', 'obs3', 'obs4'] for name, hosts in after if name in per_host), tasks
    verdict = saved['obs1']['result']
    assert verdict['outcome'] == 'idle' and verdict['cluster']['host'] == 'obs1', result.output
    assert sorted(verdict['per_host']) == ['obs1', 'obs2', 'obs3', 'obs4']
    assert all(saved[host]['result'] == verdict for host in ('obs2', 'obs3', 'obs4'))


@pytest.mark.parametrize('scope', ['agent', 'cluster'])
def test_one_scope_only_gives_the_other_part_empty(sim_cluster, tmp_path, scope):
    sim = sim_cluster(agents=3, scenario='idle')
    result, saved = run_role(sim, tmp_path, {'wait_for_tasks_scope': scope})
    assert result.rc == 0, result.output
    verdict = saved['obs3']['result']
    assert verdict['outcome'] == 'idle' and verdict['failed'] is False, verdict
    assert verdict['msg'] == 'idle: ' + '; '.join(
        ['obs%d: %s' % (index, IDLE) for index in (1, 2, 3)]
        if scope == 'agent' else ['obs1 (cluster DAGs): ' + IDLE]), verdict
    if scope == 'agent':
        assert verdict['cluster'] is None
        assert sorted(verdict['per_host']) == ['obs1', 'obs2', 'obs3']
    else:
        assert verdict['cluster']['host'] == 'obs1' and verdict['cluster']['outcome'] == 'idle'
        assert verdict['per_host'] == {}
    assert saved['obs1']['result'] == verdict and saved['obs2']['result'] == verdict


def test_first_host_not_a_cluster_agent_waits_for_agent_dags_only(sim_cluster, tmp_path):
    sim = sim_cluster(agents=2, identities='SINGLE', scenario='idle')
    result, saved = run_role(sim, tmp_path)
    verdict = saved['obs1']['result']
    assert result.rc == 0, result.output
    assert verdict['outcome'] == 'idle'
    assert verdict['cluster']['msg'].startswith('not a CLUSTER AGENT, so no cluster DAGs: ')


# ------------------------------------------------------------------------------------------------- assert_idle


def test_assert_idle_passes_on_an_idle_cluster(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, password=PASSWORD, scenario='idle')
    result, saved = run_role(sim, tmp_path, {'wait_for_tasks_mode': 'assert_idle'})
    verdict = saved['obs1']['result']
    assert result.rc == 0, result.output
    assert verdict['outcome'] == 'idle'
    assert verdict['failed'] is False
    assert saved['obs1']['failed_msg'] is None
    # One read per agent (plus the cluster read), no waiting.
    assert len(task_requests(sim)) == 4


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
    expected = ("not idle: obs1 (cluster DAGs): DAG %s 'Cluster scale out' RUNNING at 3/9 'Wait scale out ready'; "
                "obs2: DAG %s 'Start observer' RUNNING at 1/5 'Start preparations'" % (cluster_id, local_id))
    assert expected in result.stdout, result.output
    assert time.monotonic() - started < 10


def test_assert_idle_fails_on_a_failed_maintenance_dag(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, scenario='scale_out_fail', step_seconds=0.05)
    dag_id = sim.find_dag('Cluster scale out')
    assert sim.wait_for(dag_id) == ('FAILED', 'RUN')
    result, saved = run_role(sim, tmp_path, {'wait_for_tasks_mode': 'assert_idle'})
    assert "obs1 (cluster DAGs): DAG %s 'Cluster scale out' FAILED at 6/9 'Prev check for scale_out' (" % dag_id \
        in saved['obs1']['failed_msg'], result.output


# ------------------------------------------------------------------------------------------------- arguments


def test_argument_spec_rejects_bad_values(sim_cluster, tmp_path):
    sim = sim_cluster(agents=1, scenario='idle')
    cases = [
        ({'wait_for_tasks_mode': 'hurry'}, 'value of wait_for_tasks_mode must be one of: wait, assert_idle, got: hurry'),
        ({'wait_for_tasks_fail_on': ['exploded']}, 'value of wait_for_tasks_fail_on must be one or more of'),
        ({'wait_for_tasks_connect_from': 'moon'}, 'value of wait_for_tasks_connect_from must be one of'),
        ({'wait_for_tasks_timeout': 'soon'}, "argument 'wait_for_tasks_timeout' is of type"),
        ({'wait_for_tasks_poll_interval': 0.1}, 'wait_for_tasks_poll_interval must be at least 0.5 (got 0.1)'),
    ]
    blocks = []
    for index, (role_vars, dummy) in enumerate(cases):
        variables = {'wait_for_tasks_poll_interval': POLL}
        variables.update(role_vars)
        blocks.append("""
    - name: Case {index}
      block:
        - name: Run the role with a bad value
          ansible.builtin.include_role:
            name: oceanbase.obshell.wait_for_tasks
          vars: {role_vars}
      rescue:
        - name: Keep the message
          ansible.builtin.set_fact:
            case{index}: "{{{{ ansible_failed_result.msg }}}}"
""".format(index=index, role_vars=json.dumps(variables)))
    playbook = """
- name: Bad role arguments
  hosts: observers
  gather_facts: false
  tasks:
{blocks}
    - name: Save the messages
      ansible.builtin.copy:
        content: "{{{{ [{names}] | to_json }}}}"
        dest: "{out}/cases.json"
        mode: "0600"
""".format(blocks=''.join(blocks), names=', '.join('case%d | default(none)' % i for i in range(len(cases))),
           out=str(tmp_path))
    result = run_playbook(playbook, inventory_for(sim), workdir=tmp_path)
    assert result.rc == 0, result.output
    with open(os.path.join(str(tmp_path), 'cases.json')) as handle:
        messages = json.load(handle)
    for (role_vars, message), got in zip(cases, messages):
        assert message in (got or ''), (role_vars, got)
    assert task_requests(sim) == []
