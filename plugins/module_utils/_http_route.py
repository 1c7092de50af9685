# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""The route to one agent: a frozen decision, made once when a client is made, of what to trust (verify), which
client certificate to show, which proxy to go through, and how to name all of it in messages.

Everything is read from a given environment (a task's ``environment:`` on the controller, else os.environ), never
by changing os.environ, which other threads share; nothing is read from the environment per request. A setting
that cannot work is kept as ``setup_error``, raised by the first request (so that making a client never fails).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import collections
import os
import traceback
import warnings

from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import ObshellProxyError, ObshellTLSError
from ansible_collections.oceanbase.obshell.plugins.module_utils._tls_files import check_tls_files

try:
    from urllib.parse import urlsplit
    from urllib.request import proxy_bypass_environment

    import requests.utils
    from urllib3.exceptions import InsecureRequestWarning
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - exercised through missing_required_lib in modules
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

PROXY_SCHEMES = ('http', 'https', 'socks5', 'socks5h', 'socks4', 'socks4a')


_FIELDS = (
    'host', 'port', 'address', 'base_url', 'use_tls',
    'verify',           # False, True (requests' bundle), or the CA file or directory
    'ca_path',          # the option, for messages
    'ca_source',        # 'ca_path', REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE, or None (requests' own bundle)
    'cert',             # None, 'cert.pem' or ('cert.pem', 'key.pem'): for requests
    'has_client_cert',
    'proxy',            # the proxy URL, credentials included: given to requests, never printed
    'proxy_label',      # scheme://host:port, for messages
    'proxy_variable',   # the variable that named it (http_proxy, ALL_PROXY...)
    'secrets',          # parts of the proxy URL never to print
    'setup_error',      # an ObshellError the first request raises, or None
    'warnings',         # what the task should print once
)


class Route(collections.namedtuple('Route', _FIELDS)):
    """The frozen decision for one agent (see route_for)."""

    __slots__ = ()

    @property
    def proxies(self):
        """For requests: {scheme: proxy} or {}."""
        return {'https' if self.use_tls else 'http': self.proxy} if self.proxy else {}

    def via(self):
        return ' through the proxy %s' % self.proxy_label if self.proxy else ''

    def scrub(self, text):
        for secret in self.secrets:
            text = text.replace(secret, '***')
        return text


def route_for(host, port, use_tls=False, validate_certs=True, ca_path=None, client_cert=None, client_key=None,
              use_proxy=True, environ=None, address=None):
    """The Route to the agent at ``host``/``port`` (``address``: how to name it, ``host:port`` by default)."""
    address = address or '%s:%s' % (host, port)
    base_url = '%s://%s' % ('https' if use_tls else 'http', address)
    environ = os.environ if environ is None else environ
    notes = []

    # Trust: exactly ca_path when given (REQUESTS_CA_BUNDLE and the like cannot widen it: verify is passed with
    # every request, and the session does not read the environment); otherwise the bundle the environment names
    # for requests, otherwise requests' own. It also applies to an https:// proxy.
    ca_source = 'ca_path'
    if not validate_certs:
        verify = False
        if use_tls:
            notes.append(
                'validate_certs is false: the certificate of the OBShell agent %s is not verified, so anyone on '
                'the network path can pose as the agent and receive the password; set ca_path instead' % address)
        ignore_insecure_request_warnings()
    elif ca_path:
        verify = ca_path
    else:
        bundle_name = next((name for name in ('REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE') if environ.get(name)), None)
        verify = environ[bundle_name] if bundle_name else True
        ca_source = bundle_name
    cert = None
    if use_tls and client_cert:
        cert = (client_cert, client_key) if client_key else client_cert

    proxy = label = variable = setup_error = None
    secrets = ()
    if use_proxy:
        proxy, variable = _choose_proxy(host, port, base_url, use_tls, environ)
    if proxy:
        parts = urlsplit(proxy)
        label = '%s://%s%s' % (parts.scheme, parts.hostname or '', ':%s' % parts.port if parts.port else '')
        if '@' in parts.netloc:
            userinfo = parts.netloc.rsplit('@', 1)[0]
            password = requests.utils.get_auth_from_url(proxy)[1]
            secrets = tuple(secret for secret in (userinfo, userinfo.partition(':')[2], password) if secret)
        setup_error = _proxy_problem(proxy, parts, label, variable, address, secrets)

    # The files are checked only where TLS is spoken: to the agent, or to an https:// proxy.
    problem = None
    if isinstance(verify, str) and (use_tls or (proxy or '').lower().startswith('https:')):
        problem = check_tls_files(ca_path=verify, ca_name=ca_source)
    if problem is None and cert is not None:
        problem = check_tls_files(client_cert=client_cert, client_key=client_key)
    if problem is not None and setup_error is None:
        setup_error = ObshellTLSError(problem, agent=address)
    return Route(host=host, port=port, address=address, base_url=base_url, use_tls=use_tls, verify=verify,
                 ca_path=ca_path, ca_source=ca_source, cert=cert, has_client_cert=bool(client_cert), proxy=proxy,
                 proxy_label=label, proxy_variable=variable, secrets=secrets, setup_error=setup_error,
                 warnings=tuple(notes))


def _choose_proxy(host, port, base_url, use_tls, environ):
    """(proxy URL, the variable that named it), or (None, None)."""
    proxies, names = environment_proxies(environ)
    if no_proxy_matches(host, port, proxies.get('no')):
        return None, None
    proxy = requests.utils.select_proxy(base_url, proxies)
    if not proxy:
        return None, None
    scheme = 'https' if use_tls else 'http'
    key = scheme if proxies.get(scheme) == proxy else 'all'
    return requests.utils.prepend_scheme_if_needed(proxy, 'http'), names.get(key, '%s_proxy' % key)


def _proxy_problem(proxy, parts, label, variable, address, secrets):
    if parts.scheme.lower() not in PROXY_SCHEMES:
        return ObshellProxyError('the proxy %s (from %s) is not a proxy this collection can use: its scheme must be '
                                 'one of %s' % (label, variable, ', '.join(PROXY_SCHEMES)), agent=address)
    if parts.scheme.lower().startswith('socks') and not has_pysocks():
        return ObshellProxyError(
            'the proxy %s (from %s) is a SOCKS proxy, which needs the Python library PySocks (pip install '
            'PySocks, or requests[socks]) where this task runs; or reach the agent without it: name the agent '
            'in NO_PROXY, or set use_proxy false' % (label, variable), agent=address)
    if not parts.hostname:
        scrubbed = proxy
        for secret in secrets:
            scrubbed = scrubbed.replace(secret, '***')
        return ObshellProxyError('the proxy %s (from %s) names no host' % (scrubbed, variable), agent=address)
    return None


def has_pysocks():
    try:
        import socks  # pylint: disable=import-outside-toplevel,unused-import
    except ImportError:
        return False
    return True


_INSECURE_FILTERED = []


def ignore_insecure_request_warnings():
    """urllib3 warns on every unverified HTTPS request; with validate_certs false the task warns once instead
    (Route.warnings). The filter is for this process: a module run, or the ansible worker of this task."""
    if not _INSECURE_FILTERED and HAS_REQUESTS:
        warnings.filterwarnings('ignore', category=InsecureRequestWarning)
        _INSECURE_FILTERED.append(True)


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
