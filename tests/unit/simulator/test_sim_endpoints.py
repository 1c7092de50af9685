# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Endpoints, envelopes, identities and profiles of the simulated agent (spec §2, §3)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import re

import pytest

from obshell import ClientSet
from obshell.auth.password import PasswordAuth

from tests.simulator.rawclient import RawClient

TASK = '/api/v1/task'
RFC3339_NANO = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$')


def raw(sim, index=0):
    return RawClient.for_agent(sim.agents[index])


def test_envelope_shape_and_trace_id(sim_cluster):
    sim = sim_cluster(agents=1)
    resp = raw(sim).get(TASK + '/dag/agent/unfinish', extra_headers={'X-OBSHELL-Trace-ID': 'trace-me-123'})
    assert resp.status == 200
    assert resp.headers['content-type'] == 'application/json'
    assert int(resp.headers['content-length']) == len(resp.body)
    assert list(resp.json) == ['successful', 'timestamp', 'duration', 'status', 'traceId', 'data']
    assert resp.json['successful'] is True
    assert resp.json['status'] == 200
    assert resp.json['traceId'] == 'trace-me-123'
    assert isinstance(resp.json['duration'], int)
    assert RFC3339_NANO.match(resp.json['timestamp'])
    assert b' ' not in resp.body   # compact like Go
    generated = raw(sim).request('GET', '/api/v1/info').json['traceId']
    assert re.match(r'^[0-9a-f]{16}$', generated)


def test_error_envelope_has_no_data(sim_cluster):
    sim = sim_cluster(agents=1)
    resp = raw(sim).request('GET', '/api/v1/nothing/here')
    assert resp.status == 404
    assert list(resp.json) == ['successful', 'timestamp', 'duration', 'status', 'traceId', 'error']
    assert resp.json['successful'] is False
    assert resp.error == {'errCode': 'Common.NotFound', 'message': 'Element not found: 404 not found'}


def test_wrong_method_is_not_found(sim_cluster):
    sim = sim_cluster(agents=1)
    assert raw(sim).request('DELETE', '/api/v1/info').status == 404
    assert raw(sim).post(TASK + '/dag/unfinish', {'operator': 'RETRY'}).error['errCode'] == 'Task.GenericID.Invalid'


def test_trailing_slash_redirects(sim_cluster):
    sim = sim_cluster(agents=1)
    resp = raw(sim).request('GET', '/api/v1/info/')
    assert resp.status == 301
    assert resp.headers['location'] == '/api/v1/info'


@pytest.mark.parametrize('profile, expected', [
    ('4.2.3', ['pid', 'state', 'startAt', 'homePath', 'ip', 'port', 'zone', 'identity', 'version']),
    ('4.2.4', ['pid', 'state', 'startAt', 'homePath', 'obVersion', 'ip', 'port', 'zone', 'identity', 'version']),
    ('4.2.5', ['pid', 'state', 'startAt', 'homePath', 'obVersion', 'ip', 'port', 'zone', 'identity', 'version',
               'supportedAuth']),
    ('4.2.6', ['pid', 'state', 'startAt', 'homePath', 'obVersion', 'ip', 'port', 'zone', 'identity', 'version',
               'isObproxyAgent', 'security', 'supportedAuth']),
    ('4.5.0', ['pid', 'state', 'startAt', 'homePath', 'obVersion', 'architecture', 'ip', 'port', 'zone', 'identity',
               'version', 'isObproxyAgent', 'security', 'supportedAuth']),
])
def test_info_fields_per_profile(sim_cluster, profile, expected):
    sim = sim_cluster(agents=2, profile=profile)
    data = raw(sim, 1).request('GET', '/api/v1/info').data
    assert list(data) == expected
    assert data['identity'] == 'CLUSTER AGENT'
    assert data['version'] == profile + '.0-0'        # VERSION-RELEASE, as a real 4.5.0.0 agent answers
    assert data['port'] == sim.agents[1].port
    assert data['zone'] == 'zone2'
    assert data['state'] == 2
    assert data['startAt'] > 10 ** 18      # nanoseconds
    if 'supportedAuth' in data:
        assert data['supportedAuth'] == ['v2']


