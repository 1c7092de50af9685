# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The dag module (retry, roll back, cancel, pass) by real ansible-playbook against simulated agents."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import time

import pytest

from tests.integration._ansible import local_inventory, run_playbook
from tests.simulator.scenarios import held_scale_out
from tests.simulator.waiting import wait_until
from tests.support.http_servers import stalls

PASSWORD = 'Rem3diate!pw'
# A scale-out that runs its first two nodes quickly, then stays on node 3 ("Wait scale out ready").
HELD_AT_NODE_3 = held_scale_out(hold_at=3)


def failed_scale_out(sim_cluster, **kwargs):
    kwargs.setdefault('profile', '4.5.0')
    sim = sim_cluster(agents=3, password=PASSWORD, scenario='scale_out_fail', step_seconds=0.1, **kwargs)
    assert wait_until(lambda: sim.find_dag('Cluster scale out') is not None
                      and sim.dag_state(sim.find_dag('Cluster scale out'))[0] == 'FAILED')
    return sim, sim.find_dag('Cluster scale out')


def failed_scale_in(sim_cluster):
    """A failed "Cluster scale in", whose template allows PASS (a scale-out's does not, §11.1)."""
    sim = sim_cluster(agents=3, password=PASSWORD, scenario='passable_fail', step_seconds=0.1)
    assert wait_until(lambda: sim.find_dag('Cluster scale in') is not None
                      and sim.dag_state(sim.find_dag('Cluster scale in'))[0] == 'FAILED')
    return sim, sim.find_dag('Cluster scale in')


def run_dag(sim, tmp_path, args, check=False, runs=1, extra_args=()):
    """Run the dag module `runs` times in one play; returns the list of results."""
    tasks = ''
    for index in range(runs):
        tasks += """
    - name: Run %(n)d
      oceanbase.obshell.dag:
        %(args)s
      register: run%(n)d
      ignore_errors: true  # noqa: ignore-errors
""" % dict(n=index, args=args)
    collect = ', '.join('run%d' % n for n in range(runs))
    playbook = """
- hosts: obs1
  gather_facts: false
  module_defaults:
    group/oceanbase.obshell.obshell:
      port: "{{ obshell_port }}"
      password: "%s"
  tasks:%s
    - name: Save
      ansible.builtin.copy:
        content: "{{ [%s] | to_json }}"
        dest: "%s/runs.json"
        mode: "0600"
      check_mode: false
""" % (PASSWORD, tasks, collect, tmp_path)
    inventory = local_inventory({'obs1': {'obshell_port': sim.agents[0].port}})
    result = run_playbook(playbook, inventory, extra_args=(['--check'] if check else []) + list(extra_args))
    assert result.rc == 0, result.output
    with open(os.path.join(str(tmp_path), 'runs.json')) as handle:
        return json.load(handle), result


def posts(sim):
    return [e for e in sim.requests if e['method'] == 'POST']


@pytest.mark.parametrize('state,verb', [('retried', 'retry'), ('rolled_back', 'roll back'), ('passed', 'pass')])
def test_operations_that_need_a_failed_dag_are_refused_on_a_running_one(sim_cluster, tmp_path, state, verb):
    sim = sim_cluster(agents=1, password=PASSWORD, scenario=HELD_AT_NODE_3)
    assert wait_until(lambda: sim.find_dag('Cluster scale out') is not None)
    dag_id = sim.find_dag('Cluster scale out')
    runs, _result = run_dag(sim, tmp_path, 'id: "%s"\n        state: %s' % (dag_id, state))
    assert runs[0]['failed'] is True
    assert runs[0]['msg'] == "cannot %s DAG %s 'Cluster scale out': it is RUNNING, not FAILED" % (verb, dag_id)
    assert not posts(sim)


@pytest.mark.smoke
@pytest.mark.target
def test_retry_then_idempotent_second_run(sim_cluster, tmp_path):
    sim, dag_id = failed_scale_out(sim_cluster)
    runs, result = run_dag(sim, tmp_path, 'id: "%s"\n        state: retried\n        poll_interval: 0.5' % dag_id,
                           runs=2)
    first, second = runs
    assert first['changed'] is True and first['operator'] == 'RETRY', first
    assert first['dag_before']['state'] == 'FAILED'
    assert first['outcome'] == 'succeeded' and first['dag']['state'] == 'SUCCEED'
    assert first['wait']['outcome'] == 'succeeded'
    assert second['changed'] is False and second['operator'] is None and not second.get('failed')
    assert len(posts(sim)) == 1
    assert sim.dag_state(dag_id) == ('SUCCEED', 'RUN')


