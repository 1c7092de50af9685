# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the wait: the engine (_engine.py) driven by the watcher (_watcher.py), on one agent and on a batch.

No network and no sleeping: a fake clock that only moves when the watcher sleeps (or a request "takes time"), and
scripted agents that answer from a timeline of DAG states, listing cluster DAGs (ids 1...) on the cluster route and
their own DAGs on the agent route, as real agents do (tests/support/clock.py, tests/support/agents.py). Section
numbers refer to obshell-api.md.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json


import pytest

from ansible_collections.oceanbase.obshell.plugins.module_utils import _dag, _engine, _options, _parts, _watcher
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import ObshellApiError, ObshellAuthError
from tests.support.agents import LOCAL_ID, NODES, FakeAgent, dto, observer_down, options, refused, scale_out
from tests.support.clock import FakeClock

STOP_ID = '12'


def poll_times(agent):
    """The time of each poll (the first request of each distinct time)."""
    return sorted(set(c[0] for c in agent.calls))


def wait(agents, clock, check_mode=False, **changes):
    """Run a wait over one fake agent (or a list of them, hosts obs1, obs2...) and return (result, watcher)."""
    if not isinstance(agents, list):
        agents = [agents]
    targets = [_parts.Target('obs%d' % (index + 1), agent) for index, agent in enumerate(agents)]
    lines = []
    combined, watcher = _watcher.run_wait(options(**changes), targets, check_mode=check_mode, clock=clock,
                                          sleep=clock.sleep, on_event=lambda label, line: lines.append(line))
    result = _watcher.wait_result(combined, watcher, single_host=len(agents) == 1)
    result['lines'] = lines
    return result, watcher


def part(result, kind, host='obs1'):
    return next(p for p in result['parts'] if p['part'] == kind and p['host'] == host)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def agent(clock):
    return FakeAgent(clock)


# ---------------------------------------------------------------------------------------------- idle / appear


def test_nothing_unfinished_is_idle_at_once(agent, clock):
    result, dummy = wait(agent, clock)
    assert result['outcome'] == 'idle'
    assert result['failed'] is False
    assert result['polls'] == 1
    assert result['elapsed'] == 0
    assert clock.sleeps == []
    # A CLUSTER AGENT: the cluster DAGs and its own DAGs, each on a route that fails visibly (§11.6); then, before
    # saying idle, each history (what ended between the start of the wait and this read).
    assert sorted(agent.requests()) == [(0.0, 'history', 'agent', False), (0.0, 'history', 'cluster', False),
                                        (0.0, 'list', 'agent', False), (0.0, 'list', 'cluster', False)]


def test_appear_timeout_polls_until_the_window_closes_then_idle(agent, clock):
    result, dummy = wait(agent, clock, appear_timeout=12, poll_interval=5)
    assert result['outcome'] == 'idle'
    # Polls at 0, 5, 10 and one at the end of the window, 12: never past it.
    assert sorted(set(c[0] for c in agent.requests('list'))) == [0.0, 5.0, 10.0, 12.0]
    assert result['elapsed'] == 12.0
    assert 'no matching DAG yet; waiting up to 0:12 for it to appear' in result['lines']


def test_appear_timeout_catches_a_dag_that_starts_later(agent, clock):
    scale_out(agent, step=2.0, start=7.0)
    result, dummy = wait(agent, clock, appear_timeout=30, poll_interval=5)
    assert result['outcome'] == 'succeeded'
    assert [d['id'] for d in result['dags']] == ['11']
    # Seen first at the poll of t=10, after the DAG appeared at 7.
    assert agent.requests('dag')[0][0] == 10.0


def test_a_dag_appearing_in_one_part_closes_the_appear_window_of_the_others(clock):
    first, second = FakeAgent(clock), FakeAgent(clock, address='10.0.0.2:2886')
    scale_out(first, step=2.0, stage_count=2)
    result, dummy = wait([first, second], clock, appear_timeout=60)
    assert result['outcome'] == 'succeeded'
    # The agent parts saw nothing; they did not wait 60 s for their own DAG once the operation was seen.
    assert result['elapsed'] < 10
    assert part(result, 'agent', 'obs2')['outcome'] == 'idle'


# ---------------------------------------------------------------------------------------------- success


def test_scale_out_succeeds_with_cheap_steady_polls(agent, clock):
    scale_out(agent, step=20.0)   # a stage every 20 s, polls every 5 s
    result, dummy = wait(agent, clock)
    assert result['outcome'] == 'succeeded'
    assert result['failed'] is False
    assert result['dags'][0]['state'] == 'SUCCEED'
    # The DAG's own time (the fake agent's start and end are 30 s apart), then the wait's.
    assert result['msg'] == "succeeded: cluster DAGs (asked 10.0.0.1:2886 via obs1): DAG 11 'Cluster scale out' " \
                            "succeeded in 0:30 (waited 3:00)"
    # Details on first sight (its node names name the 8 stage changes) and once when it ended.
    detail_reads = [c for c in agent.requests('dag') if c[3] is True]
    assert [c[0] for c in detail_reads] == [0.0, 180.0]
    named = [line for line in result['events'] if '/9 ' in line and 'RUNNING' in line]
    assert [line.split(' | ')[2] for line in named] == ['%d/9 %s' % (i + 1, n) for i, n in enumerate(NODES)]
    # Lists are always cheap, and a poll without a change is one request per list.
    assert all(c[3] is False for c in agent.requests('list'))
    steady = [t for t in poll_times(agent) if len([c for c in agent.calls if c[0] == t]) == 2]
    assert len(steady) >= result['polls'] - 11
    assert result['elapsed'] == 180.0


