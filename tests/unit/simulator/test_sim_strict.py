# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The simulator refuses what the real agent refuses (spec §11): permissions per template, obproxy ids,
auth v1 in one block, unparsable ids, sub-task logs, the observer behind an agent, /api/v1/ob/info."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import ipaddress
import json
import socket
import time

import pytest

from tests.simulator import builtin_scenarios, templates
from tests.simulator.dags import parse_generic_id
from tests.simulator.rawclient import RawClient
from tests.simulator.scenarios import SCALE_OUT_NODES, UPGRADE_OBPROXY_NODES, held_dag, template

TASK = '/api/v1/task'
AGENT_HEADER = 'X-OCS-Agent-Header'
OBPROXY_REFUSED = {'code': 10008, 'errCode': 'Security.Authentication.WithAgentPassword',
                   'message': 'Unauthorized: Should use agent_password to verify: this route only support agent password'}
PROCESS_GONE = 'OB.Server.Process.NotExist'


def raw(sim, index=0):
    return RawClient.for_agent(sim.agents[index])


def wait_until(predicate, timeout=10.0, what=''):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, 'timed out waiting for %s' % what
        time.sleep(0.01)


# ------------------------------------------------------------------------------------------ permission table

def test_every_template_row_cites_go_and_scale_out_allows_only_continue_retry_rollback():
    rows = templates.permission_table()
    assert rows and all(row[4] for row in rows)
    scale_out = [row for row in rows if row[0] == 'scale_out']
    assert [row[2] for row in scale_out] == SCALE_OUT_NODES
    assert {row[3] for row in scale_out} == {'Co R Rb'}
    by_node = dict(((row[0], row[2]), row[3]) for row in rows)
    assert by_node[('scale_in', 'Delete agent')] == 'C Co P R'
    assert by_node[('stop', 'Wait for all agents to execute tasks successfully')] == 'C Co'
    assert by_node[('upgrade', 'Execute upgrade pre script')] == 'R'
    assert by_node[('create_tenant', 'Modify tenant whitelist')] == 'C R Rb'
    assert by_node[('start_obproxy', 'Check obproxy status')] == 'C Co P R'


def test_maintenance_types_per_template():
    expected = {'scale_out': 'global', 'scale_in': 'global', 'start': 'none', 'stop': 'none', 'start_observer': 'global',
                'stop_observer': 'global', 'start_local_observer': 'none', 'stop_local_observer': 'none',
                'upgrade': 'global', 'upgrade_obshell': 'global', 'upgrade_check': 'none',
                'upgrade_check_obshell': 'none', 'create_tenant': 'tenant', 'start_obproxy': 'none',
                'stop_obproxy': 'obproxy', 'upgrade_obproxy': 'obproxy', 'add_obproxy': 'obproxy',
                'delete_obproxy': 'obproxy', 'local_scale_out': 'global', 'join_self': 'global',
                'init_cluster': 'global'}
    assert dict((key, templates.build(key)['maintenance']) for key in templates.TEMPLATES) == expected


def test_custom_nodes_allow_nothing_unless_they_opt_in(sim_cluster):
    sim = sim_cluster(agents=1, step_seconds=0.02, scenario={'dags': [
        {'name': 'Plain', 'nodes': ['one', {'name': 'two', 'fail_times': 1}]},
        {'name': 'Opted', 'maintenance': 'none', 'nodes': ['one', {'name': 'two', 'fail_times': 1, 'can': 'P R'}]}]})
    plain, opted = sim.find_dag('Plain'), sim.find_dag('Opted')
    sim.wait_for(plain)
    sim.wait_for(opted)
    client = raw(sim)
    for operator, err_code in (('RETRY', 'RetryNotAllowed'), ('ROLLBACK', 'RollbackNotAllowed'),
                               ('PASS', 'PassNotAllowed')):
        resp = client.post(TASK + '/dag/' + plain, {'operator': operator})
        assert resp.error['errCode'] == 'Task.Dag.Operator.' + err_code, operator
    assert client.post(TASK + '/dag/' + opted, {'operator': 'ROLLBACK'}).error['message'] == \
        'Failed to set DAG rollback: node one cannot rollback'
    assert client.post(TASK + '/dag/' + opted, {'operator': 'RETRY'}).status == 200


def test_a_dag_level_override_is_explicit(sim_cluster):
    sim = sim_cluster(agents=1, scenario={'dags': [dict(template('scale_out'), can_cancel=True, step_seconds=5)]})
    assert raw(sim).post(TASK + '/dag/11', {'operator': 'CANCEL'}).status == 200


