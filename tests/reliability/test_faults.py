# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fault injection at the driver level: dag_wait's watcher with real clients against the simulator, real time.

Each test states the fault, the verdict a rolling-upgrade gate must give, and asserts it together with the
request counts that prove there is no retry loop and the elapsed time that proves there is no hang. The figures
are recorded for docs/reliability.md.

A wait on a CLUSTER AGENT has two parts, each with its own engine: the cluster DAGs (``/dag/ob/unfinish``, lines
``obs1 [cluster] | ...``) and the host's own DAGs (``/dag/agent/unfinish``, lines ``obs1 | ...``). A steady poll is
one request per list; a failed read of each list is its own part's outage, so a fault that hits both reads shows
twice, once per part.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import threading
import time

import pytest

from ansible_collections.oceanbase.obshell.plugins.module_utils import _dag
from tests.reliability._support import (
    AGENT_LIST,
    AGENT_PASSWORD,
    AGGREGATED_LIST,
    CLUSTER_LIST,
    PASSWORD,
    figure,
    polls_of,
    requests_to,
    run_wait,
    with_err_code,
)
from tests.simulator.scenarios import START_OBSERVER_NODES, SCALE_OUT_NODES, held_scale_out
from tests.simulator.waiting import wait_until
from tests.support.sim_requests import task_requests

DECRYPT_FAILED = 'Security.Authentication.Header.DecryptFailed'
EXPIRED = 'Security.Authentication.Expired'
# Allowance for scheduling on a loaded machine.
SLACK = 0.25
# A verdict or a recovery may be seen this late after the moment it was due (one poll's reads, and scheduling).
MARGIN = 0.75
# Each part's reads are kept within the overall deadline, but the last read of a part is allowed 0.5 s: a wait on
# one CLUSTER AGENT (its cluster part read after its own part) may end up to 2 x 0.5 s after `timeout`.
LAST_READ = 0.5
PARTS = ('obs1 [cluster]', 'obs1')


def gaps(times):
    return [round(b - a, 2) for a, b in zip(times, times[1:])]


def by_deadline(timeout, parts_in_sequence=2):
    """The latest a wait may end: its deadline, plus the last read of each part read one after the other."""
    return timeout + parts_in_sequence * LAST_READ + SLACK


# ---------------------------------------------------------------------------------------------- restarts


def test_agent_restart_refusing_connections_for_10s_mid_wait_ends_succeeded(sim_cluster):
    """Fault: the agent restarts after the first poll and refuses connections for 10 s.
    Verdict: the wait goes on through the outage (it is shorter than unreachable_timeout) and ends succeeded; both
    parts (the cluster DAGs and the agent's own) say when the agent stopped answering and when it came back."""
    sim = sim_cluster(agents=3, password=PASSWORD, scenario='scale_out', step_seconds=2.0)
    agent = sim.agents[0]
    dag_id = sim.find_dag('Cluster scale out')
    restarted = []

    def restart():
        restarted.append(time.monotonic())
        agent.restart(rotate_key=False, down_seconds=10.0)

    run = run_wait(agent, password=PASSWORD, between={1: restart})
    assert run.outcome == 'succeeded', run.msg
    assert [d['id'] for d in run.result['dags']] == [dag_id]
    assert run.part('cluster')['outcome'] == 'succeeded' and run.part('agent')['outcome'] == 'idle'
    assert run.result['events'] == [line for dummy, line in run.lines]
    for label in PARTS:
        down = run.lines_with('; retrying for up to 5:00', label)
        back = run.lines_with('is answering again after', label)
        assert len(down) == 1 and len(back) == 1, (label, run.lines)
        assert 'cannot connect' in down[0] and 'Connection refused' in down[0], down
        assert 'agent %s is answering again after 0:' % agent.address in back[0], back
    back_at = min(run.times_of('is answering again after'))
    came_up = [e[0] for e in sim.events if e[1] == 'agent_up' and e[0] > restarted[0]][0]
    # Every line after the agent came back: the wait carried on with the same DAG to its end.
    after = [line for t, line in run.lines if t >= back_at]
    assert any(line.startswith('obs1 [cluster] | Cluster scale out | 9/9 ') and 'SUCCEED' in line for line in after), \
        run.lines
    assert came_up - restarted[0] >= 10.0
    lag = back_at - came_up
    assert 0 <= lag <= 8.0 + MARGIN  # the backoff is capped at max(poll_interval, 10 s); here 8 s was next
    name = 'restart, refused 10 s'
    figure(name, 'outage (s)', round(came_up - restarted[0], 1))
    figure(name, 'seen back after the agent came up (s)', round(lag, 1))
    figure(name, 'failed polls during the outage (cluster part)', run.engine.polls - run.engine.good_reads)
    figure(name, 'wait elapsed (s) / polls', '%.1f / %d' % (run.result['elapsed'], run.result['polls']))


