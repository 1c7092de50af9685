#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
module: dag
short_description: Retry, roll back, cancel or pass an OBShell task DAG
version_added: 1.0.0
description:
  - Brings an OBShell task DAG to a declared end state, as an operator would with C(obshell task retry|rollback|cancel|pass).
  - A failed maintenance DAG (for example a failed C(Cluster scale out)) keeps the cluster locked ("under
    maintenance by DAG ...") until it is retried, rolled back or passed; this module does that from a playbook.
  - Idempotent. A DAG already in the requested end state, or already on its way there, is left alone
    (C(changed=false)). Preconditions are checked before anything is sent.
  - By default waits until the DAG ends, with the same engine and progress output as M(oceanbase.obshell.dag_wait).
author:
  - OceanBase obshell collection contributors (@oceanbase)
options:
  id:
    description:
      - Generic id of the DAG (for example V(142)), as returned by M(oceanbase.obshell.dag_info).
      - Validated before anything is sent.
    type: str
    required: true
  state:
    description:
      - V(retried) runs the failed node again (the DAG must be FAILED); it ends SUCCEED with operator RETRY or RUN.
      - V(rolled_back) undoes the DAG's finished nodes (the DAG must be FAILED); it ends SUCCEED with operator ROLLBACK.
      - V(canceled) stops a running DAG (it must not be finished); it ends FAILED with operator CANCEL.
        Needs OBShell 4.2.5 or later.
      - V(passed) marks the failed DAG, or with O(node) one failed node, as passed; the DAG ends SUCCEED with
        operator PASS (with O(node), the DAG resumes from the next node).
    type: str
    required: true
    choices: [retried, rolled_back, canceled, passed]
  node:
    description:
      - Generic id of one failed node to pass, instead of the whole DAG. Only with O(state=passed).
        Needs OBShell 4.3.1 or later.
    type: str
  wait:
    description:
      - Wait until the DAG has ended after the operation.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait at most, when O(wait=true).
    type: float
    default: 3600
  poll_interval:
    description:
      - Seconds between two polls while waiting (at least 0.5).
    type: float
    default: 5
extends_documentation_fragment:
  - oceanbase.obshell.connection
  - oceanbase.obshell.attributes
attributes:
  check_mode:
    support: full
    description: Reports whether the DAG would change, and sends nothing.
  diff_mode:
    support: none
    description: Not supported.
notes:
  - A POST is never re-sent blindly. When the agent's answer to the operation is lost (time-out, reset), the module
    reads the DAG again to learn whether the operation took, and reports that.
seealso:
  - module: oceanbase.obshell.dag_wait
  - module: oceanbase.obshell.dag_info
'''

EXAMPLES = r'''
- name: Retry a failed scale-out and wait for it
  oceanbase.obshell.dag:
    host: "{{ ansible_host }}"
    id: "142"
    state: retried

- name: Roll back instead, without waiting
  oceanbase.obshell.dag:
    id: "142"
    state: rolled_back
    wait: false

- name: Pass one failed node and let the DAG carry on
  oceanbase.obshell.dag:
    id: "142"
    node: "1206"
    state: passed

- name: Retry whatever dag_wait reported as failed
  oceanbase.obshell.dag:
    id: "{{ waited.failure.dag.id }}"
    state: retried
  when: waited.outcome == 'failed'
'''

RETURN = r'''
dag_before:
  description: The DAG record before the operation (as M(oceanbase.obshell.dag_info) returns it).
  returned: always
  type: dict
dag:
  description: The DAG record after the operation (and after the wait, when waiting).
  returned: always
  type: dict
operator:
  description: The operator sent (C(RETRY), C(ROLLBACK), C(CANCEL), C(PASS)); null when nothing was sent.
  returned: always
  type: str
wait:
  description: The outcome of the wait, as M(oceanbase.obshell.dag_wait) returns it; null when not waiting.
  returned: always
  type: dict
outcome:
  description: How the DAG ended (C(succeeded), C(failed), C(rolled_back), C(passed), C(canceled)), or C(running).
  returned: always
  type: str
'''

from ansible_collections.oceanbase.obshell.plugins.module_utils import _dag, _options, _query
from ansible_collections.oceanbase.obshell.plugins.module_utils._client import parse_version
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import (
    ObshellConnectionError,
    ObshellError,
    ObshellServerError,
)
from ansible_collections.oceanbase.obshell.plugins.module_utils._module import ObshellModule

OPERATORS = {'retried': 'RETRY', 'rolled_back': 'ROLLBACK', 'canceled': 'CANCEL', 'passed': 'PASS'}
VERBS = {'retried': 'retry', 'rolled_back': 'roll back', 'canceled': 'cancel', 'passed': 'pass'}
# The first agent versions that support an operation (spec §7; peers: cancelling a running DAG came late 2024).
MIN_VERSION = {'canceled': (4, 2, 5), 'node': (4, 3, 1)}

SPEC = dict(
    id=dict(type='str', required=True),
    state=dict(type='str', required=True, choices=list(OPERATORS)),
    node=dict(type='str'),
    wait=dict(type='bool', default=True),
    wait_timeout=dict(type='float', default=3600.0),
    poll_interval=dict(type='float', default=5.0),
)


def main():
    module = ObshellModule(argument_spec=_options.argument_spec(SPEC), supports_check_mode=True)
    params = module.params
    state = params['state']
    try:
        dag_id = _dag.validate_generic_id(params['id'])
    except ValueError as exc:
        module.fail_json(msg='id: %s' % exc)
    node_id = None
    if params['node'] is not None:
        if state != 'passed':
            module.fail_json(msg='node is only valid with state=passed (a single node can only be passed)')
        try:
            node_id = _dag.validate_generic_id(params['node'])
        except ValueError as exc:
            module.fail_json(msg='node: %s' % exc)
    if params['poll_interval'] < 0.5:
        module.fail_json(msg='poll_interval must be at least 0.5 seconds, got %s' % params['poll_interval'])
    if params['wait_timeout'] <= 0:
        module.fail_json(msg='wait_timeout must be a positive number of seconds, got %s' % params['wait_timeout'])

    client = module.client()
    try:
        result = _remediate(module, client, dag_id, state, node_id)
    except ObshellError as exc:
        module.fail_on_error(exc)
    finally:
        client.close()
    module.exit_json(**result)


def _remediate(module, client, dag_id, state, node_id):
    params = module.params
    version = parse_version(client.version)
    needed = MIN_VERSION.get('node' if node_id else state)
    if needed and version and version < needed:
        module.fail_json(msg='cannot %s %s on OBShell %s at %s: this needs OBShell %s or later'
                         % (VERBS[state], 'a single node' if node_id else 'a DAG', client.version, client.address,
                            '.'.join(str(n) for n in needed)))

    before = _query.query_one(client, dag_id, details='full')
    label = "DAG %s '%s'" % (dag_id, before.get('name'))
    node = None
    if node_id:
        node = next((n for n in before.get('nodes') or [] if n.get('id') == node_id), None)
        if node is None:
            module.fail_json(msg='cannot pass node %s: %s has no such node' % (node_id, label), dag_before=before)

    done_or_underway = _already(before, state, node)
    if not done_or_underway:
        problem = _precondition_problem(before, state, node)
        if problem:
            target = label if node is None else 'node %s of %s' % (node_id, label)
            module.fail_json(msg='cannot %s %s: %s' % (VERBS[state], target, problem), dag_before=before)
    result = dict(changed=not done_or_underway, dag_before=before, dag=before, operator=None, wait=None,
                  outcome=before.get('outcome'))
    if done_or_underway or module.check_mode:
        if module.check_mode and not done_or_underway:
            result['msg'] = 'would %s %s (check mode: nothing sent)' % (VERBS[state], label)
        elif done_or_underway:
            result['msg'] = '%s is already %s' % (label, done_or_underway)
        if not params['wait'] or module.check_mode or before.get('outcome') != 'running':
            return result
    else:
        operator = OPERATORS[state]
        result['operator'] = operator
        _send(module, client, dag_id, node_id, operator, label, before)

    after = _query.query_one(client, dag_id, details='summary')
    result['dag'] = after
    result['outcome'] = after.get('outcome')
    if params['wait'] and after.get('outcome') == 'running':
        waited = _wait(client, dag_id, params)
        result['wait'] = waited
        final = (waited.get('dags') or [after])[-1]
        result['dag'] = final
        ended = waited.get('outcome') in ('timeout', 'unreachable', 'error')
        result['outcome'] = waited['outcome'] if ended else final.get('outcome')
        if result['outcome'] not in _expected_outcomes(state):
            result['failed'] = True
            result['msg'] = '%s: after %s it ended %s: %s' % (
                label, result['operator'] or 'the earlier operation', result['outcome'], waited.get('msg'))
    if 'msg' not in result:
        result['msg'] = '%s: sent %s; the DAG is %s/%s (%s)' % (
            label, result['operator'], result['dag'].get('state'), result['dag'].get('operator'), result['outcome'])
    return result


def _send(module, client, dag_id, node_id, operator, label, before):
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
        if _took(before, now, operator):
            module.warn('the answer to %s of %s was lost (%s), but the DAG shows it took: %s/%s'
                        % (operator, label, exc.message, now.get('state'), now.get('operator')))
            return
        module.fail_json(msg='%s of %s: the answer was lost (%s) and the DAG is still %s/%s, so it did not take; '
                             'nothing was re-sent' % (operator, label, exc.message, now.get('state'),
                                                      now.get('operator')), dag_before=before, dag=now)


def _wait(client, dag_id, params):
    """Wait for the DAG with the dag_wait engine; its progress lines come back in ``events``."""
    from ansible_collections.oceanbase.obshell.plugins.module_utils import _waiter
    wait_params = dict(timeout=params['wait_timeout'], poll_interval=params['poll_interval'], appear_timeout=0,
                       unreachable_timeout=300.0, fail_on=[], id=dag_id, scope='auto', names=None,
                       details='summary', request_timeout=params['timeout'])
    result, dummy_engine, dummy_events = _waiter.run_wait(wait_params, False, client, _waiter.stopwatch())
    return result


def _took(before, now, operator):
    changed = (now.get('state'), now.get('operator')) != (before.get('state'), before.get('operator'))
    if now.get('operator') == operator and changed:
        return True
    if operator == 'PASS':
        return now.get('state') != 'FAILED'
    return before.get('state') == 'FAILED' and now.get('state') != 'FAILED'


def _already(record, state, node):
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


def _precondition_problem(record, state, node):
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


def _expected_outcomes(state):
    return {'retried': ('succeeded',), 'rolled_back': ('rolled_back',), 'canceled': ('canceled',),
            'passed': ('passed', 'succeeded')}[state]


if __name__ == '__main__':
    main()
