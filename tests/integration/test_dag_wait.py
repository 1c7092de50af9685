# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""oceanbase.obshell.dag_wait, run by real ansible-playbook against simulated agents on 127.0.0.1.

Simulated steps are 0.2-0.5 s and polls 0.5 s, so each run takes a few seconds.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import re
import time

from tests.integration._ansible import local_inventory, run_playbook
from tests.simulator.scenarios import held_scale_out
from tests.simulator.waiting import wait_until
from tests.support.sim_requests import after_first_poll, task_requests

PASSWORD = 'W4it-for/Dags'
PROGRESS_RE = re.compile(r'^obs1 \[cluster\] \| Cluster scale out \| (\d)/9 (.+) \| (READY|RUNNING|SUCCEED|FAILED)[^|]* \| '
                         r'\d+:\d\d$')
LISTS = ('/api/v1/task/dag/ob/unfinish', '/api/v1/task/dag/agent/unfinish')


def slow_scale_out_fail(step):
    """scale_out_fail with its own step length (for rollback: 6 stages walked back at ``step`` each)."""
    return {'name': 'slow scale_out_fail',
            'dags': [{'template': 'scale_out', 'fail_at': 'Prev check for scale_out', 'fail_times': 1,
                      'step_seconds': step}]}


def inventory_for(sim, hosts=1, **host_vars):
    inventory = {}
    for index, agent in enumerate(sim.agents[:hosts]):
        variables = {'ansible_host': '127.0.0.1', 'obshell_port': agent.port}
        variables.update(host_vars)
        inventory['obs%d' % (index + 1)] = variables
    return local_inventory(inventory, group='observers')


def wait_playbook(tmp_path, options, hosts='obs1', extra_tasks=''):
    """A play running dag_wait with ``options`` (dict), saving its result as <host>-wait.json."""
    lines = []
    for key, value in options.items():
        lines.append('        %s: %s' % (key, json.dumps(value)))
    return """
- name: Wait for DAGs
  hosts: {hosts}
  gather_facts: false
  tasks:
    - name: Wait
      oceanbase.obshell.dag_wait:
{options}
      register: waited
      ignore_errors: true

    - name: Save the result for the test
      ansible.builtin.copy:
        content: "{{{{ waited | to_json }}}}"
        dest: "{out}/{{{{ inventory_hostname }}}}-wait.json"
        mode: "0600"
      check_mode: false
{extra}""".format(hosts=hosts, options='\n'.join(lines), out=str(tmp_path), extra=extra_tasks)


def base_options(sim, **options):
    values = {'host': '127.0.0.1', 'port': sim.agents[0].port, 'poll_interval': 0.5}
    if sim.password:
        values['password'] = sim.password
    values.update(options)
    return values


def run_wait(sim, tmp_path, extra_args=(), hosts=1, inventory_vars=None, **options):
    playbook = wait_playbook(tmp_path, base_options(sim, **options))
    started = time.monotonic()
    result = run_playbook(playbook, inventory_for(sim, hosts=hosts, **(inventory_vars or {})),
                          extra_args=extra_args, workdir=tmp_path)
    result.seconds = time.monotonic() - started
    path = os.path.join(str(tmp_path), 'obs1-wait.json')
    waited = None
    if os.path.exists(path):
        with open(path) as handle:
            waited = json.load(handle)
    return result, waited


def progress_lines(stdout, host='obs1'):
    return [line for line in stdout.splitlines() if line.startswith((host + ' | ', host + ' [cluster] | '))]


def operate(sim, dag_id, operator):
    """Act on a DAG the way an operator would (spec §4.8), straight in the simulator."""
    with sim.lock:
        sim.engine.operate_dag(sim.get_dag(dag_id), operator, time.monotonic())
    sim.wake()


# ------------------------------------------------------------------------------------------------- success


