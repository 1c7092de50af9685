# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The wait engine alone (_engine.WaitEngine): a pure state machine fed reads, with an injected clock. No watcher, no
agents: each test hands it the reads an agent would give and checks what it decides."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import json

import pytest

from ansible_collections.oceanbase.obshell.plugins.module_utils import _dag_id, _engine, _query
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import (
    ObshellAuthError,
    ObshellClusterUnknownError,
    ObshellConnectionError,
)
from tests.support.clock import FakeClock

EPOCH = 1778205600.0        # the agent's clock at the engine's 0 in these tests


def record(dag_id='11', name='Cluster scale out', state='RUNNING', operator='RUN', stage=1, max_stage=3, start=0.0,
           end=None, nodes=False):
    """A normalized record as the watcher hands it over (from a DTO, through the DAG model)."""
    def stamp(seconds):
        return datetime.datetime.fromtimestamp(EPOCH + seconds, datetime.timezone.utc).isoformat()
    dto = {'id': dag_id, 'dag_id': _dag_id.id_number(dag_id), 'name': name, 'stage': stage, 'max_stage': max_stage, 'maintenance_type': 2,
           'maintenance_key': '', 'state': state, 'operator': operator, 'start_time': stamp(start),
           'end_time': stamp(end if end is not None else start - 1), 'additional_data': None, 'nodes': None}
    if nodes:
        dto['nodes'] = [{'id': '1%d' % index, 'node_id': index, 'name': 'node %d' % index,
                         'state': 'SUCCEED' if index < stage or state == 'SUCCEED' else
                         ('FAILED' if state == 'FAILED' and index == stage else 'PENDING'),
                         'operator': 'RUN', 'start_time': stamp(start), 'end_time': stamp(start),
                         'additional_data': None, 'sub_tasks': []} for index in range(1, max_stage + 1)]
    return _query.normalize(dto, agent='10.0.0.1:2886', details='full' if nodes else 'summary', now=EPOCH)


def engine(**options):
    clock = options.pop('clock', None) or FakeClock(epoch=EPOCH)
    return _engine.WaitEngine(clock=clock, poll_interval=options.pop('poll_interval', 5.0), **options), clock


def poll(eng, records=None, error=None, reads=()):
    """One poll: the list (or its failure), then the follow-up reads given as {id: record} (or an exception)."""
    eng.begin_poll()
    if error is not None:
        eng.main_failed(error)
    else:
        eng.main_read(records or [])
    answers = dict(reads)
    for dag_id, details in eng.follow_ups():
        answer = answers.get(dag_id)
        if answer is None:
            continue
        eng.dag_read(answer, details, node_names=[n['name'] for n in answer.get('nodes') or []] or None,
                     nodes=answer.get('nodes'))
    return eng.end_poll()


def test_a_success_is_settled_only_by_a_read_with_consistent_nodes():
    eng, clock = engine()
    poll(eng, [record()])
    clock.t = 5
    done = record(state='SUCCEED', stage=3)
    poll(eng, [], reads={'11': done})                  # a summary: no nodes
    assert eng.verdict() is None
    clock.t = 10
    lying = record(state='SUCCEED', stage=2, nodes=True)    # SUCCEED/RUN but stopped at stage 2 of 3
    poll(eng, [], reads={'11': lying})
    assert eng.verdict() is None
    clock.t = 15
    poll(eng, [], reads={'11': record(state='SUCCEED', stage=3, nodes=True)})
    assert eng.verdict() == 'succeeded'


def test_at_the_deadline_an_unsettled_success_is_a_timeout():
    eng, clock = engine(timeout=10)
    poll(eng, [record()])
    clock.t = 10
    poll(eng, [], reads={'11': record(state='SUCCEED', stage=3)})
    assert eng.verdict() == 'timeout'


def test_a_record_under_a_tracked_id_with_another_name_ends_the_part():
    eng, clock = engine()
    poll(eng, [record(name='Install obshell package')])
    clock.t = 5
    poll(eng, [record(name='Start obshell')])
    assert eng.verdict() == 'error'
    assert eng.fatal['kind'] == 'dag_replaced'


