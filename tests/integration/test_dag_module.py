# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The dag module (retry, roll back, cancel, pass) by real ansible-playbook against simulated agents."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os

import pytest

from tests.integration._ansible import local_inventory, run_playbook
from tests.integration.test_query_plugins import HELD_AT_NODE_3, wait_until

PASSWORD = 'Rem3diate!pw'


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
                               'after': {'state': 'READY', 'operator': 'RETRY', 'outcome': 'running'}}
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
