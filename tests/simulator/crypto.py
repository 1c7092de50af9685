# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Server-side crypto of the simulated agent (spec §1.3, §1.5, §1.6).

RSA is done with plain integer arithmetic on purpose: the agent used 512-bit keys before 4.4.2 and the
crypto libraries refuse to generate (and partly to use) keys that small. The decryption mirrors Go's
``crypto/rsa.DecryptPKCS1v15`` checks so that malformed headers fail the way the agent fails.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import binascii
import re
import secrets

from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.asymmetric import rsa as asym_rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

PUBLIC_EXPONENT = 65537

_SMALL_PRIMES = (3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97)
_STD_B64 = re.compile(r'^[A-Za-z0-9+/]*={0,2}$')


class RsaDecryptError(Exception):
    """Go's ``crypto/rsa: decryption error`` (and friends)."""


class AesBodyError(Exception):
    """A body decryption failure; ``err_code`` names the agent error (spec §1.6)."""

    def __init__(self, err_code, detail):
        super(AesBodyError, self).__init__(detail)
        self.err_code = err_code
        self.detail = detail


class AesPanic(Exception):
    """Conditions where the Go agent panics while decrypting a body (empty body, bad padding byte)."""


def _is_probable_prime(candidate, rounds=40):
    if candidate < 2:
        return False
    for small in _SMALL_PRIMES:
        if candidate % small == 0:
            return candidate == small
    d, s = candidate - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for _unused in range(rounds):
        a = 2 + secrets.randbelow(candidate - 3)
        x = pow(a, d, candidate)
        if x in (1, candidate - 1):
            continue
        for _unused2 in range(s - 1):
            x = pow(x, 2, candidate)
            if x == candidate - 1:
                break
        else:
            return False
    return True


def _random_prime(bits):
    while True:
        # top two bits set so that p*q has exactly 2*bits bits; odd
        candidate = secrets.randbits(bits) | (3 << (bits - 2)) | 1
        if (candidate - 1) % PUBLIC_EXPONENT == 0:
            continue
        if _is_probable_prime(candidate):
            return candidate


