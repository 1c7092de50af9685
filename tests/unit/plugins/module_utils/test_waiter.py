# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the wait engine and driver (plugins/module_utils/_waiter.py).

No network and no sleeping: a fake clock that only moves when the driver sleeps (or a request "takes time"), and
a scripted agent that answers from a timeline of DAG states. Section numbers refer to obshell-api.md.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json

import pytest

from ansible_collections.oceanbase.obshell.plugins.module_utils import _dag, _waiter
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import (
    ObshellAuthError,
    ObshellConnectionError,
    ObshellNotFoundError,
    ObshellServerError,
)

NODES = ['Integrate server config', 'Create local scale out dag', 'Wait scale out ready',
         'Wait remote deploy finish', 'Wait remote start finish', 'Prev check for scale_out',
         'Add server for scale_out', 'Add agent for scale_out', 'Check cluster scale_out whether finished']
START = '2026-05-08T10:00:00+08:00'
END = '2026-05-08T10:00:30+08:00'
STOP_ID = '12'
LOCAL_ID = '22130706433028861'


class FakeClock(object):
    def __init__(self):
        self.t = 0.0
        self.sleeps = []

    def __call__(self):
        return self.t

    def sleep(self, seconds):
        assert seconds >= 0
        self.sleeps.append(round(seconds, 6))
        self.t += seconds


def dto(dag_id='11', name='Cluster scale out', state='RUNNING', operator='RUN', stage=1, nodes=None,
        maintenance=2, fail_node_state='FAILED', error='ERROR: [Common.Unexpected]: Unexpected error: boom'):
    """A DagDetailDTO with details (§4.1); the fake agent strips nodes for show_details=false."""
    nodes = NODES if nodes is None else nodes
    max_stage = len(nodes)
    node_dtos = []
    for index, node_name in enumerate(nodes, 1):
        if index < stage or (index == stage and state == 'SUCCEED'):
            node_state = 'SUCCEED'
        elif index == stage and state == 'FAILED':
            node_state = fail_node_state
        elif index == stage and state == 'RUNNING':
            node_state = 'RUNNING'
        else:
            node_state = 'PENDING'
        logs = None
        if node_state == 'FAILED':
            logs = ['check server 10.0.0.4:2882', error]
        elif node_state == 'SUCCEED':
            logs = ['%s done' % node_name]
        node_dtos.append({
            'id': '1%d' % (200 + index), 'node_id': 200 + index, 'name': node_name, 'state': node_state,
            'operator': 'CANCEL' if operator == 'CANCEL' and index == stage else 'RUN',
            'start_time': START, 'end_time': END, 'additional_data': None,
            'sub_tasks': [{'id': '1%d' % (500 + index), 'task_id': 500 + index, 'name': node_name,
                           'state': node_state, 'operator': 'RUN', 'start_time': START, 'end_time': END,
                           'additional_data': None, 'execute_times': 1 if node_state != 'PENDING' else 0,
                           'execute_agent': {'ip': '10.0.0.1', 'port': 2886}, 'task_logs': logs}],
        })
    return {'id': dag_id, 'dag_id': int(dag_id[1:]) if dag_id.startswith('1') else 1, 'name': name,
            'stage': stage, 'max_stage': max_stage, 'maintenance_type': maintenance, 'maintenance_key': '',
            'state': state, 'operator': operator, 'start_time': START,
            'end_time': END if state in ('SUCCEED', 'FAILED') else START, 'additional_data': {},
            'nodes': node_dtos}


def unfinished(item):
    state = item['state']
    if state in ('READY', 'RUNNING', 'PENDING'):
        return True
    return state == 'FAILED' and item['maintenance_type'] in (2, 3, 4)   # §4.7


