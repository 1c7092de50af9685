# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The client against the simulated agent: every auth path, profile, key size, TLS mode and failure."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import json
import time

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding

from ansible_collections.oceanbase.obshell.plugins.module_utils import _crypto
from ansible_collections.oceanbase.obshell.plugins.module_utils._client import ObshellClient, parse_version
from ansible_collections.oceanbase.obshell.plugins.module_utils._options import parse_agent
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import (
    ObshellApiError,
    ObshellAuthError,
    ObshellConnectionError,
    ObshellIdentityError,
    ObshellNotFoundError,
    ObshellProtocolError,
    ObshellServerError,
    ObshellTLSError,
)
from tests.simulator.certs import make_test_pki

PASSWORD = 'R00t-s3cret!'
AGENT_PASSWORD = 'Ag3nt-s3cret!'


def client_for(agent, **kwargs):
    kwargs.setdefault('retries', 0)
    kwargs.setdefault('sleep', lambda seconds: None)
    return ObshellClient(host=agent.host, port=agent.port, **kwargs)


def posts(sim):
    return [entry for entry in sim.requests if entry['method'] == 'POST']


# ---------------------------------------------------------------------------------------------- pure crypto

@pytest.mark.parametrize('bits', [1024, 2048])
def test_public_key_block_size_is_derived_from_the_modulus(bits):
    private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    from cryptography.hazmat.primitives import serialization
    der = private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    key = _crypto.PublicKey.from_base64(base64.b64encode(der).decode())
    assert key.block_bytes == bits // 8
    assert key.max_chunk == bits // 8 - 11
    plaintext = json.dumps({'auth': 'x' * 300, 'ts': '1', 'uri': '/api', 'keys': 'k'}).encode()
    blob = base64.b64decode(key.encrypt(plaintext))
    assert len(blob) % key.block_bytes == 0
    blocks = [blob[i:i + key.block_bytes] for i in range(0, len(blob), key.block_bytes)]
    assert b''.join(private.decrypt(block, asym_padding.PKCS1v15()) for block in blocks) == plaintext


def test_public_key_rejects_garbage():
    for bad in ('', 'not base64!!', base64.b64encode(b'\x00\x01junk').decode(), None):
        with pytest.raises(ValueError):
            _crypto.PublicKey.from_base64(bad)


def test_aes_body_is_what_the_agent_decrypts():
    from tests.simulator.crypto import decrypt_body
    key, iv = _crypto.new_session_keys()
    for size in (0, 1, 15, 16, 17, 100):
        plaintext = b'a' * size
        body = _crypto.aes_encrypt(key, iv, plaintext)
        assert len(base64.b64decode(body)) % 16 == 0 and len(base64.b64decode(body)) > size
        if size:    # the agent panics on an empty body (§1.6); the client never sends one
            assert decrypt_body(key + iv, body) == plaintext


def test_parse_agent_and_version():
    assert parse_agent('10.0.0.1') == ('10.0.0.1', 2886)
    assert parse_agent('obs1:2887') == ('obs1', 2887)
    assert parse_agent('[::1]:2900') == ('::1', 2900)
    assert parse_agent('::1') == ('::1', 2886)
    for bad in ('', 'host:', 'host:abc', 'host:70000', '[::1', '[::1]x', ':2886', 'http://h', 'h/x', 'a b'):
        with pytest.raises(ValueError):
            parse_agent(bad)
    assert parse_version('4.2.3.0') == (4, 2, 3, 0)
    assert parse_version('4.5.0.0-100') == (4, 5, 0, 0)
    assert parse_version(None) == ()


# ---------------------------------------------------------------------------------------------- auth paths

