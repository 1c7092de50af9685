# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""DAG lifecycle, DTO shapes, operators and scenarios (spec §4, §5)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import json
import time

import pytest

from tests.simulator import builtin_scenarios
from tests.simulator.dags import parse_generic_id
from tests.simulator.rawclient import RawClient
from tests.simulator.scenarios import SCALE_OUT_NODES, held_scale_out, template

TASK = '/api/v1/task'


def raw(sim, index=0):
    return RawClient.for_agent(sim.agents[index])


def parse_time(text):
    return datetime.datetime.fromisoformat(text.replace('Z', '+00:00')).timestamp()


def get_dag(sim, gid, index=0, details=True):
    return raw(sim, index).get(TASK + '/dag/' + gid + ('' if details else '?show_details=false')).data


def wait_stage(sim, gid, predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        dag = get_dag(sim, gid)
        if predicate(dag):
            return dag
        assert time.monotonic() < deadline, dag
        time.sleep(0.005)


def test_builtin_scenarios_listed():
    assert {'idle', 'scale_out', 'scale_out_fail', 'stop_fail', 'upgrade', 'agent_local', 'scale_out_later',
            'scale_out_rollback_fail', 'busy'} <= set(builtin_scenarios)
    copy = builtin_scenarios['scale_out']
    copy['dags'].append('mutated')
    assert builtin_scenarios['scale_out']['dags'] == [{'template': 'scale_out'}]
    assert set(builtin_scenarios()) == set(builtin_scenarios)


def test_scale_out_progression_and_timestamps(sim_cluster):
    sim = sim_cluster(agents=3, scenario='scale_out', step_seconds=0.15)
    gid = sim.find_dag('Cluster scale out')
    assert gid == '11'
    dag = wait_stage(sim, gid, lambda d: d['state'] == 'RUNNING' and d['stage'] == 2)
    assert [node['name'] for node in dag['nodes']] == SCALE_OUT_NODES
    assert (dag['max_stage'], dag['operator'], dag['maintenance_type']) == (9, 'RUN', 2)
    created = parse_time(dag['end_time'])
    # running: end_time keeps the creation time, so it is before start_time
    assert parse_time(dag['start_time']) > created
    first, second, third = dag['nodes'][:3]
    assert (first['state'], second['state'], third['state']) == ('SUCCEED', 'RUNNING', 'PENDING')
    assert first['sub_tasks'][0]['task_logs'] == ['integrate server config success']
    assert first['sub_tasks'][0]['execute_times'] == 1
    assert second['end_time'] == dag['end_time']                   # running node: creation time
    assert third['start_time'] == third['end_time'] == dag['end_time']
    assert third['sub_tasks'][0]['task_logs'] is None
    assert third['sub_tasks'][0]['execute_times'] == 0
    assert third['sub_tasks'][0]['execute_agent'] == {'ip': '127.0.0.1', 'port': sim.agents[0].port}
    assert all(node['additional_data'] is None for node in dag['nodes'])
    assert dag['additional_data'] == {}
    assert [(n['id'], n['node_id']) for n in dag['nodes'][:2]] == [('11', 1), ('12', 2)]
    final = sim.wait_for(gid)
    assert final == ('SUCCEED', 'RUN')
    dag = get_dag(sim, gid)
    assert dag['stage'] == 9
    assert parse_time(dag['end_time']) >= parse_time(dag['start_time'])
    assert all(node['state'] == 'SUCCEED' for node in dag['nodes'])
    events = [event for event in sim.events if event[2] == gid]
    kinds = [event[1] for event in events]
    assert kinds[0] == 'created' and kinds[-1] == 'finished'
    assert kinds.count('node') == 9
    elapsed = events[-1][0] - events[0][0]
    assert 9 * 0.15 <= elapsed < 9 * 0.15 + 0.2
    assert raw(sim).get(TASK + '/dag/unfinish').data == {'contents': None}


def test_scale_out_fail_shape(sim_cluster):
    sim = sim_cluster(agents=3, scenario='scale_out_fail', step_seconds=0.02)
    gid = sim.find_dag('Cluster scale out')
    assert sim.wait_for(gid) == ('FAILED', 'RUN')
    dag = get_dag(sim, gid)
    assert dag['stage'] == 6
    states = [node['state'] for node in dag['nodes']]
    assert states == ['SUCCEED'] * 5 + ['FAILED'] + ['PENDING'] * 3
    failed_task = dag['nodes'][5]['sub_tasks'][0]
    assert (failed_task['state'], failed_task['operator']) == ('FAILED', 'RUN')
    assert failed_task['task_logs'][0] == 'check server 127.0.0.1:2882'
    assert failed_task['task_logs'][-1].startswith('ERROR: [Common.Unexpected]: Unexpected error: ')
    assert dag['nodes'][6]['sub_tasks'][0]['task_logs'] is None
    assert parse_time(dag['end_time']) >= parse_time(dag['start_time'])
    # a FAILED maintenance DAG stays unfinished (spec §4.7)
    assert [d['id'] for d in raw(sim, 2).get(TASK + '/dag/unfinish').data['contents']] == [gid]
    assert [d['id'] for d in raw(sim).get(TASK + '/dag/ob/unfinish').data['contents']] == [gid]


def test_error_log_line_before_431(sim_cluster):
    sim = sim_cluster(agents=1, scenario='scale_out_fail', step_seconds=0.02, profile='4.3.0')
    gid = sim.find_dag('Cluster scale out')
    sim.wait_for(gid)
    last = get_dag(sim, gid)['nodes'][5]['sub_tasks'][0]['task_logs'][-1]
    assert last.startswith('ERROR: Unexpected error: ')


def test_stop_fail_leaves_unfinished_list(sim_cluster):
    sim = sim_cluster(agents=3, scenario='stop_fail', step_seconds=0.02)
    gid = sim.find_dag('Stop OB')
    assert [d['id'] for d in raw(sim).get(TASK + '/dag/unfinish?show_details=false').data['contents']] == [gid]
    assert sim.wait_for(gid) == ('FAILED', 'RUN')
    assert raw(sim).get(TASK + '/dag/unfinish').data == {'contents': None}
    dag = get_dag(sim, gid)
    assert dag['maintenance_type'] == 1
    node = dag['nodes'][3]
    assert node['name'] == 'Wait for all agents to execute tasks successfully'
    assert [task['state'] for task in node['sub_tasks']] == ['SUCCEED', 'SUCCEED', 'FAILED']
    assert sim.agents[2].address in node['sub_tasks'][2]['task_logs'][-1]


def test_upgrade_parallel_nodes(sim_cluster):
    sim = sim_cluster(agents=3, scenario='upgrade', step_seconds=5)
    gid = sim.find_dag(get_dag(sim, '11')['name'])
    dag = get_dag(sim, gid)
    assert dag['name'].startswith('OB rolling upgrade ')
    names = [node['name'] for node in dag['nodes']]
    assert names[:2] == ['Check the python environment', 'Create upgrade dir']
    assert 'Stop zone1' in names and 'Start zone3' in names
    assert names[-1] == 'Remove upgrade check task dir'
    agents = [task['execute_agent']['port'] for task in dag['nodes'][0]['sub_tasks']]
    assert agents == [agent.port for agent in sim.agents]
    assert len(dag['nodes'][9]['sub_tasks']) == 1       # Backup parameters: serial
    assert len(set(task['id'] for node in dag['nodes'] for task in node['sub_tasks'])) == \
        sum(len(node['sub_tasks']) for node in dag['nodes'])


def test_start_after(sim_cluster):
    sim = sim_cluster(agents=1, scenario='scale_out_later', step_seconds=0.1)
    assert sim.find_dag('Cluster scale out') is None
    assert raw(sim).get(TASK + '/dag/unfinish').data == {'contents': None}
    deadline = time.monotonic() + 5
    while sim.find_dag('Cluster scale out') is None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert len(raw(sim).get(TASK + '/dag/unfinish').data['contents']) == 1


def test_scenario_files(sim_cluster, tmp_path):
    spec = {'name': 'custom', 'dags': [{'name': 'My DAG', 'scope': 'local', 'agent': 1, 'maintenance': 'none',
                                        'nodes': ['one', {'name': 'two', 'parallel': True}]}]}
    json_file = tmp_path / 'custom.json'
    json_file.write_text(json.dumps(spec))
    yaml_file = tmp_path / 'custom.yaml'
    yaml_file.write_text('dags:\n  - template: scale_out\n    fail_at: 2\n')
    sim = sim_cluster(agents=2, scenario=str(json_file), step_seconds=5)
    gid = sim.find_dag('My DAG')
    assert parse_generic_id(gid).port == sim.agents[1].port
    dag = get_dag(sim, gid)
    assert [len(node['sub_tasks']) for node in dag['nodes']] == [1, 1]    # local DAG: only its own agent
    assert dag['additional_data'] == {}
    sim.run_scenario(str(yaml_file))
    assert sim.find_dag('Cluster scale out') == '11'
    with pytest.raises(ValueError):
        sim.run_scenario('no-such-scenario')


def test_single_node_dag_additional_data_null(sim_cluster):
    sim = sim_cluster(agents=1, step_seconds=5, scenario={'dags': [{'name': 'One', 'nodes': ['only']}]})
    assert get_dag(sim, sim.find_dag('One'))['additional_data'] is None


def test_additional_data_merge(sim_cluster):
    sim = sim_cluster(agents=1, step_seconds=5, scenario={'dags': [{'name': 'Data', 'nodes': [
        {'name': 'a', 'task_additional_data': {'uuid': 'x'}}, {'name': 'b'}]}]})
    dag = get_dag(sim, sim.find_dag('Data'))
    assert dag['additional_data'] == {'uuid': 'x'}
    assert dag['nodes'][0]['additional_data'] is None
    assert dag['nodes'][0]['sub_tasks'][0]['additional_data'] is None
    task = raw(sim).get(TASK + '/sub_task/' + dag['nodes'][0]['sub_tasks'][0]['id']).data
    assert task['additional_data'] == {'uuid': 'x'}
    assert raw(sim).get(TASK + '/node/' + dag['nodes'][0]['id']).data['additional_data'] == {'uuid': 'x'}


def op(sim, gid, operator, index=0):
    return raw(sim, index).post(TASK + '/dag/' + gid, {'operator': operator})


def test_operator_preconditions_on_running_dag(sim_cluster):
    sim = sim_cluster(agents=1, scenario='scale_out', step_seconds=5)
    gid = sim.find_dag('Cluster scale out')
    expected = {'RETRY': 'Task.Dag.Operator.RetryNotFailedDag', 'ROLLBACK': 'Task.Dag.Operator.RollbackNotFailedDag',
                'PASS': 'Task.Dag.Operator.PassNotFailedDag'}
    for operator, err_code in expected.items():
        resp = op(sim, gid, operator)
        assert resp.status == 400 and resp.error['errCode'] == err_code, operator
    resp = op(sim, gid, 'JUMP')
    assert resp.error == {'errCode': 'Task.Dag.Operator.NotSupport', 'message': 'Operator JUMP is not supported'}
    assert op(sim, gid, 'RUN').error['errCode'] == 'Task.Dag.Operator.NotSupport'
    resp = raw(sim).post(TASK + '/dag/' + gid, {'op': 'RETRY'})
    assert resp.status == 400 and resp.error['errCode'] == 'Common.BindJsonFailed'
    assert resp.error['message'].startswith('Bind JSON failed: ')
    assert raw(sim).post(TASK + '/dag/' + gid, b'').error['errCode'] == 'Common.BindJsonFailed'
    assert op(sim, '19999', 'RETRY').status == 404


def test_retry_then_succeed(sim_cluster):
    sim = sim_cluster(agents=1, scenario='scale_out_fail', step_seconds=0.05, pickup_seconds=0.3)
    gid = sim.find_dag('Cluster scale out')
    sim.wait_for(gid)
    assert op(sim, gid, 'CANCEL').error['errCode'] == 'Task.Dag.Operator.CancelFinishedDag'
    resp = op(sim, gid, 'retry')        # case-insensitive
    assert resp.status == 200 and 'data' not in resp.json
    dag = get_dag(sim, gid)
    assert (dag['state'], dag['operator'], dag['stage']) == ('READY', 'RUN', 6)
    assert dag['start_time'].startswith('1970-01-01T')
    assert (dag['nodes'][5]['state'], dag['nodes'][5]['operator']) == ('PENDING', 'RETRY')
    assert dag['nodes'][5]['sub_tasks'][0]['task_logs'] is None
    assert sim.wait_for(gid) == ('SUCCEED', 'RUN')
    dag = get_dag(sim, gid)
    task = dag['nodes'][5]['sub_tasks'][0]
    assert task['execute_times'] == 2
    assert task['task_logs'][1].startswith('ERROR: ')     # logs of every execution, in order
    assert raw(sim).get(TASK + '/dag/unfinish').data == {'contents': None}


def test_rollback_walks_stages_down(sim_cluster):
    # 0.2 s per stage: sampled every 10 ms, no stage is missed even on a loaded machine
    sim = sim_cluster(agents=1, scenario='scale_out_fail', step_seconds=0.2, pickup_seconds=0.3)
    gid = sim.find_dag('Cluster scale out')
    sim.wait_for(gid)
    assert op(sim, gid, 'ROLLBACK').status == 200
    dag = get_dag(sim, gid)
    assert (dag['state'], dag['operator']) == ('READY', 'ROLLBACK')
    assert [node['operator'] for node in dag['nodes']] == ['ROLLBACK'] * 6 + ['RUN'] * 3
    seen = set()
    deadline = time.monotonic() + 15
    while sim.dag_state(gid)[0] != 'SUCCEED':
        seen.add(get_dag(sim, gid, details=False)['stage'])
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert {6, 3, 1} <= seen
    dag = get_dag(sim, gid)
    assert (dag['state'], dag['operator'], dag['stage']) == ('SUCCEED', 'ROLLBACK', 1)
    assert raw(sim).get(TASK + '/dag/unfinish').data == {'contents': None}


def test_rollback_failure_variant(sim_cluster):
    sim = sim_cluster(agents=1, scenario='scale_out_rollback_fail', step_seconds=0.02)
    gid = sim.find_dag('Cluster scale out')
    sim.wait_for(gid)
    op(sim, gid, 'ROLLBACK')
    assert sim.wait_for(gid) == ('FAILED', 'ROLLBACK')
    assert get_dag(sim, gid)['stage'] == 4
    op(sim, gid, 'ROLLBACK')
    assert sim.wait_for(gid) == ('SUCCEED', 'ROLLBACK')


def test_cancel_running_dag(sim_cluster):
    sim = sim_cluster(agents=1, scenario={'dags': [dict(template('scale_in'), step_seconds=0.3)]}, pickup_seconds=0.2)
    gid = sim.find_dag('Cluster scale in')
    wait_stage(sim, gid, lambda d: d['stage'] == 2)
    assert op(sim, gid, 'CANCEL').status == 200
    dag = get_dag(sim, gid)
    assert (dag['state'], dag['operator']) == ('READY', 'CANCEL')
    assert dag['start_time'].startswith('1970-01-01T')
    assert (dag['nodes'][1]['state'], dag['nodes'][1]['operator']) == ('PENDING', 'CANCEL')
    # canceling again while the cancel is pending is accepted (the walk finds the same node, dag.go:315-375)
    assert op(sim, gid, 'cancel').status == 200
    assert sim.wait_for(gid) == ('FAILED', 'CANCEL')
    dag = get_dag(sim, gid)
    assert (dag['nodes'][1]['state'], dag['nodes'][1]['operator']) == ('FAILED', 'CANCEL')
    task = dag['nodes'][1]['sub_tasks'][0]
    # SetSubTaskFailed: the state and a log line, the sub-task's operator stays
    assert (task['state'], task['operator'], task['task_logs'][-1]) == ('FAILED', 'RUN', 'sub task cancelled')
    # a canceled maintenance DAG keeps the lock: still unfinished
    assert len(raw(sim).get(TASK + '/dag/ob/unfinish').data['contents']) == 1
    assert op(sim, gid, 'CANCEL').error['errCode'] == 'Task.Dag.Operator.CancelFinishedDag'


def test_cancel_ready_dag(sim_cluster):
    """A DAG not yet picked up can be canceled: the walk stops at node 1, which allows it."""
    sim = sim_cluster(agents=1, scenario='cancellable', step_seconds=0.2, pickup_seconds=0.5)
    gid = sim.find_dag('Cluster scale in')
    assert sim.dag_state(gid) == ('READY', 'RUN')
    assert op(sim, gid, 'CANCEL').status == 200
    assert sim.wait_for(gid) == ('FAILED', 'CANCEL')
    first = get_dag(sim, gid)['nodes'][0]
    assert (first['state'], first['operator']) == ('FAILED', 'CANCEL')
    assert first['sub_tasks'][0]['state'] == 'PENDING'      # never started, nothing to cancel


def test_cancel_of_a_scale_out_is_refused(sim_cluster):
    """Spec §11.1: no task of "Cluster scale out" opts into cancel; the first node already refuses."""
    sim = sim_cluster(agents=1, scenario=held_scale_out(hold_at=3, step=0.02))
    gid = sim.find_dag('Cluster scale out')
    wait_stage(sim, gid, lambda d: d['stage'] == 3)
    resp = op(sim, gid, 'CANCEL')
    assert resp.status == 400
    assert resp.error == {'errCode': 'Task.Dag.Operator.CancelNotAllowed',
                          'message': 'Failed to cancel DAG: node Integrate server config cannot cancel'}
    assert sim.dag_state(gid) == ('RUNNING', 'RUN')


def test_cancel_refused_by_a_later_node(sim_cluster):
    """Every node up to the current one must allow cancel, not only the current one."""
    sim = sim_cluster(agents=1, step_seconds=0.02, scenario={'dags': [{'name': 'Mixed', 'nodes': [
        {'name': 'a', 'can': 'C'}, {'name': 'b', 'can': 'none'}, {'name': 'c', 'can': 'C', 'steps': 100000}]}]})
    gid = sim.find_dag('Mixed')
    wait_stage(sim, gid, lambda d: d['stage'] == 3)
    assert op(sim, gid, 'CANCEL').error['message'] == 'Failed to cancel DAG: node b cannot cancel'


def test_pass_is_immediate(sim_cluster):
    sim = sim_cluster(agents=1, scenario='passable_fail', step_seconds=0.02)
    gid = sim.find_dag('Cluster scale in')
    assert sim.wait_for(gid) == ('FAILED', 'RUN')
    assert op(sim, gid, 'Pass').status == 200
    dag = get_dag(sim, gid)
    assert (dag['state'], dag['operator']) == ('SUCCEED', 'PASS')
    assert [node['state'] for node in dag['nodes']] == ['SUCCEED'] * 5
    assert [node['operator'] for node in dag['nodes']] == ['RUN'] * 2 + ['PASS'] * 3
    assert raw(sim).get(TASK + '/dag/ob/unfinish').data == {'contents': []}


def test_pass_of_a_scale_out_is_refused(sim_cluster):
    sim = sim_cluster(agents=1, scenario='scale_out_fail', step_seconds=0.02)
    gid = sim.find_dag('Cluster scale out')
    sim.wait_for(gid)
    resp = op(sim, gid, 'PASS')
    assert resp.status == 400
    assert resp.error == {'errCode': 'Task.Dag.Operator.PassNotAllowed',
                          'message': 'Failed to pass DAG: node Prev check for scale_out cannot pass'}
    node_id = get_dag(sim, gid)['nodes'][5]['id']
    resp = raw(sim).post(TASK + '/node/' + node_id, {'operator': 'PASS'})
    assert resp.status == 400
    assert resp.error == {'errCode': 'Task.Node.Operator.PassNotAllowed',
                          'message': 'Failed to pass node: node Prev check for scale_out cannot pass'}
    assert sim.dag_state(gid) == ('FAILED', 'RUN')


def test_state_is_checked_before_permission(sim_cluster):
    """A running scale-out answers NotFailedDag for PASS/RETRY/ROLLBACK, not NotAllowed (dag.go:357-404)."""
    sim = sim_cluster(agents=1, scenario='scale_out', step_seconds=5)
    gid = sim.find_dag('Cluster scale out')
    assert op(sim, gid, 'PASS').error == {
        'errCode': 'Task.Dag.Operator.PassNotFailedDag', 'message': 'Failed to pass DAG: DAG is not failed'}
    assert op(sim, gid, 'ROLLBACK').error == {
        'errCode': 'Task.Dag.Operator.RollbackNotFailedDag', 'message': 'Failed to set DAG rollback: DAG state is not failed'}
    node_id = get_dag(sim, gid)['nodes'][0]['id']
    assert raw(sim).post(TASK + '/node/' + node_id, {'operator': 'PASS'}).error == {
        'errCode': 'Task.Node.Operator.PassNotFailedDag', 'message': 'Failed to pass node: assigned DAG is not failed'}


def test_rollback_refused_by_an_earlier_node(sim_cluster):
    """ROLLBACK walks from node 1 to the failed one; node 1 of "Start observer" cannot roll back."""
    sim = sim_cluster(agents=1, step_seconds=0.02, scenario={'dags': [
        {'template': 'start_observer', 'scope': 'local', 'fail_at': 'Start observer'}]})
    gid = sim.find_dag('Start observer')
    sim.wait_for(gid)
    resp = op(sim, gid, 'ROLLBACK')
    assert resp.status == 400
    assert resp.error == {'errCode': 'Task.Dag.Operator.RollbackNotAllowed',
                          'message': 'Failed to set DAG rollback: node Start preparations cannot rollback'}
    resp = op(sim, gid, 'PASS')       # every node that has not succeeded allows pass
    assert resp.status == 200


def test_retry_after_a_failed_rollback_runs_forward(sim_cluster):
    """Spec §11.1: RETRY of a DAG whose rollback failed resets it to READY/RUN and runs it forward; the nodes
    already rolled back are SUCCEED and are walked past (dag.go:471-476, scheduler/dag_handler.go)."""
    sim = sim_cluster(agents=1, scenario='scale_out_rollback_fail', step_seconds=0.02, pickup_seconds=0.3)
    gid = sim.find_dag('Cluster scale out')
    sim.wait_for(gid)
    assert op(sim, gid, 'ROLLBACK').status == 200
    assert sim.wait_for(gid) == ('FAILED', 'ROLLBACK')
    dag = get_dag(sim, gid)
    assert dag['stage'] == 4
    assert [node['operator'] for node in dag['nodes'][:6]] == ['ROLLBACK'] * 6
    assert [node['state'] for node in dag['nodes'][:6]] == ['PENDING'] * 3 + ['FAILED', 'SUCCEED', 'SUCCEED']
    sim.reset_log()
    assert op(sim, gid, 'RETRY').status == 200
    dag = get_dag(sim, gid)
    assert (dag['state'], dag['operator'], dag['stage']) == ('READY', 'RUN', 4)
    assert (dag['nodes'][3]['state'], dag['nodes'][3]['operator']) == ('PENDING', 'RETRY')
    assert sim.wait_for(gid) == ('SUCCEED', 'RUN')
    dag = get_dag(sim, gid)
    assert dag['stage'] == 9
    assert [node['operator'] for node in dag['nodes']] == ['ROLLBACK'] * 3 + ['RETRY'] + ['ROLLBACK'] * 2 + ['RUN'] * 3
    assert [node['state'] for node in dag['nodes']] == ['PENDING'] * 3 + ['SUCCEED'] * 6
    ran = [event[3].split(': ', 1)[1] for event in sim.events if event[2] == gid and event[1] == 'node']
    assert ran == ['4/9 Wait remote deploy finish', '7/9 Add server for scale_out', '8/9 Add agent for scale_out',
                   '9/9 Check cluster scale_out whether finished']


def test_not_allowed_flags(sim_cluster):
    sim = sim_cluster(agents=1, step_seconds=0.02, scenario={'dags': [{
        'name': 'Stubborn', 'nodes': [{'name': 'a', 'can_rollback': False},
                                      {'name': 'b', 'fail_times': 1, 'can_retry': False, 'can_pass': False}]}]})
    gid = sim.find_dag('Stubborn')
    sim.wait_for(gid)
    assert op(sim, gid, 'RETRY').error['errCode'] == 'Task.Dag.Operator.RetryNotAllowed'
    assert op(sim, gid, 'ROLLBACK').error['errCode'] == 'Task.Dag.Operator.RollbackNotAllowed'
    assert op(sim, gid, 'PASS').error['errCode'] == 'Task.Dag.Operator.PassNotAllowed'


def test_operate_local_dag_through_another_agent(sim_cluster):
    sim = sim_cluster(agents=2, step_seconds=0.02, scenario={'dags': [
        {'template': 'start_observer', 'scope': 'local', 'agent': 1, 'fail_at': 'Start observer'}]})
    gid = sim.find_dag('Start observer')
    sim.wait_for(gid)
    assert op(sim, gid, 'RETRY', index=0).status == 200
    assert sim.wait_for(gid) == ('SUCCEED', 'RUN')


def test_events_and_dag_state_api(sim_cluster):
    sim = sim_cluster(agents=1, scenario='scale_out', step_seconds=0.02)
    gid = sim.find_dag('Cluster scale out')
    sim.wait_for(gid)
    assert sim.dag_state(gid) == ('SUCCEED', 'RUN')
    finished = [event for event in sim.events if event[1] == 'finished']
    assert finished[-1][2] == gid and finished[-1][3].endswith('SUCCEED/RUN')
    with pytest.raises(KeyError):
        sim.dag_state('19999')
    sim.reset_log()
    assert sim.events == []


def test_upgrade_restart_rotates_every_key(sim_cluster):
    sim = sim_cluster(agents=3, scenario='upgrade_restart', step_seconds=0.05)
    keys = [agent.rsa_key for agent in sim.agents]
    gid = sim.find_dag(get_dag(sim, '11', details=False)['name'])
    assert sim.wait_for(gid) == ('SUCCEED', 'RUN')
    # the restarts run on the scheduler thread (key generation takes a while under load): wait for them
    deadline = time.monotonic() + 10
    while [event[1] for event in sim.events].count('agent_up') < 6 or any(agent.is_down for agent in sim.agents):
        assert time.monotonic() < deadline, sim.events
        time.sleep(0.02)
    assert all(agent.rsa_key is not key for agent, key in zip(sim.agents, keys))
    assert [event[1] for event in sim.events].count('restart') == 3


def test_help_says_what_each_scenario_does_and_what_the_simulator_needs():
    # The help once listed the scenario names and nothing else.
    from tests.simulator.__main__ import build_parser
    from tests.simulator.scenarios import builtin_scenarios
    text = build_parser().format_help()
    assert 'cryptography' in text
    lines = text.splitlines()
    for name, scenario in builtin_scenarios.items():
        row = [line for line in lines if line.split()[:1] == [name]]
        assert len(row) == 1, (name, text)
        # The row starts with the first words of the scenario's description.
        assert ' '.join(scenario['description'].split()[:3]) in row[0], (name, row)
