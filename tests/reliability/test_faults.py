# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fault injection at the driver level: dag_wait's engine with a real client against the simulator, real time.

Each test states the fault, the verdict a rolling-upgrade gate must give, and asserts it together with the
request counts that prove there is no retry loop and the elapsed time that proves there is no hang. The figures
are recorded for docs/reliability.md.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import threading
import time

import pytest

from ansible_collections.oceanbase.obshell.plugins.module_utils import _dag
from tests.reliability._support import (
    AGENT_PASSWORD,
    PASSWORD,
    figure,
    requests_to,
    run_wait,
    task_requests,
    with_err_code,
)
from tests.simulator.scenarios import START_OBSERVER_NODES, held_scale_out
from tests.simulator.waiting import wait_until

DECRYPT_FAILED = 'Security.Authentication.Header.DecryptFailed'
EXPIRED = 'Security.Authentication.Expired'
# A verdict may come at most this late after a deadline (the last read of a poll is allowed 0.5 s).
MARGIN = 0.75


def gaps(times):
    return [round(b - a, 2) for a, b in zip(times, times[1:])]


# ---------------------------------------------------------------------------------------------- restarts


def test_agent_restart_refusing_connections_for_10s_mid_wait_ends_succeeded(sim_cluster):
    """Fault: the agent restarts after the first poll and refuses connections for 10 s.
    Verdict: the wait goes on through the outage (it is shorter than unreachable_timeout) and ends succeeded."""
    sim = sim_cluster(agents=3, password=PASSWORD, scenario='scale_out', step_seconds=2.0)
    agent = sim.agents[0]
    dag_id = sim.find_dag('Cluster scale out')
    restarted = []

    def restart():
        restarted.append(time.monotonic())
        agent.restart(rotate_key=False, down_seconds=10.0)

    run = run_wait(agent, password=PASSWORD, between={1: restart})
    assert run.outcome == 'succeeded', run.result['msg']
    assert [d['id'] for d in run.result['dags']] == [dag_id]
    down = run.lines_with('is not answering')
    back = run.lines_with('is answering again after')
    assert len(down) == 1 and len(back) == 1, run.lines
    assert 'cannot connect' in down[0] and 'Connection refused' in down[0]
    back_at = [t for t, line in run.lines if 'is answering again' in line][0]
    came_up = [e[0] for e in sim.events if e[1] == 'agent_up' and e[0] > restarted[0]][0]
    # Every line after the agent came back: the wait carried on with the same DAG to its end.
    after = [line for t, line in run.lines if t >= back_at]
    assert any(line.startswith('Cluster scale out | 9/9 ') and 'SUCCEED' in line for line in after), run.lines
    assert came_up - restarted[0] >= 10.0
    lag = back_at - came_up
    assert 0 <= lag <= 8.0 + MARGIN  # the backoff is capped at max(poll_interval, 10 s); here 8 s was next
    name = 'restart, refused 10 s'
    figure(name, 'outage (s)', round(came_up - restarted[0], 1))
    figure(name, 'seen back after the agent came up (s)', round(lag, 1))
    figure(name, 'failed polls during the outage', run.engine.polls - run.engine.good_reads)
    figure(name, 'wait elapsed (s) / polls', '%.1f / %d' % (run.result['elapsed'], run.result['polls']))