@pytest.mark.parametrize('profile', ['4.2.3', '4.3.1', '4.5.0'])
def test_root_password_on_each_profile(sim_cluster, profile):
    sim = sim_cluster(agents=2, password=PASSWORD, profile=profile, scenario='scale_out', step_seconds=5)
    client = client_for(sim.agents[0], password=PASSWORD)
    dags = client.unfinished_dags('cluster')
    assert [dag['name'] for dag in dags] == ['Cluster scale out']
    assert dags[0]['nodes'] is None  # show_details=false on the wire
    expected_bits = 512 if parse_version(profile) < (4, 4, 2) else 1024
    assert client.public_key().bits == expected_bits
    assert client.auth_version() == 'v2'
    entry = [e for e in sim.requests if e['path'].endswith('/dag/ob/unfinish')][-1]
    assert entry['auth_header'] == 'X-OCS-Header' and entry['status'] == 200


def test_auth_v1_on_4_2_2(sim_cluster):
    sim = sim_cluster(agents=1, password=PASSWORD, profile='4.2.2')
    client = client_for(sim.agents[0], password=PASSWORD)
    assert client.auth_version() == 'v1'
    assert client.unfinished_dags('agent') == []
    assert [e['auth_header'] for e in sim.requests if e['path'].startswith('/api/v1/task')] == ['X-OCS-Auth']


def test_agent_password_uses_the_agent_header(sim_cluster):
    sim = sim_cluster(agents=1, password=PASSWORD, agent_password=AGENT_PASSWORD, profile='4.5.0')
    client = client_for(sim.agents[0], password='wrong-root-password', agent_password=AGENT_PASSWORD)
    assert client.describe()['agent_password_set'] is True
    assert client.unfinished_dags('all') == []
    assert sim.requests[-1]['auth_header'] == 'X-OCS-Agent-Header'


def test_single_agent_gets_the_empty_password_rule(sim_cluster):
    sim = sim_cluster(agents=1, password=PASSWORD, identities=['SINGLE'])
    client = client_for(sim.agents[0], password='whatever')
    assert client.identity == 'SINGLE'
    assert client.unfinished_dags('agent') == []
    with pytest.raises(ObshellIdentityError) as caught:
        client.unfinished_dags('cluster')
    assert 'SINGLE' in str(caught.value) and 'scope agent or auto' in str(caught.value)
    assert not [e for e in sim.requests if e['path'].endswith('/dag/ob/unfinish')]


def test_empty_aggregated_list_is_null_and_becomes_empty(sim_cluster):
    sim = sim_cluster(agents=2, password=PASSWORD)
    client = client_for(sim.agents[0], password=PASSWORD)
    assert client.unfinished_dags('all') == []
    raw = client.get('/api/v1/task/dag/unfinish')
    assert raw == {'contents': None}


def test_https_with_custom_ca_and_mtls(sim_cluster, tmp_path):
    pki = make_test_pki(str(tmp_path))
    sim = sim_cluster(agents=1, password=PASSWORD, tls=dict(cert=pki['server_cert'], key=pki['server_key']))
    agent = sim.agents[0]
    with pytest.raises(ObshellTLSError) as caught:
        client_for(agent, password=PASSWORD, use_tls=True).info()
    assert 'ca_path' in str(caught.value)
    assert client_for(agent, password=PASSWORD, use_tls=True, ca_path=pki['ca']).unfinished_dags('all') == []
    assert client_for(agent, password=PASSWORD, use_tls=True, validate_certs=False).info()['identity']

    mtls = sim_cluster(agents=1, password=PASSWORD,
                       tls=dict(cert=pki['server_cert'], key=pki['server_key'], client_ca=pki['ca']))
    with pytest.raises(ObshellConnectionError):
        client_for(mtls.agents[0], password=PASSWORD, use_tls=True, ca_path=pki['ca']).info()
    good = client_for(mtls.agents[0], password=PASSWORD, use_tls=True, ca_path=pki['ca'],
                      client_cert=pki['client_cert'], client_key=pki['client_key'])
    assert good.unfinished_dags('all') == []


def test_keep_alive_reuses_one_connection(sim_cluster):
    sim = sim_cluster(agents=1, password=PASSWORD)
    client = client_for(sim.agents[0], password=PASSWORD)
    for dummy in range(5):
        client.unfinished_dags('all')
    assert client.stats['requests'] == 7  # info + secret + 5 lists: key and identity are cached


