# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the DAG model (plugins/module_utils/_dag.py). Section numbers refer to obshell-api.md."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy
import datetime
import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.oceanbase.obshell.plugins.module_utils import _dag

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures')
UTC = datetime.timezone.utc
CST = datetime.timezone(datetime.timedelta(hours=8))
SCALE_OUT_NODES = [
    'Integrate server config', 'Create local scale out dag', 'Wait scale out ready', 'Wait remote deploy finish',
    'Wait remote start finish', 'Prev check for scale_out', 'Add server for scale_out', 'Add agent  for scale_out',
    'Check cluster scale_out whether finished',
]
IPV6_LOOPBACK_ID = '3' + '0' * 38 + '1' + '02886' + '7'   # §4.4: ::1, port 2886, id 7


def load(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return json.load(handle)


def snapshot(value):
    """A comparable image of a JSON value (NaN-safe, unlike ==)."""
    return json.dumps(value, sort_keys=True)


@pytest.fixture
def seed_dag():
    """The DOC's sample /dag/ob/unfinish response (user seed), first DAG: 'Cluster scale out', RUNNING, 3/9."""
    envelope = load('seed_ob_unfinish_cluster_scale_out.json')
    assert envelope['successful'] is True
    contents = envelope['data']['contents']
    assert len(contents) == 1
    return contents[0]


@pytest.fixture
def failed_scale_out():
    """§4.6 example filled in: 'Cluster scale out' FAILED at node 6/9 on 10.0.0.1:2886, global maintenance."""
    return load('failed_cluster_scale_out.json')


@pytest.fixture
def failed_pre431():
    """A local 'Start observer' DAG of a pre-4.3.1 UTC agent: no maintenance fields, 'ERROR: <text>' lines."""
    return load('failed_start_observer_pre431.json')


def canceled_stop_ob(with_nodes=True):
    """A 'Stop OB' DAG canceled at its parallel node 5 (FAILED/CANCEL); constructed from §4.8 and §5."""
    names = ['Inform all agents to prepare to stop observer', 'Make sure all agents are ready',
             'Minor freeze before stop server', 'Advance agents to execute the task',
             'Wait for all agents to execute tasks successfully', 'Execute stop sql', 'Inform all agents to end the task']
    nodes = []
    for index, name in enumerate(names, 1):
        state = 'SUCCEED' if index < 5 else ('FAILED' if index == 5 else 'PENDING')
        operator = 'CANCEL' if index == 5 else 'RUN'
        sub_tasks = [{'id': '1%d0' % index, 'task_id': index * 10, 'name': name, 'state': state, 'operator': operator,
                      'execute_times': 1 if index <= 5 else 0, 'execute_agent': {'ip': '10.0.0.1', 'port': 2886},
                      'task_logs': ['done'] if index < 5 else None}]
        if index == 5:
            sub_tasks[0]['state'] = 'SUCCEED'
            sub_tasks.append({'id': '151', 'task_id': 51, 'name': name, 'state': 'FAILED', 'operator': 'CANCEL',
                              'execute_times': 1, 'execute_agent': {'ip': '10.0.0.2', 'port': 2886},
                              'task_logs': ['wait agent 10.0.0.2:2886 to execute task']})
        nodes.append({'id': '13%d' % index, 'node_id': 30 + index, 'name': name, 'state': state, 'operator': operator,
                      'start_time': '2026-05-08T09:00:00+08:00', 'end_time': '2026-05-08T09:00:00+08:00',
                      'additional_data': None, 'sub_tasks': sub_tasks})
    return {'id': '157', 'dag_id': 57, 'name': 'Stop OB', 'stage': 5, 'max_stage': 7, 'maintenance_type': 1,
            'maintenance_key': '', 'state': 'FAILED', 'operator': 'CANCEL',
            'start_time': '2026-05-08T09:00:00+08:00', 'end_time': '2026-05-08T09:05:30+08:00',
            'additional_data': {} if with_nodes else None, 'nodes': nodes if with_nodes else None}


def simple_dto(**fields):
    dto = {'id': '11', 'dag_id': 1, 'name': 'Cluster scale out', 'stage': 3, 'max_stage': 9, 'state': 'RUNNING',
           'operator': 'RUN', 'start_time': '2024-01-10T11:34:22.556477+08:00',
           'end_time': '2024-01-10T11:34:22.47652+08:00', 'additional_data': None, 'nodes': None}
    dto.update(fields)
    return dto


# ------------------------------------------------------------------------------------------------------------
# The seed sample, field by field


SEED_NOW = '2024-01-10T11:34:26.004688655+08:00'   # the envelope timestamp of the same response


def test_seed_sample_summary_record(seed_dag):
    record = _dag.normalize_dag(seed_dag, agent='10.0.0.1:2886', now=SEED_NOW)
    assert record == {
        'id': '11',
        'dag_id': 1,
        'name': 'Cluster scale out',
        'state': 'RUNNING',
        'operator': 'RUN',
        'stage': 3,
        'max_stage': 9,
        'progress': '3/9',
        'current_node': 'Wait scale out ready',          # node[stage-1] = node 3
        'current_node_state': 'PENDING',
        'start_time': '2024-01-10T11:34:22.556477+08:00',
        'end_time': None,                                # RUNNING: end_time is the creation time (§4.1)
        'elapsed_seconds': 3.4,                          # 11:34:26.004688655 - 11:34:22.556477
        'maintenance': None,                             # the 2024 sample predates maintenance_type
        'maintenance_key': None,
        'kind': 'cluster',
        'agent': '10.0.0.1:2886',
        'outcome': 'running',
        'failure': None,
        'extra': {'additional_data': {}},
    }
    assert 'nodes' not in record
    assert list(record) == [key for key in _dag.RECORD_KEYS if key != 'nodes']


def test_seed_sample_full_record_nodes(seed_dag):
    record = _dag.normalize_dag(seed_dag, agent='10.0.0.1:2886', details='full', now=SEED_NOW)
    assert list(record) == list(_dag.RECORD_KEYS)
    nodes = record['nodes']
    assert [node['name'] for node in nodes] == SCALE_OUT_NODES   # the double space in node 8 is kept verbatim
    assert [node['stage'] for node in nodes] == list(range(1, 10))
    assert [node['state'] for node in nodes] == ['SUCCEED'] * 2 + ['PENDING'] * 7
    assert nodes[0] == {
        'id': '11', 'node_id': 1, 'name': 'Integrate server config', 'stage': 1, 'state': 'SUCCEED',
        'operator': 'RUN', 'start_time': '2024-01-10T11:34:22.567766+08:00',
        'end_time': '2024-01-10T11:34:23.595834+08:00',
        'sub_tasks': [{'id': '11', 'task_id': 1, 'name': 'Integrate server config', 'state': 'SUCCEED',
                       'operator': 'RUN', 'execute_times': 1, 'agent': 'xxx.xxx.xxx.xxx:2886', 'logs': []}],
    }
    assert nodes[1]['sub_tasks'][0]['logs'] == ['create local scale out dag success, genericID:22130706433028869']
    pending = nodes[2]
    assert pending['start_time'] == '2024-01-10T11:34:22.513+08:00'
    assert pending['end_time'] is None                    # not finished: creation time dropped
    assert pending['sub_tasks'][0]['logs'] == []           # task_logs null while PENDING
    assert pending['sub_tasks'][0]['execute_times'] == 0
    assert record['current_node'] == nodes[2]['name']


def test_seed_sample_input_not_mutated_and_json_serializable(seed_dag):
    before = copy.deepcopy(seed_dag)
    record = _dag.normalize_dag(seed_dag, details='full', now=SEED_NOW)
    assert seed_dag == before
    record['extra']['additional_data']['changed'] = True
    record['nodes'][0]['sub_tasks'][0]['logs'].append('x')
    assert seed_dag == before
    assert json.loads(json.dumps(record)) == record


@pytest.mark.parametrize('now', [
    '2024-01-10T03:35:04.556477Z',
    datetime.datetime(2024, 1, 10, 11, 35, 4, 556477, tzinfo=CST),
    datetime.datetime(2024, 1, 10, 3, 35, 4, 556477),            # naive: taken as UTC
    datetime.datetime(2024, 1, 10, 3, 35, 4, 556477, tzinfo=UTC).timestamp(),
])
def test_running_elapsed_uses_now(seed_dag, now):
    assert _dag.normalize_dag(seed_dag, now=now)['elapsed_seconds'] == 42.0


def test_running_elapsed_defaults_to_the_clock(seed_dag):
    elapsed = _dag.normalize_dag(seed_dag)['elapsed_seconds']
    assert elapsed > 365 * 86400           # the sample started in January 2024


def test_running_elapsed_never_negative(seed_dag):
    assert _dag.normalize_dag(seed_dag, now='2024-01-10T11:00:00+08:00')['elapsed_seconds'] == 0.0


@pytest.mark.parametrize('bad', ['yesterday', True, [], object(), float('nan'), float('inf')])
def test_bad_now_is_a_value_error(seed_dag, bad):
    with pytest.raises(ValueError, match='now must be'):
        _dag.normalize_dag(seed_dag, now=bad)


@pytest.mark.parametrize('kwargs, message', [
    ({'details': 'all'}, 'details must be one of summary, full'),
    ({'log_tail': '10'}, 'log_tail must be an integer'),
    ({'log_tail': True}, 'log_tail must be an integer'),
])
def test_bad_arguments(seed_dag, kwargs, message):
    with pytest.raises(ValueError, match=message):
        _dag.normalize_dag(seed_dag, **kwargs)


# ------------------------------------------------------------------------------------------------------------
# Failed DAGs (§4.6)


SCALE_OUT_ERROR = ('Unexpected error: check server 10.0.0.4:2882 failed: dial tcp 10.0.0.4:2882: '
                   'connect: connection refused')


def test_failed_scale_out_record(failed_scale_out):
    record = _dag.normalize_dag(failed_scale_out, agent='10.0.0.3:2886', now='2030-01-01T00:00:00Z')
    assert record['state'] == 'FAILED'
    assert record['outcome'] == 'failed'
    assert record['progress'] == '6/9'
    assert record['current_node'] == 'Prev check for scale_out'
    assert record['current_node_state'] == 'FAILED'
    assert record['start_time'] == '2026-05-08T10:00:01.1+08:00'
    assert record['end_time'] == '2026-05-08T10:03:12.5+08:00'     # finished: the real end
    assert record['elapsed_seconds'] == 191.4                       # end - start, not now - start
    assert record['maintenance'] == 'global'
    assert record['maintenance_key'] is None                        # "" outside tenant maintenance
    assert record['kind'] == 'cluster'
    assert _dag.is_unfinished_maintenance_failure(record) is True


def test_failed_scale_out_failure_record(failed_scale_out):
    failure = _dag.normalize_dag(failed_scale_out, now=0)['failure']
    logs = failed_scale_out['nodes'][5]['sub_tasks'][0]['task_logs']
    assert len(logs) == 12
    assert failure == {
        'node': {'id': '1206', 'name': 'Prev check for scale_out', 'stage': 6},
        'sub_tasks': [{
            'id': '1506',
            'name': 'Prev check for scale_out',
            'agent': '10.0.0.1:2886',
            'execute_times': 1,
            'log_tail': logs[-10:],
            'error': {'code': 'Common.Unexpected', 'message': SCALE_OUT_ERROR},
        }],
        'summary': "node 6/9 'Prev check for scale_out' failed on 10.0.0.1:2886: [Common.Unexpected] "
                   + SCALE_OUT_ERROR,
        'canceled': False,
    }


@pytest.mark.parametrize('log_tail, expected', [(3, 3), (0, 0), (None, 12), (50, 12)])
def test_failure_log_tail_length(failed_scale_out, log_tail, expected):
    failure = _dag.normalize_dag(failed_scale_out, log_tail=log_tail)['failure']
    tail = failure['sub_tasks'][0]['log_tail']
    assert len(tail) == expected
    if expected:
        assert tail[-1].startswith('ERROR: [Common.Unexpected]')
    assert failure['sub_tasks'][0]['error']['code'] == 'Common.Unexpected'   # parsed from all logs


def test_failure_without_nodes(failed_scale_out):
    summary_only = dict(failed_scale_out, nodes=None, additional_data=None)   # show_details=false (§3.2)
    record = _dag.normalize_dag(summary_only)
    assert record['current_node'] is None
    assert record['failure'] == {
        'node': None, 'sub_tasks': [], 'canceled': False,
        'summary': "DAG 142 'Cluster scale out' failed (no node details fetched)",
    }
    assert record['extra'] == {}


def test_failure_falls_back_to_the_current_stage(failed_scale_out):
    dto = copy.deepcopy(failed_scale_out)
    dto['nodes'][5]['state'] = 'RUNNING'        # no node says FAILED: node[stage-1] is the failed one
    failure = _dag.normalize_dag(dto)['failure']
    assert failure['node'] == {'id': '1206', 'name': 'Prev check for scale_out', 'stage': 6}
    assert failure['sub_tasks'][0]['agent'] == '10.0.0.1:2886'


def test_failure_of_a_parallel_node_lists_every_failed_agent(failed_scale_out):
    dto = copy.deepcopy(failed_scale_out)
    tasks = dto['nodes'][5]['sub_tasks']
    tasks.append(dict(tasks[0], id='1510', execute_agent={'ip': '10.0.0.2', 'port': 2886},
                      task_logs=['ERROR: [Task.Timeout]: task 1510 timeout']))
    tasks.append(dict(tasks[0], id='1511', state='SUCCEED', execute_agent={'ip': '10.0.0.3', 'port': 2886}))
    tasks.append(dict(tasks[0], id='1512', execute_agent={'ip': 'fe80::1', 'port': 2886}, task_logs=None))
    failure = _dag.normalize_dag(dto)['failure']
    assert [task['id'] for task in failure['sub_tasks']] == ['1506', '1510', '1512']
    assert failure['sub_tasks'][2]['agent'] == '[fe80::1]:2886'
    assert failure['sub_tasks'][2]['error'] is None
    assert failure['summary'] == (
        "node 6/9 'Prev check for scale_out' failed on 10.0.0.1:2886: [Common.Unexpected] " + SCALE_OUT_ERROR
        + '; 10.0.0.2:2886: [Task.Timeout] task 1510 timeout; [fe80::1]:2886: no error message logged')


def test_failed_pre_431_local_dag(failed_pre431):
    record = _dag.normalize_dag(failed_pre431, agent='127.0.0.1:2886', details='full')
    assert record['kind'] == 'agent'
    assert _dag.id_owner(record['id']) == '127.0.0.1:2886'
    assert record['maintenance'] is None and record['maintenance_key'] is None
    # 9 fractional digits and Z: 02:00:00.987654321Z -> 02:01:04.000000001Z
    assert record['elapsed_seconds'] == 63.0
    assert record['end_time'] == '2025-03-01T02:01:04.000000001Z'
    assert record['extra'] == {'additional_data': {'main_dag_id': '11'}}
    failure = record['failure']
    assert failure['node'] == {'id': '22130706433028863', 'name': 'Start observer', 'stage': 3}
    assert failure['sub_tasks'][0]['error'] == {'code': None, 'message': 'start observer failed: exit status 1'}
    assert failure['sub_tasks'][0]['execute_times'] == 2
    assert failure['summary'] == ("node 3/5 'Start observer' failed on 127.0.0.1:2886: "
                                  "start observer failed: exit status 1")
    # Without maintenance_type the model cannot tell a maintenance DAG: stays False (documented).
    assert _dag.is_unfinished_maintenance_failure(record) is False
    assert record['nodes'][2]['end_time'] == '2025-03-01T02:01:03.987654321Z'
    assert record['nodes'][3]['end_time'] is None


def test_canceled_dag():
    record = _dag.normalize_dag(canceled_stop_ob())
    assert record['outcome'] == 'canceled'
    assert record['maintenance'] == 'none'
    assert _dag.is_unfinished_maintenance_failure(record) is False
    failure = record['failure']
    assert failure['canceled'] is True
    assert failure['node'] == {'id': '135', 'name': 'Wait for all agents to execute tasks successfully', 'stage': 5}
    assert [task['agent'] for task in failure['sub_tasks']] == ['10.0.0.2:2886']
    assert failure['sub_tasks'][0]['error'] is None
    assert failure['summary'] == ("node 5/7 'Wait for all agents to execute tasks successfully' was canceled on "
                                  "10.0.0.2:2886: wait agent 10.0.0.2:2886 to execute task")


def test_canceled_dag_without_nodes():
    failure = _dag.normalize_dag(canceled_stop_ob(with_nodes=False))['failure']
    assert failure == {'node': None, 'sub_tasks': [], 'canceled': True,
                       'summary': "DAG 157 'Stop OB' was canceled (no node details fetched)"}


@pytest.mark.parametrize('logs, expected', [
    (['ERROR: [Common.Unexpected]: Unexpected error: task 12 timeout'],
     {'code': 'Common.Unexpected', 'message': 'Unexpected error: task 12 timeout'}),
    (['ERROR: some text'], {'code': None, 'message': 'some text'}),
    (['ERROR: [not a code] text'], {'code': None, 'message': '[not a code] text'}),
    (['ERROR: first', 'WARN: w', 'ERROR: [A.B]: last', 'trailing info'], {'code': 'A.B', 'message': 'last'}),
    (['WARN: only a warning', 'info'], None),
    ([], None),
    (None, None),
    ('ERROR: a lone string', {'code': None, 'message': 'a lone string'}),
    ([None, 42, 'ERROR: ok'], {'code': None, 'message': 'ok'}),
])
def test_parse_error(logs, expected):
    assert _dag.parse_error(logs) == expected


def test_failure_summary_is_one_line(failed_scale_out):
    dto = copy.deepcopy(failed_scale_out)
    dto['nodes'][5]['sub_tasks'][0]['task_logs'] = ['ERROR: [X.Y]: line one\nline two']
    failure = _dag.normalize_dag(dto)['failure']
    assert failure['sub_tasks'][0]['error'] == {'code': 'X.Y', 'message': 'line one\nline two'}
    assert '\n' not in failure['summary']
    assert failure['summary'].endswith('[X.Y] line one line two')


def test_no_failure_record_unless_failed(seed_dag):
    for state in ('READY', 'RUNNING', 'PENDING', 'SUCCEED'):
        assert _dag.normalize_dag(dict(seed_dag, state=state))['failure'] is None


# ------------------------------------------------------------------------------------------------------------
# Outcomes


@pytest.mark.parametrize('state, operator, expected', [
    ('SUCCEED', 'RUN', 'succeeded'),
    ('SUCCEED', 'RETRY', 'succeeded'),
    ('SUCCEED', 'ROLLBACK', 'rolled_back'),
    ('SUCCEED', 'PASS', 'passed'),
    ('FAILED', 'CANCEL', 'canceled'),
    ('FAILED', 'RUN', 'failed'),
    ('FAILED', 'RETRY', 'failed'),
    ('FAILED', 'ROLLBACK', 'failed'),
    ('READY', 'RETRY', 'running'),
    ('READY', 'CANCEL', 'running'),
    ('RUNNING', 'ROLLBACK', 'running'),
    ('PENDING', 'RUN', 'running'),
    ('SOMETHING NEW', 'RUN', 'running'),
    (None, None, 'running'),
    ('succeed', 'pass', 'passed'),      # case-insensitive
    (5, 3, 'rolled_back'),              # enum numbers (§4.2)
    (4, 4, 'canceled'),
])
def test_outcome(state, operator, expected):
    assert _dag.outcome(state, operator) == expected
    assert _dag.outcome({'state': state, 'operator': operator}) == expected
    if isinstance(state, str) and state.upper() in _dag.STATES and operator is not None:
        record = _dag.normalize_dag(simple_dto(state=state, operator=operator), now=0)
        assert record['outcome'] == expected


def test_final_outcomes():
    assert _dag.FINAL_OUTCOMES == ('succeeded', 'failed', 'rolled_back', 'passed', 'canceled')
    assert set(_dag.OUTCOMES) == set(_dag.FINAL_OUTCOMES) | {'running'}


# ------------------------------------------------------------------------------------------------------------
# Generic ids (§4.4)


@pytest.mark.parametrize('value, normalized, kind, owner, obproxy, number', [
    ('11', '11', 'cluster', None, False, 1),
    ('142', '142', 'cluster', None, False, 42),
    (142, '142', 'cluster', None, False, 42),
    (' 142\n', '142', 'cluster', None, False, 42),
    ('22130706433028861', '22130706433028861', 'agent', '127.0.0.1:2886', False, 1),
    ('20167772161028865', '20167772161028865', 'agent', '10.0.0.1:2886', False, 5),
    (22130706433028869, '22130706433028869', 'agent', '127.0.0.1:2886', False, 9),
    (IPV6_LOOPBACK_ID, IPV6_LOOPBACK_ID, 'agent', '[::1]:2886', False, 7),
    ('42130706433028861', '42130706433028861', 'agent', '127.0.0.1:2886', True, 1),
    ('5' + IPV6_LOOPBACK_ID[1:], '5' + IPV6_LOOPBACK_ID[1:], 'agent', '[::1]:2886', True, 7),
    ('3%039d%05d%d' % (int('20010db8000000000000000000000001', 16), 2886, 12), None, 'agent',
     '[2001:db8::1]:2886', False, 12),
    ('1' + str(2 ** 63 - 1), None, 'cluster', None, False, 2 ** 63 - 1),
])
def test_valid_generic_ids(value, normalized, kind, owner, obproxy, number):
    expected = normalized or value
    assert _dag.validate_generic_id(value) == expected
    assert _dag.id_kind(value) == kind
    assert _dag.id_owner(value) == owner
    assert _dag.id_is_obproxy(value) is obproxy
    assert _dag.id_number(value) == number


def test_ipv4_mapped_ipv6_owner_is_dotted():
    generic_id = '3%039d%05d%d' % (int('ffff0a000001', 16), 2886, 3)
    assert _dag.id_owner(generic_id) == '10.0.0.1:2886'


@pytest.mark.parametrize('value', [
    '1',                                # cluster prefix needs more digits
    '2123',                             # local ids are longer than 16 digits
    '2' + '0' * 15,                     # exactly 16
    '3' + '0' * 44,                     # exactly 45
    '9123',                             # unknown prefix
    '0123',
    'abc',
    '',
    '   ',
    '-1',
    -1,
    '12a',
    '1 2',
    '\uff11\uff12',                     # full-width digits are not ASCII digits
    '2' + '9' * 10 + '028861',          # embedded IPv4 out of range
    '3' + '9' * 39 + '028861',          # embedded IPv6 out of range
    '1' + str(2 ** 63),                 # the agent parses the number as int64
    None,
    True,
    1.5,
    ['11'],
])
def test_invalid_generic_ids(value):
    for function in (_dag.validate_generic_id, _dag.id_kind, _dag.id_owner, _dag.id_is_obproxy):
        with pytest.raises(ValueError, match='is not a valid OBShell generic task id'):
            function(value)


def test_invalid_id_message_names_value_and_shape():
    with pytest.raises(ValueError) as caught:
        _dag.validate_generic_id('abc')
    assert str(caught.value).startswith(
        "'abc' is not a valid OBShell generic task id: ids are digits; a cluster DAG id starts with 1 (e.g. 142), "
        "a local agent DAG id starts with 2 or 3 followed by the agent's address and port (e.g. 22130706433028861)")
    with pytest.raises(ValueError, match=r"^'2123' is not a valid .*longer than 16 digits"):
        _dag.validate_generic_id('2123')
    with pytest.raises(ValueError) as caught:
        _dag.validate_generic_id('x' * 10000)
    assert len(str(caught.value)) < 500


# ------------------------------------------------------------------------------------------------------------
# Time


def epoch(*args, **kwargs):
    tz = kwargs.pop('tz', UTC)
    return datetime.datetime(*args, tzinfo=tz).timestamp()


@pytest.mark.parametrize('text, expected', [
    ('2024-01-10T11:34:22.556477+08:00', epoch(2024, 1, 10, 3, 34, 22, 556477)),
    ('2024-01-10T11:34:26.004688655+08:00', epoch(2024, 1, 10, 3, 34, 26) + 0.004688655),
    ('2024-01-10T03:34:26.004688655Z', epoch(2024, 1, 10, 3, 34, 26) + 0.004688655),
    ('2024-01-10T03:34:26z', epoch(2024, 1, 10, 3, 34, 26)),
    ('2024-01-10T11:34:22.513+08:00', epoch(2024, 1, 10, 3, 34, 22, 513000)),
    ('2024-01-10T11:34:22+0800', epoch(2024, 1, 10, 3, 34, 22)),
    ('2024-01-09T22:34:22-05:00', epoch(2024, 1, 10, 3, 34, 22)),
    ('2024-01-10 03:34:22', epoch(2024, 1, 10, 3, 34, 22)),                 # no offset: UTC
    ('2024-01-10T03:34:22.1234567890123Z', epoch(2024, 1, 10, 3, 34, 22) + 0.123456789),
])
def test_parse_time(text, expected):
    assert _dag.parse_time(text) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize('text', [
    '1970-01-01T08:00:00+08:00',        # ZERO_TIME in server-local time (§4.1)
    '1970-01-01T00:00:00Z',
    '1969-12-31T19:00:00-05:00',
    '0001-01-01T00:00:00Z',             # Go's zero time.Time
    '2024-02-30T00:00:00Z',
    '2024-01-10T25:00:00Z',
    '2024-01-10T11:34:22+99:00',
    '2024-01-10',
    'yesterday',
    '',
    None,
    1704857662,
])
def test_unparsable_or_unset_times(text):
    assert _dag.parse_time(text) is None


def test_zero_time_after_retry_is_not_set():
    dto = simple_dto(state='READY', operator='RETRY', start_time='1970-01-01T08:00:00+08:00',
                     end_time='1970-01-01T08:00:00+08:00')
    record = _dag.normalize_dag(dto, now='2026-01-01T00:00:00Z')
    assert record['start_time'] is None and record['end_time'] is None
    assert record['elapsed_seconds'] == 0.0
    running = _dag.normalize_dag(dict(dto, state='RUNNING'), now='2026-01-01T00:00:00Z')
    assert running['start_time'] is None and running['elapsed_seconds'] is None


@pytest.mark.parametrize('state, end_time, elapsed', [
    ('SUCCEED', '2024-01-10T11:36:22.556477+08:00', 120.0),
    ('FAILED', '2024-01-10T11:34:32.656477+08:00', 10.1),
    ('SUCCEED', '1970-01-01T08:00:00+08:00', None),
    ('SUCCEED', 'garbage', None),
    ('READY', '2024-01-10T11:34:22.47652+08:00', 0.0),
    ('PENDING', '2024-01-10T11:34:22.47652+08:00', 0.0),
    ('RUNNING', '2024-01-10T11:34:22.47652+08:00', 60.0),
])
def test_elapsed_and_end_time_by_state(state, end_time, elapsed):
    record = _dag.normalize_dag(simple_dto(state=state, end_time=end_time), now='2024-01-10T11:35:22.556477+08:00')
    assert record['elapsed_seconds'] == elapsed
    if state in ('SUCCEED', 'FAILED') and end_time != '1970-01-01T08:00:00+08:00':
        assert record['end_time'] == end_time        # an unparsable string is still the agent's word
    else:
        assert record['end_time'] is None


# ------------------------------------------------------------------------------------------------------------
# Maintenance


@pytest.mark.parametrize('fields, maintenance, key', [
    ({'maintenance_type': 0, 'maintenance_key': ''}, 'not_bootstrap', None),
    ({'maintenance_type': 1, 'maintenance_key': ''}, 'none', None),
    ({'maintenance_type': 2, 'maintenance_key': ''}, 'global', None),
    ({'maintenance_type': 3, 'maintenance_key': 'tenant_a'}, 'tenant', 'tenant_a'),
    ({'maintenance_type': 4, 'maintenance_key': ''}, 'obproxy', None),
    ({}, None, None),                                              # agents before 4.3.1
    ({'maintenance_type': None, 'maintenance_key': None}, None, None),
    ({'maintenance_type': 7}, None, None),                         # unknown future value
    ({'maintenance_type': '3', 'maintenance_key': 'tenant_b'}, 'tenant', 'tenant_b'),
    ({'maintenance_type': [2]}, None, None),
])
def test_maintenance(fields, maintenance, key):
    record = _dag.normalize_dag(simple_dto(**fields), now=0)
    assert record['maintenance'] == maintenance
    assert record['maintenance_key'] == key
    failed = _dag.normalize_dag(simple_dto(state='FAILED', **fields), now=0)
    assert _dag.is_unfinished_maintenance_failure(failed) is (maintenance in ('global', 'tenant', 'obproxy'))
    assert _dag.is_unfinished_maintenance_failure(record) is False


def test_is_unfinished_maintenance_failure_odd_input():
    assert _dag.is_unfinished_maintenance_failure(None) is False
    assert _dag.is_unfinished_maintenance_failure({'state': 'FAILED'}) is False


# ------------------------------------------------------------------------------------------------------------
# Robustness


def test_not_a_dict_or_no_usable_id():
    for dto in (None, [], 'dag', 42, [{'id': '11'}]):
        with pytest.raises(ValueError, match='must be a JSON object'):
            _dag.normalize_dag(dto)
    for dto in ({}, {'id': None}, {'id': 'abc'}, {'id': ''}, {'id': '9123'}, {'id': ['11']}):
        with pytest.raises(ValueError, match='without a usable id'):
            _dag.normalize_dag(dto)


def test_only_an_id():
    record = _dag.normalize_dag({'id': 142})
    assert record['id'] == '142'
    assert record['kind'] == 'cluster'
    for key in ('dag_id', 'name', 'state', 'operator', 'stage', 'max_stage', 'progress', 'current_node',
                'current_node_state', 'start_time', 'end_time', 'elapsed_seconds', 'maintenance', 'failure'):
        assert record[key] is None, key
    assert record['outcome'] == 'running'
    assert record['extra'] == {}
    assert _dag.normalize_dag({'id': 142}, details='full')['nodes'] == []


def test_wrong_types_degrade():
    dto = {
        'id': '11', 'dag_id': '1', 'name': 12, 'stage': '4', 'max_stage': 9.0, 'state': 'running ',
        'operator': ['RUN'], 'start_time': 1704857662, 'end_time': {'x': 1}, 'maintenance_type': True,
        'maintenance_key': 5, 'additional_data': 'text',
        'nodes': [
            None, 'node', {'name': 'Second', 'sub_tasks': None},
            {'id': 14, 'node_id': 'x', 'name': 'Fourth', 'state': 3, 'operator': 1,
             'sub_tasks': [None, {'execute_agent': ['10.0.0.1', 2886], 'task_logs': 'one line',
                                  'execute_times': '2', 'task_id': 1.5},
                           {'execute_agent': {'ip': '10.0.0.1', 'port': None}, 'task_logs': [None]},
                           {'execute_agent': {'ip': None, 'port': 2886}},
                           {'execute_agent': {'ip': '10.0.0.1', 'port': '2886'}}]},
        ],
    }
    before = copy.deepcopy(dto)
    record = _dag.normalize_dag(dto, details='full', now='2024-01-01T00:00:00Z')
    assert dto == before
    assert record['dag_id'] == 1
    assert record['name'] == '12'
    assert record['state'] == 'RUNNING'
    assert record['operator'] is None
    assert record['progress'] == '4/9'
    assert record['current_node'] == 'Fourth'
    assert record['current_node_state'] == 'RUNNING'
    assert record['start_time'] is None and record['elapsed_seconds'] is None
    assert record['maintenance'] is None and record['maintenance_key'] == '5'
    assert record['extra'] == {'additional_data': 'text'}
    assert [node['stage'] for node in record['nodes']] == [3, 4]     # non-objects skipped, positions kept
    assert record['nodes'][0]['sub_tasks'] == []
    fourth = record['nodes'][1]
    assert (fourth['id'], fourth['node_id'], fourth['operator']) == ('14', None, 'RUN')
    tasks = fourth['sub_tasks']
    assert len(tasks) == 4
    assert tasks[0]['agent'] is None and tasks[0]['logs'] == ['one line']
    assert tasks[0]['execute_times'] == 2 and tasks[0]['task_id'] is None
    assert tasks[1]['agent'] == '10.0.0.1' and tasks[1]['logs'] == []
    assert tasks[2]['agent'] is None and tasks[2]['logs'] == []
    assert tasks[3]['agent'] == '10.0.0.1:2886'


def test_nodes_not_a_list():
    record = _dag.normalize_dag(simple_dto(nodes={'id': '11'}), details='full', now=0)
    assert record['nodes'] == [] and record['current_node'] is None


def test_stage_out_of_range_or_huge():
    assert _dag.normalize_dag(simple_dto(stage=10 ** 30), now=0)['stage'] is None
    record = _dag.normalize_dag(simple_dto(stage='three'), now=0)
    assert record['stage'] is None and record['progress'] is None


def test_unknown_keys_kept_in_extra():
    dto = simple_dto(future_field={'a': [1, 2]}, priority=3, additional_data={'uuid': 'u-1'})
    record = _dag.normalize_dag(dto, now=0)
    assert record['extra'] == {'future_field': {'a': [1, 2]}, 'priority': 3, 'additional_data': {'uuid': 'u-1'}}
    record['extra']['future_field']['a'].append(3)
    assert dto['future_field'] == {'a': [1, 2]}


def test_unicode_and_huge_values():
    name = '扩容 \u2603 ' + 'x' * 100000
    record = _dag.normalize_dag(simple_dto(name=name, state='FAILED', nodes=None), now=0)
    assert record['name'] == name
    assert record['failure']['summary'].startswith("DAG 11 '扩容 \u2603 x")
    huge_logs = ['line %d' % n for n in range(100000)] + ['ERROR: [A.B]: ' + 'é' * 10000]
    dto = copy.deepcopy(load('failed_cluster_scale_out.json'))
    dto['nodes'][5]['sub_tasks'][0]['task_logs'] = huge_logs
    failure = _dag.normalize_dag(dto)['failure']
    assert len(failure['sub_tasks'][0]['log_tail']) == 10
    assert failure['sub_tasks'][0]['error']['message'] == 'é' * 10000


def test_agent_passed_through():
    assert _dag.normalize_dag(simple_dto(), agent='[::1]:2886', now=0)['agent'] == '[::1]:2886'
    assert _dag.normalize_dag(simple_dto(), now=0)['agent'] is None


# ------------------------------------------------------------------------------------------------------------
# count_states, dedupe


def test_count_states():
    records = [{'state': 'RUNNING'}, {'state': 'FAILED'}, {'state': 'RUNNING'}, {'state': None}, {'state': 'ODD'},
               {'state': 'READY'}, {'state': ['odd']}, 'not a record']
    counts = _dag.count_states(records)
    assert counts == {'READY': 1, 'RUNNING': 2, 'FAILED': 1, 'ODD': 1, 'UNKNOWN': 2, 'total': 7}
    assert list(counts) == ['READY', 'RUNNING', 'FAILED', 'ODD', 'UNKNOWN', 'total']
    assert _dag.count_states([]) == {'total': 0}
    assert _dag.count_states(None) == {'total': 0}


def test_dedupe(seed_dag):
    first = _dag.normalize_dag(seed_dag, agent='10.0.0.1:2886', now=0)
    later = _dag.normalize_dag(dict(seed_dag, stage=4), agent='10.0.0.2:2886', now=0)
    again = _dag.normalize_dag(seed_dag, agent='10.0.0.1:2886', now=0)
    local_1 = _dag.normalize_dag(simple_dto(id='20167772161028865'), agent='10.0.0.1:2886', now=0)
    local_2 = _dag.normalize_dag(simple_dto(id='20167772162028865'), agent='10.0.0.2:2886', now=0)
    anonymous = _dag.normalize_dag(simple_dto(id='13'), now=0)
    records = [first, local_1, later, local_2, again, anonymous]
    before = copy.deepcopy(records)
    result = _dag.dedupe(records)
    assert records == before
    assert [record['id'] for record in result] == ['11', '20167772161028865', '20167772162028865', '13']
    assert result[0]['stage'] == 3                                   # the first seen wins
    assert result[0]['seen_on'] == ['10.0.0.1:2886', '10.0.0.2:2886']
    assert result[1]['seen_on'] == ['10.0.0.1:2886']
    assert result[2]['seen_on'] == ['10.0.0.2:2886']
    assert result[3]['seen_on'] == []
    assert _dag.dedupe(result) == result                             # idempotent
    assert _dag.dedupe([]) == []
    odd = _dag.dedupe([{'id': ['11'], 'agent': 'a'}, {'id': ['11'], 'agent': 'b'}, 'not a record'])
    assert [record['seen_on'] for record in odd] == [['a'], ['b']]


# ------------------------------------------------------------------------------------------------------------
# Name filter


NAMES = ['Cluster scale out', 'Local scale out', 'Start OB', 'Stop OB', 'Upgrade obshell 4.3.1.0-100',
         'Create tenant t1', 'Remove follower agent 10.0.0.2:2886']


@pytest.mark.parametrize('patterns, expected', [
    (None, NAMES),
    ([], NAMES),
    ([''], NAMES),
    ('Stop OB', ['Stop OB']),
    (['Stop OB', 'Start OB'], ['Start OB', 'Stop OB']),
    (['scale out'], ['Cluster scale out', 'Local scale out']),               # regex search, anywhere
    (['^Upgrade obshell 4\\.3'], ['Upgrade obshell 4.3.1.0-100']),
    (['tenant t[0-9]+$'], ['Create tenant t1']),
    (['Remove follower agent 10.0.0.2:2886'], ['Remove follower agent 10.0.0.2:2886']),
    (['stop ob'], []),                                                        # case-sensitive
    (['(?i)stop ob'], ['Stop OB']),
    (['Nothing like it'], []),
])
def test_name_filter(patterns, expected):
    name_filter = _dag.NameFilter(patterns)
    assert [name for name in NAMES if name_filter(name)] == expected
    records = [{'name': name} for name in NAMES]
    assert [r['name'] for r in _dag.compile_name_filter(patterns).filter(records)] == expected
    assert bool(name_filter) is (patterns not in (None, [], ['']))


def test_name_filter_invalid_regex():
    # (C++ would not do: Python 3.11 reads ++ as a possessive quantifier.)
    for pattern in ('Cluster (scale', '*Stop', '[abc', 'a{2,1}'):
        with pytest.raises(ValueError) as caught:
            _dag.NameFilter(['Stop OB', pattern])
        assert repr(pattern) in str(caught.value)
        assert 'regular expression' in str(caught.value)


def test_name_filter_invalid_regex_that_is_a_known_exact_name():
    name_filter = _dag.compile_name_filter(['Odd (name'], known_names=['Odd (name', 'Other'])
    assert name_filter('Odd (name') is True
    assert name_filter('Odd (name 2') is False


def test_name_filter_odd_names():
    name_filter = _dag.NameFilter(['OB'])
    assert name_filter(None) is False
    assert name_filter(42) is False
    assert name_filter.filter([{'name': None}, 'x', {'name': 'Start OB'}]) == [{'name': 'Start OB'}]
    assert _dag.NameFilter([1]).matches('Upgrade 1') is True
    with pytest.raises(ValueError):
        _dag.NameFilter([True])


# ------------------------------------------------------------------------------------------------------------
# progress_line


def test_progress_line(seed_dag):
    record = _dag.normalize_dag(dict(seed_dag, stage=4), now='2024-01-10T11:35:04.6+08:00')
    assert _dag.progress_line('obs1', record) == 'obs1 | Cluster scale out | 4/9 Wait remote deploy finish | RUNNING | 0:42'
    no_nodes = _dag.normalize_dag(dict(seed_dag, stage=4, nodes=None), now='2024-01-10T11:35:04.6+08:00')
    assert _dag.progress_line('obs1', no_nodes) == 'obs1 | Cluster scale out | 4/9 | RUNNING | 0:42'
    long_run = _dag.normalize_dag(dict(seed_dag, stage=4), now='2024-01-10T12:36:27.6+08:00')
    assert _dag.progress_line(None, long_run) == 'Cluster scale out | 4/9 Wait remote deploy finish | RUNNING | 1:02:05'


def test_progress_line_finished_and_sparse():
    rolled_back = _dag.normalize_dag(simple_dto(state='SUCCEED', operator='ROLLBACK', stage=1,
                                                end_time='2024-01-10T11:36:22.556477+08:00'))
    assert _dag.progress_line('obs1', rolled_back) == 'obs1 | Cluster scale out | 1/9 | SUCCEED (rolled back) | 2:00'
    assert _dag.progress_line('obs1', _dag.normalize_dag({'id': '11'})) == 'obs1 | 11 | ?'
    assert _dag.progress_line('a', {'name': 'two\nlines', 'state': 'READY', 'elapsed_seconds': 0.0}) == \
        'a | two lines | READY | 0:00'
    assert _dag.progress_line('a', None) == 'a | ? | ?'


@pytest.mark.parametrize('seconds, text', [
    (0, '0:00'), (0.95, '0:00'), (42.0, '0:42'), (59.9, '0:59'), (600, '10:00'), (3599.9, '59:59'),
    (3600, '1:00:00'), (3725, '1:02:05'), (100 * 3600 + 1, '100:00:01'), (-5, '0:00'), (None, '?'), ('x', '?'),
])
def test_format_elapsed(seconds, text):
    assert _dag.format_elapsed(seconds) == text


# ------------------------------------------------------------------------------------------------------------
# Properties


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=25)
VALID_IDS = st.one_of(
    st.integers(0, 2 ** 63 - 1).map(lambda n: '1%d' % n),
    st.tuples(st.integers(0, 2 ** 32 - 1), st.integers(0, 99999), st.integers(0, 2 ** 63 - 1)).map(
        lambda t: '2%010d%05d%d' % t),
    st.tuples(st.integers(0, 2 ** 128 - 1), st.integers(0, 99999), st.integers(0, 2 ** 63 - 1)).map(
        lambda t: '3%039d%05d%d' % t),
)
TIMES = st.one_of(JSON, st.datetimes(timezones=st.just(CST)).map(lambda d: d.isoformat()),
                  st.just('1970-01-01T08:00:00+08:00'), st.just('2024-01-10T11:34:26.004688655+08:00'))
