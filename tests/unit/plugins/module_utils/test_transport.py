# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The client's transport (_transport.py, on requests) against real loopback servers: the simulated agent, agents
that misbehave (stall, trickle, endless headers or body, oversized answers), proxies (http://, https://, SOCKS5)
and CAs that must not be trusted. TLS verification of the agent, mutual TLS and the wait's view of TLS failures are
also in test_client.py and the reliability suite."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import os
import resource
import subprocess
import sys
import time

import pytest

from ansible_collections.oceanbase.obshell.plugins.module_utils import _http_deadline, _http_route, _options, _transport
from ansible_collections.oceanbase.obshell.plugins.module_utils._client import ObshellClient
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import (
    ObshellConnectionError,
    ObshellProtocolError,
    ObshellProxyError,
    ObshellTLSError,
)
from tests.simulator.certs import make_test_pki
from tests.support.http_servers import (
    Socks5,
    endless_fast_body,
    endless_headers,
    endless_slow_body,
    oversized,
    stalls,
    tls_handshake_trickle,
    trickles,
)

PASSWORD = 'Tr4nsport-pass'
LIST = '/api/v1/task/dag/unfinish'
SLACK = 0.5          # what a request may take beyond its timeout
CA_VARIABLES = ('REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'SSL_CERT_FILE', 'SSL_CERT_DIR')


def client_for(agent, **kwargs):
    kwargs.setdefault('retries', 0)
    return ObshellClient(host=agent.host, port=agent.port, password=PASSWORD, **kwargs)


def tls_sim(sim_cluster, pki, **kwargs):
    return sim_cluster(agents=1, password=PASSWORD, tls=dict(cert=pki['server_cert'], key=pki['server_key']), **kwargs)


def open_connections(agent):
    return len(agent._server.connections)   # pylint: disable=protected-access


@pytest.fixture
def clean_environment(no_proxy_variables):
    """No proxy and no CA-bundle variable from the environment; the monkeypatch, to set some."""
    for name in CA_VARIABLES:
        no_proxy_variables.delenv(name, raising=False)
    return no_proxy_variables


@pytest.fixture(scope='module')
def other_pki(tmp_path_factory):
    """A second, unrelated CA (with its own certificates): trusting it must not let the simulator's agent in."""
    return make_test_pki(str(tmp_path_factory.mktemp('other-pki')))


# ---------------------------------------------------------------------------------------------- loopback servers

def transport_to(server, **kwargs):
    return _transport.Transport('127.0.0.1', server.port, address='127.0.0.1:%d' % server.port, **kwargs)


@pytest.mark.parametrize('behaviour, message', [
    (stalls, 'no answer within the 1s request timeout'),
    (trickles, 'no answer within the 1s request timeout'),
    (endless_headers, 'no answer within the 1s request timeout'),
    (endless_slow_body, 'no answer within the 1s request timeout'),
])
def test_no_request_outlives_its_timeout(raw_server, clean_environment, behaviour, message):
    server = raw_server(behaviour)
    transport = transport_to(server)
    started = time.monotonic()
    with pytest.raises(ObshellConnectionError) as caught:
        transport.request('GET', '/api/v1/info', timeout=1.0)
    elapsed = time.monotonic() - started
    assert elapsed <= 1.0 + SLACK, elapsed
    assert message in str(caught.value)
    assert caught.value.maybe_sent is True
    transport.close()


def test_a_request_that_fails_otherwise_is_never_called_cut_whatever_its_text(clean_environment):
    """Whether the overall deadline cut a request is a fact the request recorded, never read from an error's text:
    a name that does not resolve is not a time-out, even given less than request_timeout, and even when the
    agent's name holds the seconds it was given ("1s")."""
    transport = _transport.Transport('agent-1s.invalid', 2886, address='agent-1s.invalid:2886')
    with pytest.raises(ObshellConnectionError) as caught:
        transport.request('GET', '/api/v1/info', timeout=1.0, request_timeout=5.0)
    assert 'cannot connect to http://agent-1s.invalid:2886' in str(caught.value), str(caught.value)
    assert caught.value.cut_by_deadline is False and 'what was left' not in str(caught.value), str(caught.value)
    transport.close()


def test_the_watch_of_a_request_records_whether_the_deadline_cut_it():
    assert _http_deadline.Watch(0.0, 0.5, 1.5).cut is True
    assert _http_deadline.Watch(0.0, 1.5, 1.5).cut is False
    assert _http_deadline.Watch(0.0, 0.5, None).cut is False


def test_the_option_checks_and_the_transport_say_a_missing_file_in_the_same_words(
        sim_cluster, tmp_path, clean_environment):
    missing = str(tmp_path / 'gone.pem')
    from_options = _options.check_connection_options({'ca_path': missing})
    sim = sim_cluster(agents=1)
    with pytest.raises(ObshellTLSError) as caught:
        _transport.Transport('127.0.0.1', sim.agents[0].port, use_tls=True, ca_path=missing).request('GET', '/')
    assert from_options == ["ca_path %r does not exist" % missing]
    assert caught.value.message == from_options[0]


def test_a_timeout_cut_by_the_callers_deadline_says_so(raw_server, clean_environment):
    """A wait whose deadline leaves 0.5 s of a 1.5 s request_timeout: the message names both numbers, and the error
    says it was cut (the wait then keeps the reason it already had), rather than quoting a "0.5s request timeout"
    the operator never set."""
    server = raw_server(stalls)
    transport = transport_to(server)
    with pytest.raises(ObshellConnectionError) as caught:
        transport.request('GET', '/api/v1/info', timeout=0.5, request_timeout=1.5)
    text = str(caught.value)
    assert 'no answer within 0.5s (what was left before the overall deadline; request_timeout is 1.5s)' in text, text
    assert 'request timeout' not in text.replace('request_timeout', '')
    assert caught.value.cut_by_deadline is True
    with pytest.raises(ObshellConnectionError) as uncut:
        transport.request('GET', '/api/v1/info', timeout=0.5)
    assert uncut.value.cut_by_deadline is False and 'the 0.5s request timeout' in str(uncut.value)
    transport.close()


def test_a_tls_handshake_that_never_ends_is_cut_at_the_deadline(raw_server, clean_environment):
    server = raw_server(tls_handshake_trickle)
    transport = transport_to(server, use_tls=True)
    started = time.monotonic()
    with pytest.raises(ObshellConnectionError) as caught:
        transport.request('GET', '/api/v1/info', timeout=1.0)
    assert time.monotonic() - started <= 1.0 + SLACK
    assert caught.value.maybe_sent is False, 'nothing was sent: the handshake never ended'


def test_an_endless_body_is_refused_at_the_size_cap(raw_server, clean_environment):
    server = raw_server(endless_fast_body)
    transport = transport_to(server)
    started = time.monotonic()
    with pytest.raises(ObshellProtocolError) as caught:
        transport.request('GET', '/api/v1/info', timeout=10.0)
    assert time.monotonic() - started <= 10.0 + SLACK
    assert 'more than %d bytes' % _transport.MAX_BODY_BYTES in str(caught.value)


def test_an_oversized_answer_is_refused_at_once_naming_its_size(raw_server, clean_environment):
    server = raw_server(oversized)
    transport = transport_to(server)
    started = time.monotonic()
    with pytest.raises(ObshellProtocolError) as caught:
        transport.request('GET', '/api/v1/info', timeout=5.0)
    assert time.monotonic() - started < 1.0
    assert '20000000 bytes' in str(caught.value) and '16 MiB' in str(caught.value)


def test_a_client_with_a_deadline_stops_within_it_and_one_request_timeout(raw_server, clean_environment):
    server = raw_server(stalls)
    client = ObshellClient('127.0.0.1', server.port, password=PASSWORD, timeout=1.0, retries=10, backoff_base=0.2,
                           backoff_max=0.4)
    started = time.monotonic()
    client.deadline = started + 2.5
    with pytest.raises(ObshellConnectionError):
        client.info()
    elapsed = time.monotonic() - started
    assert elapsed <= 2.5 + 1.0 + SLACK, elapsed
    assert 1 <= client.stats['requests'] <= 3


def test_backoff_never_sleeps_past_the_deadline(sim_cluster, clean_environment):
    sim = sim_cluster(agents=1, password=PASSWORD)
    agent = sim.agents[0]
    agent.go_down(30)
    slept = []
    client = ObshellClient(agent.host, agent.port, password=PASSWORD, retries=20, backoff_base=0.4, backoff_max=0.4,
                           sleep=lambda seconds: (slept.append(seconds), time.sleep(seconds)))
    started = time.monotonic()
    client.deadline = started + 1.0
    with pytest.raises(ObshellConnectionError) as caught:
        client.info()
    assert time.monotonic() - started <= 1.0 + SLACK
    assert 'Connection refused' in str(caught.value), 'the error is what failed, not "deadline passed"'
    assert 1 <= len(slept) <= 5


# ---------------------------------------------------------------------------------------------- kept connections

def test_the_requests_of_a_client_share_one_kept_connection(sim_cluster, clean_environment):
    sim = sim_cluster(agents=1, password=PASSWORD)
    client = client_for(sim.agents[0])
    for dummy in range(5):
        assert client.unfinished_dags('all') == []
    assert client.stats['requests'] == 7          # info, secret, 5 lists
    assert open_connections(sim.agents[0]) == 1
    client.close()
    deadline = time.monotonic() + 5
    while open_connections(sim.agents[0]) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert open_connections(sim.agents[0]) == 0, 'close() ends the kept connection'


def test_a_connection_the_agent_closed_is_replaced_without_a_retry(sim_cluster, clean_environment):
    sim = sim_cluster(agents=1, password=PASSWORD)
    agent = sim.agents[0]
    client = client_for(agent)
    assert client.unfinished_dags('all') == []
    agent._server.drop_connections()         # pylint: disable=protected-access  # an idle time-out on the agent
    time.sleep(0.05)
    started = time.monotonic()
    assert client.unfinished_dags('all') == []
    assert client.stats['retries'] == 0
    assert [r['path'] for r in sim.requests if r['time'] >= started] == [LIST]
    assert open_connections(agent) == 1


def test_a_post_after_the_agent_closed_the_connection_is_sent_once(sim_cluster, clean_environment):
    sim = sim_cluster(agents=1, password=PASSWORD, scenario='scale_out_fail', step_seconds=0.05)
    dag_id = sim.find_dag('Cluster scale out')
    assert sim.wait_for(dag_id, states=('FAILED',))[0] == 'FAILED'
    client = client_for(sim.agents[0])
    client.dag(dag_id)
    sim.agents[0]._server.drop_connections()  # pylint: disable=protected-access
    time.sleep(0.05)
    client.operate_dag(dag_id, 'ROLLBACK')
    assert len([r for r in sim.requests if r['method'] == 'POST']) == 1


def test_a_read_cut_off_on_a_kept_connection_is_sent_again_at_once(one_answer_server, clean_environment):
    transport = transport_to(one_answer_server)
    assert transport.request('GET', '/api/v1/info')[0] == 200
    status, body = transport.request('GET', '/api/v1/info')
    assert status == 200 and b'"ok":1' in body
    # first connection: answered, then cut off; the read went again on a new connection
    assert one_answer_server.seen == [('GET', False), ('GET', True), ('GET', False)]


def test_a_post_cut_off_on_a_kept_connection_is_not_sent_again(one_answer_server, clean_environment):
    transport = transport_to(one_answer_server)
    assert transport.request('GET', '/api/v1/info')[0] == 200
    with pytest.raises(ObshellConnectionError) as caught:
        transport.request('POST', '/api/v1/task/dag/11', body=b'{}', headers={'Content-Type': 'application/json'})
    assert caught.value.maybe_sent is True
    assert one_answer_server.seen == [('GET', False), ('POST', True)]


def test_a_post_whose_answer_is_lost_is_never_sent_again(one_answer_server, clean_environment):
    """The agent reads the POST and closes without answering, on a fresh connection: the client, with retries left,
    reports that it may have been done and sends nothing more."""
    one_answer_server.server.behaviour = 'never'
    client = ObshellClient('127.0.0.1', one_answer_server.port, retries=3, auth_version='v2', sleep=lambda s: None)
    with pytest.raises(ObshellConnectionError) as caught:
        client._request('POST', '/api/v1/task/dag/11', body={'operator': 'RETRY'}, auth=False)  # pylint: disable=protected-access
    assert caught.value.maybe_sent is True and caught.value.retryable is True
    assert one_answer_server.seen == [('POST', False)]
    assert client.stats['retries'] == 0


def test_more_than_1024_open_descriptors_break_nothing(sim_cluster, clean_environment):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 2048
    if hard != resource.RLIM_INFINITY and hard < wanted:
        pytest.skip('the hard limit of open files (%d) is below %d' % (hard, wanted))
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    held = []
    try:
        while len(held) < 1100:
            held.append(os.open(os.devnull, os.O_RDONLY))
        sim = sim_cluster(agents=1, password=PASSWORD)
        agent = sim.agents[0]
        client = client_for(agent)
        assert client.unfinished_dags('all') == []
        for dummy in range(3):
            agent._server.drop_connections()     # pylint: disable=protected-access
            time.sleep(0.05)
            assert client.unfinished_dags('all') == []
        assert client.stats['retries'] == 0
        client.close()
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


# ---------------------------------------------------------------------------------------------- trust

def test_ca_path_is_the_only_trust_whatever_the_environment_names(sim_cluster, sim_pki, other_pki, clean_environment):
    sim = tls_sim(sim_cluster, sim_pki)
    agent = sim.agents[0]
    for variable in ('SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE'):
        clean_environment.setenv(variable, sim_pki['ca'])       # the right CA, in the process environment
        for environ in (None, {variable: sim_pki['ca']}):       # and in a task's environment
            with pytest.raises(ObshellTLSError) as caught:
                client_for(agent, use_tls=True, ca_path=other_pki['ca'], environ=environ).info()
            message = str(caught.value)
            assert 'not signed by the CA in ca_path (%s)' % other_pki['ca'] in message, message
        clean_environment.delenv(variable)
    assert not sim.requests, 'nothing got past the handshake'
    assert client_for(agent, use_tls=True, ca_path=sim_pki['ca']).info()['identity']


def test_without_ca_path_requests_ca_bundle_is_trusted_and_ssl_cert_file_is_not(sim_cluster, sim_pki, clean_environment):
    sim = tls_sim(sim_cluster, sim_pki)
    agent = sim.agents[0]
    for variable in ('REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE'):
        assert client_for(agent, use_tls=True, environ={variable: sim_pki['ca']}).info()['identity']
        clean_environment.setenv(variable, sim_pki['ca'])
        assert client_for(agent, use_tls=True).info()['identity']
        clean_environment.delenv(variable)
    # As with requests itself: SSL_CERT_FILE does not replace the default bundle (certifi's, or the system's).
    clean_environment.setenv('SSL_CERT_FILE', sim_pki['ca'])
    with pytest.raises(ObshellTLSError) as caught:
        client_for(agent, use_tls=True).info()
    assert 'set ca_path' in str(caught.value)


def test_a_ca_bundle_variable_naming_a_missing_file_is_reported_by_name(sim_cluster, sim_pki, clean_environment, tmp_path):
    sim = tls_sim(sim_cluster, sim_pki)
    missing = str(tmp_path / 'nowhere.pem')
    with pytest.raises(ObshellTLSError) as caught:
        client_for(sim.agents[0], use_tls=True, environ={'REQUESTS_CA_BUNDLE': missing}).info()
    assert str(caught.value).endswith('REQUESTS_CA_BUNDLE %r does not exist' % missing)


def test_a_ca_directory_is_accepted_as_ca_path(sim_cluster, sim_pki, clean_environment, tmp_path):
    # OpenSSL looks certificates up by subject hash in a directory; the CA is linked under its hash name.
    digest = subprocess.run(['openssl', 'x509', '-hash', '-noout', '-in', sim_pki['ca']], check=True,
                            capture_output=True, text=True).stdout.strip()
    os.symlink(sim_pki['ca'], os.path.join(str(tmp_path), digest + '.0'))
    sim = tls_sim(sim_cluster, sim_pki)
    client = client_for(sim.agents[0], use_tls=True, ca_path=str(tmp_path))
    assert client.unfinished_dags('all') == []


def _bad_files(tmp_path, pki):
    text = tmp_path / 'notes.txt'
    text.write_text('not a certificate\n')
    empty_dir = tmp_path / 'empty'
    empty_dir.mkdir()
    encrypted = tmp_path / 'encrypted.key'
    encrypted.write_text('-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n')
    missing = str(tmp_path / 'missing.pem')
    return [
        (dict(ca_path=missing), 'ca_path %r does not exist' % missing),
        (dict(ca_path=str(text)), 'ca_path %r holds no usable PEM certificate' % str(text)),
        (dict(ca_path=str(empty_dir)), 'ca_path %r is a directory without hashed certificate names' % str(empty_dir)),
        (dict(ca_path=pki['ca'], client_cert=missing, client_key=pki['client_key']),
         'client_cert %r does not exist' % missing),
        (dict(ca_path=pki['ca'], client_cert=str(text), client_key=pki['client_key']),
         'client_cert %r is not a PEM certificate' % str(text)),
        (dict(ca_path=pki['ca'], client_cert=pki['client_cert'], client_key=missing),
         'client_key %r does not exist' % missing),
        (dict(ca_path=pki['ca'], client_cert=pki['client_cert'], client_key=str(text)),
         'client_key %r is not a PEM private key' % str(text)),
        (dict(ca_path=pki['ca'], client_cert=pki['client_cert'], client_key=str(encrypted)),
         'client_key %r is encrypted with a passphrase' % str(encrypted)),
        (dict(ca_path=pki['ca'], client_cert=pki['client_cert'], client_key=pki['server_key']),
         'cannot be used together'),
        (dict(ca_path=pki['ca'], client_cert=pki['client_cert']), 'holds no private key: give the key file as client_key'),
    ]


def test_unusable_tls_files_are_refused_before_anything_is_sent_naming_the_option(sim_cluster, sim_pki,
                                                                                  clean_environment, tmp_path):
    sim = tls_sim(sim_cluster, sim_pki)
    for options, words in _bad_files(tmp_path, sim_pki):
        client = client_for(sim.agents[0], use_tls=True, **options)
        with pytest.raises(ObshellTLSError) as caught:
            client.info()
        assert words in str(caught.value), (options, str(caught.value))
        assert 'Errno' not in str(caught.value) or 'cannot be read' in str(caught.value)
        assert caught.value.retryable is False and caught.value.kind == 'tls'
    assert not sim.requests


def test_a_certificate_for_another_name_is_reported_without_blaming_ca_path(sim_cluster, sim_pki, clean_environment):
    sim = sim_cluster(agents=1, password=PASSWORD, host='127.0.0.2',
                      tls=dict(cert=sim_pki['server_cert'], key=sim_pki['server_key']))
    with pytest.raises(ObshellTLSError) as caught:
        client_for(sim.agents[0], use_tls=True, ca_path=sim_pki['ca']).info()
    message = str(caught.value)
    assert 'not issued for 127.0.0.2' in message and 'set ca_path' not in message, message


def test_validate_certs_false_warns_once_per_client_and_silences_urllib3(sim_cluster, sim_pki, clean_environment):
    sim = tls_sim(sim_cluster, sim_pki)
    agent = sim.agents[0]
    script = '\n'.join([
        'import sys',
        'sys.path[:0] = %r' % [p for p in sys.path if p],
        'from ansible_collections.oceanbase.obshell.plugins.module_utils._client import ObshellClient',
        'client = ObshellClient(%r, %d, password=%r, use_tls=True, validate_certs=False)' % (agent.host, agent.port,
                                                                                             PASSWORD),
        'for _ in range(3):',
        '    client.unfinished_dags("all")',
        'print(len(client.warnings))',
        'print(client.warnings[0])',
    ])
    done = subprocess.run([sys.executable, '-W', 'default', '-c', script], capture_output=True, text=True, check=False,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    count, warning = done.stdout.splitlines()[:2]
    assert count == '1'
    assert 'validate_certs is false' in warning and agent.address in warning
    assert 'InsecureRequestWarning' not in done.stderr and 'Unverified HTTPS' not in done.stderr, done.stderr


# ---------------------------------------------------------------------------------------------- proxies

def _basic(credentials):
    return 'Basic ' + base64.b64encode(credentials).decode('ascii')


def test_an_http_proxy_from_the_environment_carries_every_request(sim_cluster, clean_environment, http_proxy):
    sim = sim_cluster(agents=1, password=PASSWORD)
    agent = sim.agents[0]
    clean_environment.setenv('http_proxy', 'http://ops:s%%40cret@127.0.0.1:%d' % http_proxy.port)
    client = client_for(agent)
    assert client.unfinished_dags('all') == []
    # The proxy got absolute-form targets; the agent checked the signed URI against the path it received.
    assert sorted(seen['target'] for seen in http_proxy.seen) == sorted(
        'http://%s%s' % (agent.address, path)
        for path in ('/api/v1/info', '/api/v1/secret', LIST + '?show_details=false'))
    assert set(seen['proxy_authorization'] for seen in http_proxy.seen) == {_basic(b'ops:s@cret')}
    assert sorted(r['path'] for r in sim.requests) == ['/api/v1/info', '/api/v1/secret', LIST]
    assert [r['status'] for r in sim.requests] == [200, 200, 200]


def test_an_https_agent_is_reached_through_a_connect_proxy(sim_cluster, sim_pki, clean_environment, http_proxy):
    sim = tls_sim(sim_cluster, sim_pki)
    agent = sim.agents[0]
    clean_environment.setenv('HTTPS_PROXY', 'http://ops:tunnel@127.0.0.1:%d' % http_proxy.port)
    client = client_for(agent, use_tls=True, ca_path=sim_pki['ca'])
    assert client.unfinished_dags('all') == []
    # One tunnel for the kept connection; the agent verified the certificate chain end to end and the auth header.
    assert http_proxy.seen == [{'method': 'CONNECT', 'target': agent.address,
                                'proxy_authorization': _basic(b'ops:tunnel')}]
    assert sorted(r['path'] for r in sim.requests) == ['/api/v1/info', '/api/v1/secret', LIST]
    client.close()


@pytest.mark.parametrize('use_tls', [False, True], ids=['http agent', 'https agent'])
def test_an_https_proxy_carries_requests(sim_cluster, sim_pki, clean_environment, https_proxy, use_tls):
    sim = tls_sim(sim_cluster, sim_pki) if use_tls else sim_cluster(agents=1, password=PASSWORD)
    agent = sim.agents[0]
    # The proxy's certificate is checked with the same trust as the agent's (ca_path here).
    proxies = {'https_proxy' if use_tls else 'http_proxy': 'https://ops:tls@localhost:%d' % https_proxy.port}
    client = client_for(agent, use_tls=use_tls, ca_path=sim_pki['ca'], environ=proxies)
    assert client.unfinished_dags('all') == []
    assert [seen['method'] for seen in https_proxy.seen] == (['CONNECT'] if use_tls else ['GET'] * 3)
    assert set(seen['proxy_authorization'] for seen in https_proxy.seen) == {_basic(b'ops:tls')}
    assert sorted(r['path'] for r in sim.requests) == ['/api/v1/info', '/api/v1/secret', LIST]
    # A proxy whose certificate is not trusted is refused (here: the default bundle does not know the test CA).
    with pytest.raises(ObshellProxyError) as caught:
        client_for(agent, use_tls=use_tls, environ=proxies).info()
    assert 'the proxy https://localhost:%d' % https_proxy.port in str(caught.value)
    assert 'tls' not in str(caught.value).split('localhost', maxsplit=1)[0] or 'ops:tls' not in str(caught.value)


def test_use_proxy_false_no_proxy_and_environ_decide_the_route(sim_cluster, clean_environment, http_proxy):
    sim = sim_cluster(agents=1, password=PASSWORD)
    agent = sim.agents[0]
    through = 'http://127.0.0.1:%d' % http_proxy.port
    dead = 'http://127.0.0.1:9'
    clean_environment.setenv('HTTP_PROXY', dead)
    assert client_for(agent, use_proxy=False).info()['identity']                  # direct, whatever the environment
    for no_proxy in (agent.host, '127.0.0.0/8', '*', 'localhost, %s' % agent.host):
        assert client_for(agent, environ={'HTTP_PROXY': dead, 'NO_PROXY': no_proxy}).info()['identity'], no_proxy
    clean_environment.setenv('no_proxy', agent.host)
    assert client_for(agent).info()['identity']
    assert http_proxy.seen == []
    # environ replaces os.environ: its proxy is used, the process's variables are not
    assert client_for(agent, environ={'http_proxy': through}).info()['identity']
    assert len(http_proxy.seen) == 1
    assert client_for(agent, environ={}).info()['identity']
    assert len(http_proxy.seen) == 1


def test_a_dead_proxy_is_its_own_error_not_retried_naming_the_proxy_without_credentials(sim_cluster,
                                                                                        clean_environment):
    sim = sim_cluster(agents=1, password=PASSWORD)
    clean_environment.setenv('HTTP_PROXY', 'http://ops:Pr0xy-secret@127.0.0.1:9')   # nothing listens there
    client = client_for(sim.agents[0], retries=3)
    started = time.monotonic()
    with pytest.raises(ObshellProxyError) as caught:
        client.info()
    assert time.monotonic() - started < 1.0
    message = str(caught.value)
    assert 'the proxy http://127.0.0.1:9 (from HTTP_PROXY)' in message and 'Connection refused' in message, message
    assert 'Pr0xy-secret' not in message and 'ops' not in message
    assert caught.value.kind == 'proxy' and caught.value.retryable is False and caught.value.maybe_sent is False
    assert client.stats['retries'] == 0 and not sim.requests


@pytest.mark.parametrize('status, retryable', [(407, False), (502, True)])
def test_a_proxy_refusing_the_connect_is_reported_as_the_proxy(sim_cluster, sim_pki, clean_environment, http_proxy,
                                                               status, retryable):
    sim = tls_sim(sim_cluster, sim_pki)
    http_proxy.server.behaviour = ('status', status)
    client = client_for(sim.agents[0], use_tls=True, ca_path=sim_pki['ca'],
                        environ={'HTTPS_PROXY': 'http://ops:C0nnect-secret@127.0.0.1:%d' % http_proxy.port})
    with pytest.raises(ObshellProxyError) as caught:
        client.info()
    message = str(caught.value)
    assert 'the proxy http://127.0.0.1:%d (from HTTPS_PROXY)' % http_proxy.port in message and str(status) in message
    assert 'C0nnect-secret' not in message
    assert caught.value.retryable is retryable
    assert not sim.requests


def test_an_unusable_proxy_scheme_is_refused(sim_cluster, clean_environment):
    sim = sim_cluster(agents=1, password=PASSWORD)
    with pytest.raises(ObshellProxyError) as caught:
        client_for(sim.agents[0], environ={'ALL_PROXY': 'ftp://u:p@127.0.0.1:21'}).info()
    assert 'its scheme must be one of' in str(caught.value) and 'u:p' not in str(caught.value)


@pytest.mark.parametrize('scheme', ['socks5', 'socks5h'])
def test_a_socks5_proxy_carries_requests_with_pysocks(sim_cluster, clean_environment, raw_server, scheme):
    pytest.importorskip('socks')
    sim = sim_cluster(agents=1, password=PASSWORD)
    agent = sim.agents[0]
    socks = Socks5(raw_server)
    client = client_for(agent, environ={'all_proxy': '%s://127.0.0.1:%d' % (scheme, socks.port)})
    assert client.unfinished_dags('all') == []
    assert socks.tunnels == [(agent.host, agent.port)]
    assert sorted(r['path'] for r in sim.requests) == ['/api/v1/info', '/api/v1/secret', LIST]


def test_a_socks_proxy_without_pysocks_fails_at_once_naming_it(sim_cluster, clean_environment, monkeypatch):
    sim = sim_cluster(agents=1, password=PASSWORD)
    monkeypatch.setitem(sys.modules, 'socks', None)       # as if PySocks were not installed
    client = client_for(sim.agents[0], retries=3, environ={'ALL_PROXY': 'socks5h://user:S0cks-secret@127.0.0.1:1080'})
    with pytest.raises(ObshellProxyError) as caught:
        client.info()
    message = str(caught.value)
    assert 'PySocks' in message and 'NO_PROXY' in message and 'use_proxy' in message, message
    assert 'S0cks-secret' not in message
    assert not sim.requests and client.stats['retries'] == 0


def test_environment_proxies_read_as_the_standard_library_reads_them():
    proxies, names = _http_route.environment_proxies({
        'HTTP_PROXY': 'http://upper:1', 'http_proxy': 'http://lower:1', 'HTTPS_PROXY': 'http://upper:2',
        'https_proxy': '', 'ALL_PROXY': 'socks5://all:3', 'NO_PROXY': 'a,b', 'PATH': '/bin'})
    assert proxies == {'http': 'http://lower:1', 'all': 'socks5://all:3', 'no': 'a,b'}
    assert names['http'] == 'http_proxy' and names['all'] == 'ALL_PROXY'
    assert _http_route.environment_proxies({'HTTP_PROXY': 'http://p:1', 'REQUEST_METHOD': 'GET'})[0] == {}
    assert _http_route.no_proxy_matches('10.1.2.3', 2886, '10.0.0.0/8')
    assert _http_route.no_proxy_matches('obs1.example.com', 2886, 'example.com')
    assert _http_route.no_proxy_matches('obs1.example.com', 2886, '.example.com')
    assert _http_route.no_proxy_matches('obs1', 2886, 'obs1:2886')
    assert not _http_route.no_proxy_matches('obs1', 2886, 'obs2,10.0.0.0/8')
    assert not _http_route.no_proxy_matches('obs1', 2886, '')


def test_without_requests_the_transport_imports_and_the_client_says_what_is_missing():
    script = '\n'.join([
        'import sys',
        'sys.path[:0] = %r' % [p for p in sys.path if p],
        'sys.modules["requests"] = None',
        'from ansible_collections.oceanbase.obshell.plugins.module_utils import _transport',
        'from ansible_collections.oceanbase.obshell.plugins.module_utils._client import ObshellClient',
        'from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import ObshellError',
        'assert _transport.HAS_REQUESTS is False and "requests" in _transport.REQUESTS_IMPORT_ERROR',
        'try:',
        '    ObshellClient("127.0.0.1", 2886)',
        'except ObshellError as exc:',
        '    print(exc)',
    ])
    done = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == 'the Python library requests is required'


def test_tls_files_are_not_checked_for_a_plain_http_agent(sim_cluster, clean_environment, tmp_path):
    sim = sim_cluster(agents=1, password=PASSWORD)
    assert client_for(sim.agents[0], ca_path=str(tmp_path / 'missing.pem')).info()['identity']
