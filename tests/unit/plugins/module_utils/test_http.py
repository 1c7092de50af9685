# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The client's own HTTP transport (_http.py): kept connections, proxies from the environment, TLS contexts.

TLS verification, mutual TLS and the error for each TLS failure are in test_client.py and the reliability suite.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import http.client
import os
import select
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from ansible_collections.oceanbase.obshell.plugins.module_utils import _http
from ansible_collections.oceanbase.obshell.plugins.module_utils._client import ObshellClient
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import ObshellConnectionError

PASSWORD = 'Tr4nsport-pass'
LIST = '/api/v1/task/dag/unfinish'


def client_for(agent, **kwargs):
    kwargs.setdefault('retries', 0)
    return ObshellClient(host=agent.host, port=agent.port, password=PASSWORD, **kwargs)


def open_connections(agent):
    return len(agent._server.connections)   # pylint: disable=protected-access


def test_the_requests_of_a_client_share_one_kept_connection(sim_cluster):
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


def test_a_connection_the_agent_closed_is_replaced_without_a_retry(sim_cluster):
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


def test_a_post_after_the_agent_closed_the_connection_is_sent_once(sim_cluster):
    sim = sim_cluster(agents=1, password=PASSWORD, scenario='scale_out_fail', step_seconds=0.05)
    dag_id = sim.find_dag('Cluster scale out')
    assert sim.wait_for(dag_id, states=('FAILED',))[0] == 'FAILED'
    client = client_for(sim.agents[0])
    client.dag(dag_id)
    sim.agents[0]._server.drop_connections()  # pylint: disable=protected-access
    time.sleep(0.05)
    client.operate_dag(dag_id, 'ROLLBACK')
    assert len([r for r in sim.requests if r['method'] == 'POST']) == 1


class _TestServer(ThreadingHTTPServer):
    """A loopback server on an ephemeral port that keeps a list of what it saw."""

    daemon_threads = True

    def __init__(self, handler):
        self.seen = []
        ThreadingHTTPServer.__init__(self, ('127.0.0.1', 0), handler)


class _QuietHandler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        return


def _running(server):
    """Serve in a thread for the duration of a fixture."""
    thread = threading.Thread(target=server.serve_forever, kwargs={'poll_interval': 0.05})
    thread.daemon = True
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


class _ForwardHandler(_QuietHandler):
    """A plain HTTP forward proxy: takes absolute-form requests and forwards them, recording what it saw."""

    def do_GET(self):
        self.server.seen.append({'target': self.path, 'host': self.headers.get('Host'),
                                 'proxy_authorization': self.headers.get('Proxy-Authorization')})
        url = urlsplit(self.path)
        upstream = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
        hop_by_hop = ('proxy-authorization', 'connection')
        headers = dict((k, v) for k, v in self.headers.items() if k.lower() not in hop_by_hop)
        upstream.request('GET', url.path + ('?' + url.query if url.query else ''), headers=headers)
        answer = upstream.getresponse()
        body = answer.read()
        upstream.close()
        self.send_response(answer.status)
        self.send_header('Content-Type', answer.getheader('Content-Type', 'application/json'))
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def forward_proxy():
    yield from _running(_TestServer(_ForwardHandler))


def test_an_http_proxy_from_the_environment_carries_every_request(sim_cluster, no_proxy_variables, forward_proxy):
    sim = sim_cluster(agents=1, password=PASSWORD)
    agent = sim.agents[0]
    no_proxy_variables.setenv('http_proxy', 'http://ops:s%%40cret@127.0.0.1:%d' % forward_proxy.server_address[1])
    client = client_for(agent)
    assert client.unfinished_dags('all') == []
    # The proxy got absolute-form targets; the agent checked the signed URI against the path it received.
    assert sorted(seen['target'] for seen in forward_proxy.seen) == sorted(
        'http://%s%s' % (agent.address, path)
        for path in ('/api/v1/info', '/api/v1/secret', LIST + '?show_details=false'))
    assert set(seen['host'] for seen in forward_proxy.seen) == {agent.address}
    expected = 'Basic ' + base64.b64encode(b'ops:s@cret').decode('ascii')
    assert set(seen['proxy_authorization'] for seen in forward_proxy.seen) == {expected}
    assert sorted(r['path'] for r in sim.requests) == ['/api/v1/info', '/api/v1/secret', LIST]
    assert [r['status'] for r in sim.requests] == [200, 200, 200]


def test_a_proxy_that_is_not_http_is_refused_naming_no_proxy(sim_cluster, no_proxy_variables):
    sim = sim_cluster(agents=1, password=PASSWORD)
    no_proxy_variables.setenv('ALL_PROXY', 'socks5://127.0.0.1:1080')
    client = client_for(sim.agents[0])
    with pytest.raises(ObshellConnectionError) as caught:
        client.info()
    assert 'socks5' in str(caught.value) and 'NO_PROXY' in str(caught.value)
    assert not sim.requests
    no_proxy_variables.setenv('NO_PROXY', sim.agents[0].host)
    assert client_for(sim.agents[0]).info()['identity']


def test_proxy_credentials_never_reach_a_message(sim_cluster, no_proxy_variables):
    sim = sim_cluster(agents=1, password=PASSWORD)
    no_proxy_variables.setenv('HTTP_PROXY', 'http://ops:Pr0xy-secret@127.0.0.1:9')   # nothing listens there
    with pytest.raises(ObshellConnectionError) as caught:
        client_for(sim.agents[0]).info()
    assert 'through the proxy http://127.0.0.1:9' in str(caught.value)
    assert 'Pr0xy-secret' not in str(caught.value)