def test_progress_lines_one_per_change(agent, clock):
    scale_out(agent, step=10.0, stage_count=9)
    result, dummy = wait(agent, clock)
    lines = result['lines']
    assert lines[0] == 'Cluster scale out | 1/9 Integrate server config | READY | 0:00'
    assert any(line.startswith('Cluster scale out | 4/9 Wait remote deploy finish | RUNNING') for line in lines)
    assert lines[-1].startswith('Cluster scale out | 9/9 Check cluster scale_out whether finished | SUCCEED')
    # 1 READY + 9 RUNNING stages + SUCCEED; nothing repeated although there were twice as many polls.
    assert len(lines) == 11
    assert len(set(lines)) == 11
    assert result['polls'] > 11
    assert result['events'] == ['obs1 [cluster] | ' + line for line in lines]


def test_a_node_passed_is_not_a_plain_success(agent, clock):
    # Someone passed node 6 (POST /node/{id}, §4.8): the DAG resumed and ended SUCCEED/RUN. Only its nodes say so.
    agent.add('11', (0.0, dto(state='RUNNING', stage=6)),
              (7.0, dto(state='SUCCEED', stage=9, passed_stage=6)))
    result, dummy = wait(agent, clock)
    assert result['outcome'] == 'passed'
    assert result['failed'] is True              # passed is in the default fail_on
    assert result['dags'][0]['passed_nodes'] == [{'id': '1206', 'name': 'Prev check for scale_out', 'stage': 6}]
    assert "node 6/9 'Prev check for scale_out' passed, not done" in result['msg']
    # The final read had the nodes: that is how the pass was seen.
    assert (10.0, 'dag', '11', True) in agent.requests('dag')


# ---------------------------------------------------------------------------------------------- failures


def test_failed_maintenance_dag_in_the_list_is_final_at_once(agent, clock):
    agent.add('11', (0.0, dto(state='RUNNING', stage=5)), (12.0, dto(state='FAILED', stage=6)))
    result, dummy = wait(agent, clock)
    # It stays in the unfinished list (§4.7) but is final: the poll at 15 ends the wait.
    assert result['outcome'] == 'failed'
    assert result['failed'] is True
    assert result['elapsed'] == 15.0
    failure = result['failures'][0]
    assert failure['node'] == {'id': '1206', 'name': 'Prev check for scale_out', 'stage': 6}
    assert failure['host'] == 'obs1'
    assert failure['sub_tasks'][0]['agent'] == '10.0.0.1:2886'
    assert failure['sub_tasks'][0]['log_tail'][-1] == 'ERROR: [Common.Unexpected]: Unexpected error: boom'
    # The scale-out template opts into retry and rollback only (§11.1): pass is not suggested.
    assert failure['follow_up']['command'] == 'oceanbase.obshell.dag id=11 state=retried|rolled_back'
    assert failure['follow_up']['template_known'] is True
    assert result['msg'] == (
        "failed: cluster DAGs (asked 10.0.0.1:2886 via obs1): DAG 11 'Cluster scale out' failed at node 6/9 "
        "'Prev check for scale_out' on 10.0.0.1:2886: [Common.Unexpected] Unexpected error: boom; to act on it: "
        "oceanbase.obshell.dag id=11 state=retried|rolled_back")


def test_failed_dag_that_leaves_the_list_fails_not_succeeds(agent, clock):
    # "Stop OB" is not a maintenance DAG: FAILED makes it finished, so it vanishes from the list.
    stop_nodes = ['Inform', 'Ready', 'Advance', 'Wait for all agents to execute tasks successfully', 'Sql', 'End']
    agent.add(STOP_ID, (0.0, dto(STOP_ID, 'Stop OB', stage=2, nodes=stop_nodes, maintenance=1)),
              (7.0, dto(STOP_ID, 'Stop OB', state='FAILED', stage=4, nodes=stop_nodes, maintenance=1)))
    result, dummy = wait(agent, clock)
    assert result['outcome'] == 'failed'
    assert result['failures'][0]['node']['name'] == 'Wait for all agents to execute tasks successfully'
    # At t=10: the list is empty, so /dag/12 is read, with its nodes: FAILED, and why.
    reads_at_10 = [c for c in agent.requests('dag') if c[0] == 10.0]
    assert reads_at_10 == [(10.0, 'dag', STOP_ID, True)]


def test_final_read_failing_never_reports_success(agent, clock):
    scale_out(agent, step=5.0, stage_count=3)
    left_at = []
    listing = agent.unfinished_dags

    def list_then_break_the_next_dag_read(scope, show_details=False):
        out = listing(scope, show_details)
        if scope == 'cluster' and not out and not left_at:
            # The DAG has just left the list: its first /dag/11 read will fail.
            left_at.append(clock())
            agent.fail_reads['11'] = 1
        return out
    agent.unfinished_dags = list_then_break_the_next_dag_read
    result, dummy = wait(agent, clock)
    reads_after = [c for c in agent.requests('dag') if c[0] >= left_at[0]]
    # The failed read did not settle it (no verdict at that poll); the next poll read it again.
    assert reads_after[:2] == [(left_at[0], 'dag', '11', True), (left_at[0] + 5.0, 'dag', '11', True)]
    assert result['outcome'] == 'succeeded'
    assert result['elapsed'] == left_at[0] + 5.0


def test_left_the_list_but_still_running_is_read_again(agent, clock):
    # Uncertain race (the list and /dag/{id} are read at different moments): the DAG is gone from the list but
    # its own read still says RUNNING. The tolerant reading: not final, read it again at the next poll.
    agent.add('11', (0.0, dto(state='RUNNING', stage=2)))
    listing = agent.unfinished_dags

    def list_without_it_from_t5(scope, show_details=False):
        return [] if clock() >= 5.0 else listing(scope, show_details)
    agent.unfinished_dags = list_without_it_from_t5
    agent.add('11', (12.0, dto(state='SUCCEED', stage=9)))
    result, dummy = wait(agent, clock)
    reads = [c[0] for c in agent.requests('dag') if c[0] >= 5.0]
    assert reads == [5.0, 10.0, 15.0]
    assert result['outcome'] == 'succeeded'
    assert result['elapsed'] == 15.0


def test_a_dag_without_an_id_is_a_protocol_error(agent, clock):
    listing = agent.unfinished_dags
    agent.unfinished_dags = lambda scope, show_details=False: [{'name': 'no id'}] + listing(scope, show_details)
    result, dummy = wait(agent, clock)
    assert result['outcome'] == 'error'
    assert 'without a usable id' in result['msg']


