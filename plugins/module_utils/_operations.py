# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""Operations on a DAG (retry, roll back, cancel, pass), idempotent and never sent twice: the dag module and the
remediation of a wait both act through ``operate``. Section numbers refer to obshell-api.md (§4.8, §11.1).

An operation says only what it read. ``assess`` is the one table of what a DAG read by id must show before this
module says "already" (and what it must show to be "on its way", to be worth a POST, or to be refused); after a POST
whose answer was lost or late, ``took_evidence`` is what a read-back must show before it says "it took". Nothing
here ever says that a POST did not take (see ``read_back``).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import time

from ansible_collections.oceanbase.obshell.plugins.module_utils import _dag, _dag_fields, _query, _report, _text
from ansible_collections.oceanbase.obshell.plugins.module_utils._client import parse_version
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import (
    ObshellApiError,
    ObshellAuthError,
    ObshellConfigError,
    ObshellConnectionError,
    ObshellError,
    ObshellNotFoundError,
)
from ansible_collections.oceanbase.obshell.plugins.module_utils._vocabulary import OPERATION_OPERATORS, OPERATION_STATES, UNFINISHED_STATES

VERBS = {'retried': 'retry', 'rolled_back': 'roll back', 'canceled': 'cancel', 'passed': 'pass'}
GERUNDS = {'retried': 'retrying', 'rolled_back': 'rolling back', 'canceled': 'cancelling', 'passed': 'passing'}
# The first agent versions that support an operation (spec §7; peers: cancelling a running DAG came late 2024).
MIN_VERSION = {'canceled': (4, 2, 5), 'node': (4, 3, 1)}
# The agent's refusals because the template does not opt in (§11.1): they say what cannot be done, plainly.
_NOT_ALLOWED = ('Task.Dag.Operator.RetryNotAllowed', 'Task.Dag.Operator.RollbackNotAllowed',
                'Task.Dag.Operator.CancelNotAllowed', 'Task.Dag.Operator.PassNotAllowed',
                'Task.Node.Operator.PassNotAllowed')
# How a person checks a DAG by hand (peers.md §1).
CHECK_HINT = "check it with 'obshell task show -i %s -d' on an agent host, or oceanbase.obshell.dag_info with id %s"

# The verdicts of assess().
DONE = 'done'           # already in the requested state: the evidence below was read
UNDERWAY = 'underway'   # on its way there (someone else's operation): nothing to send, the wait decides
TODO = 'todo'           # the agent's precondition holds: the operation is sent
REFUSED = 'refused'     # it cannot get there from here: the reason says what the DAG is in



class OperationRefused(Exception):
    """The operation cannot be done, or it is unknown whether it was: a precondition, the agent's refusal, another
    DAG under the id, or a lost answer that no read could settle. ``before`` and ``after`` are the DAG records around
    it (after may be None); ``took`` whether the operation took: False (nothing was done), True (the agent accepted
    it) or None (unknown: a POST whose answer was lost; never re-send it blindly)."""

    def __init__(self, message, before=None, after=None, err_code=None, took=False):
        super(OperationRefused, self).__init__(message)
        self.message = message
        self.before = before
        self.after = after
        self.err_code = err_code
        self.took = took

    @property
    def unknown(self):
        return self.took is None


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


def _where(record):
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
    if state in ('SUCCEED', 'FAILED') and running:
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
                             'it' % (_where(record), problem))
        return DONE, reason

    if node_id is not None:
        node = next((n for n in _nodes(record) or [] if n.get('id') == node_id), None)
        if node is None:
            return REFUSED, 'it has no node %s' % node_id
        node_pair = (node.get('state'), node.get('operator'))
        if node_pair == ('SUCCEED', 'PASS'):
            return done("passed at node %s '%s'" % (node_id, _text.safe_text(node.get('name') or '?', 80)))
        if dag_state != 'FAILED':
            return REFUSED, 'the DAG is %s, not FAILED' % _where(record)
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
                                 'retried' % (_where(record), _names(passed)))
            current = _node_at(record, record.get('stage'))
            if current is not None and current.get('operator') == 'RETRY':
                return UNDERWAY, "being retried (node '%s' carries operator RETRY)" % _text.safe_text(
                    current.get('name') or '?', 80)
            retried = [n for n in _nodes(record) or [] if n.get('operator') == 'RETRY']
            if retried:
                return UNDERWAY, 'being retried (node %s was retried; it is %s now)' % (
                    _names(retried), _where(record))
        return REFUSED, _not_failed(record, passed)
    if state == 'rolled_back':
        if pair == ('SUCCEED', 'ROLLBACK'):
            return done('rolled back')
        if dag_state == 'FAILED':
            return TODO, ''
        if running and operator == 'ROLLBACK':
            return UNDERWAY, 'being rolled back (%s)' % _where(record)
        return REFUSED, _not_failed(record, passed)
    if state == 'canceled':
        if pair == ('FAILED', 'CANCEL'):
            return done('canceled')
        if running and operator == 'CANCEL':
            return UNDERWAY, 'being canceled (%s)' % _where(record)
        if running:
            return TODO, ''
        return REFUSED, 'it is %s, already finished; only a running DAG can be canceled' % _where(record)
    if state == 'passed':
        if pair == ('SUCCEED', 'PASS'):
            return done('passed')
        if pair == ('SUCCEED', 'RUN') and passed:
            return done('passed (node %s was passed, then it ran to its end)' % _names(passed))
        if dag_state == 'FAILED':
            return TODO, ''
        if running and operator == 'RUN' and passed:
            return UNDERWAY, 'running on after node %s was passed (%s)' % (_names(passed), _where(record))
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
                                                    _where(record))
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
# Operating