def test_one_tls_context_per_setting_not_per_client(sim_pki):
    first = _http.ssl_context(True, sim_pki['ca'], None, None)
    assert _http.ssl_context(True, sim_pki['ca'], None, None) is first
    assert _http.ssl_context(False, None, None, None) is not first
    unverified = _http.ssl_context(False, None, None, None)
    assert unverified.check_hostname is False


class _TunnelHandler(_QuietHandler):
    """A CONNECT proxy: opens a tunnel to the named host and relays bytes both ways (TLS passes through it)."""

    def do_CONNECT(self):
        self.server.seen.append({'target': self.path, 'proxy_authorization': self.headers.get('Proxy-Authorization')})
        host, port = self.path.rsplit(':', 1)
        upstream = socket.create_connection((host, int(port)), timeout=10)
        self.send_response(200, 'Connection established')
        self.end_headers()
        sockets = [self.connection, upstream]
        try:
            while True:
                readable = select.select(sockets, [], [], 10)[0]
                if not readable:
                    break
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (upstream if sock is self.connection else self.connection).sendall(data)
        except OSError:
            return
        finally:
            upstream.close()
            self.close_connection = True


@pytest.fixture
def tunnel_proxy():
    yield from _running(_TestServer(_TunnelHandler))


def test_an_https_agent_is_reached_through_a_connect_proxy(sim_cluster, sim_pki, no_proxy_variables, tunnel_proxy):
    sim = sim_cluster(agents=1, password=PASSWORD, tls=dict(cert=sim_pki['server_cert'], key=sim_pki['server_key']))
    agent = sim.agents[0]
    no_proxy_variables.setenv('HTTPS_PROXY', 'http://ops:tunnel@127.0.0.1:%d' % tunnel_proxy.server_address[1])
    client = client_for(agent, use_tls=True, ca_path=sim_pki['ca'])
    assert client.unfinished_dags('all') == []
    # One tunnel for the kept connection; the agent verified the certificate chain end to end and the auth header.
    expected = 'Basic ' + base64.b64encode(b'ops:tunnel').decode('ascii')
    assert tunnel_proxy.seen == [{'target': agent.address, 'proxy_authorization': expected}]
    assert sorted(r['path'] for r in sim.requests) == ['/api/v1/info', '/api/v1/secret', LIST]
    client.close()


def test_a_ca_directory_is_accepted_as_ca_path(sim_cluster, sim_pki, tmp_path):
    # OpenSSL looks certificates up by subject hash in a directory; the CA is linked under its hash name.
    import ssl  # pylint: disable=import-outside-toplevel
    import subprocess  # pylint: disable=import-outside-toplevel
    digest = subprocess.run(['openssl', 'x509', '-hash', '-noout', '-in', sim_pki['ca']], check=True,
                            capture_output=True, text=True).stdout.strip()
    os.symlink(sim_pki['ca'], os.path.join(str(tmp_path), digest + '.0'))
    sim = sim_cluster(agents=1, password=PASSWORD, tls=dict(cert=sim_pki['server_cert'], key=sim_pki['server_key']))
    client = client_for(sim.agents[0], use_tls=True, ca_path=str(tmp_path))
    assert client.unfinished_dags('all') == []
    assert isinstance(_http.ssl_context(True, str(tmp_path), None, None), ssl.SSLContext)


class _OneAnswerHandler(_QuietHandler):
    """Answers the first request of each connection and keeps it open, then closes it on the second request without
    an answer: the race of an agent's idle time-out with a poll, which no check before sending can see."""

    def handle(self):
        self.answered = False
        BaseHTTPRequestHandler.handle(self)

    def _answer(self):
        length = int(self.headers.get('Content-Length') or 0)
        if length:
            self.rfile.read(length)
        self.server.seen.append((self.command, self.answered))
        if self.answered:
            self.close_connection = True
            return
        self.answered = True
        body = b'{"successful":true,"data":{"ok":1}}'
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer


@pytest.fixture
def one_answer_server():
    yield from _running(_TestServer(_OneAnswerHandler))


def test_a_read_cut_off_on_a_kept_connection_is_sent_again_at_once(one_answer_server, no_proxy_variables):
    transport = _http.HttpTransport('127.0.0.1', one_answer_server.server_address[1], address='test')
    assert transport.request('GET', '/api/v1/info')[0] == 200
    status, body = transport.request('GET', '/api/v1/info')
    assert status == 200 and b'"ok":1' in body
    # first connection: answered, then cut off; the read went again on a new connection
    assert one_answer_server.seen == [('GET', False), ('GET', True), ('GET', False)]


def test_a_post_cut_off_on_a_kept_connection_is_not_sent_again(one_answer_server, no_proxy_variables):
    transport = _http.HttpTransport('127.0.0.1', one_answer_server.server_address[1], address='test')
    assert transport.request('GET', '/api/v1/info')[0] == 200
    with pytest.raises(ObshellConnectionError) as caught:
        transport.request('POST', '/api/v1/task/dag/11', body=b'{}', headers={'Content-Type': 'application/json'})
    assert caught.value.maybe_sent is True
    assert one_answer_server.seen == [('GET', False), ('POST', True)]
