# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""What an operation on a DAG means, decided from DAG records alone: pure functions, no I/O (_operations.py does
the asking and the sending). Section numbers refer to obshell-api.md (§4.5, §4.8).

``assess`` is the one table of what a DAG read by id must show before an operation is said to be "already" done
(and what it must show to be "on its way", to be worth a POST, or to be refused); ``expected_problem`` whether the
DAG under an id is the one the caller named; after a POST whose answer was lost or late, ``took_evidence`` is what a
read-back must show before it says "it took".
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.oceanbase.obshell.plugins.module_utils import _dag_fields, _text
from ansible_collections.oceanbase.obshell.plugins.module_utils._vocabulary import FINISHED_STATES, OPERATION_STATES, UNFINISHED_STATES

# The verdicts of assess().
DONE = 'done'           # already in the requested state: the evidence below was read
UNDERWAY = 'underway'   # on its way there (someone else's operation): nothing to send, the wait decides
TODO = 'todo'           # the agent's precondition holds: the operation is sent
REFUSED = 'refused'     # it cannot get there from here: the reason says what the DAG is in


# --------------------------------------------------------------------------------------------------------------
# The evidence table


def _nodes(record):
    nodes = record.get('nodes')
    return nodes if isinstance(nodes, list) else None


def _node_at(record, stage):
    for node in _nodes(record) or []:
        if node.get('stage') == stage:
            return node
    return None


def _names(nodes):
    return ', '.join("'%s'" % _text.safe_text(node.get('name') or '?', 80) for node in nodes)


def _passed(record):
    return [node for node in _nodes(record) or [] if (node.get('state'), node.get('operator')) == ('SUCCEED', 'PASS')]


def where(record):
    """STATE/OPERATOR at progress: what a message says the DAG is in."""
    return '%s/%s at %s' % (record.get('state'), record.get('operator'), record.get('progress') or '?')


def inconsistency(record):
    """Why the nodes of a DAG read in full do not fit its state and stage (§4.5, §4.8), or '' when they do. A final
    verdict is only drawn from a record whose nodes agree with it."""
    nodes = _nodes(record)
    if nodes is None or record.get('passed_nodes') is None:
        # (a record read in full has both; passed_nodes is None when the agent sent "nodes": null)
        return 'the agent sent no nodes for it'
    state, operator, stage, max_stage = (record.get('state'), record.get('operator'), record.get('stage'),
                                         record.get('max_stage'))
    if len(nodes) != max_stage:
        return 'it has %d nodes but max_stage %s' % (len(nodes), max_stage)
    if not nodes:
        return 'it has no nodes'
    running = [node for node in nodes if node.get('state') in ('READY', 'RUNNING')]
    if state in FINISHED_STATES and running:
        return 'it is %s but node %s is %s' % (state, _names(running[:1]), running[0].get('state'))
    unsucceeded = [node for node in nodes if node.get('state') != 'SUCCEED']
    if state == 'SUCCEED' and operator in ('RUN', 'PASS'):
        # A DAG PASS ends the DAG at once where it failed (§4.8): its stage stays there.
        if operator == 'RUN' and stage != max_stage:
            return 'it is SUCCEED/%s at stage %s of %s' % (operator, stage, max_stage)
        if unsucceeded:
            return 'it is SUCCEED/%s but node %s is %s' % (operator, _names(unsucceeded[:1]),
                                                           unsucceeded[0].get('state'))
        if operator == 'PASS' and not _passed(record):
            return 'it is SUCCEED/PASS but no node was passed'
    elif state == 'SUCCEED' and operator == 'ROLLBACK':
        first = _node_at(record, 1)
        if stage != 1 or first is None or (first.get('state'), first.get('operator')) != ('SUCCEED', 'ROLLBACK'):
            return 'it is SUCCEED/ROLLBACK but its first node is %s/%s at stage %s' % (
                (first or {}).get('state'), (first or {}).get('operator'), stage)
    elif state == 'FAILED':
        current = _node_at(record, stage)
        if current is None or current.get('state') != 'FAILED':
            return 'it is FAILED but its node at stage %s is %s' % (stage, (current or {}).get('state'))
    return ''