class FakeAgent(object):
    """Answers like an OBShell agent from a timeline: ``script[id] = [(from_t, dto), ...]``.

    ``outages`` are (start, end, error factory) windows in which every request raises. ``fail_reads`` maps a DAG
    id to a number of /dag/{id} reads that fail before one succeeds. ``cost`` is the fake time each request takes.
    """

    def __init__(self, clock, identity='CLUSTER AGENT'):
        self.clock = clock
        self.script = {}
        self.outages = []
        self.fail_reads = {}
        self.calls = []
        self.identity_value = identity
        self.address = '10.0.0.1:2886'
        self.timeout = 10.0
        self.cost = 0.0
        self.timeouts_seen = []

    def add(self, dag_id, *steps):
        self.script.setdefault(dag_id, []).extend(steps)

    def _now_dto(self, dag_id):
        current = None
        for start, item in self.script.get(dag_id, []):
            if start <= self.clock():
                current = item
        return current

    def _request(self, what):
        self.calls.append((round(self.clock(), 6),) + what)
        self.timeouts_seen.append(self.timeout)
        self.clock.t += self.cost
        for start, end, error in self.outages:
            if start <= self.clock() < end:
                raise error()

    # the client interface the driver uses
    def info(self, refresh=False):
        if refresh:
            self._request(('info',))
        return {'identity': self.identity_value, 'ip': '10.0.0.1', 'port': 2886, 'version': '4.5.0.0'}

    @property
    def identity(self):
        return self.identity_value

    @property
    def agent(self):
        return '10.0.0.1:2886'

    def describe(self):
        return {'address': self.address, 'identity': self.identity_value, 'version': '4.5.0.0'}

    def unfinished_dags(self, scope, show_details=False):
        self._request(('list', scope, show_details))
        out = []
        for dag_id in self.script:
            item = self._now_dto(dag_id)
            if item is not None and unfinished(item):
                out.append(_strip(item, show_details))
        return out

    def dag(self, generic_id, show_details=True):
        self._request(('dag', generic_id, show_details))
        if self.fail_reads.get(generic_id):
            self.fail_reads[generic_id] -= 1
            raise ObshellServerError('GET /dag/%s: the agent answered HTTP 500' % generic_id, agent=self.address)
        item = self._now_dto(generic_id)
        if item is None:
            raise ObshellNotFoundError('GET /dag/%s: HTTP 404 [Task.NotFound]' % generic_id, agent=self.address,
                                       status=404)
        return _strip(item, show_details)

    def requests(self, kind=None):
        return [c for c in self.calls if kind is None or c[1] == kind]


def _strip(item, show_details):
    item = json.loads(json.dumps(item))
    if not show_details:
        item['nodes'] = None
        item['additional_data'] = None
    return item


def poll_times(agent):
    """The time of each poll (the first request of each distinct time)."""
    return sorted(set(c[0] for c in agent.calls))


def refused():
    return ObshellConnectionError('cannot connect to http://10.0.0.1:2886: Connection refused', agent='10.0.0.1:2886')


def wait(agent, clock, check_mode=False, scope='auto', names=None, details='summary', **options):
    params = dict(timeout=3600.0, poll_interval=5.0, appear_timeout=0.0, unreachable_timeout=300.0,
                  fail_on=list(_waiter.DEFAULT_FAIL_ON), id=None)
    params.update(options)
    engine = _waiter.build_engine(params, clock, check_mode)
    lines = []
    driver = _waiter.WaitDriver(agent, engine, scope=scope, names=names, details=details, sleep=clock.sleep,
                                on_event=lines.append, request_timeout=10.0)
    outcome = driver.run()
    result = engine.result(outcome)
    result['lines'] = lines
    return result, engine


def scale_out(agent, step=10.0, end_state=('SUCCEED', 'RUN'), start=0.0, dag_id='11', stage_count=9):
    """The scale-out DAG: READY at ``start``, RUNNING one stage per ``step``, then ``end_state``."""
    agent.add(dag_id, (start, dto(dag_id, state='READY', stage=1)))
    for stage in range(1, stage_count + 1):
        agent.add(dag_id, (start + step * stage - step + 1, dto(dag_id, state='RUNNING', stage=stage)))
    state, operator = end_state
    last_stage = stage_count if state == 'SUCCEED' else 6
    agent.add(dag_id, (start + step * stage_count, dto(dag_id, state=state, operator=operator, stage=last_stage)))


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
    assert agent.requests() == [(0.0, 'list', 'all', False)]


