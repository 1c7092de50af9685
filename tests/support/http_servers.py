# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Loopback test servers and proxies, and their pytest fixtures (tests/conftest.py registers this module as a plugin,
so every suite has them):

- ``http_proxy``: a forward proxy (absolute-form requests) and CONNECT tunnel on http://127.0.0.1, recording what it
  saw in ``.seen``; ``.server.behaviour = ('status', 407)`` makes it answer a CONNECT with that status.
- ``https_proxy``: the same proxy behind TLS (the simulator's test certificate, ``sim_pki``).
- ``raw_server(behaviour)``: a loopback TCP server that runs ``behaviour(connection, stop)`` for each connection:
  agents that misbehave in ways an HTTP server library would not let us write. The behaviours are below
  (``stalls``, ``trickles``, ``endless_headers``, ``endless_slow_body``, ``endless_fast_body``, ``oversized``,
  ``tls_handshake_trickle``), and ``Socks5(raw_server)`` is a SOCKS5 proxy made with it.
- ``one_answer_server``: an HTTP server that answers the first request of each connection only (an agent's idle
  time-out racing a poll).
- ``closed_port()``: a loopback port nothing listens on.

Everything binds 127.0.0.1 on a port the system picks, and is stopped at the end of the test.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import http.client
import select
import socket
import ssl
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest


def closed_port():
    """A loopback port that nothing listens on (bound once by the system, then released)."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------------------------------------- HTTP servers

class ServerThread(object):
    """A server thread for the length of a test."""

    def __init__(self, server):
        self.server = server
        self.port = server.server_address[1]
        self.seen = server.seen
        self._thread = threading.Thread(target=server.serve_forever, kwargs={'poll_interval': 0.05})
        self._thread.daemon = True
        self._thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class LoopbackHTTPServer(ThreadingHTTPServer):
    """An HTTP server on 127.0.0.1 (a port the system picks), optionally behind TLS. ``seen`` is what its handler
    records, ``behaviour`` what a test asks of the handler."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, handler, tls=None):
        self.seen = []
        self.behaviour = None
        ThreadingHTTPServer.__init__(self, ('127.0.0.1', 0), handler)
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)


class QuietHandler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    disable_nagle_algorithm = True      # else keep-alive answers wait for the client's delayed ACK

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        return


def relay(one, other, seconds=10):
    """Copy bytes both ways until either side ends (TLS sockets may hold decrypted bytes select cannot see)."""
    pair = [one, other]
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            ready = [sock for sock in pair if isinstance(sock, ssl.SSLSocket) and sock.pending()]
            if not ready:
                ready = select.select(pair, [], [], 0.5)[0]
            for sock in ready:
                data = sock.recv(65536)
                if not data:
                    return
                (other if sock is one else one).sendall(data)
    except OSError:
        return


# ---------------------------------------------------------------------------------------------- proxies

class ProxyHandler(QuietHandler):
    """A forward proxy (absolute-form requests) and a CONNECT tunnel, recording what it saw. ``server.behaviour``
    may be ``('status', 407)`` to answer the CONNECT with that status."""

    def _forward(self):
        self.server.seen.append({'method': self.command, 'target': self.path, 'host': self.headers.get('Host'),
                                 'proxy_authorization': self.headers.get('Proxy-Authorization')})
        url = urlsplit(self.path)
        upstream = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
        hop_by_hop = ('proxy-authorization', 'connection', 'proxy-connection')
        headers = dict((k, v) for k, v in self.headers.items() if k.lower() not in hop_by_hop)
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else None
        upstream.request(self.command, url.path + ('?' + url.query if url.query else ''), body=body, headers=headers)
        answer = upstream.getresponse()
        data = answer.read()
        upstream.close()
        self.send_response(answer.status)
        self.send_header('Content-Type', answer.getheader('Content-Type', 'application/json'))
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _forward

    def do_CONNECT(self):
        self.server.seen.append({'method': 'CONNECT', 'target': self.path,
                                 'proxy_authorization': self.headers.get('Proxy-Authorization')})
        if self.server.behaviour is not None:
            self.send_response(self.server.behaviour[1])
            self.send_header('Content-Length', '0')
            self.end_headers()
            self.close_connection = True
            return
        host, port = self.path.rsplit(':', 1)
        upstream = socket.create_connection((host, int(port)), timeout=10)
        self.send_response(200, 'Connection established')
        self.end_headers()
        relay(self.connection, upstream)
        upstream.close()
        self.close_connection = True


@pytest.fixture
def http_proxy():
    running = ServerThread(LoopbackHTTPServer(ProxyHandler))
    yield running
    running.stop()


@pytest.fixture
def https_proxy(sim_pki):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sim_pki['server_cert'], sim_pki['server_key'])
    running = ServerThread(LoopbackHTTPServer(ProxyHandler, tls=context))
    yield running
    running.stop()