def test_rollback_then_idempotent(sim_cluster, tmp_path):
    sim, dag_id = failed_scale_out(sim_cluster)
    runs, _result = run_dag(sim, tmp_path, 'id: "%s"\n        state: rolled_back\n        poll_interval: 0.5' % dag_id,
                            runs=2)
    assert runs[0]['changed'] is True and runs[0]['outcome'] == 'rolled_back', runs[0]
    assert runs[1]['changed'] is False and runs[1]['outcome'] == 'rolled_back'
    assert sim.dag_state(dag_id) == ('SUCCEED', 'ROLLBACK')
    assert len(posts(sim)) == 1


def test_pass_then_idempotent(sim_cluster, tmp_path):
    sim, dag_id = failed_scale_in(sim_cluster)
    runs, _result = run_dag(sim, tmp_path, 'id: "%s"\n        state: passed' % dag_id, runs=2)
    assert runs[0]['changed'] is True and runs[0]['outcome'] == 'passed', runs[0]
    assert runs[1]['changed'] is False
    assert sim.dag_state(dag_id) == ('SUCCEED', 'PASS')


@pytest.mark.parametrize('state, gerund, err_code', [
    ('passed', 'passing', 'Task.Dag.Operator.PassNotAllowed'),
])
def test_what_the_template_does_not_allow_is_refused_plainly(sim_cluster, tmp_path, state, gerund, err_code):
    sim, dag_id = failed_scale_out(sim_cluster)
    runs, _result = run_dag(sim, tmp_path, 'id: "%s"\n        state: %s' % (dag_id, state))
    assert runs[0]['failed'] is True
    assert runs[0]['msg'] == ("the agent does not allow %s DAG %s 'Cluster scale out' (%s): its template does not opt "
                              "in to it" % (gerund, dag_id, err_code)), runs[0]['msg']
    assert runs[0]['err_code'] == err_code
    assert len(posts(sim)) == 1
    assert sim.dag_state(dag_id) == ('FAILED', 'RUN')


def test_cancel_of_a_running_scale_out_is_refused_plainly(sim_cluster, tmp_path):
    sim = sim_cluster(agents=1, password=PASSWORD, scenario=HELD_AT_NODE_3)
    assert wait_until(lambda: sim.find_dag('Cluster scale out') is not None)
    dag_id = sim.find_dag('Cluster scale out')
    runs, _result = run_dag(sim, tmp_path, 'id: "%s"\n        state: canceled' % dag_id)
    assert runs[0]['msg'] == ("the agent does not allow cancelling DAG %s 'Cluster scale out' "
                              "(Task.Dag.Operator.CancelNotAllowed): its template does not opt in to it" % dag_id)
    assert sim.dag_state(dag_id)[0] == 'RUNNING'


@pytest.mark.target
def test_cancel_a_running_dag_and_refuse_a_finished_one(sim_cluster, tmp_path):
    sim = sim_cluster(agents=1, password=PASSWORD, scenario='cancellable', step_seconds=0.2)
    assert wait_until(lambda: sim.find_dag('Cluster scale in') is not None)
    dag_id = sim.find_dag('Cluster scale in')
    runs, _result = run_dag(sim, tmp_path, 'id: "%s"\n        state: canceled\n        poll_interval: 0.5' % dag_id,
                            runs=2)
    assert runs[0]['changed'] is True and runs[0]['outcome'] == 'canceled', runs[0]
    assert runs[1]['changed'] is False
    assert sim.dag_state(dag_id) == ('FAILED', 'CANCEL')

    failed, failed_id = failed_scale_out(sim_cluster)
    runs, _result = run_dag(failed, tmp_path, 'id: "%s"\n        state: canceled' % failed_id)
    assert runs[0]['failed'] is True and 'already finished' in runs[0]['msg'], runs[0]
    assert not posts(failed)


