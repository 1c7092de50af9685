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
  - Idempotent, from evidence only. A DAG is "already" in the requested state only when a read of it by id, in this
    run, shows that state's end (state and operator) with nodes that agree with it; see the table in the notes. A
    DAG on its way there (someone else's operation, for example a node carrying operator RETRY) is left alone
    (C(changed=false)), and the wait checks how it ends. Preconditions are checked before anything is sent.
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
  name:
    description:
      - The name of the DAG you mean (for example V(Cluster scale out)), as an earlier task returned it.
      - When the DAG under O(id) has another name (the id was reused, for example after the agent or the cluster was
        deployed again), the module fails saying so and sends nothing.
    type: str
  start_time:
    description:
      - The start time of the DAG run you mean (RFC 3339, as RV(dag.start_time) returned it).
      - When the DAG under O(id) started at another time, the module fails and sends nothing; that happens when
        someone retried, rolled back or canceled it since, or when the id names another DAG.
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
  - >-
    What "already" needs, read by id in this run with the DAG's nodes: V(retried) - SUCCEED with operator RUN and no
    passed node (a DAG that succeeded only because someone passed a node is refused, naming the node);
    V(rolled_back) - SUCCEED with operator ROLLBACK; V(canceled) - FAILED with operator CANCEL; V(passed) - SUCCEED
    with operator PASS, or SUCCEED/RUN with a passed node; with O(node), that node SUCCEED with operator PASS. The
    nodes must agree with the state and stage; otherwise the module fails and says what the DAG is in.
  - A POST is never re-sent. When the agent's answer to it is lost or late (time-out, reset, a 5xx), the module reads
    the DAG back by id until O(unreachable_timeout) (at most O(timeout)) to learn whether it took. If a read shows
    the change the operation makes, it reports C(changed) and carries on (with a warning). If no read shows it by
    then, it fails saying "unknown whether it took", with how to check; it never says the operation did not take.
  - When the agent refuses the operation because someone else acted on the DAG between the module's read and its
    POST, the module reads the DAG again and reports it already there (or on its way), or fails saying what it is
    in now.
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

- name: Retry whatever dag_wait reported as failed, and only that DAG
  oceanbase.obshell.dag:
    id: "{{ waited.failures[0].id }}"
    name: "{{ waited.failures[0].name }}"
    state: retried
  when: waited.outcome == 'failed'
'''

RETURN = r'''
dag_before:
  description:
    - The DAG record before the operation, with its nodes; the same keys as RV(dag) (the main ones are listed here).
  returned: always
  type: dict
  contains:
    id:
      description: Generic id of the DAG.
      type: str
    name:
      description: DAG name.
      type: str
    state:
      description: DAG state.
      type: str
    operator:
      description: DAG operator.
      type: str
    progress:
      description: C(stage/max_stage).
      type: str
    outcome:
      description: C(running), C(succeeded), C(failed), C(rolled_back), C(passed) or C(canceled).
      type: str
dag:
  description: The DAG record after the operation (and after the wait, when waiting).
  returned: always
  type: dict
  contains:
    id:
      description: Generic id of the DAG (C(1...) for cluster DAGs, C(2...)/C(3...) for agent DAGs, C(4...)/C(5...) for obproxy DAGs).
      type: str
      sample: "11"
    dag_id:
      description: Id of the DAG in its own table.
      type: int
      sample: 1
    name:
      description: DAG name.
      type: str
      sample: Cluster scale out
    state:
      description: C(READY), C(RUNNING), C(FAILED), C(SUCCEED) or C(PENDING).
      type: str
      sample: RUNNING
    operator:
      description: C(RUN), C(RETRY), C(ROLLBACK), C(CANCEL) or C(PASS).
      type: str
      sample: RUN
    stage:
      description: 1-based index of the current node.
      type: int
      sample: 3
    max_stage:
      description: Number of nodes.
      type: int
      sample: 9
    progress:
      description: C(stage/max_stage).
      type: str
      sample: 3/9
    current_node:
      description: Name of the current node (null when the agent returned no nodes).
      type: str
      sample: Wait scale out ready
    current_node_state:
      description: State of the current node (null when the agent returned no nodes).
      type: str
      sample: RUNNING
    start_time:
      description: When the DAG started (agent time, RFC 3339).
      type: str
    end_time:
      description: When the DAG finished; null while it runs.
      type: str
    elapsed_seconds:
      description: Seconds since the start (or from start to end once finished).
      type: float
    maintenance:
      description:
        - C(global), C(tenant), C(obproxy), C(none) or C(not_bootstrap); null when neither the agent nor the known
          templates say.
        - A failed maintenance DAG keeps the cluster locked until it is retried, rolled back or passed.
      type: str
    maintenance_source:
      description: Where C(maintenance) comes from - C(agent) (4.3.1 and later send it) or C(template) (the known
        templates, for older agents); null when unknown.
      type: str
    maintenance_key:
      description: The tenant of a tenant maintenance DAG; null otherwise.
      type: str
    kind:
      description: C(cluster) or C(agent), from the generic id.
      type: str
    agent:
      description: The C(ip:port) of the agent that answered.
      type: str
    outcome:
      description: C(running), C(succeeded), C(failed), C(rolled_back), C(passed) (a node was passed, not done) or C(canceled).
      type: str
    failure:
      description: For a FAILED DAG, the failed node and each failed sub-task with its agent, log tail and error; null otherwise.
      type: dict
      contains:
        node:
          description: The failed node; null if the nodes were not read.
          type: dict
          contains:
            id:
              description: Generic id of the node.
              type: str
            name:
              description: Node name.
              type: str
            stage:
              description: 1-based position of the node.
              type: int
        sub_tasks:
          description: The failed sub-tasks of that node.
          type: list
          elements: dict
          contains:
            id:
              description: Generic id of the sub-task.
              type: str
            name:
              description: Sub-task name.
              type: str
            agent:
              description: The C(ip:port) of the agent that ran it.
              type: str
            execute_times:
              description: How many times it ran.
              type: int
            log_tail:
              description: Its last log lines (long lines cut, saying so).
              type: list
              elements: str
            error:
              description: The last C(ERROR:) line of its logs; null when there is none.
              type: dict
              contains:
                code:
                  description: The agent's error code (4.3.1 and later), e.g. C(Common.Unexpected); null for older agents.
                  type: str
                message:
                  description: The error text.
                  type: str
        summary:
          description: One line naming the DAG, the node, the agents and the errors.
          type: str
        canceled:
          description: Whether the DAG was canceled rather than failed.
          type: bool
    passed_nodes:
      description:
        - The nodes that ended C(SUCCEED) with operator C(PASS), skipped rather than done; null when the nodes were
          not read (a summary read of a running DAG).
      type: list
      elements: dict
      contains:
        id:
          description: Generic id of the node.
          type: str
        name:
          description: Node name.
          type: str
        stage:
          description: 1-based position of the node.
          type: int
    nodes:
      description: Every node with its sub-tasks; only when the nodes were read in full (C(details=full)).
      returned: with details=full
      type: list
      elements: dict
      contains:
        id:
          description: Generic id of the node.
          type: str
        node_id:
          description: Id of the node in its DAG's table.
          type: int
        name:
          description: Node name.
          type: str
        stage:
          description: 1-based position of the node.
          type: int
        state:
          description: Node state.
          type: str
        operator:
          description: Node operator.
          type: str
        start_time:
          description: When the node started (RFC 3339).
          type: str
        end_time:
          description: When it finished; null while it runs.
          type: str
        sub_tasks:
          description: The node's sub-tasks, one per agent that runs it.
          type: list
          elements: dict
          contains:
            id:
              description: Generic id of the sub-task.
              type: str
            task_id:
              description: Id of the sub-task in its table.
              type: int
            name:
              description: Sub-task name.
              type: str
            state:
              description: Sub-task state.
              type: str
            operator:
              description: Sub-task operator.
              type: str
            execute_times:
              description: How many times it ran.
              type: int
            agent:
              description: The C(ip:port) of the agent that runs it.
              type: str
            logs:
              description: Its log lines.
              type: list
              elements: str
    extra:
      description: Fields of the agent's record this collection does not interpret, and C(additional_data).
      type: dict
      contains:
        additional_data:
          description: The agent's C(additional_data) of the DAG, when it sent some.
          type: raw
operator:
  description:
    - The operator sent (C(RETRY), C(ROLLBACK), C(CANCEL), C(PASS)); null when nothing was sent.
    - Also set when the module fails after sending it (RV(took) is not V(false)).
  returned: always
  type: str
took:
  description:
    - Whether the operation is known to have taken - V(true) when the agent answered, or when its answer was lost
      and a read of the DAG since shows the change; V(false) when nothing was sent (already there, on its way,
      refused, check mode); null when the module fails because it cannot know (a lost answer no read settled).
  returned: always
  type: bool
already:
  description: Why nothing was needed (for example C(rolled back)), as the DAG read by id shows it; empty when the
    operation was needed.
  returned: success
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
  description:
    - How the DAG ended (C(succeeded), C(failed), C(rolled_back), C(passed), C(canceled)), or C(running).
    - Null when the operation was sent and the DAG could not be read since (with O(wait), the wait then tells).
  returned: always
  type: str
'''

import time

from ansible_collections.oceanbase.obshell.plugins.module_utils import _dag_fields, _dag_id, _operations, _options, _vocabulary
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import ObshellError
from ansible_collections.oceanbase.obshell.plugins.module_utils._module import ObshellModule

SPEC = dict(
    id=dict(type='str', required=True),
    state=dict(type='str', required=True, choices=list(_vocabulary.OPERATION_STATES)),
    node=dict(type='str'),
    name=dict(type='str'),
    start_time=dict(type='str'),
    wait=dict(type='bool', default=True),
)


def _diff_side(record):
    return {'state': record.get('state'), 'operator': record.get('operator'), 'outcome': record.get('outcome')}


def main():
    module = ObshellModule(argument_spec=_options.argument_spec(SPEC, _options.WAIT_SPEC), supports_check_mode=True)
    params = module.params
    state = params['state']
    try:
        dag_id = _dag_id.validate_generic_id(params['id'])
    except ValueError as exc:
        module.fail_json(msg='id: %s' % exc)
    node_id = None
    if params['node'] is not None:
        if state != 'passed':
            module.fail_json(msg='node is only valid with state=passed (a single node can only be passed)')
        try:
            node_id = _dag_id.validate_generic_id(params['node'])
        except ValueError as exc:
            module.fail_json(msg='node: %s' % exc)
    problems = _options.check_wait_options(params)
    if problems:
        module.fail_json(msg='; '.join(problems))

    if params['start_time'] is not None and _dag_fields.parse_time(params['start_time']) is None:
        module.fail_json(msg='start_time: %r is not an RFC 3339 time (for example 2026-05-08T10:00:01.1+08:00)'
                         % params['start_time'][:80])

    started = time.monotonic()
    # How long a lost answer may be read back: as long as the agent may be unreachable, within the task's timeout.
    deadline = started + min(params['timeout'], params['unreachable_timeout'])
    client = module.client()
    # Every request, retries included, within the task's overall deadline (found by the red team: an agent that
    # accepts connections and never answers kept a task with timeout 5 for 43 s, four reads of request_timeout 10).
    client.deadline = started + params['timeout']
    try:
        done = _operations.operate(client, dag_id, state, node_id=node_id, check_mode=module.check_mode,
                                   warn=module.warn, expect=dict(name=params['name'], start_time=params['start_time']),
                                   deadline=deadline, poll_interval=min(params['poll_interval'], 1.0))
    except _operations.OperationRefused as exc:
        extra = {}
        if exc.before is not None:
            extra['dag_before'] = exc.before
        if exc.after is not None:
            extra['dag'] = exc.after
        module.fail_json(msg=exc.message, err_code=exc.err_code, took=exc.took,
                         operator=None if exc.took is False else _vocabulary.OPERATION_OPERATORS[state], **extra)
    except ObshellError as exc:
        module.fail_on_error(exc, took=False, operator=None)
    finally:
        client.close()
    for warning in client.warnings:
        module.warn(warning)
    after = done['after'] or done['before']
    result = dict(changed=done['changed'], dag_before=done['before'], dag=after, operator=done['operator'],
                  took=done['operator'] is not None, already=done['already'], wait=None,
                  outcome=after.get('outcome') if done['after'] or not done['operator'] else None, msg=done['msg'])
    if module._diff:
        predicted = dict(_diff_side(after))
        if module.check_mode and done['changed']:
            # What the agent does at once (§4.8): a DAG PASS ends it; the others make it READY, a RETRY and a node
            # PASS with operator RUN.
            if state == 'passed' and node_id is None:
                predicted = {'state': 'SUCCEED', 'operator': 'PASS', 'outcome': 'passed'}
            else:
                predicted = {'state': 'READY', 'operator': 'RUN' if node_id or state == 'retried'
                             else _vocabulary.OPERATION_OPERATORS[state], 'outcome': 'running'}
        result['diff'] = {'before': _diff_side(done['before']), 'after': predicted}
    module.exit_json(**result)


if __name__ == '__main__':
    main()
