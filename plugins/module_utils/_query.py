# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""Ask one agent for DAGs and hand back normalized records: the glue between the client and the DAG model,
shared by dag_info, facts, the unfinished_dags lookup and the waits. The model returns facts; ``normalize`` adds
the one-line summary of a failed DAG, written by _report, so every record a plugin returns carries it.

Which routes answer truthfully matters more than how many requests are made. On a CLUSTER AGENT the aggregated
``/dag/unfinish`` answers success without the cluster DAGs while the agent's observer is down, and without the
DAGs of a peer it could not reach (§11.6): an empty answer there does not mean idle. So ``auto`` reads the
cluster DAGs from ``/dag/ob/unfinish`` and the agent's own from ``/dag/agent/unfinish``, which fail visibly; and
``all`` (the aggregated list) is only believed when ``/api/v1/status`` says, after the list, that the observer is
available.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.oceanbase.obshell.plugins.module_utils import _dag, _dag_id, _dag_lists, _report
from ansible_collections.oceanbase.obshell.plugins.module_utils._client import parse_version
from ansible_collections.oceanbase.obshell.plugins.module_utils._cluster import CLUSTER_AGENT
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import (
    ObshellApiError,
    ObshellAuthError,
    ObshellClusterUnknownError,
    ObshellError,
    ObshellNotFoundError,
    ObshellProtocolError,
    ObshellRecordError,
)
from ansible_collections.oceanbase.obshell.plugins.module_utils._text import LOG_TAIL
from ansible_collections.oceanbase.obshell.plugins.module_utils._vocabulary import SCOPES

# obState of /api/v1/status (§2.3): only 3 means the agent can read the cluster DAGs.
OB_STATES = {0: 'the observer process is not running', 1: 'the observer runs but the agent has no connection to it',
             2: 'the observer is restricted', 3: 'the observer is available'}
OB_AVAILABLE = 3
# The first agent version with the history routes (GET /api/v1/task/dags/ob and /dags/agent).
HISTORY_SINCE = (4, 3, 0)


def read_plan(scope, identity):
    """The lists to read for a user scope, in order: 'cluster' (/dag/ob/unfinish), 'agent' (/dag/agent/unfinish)
    or 'all' (/dag/unfinish). ``auto`` never asks a non-cluster agent for cluster DAGs (it has none, §2.4)."""
    if scope == 'auto':
        return ['cluster', 'agent'] if identity == CLUSTER_AGENT else ['agent']
    if scope not in SCOPES:
        raise ValueError('scope must be one of %s, got %r' % (', '.join(SCOPES), scope))
    return [scope]