def test_new_rsa_key_after_upgrading_into_4_4_2_is_fetched_once(sim_cluster):
    """Fault: mid-wait the agent is upgraded from 4.4.1 to 4.4.2 and restarts with a new (1024-bit) RSA key.
    Verdict: one request fails with DecryptFailed, the client fetches the key once and the wait ends succeeded."""
    sim = sim_cluster(agents=3, password=PASSWORD, scenario='scale_out', step_seconds=0.3, profile='4.4.1')
    agent = sim.agents[0]

    def upgrade():
        agent.profile = '4.4.2'
        agent.restart(rotate_key=False)     # a 512-bit stored key is regenerated at start-up (§1.3)

    run = run_wait(agent, password=PASSWORD, between={1: upgrade})
    assert run.outcome == 'succeeded', run.result['msg']
    assert run.client.stats['key_refreshes'] == 1
    assert len(with_err_code(agent, DECRYPT_FAILED)) == 1
    assert len(requests_to(agent, '/api/v1/secret')) == 2       # the first key, and the new one once
    assert run.client.public_key().bits == 1024 and run.client.version == '4.4.2.0'
    # The refresh happened inside the client: the wait never saw an outage.
    assert not run.lines_with('is not answering'), run.lines
    figure('new RSA key (4.4.1 -> 4.4.2)', 'DecryptFailed answers / key fetches / retries',
           '%d / %d / %d' % (len(with_err_code(agent, DECRYPT_FAILED)), len(requests_to(agent, '/api/v1/secret')),
                             run.client.stats['retries']))


# ---------------------------------------------------------------------------------------------- 5xx


def test_503_four_times_then_recovery_is_retried_with_backoff_and_succeeds(sim_cluster):
    """Fault: after the first poll the agent answers 503 four times, then recovers.
    Verdict: each failed poll is retried after a doubling delay (0.5, 1, 2, 4 s); the wait ends succeeded."""
    sim = sim_cluster(agents=1, password=PASSWORD, scenario='scale_out', step_seconds=0.4)
    agent = sim.agents[0]
    run = run_wait(agent, password=PASSWORD, between={1: lambda: agent.inject_errors(4, status=503)})
    assert run.outcome == 'succeeded', run.result['msg']
    failed = [r for r in agent.requests if r['status'] == 503]
    assert len(failed) == 4
    first_after = [r for r in agent.requests if r['time'] > failed[-1]['time']][0]
    delays = gaps([r['time'] for r in failed] + [first_after['time']])
    for measured, planned in zip(delays, (0.5, 1.0, 2.0, 4.0)):
        assert planned - 0.05 <= measured <= planned + 0.5, delays
    assert len(run.lines_with('is not answering')) == 1 and len(run.lines_with('answering again')) == 1
    figure('503 x4 then recovery', 'delays between attempts (s)', delays)
    figure('503 x4 then recovery', 'requests in all / answered 503', '%d / %d' % (len(agent.requests), len(failed)))


@pytest.mark.parametrize('when', ['from the start', 'mid-wait'])
def test_503_beyond_the_budget_is_a_clear_unreachable_verdict(sim_cluster, when):
    """Fault: the agent answers 503 to everything for longer than unreachable_timeout (3 s here).
    Verdict: unreachable, naming the agent and the 503, within the budget; a handful of requests, no storm."""
    sim = sim_cluster(agents=1, password=PASSWORD, scenario=held_scale_out(hold_at=3))
    agent = sim.agents[0]

    def storm():
        agent.inject_errors(1000, status=503)

    if when == 'from the start':
        storm()
        run = run_wait(agent, password=PASSWORD, unreachable_timeout=3)
    else:
        run = run_wait(agent, password=PASSWORD, unreachable_timeout=3, between={1: storm})
    assert run.outcome == 'unreachable', run.result['msg']
    assert run.result['failed'] is True
    msg = run.result['msg']
    assert agent.address in msg and 'HTTP 503' in msg and 'unreachable_timeout 3s' in msg, msg
    for_seconds = run.result['unreachable_agent']['for_seconds']
    assert 3.0 <= for_seconds <= 3.0 + MARGIN
    answered_503 = [r for r in agent.requests if r['status'] == 503]
    assert len(answered_503) <= 5, [round(r['time'], 2) for r in answered_503]
    figure('503 beyond the budget (%s)' % when, 'unreachable after (s) / 503 answers',
           '%.1f / %d' % (for_seconds, len(answered_503)))


# ---------------------------------------------------------------------------------------------- slow answers