def test_held_scale_in_can_be_canceled_held_scale_out_cannot(sim_cluster):
    sim = sim_cluster(agents=1, scenario=held_dag('scale_in', hold_at=2, step=0.02))
    gid = sim.find_dag('Cluster scale in')
    assert raw(sim).post(TASK + '/dag/' + gid, {'operator': 'CANCEL'}).status == 200
    assert sim.wait_for(gid) == ('FAILED', 'CANCEL')


def test_stop_fail_is_a_local_dag_whose_failure_allows_no_retry(sim_cluster):
    sim = sim_cluster(agents=3, scenario='stop_fail', step_seconds=0.02)
    gid = sim.find_dag('Stop OB')
    assert parse_generic_id(gid).kind == 'local' and parse_generic_id(gid).port == sim.agents[0].port
    assert sim.wait_for(gid) == ('FAILED', 'RUN')
    dag = raw(sim).get(TASK + '/dag/' + gid).data
    assert [len(node['sub_tasks']) for node in dag['nodes']] == [3, 1, 1, 3, 1, 1]
    resp = raw(sim, 1).post(TASK + '/dag/' + gid, {'operator': 'RETRY'})
    assert resp.error == {'errCode': 'Task.Dag.Operator.RetryNotAllowed',
                          'message': 'Failed to set DAG retry: node Wait for all agents to execute tasks successfully '
                                     'cannot retry'}
    assert raw(sim).post(TASK + '/dag/' + gid, {'operator': 'CANCEL'}).error['errCode'] == \
        'Task.Dag.Operator.CancelFinishedDag'


def test_rollback_of_a_dag_canceled_before_it_ran(sim_cluster):
    """The canceled node 1 is FAILED/CANCEL: the rollback walk takes it, and it allows rollback."""
    sim = sim_cluster(agents=1, scenario='cancellable', step_seconds=0.2, pickup_seconds=0.5)
    gid = sim.find_dag('Cluster scale in')
    assert raw(sim).post(TASK + '/dag/' + gid, {'operator': 'CANCEL'}).status == 200
    sim.wait_for(gid)
    assert raw(sim).post(TASK + '/dag/' + gid, {'operator': 'ROLLBACK'}).status == 200
    assert sim.wait_for(gid) == ('SUCCEED', 'ROLLBACK')


def test_rollback_with_no_failed_node_is_an_unexpected_error(sim_cluster):
    """getNodesCanRollback finds nothing to roll back when node 1 is PENDING and not rolling back
    (service/task/dag.go:327-355): Common.Unexpected, HTTP 500."""
    sim = sim_cluster(agents=1, scenario='cancellable', step_seconds=5, pickup_seconds=30)
    gid = sim.find_dag('Cluster scale in')
    with sim.lock:
        sim.get_dag(gid).state = 'FAILED'       # a state the scheduler never produces on its own
    resp = raw(sim).post(TASK + '/dag/' + gid, {'operator': 'ROLLBACK'})
    assert resp.status == 500
    assert resp.error == {'errCode': 'Common.Unexpected',
                          'message': 'Unexpected error: failed to set dag rollback: no node failed'}


def test_operation_order_id_then_body_then_lookup_then_operator(sim_cluster):
    sim = sim_cluster(agents=1, scenario='scale_out', step_seconds=5)
    client = raw(sim)
    assert client.post(TASK + '/dag/x1', b'not json').error['errCode'] == 'Task.GenericID.Invalid'
    assert client.post(TASK + '/dag/19', b'not json').error['errCode'] == 'Common.BindJsonFailed'
    assert client.post(TASK + '/dag/19', {'operator': 'JUMP'}).error['errCode'] == 'Task.NotFound'
    assert client.post(TASK + '/dag/11', {'operator': 'jump'}).error == {
        'errCode': 'Task.Dag.Operator.NotSupport', 'message': 'Operator jump is not supported'}
    # the node handler checks the operator before looking the node up (node.go:171-174)
    assert client.post(TASK + '/node/1999', {'operator': 'RETRY'}).error['errCode'] == 'Task.Node.Operator.NotSupport'
    assert client.post(TASK + '/node/1999', {'operator': 'pass'}).error['errCode'] == 'Task.NotFound'