@pytest.mark.target
def test_check_mode_sends_no_post(sim_cluster, tmp_path):
    sim, dag_id = failed_scale_out(sim_cluster)
    runs, _result = run_dag(sim, tmp_path, 'id: "%s"\n        state: retried' % dag_id, check=True)
    assert runs[0]['changed'] is True and 'check mode' in runs[0]['msg']
    assert not posts(sim)
    assert sim.dag_state(dag_id) == ('FAILED', 'RUN')


def test_pass_one_failed_node_and_the_dag_resumes_ending_passed(sim_cluster, tmp_path):
    sim, dag_id = failed_scale_in(sim_cluster)
    node_id = sim.dag_dto(dag_id)['nodes'][2]['id']
    args = 'id: "%s"\n        node: "%s"\n        state: passed\n        poll_interval: 0.5' % (dag_id, node_id)
    runs, result = run_dag(sim, tmp_path, args, runs=2)
    # The DAG resumed and ended SUCCEED/RUN, but a failed step was skipped: the outcome says passed, and which.
    assert runs[0]['changed'] is True and runs[0]['outcome'] == 'passed', runs[0]
    assert runs[0]['dag']['state'] == 'SUCCEED' and runs[0]['dag']['operator'] == 'RUN'
    assert [node['name'] for node in runs[0]['dag']['passed_nodes']] == ['Wait delete observer success']
    assert runs[1]['changed'] is False
    nodes = sim.dag_dto(dag_id)['nodes']
    assert (nodes[2]['state'], nodes[2]['operator']) == ('SUCCEED', 'PASS')
    assert sim.dag_state(dag_id) == ('SUCCEED', 'RUN')
    # The wait printed its progress live, from the action plugin.
    assert any(line.startswith('obs1 | Cluster scale in | ') for line in result.stdout.splitlines()), \
        result.stdout


def test_a_node_of_a_scale_out_cannot_be_passed(sim_cluster, tmp_path):
    sim, dag_id = failed_scale_out(sim_cluster)
    node_id = sim.dag_dto(dag_id)['nodes'][5]['id']
    runs, _result = run_dag(sim, tmp_path, 'id: "%s"\n        node: "%s"\n        state: passed' % (dag_id, node_id))
    assert "(Task.Node.Operator.PassNotAllowed)" in runs[0]['msg'], runs[0]
    assert runs[0]['msg'].startswith('the agent does not allow passing node %s of DAG %s' % (node_id, dag_id))


def test_diff_shows_the_state_before_and_after(sim_cluster, tmp_path):
    sim, dag_id = failed_scale_out(sim_cluster)
    runs, result = run_dag(sim, tmp_path, 'id: "%s"\n        state: retried\n        wait: false' % dag_id,
                           check=True, extra_args=['--diff'])
    assert runs[0]['diff'] == {'before': {'state': 'FAILED', 'operator': 'RUN', 'outcome': 'failed'},
                               'after': {'state': 'READY', 'operator': 'RUN', 'outcome': 'running'}}
    assert '-' in result.stdout and 'FAILED' in result.stdout
    assert not posts(sim)


def test_node_pass_is_refused_up_front_on_old_agents(sim_cluster, tmp_path):
    sim, dag_id = failed_scale_out(sim_cluster, profile='4.2.3')
    node_id = sim.dag_dto(dag_id)['nodes'][5]['id']
    runs, _result = run_dag(sim, tmp_path, 'id: "%s"\n        node: "%s"\n        state: passed' % (dag_id, node_id))
    assert runs[0]['failed'] is True and 'needs OBShell 4.3.1 or later' in runs[0]['msg'], runs[0]
    assert not posts(sim)


def test_a_lost_answer_is_not_resent(sim_cluster, tmp_path):
    sim, dag_id = failed_scale_out(sim_cluster)
    # The agent performs the RETRY, then the reply is replaced by a 502 (a proxy losing it).
    sim.agents[0].inject_errors(1, status=502, after=True, method='POST')
    runs, result = run_dag(sim, tmp_path, 'id: "%s"\n        state: retried\n        wait: false' % dag_id)
    assert runs[0]['changed'] is True and not runs[0].get('failed'), runs[0]
    assert 'the answer to RETRY' in result.stdout + result.stderr
    assert len(posts(sim)) == 1


