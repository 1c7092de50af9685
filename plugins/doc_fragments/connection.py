# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


class ModuleDocFragment(object):
    """Connection options shared by every module, the lookup, the inventory plugin and the role."""

    DOCUMENTATION = r'''
options:
  host:
    description:
      - Address of the OBShell agent (a name, an IPv4 address, or an IPv6 literal), without scheme, port or path.
      - If not set, the host's C(obshell_host) variable, then E(OBSHELL_HOST), are used.
      - Otherwise, when the agent is asked from the controller (M(oceanbase.obshell.dag_wait), the role, the
        lookup), the host's C(ansible_host) (else its inventory name); when a module asks from the host itself,
        V(127.0.0.1), the host's own agent.
    type: str
  port:
    description:
      - HTTP port of the OBShell agent.
      - If not set, the host's C(obshell_port) variable, then E(OBSHELL_PORT), then V(2886).
    type: int
    default: 2886
  password:
    description:
      - Password of the OceanBase C(root@sys) user, sent in the encrypted C(X-OCS-Header).
      - Leave unset for a cluster without a root password, and for a SINGLE agent (which checks no password).
      - If not set, the host's C(obshell_password) variable, then E(OBSHELL_PASSWORD). Keep it in Ansible Vault.
      - With auth v1 (OBShell 4.2.2) the password travels in one RSA block, so it can be at most about 19
        characters long with that agent's 512-bit key; a longer one is refused before anything is sent.
    type: str
  agent_password:
    description:
      - The OBShell agent password (OBShell 4.2.6.0 and later), sent in the encrypted C(X-OCS-Agent-Header).
      - Used when the agent reports that an agent password is set; then it is preferred over O(password). Obproxy
        DAGs (ids starting with 4 or 5) can only be read with it.
      - If not set, the host's C(obshell_agent_password) variable, then E(OBSHELL_AGENT_PASSWORD).
    type: str
  use_tls:
    description:
      - Talk HTTPS instead of HTTP to the agent. If not set, C(obshell_use_tls), then E(OBSHELL_USE_TLS).
    type: bool
    default: false
  validate_certs:
    description:
      - Verify the agent's TLS certificate. Only set this to V(false) on a trusted network; the task then warns.
      - If not set, C(obshell_validate_certs), then E(OBSHELL_VALIDATE_CERTS).
    type: bool
    default: true
  ca_path:
    description:
      - PEM file with the CA certificate(s) that signed the agent's certificate, or a directory of CA certificates
        named by subject hash (as C(openssl rehash) makes it). Exactly these are trusted, nothing else.
      - Without it, the default CA bundle of C(requests) is trusted, or the file that E(REQUESTS_CA_BUNDLE) (or
        E(CURL_CA_BUNDLE)) names.
      - The file must be on the machine that asks the agent (see the notes). If not set, C(obshell_ca_path), then
        E(OBSHELL_CA_PATH).
    type: path
  client_cert:
    description:
      - PEM client certificate, for agents that require mutual TLS. If not set, C(obshell_client_cert), then
        E(OBSHELL_CLIENT_CERT).
    type: path
  client_key:
    description:
      - PEM private key of O(client_cert), if not in the same file. If not set, C(obshell_client_key), then
        E(OBSHELL_CLIENT_KEY).
    type: path
  request_timeout:
    description:
      - Seconds that one HTTP request may take, from connecting to the last byte of the answer, whatever the
        agent (or a proxy) does. This is not an overall deadline; waits have O(ignore:timeout) for that.
      - If not set, C(obshell_request_timeout), then E(OBSHELL_REQUEST_TIMEOUT).
    type: float
    default: 10
  auth_version:
    description:
      - Which OBShell auth protocol to speak. V(auto) reads C(/api/v1/info) (C(supportedAuth), then C(version)).
      - V(v1) is C(X-OCS-Auth) (OBShell 4.2.2 only); V(v2) is the hybrid RSA/AES encryption of 4.2.3 and later.
      - If not set, C(obshell_auth_version), then E(OBSHELL_AUTH_VERSION).
    type: str
    default: auto
    choices: [auto, v1, v2]
  retries:
    description:
      - How many times a failed read is retried when the agent cannot be reached or answers a transient 5xx,
        with capped exponential backoff and jitter. Authentication errors are never retried.
      - A POST (an operation on a DAG) is never re-sent once it may have reached the agent. Waits do not use this;
        they retry failed polls themselves, within O(ignore:unreachable_timeout).
      - If not set, C(obshell_retries), then E(OBSHELL_RETRIES).
    type: int
    default: 3
  use_proxy:
    description:
      - Use the proxy that the environment names (E(HTTPS_PROXY) for O(use_tls=true), E(HTTP_PROXY) otherwise,
        E(ALL_PROXY), except for the hosts in E(NO_PROXY); lower case names too). V(false) goes direct.
      - C(http://), C(https://) and, with the Python library C(PySocks) installed, C(socks5://) and C(socks5h://)
        proxies are supported.
      - The environment is the task's C(environment:) over that of the machine that asks the agent.
      - If not set, C(obshell_use_proxy), then E(OBSHELL_USE_PROXY).
    type: bool
    default: true
requirements:
  - cryptography
  - requests >= 2.25 (and PySocks, for example C(pip install requests[socks]), for a socks5:// or socks5h:// proxy)
notes:
  - "Where settings come from, for every plugin of this collection, first match wins: the task's option
    (C(module_defaults) for the group C(group/oceanbase.obshell.obshell) count as task options); the
    C(obshell_<option>) variable of the host (for example C(obshell_port) in group_vars, or a play var); the
    environment variable C(OBSHELL_<OPTION>); for the lookup and the inventory plugin, their C(ansible.cfg)
    setting; the default. A host asked from the controller for another (each host of
    O(oceanbase.obshell.dag_wait#module:hosts), an inventory host named as a lookup term) takes its own inventory
    variable first, then the play's, and fills either in on its own variables, as a task on that host would (a
    play's C(obshell_port: \"{{ my_port }}\") is each host's C(my_port))."
  - Modules (M(oceanbase.obshell.dag_info), M(oceanbase.obshell.facts), M(oceanbase.obshell.dag)) run on the
    host and ask its agent from there; the environment variables and the TLS files are read on the host.
    M(oceanbase.obshell.dag_wait) with O(ignore:run_on=controller), the lookup, the inventory plugin and the role
    (by default) ask from the controller; the environment variables and the TLS files are read on the
    controller.
  - Credentials are never logged; O(password) and O(agent_password) are marked C(no_log).
'''

    # For lookup and inventory plugins: the same options, also settable from the environment, ansible.cfg and
    # inventory variables, through ansible's own configuration system (one group_vars entry serves every use).
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
  request_timeout:
    env:
      - name: OBSHELL_REQUEST_TIMEOUT
    ini:
      - section: oceanbase_obshell
        key: request_timeout
    vars:
      - name: obshell_request_timeout
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
  use_proxy:
    env:
      - name: OBSHELL_USE_PROXY
    ini:
      - section: oceanbase_obshell
        key: use_proxy
    vars:
      - name: obshell_use_proxy
'''
