# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""No verdict without evidence, and no blind windows: the wait (_watcher.py, _engine.py) against agents that try to
make it say idle or succeeded when it has not read the proof.

Written from the side of a network and of other operators: an agent scaled in mid-wait, a re-deployed agent that
gives old ids to new DAGs or answers 404 for a DAG it showed, someone retrying a failed DAG that fails again between
two polls, DAGs that start and end between polls or while the agent (or only its observer) cannot be read, clocks
minutes apart, and agents too old to keep a history. Same fake agents and clock as test_watcher.py
(tests/support/agents.py, tests/support/clock.py).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime

import pytest

from ansible_collections.oceanbase.obshell.plugins.module_utils import _parts, _watcher
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import ObshellServerError
from tests.support.agents import (
    AGENT_EPOCH,
    LOCAL_ID,
    NODES,
    FakeAgent,
    dto,
    observer_down,
    options,
    refused,
    scale_out,
)
from tests.support.clock import FakeClock


@pytest.fixture
def clock():
    return FakeClock()


def at(seconds):
    """An agent timestamp (RFC 3339, +08:00 like the agents) ``seconds`` after the fake clock's 0, on the agent's clock."""
    moment = datetime.datetime.fromtimestamp(AGENT_EPOCH + seconds, datetime.timezone(datetime.timedelta(hours=8)))
    return moment.isoformat()


def timed(item, start, end=None):
    """``item`` with its own start (and end) time, in seconds of the fake clock on the agent's clock."""
    item = dict(item)
    item['start_time'] = at(start)
    item['end_time'] = at(end) if end is not None else at(start - 1)   # running: end_time holds the creation time
    return item


class ScaledIn(FakeAgent):
    """A CLUSTER AGENT that becomes ``later`` at ``when``: its /api/v1/info says so, and the cluster route fails as
    the real agent's does on a non-cluster identity (500, §2.4)."""

    def __init__(self, clock, when, later, **kwargs):
        FakeAgent.__init__(self, clock, **kwargs)
        self.when = when
        self.later = later

    @property
    def identity(self):
        return self.identity_value if self.clock() < self.when else self.later

    def info(self, refresh=False):
        data = FakeAgent.info(self, refresh)
        data['identity'] = self.identity
        return data

    def unfinished_dags(self, scope, show_details=False):
        if scope == 'cluster' and self.clock() >= self.when:
            self._request(('list', scope, show_details))
            raise ObshellServerError('GET /api/v1/task/dag/ob/unfinish: the agent answered HTTP 500 [Common.Unexpected]: '
                                     'ocsagent cannot build response body', agent=self.address, status=500,
                                     retryable=False)
        return FakeAgent.unfinished_dags(self, scope, show_details)


class ObserverAware(FakeAgent):
    """/api/v1/status says obState 0 while the cluster route is down (the observer restarting), and is counted."""

    def status(self):
        self._request(('status',))
        down = any(start <= self.clock() < end for start, end, dummy in self.cluster_outages)
        return {'obState': 0 if down else 3}


def wait(agents, clock, **changes):
    warnings = []
    if not isinstance(agents, list):
        agents = [agents]
    targets = [_parts.Target('obs%d' % (index + 1), agent) for index, agent in enumerate(agents)]
    combined, watcher = _watcher.run_wait(options(**changes), targets, clock=clock, sleep=clock.sleep,
                                          warn=warnings.append)
    result = _watcher.wait_result(combined, watcher, single_host=len(agents) == 1)
    result['warnings'] = warnings
    return result, watcher


# ------------------------------------------------------------------------------------ identity of the source


def test_a_cluster_agent_scaled_in_mid_wait_is_never_taken_for_idle(clock):
    # Seen before: the cluster part was dropped when its only source stopped being a CLUSTER AGENT, and the wait
    # said idle after 6 s while the scale-out it tracked ran on for 80 s.
    agent = ScaledIn(clock, when=6.0, later='SCALING IN')
    scale_out(agent, step=20.0)
    result, dummy = wait(agent, clock, poll_interval=2, unreachable_timeout=20)
    assert result['outcome'] == 'unreachable'
    assert result['failed'] is True
    assert 'no agent of the batch is a CLUSTER AGENT any more (they are SCALING IN)' in result['msg']
    assert 'Cluster scale out' in result['msg']      # what it last knew is said


