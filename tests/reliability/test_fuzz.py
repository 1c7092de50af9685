# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Property tests (Hypothesis): whatever an agent, a proxy or a client sends, only typed errors come out.

- The envelope parser (ObshellClient._parse / _raise_error / _contents) and what the plugins build on it
  (list_unfinished): arbitrary bytes and arbitrary JSON give a value or an ObshellError, nothing else.
- The DTO parser (_query.normalize: _dag.normalize_dag, and the failure's summary): arbitrary JSON, DTOs built from
  valid parts and valid DTOs with a strict field made wrong give a JSON-serializable record or ValueError (its
  documented error, turned into ObshellProtocolError by _query for the plugins), and which of the two is decided by
  an oracle written here from the rules (spec §4.1, §4.2, §4.4): a DTO is refused exactly when it is not what an
  agent sends, with a message naming the field.
- Generic-id validation (_dag_id.validate_generic_id): arbitrary values give a digit string or ValueError, again exactly
  as an oracle of §4.4 and §11.4 says (ids whose agent address starts with a zero byte are refused).
- The simulator's header and body decryption: arbitrary header values and arbitrary (validly encrypted) auth JSON
  give a decoded header or the simulator's own AuthFailure, and through its request pipeline a 401 envelope, never
  a panic.

Runs are bounded (200 examples), derandomized (the same examples on every run, so CI is deterministic) and do not
write a Hypothesis database into the repository.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import json
import math
import re
import sys
import time

import pytest
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.asymmetric import rsa as asym_rsa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ansible_collections.oceanbase.obshell.plugins.module_utils import _dag, _dag_id, _query, _vocabulary
from ansible_collections.oceanbase.obshell.plugins.module_utils._client import ObshellClient
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import ObshellError
from tests.simulator import auth as simauth
from tests.simulator import crypto as simcrypto
from tests.simulator.api import Panic, Request
from tests.simulator.cluster import SimCluster

SETTINGS = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                           HealthCheck.data_too_large])

# JSON values: wrong types, nulls, unicode (with escapes and astral characters), huge integers, nesting.
scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2 ** 70, max_value=2 ** 70),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=40))
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=6),
                                                            st.dictionaries(st.text(max_size=12), inner, max_size=6)),
                           max_leaves=40)

ENVELOPE_KEYS = ('successful', 'timestamp', 'duration', 'status', 'traceId', 'data', 'error')
ERROR_KEYS = ('code', 'errCode', 'message', 'subErrors')
DTO_KEYS = ('id', 'dag_id', 'name', 'stage', 'max_stage', 'maintenance_type', 'maintenance_key', 'state', 'operator',
            'start_time', 'end_time', 'additional_data', 'nodes')
NODE_KEYS = ('id', 'node_id', 'name', 'state', 'operator', 'start_time', 'end_time', 'additional_data', 'sub_tasks')
TASK_KEYS = ('id', 'task_id', 'name', 'state', 'operator', 'start_time', 'end_time', 'execute_times', 'execute_agent',
             'task_logs', 'additional_data')

valid_ids = st.one_of(
    st.integers(min_value=0, max_value=2 ** 40).map(lambda n: '1%d' % n),
    st.tuples(st.sampled_from('24'), st.integers(0, 2 ** 32 - 1), st.integers(0, 65535), st.integers(0, 2 ** 40)).map(
        lambda t: '%s%010d%05d%d' % t),
    st.tuples(st.sampled_from('35'), st.integers(0, 2 ** 128 - 1), st.integers(0, 65535), st.integers(0, 2 ** 40)).map(
        lambda t: '%s%039d%05d%d' % t),
)
states = st.one_of(st.sampled_from(_vocabulary.DAG_STATES + _vocabulary.OPERATORS), st.integers(-1, 7), json_values)
times = st.one_of(st.just('2024-01-10T11:34:22.556477+08:00'), st.just('1970-01-01T08:00:00+08:00'),
                  st.just('0001-01-01T00:00:00Z'), st.text(max_size=30), json_values)