def operate(client, dag_id, state, node_id=None, check_mode=False, warn=None, expect=None, deadline=None,
            poll_interval=1.0, sleep=time.sleep, clock=time.monotonic):
    """Bring DAG ``dag_id`` towards ``state`` (one of OPERATION_STATES). Returns a dict: ``changed``, ``operator`` (sent, or
    None), ``before`` (the DAG with nodes), ``after`` (read after the operation; None in check mode or when nothing
    was needed), ``verdict`` (DONE, UNDERWAY or TODO), ``already`` (why nothing was needed, or ''), ``msg``.

    ``expect``: {'name':..., 'start_time':...} the caller saw; another DAG under the id is refused. ``deadline``
    (``clock()`` time): how long a lost answer may be read back (default: the client's deadline, else 60 s).
    Raises OperationRefused (``unknown`` set when a POST may have taken), or ObshellError for an agent that cannot be
    asked before anything was sent. ``warn`` receives warnings (a lost answer that nevertheless took)."""
    version = parse_version(client.version)
    needed = MIN_VERSION.get('node' if node_id else state)
    if needed and version and version < needed:
        raise OperationRefused('cannot %s %s on OBShell %s at %s: this needs OBShell %s or later' % (
            VERBS[state], 'a single node' if node_id else 'a DAG', client.version, client.address,
            '.'.join(str(n) for n in needed)))

    before = _query.query_one(client, dag_id, details='full')
    label = _report.dag_label(before)
    target = label if node_id is None else 'node %s of %s' % (node_id, label)
    expect = expect or {}
    problem = expected_problem(before, expect.get('name'), expect.get('start_time'))
    if problem:
        raise OperationRefused('DAG %s is not the DAG you named: %s; nothing was sent' % (dag_id, problem),
                               before=before)
    verdict, why = assess(before, state, node_id)
    result = dict(changed=False, operator=None, before=before, after=None, verdict=verdict, already='', msg='')
    if verdict == REFUSED:
        raise OperationRefused('cannot %s %s: %s' % (VERBS[state], target, why), before=before)
    if verdict == DONE:
        result.update(already=why, msg='%s is already %s (read by id just now)' % (label, why))
        return result
    if verdict == UNDERWAY:
        result.update(msg='%s is %s: nothing sent' % (label, why))
        return result
    result['changed'] = True
    if check_mode:
        result['msg'] = 'would %s %s (check mode: nothing sent)' % (VERBS[state], target)
        return result
    operator = OPERATION_OPERATORS[state]
    if deadline is None:
        deadline = client.deadline if getattr(client, 'deadline', None) is not None else clock() + 60.0
    outcome = _send(client, dag_id, node_id, operator, state, target, before, warn,
                    dict(deadline=deadline, poll_interval=poll_interval, sleep=sleep, clock=clock))
    if outcome is not None:
        # The agent refused, and a read since shows the DAG there already, or on its way (someone else acted).
        result.update(outcome)
        return result
    result['operator'] = operator
    try:
        after = _query.query_one(client, dag_id, details='summary')
    except ObshellError as exc:
        result['msg'] = '%s: sent %s, which took; reading the DAG since failed: %s' % (label, operator, exc)
        return result
    problem = _dag.identity_problem(before, after)
    if problem:
        raise OperationRefused('%s of %s was accepted, but DAG %s now names another DAG (%s): nothing more is done; '
                               '%s' % (operator, target, dag_id, problem, CHECK_HINT % (dag_id, dag_id)),
                               before=before, after=after, took=True)
    result['after'] = after
    result['msg'] = '%s: sent %s; the DAG is %s/%s (%s)' % (
        label, operator, after.get('state'), after.get('operator'), after.get('outcome'))
    return result