def test_appear_timeout_polls_until_the_window_closes_then_idle(agent, clock):
    result, dummy = wait(agent, clock, appear_timeout=12, poll_interval=5)
    assert result['outcome'] == 'idle'
    # Polls at 0, 5, 10 and one at the end of the window, 12: never past it.
    assert [c[0] for c in agent.requests('list')] == [0.0, 5.0, 10.0, 12.0]
    assert result['elapsed'] == 12.0
    assert result['lines'] == ['no matching DAG yet; waiting up to 0:12 for one to appear']


def test_appear_timeout_catches_a_dag_that_starts_later(agent, clock):
    scale_out(agent, step=2.0, start=7.0)
    result, dummy = wait(agent, clock, appear_timeout=30, poll_interval=5)
    assert result['outcome'] == 'succeeded'
    assert [d['id'] for d in result['dags']] == ['11']
    # Seen first at the poll of t=10, after the DAG appeared at 7.
    assert agent.requests('dag')[0][0] == 10.0


# ---------------------------------------------------------------------------------------------- success


def test_scale_out_succeeds_with_one_list_request_per_steady_poll(agent, clock):
    scale_out(agent, step=20.0)   # a stage every 20 s, polls every 5 s
    result, dummy = wait(agent, clock)
    assert result['outcome'] == 'succeeded'
    assert result['failed'] is False
    assert result['dags'][0]['state'] == 'SUCCEED'
    assert result['msg'] == "DAG 11 'Cluster scale out' succeeded after 3:00"
    # Details once, on first sight: the 8 stage changes are named from the node names read then.
    detail_reads = [c for c in agent.requests('dag') if c[3] is True]
    assert len(detail_reads) == 1
    named = [line for line in result['events'] if '/9 ' in line and 'RUNNING' in line]
    assert [line.split(' | ')[1] for line in named] == ['%d/9 %s' % (i + 1, n) for i, n in enumerate(NODES)]
    # Lists are always cheap, and a poll without a change is exactly one request.
    assert all(c[3] is False for c in agent.requests('list'))
    polls_with_one_request = 0
    for poll_time in sorted(set(c[0] for c in agent.requests('list'))):
        if len([c for c in agent.calls if c[0] == poll_time]) == 1:
            polls_with_one_request += 1
    assert polls_with_one_request >= result['polls'] - 11
    # It left the list at t=180 and was read once from /dag/{id} (summary) for its final state.
    assert agent.requests('dag')[-1] == (180.0, 'dag', '11', False)
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
    assert result['events'] == lines


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
    assert failure['sub_tasks'][0]['agent'] == '10.0.0.1:2886'
    assert failure['sub_tasks'][0]['log_tail'][-1] == 'ERROR: [Common.Unexpected]: Unexpected error: boom'
    assert failure['follow_up']['command'] == 'oceanbase.obshell.dag id=11 state=retried|rolled_back|passed'
    assert result['msg'] == (
        "DAG 11 'Cluster scale out' failed at node 6/9 'Prev check for scale_out' on 10.0.0.1:2886: "
        "[Common.Unexpected] Unexpected error: boom; to act on it: "
        "oceanbase.obshell.dag id=11 state=retried|rolled_back|passed")


def test_failed_dag_that_leaves_the_list_fails_not_succeeds(agent, clock):
    # "Stop OB" is not a maintenance DAG: FAILED makes it finished, so it vanishes from the list.
    stop_nodes = ['Inform', 'Ready', 'Advance', 'Wait for all agents to execute tasks successfully', 'Sql', 'End']
    agent.add(STOP_ID, (0.0, dto(STOP_ID, 'Stop OB', stage=2, nodes=stop_nodes, maintenance=1)),
              (7.0, dto(STOP_ID, 'Stop OB', state='FAILED', stage=4, nodes=stop_nodes, maintenance=1)))
    result, dummy = wait(agent, clock)
    assert result['outcome'] == 'failed'
    assert result['failures'][0]['node']['name'] == 'Wait for all agents to execute tasks successfully'
    # At t=10: the list is empty, so /dag/12 is read (summary), found FAILED, then read with details.
    reads_at_10 = [c for c in agent.requests('dag') if c[0] == 10.0]
    assert reads_at_10 == [(10.0, 'dag', STOP_ID, False), (10.0, 'dag', STOP_ID, True)]


