# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Auth of the simulated agent, spec §1.8 / §1.13, through hand-crafted requests and the official SDK."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import json
import os
import time

import pytest

from obshell import ClientSet
from obshell.auth.password import PasswordAuth

from tests.simulator.rawclient import RawClient

UNFINISH = '/api/v1/task/dag/unfinish'


def raw(sim, index=0):
    return RawClient.for_agent(sim.agents[index])


def test_no_header_is_400_not_found(sim_cluster):
    sim = sim_cluster(agents=1)
    resp = raw(sim).request('GET', UNFINISH)
    assert resp.status == 400
    assert resp.error == {'errCode': 'Request.Header.NotFound',
                          'message': 'X-OCS-Agent-Header or X-OCS-Header not found in http request header'}


@pytest.mark.parametrize('profile, body', [
    ('4.2.3', {'code': 10008, 'message': 'err.unauthorized'}),
    ('4.2.4', {'code': 10008, 'message': 'Verification failed: header not found'}),
    ('4.3.0', {'code': 10008, 'message': 'Verification failed: header not found'}),
])
def test_no_header_before_431(sim_cluster, profile, body):
    sim = sim_cluster(agents=1, profile=profile)
    resp = raw(sim).request('GET', UNFINISH)
    assert resp.status == 401
    assert resp.error == body


def test_x_ocs_auth_is_ignored_after_422(sim_cluster):
    sim = sim_cluster(agents=1)
    client = raw(sim)
    resp = client.request('GET', UNFINISH, headers={'X-OCS-Auth': client.encrypt_header({'password': '', 'ts': 1})})
    assert resp.status == 400
    assert resp.error['errCode'] == 'Request.Header.NotFound'


def test_valid_header_lowercase_sdk_style(sim_cluster):
    sim = sim_cluster(agents=1, password='rootpw')
    resp = raw(sim).get(UNFINISH, password='rootpw')
    assert resp.status == 200, resp
    assert resp.json['data'] == {'contents': None}


def test_keys_match_case_insensitively(sim_cluster):
    sim = sim_cluster(agents=1, password='rootpw')
    auth = {'AUTH': 'rootpw', 'Ts': str(int(time.time()) + 60), 'URI': UNFINISH,
            'kEyS': base64.b64encode(os.urandom(32)).decode(), 'Unknown': 1}
    assert raw(sim).get(UNFINISH, auth=auth).status == 200


def test_ts_as_number_is_decrypt_failed(sim_cluster):
    sim = sim_cluster(agents=1, password='rootpw')
    resp = raw(sim).get(UNFINISH, password='rootpw', ts=int(time.time()) + 60)
    assert resp.status == 401
    assert resp.error['errCode'] == 'Security.Authentication.Header.DecryptFailed'
    assert resp.error['code'] == 1
    assert resp.error['message'].startswith('Decrypt http header failed: json: cannot unmarshal number')


def test_ts_as_number_fails_even_without_password(sim_cluster):
    sim = sim_cluster(agents=1)
    resp = raw(sim).get(UNFINISH, password='', ts=123)
    assert resp.status == 401
    assert resp.error['errCode'] == 'Security.Authentication.Header.DecryptFailed'


@pytest.mark.parametrize('mangle', [
    lambda value: value[:-1],                              # length no longer a multiple of 4
    lambda value: value + '=',                             # excess padding
    lambda value: value.replace('+', '-').replace('/', '_') if ('+' in value or '/' in value) else '-' + value[1:],
    lambda value: value[:-8],                              # truncated
    lambda value: 'not base64 at all!',
])
def test_bad_base64_is_decrypt_failed(sim_cluster, mangle):
    sim = sim_cluster(agents=1)
    client = raw(sim)
    good = client.encrypt_header(client.auth_json(UNFINISH))
    resp = client.request('GET', UNFINISH, headers={'X-OCS-Header': mangle(good)})
    assert resp.status == 401
    assert resp.error['errCode'] == 'Security.Authentication.Header.DecryptFailed'


def test_trailing_partial_block_is_rsa_error(sim_cluster):
    sim = sim_cluster(agents=1)
    client = raw(sim)
    good = base64.b64decode(client.encrypt_header(client.auth_json(UNFINISH)))
    value = base64.b64encode(good + b'\x01\x02\x03').decode()
    resp = client.request('GET', UNFINISH, headers={'X-OCS-Header': value})
    assert resp.status == 401
    assert resp.error['message'] == 'Decrypt http header failed: crypto/rsa: decryption error'