def partial_object(keys, overrides=None):
    """Objects with any subset of ``keys``, each holding anything (or a plausible value), plus stray keys."""
    overrides = overrides or {}
    fields = dict((key, st.one_of(overrides.get(key, json_values), json_values)) for key in keys)
    return st.tuples(st.fixed_dictionaries({}, optional=fields),
                     st.dictionaries(st.text(max_size=8), json_values, max_size=3)).map(
        lambda pair: dict(pair[1], **pair[0]))


tasks = partial_object(TASK_KEYS, {'state': states, 'operator': states, 'task_logs': st.lists(st.text(max_size=60)),
                                   'execute_agent': st.fixed_dictionaries({'ip': st.text(max_size=15),
                                                                           'port': json_values})})
nodes = partial_object(NODE_KEYS, {'state': states, 'operator': states, 'start_time': times,
                                   'sub_tasks': st.lists(st.one_of(tasks, json_values), max_size=3)})
dtos = partial_object(DTO_KEYS, {'id': st.one_of(valid_ids, json_values), 'state': states, 'operator': states,
                                 'start_time': times, 'end_time': times,
                                 'nodes': st.lists(st.one_of(nodes, json_values), max_size=4)})
errors = partial_object(ERROR_KEYS, {'errCode': st.sampled_from(['Security.Authentication.Expired',
                                                                 'Security.Authentication.Header.DecryptFailed',
                                                                 'Task.NotFound', 'Common.Unexpected']),
                                     'code': st.sampled_from([1, 10008, 1000, 2300])})
envelopes = partial_object(ENVELOPE_KEYS, {
    'successful': st.booleans(), 'status': st.sampled_from([200, 400, 401, 404, 500, 503]),
    'timestamp': st.one_of(st.just('2026-05-08T17:06:47.123456789+08:00'), times),
    'data': st.one_of(
        st.fixed_dictionaries({'contents': st.one_of(st.none(), st.lists(st.one_of(dtos, json_values), max_size=3))}),
        dtos, json_values),
    'error': st.one_of(errors, json_values)})


# Strict fields built valid, everything else anything: what a well-behaved agent sends, plus odd display fields.
STATES = ('PENDING', 'READY', 'RUNNING', 'FAILED', 'SUCCEED')
OPERATORS = ('RUN', 'RETRY', 'ROLLBACK', 'CANCEL', 'PASS')
INT64_MAX = 2 ** 63 - 1


def with_fields(loose, fixed):
    return st.tuples(loose, st.fixed_dictionaries(fixed)).map(lambda pair: dict(pair[0], **pair[1]))


valid_tasks = with_fields(partial_object([key for key in TASK_KEYS if key not in ('state', 'operator')],
                                         {'task_logs': st.lists(st.text(max_size=60))}),
                          {'state': st.sampled_from(STATES), 'operator': st.sampled_from(OPERATORS)})
valid_nodes = with_fields(partial_object([key for key in NODE_KEYS if key not in ('name', 'state', 'operator', 'sub_tasks')],
                                         {'start_time': times}),
                          {'name': st.text(max_size=30), 'state': st.sampled_from(STATES),
                           'operator': st.sampled_from(OPERATORS),
                           'sub_tasks': st.one_of(st.none(), st.lists(valid_tasks, max_size=3))})


@st.composite
def valid_dtos(draw):
    max_stage = draw(st.one_of(st.integers(0, 12), st.just(INT64_MAX)))
    fixed = {'id': draw(valid_ids), 'name': draw(st.text(max_size=30)), 'state': draw(st.sampled_from(STATES)),
             'operator': draw(st.sampled_from(OPERATORS)), 'max_stage': max_stage,
             'stage': draw(st.integers(0, max_stage or INT64_MAX)),
             'maintenance_type': draw(st.one_of(st.none(), st.integers(0, 4))),
             'nodes': draw(st.one_of(st.none(), st.lists(valid_nodes, max_size=4)))}
    loose = draw(partial_object([key for key in DTO_KEYS if key not in fixed], {'start_time': times, 'end_time': times}))
    return dict(loose, **fixed)