def test_new_rsa_key_after_upgrading_into_4_4_2_is_fetched_once(sim_cluster):
    """Fault: mid-wait the agent is upgraded from 4.4.1 to 4.4.2 and restarts with a new (1024-bit) RSA key.
    Verdict: one request fails with DecryptFailed, the client fetches the key once and the wait ends succeeded;
    the other part, on the same client, uses the new key at once."""
    sim = sim_cluster(agents=3, password=PASSWORD, scenario='scale_out', step_seconds=0.3, profile='4.4.1')
    agent = sim.agents[0]

    def upgrade():
        agent.profile = '4.4.2'
        agent.restart(rotate_key=False)     # a 512-bit stored key is regenerated at start-up (§1.3)

    run = run_wait(agent, password=PASSWORD, between={1: upgrade})
    assert run.outcome == 'succeeded', run.msg
    assert run.client.stats['key_refreshes'] == 1
    assert len(with_err_code(agent, DECRYPT_FAILED)) == 1
    assert len(requests_to(agent, '/api/v1/secret')) == 2       # the first key, and the new one once
    assert run.client.public_key().bits == 1024 and run.client.version == '4.4.2.0-0'
    # The refresh happened inside the client: neither part saw an outage.
    assert not run.lines_with('retrying for up to'), run.lines
    assert not run.lines_with('answering again'), run.lines
    figure('new RSA key (4.4.1 -> 4.4.2)', 'DecryptFailed answers / key fetches / retries',
           '%d / %d / %d' % (len(with_err_code(agent, DECRYPT_FAILED)), len(requests_to(agent, '/api/v1/secret')),
                             run.client.stats['retries']))


# ---------------------------------------------------------------------------------------------- 5xx


def test_503_on_four_polls_then_recovery_is_retried_with_backoff_and_succeeds(sim_cluster):
    """Fault: after the first poll the agent answers 503 to the next 8 requests (four polls: each poll reads it once
    per part), then recovers.
    Verdict: each failed poll is retried after a doubling delay (0.5, 1, 2, 4 s), one request per part each time;
    the wait ends succeeded."""
    sim = sim_cluster(agents=1, password=PASSWORD, scenario='scale_out', step_seconds=0.4)
    agent = sim.agents[0]
    run = run_wait(agent, password=PASSWORD, between={1: lambda: agent.inject_errors(8, status=503)})
    assert run.outcome == 'succeeded', run.msg
    failed = [r for r in agent.requests if r['status'] == 503]
    assert len(failed) == 8
    failed_polls = polls_of(failed)
    assert [len(poll) for poll in failed_polls] == [2, 2, 2, 2], [[round(r['time'], 2) for r in p] for p in failed_polls]
    first_after = [r for r in agent.requests if r['time'] > failed[-1]['time']][0]
    delays = gaps([poll[0]['time'] for poll in failed_polls] + [first_after['time']])
    assert len(delays) == 4
    for measured, planned in zip(delays, (0.5, 1.0, 2.0, 4.0)):
        assert planned - 0.05 <= measured <= planned + 0.5, delays
    for label in PARTS:
        assert len(run.lines_with('; retrying for up to', label)) == 1, run.lines
        assert len(run.lines_with('answering again', label)) == 1, run.lines
    figure('503 on 4 polls then recovery', 'delays between polls (s)', delays)
    figure('503 on 4 polls then recovery', 'requests in all / answered 503',
           '%d / %d' % (len(agent.requests), len(failed)))