# ---------------------------------------------------------------------------------------------- failures

@pytest.mark.parametrize('profile,expected', [
    ('4.5.0', 'Security.Authentication.IncorrectOceanbasePassword'),
    ('4.3.1', 'Security.Authentication.IncorrectOceanbasePassword'),
    ('4.2.3', None),
])
def test_wrong_password_fails_at_once_with_the_agents_reason(sim_cluster, profile, expected):
    sim = sim_cluster(agents=1, password=PASSWORD, profile=profile)
    client = client_for(sim.agents[0], password='not-the-password', retries=5)
    with pytest.raises(ObshellAuthError) as caught:
        client.unfinished_dags('all')
    error = caught.value
    assert error.status == 401 and error.err_code == expected
    assert 'not-the-password' not in str(error)
    if expected:
        assert 'root@sys password is wrong' in str(error)
    else:
        assert 'err.unauthorized' in str(error)
    task_calls = [e for e in sim.requests if e['path'].startswith('/api/v1/task')]
    assert len(task_calls) == 1  # no retry loop on auth errors


def test_wrong_agent_password(sim_cluster):
    sim = sim_cluster(agents=1, password=PASSWORD, agent_password=AGENT_PASSWORD)
    with pytest.raises(ObshellAuthError) as caught:
        client_for(sim.agents[0], agent_password='nope').unfinished_dags('all')
    assert caught.value.err_code == 'Security.Authentication.IncorrectAgentPassword'
    assert 'agent password is wrong' in str(caught.value)


def test_uri_mismatch_is_reported(sim_cluster):
    sim = sim_cluster(agents=1, password=PASSWORD)

    class SigningTheWrongUri(ObshellClient):
        def _auth_headers(self, uri, body):
            return super(SigningTheWrongUri, self)._auth_headers(uri + '&x=1', body)

    client = SigningTheWrongUri(host=sim.agents[0].host, port=sim.agents[0].port, password=PASSWORD, retries=0)
    with pytest.raises(ObshellAuthError) as caught:
        client.unfinished_dags('all')
    assert caught.value.err_code == 'Security.Authentication.Header.UriMismatch'


def test_expired_ts_from_clock_skew_is_recovered_on_reads(sim_cluster):
    sim = sim_cluster(agents=1, password=PASSWORD)
    sim.agents[0].clock_skew = 300.0  # the agent runs 5 minutes ahead: a 60 s header is already expired
    client = client_for(sim.agents[0], password=PASSWORD)
    assert client.unfinished_dags('all') == []
    statuses = [e['err_code'] for e in sim.requests if e['path'].startswith('/api/v1/task')]
    assert statuses == ['Security.Authentication.Expired', None]


def test_expired_ts_is_not_retried_for_posts(sim_cluster):
    sim = sim_cluster(agents=1, password=PASSWORD, scenario='scale_out_fail', step_seconds=0.05)
    sim.agents[0].clock_skew = 300.0
    client = client_for(sim.agents[0], password=PASSWORD, ts_lifetime=60)
    with pytest.raises(ObshellAuthError) as caught:
        client.operate_dag('11', 'RETRY')
    assert caught.value.err_code == 'Security.Authentication.Expired'
    assert 'synchronise the clocks' in str(caught.value)
    assert len(posts(sim)) == 1


@pytest.mark.parametrize('profile', ['4.5.0', '4.3.0', '4.2.5', '4.2.4'])
def test_rotated_key_is_fetched_again_once_for_reads(sim_cluster, profile):
    # 4.2.4 to 4.3.0 say "Verification failed: header decrypt failed" (code 10008) where 4.3.1+ say DecryptFailed
    # (found by the red team: a rolling upgrade of 4.2.5 agents, each restarting with a new key, ended unreachable).
    sim = sim_cluster(agents=1, password=PASSWORD, profile=profile)
    client = client_for(sim.agents[0], password=PASSWORD)
    client.unfinished_dags('all')
    sim.agents[0].restart(rotate_key=True)
    assert client.unfinished_dags('all') == []
    assert client.stats['key_refreshes'] == 1