@pytest.mark.parametrize('field, value, expected', [
    ('state', 5, "field 'state' is 5, not one of PENDING, READY, RUNNING, FAILED, SUCCEED"),
    ('stage', 'x', "field 'stage' is 'x', not an integer"),
    ('nodes', 'abc', "field 'nodes' is 'abc', not a list or null"),
    ('name', None, "field 'name' is None, not a string"),
])
def test_a_garbage_record_is_a_protocol_error_naming_the_field_never_a_verdict(agent, clock, field, value, expected):
    # Hostile or broken: {"id":"11","state":5,...} once read as "DAG 11 '?' succeeded".
    bad = dto(state='SUCCEED', stage=9)
    bad[field] = value
    agent.add('11', (0.0, bad))
    result, dummy = wait(agent, clock, id='11')
    assert result['outcome'] == 'error'
    assert result['failed'] is True
    assert expected in result['msg']
    assert 'succeeded' not in result['msg'].split(':', 1)[1]


def test_left_the_list_and_never_readable_times_out_saying_so(agent, clock):
    scale_out(agent, step=5.0, stage_count=2)
    agent.fail_reads['11'] = 10 ** 6
    # Every /dag/11 read fails (with details too): it is tracked from the list only.
    result, dummy = wait(agent, clock, timeout=60)
    assert result['outcome'] == 'timeout'
    assert result['running'][0]['final_state_unknown'] is True
    assert 'final state is unknown' in result['msg']
    assert 'HTTP 500' in result['msg']


@pytest.mark.parametrize('state, operator, outcome, message_part', [
    ('SUCCEED', 'ROLLBACK', 'rolled_back', 'was rolled back'),
    ('SUCCEED', 'PASS', 'passed', 'was passed'),
    ('FAILED', 'CANCEL', 'canceled', 'was canceled'),
])
def test_rollback_pass_cancel_have_their_own_outcomes(agent, clock, state, operator, outcome, message_part):
    agent.add('11', (0.0, dto(state='RUNNING', stage=4)),
              (6.0, dto(state='READY', operator=operator, stage=4)),
              (8.0, dto(state=state, operator=operator, stage=1 if operator == 'ROLLBACK' else 4,
                        maintenance=1)))
    result, dummy = wait(agent, clock)
    assert result['outcome'] == outcome
    assert result['failed'] is True        # all three are in the default fail_on
    assert message_part in result['msg']
    assert result['dags'][0]['outcome'] == outcome
    if outcome == 'canceled':
        assert result['failures'][0]['outcome'] == 'canceled'


def test_a_dag_rolling_back_says_so_in_its_progress_line(agent, clock):
    agent.add('11', (0.0, dto(state='RUNNING', operator='ROLLBACK', stage=4)),
              (6.0, dto(state='SUCCEED', operator='ROLLBACK', stage=1)))
    result, dummy = wait(agent, clock)
    assert result['lines'][0].startswith('Cluster scale out | 4/9 Wait remote deploy finish | RUNNING (rolling back) | ')


def test_fail_on_without_failed_waits_for_the_others(agent, clock):
    agent.add('11', (0.0, dto(state='RUNNING', stage=5)), (4.0, dto(state='FAILED', stage=6)))
    scale_out(agent, step=5.0, stage_count=4, dag_id='13')
    result, dummy = wait(agent, clock, fail_on=['timeout', 'unreachable'])
    assert result['outcome'] == 'failed'
    assert result['failed'] is False
    # DAG 13 ends at t=20 and leaves the list; the wait ended only then.
    assert result['elapsed'] == 20.0
    assert sorted(d['outcome'] for d in result['dags']) == ['failed', 'succeeded']


def test_a_failed_dag_passed_while_waiting_is_read_again(agent, clock):
    # With failed not in fail_on the wait goes on for DAG 13; meanwhile DAG 11 (a failed maintenance DAG, final)
    # is PASSed and leaves the list: its new final state is read, not assumed.
    agent.add('11', (0.0, dto(state='FAILED', stage=6)), (7.0, dto(state='SUCCEED', operator='PASS', stage=6)))
    scale_out(agent, step=5.0, stage_count=4, dag_id='13')
    result, dummy = wait(agent, clock, fail_on=['timeout'])
    assert (10.0, 'dag', '11', True) in agent.requests('dag')
    assert [d['outcome'] for d in result['dags']] == ['passed', 'succeeded']
    assert result['outcome'] == 'passed'


def test_fail_fast_while_others_still_run(agent, clock):
    agent.add('11', (0.0, dto(state='RUNNING', stage=5)), (4.0, dto(state='FAILED', stage=6)))
    scale_out(agent, step=50.0, dag_id='13')
    result, dummy = wait(agent, clock)
    assert result['outcome'] == 'failed'
    assert result['elapsed'] == 5.0
    assert [r['id'] for r in result['running']] == ['13']


# ---------------------------------------------------------------------------------------------- deadlines


def test_deadline_is_honoured_exactly(agent, clock):
    scale_out(agent, step=100.0)
    result, dummy = wait(agent, clock, timeout=12, poll_interval=5)
    assert result['outcome'] == 'timeout'
    assert result['failed'] is True
    assert sorted(set(c[0] for c in agent.requests('list'))) == [0.0, 5.0, 10.0, 12.0]
    assert result['elapsed'] == 12.0
    assert clock.t == 12.0
    running = result['running'][0]
    assert running['current_node'] == 'Integrate server config'
    assert running['stage_seconds'] == 12.0   # at stage 1 since this wait first saw it, at t=0
    assert "timed out after 0:12 (timeout 12s): DAG 11 'Cluster scale out' still RUNNING at 1/9 " \
           "'Integrate server config' for 0:" in result['msg']