def assess(record, state, node_id=None):
    """What an operation towards ``state`` (one of OPERATION_STATES) means for a DAG read by id with its nodes: (verdict,
    reason). The one table of evidence for "already in the requested state":

    ============  =========================================================================================
    retried       SUCCEED with operator RUN, no node passed (every node SUCCEED, stage = max_stage)
    rolled_back   SUCCEED with operator ROLLBACK (stage 1, the first node SUCCEED/ROLLBACK)
    canceled      FAILED with operator CANCEL (the node at stage FAILED)
    passed        SUCCEED with operator PASS, or SUCCEED/RUN with a passed node (every node SUCCEED)
    node passed   that node (found by its id in the DAG's nodes) SUCCEED with operator PASS
    ============  =========================================================================================

    and always: the record read by id in this run, whose identity the caller checked, with nodes that fit its state
    (``inconsistency``). "On its way" (UNDERWAY) is a running DAG with the operator the operation would give it (a
    retry: operator RUN and a node RETRY, none passed). TODO is what the agent accepts (§4.8); everything else is
    REFUSED, with the reason saying what the DAG is in.
    """
    dag_state, operator = record.get('state'), record.get('operator')
    pair = (dag_state, operator)
    running = dag_state in UNFINISHED_STATES
    passed = _passed(record)

    def done(reason):
        problem = inconsistency(record)
        if problem:
            return REFUSED, ('the agent reports it %s, but its record does not hold together (%s): no verdict from '
                             'it' % (where(record), problem))
        return DONE, reason

    if node_id is not None:
        node = next((n for n in _nodes(record) or [] if n.get('id') == node_id), None)
        if node is None:
            return REFUSED, 'it has no node %s' % node_id
        node_pair = (node.get('state'), node.get('operator'))
        if node_pair == ('SUCCEED', 'PASS'):
            return done("passed at node %s '%s'" % (node_id, _text.safe_text(node.get('name') or '?', 80)))
        if dag_state != 'FAILED':
            return REFUSED, 'the DAG is %s, not FAILED' % where(record)
        if node.get('state') != 'FAILED':
            return REFUSED, 'the node is %s/%s, not FAILED' % node_pair
        return TODO, ''

    if state == 'retried':
        if pair == ('SUCCEED', 'RUN'):
            if passed:
                return REFUSED, ('it succeeded only because node %s was passed (by someone): that step was skipped, '
                                 'not done, and the agent retries only a FAILED DAG' % _names(passed))
            retried = [n for n in _nodes(record) or [] if n.get('operator') == 'RETRY']
            return done('succeeded' + (' (after a retry of node %s)' % _names(retried) if retried else
                                       ' (no node of it was retried: it did not need one)'))
        if dag_state == 'FAILED':
            return TODO, ''
        if running and operator == 'RUN':
            if passed:
                return REFUSED, ('it is %s, running on after node %s was passed (by someone); it is not being '
                                 'retried' % (where(record), _names(passed)))
            current = _node_at(record, record.get('stage'))
            if current is not None and current.get('operator') == 'RETRY':
                return UNDERWAY, "being retried (node '%s' carries operator RETRY)" % _text.safe_text(
                    current.get('name') or '?', 80)
            retried = [n for n in _nodes(record) or [] if n.get('operator') == 'RETRY']
            if retried:
                return UNDERWAY, 'being retried (node %s was retried; it is %s now)' % (
                    _names(retried), where(record))
        return REFUSED, _not_failed(record, passed)
    if state == 'rolled_back':
        if pair == ('SUCCEED', 'ROLLBACK'):
            return done('rolled back')
        if dag_state == 'FAILED':
            return TODO, ''
        if running and operator == 'ROLLBACK':
            return UNDERWAY, 'being rolled back (%s)' % where(record)
        return REFUSED, _not_failed(record, passed)
    if state == 'canceled':
        if pair == ('FAILED', 'CANCEL'):
            return done('canceled')
        if running and operator == 'CANCEL':
            return UNDERWAY, 'being canceled (%s)' % where(record)
        if running:
            return TODO, ''
        return REFUSED, 'it is %s, already finished; only a running DAG can be canceled' % where(record)
    if state == 'passed':
        if pair == ('SUCCEED', 'PASS'):
            return done('passed')
        if pair == ('SUCCEED', 'RUN') and passed:
            return done('passed (node %s was passed, then it ran to its end)' % _names(passed))
        if dag_state == 'FAILED':
            return TODO, ''
        if running and operator == 'RUN' and passed:
            return UNDERWAY, 'running on after node %s was passed (%s)' % (_names(passed), where(record))
        return REFUSED, _not_failed(record, passed)
    raise ValueError('state must be one of %s, got %r' % (', '.join(OPERATION_STATES), state))


def _not_failed(record, passed):
    """The reason an operation that needs a FAILED DAG cannot be done, naming what the DAG is in."""
    pair = (record.get('state'), record.get('operator'))
    if pair == ('SUCCEED', 'PASS'):
        return ('it was passed (SUCCEED/PASS): its failed step %s was skipped, not done; the agent acts only on a '
                'FAILED DAG' % _names(passed) if passed else 'it was passed (SUCCEED/PASS); the agent acts only on '
                'a FAILED DAG')
    if pair == ('SUCCEED', 'ROLLBACK'):
        return 'it was rolled back (SUCCEED/ROLLBACK); the agent acts only on a FAILED DAG'
    if pair == ('SUCCEED', 'RUN'):
        return 'it succeeded (SUCCEED/RUN); the agent acts only on a FAILED DAG'
    if record.get('state') in UNFINISHED_STATES and record.get('operator') in ('ROLLBACK', 'CANCEL'):
        return 'it is being %s (%s), not FAILED' % ('rolled back' if pair[1] == 'ROLLBACK' else 'canceled',
                                                    where(record))
    return 'it is %s, not FAILED' % record.get('state')


