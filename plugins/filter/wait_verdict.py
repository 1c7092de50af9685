# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
name: wait_verdict
short_description: One verdict over the dag_wait results of several hosts
version_added: 1.0.0
description:
  - Combines the results of M(oceanbase.obshell.dag_wait) registered on several hosts (for example each host waiting
    on its own agent from the host, with O(oceanbase.obshell.dag_wait#module:run_on=target)) into one verdict, by
    the same rules as one dag_wait over a batch - the worst outcome wins, and every failure is reported with its
    host.
  - The role C(oceanbase.obshell.wait_for_tasks) uses it with O(oceanbase.obshell.dag_wait#module:run_on=target).
author:
  - OceanBase obshell collection contributors (@oceanbase)
options:
  _input:
    description:
      - The registered dag_wait results, as a dict of inventory host to result, or a list of results. Results of
        hosts that skipped the task are left out. A host whose task failed before it could wait (a bad option, a
        missing library) counts as an C(error) part of that host.
    type: raw
    required: true
  mode:
    description: V(wait) fails on the outcomes in O(fail_on) and on C(error); V(assert_idle) on anything but C(idle).
    type: str
    default: wait
    choices: [wait, assert_idle]
  fail_on:
    description: The outcomes that fail the batch (C(error) always does).
    type: list
    elements: str
    default: [failed, rolled_back, passed, canceled, timeout, unreachable]
'''

EXAMPLES = r'''
- name: Combine what every host waited on
  ansible.builtin.set_fact:
    verdict: "{{ dict(ansible_play_batch | zip(ansible_play_batch | map('extract', hostvars, 'waited'))) | oceanbase.obshell.wait_verdict }}"
  run_once: true
'''

RETURN = r'''
_value:
  description: The combined result, with the keys of M(oceanbase.obshell.dag_wait)'s verdict.
  type: dict
  contains:
    outcome:
      description: The worst outcome.
      type: str
    failed:
      description: Whether the batch fails.
      type: bool
    msg:
      description: What failed where.
      type: str
    per_host:
      description: A dict keyed by inventory hostname; each value is that host's part, with these keys.
      type: dict
      contains:
        outcome:
          description: The worst outcome of the host's own parts.
          type: str
        failed:
          description: Whether the batch failed.
          type: bool
        msg:
          description: The host's message (what concerns itself first).
          type: str
        agent:
          description: The host's agent (C(ip:port)) as asked.
          type: str
        dags:
          description: The DAGs of the host's own part (the same records as RV(_value.dags)).
          type: list
          elements: dict
          contains:
            id:
              description: Generic id of the DAG.
              type: str
            name:
              description: DAG name.
              type: str
            outcome:
              description: The DAG's outcome.
              type: str
    cluster:
      description: The part that watched the cluster DAGs, or null.
      type: dict
      contains:
        outcome:
          description: The part's outcome.
          type: str
        host:
          description: The host the cluster DAGs were last read through.
          type: str
        agent:
          description: Its agent (C(ip:port)).
          type: str
        msg:
          description: The part's summary.
          type: str
    dags:
      description: Every DAG seen, each once.
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
              type: raw'''

from ansible.errors import AnsibleFilterError

from ansible_collections.oceanbase.obshell.plugins.module_utils import _verdict


def wait_verdict(results, mode='wait', fail_on=None):
    try:
        combined = _verdict.combine_results(results, mode=mode, fail_on=fail_on)
    except (TypeError, ValueError) as exc:
        raise AnsibleFilterError('wait_verdict: %s' % exc)
    combined.pop('parts', None)
    return combined


class FilterModule(object):

    def filters(self):
        return {'wait_verdict': wait_verdict}