def test_header_for_another_agents_key_fails(sim_cluster):
    sim = sim_cluster(agents=2)
    other = raw(sim, 1)
    value = other.encrypt_header(other.auth_json(UNFINISH))
    resp = raw(sim, 0).request('GET', UNFINISH, headers={'X-OCS-Header': value})
    assert resp.status == 401
    assert resp.error == {'code': 1, 'errCode': 'Security.Authentication.Header.DecryptFailed',
                          'message': 'Decrypt http header failed: crypto/rsa: decryption error'}


def test_undecryptable_header_fails_even_on_info(sim_cluster):
    """HeaderDecrypt is global middleware (spec §1.1 caveat)."""
    sim = sim_cluster(agents=1)
    resp = raw(sim).request('GET', '/api/v1/info', headers={'X-OCS-Header': 'AAAA'})
    assert resp.status == 401
    assert resp.error['errCode'] == 'Security.Authentication.Header.DecryptFailed'


@pytest.mark.parametrize('chunk', [53, 117, 7])
def test_any_chunk_size_up_to_k_minus_11(sim_cluster, chunk):
    sim = sim_cluster(agents=1, profile='4.5.0')
    assert raw(sim).get(UNFINISH, chunk=chunk).status == 200


def test_uri_must_equal_raw_request_target(sim_cluster):
    sim = sim_cluster(agents=1, password='rootpw')
    client = raw(sim)
    target = UNFINISH + '?show_details=false&x=1'
    assert client.get(target, password='rootpw').status == 200
    for uri in (UNFINISH, UNFINISH + '?x=1&show_details=false', UNFINISH + '?show_details=%66alse&x=1'):
        resp = client.get(target, password='rootpw', uri=uri)
        assert resp.status == 401, uri
        assert resp.error == {'code': 10008, 'errCode': 'Security.Authentication.Header.UriMismatch',
                              'message': 'URI mismatch'}


def test_uri_checked_before_password(sim_cluster):
    sim = sim_cluster(agents=1, password='rootpw')
    resp = raw(sim).get(UNFINISH, password='wrong', uri='/elsewhere')
    assert resp.error['errCode'] == 'Security.Authentication.Header.UriMismatch'


def test_wrong_root_password(sim_cluster):
    sim = sim_cluster(agents=1, password='rootpw')
    resp = raw(sim).get(UNFINISH, password='wrong')
    assert resp.status == 401
    assert resp.error == {'code': 10008, 'errCode': 'Security.Authentication.IncorrectOceanbasePassword',
                          'message': 'Unauthorized: OceanBase password is incorrect'}


def test_expired_ts(sim_cluster):
    sim = sim_cluster(agents=1, password='rootpw')
    client = raw(sim)
    resp = client.get(UNFINISH, password='rootpw', ts=str(int(time.time()) - 2))
    assert resp.status == 401
    assert resp.error == {'code': 10008, 'errCode': 'Security.Authentication.Expired',
                          'message': 'Unauthorized: Authentication expired'}
    # no upper bound, and Ts == now still passes
    assert client.get(UNFINISH, password='rootpw', ts=str(int(time.time()) + 10 ** 9)).status == 200
    assert client.get(UNFINISH, password='rootpw', ts=str(int(time.time()) + 1)).status == 200


def test_ts_not_an_integer(sim_cluster):
    sim = sim_cluster(agents=1, password='rootpw')
    resp = raw(sim).get(UNFINISH, password='rootpw', ts='soon')
    assert resp.status == 401
    assert resp.error['errCode'] == 'Security.Authentication.Timestamp.Invalid'
    assert resp.error['message'] == ('Unauthorized: Invalid timestamp: soon, err: strconv.ParseInt: parsing "soon": '
                                     'invalid syntax')


def test_expiry_checked_before_password(sim_cluster):
    sim = sim_cluster(agents=1, password='rootpw')
    resp = raw(sim).get(UNFINISH, password='wrong', ts='1')
    assert resp.error['errCode'] == 'Security.Authentication.Expired'


def test_empty_password_skips_ts_check(sim_cluster):
    """A cluster without root@sys password: Auth "" passes and Ts is never checked (spec §1.8)."""
    sim = sim_cluster(agents=1)
    client = raw(sim)
    assert client.get(UNFINISH, password='', ts='1').status == 200
    assert client.get(UNFINISH, password='', ts='garbage').status == 200
    resp = client.get(UNFINISH, password='something')
    assert resp.error['errCode'] == 'Security.Authentication.IncorrectOceanbasePassword'


def test_header_can_be_replayed_until_expiry(sim_cluster):
    sim = sim_cluster(agents=1, password='rootpw')
    client = raw(sim)
    value = client.encrypt_header(client.auth_json(UNFINISH, password='rootpw'))
    for _unused in range(3):
        assert client.request('GET', UNFINISH, headers={'X-OCS-Header': value}).status == 200


