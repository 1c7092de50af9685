#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
module: facts
short_description: Gather OBShell agent and unfinished-DAG facts
version_added: 1.0.0
description:
  - Sets C(ansible_facts.obshell) with the OBShell agent's identity and its unfinished task DAGs, so that plays
    can gate tasks on C(ansible_facts.obshell.idle).
  - Works as a facts module inside C(gather_facts) (see the examples), so the facts are there before the first task.
  - A snapshot of what is unfinished when it asks; C(idle) cannot tell whether a DAG failed just before. To gate on
    how an operation ended, use M(oceanbase.obshell.dag_wait) or the P(oceanbase.obshell.wait_for_tasks#role) role.
author:
  - OceanBase obshell collection contributors (@oceanbase)
extends_documentation_fragment:
  - oceanbase.obshell.connection
  - oceanbase.obshell.query
  - oceanbase.obshell.attributes
  - oceanbase.obshell.attributes.info_module
attributes:
  facts:
    support: full
    description: Sets C(ansible_facts.obshell).
seealso:
  - module: oceanbase.obshell.dag_info
'''

EXAMPLES = r'''
- name: Gather OBShell facts as a task
  oceanbase.obshell.facts:

- name: Upgrade only idle hosts
  ansible.builtin.debug:
    msg: "{{ inventory_hostname }} is idle: upgrading it"
  when: ansible_facts.obshell.idle

- name: Say what the busy hosts run
  ansible.builtin.debug:
    msg: "{{ inventory_hostname }} runs {{ ansible_facts.obshell.unfinished_dags | map(attribute='name') | list }}"
  when: not ansible_facts.obshell.idle

# Inside gather_facts: the facts are there before the first task.
- name: Gate on OBShell facts from gather_facts
  hosts: observers
  gather_facts: true
  vars:
    ansible_facts_modules:
      - ansible.builtin.setup
      - oceanbase.obshell.facts
    # In parallel, a fact module that takes more than 5 s can be killed (async_wrapper): one after the other.
    ansible_facts_parallel: false
  # Inside gather_facts the module runs without its action plugin, so the obshell_* inventory variables are not
  # read for it: give its settings in module_defaults (the environment variables work too).
  module_defaults:
    group/oceanbase.obshell.obshell:
      port: "{{ obshell_port | default(2886) }}"
      password: "{{ vault_obshell_password }}"
  tasks:
    - name: Refuse to run on a busy cluster
      ansible.builtin.assert:
        that: ansible_facts.obshell.idle
'''

RETURN = r'''
ansible_facts:
  description: Facts added under C(obshell).
  returned: always
  type: dict
  contains:
    obshell:
      description: The OBShell facts.
      type: dict
      contains:
        agent:
          description: Identity, version, ip, port and auth facts of the agent (as M(oceanbase.obshell.dag_info) returns).
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
        unfinished_dags:
          description: Unfinished DAGs as normalized records (as M(oceanbase.obshell.dag_info) returns in C(dags)).
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
        idle:
          description: True when no DAG in scope is unfinished.
          type: bool
        counts:
          description: Number of unfinished DAGs by state, plus C(total).
          type: dict
          contains:
            total:
              description: Number of unfinished DAGs.
              type: int
        scope:
          description: The lists read (C(cluster), C(agent) or C(all)), as in M(oceanbase.obshell.dag_info).
          type: list
          elements: str
        queried_at:
          description: When the agent was asked (controller-independent UTC, ISO 8601).
          type: str
          sample: "2026-11-21T06:30:00Z"
'''

import datetime

from ansible_collections.oceanbase.obshell.plugins.module_utils import _dag_lists, _options, _query
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import ObshellError
from ansible_collections.oceanbase.obshell.plugins.module_utils._module import ObshellModule


def main():
    module = ObshellModule(argument_spec=_options.argument_spec(_options.LIST_SPEC), supports_check_mode=True)
    params = module.params
    try:
        name_filter = _dag_lists.compile_name_filter(params['names'])
    except ValueError as exc:
        module.fail_json(msg=str(exc))

    client = module.client()
    try:
        queried_at = datetime.datetime.utcnow().replace(microsecond=0).isoformat() + 'Z'
        found = _query.query_unfinished(client, scope=params['scope'], name_filter=name_filter,
                                        details=params['details'])
    except ObshellError as exc:
        module.fail_on_error(exc)
    finally:
        client.close()
    facts = dict(
        agent=found['agent'],
        scope=found['scope'],
        unfinished_dags=found['dags'],
        idle=found['idle'],
        counts=found['counts'],
        queried_at=queried_at,
    )
    module.exit_json(changed=False, ansible_facts=dict(obshell=facts))


if __name__ == '__main__':
    main()
