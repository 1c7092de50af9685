# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""The DAG model: a DagDetailDTO made a normalized record (nodes, sub-tasks, the failure record), its outcome,
whether a later record is still the same DAG, and the errors its sub-tasks logged.

Pure functions on plain data, standard library only, no I/O. The model returns facts; the texts people read are
rendered by the reports alone, and the reading layer (_query.normalize) adds a failed record's one-line
``failure.summary``. The only impure default is the clock used for the elapsed time of a running DAG, and callers
can pass ``now`` instead. Section numbers (§x.y) refer to the protocol spec (obshell-api.md). Generic ids are in
_dag_id.py, the readers of one field and the times in _dag_fields.py, lists of records (counts, dedupe, name
filters) in _dag_lists.py.

A DTO from the agent is never trusted to be well formed. The fields a verdict rests on (id, name, state, operator,
stage, max_stage, maintenance_type, nodes and their states) must have the agent's types and values: anything else
raises ValueError naming the field, which the plugins report as the agent's protocol error, never as a verdict.
Fields only shown to people (times, logs, additional_data) degrade to None or [] when odd; unknown keys are kept in
``extra``.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible_collections.oceanbase.obshell.plugins.module_utils import _templates
from ansible_collections.oceanbase.obshell.plugins.module_utils._dag_fields import (
    as_enum, as_id, as_int, as_text, elapsed, field_error, now_seconds, parse_time, safe_copy, strict_enum,
    strict_int, strict_list, strict_text, time_field,
)
from ansible_collections.oceanbase.obshell.plugins.module_utils._dag_id import decode_id, format_address, id_kind
from ansible_collections.oceanbase.obshell.plugins.module_utils._text import LOG_TAIL, cut_text, safe_text, short_repr
from ansible_collections.oceanbase.obshell.plugins.module_utils._vocabulary import (
    DAG_STATES, DETAILS, FINISHED_STATES, OPERATORS,
)


# The agents render enums as strings (§4.2); a user may give the integer values where a state is asked for.
_STATE_BY_NUMBER = dict(enumerate(DAG_STATES, 1))
_OPERATOR_BY_NUMBER = dict(enumerate(OPERATORS, 1))

# maintenance_type (4.3.1.0+, §4.1). Older agents do not send it; the record then says None.
MAINTENANCE_TYPES = {0: 'not_bootstrap', 1: 'none', 2: 'global', 3: 'tenant', 4: 'obproxy'}
# A FAILED DAG of these kinds keeps is_finished = false, so it stays in the unfinished lists (§4.7).
MAINTENANCE_KINDS = ('global', 'tenant', 'obproxy')


# Keys of a normalized record, in order; 'nodes' is present only with details='full'.
RECORD_KEYS = ('id', 'dag_id', 'name', 'state', 'operator', 'stage', 'max_stage', 'progress', 'current_node',
               'current_node_state', 'start_time', 'end_time', 'elapsed_seconds', 'maintenance', 'maintenance_source',
               'maintenance_key', 'kind', 'agent', 'outcome', 'failure', 'passed_nodes', 'nodes', 'extra')

# DagDetailDTO keys this module interprets; anything else goes to the record's 'extra'.
_KNOWN_DAG_KEYS = frozenset(('id', 'dag_id', 'name', 'stage', 'max_stage', 'maintenance_type', 'maintenance_key',
                             'state', 'operator', 'start_time', 'end_time', 'additional_data', 'nodes'))

_ERROR_LINE_RE = re.compile(r'^\s*ERROR:[ \t]?(.*)$', re.DOTALL)
# 4.3.1.0+: "ERROR: [<errCode>]: <message>" (§4.5). The code must look like a dotted errCode, so that an older
# free-text message which happens to start with a bracket is not mistaken for one.
_CODED_ERROR_RE = re.compile(r'^\[([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\]:[ \t]?(.*)$', re.DOTALL)


# --------------------------------------------------------------------------------------------------------------
# Outcomes


def outcome(state, operator=None, passed_nodes=None):
    """The outcome of a DAG from its state and operator; ``state`` may also be a record or DTO (dict).

    SUCCEED+RUN/RETRY -> succeeded (passed if a node was passed), SUCCEED+ROLLBACK -> rolled_back, SUCCEED+PASS ->
    passed, FAILED+CANCEL -> canceled, other FAILED -> failed, anything else (READY, RUNNING, PENDING) -> running.
    """
    if isinstance(state, dict):
        operator = state.get('operator')
        passed_nodes = state.get('passed_nodes')
        if passed_nodes is None and isinstance(state.get('nodes'), list):
            # A DTO with its nodes: they say whether a node was passed.
            passed_nodes = [node for node in state['nodes'] if isinstance(node, dict)
                            and (node.get('state'), node.get('operator')) == ('SUCCEED', 'PASS')]
        state = state.get('state')
    state = as_enum(state, _STATE_BY_NUMBER)
    operator = as_enum(operator, _OPERATOR_BY_NUMBER)
    if state == 'SUCCEED':
        if operator == 'ROLLBACK':
            return 'rolled_back'
        if operator == 'PASS' or passed_nodes:
            return 'passed'
        return 'succeeded'
    if state == 'FAILED':
        return 'canceled' if operator == 'CANCEL' else 'failed'
    return 'running'


