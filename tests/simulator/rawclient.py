# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A deliberately low-level client for negative tests: it builds auth headers from arbitrary JSON and
sends exact request-targets, so tests can produce what a well-behaved client never would.
It is a test tool, not the collection's client.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import http.client
import json
import os
import secrets
import ssl
import time

from tests.simulator.crypto import aes_cbc_encrypt


def _der_read(data, offset):
    tag = data[offset]
    length = data[offset + 1]
    offset += 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[offset:offset + count], 'big')
        offset += count
    return tag, data[offset:offset + length], offset + length


def parse_pkcs1_public(der):
    """(n, e) from a PKCS#1 RSAPublicKey DER."""
    _tag, body, _end = _der_read(der, 0)
    _tag, n_raw, offset = _der_read(body, 0)
    _tag, e_raw, _end = _der_read(body, offset)
    return int.from_bytes(n_raw, 'big'), int.from_bytes(e_raw, 'big')


def rsa_encrypt_block(n, e, message):
    k = (n.bit_length() + 7) // 8
    if len(message) > k - 11:
        raise ValueError('block too long')
    pad = bytearray()
    while len(pad) < k - 3 - len(message):
        byte = secrets.randbelow(256)
        if byte:
            pad.append(byte)
    em = b'\x00\x02' + bytes(pad) + b'\x00' + message
    return pow(int.from_bytes(em, 'big'), e, n).to_bytes(k, 'big')


class RawResponse(object):
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        try:
            self.json = json.loads(body.decode('utf-8')) if body else None
        except ValueError:
            self.json = None

    @property
    def error(self):
        return (self.json or {}).get('error')

    @property
    def data(self):
        return (self.json or {}).get('data')

    def __repr__(self):
        return 'RawResponse(%d, %r)' % (self.status, self.body[:300])


class RawClient(object):
    def __init__(self, host, port, tls_context=None, timeout=10.0):
        self.host = host
        self.port = port
        self.tls_context = tls_context
        self.timeout = timeout
        self._conn = None
        self.public = None

    @classmethod
    def for_agent(cls, agent, **kwargs):
        return cls(agent.host, agent.port, **kwargs)

    def _connection(self):
        if self._conn is None:
            if self.tls_context is not None:
                self._conn = http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout,
                                                         context=self.tls_context)
            else:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self._conn

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self, method, target, headers=None, body=None):
        """Send ``target`` verbatim as the request-target; reconnects once on a dropped keep-alive."""
        for attempt in (0, 1):
            conn = self._connection()
            try:
                conn.putrequest(method, target, skip_accept_encoding=True)
                for name, value in (headers or {}).items():
                    conn.putheader(name, value)
                payload = body if isinstance(body, bytes) else (body.encode('utf-8') if body is not None else b'')
                if payload or method == 'POST':
                    conn.putheader('Content-Length', str(len(payload)))
                conn.endheaders(payload or None)
                resp = conn.getresponse()
                data = resp.read()
                return RawResponse(resp.status, dict((k.lower(), v) for k, v in resp.getheaders()), data)
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if attempt:
                    raise
        raise AssertionError('unreachable')

    # auth ------------------------------------------------------------------------------------------
    def fetch_key(self):
        resp = self.request('GET', '/api/v1/secret')
        der = base64.b64decode(resp.data['public_key'])
        self.public = parse_pkcs1_public(der)
        return self.public

    def encrypt_header(self, plaintext, chunk=53):
        if self.public is None:
            self.fetch_key()
        n, e = self.public
        if isinstance(plaintext, dict):
            plaintext = json.dumps(plaintext)
        if isinstance(plaintext, str):
            plaintext = plaintext.encode('utf-8')
        blocks = [rsa_encrypt_block(n, e, plaintext[i:i + chunk]) for i in range(0, len(plaintext), chunk)]
        return base64.b64encode(b''.join(blocks)).decode('ascii')

    @staticmethod
    def auth_json(target, password='', ts=None, lifetime=60, keys=None, uri=None, **extra):
        data = {'auth': password, 'ts': str(int(time.time()) + lifetime) if ts is None else ts,
                'uri': target if uri is None else uri,
                'keys': base64.b64encode(keys if keys is not None else os.urandom(32)).decode('ascii')}
        data.update(extra)
        return data

    def call(self, method, target, password='', body=None, header='X-OCS-Header', auth=None, chunk=53,
             extra_headers=None, **auth_kwargs):
        """An authenticated request the way a correct v2 client sends it (overridable piece by piece)."""
        keys = auth_kwargs.pop('keys', None) or os.urandom(32)
        if auth is None:
            auth = self.auth_json(target, password=password, keys=keys, **auth_kwargs)
        headers = {header: self.encrypt_header(auth, chunk=chunk)}
        headers.update(extra_headers or {})
        payload = None
        if body is not None:
            raw = body if isinstance(body, bytes) else json.dumps(body).encode('utf-8')
            payload = base64.b64encode(aes_cbc_encrypt(keys[:16], keys[16:], raw))
        return self.request(method, target, headers=headers, body=payload)

    def get(self, target, **kwargs):
        return self.call('GET', target, **kwargs)

    def post(self, target, body, **kwargs):
        return self.call('POST', target, body=body, **kwargs)


def tls_client_context(ca=None, cert=None, key=None):
    context = ssl.create_default_context(cafile=ca)
    if cert:
        context.load_cert_chain(cert, key)
    return context
