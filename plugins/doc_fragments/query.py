# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


class ModuleDocFragment(object):
    """Which DAGs to look at: shared by dag_info, facts, the unfinished_dags lookup and dag_wait."""

    DOCUMENTATION = r'''
options:
  scope:
    description:
      - Which unfinished DAGs to ask the agent for.
      - V(auto) asks a C(CLUSTER AGENT) for the cluster DAGs (C(/api/v1/task/dag/ob/unfinish)) and for its own
        agent DAGs (C(/api/v1/task/dag/agent/unfinish)), and any other agent (SINGLE, MASTER, FOLLOWER, SCALING
        OUT...) for its own agent DAGs only. Both routes fail visibly. While the agent's observer is down (during an
        upgrade's restart, a stop, a crash) the cluster DAGs cannot be read, and the answer is "cluster DAGs
        unknown" (an error, or for a wait an outage it waits out), never "idle".
      - V(cluster) lists the cluster DAGs only; the agent must be a C(CLUSTER AGENT).
      - V(agent) lists this agent's own DAGs only.
      - V(all) asks C(/api/v1/task/dag/unfinish), which a C(CLUSTER AGENT) answers with every agent's DAGs and the
        cluster DAGs. That list silently leaves out what the agent could not read, so it is only believed when
        C(/api/v1/status) says the observer is available; a peer agent that did not answer is still left out
        without notice (ask each agent, or use the role, to be sure of every agent).
    type: str
    default: auto
    choices: [auto, cluster, agent, all]
  names:
    description:
      - Keep only DAGs whose name equals one of these entries, or which an entry, as a Python regular
        expression, matches anywhere (C(re.search)); anchor with C(^...$) for an exact match.
      - For example V(Cluster scale out) or V(^OB rolling upgrade).
    type: list
    elements: str
  details:
    description:
      - V(summary) returns each DAG's progress, current node and, for a failed DAG, the failure record.
      - V(full) also returns every node with its sub-tasks, agents and logs.
    type: str
    default: summary
    choices: [summary, full]
'''

    # The `id` option, for plugins that can look at one DAG (dag_info, dag_wait).
    ID = r'''
options:
  id:
    description:
      - Look at one DAG by its OBShell generic id (for example V(142) for a cluster DAG, or a long id starting
        with V(2) for an agent DAG), in any state, finished or not. O(scope) is then ignored.
      - The id is validated before anything is sent.
    type: str
'''
