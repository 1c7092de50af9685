#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
module: dag_info
short_description: List unfinished OBShell task DAGs, or read one DAG
version_added: 1.0.0
description:
  - Asks an OceanBase OBShell agent which task DAGs (cluster scale-out, upgrades, start/stop, tenant work...) are
    unfinished, and returns them as structured records with progress, current node and failure details.
  - With O(id), reads one DAG in any state, finished or not.
  - Nothing is changed on the agent.
  - A snapshot of what is unfinished when it asks; it cannot see a DAG that started and ended before (a failed
    C(Stop OB) leaves the unfinished list at once). To learn how an operation ended, wait on it with
    M(oceanbase.obshell.dag_wait), which reads the agent's history for what it could not see.
author:
  - OceanBase obshell collection contributors (@oceanbase)
extends_documentation_fragment:
  - oceanbase.obshell.connection
  - oceanbase.obshell.query
  - oceanbase.obshell.query.id
  - oceanbase.obshell.attributes
  - oceanbase.obshell.attributes.info_module
notes:
  - Lists are read with C(show_details=false); only when a DAG matches are they read once more with details,
    so an idle agent costs one request per list after the first call.
  - While the agent cannot read the cluster DAGs (its observer is down or restarting), the module fails with
    "cluster DAGs unknown" rather than answering idle.
  - A failed DAG that is not a maintenance DAG (for example C(Stop OB)) leaves the unfinished list at once, as the
    agent reports it; use O(id) or M(oceanbase.obshell.dag_wait) to learn how such a DAG ended.
seealso:
  - module: oceanbase.obshell.facts
  - module: oceanbase.obshell.dag_wait
  - plugin: oceanbase.obshell.unfinished_dags
    plugin_type: lookup
'''

EXAMPLES = r'''
- name: List unfinished DAGs on the local agent
  oceanbase.obshell.dag_info:
  register: obshell

- name: Stop here if the cluster is busy
  ansible.builtin.assert:
    that: obshell.idle
    fail_msg: "Busy: {{ obshell.dags | map(attribute='name') | join(', ') }}"

- name: Is a scale-out running on the cluster agent, and where is it?
  oceanbase.obshell.dag_info:
    scope: cluster
    names:
      - Cluster scale out
  register: scale_out

- name: Read one DAG, with every node and sub-task
  oceanbase.obshell.dag_info:
    id: "142"
    details: full
  register: dag142

- name: Set the connection once for every module of the collection (or use obshell_* inventory variables)
  module_defaults:
    group/oceanbase.obshell.obshell:
      port: 2886
      password: "{{ vault_obshell_password }}"
  block:
    - name: Query
      oceanbase.obshell.dag_info:
'''

RETURN = r'''
dags:
  description: The matching DAGs, as normalized records.
  returned: always
  type: list
  elements: dict
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
agent:
  description: Who answered.
  returned: always
  type: dict
  contains:
    address:
      description: The address asked.
      type: str
    identity:
      description: Agent identity, e.g. C(CLUSTER AGENT) or C(SINGLE).
      type: str
    version:
      description: OBShell version.
      type: str
    ip:
      description: The agent's own IP.
      type: str
    port:
      description: The agent's own port.
      type: int
    supported_auth:
      description: Auth versions the agent offers.
      type: list
      elements: str
    auth_version:
      description: Auth version used.
      type: str
    agent_password_set:
      description: Whether the agent has an agent password.
      type: bool
idle:
  description: True when no matching DAG is unfinished (with O(id), when that DAG is not running and not a failed maintenance DAG).
  returned: always
  type: bool
counts:
  description: Number of matching DAGs by state (only the states present), plus C(total).
  returned: always
  type: dict
  sample: {RUNNING: 1, total: 1}
  contains:
    total:
      description: Number of matching DAGs.
      type: int
    RUNNING:
      description: Number of them in that state; likewise C(READY), C(FAILED), C(SUCCEED), C(PENDING).
      type: int
scope:
  description:
    - The lists read, in order - C(cluster) (C(/dag/ob/unfinish)), C(agent) (C(/dag/agent/unfinish)) or C(all)
      (C(/dag/unfinish)); null with O(id).
  returned: always
  type: list
  elements: str
  sample: [cluster, agent]
'''

from ansible_collections.oceanbase.obshell.plugins.module_utils import _dag, _dag_id, _dag_lists, _options, _query
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import ObshellError
from ansible_collections.oceanbase.obshell.plugins.module_utils._module import ObshellModule


def main():
    module = ObshellModule(argument_spec=_options.argument_spec(_options.QUERY_SPEC), supports_check_mode=True)
    params = module.params
    try:
        name_filter = _dag_lists.compile_name_filter(params['names'])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    if params['id'] is not None:
        try:
            params['id'] = _dag_id.validate_generic_id(params['id'])
        except ValueError as exc:
            module.fail_json(msg='id: %s' % exc)

    client = module.client()
    try:
        if params['id'] is not None:
            record = _query.query_one(client, params['id'], details=params['details'])
            dags = [record] if name_filter(record.get('name')) else []
            result = dict(
                agent=client.describe(),
                scope=None,
                dags=dags,
                idle=not any(_dag.outcome(d['state'], d['operator']) == 'running'
                             or _dag.is_unfinished_maintenance_failure(d) for d in dags),
                counts=_dag_lists.count_states(dags),
            )
        else:
            result = _query.query_unfinished(client, scope=params['scope'], name_filter=name_filter,
                                             details=params['details'])
    except ObshellError as exc:
        module.fail_on_error(exc)
    finally:
        client.close()
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