def test_final_read_failing_never_reports_success(agent, clock):
    scale_out(agent, step=5.0, stage_count=3)
    left_at = []
    listing = agent.unfinished_dags

    def list_then_break_the_next_dag_read(scope, show_details=False):
        out = listing(scope, show_details)
        if not out and not left_at:
            # The DAG has just left the list: its first /dag/11 read will fail.
            left_at.append(clock())
            agent.fail_reads['11'] = 1
        return out
    agent.unfinished_dags = list_then_break_the_next_dag_read
    result, dummy = wait(agent, clock)
    reads_after = [c for c in agent.requests('dag') if c[0] >= left_at[0]]
    # The failed read did not settle it (no verdict at that poll); the next poll read it again.
    assert reads_after[:2] == [(left_at[0], 'dag', '11', False), (left_at[0] + 5.0, 'dag', '11', False)]
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
    summary_reads = [c[0] for c in agent.requests('dag') if c[3] is False]
    assert summary_reads == [5.0, 10.0, 15.0]
    assert result['outcome'] == 'succeeded'
    assert result['elapsed'] == 15.0


def test_a_dag_without_an_id_is_a_protocol_error(agent, clock):
    listing = agent.unfinished_dags
    agent.unfinished_dags = lambda scope, show_details=False: [{'name': 'no id'}] + listing(scope, show_details)
    result, dummy = wait(agent, clock)
    assert result['outcome'] == 'error'
    assert 'without a usable id' in result['msg']


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
    assert (10.0, 'dag', '11', False) in agent.requests('dag')
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
    assert [c[0] for c in agent.requests('list')] == [0.0, 5.0, 10.0, 12.0]
    assert result['elapsed'] == 12.0
    assert clock.t == 12.0
    running = result['running'][0]
    assert running['current_node'] == 'Integrate server config'
    assert running['stage_seconds'] == 12.0   # at stage 1 since this wait first saw it, at t=0
    assert result['msg'].startswith("timed out after 0:12 (timeout 12s): DAG 11 'Cluster scale out' still RUNNING "
                                    "at 1/9 'Integrate server config' for 0:")


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
    list_times = [c[0] for c in agent.requests('list')]
    assert list_times[:4] == [0.0, 5.0, 10.0, 15.0]


# ---------------------------------------------------------------------------------------------- outages


def test_outage_backoff_and_budget_reset_after_a_good_read(agent, clock):
    scale_out(agent, step=40.0)
    agent.outages = [(10.0, 20.0, refused), (30.0, 35.0, refused)]
    result, dummy = wait(agent, clock, poll_interval=5, unreachable_timeout=60)
    times = poll_times(agent)
    # First outage from 10: backoff 1, 2, 4, 8 (capped at 10): 10, 11, 13, 17, 25 (good).
    assert times[:7] == [0.0, 5.0, 10.0, 11.0, 13.0, 17.0, 25.0]
    # Second outage from 30: the budget started again, so the backoff starts again at 1 s: 30, 31, 33, 37 (good).
    assert times[7:11] == [30.0, 31.0, 33.0, 37.0]
    assert result['outcome'] == 'succeeded'
    down_lines = [line for line in result['lines'] if 'not answering' in line]
    back_lines = [line for line in result['lines'] if 'answering again' in line]
    assert len(down_lines) == 2 and len(back_lines) == 2
    assert back_lines[0] == 'agent 10.0.0.1:2886 is answering again after 0:15'
    assert 'Connection refused' in down_lines[0]


def test_info_is_read_again_after_a_failed_poll(agent, clock):
    scale_out(agent, step=40.0)
    agent.outages = [(10.0, 12.0, refused)]
    wait(agent, clock, poll_interval=5)
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
    assert result['msg'].startswith('agent 10.0.0.1:2886 has not answered for 0:30 (unreachable_timeout 30s): ')
    assert "last known: DAG 11 'Cluster scale out' still RUNNING" in result['msg']


def test_deadline_during_an_outage_is_unreachable(agent, clock):
    scale_out(agent, step=40.0)
    agent.outages = [(10.0, 1000.0, refused)]
    result, dummy = wait(agent, clock, poll_interval=5, unreachable_timeout=300, timeout=20)
    assert result['outcome'] == 'unreachable'
    assert result['elapsed'] == 20.0