def test_requests_never_outlive_the_deadline(agent, clock):
    scale_out(agent, step=100.0)
    wait(agent, clock, timeout=12, poll_interval=5)
    # Each request's timeout is capped by the time left (at least 0.5 s for the last read).
    assert agent.timeouts_seen[0] == 10.0
    assert min(agent.timeouts_seen) == 0.5
    assert all(t <= 10.0 for t in agent.timeouts_seen)


def test_slow_polls_keep_the_interval_from_start_to_start(agent, clock):
    scale_out(agent, step=100.0)
    agent.cost = 1.5
    wait(agent, clock, timeout=20, poll_interval=5)
    list_times = sorted(set(c[0] for c in agent.requests('list') if c[2] == 'agent'))
    assert list_times[:4] == [0.0, 5.0, 10.0, 15.0]


# ---------------------------------------------------------------------------------------------- outages


def test_outage_backoff_and_window_reset_after_a_good_read(agent, clock):
    scale_out(agent, step=40.0)
    agent.outages = [(10.0, 20.0, refused), (30.0, 35.0, refused)]
    result, dummy = wait(agent, clock, poll_interval=5, unreachable_timeout=60, scope='cluster')
    times = poll_times(agent)
    # First outage from 10: backoff 1, 2, 4, 8 (capped at 10): 10, 11, 13, 17, 25 (good).
    assert times[:7] == [0.0, 5.0, 10.0, 11.0, 13.0, 17.0, 25.0]
    # Second outage from 30: the window started again, so the backoff starts again at 1 s: 30, 31, 33, 37 (good).
    assert times[7:11] == [30.0, 31.0, 33.0, 37.0]
    assert result['outcome'] == 'succeeded'
    down_lines = [line for line in result['lines'] if 'retrying for up to' in line]
    back_lines = [line for line in result['lines'] if 'answering again' in line]
    assert len(down_lines) == 2 and len(back_lines) == 2
    assert back_lines[0] == 'agent 10.0.0.1:2886 is answering again after 0:15'
    assert 'Connection refused' in down_lines[0]


def test_info_is_read_again_after_a_failed_poll(agent, clock):
    scale_out(agent, step=40.0)
    agent.outages = [(10.0, 12.0, refused)]
    wait(agent, clock, poll_interval=5, scope='cluster')
    # The recovery poll re-reads /api/v1/info before the list (a restarted agent may have a new key/identity).
    infos = [c[0] for c in agent.requests('info')]
    assert infos[:2] == [11.0, 13.0]


def test_unreachable_timeout_ends_the_wait(agent, clock):
    scale_out(agent, step=40.0)
    agent.outages = [(10.0, 1000.0, refused)]
    result, dummy = wait(agent, clock, poll_interval=5, unreachable_timeout=30)
    assert result['outcome'] == 'unreachable'
    assert result['failed'] is True
    # Down since 10; the last try is at exactly 10 + 30.
    assert result['elapsed'] == 40.0
    assert agent.requests()[-1][0] == 40.0
    assert result['unreachable_agent']['for_seconds'] == 30.0
    assert 'agent 10.0.0.1:2886 has not answered for 0:30 (unreachable_timeout 30s): ' in result['msg']
    assert "last known: DAG 11 'Cluster scale out' still RUNNING" in result['msg']


def test_the_deadline_during_an_outage_says_the_deadline_ended_the_wait(agent, clock):
    scale_out(agent, step=40.0)
    agent.outages = [(10.0, 1000.0, refused)]
    result, dummy = wait(agent, clock, poll_interval=5, unreachable_timeout=300, timeout=20)
    assert result['outcome'] == 'unreachable'
    assert result['elapsed'] == 20.0
    # Not "has not answered for 0:10 (unreachable_timeout 300s)": the agent's window was not used up.
    assert 'unreachable_timeout 300s)' not in result['msg']
    assert 'the overall deadline (timeout 20s) passed after 0:20 while agent 10.0.0.1:2886 was not answering ' \
           '(for 0:10)' in result['msg']


def test_unreachable_from_the_start_is_retried_not_fatal(agent, clock):
    agent.outages = [(0.0, 3.5, refused)]
    result, dummy = wait(agent, clock, scope='agent')
    assert result['outcome'] == 'idle'
    assert poll_times(agent) == [0.0, 1.0, 3.0, 7.0]


def test_agent_errors_after_a_good_read_count_as_an_outage(agent, clock):
    scale_out(agent, step=40.0)

    def auth_error():
        return ObshellAuthError('authentication failed: the root@sys password is wrong', agent=agent.address)
    agent.outages = [(10.0, 12.0, auth_error)]
    result, dummy = wait(agent, clock)
    # Tolerant on purpose: an agent that is restarting may answer oddly for a moment.
    assert result['outcome'] == 'succeeded'


def test_auth_error_before_any_good_read_is_an_error_at_once(agent, clock):
    def auth_error():
        return ObshellAuthError('authentication failed: the root@sys password is wrong', agent=agent.address)
    agent.outages = [(0.0, 1000.0, auth_error)]
    result, dummy = wait(agent, clock, fail_on=['timeout'], scope='agent')
    assert result['outcome'] == 'error'
    assert result['failed'] is True           # whatever fail_on says
    assert result['polls'] == 1
    assert result['error']['kind'] == 'auth'
    assert 'cannot wait: OBShell agent 10.0.0.1:2886: authentication failed: the root@sys password is wrong' \
        in result['msg']


# ---------------------------------------------------------------------------------------------- cluster DAGs unknown


def test_cluster_dags_unknown_while_the_observer_is_down_is_waited_out_never_idle(agent, clock):
    # A rolling upgrade restarts the observer: the cluster route fails (§11.6) while the agent answers. Before,
    # /dag/unfinish answered success without the cluster DAG, and the wait said "idle in 0:00".
    scale_out(agent, step=10.0, stage_count=3)
    agent.cluster_outages = [(0.0, 12.0, observer_down)]
    result, dummy = wait(agent, clock, poll_interval=5)
    assert result['outcome'] == 'succeeded'
    assert result['elapsed'] > 12.0
    assert [d['id'] for d in result['dags']] == ['11']
    assert any('cluster DAGs unknown' in line for line in result['lines'])