class Socks5(object):
    """A SOCKS5 proxy (no authentication, CONNECT only) on loopback, counting the tunnels it opened."""

    def __init__(self, raw_server):
        self.tunnels = []
        self.server = raw_server(self._serve)
        self.port = self.server.port

    def _serve(self, conn, stop):
        conn.recv(2 + 255)                       # version, methods
        conn.sendall(b'\x05\x00')                # no authentication
        version, command, dummy, kind = struct.unpack('!BBBB', conn.recv(4))
        if kind == 1:
            host = socket.inet_ntoa(conn.recv(4))
        else:
            host = conn.recv(ord(conn.recv(1))).decode('ascii')
        port = struct.unpack('!H', conn.recv(2))[0]
        assert version == 5 and command == 1
        upstream = socket.create_connection((host, port), timeout=10)
        self.tunnels.append((host, port))
        conn.sendall(b'\x05\x00\x00\x01' + socket.inet_aton('127.0.0.1') + struct.pack('!H', 0))
        relay(conn, upstream)
        upstream.close()


# ---------------------------------------------------------------------------------------------- raw misbehaving agents

class RawServer(object):
    """A loopback TCP server that runs ``behaviour(connection, stop)`` for each connection, in a thread: agents
    that misbehave in ways an HTTP server library would not let us write."""

    def __init__(self, behaviour):
        self.behaviour = behaviour
        self.stop = threading.Event()
        self.connections = []
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(('127.0.0.1', 0))
        self.listener.listen(16)
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept)
        self._thread.daemon = True
        self._thread.start()

    def _accept(self):
        while not self.stop.is_set():
            try:
                conn = self.listener.accept()[0]
            except socket.timeout:
                continue
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.connections.append(conn)
            worker = threading.Thread(target=self._serve, args=(conn,))
            worker.daemon = True
            worker.start()

    def _serve(self, conn):
        try:
            self.behaviour(conn, self.stop)
        except OSError:
            pass

    def close(self):
        self.stop.set()
        self.listener.close()
        for conn in self.connections:
            try:
                conn.close()
            except OSError:
                pass


@pytest.fixture
def raw_server():
    made = []

    def factory(behaviour):
        server = RawServer(behaviour)
        made.append(server)
        return server

    yield factory
    for server in made:
        server.close()


def read_request(conn):
    data = b''
    while b'\r\n\r\n' not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    return data


def drip(conn, stop, data, every):
    for index in range(len(data)):
        if stop.wait(every):
            return
        conn.sendall(data[index:index + 1])


ANSWER = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 34\r\n\r\n{"successful":true,"data":{"a":1}}'


def stalls(conn, stop):
    read_request(conn)
    stop.wait(60)


def trickles(conn, stop):
    """A byte every 0.05 s: no socket read ever waits long, and the answer takes 6 s."""
    read_request(conn)
    drip(conn, stop, ANSWER, 0.05)


def endless_headers(conn, stop):
    read_request(conn)
    conn.sendall(b'HTTP/1.1 200 OK\r\n')
    while not stop.wait(0.02):
        conn.sendall(b'X-Pad: 1\r\n'[:5])
        conn.sendall(b'X-Pad: 1\r\n'[5:])


def endless_slow_body(conn, stop):
    read_request(conn)
    conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{"successful":true,')
    while not stop.wait(0.02):
        conn.sendall(b' ')


def endless_fast_body(conn, stop):
    read_request(conn)
    conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n')
    chunk = b'%x\r\n%s\r\n' % (65536, b' ' * 65536)
    while not stop.is_set():
        conn.sendall(chunk)


def oversized(conn, stop):
    read_request(conn)
    conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 20000000\r\n\r\n{')
    stop.wait(30)


def tls_handshake_trickle(conn, stop):
    """A TLS record header announcing 16 KiB, then a byte every 0.05 s: the handshake never ends by itself."""
    conn.recv(65536)
    conn.sendall(b'\x16\x03\x03\x40\x00')
    drip(conn, stop, b'\x02' * 16384, 0.05)


# ---------------------------------------------------------------------------------------------- an agent's idle time-out

class OneAnswerHandler(QuietHandler):
    """Answers the first request of each connection and keeps it open, then closes it on the second request without
    an answer: the race of an agent's idle time-out with a poll, which no check before sending can see.
    ``server.behaviour = 'never'``: no request is answered."""

    def handle(self):
        self.answered = False
        BaseHTTPRequestHandler.handle(self)

    def _answer(self):
        length = int(self.headers.get('Content-Length') or 0)
        if length:
            self.rfile.read(length)
        self.server.seen.append((self.command, self.answered))
        if self.answered or self.server.behaviour == 'never':
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
    running = ServerThread(LoopbackHTTPServer(OneAnswerHandler))
    yield running
    running.stop()