@pytest.mark.parametrize('when', ['from the start', 'mid-wait'])
def test_503_beyond_the_budget_is_a_clear_unreachable_verdict(sim_cluster, when):
    """Fault: the agent answers 503 to everything for longer than unreachable_timeout (3 s here).
    Verdict: unreachable, naming the agent, the 503 and the budget, within the budget; a handful of requests (at
    most one per part and backoff step), no storm."""
    sim = sim_cluster(agents=1, password=PASSWORD, scenario=held_scale_out(hold_at=3))
    agent = sim.agents[0]

    def storm():
        agent.inject_errors(1000, status=503)

    if when == 'from the start':
        storm()
        run = run_wait(agent, password=PASSWORD, unreachable_timeout=3)
    else:
        run = run_wait(agent, password=PASSWORD, unreachable_timeout=3, between={1: storm})
    assert run.outcome == 'unreachable', run.msg
    assert run.result['failed'] is True
    msg = run.msg
    # It answered, with 503s: "has not answered" would send the operator looking for a network problem.
    assert 'the reads of agent %s have failed for 0:03 (unreachable_timeout 3s): ' % agent.address in msg, msg
    assert 'HTTP 503' in msg, msg
    for_seconds = run.result['unreachable_agent']['for_seconds']
    assert 3.0 <= for_seconds <= 3.0 + MARGIN
    answered_503 = [r for r in agent.requests if r['status'] == 503]
    failed_polls = polls_of(answered_503)
    # Backoff 0.5 s, 1 s, then one last try as the window closes: 4 polls, each one request per part.
    assert len(failed_polls) <= 5 and all(len(poll) <= 2 for poll in failed_polls), \
        [[round(r['time'], 2) for r in poll] for poll in failed_polls]
    figure('503 beyond the budget (%s)' % when, 'unreachable after (s) / 503 answers / failed polls',
           '%.1f / %d / %d' % (for_seconds, len(answered_503), len(failed_polls)))


# ---------------------------------------------------------------------------------------------- slow answers


def test_slow_answers_beyond_the_request_timeout_are_retried_then_succeed(sim_cluster):
    """Fault: two answers take 2.5 s while request_timeout is 1 s (the next read of each part).
    Verdict: both reads time out after 1 s, each part retries with backoff, and the wait ends succeeded."""
    sim = sim_cluster(agents=1, password=PASSWORD, scenario='scale_out', step_seconds=0.4)
    agent = sim.agents[0]
    run = run_wait(agent, password=PASSWORD, request_timeout=1,
                   between={1: lambda: agent.inject_delay(2.5, count=2)})
    assert run.outcome == 'succeeded', run.msg
    down = run.lines_with('; retrying for up to')
    assert sorted(line.split(' | ')[0] for line in down) == sorted(PARTS), run.lines
    assert all('no answer within the 1s request timeout' in line for line in down), down
    assert len(run.lines_with('answering again')) == 2, run.lines
    # The agent logs a request when it answers, 2.5 s after it came in, after the client had given up on it.
    assert wait_until(lambda: len([r for r in agent.requests if r['fault'] == 'delay']) == 2, timeout=5)
    figure('slow answers x2 (2.5 s > request_timeout 1 s)', 'wait elapsed (s) / polls',
           '%.1f / %d' % (run.result['elapsed'], run.result['polls']))


def never_answering(sim_cluster):
    """A wait (timeout 4 s, request_timeout 1.5 s) on an agent whose answers take 30 s from the second poll on."""
    sim = sim_cluster(agents=1, password=PASSWORD, scenario=held_scale_out(hold_at=3))
    agent = sim.agents[0]
    assert wait_until(lambda: sim.dag_dto(sim.find_dag('Cluster scale out'), False)['stage'] == 3)
    run = run_wait(agent, password=PASSWORD, timeout=4, request_timeout=1.5,
                   between={1: lambda: agent.inject_delay(30, count=1000)})
    return agent, run


def test_answers_that_never_come_end_the_wait_by_its_deadline(sim_cluster):
    """Fault: from the second poll on, every answer takes 30 s (request_timeout 1.5 s, timeout 4 s).
    Verdict: unreachable, given by the overall deadline and saying so (not by unreachable_timeout, 300 s), naming
    the agent and the last known state of the DAG; never later than the deadline and each part's last read."""
    agent, run = never_answering(sim_cluster)
    assert run.outcome == 'unreachable', run.msg
    msg = run.msg
    assert 'the overall deadline (timeout 4s) passed after 0:0' in msg, msg
    assert 'while agent %s was not answering (for 0:0' % agent.address in msg, msg
    assert 'no answer within the ' in msg and 'last known: DAG ' in msg, msg
    assert 'has not answered for' not in msg and 'unreachable_timeout' not in msg, msg
    down = run.lines_with('; retrying for up to')
    assert sorted(line.split(' | ')[0] for line in down) == sorted(PARTS), run.lines
    assert all('no answer within the 1.5s request timeout' in line for line in down), down
    assert run.seconds <= by_deadline(4), run.seconds
    figure('answers never come (timeout 4 s)', 'verdict after (s)', round(run.seconds, 2))