def test_scale_out_succeeds_with_live_progress_and_cheap_polls(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, password=PASSWORD, scenario='scale_out', step_seconds=0.5)
    dag_id = sim.find_dag('Cluster scale out')
    result, waited = run_wait(sim, tmp_path)
    assert result.rc == 0, result.output
    assert waited['outcome'] == 'succeeded', waited
    assert waited['changed'] is False
    assert waited['failed'] is False
    assert [d['id'] for d in waited['dags']] == [dag_id]
    assert waited['dags'][0]['state'] == 'SUCCEED'
    # The DAG's own time (its start to its end, as the agent says), then the wait's.
    ran = int(waited['dags'][0]['elapsed_seconds'])
    waited_for = re.search(r'waited (\d+:\d\d)\)$', waited['msg']).group(1)
    assert waited['msg'] == "succeeded: cluster DAGs (asked 127.0.0.1:%d via obs1): DAG %s 'Cluster scale out' " \
        "succeeded in 0:%02d (waited %s)" % (sim.agents[0].port, dag_id, ran, waited_for)

    # One progress line per change, live at default verbosity, prefixed with the host.
    lines = progress_lines(result.stdout)
    dag_lines = [line for line in lines if PROGRESS_RE.match(line)]
    assert len(dag_lines) >= 3, result.stdout
    assert dag_lines[-1].startswith('obs1 [cluster] | Cluster scale out | 9/9 Check cluster scale_out whether '
                                    'finished | SUCCEED'), result.stdout
    assert len(set(dag_lines)) == len(dag_lines)
    assert lines[-1].startswith('obs1 | done: succeeded in ')
    assert waited['events'] == lines[:-1]
    # The password never shows.
    assert PASSWORD not in result.stdout + result.stderr

    # Lists are read without details, on the routes that fail visibly (never the aggregated /dag/unfinish); the DAG
    # is read with details when first seen and once at the end (to see a passed node).
    task = task_requests(sim)
    lists = [r for r in task if r['path'] in LISTS]
    assert lists and all(r['query'] == 'show_details=false' for r in lists)
    assert not [r for r in task if r['path'] == '/api/v1/task/dag/unfinish']
    detail_reads = [r for r in task if r['path'] == '/api/v1/task/dag/%s' % dag_id
                    and r['query'] == 'show_details=true']
    assert len(detail_reads) <= len(dag_lines)
    # ... and before saying it succeeded, each part reads its agent's history once (what ended between polls).
    history = [r for r in task if r['path'].startswith('/api/v1/task/dags/')]
    assert sorted(r['path'] for r in history) == ['/api/v1/task/dags/agent', '/api/v1/task/dags/ob'], history
    assert all(r['query'] == 'show_details=false' for r in history)
    assert len(task) <= 2 * waited['polls'] + len(detail_reads) + 1 + len(history)
    reads = [r for r in task if r not in history]
    assert reads[-1]['path'] == '/api/v1/task/dag/%s' % dag_id and reads[-1]['query'] == 'show_details=true'


def test_steady_state_is_one_request_per_list(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, scenario=held_scale_out(hold_at=3))
    assert wait_until(lambda: sim.dag_dto(sim.find_dag('Cluster scale out'), False)['stage'] == 3)
    started = time.monotonic()
    result, waited = run_wait(sim, tmp_path, timeout=3)
    assert waited['outcome'] == 'timeout', result.output
    task = task_requests(sim, since=started)
    # The first poll reads both lists and the DAG's details (to learn its node); every later poll is one read of
    # each list: the cluster DAGs and the agent's own; and before its part says idle, one read of the agent's history
    # for what the polls could not see.
    assert len(task) == 2 * waited['polls'] + 1 + 1, task
    assert [r['path'] for r in task].count('/api/v1/task/dags/agent') == 1, task
    assert waited['polls'] >= 6