def test_a_retry_that_resets_the_start_time_is_still_the_same_dag():
    eng, clock = engine()
    poll(eng, [record(state='FAILED', stage=2, start=0, end=3)])
    clock.t = 5
    poll(eng, [record(state='RUNNING', stage=2, start=4)])
    assert eng.fatal is None


def test_a_failure_with_new_times_is_a_new_failure_read_again():
    eng, clock = engine(fail_on=('timeout',))
    failed = record(state='FAILED', stage=2, start=0, end=3, nodes=True)
    poll(eng, [failed], reads={'11': failed})
    assert eng.tracked['11']['failure_details'] is True
    clock.t = 5
    poll(eng, [record(state='FAILED', stage=2, start=4, end=4.5)])
    assert eng.tracked['11']['failure_details'] is False
    assert ('11', True) in eng.follow_ups()


def test_a_vanished_dag_ends_the_part():
    eng, clock = engine()
    poll(eng, [record()])
    eng.dag_vanished('11')
    assert eng.verdict() == 'error' and eng.fatal['kind'] == 'dag_vanished'


def test_history_windows_are_on_the_agents_clock():
    eng, clock = engine()
    eng.begin_poll()
    eng.main_read([])
    assert eng.history_window(EPOCH + 600.0) is None              # first read, nothing named: nothing to read back
    assert eng.windows.agent_start == EPOCH + 600.0                       # the agent is 10 minutes ahead: its own times rule
    clock.t = 5
    eng.begin_poll()
    eng.main_failed(ObshellConnectionError('refused', agent='a'))
    clock.t = 20
    eng.begin_poll()
    eng.main_read([])
    assert eng.history_window(EPOCH + 620.0) == (EPOCH + 600.0, EPOCH + 620.0)   # since the last good read


def test_a_named_wait_looks_back_over_its_appear_window_once():
    eng, clock = engine(appear_timeout=30)
    eng.begin_poll()
    eng.main_read([])
    assert eng.history_window(EPOCH, lookback=30) == (EPOCH - 30, EPOCH)
    clock.t = 5
    eng.begin_poll()
    eng.main_read([])
    assert eng.history_window(EPOCH + 5, lookback=30) is None


def test_the_closing_window_covers_what_no_read_did_once():
    eng, clock = engine()
    for t in (0, 5, 10):
        clock.t = t
        eng.begin_poll()
        eng.main_read([])
        eng.history_window(EPOCH + t)
    assert eng.closing_window() == (EPOCH, EPOCH + 10)
    eng.history_read([], eng.closing_window(), closing=True)
    assert eng.closing_window() is None


def test_a_read_once_part_needs_no_history_a_single_poll_does():
    eng, clock = engine(read_once=True)
    eng.begin_poll()
    eng.main_read([])
    eng.history_window(EPOCH)
    assert eng.closing_window() is None         # a snapshot says what is unfinished now, nothing more
    eng, clock = engine()
    clock.t = 0.2                               # the first read, 0.2 s after the wait began
    eng.begin_poll()
    eng.main_read([])
    eng.history_window(EPOCH)
    # What failed between the start of the wait and its first read is in no list any more: read it back.
    assert eng.closing_window() == (EPOCH - 0.2, EPOCH)


@pytest.mark.parametrize('start, end, joins', [
    (-100, -50, False),     # ended before the window
    (-100, -0.5, True),     # ended inside the slack of its start
    (-100, 5, True),        # ran into the window
    (3, 6, True),           # began and ended inside it
    (3, None, True),        # began inside it and still runs
    (25, 30, False),        # began after it
])
def test_history_joins_exactly_what_was_unfinished_inside_the_window(start, end, joins):
    eng, clock = engine()
    item = record(dag_id='12', state='FAILED' if end is not None else 'RUNNING', start=start, end=end)
    joined = eng.history_read([item], (EPOCH, EPOCH + 20))
    assert (joined == ['12']) is joins
    if joins:
        assert eng.tracked['12']['left'] is True and eng.tracked['12']['final'] is False   # read by id before a verdict