def test_node_and_sub_task_compare_only_the_id_prefix(sim_cluster):
    """GET /dag compares the whole recomputed id, GET /node only its first character (node.go:107-110)."""
    sim = sim_cluster(agents=1, scenario='scale_out', step_seconds=5)
    client = raw(sim)
    assert client.get(TASK + '/dag/1+1').error == {'errCode': 'Task.NotFound', 'message': 'Task not found: dag id not match'}
    assert client.get(TASK + '/dag/1001').error['message'] == 'Task not found: dag id not match'
    assert client.get(TASK + '/node/1+1').data['name'] == 'Integrate server config'
    assert client.get(TASK + '/sub_task/1001').data['name'] == 'Integrate server config'    # cluster: no check


# ------------------------------------------------------------------------------------------ generic ids

def test_ids_whose_address_starts_with_a_zero_byte_are_rejected(sim_cluster):
    """net.IP(ipInt.Bytes()).To4() is nil when the first byte is 0 (task_dto.go:358-366)."""
    sim = sim_cluster(agents=1)
    client = raw(sim)
    zero_v4 = '2%010d%05d%d' % (int(ipaddress.IPv4Address('0.1.2.3')), 2886, 1)
    loopback_v6 = '3' + '0' * 38 + '1' + '02886' + '7'
    for ident in (zero_v4, loopback_v6, '2%010d%05d1' % (0, 2886), '2%010d%05d1' % (2 ** 32, 2886)):
        resp = client.get(TASK + '/dag/' + ident)
        assert resp.status == 400, ident
        assert resp.error == {'errCode': 'Task.GenericID.Invalid',
                              'message': 'Invalid ID: %s: convert id to ip failed' % ident}
    # an IPv6 id of a 4-byte value is the v4-mapped address, printed dotted (To16 of a 4-byte IP)
    assert parse_generic_id('3%039d%05d9' % (int(ipaddress.IPv4Address('10.0.0.1')), 2886)).ip == '10.0.0.1'
    assert parse_generic_id('3%039d%05d9' % (int(ipaddress.IPv6Address('fe80::1')), 2886)).ip == 'fe80::1'