def _send(client, dag_id, node_id, operator, state, target, before, warn, timing):
    """POST once. None when the agent took it (its answer, or a read-back that shows it); a result update when the
    agent refused and the DAG is there already; raises OperationRefused otherwise. Never re-sent."""
    try:
        if node_id:
            client.pass_node(node_id)
        else:
            client.operate_dag(dag_id, operator)
        return None
    except ObshellConnectionError as exc:
        if not exc.maybe_sent:
            raise OperationRefused('%s of %s was not sent: %s' % (operator, target, exc), before=before)
        lost = exc
    except ObshellConfigError as exc:
        raise OperationRefused('%s of %s was not sent: %s' % (operator, target, exc), before=before)
    except ObshellAuthError as exc:
        # Credentials are checked before the handler runs (§1.1): a refused POST did nothing.
        raise OperationRefused('the agent refused %s of %s: %s' % (operator, target, exc), before=before,
                               err_code=exc.err_code)
    except ObshellApiError as exc:
        if exc.err_code in _NOT_ALLOWED:
            raise OperationRefused('the agent does not allow %s %s (%s): its template does not opt in to it'
                                   % (GERUNDS[state], target, exc.err_code), before=before, err_code=exc.err_code)
        if exc.status is not None and exc.status < 500:
            # A refusal in the agent's envelope (400, or 404: no such DAG): it did nothing.
            return _refused_since(client, dag_id, node_id, state, target, before, exc)
        lost = exc   # a 5xx (the agent, or a proxy in front of it, may have carried it out)
    except ObshellError as exc:
        lost = exc   # an answer that is not an agent's (HTML, truncated): it may have been carried out
    return _lost_answer(client, dag_id, node_id, operator, target, before, lost, warn, timing)


def _refused_since(client, dag_id, node_id, state, target, before, exc):
    """The agent refused the POST as not possible in the DAG's state (a 4xx: it did nothing). Someone may have acted
    between our read and our POST: read it again and say what it is now."""
    try:
        now = _query.query_one(client, dag_id, details='full')
    except ObshellError as read_error:
        raise OperationRefused('the agent refused to %s %s: %s (and the DAG could not be read since: %s)' % (
            VERBS[state], target, exc.message, read_error), before=before, err_code=exc.err_code)
    problem = _dag.identity_problem(before, now)
    if problem:
        raise OperationRefused('the agent refused to %s %s (%s), and DAG %s now names another DAG (%s)' % (
            VERBS[state], target, exc.err_code or exc.message, dag_id, problem), before=before, after=now,
            err_code=exc.err_code)
    verdict, why = assess(now, state, node_id)
    label = _report.dag_label(now)
    note = ('someone else acted on it between this task\'s read and its POST, which the agent refused (%s)'
            % (exc.err_code or exc.message))
    if verdict == DONE:
        return dict(changed=False, after=now, verdict=DONE, already=why, msg='%s is already %s: %s' % (label, why, note))
    if verdict == UNDERWAY:
        return dict(changed=False, after=now, verdict=UNDERWAY, msg='%s is %s: %s' % (label, why, note))
    changed = _fingerprint(now) != _fingerprint(before)
    raise OperationRefused('the agent refused to %s %s: %s; %s' % (
        VERBS[state], target, exc.message, ('it changed since it was read: ' + (why or 'it is %s' % _where(now)))
        if changed else 'it is %s' % _where(now)), before=before, after=now, err_code=exc.err_code)


# --------------------------------------------------------------------------------------------------------------
# A lost or late answer


def _fingerprint(record):
    """What an operation would change in a DAG read in full: state, operator, stage, times, and per node its state,
    operator and how often its sub-tasks ran."""
    nodes = tuple((node.get('id'), node.get('state'), node.get('operator'),
                   sum(task.get('execute_times') or 0 for task in node.get('sub_tasks') or []))
                  for node in _nodes(record) or [])
    return (record.get('state'), record.get('operator'), record.get('stage'), record.get('start_time'),
            record.get('end_time'), nodes)