def test_cluster_dags_unknown_for_longer_than_the_window_is_unreachable_not_idle(agent, clock):
    agent.cluster_outages = [(0.0, 1000.0, observer_down)]
    result, dummy = wait(agent, clock, poll_interval=5, unreachable_timeout=20)
    assert result['outcome'] == 'unreachable'
    assert result['failed'] is True
    assert 'cluster DAGs unknown' in result['msg']


def test_cluster_dags_unknown_in_check_mode_is_not_idle(agent, clock):
    agent.cluster_outages = [(0.0, 1000.0, observer_down)]
    result, dummy = wait(agent, clock, check_mode=True)
    assert result['outcome'] == 'unreachable'
    assert result['outcome'] != 'idle'


# ---------------------------------------------------------------------------------------------- id mode


def test_id_mode_reads_only_that_dag(agent, clock):
    scale_out(agent, step=20.0, stage_count=3)
    agent.add('13', (0.0, dto('13', 'Other', stage=1)))
    result, dummy = wait(agent, clock, id='11')
    assert result['outcome'] == 'succeeded'
    assert [d['id'] for d in result['dags']] == ['11']
    assert agent.requests('list') == []
    summary_reads = [c for c in agent.requests('dag') if c[3] is False]
    assert len(summary_reads) == result['polls']


def test_id_mode_unknown_id_is_an_error_after_the_appear_window(agent, clock):
    # A typo must not pass a gate: "idle" here read as "DAG 199 is done".
    result, dummy = wait(agent, clock, id='199', appear_timeout=6, poll_interval=5)
    assert result['outcome'] == 'error'
    assert result['failed'] is True
    assert 'DAG 199 does not exist on 10.0.0.1:2886' in result['msg']
    assert result['elapsed'] == 6.0


def test_id_mode_a_dag_that_appears_within_the_window_is_waited_on(agent, clock):
    scale_out(agent, step=2.0, stage_count=2, start=3.0, dag_id='199')
    result, dummy = wait(agent, clock, id='199', appear_timeout=10, poll_interval=1)
    assert result['outcome'] == 'succeeded'


def test_id_mode_failed_non_maintenance_dag_is_failed(agent, clock):
    agent.add(STOP_ID, (0.0, dto(STOP_ID, 'Stop OB', state='FAILED', stage=2, maintenance=1)))
    result, dummy = wait(agent, clock, id=STOP_ID)
    assert result['outcome'] == 'failed'
    assert result['polls'] == 1


# ---------------------------------------------------------------------------------------------- check mode


def test_check_mode_reports_without_waiting(agent, clock):
    scale_out(agent, step=20.0)
    result, dummy = wait(agent, clock, check_mode=True)
    assert result['outcome'] == 'running'
    assert result['failed'] is False
    assert result['polls'] == 1
    assert clock.sleeps == []
    assert result['running'][0]['current_node'] == 'Integrate server config'


def test_check_mode_sees_a_failed_maintenance_dag(agent, clock):
    agent.add('11', (0.0, dto(state='FAILED', stage=6)))
    result, dummy = wait(agent, clock, check_mode=True)
    assert result['outcome'] == 'failed'
    assert result['failed'] is True


def test_check_mode_unreachable(agent, clock):
    agent.outages = [(0.0, 10.0, refused)]
    result, dummy = wait(agent, clock, check_mode=True)
    assert result['outcome'] == 'unreachable'
    assert result['polls'] == 1


def test_assert_idle_fails_on_anything_unfinished_listing_it(agent, clock):
    scale_out(agent, step=20.0)
    result, dummy = wait(agent, clock, mode='assert_idle')
    assert result['failed'] is True
    assert result['polls'] == 1
    assert result['msg'] == "not idle: cluster DAGs (asked 10.0.0.1:2886 via obs1): DAG 11 'Cluster scale out' " \
                            "READY at 1/9 'Integrate server config'"


def test_assert_idle_passes_when_idle(agent, clock):
    result, dummy = wait(agent, clock, mode='assert_idle')
    assert result['failed'] is False
    assert result['outcome'] == 'idle'


# ---------------------------------------------------------------------------------------------- selection


def test_names_filter_the_list(agent, clock):
    scale_out(agent, step=5.0, stage_count=2)
    agent.add(LOCAL_ID, (0.0, dto(LOCAL_ID, 'Start observer', stage=1, nodes=['a', 'b'])))
    result, dummy = wait(agent, clock, names=['^Cluster scale'])
    assert [d['id'] for d in result['dags']] == ['11']
    assert result['outcome'] == 'succeeded'


def test_a_single_agent_has_no_cluster_part(clock):
    agent = FakeAgent(clock, identity='SINGLE')
    agent.add(LOCAL_ID, (0.0, dto(LOCAL_ID, 'Start observer', stage=1, nodes=['a', 'b'])),
              (3.0, dto(LOCAL_ID, 'Start observer', state='SUCCEED', stage=2, nodes=['a', 'b'])))
    result, dummy = wait(agent, clock)
    assert set(c[2] for c in agent.requests('list')) == {'agent'}   # never the cluster route
    assert result['outcome'] == 'succeeded'
    assert result['cluster'] is None


def test_scope_cluster_on_a_single_agent_is_an_error(clock):
    agent = FakeAgent(clock, identity='SINGLE')
    result, dummy = wait(agent, clock, scope='cluster')
    assert result['outcome'] == 'error'
    assert 'none can list the cluster DAGs' in result['msg']


def test_details_full_returns_nodes(agent, clock):
    agent.add('11', (0.0, dto(state='FAILED', stage=6)))
    result, dummy = wait(agent, clock, details='full')
    assert len(result['dags'][0]['nodes']) == 9


def test_records_are_normalized_by_the_dag_model(agent, clock):
    scale_out(agent, step=5.0, stage_count=2)
    result, dummy = wait(agent, clock)
    assert set(result['dags'][0]) >= set(k for k in _dag.RECORD_KEYS if k != 'nodes')


# ---------------------------------------------------------------------------------------------- a batch