def test_info_security_reflects_agent_password(sim_cluster):
    sim = sim_cluster(agents=1, agent_password='agentpw')
    assert raw(sim).request('GET', '/api/v1/info').data['security'] is True


def test_status_and_secret_and_time(sim_cluster):
    sim = sim_cluster(agents=1, profile='4.5.0')
    client = raw(sim)
    status = client.request('GET', '/api/v1/status').data
    assert status['agent'] == {'ip': '127.0.0.1', 'port': sim.agents[0].port, 'identity': 'CLUSTER AGENT'}
    assert status['version'] == '4.5.0.0-0'
    assert status['sqlPort'] == 2881
    assert client.request('POST', '/api/v1/status').status == 200
    secret = client.request('GET', '/api/v1/secret').data
    assert list(secret) == ['ip', 'port', 'public_key']
    assert RFC3339_NANO.match(client.request('GET', '/api/v1/time').data)
    old = sim_cluster(agents=1, profile='4.2.6')
    assert 'sqlPort' not in raw(old).request('GET', '/api/v1/status').data


def test_empty_lists_null_vs_empty(sim_cluster):
    """Spec §3.4: aggregated /dag/unfinish on a CLUSTER AGENT is {"contents": null} when empty."""
    sim = sim_cluster(agents=3)
    client = raw(sim)
    assert client.get(TASK + '/dag/unfinish').body.endswith(b'"data":{"contents":null}}')
    assert client.get(TASK + '/dag/agent/unfinish').body.endswith(b'"data":{"contents":[]}}')
    assert client.get(TASK + '/dag/ob/unfinish').body.endswith(b'"data":{"contents":[]}}')


def test_single_agent_unfinish_is_local_list(sim_cluster):
    sim = sim_cluster(agents=1, identities=['SINGLE'])
    assert raw(sim).get(TASK + '/dag/unfinish').data == {'contents': []}


@pytest.mark.parametrize('path', ['/dag/ob/unfinish', '/dags/ob'])
def test_non_cluster_agent_quirk_431(sim_cluster, path):
    sim = sim_cluster(agents=1, identities=['SINGLE'], profile='4.3.1')
    resp = raw(sim).get(TASK + path)
    assert resp.status == 500
    assert resp.error == {'errCode': 'Common.Unexpected',
                          'message': 'Unexpected error: ocsagent cannot build response body'}


@pytest.mark.parametrize('profile', ['4.2.3', '4.3.0'])
def test_non_cluster_agent_before_431(sim_cluster, profile):
    sim = sim_cluster(agents=1, identities=['MASTER'], profile=profile)
    resp = raw(sim).get(TASK + '/dag/ob/unfinish')
    assert resp.status == 400
    assert resp.error == {'code': 1000, 'message': 'Bad request: only cluster agent can get cluster unfinished dags'}


def test_scaling_out_unfinish_is_identify_unknown(sim_cluster):
    sim = sim_cluster(agents=2)
    sim.agents[1].identity = 'SCALING OUT'
    resp = raw(sim, 1).get(TASK + '/dag/unfinish')
    assert resp.status == 500
    assert resp.error == {'errCode': 'Agent.Identify.Unknown', 'message': 'Agent identify is unknown: SCALING OUT'}


@pytest.mark.parametrize('value, has_nodes', [
    (None, True), ('', False), ('1', True), ('t', True), ('T', True), ('TRUE', True), ('true', True), ('True', True),
    ('0', False), ('f', False), ('F', False), ('FALSE', False), ('false', False), ('False', False),
])
def test_show_details_binding(sim_cluster, value, has_nodes):
    sim = sim_cluster(agents=1, scenario='scale_out', step_seconds=5)
    gid = sim.find_dag('Cluster scale out')
    target = TASK + '/dag/' + gid + ('' if value is None else '?show_details=' + value)
    data = raw(sim).get(target).data
    if has_nodes:
        assert len(data['nodes']) == 9
        assert data['additional_data'] == {}
    else:
        assert data['nodes'] is None
        assert data['additional_data'] is None


