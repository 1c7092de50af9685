# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""Operations on a DAG (retry, roll back, cancel, pass), idempotent and never sent twice: the dag module and the
remediation of a wait both act through ``operate``. Section numbers refer to obshell-api.md (§4.8, §11.1)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.oceanbase.obshell.plugins.module_utils import _query, _report
from ansible_collections.oceanbase.obshell.plugins.module_utils._client import parse_version
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import (
    ObshellApiError,
    ObshellConnectionError,
    ObshellServerError,
)

STATES = ('retried', 'rolled_back', 'canceled', 'passed')
OPERATORS = {'retried': 'RETRY', 'rolled_back': 'ROLLBACK', 'canceled': 'CANCEL', 'passed': 'PASS'}
VERBS = {'retried': 'retry', 'rolled_back': 'roll back', 'canceled': 'cancel', 'passed': 'pass'}
GERUNDS = {'retried': 'retrying', 'rolled_back': 'rolling back', 'canceled': 'cancelling', 'passed': 'passing'}
# The outcomes that mean the operation did what it is for (§4.8).
EXPECTED_OUTCOMES = {'retried': ('succeeded',), 'rolled_back': ('rolled_back',), 'canceled': ('canceled',),
                     'passed': ('passed',)}
# The first agent versions that support an operation (spec §7; peers: cancelling a running DAG came late 2024).
MIN_VERSION = {'canceled': (4, 2, 5), 'node': (4, 3, 1)}
# The agent's refusals because the template does not opt in (§11.1): they say what cannot be done, plainly.
_NOT_ALLOWED = ('Task.Dag.Operator.RetryNotAllowed', 'Task.Dag.Operator.RollbackNotAllowed',
                'Task.Dag.Operator.CancelNotAllowed', 'Task.Dag.Operator.PassNotAllowed',
                'Task.Node.Operator.PassNotAllowed')


class OperationRefused(Exception):
    """The operation cannot be done: a precondition, the agent's refusal, or a lost answer that did not take.
    ``before`` and ``after`` are the DAG records around it (after may be None)."""

    def __init__(self, message, before=None, after=None, err_code=None):
        super(OperationRefused, self).__init__(message)
        self.message = message
        self.before = before
        self.after = after
        self.err_code = err_code


def operate(client, dag_id, state, node_id=None, check_mode=False, warn=None):
    """Bring DAG ``dag_id`` towards ``state`` (one of STATES). Returns a dict: ``changed``, ``operator`` (sent, or
    None), ``before`` (the DAG with nodes), ``after`` (read after the operation; None in check mode or when nothing
    was needed), ``already`` (why nothing was needed, or ''), ``msg``. Raises OperationRefused, or ObshellError for
    an agent that cannot be asked. ``warn`` receives warnings (a lost answer that nevertheless took)."""
    version = parse_version(client.version)
    needed = MIN_VERSION.get('node' if node_id else state)
    if needed and version and version < needed:
        raise OperationRefused('cannot %s %s on OBShell %s at %s: this needs OBShell %s or later' % (
            VERBS[state], 'a single node' if node_id else 'a DAG', client.version, client.address,
            '.'.join(str(n) for n in needed)))

    before = _query.query_one(client, dag_id, details='full')
    label = _report.dag_label(before)
    node = None
    if node_id:
        node = next((n for n in before.get('nodes') or [] if n.get('id') == node_id), None)
        if node is None:
            raise OperationRefused('cannot pass node %s: %s has no such node' % (node_id, label), before=before)

    already = already_done(before, state, node)
    result = dict(changed=False, operator=None, before=before, after=None, already=already, msg='')
    if already:
        result['msg'] = '%s is already %s' % (label, already)
        return result
    problem = precondition_problem(before, state, node)
    target = label if node is None else 'node %s of %s' % (node_id, label)
    if problem:
        raise OperationRefused('cannot %s %s: %s' % (VERBS[state], target, problem), before=before)
    result['changed'] = True
    if check_mode:
        result['msg'] = 'would %s %s (check mode: nothing sent)' % (VERBS[state], target)
        return result
    operator = OPERATORS[state]
    result['operator'] = operator
    _send(client, dag_id, node_id, operator, state, target, before, warn)
    result['after'] = _query.query_one(client, dag_id, details='summary')
    result['msg'] = '%s: sent %s; the DAG is %s/%s (%s)' % (
        label, operator, result['after'].get('state'), result['after'].get('operator'), result['after'].get('outcome'))
    return result