def test_bad_input(sim_cluster, tmp_path):
    sim, dag_id = failed_scale_out(sim_cluster)
    runs, _result = run_dag(sim, tmp_path, 'id: "x1"\n        state: retried')
    assert runs[0]['failed'] is True and runs[0]['msg'].startswith("id: 'x1' is not a valid OBShell generic task id")
    runs, _result = run_dag(sim, tmp_path, 'id: "%s"\n        node: "11"\n        state: retried' % dag_id)
    assert runs[0]['msg'].startswith('node is only valid with state=passed')
    assert not posts(sim)


# Issue 18: no verdict without evidence (item 5, item 6, someone acting in between, an id that names another DAG) ----

def test_retry_of_a_dag_someone_passed_a_node_of_is_not_already_succeeded(sim_cluster, tmp_path):
    sim, dag_id = failed_scale_in(sim_cluster)
    failed_node = sim.dag_dto(dag_id)['nodes'][2]
    # Someone passes the failed node outside Ansible; the DAG runs on and ends SUCCEED/RUN.
    sim.operate(dag_id, 'PASS', node_id=failed_node['id'])
    assert sim.wait_for(dag_id) == ('SUCCEED', 'RUN')
    sim.reset_log()
    runs, _result = run_dag(sim, tmp_path, 'id: "%s"\n        state: retried' % dag_id)
    assert runs[0]['failed'] is True and runs[0]['changed'] is False, runs[0]
    assert runs[0]['msg'] == (
        "cannot retry DAG %s 'Cluster scale in': it succeeded only because node 'Wait delete observer success' was "
        "passed (by someone): that step was skipped, not done, and the agent retries only a FAILED DAG" % dag_id)
    assert runs[0]['dag_before']['outcome'] == 'passed'
    assert not posts(sim)


@pytest.mark.parametrize('fault', ['late', 'dropped'])
def test_a_post_whose_answer_is_lost_but_took_is_changed_and_not_sent_twice(sim_cluster, tmp_path, fault):
    sim, dag_id = failed_scale_out(sim_cluster)
    # The agent carries the RETRY out; its answer comes 4 s later (after the 1 s request_timeout) or never.
    if fault == 'late':
        sim.agents[0].inject_late_answers(4.0)
    else:
        sim.agents[0].inject_late_answers(drop=True)
    args = 'id: "%s"\n        state: retried\n        request_timeout: 1\n        poll_interval: 0.5' % dag_id
    runs, result = run_dag(sim, tmp_path, args, runs=2)
    first, second = runs
    assert first['changed'] is True and first['took'] is True and first['operator'] == 'RETRY', first
    assert not first.get('failed') and first['outcome'] == 'succeeded'
    assert 'was lost' in result.stdout + result.stderr and 'shows it took' in result.stdout + result.stderr
    # The re-run reads the DAG, succeeded after a retry, and sends nothing.
    assert second['changed'] is False and second['operator'] is None and not second.get('failed'), second
    assert second['already'] == "succeeded (after a retry of node 'Prev check for scale_out')"
    assert len(posts(sim)) == 1
    post = posts(sim)[0]
    assert post['fault'] == ('answer_late' if fault == 'late' else 'answer_dropped')
    # The first read back follows the lost answer: request_timeout (1 s) after the POST when it is late, at once
    # when it is dropped; it showed the retry (the read-back stopped there).
    reads = [e for e in sim.requests if e['method'] == 'GET' and e['path'].endswith('/dag/' + dag_id)
             and e['time'] > post['time']]
    first_read = reads[0]['time'] - post['time']
    assert (0.9 if fault == 'late' else 0.0) <= first_read < 3.0, first_read
    print('FIGURE lost answer (%s) | first read back after the POST | %.2f s' % (fault, first_read))