def _later(now, before, field):
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
        return 'it carries operator CANCEL (%s)' % _where(now) if op == 'CANCEL' else ''
    if operator == 'ROLLBACK':
        if op != 'ROLLBACK':
            return ''
        if state != 'FAILED':
            return 'it is %s' % _where(now)
        if _later(now, before, 'end_time') or before.get('operator') != 'ROLLBACK':
            return 'it rolled back and failed again (%s, ended %s)' % (_where(now), now.get('end_time'))
        return ''
    if operator == 'RETRY':
        if op != 'RUN':
            return ''
        current = _node_at(now, now.get('stage'))
        if state in UNFINISHED_STATES and current is not None and current.get('operator') == 'RETRY':
            return "it is %s, node '%s' carrying operator RETRY" % (_where(now), _text.safe_text(
                current.get('name') or '?', 80))
        if (state, op) == ('SUCCEED', 'RUN') and not _passed(now):
            return 'it has run to SUCCEED/RUN since'
        if state in UNFINISHED_STATES and not _passed(now):
            return 'it runs again (%s)' % _where(now)
        if state == 'FAILED' and (_ran_again(now, before) or _later(now, before, 'end_time')):
            return 'it ran again and failed again (%s, ended %s)' % (_where(now), now.get('end_time'))
    return ''


def read_back(client, dag_id, before, operator, node_id, deadline, poll_interval=1.0, sleep=time.sleep,
              clock=time.monotonic):
    """After a lost or late answer to ``operator``: read the DAG by id (GETs, which the client may retry) until it
    shows the operation took, or it is another DAG, or ``deadline`` passes. Returns (verdict, record, reads, error):
    verdict 'took' (record shows it; error is the evidence), 'different' (error says why) or 'unknown'.

    The rule: this never answers "did not take". A read that shows the DAG exactly as before, even after the agent
    answered other requests, does not prove it: the agent may still be carrying out the request it received (a
    handler waiting on its database), and it would then take after we said it did not; a re-run would then send
    it twice. So an unchanged DAG is 'unknown' at the deadline, and the caller says how to check by hand."""
    reads = 0
    last, last_error = None, None
    saved = getattr(client, 'deadline', None)
    client.deadline = deadline
    try:
        while True:
            try:
                now = _query.query_one(client, dag_id, details='full')
            except ObshellNotFoundError as exc:
                return 'different', None, reads, 'it no longer exists (%s)' % exc.message
            except ObshellError as exc:
                last_error = exc
            else:
                reads += 1
                last = now
                problem = _dag.identity_problem(before, now)
                if problem:
                    return 'different', now, reads, problem
                evidence = took_evidence(before, now, operator, node_id)
                if evidence:
                    return 'took', now, reads, evidence
            left = deadline - clock()
            if left > 0:
                sleep(min(max(poll_interval, 0.05), left))
            if clock() >= deadline:
                # (no read at the deadline itself: the client would not send it, and its "deadline has passed"
                # would hide why the reads before it failed)
                return 'unknown', last, reads, last_error
    finally:
        client.deadline = saved


def _lost_answer(client, dag_id, node_id, operator, target, before, lost, warn, timing):
    verdict, now, reads, detail = read_back(client, dag_id, before, operator, node_id, timing['deadline'],
                                            timing['poll_interval'], timing['sleep'], timing['clock'])
    what = '%s of %s: the answer was lost (%s)' % (operator, target, _message(lost))
    if verdict == 'took':
        if warn is not None:
            warn('the answer to %s of %s was lost (%s), but the DAG read since shows it took: %s' % (
                operator, target, _message(lost), detail))
        return None
    hint = 'nothing was re-sent; %s before acting again' % (CHECK_HINT % (dag_id, dag_id))
    if verdict == 'different':
        raise OperationRefused('%s, and DAG %s now names another DAG: %s. Unknown whether it took; %s' % (
            what, dag_id, detail, hint), before=before, after=now, took=None)
    if reads == 0:
        seen = 'the agent has not answered a read of the DAG since (%s)' % (
            _message(detail) if detail else 'no time was left to read it')
    elif _fingerprint(now) == _fingerprint(before):
        seen = ('%d read%s since show the DAG exactly as before (%s), but the agent may still carry out the request '
                'it received' % (reads, '' if reads == 1 else 's', _where(now)))
    else:
        seen = ('the DAG changed since (now %s), but not the way %s changes it'
                % (_where(now), operator))
    raise OperationRefused('unknown whether it took: %s; %s; %s' % (what, seen, hint), before=before, after=now,
                           took=None)


def _message(error):
    return error.message if isinstance(error, ObshellError) else str(error)