STATE = st.one_of(JSON, st.sampled_from(_dag.STATES))
SUB_TASK = st.fixed_dictionaries({}, optional={
    'id': JSON, 'task_id': JSON, 'name': JSON, 'state': STATE, 'operator': JSON, 'execute_times': JSON,
    'execute_agent': st.one_of(JSON, st.fixed_dictionaries({'ip': JSON, 'port': JSON})),
    'task_logs': st.one_of(JSON, st.lists(st.text().map(lambda t: 'ERROR: ' + t) | st.text(), max_size=5)),
})
NODE = st.fixed_dictionaries({}, optional={
    'id': JSON, 'node_id': JSON, 'name': JSON, 'state': STATE, 'operator': JSON, 'start_time': TIMES,
    'end_time': TIMES, 'sub_tasks': st.one_of(JSON, st.lists(st.one_of(SUB_TASK, JSON), max_size=3)),
})
DTO = st.fixed_dictionaries({'id': VALID_IDS}, optional={
    'dag_id': JSON, 'name': JSON, 'stage': st.one_of(JSON, st.integers(-2, 12)), 'max_stage': JSON,
    'maintenance_type': st.one_of(JSON, st.integers(-1, 6)), 'maintenance_key': JSON, 'state': STATE,
    'operator': st.one_of(JSON, st.sampled_from(_dag.OPERATORS)), 'start_time': TIMES, 'end_time': TIMES,
    'additional_data': JSON, 'nodes': st.one_of(JSON, st.lists(st.one_of(NODE, JSON), max_size=5)),
    'surprise': JSON,
})
PROPERTY_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(JSON, st.sampled_from(_dag.DETAILS))
def test_property_arbitrary_json_raises_only_value_error(value, details):
    try:
        _dag.normalize_dag(value, details=details, now=0)
    except ValueError:
        pass