def test_agent_gone_after_the_post_is_unknown_whether_it_took_and_a_rerun_sends_nothing(sim_cluster, tmp_path):
    sim, dag_id = failed_scale_out(sim_cluster)
    agent = sim.agents[0]
    # The agent carries the RETRY out and goes away before answering, for 6 s: no read can tell within the 2 s
    # the module may read back (unreachable_timeout).
    agent.inject_late_answers(drop=True, down_seconds=6.0)
    args = ('id: "%s"\n        state: retried\n        request_timeout: 1\n        unreachable_timeout: 2\n'
            '        poll_interval: 0.5' % dag_id)
    runs, _result = run_dag(sim, tmp_path, args)
    first = runs[0]
    assert first['failed'] is True and first['took'] is None and first['operator'] == 'RETRY', first
    assert first['msg'].startswith("unknown whether it took: RETRY of DAG %s 'Cluster scale out': the answer was lost"
                                   % dag_id), first['msg']
    assert 'the agent has not answered a read of the DAG since (cannot connect to ' in first['msg'], first['msg']
    print('FIGURE agent gone after the POST | message | %s' % first['msg'])
    assert ("nothing was re-sent; check it with 'obshell task show -i %s -d' on an agent host, or "
            "oceanbase.obshell.dag_info with id %s before acting again" % (dag_id, dag_id)) in first['msg']
    assert 'did not take' not in first['msg']
    assert len(posts(sim)) == 1
    # It did take. Once the agent is back, a re-run sees that and sends nothing.
    assert wait_until(lambda: not agent.is_down, timeout=15)
    runs, _result = run_dag(sim, tmp_path, 'id: "%s"\n        state: retried\n        poll_interval: 0.5' % dag_id)
    assert runs[0]['changed'] is False and not runs[0].get('failed'), runs[0]
    assert runs[0]['outcome'] == 'succeeded'
    assert len(posts(sim)) == 1


def test_someone_retries_between_the_read_and_the_post(sim_cluster, tmp_path):
    sim, dag_id = failed_scale_out(sim_cluster)
    sim.agents[0].interleave(lambda: sim.operate(dag_id, 'RETRY'))
    runs, _result = run_dag(sim, tmp_path, 'id: "%s"\n        state: retried\n        poll_interval: 0.5' % dag_id)
    first = runs[0]
    assert first['changed'] is False and first['operator'] is None and not first.get('failed'), first
    assert ("someone else acted on it between this task's read and its POST, which the agent refused "
            "(Task.Dag.Operator.RetryNotFailedDag)") in first['msg']
    # Nothing claimed at once: the wait saw it end.
    assert first['wait']['outcome'] == 'succeeded' and first['outcome'] == 'succeeded'
    assert [(e['status'], e['fault']) for e in posts(sim)] == [(400, 'interleaved')]


def test_someone_rolls_back_between_the_read_and_the_retry(sim_cluster, tmp_path):
    sim, dag_id = failed_scale_out(sim_cluster)
    sim.agents[0].interleave(lambda: sim.operate(dag_id, 'ROLLBACK'))
    runs, _result = run_dag(sim, tmp_path, 'id: "%s"\n        state: retried' % dag_id)
    first = runs[0]
    assert first['failed'] is True and first['err_code'] == 'Task.Dag.Operator.RetryNotFailedDag', first
    assert "cannot retry" not in first['msg']
    assert first['msg'].startswith("the agent refused to retry DAG %s 'Cluster scale out': " % dag_id)
    assert 'it changed since it was read: ' in first['msg'] and 'ROLLBACK' in first['msg'], first['msg']
    assert sim.dag_state(dag_id)[1] == 'ROLLBACK'


def test_an_id_that_names_another_dag_after_a_redeploy_is_refused(sim_cluster, tmp_path):
    sim, dag_id = failed_scale_in(sim_cluster)
    seen = sim.dag_dto(dag_id)
    # The cluster is deployed again: its task table starts over, and a failed scale-out now has the same id.
    sim.redeploy_cluster()
    sim.run_scenario('scale_out_fail')
    assert wait_until(lambda: sim.find_dag('Cluster scale out') is not None
                      and sim.dag_state(sim.find_dag('Cluster scale out'))[0] == 'FAILED')
    assert sim.find_dag('Cluster scale out') == dag_id
    args = 'id: "%s"\n        name: "%s"\n        state: retried' % (dag_id, seen['name'])
    runs, _result = run_dag(sim, tmp_path, args)
    assert runs[0]['failed'] is True, runs[0]
    assert runs[0]['msg'] == ("DAG %s is not the DAG you named: its name is 'Cluster scale out', not 'Cluster scale "
                              "in'; nothing was sent" % dag_id)
    assert not posts(sim)


