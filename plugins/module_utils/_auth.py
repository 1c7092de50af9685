# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""Authentication to an OBShell agent: which auth version it takes, which header and password a request carries,
how v1 and v2 sign it, and what an auth failure means for the person running the playbook. Section numbers refer
to the protocol spec (obshell-api.md, §1).

Plain functions: the client hands them what they need (the agent's /api/v1/info, the passwords, the agent's public
key) and keeps the requests, the retries and the key cache.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import re
import time

from ansible_collections.oceanbase.obshell.plugins.module_utils import _crypto
from ansible_collections.oceanbase.obshell.plugins.module_utils._cluster import SINGLE
from ansible_collections.oceanbase.obshell.plugins.module_utils._dag_fields import parse_time
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import ObshellAuthError, ObshellConfigError

AGENT_HEADER = 'X-OCS-Agent-Header'   # carries the agent password
ROOT_HEADER = 'X-OCS-Header'          # carries the root@sys password (or nothing, for a SINGLE agent)
# /dag|node|sub_task/{id} of an obproxy task: its generic id starts with 4 or 5 (§4.4, §11.2).
_OBPROXY_ROUTE_RE = re.compile(r'^/api/v1/task/(dag|node|sub_task)/[45]\d*(/|\?|$)')

# What each auth failure means for the person running the playbook (§1.13).
_AUTH_HINTS = {
    'Security.Authentication.Header.DecryptFailed':
        'the agent could not decrypt the auth header (its RSA key may have changed, e.g. after an upgrade)',
    'Security.Authentication.Header.UriMismatch':
        'the agent saw a different request URI than the one signed (is a proxy rewriting paths?)',
    'Security.Authentication.Expired':
        'the auth header expired before the agent checked it: the agent clock is ahead of this host by more '
        'than the header lifetime; synchronise the clocks',
    'Security.Authentication.Timestamp.Invalid': 'the agent rejected the auth timestamp',
    'Security.Authentication.IncorrectOceanbasePassword':
        'the root@sys password is wrong (option password / OBSHELL_PASSWORD)',
    'Security.Authentication.IncorrectAgentPassword':
        'the agent password is wrong (option agent_password / OBSHELL_AGENT_PASSWORD)',
    'Security.Authentication.WithAgentPassword':
        'this agent has an agent password set: give agent_password (OBSHELL_AGENT_PASSWORD)',
    'Security.Authentication.WithOceanBasePassword':
        'this agent expects the root@sys password (option password), not agent_password',
    'Security.Authentication.AgentPasswordNotInitialized':
        'this operation needs an agent password, and the agent has none set',
    'Security.Authentication.IncorrectToken': 'the agent rejected the token',
    'Request.Header.NotFound': 'the agent requires an auth header and received none',
}


# --------------------------------------------------------------------------------------------------------------
# What a request carries


def choose_version(info, version, agent=None):
    """v1 or v2 for an agent, from its /api/v1/info ``info``: supportedAuth first, then ``version`` (its version,
    parsed by _client.parse_version; §1.11). ``agent`` names it in the error when neither says."""
    supported = info.get('supportedAuth') or []
    # Anything but a list (a proxy, a broken agent) is treated as absent: choose by version instead.
    for candidate in (supported if isinstance(supported, list) else []):
        if candidate in ('v2', 'v1'):
            return candidate
    if version[:3] == (4, 2, 2):
        return 'v1'
    if version >= (4, 2, 3):
        return 'v2'
    raise ObshellAuthError('cannot choose an auth version: the agent reports version %r and supportedAuth %r; '
                           'set auth_version explicitly' % (info.get('version'), supported), agent=agent)


def credentials(info, uri, password, agent_password, agent=None):
    """(header name, password) for a request to ``uri`` of the agent whose /api/v1/info is ``info``, following the
    identity/password table (§1.8, §1.11)."""
    agent_password_set = bool(info.get('security'))
    if _OBPROXY_ROUTE_RE.match(uri):
        # Obproxy tasks (ids 4... and 5...) take the agent password only (§11.2): say so before sending.
        if agent_password is None:
            raise ObshellConfigError('%s is an obproxy task, which the agent shows only with the agent password: '
                                     'give agent_password (OBSHELL_AGENT_PASSWORD)' % uri.split('?')[0].rsplit('/', 1)[-1],
                                     agent=agent)
        return AGENT_HEADER, agent_password
    if agent_password_set and agent_password is not None:
        return AGENT_HEADER, agent_password
    if info.get('identity') == SINGLE:
        if agent_password_set:
            raise ObshellAuthError('is a SINGLE agent with an agent password set: give agent_password '
                                   '(OBSHELL_AGENT_PASSWORD)', agent=agent)
        # A SINGLE agent without an agent password accepts anything and checks nothing (§1.8).
        return ROOT_HEADER, ''
    return ROOT_HEADER, password or ''


