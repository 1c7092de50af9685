# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fault injection, transport (keep-alive, TLS, mTLS), request log, and the command line."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time

import pytest
import requests

from obshell import ClientSet
from obshell.auth.password import PasswordAuth
from obshell.request import ProtocolOptions

from tests.simulator.rawclient import RawClient, tls_client_context

TASK = '/api/v1/task'
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def raw(sim, index=0):
    return RawClient.for_agent(sim.agents[index])


def refused(host, port):
    try:
        socket.create_connection((host, port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def test_go_down_and_come_back_on_same_port(sim_cluster):
    sim = sim_cluster(agents=2)
    agent = sim.agents[1]
    port = agent.port
    session = requests.Session()
    url = 'http://%s/api/v1/info' % agent.address
    assert session.get(url, timeout=10).status_code == 200
    agent.go_down(0.4)
    assert refused(agent.host, port)
    with pytest.raises(requests.ConnectionError):
        session.get(url, timeout=10)
    time.sleep(0.6)
    assert agent.port == port
    assert session.get(url, timeout=10).status_code == 200
    kinds = [event[1] for event in sim.events]
    assert 'agent_down' in kinds and 'agent_up' in kinds


def test_keep_alive_connection_is_reused(sim_cluster):
    sim = sim_cluster(agents=1)
    client = raw(sim)
    client.request('GET', '/api/v1/info')
    first = client._connection().sock     # pylint: disable=protected-access
    start = time.monotonic()
    for _unused in range(20):
        assert client.request('GET', '/api/v1/info').status == 200
    assert client._connection().sock is first     # pylint: disable=protected-access
    assert (time.monotonic() - start) / 20 < 0.03     # no Nagle/delayed-ACK stall


def test_inject_errors(sim_cluster):
    sim = sim_cluster(agents=1)
    agent = sim.agents[0]
    agent.inject_errors(2, status=503)
    client = raw(sim)
    for _unused in range(2):
        resp = client.request('GET', '/api/v1/info')
        assert resp.status == 503
        assert resp.json['status'] == 503 and resp.json['successful'] is False
        assert resp.error['errCode'] == 'Common.Unexpected'
    assert client.request('GET', '/api/v1/info').status == 200
    assert [entry['fault'] for entry in sim.requests] == ['error503', 'error503', None]


def test_inject_error_before_or_after_processing(sim_cluster):
    sim = sim_cluster(agents=1, scenario='passable_fail', step_seconds=0.02)
    gid = sim.find_dag('Cluster scale in')
    sim.wait_for(gid)
    agent = sim.agents[0]
    client = raw(sim)
    client.fetch_key()
    agent.inject_errors(1, status=502)
    assert client.post(TASK + '/dag/' + gid, {'operator': 'PASS'}).status == 502
    assert sim.dag_state(gid) == ('FAILED', 'RUN')          # not processed
    agent.inject_errors(1, status=500, after=True)
    assert client.post(TASK + '/dag/' + gid, {'operator': 'PASS'}).status == 500
    assert sim.dag_state(gid) == ('SUCCEED', 'PASS')        # processed, the reply was lost


def test_inject_delay(sim_cluster):
    sim = sim_cluster(agents=1)
    sim.agents[0].inject_delay(0.3, count=1)
    start = time.monotonic()
    assert raw(sim).request('GET', '/api/v1/info').status == 200
    assert time.monotonic() - start >= 0.3
    start = time.monotonic()
    raw(sim).request('GET', '/api/v1/info')
    assert time.monotonic() - start < 0.2
    with pytest.raises(requests.Timeout):
        sim.agents[0].inject_delay(0.5)
        requests.get('http://%s/api/v1/info' % sim.agents[0].address, timeout=0.1)


@pytest.mark.parametrize('kind', ['html', 'empty', 'truncated', 'missing_fields'])
def test_inject_malformed(sim_cluster, kind):
    sim = sim_cluster(agents=1)
    sim.agents[0].inject_malformed(kind)
    resp = raw(sim).request('GET', '/api/v1/info')
    if kind == 'html':
        assert resp.status == 502
        assert resp.headers['content-type'] == 'text/html'
        assert resp.body.startswith(b'<html>')
    elif kind == 'empty':
        assert resp.status == 200 and resp.body == b''
    elif kind == 'truncated':
        assert resp.status == 200 and resp.json is None and resp.body.startswith(b'{"successful":true')
    else:
        assert resp.status == 200
        assert set(resp.json) == {'timestamp', 'duration', 'traceId'}
    assert raw(sim).request('GET', '/api/v1/info').json['successful'] is True


def test_clock_skew(sim_cluster):
    sim = sim_cluster(agents=1, password='rootpw')
    agent = sim.agents[0]
    client = raw(sim)
    agent.clock_skew = 120.0
    resp = client.get(TASK + '/dag/unfinish', password='rootpw')       # ts = now + 60 < agent's now
    assert resp.error['errCode'] == 'Security.Authentication.Expired'
    stamp = re.match(r'^(.*T\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$', client.request('GET', '/api/v1/time').data)
    skewed = datetime.datetime.fromisoformat(stamp.group(1) + stamp.group(3).replace('Z', '+00:00')).timestamp()
    assert 110 < skewed - time.time() < 130
    agent.clock_skew = -30.0
    assert client.get(TASK + '/dag/unfinish', password='rootpw', lifetime=-10).status == 200


def test_scenario_faults(sim_cluster):
    sim = sim_cluster(agents=2, step_seconds=0.1, scenario={'dags': [], 'faults': [
        {'at': 0, 'agent': 1, 'kind': 'errors', 'count': 1, 'status': 503},
        {'at_steps': 1, 'agent': 0, 'kind': 'down', 'seconds': 0.3},
        {'at': 0, 'agent': 1, 'kind': 'identity', 'identity': 'single'}]})
    assert raw(sim, 1).request('GET', '/api/v1/info').status == 503
    assert sim.agents[1].identity == 'SINGLE'
    deadline = time.monotonic() + 3
    while not sim.agents[0].is_down:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert refused(sim.agents[0].host, sim.agents[0].port)
    while sim.agents[0].is_down:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert raw(sim).request('GET', '/api/v1/info').status == 200


def test_request_log_and_counters(sim_cluster):
    sim = sim_cluster(agents=2, password='pw')
    client = raw(sim, 1)
    client.fetch_key()
    sim.reset_log()
    client.get(TASK + '/dag/unfinish?show_details=false', password='pw')
    client.request('GET', '/api/v1/info')
    client.get(TASK + '/dag/unfinish', password='bad')
    log = sim.requests
    assert [entry['auth_header'] for entry in log] == ['X-OCS-Header', None, 'X-OCS-Header']
    first = log[0]
    assert first['agent'] == sim.agents[1].address
    assert first['method'] == 'GET'
    assert first['target'] == TASK + '/dag/unfinish?show_details=false'
    assert first['path'] == TASK + '/dag/unfinish'
    assert first['status'] == 200 and first['err_code'] is None
    assert first['request_bytes'] == 0 and first['response_bytes'] > 50
    assert first['time'] <= first['end'] <= time.monotonic()
    assert log[2]['status'] == 401 and log[2]['err_code'] == 'Security.Authentication.IncorrectOceanbasePassword'
    agent = sim.agents[1]
    assert agent.counters['requests'] == 3
    assert agent.counters['response_bytes'] == sum(entry['response_bytes'] for entry in log)
    assert len(agent.requests) == 3 and sim.agents[0].counters['requests'] == 0
    assert sim.counters()[agent.address]['requests'] == 3
    sim.reset_log()
    assert sim.requests == [] and agent.counters['requests'] == 0 and agent.requests == []


def test_post_body_bytes_logged(sim_cluster):
    sim = sim_cluster(agents=1, scenario='scale_out', step_seconds=5)
    raw(sim).post(TASK + '/dag/11', {'operator': 'CANCEL'})
    entry = sim.requests[-1]
    assert entry['method'] == 'POST' and entry['request_bytes'] == 44    # base64 of 32 AES bytes


def test_https_and_mtls(sim_cluster, sim_pki):
    pki = sim_pki
    sim = sim_cluster(agents=1, scenario='scale_out', step_seconds=5,
                      tls={'cert': pki['server_cert'], 'key': pki['server_key']})
    agent = sim.agents[0]
    url = 'https://%s/api/v1/info' % agent.address
    assert requests.get(url, verify=pki['ca'], timeout=10).json()['successful'] is True
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(url, timeout=10)       # not trusted by the system store
    sdk = ClientSet(agent.host, agent.port, PasswordAuth(), protocol_options=ProtocolOptions.https(verify_cert=pki['ca']))
    assert [dag.name for dag in sdk.v1.get_unfinished_dags()] == ['Cluster scale out']

    mtls = sim_cluster(agents=1, tls={'cert': pki['server_cert'], 'key': pki['server_key'], 'client_ca': pki['ca']})
    agent = mtls.agents[0]
    url = 'https://%s/api/v1/info' % agent.address
    with pytest.raises((requests.exceptions.SSLError, requests.exceptions.ConnectionError)):
        requests.get(url, verify=pki['ca'], timeout=10)
    resp = requests.get(url, verify=pki['ca'], cert=(pki['client_cert'], pki['client_key']), timeout=10)
    assert resp.status_code == 200
    client = RawClient.for_agent(agent, tls_context=tls_client_context(pki['ca'], pki['client_cert'], pki['client_key']))
    assert client.get(TASK + '/dag/unfinish').status == 200
    assert mtls.agents[0].is_down is False
    with pytest.raises((ssl.SSLError, OSError)):
        RawClient.for_agent(agent, tls_context=tls_client_context(pki['ca'])).request('GET', '/api/v1/info')
    assert requests.get(url, verify=pki['ca'], cert=(pki['client_cert'], pki['client_key']), timeout=10).status_code == 200


def _start_cli(*args):
    env = dict(os.environ)
    env['PYTHONPATH'] = REPO_ROOT + os.pathsep + env.get('PYTHONPATH', '')
    return subprocess.Popen([sys.executable, '-m', 'tests.simulator'] + list(args), cwd=REPO_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_cli_runs_and_exits_cleanly():
    proc = _start_cli('--agents', '2', '--base-port', '0', '--scenario', 'scale_out', '--step-seconds', '0.1',
                      '--password', 'pw', '--identity', '1=SINGLE', '--profile', '4.3.1')
    try:
        lines = [proc.stdout.readline().decode() for _unused in range(2)]
        addresses = [line.split()[1] for line in lines]
        assert all(line.startswith('agent 127.0.0.1:') and line.endswith(' ready\n') for line in lines)
        info = [requests.get('http://%s/api/v1/info' % address, timeout=10).json()['data'] for address in addresses]
        assert [item['identity'] for item in info] == ['CLUSTER AGENT', 'SINGLE']
        assert info[0]['version'] == '4.3.1.0-0'
        sdk = ClientSet('127.0.0.1', int(addresses[0].split(':')[1]), PasswordAuth('pw'))
        assert [dag.name for dag in sdk.v1.get_unfinished_dags()] == ['Cluster scale out']
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert refused('127.0.0.1', int(addresses[0].split(':')[1]))


def test_cli_sigint_and_bad_args(tmp_path):
    scenario = tmp_path / 's.json'
    scenario.write_text(json.dumps({'dags': [{'template': 'stop'}]}))
    proc = _start_cli('--agents', '1', '--base-port', '0', '--scenario', str(scenario))
    try:
        assert proc.stdout.readline().decode().endswith(' ready\n')
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=10)
    assert proc.returncode == 0
    bad = _start_cli('--identity', 'KING')
    _out, err = bad.communicate(timeout=10)
    assert bad.returncode == 2 and b'unknown identity' in err


def test_cli_tls_flags(sim_pki):
    pki = sim_pki
    proc = _start_cli('--agents', '1', '--base-port', '0', '--tls-cert', pki['server_cert'], '--tls-key',
                      pki['server_key'], '--tls-client-ca', pki['ca'])
    try:
        address = proc.stdout.readline().decode().split()[1]
        url = 'https://%s/api/v1/info' % address
        resp = requests.get(url, verify=pki['ca'], cert=(pki['client_cert'], pki['client_key']), timeout=10)
        assert resp.json()['data']['identity'] == 'CLUSTER AGENT'
        with pytest.raises((requests.exceptions.SSLError, requests.exceptions.ConnectionError)):
            requests.get(url, verify=pki['ca'], timeout=10)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)
    assert proc.returncode == 0


# Lost and late answers to a request the agent carried out (issue 18, item 6), and another client first -------------

def _failed_scale_in(sim_cluster):
    sim = sim_cluster(agents=2, scenario='passable_fail', step_seconds=0.02)
    gid = sim.find_dag('Cluster scale in')
    sim.wait_for(gid)
    client = raw(sim)
    client.fetch_key()
    return sim, gid, client


def test_late_answer_is_carried_out_before_the_answer_is_sent(sim_cluster):
    sim, gid, client = _failed_scale_in(sim_cluster)
    sim.agents[0].inject_late_answers(1.0)
    client.timeout = 0.3
    client.close()      # the next connection takes the short time-out
    start = time.monotonic()
    with pytest.raises(socket.timeout):
        client.post(TASK + '/dag/' + gid, {'operator': 'PASS'})
    assert time.monotonic() - start < 0.9
    assert sim.dag_state(gid) == ('SUCCEED', 'PASS')        # done, though the client had no answer
    entry = [e for e in sim.requests if e['method'] == 'POST'][-1]
    assert entry['fault'] == 'answer_late' and entry['status'] == 200
    # A client that waits long enough gets the answer, late; GETs are not delayed.
    client.close()
    assert raw(sim).get(TASK + '/dag/' + gid).status == 200


def test_late_answer_arrives_for_a_patient_client(sim_cluster):
    sim, gid, client = _failed_scale_in(sim_cluster)
    sim.agents[0].inject_late_answers(0.4)
    start = time.monotonic()
    assert client.post(TASK + '/dag/' + gid, {'operator': 'PASS'}).status == 200
    assert time.monotonic() - start >= 0.4


def test_dropped_answer_closes_the_connection_after_the_work(sim_cluster):
    sim, gid, client = _failed_scale_in(sim_cluster)
    # RawClient sends once more on a dropped connection: both answers are dropped; the second finds it passed.
    sim.agents[0].inject_late_answers(drop=True, count=2)
    with pytest.raises((ConnectionError, OSError)):
        client.post(TASK + '/dag/' + gid, {'operator': 'PASS'})
    assert sim.dag_state(gid) == ('SUCCEED', 'PASS')
    posts = [e for e in sim.requests if e['method'] == 'POST']
    assert [(e['status'], e['fault']) for e in posts] == [(200, 'answer_dropped'), (400, 'answer_dropped')]


def test_agent_going_away_right_after_the_work(sim_cluster):
    sim, gid, client = _failed_scale_in(sim_cluster)
    agent = sim.agents[0]
    agent.inject_late_answers(drop=True, down_seconds=0.6)
    with pytest.raises((ConnectionError, OSError)):
        client.post(TASK + '/dag/' + gid, {'operator': 'PASS'})
    assert refused(agent.host, agent.port)
    assert sim.dag_state(gid) == ('SUCCEED', 'PASS')
    time.sleep(1.0)
    assert raw(sim).get(TASK + '/dag/' + gid).data['operator'] == 'PASS'


def test_late_answers_wait_for_their_method(sim_cluster):
    sim, gid, client = _failed_scale_in(sim_cluster)
    sim.agents[0].inject_late_answers(5.0)
    start = time.monotonic()
    for _unused in range(3):
        assert client.get(TASK + '/dag/' + gid).status == 200
    assert time.monotonic() - start < 1.0
    sim.agents[0].clear_faults()
    assert client.post(TASK + '/dag/' + gid, {'operator': 'PASS'}).status == 200


def test_interleaved_operation_lands_before_the_next_post(sim_cluster):
    sim, gid, client = _failed_scale_in(sim_cluster)
    sim.agents[0].interleave(lambda: sim.operate(gid, 'PASS'))
    assert client.get(TASK + '/dag/' + gid).data['state'] == 'FAILED'     # a GET does not trigger it
    resp = client.post(TASK + '/dag/' + gid, {'operator': 'RETRY'})
    assert resp.status == 400 and resp.error['errCode'] == 'Task.Dag.Operator.RetryNotFailedDag'
    assert sim.dag_state(gid) == ('SUCCEED', 'PASS')
    # sim.operate refuses as the agent would
    from tests.simulator.dags import OperationError
    with pytest.raises(OperationError):
        sim.operate(gid, 'RETRY')


def test_redeployed_cluster_reuses_ids_for_other_dags(sim_cluster):
    sim, gid, client = _failed_scale_in(sim_cluster)
    sim.redeploy_cluster()
    assert client.get(TASK + '/dag/' + gid).status == 404
    sim.create_dag({'name': 'Start obshell', 'nodes': [{'name': 'only'}]})
    dag = client.get(TASK + '/dag/' + gid).data
    assert dag['id'] == gid and dag['name'] == 'Start obshell'


def test_redeployed_agent_reuses_local_ids_with_a_new_key(sim_cluster):
    sim = sim_cluster(agents=1, step_seconds=5, scenario={'dags': [{'name': 'Install obshell package', 'scope': 'local',
                                                                    'nodes': ['a', 'b']}]})
    gid = sim.find_dag('Install obshell package')
    agent = sim.agents[0]
    key = agent.rsa_key
    agent.redeploy()
    assert agent.rsa_key is not key
    sim.create_dag({'name': 'Start obshell', 'scope': 'local', 'nodes': [{'name': 'only'}]})
    assert sim.find_dag('Start obshell') == gid
    dag = raw(sim).get(TASK + '/dag/' + gid).data
    assert dag['name'] == 'Start obshell'
