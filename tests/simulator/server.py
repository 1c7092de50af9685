# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""HTTP/1.1 transport of one simulated agent (keep-alive, optional TLS/mTLS), plus the request log."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import socket
import ssl
import threading
import time

import socketserver
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.simulator.api import Request
from tests.simulator.faults import mangle

_AUTH_HEADERS = ('X-OCS-Agent-Header', 'X-OCS-Header', 'X-OCS-Auth')
_MAX_HEADERS = 100
_MAX_LINE = 65536


class Headers(object):
    """Request headers: case-insensitive, the first value of a repeated name wins (Go's Header.Get)."""

    def __init__(self):
        self._first = {}
        self._all = []

    def add(self, name, value):
        self._first.setdefault(name.lower(), value)
        self._all.append((name, value))

    def get(self, name, default=None):
        return self._first.get(name.lower(), default)

    def __contains__(self, name):
        return name.lower() in self._first

    def items(self):
        return list(self._all)


def make_ssl_context(tls):
    """``tls`` = dict(cert=..., key=..., client_ca=None); a client CA makes client certificates mandatory."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls['cert'], tls['key'])
    if tls.get('client_ca'):
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(tls['client_ca'])
    return context


class AgentHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, agent, ssl_context=None):
        self.address_family = socket.AF_INET6 if ':' in address[0] else socket.AF_INET
        self.agent = agent
        self.ssl_context = ssl_context
        self.connections = set()
        self.connections_lock = threading.Lock()
        ThreadingHTTPServer.__init__(self, address, AgentRequestHandler)

    def server_bind(self):
        # skip HTTPServer.server_bind's getfqdn(): it can take seconds on hosts without DNS
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = host
        self.server_port = port

    def get_request(self):
        sock, address = self.socket.accept()
        if self.ssl_context is not None:
            # the handshake runs lazily in the handler thread, so a slow client cannot block accept()
            sock = self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        with self.connections_lock:
            self.connections.add(sock)
        return sock, address

    def shutdown_request(self, request):
        with self.connections_lock:
            self.connections.discard(request)
        ThreadingHTTPServer.shutdown_request(self, request)

    def handle_error(self, request, client_address):
        # broken connections, TLS handshake failures, agents going down: not worth a traceback
        return

    def drop_connections(self):
        """Reset every open (keep-alive) connection, as a dying process would."""
        with self.connections_lock:
            connections = list(self.connections)
            self.connections.clear()
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except (OSError, ValueError):
                pass
            try:
                conn.close()
            except (OSError, ValueError):
                pass


class AgentRequestHandler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    disable_nagle_algorithm = True     # otherwise keep-alive requests stall ~40 ms (delayed ACK)
    server_version = 'obshell-sim'
    timeout = 120

    def setup(self):
        BaseHTTPRequestHandler.setup(self)
        if isinstance(self.connection, ssl.SSLSocket):
            self._refuse_plain_http()
            try:
                self.connection.do_handshake()
            except (ssl.SSLError, OSError):
                self.close_connection = True
                raise

    def _refuse_plain_http(self):
        """Plain HTTP sent to the TLS port: Go's net/http answers it itself (a real 4.5.0.0 agent serving HTTPS,
        docs/conformance.md). The first bytes are read from the socket under the TLS layer, without consuming them."""
        try:
            first = socket.socket.recv(self.connection, 5, socket.MSG_PEEK)
        except (OSError, ValueError):
            return
        if first[:1].isalpha():
            try:
                socket.socket.sendall(self.connection, b'HTTP/1.0 400 Bad Request\r\n\r\n'
                                                       b'Client sent an HTTP request to an HTTPS server.\n')
            except OSError:
                pass
            self.close_connection = True
            raise ConnectionAbortedError('plain HTTP on the TLS port')

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        return

    def parse_request(self):
        """The request line and the headers. Our own reader, not the standard library's: its header parser (the
        email package) took a fifth of the simulator's CPU per request, which bounds the fan-out benchmarks."""
        self.command = None
        self.close_connection = True
        self.requestline = str(self.raw_requestline, 'iso-8859-1').rstrip('\r\n')
        words = self.requestline.split(' ')
        if len(words) != 3 or not words[2].startswith('HTTP/1.') or not words[0] or not words[1]:
            self.request_version = 'HTTP/1.1'      # Go answers a bad request line in HTTP/1.1, then closes
            self.send_error(HTTPStatus.BAD_REQUEST, 'malformed HTTP request %r' % self.requestline[:80])
            return False
        self.command, self.path, self.request_version = words
        headers = Headers()
        for dummy in range(_MAX_HEADERS + 1):
            line = self.rfile.readline(_MAX_LINE + 1)
            if len(line) > _MAX_LINE:
                self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, 'header line too long')
                return False
            if line in (b'\r\n', b'\n', b''):
                break
            name, sep, value = str(line, 'iso-8859-1').partition(':')
            if not sep or not name or name != name.strip():
                self.send_error(HTTPStatus.BAD_REQUEST, 'malformed MIME header line: %r' % line[:80])
                return False
            headers.add(name, value.strip())
        else:
            self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, 'too many headers')
            return False
        self.headers = headers
        connection = (headers.get('Connection') or '').lower()
        if self.request_version == 'HTTP/1.0':
            self.close_connection = connection != 'keep-alive'
        else:
            self.close_connection = connection == 'close'
        if (headers.get('Expect') or '').lower() == '100-continue' and self.request_version != 'HTTP/1.0':
            return self.handle_expect_100()
        return True

    def send_response(self, code, message=None):
        # Go's net/http sends Date but no Server header
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header('Date', formatdate(usegmt=True))

    def _read_body(self):
        if 'chunked' in (self.headers.get('Transfer-Encoding') or '').lower():
            chunks = []
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b';', 1)[0].strip() or b'0', 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b'\r\n', b'\n', b''):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b''.join(chunks)
        length = int(self.headers.get('Content-Length') or 0)
        return self.rfile.read(length) if length > 0 else b''

    def _handle(self):
        agent = self.server.agent
        t0 = time.monotonic()
        body = self._read_body()
        auth_header = None
        for name in _AUTH_HEADERS:
            if self.headers.get(name) is not None:
                auth_header = name
                break
        plan = agent.faults.take(self.command)
        if plan.delay:
            time.sleep(plan.delay)
        req = Request(self.command, self.path, self.headers, body)
        if plan.before is not None:
            plan.before()
        response = None
        if plan.error is not None and not plan.error['after']:
            response = agent.injected_error(plan.error)
        else:
            response = agent.api.handle(req)
            if plan.error is not None:
                response = agent.injected_error(plan.error)
        payload = response.body_bytes()
        status = response.status
        content_type = response.content_type
        if plan.malformed is not None:
            status, content_type, payload = mangle(plan.malformed['kind'], plan.malformed['status'], payload)
        if self.command == 'HEAD':
            payload_to_send = b''
        else:
            payload_to_send = payload
        # recorded before the bytes go out, so a client that has the response also finds its log entry
        agent.cluster.record({
            'agent': agent.address,
            'method': self.command,
            'target': self.path,
            'path': req.path,
            'query': req.query,
            'auth_header': auth_header,
            'status': status,
            'err_code': response.err_code if plan.malformed is None else None,
            'code': response.code if plan.malformed is None else None,
            'request_bytes': len(body),
            'response_bytes': len(payload),
            'time': t0,
            'end': time.monotonic(),
            'trace_id': (response.envelope or {}).get('traceId'),
            'fault': plan.names,
            'forwarded_to': response.forwarded_to,
            'identity': agent.identity,
        }, agent)
        if plan.answer is not None and self._answer_lost(agent, plan.answer):
            return
        self.send_response(status)
        self.send_header('Content-Type', content_type)
        for name, value in response.extra_headers:
            self.send_header(name, value)
        self.send_header('Content-Length', str(len(payload)))
        if self.close_connection:
            self.send_header('Connection', 'close')
        # Headers and body in one write, as Go's buffered response writer sends a small answer: one segment.
        self._headers_buffer.append(b'\r\n' + payload_to_send)
        self.flush_headers()

    def _answer_lost(self, agent, answer):
        """The request was carried out; its answer is late (True if it is never sent) or lost."""
        if answer['delay']:
            time.sleep(answer['delay'])
        if answer['down'] is not None:
            agent.go_down(answer['down'])       # closes this connection too: the answer is lost
            self.close_connection = True
            return True
        if answer['drop']:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except (OSError, ValueError):
                pass
            return True
        return False

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _handle