@pytest.mark.parametrize('value', ['yes', 'no', 'TrUe', '2', ' true'])
def test_show_details_unparsable_panics(sim_cluster, value):
    sim = sim_cluster(agents=1, scenario='scale_out', step_seconds=5)
    resp = raw(sim).get(TASK + '/dag/unfinish?show_details=' + value.replace(' ', '%20'))
    assert resp.status == 500
    assert resp.error == {'errCode': 'Common.Unexpected', 'message': 'Unexpected error: Internal Server Error'}
    assert resp.json['traceId'] == '' and resp.json['duration'] == 0


def test_show_detail_singular_is_ignored(sim_cluster):
    sim = sim_cluster(agents=1, scenario='scale_out', step_seconds=5)
    contents = raw(sim).get(TASK + '/dag/ob/unfinish?show_detail=false').data['contents']
    assert len(contents[0]['nodes']) == 9


@pytest.mark.parametrize('ident, status, suffix', [
    ('1', 400, ''),                                           # too short: Occur(..., id), no cause
    ('abc', 400, ': invalid generic id'),
    ('ob', 400, ': invalid generic id'),
    ('1x', 400, ': strconv.ParseInt: parsing "x": invalid syntax'),
    ('1' + '9' * 20, 400, ': strconv.ParseInt: parsing "%s": value out of range' % ('9' * 20)),
    ('2213070643302886', 400, ''),                            # 16 chars: too short for a local id
    ('2x130706433028861', 400, ': convert id to bigInt failed'),
    ('2213070643302x861', 400, ': parse port failed'),
    ('6123', 400, ': invalid generic id'),
    ('19999', 404, None),
])
def test_generic_id_validation(sim_cluster, ident, status, suffix):
    """ConvertGenericID (task_dto.go:326-382): the cause is appended to 'Invalid ID: <id>' (OccurWithMessage)."""
    sim = sim_cluster(agents=1, scenario='scale_out', step_seconds=5)
    resp = raw(sim).get(TASK + '/dag/' + ident)
    assert resp.status == status
    if status == 400:
        assert resp.error == {'errCode': 'Task.GenericID.Invalid', 'message': 'Invalid ID: ' + ident + suffix}
    else:
        assert resp.error == {'errCode': 'Task.NotFound', 'message': 'Task not found: record not found'}


def test_generic_id_not_matching(sim_cluster):
    sim = sim_cluster(agents=1, scenario='scale_out', step_seconds=5)
    resp = raw(sim).get(TASK + '/dag/101')
    assert resp.status == 404
    assert resp.error == {'errCode': 'Task.NotFound', 'message': 'Task not found: dag id not match'}


def test_generic_id_errors_old_profile(sim_cluster):
    sim = sim_cluster(agents=1, profile='4.2.3')
    resp = raw(sim).get(TASK + '/dag/19999')
    assert resp.status == 404
    assert resp.error == {'code': 2300, 'message': 'Task not found: record not found'}


