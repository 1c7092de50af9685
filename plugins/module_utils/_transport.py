# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""The client's HTTP transport: requests to one agent over requests' HTTPAdapter.

requests and urllib3 do the HTTP: connections kept alive and replaced when the agent has closed them, TLS (a CA
file or directory, client certificates), proxies (http://, https://, socks5:// with PySocks). The rest is in
small files, each one concern:

- _http_route.py: the route to the agent, a frozen decision of trust, client certificate and proxy, made once;
- _http_deadline.py: a deadline for the whole request (a watchdog), and the facts of how the request went;
- _tls_files.py: the rules for the TLS files, shared with the option checks;
- _http_causes.py: what an exception was, in a few words.

Here: one request, its answer capped in size (MAX_BODY_BYTES), and its failure sorted, from the recorded facts,
into "never sent" and "may have reached the agent" (so that a POST is never sent twice, and a read whose kept
connection the agent had just closed goes again at once), in errors that say what to do, naming the option or
variable, never a proxy password.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re
import socket
import ssl
import time

from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import (
    ObshellConnectionError,
    ObshellProtocolError,
    ObshellProxyError,
    ObshellTLSError,
)
from ansible_collections.oceanbase.obshell.plugins.module_utils._http_causes import root as _root
from ansible_collections.oceanbase.obshell.plugins.module_utils._http_causes import seconds as _seconds
from ansible_collections.oceanbase.obshell.plugins.module_utils._http_causes import short as _short
from ansible_collections.oceanbase.obshell.plugins.module_utils._http_deadline import (
    POOL_CLASSES,
    WATCHDOG,
    Watch,
    set_current,
    socks_pool_classes,
)
from ansible_collections.oceanbase.obshell.plugins.module_utils._http_route import (
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    route_for,
)

try:
    import http.client as http_client

    import requests
    import requests.adapters
    from urllib3.exceptions import (
        ClosedPoolError,
        ConnectTimeoutError,
        MaxRetryError,
        NewConnectionError,
        ProtocolError,
        ReadTimeoutError,
    )
    from urllib3.exceptions import HTTPError as Urllib3Error
    from urllib3.exceptions import ProxyError as Urllib3ProxyError
    from urllib3.exceptions import SSLError as Urllib3SSLError
    from urllib3.util.timeout import Timeout
    _AdapterBase = requests.adapters.HTTPAdapter
except ImportError:  # pragma: no cover - HAS_REQUESTS says so, and nothing below runs
    _AdapterBase = object

__all__ = ('HAS_REQUESTS', 'REQUESTS_IMPORT_ERROR', 'MAX_BODY_BYTES', 'Transport')

# Larger answers are refused: the biggest an agent sends (a DAG with its nodes and task logs) is a few hundred KiB,
# and a broken agent or proxy streaming without end must not fill the memory of the controller.
MAX_BODY_BYTES = 16 * 1024 * 1024
USER_AGENT = 'oceanbase.obshell (Ansible collection)'


class _Adapter(_AdapterBase):
    """requests' adapter with the watched connections (_http_deadline), direct or through any proxy. The pool
    classes are given through the pool manager's ``pool_classes_by_scheme``, which urllib3 reads for every new
    pool (requests offers no other way to choose the connection class)."""

    def init_poolmanager(self, *args, **kwargs):
        super(_Adapter, self).init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = POOL_CLASSES

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        made = proxy not in self.proxy_manager
        manager = super(_Adapter, self).proxy_manager_for(proxy, **proxy_kwargs)
        if made:
            socks_proxy = proxy.lower().startswith('socks')
            manager.pool_classes_by_scheme = socks_pool_classes() if socks_proxy else POOL_CLASSES
        return manager

    def cert_verify(self, conn, url, verify, cert):
        # requests applies `verify` to https:// URLs only. For an http:// agent behind an https:// proxy the pool is
        # the TLS connection to the proxy, which it would leave unverified, with the proxy's credentials sent over
        # it: verify the proxy as an agent would be.
        if getattr(conn, 'scheme', None) == 'https' and url[:5].lower() == 'http:':
            url = 'https:' + url[5:]
        super(_Adapter, self).cert_verify(conn, url, verify, cert)


class _ClosedBeforeAnswer(Exception):
    """The connection ended after the request was sent and before any answer: closed, reset, broken pipe."""

    def __init__(self, cause, reused):
        super(_ClosedBeforeAnswer, self).__init__(str(cause))
        self.cause = cause
        self.reused = reused


class Transport(object):
    """Requests to one agent over one requests HTTPAdapter (a kept-alive connection, replaced when the agent has
    closed it).

    ``request`` returns ``(status, body bytes)``, or raises ObshellConnectionError (``maybe_sent``: could the agent
    have received it?), ObshellTLSError, ObshellProxyError or ObshellProtocolError. The route (trust, client
    certificate, proxy) is settled when the transport is made, from ``environ`` (os.environ by default): a client
    made for a wait uses the same for all its polls. ``warnings`` lists what the task should print once.
    """

    def __init__(self, host, port, use_tls=False, validate_certs=True, ca_path=None, client_cert=None,
                 client_key=None, use_proxy=True, environ=None, address=None):
        self.route = route = route_for(host, port, use_tls=use_tls, validate_certs=validate_certs, ca_path=ca_path,
                                       client_cert=client_cert, client_key=client_key, use_proxy=use_proxy,
                                       environ=environ, address=address)
        self.host, self.port, self.use_tls = host, port, use_tls
        self.address, self.base_url, self.ca_path = route.address, route.base_url, ca_path
        self.proxy, self.proxy_label = route.proxy, route.proxy_label
        self.warnings = list(route.warnings)
        self._proxies = route.proxies
        # The adapter alone, not a requests.Session: a session's per-request work (cookies, hooks, redirects,
        # settings merged from the environment) does nothing here. The adapter chooses the pool and sets it up
        # (proxy, trust, client certificate); requests are sent on that pool (_exchange).
        self._adapter = _Adapter(pool_connections=1, pool_maxsize=1)
        # Accept-Encoding identity: answers are small, and the size cap then counts what came over the wire.
        self._headers = {'User-Agent': USER_AGENT, 'Accept-Encoding': 'identity'}
        self._urls = {}
        self._chosen = None

    def close(self):
        """End the kept connection now (urllib3 2 leaves the pools the adapter drops to the garbage collector)."""
        chosen, self._chosen = self._chosen, None
        if chosen is not None:
            chosen.close()
        self._adapter.close()

    # ------------------------------------------------------------------------------------------ requests

    def request(self, method, uri, body=None, headers=None, timeout=10.0, request_timeout=None):
        """Send one request; ``uri`` is the request-target (path and query) the agent will see and sign-check.
        It ends within ``timeout`` seconds, whatever the agent or a proxy does (name resolution excepted).
        ``request_timeout``: the configured time, when a caller's deadline cut ``timeout`` shorter (a time-out then
        says both, and its error has ``cut_by_deadline``)."""
        if self.route.setup_error is not None:
            raise self.route.setup_error
        deadline = time.monotonic() + timeout
        configured = request_timeout if request_timeout is not None and timeout < request_timeout else None
        try:
            return self._exchange(method, uri, body, headers, Watch(deadline, timeout, configured))
        except _ClosedBeforeAnswer as closed:
            if method != 'GET' or not closed.reused:
                raise self._lost(closed.cause)
        # The agent closed a kept connection just as we reused it (its idle time-out racing our poll): a read goes
        # again at once, on a new connection, within the same deadline. A POST never does: it may have been done.
        try:
            return self._exchange(method, uri, body, headers, Watch(deadline, timeout, configured))
        except _ClosedBeforeAnswer as closed:
            raise self._lost(closed.cause)

    def _exchange(self, method, uri, body, headers, watch):
        all_headers = dict(self._headers)
        all_headers.update(headers or {})
        if body is not None:
            all_headers['Content-Length'] = str(len(body))
        try:
            pool, target = self._pool(), self._target(uri)
        except (requests.RequestException, Urllib3Error, ValueError) as exc:
            raise ObshellConnectionError('cannot send %s %s: %s' % (method, self.base_url + uri.split('?')[0],
                                                                    _short(exc)), agent=self.address)
        left = max(watch.deadline - time.monotonic(), 0.001)
        set_current(watch)
        WATCHDOG.watch(watch)
        response = None
        try:
            # What HTTPAdapter.send does, through the pool's public request(), on the pool the adapter chose for
            # this route, without making a requests Response (cookies, hooks, header copies), which cost a fifth
            # of a poll's CPU.
            response = pool.request(method, target, body=body, headers=all_headers, redirect=False,
                                    assert_same_host=False, preload_content=False, decode_content=False,
                                    retries=self._adapter.max_retries, timeout=Timeout(connect=left, read=left),
                                    chunked=False)
            raw = self._read_body(response)
        except (Urllib3Error, http_client.HTTPException, OSError, ValueError) as exc:
            if response is not None:
                _close(response)
            WATCHDOG.finish(watch)
            raise self._failure(exc, watch, response is not None)
        except ObshellProtocolError:
            _close(response)
            WATCHDOG.finish(watch)
            raise
        finally:
            set_current(None)
        if WATCHDOG.finish(watch):
            _close(response)
            raise self._timed_out(watch)
        response.release_conn()     # read to its end: the connection goes back to the pool, for the next request
        return response.status, raw

    def _pool(self):
        """The urllib3 pool of this route, as HTTPAdapter.send chooses it (the pool manager's, or the proxy's),
        with the route's trust and client certificate set on it (cert_verify): chosen once, as the route is."""
        if self._chosen is None:
            prepared = requests.PreparedRequest()
            prepared.prepare_url(self.base_url + '/', None)
            if hasattr(self._adapter, 'get_connection_with_tls_context'):     # requests 2.32.2 and later
                pool = self._adapter.get_connection_with_tls_context(
                    prepared, self.route.verify, proxies=self._proxies, cert=self.route.cert)
            else:
                pool = self._adapter.get_connection(prepared.url, self._proxies)
            self._adapter.cert_verify(pool, prepared.url, self.route.verify, self.route.cert)
            self._chosen = pool
        return self._chosen

    def _target(self, uri):
        """The request-target for ``uri``: its path and query, or the whole URL to a plain HTTP proxy (what
        HTTPAdapter.request_url says), prepared once per URI."""
        target = self._urls.get(uri)
        if target is None:
            prepared = requests.PreparedRequest()
            prepared.prepare_url(self.base_url + uri, None)
            if len(self._urls) > 64:    # a wait asks a handful of URIs; ids in paths must not grow it for ever
                self._urls.clear()
            target = self._urls[uri] = self._adapter.request_url(prepared, self._proxies)
        return target

    def _read_body(self, response):
        declared = response.headers.get('Content-Length', '')
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise self._too_large('%s bytes' % declared)
        raw = response.read(MAX_BODY_BYTES + 1)
        if len(raw) > MAX_BODY_BYTES:
            raise self._too_large('more than %d bytes' % MAX_BODY_BYTES)
        return raw

    def _too_large(self, size):
        return ObshellProtocolError('the answer is %s long, more than the %d MiB an OBShell agent ever sends: refused '
                                    '(is something else answering on %s?)' % (size, MAX_BODY_BYTES // (1024 * 1024),
                                                                              self.base_url), agent=self.address)

    # ------------------------------------------------------------------------------------------ errors

    def _via(self):
        return self.route.via()

    def _scrub(self, text):
        return self.route.scrub(text)

    def _timed_out(self, watch):
        """The request's own time ran out: said from the watch's facts (sent or not, cut by the overall deadline
        or not), never from an exception's text."""
        if watch.sent:
            error = ObshellConnectionError(
                ('no answer within %ss%s' if watch.cut else 'no answer within the %ss request timeout%s') % (
                    _seconds(watch.seconds), self._via()), maybe_sent=True, agent=self.address)
        else:
            error = ObshellConnectionError('connection timed out after %ss%s' % (_seconds(watch.seconds), self._via()),
                                           agent=self.address)
        return self._cut(error, watch)

    @staticmethod
    def _cut(error, watch):
        if watch.cut:
            error.cut_by_deadline = True
            error.message = '%s (what was left before the overall deadline; request_timeout is %ss)' % (
                error.message, _seconds(watch.configured))
        return error

    def _lost(self, cause):
        return ObshellConnectionError(self._scrub('connection to %s lost%s: %s' % (self.base_url, self._via(),
                                                                                   _short(cause))),
                                      maybe_sent=True, agent=self.address)

    def _failure(self, exc, watch, answered):
        """The error to raise for what requests, urllib3 or the socket raised, and what the watch recorded."""
        root = _root(exc)
        kind = _kind(exc)
        if watch.expired or kind == 'timeout' or isinstance(exc, socket.timeout) or isinstance(root, socket.timeout):
            if kind == 'proxy' and not watch.sent:
                return self._cut(self._proxy_error(root, timeout=watch.seconds), watch)
            return self._timed_out(watch)
        if kind == 'proxy' or (self.proxy and not watch.sent and kind is not None and not self.use_tls):
            return self._proxy_error(root)
        if watch.reused and not answered and isinstance(root, (ssl.SSLEOFError, ssl.SSLZeroReturnError)):
            # A kept TLS connection the agent ended. On a new one, the same is how an agent that wants a client
            # certificate often ends the session (TLS 1.3: after the handshake): a TLS error below.
            return _ClosedBeforeAnswer(root, watch.reused)
        if kind == 'tls' or isinstance(root, ssl.SSLError):
            return self._tls_error(root)
        if isinstance(root, http_client.HTTPException) and not isinstance(
                root, (http_client.RemoteDisconnected, http_client.IncompleteRead)):
            return ObshellProtocolError(self._scrub('%s did not answer in HTTP: %s' % (self.base_url, _short(root))),
                                        agent=self.address)
        if not watch.sent:
            if self.use_tls and isinstance(root, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)):
                return self._tls_error(root)      # closed during the handshake
            return ObshellConnectionError(self._scrub('cannot connect to %s%s: %s' % (
                self.base_url, self._via(), _short(root))), agent=self.address)
        if not answered and isinstance(root, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)):
            return _ClosedBeforeAnswer(root, watch.reused)
        return self._lost(root)

    def _proxy_error(self, root, timeout=None):
        text = _short(root)
        status = re.search(r'Tunnel connection failed: (\d{3})', text)
        retryable = False
        if timeout is not None:
            what = 'did not answer within %ss' % _seconds(timeout)
        elif status and status.group(1) == '407':
            what = 'wants other credentials (%s): check the user and password in %s' % (text.split(': ', 1)[-1],
                                                                                        self.route.proxy_variable)
        elif status and status.group(1) in ('502', '503', '504'):
            # The proxy is up and could not reach the agent: an agent that is down looks like this from here.
            what = 'could not reach the agent (%s)' % text.split(': ', 1)[-1]
            retryable = True
        elif status:
            what = 'refused to connect us to the agent (%s)' % text.split(': ', 1)[-1]
        else:
            what = 'cannot be used: %s' % text
        return ObshellProxyError(self._scrub('the proxy %s (from %s) %s; it is used for %s unless NO_PROXY names the '
                                             'agent or use_proxy is false' % (self.proxy_label, self.route.proxy_variable,
                                                                              what, self.base_url)),
                                 retryable=retryable, agent=self.address)

    def _tls_error(self, exc):
        return ObshellTLSError(self._scrub('TLS failure talking to %s%s (%s): %s' % (
            self.base_url, self._via(), self._tls_advice(exc), _short(exc))), agent=self.address)

    def _tls_advice(self, exc):
        text = str(exc)
        detail = getattr(exc, 'verify_message', None) or text
        if isinstance(exc, getattr(ssl, 'SSLCertVerificationError', ())) or 'CERTIFICATE_VERIFY_FAILED' in text or \
                isinstance(exc, getattr(ssl, 'CertificateError', ())) or "doesn't match" in text:
            if 'mismatch' in detail or "doesn't match" in detail or 'not valid for' in detail:
                return ('the agent certificate is not issued for %s: connect with a name or address it lists (its '
                        'subjectAltName), or have it reissued' % self.host)
            if 'expired' in detail or 'not yet valid' in detail:
                return 'the agent certificate is outside its validity period: renew it, or check the clocks'
            if self.route.ca_source == 'ca_path':
                return 'the agent certificate is not signed by the CA in ca_path (%s)' % self.ca_path
            if self.route.ca_source:
                return ('the agent certificate is not signed by a CA of the bundle %s names (%s): set ca_path to the '
                        'CA that signed it' % (self.route.ca_source, self.route.verify))
            return ('certificate verification is on by default: set ca_path to the CA that signed the agent '
                    'certificate, or client_cert/client_key if the agent requires them')
        if 'WRONG_VERSION_NUMBER' in text or 'record layer failure' in text or 'wrong version number' in text:
            return 'the agent does not answer TLS on this port: is it serving plain HTTP (use_tls false)?'
        if 'CERTIFICATE_REQUIRED' in text.upper():
            return 'the agent requires a client certificate (mutual TLS): set client_cert and client_key'
        if self.route.has_client_cert:
            return 'the agent refused the TLS session: check client_cert/client_key and ca_path'
        # An agent that requires client certificates ends the handshake with an alert or by closing it.
        return ('the agent ended the TLS handshake: if it requires a client certificate (mutual TLS), set '
                'client_cert and client_key')


def _kind(exc):
    """What a failure of a urllib3 pool's request is, sorted as requests' HTTPAdapter.send sorts it into its exceptions:
    'timeout' (connect or read), 'proxy', 'tls', 'connection' (any other failure to connect or exchange), or None
    (something else: an HTTP protocol error, a bad value)."""
    if isinstance(exc, MaxRetryError):
        reason = exc.reason
        if isinstance(reason, ConnectTimeoutError) and not isinstance(reason, NewConnectionError):
            return 'timeout'
        if isinstance(reason, Urllib3ProxyError):
            return 'proxy'
        if isinstance(reason, Urllib3SSLError):
            return 'tls'
        return 'connection'
    if isinstance(exc, (ProtocolError, OSError, ClosedPoolError)):
        return 'connection'
    if isinstance(exc, Urllib3ProxyError):
        return 'proxy'
    if isinstance(exc, Urllib3SSLError):
        return 'tls'
    if isinstance(exc, ReadTimeoutError):
        return 'timeout'
    return None


def _close(response):
    """End an answer that will not be read to its end: its connection is dropped, not kept for another request."""
    response.close()
    response.release_conn()