def test_only_the_observer_missing_is_polled_at_the_interval_not_backed_off():
    eng, clock = engine(poll_interval=1.0)
    eng.begin_poll()
    eng.main_read([])
    for t in range(1, 6):
        clock.t = t
        eng.begin_poll()
        eng.main_failed(ObshellClusterUnknownError('cluster DAGs unknown', agent='a'))
        assert eng.next_delay() == pytest.approx(1.0)
    eng2, clock2 = engine(poll_interval=1.0)
    eng2.begin_poll()
    eng2.main_read([])
    delays = []
    for t in range(1, 6):
        clock2.t = t
        eng2.begin_poll()
        eng2.main_failed(ObshellConnectionError('refused', agent='a'))
        delays.append(eng2.next_delay())
    assert delays == [1.0, 2.0, 4.0, 8.0, 10.0]


def test_a_configuration_error_before_any_good_read_is_fatal_after_one_an_outage():
    eng, clock = engine()
    eng.begin_poll()
    eng.main_failed(ObshellAuthError('wrong password', agent='a'))
    assert eng.verdict() == 'error'
    eng, clock = engine(unreachable_timeout=10)
    poll(eng, [])
    clock.t = 5
    eng.begin_poll()
    eng.main_failed(ObshellAuthError('wrong password', agent='a'))
    assert eng.verdict() is None and eng.windows.blind_open


def test_the_state_round_trips_through_json_windows_included():
    eng, clock = engine()
    poll(eng, [record()])
    eng.history_window(EPOCH)
    clock.t = 5
    eng.begin_poll()
    eng.main_failed(ObshellConnectionError('refused', agent='a'))
    eng.windows.unseen((EPOCH, EPOCH + 5), 'old agent')
    restored, dummy = engine(clock=clock)
    restored.load_state(json.loads(json.dumps(eng.to_state())))
    assert restored.to_state() == eng.to_state()
    assert restored.windows.blind_open and restored.windows.unclosed == [{'seconds': 5.0, 'why': 'old agent'}]
    with pytest.raises(ValueError):
        restored.load_state(dict(eng.to_state(), version=2))


@pytest.mark.parametrize('seen, later, operator, same', [
    ('RUNNING', 'RUNNING', 'RUN', False),    # a new DAG under the old id, with the same name (a re-deployed agent)
    ('SUCCEED', 'RUNNING', 'RUN', False),
    ('READY', 'RUNNING', 'RUN', True),       # the pickup sets the start time of a READY DAG
    ('FAILED', 'RUNNING', 'RUN', True),      # RETRY resets it, and the pickup sets it again
    ('RUNNING', 'READY', 'CANCEL', True),    # CANCEL of a running DAG
])
def test_a_start_time_that_moves_is_another_dag_unless_an_operation_explains_it(seen, later, operator, same):
    eng, clock = engine(fail_on=('timeout',))
    poll(eng, [record(state=seen, stage=2, start=0, end=3 if seen in ('FAILED', 'SUCCEED') else None)])
    clock.t = 5
    poll(eng, [record(state=later, operator=operator, stage=1, start=4)])
    assert (eng.fatal is None) is same
    if not same:
        assert eng.fatal['kind'] == 'dag_replaced' and 'start time moved' in eng.fatal['message']


def test_a_start_time_earlier_than_the_one_seen_is_another_dag():
    eng, clock = engine()
    poll(eng, [record(state='READY', start=10)])
    clock.t = 5
    poll(eng, [record(state='RUNNING', start=2)])
    assert eng.fatal['kind'] == 'dag_replaced'


def test_a_part_read_once_promises_no_retry():
    # Found by the red team: assert_idle printed "retrying for up to 5:00" and then, rightly, did not retry.
    eng, clock = engine(read_once=True)
    eng.begin_poll()
    eng.main_failed(ObshellConnectionError('refused', agent='a'))
    lines = eng.end_poll()
    assert lines and not any('retrying' in line for line in lines)
    assert eng.verdict() == 'unreachable'
