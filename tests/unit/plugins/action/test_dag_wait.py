# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the dag_wait action plugin: argument checks, controller mode (fake client, fake clock), and the
target-mode slice loop (fake module runs). No network, no sleeping."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy
import datetime

import pytest

from ansible.errors import AnsibleActionFail
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.oceanbase.obshell.plugins.action import dag_wait as action_module
from ansible_collections.oceanbase.obshell.plugins.module_utils import _crypto, _options, _watcher
from ansible_collections.oceanbase.obshell.plugins.plugin_utils import _action
from tests.support.clock import FakeClock

LOAD_NAME = 'ansible_collections.oceanbase.obshell.plugins.action.dag_wait'


class FakeShell(object):
    tmpdir = '/tmp/not-used'

    @staticmethod
    def env_prefix(**kwargs):
        return ''


class FakeConnection(object):
    _shell = FakeShell()


class FakeTask(object):
    def __init__(self, args, check_mode=False):
        self.args = args
        self.check_mode = check_mode
        self.async_val = 0
        self.action = 'oceanbase.obshell.dag_wait'
        self.environment = None

    def get_name(self):
        return 'Wait'


STARTED = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def dto(state, stage, operator='RUN', show_details=False):
    nodes = None
    if show_details:
        nodes = [{'id': '1%d' % index, 'node_id': index, 'name': 'node %d' % index,
                  'state': 'SUCCEED' if index < stage or state == 'SUCCEED' else ('RUNNING' if index == stage else 'PENDING'),
                  'operator': 'RUN', 'start_time': STARTED, 'end_time': STARTED, 'additional_data': None,
                  'sub_tasks': []} for index in (1, 2, 3)]
    return {'id': '11', 'dag_id': 1, 'name': 'Cluster scale out', 'stage': stage, 'max_stage': 3,
            'maintenance_type': 2, 'maintenance_key': '', 'state': state, 'operator': operator,
            'start_time': STARTED, 'end_time': STARTED, 'additional_data': None, 'nodes': nodes}