def test_a_deadline_verdict_names_the_request_timeout_that_was_set(sim_cluster):
    """Fault: as above (answers never come, request_timeout 1.5 s, timeout 4 s).
    Verdict: the reason quoted is the agent's silence within the request_timeout the operator set (1.5 s), as the
    outage lines say."""
    # Failed before the fix, which this test guards: the verdict quotes the last failed read, whose time the deadline
    # had cut to its 0.5 s floor: "... was not answering (for 0:03): OBShell agent ...: no answer within the 0.5s
    # request timeout". 0.5 s is a number the operator never set (request_timeout is 1.5); it reads as if the
    # requests had been given 0.5 s, and sends the operator looking for a wrong setting. The outage lines, written
    # before the deadline cut in, say 1.5s.
    agent, run = never_answering(sim_cluster)
    assert run.outcome == 'unreachable', run.msg
    assert 'no answer within the 1.5s request timeout' in run.msg, run.msg
    assert 'no answer within the 0.5s request timeout' not in run.msg, run.msg


def test_a_poll_of_several_slow_requests_still_ends_by_the_deadline(sim_cluster):
    """Fault: the first three answers take 2 s each; timeout 3 s, request_timeout 30 s.
    Verdict: no later than the deadline and each part's last read. The per-request timeout is capped at what is left
    of the deadline, and one poll makes several requests (info, key, a list per part, a DAG read), so each must be
    capped at what is left when it is sent."""
    sim = sim_cluster(agents=1, password=PASSWORD, scenario='scale_out', step_seconds=5)
    agent = sim.agents[0]
    agent.inject_delay(2.0, count=3)
    run = run_wait(agent, password=PASSWORD, timeout=3, request_timeout=30)
    figure('3 slow answers in one poll (timeout 3 s)', 'verdict after (s)', round(run.seconds, 2))
    assert run.seconds <= by_deadline(3), '%s after %.2f s: %s' % (run.outcome, run.seconds, run.msg)
    assert run.outcome in ('timeout', 'unreachable')
    assert 'the overall deadline (timeout 3s) passed' in run.msg or 'timed out after' in run.msg, run.msg


def test_a_batch_of_agents_that_never_answer_still_ends_by_the_deadline(sim_cluster):
    """Fault: one wait on 12 hosts (dag_wait with hosts, the role), and from the second poll on no agent answers
    (30 s per answer); timeout 4 s, request_timeout 1 s.
    Verdict: unreachable, by the bound the wait contract documents (doc fragment wait.py, `timeout`: "Every request
    is kept within it, so the task ends at the latest one request_timeout after it"): 5 s."""
    # Failed before the fix, which this test guards: the verdict comes after 8.5 s, and later the more hosts there
    # are (4.5 s with 1, 5.5 s with 6, 8.5 s with 12: about 0.5 s per host). Once the hosts' own lists have failed
    # (read at once), the cluster DAGs are asked of every CLUSTER AGENT of the batch in turn, and each is given at
    # least 0.5 s (Watcher._cap_requests) even when the deadline has passed. 50 hosts would end about 25 s late.
    count = 12
    sim = sim_cluster(agents=count, password=PASSWORD, scenario=held_scale_out(hold_at=3), profile='4.4.1')

    def hang():
        for agent in sim.agents:
            agent.inject_delay(30, count=1000)

    run = run_wait(sim.agents[0], batch=sim.agents, password=PASSWORD, timeout=4, request_timeout=1,
                   between={1: hang})
    figure('12 hosts never answer (timeout 4 s, request_timeout 1 s)', 'verdict after (s)', round(run.seconds, 2))
    assert run.outcome == 'unreachable', run.msg
    assert sorted(run.result['per_host']) == sorted('obs%d' % (index + 1) for index in range(count))
    assert run.seconds <= 4 + 1 + SLACK, '%s after %.2f s: %s' % (run.outcome, run.seconds, run.msg[:300])


# ---------------------------------------------------------------------------------------------- observer, proxy


def observer_down_for_good(sim_cluster):
    """A wait (unreachable_timeout 3 s) on the only CLUSTER AGENT, whose observer goes down after the first poll."""
    sim = sim_cluster(agents=1, password=PASSWORD, scenario=held_scale_out(hold_at=3))
    agent = sim.agents[0]
    dag_id = sim.find_dag('Cluster scale out')
    assert wait_until(lambda: sim.dag_dto(dag_id, False)['stage'] == 3)
    run = run_wait(agent, password=PASSWORD, unreachable_timeout=3, between={1: agent.observer_down})
    return agent, dag_id, run


