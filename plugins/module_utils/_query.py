# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""Ask one agent for DAGs and hand back normalized records: the glue between the client and the DAG model,
shared by dag_info, facts, the unfinished_dags lookup and dag_wait."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.oceanbase.obshell.plugins.module_utils import _dag
from ansible_collections.oceanbase.obshell.plugins.module_utils._client import CLUSTER_AGENT
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import ObshellProtocolError


def endpoint_scope(scope, identity):
    """The endpoint scope for a user scope. ``auto`` never asks a non-cluster agent for cluster DAGs (§2.4):
    a CLUSTER AGENT answers /dag/unfinish with cluster DAGs plus every agent's local DAGs in one request."""
    if scope == 'auto':
        return 'all' if identity == CLUSTER_AGENT else 'agent'
    return scope


def list_unfinished(client, scope='auto', name_filter=None, with_details=True, details='summary', now=None):
    """Unfinished DAGs of one agent as normalized records.

    The list is read with show_details=false (cheap; nothing unfinished is the common case). Only when a DAG
    matched and ``with_details`` is set is it read once more with details, for the current node and failures.
    """
    identity = client.identity
    scope_used = endpoint_scope(scope, identity)
    listed = client.unfinished_dags(scope_used, show_details=False)
    # An entry that is not a DAG object cannot be dropped quietly: the list would then look idle.
    for dto in listed:
        if not isinstance(dto, dict):
            raise ObshellProtocolError('the unfinished DAG list holds an entry that is not a DAG object: %.80r'
                                       % (dto,), agent=getattr(client, 'address', None))
    dtos = [dto for dto in listed if name_filter is None or name_filter(dto.get('name'))]
    if dtos and (with_details or details == 'full'):
        detailed = dict((dto.get('id'), dto) for dto in client.unfinished_dags(scope_used, show_details=True)
                        if isinstance(dto, dict))
        # A DAG that finished between the two reads keeps its summary form.
        dtos = [detailed.get(dto.get('id'), dto) for dto in dtos]
    answered = client.agent
    records = [normalize_record(client, dto, answered, details, now) for dto in dtos]
    return scope_used, records


def normalize_record(client, dto, answered, details='summary', now=None):
    """normalize_dag, with a DTO the model cannot use (no generic id) reported as the agent's protocol error."""
    try:
        return _dag.normalize_dag(dto, agent=answered, details=details, now=now)
    except ValueError as exc:
        raise ObshellProtocolError(str(exc), agent=getattr(client, 'address', None))


def query_unfinished(client, scope='auto', name_filter=None, details='summary', now=None):
    """What dag_info and facts return for one agent: agent identity, DAGs, idle, counts."""
    agent = client.describe()
    scope_used, records = list_unfinished(client, scope, name_filter, details=details, now=now)
    return {
        'agent': agent,
        'scope': scope_used,
        'dags': records,
        'idle': not records,
        'counts': _dag.count_states(records),
    }


def query_one(client, generic_id, details='summary', now=None):
    """One DAG by generic id, in any state (validated before anything is sent)."""
    generic_id = _dag.validate_generic_id(generic_id)
    dto = client.dag(generic_id, show_details=True)
    return normalize_record(client, dto, client.agent, details, now)