def test_progress_false_prints_nothing(sim_cluster, tmp_path):
    sim = sim_cluster(agents=1, scenario='scale_out', step_seconds=0.2)
    result, waited = run_wait(sim, tmp_path, progress=False)
    assert waited['outcome'] == 'succeeded', result.output
    assert progress_lines(result.stdout) == []
    assert len(waited['events']) >= 2


# ------------------------------------------------------------------------------------------------- failures


def test_scale_out_fail_reports_node_agent_log_tail_and_follow_up(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, password=PASSWORD, scenario='scale_out_fail', step_seconds=0.3)
    dag_id = sim.find_dag('Cluster scale out')
    result, waited = run_wait(sim, tmp_path)
    assert result.rc == 0, result.output     # ignore_errors in the play; the task itself failed:
    assert waited['failed'] is True
    assert waited['outcome'] == 'failed'
    failure = waited['failures'][0]
    assert failure['id'] == dag_id
    assert failure['node']['name'] == 'Prev check for scale_out'
    assert failure['node']['stage'] == 6
    task = failure['sub_tasks'][0]
    assert task['agent'] == sim.agents[0].address
    assert task['log_tail'][-1].startswith('ERROR: [Common.Unexpected]: Unexpected error: server 127.0.0.1:2882')
    # The scale-out template opts into retry and rollback only (§11.1): pass is not suggested.
    assert failure['follow_up'] == {
        'module': 'oceanbase.obshell.dag', 'id': dag_id, 'states': ['retried', 'rolled_back'],
        'command': 'oceanbase.obshell.dag id=%s state=retried|rolled_back' % dag_id, 'template_known': True,
        'note': None}
    assert waited['msg'] == (
        "failed: cluster DAGs (asked %s via obs1): DAG %s 'Cluster scale out' failed at node 6/9 'Prev check for "
        "scale_out' on %s: [Common.Unexpected] Unexpected error: server 127.0.0.1:2882 already exists in the "
        "cluster; to act on it: oceanbase.obshell.dag id=%s state=retried|rolled_back"
        % (sim.agents[0].address, dag_id, sim.agents[0].address, dag_id))
    # The failure is reported as soon as it is seen: the DAG stays in the unfinished list (maintenance, §4.7).
    finished_at = [e[0] for e in sim.events if e[1] == 'finished' and e[2] == dag_id][0]
    assert sim.dag_state(dag_id) == ('FAILED', 'RUN')
    assert any('FAILED' in line for line in progress_lines(result.stdout))
    assert 'fatal: [obs1]: FAILED!' in result.stdout
    assert finished_at


def test_stop_fail_leaves_the_list_and_still_fails(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, scenario='idle', step_seconds=0.4)
    # Started once the wait is polling: a non-maintenance DAG that failed before the first poll cannot be seen in
    # the list at all (use id for that).
    after_first_poll(sim, sim.run_scenario, 'stop_fail')
    result, waited = run_wait(sim, tmp_path, appear_timeout=10)
    dag_id = sim.find_dag('Stop OB')
    assert waited['outcome'] == 'failed', result.output
    assert waited['failures'][0]['node']['name'] == 'Wait for all agents to execute tasks successfully'
    assert waited['failures'][0]['sub_tasks'][0]['agent'] == sim.agents[2].address
    # "Stop OB" is a local DAG of the agent asked (start.go, stop.go): it had left that agent's list, and its end
    # was read from /dag/{id}, with its nodes.
    task = task_requests(sim)
    last_list = [r for r in task if r['path'] == '/api/v1/task/dag/agent/unfinish'][-1]
    assert last_list['time'] > [e[0] for e in sim.events if e[1] == 'finished' and e[2] == dag_id][0]
    assert ('/api/v1/task/dag/%s' % dag_id, 'show_details=true') in [(r['path'], r['query']) for r in task]