# What a DAG's identity is made of: what no operation changes (§4.1, §4.8). A local generic id encodes only the
# agent's address and a sqlite row id, so a re-deployed agent gives old ids to new DAGs.
IDENTITY_FIELDS = ('id', 'name', 'dag_id', 'kind', 'max_stage')


def identity_problem(seen, now):
    """Why ``now`` (a later record under the same id) is not the DAG last seen as ``seen``, or ''.

    The name, the table id, the kind and the number of nodes never change for one DAG. Its start time changes only
    in known ways: the pickup sets it when the DAG leaves READY, and RETRY and ROLLBACK (of a FAILED DAG) or CANCEL
    reset it (§4.1, §4.8). So a start time earlier than the one seen is another DAG, and so is one that moved while
    the DAG was seen RUNNING or SUCCEED and no CANCEL explains it: a re-deployed agent's new DAG under the old id,
    with the same name (strict for verdicts: a retry that ran and failed again between two reads looks the same,
    and then what became of the DAG seen is not known either)."""
    for field in IDENTITY_FIELDS:
        if seen.get(field) is not None and now.get(field) is not None and seen.get(field) != now.get(field):
            return '%s is now %s, was %s' % (field, _shown(now.get(field)), _shown(seen.get(field)))
    before, after = parse_time(seen.get('start_time')), parse_time(now.get('start_time'))
    if before is None or after is None or abs(after - before) <= 0.001:
        return ''
    if after < before:
        return 'it started at %s, before the DAG seen under this id (%s)' % (
            safe_text(now.get('start_time'), 60), safe_text(seen.get('start_time'), 60))
    if seen.get('state') in ('RUNNING', 'SUCCEED') and now.get('operator') != 'CANCEL':
        return 'its start time moved from %s to %s although it was seen %s' % (
            safe_text(seen.get('start_time'), 60), safe_text(now.get('start_time'), 60),
            seen.get('state'))
    return ''


def _shown(value):
    return "'%s'" % safe_text(value, 80) if isinstance(value, str) else str(value)


def is_unfinished_maintenance_failure(record):
    """True for a FAILED maintenance DAG (global/tenant/obproxy): it stays in the unfinished lists (§4.7).

    Agents before 4.3.1 do not send maintenance_type: the known templates decide, and an unknown name gives False.
    """
    if not isinstance(record, dict):
        return False
    return record.get('state') == 'FAILED' and record.get('maintenance') in MAINTENANCE_KINDS


# --------------------------------------------------------------------------------------------------------------
# Logs and errors


def _log_lines(value):
    """task_logs as a list of strings: null -> [], a lone string -> [it], other items rendered as text."""
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        return []
    lines = []
    for item in value:
        if item is None:
            continue
        text = item if isinstance(item, str) else as_text(item)
        if text is None:
            try:
                text = str(item)
            except Exception:  # pylint: disable=broad-except
                continue
        lines.append(text)
    return lines


def parse_error(logs):
    """The last ``ERROR:`` line of a sub-task's logs as {'code', 'message'}; None when there is none.

    4.3.1+: ``ERROR: [Common.Unexpected]: Unexpected error: x`` -> code 'Common.Unexpected', message
    'Unexpected error: x'. Older agents: ``ERROR: x`` -> code None, message 'x'.
    """
    for line in reversed(_log_lines(logs)):
        match = _ERROR_LINE_RE.match(line)
        if not match:
            continue
        text = match.group(1).strip()
        coded = _CODED_ERROR_RE.match(text)
        if coded:
            return {'code': coded.group(1), 'message': coded.group(2).strip()}
        return {'code': None, 'message': text}
    return None


def _tail(lines, count):
    if count is None:
        return list(lines)
    if count <= 0:
        return []
    return list(lines[-count:])


# --------------------------------------------------------------------------------------------------------------
# Normalization