@PROPERTY_SETTINGS
@given(st.dictionaries(st.sampled_from(['id', 'nodes', 'state', 'stage', 'name']), JSON))
def test_property_dict_with_arbitrary_fields_raises_only_value_error(value):
    try:
        _dag.normalize_dag(value, details='full', now=0)
    except ValueError:
        pass


@PROPERTY_SETTINGS
@given(DTO, st.sampled_from(_dag.DETAILS), st.one_of(st.none(), st.integers(0, 20)))
def test_property_dto_with_valid_id_never_raises(dto, details, log_tail):
    before = snapshot(dto)
    record = _dag.normalize_dag(dto, agent='10.0.0.1:2886', details=details, now=1.9e9, log_tail=log_tail)
    assert snapshot(dto) == before
    expected_keys = [key for key in _dag.RECORD_KEYS if details == 'full' or key != 'nodes']
    assert list(record) == expected_keys
    assert record['id'] == dto['id']
    assert record['outcome'] in _dag.OUTCOMES
    assert (record['failure'] is not None) is (record['state'] == 'FAILED')
    assert record['elapsed_seconds'] is None or record['elapsed_seconds'] >= 0.0
    assert record['end_time'] is None or record['state'] in _dag.FINISHED_STATES
    json.dumps(record)
    line = _dag.progress_line('obs1', record)
    assert '\n' not in line and line.startswith('obs1 | ')
    assert _dag.count_states([record])['total'] == 1
    assert len(_dag.dedupe([record, record])) == 1