def test_local_ids_and_forwarding(sim_cluster):
    sim = sim_cluster(agents=3, scenario='agent_local', step_seconds=5)
    owner = sim.agents[1]
    gid = sim.find_dag('Start observer')
    assert gid == '2%010d%05d1' % (2130706433, owner.port)
    # asked at agent 0, forwarded to the owner
    data = raw(sim, 0).get(TASK + '/dag/' + gid).data
    assert data['id'] == gid and data['name'] == 'Start observer'
    assert data['nodes'][0]['id'].startswith(gid[:16])
    assert data['nodes'][0]['sub_tasks'][0]['execute_agent'] == {'ip': '127.0.0.1', 'port': owner.port}
    # the aggregated list has it, the other agents' local lists do not
    assert [dag['id'] for dag in raw(sim, 0).get(TASK + '/dag/unfinish').data['contents']] == [gid]
    assert raw(sim, 0).get(TASK + '/dag/agent/unfinish').data['contents'] == []
    assert [dag['id'] for dag in raw(sim, 1).get(TASK + '/dag/agent/unfinish').data['contents']] == [gid]
    # an owner that is down cannot answer
    owner.go_down(None)
    resp = raw(sim, 0).get(TASK + '/dag/' + gid)
    assert resp.status == 500 and resp.error['errCode'] == 'Common.Unexpected'
    # ...and the cluster agent's fan-out silently skips it
    assert raw(sim, 0).get(TASK + '/dag/unfinish').data == {'contents': None}


def test_cluster_ids_need_ob(sim_cluster):
    sim = sim_cluster(agents=1, scenario='scale_out', step_seconds=5)
    gid = sim.find_dag('Cluster scale out')
    sim.agents[0].identity = 'SINGLE'
    resp = raw(sim).get(TASK + '/dag/' + gid)
    assert resp.status == 500
    assert resp.error['errCode'] == 'Agent.OceanBase.NotHold'


def test_maintenance_fields_only_from_431(sim_cluster):
    new = sim_cluster(agents=1, scenario='busy', step_seconds=5)
    dags = raw(new).get(TASK + '/dag/unfinish?show_details=false').data['contents']
    by_name = dict((dag['name'], dag) for dag in dags)
    assert by_name['Cluster scale out']['maintenance_type'] == 2
    assert by_name['Cluster scale out']['maintenance_key'] == ''
    old = sim_cluster(agents=1, scenario='scale_out', step_seconds=5, profile='4.3.0')
    dag = raw(old).get(TASK + '/dag/unfinish').data['contents'][0]
    assert 'maintenance_type' not in dag and 'maintenance_key' not in dag


def test_tenant_dag_maintenance_key(sim_cluster):
    sim = sim_cluster(agents=1, scenario={'dags': [{'template': 'create_tenant'}]}, step_seconds=5)
    dag = raw(sim).get(TASK + '/dag/ob/unfinish').data['contents'][0]
    assert (dag['name'], dag['maintenance_type'], dag['maintenance_key']) == ('Create tenant t1', 3, 't1')


def test_maintain_endpoints(sim_cluster):
    sim = sim_cluster(agents=2, step_seconds=5)
    client = raw(sim)
    resp = client.get(TASK + '/dag/maintain/ob')
    assert resp.status == 404
    assert resp.error == {'errCode': 'Task.NotFound', 'message': 'Task not found: Cluster is not under maintenance'}
    resp = client.get(TASK + '/dag/maintain/agent')
    assert resp.error['message'] == 'Task not found: Agent is not under maintenance'
    # no local maintenance DAG on this agent: the handler panics (spec §3.4)
    assert client.get(TASK + '/dag/maintain/agents').status == 500
    sim.run_scenario('scale_out')
    data = client.get(TASK + '/dag/maintain/ob').data
    assert data['name'] == 'Cluster scale out'      # a bare object, not {"contents": ...}
    sim.run_scenario({'dags': [{'template': 'start_observer', 'scope': 'local', 'agent': 0},
                               {'template': 'start_observer', 'scope': 'local', 'agent': 1}]})
    contents = client.get(TASK + '/dag/maintain/agents').data['contents']
    expected = [sim.agents[0].local_store.generic_id(1)[:16], sim.agents[1].local_store.generic_id(1)[:16]]
    assert [dag['id'][:16] for dag in contents] == expected


def test_sdk_last_maintenance_dag_bug(sim_cluster):
    """Spec §8: the SDK reads /dag/maintain/ob through "contents" and returns []; the agent sends the object."""
    sim = sim_cluster(agents=1, scenario='scale_out', step_seconds=5)
    agent = sim.agents[0]
    sdk = ClientSet(agent.host, agent.port, PasswordAuth())
    assert sdk.v1.get_ob_last_maintenance_dag() == []
    assert raw(sim).get(TASK + '/dag/maintain/ob').data['name'] == 'Cluster scale out'
    assert sdk.v1.get_agent_last_maintenance_dag is not None