def test_slow_answers_beyond_the_request_timeout_are_retried_then_succeed(sim_cluster):
    """Fault: two answers take 2.5 s while request_timeout is 1 s.
    Verdict: both polls time out after 1 s, are retried with backoff, and the wait ends succeeded."""
    sim = sim_cluster(agents=1, password=PASSWORD, scenario='scale_out', step_seconds=0.4)
    agent = sim.agents[0]
    run = run_wait(agent, password=PASSWORD, request_timeout=1,
                   between={1: lambda: agent.inject_delay(2.5, count=2)})
    assert run.outcome == 'succeeded', run.result['msg']
    down = run.lines_with('is not answering')
    assert len(down) == 1 and 'no answer within the 1s request timeout' in down[0], run.lines
    # The agent logs a request when it answers, 2.5 s after it came in, after the client had given up on it.
    assert wait_until(lambda: len([r for r in agent.requests if r['fault'] == 'delay']) == 2, timeout=5)
    figure('slow answers x2 (2.5 s > request_timeout 1 s)', 'wait elapsed (s) / polls',
           '%.1f / %d' % (run.result['elapsed'], run.result['polls']))


def test_answers_that_never_come_end_the_wait_by_its_deadline(sim_cluster):
    """Fault: from the second poll on, every answer takes 30 s (request_timeout 1.5 s, timeout 4 s).
    Verdict: a clear error naming the request timeout, given by the overall deadline, never later."""
    sim = sim_cluster(agents=1, password=PASSWORD, scenario=held_scale_out(hold_at=3))
    agent = sim.agents[0]
    run = run_wait(agent, password=PASSWORD, timeout=4, request_timeout=1.5,
                   between={1: lambda: agent.inject_delay(30, count=1000)})
    assert run.outcome == 'unreachable', run.result['msg']
    assert 'no answer within the 1.5s request timeout' in run.result['msg']
    assert run.seconds <= 4 + MARGIN, run.seconds
    figure('answers never come (timeout 4 s)', 'verdict after (s)', round(run.seconds, 2))


def test_a_poll_of_several_slow_requests_still_ends_by_the_deadline(sim_cluster):
    """Fault: the first three answers take 2 s each; timeout 3 s, request_timeout 30 s.
    Verdict: no later than timeout + margin. The per-request timeout is capped at what is left of the deadline when a
    poll starts, but one poll makes several requests (info, key, list, a DAG read), so each must be capped at what
    is left when it is sent."""
    sim = sim_cluster(agents=1, password=PASSWORD, scenario='scale_out', step_seconds=5)
    agent = sim.agents[0]
    agent.inject_delay(2.0, count=3)
    run = run_wait(agent, password=PASSWORD, timeout=3, request_timeout=30)
    figure('3 slow answers in one poll (timeout 3 s)', 'verdict after (s)', round(run.seconds, 2))
    assert run.seconds <= 3 + MARGIN, '%s after %.2f s: %s' % (run.outcome, run.seconds, run.result['msg'])
    assert run.outcome in ('timeout', 'unreachable')


# ---------------------------------------------------------------------------------------------- clock skew


@pytest.mark.parametrize('skew', [30.0, -30.0])
def test_clock_skew_of_30s_needs_no_retry_with_the_default_header_lifetime(sim_cluster, skew):
    """Fault: the agent's clock is 30 s ahead of / behind the controller's.
    Verdict: succeeded, with no auth error at all: Ts is now + 60 s, the agent only rejects curTs > Ts and has no
    upper bound, so any skew between -inf and +60 s passes on the first try."""
    sim = sim_cluster(agents=1, password=PASSWORD, scenario='scale_out', step_seconds=0.2)
    agent = sim.agents[0]
    agent.clock_skew = skew
    run = run_wait(agent, password=PASSWORD)
    assert run.outcome == 'succeeded', run.result['msg']
    assert [r for r in agent.requests if r['status'] == 401] == []
    assert run.client.stats['retries'] == 0
    figure('clock skew %+d s' % skew, '401 answers / requests', '0 / %d' % len(agent.requests))


