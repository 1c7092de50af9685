# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""The one option spec shared by every module, the lookup and the action plugins.

Documented in the doc fragments ``oceanbase.obshell.connection`` and ``oceanbase.obshell.query``; ansible-test's
validate-modules keeps the two in line.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy

from ansible.module_utils.basic import env_fallback

CONNECTION_ARGSPEC = dict(
    host=dict(type='str', default='127.0.0.1'),
    port=dict(type='int', default=2886),
    password=dict(type='str', no_log=True, fallback=(env_fallback, ['OBSHELL_PASSWORD'])),
    agent_password=dict(type='str', no_log=True, fallback=(env_fallback, ['OBSHELL_AGENT_PASSWORD'])),
    use_tls=dict(type='bool', default=False),
    validate_certs=dict(type='bool', default=True),
    ca_path=dict(type='path'),
    client_cert=dict(type='path'),
    client_key=dict(type='path', no_log=False),
    timeout=dict(type='float', default=10.0),
    auth_version=dict(type='str', default='auto', choices=['auto', 'v1', 'v2']),
    retries=dict(type='int', default=3),
)

CONNECTION_OPTION_NAMES = tuple(CONNECTION_ARGSPEC)

SCOPES = ('auto', 'cluster', 'agent', 'all')
DETAILS = ('summary', 'full')

# Documented by the fragment oceanbase.obshell.query; `id` by its variant oceanbase.obshell.query.id.
LIST_ARGSPEC = dict(
    scope=dict(type='str', default='auto', choices=list(SCOPES)),
    names=dict(type='list', elements='str'),
    details=dict(type='str', default='summary', choices=list(DETAILS)),
)
QUERY_ARGSPEC = dict(LIST_ARGSPEC, id=dict(type='str'))


def argument_spec(*extra_specs, **options):
    """The connection argspec merged with the given specs (deep copies, so callers may edit them)."""
    spec = copy.deepcopy(CONNECTION_ARGSPEC)
    for extra in extra_specs:
        spec.update(copy.deepcopy(extra))
    spec.update(copy.deepcopy(options))
    return spec


def check_connection_options(params):
    """Errors a person can act on, for values the argspec types cannot express. Returns a list of messages."""
    errors = []
    port = params.get('port')
    if port is not None and not 0 < int(port) < 65536:
        errors.append('port must be between 1 and 65535, got %s' % port)
    timeout = params.get('timeout')
    if timeout is not None and float(timeout) <= 0:
        errors.append('timeout must be a positive number of seconds, got %s' % timeout)
    retries = params.get('retries')
    if retries is not None and int(retries) < 0:
        errors.append('retries must be 0 or more, got %s' % retries)
    if params.get('client_key') and not params.get('client_cert'):
        errors.append('client_key is set without client_cert')
    if not str(params.get('host') or '').strip():
        errors.append('host must not be empty')
    return errors


def client_from_options(params, host=None, port=None):
    """An ObshellClient built from option values (a dict holding at least the connection options)."""
    from ansible_collections.oceanbase.obshell.plugins.module_utils._client import ObshellClient
    return ObshellClient(
        host=host if host is not None else params.get('host') or '127.0.0.1',
        port=port if port is not None else params.get('port') or 2886,
        password=params.get('password'),
        agent_password=params.get('agent_password'),
        use_tls=bool(params.get('use_tls')),
        validate_certs=params.get('validate_certs') is not False,
        ca_path=params.get('ca_path'),
        client_cert=params.get('client_cert'),
        client_key=params.get('client_key'),
        timeout=params.get('timeout') or 10.0,
        auth_version=params.get('auth_version') or 'auto',
        retries=params.get('retries') if params.get('retries') is not None else 3,
    )