def test_cluster_dags_that_cannot_be_read_are_waited_out_and_never_idle(sim_cluster):
    """Fault: after the first poll the observer behind the only CLUSTER AGENT goes down for good (spec §11.6: the
    cluster route fails, the aggregated /dag/unfinish would answer without the cluster DAGs).
    Verdict: "cluster DAGs unknown" is an outage of the cluster part, waited out for unreachable_timeout and then
    unreachable, never idle, with the DAG last seen; the agent's own part reads on, idle. The aggregated list is
    never read."""
    agent, dag_id, run = observer_down_for_good(sim_cluster)
    assert run.outcome == 'unreachable', run.msg
    cluster = run.part('cluster')
    assert cluster['outcome'] == 'unreachable', cluster['msg']
    assert 'cluster DAGs unknown: the agent cannot read them now (the observer process is not running)' in run.msg
    assert "last known: DAG %s 'Cluster scale out' still RUNNING at 3/9" % dag_id in run.msg, run.msg
    assert 3.0 <= cluster['unreachable_agent']['for_seconds'] <= 3.0 + MARGIN
    own = run.part('agent')
    assert own['outcome'] == 'idle' and own['unreachable_agent'] is None, own['msg']
    down = run.lines_with('; retrying for up to 0:03')
    assert len(down) == 1 and down[0].startswith('obs1 [cluster] | ') and 'cluster DAGs unknown' in down[0], run.lines
    assert requests_to(agent, AGGREGATED_LIST) == []
    own_reads = requests_to(agent, AGENT_LIST)
    assert own_reads and all(r['status'] == 200 for r in own_reads)
    cluster_reads = [r['status'] for r in requests_to(agent, CLUSTER_LIST)]
    assert cluster_reads[0] == 200 and set(cluster_reads[1:]) == {500}, cluster_reads
    figure('observer down for good (unreachable_timeout 3 s)', 'verdict after (s) / failed cluster reads / own reads',
           '%.1f / %d / %d' % (run.seconds, len(cluster_reads) - 1, len(own_reads)))


def test_cluster_dags_unknown_is_not_reported_as_an_agent_that_did_not_answer(sim_cluster):
    """Fault: as above (the observer behind the only CLUSTER AGENT down for good).
    Verdict: unreachable, saying that the cluster DAGs could not be read; not that the agent did not answer: it
    answered every poll (its own list, /status, and the cluster route's HTTP 500 with the reason)."""
    # Failed before the fix, which this test guards: the verdict is "agent 127.0.0.1:P has not answered for 0:03
    # (unreachable_timeout 3s): OBShell agent 127.0.0.1:P: cluster DAGs unknown: ...", and unreachable_agent names
    # that agent, while the same agent answered its own part's reads all along (200) and said why it could not
    # read the cluster DAGs. A careful operator would not write "has not answered" and go looking for a network
    # problem; the observer is what is down.
    agent, dag_id, run = observer_down_for_good(sim_cluster)
    assert run.outcome == 'unreachable', run.msg
    assert all(r['status'] == 200 for r in requests_to(agent, AGENT_LIST))
    assert 'has not answered' not in run.msg, run.msg


def test_a_proxy_that_is_down_ends_the_wait_at_once_naming_the_proxy(sim_cluster):
    """Fault: HTTP_PROXY on the controller names a proxy that is down (it refuses connections).
    Verdict: error at once (kind proxy: configuration, not retried for unreachable_timeout as if the agent were
    down), naming the proxy, the variable it came from and the ways around it; nothing reaches the agent. With
    use_proxy false the same wait succeeds."""
    sim = sim_cluster(agents=1, password=PASSWORD, scenario='scale_out', step_seconds=0.1)
    agent = sim.agents[0]
    environ = {'HTTP_PROXY': 'http://127.0.0.1:9'}
    run = run_wait(agent, password=PASSWORD, environ=environ)
    assert run.outcome == 'error', run.msg
    assert run.result['error']['kind'] == 'proxy'
    assert [(p['outcome'], p['error']['kind']) for p in run.result['parts']] == [('error', 'proxy')] * 2
    assert run.result['polls'] == 1 and run.seconds < 2
    assert not run.lines_with('retrying for up to'), run.lines
    msg = run.msg
    assert 'the proxy http://127.0.0.1:9 (from HTTP_PROXY) cannot be used' in msg, msg
    assert 'unless NO_PROXY names the agent or use_proxy is false' in msg, msg
    assert agent.requests == []
    direct = run_wait(agent, password=PASSWORD, environ=environ, use_proxy=False)
    assert direct.outcome == 'succeeded', direct.msg
    figure('proxy down (HTTP_PROXY)', 'verdict',
           '%s after %.2f s: %s' % (run.outcome, run.seconds, msg[msg.find('the proxy'):][:90]))


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
        assert run.outcome == 'succeeded', run.msg
        down = run.lines_with('; retrying for up to')
        assert len(down) == 1 and "HTTP 502 with '<html>" in down[0], run.lines
        assert len(run.lines_with('answering again', down[0].split(' | ')[0])) == 1, run.lines
    else:
        assert run.outcome == 'error', run.msg
        assert run.result['error']['kind'] == 'protocol'
        assert run.result['polls'] == 1
        assert 'cannot wait: OBShell agent %s: GET /api/v1/info: HTTP 200 with ' % agent.address in run.msg, run.msg
        assert 'not an OBShell JSON envelope' in run.msg
        assert not run.lines_with('retrying for up to'), run.lines
    figure('malformed "%s" first' % kind, 'verdict', run.msg[:120])


