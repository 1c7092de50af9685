# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""Operations on a DAG (retry, roll back, cancel, pass), idempotent and never sent twice: the dag module and the
remediation of a wait both act through ``operate``. This file talks to the agent (reads, the one POST, the read-back
of a lost answer, the version gates); what the records it reads mean is decided in _assess.py. Section numbers refer
to obshell-api.md (§4.8, §11.1).

An operation says only what it read. Nothing here ever says that a POST did not take (see ``read_back``).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import time

from ansible_collections.oceanbase.obshell.plugins.module_utils import _dag, _query, _report
from ansible_collections.oceanbase.obshell.plugins.module_utils._assess import (
    DONE,
    REFUSED,
    UNDERWAY,
    assess,
    expected_problem,
    fingerprint,
    took_evidence,
    where,
)
from ansible_collections.oceanbase.obshell.plugins.module_utils._client import parse_version
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import (
    ObshellApiError,
    ObshellAuthError,
    ObshellConfigError,
    ObshellConnectionError,
    ObshellError,
    ObshellNotFoundError,
)
from ansible_collections.oceanbase.obshell.plugins.module_utils._vocabulary import OPERATION_OPERATORS

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
    changed = fingerprint(now) != fingerprint(before)
    raise OperationRefused('the agent refused to %s %s: %s; %s' % (
        VERBS[state], target, exc.message, ('it changed since it was read: ' + (why or 'it is %s' % where(now)))
        if changed else 'it is %s' % where(now)), before=before, after=now, err_code=exc.err_code)


# --------------------------------------------------------------------------------------------------------------
# A lost or late answer


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
    elif fingerprint(now) == fingerprint(before):
        seen = ('%d read%s since show the DAG exactly as before (%s), but the agent may still carry out the request '
                'it received' % (reads, '' if reads == 1 else 's', where(now)))
    else:
        seen = ('the DAG changed since (now %s), but not the way %s changes it'
                % (where(now), operator))
    raise OperationRefused('unknown whether it took: %s; %s; %s' % (what, seen, hint), before=before, after=now,
                           took=None)


def _message(error):
    return error.message if isinstance(error, ObshellError) else str(error)