def test_clock_skew_beyond_the_header_lifetime_costs_one_retried_read(sim_cluster):
    """Fault: the agent's clock is 90 s ahead (more than the 60 s header lifetime).
    Verdict: succeeded; the first read is refused as expired, the client widens Ts by the skew it reads from the
    agent's envelope timestamp and repeats that read once; no other request fails."""
    sim = sim_cluster(agents=1, password=PASSWORD, scenario='scale_out', step_seconds=0.2)
    agent = sim.agents[0]
    agent.clock_skew = 90.0
    run = run_wait(agent, password=PASSWORD)
    assert run.outcome == 'succeeded', run.result['msg']
    assert len(with_err_code(agent, EXPIRED)) == 1
    assert [r for r in agent.requests if r['status'] >= 400 and r['err_code'] != EXPIRED] == []
    figure('clock skew +90 s', 'Expired answers / requests', '1 / %d' % len(agent.requests))


def test_clock_skew_only_shifts_the_displayed_elapsed_time_never_the_verdict():
    """A DAG's start_time is the agent's clock; elapsed_seconds is the controller's now minus it. With the agent 30 s
    ahead it would be negative: it is clamped to 0. The wait's own deadlines use the controller's monotonic clock."""
    start = 1760000000.0
    dto = {'id': '11', 'name': 'Cluster scale out', 'state': 'RUNNING', 'operator': 'RUN', 'stage': 2,
           'max_stage': 9, 'start_time': '2025-10-09T08:53:20Z', 'end_time': '2025-10-09T08:53:20Z'}
    ahead = _dag.normalize_dag(dto, now=start - 30)
    behind = _dag.normalize_dag(dto, now=start + 30)
    assert ahead['elapsed_seconds'] == 0.0 and behind['elapsed_seconds'] == 30.0
    assert ahead['outcome'] == behind['outcome'] == 'running'


# ---------------------------------------------------------------------------------------------- bad answers


@pytest.mark.parametrize('kind,before_first_read', [
    ('html', 'retried'), ('empty', 'error'), ('truncated', 'error'), ('missing_fields', 'error'),
])
def test_malformed_answer_before_the_first_good_read(sim_cluster, kind, before_first_read):
    """Fault: the very first answer is an HTML error page from a proxy (502), an empty body, truncated JSON, or an
    envelope without its fields.
    Verdict: a 502 page is a server error and is retried like a 5xx (then succeeded); the others are a protocol
    error that ends the wait at once with outcome error and a message naming what came back. No traceback."""
    sim = sim_cluster(agents=1, password=PASSWORD, scenario='scale_out', step_seconds=0.1)
    agent = sim.agents[0]
    agent.inject_malformed(kind)
    run = run_wait(agent, password=PASSWORD)
    if before_first_read == 'retried':
        assert run.outcome == 'succeeded', run.result['msg']
        assert "HTTP 502 with '<html>" in run.lines_with('is not answering')[0]
    else:
        assert run.outcome == 'error', run.result['msg']
        assert run.result['error']['kind'] == 'protocol'
        assert run.result['polls'] == 1
        assert 'GET /api/v1/info: HTTP 200 with ' in run.result['msg']
        assert 'not an OBShell JSON envelope' in run.result['msg']
    figure('malformed "%s" first' % kind, 'verdict', '%s: %s' % (run.outcome, run.result['msg'][:110]))


@pytest.mark.parametrize('kind', ['html', 'empty', 'truncated', 'missing_fields'])
def test_malformed_answer_mid_wait_is_an_outage_then_succeeded(sim_cluster, kind):
    """Fault: after a good read, one answer is malformed (an upgrade or a proxy restart can do that).
    Verdict: that poll counts as an outage, the next one reads normally, and the wait ends succeeded."""
    sim = sim_cluster(agents=1, password=PASSWORD, scenario='scale_out', step_seconds=0.2)
    agent = sim.agents[0]
    run = run_wait(agent, password=PASSWORD, between={1: lambda: agent.inject_malformed(kind)})
    assert run.outcome == 'succeeded', run.result['msg']
    down = run.lines_with('is not answering')
    assert len(down) == 1 and 'not an OBShell JSON envelope' in down[0], run.lines
    assert len(run.lines_with('answering again')) == 1


# ---------------------------------------------------------------------------------------------- credentials

