# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""The DAG model: generic ids, DTO -> normalized record, failure record, outcomes, counts, name filters.

Pure functions on plain data, standard library only, no I/O. The only impure default is the clock used for the
elapsed time of a running DAG, and callers can pass ``now`` instead. Section numbers (§x.y) refer to the protocol
spec (obshell-api.md).

A DTO from the agent is never trusted to be well formed. The fields a verdict rests on (id, name, state, operator,
stage, max_stage, maintenance_type, nodes and their states) must have the agent's types and values: anything else
raises ValueError naming the field, which the plugins report as the agent's protocol error, never as a verdict.
Fields only shown to people (times, logs, additional_data) degrade to None or [] when odd; unknown keys are kept in
``extra``.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy
import datetime
import math
import re
import time

from ansible_collections.oceanbase.obshell.plugins.module_utils import _report, _templates, _text
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

_INT64_MAX = 2 ** 63 - 1
_IPV4_MAX = 2 ** 32 - 1
_IPV6_MAX = 2 ** 128 - 1

# Generic id layout (§4.4): prefix -> (kind, address family, minimum length, end of address, end of port).
_ID_LAYOUTS = {
    '1': ('cluster', None, 2, 1, 1),
    '2': ('agent', 4, 17, 11, 16),
    '3': ('agent', 6, 46, 40, 45),
    '4': ('agent', 4, 17, 11, 16),
    '5': ('agent', 6, 46, 40, 45),
}
_OBPROXY_PREFIXES = ('4', '5')
_ID_HELP = ("ids are digits; a cluster DAG id starts with 1 (e.g. 142), a local agent DAG id starts with 2 or 3 "
            "followed by the agent's address and port (e.g. 22130706433028861), 4 or 5 for obproxy tasks")

# RFC 3339 as Go renders time.Time: up to 9 fractional digits (trailing zeros trimmed), offset or Z.
# datetime.fromisoformat on Python 3.8 takes neither 9 digits nor Z, hence this parser.
_TIME_RE = re.compile(
    r'^\s*([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:[.,]([0-9]+))?'
    r'\s*(?:([Zz])|([+-])([0-9]{2}):?([0-9]{2}))?\s*$', re.ASCII)
_EPOCH = datetime.datetime(1970, 1, 1)
# ZERO_TIME (time.Unix(0, 0)) marks reset items after RETRY/ROLLBACK/CANCEL (§4.1); how it round-trips through the
# databases is uncertain (§10.5), so anything before 1971 (and Go's zero time, year 1) counts as "not set".
_UNSET_BEFORE = 365 * 86400

_ERROR_LINE_RE = re.compile(r'^\s*ERROR:[ \t]?(.*)$', re.DOTALL)
# 4.3.1.0+: "ERROR: [<errCode>]: <message>" (§4.5). The code must look like a dotted errCode, so that an older
# free-text message which happens to start with a bracket is not mistaken for one.
_CODED_ERROR_RE = re.compile(r'^\[([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\]:[ \t]?(.*)$', re.DOTALL)
_INT_TEXT_RE = re.compile(r'^\s*[+-]?[0-9]{1,19}\s*$', re.ASCII)


# --------------------------------------------------------------------------------------------------------------
# Generic ids (§4.4)


def _short_repr(value, limit=80):
    try:
        text = repr(value)
    except Exception:  # pylint: disable=broad-except
        text = '<%s>' % type(value).__name__
    return text if len(text) <= limit else text[:limit - 3] + '...'


def _invalid_id(value, reason=None):
    detail = '%s; %s' % (reason, _ID_HELP) if reason else _ID_HELP
    return ValueError('%s is not a valid OBShell generic task id: %s' % (_short_repr(value), detail))