near_misses = st.one_of(
    st.sampled_from(STATES + OPERATORS).flatmap(lambda word: st.sampled_from(
        [word.lower(), word.title(), word + ' ', ' ' + word, word + '\n', word[:-1], word + 'S', [word]])),
    st.sampled_from(STATES + OPERATORS),        # valid for some fields (a state where an operator is due: not)
    st.sampled_from([0, 1, 3, 4, 5, -1, True, False, None, '', '3', 3.0, 2 ** 63, 10 ** 30, [], {}, 'abc']),
    json_values)


@st.composite
def nearly_valid_dtos(draw):
    """A valid DTO with one strict field (DAG, node or sub-task level) replaced or deleted; the oracle judges it."""
    dto = draw(valid_dtos())
    containers = [(dto, ('id', 'name', 'state', 'operator', 'stage', 'max_stage', 'maintenance_type', 'nodes'))]
    for node in dto['nodes'] or []:
        containers.append((node, ('name', 'state', 'operator', 'sub_tasks')))
        for task in node['sub_tasks'] or []:
            containers.append((task, ('state', 'operator')))
    container, fields = draw(st.sampled_from(containers))
    field = draw(st.sampled_from(fields))
    if draw(st.integers(0, 5)) == 0:
        del container[field]
    else:
        container[field] = draw(near_misses)
    if isinstance(dto.get('nodes'), list) and dto['nodes'] and draw(st.integers(0, 5)) == 0:
        dto['nodes'][draw(st.integers(0, len(dto['nodes']) - 1))] = draw(json_values)
    return dto


_ID_LAYOUTS = {'1': (None, 1), '2': (11, 16), '4': (11, 16), '3': (40, 45), '5': (40, 45)}


def id_text(value):
    """The digits of a generic id (§4.4), or None, written here independently of _dag_id.

    The text is stripped as _dag_id does today; tests/unit/plugins/module_utils/test_dag.py::
    test_id_with_whitespace_is_not_what_an_agent_sends says a DTO's id should not be."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not re.match(r'\A[0-9]+\Z', text, re.ASCII) or text[0] not in _ID_LAYOUTS:
        return None
    address_end, port_end = _ID_LAYOUTS[text[0]]
    if len(text) <= port_end or len(text) - port_end > 19 or int(text[port_end:]) > INT64_MAX:
        return None
    if address_end is not None and int(text[1:address_end]) >= 2 ** (32 if address_end == 11 else 128):
        return None
    return text


def user_id_text(value):
    """What validate_generic_id must return for a user's ``value``, or None when it must refuse it (§4.4, §11.4)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value) if 0 <= value < 2 ** 256 else None
    text = id_text(value)
    if text is None or text[0] == '1':
        return text
    address_end = _ID_LAYOUTS[text[0]][0]
    # The agent cannot decode an address whose first byte is zero (Go's big.Int.Bytes drops it).
    return text if int(text[1:address_end]) >> (24 if address_end == 11 else 120) else None


def _is_enum(value, allowed):
    return isinstance(value, str) and value in allowed


def _is_count(value):
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= INT64_MAX


def _int64(value):
    """The int64 a JSON value stands for (an integer, an integral float, integer text), else None."""
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        value = int(value)
    elif isinstance(value, str) and re.match(r'\A\s*[+-]?[0-9]{1,19}\s*\Z', value, re.ASCII):
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and -INT64_MAX <= value <= INT64_MAX:
        return value
    return None