def test_unreachable_from_the_start_is_retried_not_fatal(agent, clock):
    agent.outages = [(0.0, 3.5, refused)]
    result, dummy = wait(agent, clock)
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
    result, dummy = wait(agent, clock, fail_on=['timeout'])
    assert result['outcome'] == 'error'
    assert result['failed'] is True           # whatever fail_on says
    assert result['polls'] == 1
    assert result['error']['kind'] == 'auth'
    assert result['msg'] == 'cannot wait: OBShell agent 10.0.0.1:2886: authentication failed: the root@sys ' \
                            'password is wrong'


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


def test_id_mode_unknown_id_is_idle_after_the_appear_window(agent, clock):
    result, dummy = wait(agent, clock, id='199', appear_timeout=6, poll_interval=5)
    assert result['outcome'] == 'idle'
    assert result['msg'] == 'DAG 199 does not exist (or does not match names)'
    assert result['elapsed'] == 6.0


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


# ---------------------------------------------------------------------------------------------- selection


def test_names_filter_the_list(agent, clock):
    scale_out(agent, step=5.0, stage_count=2)
    agent.add(LOCAL_ID, (0.0, dto(LOCAL_ID, 'Start observer', stage=1, nodes=['a', 'b'])))
    result, dummy = wait(agent, clock, names=['^Cluster scale'])
    assert [d['id'] for d in result['dags']] == ['11']
    assert result['outcome'] == 'succeeded'


def test_scope_agent_on_a_single_agent(clock):
    agent = FakeAgent(clock, identity='SINGLE')
    agent.add(LOCAL_ID, (0.0, dto(LOCAL_ID, 'Start observer', stage=1, nodes=['a', 'b'])),
              (3.0, dto(LOCAL_ID, 'Start observer', state='SUCCEED', stage=2, nodes=['a', 'b'])))
    result, dummy = wait(agent, clock)
    assert agent.requests('list')[0][2] == 'agent'   # auto -> agent on a SINGLE agent
    assert result['outcome'] == 'succeeded'


def test_details_full_returns_nodes(agent, clock):
    agent.add('11', (0.0, dto(state='FAILED', stage=6)))
    result, dummy = wait(agent, clock, details='full')
    assert len(result['dags'][0]['nodes']) == 9


# ---------------------------------------------------------------------------------------------- slices / state


def test_state_round_trip_gives_the_same_verdict_in_slices(clock):
    """A wait cut into slices (each a fresh engine restored from JSON, as in run_on=target) ends exactly like one
    continuous wait: same outcome, same polls, same progress lines, same requests."""
    def make_agent():
        a = FakeAgent(clock)
        scale_out(a, step=7.0, stage_count=4)
        a.outages = [(12.0, 15.0, refused)]
        return a

    continuous_agent = make_agent()
    continuous, dummy = wait(continuous_agent, clock, poll_interval=2)

    clock.t = 0.0
    sliced_agent = make_agent()
    params = dict(timeout=3600.0, poll_interval=2.0, appear_timeout=0.0, unreachable_timeout=300.0,
                  fail_on=list(_waiter.DEFAULT_FAIL_ON), id=None)
    state = None
    slices = 0
    while True:
        slices += 1
        engine = _waiter.build_engine(params, clock, False)
        if state is not None:
            engine.load_state(json.loads(json.dumps(state)))
        driver = _waiter.WaitDriver(sliced_agent, engine, sleep=clock.sleep)
        outcome = driver.run(slice_seconds=60)
        if outcome is not None:
            sliced = engine.result(outcome)
            break
        state = engine.to_state()
    assert slices > 3
    assert sliced['outcome'] == continuous['outcome'] == 'succeeded'
    assert sliced['polls'] == continuous['polls']
    assert sliced['events'] == continuous['events']
    assert sliced['elapsed'] == continuous['elapsed']
    # Same polls at the same times, and the same reads of single DAGs. (Only the first read of a poll after a
    # failure differs: the continuous driver asks /api/v1/info again first; a new slice has a new client anyway.)
    assert poll_times(sliced_agent) == poll_times(continuous_agent)
    assert sliced_agent.requests('dag') == continuous_agent.requests('dag')