def _ipv6_loopback():
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(('::1', 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback(), reason='no IPv6 loopback here')
def test_an_agent_on_ipv6_loopback_renders_ids_it_cannot_read_back(sim_cluster):
    """The real agent renders '3' + 38 zeros + '1' for ::1 and then rejects the id: the simulator does too."""
    sim = sim_cluster(agents=1, host='::1', scenario='agent_local', step_seconds=5)
    gid = sim.find_dag('Start observer')
    assert gid.startswith('3' + '0' * 38 + '1')
    client = raw(sim)
    contents = client.get(TASK + '/dag/agent/unfinish').data['contents']
    assert [dag['id'] for dag in contents] == [gid]
    resp = client.get(TASK + '/dag/' + gid)
    assert resp.status == 400 and resp.error['message'] == 'Invalid ID: %s: convert id to ip failed' % gid


def test_obproxy_prefixes_are_unknown_before_426(sim_cluster):
    sim = sim_cluster(agents=1, profile='4.2.5')
    ident = '4%010d%05d1' % (2130706433, sim.agents[0].port)
    resp = raw(sim).get(TASK + '/dag/' + ident)
    assert resp.status == 400 and resp.error['message'] == 'Invalid ID: %s: invalid generic id' % ident


# ------------------------------------------------------------------------------------------ sub-task logs

def test_logs_of_an_unknown_sub_task_are_an_empty_list(sim_cluster):
    sim = sim_cluster(agents=1, scenario='scale_out', step_seconds=5)
    client = raw(sim)
    resp = client.get(TASK + '/sub_task/19999/logs')
    assert resp.status == 200 and resp.data == {'contents': []}
    local = '2%010d%05d42' % (2130706433, sim.agents[0].port)
    assert client.get(TASK + '/sub_task/' + local + '/logs').data == {'contents': []}
    assert client.get(TASK + '/sub_task/1x/logs').error['errCode'] == 'Task.GenericID.Invalid'
    assert client.get(TASK + '/sub_task/19999').error['errCode'] == 'Task.NotFound'


# ------------------------------------------------------------------------------------------ auth v1

def _v1_header(client, data, blocks):
    n, e = client.public
    k = (n.bit_length() + 7) // 8
    from tests.simulator.rawclient import rsa_encrypt_block  # pylint: disable=import-outside-toplevel
    text = json.dumps(data).encode('utf-8')
    chunk = max(1, -(-len(text) // blocks))
    raw_blocks = [rsa_encrypt_block(n, e, text[i:i + chunk]) for i in range(0, len(text), chunk)]
    assert len(raw_blocks) == blocks and all(len(block) == k for block in raw_blocks)
    import base64  # pylint: disable=import-outside-toplevel
    return base64.b64encode(b''.join(raw_blocks)).decode('ascii')


def test_auth_v1_takes_exactly_one_rsa_block(sim_cluster):
    sim = sim_cluster(agents=1, profile='4.2.2', password='pw')
    client = raw(sim)
    client.fetch_key()
    data = {'password': 'pw', 'ts': int(time.time()) + 60}
    target = TASK + '/dag/unfinish'
    assert client.request('GET', target, headers={'X-OCS-Auth': _v1_header(client, data, 1)}).status == 200
    resp = client.request('GET', target, headers={'X-OCS-Auth': _v1_header(client, data, 2)})
    assert resp.status == 401
    assert resp.error == {'code': 1, 'message': 'decrypt auth header failed'}


# ------------------------------------------------------------------------------------------ obproxy DAGs

def _obproxy_sim(sim_cluster, **kwargs):
    kwargs.setdefault('agents', 2)
    kwargs.setdefault('password', 'rootpw')
    kwargs.setdefault('agent_password', 'agentpw')
    kwargs.setdefault('step_seconds', 5)
    sim = sim_cluster(scenario='obproxy', **kwargs)
    return sim, sim.find_dag('Upgrade obproxy')


def test_obproxy_dag_ids_and_lists(sim_cluster):
    sim, gid = _obproxy_sim(sim_cluster)
    agent = sim.agents[0]
    assert gid == '4%010d%05d1' % (2130706433, agent.port)
    client = raw(sim)
    listed = client.get(TASK + '/dag/agent/unfinish?show_details=false', password='rootpw').data['contents']
    assert [(dag['id'], dag['maintenance_type']) for dag in listed] == [(gid, 4)]
    everything = raw(sim, 1).get(TASK + '/dag/unfinish', password='rootpw').data['contents']
    assert [dag['id'] for dag in everything] == [gid]
    nodes = everything[0]['nodes']
    assert [node['name'] for node in nodes] == UPGRADE_OBPROXY_NODES
    assert all(node['id'].startswith('4') and node['sub_tasks'][0]['id'].startswith('4') for node in nodes)
    assert client.request('GET', '/api/v1/info').data['isObproxyAgent'] is True
    assert raw(sim, 1).request('GET', '/api/v1/info').data['isObproxyAgent'] is False


def test_obproxy_ids_take_the_agent_password_only(sim_cluster):
    sim, gid = _obproxy_sim(sim_cluster)
    client = raw(sim)
    dag_path = TASK + '/dag/' + gid
    resp = client.get(dag_path, password='rootpw')
    assert resp.status == 401 and resp.error == OBPROXY_REFUSED
    resp = client.get(dag_path, password='nope', header=AGENT_HEADER)
    assert resp.error['errCode'] == 'Security.Authentication.IncorrectAgentPassword'
    dag = client.get(dag_path, password='agentpw', header=AGENT_HEADER).data
    assert dag['name'] == 'Upgrade obproxy'
    node_id = dag['nodes'][0]['id']
    task_id = dag['nodes'][0]['sub_tasks'][0]['id']
    for path in (TASK + '/node/' + node_id, TASK + '/sub_task/' + task_id, TASK + '/sub_task/' + task_id + '/logs'):
        assert client.get(path, password='rootpw').error == OBPROXY_REFUSED, path
        assert client.get(path, password='agentpw', header=AGENT_HEADER).status == 200, path
    assert client.post(dag_path, {'operator': 'CANCEL'}, password='rootpw').error == OBPROXY_REFUSED
    # the operators work as for any DAG; node 1 "Create upgrade dir" allows cancel
    assert client.post(dag_path, {'operator': 'CANCEL'}, password='agentpw', header=AGENT_HEADER).status == 200


def test_obproxy_id_without_agent_password_set(sim_cluster):
    sim, gid = _obproxy_sim(sim_cluster, agent_password=None)
    client = raw(sim)
    assert client.get(TASK + '/dag/' + gid, password='rootpw').error == OBPROXY_REFUSED   # the header kind first
    resp = client.get(TASK + '/dag/' + gid, password='', header=AGENT_HEADER)
    assert resp.status == 401
    assert resp.error == {'code': 10008, 'errCode': 'Security.Authentication.AgentPasswordNotInitialized',
                          'message': 'Unauthorized: Agent password is not initialized'}


def test_obproxy_id_asked_at_another_agent_is_refused_there(sim_cluster):
    """The forward carries X-OCS-Header (root password + token): the owner's VerifyAgentRoutes refuses it."""
    sim, gid = _obproxy_sim(sim_cluster)
    resp = raw(sim, 1).get(TASK + '/dag/' + gid, password='agentpw', header=AGENT_HEADER)
    assert resp.status == 401 and resp.error == OBPROXY_REFUSED


def test_obproxy_id_with_the_local_prefix_does_not_match(sim_cluster):
    sim, gid = _obproxy_sim(sim_cluster)
    local = '2' + gid[1:]
    client = raw(sim)
    assert client.get(TASK + '/dag/' + local, password='rootpw').error['message'] == 'Task not found: dag id not match'
    node_id = '2' + client.get(TASK + '/dag/' + gid, password='agentpw', header=AGENT_HEADER).data['nodes'][0]['id'][1:]
    assert client.get(TASK + '/node/' + node_id, password='rootpw').error['message'] == 'Task not found: node type not match'


def test_a_follower_checks_obproxy_ids_itself(sim_cluster):
    sim = sim_cluster(agents=2, identities=['MASTER', 'FOLLOWER'], agent_password='agentpw', step_seconds=5,
                      scenario={'dags': [{'template': 'start_obproxy', 'agent': 1}]})
    gid = sim.find_dag('Start obproxy')
    resp = raw(sim, 1).get(TASK + '/dag/' + gid, password='agentpw', header=AGENT_HEADER)
    assert resp.status == 200 and resp.data['maintenance_type'] == 1
    assert not [entry for entry in sim.agents[0].requests if entry['path'].startswith(TASK)]


def test_start_obproxy_is_not_maintenance_and_leaves_the_lists_when_failed(sim_cluster):
    sim = sim_cluster(agents=1, agent_password='agentpw', step_seconds=0.02,
                      scenario={'dags': [{'template': 'start_obproxy', 'fail_at': 'Start obproxy'}]})
    gid = sim.find_dag('Start obproxy')
    assert sim.wait_for(gid) == ('FAILED', 'RUN')
    assert raw(sim).get(TASK + '/dag/agent/unfinish').data == {'contents': []}


# ------------------------------------------------------------------------------------------ observer down

def test_observer_down_cluster_reads_fail_aggregated_list_hides_them(sim_cluster):
    sim = sim_cluster(agents=1, scenario='busy', step_seconds=5, password='rootpw')
    gid = sim.find_dag('Cluster scale out')
    local = sim.find_dag('Start observer')
    agent = sim.agents[0]
    client = raw(sim)
    assert client.request('GET', '/api/v1/status').data['obState'] == 3
    agent.observer_down()
    status = client.request('GET', '/api/v1/status').data
    assert status['obState'] == 0
    resp = client.get(TASK + '/dag/ob/unfinish', password='rootpw')
    assert resp.status == 500
    assert resp.json['data'] == {'contents': None}
    assert resp.error == {'errCode': PROCESS_GONE, 'message': 'Observer process does not exist'}
    for path in ('/dags/ob', '/dag/maintain/ob'):
        resp = client.get(TASK + path, password='rootpw')
        assert (resp.status, resp.error['errCode'], 'data' in resp.json) == (500, PROCESS_GONE, False), path
    # the aggregated list is a success without the cluster DAG (spec §11.6)
    assert [dag['id'] for dag in client.get(TASK + '/dag/unfinish', password='rootpw').data['contents']] == [local]
    # one agent: nobody else can answer GET /dag/11
    resp = client.get(TASK + '/dag/' + gid, password='rootpw')
    assert resp.status == 500
    assert resp.error == {'errCode': PROCESS_GONE, 'message': 'Task not found: Observer process does not exist'}
    resp = client.post(TASK + '/dag/' + gid, {'operator': 'RETRY'}, password='rootpw')
    assert resp.error['message'] == 'Task not found: Observer process does not exist'
    assert client.get(TASK + '/node/11', password='rootpw').error['errCode'] == PROCESS_GONE
    assert client.get(TASK + '/sub_task/11', password='rootpw').error['errCode'] == PROCESS_GONE
    resp = client.get(TASK + '/sub_task/11/logs', password='rootpw')
    assert resp.json['data'] == {'contents': None}
    assert resp.error == {'errCode': PROCESS_GONE, 'message': 'Observer process does not exist'}
    # local DAGs and auth (the cached root password) keep working
    assert client.get(TASK + '/dag/' + local, password='rootpw').status == 200
    assert client.get(TASK + '/dag/unfinish', password='wrong').error['errCode'] == \
        'Security.Authentication.IncorrectOceanbasePassword'
    agent.observer_up()
    assert client.request('GET', '/api/v1/status').data['obState'] == 3
    assert [dag['id'] for dag in client.get(TASK + '/dag/ob/unfinish', password='rootpw').data['contents']] == [gid]


def test_observer_running_without_connection(sim_cluster):
    sim = sim_cluster(agents=1, scenario='scale_out', step_seconds=5)
    sim.agents[0].observer_down(state=1)
    client = raw(sim)
    assert client.request('GET', '/api/v1/status').data['obState'] == 1
    assert client.get(TASK + '/dag/ob/unfinish').error == {'errCode': 'Agent.OceanBase.Useless',
                                                           'message': 'The current database is useless'}


def test_get_cluster_dag_falls_back_to_another_agent(sim_cluster):
    """GET /dag/{1…} with the OB connection down asks the other agents; the first success is returned
    (executor/task/dag.go:102-117). Node and sub-task reads do not fall back."""
    sim = sim_cluster(agents=3, scenario='scale_out', step_seconds=5)
    sim.agents[0].observer_down()
    client = raw(sim)
    resp = client.get(TASK + '/dag/11')
    assert resp.status == 200 and resp.data['name'] == 'Cluster scale out'
    assert client.get(TASK + '/node/11').error['errCode'] == PROCESS_GONE
    sim.agents[1].observer_down()
    sim.agents[2].go_down(None)
    resp = client.get(TASK + '/dag/11')
    assert resp.status == 500 and resp.error['message'] == 'Task not found: Observer process does not exist'


def test_observer_restart_scenario(sim_cluster):
    sim = sim_cluster(agents=2, scenario='observer_restart', step_seconds=0.2)
    client = raw(sim)
    wait_until(lambda: client.request('GET', '/api/v1/status').data['obState'] == 0, what='observer down')
    assert client.get(TASK + '/dag/ob/unfinish').status == 500
    assert client.get(TASK + '/dag/unfinish').data == {'contents': None}
    assert len(raw(sim, 1).get(TASK + '/dag/unfinish').data['contents']) == 1
    assert raw(sim, 1).request('GET', '/api/v1/status').data['obState'] == 3
    wait_until(lambda: client.request('GET', '/api/v1/status').data['obState'] == 3, what='observer back')
    assert client.get(TASK + '/dag/ob/unfinish').status == 200
    kinds = [event[1] for event in sim.events]
    assert kinds.count('observer_down') == 1 and kinds.count('observer_up') == 1


def test_upgrade_takes_each_zone_observer_down_while_reinstalling(sim_cluster):
    sim = sim_cluster(agents=3, scenario='upgrade', step_seconds=0.02)
    gid = sim.find_dag(raw(sim).get(TASK + '/dag/ob/unfinish').data['contents'][0]['name'])
    assert sim.wait_for(gid, timeout=30) == ('SUCCEED', 'RUN')
    downs = [event[3].split(' ')[0] for event in sim.events if event[1] == 'observer_down']
    assert downs == [agent.address for agent in sim.agents]
    assert [event[1] for event in sim.events].count('observer_up') == 3
    assert all(agent.ob_state == 3 for agent in sim.agents)
    dag = raw(sim).get(TASK + '/dag/' + gid).data
    reinstall = [node for node in dag['nodes'] if node['name'] == 'Reinstall and restart observer']
    assert [[task['execute_agent']['port'] for task in node['sub_tasks']] for node in reinstall] == \
        [[agent.port] for agent in sim.agents]


def test_observer_down_fault_in_a_scenario_file_shape(sim_cluster):
    sim = sim_cluster(agents=1, step_seconds=0.05, scenario={'faults': [
        {'at': 0, 'agent': 0, 'kind': 'observer_down', 'state': 2, 'seconds_steps': 2}]})
    assert sim.agents[0].ob_state == 2
    wait_until(lambda: sim.agents[0].ob_state == 3, what='observer back')


def test_under_maintenance_follows_the_local_global_maintenance_dag(sim_cluster):
    sim = sim_cluster(agents=2, scenario='agent_local', step_seconds=0.1)
    gid = sim.find_dag('Start observer')
    owner = raw(sim, 1)
    assert owner.request('GET', '/api/v1/status').data['underMaintenance'] is True
    assert raw(sim, 0).request('GET', '/api/v1/status').data['underMaintenance'] is False
    sim.wait_for(gid)
    assert owner.request('GET', '/api/v1/status').data['underMaintenance'] is False


def test_local_fail_during_cluster(sim_cluster):
    sim = sim_cluster(agents=2, scenario='local_fail_during_cluster', step_seconds=0.05)
    local = sim.find_dag('Start local observer')
    assert sim.wait_for(local) == ('FAILED', 'RUN')
    contents = raw(sim).get(TASK + '/dag/unfinish?show_details=false').data['contents']
    assert [dag['name'] for dag in contents] == ['Cluster scale out']
    dag = raw(sim).get(TASK + '/dag/' + local).data
    assert (dag['maintenance_type'], dag['stage']) == (1, 2)
    assert raw(sim, 1).request('GET', '/api/v1/status').data['underMaintenance'] is False


def test_main_dags(sim_cluster):
    sim = sim_cluster(agents=2, step_seconds=5, scenario={'dags': [
        {'template': 'stop'},
        {'template': 'stop_observer', 'scope': 'local', 'agent': 1,
         'nodes': [{'name': 'Start preparations', 'task_additional_data': {'main_dag_id': 'MAIN'}},
                   {'name': 'Wait for task to end'}]}]})
    main = sim.find_dag('Stop OB')
    sub = sim.get_dag(sim.find_dag('Stop observer'))
    for node in sub.nodes:
        for task in node.sub_tasks:
            task.additional_data = {'main_dag_id': main} if task.additional_data else None
    assert raw(sim, 0).get(TASK + '/dag/agent/main_dags').status == 500      # agent 0 has no maintenance DAG
    contents = raw(sim, 1).get(TASK + '/dag/agent/main_dags').data['contents']
    assert [dag['id'] for dag in contents] == [main]


# ------------------------------------------------------------------------------------------ /api/v1/ob/info

def test_ob_info_fields(sim_cluster):
    sim = sim_cluster(agents=6, scenario='three_zones', password='rootpw', cluster_name='demo', cluster_id=7)
    resp = raw(sim, 4).get('/api/v1/ob/info', password='rootpw')
    assert resp.status == 200
    data = resp.data
    assert list(data) == ['agent_info', 'obcluster_info']
    assert data['agent_info'][0] == {'ip': '127.0.0.1', 'port': sim.agents[0].port, 'zone': 'zone1',
                                     'identity': 'CLUSTER AGENT', 'version': '4.5.0.0-0'}
    assert [entry['zone'] for entry in data['agent_info']] == ['zone1', 'zone2', 'zone3'] * 2
    info = data['obcluster_info']
    assert list(info) == ['id', 'name', 'version', 'topology', 'is_shared_storage']
    assert (info['id'], info['name'], info['version'], info['is_shared_storage']) == (7, 'demo', '4.2.1.0', False)
    assert list(info['topology']) == ['zone1', 'zone2', 'zone3']
    first = info['topology']['zone1'][0]
    assert list(first) == ['svr_ip', 'svr_port', 'sql_port', 'agent_port', 'with_rootserver', 'status', 'build_version']
    assert first == {'svr_ip': '127.0.0.1', 'svr_port': 2882, 'sql_port': 2881, 'agent_port': sim.agents[0].port,
                     'with_rootserver': 'YES', 'status': 'ACTIVE', 'build_version': '4.2.1.0_100000102023092807'}
    assert [server['agent_port'] for server in info['topology']['zone2']] == [sim.agents[1].port, sim.agents[4].port]
    flags = [server['with_rootserver'] for zone in info['topology'].values() for server in zone]
    assert flags.count('YES') == 1


def test_ob_info_auth_and_identities(sim_cluster):
    sim = sim_cluster(agents=1, password='rootpw')
    client = raw(sim)
    assert client.request('GET', '/api/v1/ob/info').error['errCode'] == 'Request.Header.NotFound'
    assert client.get('/api/v1/ob/info', password='nope').error['errCode'] == \
        'Security.Authentication.IncorrectOceanbasePassword'
    sim.agents[0].identity = 'SINGLE'
    data = client.get('/api/v1/ob/info').data
    assert data == {'agent_info': [{'ip': '127.0.0.1', 'port': sim.agents[0].port, 'zone': '',
                                    'identity': 'SINGLE', 'version': '4.5.0.0-0'}],
                    'obcluster_info': {'id': 0, 'name': '', 'version': '', 'topology': None, 'is_shared_storage': False}}
    sim.agents[0].identity = 'UNIDENTIFIED'
    resp = client.get('/api/v1/ob/info')
    assert resp.status == 500 and resp.error == {'errCode': 'Agent.Identify.Unknown',
                                                 'message': 'Agent identify is unknown: UNIDENTIFIED'}


def test_ob_info_follower_forwards_to_master(sim_cluster):
    sim = sim_cluster(agents=3, identities=['MASTER', 'FOLLOWER', 'FOLLOWER'])
    resp = raw(sim, 2).get('/api/v1/ob/info')
    assert resp.status == 200
    assert [entry['identity'] for entry in resp.data['agent_info']] == ['MASTER', 'FOLLOWER', 'FOLLOWER']
    assert resp.data['obcluster_info']['topology'] is None


def test_ob_info_while_observer_down(sim_cluster):
    sim = sim_cluster(agents=3, zones='zone1,zone1,zone2')
    sim.agents[0].observer_down()
    data = raw(sim, 0).get('/api/v1/ob/info').data
    assert data['obcluster_info'] == {'id': 1, 'name': 'obcluster', 'version': '', 'topology': None,
                                      'is_shared_storage': False}
    assert len(data['agent_info']) == 3
    topology = raw(sim, 2).get('/api/v1/ob/info').data['obcluster_info']['topology']
    assert [(server['agent_port'], server['status']) for server in topology['zone1']] == [
        (sim.agents[0].port, 'INACTIVE'), (sim.agents[1].port, 'ACTIVE')]
    assert raw(sim).request('GET', '/api/v1/info').data['zone'] == 'zone1'


def test_ob_info_before_442_has_no_shared_storage_flag(sim_cluster):
    sim = sim_cluster(agents=1, profile='4.4.1')
    assert 'is_shared_storage' not in raw(sim).get('/api/v1/ob/info').data['obcluster_info']


def test_three_zones_scenario_is_listed():
    assert {'cancellable', 'passable_fail', 'obproxy', 'observer_restart', 'local_fail_during_cluster',
            'three_zones'} <= set(builtin_scenarios)
    assert all(builtin_scenarios[name]['description'] for name in builtin_scenarios)


def test_agent_password_and_the_dags_of_an_agent_without_observer(sim_cluster):
    """POST /api/v1/agent/password, "Join self" and "Initialize cluster" as a real 4.5.0.0 agent answers them
    (docs/conformance.md; the full checks are tests/conformance)."""
    sim = sim_cluster(agents=1, identities='SINGLE', step_seconds=0.02, ob_version='')
    agent = sim.agents[0]
    client = raw(sim)
    assert client.post('/api/v1/ob/init', {}).error['errCode'] == 'Agent.Identify.NotSupportOperation'
    joined = client.post('/api/v1/agent', {'agentInfo': {'ip': agent.ip, 'port': agent.port}, 'zoneName': 'z1'})
    assert joined.status == 200 and (joined.data['name'], joined.data['state'], joined.data['nodes']) == \
        ('Join self', 'READY', None)
    assert sim.wait_for(joined.data['id']) == ('SUCCEED', 'RUN')
    assert (agent.identity, agent.zone) == ('MASTER', 'z1')
    # a MASTER without a password: the agent's verification dereferences a nil error (500), the password is set
    answer = client.post('/api/v1/agent/password', {'password': 'pw-on-master'})
    assert answer.status == 500 and answer.json['traceId'] == '' and agent.agent_password == 'pw-on-master'
    assert client.get(TASK + '/dag/unfinish', header='X-OCS-Agent-Header', password='pw-on-master').status == 200
    started = client.post('/api/v1/ob/init', {}, header='X-OCS-Agent-Header', password='pw-on-master')
    assert started.data['max_stage'] == 11
    assert sim.wait_for(started.data['id']) == ('FAILED', 'RUN')
    again = client.post('/api/v1/ob/init', {}, header='X-OCS-Agent-Header', password='pw-on-master')
    assert (again.status, again.json['data'], again.error['errCode']) == (500, None, 'Agent.UnderMaintenance')