def dto_problems(dto):
    """Every reason an agent would not send ``dto``, as (message prefix, text the message contains); [] if valid."""
    if not isinstance(dto, dict):
        return [('an OBShell DAG must be a JSON object', None)]
    text = id_text(dto.get('id'))
    if text is None:
        return [('OBShell DAG without a usable id', None)]
    dag = 'DAG %s' % text
    problems = []
    # dag_id is read leniently (anything but an int64 is ignored); an int64 must be the table id the id embeds.
    row = _int64(dto.get('dag_id'))
    if row is not None and row != int(text[_ID_LAYOUTS[text[0]][1]:]):
        return [("%s: field 'dag_id'" % dag, 'the table id')]
    for field, allowed in (('state', STATES), ('operator', OPERATORS)):
        if not _is_enum(dto.get(field), allowed):
            problems.append(('%s: field %r' % (dag, field), None))
    if not isinstance(dto.get('name'), str):
        problems.append(("%s: field 'name'" % dag, None))
    counts = [field for field in ('stage', 'max_stage') if _is_count(dto.get(field))]
    problems.extend(('%s: field %r' % (dag, field), None) for field in ('stage', 'max_stage') if field not in counts)
    if len(counts) == 2 and 0 < dto['max_stage'] < dto['stage']:
        problems.append(("%s: field 'stage'" % dag, 'beyond max_stage'))
    kind = dto.get('maintenance_type')
    if kind is not None and not (isinstance(kind, int) and not isinstance(kind, bool) and 0 <= kind <= 4):
        problems.append(("%s: field 'maintenance_type'" % dag, None))
    nodes = dto.get('nodes')
    if nodes is not None and not isinstance(nodes, list):
        problems.append(("%s: field 'nodes'" % dag, None))
    for stage, node in enumerate(nodes if isinstance(nodes, list) else [], 1):
        if not isinstance(node, dict):
            problems.append(('%s: node %d is' % (dag, stage), 'not an object'))
            continue
        where = '%s node %d' % (dag, stage)
        if not isinstance(node.get('name'), str):
            problems.append(("%s: field 'name'" % where, None))
        for field, allowed in (('state', STATES), ('operator', OPERATORS)):
            if not _is_enum(node.get(field), allowed):
                problems.append(('%s: field %r' % (where, field), None))
        tasks = node.get('sub_tasks')
        if tasks is not None and not isinstance(tasks, list):
            problems.append(("%s: field 'sub_tasks'" % where, None))
        for task in tasks if isinstance(tasks, list) else []:
            if not isinstance(task, dict):
                problems.append(('%s: a sub-task is' % where, 'not an object'))
                continue
            for field, allowed in (('state', STATES), ('operator', OPERATORS)):
                if not _is_enum(task.get(field), allowed):
                    problems.append(('%s sub-task ' % where, ': field %r' % field))
    return problems


def deep(depth, kind='list'):
    return ('[' * depth + ']' * depth) if kind == 'list' else ('{"a":' * depth + '1' + '}' * depth)


bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda value: json.dumps(value).encode('utf-8')),
    envelopes.map(lambda value: json.dumps(value, ensure_ascii=False).encode('utf-8')),
    envelopes.map(lambda value: json.dumps(value).encode('utf-8')[:-3]),                          # truncated
    st.integers(900, 30000).map(lambda depth: deep(depth).encode('ascii')),                        # deep nesting
    st.integers(900, 3000).map(lambda depth: ('{"successful":true,"data":%s}' % deep(depth, 'dict')).encode()),
)


class ListingClient(object):
    """A client whose list endpoint returns what the (fuzzed) envelope parser returned; for list_unfinished."""

    def __init__(self, client, data):
        self.client = client
        self.data = data
        self.identity = 'CLUSTER AGENT'
        self.agent = '10.0.0.1:2886'
        self.address = client.address

    def unfinished_dags(self, scope, show_details=False):
        return self.client._contents(self.data, '/dag/unfinish')   # pylint: disable=protected-access

    @staticmethod
    def status():
        # The aggregated list of a CLUSTER AGENT is believed only with the observer available (§11.6).
        return {'obState': _query.OB_AVAILABLE}


@pytest.fixture(scope='module')
def client():
    """A client that is never connected: the parser methods need no agent."""
    made = ObshellClient(host='127.0.0.1', port=9, password='x')
    yield made
    made.close()


# ---------------------------------------------------------------------------------------------- envelopes


@SETTINGS
@given(status=st.sampled_from([200, 201, 204, 301, 400, 401, 403, 404, 500, 502, 503]), body=bodies)
@example(status=200, body=deep(100000).encode())
@example(status=200, body=b'{"successful": true, "status": 200}')
@example(status=200, body=b'{"successful": true, "data": {"contents": [1, "x", null]}}')
@example(status=200, body=b'{"successful": true, "data": {"contents": [{"name": "no id"}]}}')
@example(status=200, body=json.dumps({'successful': True, 'data': {'contents': [{'id': '11'}] * 20000}}).encode())
@example(status=502, body=b'<html><body>502 Bad Gateway</body></html>')
@example(status=200,
         body=b'{"successful": true, "data": {"contents": [{"id": "11", "stage": NaN, "max_stage": 1e999}]}}')
