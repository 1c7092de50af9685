# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The baseline for the transport figures: the collection's former HTTP transport on http.client, as it was
(plugins/module_utils/_http.py before the move to requests), kept here and only here so that one benchmark run
can print the figures of both side by side. Not part of the collection, which has no hand-written HTTP.

benchmarks.baseline swaps it into an ObshellClient in place of the requests transport.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import os
import re
import select
import socket
import ssl
import threading

import http.client as http_client
from urllib.parse import unquote, urlsplit

from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import (
    ObshellConnectionError,
    ObshellTLSError,
)

# TLS contexts are costly to make (the system CA store is parsed) and safe to share between threads, so one is
# made per distinct setting and process, not per client or per request.
_SSL_CONTEXTS = {}
_SSL_CONTEXTS_LOCK = threading.Lock()


def ssl_context(validate_certs=True, ca_path=None, client_cert=None, client_key=None):
    """The TLS context for these settings. ``ca_path`` may be a PEM file or a directory of hashed certificates;
    without it the system store is used (SSL_CERT_FILE and SSL_CERT_DIR are honoured by OpenSSL)."""
    key = (bool(validate_certs), ca_path, client_cert, client_key)
    with _SSL_CONTEXTS_LOCK:
        context = _SSL_CONTEXTS.get(key)
        if context is None:
            context = _new_ssl_context(*key)
            _SSL_CONTEXTS[key] = context
        return context


def _new_ssl_context(validate_certs, ca_path, client_cert, client_key):
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    if not validate_certs:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif ca_path:
        if os.path.isdir(ca_path):
            context.load_verify_locations(capath=ca_path)
        else:
            context.load_verify_locations(cafile=ca_path)
    if client_cert:
        context.load_cert_chain(client_cert, client_key)
    return context


def environment_proxy(scheme, host):
    """The proxy URL the environment names for ``scheme://host``, or None (no variable, or NO_PROXY matches).

    The usual conventions, as curl and requests read them: ``<scheme>_proxy`` then ``all_proxy``, lower case
    first, and ``no_proxy`` (names, domain suffixes, ``*``)."""
    # Most hosts have no proxy variable at all; urllib.request is imported only when one is set.
    if not any(name.lower().endswith('_proxy') for name in os.environ):
        return None
    from urllib.request import getproxies_environment, proxy_bypass_environment  # pylint: disable=import-outside-toplevel
    proxies = getproxies_environment()
    proxy = proxies.get(scheme) or proxies.get('all')
    if not proxy or proxy_bypass_environment(host, proxies):
        return None
    return proxy


