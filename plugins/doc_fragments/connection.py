# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


class ModuleDocFragment(object):
    """Connection options shared by every module, the lookup and the action plugins."""

    DOCUMENTATION = r'''
options:
  host:
    description:
      - Address of the OBShell agent (name, IPv4, or IPv6 literal).
    type: str
    default: 127.0.0.1
  port:
    description:
      - HTTP port of the OBShell agent.
    type: int
    default: 2886
  password:
    description:
      - Password of the OceanBase C(root@sys) user, sent in the encrypted C(X-OCS-Header).
      - Leave unset for a cluster without a root password, and for a SINGLE agent (which checks no password).
      - If not set, the environment variable E(OBSHELL_PASSWORD) is used. For modules it is read on the host
        that runs the module; for the lookup and for action plugins it is read on the controller.
    type: str
  agent_password:
    description:
      - The OBShell agent password (OBShell 4.2.6.0 and later), sent in the encrypted C(X-OCS-Agent-Header).
      - Used when the agent reports that an agent password is set; then it is preferred over O(password).
      - If not set, the environment variable E(OBSHELL_AGENT_PASSWORD) is used, read where E(OBSHELL_PASSWORD) is.
    type: str
  use_tls:
    description:
      - Talk HTTPS instead of HTTP to the agent.
    type: bool
    default: false
  validate_certs:
    description:
      - Verify the agent's TLS certificate. Only set this to V(false) on a trusted network.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file with the CA certificate(s) that signed the agent's certificate, or a directory of CA certificates
        named by subject hash (as C(openssl rehash) makes it).
      - Without it, the system CA store is used (E(SSL_CERT_FILE) and E(SSL_CERT_DIR) are honoured).
    type: path
  client_cert:
    description:
      - PEM client certificate, for agents that require mutual TLS.
    type: path
  client_key:
    description:
      - PEM private key of O(client_cert), if not in the same file.
    type: path
  timeout:
    description:
      - Seconds to wait for each HTTP request (connect and read). This is not an overall deadline.
      - M(oceanbase.obshell.dag_wait) is the exception, because there O(timeout) is the overall deadline of the
        wait and its per-request timeout is C(request_timeout); so do not set O(timeout) in C(module_defaults) for
        C(group/oceanbase.obshell.obshell) unless you mean it for dag_wait too.
    type: float
    default: 10
  auth_version:
    description:
      - Which OBShell auth protocol to speak. V(auto) reads C(/api/v1/info) (C(supportedAuth), then C(version)).
      - V(v1) is C(X-OCS-Auth) (OBShell 4.2.2 only); V(v2) is the hybrid RSA/AES encryption of 4.2.3 and later.
    type: str
    default: auto
    choices: [auto, v1, v2]
  retries:
    description:
      - How many times a failed read is retried when the agent cannot be reached or answers a transient 5xx,
        with capped exponential backoff and jitter. Authentication errors are never retried.
      - A POST (an operation on a DAG) is never re-sent once it may have reached the agent.
    type: int
    default: 3
requirements:
  - cryptography
notes:
  - Credentials are never logged; O(password) and O(agent_password) are marked C(no_log).
  - Proxies are taken from E(HTTP_PROXY), E(HTTPS_PROXY) and E(ALL_PROXY) (lower case first), except for the hosts
    in E(NO_PROXY). Only C(http://) proxies are supported; name the agents in E(NO_PROXY) to bypass any other.
'''

    # For lookup and action plugins: the same options, also settable from the environment, ansible.cfg and
    # inventory variables (one group_vars entry serves every use).
    PLUGINS = r'''
options:
  host:
    env:
      - name: OBSHELL_HOST
    ini:
      - section: oceanbase_obshell
        key: host
    vars:
      - name: obshell_host
  port:
    env:
      - name: OBSHELL_PORT
    ini:
      - section: oceanbase_obshell
        key: port
    vars:
      - name: obshell_port
  password:
    env:
      - name: OBSHELL_PASSWORD
    vars:
      - name: obshell_password
  agent_password:
    env:
      - name: OBSHELL_AGENT_PASSWORD
    vars:
      - name: obshell_agent_password
  use_tls:
    env:
      - name: OBSHELL_USE_TLS
    ini:
      - section: oceanbase_obshell
        key: use_tls
    vars:
      - name: obshell_use_tls
  validate_certs:
    env:
      - name: OBSHELL_VALIDATE_CERTS
    ini:
      - section: oceanbase_obshell
        key: validate_certs
    vars:
      - name: obshell_validate_certs
  ca_path:
    env:
      - name: OBSHELL_CA_PATH
    ini:
      - section: oceanbase_obshell
        key: ca_path
    vars:
      - name: obshell_ca_path
  client_cert:
    env:
      - name: OBSHELL_CLIENT_CERT
    ini:
      - section: oceanbase_obshell
        key: client_cert
    vars:
      - name: obshell_client_cert
  client_key:
    env:
      - name: OBSHELL_CLIENT_KEY
    ini:
      - section: oceanbase_obshell
        key: client_key
    vars:
      - name: obshell_client_key
  timeout:
    env:
      - name: OBSHELL_TIMEOUT
    ini:
      - section: oceanbase_obshell
        key: timeout
    vars:
      - name: obshell_timeout
  auth_version:
    env:
      - name: OBSHELL_AUTH_VERSION
    ini:
      - section: oceanbase_obshell
        key: auth_version
    vars:
      - name: obshell_auth_version
  retries:
    env:
      - name: OBSHELL_RETRIES
    ini:
      - section: oceanbase_obshell
        key: retries
    vars:
      - name: obshell_retries
'''