def test_a_cluster_agent_scaled_in_mid_wait_fails_over_to_another_cluster_agent(clock):
    first = ScaledIn(clock, when=6.0, later='UNIDENTIFIED')
    second = FakeAgent(clock, address='10.0.0.2:2886')
    for agent in (first, second):
        scale_out(agent, step=5.0, stage_count=4)
    result, dummy = wait([first, second], clock, poll_interval=2)
    assert result['outcome'] == 'succeeded'
    cluster = next(p for p in result['parts'] if p['part'] == 'cluster')
    assert cluster['switches'] and cluster['switches'][0]['to'] == 'obs2'


def test_a_batch_that_never_had_a_cluster_agent_still_has_no_cluster_part(clock):
    agent = FakeAgent(clock, identity='SINGLE')
    result, dummy = wait(agent, clock)
    assert result['outcome'] == 'idle'
    assert result['cluster'] is None


# ------------------------------------------------------------------------------------ identity of a DAG


def test_an_id_reused_by_another_dag_after_a_redeploy_is_not_its_success(clock):
    # A local generic id encodes only address, port and a sqlite row id: a re-deployed agent gives it again.
    agent = FakeAgent(clock, identity='SINGLE')
    nodes = ['Install obshell package', 'Check']
    agent.add(LOCAL_ID, (0.0, dto(LOCAL_ID, 'Install obshell package', stage=1, nodes=nodes)),
              (8.0, dto(LOCAL_ID, 'Start obshell', state='SUCCEED', stage=2, nodes=['Start obshell', 'Check'])))
    result, dummy = wait(agent, clock, names=['Install obshell package'], poll_interval=5)
    assert result['outcome'] == 'error'
    assert result['failed'] is True
    assert result['error']['kind'] == 'dag_replaced'
    assert "'Install obshell package'" in result['msg'] and "'Start obshell'" in result['msg']
    assert 'succeeded' not in result['msg']


def test_a_dag_that_answers_404_after_it_was_seen_vanishes_within_one_poll(clock):
    agent = FakeAgent(clock, identity='SINGLE')
    agent.add(LOCAL_ID, (0.0, dto(LOCAL_ID, 'Start observer', stage=1, nodes=['a', 'b'])), (8.0, None))
    result, dummy = wait(agent, clock, poll_interval=5)     # timeout 3600: before, it was polled for an hour
    assert result['outcome'] == 'error'
    assert result['error']['kind'] == 'dag_vanished'
    assert 'vanished' in result['msg'] and "'Start observer'" in result['msg']
    assert result['elapsed'] <= 10.0


def test_a_dag_waited_on_by_id_that_answers_404_later_vanishes(clock):
    agent = FakeAgent(clock, identity='SINGLE')
    agent.add(LOCAL_ID, (0.0, dto(LOCAL_ID, 'Start observer', stage=1, nodes=['a', 'b'])), (8.0, None))
    result, dummy = wait(agent, clock, poll_interval=5, id=LOCAL_ID)
    assert result['outcome'] == 'error'
    assert result['error']['kind'] == 'dag_vanished'


def test_a_failure_retried_by_someone_and_failed_again_between_polls_reports_the_new_failure(clock):
    # fail_on without 'failed': the wait goes on past the first failure, as long as the agent DAG runs.
    agent = FakeAgent(clock)
    first = timed(dto('11', state='FAILED', stage=6, error='ERROR: [Common.Unexpected]: first error'), 0, 1)
    again = timed(dto('11', state='FAILED', stage=6, error='ERROR: [Common.Unexpected]: second error'), 10, 12)
    agent.add('11', (0.0, first), (10.0, timed(dto('11', state='RUNNING', stage=6), 10)), (12.0, again))
    agent.add(LOCAL_ID, (0.0, dto(LOCAL_ID, 'Start observer', stage=1, nodes=['a', 'b'])),
              (30.0, dto(LOCAL_ID, 'Start observer', state='SUCCEED', stage=2, nodes=['a', 'b'])))
    result, dummy = wait(agent, clock, poll_interval=15, fail_on=['timeout'])
    assert result['outcome'] == 'failed'
    assert 'second error' in result['msg']
    assert 'first error' not in result['msg']


def test_a_success_whose_nodes_cannot_be_read_is_never_reported_as_a_success(clock):
    agent = FakeAgent(clock)
    scale_out(agent, step=2.0, stage_count=2)
    agent.fail_reads['11'] = 10 ** 6        # every /dag/11 read fails
    result, dummy = wait(agent, clock, poll_interval=2, timeout=30)
    assert result['outcome'] == 'timeout'
    assert result['outcome'] != 'succeeded'


# ------------------------------------------------------------------------------------ blind windows


