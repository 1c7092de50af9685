# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Auth header decoding and verification, in the agent's order (spec §1.8, §1.9, §1.13)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import re

from tests.simulator.crypto import RsaDecryptError, go_strict_b64decode

HEADER_OB = 'X-OCS-Header'
HEADER_AGENT = 'X-OCS-Agent-Header'
HEADER_V1 = 'X-OCS-Auth'

SINGLE = 'SINGLE'
MASTER = 'MASTER'
FOLLOWER = 'FOLLOWER'
CLUSTER_AGENT = 'CLUSTER AGENT'
TAKE_OVER_MASTER = 'TAKE OVER MASTER'
TAKE_OVER_FOLLOWER = 'TAKE OVER FOLLOWER'
SCALING_OUT = 'SCALING OUT'
SCALING_IN = 'SCALING IN'
UNIDENTIFIED = 'UNIDENTIFIED'
IDENTITIES = (SINGLE, MASTER, FOLLOWER, CLUSTER_AGENT, TAKE_OVER_MASTER, TAKE_OVER_FOLLOWER, SCALING_OUT, SCALING_IN,
              UNIDENTIFIED)

# Identities whose agent holds an initialised OceanBase (root@sys password known). Uncertain for the
# transitional ones; SCALING OUT is treated as not yet initialised.
OB_INITIALISED = frozenset([CLUSTER_AGENT, TAKE_OVER_MASTER, TAKE_OVER_FOLLOWER, SCALING_IN])

# HttpHeader fields (header.go:38-49): JSON key -> expected JSON kind
_FIELDS = {
    'Auth': 'string', 'Ts': 'string', 'Uri': 'string', 'Keys': 'bytes', 'Token': 'string',
    'session_id': 'string', 'ssotoken': 'string', 'Sha256': 'string', 'ForwardType': 'int',
    'ForwardAgent': 'object',
}
_GO_TYPES = {'string': 'string', 'bytes': '[]uint8', 'int': 'secure.ForwardType', 'object': 'meta.AgentInfo'}
_INT64 = re.compile(r'^[+-]?[0-9]+$')


def normalize_identity(text):
    value = str(text).strip().upper().replace('_', ' ')
    if value not in IDENTITIES:
        raise ValueError('unknown identity %r (one of %s)' % (text, ', '.join(IDENTITIES)))
    return value


class AuthFailure(Exception):
    """A verification failure; ``err_code`` and ``args`` feed ``Profile.error``."""

    def __init__(self, err_code, *args):
        super(AuthFailure, self).__init__(err_code)
        self.err_code = err_code
        self.args_ = args


class DecodedHeader(object):
    def __init__(self, kind, fields):
        self.kind = kind            # which HTTP header carried it
        self.auth = fields.get('Auth', '')
        self.ts = fields.get('Ts', '')
        self.uri = fields.get('Uri', '')
        self.keys = fields.get('Keys')
        self.token = fields.get('Token', '')
        self.fields = fields


def _reject_constant(name):
    # Go's decoder has no NaN/Infinity literals
    raise ValueError("invalid character '%s' looking for beginning of value" % name[:1])


class _JsonObject(list):
    """A decoded JSON object, kept as ordered (key, value) pairs (duplicate keys matter in Go)."""


def _json_kind(value):
    if isinstance(value, _JsonObject):
        return 'object'
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'bool'
    if isinstance(value, (int, float)):
        return 'number'
    if isinstance(value, str):
        return 'string'
    if isinstance(value, list):
        return 'array'
    return 'object'


def go_unmarshal_header(plaintext):
    """Decode the auth JSON like Go's ``json.Decoder`` (UseNumber) into ``HttpHeader``.

    Keys match case-insensitively, unknown keys are ignored, ``null`` leaves a field unset, a value of the
    wrong JSON type is an error (e.g. a numeric ``ts``), and data after the first value is ignored.
    """
    try:
        text = plaintext.decode('utf-8')
    except UnicodeDecodeError:
        text = plaintext.decode('utf-8', 'replace')
    stripped = text.lstrip(' \t\r\n')
    if not stripped:
        raise ValueError('EOF')
    try:
        decoder = json.JSONDecoder(object_pairs_hook=_JsonObject, parse_constant=_reject_constant)
        pairs, _unused = decoder.raw_decode(stripped)
    except ValueError as exc:
        raise ValueError('invalid character in JSON: %s' % exc) from exc
    if not isinstance(pairs, _JsonObject):
        raise ValueError('json: cannot unmarshal %s into Go value of type secure.HttpHeader' % _json_kind(pairs))
    fields = {}
    first_error = None
    for key, value in pairs:
        name = key if key in _FIELDS else None
        if name is None:
            for candidate in _FIELDS:
                if candidate.lower() == key.lower():
                    name = candidate
                    break
        if name is None:
            continue
        kind = _FIELDS[name]
        if value is None:
            if kind == 'bytes':
                fields[name] = None
            continue
        actual = _json_kind(value)
        ok = ((kind in ('string', 'bytes') and actual == 'string') or (kind == 'int' and actual == 'number')
              or (kind == 'object' and actual == 'object'))
        if not ok:
            if first_error is None:
                first_error = 'json: cannot unmarshal %s into Go struct field HttpHeader.%s of type %s' % (
                    actual, name, _GO_TYPES[kind])
            continue
        if kind == 'bytes':
            try:
                fields[name] = go_strict_b64decode(value)
            except ValueError as exc:
                if first_error is None:
                    first_error = str(exc)
            continue
        if kind == 'int' and not (isinstance(value, int) and not isinstance(value, bool)):
            if first_error is None:
                first_error = 'json: cannot unmarshal number %s into Go struct field HttpHeader.%s of type int' % (value, name)
            continue
        fields[name] = value
    if first_error is not None:
        raise ValueError(first_error)
    return fields


