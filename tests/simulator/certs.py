# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A throw-away PKI for TLS/mTLS tests: a CA, a server certificate for loopback, a client certificate."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import ipaddress
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'obshell simulator test PKI'),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write(path, data, private=False):
    with open(path, 'wb') as handle:
        handle.write(data)
    if private:
        os.chmod(path, 0o600)
    return path


def _key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _leaf(common_name, key, ca_cert, ca_key, now, usage, sans=None):
    builder = (x509.CertificateBuilder()
               .subject_name(_name(common_name))
               .issuer_name(ca_cert.subject)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=True,
                                            data_encipherment=False, key_agreement=True, key_cert_sign=False,
                                            crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
               .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(ca_key, hashes.SHA256())


def make_test_pki(directory):
    """Write the PKI into ``directory`` and return dict(ca, server_cert, server_key, client_cert, client_key)."""
    if not os.path.isdir(directory):
        os.makedirs(directory)
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = _key()
    ca_cert = (x509.CertificateBuilder()
               .subject_name(_name('obshell simulator test CA'))
               .issuer_name(_name('obshell simulator test CA'))
               .public_key(ca_key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                            data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                            crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
               .sign(ca_key, hashes.SHA256()))
    server_key = _key()
    server_cert = _leaf('localhost', server_key, ca_cert, ca_key, now, ExtendedKeyUsageOID.SERVER_AUTH,
                        [x509.DNSName('localhost'), x509.IPAddress(ipaddress.ip_address('127.0.0.1')),
                         x509.IPAddress(ipaddress.ip_address('::1'))])
    client_key = _key()
    client_cert = _leaf('obshell-client', client_key, ca_cert, ca_key, now, ExtendedKeyUsageOID.CLIENT_AUTH)
    pem = serialization.Encoding.PEM
    return {
        'ca': _write(os.path.join(directory, 'ca.pem'), ca_cert.public_bytes(pem)),
        'server_cert': _write(os.path.join(directory, 'server.pem'), server_cert.public_bytes(pem)),
        'server_key': _write(os.path.join(directory, 'server.key'), _key_pem(server_key), private=True),
        'client_cert': _write(os.path.join(directory, 'client.pem'), client_cert.public_bytes(pem)),
        'client_key': _write(os.path.join(directory, 'client.key'), _key_pem(client_key), private=True),
    }