def _decode_id(value):
    """Validate and split a generic id: (text, layout, address int or None, port or None, number)."""
    if isinstance(value, bool):
        raise _invalid_id(value)
    if isinstance(value, int):
        if value < 0 or value.bit_length() > 256:
            raise _invalid_id(value)
        text = str(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise _invalid_id(value)
    if not text or any(char not in '0123456789' for char in text):
        raise _invalid_id(value)
    layout = _ID_LAYOUTS.get(text[0])
    if layout is None:
        raise _invalid_id(value, 'the first digit must be 1, 2, 3, 4 or 5')
    family, min_length, address_end, port_end = layout[1:]
    if len(text) < min_length:
        if family is None:
            reason = 'a cluster id has digits after the leading 1'
        else:
            reason = 'an id starting with %s is longer than %d digits' % (text[0], min_length - 1)
        raise _invalid_id(value, reason)
    number_text = text[port_end:]
    # The agent parses the task number as a signed 64-bit integer (task_dto.go ConvertGenericID).
    if len(number_text) > 19 or int(number_text) > _INT64_MAX:
        raise _invalid_id(value, 'the task number does not fit a 64-bit integer')
    address = port = None
    if family is not None:
        address = int(text[1:address_end])
        if address > (_IPV4_MAX if family == 4 else _IPV6_MAX):
            raise _invalid_id(value, 'the embedded IPv%d address is out of range' % family)
        port = int(text[address_end:port_end])
    return text, layout, address, port, int(number_text)


def _zero_leading_address(layout, address):
    """The agent cannot decode an id whose embedded address has a zero leading byte (0.x.x.x, ::1...): Go's
    big.Int.Bytes() drops leading zeros (task_dto.go, §11.4)."""
    family = layout[1]
    if family is None:
        return False
    return address < (1 << (24 if family == 4 else 120))


def validate_generic_id(value):
    """The normalized generic id (a digit string) of ``value`` (str or int), for an id a user gives: ValueError if
    invalid, or if it names an agent address the agent itself cannot decode."""
    text, layout, address, dummy_port, dummy_number = _decode_id(value)
    if _zero_leading_address(layout, address):
        raise _invalid_id(value, 'its agent address starts with a zero byte (0.x.x.x or an IPv6 address such as ::1), '
                                 'which the agent cannot decode')
    return text


def id_kind(generic_id):
    """'cluster' for ids starting with 1; 'agent' for 2/3 and for the obproxy prefixes 4/5 (local to an agent)."""
    return _decode_id(generic_id)[1][0]


def id_is_obproxy(generic_id):
    """True for obproxy task ids (prefix 4 or 5)."""
    return _decode_id(generic_id)[0][0] in _OBPROXY_PREFIXES


def id_number(generic_id):
    """The table id embedded in a generic id (dag_id, node_id or task_id), e.g. '142' -> 42."""
    return _decode_id(generic_id)[4]


def format_address(host, port):
    """``host:port``, with IPv6 literals in brackets; ``host`` alone when the port is unknown."""
    host = str(host)
    if ':' in host and not host.startswith('['):
        host = '[%s]' % host
    return host if port is None else '%s:%s' % (host, port)


# --------------------------------------------------------------------------------------------------------------
# Field coercion: every helper returns None (or []) instead of raising on odd input.


def _as_int(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if abs(value) <= _INT64_MAX else None
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value) or not value.is_integer():
            return None
        return _as_int(int(value))
    if isinstance(value, str) and _INT_TEXT_RE.match(value):
        return _as_int(int(value))
    return None


def _as_text(value):
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        try:
            return str(value)
        except ValueError:  # an int too long to render (Python 3.11 int_max_str_digits)
            return None
    return None


def _as_id(value):
    """A sub-object id (node or sub-task): kept as the agent's text, never validated."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int) and not isinstance(value, bool):
        return _as_text(value)
    return None


def _as_enum(value, by_number):
    if isinstance(value, str):
        return value.strip().upper() or None
    if isinstance(value, int) and not isinstance(value, bool):
        return by_number.get(value)
    return None


def _field_error(where, field, value, expected):
    return ValueError('%s: field %r is %s, not %s' % (where, field, _short_repr(value, 60), expected))


def _strict_int(where, field, value, minimum=0):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum or value > _INT64_MAX:
        raise _field_error(where, field, value, 'an integer from %d to %d' % (minimum, _INT64_MAX))
    return value


def _strict_text(where, field, value):
    if not isinstance(value, str):
        raise _field_error(where, field, value, 'a string')
    return value


def _strict_enum(where, field, value, allowed):
    if not isinstance(value, str) or value not in allowed:
        raise _field_error(where, field, value, 'one of %s' % ', '.join(allowed))
    return value


def _strict_list(where, field, value):
    """A list, or None for null/absent (the agent sends null without details)."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise _field_error(where, field, value, 'a list or null')
    return value


def _safe_copy(value):
    try:
        return copy.deepcopy(value)
    except Exception:  # pylint: disable=broad-except
        return value


# --------------------------------------------------------------------------------------------------------------
# Time


def _parse_epoch(value):
    """Seconds since the epoch of an RFC 3339 string (may be <= 0), or None when unparsable."""
    if not isinstance(value, str):
        return None
    match = _TIME_RE.match(value)
    if not match:
        return None
    (year, month, day, hour, minute, second, fraction, zulu, sign, offset_hours,
     offset_minutes) = match.groups()
    try:
        moment = datetime.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
    except (ValueError, OverflowError):
        return None
    seconds = (moment - _EPOCH).total_seconds()
    if fraction:
        fraction = fraction[:9]
        seconds += int(fraction) / float(10 ** len(fraction))
    if sign and not zulu:
        if int(offset_hours) > 23 or int(offset_minutes) > 59:
            return None
        offset = int(offset_hours) * 3600 + int(offset_minutes) * 60
        seconds -= offset if sign == '+' else -offset
    # Without an offset the time is taken as UTC; the agents always send one.
    return seconds


def parse_time(value):
    """Seconds since the epoch (float) of an agent timestamp; None if unparsable or "not set" (ZERO_TIME)."""
    seconds = _parse_epoch(value)
    if seconds is None or seconds < _UNSET_BEFORE:
        return None
    return seconds


def _time_field(value):
    """(raw string or None, epoch or None). A ZERO_TIME or empty value is "not set": (None, None)."""
    if not isinstance(value, str) or not value.strip():
        return None, None
    seconds = _parse_epoch(value)
    if seconds is not None and seconds < _UNSET_BEFORE:
        return None, None
    return value, seconds


def _now_seconds(now):
    if now is None:
        return time.time()
    if isinstance(now, bool):
        raise ValueError('now must be a datetime, epoch seconds or an RFC 3339 string, not %r' % (now,))
    if isinstance(now, (int, float)):
        if math.isnan(now) or math.isinf(now):
            raise ValueError('now must be a finite number of epoch seconds, not %r' % (now,))
        return float(now)
    if isinstance(now, datetime.datetime):
        if now.tzinfo is None or now.utcoffset() is None:
            now = now.replace(tzinfo=datetime.timezone.utc)  # naive datetimes are taken as UTC
        return now.timestamp()
    seconds = _parse_epoch(now)
    if seconds is None:
        raise ValueError('now must be a datetime, epoch seconds or an RFC 3339 string, not %s' % _short_repr(now))
    return seconds


def _elapsed(state, start, end, now_seconds):
    """Rounded seconds: finished end-start, READY/PENDING 0.0, otherwise (running) now-start; None if unknown."""
    if state in FINISHED_STATES:
        if start is None or end is None:
            return None
        seconds = end - start
    elif state in ('READY', 'PENDING'):
        return 0.0
    elif state is None or start is None:
        return None
    else:
        seconds = now_seconds - start
    # Clock skew between the controller and the agent (or odd agent data) must not show negative durations.
    return round(max(seconds, 0.0), 1)


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
    state = _as_enum(state, _STATE_BY_NUMBER)
    operator = _as_enum(operator, _OPERATOR_BY_NUMBER)
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
            _text.safe_text(now.get('start_time'), 60), _text.safe_text(seen.get('start_time'), 60))
    if seen.get('state') in ('RUNNING', 'SUCCEED') and now.get('operator') != 'CANCEL':
        return 'its start time moved from %s to %s although it was seen %s' % (
            _text.safe_text(seen.get('start_time'), 60), _text.safe_text(now.get('start_time'), 60),
            seen.get('state'))
    return ''