@example(status=200, body=b'{"successful": true, "data": {"contents": [{"id": 1' + b'0' * 5000 + b'}]}}')
@example(status=200, body=b'\xff\xfe\x00garbage')
def test_envelope_parser_gives_data_or_a_typed_error(client, status, body):
    try:
        data = client._parse(status, body, 'GET', '/api/v1/task/dag/unfinish?show_details=false')
    except ObshellError as exc:
        assert isinstance(str(exc), str) and exc.agent == client.address
        return
    # What a plugin does next with a list answer: only typed errors, and never "idle" from a non-list answer.
    try:
        scope, records = _query.list_unfinished(ListingClient(client, data), scope='all', with_details=False)
    except ObshellError:
        return
    assert isinstance(data, dict) and isinstance(data.get('contents'), (list, type(None)))
    assert len(records) == len(data['contents'] or [])
    json.dumps(records)


def _stack_depth():
    frame, depth = sys._getframe(), 0     # pylint: disable=protected-access
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    return depth


def test_a_deeply_nested_answer_without_contents_gives_a_typed_error(client):
    # Failed before the fix, which this test guards. Found by test_envelope_parser_gives_data_or_a_typed_error (its
    # generated body '{"successful":true,"data":{"a":{"a":...}}}', 1987 levels deep). _client._contents formats its
    # protocol error with json.dumps(data): for a nested answer the parser accepted, a few stack frames deeper, that
    # re-serialization raises RecursionError, which escapes instead of ObshellProtocolError. Here the same answer
    # (800 levels, well within what json.loads takes) meets a stack with fewer than 800 frames left.
    data = json.loads(deep(800, 'dict'))
    spare = 750

    def deeper(levels):
        return deeper(levels - 1) if levels else client._contents(data, '/dag/unfinish')

    with pytest.raises(ObshellError):
        deeper(sys.getrecursionlimit() - _stack_depth() - spare)


@SETTINGS
@given(envelope=st.one_of(envelopes, st.dictionaries(st.text(max_size=10), json_values, max_size=5)),
       status=st.integers(100, 599))
def test_error_envelopes_always_raise_a_typed_error(client, envelope, status):
    with pytest.raises(ObshellError) as caught:
        client._raise_error(envelope, status, 'GET /api/v1/task/dag/unfinish')
    error = caught.value
    assert error.status == status and str(error)
    json.dumps(error.to_dict())


@SETTINGS
@given(info=st.one_of(partial_object(('identity', 'version', 'supportedAuth', 'security', 'ip', 'port'),
                                     {'identity': st.sampled_from(['CLUSTER AGENT', 'SINGLE', 'MASTER']),
                                      'version': st.sampled_from(['4.2.2.0', '4.2.3.0', '4.5.0.0', 'x'])}),
                      json_values))
@example(info={'identity': 'CLUSTER AGENT', 'version': '4.5.0.0', 'supportedAuth': 5})
@example(info={'identity': 'SINGLE', 'version': 4, 'supportedAuth': {'v2': 1}, 'security': 'yes'})
def test_agent_information_of_any_shape_gives_a_description_or_a_typed_error(info):
    """/api/v1/info data drives the auth choice: any shape must give a description or an ObshellError."""
    made = ObshellClient(host='127.0.0.1', port=9, password='x')
    made._request = lambda *args, **kwargs: info     # pylint: disable=protected-access
    try:
        described = made.describe()
        header = made._credentials()     # pylint: disable=protected-access
    except ObshellError:
        return
    finally:
        made.close()
    assert described['auth_version'] in ('v1', 'v2') and header[0] in ('X-OCS-Header', 'X-OCS-Agent-Header')
    json.dumps(described, default=str)


# ---------------------------------------------------------------------------------------------- DTOs and ids