def test_an_agent_dag_that_fails_while_the_cluster_dag_runs_is_caught(clock):
    # The missed failure of the old role: a local "Start observer" whose template sets no maintenance fails on
    # obs2 and leaves its list at once, while the cluster scale-out is still running. Watched together, it is seen.
    first, second = FakeAgent(clock), FakeAgent(clock, address='10.0.0.2:2886')
    scale_out(first, step=20.0)
    local = '2016777216202886' + '7'
    second.add(local, (0.0, dto(local, 'Start observer', stage=1, nodes=['a', 'b', 'c'], maintenance=1)),
               (6.0, dto(local, 'Start observer', state='FAILED', stage=2, nodes=['a', 'b', 'c'], maintenance=1)))
    result, dummy = wait([first, second], clock)
    assert result['outcome'] == 'failed'
    assert result['elapsed'] == 10.0            # fail fast: the scale-out still runs
    failure = result['failures'][0]
    assert (failure['id'], failure['host'], failure['node']['name']) == (local, 'obs2', 'b')
    assert result['per_host']['obs2']['msg'].startswith("failed: obs2: DAG %s 'Start observer' failed at node 2/3" % local)
    assert 'elsewhere in the batch: obs2' in result['per_host']['obs1']['msg']
    assert result['cluster']['outcome'] == 'running'


def test_a_cluster_dag_that_fails_and_leaves_the_list_while_agent_dags_run_is_caught(clock):
    # The mirror: a failed non-maintenance cluster DAG ("Stop OB") leaves the list while agent DAGs still run.
    first, second = FakeAgent(clock), FakeAgent(clock, address='10.0.0.2:2886')
    stop_nodes = ['Inform', 'Ready', 'Advance', 'Wait for all agents to execute tasks successfully', 'Sql', 'End']
    first.add(STOP_ID, (0.0, dto(STOP_ID, 'Stop OB', stage=2, nodes=stop_nodes, maintenance=1)),
              (7.0, dto(STOP_ID, 'Stop OB', state='FAILED', stage=4, nodes=stop_nodes, maintenance=1)))
    local = '2016777218202886' + '3'
    second.add(local, (0.0, dto(local, 'Stop observer', stage=1, nodes=['a', 'b'], maintenance=2)))
    result, dummy = wait([first, second], clock)
    assert result['outcome'] == 'failed'
    assert result['failures'][0]['id'] == STOP_ID
    assert result['failures'][0]['part'] == 'cluster'
    assert result['failures'][0]['node']['name'] == 'Wait for all agents to execute tasks successfully'
    assert all(host['failed'] for host in result['per_host'].values())


def test_a_part_cut_short_while_its_reads_fail_never_passes_its_last_read_off_as_the_end(clock):
    # obs2's agent stops answering at 10 and ends the wait at 40 (unreachable_timeout 30); obs1's at 20, so its
    # parts are 20 s into their own outage then. "still running when the wait ended" would claim a read at the end
    # that never happened (CI, under load: the role said so of a cluster agent gone UNIDENTIFIED).
    first, second = FakeAgent(clock), FakeAgent(clock, identity='SINGLE', address='10.0.0.2:2886')
    scale_out(first, step=100.0)
    local = '2016777216202886' + '7'
    second.add(local, (0.0, dto(local, 'Start observer', stage=1, nodes=['a', 'b', 'c'], maintenance=1)))
    second.outages = [(10.0, 1000.0, refused)]
    first.outages = [(20.0, 1000.0, refused)]
    result, dummy = wait([first, second], clock, poll_interval=5, unreachable_timeout=30)
    assert result['outcome'] == 'unreachable'
    assert result['elapsed'] == 40.0
    cluster = result['cluster']
    assert cluster['outcome'] == 'running'
    assert cluster['unreachable_agent']['for_seconds'] == 20.0
    assert cluster['msg'].startswith('not read at the end: when the wait ended the reads of agent 10.0.0.1:2886 had '
                                     'failed for 0:20: '), cluster['msg']
    assert "; last known: DAG 11 'Cluster scale out' still RUNNING" in cluster['msg'], cluster['msg']
    assert 'still running when the wait ended' not in result['per_host']['obs1']['msg']


def failing_batch(clock):
    """obs1: the cluster scale-out fails at 10 (fail fast) while obs1's own "Start observer" runs on; obs2: idle."""
    first, second = FakeAgent(clock), FakeAgent(clock, address='10.0.0.2:2886')
    first.add('11', (0.0, dto(state='RUNNING', stage=5)), (10.0, dto(state='FAILED', stage=6)))
    first.add(LOCAL_ID, (0.0, dto(LOCAL_ID, 'Start observer', stage=1, nodes=['a', 'b'])))
    return first, second


def test_fail_fast_reads_back_what_a_quiet_host_did_between_its_last_two_polls(clock):
    # The cluster scale-out fails at 10 and ends the wait; on obs2 a "Start observer" began at 6 and failed at 7,
    # between the polls at 5 and 10, and left its list. obs2 was called idle: fail fast never read back the span
    # since its last poll while obs1's own "Start observer" still ran (found by the red team). It is read back
    # first, and obs2's failure is reported.
    first, second = failing_batch(clock)
    local = '2016777216202886' + '7'
    second.add(local, (6.0, dto(local, 'Start observer', stage=1, nodes=['a', 'b'], maintenance=0)),
               (7.0, dto(local, 'Start observer', state='FAILED', stage=2, nodes=['a', 'b'], maintenance=0)))
    result, dummy = wait([first, second], clock, poll_interval=5)
    assert result['outcome'] == 'failed'
    assert result['elapsed'] == 10.0
    assert result['per_host']['obs2']['outcome'] == 'failed', result['per_host']['obs2']
    assert [(f['id'], f['host']) for f in result['failures']] == [('11', 'obs1'), (local, 'obs2')], result['failures']
    assert part(result, 'agent', 'obs2')['outcome'] == 'failed'