def test_rollback_is_its_own_outcome(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, scenario=slow_scale_out_fail(0.1))
    dag_id = sim.find_dag('Cluster scale out')
    assert sim.wait_for(dag_id) == ('FAILED', 'RUN')
    sim.get_dag(dag_id).step_seconds = 1.0    # walk back (6 stages) slowly enough to be watched
    operate(sim, dag_id, 'ROLLBACK')
    result, waited = run_wait(sim, tmp_path)
    assert waited['outcome'] == 'rolled_back', result.output
    assert waited['failed'] is True          # rolled_back is in the default fail_on
    assert waited['dags'][0]['state'] == 'SUCCEED' and waited['dags'][0]['operator'] == 'ROLLBACK'
    assert "DAG %s 'Cluster scale out' was rolled back" % dag_id in waited['msg']
    assert any('(rolled back)' in line for line in progress_lines(result.stdout)), result.stdout


def test_pass_is_its_own_outcome(sim_cluster, tmp_path):
    # A "Cluster scale in" allows PASS (a scale-out does not, §11.1).
    sim = sim_cluster(agents=3, scenario='passable_fail', step_seconds=0.1)
    dag_id = sim.find_dag('Cluster scale in')
    assert sim.wait_for(dag_id) == ('FAILED', 'RUN')
    operate(sim, dag_id, 'PASS')
    # PASS finishes at once, so wait for that DAG by id.
    result, waited = run_wait(sim, tmp_path, id=dag_id, fail_on=['failed'])
    assert result.rc == 0, result.output
    assert waited['outcome'] == 'passed'
    assert waited['failed'] is False        # not in this fail_on
    assert waited['polls'] == 1
    assert "was passed" in waited['msg']


def test_cancel_during_the_wait_is_its_own_outcome(sim_cluster, tmp_path):
    # A "Cluster scale in" allows CANCEL (a scale-out does not, §11.1).
    sim = sim_cluster(agents=3, scenario='cancellable', step_seconds=0.2)
    dag_id = sim.find_dag('Cluster scale in')
    assert wait_until(lambda: sim.dag_state(dag_id)[0] == 'RUNNING')
    after_first_poll(sim, operate, sim, dag_id, 'CANCEL')
    result, waited = run_wait(sim, tmp_path)
    assert waited['outcome'] == 'canceled', result.output
    assert waited['failures'][0]['outcome'] == 'canceled'
    assert "DAG %s 'Cluster scale in' was canceled at node 2/5 'Set agent to 'SCALING IN''" % dag_id \
        in waited['msg'], waited['msg']
    assert any('(canceled)' in line for line in progress_lines(result.stdout)), result.stdout


# ------------------------------------------------------------------------------------------------- timing


def test_timeout_says_what_is_still_running(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, scenario=held_scale_out(hold_at=3))
    dag_id = sim.find_dag('Cluster scale out')
    assert wait_until(lambda: sim.dag_dto(dag_id, False)['stage'] == 3)
    result, waited = run_wait(sim, tmp_path, timeout=2)
    assert waited['outcome'] == 'timeout', result.output
    assert waited['failed'] is True
    assert 2.0 <= waited['elapsed'] < 2.5
    running = waited['running'][0]
    assert (running['id'], running['progress'], running['current_node']) == (dag_id, '3/9', 'Wait scale out ready')
    assert re.match(r"^timeout: cluster DAGs \(asked [^)]+\): timed out after 0:02 \(timeout 2s\): DAG %s 'Cluster "
                    r"scale out' still RUNNING at 3/9 'Wait scale out ready' for 0:0\d \(running 0:0\d\)$" % dag_id,
                    waited['msg']), waited['msg']


def test_agent_down_mid_wait_and_back(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, scenario='scale_out', step_seconds=0.5)
    dag_id = sim.find_dag('Cluster scale out')
    # Down for 1.5 s, shortly after the wait's first poll.
    after_first_poll(sim, sim.agents[0].go_down, 1.5)
    result, waited = run_wait(sim, tmp_path)
    assert waited['outcome'] == 'succeeded', result.output
    lines = progress_lines(result.stdout)
    down = [line for line in lines if 'retrying for up to' in line]
    back = [line for line in lines if 'is answering again after' in line]
    # Both parts of the wait (the cluster DAGs and the agent's own) saw the outage and the recovery.
    assert len(down) == 2 and len(back) == 2, result.stdout
    assert lines.index(down[0]) < lines.index(back[0])
    assert waited['dags'][0]['id'] == dag_id


