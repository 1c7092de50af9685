# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the verdict (_verdict.py): the order of outcomes, pair by pair, and the combined result of a batch,
fed with recorded part results."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import itertools

import pytest

from ansible_collections.oceanbase.obshell.plugins.module_utils import _engine, _report, _verdict

# Worst first. Written out here, not imported: swapping two outcomes in the code must fail this test.
ORDER = ['error', 'unreachable', 'timeout', 'failed', 'canceled', 'rolled_back', 'passed', 'running', 'succeeded',
         'idle']


@pytest.mark.parametrize('worse, better', list(zip(ORDER, ORDER[1:])))
def test_each_outcome_is_worse_than_the_next(worse, better):
    assert _verdict.worst([better, worse]) == worse
    assert _verdict.worst([worse, better]) == worse


@pytest.mark.parametrize('first, second', list(itertools.combinations(ORDER, 2)))
def test_every_pair_orders_the_same_way(first, second):
    assert _verdict.worst([second, first]) == first


def test_the_order_is_the_one_every_part_uses():
    assert list(_verdict.SEVERITY) == ORDER
    assert _verdict.worst([]) is None
    with pytest.raises(ValueError):
        _verdict.worst(['done'])


def _engine_outcome(*outcomes):
    """The verdict of one engine whose DAGs ended with these outcomes (no nodes to read: settled)."""
    engine = _engine.WaitEngine(clock=lambda: 0.0, fail_on=())
    engine.begin_poll()
    records = []
    for index, outcome in enumerate(outcomes):
        state, operator = {'succeeded': ('SUCCEED', 'RUN'), 'failed': ('FAILED', 'RUN'),
                           'canceled': ('FAILED', 'CANCEL'), 'rolled_back': ('SUCCEED', 'ROLLBACK'),
                           'passed': ('SUCCEED', 'PASS')}[outcome]
        records.append({'id': '1%d' % (index + 1), 'name': 'd%d' % index, 'state': state, 'operator': operator,
                        'stage': 1, 'outcome': outcome, 'failure': None})
    engine.main_read(records)
    for record in records:
        entry = engine.tracked[record['id']]
        entry.update(failure_details=True, final_details=True)
    return engine.verdict()


@pytest.mark.parametrize('worse, better', [('failed', 'canceled'), ('canceled', 'rolled_back'),
                                           ('rolled_back', 'passed'), ('passed', 'succeeded')])
def test_the_engine_decides_by_the_same_order(worse, better):
    assert _engine_outcome(better, worse) == worse
    assert _engine_outcome(worse, better) == worse


def part(kind, host, outcome, msg=None, dags=(), **extra):
    result = {'part': kind, 'host': host, 'agent': '10.0.0.%s:2886' % host[-1], 'outcome': outcome,
              'msg': msg or outcome, 'dags': list(dags), 'failures': [], 'running': []}
    result.update(extra)
    return result


def test_unreachable_outranks_timeout_across_parts():
    combined = _verdict.combine([part('agent', 'obs1', 'timeout'), part('agent', 'obs2', 'unreachable')])
    assert combined['outcome'] == 'unreachable'
    combined = _verdict.combine([part('agent', 'obs1', 'unreachable'), part('agent', 'obs2', 'timeout')])
    assert combined['outcome'] == 'unreachable'


def test_a_failed_part_fails_every_host_and_each_says_first_what_concerns_itself():
    dag = {'id': '2016777216202886' + '7', 'name': 'Start observer', 'state': 'FAILED', 'outcome': 'failed'}
    parts = [part('cluster', 'obs1', 'running', msg='still running'),
             part('agent', 'obs1', 'idle', msg='nothing'),
             part('agent', 'obs2', 'failed', msg="DAG 2... 'Start observer' failed", dags=[dag],
                  failures=[{'id': dag['id'], 'summary': 'failed'}])]
    combined = _verdict.combine(parts, hosts=['obs1', 'obs2'])
    assert combined['outcome'] == 'failed'
    assert combined['failed'] is True
    assert combined['per_host']['obs2']['msg'] == "failed: obs2: DAG 2... 'Start observer' failed"
    assert combined['per_host']['obs1']['msg'] == "failed: obs1: nothing; elsewhere in the batch: obs2: DAG 2... " \
                                                  "'Start observer' failed"
    assert [f['host'] for f in combined['failures']] == ['obs2']
    assert combined['cluster']['part'] == 'cluster'