def _shown(value):
    return "'%s'" % _text.safe_text(value, 80) if isinstance(value, str) else str(value)


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
        text = item if isinstance(item, str) else _as_text(item)
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
    return format_address(ip.strip(), _as_int(execute_agent.get('port')))


def _normalize_sub_task(task, where):
    where = '%s sub-task %s' % (where, _short_repr(task.get('id'), 40))
    return {
        'id': _as_id(task.get('id')),
        'task_id': _as_int(task.get('task_id')),
        'name': _as_text(task.get('name')),
        'state': _strict_enum(where, 'state', task.get('state'), DAG_STATES),
        'operator': _strict_enum(where, 'operator', task.get('operator'), OPERATORS),
        'execute_times': _as_int(task.get('execute_times')),
        'agent': _agent_of(task.get('execute_agent')),
        'logs': _log_lines(task.get('task_logs')),
    }


def _normalize_node(node, stage, where):
    if not isinstance(node, dict):
        raise ValueError('%s: node %d is %s, not an object' % (where, stage, _short_repr(node, 60)))
    where = '%s node %d' % (where, stage)
    state = _strict_enum(where, 'state', node.get('state'), DAG_STATES)
    start_time = _time_field(node.get('start_time'))[0]
    end_time = _time_field(node.get('end_time'))[0] if state in FINISHED_STATES else None
    raw_tasks = _strict_list(where, 'sub_tasks', node.get('sub_tasks')) or []
    tasks = []
    for task in raw_tasks:
        if not isinstance(task, dict):
            raise ValueError('%s: a sub-task is %s, not an object' % (where, _short_repr(task, 60)))
        tasks.append(_normalize_sub_task(task, where))
    return {
        'id': _as_id(node.get('id')),
        'node_id': _as_int(node.get('node_id')),
        'name': _strict_text(where, 'name', node.get('name')),
        'stage': stage,
        'state': state,
        'operator': _strict_enum(where, 'operator', node.get('operator'), OPERATORS),
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
                'log_tail': [_text.cut_text(line) for line in _tail(task['logs'], log_tail)],
                'error': _cut_error(parse_error(task['logs'])),
            })
    # The reason is written once, by _report, for every report and message of the collection.
    failure['summary'] = _report.failure_reason(dict(record, outcome='canceled' if canceled else 'failed',
                                                     failure=failure))
    return failure