def test_unreachable_timeout(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, scenario=held_scale_out(hold_at=3))
    after_first_poll(sim, sim.agents[0].go_down, 60)
    result, waited = run_wait(sim, tmp_path, unreachable_timeout=1.5)
    assert waited['outcome'] == 'unreachable', result.output
    assert waited['unreachable_agent']['agent'] == '127.0.0.1:%d' % sim.agents[0].port
    assert 1.5 <= waited['unreachable_agent']['for_seconds'] < 2.0
    # The cluster part either reached unreachable_timeout too ("last known: DAG ...") or, if its reads of the agent
    # began failing a poll later, was still running when the agent part ended the wait: both name the DAG.
    assert re.search(r"(last known|still running when the wait ended): DAG \d+ 'Cluster scale out'", waited['msg']), \
        waited['msg']


def test_appear_timeout_waits_for_a_dag_that_starts_later(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, scenario='idle', step_seconds=0.2)
    # The scale-out starts only after the wait's first poll found nothing.
    after_first_poll(sim, sim.run_scenario, 'scale_out')
    result, waited = run_wait(sim, tmp_path, appear_timeout=10)
    assert waited['outcome'] == 'succeeded', result.output
    assert 'obs1 [cluster] | no matching DAG yet; waiting up to 0:10 for it to appear' in waited['events']


def test_without_appear_timeout_nothing_now_is_idle(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, scenario='scale_out_later', step_seconds=5)
    result, waited = run_wait(sim, tmp_path)
    assert result.rc == 0, result.output
    assert waited['outcome'] == 'idle'
    assert waited['polls'] == 1
    assert waited['failed'] is False


def test_appear_timeout_passes_and_idle_can_fail(sim_cluster, tmp_path):
    sim = sim_cluster(agents=1, scenario='idle')
    result, waited = run_wait(sim, tmp_path, appear_timeout=1.2, fail_on=['idle'])
    assert waited['outcome'] == 'idle', result.output
    assert waited['failed'] is True
    assert 1.2 <= waited['elapsed'] < 1.7


# ------------------------------------------------------------------------------------------------- modes


def test_check_mode_reports_without_waiting(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, scenario=held_scale_out(hold_at=3))
    dag_id = sim.find_dag('Cluster scale out')
    assert wait_until(lambda: sim.dag_dto(dag_id, False)['stage'] == 3)
    result, waited = run_wait(sim, tmp_path, extra_args=('--check',))
    assert result.rc == 0, result.output
    assert waited['outcome'] == 'running'
    assert waited['polls'] == 1
    assert waited['failed'] is False
    assert waited['running'][0]['current_node'] == 'Wait scale out ready'
    assert waited['elapsed'] < 1


def test_run_on_target_gives_live_progress(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, password=PASSWORD, scenario='scale_out', step_seconds=1.0)
    result, waited = run_wait(sim, tmp_path, run_on='target')
    assert waited['outcome'] == 'succeeded', result.output
    lines = [line for line in progress_lines(result.stdout) if PROGRESS_RE.match(line)]
    assert len(lines) >= 3
    assert lines[-1].endswith('| SUCCEED | ' + lines[-1].rsplit('| ', 1)[1])
    assert waited['events'][-1] == lines[-1]
    assert PASSWORD not in result.stdout + result.stderr
    assert '_slice' not in waited


def test_run_on_target_check_mode(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, scenario=held_scale_out(hold_at=3))
    assert wait_until(lambda: sim.dag_dto(sim.find_dag('Cluster scale out'), False)['stage'] == 3)
    result, waited = run_wait(sim, tmp_path, run_on='target', extra_args=('--check',))
    assert waited['outcome'] == 'running', result.output
    assert waited['polls'] == 1


