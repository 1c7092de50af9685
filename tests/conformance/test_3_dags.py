# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The DAGs an agent runs without an observer, from start to end (spec §12): "Join self" (SUCCEED, the agent
becomes MASTER) and "Initialize cluster" (FAILED at "Start observer", kept in the unfinished lists); the DTOs as
sent; the four DAG operators on the failed DAG and their refusals."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from tests.conformance._agent import FINISHED, INIT, TASK
from tests.conformance._envelope import GO_TIME, check_error, check_ok

DAG_KEYS = {'id', 'dag_id', 'name', 'stage', 'max_stage', 'maintenance_type', 'maintenance_key', 'state',
            'operator', 'start_time', 'end_time', 'additional_data', 'nodes'}
NODE_KEYS = {'id', 'node_id', 'name', 'state', 'operator', 'start_time', 'end_time', 'additional_data', 'sub_tasks'}
TASK_KEYS = {'id', 'task_id', 'name', 'state', 'operator', 'start_time', 'end_time', 'additional_data',
             'execute_times', 'execute_agent', 'task_logs'}
LOG_KEYS = {'id', 'sub_task_id', 'execute_times', 'log_content', 'is_sync', 'create_time', 'update_time'}
INIT_NODES = ['Integrate config', 'Create observer workdir', 'Start observer', 'Cluster boostrap', 'Migrate table',
              'Modify password', 'Migrate data', 'Convert follower to cluster agent',
              'Synchronize agent from cluster', 'Convert master to cluster agent', 'Synchronize agent from cluster']


def check_dag(dag, target, details=True):
    assert set(dag) == DAG_KEYS, dag
    assert dag['id'].startswith('2') and dag['id'].isdigit()          # a local DAG of this agent
    assert isinstance(dag['dag_id'], int) and GO_TIME.match(dag['start_time']) and GO_TIME.match(dag['end_time'])
    if not details:
        assert dag['nodes'] is None and dag['additional_data'] is None
        return dag
    assert isinstance(dag['nodes'], list) and len(dag['nodes']) == dag['max_stage']
    for node in dag['nodes']:
        assert set(node) == NODE_KEYS, node
        for task in node['sub_tasks']:
            assert set(task) == TASK_KEYS, task
            assert task['execute_agent'] == {'ip': target.host, 'port': target.port}
            assert task['task_logs'] is None or isinstance(task['task_logs'], list)
    return dag


def test_join_self(target, rec):
    target.ensure('agent_password', rec)
    send = target.client.send
    if target.info()['identity'] != 'SINGLE':
        raise AssertionError('run the conformance files in order on a fresh agent')
    answer = send('POST', '/api/v1/agent', {'agentInfo': {'ip': target.host, 'port': target.port}, 'zoneName': 'zone1'})
    created = check_ok(answer)
    target.labels.add(created['id'], 'join')
    # the creation answer: the DAG as created, READY, without nodes
    assert (created['name'], created['state'], created['operator'], created['stage'], created['max_stage']) == \
        ('Join self', 'READY', 'RUN', 1, 1)
    assert created['nodes'] is None and created['maintenance_type'] == 2
    target.wait_dag(created['id'], FINISHED, recording=rec)
    dag = check_dag(check_ok(send('GET', TASK + '/dag/' + created['id'])), target)
    target.labels.add_dag('join', dag)
    assert (dag['state'], dag['operator']) == ('SUCCEED', 'RUN')
    task = dag['nodes'][0]['sub_tasks'][0]
    assert task['task_logs'] == ['set agent identity to master'] and task['execute_times'] == 1
    node = check_ok(send('GET', TASK + '/node/' + dag['nodes'][0]['id']))
    assert node == dag['nodes'][0]
    assert check_ok(send('GET', TASK + '/sub_task/' + task['id'])) == task
    logs = check_ok(send('GET', TASK + '/sub_task/%s/logs' % task['id']))['contents']
    assert [set(log) for log in logs] == [LOG_KEYS]
    assert logs[0]['log_content'] == 'set agent identity to master' and logs[0]['is_sync'] is True
    assert check_ok(send('GET', TASK + '/dag/unfinish')) == {'contents': []}       # finished, not maintenance-held
    info = target.info()
    assert (info['identity'], info['zone']) == ('MASTER', 'zone1')
    last = check_ok(send('GET', TASK + '/dag/maintain/agent'))
    assert last['id'] == dag['id'] and last['state'] == 'SUCCEED'