WRONG = 'Wr0ng-pass/word'

CREDENTIAL_CASES = [
    # (case, cluster settings, wait options, errCode the agent answers, words of the message, task requests)
    ('wrong root password', {}, {'password': WRONG},
     'Security.Authentication.IncorrectOceanbasePassword', 'root@sys password is wrong', 1),
    ('wrong agent password', {'agent_password': AGENT_PASSWORD}, {'password': PASSWORD, 'agent_password': WRONG},
     'Security.Authentication.IncorrectAgentPassword', 'agent password is wrong', 1),
    ('agent_password given, the agent has none', {}, {'agent_password': AGENT_PASSWORD},
     'Security.Authentication.IncorrectOceanbasePassword', 'agent_password is not used because this agent has no', 1),
    ('root password to a MASTER with an agent password', {'agent_password': AGENT_PASSWORD, 'identities': 'MASTER'},
     {'password': PASSWORD}, 'Security.Authentication.WithAgentPassword', 'give agent_password', 1),
    ('root password to a SINGLE with an agent password', {'agent_password': AGENT_PASSWORD, 'identities': 'SINGLE'},
     {'password': PASSWORD}, None, 'SINGLE agent with an agent password set: give agent_password', 0),
    ('wrong root password, 4.2.3', {'profile': '4.2.3'}, {'password': WRONG}, None, 'err.unauthorized', 1),
]


@pytest.mark.parametrize('case,cluster,options,err_code,words,task_calls', CREDENTIAL_CASES,
                         ids=[c[0] for c in CREDENTIAL_CASES])
def test_bad_credentials_fail_fast_with_the_agents_reason(sim_cluster, case, cluster, options, err_code, words,
                                                          task_calls):
    """Fault: wrong root password, wrong agent password, or the wrong kind of password for how the agent is set up.
    Verdict: outcome error after one poll, with the agent's reason, and no retry: the simulator's request log
    counts the authenticated requests."""
    sim = sim_cluster(agents=1, password=PASSWORD, scenario='scale_out', step_seconds=0.5, **cluster)
    agent = sim.agents[0]
    run = run_wait(agent, **options)
    result = run.result
    assert result['outcome'] == 'error', result['msg']
    assert result['error']['kind'] == 'auth' and result['error']['err_code'] == err_code
    assert words in result['msg'], result['msg']
    if result['error']['agent_message']:
        assert result['error']['agent_message'] in result['msg']
    assert result['polls'] == 1 and run.seconds < 2
    assert len(task_requests(agent)) == task_calls
    for secret in (PASSWORD, AGENT_PASSWORD, WRONG):
        assert secret not in str(result)
    figure('credentials: %s' % case, 'task requests / verdict after (s)', '%d / %.2f' % (task_calls, run.seconds))


# ---------------------------------------------------------------------------------------------- TLS


def test_self_signed_certificate_fails_by_default_and_passes_with_ca_path(sim_cluster, sim_pki):
    """Fault: the agent serves HTTPS with a certificate of a private CA.
    Verdict: certificates are verified by default, so the wait ends at once with outcome error and a message about
    verification and ca_path; with ca_path it ends succeeded."""
    pki = sim_pki
    sim = sim_cluster(agents=1, password=PASSWORD, scenario='scale_out', step_seconds=0.1,
                      tls=dict(cert=pki['server_cert'], key=pki['server_key']))
    agent = sim.agents[0]
    refused = run_wait(agent, password=PASSWORD, use_tls=True)
    assert refused.outcome == 'error' and refused.result['error']['kind'] == 'tls'
    msg = refused.result['msg']
    assert 'certificate verify failed' in msg and 'ca_path' in msg, msg
    assert refused.result['polls'] == 1 and refused.seconds < 2
    assert agent.requests == []  # nothing got past the handshake
    trusted = run_wait(agent, password=PASSWORD, use_tls=True, ca_path=pki['ca'])
    assert trusted.outcome == 'succeeded', trusted.result['msg']
    figure('HTTPS, private CA, no ca_path', 'verdict', msg[:150])