class FakeClient(object):
    """The client interface the driver uses; the DAG runs one stage per 2 s and ends at t=6."""

    def __init__(self, clock):
        self.clock = clock
        self.address = '127.0.0.1:2886'
        self.agent = '127.0.0.1:2886'
        self.identity = 'CLUSTER AGENT'
        self.timeout = 10.0
        self.deadline = None
        self.version = '4.5.0.0'
        self.warnings = []
        self.closed = False
        self.agent_time = None      # no envelope timestamp: no window of the wait can be placed on its clock

    def _now(self, show_details=False):
        if self.clock() >= 6.0:
            return dto('SUCCEED', 3, show_details=show_details)
        return dto('RUNNING', int(self.clock() // 2) + 1, show_details=show_details)

    def info(self, refresh=False):
        return {'identity': self.identity}

    def describe(self):
        return {'address': self.address, 'identity': self.identity}

    def unfinished_dags(self, scope, show_details=False):
        item = self._now()
        return [] if item['state'] == 'SUCCEED' or scope != 'cluster' else [item]

    def dag(self, generic_id, show_details=True):
        return self._now(show_details)

    def close(self):
        self.closed = True


@pytest.fixture
def displayed(monkeypatch):
    lines = []
    monkeypatch.setattr(_action.display, 'display', lambda msg, *a, **kw: lines.append(msg))
    return lines


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(_watcher, 'Clock', lambda offset=0.0: fake)
    return fake


def make_action(args, check_mode=False):
    loader = DataLoader()
    action = action_module.ActionModule(FakeTask(args, check_mode), FakeConnection(), None, loader,
                                        Templar(loader=loader), None)
    action._load_name = LOAD_NAME
    return action


# ------------------------------------------------------------------------------------------------- arguments


@pytest.mark.parametrize('args, message', [
    ({'colour': 'red'}, 'unsupported parameters: colour. Supported parameters include'),
    ({'host': 'https://127.0.0.1'}, "host 'https://127.0.0.1' has a scheme: give the bare address"),
    ({'host': '127.0.0.1:2886'}, "host '127.0.0.1:2886' has a port in it: put the port in the port option"),
    ({'host': '127.0.0.1 '}, "host '127.0.0.1 ' has spaces in it"),
    ({'host': '127.0.0.1/api'}, "host '127.0.0.1/api' has a path in it"),
    ({'ca_path': '/nonexistent/ca.pem'}, "ca_path '/nonexistent/ca.pem' does not exist"),
    ({'max_remediations': -1}, 'max_remediations must be 0 or more, got -1'),
    ({'hosts': ['obs1', 'nowhere']}, 'hosts: nowhere not in the inventory'),
    ({'poll_interval': 0.2}, 'poll_interval must be at least 0.5 seconds, got 0.2'),
    ({'run_on': 'moon'}, 'value of run_on must be one of: controller, target, got: moon'),
    ({'_slice': {'state': None}}, '_slice is for internal use by dag_wait itself'),
    ({'id': 'x1'}, "id: 'x1' is not a valid OBShell generic task id"),
])
def test_bad_arguments_are_refused_naming_the_option(args, message, displayed):
    with pytest.raises(AnsibleActionFail) as caught:
        make_action(args).run(task_vars={'inventory_hostname': 'obs1', 'hostvars': {'obs1': {}}})
    assert message in str(caught.value)
    assert LOAD_NAME not in str(caught.value)
    assert displayed == []


# ------------------------------------------------------------------------------------------------- controller


def test_controller_mode_waits_and_prints_live_lines(monkeypatch, clock, displayed):
    clients = []

    def make_client(params, **kwargs):
        clients.append(dict(params, **kwargs))
        return FakeClient(clock)
    monkeypatch.setattr(_options, 'client_from_options', make_client)
    result = make_action({'poll_interval': 1, 'password': 'secret-pw'}).run(task_vars={'inventory_hostname': 'obs1'})
    assert result['outcome'] == 'succeeded'
    assert result['changed'] is False
    assert result['failed'] is False
    assert result['elapsed'] == 6.0
    # The client gets the per-request timeout, no retries of its own, and the password.
    assert clients[0]['request_timeout'] == 10.0 and clients[0]['retries'] == 0
    assert clients[0]['password'] == 'secret-pw'
    # Asked from the controller without a host: the host's ansible_host, else its inventory name.
    assert clients[0]['host'] == 'obs1'
    assert displayed[0].rsplit(' | ', 1)[0] == 'obs1 [cluster] | Cluster scale out | 1/3 node 1 | RUNNING'
    assert [line.split(' | ')[2] for line in displayed[:3]] == ['1/3 node 1', '2/3 node 2', '3/3 node 3']
    assert displayed[-1] == 'obs1 | done: succeeded in 0:06 after 7 polls'
    assert not any('secret-pw' in line for line in displayed)
    assert 'secret-pw' not in repr(result)


def test_controller_mode_progress_false_prints_nothing(monkeypatch, clock, displayed):
    monkeypatch.setattr(_options, 'client_from_options', lambda params, **kwargs: FakeClient(clock))
    result = make_action({'progress': False, 'poll_interval': 1}).run(task_vars={'inventory_hostname': 'obs1'})
    assert result['outcome'] == 'succeeded'
    assert displayed == []
    assert len(result['events']) == 4     # stages 1, 2, 3 and SUCCEED


def test_controller_mode_check_mode_reads_once(monkeypatch, clock, displayed):
    monkeypatch.setattr(_options, 'client_from_options', lambda params, **kwargs: FakeClient(clock))
    result = make_action({}, check_mode=True).run(task_vars={'inventory_hostname': 'obs1'})
    assert result['outcome'] == 'running'
    assert result['polls'] == 1
    assert clock.t == 0.0
    assert result['failed'] is False


def test_controller_mode_needs_cryptography_on_the_controller(monkeypatch, displayed):
    monkeypatch.setattr(_crypto, 'HAS_CRYPTOGRAPHY', False)
    with pytest.raises(AnsibleActionFail) as caught:
        make_action({}).run(task_vars={'inventory_hostname': 'obs1'})
    assert 'cryptography' in str(caught.value) and 'run_on=target' in str(caught.value)


# ------------------------------------------------------------------------------------------------- target


def test_target_mode_runs_slices_carrying_the_state(monkeypatch, displayed):
    slices = [
        {'changed': False, '_slice': {'done': False, 'state': {'polls': 1}, 'lines': ['obs2 | Cluster scale out | 1/3']}},
        {'changed': False, '_slice': {'done': False, 'state': {'polls': 2}, 'lines': ['obs2 | Cluster scale out | 2/3']}},
        {'changed': False, 'outcome': 'succeeded', 'elapsed': 6.0, 'polls': 3, 'failed': False, 'msg': 'ok',
         'events': ['obs2 | Cluster scale out | 1/3', 'obs2 | Cluster scale out | 2/3', 'obs2 | Cluster scale out | 3/3'],
         '_slice': {'done': True, 'lines': ['obs2 | Cluster scale out | 3/3']},
         'invocation': {'module_args': {'host': '127.0.0.1', 'password': 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER',
                                        '_slice': {'state': {'polls': 2}}}}},
    ]
    calls = []

    def execute_module(module_name=None, module_args=None, task_vars=None, **kwargs):
        calls.append((module_name, copy.deepcopy(module_args)))
        return copy.deepcopy(slices[len(calls) - 1])

    action = make_action({'run_on': 'target', 'scope': 'agent'})
    monkeypatch.setattr(action, '_execute_module', execute_module)
    result = action.run(task_vars={'inventory_hostname': 'obs2'})

    assert [name for name, dummy in calls] == ['oceanbase.obshell.dag_wait'] * 3
    states = [args['_slice']['state'] for dummy, args in calls]
    assert states == [None, {'polls': 1}, {'polls': 2}]
    assert all(args['_slice']['max_seconds'] == 60.0 and args['_slice']['label'] == 'obs2' for dummy, args in calls)
    elapsed = [args['_slice']['elapsed'] for dummy, args in calls]
    assert elapsed == sorted(elapsed) and elapsed[0] >= 0
    # The task's own arguments go to the module unchanged (not the controller-validated ones with defaults).
    assert all(args['run_on'] == 'target' and args['scope'] == 'agent' and 'password' not in args
               for dummy, args in calls)
    assert displayed == ['obs2 | Cluster scale out | 1/3', 'obs2 | Cluster scale out | 2/3',
                         'obs2 | Cluster scale out | 3/3', 'obs2 | done: succeeded in 0:06 after 3 polls']
    assert result['outcome'] == 'succeeded'
    assert '_slice' not in result
    assert '_slice' not in result['invocation']['module_args']
    assert result['changed'] is False


def test_target_mode_passes_a_module_failure_through(monkeypatch, displayed):
    action = make_action({'run_on': 'target'})
    monkeypatch.setattr(action, '_execute_module', lambda **kwargs: {
        'failed': True, 'msg': 'Failed to import the required Python library (requests)'})
    result = action.run(task_vars={'inventory_hostname': 'obs1'})
    assert result['failed'] is True
    assert 'requests' in result['msg']
    assert displayed == []