def read_ob_state(client):
    """obState from /api/v1/status, or None when the agent does not say."""
    try:
        status = client.status()
    except ObshellError:
        return None
    value = status.get('obState') if isinstance(status, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def cluster_unknown(client, cause=None, ob_state=None):
    """The error for "the cluster DAGs cannot be read now": never idle."""
    if ob_state is None:
        ob_state = read_ob_state(client)
    why = OB_STATES.get(ob_state, 'obState %s' % ob_state) if ob_state is not None else 'obState unknown'
    text = 'cluster DAGs unknown: the agent cannot read them now (%s)' % why
    if cause is not None:
        text += ': %s' % (cause.message if isinstance(cause, ObshellError) else cause)
    return ObshellClusterUnknownError(text, ob_state=ob_state, agent=getattr(client, 'address', None),
                                      status=getattr(cause, 'status', None), err_code=getattr(cause, 'err_code', None),
                                      agent_message=getattr(cause, 'agent_message', None))


def read_list(client, endpoint, show_details=False):
    """One unfinished list as DTOs; raises ObshellClusterUnknownError when the cluster DAGs cannot be read."""
    if endpoint == 'cluster':
        try:
            return client.unfinished_dags('cluster', show_details=show_details)
        except ObshellAuthError:
            raise
        except ObshellApiError as exc:
            # On a CLUSTER AGENT this route fails when the observer cannot be read (§11.6): say so, not idle.
            raise cluster_unknown(client, exc)
    listed = client.unfinished_dags(endpoint, show_details=show_details)
    if endpoint == 'all' and client.identity == CLUSTER_AGENT:
        # The aggregated list drops the cluster DAGs silently while the observer is down: believe it only if the
        # observer was available after it was read.
        ob_state = read_ob_state(client)
        if ob_state != OB_AVAILABLE:
            raise cluster_unknown(client, 'the aggregated list (/dag/unfinish) would lack them', ob_state)
    return listed


def check_entries(client, listed):
    # An entry that is not a DAG object cannot be dropped quietly: the list would then look idle.
    for dto in listed:
        if not isinstance(dto, dict):
            raise ObshellProtocolError('the unfinished DAG list holds an entry that is not a DAG object: %.80r'
                                       % (dto,), agent=getattr(client, 'address', None))
    return listed


def list_unfinished(client, scope='auto', name_filter=None, with_details=True, details='summary', now=None,
                    plan=None):
    """Unfinished DAGs of one agent as normalized records: (lists read, records).

    Each list is read with show_details=false (cheap; nothing unfinished is the common case). Only when a DAG matched
    and ``with_details`` is set is that list read once more with details, for the current node and failures.
    ``plan`` overrides the lists read (see read_plan).
    """
    plan = plan if plan is not None else read_plan(scope, client.identity)
    answered = client.agent
    records = []
    for endpoint in plan:
        listed = check_entries(client, read_list(client, endpoint))
        dtos = [dto for dto in listed if matches(client, dto, answered, name_filter, now)]
        if dtos and (with_details or details == 'full'):
            detailed = dict((dto['id'], dto) for dto in read_list(client, endpoint, show_details=True)
                            if isinstance(dto, dict) and isinstance(dto.get('id'), str))
            # A DAG that finished between the two reads keeps its summary form.
            dtos = [detailed.get(dto.get('id'), dto) for dto in dtos]
        records.extend(normalize_record(client, dto, answered, details, now) for dto in dtos)
    return plan, records


def normalize(dto, agent=None, details='summary', now=None, log_tail=LOG_TAIL):
    """The record of a DagDetailDTO as every plugin returns it: the model's facts (_dag.normalize_dag, same
    arguments, same ValueError), and for a failed or canceled DAG the one-line ``failure.summary`` that _report
    writes for every report and message of the collection."""
    record = _dag.normalize_dag(dto, agent=agent, details=details, now=now, log_tail=log_tail)
    if record['failure'] is not None:
        record['failure']['summary'] = _report.failure_reason(record)
    return record


def matches(client, dto, answered, name_filter, now=None):
    """Whether a listed DTO is one the caller asked for. The record is checked first, whatever its name: a record
    that is not valid cannot be left out as "another name" (the list would then look idle)."""
    record = normalize_record(client, dto, answered, now=now)
    return name_filter is None or name_filter(record['name'])


def normalize_record(client, dto, answered, details='summary', now=None):
    """normalize, with a DTO the model cannot use reported as the agent's protocol error, naming the field."""
    try:
        return normalize(dto, agent=answered, details=details, now=now)
    except ValueError as exc:
        raise ObshellRecordError('the agent sent a DAG record that is not valid: %s' % exc,
                                 agent=getattr(client, 'address', None))


def query_unfinished(client, scope='auto', name_filter=None, details='summary', now=None):
    """What dag_info and facts return for one agent: agent identity, DAGs, idle, counts."""
    agent = client.describe()
    plan, records = list_unfinished(client, scope, name_filter, details=details, now=now)
    return {
        'agent': agent,
        'scope': plan,
        'dags': records,
        'idle': not records,
        'counts': _dag_lists.count_states(records),
    }


def query_one(client, generic_id, details='summary', now=None):
    """One DAG by generic id, in any state (validated before anything is sent)."""
    generic_id = _dag_id.validate_generic_id(generic_id)
    try:
        dto = client.dag(generic_id, show_details=True)
    except ObshellNotFoundError as exc:
        raise not_found(client, generic_id, exc)
    return normalize_record(client, dto, client.agent, details, now)


def not_found(client, generic_id, cause):
    """"DAG 12 does not exist on 127.0.0.1:2886": a typo must not read as a DAG that is done."""
    return ObshellNotFoundError('DAG %s does not exist on this agent (%s)' % (generic_id, cause.agent_message or cause.message),
                                agent=getattr(client, 'address', None), status=cause.status, err_code=cause.err_code,
                                agent_message=cause.agent_message)


def keeps_history(client):
    return parse_version(client.version) >= HISTORY_SINCE


def read_history(client, scopes, name_filter, now=None):
    """Every DAG the agent holds in ``scopes`` ('cluster', 'agent') whose name matches, as summary records (one read
    per scope, show_details=false). Raises what a read raises; a record that is not a DAG's is a protocol error."""
    records = []
    for scope in scopes:
        listed = check_entries(client, client.dag_history(scope, show_details=False))
        records.extend(normalize_record(client, dto, client.agent, now=now)
                       for dto in listed if matches(client, dto, client.agent, name_filter, now))
    return records