def test_names_and_scope(sim_cluster, tmp_path):
    scenario = {'name': 'tenant and scale-out',
                'dags': [{'template': 'scale_out', 'step_seconds': 0.3},
                         {'template': 'create_tenant', 'step_seconds': 3.0}]}  # outlives a slow playbook start
    sim = sim_cluster(agents=3, scenario=scenario)
    result, waited = run_wait(sim, tmp_path, names=['^Create tenant'], scope='cluster')
    assert waited['outcome'] == 'succeeded', result.output
    assert [d['name'] for d in waited['dags']] == ['Create tenant t1']
    assert [part['part'] for part in waited['parts']] == ['cluster']


def test_cluster_scope_on_a_single_agent_is_an_error(sim_cluster, tmp_path):
    sim = sim_cluster(agents=1, identities='SINGLE', scenario='idle')
    result, waited = run_wait(sim, tmp_path, scope='cluster', fail_on=[])
    assert waited['outcome'] == 'error', result.output
    assert waited['failed'] is True
    assert waited['error']['kind'] == 'identity'
    assert waited['polls'] == 1


def test_wrong_password_fails_at_once(sim_cluster, tmp_path):
    sim = sim_cluster(agents=1, password=PASSWORD, scenario='idle')
    result, waited = run_wait(sim, tmp_path, password='not-' + PASSWORD)
    assert waited['outcome'] == 'error', result.output
    assert waited['error']['kind'] == 'auth'
    assert 'password is wrong' in waited['msg']
    assert waited['polls'] == 1
    assert PASSWORD not in result.stdout + result.stderr


# ------------------------------------------------------------------------------------------------- arguments


def test_argument_spec_rejects_bad_values(sim_cluster, tmp_path):
    sim = sim_cluster(agents=1, scenario='idle')
    cases = [
        ({'poll_interval': 0.1}, 'poll_interval must be at least 0.5 seconds, got 0.1'),
        ({'fail_on': ['failed', 'exploded']}, 'value of fail_on must be one or more of'),
        ({'run_on': 'elsewhere'}, 'value of run_on must be one of: controller, target, got: elsewhere'),
        ({'timeout': 'soon'}, "argument 'timeout' is of type"),
        ({'id': '9x'}, "id: '9x' is not a valid OBShell generic task id"),
        ({'colour': 'red'}, 'unsupported parameters: colour'),
        ({'host': 'https://127.0.0.1'}, "host 'https://127.0.0.1' has a scheme"),
        ({'host': '127.0.0.1:2886'}, "host '127.0.0.1:2886' has a port in it"),
        ({'host': '127.0.0.1 '}, "host '127.0.0.1 ' has spaces in it"),
        ({'ca_path': '/nonexistent/ca.pem'}, "ca_path '/nonexistent/ca.pem' does not exist"),
        ({'run_on': 'target', 'host': 'https://127.0.0.1'}, "host 'https://127.0.0.1' has a scheme"),
        ({'_slice': {}}, '_slice is for internal use by dag_wait itself'),
        ({'run_on': 'target', 'poll_interval': 0.2}, 'poll_interval must be at least 0.5 seconds, got 0.2'),
    ]
    tasks = []
    for index, (options, dummy) in enumerate(cases):
        lines = ''.join('\n        %s: %s' % (key, json.dumps(value))
                        for key, value in sorted(base_options(sim, **options).items()))
        tasks.append("""
    - name: Case {index}
      oceanbase.obshell.dag_wait:{lines}
      register: case{index}
      ignore_errors: true
""".format(index=index, lines=lines))
    playbook = """
- name: Bad arguments
  hosts: obs1
  gather_facts: false
  tasks:
{tasks}
    - name: Save the results
      ansible.builtin.copy:
        content: "{{{{ [{names}] | to_json }}}}"
        dest: "{out}/cases.json"
        mode: "0600"
""".format(tasks=''.join(tasks), names=', '.join('case%d' % i for i in range(len(cases))), out=str(tmp_path))
    result = run_playbook(playbook, inventory_for(sim), workdir=tmp_path)
    assert result.rc == 0, result.output
    with open(os.path.join(str(tmp_path), 'cases.json')) as handle:
        outcomes = json.load(handle)
    started = time.monotonic()
    for (options, message), waited in zip(cases, outcomes):
        assert waited['failed'] is True, (options, waited)
        assert message in waited['msg'], (options, waited['msg'])
        assert 'outcome' not in waited, options
    # Nothing was asked of the agent: every case was refused before any request.
    assert task_requests(sim) == []