def decrypt_header(rsa_key, value, kind):
    """Strict base64 -> k-byte RSA blocks -> JSON. Raises AuthFailure(DecryptFailed) with Go-ish text."""
    try:
        raw = go_strict_b64decode(value)
    except ValueError as exc:
        raise AuthFailure('Security.Authentication.Header.DecryptFailed', str(exc)) from exc
    try:
        fields = go_unmarshal_header(rsa_key.decrypt_chunked_fast(raw))
    except (ValueError, RsaDecryptError):
        # slow exact path: tells an RSA padding error from a JSON error, like Go does
        try:
            fields = go_unmarshal_header(rsa_key.decrypt_chunked(raw))
        except (ValueError, RsaDecryptError) as exc:
            raise AuthFailure('Security.Authentication.Header.DecryptFailed', str(exc)) from exc
    return DecodedHeader(kind, fields)


def decrypt_header_v1(rsa_key, value):
    """Auth v1 (4.2.2, spec §1.9, §11.3): ``{"password": ..., "ts": <int>}`` in exactly ONE RSA block.

    The SDK and the public v1 page encrypt the JSON as a single block and nothing shows a 4.2.2 agent reading
    several, so a ciphertext of any other length than k bytes is a decrypt error. ``ts`` may be an int or a
    string (uncertain; the tolerant reading).
    """
    try:
        raw = go_strict_b64decode(value)
        if len(raw) != rsa_key.size:
            raise RsaDecryptError('crypto/rsa: decryption error')
        plaintext = rsa_key.decrypt_block(raw)
        data = json.loads(plaintext.decode('utf-8'), parse_constant=_reject_constant)
        if not isinstance(data, dict):
            raise ValueError('not an object')
    except (ValueError, RsaDecryptError, UnicodeDecodeError) as exc:
        raise AuthFailure('Security.Authentication.Header.DecryptFailed', str(exc)) from exc
    lowered = dict((str(k).lower(), v) for k, v in data.items())
    fields = {'Auth': lowered.get('password') or '', 'Ts': str(lowered.get('ts', ''))}
    return DecodedHeader(HEADER_V1, fields)


def check_ts(ts, now_s):
    """Timestamp rule of auth.go:46-63 (only called when the password is non-empty)."""
    if not _INT64.match(ts or ''):
        raise AuthFailure('Security.Authentication.Timestamp.Invalid', ts,
                          'strconv.ParseInt: parsing "%s": invalid syntax' % ts)
    value = int(ts)
    if value >= 2 ** 63 or value < -2 ** 63:
        raise AuthFailure('Security.Authentication.Timestamp.Invalid', ts,
                          'strconv.ParseInt: parsing "%s": value out of range' % ts)
    if int(now_s) > value:
        raise AuthFailure('Security.Authentication.Expired')


def _check_password(header, expected, now_s, wrong_code):
    if header.auth != '':
        check_ts(header.ts, now_s)
    if header.auth != expected:
        raise AuthFailure(wrong_code)


def verify_agent_route(header, agent_password, now_s):
    """``VerifyAgentRoutes`` (middleware.go:609-629), used for task ids 4…/5… (obproxy DAGs): whatever the
    identity (a FOLLOWER does not forward these), the header kind first, then whether a password is set."""
    if header.kind != HEADER_AGENT:
        raise AuthFailure('Security.Authentication.WithAgentPassword', 'this route only support agent password')
    if agent_password is None:
        raise AuthFailure('Security.Authentication.AgentPasswordNotInitialized')
    _check_password(header, agent_password, now_s, 'Security.Authentication.IncorrectAgentPassword')


def verify_password(header, identity, root_password, agent_password, now_s, obproxy_route=False):
    """The identity/password table of spec §1.8 step 5 (FOLLOWER forwarding is handled by the caller).

    ``root_password`` is the cluster's root@sys password ("" when none); ``agent_password`` None when unset.
    The root password is compared with the agent's cached copy, so it keeps working while the observer is down
    (secure/auth.go:58-87: OB is only asked when the password differs).
    """
    if obproxy_route:
        verify_agent_route(header, agent_password, now_s)
        return
    if identity == SINGLE:
        if agent_password is None:
            return      # anything passes, no password and no Ts check (:524-526)
        if header.kind != HEADER_AGENT:
            raise AuthFailure('Security.Authentication.WithAgentPassword', 'agent password has been set')
        _check_password(header, agent_password, now_s, 'Security.Authentication.IncorrectAgentPassword')
        return
    ob_initialised = identity in OB_INITIALISED
    if header.kind == HEADER_AGENT:
        if agent_password is None:
            if ob_initialised:
                raise AuthFailure('Security.Authentication.WithOceanBasePassword', 'agent password is not set')
            return
        _check_password(header, agent_password, now_s, 'Security.Authentication.IncorrectAgentPassword')
        return
    if not ob_initialised and agent_password is not None:
        raise AuthFailure('Security.Authentication.WithAgentPassword', 'oceanbase password is not initialized')
    expected = root_password if ob_initialised else ''
    _check_password(header, expected or '', now_s, 'Security.Authentication.IncorrectOceanbasePassword')


def verify_v1(header, identity, root_password, now_s):
    """Auth v1 verification (4.2.2; uncertain, tolerant): SINGLE passes, else the root password and ts."""
    if identity == SINGLE:
        return
    if header.auth != (root_password or ''):
        raise AuthFailure('Security.Authentication.IncorrectOceanbasePassword')
    if header.auth and _INT64.match(header.ts or '') and int(now_s) > int(header.ts):
        raise AuthFailure('Security.Authentication.Expired')
