# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""The one OBShell agent client: requests over the transport of _transport.py, envelopes, errors, retries within a
deadline, and the agent's endpoints. What a request's auth carries, and what an auth failure means, is _auth.py's.

Used by modules on targets and by lookup/action plugins on the controller. Section numbers refer to the
protocol spec (obshell-api.md).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import random
import re
import time

from ansible_collections.oceanbase.obshell.plugins.module_utils import _auth, _crypto, _http_route
from ansible_collections.oceanbase.obshell.plugins.module_utils._dag_fields import parse_time
from ansible_collections.oceanbase.obshell.plugins.module_utils._dag_id import format_address
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import (
    ObshellApiError,
    ObshellAuthError,
    ObshellConnectionError,
    ObshellError,
    ObshellIdentityError,
    ObshellNotFoundError,
    ObshellProtocolError,
    ObshellServerError,
)
from ansible_collections.oceanbase.obshell.plugins.module_utils._cluster import CLUSTER_AGENT
from ansible_collections.oceanbase.obshell.plugins.module_utils._vocabulary import AUTH_VERSIONS

TASK_PREFIX = '/api/v1/task'

# Agent-side failures that are deterministic: retrying them only burns the budget.
_PERMANENT_5XX = (
    'Agent.Identify.Unknown',
    'Agent.Identify.NotSupportOperation',
    'Request.Body.Decrypt.AES.KeyAndIv.Invalid',
    'Request.Body.Decrypt.AES.ContentLength.Invalid',
)


def parse_version(text):
    """'4.2.3.0' or '4.5.0.0-100' -> (4, 2, 3, 0); unparsable -> ()."""
    if not isinstance(text, str):
        return ()
    numbers = re.findall(r'\d+', text.split('-')[0])
    return tuple(int(n) for n in numbers[:4])


def _describe(data):
    """A short description of an unexpected answer; never fails, however deep or odd the value."""
    try:
        return _first_bytes(json.dumps(data))
    except (ValueError, TypeError, RecursionError):
        return 'a %s' % type(data).__name__


def _first_bytes(raw, limit=120):
    text = raw[:limit].decode('utf-8', 'replace') if isinstance(raw, bytes) else str(raw)[:limit]
    text = re.sub(r'\s+', ' ', text).strip()
    return repr(text) if text else 'an empty body'