def _cut_error(error):
    if error is not None:
        error['message'] = _text.cut_text(error['message'])
    return error


def _passed_nodes(nodes):
    """Nodes that ended SUCCEED with operator PASS: passed by an operator (a DAG PASS, or a node PASS), not done."""
    return [{'id': node['id'], 'name': node['name'], 'stage': node['stage']}
            for node in nodes if node['state'] == 'SUCCEED' and node['operator'] == 'PASS']


def normalize_dag(dto, agent=None, details='summary', now=None, log_tail=_text.LOG_TAIL):
    """The normalized record of a DagDetailDTO (§4.1), as every plugin of the collection returns it.

    ``agent`` is the ``ip:port`` of the agent that answered; ``details`` 'summary' or 'full' (adds 'nodes');
    ``now`` (datetime, epoch seconds or RFC 3339 text; default: the current time) is used for the elapsed time
    of a running DAG; ``log_tail`` is how many last log lines each failed sub-task keeps (None: all).
    Raises ValueError naming the field when the DTO is not what an agent sends. The input is not modified.
    """
    if details not in DETAILS:
        raise ValueError('details must be one of %s, not %s' % (', '.join(DETAILS), _short_repr(details)))
    if log_tail is not None and (isinstance(log_tail, bool) or not isinstance(log_tail, int)):
        raise ValueError('log_tail must be an integer or None, not %s' % _short_repr(log_tail))
    if not isinstance(dto, dict):
        raise ValueError('an OBShell DAG must be a JSON object, not %s' % type(dto).__name__)
    raw_id = dto.get('id')
    if not isinstance(raw_id, str):
        raise ValueError('OBShell DAG without a usable id: field %r is %s, not a string' % ('id', _short_repr(raw_id, 60)))
    if raw_id.strip() and raw_id != raw_id.strip():
        raise ValueError('OBShell DAG without a usable id: field %r is %s, with spaces around it'
                         % ('id', _short_repr(raw_id, 60)))
    try:
        generic_id = _decode_id(raw_id)[0]
    except ValueError as exc:
        raise ValueError('OBShell DAG without a usable id (%s)' % exc) from exc
    where = 'DAG %s' % generic_id
    now_seconds = _now_seconds(now)
    row = _as_int(dto.get('dag_id'))
    if row is not None and row != _decode_id(generic_id)[4]:
        # The generic id embeds the DAG's table id (§4.4): a record whose two ids disagree is not one DAG's.
        raise _field_error(where, 'dag_id', dto.get('dag_id'), 'the table id %d that the generic id embeds'
                           % _decode_id(generic_id)[4])

    state = _strict_enum(where, 'state', dto.get('state'), DAG_STATES)
    operator = _strict_enum(where, 'operator', dto.get('operator'), OPERATORS)
    name = _strict_text(where, 'name', dto.get('name'))
    max_stage = _strict_int(where, 'max_stage', dto.get('max_stage'))
    stage = _strict_int(where, 'stage', dto.get('stage'))
    if max_stage and stage > max_stage:
        raise ValueError('%s: field %r is %d, beyond max_stage %d' % (where, 'stage', stage, max_stage))

    raw_nodes = _strict_list(where, 'nodes', dto.get('nodes'))
    has_nodes = raw_nodes is not None
    nodes = [_normalize_node(node, index, where) for index, node in enumerate(raw_nodes or [], 1)]
    current = None
    for node in nodes:
        if node['stage'] == stage:
            current = node
            break

    # Pending and running items carry their creation time in end_time (§4.1): only a finished DAG has an end.
    start_time, start_seconds = _time_field(dto.get('start_time'))
    end_time, end_seconds = _time_field(dto.get('end_time'))
    if state not in FINISHED_STATES:
        end_time = end_seconds = None

    raw_type = dto.get('maintenance_type')
    if raw_type is None:
        # Agents before 4.3.1 do not send it: the known templates say which DAGs are maintenance DAGs.
        maintenance = _templates.maintenance_of(name)
        maintenance_source = 'template' if maintenance is not None else None
    else:
        if isinstance(raw_type, bool) or not isinstance(raw_type, int) or raw_type not in MAINTENANCE_TYPES:
            raise _field_error(where, 'maintenance_type', raw_type, 'one of %s' % ', '.join(
                str(number) for number in sorted(MAINTENANCE_TYPES)))
        maintenance = MAINTENANCE_TYPES[raw_type]
        maintenance_source = 'agent'
    maintenance_key = _as_text(dto.get('maintenance_key'))

    extra = {}
    for key, value in dto.items():
        if key not in _KNOWN_DAG_KEYS:
            extra[key] = _safe_copy(value)
    if dto.get('additional_data') is not None:
        extra['additional_data'] = _safe_copy(dto['additional_data'])

    passed_nodes = _passed_nodes(nodes) if has_nodes else None
    record = {
        'id': generic_id,
        'dag_id': _as_int(dto.get('dag_id')),
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
        'elapsed_seconds': _elapsed(state, start_seconds, end_seconds, now_seconds),
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


# --------------------------------------------------------------------------------------------------------------
# Collections of records


def count_states(records):
    """{state: count} for the states present (None counted as 'UNKNOWN'), plus the number of records as 'total'."""
    counts = {}
    total = 0
    for record in records or ():
        if not isinstance(record, dict):
            continue
        total += 1
        state = record.get('state')
        state = state if isinstance(state, str) and state else 'UNKNOWN'
        counts[state] = counts.get(state, 0) + 1
    ordered = {state: counts.pop(state) for state in DAG_STATES if state in counts}
    ordered.update(sorted(counts.items(), key=lambda item: str(item[0])))
    ordered['total'] = total
    return ordered


def dedupe(records):
    """One record per DAG id, the first seen winning, each with ``seen_on``: the agents that reported it.

    A cluster DAG is reported by every agent asked; a local agent DAG's id embeds its owner, so ids differ.
    The input records are not modified.
    """
    kept = []
    by_id = {}
    for record in records or ():
        if not isinstance(record, dict):
            continue
        agents = [a for a in (record.get('seen_on') or []) if a is not None]
        if record.get('agent') is not None:
            agents.append(record.get('agent'))
        key = record.get('id')
        key = key if isinstance(key, str) else None
        first = by_id.get(key) if key is not None else None
        if first is None:
            first = dict(record)
            first['seen_on'] = []
            kept.append(first)
            if key is not None:
                by_id[key] = first
        for address in agents:
            if address not in first['seen_on']:
                first['seen_on'].append(address)
    return kept


class NameFilter:
    """Keeps DAGs whose name equals one of the patterns, or which a pattern (Python regex) matches anywhere.

    No patterns (None, [], only empty strings) keep everything. A pattern that is not a valid regular expression is
    accepted only as an exact name from ``known_names`` (e.g. the names of DAGs already fetched); otherwise the
    constructor raises ValueError naming it.
    """

    def __init__(self, patterns=None, known_names=None):
        if patterns is None:
            patterns = []
        elif isinstance(patterns, str):
            patterns = [patterns]
        known = set(name for name in (known_names or ()) if isinstance(name, str))
        self.patterns = []
        self._exact = set()
        self._regexes = []
        for pattern in patterns:
            if pattern is None:
                continue
            if not isinstance(pattern, str):
                text = _as_text(pattern)
                if text is None:
                    raise ValueError('names: %s is not a DAG name or regular expression' % _short_repr(pattern))
                pattern = text
            if pattern == '':
                continue
            self.patterns.append(pattern)
            self._exact.add(pattern)
            try:
                self._regexes.append(re.compile(pattern))
            except (re.error, OverflowError, RecursionError) as exc:
                if pattern in known:
                    continue
                raise ValueError(
                    'names: %s is neither the exact name of a known DAG nor a valid regular expression (%s); '
                    'to match special characters literally, escape them with a backslash, e.g. %s'
                    % (_short_repr(pattern), exc, _short_repr(re.escape(pattern)))) from exc

    def __bool__(self):
        return bool(self.patterns)

    def matches(self, name):
        """True if ``name`` passes the filter."""
        if not self.patterns:
            return True
        if not isinstance(name, str):
            return False
        if name in self._exact:
            return True
        return any(regex.search(name) for regex in self._regexes)

    __call__ = matches

    def filter(self, records):
        """The records (dicts with 'name') that pass, in order."""
        return [record for record in records or () if isinstance(record, dict) and self.matches(record.get('name'))]


def compile_name_filter(patterns, known_names=None):
    """A NameFilter for ``patterns`` (see NameFilter)."""
    return NameFilter(patterns, known_names)