def test_a_dag_that_starts_and_ends_between_two_polls_is_read_back_and_fails_the_wait(clock):
    agent = FakeAgent(clock)
    # Not a maintenance DAG: once FAILED it leaves every unfinished list (§4.7). Up from 6 s to 8 s.
    flash = timed(dto('12', 'Stop OB', state='RUNNING', stage=1, maintenance=1, nodes=['a', 'b']), 6)
    failed = timed(dto('12', 'Stop OB', state='FAILED', stage=1, maintenance=1, nodes=['a', 'b']), 6, 8)
    agent.add('12', (6.0, flash), (8.0, failed))
    agent.add(LOCAL_ID, (0.0, dto(LOCAL_ID, 'Start observer', stage=1, nodes=['a', 'b'])),
              (20.0, dto(LOCAL_ID, 'Start observer', state='SUCCEED', stage=2, nodes=['a', 'b'])))
    result, dummy = wait(agent, clock, poll_interval=5)
    assert not any(c[0] in (6.0, 7.0) for c in agent.calls)      # no poll saw it running
    assert result['outcome'] == 'failed'
    assert "'Stop OB'" in result['msg']
    assert any("read back from the agent's history" in line for line in result['events'])
    assert len(agent.requests('history')) == 1 + 1      # one closing read per part (cluster, agent)


def test_a_local_dag_that_fails_while_the_agent_is_down_fails_the_wait(clock):
    # The agent restarts from 0 s to 12 s; its local, non-maintenance DAG (started before the wait) fails at 6 s.
    agent = FakeAgent(clock, identity='SINGLE')
    running = timed(dto(LOCAL_ID, 'Stop observer', stage=1, maintenance=1, nodes=['a', 'b']), -5)
    failed = timed(dto(LOCAL_ID, 'Stop observer', state='FAILED', stage=1, maintenance=1, nodes=['a', 'b']), -5, 6)
    agent.add(LOCAL_ID, (-5.0, running), (6.0, failed))
    agent.outages = [(0.0, 12.0, refused)]
    result, dummy = wait(agent, clock, poll_interval=2)
    assert result['outcome'] == 'failed'
    assert "'Stop observer'" in result['msg']


def test_the_observer_back_is_noticed_at_the_next_poll_not_after_a_backoff(clock):
    # Seen before: the cluster list was backed off 1, 2, 4, 8 s while the observer was down, and read again at
    # 15 s, after the scale-out had ended at 14 s: "idle", the DAG never named.
    agent = ObserverAware(clock)
    running = timed(dto('11', state='RUNNING', stage=3, nodes=NODES[:3]), -10)
    done = timed(dto('11', state='SUCCEED', stage=3, nodes=NODES[:3]), -10, 14)
    agent.add('11', (-10.0, running), (14.0, done))
    agent.cluster_outages = [(0.0, 8.0, observer_down)]
    result, dummy = wait(agent, clock, poll_interval=1)
    assert result['outcome'] == 'succeeded'
    assert [d['id'] for d in result['dags']] == ['11']
    first_list_after = min(c[0] for c in agent.requests('list') if c[2] == 'cluster' and c[0] >= 8.0)
    assert first_list_after <= 9.0
    # While only the observer was missing, its state was asked each poll instead of the list.
    assert len([c for c in agent.requests('status') if c[0] < 8.0]) >= 5


def test_a_dag_that_ends_while_the_observer_is_down_is_read_back_not_idle(clock):
    agent = ObserverAware(clock)
    running = timed(dto('11', state='RUNNING', stage=3, nodes=NODES[:3]), -10)
    done = timed(dto('11', state='SUCCEED', stage=3, nodes=NODES[:3]), -10, 5)
    agent.add('11', (-10.0, running), (5.0, done))
    agent.cluster_outages = [(0.0, 8.0, observer_down)]
    result, dummy = wait(agent, clock, poll_interval=1)
    assert result['outcome'] == 'succeeded'
    assert [d['id'] for d in result['dags']] == ['11']


def test_an_agent_without_history_says_what_it_could_not_see(clock):
    agent = FakeAgent(clock, identity='SINGLE')
    agent.version_value = '4.2.3.0'
    agent.outages = [(0.0, 12.0, refused)]
    result, dummy = wait(agent, clock, poll_interval=2)
    # Strict for verdicts (found by the red team): no idle over a window nobody could see or read back.
    assert result['outcome'] == 'unreachable' and result['failed'] is True
    assert 'what ended meanwhile is unknown' in result['msg'] and 'keeps no DAG history' in result['msg']
    assert any('keeps no DAG history' in text for text in result['warnings'])
    assert not agent.requests('history')
    assert result['parts'][0]['unseen_windows'][0]['seconds'] >= 12


