# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Auth v2 once the agent password is set (spec §1, §12): X-OCS-Agent-Header with the password and a fresh Ts,
in any letter case; everything else refused with the agent's own error codes."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from tests.conformance._agent import TASK
from tests.conformance._envelope import check_error, check_ok


def test_set_agent_password(target, rec):
    target.ensure('single', rec)
    target.ensure('agent_password', rec)
    info = check_ok(target.client.send('GET', '/api/v1/info', case='none'))
    assert info['security'] is True and info['identity'] == 'SINGLE'
    # once set, the password cannot be set again without it
    error = check_error(target.client.send('POST', '/api/v1/agent/password', {'password': 'another-one'},
                                           case='ob_header'), 401, 'Security.Authentication.WithAgentPassword')
    assert 'agent password has been set' in error['message']


def test_auth_v2_with_agent_password(target, rec):
    target.ensure('agent_password', rec)
    unfinish = TASK + '/dag/unfinish?show_details=false'
    send = target.client.send
    assert check_ok(send('GET', unfinish, case='ok')) == {'contents': []}
    assert check_ok(send('GET', unfinish, case='lower_case')) == {'contents': []}
    error = check_error(send('GET', unfinish, case='ob_header'), 401, 'Security.Authentication.WithAgentPassword')
    assert error['code'] == 10008
    check_error(send('GET', unfinish, case='wrong_password'), 401,
                'Security.Authentication.IncorrectAgentPassword', 'Unauthorized: Agent password is incorrect')
    check_error(send('GET', unfinish, case='expired'), 401, 'Security.Authentication.Expired')
    check_error(send('GET', unfinish, case='none'), 400, 'Request.Header.NotFound')
    check_error(send('GET', unfinish, case='garbage'), 401, 'Security.Authentication.Header.DecryptFailed')
    # the unauthenticated routes stay open
    check_ok(send('GET', '/api/v1/status', case='none'))