class HttpTransport(object):
    """Requests to one agent over one kept-alive connection (a new one when the agent has closed it).

    ``request`` returns ``(status, body bytes)`` or raises ObshellConnectionError (with ``maybe_sent``: could
    the agent have received the request?) or ObshellTLSError. The proxy and the TLS context are settled when the
    transport is made: a client made for a wait uses the same settings for all its polls.
    """

    def __init__(self, host, port, use_tls=False, validate_certs=True, ca_path=None, client_cert=None,
                 client_key=None, address=None):
        self.host = host
        self.port = port
        self.use_tls = use_tls
        self.address = address
        self.base_url = '%s://%s' % ('https' if use_tls else 'http', address)
        self._context = None
        if use_tls:
            self._context = ssl_context(validate_certs, ca_path, client_cert, client_key)
        self._has_client_cert = bool(client_cert)
        self.proxy = environment_proxy('https' if use_tls else 'http', host)
        # The proxy's parts, its credentials as a header, and a label without them: worked out once, not per connection.
        self._proxy_parts = self._proxy_headers = self._proxy_label = None
        if self.proxy is not None:
            parts = urlsplit(self.proxy if '://' in self.proxy else 'http://' + self.proxy)
            self._proxy_parts = parts
            self._proxy_label = '%s://%s%s' % (parts.scheme, parts.hostname or '', ':%s' % parts.port if parts.port else '')
            self._proxy_headers = {}
            if parts.username is not None:
                credentials = '%s:%s' % (unquote(parts.username), unquote(parts.password or ''))
                self._proxy_headers['Proxy-Authorization'] = (
                    'Basic ' + base64.b64encode(credentials.encode('utf-8')).decode('ascii'))
        self._conn = None

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _new_connection(self, timeout):
        if self.proxy is None:
            if self.use_tls:
                return http_client.HTTPSConnection(self.host, self.port, timeout=timeout, context=self._context)
            return http_client.HTTPConnection(self.host, self.port, timeout=timeout)
        proxy = self._proxy_parts
        if proxy.scheme != 'http' or not proxy.hostname:
            raise ObshellConnectionError(
                'the proxy %s from the environment is not an http:// proxy, which is all this collection can '
                'use; name the agent in NO_PROXY to reach it directly' % self._proxy_label, agent=self.address)
        if self.use_tls:
            conn = http_client.HTTPSConnection(proxy.hostname, proxy.port or 80, timeout=timeout,
                                               context=self._context)
            conn.set_tunnel(self.host, self.port, headers=self._proxy_headers)
            return conn
        return http_client.HTTPConnection(proxy.hostname, proxy.port or 80, timeout=timeout)

    def _connection(self, timeout):
        """The kept connection if the agent has not closed it, else a new one, connected (TLS included)."""
        conn = self._conn
        if conn is not None and conn.sock is not None:
            # A kept connection with something to read before we asked anything has been closed by the agent
            # (or is out of step): start afresh rather than send into it.
            readable = select.select([conn.sock], [], [], 0)[0]
            if not readable:
                conn.sock.settimeout(timeout)
                return conn
        self.close()
        conn = self._new_connection(timeout)
        try:
            conn.connect()
        except socket.timeout:
            conn.close()
            raise ObshellConnectionError('connection timed out after %ss' % _seconds(timeout), agent=self.address)
        except ssl.SSLError as exc:
            conn.close()
            raise self._tls_error(exc)
        except (OSError, http_client.HTTPException) as exc:
            conn.close()
            if self.use_tls and isinstance(exc, (ConnectionResetError, BrokenPipeError)):
                raise self._tls_error(exc)      # closed during the handshake
            raise ObshellConnectionError('cannot connect to %s%s: %s' % (
                self.base_url, ' through the proxy %s' % self._proxy_label if self.proxy else '', _short(exc)),
                agent=self.address)
        self._conn = conn
        return conn

    def request(self, method, uri, body=None, headers=None, timeout=10.0, request_timeout=None):
        """Send one request; ``uri`` is the request-target (path and query) that the agent will see. The signature
        is the collection's transport's (``_transport.Transport.request``), so the client can call either;
        ``request_timeout`` (the configured time when a deadline cut ``timeout`` shorter) only words the collection's
        messages and changes nothing in what is sent or measured."""
        kept = self._conn is not None
        try:
            return self._exchange(method, uri, body, headers, timeout)
        except _StaleConnection as stale:
            # The agent closed a kept connection just as we reused it (an idle time-out racing our poll). A read
            # is sent again at once on a new connection; anything else is reported as possibly sent.
            if kept and method == 'GET':
                return self._exchange(method, uri, body, headers, timeout)
            raise ObshellConnectionError('connection to %s lost: %s' % (self.base_url, _short(stale.cause)),
                                         maybe_sent=True, agent=self.address)

    def _exchange(self, method, uri, body, headers, timeout):
        conn = self._connection(timeout)
        target = uri
        headers = dict(headers or {})
        if self.proxy is not None and not self.use_tls:
            target = self.base_url + uri      # absolute-form for a plain HTTP proxy; it forwards the path alone
            headers.update(self._proxy_headers)
        try:
            conn.request(method, target, body=body, headers=headers)
            response = conn.getresponse()
            raw = response.read()
        except socket.timeout:
            self.close()
            raise ObshellConnectionError('no answer within the %ss request timeout' % _seconds(timeout),
                                         maybe_sent=True, agent=self.address)
        except ssl.SSLError as exc:
            # With TLS 1.3 an agent that wants a client certificate says so after the handshake, at the first read.
            self.close()
            raise self._tls_error(exc)
        except (http_client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as exc:
            self.close()
            raise _StaleConnection(exc)
        except (OSError, http_client.HTTPException) as exc:
            self.close()
            raise ObshellConnectionError('connection to %s lost: %s' % (self.base_url, _short(exc)),
                                         maybe_sent=True, agent=self.address)
        if response.will_close:
            self.close()
        return response.status, raw

    def _tls_error(self, exc):
        return ObshellTLSError('TLS failure talking to %s (%s): %s' % (self.base_url, self._tls_advice(exc), _short(exc)),
                               agent=self.address)

    def _tls_advice(self, exc):
        text = str(exc)
        if isinstance(exc, ssl.SSLCertVerificationError) or 'CERTIFICATE_VERIFY_FAILED' in text:
            return ('certificate verification is on by default: set ca_path to the CA that signed the agent '
                    'certificate, or client_cert/client_key if the agent requires them')
        if 'WRONG_VERSION_NUMBER' in text or 'record layer failure' in text:
            return 'the agent does not answer TLS on this port: is it serving plain HTTP (use_tls false)?'
        if self._has_client_cert:
            return 'the agent refused the TLS session: check client_cert/client_key and ca_path'
        # An agent that requires client certificates ends the handshake with an alert or by closing it.
        return ('the agent ended the TLS handshake: if it requires a client certificate (mutual TLS), set '
                'client_cert and client_key')


class _StaleConnection(Exception):
    """The connection ended before any answer: closed by the agent, reset, or a broken pipe."""

    def __init__(self, cause):
        super(_StaleConnection, self).__init__(str(cause))
        self.cause = cause


def _short(exc):
    if isinstance(exc, ssl.SSLError):
        # "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: ... (_ssl.c:1006)": the source line goes
        return re.sub(r'\s*\(_ssl\.c:\d+\)$', '', str(exc))[:200]
    if isinstance(exc, OSError) and exc.errno is not None:
        return '[Errno %s] %s' % (exc.errno, exc.strerror)
    return (str(exc) or exc.__class__.__name__)[:200]


def _seconds(value):
    return ('%.1f' % value).rstrip('0').rstrip('.')