@pytest.mark.parametrize('skew', [-600.0, 0.0, 900.0])
def test_windows_are_read_on_the_agents_clock_minutes_from_ours(clock, skew):
    agent = FakeAgent(clock, identity='SINGLE')
    agent.skew = skew

    def on_agent(item, start, end=None):
        return timed(item, start + skew, None if end is None else end + skew)
    old = on_agent(dto(LOCAL_ID[:-1] + '2', 'Stop observer', state='FAILED', stage=1, maintenance=1,
                       nodes=['a', 'b']), -120, -60)
    flash = on_agent(dto(LOCAL_ID, 'Stop observer', state='FAILED', stage=1, maintenance=1, nodes=['a', 'b']), 6, 8)
    agent.add(LOCAL_ID[:-1] + '2', (-120.0, old))
    agent.add(LOCAL_ID, (6.0, flash))
    agent.add(LOCAL_ID[:-1] + '3', (0.0, dto(LOCAL_ID[:-1] + '3', 'Start observer', stage=1, nodes=['a', 'b'])),
              (20.0, dto(LOCAL_ID[:-1] + '3', 'Start observer', state='SUCCEED', stage=2, nodes=['a', 'b'])))
    result, dummy = wait(agent, clock, poll_interval=5)
    assert result['outcome'] == 'failed'
    ids = [d['id'] for d in result['dags']]
    assert LOCAL_ID in ids                          # ended inside the wait
    assert LOCAL_ID[:-1] + '2' not in ids           # ended a minute before it: not part of this wait


def test_a_named_dag_that_ended_just_before_the_wait_has_appeared(clock):
    agent = FakeAgent(clock, identity='SINGLE')
    done = timed(dto(LOCAL_ID, 'Start observer', state='SUCCEED', stage=2, nodes=['a', 'b']), -10, -2)
    agent.add(LOCAL_ID, (-10.0, done))
    result, dummy = wait(agent, clock, names=['Start observer'], appear_timeout=30)
    assert result['outcome'] == 'succeeded'
    assert result['elapsed'] < 1.0        # not after waiting out the appear window
    assert [d['id'] for d in result['dags']] == [LOCAL_ID]


def test_a_named_dag_that_ended_long_before_the_appear_window_does_not_count(clock):
    agent = FakeAgent(clock, identity='SINGLE')
    done = timed(dto(LOCAL_ID, 'Start observer', state='SUCCEED', stage=2, nodes=['a', 'b']), -100, -90)
    agent.add(LOCAL_ID, (-100.0, done))
    result, dummy = wait(agent, clock, names=['Start observer'], appear_timeout=10)
    assert result['outcome'] == 'idle'


def test_hundreds_of_old_dags_in_the_history_only_those_in_the_window_join_with_one_read(clock):
    agent = FakeAgent(clock, identity='SINGLE')
    prefix = LOCAL_ID[:-1]
    for number in range(100, 400):
        old = timed(dto(prefix + str(number), 'Stop observer', state='SUCCEED', stage=2, nodes=['a', 'b']),
                    -10000 + number, -9000 + number)
        agent.add(prefix + str(number), (-10000.0 + number, old))
    flash = timed(dto(prefix + '900', 'Stop observer', state='FAILED', stage=1, maintenance=1, nodes=['a', 'b']), 6, 8)
    agent.add(prefix + '900', (6.0, flash))
    agent.add(prefix + '901', (0.0, dto(prefix + '901', 'Start observer', stage=1, nodes=['a', 'b'])),
              (20.0, dto(prefix + '901', 'Start observer', state='SUCCEED', stage=2, nodes=['a', 'b'])))
    result, dummy = wait(agent, clock, poll_interval=5)
    assert result['outcome'] == 'failed'
    assert sorted(d['id'] for d in result['dags']) == [prefix + '900', prefix + '901']
    history = agent.requests('history')
    assert len(history) == 1 and history[0][3] is False     # one summary read
    read_by_id = set(c[2] for c in agent.requests('dag'))
    assert read_by_id == {prefix + '900', prefix + '901'}     # the old ones are never read one by one


def test_an_idle_wait_of_one_poll_reads_its_history_once_per_part(clock):
    agent = FakeAgent(clock)
    result, dummy = wait(agent, clock)
    assert result['outcome'] == 'idle'
    assert sorted(c[2] for c in agent.requests('history')) == ['agent', 'cluster']


def test_a_dag_that_failed_between_the_start_of_the_wait_and_its_first_read_fails_it(clock):
    # Found by the model-based test: the change that started the DAG returned, the wait began, and the DAG (not a
    # maintenance DAG) failed before the wait's first read: it is in no unfinished list by then.
    agent = FakeAgent(clock, identity='SINGLE')
    failed = timed(dto(LOCAL_ID, 'Stop local observer', state='FAILED', stage=1, maintenance=1, nodes=['a', 'b']),
                   -2, 0)
    agent.add(LOCAL_ID, (-2.0, failed))
    result, dummy = wait(agent, clock)
    assert result['outcome'] == 'failed'
    assert "'Stop local observer'" in result['msg']