@PROPERTY_SETTINGS
@given(st.one_of(st.text(), st.text(alphabet='0123456789 ', max_size=60), st.integers(), JSON))
def test_property_validate_generic_id_raises_only_value_error(value):
    try:
        normalized = _dag.validate_generic_id(value)
    except ValueError:
        return
    assert normalized.isdigit() and normalized.isascii()
    assert _dag.id_kind(normalized) in ('cluster', 'agent')
    owner = _dag.id_owner(normalized)
    assert (owner is None) is (normalized[0] == '1')


@PROPERTY_SETTINGS
@given(st.tuples(st.integers(0, 2 ** 32 - 1), st.integers(0, 99999), st.integers(0, 2 ** 63 - 1)))
def test_property_ipv4_ids_round_trip(parts):
    address, port, number = parts
    generic_id = '2%010d%05d%d' % parts
    dotted = '.'.join(str((address >> shift) & 255) for shift in (24, 16, 8, 0))
    assert _dag.id_owner(generic_id) == '%s:%d' % (dotted, port)
    assert _dag.id_number(generic_id) == number


@PROPERTY_SETTINGS
@given(st.datetimes(min_value=datetime.datetime(1971, 1, 2), max_value=datetime.datetime(2300, 12, 30),
                    timezones=st.sampled_from([UTC, CST, datetime.timezone(-datetime.timedelta(hours=5, minutes=30))])),
       st.integers(0, 999))
def test_property_parse_time_matches_datetime(moment, nanos):
    text = moment.isoformat()
    base = moment.timestamp()
    assert _dag.parse_time(text) == pytest.approx(base, abs=1e-5)
    if moment.microsecond:
        with_nanos = text.replace('.%06d' % moment.microsecond, '.%06d%03d' % (moment.microsecond, nanos))
        assert _dag.parse_time(with_nanos) == pytest.approx(base + nanos * 1e-9, abs=1e-5)
    assert _dag.parse_time(moment.astimezone(UTC).isoformat().replace('+00:00', 'Z')) == pytest.approx(base, abs=1e-5)


@PROPERTY_SETTINGS
@given(st.lists(st.text(max_size=12), max_size=4), st.text(max_size=20))
def test_property_name_filter_raises_only_value_error(patterns, name):
    try:
        name_filter = _dag.NameFilter(patterns)
    except ValueError:
        return
    result = name_filter(name)
    assert result is True or result is False
    if name in patterns and name != '':
        assert result is True
    if not [pattern for pattern in patterns if pattern]:
        assert result is True
