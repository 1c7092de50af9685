# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Version profiles: which agent version's behaviour the simulator reproduces (spec §7).

Every behavioural switch is derived from the version tuple, so any 4.2.2 … 4.5.0 version string works;
the CLI advertises the ones that were checked against the spec (``KNOWN_PROFILES``).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

KNOWN_PROFILES = ('4.2.2', '4.2.3', '4.2.4', '4.2.5', '4.2.6', '4.3.0', '4.3.1', '4.3.2', '4.4.0', '4.4.1', '4.4.2', '4.5.0')

# errCode -> (HTTP status, deprecated int code or None, English template) -- spec §6.2 / §1.13
ERRORS = {
    'Request.Header.NotFound': (400, None, 'X-OCS-Agent-Header or X-OCS-Header not found in http request header'),
    'Security.Authentication.Header.DecryptFailed': (401, 1, 'Decrypt http header failed: %s'),
    'Security.Authentication.Header.UriMismatch': (401, 10008, 'URI mismatch'),
    'Security.Authentication.Expired': (401, 10008, 'Authentication expired'),
    'Security.Authentication.Timestamp.Invalid': (401, 10008, 'Invalid timestamp: %s, err: %s'),
    'Security.Authentication.IncorrectOceanbasePassword': (401, 10008, 'OceanBase password is incorrect'),
    'Security.Authentication.IncorrectAgentPassword': (401, 10008, 'Agent password is incorrect'),
    'Security.Authentication.IncorrectToken': (401, 10008, 'Incorrect token'),
    'Security.Authentication.WithAgentPassword': (401, 10008, 'Should use agent_password to verify: %s'),
    'Security.Authentication.WithOceanBasePassword': (401, 10008, 'Should use oceanbase_password to verify: %s'),
    'Security.Authentication.AgentPasswordNotInitialized': (401, 10008, 'Agent password is not initialized'),
    # Body decryption (en.json:257-258), wrapped as "Unauthorized: …" by BodyDecrypt (middleware.go:486-491)
    'Request.Body.Decrypt.AES.KeyAndIv.Invalid': (500, None, 'AES key and IV size error'),
    'Request.Body.Decrypt.AES.ContentLength.Invalid': (500, None, 'Decrypted string length is not a multiple of the block size'),
    'Task.NotFound': (404, None, 'Task not found: %s'),
    'Task.GenericID.Invalid': (400, None, 'Invalid ID: %s'),
    'Task.Dag.Operator.NotSupport': (400, None, 'Operator %s is not supported'),
    # operator refusals: en.json:300-321 (the NotAllowed ones name the node that refuses)
    'Task.Dag.Operator.RollbackNotFailedDag': (400, None, 'Failed to set DAG rollback: DAG state is not failed'),
    'Task.Dag.Operator.RetryNotFailedDag': (400, None, 'Failed to set DAG retry: DAG state is not failed'),
    'Task.Dag.Operator.PassNotFailedDag': (400, None, 'Failed to pass DAG: DAG is not failed'),
    'Task.Dag.Operator.CancelFinishedDag': (400, None, 'Failed to cancel DAG: DAG is finished'),
    'Task.Dag.Operator.RollbackNotAllowed': (400, None, 'Failed to set DAG rollback: node %s cannot rollback'),
    'Task.Dag.Operator.RetryNotAllowed': (400, None, 'Failed to set DAG retry: node %s cannot retry'),
    'Task.Dag.Operator.CancelNotAllowed': (400, None, 'Failed to cancel DAG: node %s cannot cancel'),
    'Task.Dag.Operator.PassNotAllowed': (400, None, 'Failed to pass DAG: node %s cannot pass'),
    'Task.Node.Operator.NotSupport': (400, None, 'Operator %s is not supported'),
    'Task.Node.Operator.PassNotFailedDag': (400, None, 'Failed to pass node: assigned DAG is not failed'),
    'Task.Node.Operator.PassNotFailedNode': (400, None, 'Failed to pass node: node %s is not failed'),
    'Task.Node.Operator.PassNotAllowed': (400, None, 'Failed to pass node: node %s cannot pass'),
    'Agent.Identify.NotSupportOperation': (400, None, "'%s' is '%s', instead of '%s', does not support this operation"),
    'Agent.Identify.Unknown': (500, None, 'Agent identify is unknown: %s'),
    'Agent.NoMaster': (500, None, 'Master agent is not found'),
    'Agent.UnderMaintenance': (500, None, '%s is under maintenance'),
    # no usable OB connection (repository/db/oceanbase/instance.go:32-43,111-141; en.json:25-28,161-162)
    'Agent.OceanBase.NotHold': (500, None, 'Agent is not holding OceanBase'),
    'Agent.OceanBase.Useless': (500, None, 'The current database is useless'),
    'OB.Server.Process.NotExist': (500, None, 'Observer process does not exist'),
    'Common.Unexpected': (500, None, 'Unexpected error: %s'),
    'Common.NotFound': (404, None, 'Element not found: %s'),
    'Common.BindJsonFailed': (400, None, 'Bind JSON failed: %s'),
    # only reachable with pre-4.3.1 profiles (old code 1000)
    'Common.BadRequest': (400, None, 'Bad request: %s'),
}