def test_single_agent_accepts_anything(sim_cluster):
    sim = sim_cluster(agents=1, password='rootpw', identities=['SINGLE'])
    client = raw(sim)
    assert client.get(UNFINISH, password='whatever', ts='1').status == 200
    assert client.get(UNFINISH, password='whatever', header='X-OCS-Agent-Header').status == 200


def test_single_agent_with_agent_password(sim_cluster):
    sim = sim_cluster(agents=1, agent_password='agentpw', identities=['SINGLE'])
    client = raw(sim)
    resp = client.get(UNFINISH, password='agentpw')
    assert resp.status == 401
    assert resp.error == {'code': 10008, 'errCode': 'Security.Authentication.WithAgentPassword',
                          'message': 'Unauthorized: Should use agent_password to verify: agent password has been set'}
    resp = client.get(UNFINISH, password='nope', header='X-OCS-Agent-Header')
    assert resp.error['errCode'] == 'Security.Authentication.IncorrectAgentPassword'
    assert resp.error['message'] == 'Unauthorized: Agent password is incorrect'
    assert client.get(UNFINISH, password='agentpw', header='X-OCS-Agent-Header').status == 200


def test_cluster_agent_with_agent_password(sim_cluster):
    sim = sim_cluster(agents=1, password='rootpw', agent_password='agentpw')
    client = raw(sim)
    assert client.get(UNFINISH, password='agentpw', header='X-OCS-Agent-Header').status == 200
    assert client.get(UNFINISH, password='rootpw').status == 200
    resp = client.get(UNFINISH, password='rootpw', header='X-OCS-Agent-Header')
    assert resp.error['errCode'] == 'Security.Authentication.IncorrectAgentPassword'
    # both headers: X-OCS-Agent-Header wins
    both = {'X-OCS-Header': client.encrypt_header(client.auth_json(UNFINISH, password='rootpw'))}
    resp = client.get(UNFINISH, password='wrong', header='X-OCS-Agent-Header', extra_headers=both)
    assert resp.error['errCode'] == 'Security.Authentication.IncorrectAgentPassword'


def test_agent_header_without_agent_password_on_cluster_agent(sim_cluster):
    sim = sim_cluster(agents=1, password='rootpw')
    resp = raw(sim).get(UNFINISH, password='x', header='X-OCS-Agent-Header')
    assert resp.status == 401
    assert resp.error['errCode'] == 'Security.Authentication.WithOceanBasePassword'
    assert resp.error['message'].startswith('Unauthorized: Should use oceanbase_password to verify: ')


@pytest.mark.parametrize('profile, message', [
    ('4.2.3', 'err.unauthorized'),
    ('4.3.0', 'Verification failed: uri mismatch'),
])
def test_old_profile_auth_errors(sim_cluster, profile, message):
    sim = sim_cluster(agents=1, password='rootpw', profile=profile)
    resp = raw(sim).get(UNFINISH, password='rootpw', uri='/other')
    assert resp.status == 401
    assert resp.error == {'code': 10008, 'message': message}
    resp = raw(sim).get(UNFINISH, password='wrong')
    assert resp.error['code'] == 10008


def test_body_decryption_errors(sim_cluster):
    sim = sim_cluster(agents=1, scenario='scale_out_fail', step_seconds=0.02)
    client = raw(sim)
    target = '/api/v1/task/dag/' + sim.find_dag('Cluster scale out')
    # Keys null with a body
    auth = client.auth_json(target)
    auth['keys'] = None
    resp = client.request('POST', target, headers={'X-OCS-Header': client.encrypt_header(auth)},
                          body=base64.b64encode(b'0' * 32))
    assert resp.status == 500
    assert resp.error == {'errCode': 'Request.Body.Decrypt.AES.KeyAndIv.Invalid',
                          'message': 'Unauthorized: AES key and IV size error'}
    # ciphertext length not a multiple of 16
    resp = client.request('POST', target, headers={'X-OCS-Header': client.encrypt_header(client.auth_json(target))},
                          body=base64.b64encode(b'0' * 20))
    assert resp.status == 500
    assert resp.error == {'errCode': 'Request.Body.Decrypt.AES.ContentLength.Invalid',
                          'message': 'Unauthorized: Decrypted string length is not a multiple of the block size'}
    # a plaintext JSON body together with an auth header
    resp = client.request('POST', target, headers={'X-OCS-Header': client.encrypt_header(client.auth_json(target))},
                          body=json.dumps({'operator': 'RETRY'}))
    assert resp.status == 500