@SETTINGS
@given(dto=st.one_of(nearly_valid_dtos(), valid_dtos(), dtos, json_values), details=st.sampled_from(_vocabulary.DETAILS))
@example(dto={'id': '11', 'stage': 2 ** 80, 'max_stage': '9' * 5000, 'name': 10 ** 5000, 'state': 'FAILED',
              'nodes': [{'state': 'FAILED', 'sub_tasks': [{'state': 4, 'task_logs': 'ERROR: [x]: y'}]}]},
         details='full')
@example(dto={'id': '1' + '9' * 30}, details='summary')
@example(dto={'id': '11', 'stage': float('nan'), 'max_stage': float('inf'), 'start_time': float('-inf'),
              'state': 'RUNNING', 'additional_data': {'x': float('nan')}}, details='summary')
@example(dto={'id': '11', 'name': 'x', 'state': 'RUNNING', 'operator': 'RUN', 'stage': 10, 'max_stage': 9},
         details='summary')
@example(dto={'id': '3' + '0' * 38 + '1' + '02886' + '7', 'name': '', 'state': 'FAILED', 'operator': 'RUN', 'stage': 0,
              'max_stage': 0, 'nodes': [{'name': 'n', 'state': 'FAILED', 'operator': 'RUN', 'sub_tasks': None}]},
         details='full')
@example(dto={'id': '11', 'dag_id': 0, 'name': 'x', 'state': 'PENDING', 'operator': 'RUN', 'stage': 0,
              'max_stage': 1}, details='summary')
@example(dto={'id': '11', 'dag_id': '1.0', 'name': 'x', 'state': 'PENDING', 'operator': 'RUN', 'stage': 0,
              'max_stage': 1}, details='summary')
def test_normalize_dag_refuses_exactly_what_an_agent_would_not_send(dto, details):
    problems = dto_problems(dto)
    try:
        record = _query.normalize(dto, agent='10.0.0.1:2886', details=details, now=1760000000.0)
    except ValueError as exc:
        message = str(exc)
        assert exc.__class__ is ValueError and message
        assert problems, 'refused what an agent sends: %s' % message
        assert any(message.startswith(prefix) and (part is None or part in message) for prefix, part in problems), \
            (message, problems)
        assert '\n' not in message and len(message) < 1000
        return
    assert not problems, 'accepted what no agent sends: %r' % (problems,)
    expected = set(_dag.RECORD_KEYS) - (set() if details == 'full' else {'nodes'})
    assert set(record) == expected
    assert record['outcome'] in _vocabulary.DAG_OUTCOMES and record['id'] == id_text(dto['id'])
    assert (record['state'], record['operator'], record['name']) == (dto['state'], dto['operator'], dto['name'])
    assert record['elapsed_seconds'] is None or record['elapsed_seconds'] >= 0
    assert (record['passed_nodes'] is None) is (dto.get('nodes') is None)
    json.dumps(record)


class ListsClient(object):
    """An agent whose lists (summary, then detailed) and history hold the given entries; for list_unfinished."""

    def __init__(self, summary, detailed):
        self.identity = 'SINGLE'
        self.agent = self.address = '10.0.0.1:2886'
        self.lists = {False: summary, True: detailed}

    def unfinished_dags(self, scope, show_details=False):
        return self.lists[show_details]

    def dag_history(self, scope, show_details=False):
        return self.lists[False]


entry_lists = st.lists(st.one_of(valid_dtos(), valid_dtos(), nearly_valid_dtos(), json_values), max_size=4)


@SETTINGS
@given(summary=entry_lists, detailed=entry_lists, wanted=st.one_of(st.none(), st.text(max_size=3)))
@example(summary=[{'id': ['11']}], detailed=[], wanted=None)
@example(summary=[{'id': '11', 'name': None, 'state': 'RUNNING', 'operator': 'RUN', 'stage': 1, 'max_stage': 2}],
         detailed=[], wanted='x')
@example(summary=[{'id': '11', 'name': 'x', 'state': 'RUNNING', 'operator': 'RUN', 'stage': 1, 'max_stage': 2}],
         detailed=[{'id': {'a': 1}}, {'id': ['11']}], wanted='x')