# Auth errors that are wrapped as "Unauthorized: <inner>" (spec §1.13)
WRAPPED_AUTH = frozenset([
    'Security.Authentication.Expired',
    'Security.Authentication.Timestamp.Invalid',
    'Security.Authentication.IncorrectOceanbasePassword',
    'Security.Authentication.IncorrectAgentPassword',
    'Security.Authentication.IncorrectToken',
    'Security.Authentication.WithAgentPassword',
    'Security.Authentication.WithOceanBasePassword',
    'Security.Authentication.AgentPasswordNotInitialized',
    'Request.Body.Decrypt.AES.KeyAndIv.Invalid',
    'Request.Body.Decrypt.AES.ContentLength.Invalid',
])

# 4.2.4 - 4.3.0 "Verification failed: <detail>" details (spec §1.13)
_VERIFICATION_DETAIL = {
    'Request.Header.NotFound': 'header not found',
    'Security.Authentication.Header.DecryptFailed': 'header decrypt failed',
    'Security.Authentication.Header.UriMismatch': 'uri mismatch',
    'Security.Authentication.Expired': 'auth expired',
    'Security.Authentication.Timestamp.Invalid': 'auth expired',
    'Request.Body.Decrypt.AES.KeyAndIv.Invalid': 'body decrypt failed',
    'Request.Body.Decrypt.AES.ContentLength.Invalid': 'body decrypt failed',
}

# Old int codes before 4.3.1 (spec §6.3). Only the kinds are known; the per-error choice is inferred.
_LEGACY_CODE = {
    'Common.BadRequest': 1000,
    'Task.NotFound': 2300,
    'Common.NotFound': 1003,
    'Common.Unexpected': 1002,
    'Agent.Identify.Unknown': 1002,
    'Agent.NoMaster': 1002,
    'Agent.OceanBase.NotHold': 1010,
}


def parse_version(text):
    """'4.5.0' / '4.5.0.0' / '4.3.1.0-100' -> (4, 5, 0, 0)."""
    numbers = [int(part) for part in re.findall(r'\d+', str(text).split('-', maxsplit=1)[0])]
    if len(numbers) < 3:
        raise ValueError('not an agent version: %r' % (text,))
    while len(numbers) < 4:
        numbers.append(0)
    return tuple(numbers[:4])