def test_mutual_tls_works_with_a_client_certificate_and_fails_clearly_without(sim_cluster, sim_pki):
    """Fault: the agent requires client certificates (mTLS).
    Verdict: without client_cert the wait ends at once with outcome error saying to set client_cert/client_key;
    with client_cert and client_key it ends succeeded."""
    pki = sim_pki
    sim = sim_cluster(agents=1, password=PASSWORD, scenario='scale_out', step_seconds=0.1,
                      tls=dict(cert=pki['server_cert'], key=pki['server_key'], client_ca=pki['ca']))
    agent = sim.agents[0]
    refused = run_wait(agent, password=PASSWORD, use_tls=True, ca_path=pki['ca'])
    assert refused.outcome == 'error' and refused.result['error']['kind'] == 'tls', refused.result['msg']
    msg = refused.result['msg']
    assert 'client_cert' in msg and 'HTTPSConnectionPool' not in msg, msg
    assert refused.result['polls'] == 1 and refused.seconds < 2
    mutual = run_wait(agent, password=PASSWORD, use_tls=True, ca_path=pki['ca'], client_cert=pki['client_cert'],
                      client_key=pki['client_key'])
    assert mutual.outcome == 'succeeded', mutual.result['msg']
    figure('mTLS, no client_cert', 'verdict', msg[:170])


def test_https_to_a_plain_http_agent_says_so(sim_cluster):
    """Fault: use_tls is set but the agent speaks plain HTTP. Verdict: outcome error at once, saying so."""
    sim = sim_cluster(agents=1, password=PASSWORD, scenario='idle')
    run = run_wait(sim.agents[0], password=PASSWORD, use_tls=True)
    assert run.outcome == 'error' and run.result['error']['kind'] == 'tls', run.result['msg']
    assert 'plain HTTP' in run.result['msg'], run.result['msg']


# ---------------------------------------------------------------------------------------------- scale


def test_fifty_agents_waited_on_at_once_complete_without_a_retry_storm(sim_cluster):
    """Fault: 50 agents, each running its own 'Start observer' DAG, all waited on at the same time (50 threads).
    Verdict: all 50 end succeeded; no request fails; each agent gets only what the wait needs: info and key once,
    one list per poll, one read with details per stage change and one final read."""
    count = 50
    scenario = {'name': '50 local DAGs',
                'dags': [{'template': 'start_observer', 'scope': 'local', 'agent': index, 'step_seconds': 0.3}
                         for index in range(count)]}
    # 4.4.1: 512-bit agent keys, so that making 50 of them costs 1 s instead of 6 s; the key size does not matter here.
    sim = sim_cluster(agents=count, password=PASSWORD, scenario=scenario, profile='4.4.1')
    runs = [None] * count

    def wait(index):
        runs[index] = run_wait(sim.agents[index], password=PASSWORD, scope='agent', timeout=60)

    started = time.monotonic()
    threads = [threading.Thread(target=wait, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    seconds = time.monotonic() - started
    assert all(run is not None for run in runs), 'a wait did not finish'
    not_succeeded = [run.result['msg'] for run in runs if run.outcome != 'succeeded']
    assert not_succeeded == [], not_succeeded
    assert [r for r in sim.requests if r['status'] != 200] == []
    assert sum(run.client.stats['retries'] + run.client.stats['key_refreshes'] for run in runs) == 0
    per_agent = []
    for agent, run in zip(sim.agents, runs):
        made = len(agent.requests)
        per_agent.append(made)
        stages = len(START_OBSERVER_NODES)
        # info + key, one list per poll, one detailed read per stage, one final read of the DAG that left the list
        assert made <= 2 + run.result['polls'] + stages + 1, (agent.address, made, run.result['polls'])
    total = sum(per_agent)
    figure('50 agents at once', 'wall time (s)', round(seconds, 1))
    figure('50 agents at once', 'requests in all / per agent min-max',
           '%d / %d-%d' % (total, min(per_agent), max(per_agent)))
    figure('50 agents at once', 'failed requests / client retries', '0 / 0')
