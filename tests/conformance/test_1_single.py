# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A fresh agent (SINGLE, no agent password): identity endpoints, auth v2 without a password, the task lists,
and the seed's endpoint, which a non-cluster agent cannot answer (spec §2, §3, §12)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64

from tests.conformance._agent import TASK
from tests.conformance._envelope import check_error, check_ok


def test_info_status_secret(target, rec):
    target.ensure('single', rec)
    info = check_ok(target.client.send('GET', '/api/v1/info', case='none'))
    assert info['identity'] == 'SINGLE' and info['security'] is False
    assert info['supportedAuth'] == ['v2']
    assert info['version'].startswith('4.5.0.0')
    assert (info['ip'], info['port']) == (target.host, target.port)
    assert isinstance(info['startAt'], int) and info['startAt'] > 10 ** 18      # Unix nanoseconds
    assert info['state'] == 2 and info['obVersion'] == '' and info['zone'] == ''
    status = check_ok(target.client.send('GET', '/api/v1/status', case='none'))
    assert status['agent'] == {'ip': target.host, 'port': target.port, 'identity': 'SINGLE'}
    assert status['version'] == info['version']        # both VERSION-RELEASE
    assert status['obState'] == 0 and status['underMaintenance'] is False
    assert 'sqlPort' not in status                # omitempty: no observer, port 0
    secret = check_ok(target.client.send('GET', '/api/v1/secret', case='none'))
    assert (secret['ip'], secret['port']) == (target.host, target.port)
    assert base64.b64decode(secret['public_key'])[:1] == b'\x30'    # PKCS#1 DER
    check_error(target.client.send('GET', '/api/v1/nothing/here', case='none'), 404, 'Common.NotFound',
                'Element not found: 404 not found')


def test_auth_v2_without_agent_password(target, rec):
    target.ensure('single', rec)
    target.client.agent_password = None
    unfinish = TASK + '/dag/unfinish'
    for case in ('ok', 'ob_header', 'agent_header', 'wrong_password', 'expired', 'lower_case'):
        # without an agent password a SINGLE agent takes any well-formed v2 header (spec §12)
        assert check_ok(target.client.send('GET', unfinish, case=case)) == {'contents': []}, case
    check_error(target.client.send('GET', unfinish, case='none'), 400, 'Request.Header.NotFound',
                'X-OCS-Agent-Header or X-OCS-Header not found in http request header')
    error = check_error(target.client.send('GET', unfinish, case='garbage'), 401,
                        'Security.Authentication.Header.DecryptFailed')
    assert error['code'] == 1


def test_lists_and_the_seed_endpoint(target, rec):
    target.ensure('single', rec)
    send = target.client.send
    assert check_ok(send('GET', TASK + '/dag/unfinish')) == {'contents': []}
    assert check_ok(send('GET', TASK + '/dag/agent/unfinish')) == {'contents': []}
    # the seed's endpoint: the CLUSTER AGENT check is built but never sent (spec §2.4)
    for path in ('/dag/ob/unfinish', '/dags/ob'):
        check_error(send('GET', TASK + path), 500, 'Common.Unexpected',
                    'Unexpected error: ocsagent cannot build response body')
    check_error(send('GET', TASK + '/dag/maintain/agent'), 404, 'Task.NotFound',
                'Task not found: Agent is not under maintenance')
    check_error(send('GET', TASK + '/dag/maintain/ob'), 500, 'Agent.OceanBase.NotHold')
    # this agent never had a maintenance DAG: the handler dereferences nil (spec §3.4)
    check_error(send('GET', TASK + '/dag/maintain/agents'), 500, 'Common.Unexpected',
                'Unexpected error: Internal Server Error')


def test_ids_on_a_single_agent(target, rec):
    target.ensure('single', rec)
    send = target.client.send
    check_error(send('GET', TASK + '/dag/11'), 500, 'Agent.OceanBase.NotHold',
                'Task not found: Agent is not holding OceanBase')
    check_error(send('GET', TASK + '/dag/ob'), 400, 'Task.GenericID.Invalid', 'Invalid ID: ob: invalid generic id')
    check_error(send('GET', TASK + '/sub_task/21234/logs'), 400, 'Task.GenericID.Invalid', 'Invalid ID: 21234')
    topology = check_ok(send('GET', '/api/v1/ob/info'))
    assert topology['agent_info'] == [{'ip': target.host, 'port': target.port, 'zone': '', 'identity': 'SINGLE',
                                       'version': topology['agent_info'][0]['version']}]
    assert topology['obcluster_info'] == {'id': 0, 'name': '', 'version': '', 'topology': None,
                                          'is_shared_storage': False}


def test_what_a_single_agent_refuses(target, rec):
    target.ensure('single', rec)
    send = target.client.send
    check_error(send('POST', '/api/v1/ob/init', {}), 400, 'Agent.Identify.NotSupportOperation',
                "'%s' is 'SINGLE', instead of 'MASTER or FOLLOWER', does not support this operation" % target.address)
    check_error(send('POST', '/api/v1/agent/password', {}), 400, 'Common.BindJsonFailed',
                "Bind JSON failed: Key: 'SetAgentPasswordParam.Password' Error:Field validation for 'Password' "
                "failed on the 'required' tag")
    assert target.info()['security'] is False
