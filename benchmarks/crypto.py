# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""7. Cost of the crypto: the auth header of one request, and the import time of the client, vs the SDK.

Header: everything a v2 request needs beyond the HTTP call, for the uri of a list read: a fresh AES key and IV
and the RSA PKCS#1 v1.5 encryption of the JSON auth document, with the agent's public key already fetched (both
clients cache it). Ours: ``_crypto.new_session_keys`` + ``_crypto.auth_v2_header``; the SDK's:
``get_random_bytes`` x2 + ``PasswordAuthMethodV2.encrypt_header`` (pycryptodome). Best of 5 rounds of
``timeit``, per call. Keys: 1024 bits (agents 4.4.2+) and 512 bits (older agents).

Import: a fresh interpreter times, with ``time.perf_counter`` around the statements only (the median of several
interpreters): ``import ...module_utils._client`` (cryptography; requests is imported by the first client, not
by the import); the same plus the first ``ObshellClient`` (requests loaded, a session made): what a module run or
a plugin pays before its first request; the same with the former http.client transport (benchmarks/baseline_http.py)
in place of requests; and ``import obshell``.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import subprocess
import sys
import time
import timeit

from benchmarks import harness

URI = '/api/v1/task/dag/unfinish?show_details=false'

IMPORT_SCRIPT = """
import sys, time
sys.path[:0] = [{path!r}, {root!r}]
t0 = time.perf_counter()
{statements}
sys.stdout.write(repr(time.perf_counter() - t0))
"""
CLIENT = 'ansible_collections.oceanbase.obshell.plugins.module_utils._client'
IMPORTS = (
    ('ours', 'import %s' % CLIENT),
    ('ours_first_client', 'from %s import ObshellClient; ObshellClient("127.0.0.1", 2886)' % CLIENT),
    ('http_client_first_client', 'import %s; from benchmarks.baseline_http import HttpTransport; '
                                 'HttpTransport("127.0.0.1", 2886, address="127.0.0.1:2886")' % CLIENT),
    ('sdk', 'import obshell'),
)


def _public_keys():
    from cryptography.hazmat.primitives import serialization  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives.asymmetric import rsa  # pylint: disable=import-outside-toplevel
    from tests.simulator.crypto import RsaKey  # pylint: disable=import-outside-toplevel

    big = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    der = big.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    return {1024: base64.b64encode(der).decode('ascii'), 512: RsaKey(512).public_key_b64()}


def header_costs(number):
    from ansible_collections.oceanbase.obshell.plugins.module_utils import _crypto  # pylint: disable=import-outside-toplevel
    from Crypto.Random import get_random_bytes  # pylint: disable=import-outside-toplevel
    from obshell.auth.password import PasswordAuthMethodV2  # pylint: disable=import-outside-toplevel

    out = {}
    for bits, key_b64 in _public_keys().items():
        ours_key = _crypto.PublicKey.from_base64(key_b64)

        def ours():
            aes_key, aes_iv = _crypto.new_session_keys()
            return _crypto.auth_v2_header(ours_key, harness.PASSWORD, URI, int(time.time()) + 60, aes_key, aes_iv)

        sdk_method = PasswordAuthMethodV2(harness.PASSWORD, None, 60)
        sdk_method.pk = key_b64

        def sdk():
            aes_key, aes_iv = get_random_bytes(16), get_random_bytes(16)
            return sdk_method.encrypt_header({
                'auth': harness.PASSWORD, 'ts': str(int(time.time()) + 60), 'uri': URI,
                'keys': base64.b64encode(aes_key + aes_iv).decode('utf-8')})

        out[bits] = {
            'ours': min(timeit.repeat(ours, number=number, repeat=5)) / number,
            'sdk': min(timeit.repeat(sdk, number=number, repeat=5)) / number,
        }
    return out


def import_seconds(statements, python, runs):
    from tests.integration._ansible import COLLECTIONS_DIR  # pylint: disable=import-outside-toplevel

    times = []
    for dummy in range(runs):
        out = subprocess.check_output([python, '-c', IMPORT_SCRIPT.format(path=COLLECTIONS_DIR, root=harness.REPO_ROOT,
                                                                          statements=statements)],
                                      universal_newlines=True)
        times.append(float(out))
    return harness.median(times), times


def run(ctx):
    headers = header_costs(20 if ctx.smoke else 300 if ctx.quick else 2000)
    runs = ctx.reps(9, 3)
    python = ctx.python or sys.executable
    imports = {}
    for dummy in range(runs):        # interleaved: one interpreter of each in turn
        for name, statements in IMPORTS:
            imports.setdefault(name, []).extend(import_seconds(statements, python, 1)[1])
    medians = dict((name, harness.median(values)) for name, values in imports.items())
    ours_import, sdk_import = medians['ours'], medians['sdk']

    def us(seconds):
        return '%.0f us' % (seconds * 1e6)

    rows = [
        harness.Row('7. Auth header encryption per request',
                    '1024-bit key: %s; 512-bit: %s' % (us(headers[1024]['ours']), us(headers[512]['ours'])),
                    'SDK: %s; %s (%.1fx; %.1fx)' % (
                        us(headers[1024]['sdk']), us(headers[512]['sdk']),
                        harness.ratio(headers[1024]['sdk'], headers[1024]['ours']),
                        harness.ratio(headers[512]['sdk'], headers[512]['ours'])),
                    'report (no target)', None),
        harness.Row('7. Client import time',
                    '%s (_client: cryptography; requests comes with the first client)' % harness.ms(ours_import),
                    'import obshell (SDK): %s (%.1fx)' % (
                        harness.ms(sdk_import), harness.ratio(sdk_import, ours_import)),
                    'report (no target)', None),
        harness.Row('7. Import and first client, requests vs http.client',
                    '%s (requests)' % harness.ms(medians['ours_first_client']),
                    'http.client baseline: %s (%.2fx)' % (
                        harness.ms(medians['http_client_first_client']),
                        harness.ratio(medians['ours_first_client'], medians['http_client_first_client'])),
                    '<= 1.5x', medians['ours_first_client'] <= 1.5 * medians['http_client_first_client']),
    ]
    raw = {'header_seconds': headers, 'import_seconds': dict(medians, all=imports)}
    return rows, raw