def test_dags_lists_since_430(sim_cluster):
    sim = sim_cluster(agents=1, scenario='busy', step_seconds=0.02)
    for name in ('Cluster scale out', 'Create tenant t1'):
        sim.wait_for(sim.find_dag(name))
    client = raw(sim)
    assert client.get(TASK + '/dag/ob/unfinish').data['contents'] == []
    everything = client.get(TASK + '/dags/ob?show_details=false').data['contents']
    assert [(dag['name'], dag['state'], dag['nodes']) for dag in everything] == [
        ('Cluster scale out', 'SUCCEED', None), ('Create tenant t1', 'SUCCEED', None)]
    local = client.get(TASK + '/dags/agent').data['contents']
    assert [(dag['name'], dag['id'][:1]) for dag in local] == [('Start observer', '2')]
    old = sim_cluster(agents=1, profile='4.2.6')
    assert raw(old).get(TASK + '/dags/ob').status == 404
    assert raw(old).get(TASK + '/dag/agent/main_dags').status == 404


def test_dags_show_details_ignored_before_432(sim_cluster):
    sim = sim_cluster(agents=1, scenario='scale_out', step_seconds=5, profile='4.3.1')
    assert raw(sim).get(TASK + '/dags/ob?show_details=false').data['contents'][0]['nodes'] is not None


def test_node_and_sub_task_endpoints(sim_cluster):
    # can_pass: an explicit opt-in, a real scale-out refuses node PASS (test_sim_dags.test_pass_of_a_scale_out_is_refused)
    scenario = {'dags': [{'template': 'scale_out', 'fail_at': 'Prev check for scale_out', 'can_pass': True}]}
    sim = sim_cluster(agents=3, scenario=scenario, step_seconds=0.02)
    gid = sim.find_dag('Cluster scale out')
    sim.wait_for(gid)
    client = raw(sim)
    dag = client.get(TASK + '/dag/' + gid).data
    failed = dag['nodes'][5]
    node = client.get(TASK + '/node/' + failed['id']).data
    assert node['name'] == 'Prev check for scale_out' and node['state'] == 'FAILED'
    assert node['additional_data'] is None
    assert client.get(TASK + '/node/' + failed['id'] + '?show_details=false').status == 500
    task_id = failed['sub_tasks'][0]['id']
    task = client.get(TASK + '/sub_task/' + task_id + '?show_details=false').data
    assert task['state'] == 'FAILED'
    assert task['task_logs'][-1].startswith('ERROR: [Common.Unexpected]: ')
    logs = client.get(TASK + '/sub_task/' + task_id + '/logs').data['contents']
    assert [row['log_content'] for row in logs] == task['task_logs']
    assert set(logs[0]) == {'id', 'sub_task_id', 'execute_times', 'log_content', 'is_sync', 'create_time',
                            'update_time'}
    assert logs[0]['sub_task_id'] == task['task_id'] and logs[0]['execute_times'] == 1
    # POST /node PASS resumes the DAG, which then succeeds
    assert client.post(TASK + '/node/' + failed['id'], {'operator': 'retry'}).error['errCode'] == \
        'Task.Node.Operator.NotSupport'
    assert client.post(TASK + '/node/' + dag['nodes'][0]['id'], {'operator': 'PASS'}).error['errCode'] == \
        'Task.Node.Operator.PassNotFailedNode'
    resp = client.post(TASK + '/node/' + failed['id'], {'operator': 'pass'})
    assert resp.status == 200 and 'data' not in resp.json
    assert sim.wait_for(gid) == ('SUCCEED', 'RUN')
    node = client.get(TASK + '/node/' + failed['id']).data
    assert (node['state'], node['operator']) == ('SUCCEED', 'PASS')
    assert client.post(TASK + '/node/' + failed['id'], {'operator': 'PASS'}).error['errCode'] == \
        'Task.Node.Operator.PassNotFailedDag'