def _der_length(length):
    if length < 0x80:
        return bytes([length])
    raw = length.to_bytes((length.bit_length() + 7) // 8, 'big')
    return bytes([0x80 | len(raw)]) + raw


def _der_integer(value):
    raw = value.to_bytes(max(1, (value.bit_length() + 7) // 8), 'big')
    if raw[0] & 0x80:
        raw = b'\x00' + raw
    return b'\x02' + _der_length(len(raw)) + raw


def _pure_python_key(bits):
    half = bits // 2
    while True:
        p = _random_prime(half)
        q = _random_prime(half)
        if p == q:
            continue
        n = p * q
        if n.bit_length() != bits:
            continue
        phi = (p - 1) * (q - 1)
        try:
            d = pow(PUBLIC_EXPONENT, -1, phi)
        except ValueError:
            continue
        return p, q, d, n


class RsaKey(object):
    """An RSA key pair of the agent (spec §1.3)."""

    def __init__(self, bits=1024):
        fast = None
        if bits >= 1024:
            # OpenSSL makes a 1024-bit key in ~10 ms; the prime search of _pure_python_key takes ~0.1 s per key
            # (10 s for a 100-agent cluster). It stays for the 512-bit keys that the libraries refuse to make.
            fast = asym_rsa.generate_private_key(public_exponent=PUBLIC_EXPONENT, key_size=bits)
            numbers = fast.private_numbers()
            p, q, d, n = numbers.p, numbers.q, numbers.d, numbers.public_numbers.n
        else:
            p, q, d, n = _pure_python_key(bits)
        self.bits = bits
        self.n = n
        self.e = PUBLIC_EXPONENT
        self.d = d
        self.p = p
        self.q = q
        self._dp = d % (p - 1)
        self._dq = d % (q - 1)
        self._qinv = pow(q, -1, p)
        self.size = (n.bit_length() + 7) // 8
        self._fast = fast

    def _fast_key(self):
        """OpenSSL's RSA for the common path (pure-Python modexp costs ~1 ms per 1024-bit block)."""
        if self._fast is None:
            numbers = asym_rsa.RSAPrivateNumbers(self.p, self.q, self.d, self._dp, self._dq, self._qinv,
                                                 asym_rsa.RSAPublicNumbers(self.e, self.n))
            try:
                self._fast = numbers.private_key(unsafe_skip_rsa_key_validation=True)
            except TypeError:
                self._fast = numbers.private_key()
        return self._fast

    def public_der(self):
        """PKCS#1 ``RSAPublicKey`` DER (not SPKI), as the agent serves it."""
        body = _der_integer(self.n) + _der_integer(self.e)
        return b'\x30' + _der_length(len(body)) + body

    def public_key_b64(self):
        return base64.b64encode(self.public_der()).decode('ascii')

    def encrypt_block(self, message):
        """PKCS#1 v1.5 encryption of one block (used by tests and by the auth v1 helper)."""
        k = self.size
        if len(message) > k - 11:
            raise ValueError('message too long for RSA key size')
        padding_len = k - 3 - len(message)
        pad = bytearray()
        while len(pad) < padding_len:
            byte = secrets.randbelow(256)
            if byte:
                pad.append(byte)
        em = b'\x00\x02' + bytes(pad) + b'\x00' + message
        c = pow(int.from_bytes(em, 'big'), self.e, self.n)
        return c.to_bytes(k, 'big')

    def _raw_decrypt(self, c):
        m1 = pow(c, self._dp, self.p)
        m2 = pow(c, self._dq, self.q)
        h = (self._qinv * (m1 - m2)) % self.p
        return m2 + h * self.q

    def decrypt_block(self, block):
        """Go ``rsa.DecryptPKCS1v15`` on one k-byte block."""
        k = self.size
        if len(block) != k:
            raise RsaDecryptError('crypto/rsa: decryption error')
        c = int.from_bytes(block, 'big')
        if c >= self.n:
            raise RsaDecryptError('crypto/rsa: decryption error')
        em = self._raw_decrypt(c).to_bytes(k, 'big')
        if em[0] != 0 or em[1] != 2:
            raise RsaDecryptError('crypto/rsa: decryption error')
        try:
            zero = em.index(b'\x00', 2)
        except ValueError as exc:
            raise RsaDecryptError('crypto/rsa: decryption error') from exc
        if zero < 10:
            # fewer than 8 bytes of padding
            raise RsaDecryptError('crypto/rsa: decryption error')
        return em[zero + 1:]

    def decrypt_chunked_fast(self, data):
        """Like ``decrypt_chunked`` but through OpenSSL. OpenSSL may use implicit rejection (random bytes
        instead of an error for bad padding), so callers fall back to ``decrypt_chunked`` whenever the result
        is not usable; that path reproduces Go's exact error."""
        k = self.size
        if not data or len(data) % k:
            return self.decrypt_chunked(data)
        try:
            key = self._fast_key()
            return b''.join(key.decrypt(data[start:start + k], asym_padding.PKCS1v15())
                            for start in range(0, len(data), k))
        except Exception:  # pylint: disable=broad-except
            return self.decrypt_chunked(data)

    def decrypt_chunked(self, data):
        """The agent cuts the ciphertext into k-byte blocks and concatenates the plaintexts (§1.5)."""
        k = self.size
        out = []
        for start in range(0, len(data), k):
            out.append(self.decrypt_block(data[start:start + k]))
        return b''.join(out)


def go_strict_b64decode(text):
    """``base64.StdEncoding.DecodeString``: padding required, standard alphabet only.

    Returns bytes or raises ValueError with Go's wording.
    """
    if isinstance(text, bytes):
        text = text.decode('latin-1')
    # Go's StdEncoding silently drops CR/LF; everything else outside the alphabet is an error.
    cleaned = text.replace('\r', '').replace('\n', '')
    if not _STD_B64.match(cleaned) or len(cleaned) % 4:
        position = _first_bad_b64_position(cleaned)
        raise ValueError('illegal base64 data at input byte %d' % position)
    try:
        return base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError('illegal base64 data at input byte %d' % _first_bad_b64_position(cleaned)) from exc


def _first_bad_b64_position(text):
    for index, char in enumerate(text):
        if not (char.isalnum() and char.isascii()) and char not in '+/=':
            return index
    if '=' in text:
        first = text.index('=')
        if text[first:].strip('=') or len(text) - first > 2:
            return first
    return len(text) - len(text) % 4 if len(text) % 4 else max(len(text) - 1, 0)


def go_lenient_b64decode(text):
    """The body decoder ignores base64 errors and keeps what decoded before the error (§1.6)."""
    if isinstance(text, bytes):
        text = text.decode('latin-1')
    try:
        return go_strict_b64decode(text)
    except ValueError:
        pass
    good = []
    for start in range(0, len(text), 4):
        quad = text[start:start + 4]
        if len(quad) == 4 and _STD_B64.match(quad):
            good.append(quad)
            if '=' in quad:
                break
        else:
            break
    try:
        return base64.b64decode(''.join(good))
    except (binascii.Error, ValueError):
        return b''


def aes_cbc_encrypt(key, iv, plaintext):
    """AES-128-CBC with PKCS#7 padding, as clients do (used by tests)."""
    pad_len = 16 - len(plaintext) % 16
    padded = plaintext + bytes([pad_len]) * pad_len
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return encryptor.update(padded) + encryptor.finalize()


def decrypt_body(keys, body):
    """Decrypt a request body like ``aes.go:64-78`` (spec §1.6).

    ``keys`` is the decoded ``Keys`` field (None when absent/null). Returns the plaintext bytes.
    """
    if keys is None or len(keys) != 32:
        raise AesBodyError('Request.Body.Decrypt.AES.KeyAndIv.Invalid', 'AES key and IV size error')
    key, iv = keys[:16], keys[16:]
    raw = go_lenient_b64decode(body)
    if len(raw) % 16:
        raise AesBodyError('Request.Body.Decrypt.AES.ContentLength.Invalid', 'Decrypted string length is not a multiple of the block size')
    if not raw:
        raise AesPanic('empty body after decoding')
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    plain = decryptor.update(raw) + decryptor.finalize()
    # Go removes plain[-1] bytes without validating them; a value larger than the length panics.
    pad_len = plain[-1]
    if pad_len > len(plain):
        raise AesPanic('slice bounds out of range')
    return plain[:len(plain) - pad_len]