# --------------------------------------------------------------------------------------------------------------
# Identity


def expected_problem(record, name=None, start_time=None):
    """Why the DAG under the id is not the one the caller named (options name, start_time), or ''."""
    if name is not None and record.get('name') != name:
        return "its name is '%s', not '%s'" % (_text.safe_text(record.get('name') or '?'), _text.safe_text(name))
    if start_time is not None:
        wanted = _dag_fields.parse_time(start_time)
        if wanted is None:
            return 'start_time %s is not an RFC 3339 time' % _text.safe_text(start_time, 60)
        got = _dag_fields.parse_time(record.get('start_time'))
        if got is None or abs(got - wanted) > 0.001:
            return ('it started at %s, not %s: it was retried, rolled back or canceled since, or it is another DAG '
                    'under a reused id' % (_text.safe_text(record.get('start_time') or 'an unset time', 60),
                                           _text.safe_text(start_time, 60)))
    return ''


# --------------------------------------------------------------------------------------------------------------
# After a lost or late answer: did it take?


def fingerprint(record):
    """What an operation would change in a DAG read in full: state, operator, stage, times, and per node its state,
    operator and how often its sub-tasks ran."""
    nodes = tuple((node.get('id'), node.get('state'), node.get('operator'),
                   sum(task.get('execute_times') or 0 for task in node.get('sub_tasks') or []))
                  for node in _nodes(record) or [])
    return (record.get('state'), record.get('operator'), record.get('stage'), record.get('start_time'),
            record.get('end_time'), nodes)


def _later(now, before, field):
    """``field`` (a time) is later in ``now`` than in ``before``; a millisecond is the agent's resolution."""
    first, second = _dag_fields.parse_time(before.get(field)), _dag_fields.parse_time(now.get(field))
    return second is not None and (first is None or second > first + 0.001)


def _ran_again(now, before):
    """The node that had failed ran again: its sub-tasks' execute_times grew."""
    node_before, node_now = _node_at(before, before.get('stage')), None
    if node_before is not None:
        node_now = next((n for n in _nodes(now) or [] if n.get('id') == node_before.get('id')), None)
    if node_now is None:
        return False

    def runs(node):
        return sum(task.get('execute_times') or 0 for task in node.get('sub_tasks') or [])
    return runs(node_now) > runs(node_before)


def took_evidence(before, now, operator, node_id=None):
    """How the DAG read after a lost answer shows that ``operator`` took (the change only that operator makes, §4.8),
    or '' when it does not show it. The agent does not say whose operation it was: someone else's at the same
    time reads the same."""
    state, op = now.get('state'), now.get('operator')
    if node_id is not None:
        node = next((n for n in _nodes(now) or [] if n.get('id') == node_id), None)
        if node is not None and (node.get('state'), node.get('operator')) == ('SUCCEED', 'PASS'):
            return 'the node is SUCCEED/PASS and the DAG %s/%s' % (state, op)
        return ''
    if operator == 'PASS':
        return 'it is SUCCEED/PASS' if (state, op) == ('SUCCEED', 'PASS') else ''
    if operator == 'CANCEL':
        return 'it carries operator CANCEL (%s)' % where(now) if op == 'CANCEL' else ''
    if operator == 'ROLLBACK':
        if op != 'ROLLBACK':
            return ''
        if state != 'FAILED':
            return 'it is %s' % where(now)
        if _later(now, before, 'end_time') or before.get('operator') != 'ROLLBACK':
            return 'it rolled back and failed again (%s, ended %s)' % (where(now), now.get('end_time'))
        return ''
    if operator == 'RETRY':
        if op != 'RUN':
            return ''
        current = _node_at(now, now.get('stage'))
        if state in UNFINISHED_STATES and current is not None and current.get('operator') == 'RETRY':
            return "it is %s, node '%s' carrying operator RETRY" % (where(now), _text.safe_text(
                current.get('name') or '?', 80))
        if (state, op) == ('SUCCEED', 'RUN') and not _passed(now):
            return 'it has run to SUCCEED/RUN since'
        if state in UNFINISHED_STATES and not _passed(now):
            return 'it runs again (%s)' % where(now)
        if state == 'FAILED' and (_ran_again(now, before) or _later(now, before, 'end_time')):
            return 'it ran again and failed again (%s, ended %s)' % (where(now), now.get('end_time'))
    return ''
