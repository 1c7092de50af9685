# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Record the exchanges of a conformance run, to be replayed against the simulator (test_replay.py).

``RecordingClient`` is a ``RawClient`` (it builds auth v2 headers itself, so the plaintext of every request is
known here) that appends one entry per exchange to a ``Recording``: method, request-target, the request body as
sent before encryption, the status, the response headers that matter and the response JSON. Before anything is
written, ``sanitize`` removes what must never be stored: passwords, AES keys, Ts values, the agent's public key,
trace ids, timestamps and process facts (pid, start time, home path). Generic ids of DAGs, nodes and sub-tasks
are replaced by labels (``{init}``, ``{init.node3}``...) that the replay maps to the simulator's own ids, and
the agent's address by ``{agent}``.

A recording also holds non-request steps: ``setup`` (the state the run put the agent in, which the replay
rebuilds through the simulator's Python API) and ``wait`` (a poll until a DAG reached a state; the polls
themselves are not kept, their number depends on timing).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import re

from tests.simulator.rawclient import RawClient

RECORDED_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'recorded')
# Response headers worth comparing; the others (Date, Content-Length...) say nothing about the protocol.
KEPT_HEADERS = ('content-type', 'location')
# Values that are never stored, wherever they appear (request bodies, response data).
SECRET_KEYS = ('password', 'auth', 'keys', 'ts', 'public_key', 'masterPassword', 'proxyro_password',
               'rootPwd', 'root_password')
# Volatile values: stored as their type only, so a fixture does not change from run to run.
VOLATILE_KEYS = ('timestamp', 'traceId', 'duration', 'pid', 'startAt', 'homePath', 'start_time', 'end_time',
                 'create_time', 'update_time', 'architecture')
REDACTED = '<redacted>'


def _volatile(value):
    return '<%s>' % type(value).__name__ if value is not None else None


KEY_BLOB = re.compile(r'[A-Za-z0-9+/]{100,}={0,2}')
ID_IN_PATH = re.compile(r'(/api/v1/task/(dag|node|sub_task)/)(\d+)')
_KIND_OF_PATH = {'dag': 'dag', 'node': 'node', 'sub_task': 'task'}


class Labels(object):
    """Generic ids seen in one test, per kind (a DAG, a node and a sub-task may share the same id string), and
    the labels that stand for them in a fixture; also the agent's address and home path."""

    def __init__(self, address=None, home=None):
        self.ids = {'dag': {}, 'node': {}, 'task': {}}
        self.text_values = {}
        if address:
            self.text_values[address] = '{agent}'
        if home:
            self.text_values[home] = '{home}'

    def reset(self):
        self.ids = {'dag': {}, 'node': {}, 'task': {}}

    def add(self, value, label, kind='dag'):
        if value:
            self.ids[kind][str(value)] = label

    def add_dag(self, label, dag):
        """A DAG DTO: its id, its nodes' ids (``label.nodeN``) and sub-task ids (``label.nodeN.taskM``)."""
        self.add(dag.get('id'), label)
        for index, node in enumerate(dag.get('nodes') or [], 1):
            self.add(node.get('id'), '%s.node%d' % (label, index), 'node')
            for number, task in enumerate(node.get('sub_tasks') or [], 1):
                self.add(task.get('id'), '%s.node%d.task%d' % (label, index, number), 'task')

    def label(self, kind, value):
        found = self.ids[kind].get(str(value))
        return '{%s}' % found if found else value

    def path(self, target):
        def one(match):
            return match.group(1) + self.label(_KIND_OF_PATH[match.group(2)], match.group(3))
        return self.text(ID_IN_PATH.sub(one, target))

    def text(self, value):
        if not isinstance(value, str):
            return value
        for raw in sorted(self.text_values, key=len, reverse=True):
            value = value.replace(raw, self.text_values[raw])
        return KEY_BLOB.sub('<key>', value)