def test_rotated_key_never_resends_a_post(sim_cluster):
    sim = sim_cluster(agents=1, password=PASSWORD, scenario='scale_out_fail', step_seconds=0.05)
    client = client_for(sim.agents[0], password=PASSWORD)
    client.info()
    client.public_key()
    sim.agents[0].restart(rotate_key=True)
    with pytest.raises(ObshellAuthError) as caught:
        client.operate_dag('11', 'RETRY')
    assert caught.value.err_code == 'Security.Authentication.Header.DecryptFailed'
    assert len(posts(sim)) == 1


def test_agent_down_gives_a_connection_error_after_the_budget(sim_cluster):
    sim = sim_cluster(agents=1, password=PASSWORD)
    agent = sim.agents[0]
    agent.go_down(30)
    slept = []
    client = ObshellClient(host=agent.host, port=agent.port, password=PASSWORD, retries=2, timeout=1,
                           sleep=slept.append)
    with pytest.raises(ObshellConnectionError) as caught:
        client.info()
    assert len(slept) == 2 and all(0 < s <= 8 for s in slept)
    assert agent.address in str(caught.value)
    assert caught.value.maybe_sent is False


def test_transient_5xx_is_retried_then_succeeds(sim_cluster):
    sim = sim_cluster(agents=1, password=PASSWORD)
    client = client_for(sim.agents[0], password=PASSWORD, retries=3)
    client.unfinished_dags('all')
    sim.agents[0].inject_errors(2, status=503)
    assert client.unfinished_dags('all') == []
    assert client.stats['retries'] == 2


def test_5xx_beyond_the_budget_is_a_server_error(sim_cluster):
    sim = sim_cluster(agents=1, password=PASSWORD)
    client = client_for(sim.agents[0], password=PASSWORD, retries=2)
    client.unfinished_dags('all')
    sim.agents[0].inject_errors(10, status=503)
    with pytest.raises(ObshellServerError) as caught:
        client.unfinished_dags('all')
    assert caught.value.status == 503


@pytest.mark.parametrize('kind', ['html', 'empty', 'truncated', 'missing_fields'])
def test_garbage_bodies_are_protocol_errors(sim_cluster, kind):
    sim = sim_cluster(agents=1, password=PASSWORD)
    client = client_for(sim.agents[0], password=PASSWORD)
    client.unfinished_dags('all')
    sim.agents[0].inject_malformed(kind)
    with pytest.raises((ObshellProtocolError, ObshellServerError)) as caught:
        client.unfinished_dags('all')
    message = str(caught.value)
    assert 'HTTP' in message and sim.agents[0].address in message


def test_not_found_and_api_errors_are_typed(sim_cluster):
    sim = sim_cluster(agents=1, password=PASSWORD)
    client = client_for(sim.agents[0], password=PASSWORD)
    with pytest.raises(ObshellNotFoundError) as caught:
        client.dag('1999')
    assert caught.value.err_code == 'Task.NotFound'
    with pytest.raises(ObshellApiError) as caught:
        client.dag('abc')
    assert caught.value.status == 400 and caught.value.err_code == 'Task.GenericID.Invalid'


def test_operating_on_a_failed_dag(sim_cluster):
    sim = sim_cluster(agents=3, password=PASSWORD, scenario='scale_out_fail', step_seconds=0.05)
    client = client_for(sim.agents[0], password=PASSWORD)
    dag_id = None
    for dummy in range(200):
        dags = client.unfinished_dags('cluster')
        if dags and dags[0]['state'] == 'FAILED':
            dag_id = dags[0]['id']
            break
        time.sleep(0.05)
    assert dag_id, 'scale_out_fail never failed'
    with pytest.raises(ObshellApiError) as caught:
        client.operate_dag(dag_id, 'CANCEL')  # FAILED counts as finished: cannot cancel
    assert caught.value.status == 400
    assert client.operate_dag(dag_id, 'RETRY') is None
    assert client.dag(dag_id, show_details=False)['operator'] == 'RUN'
