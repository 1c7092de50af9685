# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""The rules for the TLS files (ca_path, client_cert, client_key), written once: the option checks of _options
(the file is there and can be read) and the transport's (it is also a usable CA, certificate and key) both say
a problem in the words of ``file_problem``. Standard library only."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import re
import ssl
import threading

from ansible_collections.oceanbase.obshell.plugins.module_utils._http_causes import short

# A CA directory as OpenSSL reads it: certificates under their subject hashes (openssl rehash).
_HASHED_NAME = re.compile(r'^[0-9a-f]{8}\.r?\d+$')
# Checks are cached per process, keyed by the files' identity and modification, so that a lookup over many
# agents parses a CA bundle once.
_CHECKS = {}
_CHECKS_LOCK = threading.Lock()


def file_problem(name, path, directory_ok=False):
    """Why the file ``path`` given as ``name`` (an option, or REQUESTS_CA_BUNDLE) cannot be read, or None.
    A directory is accepted only where ``directory_ok`` (a CA directory)."""
    if not path:
        return None
    if os.path.isdir(path):
        return None if directory_ok else '%s %r is a directory, not a PEM file' % (name, path)
    try:
        with open(path, 'rb') as handle:
            handle.read(1)
    except (OSError, ValueError) as exc:
        return _unreadable(name, path, exc)
    return None


def _unreadable(name, path, exc):
    if isinstance(exc, FileNotFoundError):
        return '%s %r does not exist' % (name, path)
    return '%s %r cannot be read: %s' % (name, path, short(exc))


def _stamp(path):
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_ino, info.st_size, info.st_mtime)


def check_tls_files(ca_path=None, client_cert=None, client_key=None, ca_name='ca_path'):
    """Why the files cannot be used for TLS (missing, unreadable, not PEM, a key that is not the certificate's),
    naming the option, or None. ``ca_name`` is what to call the CA file (an option, or REQUESTS_CA_BUNDLE)."""
    key = (ca_path, _stamp(ca_path) if ca_path else None, client_cert, _stamp(client_cert) if client_cert else None,
           client_key, _stamp(client_key) if client_key else None, ca_name)
    with _CHECKS_LOCK:
        if key in _CHECKS:
            return _CHECKS[key]
    problem = _check_ca(ca_path, ca_name) if ca_path else None
    if problem is None and client_cert:
        problem = _check_client_cert(client_cert, client_key)
    with _CHECKS_LOCK:
        _CHECKS[key] = problem
    return problem


def _check_ca(path, name):
    problem = file_problem(name, path, directory_ok=True)
    if problem:
        return problem
    if os.path.isdir(path):
        try:
            entries = os.listdir(path)
        except OSError as exc:
            return _unreadable(name, path, exc)
        if not any(_HASHED_NAME.match(entry) for entry in entries):
            return ('%s %r is a directory without hashed certificate names (such as 1a2b3c4d.0): give the CA file '
                    'itself, or run "openssl rehash" on the directory' % (name, path))
        return None
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cafile=path)
    except ssl.SSLError as exc:
        return '%s %r holds no usable PEM certificate (%s)' % (name, path, short(exc))
    except (OSError, ValueError) as exc:
        return _unreadable(name, path, exc)
    return None


def _read_pem(name, path):
    problem = file_problem(name, path)
    if problem:
        return None, problem
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
        return 'client_cert %r is not a PEM certificate (no BEGIN CERTIFICATE line)' % cert
    if b'PRIVATE KEY-----' not in key_text:
        if key:
            return 'client_key %r is not a PEM private key (no BEGIN PRIVATE KEY line)' % key
        return 'client_cert %r holds no private key: give the key file as client_key' % cert
    if b'ENCRYPTED' in key_text:
        # A passphrase cannot be given to requests, and OpenSSL would prompt for one on the terminal.
        return ('%s %r is encrypted with a passphrase, which cannot be used here: decrypt it (openssl pkey -in KEY '
                '-out KEY.plain) and keep the plain key readable only by its owner' % (
                    'client_key' if key else 'client_cert', key or cert))
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_cert_chain(cert, key, password=b'')
    except ssl.SSLError as exc:
        return 'client_cert %r and client_key %r cannot be used together: %s (does the key belong to the certificate?)' % (
            cert, key or cert, short(exc))
    except (OSError, ValueError) as exc:
        return 'client_cert %r / client_key %r cannot be loaded: %s' % (cert, key or cert, short(exc))
    return None