def test_assert_idle_is_a_snapshot_and_reads_no_history(clock):
    agent = FakeAgent(clock)
    result, dummy = wait(agent, clock, mode='assert_idle')
    assert result['outcome'] == 'idle'
    assert not agent.requests('history')


def test_a_history_that_cannot_be_read_is_no_evidence_of_idle(clock):
    agent = FakeAgent(clock, identity='SINGLE')
    agent.add(LOCAL_ID, (0.0, dto(LOCAL_ID, 'Start observer', stage=1, nodes=['a', 'b'])),
              (6.0, dto(LOCAL_ID, 'Start observer', state='SUCCEED', stage=2, nodes=['a', 'b'])))

    def broken(scope, show_details=False):
        raise ObshellServerError('GET /api/v1/task/dags/agent: HTTP 500', agent=agent.address, status=500)
    agent.dag_history = broken
    result, dummy = wait(agent, clock, poll_interval=5, unreachable_timeout=20, timeout=100)
    assert result['outcome'] == 'unreachable'
    assert result['outcome'] not in ('idle', 'succeeded')


def test_a_wait_by_id_reads_no_history_and_takes_in_no_other_dag(clock):
    agent = FakeAgent(clock, identity='SINGLE')
    other = LOCAL_ID[:-1] + '2'
    agent.add(LOCAL_ID, (0.0, dto(LOCAL_ID, 'Start observer', stage=1, nodes=['a', 'b'])),
              (4.0, dto(LOCAL_ID, 'Start observer', state='SUCCEED', stage=2, nodes=['a', 'b'])))
    agent.add(other, (1.0, timed(dto(other, 'Stop observer', state='FAILED', stage=1, maintenance=1, nodes=['a', 'b']),
                                 1, 2)))
    result, dummy = wait(agent, clock, poll_interval=2, id=LOCAL_ID)
    assert result['outcome'] == 'succeeded'
    assert [d['id'] for d in result['dags']] == [LOCAL_ID]
    assert not agent.requests('history')


def test_each_cluster_agent_is_blamed_for_its_own_error(clock):
    # Found by the red team: when every CLUSTER AGENT failed, the part said "asked A via obs1" and quoted C's error,
    # and a switch from A to B quoted C's error as A's reason.
    agents = [FakeAgent(clock, address='10.0.0.%d:2886' % n) for n in (1, 2, 3)]
    for agent in agents:
        scale_out(agent, step=20.0)

    def refused_by(address):
        return lambda: ObshellServerError('GET /api/v1/task/dag/ob/unfinish: HTTP 503 from %s' % address,
                                          agent=address, status=503)
    agents[0].cluster_outages = [(3.0, 1000.0, refused_by('10.0.0.1:2886'))]
    agents[2].cluster_outages = [(0.0, 1000.0, refused_by('10.0.0.3:2886'))]
    result, dummy = wait(agents, clock, poll_interval=5, timeout=12, fail_on=['failed'])
    cluster = next(p for p in result['parts'] if p['part'] == 'cluster')
    assert cluster['switches'][0]['from'] == 'obs1' and cluster['switches'][0]['to'] == 'obs2'
    assert '10.0.0.1:2886' in cluster['switches'][0]['reason'], cluster['switches']
    assert '10.0.0.3' not in cluster['switches'][0]['reason'], cluster['switches']


def test_when_every_cluster_agent_fails_the_one_asked_is_the_one_quoted(clock):
    def refused_by(address):
        return lambda: ObshellServerError('GET /api/v1/task/dag/ob/unfinish: HTTP 503 from %s' % address,
                                          agent=address, status=503)
    agents = [FakeAgent(clock, address='10.0.0.%d:2886' % n) for n in (1, 2, 3)]
    for agent in agents:
        scale_out(agent, step=20.0)
        agent.cluster_outages = [(3.0, 1000.0, refused_by(agent.address))]
    result, dummy = wait(agents, clock, poll_interval=5, timeout=12, unreachable_timeout=5, fail_on=['failed'])
    cluster = next(p for p in result['parts'] if p['part'] == 'cluster')
    assert cluster['agent'] == '10.0.0.1:2886'
    assert cluster['unreachable_agent']['error']['agent'] == '10.0.0.1:2886', cluster['unreachable_agent']
    assert '10.0.0.3' not in cluster['msg'], cluster['msg']