def sanitize(value, labels, key=None):
    """A copy of ``value`` with secrets removed, volatile values reduced to their type, ids labelled."""
    if key in SECRET_KEYS and value not in (None, '', [], {}):
        return REDACTED
    if key in VOLATILE_KEYS:
        return _volatile(value)
    if isinstance(value, dict):
        kind = 'dag' if 'dag_id' in value else 'node' if 'node_id' in value else 'task' if 'task_id' in value \
            else None
        out = dict((name, sanitize(item, labels, name)) for name, item in value.items())
        if kind is not None and isinstance(value.get('id'), str):
            out['id'] = labels.label(kind, value['id'])
        return out
    if isinstance(value, list):
        return [sanitize(item, labels) for item in value]
    if key in ('ip', 'execute_agent_ip') and isinstance(value, str):
        return '<ip>'
    if key in ('port', 'execute_agent_port', 'agent_port') and isinstance(value, int):
        return '<int>'
    return labels.text(value)


class Recording(object):
    """The steps of one conformance test against one agent."""

    def __init__(self, name, agent_info=None):
        self.name = name
        self.agent_info = agent_info or {}
        self.steps = []
        self.paused = 0

    def setup(self, state, **facts):
        self.steps.append({'setup': state, 'facts': facts})

    def wait(self, label, states):
        self.steps.append({'wait': label, 'states': list(states)})

    def exchange(self, method, target, case, request_body, response, setup=False):
        if self.paused:
            return
        self.steps.append({
            'method': method, 'target': target, 'case': case, 'request': request_body,
            'status': response.status,
            'headers': dict((name, response.headers[name]) for name in KEPT_HEADERS if name in response.headers),
            'response': response.json if response.json is not None else response.body.decode('utf-8', 'replace'),
            'setup_call': bool(setup)})

    def fixture(self, labels):
        steps = []
        for step in self.steps:
            step = dict(step)
            if 'target' in step:
                step['target'] = labels.path(step['target'])
                step['request'] = sanitize(step['request'], labels)
                step['response'] = sanitize(step['response'], labels)
            elif 'facts' in step:
                step['facts'] = sanitize(step['facts'], labels)
            steps.append(step)
        return {'test': self.name, 'agent': self.agent_info, 'steps': steps}

    def write(self, labels, directory):
        if not os.path.isdir(directory):
            os.makedirs(directory)
        path = os.path.join(directory, re.sub(r'[^A-Za-z0-9_.-]+', '_', self.name) + '.json')
        with open(path, 'w') as handle:
            json.dump(self.fixture(labels), handle, indent=1, sort_keys=True)
            handle.write('\n')
        return path


# How a request authenticates: the same case, replayed against the simulator, builds the same kind of header.
CASES = {
    'none': 'no auth header',
    'ok': 'the right header for the agent: X-OCS-Agent-Header with the agent password when one is set, else '
          'X-OCS-Header with an empty password',
    'ob_header': 'X-OCS-Header carrying the agent password (or an empty one)',
    'agent_header': 'X-OCS-Agent-Header carrying the agent password (or an empty one)',
    'wrong_password': 'the right header name with a wrong password',
    'expired': 'the right header and password, Ts 30 minutes in the past',
    'lower_case': 'the right header and password, header name in lower case',
    'garbage': 'the right header name, a value that is not base64 RSA',
}


class RecordingClient(RawClient):
    """A RawClient that sends by auth case and records every exchange in ``recording`` (when one is set)."""

    recording = None
    agent_password = None

    def header_name(self):
        return 'X-OCS-Agent-Header' if self.agent_password else 'X-OCS-Header'

    def send(self, method, target, body=None, case='ok', setup=False):
        password = self.agent_password or ''
        if case == 'none':
            payload = json.dumps(body).encode('utf-8') if body is not None else None
            headers = {'Content-Type': 'application/json'} if payload else None
            response = self.request(method, target, headers=headers, body=payload)
        elif case == 'garbage':
            response = self.request(method, target, headers={self.header_name(): 'bm90IGFuIFJTQSBibG9jaw=='})
        else:
            names = {'ob_header': 'X-OCS-Header', 'agent_header': 'X-OCS-Agent-Header'}
            header = names.get(case, self.header_name())
            if case == 'lower_case':
                header = header.lower()
            kwargs = {}
            if case == 'wrong_password':
                password = 'not-' + password + 'the-password'
            if case == 'expired':
                kwargs['lifetime'] = -1800
            response = self.call(method, target, password=password, body=body, header=header, **kwargs)
        if self.recording is not None:
            self.recording.exchange(method, target, case, body, response, setup=setup)
        return response