@pytest.mark.parametrize('kind', ['html', 'empty', 'truncated', 'missing_fields'])
def test_malformed_answer_mid_wait_is_an_outage_then_succeeded(sim_cluster, kind):
    """Fault: after a good read, one answer is malformed (an upgrade or a proxy restart can do that).
    Verdict: the part whose read got it counts an outage, its next poll reads normally, and the wait ends
    succeeded; the other part is not disturbed."""
    sim = sim_cluster(agents=1, password=PASSWORD, scenario='scale_out', step_seconds=0.2)
    agent = sim.agents[0]
    run = run_wait(agent, password=PASSWORD, between={1: lambda: agent.inject_malformed(kind)})
    assert run.outcome == 'succeeded', run.msg
    down = run.lines_with('; retrying for up to')
    assert len(down) == 1 and 'not an OBShell JSON envelope' in down[0], run.lines
    label = down[0].split(' | ')[0]
    assert run.lines_with('answering again') == run.lines_with('answering again', label) and \
        len(run.lines_with('answering again')) == 1, run.lines


# ---------------------------------------------------------------------------------------------- credentials

WRONG = 'Wr0ng-pass/word'
# The lists a wait reads in its first poll: a CLUSTER AGENT has the cluster DAGs and its own; any other agent only
# its own (it has no cluster DAGs to read, §2.4).
BOTH_LISTS = (AGENT_LIST, CLUSTER_LIST)

CREDENTIAL_CASES = [
    # (case, cluster settings, wait options, errCode the agent answers, words of the message, lists asked)
    ('wrong root password', {}, {'password': WRONG},
     'Security.Authentication.IncorrectOceanbasePassword', 'root@sys password is wrong', BOTH_LISTS),
    ('wrong agent password', {'agent_password': AGENT_PASSWORD}, {'password': PASSWORD, 'agent_password': WRONG},
     'Security.Authentication.IncorrectAgentPassword', 'agent password is wrong', BOTH_LISTS),
    ('agent_password given, the agent has none', {}, {'agent_password': AGENT_PASSWORD},
     'Security.Authentication.IncorrectOceanbasePassword', 'agent_password is not used because this agent has no',
     BOTH_LISTS),
    ('root password to a MASTER with an agent password', {'agent_password': AGENT_PASSWORD, 'identities': 'MASTER'},
     {'password': PASSWORD}, 'Security.Authentication.WithAgentPassword', 'give agent_password', (AGENT_LIST,)),
    ('root password to a SINGLE with an agent password', {'agent_password': AGENT_PASSWORD, 'identities': 'SINGLE'},
     {'password': PASSWORD}, None, 'SINGLE agent with an agent password set: give agent_password', ()),
    ('wrong root password, 4.2.3', {'profile': '4.2.3'}, {'password': WRONG}, None, 'err.unauthorized', BOTH_LISTS),
]


@pytest.mark.parametrize('case,cluster,options,err_code,words,lists', CREDENTIAL_CASES,
                         ids=[c[0] for c in CREDENTIAL_CASES])