def test_slice_returns_at_the_first_change(agent, clock):
    scale_out(agent, step=30.0)
    params = dict(timeout=3600.0, poll_interval=5.0, appear_timeout=0.0, unreachable_timeout=300.0,
                  fail_on=list(_waiter.DEFAULT_FAIL_ON), id=None)
    engine = _waiter.build_engine(params, clock, False)
    driver = _waiter.WaitDriver(agent, engine, sleep=clock.sleep)
    assert driver.run(slice_seconds=60) is None
    assert clock.t == 0.0 and engine.events      # the DAG appeared at the first poll
    assert engine.next_poll_at == 5.0
    assert driver.run(slice_seconds=60) is None  # READY -> RUNNING, seen at t=5
    assert clock.t == 5.0
    assert driver.run(slice_seconds=12) is None  # nothing changes until t=31: the slice ends by time
    assert clock.t == 15.0


def test_load_state_rejects_foreign_state():
    engine = _waiter.WaitEngine(clock=FakeClock())
    with pytest.raises(ValueError):
        engine.load_state({'version': 99})


# ---------------------------------------------------------------------------------------------- options


@pytest.mark.parametrize('option, value, message', [
    ('poll_interval', 0.2, 'poll_interval must be at least 0.5 seconds, got 0.2'),
    ('timeout', 0, 'timeout must be a positive number of seconds (the overall deadline), got 0'),
    ('appear_timeout', -1, 'appear_timeout must be 0 or more seconds, got -1'),
    ('unreachable_timeout', -5, 'unreachable_timeout must be 0 or more seconds, got -5'),
    ('request_timeout', 0, 'request_timeout must be a positive number of seconds, got 0'),
    ('id', 'abc', "id: 'abc' is not a valid OBShell generic task id"),
    ('names', ['('], "names: '(' is neither the exact name of a known DAG nor a valid regular expression"),
])
def test_option_checks_name_the_option(option, value, message):
    params = dict((name, spec.get('default')) for name, spec in _waiter.wait_argument_spec().items())
    params[option] = value
    problems = _waiter.check_wait_options(params)
    assert len(problems) == 1
    assert problems[0].startswith(message)


def test_client_params_use_request_timeout_and_no_client_retries():
    params = dict((name, spec.get('default')) for name, spec in _waiter.wait_argument_spec().items())
    params.update(timeout=3600.0, request_timeout=4.0, retries=3)
    connection = _waiter.client_params(params)
    assert connection['timeout'] == 4.0
    assert connection['retries'] == 0
    assert params['timeout'] == 3600.0


def test_argspec_overrides_the_connection_timeout():
    spec = _waiter.wait_argument_spec()
    assert spec['timeout']['default'] == 3600.0
    assert spec['request_timeout']['default'] == 10.0
    assert spec['password']['no_log'] is True
    assert spec['fail_on']['default'] == ['failed', 'rolled_back', 'passed', 'canceled', 'timeout', 'unreachable']


def test_backoff_is_capped(clock):
    engine = _waiter.WaitEngine(poll_interval=5, clock=clock)
    assert [engine.backoff(n) for n in range(1, 7)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    slow = _waiter.WaitEngine(poll_interval=30, clock=clock)
    assert [slow.backoff(n) for n in range(1, 8)] == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    fast = _waiter.WaitEngine(poll_interval=0.5, clock=clock)
    assert [fast.backoff(n) for n in range(1, 3)] == [0.5, 1.0]


def test_worst_outcome_order():
    assert _waiter._worst(['succeeded', 'passed', 'failed']) == 'failed'
    assert _waiter._worst(['succeeded', 'rolled_back']) == 'rolled_back'
    assert _waiter._worst(['canceled', 'rolled_back']) == 'canceled'


def test_records_are_normalized_by_the_dag_model(agent, clock):
    scale_out(agent, step=5.0, stage_count=2)
    result, dummy = wait(agent, clock)
    assert set(result['dags'][0]) >= set(k for k in _dag.RECORD_KEYS if k != 'nodes')