def test_node_pass_route_missing_before_431(sim_cluster):
    sim = sim_cluster(agents=1, scenario='scale_out', step_seconds=5, profile='4.3.0')
    gid = sim.find_dag('Cluster scale out')
    node_id = raw(sim).get(TASK + '/dag/' + gid).data['nodes'][0]['id']
    assert raw(sim).post(TASK + '/node/' + node_id, {'operator': 'PASS'}).status == 404
    old = sim_cluster(agents=1, scenario='scale_out', step_seconds=5, profile='4.2.6')
    task_id = raw(old).get(TASK + '/dag/' + gid).data['nodes'][0]['sub_tasks'][0]['id']
    assert raw(old).get(TASK + '/sub_task/' + task_id + '/logs').status == 404


# ------------------------------------------------------------------------------- HTTP framing (server.py)

def _exchange(agent, raw):
    """Send raw bytes on a new connection; the status line and headers of the answer, and the body."""
    import socket  # pylint: disable=import-outside-toplevel
    with socket.create_connection((agent.host, agent.port), timeout=10) as sock:
        sock.sendall(raw)
        data = b''
        while b'\r\n\r\n' not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _sep, body = data.partition(b'\r\n\r\n')
        lines = head.decode('iso-8859-1').split('\r\n')
        headers = dict(line.split(': ', 1) for line in lines[1:])
        while len(body) < int(headers.get('Content-Length', 0)):
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        return lines[0], headers, body


def test_headers_are_case_insensitive_and_the_first_of_a_repeated_one_wins(sim_cluster):
    sim = sim_cluster(agents=1)
    agent = sim.agents[0]
    status, headers, body = _exchange(agent, b'GET /api/v1/info HTTP/1.1\r\nhost: x\r\nACCEPT: application/json\r\n'
                                             b'Accept: text/html\r\n\r\n')
    assert status == 'HTTP/1.1 200 OK' and json.loads(body)['successful'] is True
    assert int(headers['Content-Length']) == len(body)
    assert 'Connection' not in headers        # HTTP/1.1: kept alive unless asked otherwise


def test_connection_close_and_http_1_0_end_the_connection(sim_cluster):
    sim = sim_cluster(agents=1)
    agent = sim.agents[0]
    assert _exchange(agent, b'GET /api/v1/info HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')[1]['Connection'] == 'close'
    assert _exchange(agent, b'GET /api/v1/info HTTP/1.0\r\n\r\n')[1]['Connection'] == 'close'
    assert 'Connection' not in _exchange(agent, b'GET /api/v1/info HTTP/1.0\r\nConnection: keep-alive\r\n\r\n')[1]


@pytest.mark.parametrize('raw, status', [
    (b'GET /api/v1/info\r\n\r\n', 400),                                   # no version
    (b'GET /api/v1/info HTTP/2.0\r\n\r\n', 400),
    (b'GET  /api/v1/info HTTP/1.1\r\n\r\n', 400),                         # empty target
    (b'GET /api/v1/info HTTP/1.1\r\nno colon here\r\n\r\n', 400),
    (b'GET /api/v1/info HTTP/1.1\r\n Folded: x\r\n\r\n', 400),
    (b'GET /api/v1/info HTTP/1.1\r\n' + b''.join(b'X-%d: y\r\n' % i for i in range(101)) + b'\r\n', 431),
    (b'GET /api/v1/info HTTP/1.1\r\nX-Long: ' + b'y' * 70000 + b'\r\n\r\n', 431),
])
def test_malformed_requests_are_refused_with_a_4xx(sim_cluster, raw, status):
    sim = sim_cluster(agents=1)
    assert _exchange(sim.agents[0], raw)[0].split(' ')[1] == str(status)
    assert not sim.requests, 'never reaches a handler'