def _agent_of(execute_agent):
    """'ip:port' from execute_agent {"ip", "port"} (§4.3); None when unusable."""
    if isinstance(execute_agent, str):
        return execute_agent.strip() or None
    if not isinstance(execute_agent, dict):
        return None
    ip = execute_agent.get('ip')
    if not isinstance(ip, str) or not ip.strip():
        return None
    return format_address(ip.strip(), as_int(execute_agent.get('port')))


def _normalize_sub_task(task, where):
    where = '%s sub-task %s' % (where, short_repr(task.get('id'), 40))
    return {
        'id': as_id(task.get('id')),
        'task_id': as_int(task.get('task_id')),
        'name': as_text(task.get('name')),
        'state': strict_enum(where, 'state', task.get('state'), DAG_STATES),
        'operator': strict_enum(where, 'operator', task.get('operator'), OPERATORS),
        'execute_times': as_int(task.get('execute_times')),
        'agent': _agent_of(task.get('execute_agent')),
        'logs': _log_lines(task.get('task_logs')),
    }


def _normalize_node(node, stage, where):
    if not isinstance(node, dict):
        raise ValueError('%s: node %d is %s, not an object' % (where, stage, short_repr(node, 60)))
    where = '%s node %d' % (where, stage)
    state = strict_enum(where, 'state', node.get('state'), DAG_STATES)
    start_time = time_field(node.get('start_time'))[0]
    end_time = time_field(node.get('end_time'))[0] if state in FINISHED_STATES else None
    raw_tasks = strict_list(where, 'sub_tasks', node.get('sub_tasks')) or []
    tasks = []
    for task in raw_tasks:
        if not isinstance(task, dict):
            raise ValueError('%s: a sub-task is %s, not an object' % (where, short_repr(task, 60)))
        tasks.append(_normalize_sub_task(task, where))
    return {
        'id': as_id(node.get('id')),
        'node_id': as_int(node.get('node_id')),
        'name': strict_text(where, 'name', node.get('name')),
        'stage': stage,
        'state': state,
        'operator': strict_enum(where, 'operator', node.get('operator'), OPERATORS),
        'start_time': start_time,
        'end_time': end_time,
        'sub_tasks': tasks,
    }


def _failure(record, nodes, log_tail):
    """The failure record of a FAILED DAG (see normalize_dag)."""
    canceled = record['operator'] == 'CANCEL'
    failed_node = None
    for node in nodes:
        if node['state'] == 'FAILED':
            failed_node = node
            break
    if failed_node is None:
        for node in nodes:
            if node['stage'] == record['stage']:
                failed_node = node
                break
    failure = {'node': None, 'sub_tasks': [], 'canceled': canceled}
    if failed_node is not None:
        failure['node'] = {'id': failed_node['id'], 'name': failed_node['name'], 'stage': failed_node['stage']}
        for task in failed_node['sub_tasks']:
            if task['state'] != 'FAILED':
                continue
            failure['sub_tasks'].append({
                'id': task['id'],
                'name': task['name'],
                'agent': task['agent'],
                'execute_times': task['execute_times'],
                # A hostile or broken agent can log megabytes: what is kept (and printed) is cut, saying so.
                'log_tail': [cut_text(line) for line in _tail(task['logs'], log_tail)],
                'error': _cut_error(parse_error(task['logs'])),
            })
    # No summary here: the model returns facts. The reading layer (_query.normalize) adds the one-line reason.
    return failure


def _cut_error(error):
    if error is not None:
        error['message'] = cut_text(error['message'])
    return error


def _passed_nodes(nodes):
    """Nodes that ended SUCCEED with operator PASS: passed by an operator (a DAG PASS, or a node PASS), not done."""
    return [{'id': node['id'], 'name': node['name'], 'stage': node['stage']}
            for node in nodes if node['state'] == 'SUCCEED' and node['operator'] == 'PASS']


