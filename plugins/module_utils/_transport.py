# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""The client's HTTP transport: requests to one agent through one ``requests.Session``.

requests and urllib3 do the HTTP: connections kept alive and replaced when the agent has closed them, TLS (a CA
file or directory, client certificates), proxies (http://, https://, socks5:// with PySocks). What they do not do
is here, and only that:

- a deadline for the whole request. Their time-outs are per socket read, so an agent answering one byte a second
  kept a 10 s request going for minutes. One watchdog thread per process shuts down the socket of any request
  still running at its deadline, whatever phase it is in (connect, TLS, CONNECT, headers, body);
- a cap on the size of an answer (MAX_BODY_BYTES);
- failures sorted into "never sent" and "may have reached the agent", so that a POST is never sent twice, and a
  read whose kept connection the agent had just closed goes again at once;
- proxies and CA-bundle variables read from a given environment (a task's ``environment:`` on the controller),
  never by changing os.environ, which other threads share;
- errors that say what to do, naming the option or variable, never a proxy password.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import heapq
import itertools
import os
import re
import socket
import ssl
import threading
import time
import traceback
import warnings

from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import (
    ObshellConnectionError,
    ObshellProtocolError,
    ObshellProxyError,
    ObshellTLSError,
)

try:
    import http.client as http_client
    from urllib.parse import urlsplit
    from urllib.request import proxy_bypass_environment

    import requests
    import requests.adapters
    import requests.utils
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
    from urllib3.exceptions import HTTPError as Urllib3Error
    from urllib3.exceptions import InsecureRequestWarning, ReadTimeoutError
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
    _AdapterBase = requests.adapters.HTTPAdapter
except ImportError:  # pragma: no cover - exercised through missing_required_lib in modules
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
    # Stand-ins, so that the classes below can be defined; nothing in this file runs without requests.
    _AdapterBase = HTTPConnection = HTTPSConnection = HTTPConnectionPool = HTTPSConnectionPool = object

# Larger answers are refused: the biggest an agent sends (a DAG with its nodes and task logs) is a few hundred KiB,
# and a broken agent or proxy streaming without end must not fill the memory of the controller.
MAX_BODY_BYTES = 16 * 1024 * 1024
USER_AGENT = 'oceanbase.obshell (Ansible collection)'
_PROXY_SCHEMES = ('http', 'https', 'socks5', 'socks5h', 'socks4', 'socks4a')


# ---------------------------------------------------------------------------------------------- deadlines

class _Watch(object):
    """One request under watch: its deadline, what it is using, and what has happened to it so far."""

    __slots__ = ('deadline', 'held', 'sock', 'conn', 'sent', 'reused', 'expired', 'done')

    def __init__(self, deadline):
        self.deadline = deadline
        self.held = None        # a duplicate of a new connection's socket, while TLS and CONNECT are set up on it
        self.sock = None        # the socket the request was sent on
        self.conn = None        # the urllib3 connection
        self.sent = False       # the request's bytes started to leave: it may have reached the agent
        self.reused = False     # on a connection that had carried an earlier request (kept alive)
        self.expired = False    # the watchdog shut it down at its deadline
        self.done = False


class _Watchdog(object):
    """One thread per process, holding a heap of (deadline, request): at a request's deadline it shuts down the
    request's socket, which ends any blocked read or write in it at once. Cheap per request (a heap push; the
    thread wakes only at the earliest deadline, and is not woken for a later one), and no thread per request.
    Started on first use, and again in a forked child (a fork does not copy the thread)."""

    def __init__(self):
        self._pid = None
        self._start_lock = threading.Lock()

    def forget(self):
        """In a forked child: the parent's thread and locks are not ours."""
        self._pid = None
        self._start_lock = threading.Lock()

    def _start(self):
        with self._start_lock:
            if self._pid == os.getpid():
                return
            self._lock = threading.Lock()
            self._wakeup = threading.Condition(self._lock)
            self._heap = []
            self._order = itertools.count()
            self._wake_at = None       # when the thread looks next; None: it waits for a request
            thread = threading.Thread(target=self._run, name='obshell-request-deadlines')
            thread.daemon = True
            thread.start()
            self._pid = os.getpid()

    def watch(self, watch):
        if self._pid != os.getpid():
            self._start()
        with self._lock:
            heapq.heappush(self._heap, (watch.deadline, next(self._order), watch))
            if self._wake_at is None or watch.deadline < self._wake_at:
                self._wakeup.notify()

    def hold(self, watch, sock):
        """Keep a duplicate of a new socket: TLS takes the socket object over (its own is then unusable), and
        the duplicate still reaches the connection until it is set up."""
        with self._lock:
            if watch.done:
                return
            try:
                watch.held = socket.fromfd(sock.fileno(), sock.family, sock.type)
            except (OSError, ValueError):
                return
            if watch.expired:
                _shut_down(watch.held)

    def release(self, watch):
        with self._lock:
            held, watch.held = watch.held, None
            if held is not None:
                held.close()

    def finish(self, watch):
        """The request is over; True if the watchdog cut it off."""
        with self._lock:
            watch.done = True
            held, watch.held = watch.held, None
            if held is not None:
                held.close()
            watch.sock = watch.conn = None
            return watch.expired

    def _run(self):
        with self._lock:
            while True:
                now = time.monotonic()
                heap = self._heap
                while heap and (heap[0][2].done or heap[0][0] <= now):
                    watch = heapq.heappop(heap)[2]
                    if not watch.done:
                        watch.expired = True
                        for sock in (watch.held, watch.sock, getattr(watch.conn, 'sock', None)):
                            _shut_down(sock)
                self._wake_at = heap[0][0] if heap else None
                self._wakeup.wait(None if self._wake_at is None else max(self._wake_at - now, 0.001))


def _shut_down(sock):
    if sock is not None and not isinstance(sock, socket.socket):
        sock = getattr(sock, 'socket', None)    # urllib3's SSLTransport (TLS inside an https:// proxy) wraps one
    if isinstance(sock, socket.socket):
        try:
            # The plain socket's shutdown, also for an SSLSocket: it must not touch the TLS state another thread
            # is reading with; the read then sees the end of the connection.
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        except (OSError, ValueError):
            pass


_WATCHDOG = _Watchdog()
if hasattr(os, 'register_at_fork'):    # Python 3.7+; on 3.6 the pid check in watch() does it
    os.register_at_fork(after_in_child=_WATCHDOG.forget)
_CURRENT = threading.local()


def _current():
    return getattr(_CURRENT, 'watch', None)


class _WatchedConnection(object):
    """Mixed into urllib3's connection classes: tells the request under watch which connection and socket it is
    using, and when its bytes start to leave (a failure before that means it was never sent)."""

    def _new_conn(self):
        sock = super(_WatchedConnection, self)._new_conn()
        watch = _current()
        if watch is not None:
            _WATCHDOG.hold(watch, sock)
        return sock

    def connect(self):
        watch = _current()
        if watch is None:
            return super(_WatchedConnection, self).connect()
        watch.conn = self
        try:
            return super(_WatchedConnection, self).connect()
        finally:
            _WATCHDOG.release(watch)

    def request(self, *args, **kwargs):
        watch = _current()
        if watch is not None:
            if self.sock is None:
                # Connected here rather than inside the request (plain HTTP connects lazily), so that a failure
                # to connect is known not to have sent anything.
                self.connect()
            watch.conn = self
            watch.sock = self.sock
            count = getattr(self, '_obshell_requests', 0)
            self._obshell_requests = count + 1
            watch.reused = count > 0
            watch.sent = True
        return super(_WatchedConnection, self).request(*args, **kwargs)


class _HTTPConnection(_WatchedConnection, HTTPConnection):
    pass


class _HTTPSConnection(_WatchedConnection, HTTPSConnection):
    pass


class _HTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOL_CLASSES = {'http': _HTTPConnectionPool, 'https': _HTTPSConnectionPool}
_SOCKS_POOL_CLASSES = []


def _socks_pool_classes():
    """The same for urllib3's SOCKS connections; made on first use, as they need PySocks."""
    if not _SOCKS_POOL_CLASSES:
        from urllib3.contrib import socks as urllib3_socks  # pylint: disable=import-outside-toplevel

        class _SOCKSConnection(_WatchedConnection, urllib3_socks.SOCKSConnection):
            pass

        class _SOCKSHTTPSConnection(_WatchedConnection, urllib3_socks.SOCKSHTTPSConnection):
            pass

        class _SOCKSHTTPConnectionPool(urllib3_socks.SOCKSHTTPConnectionPool):
            ConnectionCls = _SOCKSConnection

        class _SOCKSHTTPSConnectionPool(urllib3_socks.SOCKSHTTPSConnectionPool):
            ConnectionCls = _SOCKSHTTPSConnection

        _SOCKS_POOL_CLASSES.append({'http': _SOCKSHTTPConnectionPool, 'https': _SOCKSHTTPSConnectionPool})
    return _SOCKS_POOL_CLASSES[0]


def has_pysocks():
    try:
        import socks  # pylint: disable=import-outside-toplevel,unused-import
    except ImportError:
        return False
    return True


class _Adapter(_AdapterBase):
    """requests' adapter with the watched connections, direct or through any proxy."""

    def init_poolmanager(self, *args, **kwargs):
        super(_Adapter, self).init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOL_CLASSES

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        made = proxy not in self.proxy_manager
        manager = super(_Adapter, self).proxy_manager_for(proxy, **proxy_kwargs)
        if made:
            socks_proxy = proxy.lower().startswith('socks')
            manager.pool_classes_by_scheme = _socks_pool_classes() if socks_proxy else _POOL_CLASSES
        return manager

    def cert_verify(self, conn, url, verify, cert):
        # requests applies `verify` to https:// URLs only. For an http:// agent behind an https:// proxy the pool is
        # the TLS connection to the proxy, which it would leave unverified, with the proxy's credentials sent over
        # it: verify the proxy as an agent would be.
        if getattr(conn, 'scheme', None) == 'https' and url[:5].lower() == 'http:':
            url = 'https:' + url[5:]
        super(_Adapter, self).cert_verify(conn, url, verify, cert)


# ---------------------------------------------------------------------------------------------- environment

def environment_proxies(environ):
    """The proxy variables of ``environ``: ``({'http': url, 'https': url, 'all': url, 'no': hosts}, {key: name})``.

    Read as the standard library reads os.environ for requests (urllib.request.getproxies_environment): any
    ``<scheme>_proxy`` in any case, where a lower-case name wins over an upper-case one and an empty lower-case
    one unsets it; HTTP_PROXY is ignored in a CGI process (REQUEST_METHOD set). That function reads only
    os.environ, and a task's environment must not be made by changing os.environ, which other threads share."""
    proxies, names = {}, {}
    candidates = [name for name in environ if len(name) > 6 and name[-6:].lower() == '_proxy']
    for name in candidates:
        if environ[name]:
            proxies[name[:-6].lower()] = environ[name]
            names[name[:-6].lower()] = name
    if 'REQUEST_METHOD' in environ:
        proxies.pop('http', None)
    for name in candidates:
        if name[-6:] == '_proxy':
            key = name[:-6].lower()
            if environ[name]:
                proxies[key], names[key] = environ[name], name
            else:
                proxies.pop(key, None)
    return proxies, names


def no_proxy_matches(host, port, no_proxy):
    """Whether ``no_proxy`` (NO_PROXY's comma-separated list) names this agent, as requests matches it: ``*``; for an
    IPv4 address, the address or a network holding it (CIDR); for a name, the name or a suffix of it, with or
    without the port; and what the standard library matches (``.domain`` entries). requests' own function would
    set os.environ['no_proxy'] for the length of the check, which is not safe with several threads."""
    if not no_proxy:
        return False
    entries = [entry for entry in no_proxy.replace(' ', '').split(',') if entry]
    if requests.utils.is_ipv4_address(host):
        for entry in entries:
            if entry == host or (requests.utils.is_valid_cidr(entry) and requests.utils.address_in_network(host, entry)):
                return True
    else:
        with_port = '%s:%s' % (host, port)
        if any(host.endswith(entry) or with_port.endswith(entry) for entry in entries):
            return True
    try:
        return bool(proxy_bypass_environment(host, {'no': no_proxy}))
    except (TypeError, ValueError):
        return False


# ---------------------------------------------------------------------------------------------- TLS files

# File checks are cached per process, keyed by the files' identity and modification, so that a lookup over many
# agents parses a CA bundle once.
_FILE_CHECKS = {}
_FILE_CHECKS_LOCK = threading.Lock()
_HASHED_NAME = re.compile(r'^[0-9a-f]{8}\.r?\d+$')


def _stamp(path):
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_ino, info.st_size, info.st_mtime)


def check_tls_files(ca_path=None, client_cert=None, client_key=None, ca_name='ca_path'):
    """A message naming the option for a file that cannot be used (missing, unreadable, not PEM), or None.

    ``ca_name`` is what to call the CA file in the message (an option, or REQUESTS_CA_BUNDLE)."""
    key = (ca_path, _stamp(ca_path) if ca_path else None, client_cert, _stamp(client_cert) if client_cert else None,
           client_key, _stamp(client_key) if client_key else None, ca_name)
    with _FILE_CHECKS_LOCK:
        if key in _FILE_CHECKS:
            return _FILE_CHECKS[key]
    problem = _check_ca(ca_path, ca_name) if ca_path else None
    if problem is None and client_cert:
        problem = _check_client_cert(client_cert, client_key)
    with _FILE_CHECKS_LOCK:
        _FILE_CHECKS[key] = problem
    return problem


def _unreadable(name, path, exc):
    if isinstance(exc, FileNotFoundError):
        return '%s %s does not exist' % (name, path)
    return '%s %s cannot be read: %s' % (name, path, _short(exc))


def _check_ca(path, name):
    if os.path.isdir(path):
        try:
            entries = os.listdir(path)
        except OSError as exc:
            return _unreadable(name, path, exc)
        if not any(_HASHED_NAME.match(entry) for entry in entries):
            return ('%s %s is a directory without hashed certificate names (such as 1a2b3c4d.0): give the CA file '
                    'itself, or run "openssl rehash" on the directory' % (name, path))
        return None
    try:
        with open(path, 'rb') as handle:
            handle.read(1)
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cafile=path)
    except ssl.SSLError as exc:
        return '%s %s holds no usable PEM certificate (%s)' % (name, path, _short(exc))
    except (OSError, ValueError) as exc:
        return _unreadable(name, path, exc)
    return None