class ObshellClient(object):
    """A client for one OBShell agent. Cheap to keep: one keep-alive connection, agent info and key cached."""

    def __init__(self, host='127.0.0.1', port=2886, password=None, agent_password=None, use_tls=False,
                 validate_certs=True, ca_path=None, client_cert=None, client_key=None, timeout=10.0,
                 auth_version='auto', retries=3, ts_lifetime=60, backoff_base=0.5, backoff_max=8.0,
                 sleep=time.sleep, use_proxy=True, environ=None):
        # Imported here, not with this file: requests takes about 90 ms to import, which a controller that only
        # hands the work to a module on the target (dag_wait with run_on: target) need not pay.
        from ansible_collections.oceanbase.obshell.plugins.module_utils import _transport  # pylint: disable=import-outside-toplevel
        if not _crypto.HAS_CRYPTOGRAPHY:
            raise ObshellError('the Python library cryptography is required')
        if not _http_route.HAS_REQUESTS:
            raise ObshellError('the Python library requests is required')
        if auth_version not in AUTH_VERSIONS:
            raise ValueError('auth_version must be one of %s, got %r' % (', '.join(AUTH_VERSIONS), auth_version))
        self.host = str(host).strip('[]')
        self.port = int(port)
        self.address = format_address(self.host, self.port)
        self.base_url = '%s://%s' % ('https' if use_tls else 'http', self.address)
        self.timeout = float(timeout)
        self.auth_version_option = auth_version
        self.retries = max(0, int(retries))
        self.ts_lifetime = int(ts_lifetime)
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self._sleep = sleep
        self._password = password
        self._agent_password = agent_password
        self._info = None
        self._public_key = None
        self._ts_offset = 0  # seconds added to Ts when the agent's clock runs ahead of ours
        # time.monotonic() by which a caller with an overall deadline (the wait) needs every request answered:
        # each request then gets at most what is left, and none is sent after it. None: only `timeout` applies.
        self.deadline = None
        # The agent's own clock (epoch seconds) from the envelope timestamp of its last answer: windows of a wait
        # are compared with DAG times on the agent's clock, never on ours (the two may disagree by minutes).
        self.agent_time = None
        self.stats = {'requests': 0, 'retries': 0, 'key_refreshes': 0}

        # Trust and proxies (HTTP_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE...) are settled here, once, from `environ`
        # (os.environ by default): a wait uses the same for all its polls. `warnings`: what the task prints once.
        self._transport = _transport.Transport(self.host, self.port, use_tls=use_tls, validate_certs=validate_certs,
                                               ca_path=ca_path, client_cert=client_cert, client_key=client_key,
                                               use_proxy=use_proxy, environ=environ, address=self.address)
        self.warnings = self._transport.warnings

    # ------------------------------------------------------------------ lifecycle

    def close(self):
        self._transport.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------------ agent facts (no auth, §1.1)

    def info(self, refresh=False):
        """``GET /api/v1/info`` data (identity, version, supportedAuth, security...), cached per client."""
        if self._info is None or refresh:
            data = self._request('GET', '/api/v1/info', auth=False)
            if not isinstance(data, dict) or not data.get('identity'):
                raise ObshellProtocolError('/api/v1/info did not return agent information (no identity field)',
                                           agent=self.address)
            self._info = data
        return self._info

    @property
    def identity(self):
        return self.info().get('identity')

    @property
    def known_identity(self):
        """The identity as last read, without a request (None: never read): for checks made every poll, which an
        agent that does not answer must not hold up."""
        return (self._info or {}).get('identity')

    @property
    def version(self):
        return self.info().get('version')

    @property
    def agent(self):
        """``ip:port`` as the agent reports itself (what local generic ids embed)."""
        info = self.info()
        if info.get('ip') and info.get('port'):
            return format_address(info['ip'], info['port'])
        return self.address

    def status(self):
        """``GET /api/v1/status`` data (no auth, never cached): ``obState`` says whether the agent can read the
        cluster DAGs now (§2.3, §11.6)."""
        data = self._request('GET', '/api/v1/status', auth=False)
        if not isinstance(data, dict):
            raise ObshellProtocolError('/api/v1/status did not return the agent status', agent=self.address)
        return data

    def public_key(self, refresh=False):
        if self._public_key is None or refresh:
            data = self._request('GET', '/api/v1/secret', auth=False)
            if not isinstance(data, dict):
                raise ObshellProtocolError('/api/v1/secret returned no key', agent=self.address)
            try:
                self._public_key = _crypto.PublicKey.from_base64(data.get('public_key'))
            except ValueError as exc:
                raise ObshellProtocolError('/api/v1/secret returned an unusable key: %s' % exc, agent=self.address)
        return self._public_key

    def auth_version(self):
        """v1 or v2, from the option or from /api/v1/info (_auth.choose_version: supportedAuth first, then version;
        §1.11)."""
        if self.auth_version_option != 'auto':
            return self.auth_version_option
        info = self.info()
        return _auth.choose_version(info, parse_version(info.get('version')), agent=self.address)

    def describe(self):
        """Agent identity for results: what a playbook wants to know about who answered."""
        info = self.info()
        return {
            'address': self.address,
            'ip': info.get('ip'),
            'port': info.get('port'),
            'identity': info.get('identity'),
            'version': info.get('version'),
            'ob_version': info.get('obVersion'),
            'zone': info.get('zone'),
            'supported_auth': info.get('supportedAuth') or [],
            'auth_version': self.auth_version(),
            'agent_password_set': bool(info.get('security')),
        }

    # ------------------------------------------------------------------ authenticated calls

    def get(self, path, params=None):
        return self._request('GET', path, params=params, auth=True)

    def post(self, path, body):
        return self._request('POST', path, body=body, auth=True)

    # Task endpoints (§3.1). Lists come back as {"contents": [...]}, where null means empty (§3.4).

    def unfinished_dags(self, scope='all', show_details=False):
        """Unfinished DAGs: scope 'all' (/dag/unfinish), 'cluster' (/dag/ob/unfinish), 'agent' (/dag/agent/unfinish).

        'cluster' is only asked of a CLUSTER AGENT: elsewhere the agent answers 500 "cannot build response body"
        (4.3.1+) or 400 (before), §2.4, so we refuse up front with a message naming the identity.
        """
        paths = {'all': '/dag/unfinish', 'cluster': '/dag/ob/unfinish', 'agent': '/dag/agent/unfinish'}
        if scope not in paths:
            raise ValueError('scope must be one of all, cluster, agent; got %r' % (scope,))
        if scope == 'cluster' and self.identity != CLUSTER_AGENT:
            raise ObshellIdentityError(
                'is %s, not %s: it has no cluster DAGs to list (use scope agent or auto)'
                % (self.identity, CLUSTER_AGENT), identity=self.identity, agent=self.address)
        try:
            data = self.get(TASK_PREFIX + paths[scope], params={'show_details': 'true' if show_details else 'false'})
        except ObshellServerError as exc:
            if scope == 'cluster' and 'cannot build response body' in str(exc):
                raise self._not_cluster_agent(exc)
            raise
        return self._contents(data, paths[scope])

    def dag_history(self, scope, show_details=False):
        """Every DAG the agent holds, finished ones included (4.3.0.0+, §3.1): scope 'cluster' (/dags/ob) or
        'agent' (/dags/agent). Older agents answer 404 Common.NotFound (an unknown route)."""
        paths = {'cluster': '/dags/ob', 'agent': '/dags/agent'}
        if scope not in paths:
            raise ValueError('scope must be cluster or agent; got %r' % (scope,))
        if scope == 'cluster' and self.identity != CLUSTER_AGENT:
            raise ObshellIdentityError(
                'is %s, not %s: it has no cluster DAGs to list' % (self.identity, CLUSTER_AGENT),
                identity=self.identity, agent=self.address)
        data = self.get(TASK_PREFIX + paths[scope], params={'show_details': 'true' if show_details else 'false'})
        return self._contents(data, paths[scope])

    def _not_cluster_agent(self, exc):
        """The 500 of /dag/ob/unfinish on an agent that stopped being a CLUSTER AGENT since its identity was read
        (§2.4; seen on a real 4.5.0.0 agent): said as what it is, not as a server error, when /info confirms it."""
        try:
            identity = self.info(refresh=True).get('identity')
        except ObshellError:
            return exc
        if identity == CLUSTER_AGENT:
            return exc
        return ObshellIdentityError('is %s, not %s: it has no cluster DAGs to list (it answered: %s)'
                                    % (identity, CLUSTER_AGENT, exc), identity=identity, agent=self.address)

    def dag(self, generic_id, show_details=True):
        data = self.get('%s/dag/%s' % (TASK_PREFIX, generic_id),
                        params={'show_details': 'true' if show_details else 'false'})
        if not isinstance(data, dict):
            raise ObshellProtocolError('/dag/%s returned no DAG object' % generic_id, agent=self.address)
        return data

    def operate_dag(self, generic_id, operator):
        """POST /dag/{id} {"operator": RETRY|ROLLBACK|CANCEL|PASS}. Never re-sent blindly."""
        return self.post('%s/dag/%s' % (TASK_PREFIX, generic_id), {'operator': operator})

    def pass_node(self, generic_id):
        """POST /node/{id} {"operator": "PASS"} (4.3.1+)."""
        return self.post('%s/node/%s' % (TASK_PREFIX, generic_id), {'operator': 'PASS'})

    def _contents(self, data, what):
        # Every list endpoint answers {"contents": ...} (§3.1); an envelope without data is not "nothing
        # unfinished", and reading it as [] would let a gate say idle when it cannot know.
        if not isinstance(data, dict) or 'contents' not in data:
            raise ObshellProtocolError('%s did not return a {"contents": [...]} list (got %s)'
                                       % (what, _describe(data)), agent=self.address)
        contents = data['contents']
        if contents is None:  # an empty aggregated list is null on a CLUSTER AGENT (§3.4)
            return []
        if not isinstance(contents, list):
            raise ObshellProtocolError('%s returned contents that are not a list' % what, agent=self.address)
        return contents

    # ------------------------------------------------------------------ auth headers

    def _credentials(self, uri=''):
        """(header name, password) for a request to ``uri`` of this agent (_auth.credentials)."""
        return _auth.credentials(self.info(), uri, self._password, self._agent_password, agent=self.address)

    def _auth_headers(self, uri, body):
        """Headers and the (possibly encrypted) body bytes for one request: _auth.sign, with this agent's key, auth
        version and credentials."""
        expires_at = int(time.time()) + self.ts_lifetime + self._ts_offset
        key = self.public_key()
        version = self.auth_version()
        header, password = self._credentials(uri)
        return _auth.sign(version, key, header, password, uri, body, expires_at, agent=self.address)

    # ------------------------------------------------------------------ transport

    def _request(self, method, path, params=None, body=None, auth=True):
        """One logical call: retries transport errors and transient 5xx (reads only), refreshes the key once."""
        uri = path
        if params:
            # The signed Uri must equal the request-target byte for byte (§1.8), so build the query ourselves.
            uri += '?' + '&'.join('%s=%s' % (k, v) for k, v in params.items())
        is_read = method == 'GET'
        attempt = 0
        refreshed_key = False
        adjusted_clock = False
        while True:
            try:
                return self._send_once(method, uri, body, auth)
            except ObshellAuthError as exc:
                if not is_read:
                    raise
                if _auth.key_rotated(exc):
                    if refreshed_key:
                        raise
                    # Key rotated (e.g. upgraded into 4.4.2): fetch it again and repeat once (§1.12).
                    refreshed_key = True
                    self.stats['key_refreshes'] += 1
                    self._info = None
                    self.public_key(refresh=True)
                    continue
                if exc.err_code == 'Security.Authentication.Expired' and not adjusted_clock:
                    # The agent's clock runs ahead: widen Ts by the observed skew and repeat once.
                    adjusted_clock = True
                    skew = getattr(exc, 'agent_clock_ahead', None)
                    if skew is None:
                        raise
                    self._ts_offset = int(skew) + 5
                    continue
                raise
            except ObshellError as exc:
                retry_ok = exc.retryable and (is_read or not getattr(exc, 'maybe_sent', True))
                if not retry_ok or attempt >= self.retries:
                    raise
                attempt += 1
                delay = self.backoff(attempt)
                if self.deadline is not None and time.monotonic() + delay >= self.deadline:
                    # The retry could not start before the overall deadline: what failed is the answer, now.
                    raise
                self.stats['retries'] += 1
                self._sleep(delay)

    def backoff(self, attempt):
        """Capped exponential backoff with full jitter."""
        ceiling = min(self.backoff_max, self.backoff_base * (2 ** (attempt - 1)))
        return random.uniform(ceiling / 2.0, ceiling)

    def _send_once(self, method, uri, body, auth):
        headers = {'Accept': 'application/json'}
        data = None
        if auth:
            auth_headers, data = self._auth_headers(uri, body)
            headers.update(auth_headers)
        elif body is not None:
            data = json.dumps(body).encode('utf-8')
        if data is not None:
            headers['Content-Type'] = 'application/json'
        timeout = self.timeout
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise ObshellConnectionError('not sent: the overall deadline has passed', agent=self.address)
            timeout = min(timeout, left)
        self.stats['requests'] += 1
        status, raw = self._transport.request(method, uri, body=data, headers=headers, timeout=timeout,
                                              request_timeout=self.timeout if timeout < self.timeout else None)
        return self._parse(status, raw, method, uri)

    def _parse(self, status, raw, method, uri):
        try:
            envelope = json.loads(raw.decode('utf-8')) if raw else None
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: absurdly deep nesting
            envelope = None
        where = '%s %s' % (method, uri.split('?')[0])
        if not isinstance(envelope, dict) or 'successful' not in envelope:
            message = '%s: HTTP %s with %s, not an OBShell JSON envelope' % (where, status, _first_bytes(raw))
            if status >= 500:
                raise ObshellServerError(message, agent=self.address, status=status)
            raise ObshellProtocolError(message, agent=self.address, status=status)
        if envelope.get('successful') is True and status < 400:
            stamp = parse_time(envelope.get('timestamp'))
            if stamp is not None:
                self.agent_time = stamp
            return envelope.get('data')
        return self._raise_error(envelope, status, where)

    def _raise_error(self, envelope, status, where):
        error = envelope.get('error') if isinstance(envelope.get('error'), dict) else {}
        err_code = error.get('errCode') if isinstance(error.get('errCode'), str) else None
        code = error.get('code') if isinstance(error.get('code'), int) else None
        agent_message = error.get('message') if isinstance(error.get('message'), str) else None
        said = agent_message or 'no message'
        details = dict(agent=self.address, status=status, err_code=err_code, code=code, agent_message=agent_message)

        if _auth.is_failure(status, code, err_code, agent_message):
            hint = _auth.failure_hint(err_code, agent_message, code, self._password, self._agent_password)
            exc = ObshellAuthError('%s: authentication failed: %s (agent said: %s%s, HTTP %s)'
                                   % (where, hint, said, ' [%s]' % err_code if err_code else '', status), **details)
            exc.agent_clock_ahead = _auth.clock_ahead(envelope)
            raise exc
        label = err_code or (code if code is not None else 'no code')
        message = '%s: the agent answered HTTP %s [%s]: %s' % (where, status, label, said)
        if status == 404:
            raise ObshellNotFoundError(message, **details)
        if status >= 500:
            permanent = err_code in _PERMANENT_5XX or 'cannot build response body' in said
            raise ObshellServerError(message, retryable=not permanent, **details)
        raise ObshellApiError(message, **details)