def test_key_sizes_per_profile(sim_cluster):
    for profile, prefix, size in (('4.5.0', 'MIGJAoGBA', 188), ('4.4.2', 'MIGJAoGBA', 188), ('4.3.1', 'MEgCQQ', 100)):
        sim = sim_cluster(agents=1, profile=profile)
        key = raw(sim).request('GET', '/api/v1/secret').data['public_key']
        assert key.startswith(prefix), profile
        assert len(key) == size
        der = base64.b64decode(key)
        assert len(der) == {188: 140, 100: 74}[size]


def test_restart_keeps_or_rotates_key(sim_cluster):
    sim = sim_cluster(agents=1)
    agent = sim.agents[0]
    client = raw(sim)
    first = client.request('GET', '/api/v1/secret').data['public_key']
    value = client.encrypt_header(client.auth_json(UNFINISH))
    agent.restart(rotate_key=False)
    client.close()
    assert client.request('GET', '/api/v1/secret').data['public_key'] == first
    assert client.request('GET', UNFINISH, headers={'X-OCS-Header': value}).status == 200
    agent.restart(rotate_key=True)
    client.close()
    assert client.request('GET', '/api/v1/secret').data['public_key'] != first
    resp = client.request('GET', UNFINISH, headers={'X-OCS-Header': value})
    assert resp.error['errCode'] == 'Security.Authentication.Header.DecryptFailed'


def test_profile_change_then_restart_rotates_to_1024(sim_cluster):
    """Upgrading into 4.4.2 regenerates a 512-bit key at start-up (spec §1.3)."""
    sim = sim_cluster(agents=1, profile='4.4.1')
    agent = sim.agents[0]
    assert agent.rsa_key.bits == 512
    agent.profile = '4.5.0'
    agent.restart(rotate_key=False)
    assert agent.rsa_key.bits == 1024


def test_follower_forwards_to_master(sim_cluster):
    sim = sim_cluster(agents=3, identities=['MASTER', 'FOLLOWER', 'FOLLOWER'], scenario={
        'dags': [{'template': 'start_observer', 'scope': 'local', 'agent': 0}]})
    resp = raw(sim, 1).get(UNFINISH)
    assert resp.status == 200
    names = [dag['name'] for dag in resp.data['contents']]
    assert names == ['Start observer']
    assert resp.data['contents'][0]['id'].startswith('2')
    entry = [item for item in sim.requests if item['path'] == UNFINISH][-1]
    assert entry['agent'] == sim.agents[1].address
    assert entry['forwarded_to'] == sim.agents[0].address


def test_follower_without_master(sim_cluster):
    sim = sim_cluster(agents=2, identities=['FOLLOWER', 'FOLLOWER'])
    resp = raw(sim, 0).get(UNFINISH)
    assert resp.status == 500
    assert resp.error == {'errCode': 'Agent.NoMaster', 'message': 'Master agent is not found'}


def test_follower_4_2_3_answers_401(sim_cluster):
    sim = sim_cluster(agents=2, identities=['MASTER', 'FOLLOWER'], profile='4.2.3')
    resp = raw(sim, 1).get(UNFINISH)
    assert resp.status == 401
    assert resp.error == {'code': 10008, 'message': 'err.unauthorized'}


def test_sdk_auth_v1_on_4_2_2(sim_cluster):
    """4.2.2 speaks auth v1 (X-OCS-Auth); the SDK selects it from /info (uncertain profile, spec §1.9)."""
    sim = sim_cluster(agents=1, profile='4.2.2', password='pw', scenario='scale_out', step_seconds=0.05)
    agent = sim.agents[0]
    client = ClientSet(agent.host, agent.port, PasswordAuth('pw'))
    dags = client.v1.get_unfinished_dags()
    assert [dag.name for dag in dags] == ['Cluster scale out']
    assert {entry['auth_header'] for entry in sim.requests if entry['path'].startswith('/api/v1/task')} == {'X-OCS-Auth'}
    wrong = ClientSet(agent.host, agent.port, PasswordAuth('nope'))
    with pytest.raises(Exception) as info:
        wrong.v1.get_unfinished_dags()
    assert '10008' in str(info.value)


def test_sdk_with_agent_password(sim_cluster):
    sim = sim_cluster(agents=1, password='rootpw', agent_password='agentpw', scenario='scale_out', step_seconds=0.05)
    agent = sim.agents[0]
    client = ClientSet(agent.host, agent.port, PasswordAuth('wrong-root', agent_password='agentpw'))
    assert [dag.name for dag in client.v1.get_unfinished_dags()] == ['Cluster scale out']
    assert sim.requests[-1]['auth_header'] == 'X-OCS-Agent-Header'