def _read_pem(name, path):
    try:
        with open(path, 'rb') as handle:
            return handle.read(1024 * 1024), None
    except (OSError, ValueError) as exc:
        return None, _unreadable(name, path, exc)


def _check_client_cert(cert, key):
    cert_text, problem = _read_pem('client_cert', cert)
    if problem:
        return problem
    key_text = cert_text
    if key:
        key_text, problem = _read_pem('client_key', key)
        if problem:
            return problem
    if b'-----BEGIN ' not in cert_text or b'CERTIFICATE-----' not in cert_text:
        return 'client_cert %s is not a PEM certificate (no BEGIN CERTIFICATE line)' % cert
    if b'PRIVATE KEY-----' not in key_text:
        if key:
            return 'client_key %s is not a PEM private key (no BEGIN PRIVATE KEY line)' % key
        return 'client_cert %s holds no private key: give the key file as client_key' % cert
    if b'ENCRYPTED' in key_text:
        # A passphrase cannot be given to requests, and OpenSSL would prompt for one on the terminal.
        return ('%s %s is encrypted with a passphrase, which cannot be used here: decrypt it (openssl pkey -in KEY '
                '-out KEY.plain) and keep the plain key readable only by its owner' % (
                    'client_key' if key else 'client_cert', key or cert))
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_cert_chain(cert, key, password=b'')
    except ssl.SSLError as exc:
        return 'client_cert %s and client_key %s cannot be used together: %s (does the key belong to the certificate?)' % (
            cert, key or cert, _short(exc))
    except (OSError, ValueError) as exc:
        return 'client_cert %s / client_key %s cannot be loaded: %s' % (cert, key or cert, _short(exc))
    return None


