# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the known DAG templates (plugins/module_utils/_templates.py).

The table will grow: these tests pin only the 'Cluster scale out' row (spec §11.1) and otherwise check rules that
every row must keep, plus the node walks of allowed_operations on a table of their own (monkeypatched).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.oceanbase.obshell.plugins.module_utils import _dag, _report, _templates, _vocabulary

ALL_STATES = ('retried', 'rolled_back', 'passed', 'canceled')
UNKNOWN_NAMES = ['No template is named like this 42', '', 'cluster scale out', 'Cluster scale out ',
                 ' Cluster scale out', 'Cluster scale out 2', 'Local Cluster scale out', 'Cluster  scale out']


def scale_out(**fields):
    record = {'id': '142', 'name': 'Cluster scale out', 'state': 'FAILED', 'stage': 6, 'max_stage': 9}
    record.update(fields)
    return record


def test_scale_out_allows_retry_and_rollback_only():
    # §11.1: every task of "Cluster scale out" opts into continue, retry and rollback only.
    assert _templates.allowed_operations(scale_out()) == (('retried', 'rolled_back'), True)
    nodes = [{'name': 'node %d' % number} for number in range(1, 10)]
    assert _templates.allowed_operations(scale_out(nodes=nodes)) == (('retried', 'rolled_back'), True)
    assert _templates.maintenance_of('Cluster scale out') == 'global'
    assert _templates.template_of('Cluster scale out')['source']


@pytest.mark.parametrize('name', UNKNOWN_NAMES + [None, 42, ['Cluster scale out']])
def test_an_unknown_template_lists_every_state_and_says_so(name):
    assert _templates.allowed_operations(scale_out(name=name)) == (ALL_STATES, False)
    assert _templates.template_of(name) is None
    assert _templates.maintenance_of(name) is None


def test_a_record_without_a_name_is_unknown():
    assert _templates.allowed_operations({}) == (ALL_STATES, False)


def test_template_names_are_matched_exactly():
    # FAILS AGAINST THE CURRENT CODE (on purpose). The patterns are written r'^Cluster scale out$' and matched with
    # re.search: '$' also matches before a trailing newline, so a DAG named "Cluster scale out\n" is taken for the
    # known template (and called a global maintenance DAG). A name matches a template only if it is that name:
    # use re.fullmatch or '\Z'. Worth fixing before the table grows.
    for name in ('Cluster scale out\n', 'Cluster scale out\r\n'):
        assert _templates.template_of(name) is None, repr(name)
        assert _templates.allowed_operations(scale_out(name=name))[1] is False


def test_every_row_of_the_table_keeps_the_rules():
    assert _templates.STATE_OF == {'retry': 'retried', 'rollback': 'rolled_back', 'pass': 'passed',
                                   'cancel': 'canceled'}
    assert set(_templates.STATE_OF.values()) == set(_vocabulary.OPERATION_STATES)
    assert _templates.TEMPLATES
    for template in _templates.TEMPLATES:
        assert template['maintenance'] in ('global', 'tenant', 'obproxy', 'none'), template
        assert template['source'], template                    # each row names the agent file it comes from
        assert template['pattern'].pattern.startswith('^'), template     # a name is matched from its start


@pytest.fixture
def walk_table(monkeypatch):
    """A template 'T' whose nodes opt into everything, except node 'N2', which allows retry only; a template 'U'
    whose first node allows pass only and the others retry and pass; and a template 'Nothing' that allows nothing.
    Made with the module's own row builder (rows: node name, opt-in letters)."""
    make = _templates._template   # pylint: disable=protected-access
    table = (make(r'^T$', 'tenant', [('N2', 'R'), (r'.*', 'C P R Rb')], 'test'),
             make(r'^U$', 'none', [('N1', 'P'), (r'.*', 'R P')], 'test'),
             make(r'^Nothing$', 'none', [(r'.*', '')], 'test'))
    monkeypatch.setattr(_templates, 'TEMPLATES', table)


NODES = [{'name': 'N1'}, {'name': 'N2'}, {'name': 'N3'}]


@pytest.mark.parametrize('stage, states', [
    # RETRY: the current node; ROLLBACK: every node up to the failed one; PASS: the remaining nodes; CANCEL: every
    # node from the first to the current one (§11.1, service/task/dag.go).
    (1, ('retried', 'rolled_back', 'canceled')),          # PASS would pass N2 too
    (2, ('retried',)),
    (3, ('retried', 'passed')),                           # ROLLBACK and CANCEL walk back over N2
])
def test_allowed_operations_walk_the_nodes(walk_table, stage, states):
    assert _templates.allowed_operations({'name': 'T', 'stage': stage, 'nodes': NODES}) == (states, True)
    # Always in the canonical order of the module's states.
    assert list(states) == [state for state in ALL_STATES if state in states]


def test_allowed_operations_without_nodes_suggest_only_what_every_node_allows(walk_table):
    # A summary read: the current node is not known, so only what every node of the template allows is certain.
    assert _templates.allowed_operations({'name': 'T', 'stage': 2}) == (('retried',), True)
    assert _templates.allowed_operations({'name': 'T', 'stage': 3, 'nodes': []}) == (('retried',), True)
    for stage in (None, 0, 7, '2', True):
        states, known = _templates.allowed_operations({'name': 'T', 'stage': stage, 'nodes': NODES})
        assert known is True and set(states) <= set(ALL_STATES)


def test_a_known_template_that_allows_nothing(walk_table):
    record = {'id': '11', 'name': 'Nothing', 'stage': 1}
    allowed = _templates.allowed_operations(record)
    assert allowed == ((), True)
    follow_up = _report.follow_up(record, allowed)
    assert follow_up['command'] is None and follow_up['template_known'] is True
    assert 'allows none of retry, roll back or pass' in follow_up['note']
    assert _templates.maintenance_of('Nothing') == 'none'


def test_retry_is_judged_by_the_current_node_when_a_summary_record_names_it(walk_table):
    # FAILS AGAINST THE CURRENT CODE (on purpose). RETRY depends on the current node only (§11.1), and a record
    # normalized with details='summary' from a detailed read still names it (current_node, failure.node). But
    # allowed_operations looks only at record['nodes'], which summary records (and the watcher's records, which
    # drop 'nodes' unless details=full) do not have, and falls back to what every node allows: for 'U' failed at
    # N2 it suggests only 'passed', never 'retried', though the agent allows RETRY there. On the real table this
    # makes the follow-up of a failed 'Start observer' (failed at its 'Start observer' node, which allows retry)
    # "state=passed": it nudges the operator to skip the failed step instead of retrying it.
    nodes = [{'name': name, 'state': state, 'operator': 'RUN', 'sub_tasks': None}
             for name, state in (('N1', 'SUCCEED'), ('N2', 'FAILED'), ('N3', 'PENDING'))]
    dto = {'id': '11', 'name': 'U', 'state': 'FAILED', 'operator': 'RUN', 'stage': 2, 'max_stage': 3, 'nodes': nodes}
    full = _dag.normalize_dag(dto, details='full', now=0)
    summary = _dag.normalize_dag(dto, details='summary', now=0)
    assert summary['current_node'] == 'N2' and summary['failure']['node']['name'] == 'N2'
    assert 'retried' in _templates.allowed_operations(full)[0]
    assert 'retried' in _templates.allowed_operations(summary)[0]
