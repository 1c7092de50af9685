# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""Client-side crypto of the OBShell "hybrid encryption" (spec §1.3-§1.6, §1.9).

The agent publishes an RSA public key (PKCS#1 DER, base64). Each request carries a JSON auth document encrypted
with RSA PKCS#1 v1.5 in chunks of at most k-11 bytes (k = modulus bytes: 64 before 4.4.2, 128 after), and a
body encrypted with AES-128-CBC/PKCS#7 under a per-request key and IV sent inside that document.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import json
import os
import traceback

try:
    from cryptography.hazmat.primitives import padding as sym_padding
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - exercised through missing_required_lib in modules
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()

AES_KEY_BYTES = 16  # fixed by the agent: aes_key_size = 16 (§1.6)
AES_IV_BYTES = 16


class PublicKey(object):
    """The agent's RSA public key, with the block size derived from its modulus (never hard-coded)."""

    def __init__(self, key):
        if not isinstance(key, rsa.RSAPublicKey):
            raise ValueError('the agent key is not an RSA public key')
        self._key = key
        self.bits = key.key_size
        self.block_bytes = (key.key_size + 7) // 8
        self.max_chunk = self.block_bytes - 11  # PKCS#1 v1.5 overhead

    @classmethod
    def from_base64(cls, text):
        """Parse the ``public_key`` of ``GET /api/v1/secret``: standard base64 of a PKCS#1 RSAPublicKey DER."""
        if not isinstance(text, str) or not text:
            raise ValueError('public_key is missing or not a string')
        try:
            der = base64.b64decode(text.encode('ascii'), validate=True)
        except (ValueError, UnicodeError) as exc:
            raise ValueError('public_key is not valid base64: %s' % exc)
        try:
            # load_der_public_key accepts both PKCS#1 and SubjectPublicKeyInfo DER.
            key = serialization.load_der_public_key(der)
        except (ValueError, TypeError) as exc:
            raise ValueError('public_key is not an RSA key in DER form: %s' % exc)
        return cls(key)

    def encrypt(self, plaintext):
        """RSA PKCS#1 v1.5 over chunks of at most k-11 bytes, ciphertexts concatenated, standard base64."""
        out = []
        for start in range(0, max(len(plaintext), 1), self.max_chunk):
            out.append(self._key.encrypt(plaintext[start:start + self.max_chunk], asym_padding.PKCS1v15()))
        return base64.b64encode(b''.join(out)).decode('ascii')


def new_session_keys():
    """A fresh AES-128 key and IV for one request."""
    return os.urandom(AES_KEY_BYTES), os.urandom(AES_IV_BYTES)


def aes_encrypt(key, iv, plaintext):
    """AES-128-CBC with PKCS#7 padding, returned as standard base64 bytes (the raw request body)."""
    padder = sym_padding.PKCS7(128).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return base64.b64encode(encryptor.update(padded) + encryptor.finalize())


def auth_v2_header(public_key, password, uri, expires_at, key, iv):
    """The value of X-OCS-Header / X-OCS-Agent-Header (§1.4): ``ts`` is a *string* expiry in seconds."""
    document = {
        'auth': password or '',
        'ts': str(int(expires_at)),
        'uri': uri,
        'keys': base64.b64encode(key + iv).decode('ascii'),
    }
    return public_key.encrypt(json.dumps(document, separators=(',', ':')).encode('utf-8'))


class TooLongForOneBlock(ValueError):
    """The v1 auth document does not fit one RSA block; ``room`` is how many password characters would."""

    def __init__(self, room):
        super(TooLongForOneBlock, self).__init__('too long for one RSA block')
        self.room = room


def auth_v1_header(public_key, password, expires_at):
    """The value of X-OCS-Auth (OBShell 4.2.2, §1.9, §11.3): ``ts`` is an *int* there, and the document is
    encrypted as exactly one RSA block, as the SDK and the public v1 page do; nothing shows that a 4.2.2 agent
    joins several blocks."""
    document = json.dumps({'password': password or '', 'ts': int(expires_at)}, separators=(',', ':')).encode('utf-8')
    if len(document) > public_key.max_chunk:
        room = public_key.max_chunk - (len(document) - len((password or '').encode('utf-8')))
        raise TooLongForOneBlock(max(room, 0))
    return public_key.encrypt(document)