_INSECURE_FILTERED = []


def _ignore_insecure_request_warnings():
    """urllib3 warns on every unverified HTTPS request; with validate_certs false the task warns once instead
    (Transport.warnings). The filter is for this process: a module run, or the ansible worker of this task."""
    if not _INSECURE_FILTERED:
        warnings.filterwarnings('ignore', category=InsecureRequestWarning)
        _INSECURE_FILTERED.append(True)


# ---------------------------------------------------------------------------------------------- the transport

class _ClosedBeforeAnswer(Exception):
    """The connection ended after the request was sent and before any answer: closed, reset, broken pipe."""

    def __init__(self, cause, reused):
        super(_ClosedBeforeAnswer, self).__init__(str(cause))
        self.cause = cause
        self.reused = reused


class Transport(object):
    """Requests to one agent through one requests.Session (a kept-alive connection, replaced when the agent has
    closed it).

    ``request`` returns ``(status, body bytes)``, or raises ObshellConnectionError (``maybe_sent``: could the agent
    have received it?), ObshellTLSError, ObshellProxyError or ObshellProtocolError. Trust, client certificate and
    proxy are settled when the transport is made, from ``environ`` (os.environ by default): a client made for a
    wait uses the same for all its polls. ``warnings`` lists what the task should print once.
    """

    def __init__(self, host, port, use_tls=False, validate_certs=True, ca_path=None, client_cert=None,
                 client_key=None, use_proxy=True, environ=None, address=None):
        self.host = host
        self.port = port
        self.use_tls = use_tls
        self.address = address or '%s:%s' % (host, port)
        self.base_url = '%s://%s' % ('https' if use_tls else 'http', self.address)
        self.ca_path = ca_path
        self.warnings = []
        self._setup_error = None
        self._has_client_cert = bool(client_cert)
        environ = os.environ if environ is None else environ

        # Trust: exactly ca_path when given (REQUESTS_CA_BUNDLE and the like cannot widen it: verify is passed with
        # every request, and the session does not read the environment); otherwise the bundle the environment names
        # for requests, otherwise requests' own. It also applies to an https:// proxy.
        self._ca_source = 'ca_path'
        if not validate_certs:
            self._verify = False
            if use_tls:
                self.warnings.append(
                    'validate_certs is false: the certificate of the OBShell agent %s is not verified, so anyone on '
                    'the network path can pose as the agent and receive the password; set ca_path instead' %
                    self.address)
            _ignore_insecure_request_warnings()
        elif ca_path:
            self._verify = ca_path
        else:
            bundle_name = next((name for name in ('REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE') if environ.get(name)), None)
            self._verify = environ[bundle_name] if bundle_name else True
            self._ca_source = bundle_name
        self._cert = None
        if use_tls and client_cert:
            self._cert = (client_cert, client_key) if client_key else client_cert
        self.proxy = None             # the proxy URL, credentials included: given to requests, never printed
        self.proxy_label = None       # scheme://host:port, for messages
        self._proxy_variable = None
        self._secrets = ()
        self._proxies = {}
        if use_proxy:
            self._choose_proxy(environ)
        # The files are checked only where TLS is spoken: to the agent, or to an https:// proxy.
        problem = None
        if isinstance(self._verify, str) and (use_tls or (self.proxy or '').lower().startswith('https:')):
            problem = check_tls_files(ca_path=self._verify, ca_name=self._ca_source)
        if problem is None and self._cert is not None:
            problem = check_tls_files(client_cert=client_cert, client_key=client_key)
        if problem is not None and self._setup_error is None:
            self._setup_error = ObshellTLSError(problem, agent=self.address)

        self._session = requests.Session()
        # Nothing is read from the environment per request: proxies, trust and credentials are settled above.
        self._session.trust_env = False
        adapter = _Adapter(pool_connections=1, pool_maxsize=1)
        self._session.mount('http://', adapter)
        self._session.mount('https://', adapter)
        # Accept-Encoding identity: answers are small, and the size cap then counts what came over the wire.
        self._headers = {'User-Agent': USER_AGENT, 'Accept-Encoding': 'identity'}
        self._urls = {}

    def _choose_proxy(self, environ):
        proxies, names = environment_proxies(environ)
        scheme = 'https' if self.use_tls else 'http'
        if no_proxy_matches(self.host, self.port, proxies.get('no')):
            return
        proxy = requests.utils.select_proxy(self.base_url, proxies)
        if not proxy:
            return
        key = scheme if proxies.get(scheme) == proxy else 'all'
        self._proxy_variable = names.get(key, '%s_proxy' % key)
        proxy = requests.utils.prepend_scheme_if_needed(proxy, 'http')
        parts = urlsplit(proxy)
        self.proxy = proxy
        self.proxy_label = '%s://%s%s' % (parts.scheme, parts.hostname or '',
                                          ':%s' % parts.port if parts.port else '')
        if '@' in parts.netloc:
            userinfo = parts.netloc.rsplit('@', 1)[0]
            password = requests.utils.get_auth_from_url(proxy)[1]
            self._secrets = tuple(secret for secret in (userinfo, userinfo.partition(':')[2], password) if secret)
        self._proxies = {scheme: proxy}
        if parts.scheme.lower() not in _PROXY_SCHEMES:
            self._setup_error = ObshellProxyError(
                'the proxy %s (from %s) is not a proxy this collection can use: its scheme must be one of %s' % (
                    self.proxy_label, self._proxy_variable, ', '.join(_PROXY_SCHEMES)), agent=self.address)
        elif parts.scheme.lower().startswith('socks') and not has_pysocks():
            self._setup_error = ObshellProxyError(
                'the proxy %s (from %s) is a SOCKS proxy, which needs the Python library PySocks (pip install '
                'PySocks, or requests[socks]) where this task runs; or reach the agent without it: name the agent '
                'in NO_PROXY, or set use_proxy false' % (self.proxy_label, self._proxy_variable), agent=self.address)
        elif not parts.hostname:
            self._setup_error = ObshellProxyError('the proxy %s (from %s) names no host' % (
                self._scrub(proxy), self._proxy_variable), agent=self.address)

    def close(self):
        self._session.close()

    # ------------------------------------------------------------------------------------------ requests

    def request(self, method, uri, body=None, headers=None, timeout=10.0, request_timeout=None):
        """Send one request; ``uri`` is the request-target (path and query) the agent will see and sign-check.
        It ends within ``timeout`` seconds, whatever the agent or a proxy does (name resolution excepted).
        ``request_timeout``: the configured time, when a caller's deadline cut ``timeout`` shorter (messages say
        both)."""
        if self._setup_error is not None:
            raise self._setup_error
        try:
            return self._request(method, uri, body, headers, timeout)
        except ObshellConnectionError as exc:
            if request_timeout is not None and timeout < request_timeout and '%ss' % _seconds(timeout) in exc.message:
                exc.cut_by_deadline = True
                exc.message = '%s (what was left before the overall deadline; request_timeout is %ss)' % (
                    exc.message.replace('the %ss request timeout' % _seconds(timeout), '%ss' % _seconds(timeout)),
                    _seconds(request_timeout))
            raise

    def _request(self, method, uri, body, headers, timeout):
        deadline = time.monotonic() + timeout
        try:
            return self._exchange(method, uri, body, headers, timeout, deadline)
        except _ClosedBeforeAnswer as closed:
            if method != 'GET' or not closed.reused:
                raise self._lost(closed.cause)
        # The agent closed a kept connection just as we reused it (its idle time-out racing our poll): a read goes
        # again at once, on a new connection, within the same deadline. A POST never does: it may have been done.
        try:
            return self._exchange(method, uri, body, headers, timeout, deadline)
        except _ClosedBeforeAnswer as closed:
            raise self._lost(closed.cause)

    def _exchange(self, method, uri, body, headers, timeout, deadline):
        all_headers = dict(self._headers)
        all_headers.update(headers or {})
        try:
            # requests' own steps, without the ones that do nothing here (cookies, auth, hooks) and with the URL
            # prepared once per URI: Request(...).prepare() cost about 0.14 ms, a tenth of a poll's CPU.
            prepared = requests.PreparedRequest()
            prepared.prepare_method(method)
            prepared.url = self._url(uri)
            prepared.prepare_headers(all_headers)
            prepared.prepare_body(body, None)
        except (requests.RequestException, ValueError) as exc:
            raise ObshellConnectionError('cannot send %s %s: %s' % (method, self.base_url + uri.split('?')[0],
                                                                    _short(exc)), agent=self.address)
        left = max(deadline - time.monotonic(), 0.001)
        watch = _Watch(deadline)
        _CURRENT.watch = watch
        _WATCHDOG.watch(watch)
        response = None
        try:
            response = self._session.send(prepared, stream=True, allow_redirects=False, timeout=(left, left),
                                          verify=self._verify, cert=self._cert, proxies=self._proxies)
            raw = self._read_body(response)
        except (requests.RequestException, Urllib3Error, http_client.HTTPException, OSError, ValueError) as exc:
            if response is not None:
                response.close()
            expired = _WATCHDOG.finish(watch)
            raise self._failure(exc, watch, expired, timeout, response is not None)
        except ObshellProtocolError:
            response.close()
            _WATCHDOG.finish(watch)
            raise
        finally:
            _CURRENT.watch = None
        if _WATCHDOG.finish(watch):
            response.close()
            raise self._timed_out(watch, timeout)
        return response.status_code, raw

    def _url(self, uri):
        url = self._urls.get(uri)
        if url is None:
            prepared = requests.PreparedRequest()
            prepared.prepare_url(self.base_url + uri, None)
            if len(self._urls) > 64:    # a wait asks a handful of URIs; ids in paths must not grow it for ever
                self._urls.clear()
            url = self._urls[uri] = prepared.url
        return url

    def _read_body(self, response):
        declared = response.headers.get('Content-Length', '')
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise self._too_large('%s bytes' % declared)
        raw = response.raw.read(MAX_BODY_BYTES + 1)
        if len(raw) > MAX_BODY_BYTES:
            raise self._too_large('more than %d bytes' % MAX_BODY_BYTES)
        return raw

    def _too_large(self, size):
        return ObshellProtocolError('the answer is %s long, more than the %d MiB an OBShell agent ever sends: refused '
                                    '(is something else answering on %s?)' % (size, MAX_BODY_BYTES // (1024 * 1024),
                                                                              self.base_url), agent=self.address)

    # ------------------------------------------------------------------------------------------ errors

    def _via(self):
        return ' through the proxy %s' % self.proxy_label if self.proxy else ''

    def _scrub(self, text):
        for secret in self._secrets:
            text = text.replace(secret, '***')
        return text

    def _timed_out(self, watch, timeout):
        if watch.sent:
            return ObshellConnectionError('no answer within the %ss request timeout%s' % (_seconds(timeout), self._via()),
                                          maybe_sent=True, agent=self.address)
        return ObshellConnectionError('connection timed out after %ss%s' % (_seconds(timeout), self._via()),
                                      agent=self.address)

    def _lost(self, cause):
        return ObshellConnectionError(self._scrub('connection to %s lost%s: %s' % (self.base_url, self._via(),
                                                                                   _short(cause))),
                                      maybe_sent=True, agent=self.address)

    def _failure(self, exc, watch, expired, timeout, answered):
        """The error to raise for what requests, urllib3 or the socket raised."""
        root = _root(exc)
        if expired or isinstance(exc, (requests.exceptions.Timeout, ReadTimeoutError, socket.timeout)) or \
                isinstance(root, socket.timeout):
            if isinstance(exc, requests.exceptions.ProxyError) and not watch.sent:
                return self._proxy_error(root, timeout=timeout)
            return self._timed_out(watch, timeout)
        if isinstance(exc, requests.exceptions.ProxyError) or (self.proxy and not watch.sent and isinstance(
                exc, requests.exceptions.ConnectionError) and not self.use_tls):
            return self._proxy_error(root)
        if watch.reused and not answered and isinstance(root, (ssl.SSLEOFError, ssl.SSLZeroReturnError)):
            # A kept TLS connection the agent ended. On a new one, the same is how an agent that wants a client
            # certificate often ends the session (TLS 1.3: after the handshake): a TLS error below.
            return _ClosedBeforeAnswer(root, watch.reused)
        if isinstance(exc, requests.exceptions.SSLError) or isinstance(root, ssl.SSLError):
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
                                                                                        self._proxy_variable)
        elif status and status.group(1) in ('502', '503', '504'):
            # The proxy is up and could not reach the agent: an agent that is down looks like this from here.
            what = 'could not reach the agent (%s)' % text.split(': ', 1)[-1]
            retryable = True
        elif status:
            what = 'refused to connect us to the agent (%s)' % text.split(': ', 1)[-1]
        else:
            what = 'cannot be used: %s' % text
        return ObshellProxyError(self._scrub('the proxy %s (from %s) %s; it is used for %s unless NO_PROXY names the '
                                             'agent or use_proxy is false' % (self.proxy_label, self._proxy_variable,
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
            if self._ca_source == 'ca_path':
                return 'the agent certificate is not signed by the CA in ca_path (%s)' % self.ca_path
            if self._ca_source:
                return ('the agent certificate is not signed by a CA of the bundle %s names (%s): set ca_path to the '
                        'CA that signed it' % (self._ca_source, self._verify))
            return ('certificate verification is on by default: set ca_path to the CA that signed the agent '
                    'certificate, or client_cert/client_key if the agent requires them')
        if 'WRONG_VERSION_NUMBER' in text or 'record layer failure' in text or 'wrong version number' in text:
            return 'the agent does not answer TLS on this port: is it serving plain HTTP (use_tls false)?'
        if 'CERTIFICATE_REQUIRED' in text.upper():
            return 'the agent requires a client certificate (mutual TLS): set client_cert and client_key'
        if self._has_client_cert:
            return 'the agent refused the TLS session: check client_cert/client_key and ca_path'
        # An agent that requires client certificates ends the handshake with an alert or by closing it.
        return ('the agent ended the TLS handshake: if it requires a client certificate (mutual TLS), set '
                'client_cert and client_key')


def _root(exc):
    """The innermost cause of a requests or urllib3 error (they wrap it two or three times)."""
    seen = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        inner = getattr(exc, 'reason', None)                 # urllib3's MaxRetryError
        if not isinstance(inner, BaseException):
            inner = getattr(exc, 'original_error', None)     # urllib3 2's ProxyError
        if not isinstance(inner, BaseException):
            inner = next((arg for arg in getattr(exc, 'args', ()) if isinstance(arg, BaseException)), None)
        if not isinstance(inner, BaseException):
            inner = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
        if not isinstance(inner, BaseException):
            break
        exc = inner
    return exc


def _short(exc):
    if isinstance(exc, ssl.SSLError):
        # "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: ... (_ssl.c:1006)": the source line goes
        return re.sub(r'\s*\(_ssl\.c:\d+\)$', '', str(exc))[:200]
    if isinstance(exc, OSError) and exc.errno is not None and exc.strerror:
        return '[Errno %s] %s' % (exc.errno, exc.strerror)
    return (str(exc) or exc.__class__.__name__)[:200]


def _seconds(value):
    return ('%.1f' % value).rstrip('0').rstrip('.')