def test_the_same_name_under_a_reused_id_with_another_start_time_is_refused(sim_cluster, tmp_path):
    sim, dag_id = failed_scale_in(sim_cluster)
    seen = sim.dag_dto(dag_id)
    sim.redeploy_cluster()
    time.sleep(0.05)
    sim.run_scenario('passable_fail')
    assert wait_until(lambda: sim.find_dag('Cluster scale in') is not None
                      and sim.dag_state(sim.find_dag('Cluster scale in'))[0] == 'FAILED')
    now = sim.dag_dto(dag_id)
    assert now['name'] == seen['name'] and now['start_time'] != seen['start_time']
    args = 'id: "%s"\n        name: "%s"\n        start_time: "%s"\n        state: passed' % (
        dag_id, seen['name'], seen['start_time'])
    runs, _result = run_dag(sim, tmp_path, args)
    assert runs[0]['failed'] is True, runs[0]
    assert runs[0]['msg'].startswith("DAG %s is not the DAG you named: it started at %s, not %s: it was retried, "
                                     "rolled back or canceled since, or it is another DAG under a reused id"
                                     % (dag_id, now['start_time'], seen['start_time'])), runs[0]['msg']
    assert not posts(sim)
    # Given the start time it has now, it is acted on.
    args = 'id: "%s"\n        start_time: "%s"\n        state: passed' % (dag_id, now['start_time'])
    runs, _result = run_dag(sim, tmp_path, args)
    assert runs[0]['changed'] is True and runs[0]['outcome'] == 'passed', runs[0]


def test_a_lost_retry_answer_whose_dag_failed_again_is_not_reported_ok(sim_cluster, tmp_path):
    scenario = {'dags': [{'template': 'scale_out', 'fail_at': 'Prev check for scale_out', 'fail_times': 2}]}
    sim = sim_cluster(agents=3, password=PASSWORD, scenario=scenario, step_seconds=0.1)
    assert wait_until(lambda: sim.find_dag('Cluster scale out') is not None
                      and sim.dag_state(sim.find_dag('Cluster scale out'))[0] == 'FAILED')
    dag_id = sim.find_dag('Cluster scale out')
    # The RETRY is carried out and fails again within the second its answer is late: the read back shows that it
    # ran again (it took), and the DAG has ended FAILED, which is not what was asked for.
    sim.agents[0].inject_late_answers(3.0)
    args = 'id: "%s"\n        state: retried\n        request_timeout: 1\n        poll_interval: 0.5' % dag_id
    runs, result = run_dag(sim, tmp_path, args)
    first = runs[0]
    assert first['failed'] is True and first['changed'] is True and first['took'] is True, first
    assert first['outcome'] == 'failed'
    assert first['msg'].endswith(': it ended failed, not succeeded'), first['msg']
    # (Ansible wraps warnings at the terminal's width: compare the words.)
    assert 'it ran again and failed again' in ' '.join((result.stdout + result.stderr).split())
    assert len(posts(sim)) == 1


def test_an_agent_that_never_answers_cannot_keep_the_task_past_its_deadline(tmp_path, raw_server):
    """Found by the red team: an agent that accepts connections and never answers kept a task with timeout 5 and
    request_timeout 10 for 43 s (the first read and its retries, each given the whole request_timeout). Every request
    is now within the task's deadline: it ends at most one request_timeout after it, as documented."""
    silent = raw_server(stalls)          # connections accepted and kept open, never answered
    playbook = """
- name: A silent agent
  hosts: obs1
  gather_facts: false
  tasks:
    - name: Retry a DAG on it
      oceanbase.obshell.dag:
        id: "11"
        state: retried
        port: %d
        timeout: 3
        request_timeout: 10
      register: acted
      ignore_errors: true
    - name: Save
      ansible.builtin.copy:
        content: "{{ acted | to_json }}"
        dest: "%s/silent.json"
        mode: "0600"
""" % (silent.port, tmp_path)
    started = time.monotonic()
    result = run_playbook(playbook, local_inventory(['obs1'], group='agents', obshell_host='127.0.0.1'))
    seconds = time.monotonic() - started
    assert result.rc == 0, result.output
    with open(os.path.join(str(tmp_path), 'silent.json')) as handle:
        acted = json.load(handle)
    assert acted['failed'] is True and acted.get('changed') is False, acted
    # timeout 3 + one request_timeout 10 at most, and ansible-playbook's own start-up (a few seconds)
    assert seconds < 3 + 10 + 8, seconds