def sign(version, key, header, password, uri, body, expires_at, agent=None):
    """Headers and the body bytes of one request (``body`` encrypted under v2), signed with ``key`` (the agent's
    _crypto.PublicKey) for ``header`` and ``password`` (from ``credentials``), valid until ``expires_at`` (epoch
    seconds, the agent's clock)."""
    if version == 'v1':
        payload = json.dumps(body).encode('utf-8') if body is not None else None
        try:
            return {'X-OCS-Auth': _crypto.auth_v1_header(key, password, expires_at)}, payload
        except _crypto.TooLongForOneBlock as exc:
            raise ObshellConfigError(
                'auth v1 (OBShell 4.2.2) carries the password in one RSA block, and it does not fit: the '
                '%s option is %d characters long, and this agent\'s %d-bit key takes at most %d' % (
                    'agent_password' if header == AGENT_HEADER else 'password', len(password or ''),
                    key.bits, exc.room), agent=agent)
    aes_key, aes_iv = _crypto.new_session_keys()
    payload = None
    if body is not None:
        payload = _crypto.aes_encrypt(aes_key, aes_iv, json.dumps(body).encode('utf-8'))
    value = _crypto.auth_v2_header(key, password, uri, expires_at, aes_key, aes_iv)
    return {header: value}, payload


# --------------------------------------------------------------------------------------------------------------
# What a refusal means


def is_failure(status, code, err_code, agent_message):
    """Whether an error envelope is an auth failure, on any agent version (§1.13)."""
    return (status == 401 or code in (1, 10008) or (err_code or '').startswith('Security.Authentication')
            or err_code == 'Request.Header.NotFound'
            or (agent_message or '').startswith('Verification failed'))


def key_rotated(exc):
    """Whether an auth failure (ObshellAuthError) says the agent's key changed: 4.3.1+ say DecryptFailed (or old
    code 1); 4.2.4 to 4.3.0 say code 10008 "Verification failed: header decrypt failed" (§1.13). The same key
    rotation, e.g. after a rolling upgrade restarted the agent."""
    return exc.err_code == 'Security.Authentication.Header.DecryptFailed' or exc.code == 1 or \
        'decrypt failed' in (exc.agent_message or '')


def failure_hint(err_code, agent_message, code, password, agent_password):
    """What an auth failure means for the person running the playbook, given the passwords that were sent."""
    hint = _AUTH_HINTS.get(err_code) or _legacy_auth_hint(agent_message, code)
    if err_code == 'Security.Authentication.IncorrectOceanbasePassword' and not password:
        # The usual cause: only agent_password was given, to an agent that has none set (§1.8).
        hint = 'no root@sys password was given (option password / OBSHELL_PASSWORD)' + (
            '; agent_password is not used because this agent has no agent password set'
            if agent_password is not None else '')
    return hint


def _legacy_auth_hint(message, code):
    """Pre-4.3.1 agents say little: 4.2.3 sends 'err.unauthorized' for every failure (§1.13)."""
    message = message or ''
    if code == 1 or 'decrypt' in message:
        return 'the agent could not decrypt the auth header (its RSA key may have changed)'
    if 'expired' in message:
        return 'the auth header expired (check the clocks of this host and the agent)'
    if 'uri mismatch' in message:
        return 'the agent saw a different request URI than the one signed'
    if 'not found' in message:
        return 'the agent received no auth header'
    if 'denied' in message:
        return 'wrong password (password for root@sys, or agent_password)'
    return 'wrong password, expired header or clock skew (this agent version does not say which)'


def clock_ahead(envelope):
    """Seconds the agent's clock runs ahead of ours, from the envelope timestamp; None if unknown. An expired header
    is signed again with its Ts moved on by as much (the client's retry)."""
    stamp = envelope.get('timestamp')
    if not isinstance(stamp, str):
        return None
    agent_now = parse_time(stamp)
    if agent_now is None:
        return None
    return max(0.0, agent_now - time.time())