def test_a_wait_ended_by_one_part_also_says_what_was_still_running():
    # One agent's part reached unreachable_timeout a poll before the cluster part (which read the same agent a
    # moment later) did: the message still tells the operator where the scale-out was last seen. obs2, still
    # going with nothing seen, adds nothing.
    running = {'id': '11', 'summary': "DAG 11 'Cluster scale out' still RUNNING at 3/9"}
    parts = [part('cluster', 'obs1', 'running', msg="still running when the wait ended: DAG 11 'Cluster scale out' "
                                                    "still RUNNING at 3/9", running=[running]),
             part('agent', 'obs1', 'unreachable', msg='agent 10.0.0.1:2886 has not answered for 0:01'),
             part('agent', 'obs2', 'running', msg='still running when the wait ended: nothing seen yet')]
    combined = _verdict.combine(parts, hosts=['obs1', 'obs2'])
    # What failed comes first: the head and the first words are about it.
    assert combined['msg'] == "unreachable: obs1: agent 10.0.0.1:2886 has not answered for 0:01; cluster DAGs " \
                              "(asked 10.0.0.1:2886 via obs1): still running when the wait ended: DAG 11 'Cluster " \
                              "scale out' still RUNNING at 3/9"


def test_fail_on_decides_and_error_always_fails():
    assert _verdict.combine([part('agent', 'obs1', 'failed')], fail_on=['timeout'])['failed'] is False
    assert _verdict.combine([part('agent', 'obs1', 'error')], fail_on=[])['failed'] is True


def test_assert_idle_fails_on_anything_but_idle_listing_each_dag():
    dag = {'id': '11', 'name': 'Cluster scale out', 'state': 'RUNNING', 'progress': '3/9',
           'current_node': 'Wait scale out ready', 'outcome': 'running'}
    combined = _verdict.combine([part('cluster', 'obs1', 'running', dags=[dag]), part('agent', 'obs1', 'idle')],
                                mode='assert_idle')
    assert combined['failed'] is True
    assert combined['msg'] == "not idle: cluster DAGs (asked 10.0.0.1:2886 via obs1): DAG 11 'Cluster scale out' " \
                              "RUNNING at 3/9 'Wait scale out ready'"
    assert _verdict.combine([part('agent', 'obs1', 'idle')], mode='assert_idle')['failed'] is False


def test_a_dag_seen_by_two_parts_is_listed_once():
    dag = {'id': '11', 'name': 'x', 'outcome': 'succeeded'}
    combined = _verdict.combine([part('cluster', 'obs1', 'succeeded', dags=[dag]),
                                 part('dag', 'obs1', 'succeeded', dags=[dag])])
    assert [d['id'] for d in combined['dags']] == ['11']


def test_agent_text_in_a_message_is_made_safe():
    # A hostile host label cannot forge a line in the message.
    combined = _verdict.combine([part('agent', 'obs1\n\x1b[32mok', 'failed', msg='boom')])
    assert '\n' not in combined['msg'] and '\x1b' not in combined['msg']


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError):
        _verdict.combine([], mode='maybe')


# ---------------------------------------------------------------------------------------------- at a glance

def _glance_result():
    dag = {'id': '11', 'name': 'Cluster scale out', 'outcome': 'succeeded', 'state': 'SUCCEED'}
    hostile = {'id': '2001', 'name': 'evil\x1b[31m\nname', 'outcome': 'failed', 'state': 'FAILED'}
    parts = [
        {'part': 'cluster', 'host': 'obs1', 'outcome': 'succeeded', 'elapsed': 75.0, 'dags': [dag]},
        {'part': 'agent', 'host': 'obs1', 'outcome': 'idle', 'elapsed': 75.0, 'dags': []},
        {'part': 'agent', 'host': 'obs2', 'outcome': 'failed', 'elapsed': 12.5, 'dags': [hostile]},
    ]
    result = _verdict.combine(parts, hosts=['obs1', 'obs2', 'obs3'])
    result['parts'] = parts
    return result


