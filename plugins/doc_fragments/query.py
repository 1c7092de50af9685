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
      - V(auto) asks a C(CLUSTER AGENT) for cluster DAGs and agent DAGs (C(/api/v1/task/dag/unfinish)), and any
        other agent (SINGLE, MASTER, FOLLOWER, SCALING OUT...) for its own agent DAGs only. It never asks a
        non-cluster agent for cluster DAGs, which such agents answer with an error.
      - V(cluster) lists cluster DAGs only (C(/dag/ob/unfinish)); the agent must be a C(CLUSTER AGENT).
      - V(agent) lists this agent's local DAGs only (C(/dag/agent/unfinish)).
      - V(all) asks C(/dag/unfinish) whatever the identity.
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
