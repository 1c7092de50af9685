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
  - Each DAG template allows only some operations (spec of the agent, per task). The agent refuses the others, and
    the module says so plainly, for example "the agent does not allow cancelling DAG 11 'Cluster scale out'
    (Task.Dag.Operator.CancelNotAllowed)".
  - With O(wait=true) (the default) an action plugin then waits until the DAG ends, with the same engine, the same
    settings (no retries nested in retries) and the same live progress as M(oceanbase.obshell.dag_wait), from the
    host, and checks that it ended as requested.
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
        If the DAG failed while rolling back, the agent runs it forward again, from the start.
      - V(rolled_back) undoes the DAG's finished nodes (the DAG must be FAILED); it ends SUCCEED with operator ROLLBACK.
      - V(canceled) stops a running DAG (it must not be finished); it ends FAILED with operator CANCEL.
        Needs OBShell 4.2.5 or later.
      - V(passed) marks the failed DAG as passed; it ends at once SUCCEED with operator PASS. With O(node), only
        that failed node is passed; it ends SUCCEED with operator PASS, and the DAG resumes from the next node and
        ends SUCCEED with operator RUN. Either way the outcome is C(passed), because a failed step was skipped, not done.
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
      - Wait until the DAG has ended after the operation, and fail unless it ended as O(state) asks.
    type: bool
    default: true
extends_documentation_fragment:
  - oceanbase.obshell.connection
  - oceanbase.obshell.wait
  - oceanbase.obshell.attributes
attributes:
  check_mode:
    support: full
    description: Reports whether the DAG would change, and sends nothing.
  diff_mode:
    support: full
    description: Shows the DAG's state and operator before and after (in check mode, the state it would move to).
notes:
  - A POST is never re-sent blindly. When the agent's answer to the operation is lost (time-out, reset), the module
    reads the DAG again to learn whether the operation took, and reports that.
  - The waiting is done by the action plugin, by running M(oceanbase.obshell.dag_wait) on the host with this
    DAG's id.
seealso:
  - module: oceanbase.obshell.dag_wait
  - module: oceanbase.obshell.dag_info
'''

EXAMPLES = r'''
- name: Retry a failed scale-out and wait for it
  oceanbase.obshell.dag:
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
    id: "{{ waited.failures[0].id }}"
    state: retried
  when: waited.outcome == 'failed'
'''

RETURN = r'''
dag_before:
  description: The DAG record before the operation (as M(oceanbase.obshell.dag_info) returns it, with its nodes).
  returned: always
  type: dict
  contains:
    id:
      description: Generic id.
      type: str
    name:
      description: DAG name.
      type: str
    state:
      description: State before.
      type: str
    operator:
      description: Operator before.
      type: str
    outcome:
      description: Outcome before.
      type: str
    nodes:
      description: The nodes with their sub-tasks.
      type: list
      elements: dict
dag:
  description: The DAG record after the operation (and after the wait, when waiting).
  returned: always
  type: dict
  contains:
    id:
      description: Generic id.
      type: str
    name:
      description: DAG name.
      type: str
    state:
      description: State after.
      type: str
    operator:
      description: Operator after.
      type: str
    outcome:
      description: Outcome after.
      type: str
    passed_nodes:
      description: Nodes passed instead of done (read with the nodes at the end of a wait); null if not read.
      type: list
      elements: dict
operator:
  description: The operator sent (C(RETRY), C(ROLLBACK), C(CANCEL), C(PASS)); null when nothing was sent.
  returned: always
  type: str
wait:
  description: The result of the wait, as M(oceanbase.obshell.dag_wait) returns it; null when not waiting.
  returned: always
  type: dict
  contains:
    outcome:
      description: The wait's outcome.
      type: str
    msg:
      description: The wait's summary.
      type: str
    events:
      description: Its progress lines.
      type: list
      elements: str
outcome:
  description: How the DAG ended (C(succeeded), C(failed), C(rolled_back), C(passed), C(canceled)), or C(running).
  returned: always
  type: str
'''

from ansible_collections.oceanbase.obshell.plugins.module_utils import _dag, _operations, _options
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import ObshellError
from ansible_collections.oceanbase.obshell.plugins.module_utils._module import ObshellModule

SPEC = dict(
    id=dict(type='str', required=True),
    state=dict(type='str', required=True, choices=list(_operations.STATES)),
    node=dict(type='str'),
    wait=dict(type='bool', default=True),
)


def _diff_side(record):
    return {'state': record.get('state'), 'operator': record.get('operator'), 'outcome': record.get('outcome')}


def main():
    module = ObshellModule(argument_spec=_options.argument_spec(SPEC, _options.WAIT_SPEC), supports_check_mode=True)
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
    problems = _options.check_wait_options(params)
    if problems:
        module.fail_json(msg='; '.join(problems))

    client = module.client()
    try:
        done = _operations.operate(client, dag_id, state, node_id=node_id, check_mode=module.check_mode,
                                   warn=module.warn)
    except _operations.OperationRefused as exc:
        extra = {}
        if exc.before is not None:
            extra['dag_before'] = exc.before
        if exc.after is not None:
            extra['dag'] = exc.after
        module.fail_json(msg=exc.message, err_code=exc.err_code, **extra)
    except ObshellError as exc:
        module.fail_on_error(exc)
    finally:
        client.close()
    for warning in client.warnings:
        module.warn(warning)
    after = done['after'] or done['before']
    result = dict(changed=done['changed'], dag_before=done['before'], dag=after, operator=done['operator'],
                  wait=None, outcome=after.get('outcome'), msg=done['msg'])
    if module._diff:
        predicted = dict(_diff_side(after))
        if module.check_mode and done['changed']:
            # What the agent does at once (§4.8): a DAG PASS ends it; a node PASS and the others make it READY.
            if state == 'passed' and node_id is None:
                predicted = {'state': 'SUCCEED', 'operator': 'PASS', 'outcome': 'passed'}
            else:
                predicted = {'state': 'READY', 'operator': 'RUN' if node_id else _operations.OPERATORS[state],
                             'outcome': 'running'}
        result['diff'] = {'before': _diff_side(done['before']), 'after': predicted}
    module.exit_json(**result)


if __name__ == '__main__':
    main()