def test_initialize_cluster_fails_and_stays_listed(target, rec):
    target.ensure('agent_password', rec)
    target.ensure('master', rec)
    send = target.client.send
    created = check_ok(send('POST', '/api/v1/ob/init', {}))
    target.labels.add(created['id'], 'init')
    assert (created['name'], created['state'], created['stage'], created['max_stage']) == (INIT, 'READY', 1, 11)
    assert created['nodes'] is None
    target.wait_dag(created['id'], FINISHED, recording=rec)
    dag = check_dag(check_ok(send('GET', TASK + '/dag/' + created['id'])), target)
    target.labels.add_dag('init', dag)
    assert [node['name'] for node in dag['nodes']] == INIT_NODES
    assert (dag['state'], dag['operator'], dag['stage']) == ('FAILED', 'RUN', 3)
    assert dag['additional_data'] == {}
    assert [node['state'] for node in dag['nodes'][:4]] == ['SUCCEED', 'SUCCEED', 'FAILED', 'PENDING']
    failed = dag['nodes'][2]['sub_tasks'][0]
    assert failed['task_logs'][-1].startswith('ERROR: [Common.Unexpected]: Unexpected error: ')
    assert dag['nodes'][3]['sub_tasks'][0]['task_logs'] is None          # never ran: null, not []
    assert dag['nodes'][3]['sub_tasks'][0]['execute_times'] == 0
    # a failed maintenance DAG stays unfinished, and holds the agent's maintenance
    for path in ('/dag/unfinish', '/dag/agent/unfinish'):
        listed = check_ok(send('GET', TASK + path + '?show_details=false'))['contents']
        assert [item['id'] for item in listed] == [dag['id']]
        check_dag(listed[0], target, details=False)
    full = check_ok(send('GET', TASK + '/dag/unfinish'))['contents']
    assert full[0]['nodes'] == dag['nodes']
    status = check_ok(send('GET', '/api/v1/status', case='none'))
    assert status['underMaintenance'] is True
    # no second init while this one holds the maintenance; the error keeps "data": null
    refused = send('POST', '/api/v1/ob/init', {})
    assert refused.status == 500 and refused.json['data'] is None, refused
    assert refused.json['error']['errCode'] == 'Agent.UnderMaintenance'
    check_error(send('GET', TASK + '/dag/ob/unfinish'), 500, 'Common.Unexpected',
                'Unexpected error: ocsagent cannot build response body')
    check_error(send('GET', TASK + '/dag/%s?show_details=yes' % dag['id']), 500, 'Common.Unexpected',
                'Unexpected error: Internal Server Error')


def test_operators_on_the_failed_initialize_cluster(target, rec):
    target.ensure('agent_password', rec)
    gid = target.ensure('failed_init', rec)
    send = target.client.send
    path = TASK + '/dag/' + gid
    check_error(send('POST', path, {'operator': 'CANCEL'}), 400, 'Task.Dag.Operator.CancelFinishedDag',
                'Failed to cancel DAG: DAG is finished')
    check_error(send('POST', path, {'operator': 'PASS'}), 400, 'Task.Dag.Operator.PassNotAllowed',
                'Failed to pass DAG: node Cluster boostrap cannot pass')
    check_error(send('POST', path, {'operator': 'run'}), 400, 'Task.Dag.Operator.NotSupport',
                'Operator run is not supported')
    check_error(send('POST', path, {'operator': 'bogus'}), 400, 'Task.Dag.Operator.NotSupport')
    check_error(send('POST', path, {}), 400, 'Common.BindJsonFailed')
    # RETRY: accepted (no data), the DAG runs again from the failed node and fails there again
    assert check_ok(send('POST', path, {'operator': 'retry'}), with_data=False) is None
    again = target.wait_dag(gid, FINISHED, recording=rec)
    assert (again['state'], again['operator'], again['stage']) == ('FAILED', 'RUN', 3)
    dag = check_ok(send('GET', path))
    assert dag['nodes'][2]['operator'] == 'RETRY' and dag['nodes'][2]['state'] == 'FAILED'
    assert dag['nodes'][2]['sub_tasks'][0]['execute_times'] >= 2
    # ROLLBACK: accepted, ends SUCCEED with operator ROLLBACK, and the DAG leaves the unfinished lists
    assert check_ok(send('POST', path, {'operator': 'ROLLBACK'}), with_data=False) is None
    done = target.wait_dag(gid, FINISHED, recording=rec)
    assert (done['state'], done['operator']) == ('SUCCEED', 'ROLLBACK')
    dag = check_ok(send('GET', path))
    assert [node['operator'] for node in dag['nodes'][:3]] == ['ROLLBACK'] * 3
    assert check_ok(send('GET', TASK + '/dag/unfinish')) == {'contents': []}
    assert check_ok(send('GET', '/api/v1/status', case='none'))['underMaintenance'] is False
    # every operator on the finished DAG is refused, each with its own code
    for operator, code in (('ROLLBACK', 'RollbackNotFailedDag'), ('RETRY', 'RetryNotFailedDag'),
                           ('CANCEL', 'CancelFinishedDag'), ('PASS', 'PassNotFailedDag')):
        check_error(send('POST', path, {'operator': operator}), 400, 'Task.Dag.Operator.' + code)


def test_node_pass_on_the_failed_node(target, rec):
    target.ensure('agent_password', rec)
    gid = target.ensure('failed_init', rec)
    send = target.client.send
    dag = check_ok(send('GET', TASK + '/dag/' + gid))
    failed_node = dag['nodes'][2]
    assert failed_node['name'] == 'Start observer'
    # "Start observer" allows pass: the DAG goes on and fails at the next node
    assert check_ok(send('POST', TASK + '/node/' + failed_node['id'], {'operator': 'PASS'}), with_data=False) is None
    after = target.wait_dag(gid, FINISHED, recording=rec)
    assert (after['state'], after['stage']) == ('FAILED', 4)
    dag = check_ok(send('GET', TASK + '/dag/' + gid))
    assert dag['nodes'][2]['state'] == 'SUCCEED' and dag['nodes'][2]['operator'] == 'PASS'
    assert dag['nodes'][3]['state'] == 'FAILED'
    # "Cluster boostrap" does not
    check_error(send('POST', TASK + '/node/' + dag['nodes'][3]['id'], {'operator': 'PASS'}), 400,
                'Task.Node.Operator.PassNotAllowed')
    # leave it rolled back for the next test
    assert check_ok(send('POST', TASK + '/dag/' + gid, {'operator': 'ROLLBACK'}), with_data=False) is None
    assert target.wait_dag(gid, FINISHED, recording=rec)['state'] == 'SUCCEED'