def test_a_list_with_a_record_no_agent_sends_is_an_error_whatever_the_names_asked(summary, detailed, wanted):
    """A list (or history) holding an entry an agent would not send is the agent's error, never a list of the other
    entries: left out as "another name", the list would look idle (found by the red team). Nothing but an
    ObshellError or records."""
    name_filter = None if wanted is None else (lambda name: wanted in name)
    invalid = any(dto_problems(dto) for dto in summary)
    client = ListsClient(summary, detailed)
    for read in (lambda: _query.list_unfinished(client, scope='agent', name_filter=name_filter)[1],
                 lambda: _query.read_history(client, ['agent'], name_filter or (lambda name: True))):
        try:
            records = read()
        except ObshellError as exc:
            assert exc.__class__.__name__ in ('ObshellRecordError', 'ObshellProtocolError'), exc
            assert invalid or any(dto_problems(dto) for dto in detailed if isinstance(dto, dict)
                                  and dto.get('id') in [entry.get('id') for entry in summary]), exc
            continue
        assert not invalid, 'a list holding %r read as %r' % (summary, records)
        assert all(name_filter is None or name_filter(record['name']) for record in records)
        json.dumps(records)


@SETTINGS
@given(value=st.one_of(st.text(max_size=60), st.text(alphabet='0123456789 ', max_size=80), valid_ids,
                       st.integers(min_value=-2 ** 300, max_value=2 ** 300), st.floats(), st.binary(max_size=20),
                       json_values))
@example(value='9' * 5000)
@example(value='\u0661\u0662')      # Arabic-Indic digits: str.isdigit() says yes, the agent says no
@example(value='3' + '0' * 38 + '1' + '02886' + '7')      # ::1
@example(value='2' + '%010d' % (2 ** 24) + '028861')       # 1.0.0.0, the lowest address the agent decodes
def test_generic_id_validation_gives_digits_or_value_error(value):
    expected = user_id_text(value)
    try:
        normalized = _dag_id.validate_generic_id(value)
    except ValueError as exc:
        assert exc.__class__ is ValueError and 'is not a valid OBShell generic task id' in str(exc)
        assert expected is None, 'refused a valid id %r: %s' % (value, exc)
        return
    assert normalized == expected
    assert normalized and all(char in '0123456789' for char in normalized)
    assert _dag_id.validate_generic_id(normalized) == normalized
    assert _dag_id.id_kind(normalized) in ('cluster', 'agent')


# ---------------------------------------------------------------------------------------------- simulator crypto


@pytest.fixture(scope='module')
def sim():
    """One agent, never started: its request pipeline is called directly (the same code the HTTP server runs)."""
    return SimCluster(agents=1, password='pw', agent_password='apw', scenario=None, profile='4.5.0')


def pipeline(sim, headers, body=b'', target='/api/v1/task/dag/agent/unfinish?show_details=false', method='GET'):
    """The agent's middleware chain and handler. Only the simulator's Panic (where the real agent panics and gin
    recovers with a 500) is turned into its envelope; any other exception is a bug and fails the test."""
    agent = sim.agents[0]
    ctx = {'t0': time.monotonic(), 'trace_id': '0' * 16, 'now_s': int(time.time())}
    try:
        request = Request(method, target, headers, body)
        return agent.api._pipeline(agent, request, ctx)  # pylint: disable=protected-access
    except Panic:
        return agent.api.panic(agent)


@SETTINGS
@given(value=st.one_of(st.text(max_size=300), st.binary(max_size=300).map(lambda raw: base64.b64encode(raw).decode()),
                       st.binary(max_size=400).map(lambda raw: raw.decode('latin-1'))))
@example(value='')
@example(value='====')
def test_simulator_header_decryption_gives_a_header_or_its_own_auth_failure(sim, value):
    key = sim.agents[0].rsa_key
    for kind in (simauth.HEADER_OB, simauth.HEADER_AGENT):
        try:
            simauth.decrypt_header(key, value, kind)
        except simauth.AuthFailure as exc:
            assert exc.err_code == 'Security.Authentication.Header.DecryptFailed'
    try:
        simauth.decrypt_header_v1(key, value)
    except simauth.AuthFailure as exc:
        assert exc.err_code == 'Security.Authentication.Header.DecryptFailed'
    response = pipeline(sim, {'X-OCS-Header': value})
    assert response.status == 401 and response.err_code == 'Security.Authentication.Header.DecryptFailed'