class Profile(object):
    """The behaviour switches of one agent version."""

    def __init__(self, version='4.5.0'):
        self.v = parse_version(version)
        if self.v < (4, 2, 2, 0) or self.v >= (4, 6, 0, 0):
            raise ValueError('unsupported profile %r (4.2.2 … 4.5.x)' % (version,))
        self.version = '.'.join(str(part) for part in self.v)
        self.release = '0'
        v = self.v
        self.auth_v1 = v < (4, 2, 3, 0)
        # spec §1.3: 512-bit keys up to 4.4.1.x, 1024 from 4.4.2.0
        self.key_bits = 1024 if v >= (4, 4, 2, 0) else 512
        self.err_codes = v >= (4, 3, 1, 0)
        self.verification_messages = (4, 2, 4, 0) <= v < (4, 3, 1, 0)
        self.follower_forward = v >= (4, 2, 4, 0)
        self.info_ob_version = v >= (4, 2, 4, 0)
        self.info_supported_auth = v >= (4, 2, 5, 0)
        self.agent_password = v >= (4, 2, 6, 0)
        self.info_security = v >= (4, 2, 6, 0)
        self.info_obproxy = v >= (4, 2, 6, 0)   # "≈4.2.6/4.3.0" in the spec: uncertain, the earlier bound
        self.info_architecture = v >= (4, 3, 0, 0)
        self.status_sql_port = v >= (4, 3, 0, 0)
        self.dags_lists = v >= (4, 3, 0, 0)     # /dags/ob, /dags/agent, /sub_task/{id}/logs, /dag/agent/main_dags
        self.dags_show_details = v >= (4, 3, 2, 0)
        self.maintenance_fields = v >= (4, 3, 1, 0)
        self.node_pass = v >= (4, 3, 1, 0)
        self.obproxy_ids = v >= (4, 2, 6, 0)     # id prefixes 4/5 and VerifyTaskRoutes came with obproxy (43dd332)
        self.ob_info_shared_storage = v >= (4, 4, 2, 0)   # ClusterConfig.is_shared_storage, d189d63 (2026-03-25)
        self.cluster_only_quirk_500 = v >= (4, 3, 1, 0)
        self.error_log_with_code = v >= (4, 3, 1, 0)
        self.uri_before_password = v >= (4, 2, 4, 0)

    def __repr__(self):
        return 'Profile(%s)' % self.version

    @property
    def supported_auth(self):
        return ['v2'] if self.info_supported_auth else None

    def error(self, err_code, *args, **kwargs):
        """Build ``(http_status, error_object)`` for this profile.

        ``detail`` overrides the filled template; ``status`` overrides the HTTP status.
        """
        status, code, template = ERRORS[err_code]
        if kwargs.get('status'):
            status = kwargs['status']
        message = kwargs.get('message')
        if message is None:
            message = template % args if '%s' in template else template
        if self.err_codes:
            if err_code in WRAPPED_AUTH:
                message = 'Unauthorized: ' + message
            error = {}
            if code is not None:
                error['code'] = code
            error['errCode'] = err_code
            error['message'] = message
            return status, error
        is_auth = err_code.startswith('Security.') or err_code.startswith('Request.')
        if self.auth_v1 and err_code == 'Security.Authentication.Header.DecryptFailed':
            # 4.2.2 (auth v1) is not in the Go history; the SDK's "code 1 = decrypt error" suggests this (uncertain)
            return 401, {'code': 1, 'message': 'decrypt auth header failed'}
        if is_auth:
            # Before 4.3.1 every auth failure is 401/10008 (spec §1.13).
            if self.verification_messages:
                detail = _VERIFICATION_DETAIL.get(err_code, 'access denied')
                return 401, {'code': 10008, 'message': 'Verification failed: ' + detail}
            return 401, {'code': 10008, 'message': 'err.unauthorized'}
        legacy = _LEGACY_CODE.get(err_code)
        if legacy is None:
            legacy = {400: 1001, 404: 1003, 401: 10008}.get(status, 1002)
        return status, {'code': legacy, 'message': message}

    def error_log_line(self, err_code, message):
        """The last task log line of a failed sub-task (spec §4.5)."""
        if self.error_log_with_code:
            return 'ERROR: [%s]: %s' % (err_code, message)
        return 'ERROR: %s' % message


def profile_for(version):
    if isinstance(version, Profile):
        return version
    return Profile(version)