def _send(client, dag_id, node_id, operator, state, target, before, warn):
    """POST once. If the answer is lost, read the DAG to learn whether the operation took (never re-send)."""
    try:
        if node_id:
            client.pass_node(node_id)
        else:
            client.operate_dag(dag_id, operator)
    except (ObshellConnectionError, ObshellServerError) as exc:
        if isinstance(exc, ObshellConnectionError) and not exc.maybe_sent:
            raise
        now = _query.query_one(client, dag_id, details='summary')
        if took(before, now, operator):
            if warn is not None:
                warn('the answer to %s of %s was lost (%s), but the DAG shows it took: %s/%s'
                     % (operator, target, exc.message, now.get('state'), now.get('operator')))
            return
        raise OperationRefused('%s of %s: the answer was lost (%s) and the DAG is still %s/%s, so it did not take; '
                               'nothing was re-sent' % (operator, target, exc.message, now.get('state'),
                                                        now.get('operator')), before=before, after=now)
    except ObshellApiError as exc:
        if exc.err_code in _NOT_ALLOWED:
            raise OperationRefused('the agent does not allow %s %s (%s): its template does not opt in to it'
                                   % (GERUNDS[state], target, exc.err_code), before=before, err_code=exc.err_code)
        raise OperationRefused('the agent refused to %s %s: %s' % (VERBS[state], target, exc.message),
                               before=before, err_code=exc.err_code)


def took(before, now, operator):
    """Whether the DAG shows that a (lost) operation took."""
    changed = (now.get('state'), now.get('operator')) != (before.get('state'), before.get('operator'))
    if now.get('operator') == operator and changed:
        return True
    if operator == 'PASS':
        return now.get('state') != 'FAILED'
    return before.get('state') == 'FAILED' and now.get('state') != 'FAILED'


def already_done(record, state, node):
    """Why nothing needs sending ('rolled back', 'being retried'...), or '' when the operation is needed."""
    current = (record.get('state'), record.get('operator'))
    running = record.get('outcome') == 'running'
    if node is not None:
        if (node.get('state'), node.get('operator')) == ('SUCCEED', 'PASS'):
            return 'passed at node %s' % node.get('id')
        return ''
    if state == 'retried':
        # A retried DAG ends SUCCEED/RUN (§4.8); while it runs, the retried node carries operator RETRY.
        if current[0] == 'SUCCEED' and current[1] in ('RUN', 'RETRY'):
            return 'succeeded'
        if running and (current[1] == 'RETRY' or any(n.get('operator') == 'RETRY' for n in record.get('nodes') or [])):
            return 'being retried'
    elif state == 'rolled_back':
        if current == ('SUCCEED', 'ROLLBACK') or (running and current[1] == 'ROLLBACK'):
            return 'rolled back' if not running else 'being rolled back'
    elif state == 'canceled':
        if current == ('FAILED', 'CANCEL') or (running and current[1] == 'CANCEL'):
            return 'canceled' if not running else 'being canceled'
    elif state == 'passed':
        if current == ('SUCCEED', 'PASS'):
            return 'passed'
    return ''


def precondition_problem(record, state, node):
    """What forbids the operation (§4.8), as the end of 'cannot retry DAG 142 ...: <problem>'; '' if allowed."""
    dag_state = record.get('state')
    if node is not None:
        if dag_state != 'FAILED':
            return 'the DAG is %s, not FAILED' % dag_state
        if node.get('state') != 'FAILED':
            return 'the node is %s, not FAILED' % node.get('state')
        return ''
    if state == 'canceled':
        if dag_state in ('SUCCEED', 'FAILED'):
            return 'it is %s/%s, already finished; only a running DAG can be canceled' % (
                dag_state, record.get('operator'))
        return ''
    if dag_state != 'FAILED':
        return 'it is %s, not FAILED' % dag_state
    return ''