def test_bad_credentials_fail_fast_with_the_agents_reason(sim_cluster, case, cluster, options, err_code, words, lists):
    """Fault: wrong root password, wrong agent password, or the wrong kind of password for how the agent is set up.
    Verdict: outcome error after one poll, with the agent's reason, and no retry: the simulator's request log
    counts the authenticated requests, at most one per list the wait reads (each part tries once), each refused."""
    sim = sim_cluster(agents=1, password=PASSWORD, scenario='scale_out', step_seconds=0.5, **cluster)
    agent = sim.agents[0]
    run = run_wait(agent, **options)
    result = run.result
    assert result['outcome'] == 'error', result['msg']
    assert result['error']['kind'] == 'auth' and result['error']['err_code'] == err_code
    assert words in result['msg'], result['msg']
    if result['error']['agent_message']:
        assert result['error']['agent_message'] in result['msg']
    # Every part that read ended with the same auth error; none was left waiting.
    assert [p['outcome'] for p in result['parts']] == ['error'] * len(result['parts'])
    assert all(p['error']['kind'] == 'auth' for p in result['parts'])
    assert result['polls'] == 1 and run.seconds < 2
    asked = task_requests(agent)
    assert sorted(r['path'] for r in asked) == sorted(lists)
    assert all(r['status'] == 401 for r in asked), [(r['path'], r['status']) for r in asked]
    assert not run.lines_with('retrying for up to'), run.lines
    for secret in (PASSWORD, AGENT_PASSWORD, WRONG):
        assert secret not in str(result)
    figure('credentials: %s' % case, 'task requests / verdict after (s)', '%d / %.2f' % (len(asked), run.seconds))


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
    assert not refused.lines_with('retrying for up to'), refused.lines
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
    """Fault: 50 agents, each running its own 'Start observer' DAG, each waited on by a wait of its own (scope agent)
    at the same time (50 threads).
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
    assert requests_to(sim, AGGREGATED_LIST) == [] and requests_to(sim, CLUSTER_LIST) == []
    per_agent = []
    stages = len(START_OBSERVER_NODES)
    for agent, run in zip(sim.agents, runs):
        made = len(agent.requests)
        per_agent.append(made)
        assert len(requests_to(agent, AGENT_LIST)) == run.result['polls']
        # info + key, one list per poll, one detailed read per stage, one final read of the DAG that left the list
        assert made <= 2 + run.result['polls'] + stages + 1, (agent.address, made, run.result['polls'])
    total = sum(per_agent)
    figure('50 agents at once', 'wall time (s)', round(seconds, 1))
    figure('50 agents at once', 'requests in all / per agent min-max',
           '%d / %d-%d' % (total, min(per_agent), max(per_agent)))
    figure('50 agents at once', 'failed requests / client retries', '0 / 0')


def test_fifty_hosts_in_one_wait_read_each_list_once_per_poll(sim_cluster):
    """Fault: one wait on 50 hosts (dag_wait with hosts, what the role runs), each agent running its own 'Start
    observer' DAG while the cluster runs a scale-out.
    Verdict: succeeded, every host's own DAG and the scale-out seen to their end. Each poll reads each agent's own
    list once and the cluster list once, of the first CLUSTER AGENT only; no request fails,
    nothing reads the aggregated list, and each agent gets only what its parts need."""
    count = 50
    scenario = {'name': 'a scale-out and 50 local DAGs',
                'dags': [{'template': 'scale_out', 'step_seconds': 0.3}]
                + [{'template': 'start_observer', 'scope': 'local', 'agent': index, 'step_seconds': 0.3}
                   for index in range(count)]}
    sim = sim_cluster(agents=count, password=PASSWORD, scenario=scenario, profile='4.4.1')
    run = run_wait(sim.agents[0], batch=sim.agents, password=PASSWORD, timeout=60)
    assert run.outcome == 'succeeded', run.msg[:2000]
    hosts = ['obs%d' % (index + 1) for index in range(count)]
    assert run.result['hosts'] == hosts
    assert dict((host, run.result['per_host'][host]['outcome']) for host in hosts) == dict.fromkeys(hosts, 'succeeded')
    cluster = run.result['cluster']
    assert cluster['outcome'] == 'succeeded' and cluster['host'] == 'obs1' and cluster['switches'] == []
    assert [d['name'] for d in cluster['dags']] == ['Cluster scale out']
    assert len(run.result['dags']) == count + 1
    assert [r for r in sim.requests if r['status'] != 200] == []
    assert requests_to(sim, AGGREGATED_LIST) == []
    cluster_lists = requests_to(sim, CLUSTER_LIST)
    assert set(r['agent'] for r in cluster_lists) == {sim.agents[0].address}
    assert len(cluster_lists) == run.part('cluster')['polls']
    per_agent = []
    stages = len(START_OBSERVER_NODES)
    for host, agent in zip(hosts, sim.agents):
        polls = run.part('agent', host)['polls']
        assert len(requests_to(agent, AGENT_LIST)) == polls, host
        # info + key, one own list per poll, one detailed read per stage, one final read; obs1 also the cluster
        # part's: one cluster list per poll, one detailed read per stage of the scale-out, one final read.
        budget = 2 + polls + stages + 1
        if host == 'obs1':
            budget += run.part('cluster')['polls'] + len(SCALE_OUT_NODES) + 1
        made = len(agent.requests)
        per_agent.append(made)
        assert made <= budget, (host, made, budget, [r['path'] for r in agent.requests])
    # How long one poll's 50 reads of the hosts' own lists took, first to last (they are sent at once). The k-th
    # read of each agent is of poll k: grouping by time gaps merged polls on a loaded machine.
    reads = [sorted(r['time'] for r in requests_to(agent, AGENT_LIST)) for agent in sim.agents]
    spreads = [max(times) - min(times) for times in zip(*reads)]
    assert spreads, 'no poll read every host'
    figure('50 hosts in one wait', 'wall time (s) / polls', '%.1f / %d' % (run.seconds, run.result['polls']))
    figure('50 hosts in one wait', 'requests in all / obs1 / others min-max', '%d / %d / %d-%d' % (
        sum(per_agent), per_agent[0], min(per_agent[1:]), max(per_agent[1:])))
    figure('50 hosts in one wait', "one poll's 50 own-list reads, first to last (s), max", round(max(spreads), 2))


@pytest.mark.parametrize('first', ['SINGLE', 'TAKE OVER MASTER'])
def test_the_event_source_sees_a_cluster_that_forms_after_it_started(sim_cluster, first):
    # Real clients against simulated agents: agents that are not CLUSTER AGENTs when the source starts (a cluster not
    # yet formed, a take-over under way) become ones, and a scale-out then fails: the source reports it (found by the
    # red team: it read each identity once, and the failed scale-out was never reported).
    from ansible_collections.oceanbase.obshell.plugins.module_utils import _options
    from ansible_collections.oceanbase.obshell.plugins.plugin_utils import _dag_poller

    sim = sim_cluster(agents=2, password='pw', scenario='idle', step_seconds=0.2)
    for agent in sim.agents:
        agent.identity = first
    agents = []
    for agent in sim.agents:
        clients = [_options.client_from_options({'password': 'pw', 'request_timeout': 3.0}, host='127.0.0.1',
                                                port=agent.port, retries=0) for dummy in range(2)]
        agents.append(_dag_poller.Agent(agent.address, clients[0], clients[1]))
    source = _dag_poller.EventPoller(agents, scope='auto', request_timeout=3.0)
    try:
        before = [event['obshell']['event'] for event in source.poll() + source.poll()]
        assert not [name for name in before if name.startswith('dag_')], before
        for agent in sim.agents:
            agent.identity = 'CLUSTER AGENT'
        sim.run_scenario('scale_out_fail')
        seen = []
        deadline = time.monotonic() + 30
        while 'dag_failed' not in seen and time.monotonic() < deadline:
            time.sleep(0.3)
            seen.extend(event['obshell']['event'] for event in source.poll())
        assert 'dag_appeared' in seen and 'dag_failed' in seen, seen
    finally:
        source.close()


def test_agents_that_never_answer_cost_the_event_source_one_request_timeout_not_one_each(sim_cluster, raw_server):
    # Four agents of the list accept connections and never answer. The one-cluster check asked each one's identity
    # in turn, a request_timeout each, every poll: 8 s a poll at request_timeout 2 (found by the red team). They are
    # asked at once, and only in the identity sweep; the check itself uses identities as last read.
    from ansible_collections.oceanbase.obshell.plugins.module_utils import _options
    from ansible_collections.oceanbase.obshell.plugins.plugin_utils import _dag_poller
    from tests.support.http_servers import stalls

    sim = sim_cluster(agents=1, password='pw', scenario='idle')
    holes = [raw_server(stalls) for dummy in range(4)]
    agents = []
    for address, port in [(sim.agents[0].address, sim.agents[0].port)] + [
            ('127.0.0.1:%d' % hole.port, hole.port) for hole in holes]:
        clients = [_options.client_from_options({'password': 'pw', 'request_timeout': 2.0}, host='127.0.0.1',
                                                port=port, retries=0) for dummy in range(2)]
        agents.append(_dag_poller.Agent(address, clients[0], clients[1]))
    source = _dag_poller.EventPoller(agents, scope='auto', request_timeout=2.0)
    took = []
    try:
        for dummy in range(3):
            started = time.monotonic()
            events = source.poll()
            took.append(time.monotonic() - started)
        unreachable = set(event['obshell']['agent'] for event in events + source.poll()
                          if event['obshell']['event'] == 'agent_unreachable')
    finally:
        source.close()
    figure('event source, 4 agents never answering (request_timeout 2 s)', 'seconds per poll (3 polls)',
           ' / '.join('%.1f' % seconds for seconds in took))
    # Each poll: the agents' own lists at once (2 s), and the first one's sweep at once (2 s): never 4 x 2 s.
    assert all(seconds < 6.0 for seconds in took), took
    assert not unreachable or unreachable <= set(agent.address for agent in agents[1:])