# ------------------------------------------------------------------------------------------------- truth


def test_a_dag_id_that_does_not_exist_is_an_error_not_idle(sim_cluster, tmp_path):
    # A typo in id passed a gate before ("idle").
    sim = sim_cluster(agents=1, scenario='idle')
    result, waited = run_wait(sim, tmp_path, id='12')
    assert waited['outcome'] == 'error', result.output
    assert waited['failed'] is True
    assert 'DAG 12 does not exist on 127.0.0.1:%d' % sim.agents[0].port in waited['msg']


def test_a_node_passed_by_someone_else_is_not_a_plain_success(sim_cluster, tmp_path):
    sim = sim_cluster(agents=1, scenario='passable_fail', step_seconds=0.3)
    dag_id = sim.find_dag('Cluster scale in')
    assert sim.wait_for(dag_id) == ('FAILED', 'RUN')
    failed_node = [node for node in sim.get_dag(dag_id).nodes if node.state == 'FAILED'][0]
    with sim.lock:
        sim.engine.pass_node(sim.get_dag(dag_id), failed_node, time.monotonic())
    sim.wake()
    result, waited = run_wait(sim, tmp_path, id=dag_id)
    assert waited['outcome'] == 'passed', result.output
    assert waited['dags'][0]['state'] == 'SUCCEED' and waited['dags'][0]['operator'] == 'RUN'
    assert waited['dags'][0]['passed_nodes'] == [{'id': waited['dags'][0]['passed_nodes'][0]['id'],
                                                  'name': 'Wait delete observer success', 'stage': 3}]
    assert "node 3/5 'Wait delete observer success' passed, not done" in waited['msg']


def test_an_agent_cannot_forge_lines_or_flood_the_console(sim_cluster, tmp_path):
    forged = 'Cluster scale out\r\nobs1 | done: succeeded in 0:00 after 1 poll\x1b[2K'
    flood = 'x' * 1000000
    scenario = {'name': 'hostile', 'dags': [{
        'name': forged, 'scope': 'cluster', 'maintenance': 'global', 'step_seconds': 0.3,
        'nodes': [{'name': 'Node \x1b[31mred\x1b[0m'}, {'name': 'Boom', 'fail_times': 1, 'error': flood}]}]}
    sim = sim_cluster(agents=1, scenario='idle')
    after_first_poll(sim, sim.run_scenario, scenario)
    result, waited = run_wait(sim, tmp_path, appear_timeout=10)
    assert waited['outcome'] == 'failed', result.output[:3000]
    # No raw control character reaches the console, and nothing the agent wrote starts a line of its own.
    assert '\x1b' not in result.stdout and '\r' not in result.stdout
    assert not [line for line in result.stdout.splitlines() if line.startswith('obs1 | done: succeeded')]
    assert 'Cluster scale out\\r\\nobs1 | done: succeeded' in result.stdout
    # A megabyte of log is cut, saying how much: the whole run prints far less than it.
    assert len(result.stdout) < 200000, len(result.stdout)
    assert 'more characters cut]' in waited['msg']
    assert len(waited['msg']) < 10000