def _encrypt_chunked(key, plaintext, chunk):
    """PKCS#1 v1.5 to the agent's public key in ``chunk``-byte pieces, as a client may (§1.5), through OpenSSL."""
    public = asym_rsa.RSAPublicNumbers(key.e, key.n).public_key()
    blocks = [public.encrypt(plaintext[start:start + chunk], asym_padding.PKCS1v15())
              for start in range(0, max(len(plaintext), 1), chunk)]
    return base64.b64encode(b''.join(blocks)).decode('ascii')


AUTH_DOCS = st.one_of(
    partial_object(('auth', 'ts', 'uri', 'keys', 'Auth', 'Ts', 'Token', 'ForwardType', 'ForwardAgent'),
                   {'auth': st.sampled_from(['', 'pw', 'apw', 'wrong']),
                    'ts': st.one_of(st.integers(0, 2 ** 40).map(str), st.integers()),
                    'uri': st.just('/api/v1/task/dag/agent/unfinish?show_details=false'),
                    'keys': st.binary(min_size=32, max_size=32).map(lambda raw: base64.b64encode(raw).decode())}),
    st.recursive(scalars, lambda inner: st.lists(inner, max_size=3), max_leaves=5))


@SETTINGS
@given(document=AUTH_DOCS, chunk=st.integers(32, 117),
       header=st.sampled_from([simauth.HEADER_OB, simauth.HEADER_AGENT]),
       body=st.one_of(st.just(b''), st.binary(max_size=64)))
@example(document={'auth': 'apw', 'ts': str(2 ** 40), 'uri': '/api/v1/task/dag/agent/unfinish?show_details=false'},
         chunk=53, header=simauth.HEADER_AGENT, body=b'')
@example(document={'Auth': 'pw', 'Ts': '1', 'Uri': 'x'}, chunk=1, header=simauth.HEADER_OB, body=b'')
@example(document={'auth': 'pw', 'ts': 1, 'keys': None}, chunk=8, header=simauth.HEADER_OB, body=b'{}')
def test_simulator_pipeline_answers_any_validly_encrypted_auth_json_with_an_envelope(
        sim, document, chunk, header, body):
    """Arbitrary auth JSON, encrypted correctly to the agent's key (chunks of 32..k-11 bytes; 1 and 8 as examples),
    with any body: the agent answers an envelope (200, or 401/500 with an errCode of the catalogue), never an
    unexpected exception."""
    key = sim.agents[0].rsa_key
    plaintext = json.dumps(document).encode('utf-8')
    value = _encrypt_chunked(key, plaintext, chunk)
    try:
        # What the agent will make of the plaintext once the RSA layer is undone (that layer round-trips: see above).
        decoded = simauth.go_unmarshal_header(plaintext)
    except ValueError:
        decoded = None
    response = pipeline(sim, {header: value}, body=body)
    assert response.envelope is not None and response.envelope['status'] == response.status
    if decoded is None:
        assert response.err_code == 'Security.Authentication.Header.DecryptFailed'
    elif response.status == 500:
        # A body without a usable AES key: the agent's body-decrypt errors (spec §1.6), or its recovered panic.
        assert body and response.err_code in ('Request.Body.Decrypt.AES.KeyAndIv.Invalid',
                                              'Request.Body.Decrypt.AES.ContentLength.Invalid', 'Common.Unexpected')
    else:
        assert response.status in (200, 401), response.envelope
        if response.status == 401:
            assert response.err_code.startswith('Security.Authentication.'), response.envelope


@SETTINGS
@given(keys=st.one_of(st.none(), st.binary(max_size=40)), body=st.one_of(st.binary(max_size=80), st.text(max_size=80)))
def test_simulator_body_decryption_gives_bytes_or_its_own_errors(keys, body):
    try:
        plain = simcrypto.decrypt_body(keys, body)
    except (simcrypto.AesBodyError, simcrypto.AesPanic):
        return
    assert isinstance(plain, bytes)