def normalize_dag(dto, agent=None, details='summary', now=None, log_tail=LOG_TAIL):
    """The normalized record of a DagDetailDTO (§4.1), as every plugin of the collection returns it but for the
    failure's one-line ``summary``, which _query.normalize adds.

    ``agent`` is the ``ip:port`` of the agent that answered; ``details`` 'summary' or 'full' (adds 'nodes');
    ``now`` (datetime, epoch seconds or RFC 3339 text; default: the current time) is used for the elapsed time
    of a running DAG; ``log_tail`` is how many last log lines each failed sub-task keeps (None: all).
    Raises ValueError naming the field when the DTO is not what an agent sends. The input is not modified.
    """
    if details not in DETAILS:
        raise ValueError('details must be one of %s, not %s' % (', '.join(DETAILS), short_repr(details)))
    if log_tail is not None and (isinstance(log_tail, bool) or not isinstance(log_tail, int)):
        raise ValueError('log_tail must be an integer or None, not %s' % short_repr(log_tail))
    if not isinstance(dto, dict):
        raise ValueError('an OBShell DAG must be a JSON object, not %s' % type(dto).__name__)
    raw_id = dto.get('id')
    if not isinstance(raw_id, str):
        raise ValueError('OBShell DAG without a usable id: field %r is %s, not a string' % ('id', short_repr(raw_id, 60)))
    if raw_id.strip() and raw_id != raw_id.strip():
        raise ValueError('OBShell DAG without a usable id: field %r is %s, with spaces around it'
                         % ('id', short_repr(raw_id, 60)))
    try:
        generic_id = decode_id(raw_id)[0]
    except ValueError as exc:
        raise ValueError('OBShell DAG without a usable id (%s)' % exc) from exc
    where = 'DAG %s' % generic_id
    now_at = now_seconds(now)
    row = as_int(dto.get('dag_id'))
    if row is not None and row != decode_id(generic_id)[4]:
        # The generic id embeds the DAG's table id (§4.4): a record whose two ids disagree is not one DAG's.
        raise field_error(where, 'dag_id', dto.get('dag_id'), 'the table id %d that the generic id embeds'
                          % decode_id(generic_id)[4])

    state = strict_enum(where, 'state', dto.get('state'), DAG_STATES)
    operator = strict_enum(where, 'operator', dto.get('operator'), OPERATORS)
    name = strict_text(where, 'name', dto.get('name'))
    max_stage = strict_int(where, 'max_stage', dto.get('max_stage'))
    stage = strict_int(where, 'stage', dto.get('stage'))
    if max_stage and stage > max_stage:
        raise ValueError('%s: field %r is %d, beyond max_stage %d' % (where, 'stage', stage, max_stage))

    raw_nodes = strict_list(where, 'nodes', dto.get('nodes'))
    has_nodes = raw_nodes is not None
    nodes = [_normalize_node(node, index, where) for index, node in enumerate(raw_nodes or [], 1)]
    current = None
    for node in nodes:
        if node['stage'] == stage:
            current = node
            break

    # Pending and running items carry their creation time in end_time (§4.1): only a finished DAG has an end.
    start_time, start_seconds = time_field(dto.get('start_time'))
    end_time, end_seconds = time_field(dto.get('end_time'))
    if state not in FINISHED_STATES:
        end_time = end_seconds = None

    raw_type = dto.get('maintenance_type')
    if raw_type is None:
        # Agents before 4.3.1 do not send it: the known templates say which DAGs are maintenance DAGs.
        maintenance = _templates.maintenance_of(name)
        maintenance_source = 'template' if maintenance is not None else None
    else:
        if isinstance(raw_type, bool) or not isinstance(raw_type, int) or raw_type not in MAINTENANCE_TYPES:
            raise field_error(where, 'maintenance_type', raw_type, 'one of %s' % ', '.join(
                str(number) for number in sorted(MAINTENANCE_TYPES)))
        maintenance = MAINTENANCE_TYPES[raw_type]
        maintenance_source = 'agent'
    maintenance_key = as_text(dto.get('maintenance_key'))

    extra = {}
    for key, value in dto.items():
        if key not in _KNOWN_DAG_KEYS:
            extra[key] = safe_copy(value)
    if dto.get('additional_data') is not None:
        extra['additional_data'] = safe_copy(dto['additional_data'])

    passed_nodes = _passed_nodes(nodes) if has_nodes else None
    record = {
        'id': generic_id,
        'dag_id': as_int(dto.get('dag_id')),
        'name': name,
        'state': state,
        'operator': operator,
        'stage': stage,
        'max_stage': max_stage,
        'progress': '%d/%d' % (stage, max_stage),
        'current_node': current['name'] if current else None,
        'current_node_state': current['state'] if current else None,
        'start_time': start_time,
        'end_time': end_time,
        'elapsed_seconds': elapsed(state, start_seconds, end_seconds, now_at),
        'maintenance': maintenance,
        'maintenance_source': maintenance_source,
        # "" (not a tenant maintenance) reads better as None in a playbook.
        'maintenance_key': maintenance_key or None,
        'kind': id_kind(generic_id),
        'agent': agent,
        'outcome': outcome(state, operator, passed_nodes),
        'failure': None,
        # None when the nodes were not read (a summary read): then a passed node cannot be seen.
        'passed_nodes': passed_nodes,
    }
    if state == 'FAILED':
        record['failure'] = _failure(record, nodes, log_tail)
    if details == 'full':
        record['nodes'] = nodes
    record['extra'] = extra
    return record