def test_fail_fast_never_calls_a_host_idle_whose_last_span_could_not_be_read_back(clock):
    # The same, but obs2's history cannot be read at the end: what it did since its last poll is unknown, never idle.
    first, second = failing_batch(clock)
    original = second.dag_history

    def history(scope, show_details=False):
        if clock() >= 10.0:
            raise ObshellApiError('history unavailable', agent=second.address, status=500)
        return original(scope, show_details)

    second.dag_history = history
    result, dummy = wait([first, second], clock, poll_interval=5)
    assert result['outcome'] == 'failed'
    obs2 = part(result, 'agent', 'obs2')
    assert obs2['outcome'] != 'idle', obs2
    assert obs2['msg'].startswith('not read at the end: ') and 'history unavailable' in obs2['msg'], obs2['msg']
    assert result['per_host']['obs2']['outcome'] != 'idle'


def test_fail_fast_never_calls_a_host_idle_whose_identity_changed_before_its_span_was_read_back(clock):
    # obs2's agent answers its list at 10 and is SINGLE when asked again before the read back: its last span is
    # unverified: not idle, and the batch's verdict stays the failure.
    first, second = failing_batch(clock)
    listed = second.unfinished_dags

    def unfinished_dags(scope, show_details=False):
        answer = listed(scope, show_details)
        if clock() >= 10.0:
            second.identity_value = 'SINGLE'
        return answer

    second.unfinished_dags = unfinished_dags
    result, dummy = wait([first, second], clock, poll_interval=5)
    assert result['outcome'] == 'failed'
    obs2 = part(result, 'agent', 'obs2')
    assert obs2['outcome'] == 'running', obs2
    assert obs2['msg'] == ("not verified when the wait ended: nothing unfinished at its last read, but what ran since "
                           "could not be read back from the agent's history"), obs2['msg']
    assert result['per_host']['obs2']['outcome'] != 'idle'


def test_a_part_cut_short_mid_outage_names_the_dags_it_saw_end(clock):
    # obs2's "Start observer" succeeded (seen at 5), then its agent stopped answering; the cluster DAG fails at 10.
    # Its message said "last known: nothing seen yet" (red team).
    first, second = failing_batch(clock)
    local = '2016777216202886' + '7'
    second.add(local, (0.0, dto(local, 'Start observer', stage=1, nodes=['a', 'b'], maintenance=0)),
               (3.0, dto(local, 'Start observer', state='SUCCEED', stage=2, nodes=['a', 'b'], maintenance=0)))
    second.outages = [(6.0, 1000.0, refused)]
    result, dummy = wait([first, second], clock, poll_interval=5)
    obs2 = part(result, 'agent', 'obs2')
    assert obs2['msg'].startswith('not read at the end: '), obs2['msg']
    assert obs2['msg'].endswith("; last known: DAG %s 'Start observer' succeeded in 0:30" % local), obs2['msg']


def test_the_cluster_dags_move_to_another_cluster_agent_when_the_first_goes_away(clock):
    script = {}
    first = FakeAgent(clock, script=script)
    second = FakeAgent(clock, address='10.0.0.2:2886', script=script)   # the same cluster DAGs, seen from obs2
    scale_out(first, step=10.0, stage_count=4)
    first.outages = [(12.0, 1000.0, refused)]
    result, dummy = wait([first, second], clock, unreachable_timeout=600, fail_on=['failed'])
    assert result['cluster']['outcome'] == 'succeeded'
    assert result['cluster']['agent'] == '10.0.0.2:2886'
    switch = result['cluster']['switches'][0]
    assert (switch['from'], switch['to']) == ('obs1', 'obs2')
    assert 'Connection refused' in switch['reason']
    assert any('cluster DAGs are now read from obs2' in line for line in result['lines'])
    # obs1's own part is honestly unreachable; the cluster DAGs were not lost with it.
    assert part(result, 'agent', 'obs1')['outcome'] == 'unreachable'
    assert result['outcome'] == 'unreachable'


def test_the_cluster_dags_are_read_once_per_poll_for_the_batch(clock):
    script = {}
    agents = [FakeAgent(clock, address='10.0.0.%d:2886' % i, script=script) for i in range(1, 6)]
    scale_out(agents[0], step=10.0, stage_count=2)
    wait(agents, clock)
    cluster_reads = [c for a in agents for c in a.requests('list') if c[2] == 'cluster']
    agent_reads = [c for a in agents for c in a.requests('list') if c[2] == 'agent']
    assert set(id(a) for a in agents if [c for c in a.requests('list') if c[2] == 'cluster']) == {id(agents[0])}
    assert len(agent_reads) == 5 * len(set(c[0] for c in cluster_reads))


def test_a_batch_without_a_cluster_agent_has_no_cluster_part(clock):
    agents = [FakeAgent(clock, identity='SINGLE', address='10.0.0.%d:2886' % i) for i in (1, 2)]
    result, dummy = wait(agents, clock)
    assert result['outcome'] == 'idle'
    assert result['cluster'] is None


def test_a_first_host_being_scaled_out_is_not_asked_for_the_cluster_dags(clock):
    script = {}
    new = FakeAgent(clock, identity='SCALING OUT', address='10.0.0.9:2886')
    old = FakeAgent(clock, address='10.0.0.1:2886', script=script)
    scale_out(old, step=5.0, stage_count=2)
    result, dummy = wait([new, old], clock)
    assert result['cluster']['host'] == 'obs2'
    assert result['cluster']['switches'] == []       # the first choice, not a switch
    assert result['outcome'] == 'succeeded'
    assert not [c for c in new.requests('list') if c[2] == 'cluster']


# ---------------------------------------------------------------------------------------------- remediation