def test_stats_list_every_host_and_the_cluster_part():
    waits = _verdict.stats(_glance_result())['obshell_waits']
    assert sorted(waits) == ['obs1', 'obs1 [cluster]', 'obs2', 'obs3']
    assert waits['obs1 [cluster]'] == {'outcome': 'succeeded', 'elapsed': 75.0,
                                       'dags': [{'id': '11', 'name': 'Cluster scale out', 'outcome': 'succeeded'}]}
    assert waits['obs2']['outcome'] == 'failed' and waits['obs2']['elapsed'] == 12.5
    # a host of the batch without a part of its own (its agent part was dropped) is still listed, unknown time
    assert waits['obs3'] == {'outcome': 'idle', 'elapsed': None, 'dags': []}


def test_the_summary_table_is_aligned_and_agent_text_cannot_break_it():
    lines = _report.summary_table(_glance_result())
    assert lines[0].split() == ['HOST', 'OUTCOME', 'TIME', 'DAGS']
    assert lines[1].split()[:4] == ['obs1', '[cluster]', 'succeeded', '1:15']
    assert len(lines) == 5 and all('\n' not in line and '\x1b' not in line for line in lines)
    assert '2001 evil\\e[31m\\nname: failed' in lines[3]
    # the DAGS column starts at the same place on every line
    column = lines[0].index('DAGS')
    assert [line[column - 2:column + 4] for line in lines] == ['  DAGS', '  11 C', '  -', '  2001', '  -'], lines


def test_a_lean_result_holds_each_dag_record_once_and_agent_text_made_safe():
    result = _glance_result()
    result['dags'] = [dict(dag, start_time='2026-01-01T00:00:00Z', nodes=[{'name': 'n'}]) for dag in result['dags']]
    result['events'] = ['obs1 [cluster] | a line']
    for part in result['parts']:
        part.update(events=['a line'], agent_info={'version': '4.5.0.0'})
    lean = _report.lean_result(result)
    text = json.dumps(lean)
    # the full records once, in dags; the parts, the cluster part and the hosts keep the main keys of theirs
    assert text.count('"start_time"') == 2 and text.count('"nodes"') == 2, text
    assert lean['per_host']['obs2']['dags'] == [{'id': '2001', 'name': 'evil\\e[31m\\nname', 'state': 'FAILED',
                                                 'operator': None, 'progress': None, 'outcome': 'failed'}]
    assert [part['dags'] for part in lean['parts']][0] == [
        {'id': '11', 'name': 'Cluster scale out', 'state': 'SUCCEED', 'operator': None, 'progress': None,
         'outcome': 'succeeded'}]
    # each line once, in events
    assert 'events' not in lean['parts'][0] and 'agent_info' not in lean['parts'][0] and lean['events']
    # agent text escaped and capped as in lines, in the records too
    assert '\x1b' not in text and lean['dags'][1]['name'] == 'evil\\e[31m\\nname'
    long = _report.lean_result({'dags': [{'id': '11', 'name': 'x' * 5000}]})
    assert len(long['dags'][0]['name']) < 400
    # the caller's result is not changed
    assert result['parts'][0]['events'] == ['a line']


@pytest.mark.parametrize('results', [[], {}, [{'skipped': True, 'changed': False}], {'obs1': {'skipped': True}}])
@pytest.mark.parametrize('mode', ['wait', 'assert_idle'])
def test_nothing_waited_on_is_an_error_never_idle(results, mode):
    # Found by the red team: an empty input, or results where every host skipped the wait, gave idle.
    combined = _verdict.combine_results(results, mode=mode)
    assert combined['outcome'] == 'error' and combined['failed'] is True
    assert 'nothing was waited on' in combined['msg']