def test_remediation_retries_a_failed_cluster_dag_and_waits_on(agent, clock):
    agent.add('11', (0.0, dto(state='RUNNING', stage=5)), (4.0, dto(state='FAILED', stage=6)))
    original = agent.operate_dag

    def retry(generic_id, operator):
        original(generic_id, operator)
        now = clock()
        agent.add('11', (now, dto(state='READY', operator='RUN', stage=6)),
                  (now + 3.0, dto(state='SUCCEED', operator='RUN', stage=9)))
    agent.operate_dag = retry
    result, dummy = wait(agent, clock, on_failure='retry', max_remediations=1)
    assert agent.posts == [('11', 'RETRY')]
    assert result['outcome'] == 'succeeded'
    assert result['changed'] is True
    attempt = result['remediations'][0]
    assert (attempt['attempt'], attempt['action'], attempt['dag_id'], attempt['outcome']) == (1, 'retry', '11', 'sent')
    assert any('remediation (retry, attempt 1 of at most 1)' in line for line in result['lines'])


def test_remediation_refused_by_the_agent_fails_at_once_with_the_reason(agent, clock):
    agent.add('11', (0.0, dto(state='FAILED', stage=6)))

    def refuse(generic_id, operator):
        agent.posts.append((generic_id, operator))
        raise ObshellApiError('POST /dag/11: HTTP 400 [Task.Dag.Operator.PassNotAllowed]', agent=agent.address,
                              status=400, err_code='Task.Dag.Operator.PassNotAllowed')
    agent.operate_dag = refuse
    result, dummy = wait(agent, clock, on_failure='pass', max_remediations=3)
    assert agent.posts == [('11', 'PASS')]           # once: a refusal is not retried
    assert result['outcome'] == 'failed'
    assert result['remediations'][0]['outcome'] == 'refused'
    assert "the agent does not allow passing DAG 11 'Cluster scale out' (Task.Dag.Operator.PassNotAllowed)" \
        in result['msg']
    assert result['elapsed'] == 0.0


def test_no_remediation_in_check_mode(agent, clock):
    agent.add('11', (0.0, dto(state='FAILED', stage=6)))
    result, dummy = wait(agent, clock, check_mode=True, on_failure='retry')
    assert agent.posts == []
    assert result['outcome'] == 'failed'


# ---------------------------------------------------------------------------------------------- slices / state


def test_state_round_trip_gives_the_same_verdict_in_slices(clock):
    """A wait cut into slices (each a fresh watcher restored from JSON, as in run_on=target) ends exactly like one
    continuous wait: same outcome, same polls, same progress lines, same requests."""
    # A line's "running for" is the wait's wall clock minus the DAG's start: the fake clock's, the same in both.
    def make_agent():
        a = FakeAgent(clock)
        scale_out(a, step=7.0, stage_count=4)
        a.outages = [(12.0, 15.0, refused)]
        return a

    continuous_agent = make_agent()
    continuous, dummy = wait(continuous_agent, clock, poll_interval=2)

    clock.t = 0.0
    sliced_agent = make_agent()
    state = None
    slices = 0
    while True:
        slices += 1
        combined, watcher = _watcher.run_wait(options(poll_interval=2.0), [_parts.Target('obs1', sliced_agent)],
                                              clock=clock, sleep=clock.sleep,
                                              state=json.loads(json.dumps(state)) if state else None,
                                              slice_seconds=60)
        if combined is not None:
            sliced = _watcher.wait_result(combined, watcher, single_host=True)
            break
        state = watcher.to_state()
    assert slices > 3
    assert sliced['outcome'] == continuous['outcome'] == 'succeeded'
    assert sliced['polls'] == continuous['polls']
    assert sliced['events'] == continuous['events']
    assert sliced['elapsed'] == continuous['elapsed']
    assert poll_times(sliced_agent) == poll_times(continuous_agent)
    assert sliced_agent.requests('dag') == continuous_agent.requests('dag')


def test_slice_returns_at_the_first_change(agent, clock):
    scale_out(agent, step=30.0)
    targets = [_parts.Target('obs1', agent)]
    first, watcher = _watcher.run_wait(options(), targets, clock=clock, sleep=clock.sleep, slice_seconds=60)
    assert first is None
    assert clock.t == 0.0 and watcher.lines        # the DAG appeared at the first poll
    assert watcher.run(slice_seconds=60) is None   # READY -> RUNNING, seen at t=5
    assert clock.t == 5.0
    assert watcher.run(slice_seconds=12) is None   # nothing changes until t=31: the slice ends by time
    assert clock.t == 15.0


def test_load_state_rejects_foreign_state(agent, clock):
    engine = _engine.WaitEngine(clock=FakeClock())
    with pytest.raises(ValueError):
        engine.load_state({'version': 99})
    with pytest.raises(ValueError):
        _watcher.run_wait(options(), [_parts.Target('obs1', agent)], clock=clock, state={'version': 99})


# ---------------------------------------------------------------------------------------------- options


@pytest.mark.parametrize('option, value, message', [
    ('poll_interval', 0.2, 'poll_interval must be at least 0.5 seconds, got 0.2'),
    ('timeout', 0, 'timeout must be a positive number of seconds (the overall deadline), got 0'),
    ('appear_timeout', -1, 'appear_timeout must be 0 or more seconds, got -1'),
    ('unreachable_timeout', -5, 'unreachable_timeout must be 0 or more seconds, got -5'),
])
def test_wait_option_checks_name_the_option(option, value, message):
    values = options()
    values[option] = value
    assert _options.check_wait_options(values) == [message]


def test_the_wait_contract_is_one_spec():
    spec = _options.dag_wait_spec()
    assert spec['timeout']['default'] == 3600.0              # the overall deadline
    assert spec['request_timeout']['default'] == 10.0        # one request
    assert spec['password']['no_log'] is True
    assert spec['fail_on']['default'] == ['failed', 'rolled_back', 'passed', 'canceled', 'timeout', 'unreachable']
    assert 'timeout' not in _options.CONNECTION_SPEC


def test_backoff_is_capped(clock):
    engine = _engine.WaitEngine(poll_interval=5, clock=clock)
    assert [engine.backoff(n) for n in range(1, 7)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    slow = _engine.WaitEngine(poll_interval=30, clock=clock)
    assert [slow.backoff(n) for n in range(1, 8)] == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    fast = _engine.WaitEngine(poll_interval=0.5, clock=clock)
    assert [fast.backoff(n) for n in range(1, 3)] == [0.5, 1.0]
