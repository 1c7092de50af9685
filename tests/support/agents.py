# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Scripted fake agents for the wait's unit tests (test_watcher.py, test_evidence.py, test_dag_events.py), and the
DAG DTOs they answer with. Section numbers refer to obshell-api.md.

``FakeAgent(clock)`` answers like an OBShell agent from a timeline of DAG states, on a fake clock
(tests/support/clock.py) that only moves when the wait sleeps or a request "takes time": cluster DAGs (ids 1...) on
the cluster route, its own DAGs on the agent route, as real agents do. ``dto(...)`` makes a DagDetailDTO with its
nodes, ``scale_out(agent)`` scripts the scale-out DAG on an agent, ``refused()`` and ``observer_down()`` make the
errors of an agent away and of its observer down, ``options(**changes)`` the options of dag_wait.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json

from ansible_collections.oceanbase.obshell.plugins.module_utils import _dag_fields, _dag_id, _verdict
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import (
    ObshellApiError,
    ObshellConnectionError,
    ObshellNotFoundError,
    ObshellServerError,
)
from tests.support.clock import EPOCH

NODES = ['Integrate server config', 'Create local scale out dag', 'Wait scale out ready',
         'Wait remote deploy finish', 'Wait remote start finish', 'Prev check for scale_out',
         'Add server for scale_out', 'Add agent for scale_out', 'Check cluster scale_out whether finished']
START = '2026-05-08T10:00:00+08:00'
END = '2026-05-08T10:00:30+08:00'
AGENT_EPOCH = _dag_fields.parse_time(START)
assert AGENT_EPOCH == EPOCH      # the fake clock's 0 (tests/support/clock.py) is the START of these DTOs
LOCAL_ID = '22130706433028861'


def dto(dag_id='11', name='Cluster scale out', state='RUNNING', operator='RUN', stage=1, nodes=None,
        maintenance=2, fail_node_state='FAILED', error='ERROR: [Common.Unexpected]: Unexpected error: boom',
        passed_stage=None):
    """A DagDetailDTO with details (§4.1); the fake agent strips nodes for show_details=false."""
    nodes = NODES if nodes is None else nodes
    max_stage = len(nodes)
    node_dtos = []
    for index, node_name in enumerate(nodes, 1):
        node_operator = 'CANCEL' if operator == 'CANCEL' and index == stage else 'RUN'
        if index < stage or (index == stage and state == 'SUCCEED'):
            node_state = 'SUCCEED'
        elif index == stage and state == 'FAILED':
            node_state = fail_node_state
        elif index == stage and state == 'RUNNING':
            node_state = 'RUNNING'
        else:
            node_state = 'PENDING'
        if index == passed_stage:
            node_state, node_operator = 'SUCCEED', 'PASS'
        logs = None
        if node_state == 'FAILED':
            logs = ['check server 10.0.0.4:2882', error]
        elif node_state == 'SUCCEED':
            logs = ['%s done' % node_name]
        node_dtos.append({
            'id': '1%d' % (200 + index), 'node_id': 200 + index, 'name': node_name, 'state': node_state,
            'operator': node_operator, 'start_time': START, 'end_time': END, 'additional_data': None,
            'sub_tasks': [{'id': '1%d' % (500 + index), 'task_id': 500 + index, 'name': node_name,
                           'state': node_state, 'operator': 'RUN', 'start_time': START, 'end_time': END,
                           'additional_data': None, 'execute_times': 1 if node_state != 'PENDING' else 0,
                           'execute_agent': {'ip': '10.0.0.1', 'port': 2886}, 'task_logs': logs}],
        })
    return {'id': dag_id, 'dag_id': _dag_id.id_number(dag_id), 'name': name,
            'stage': stage, 'max_stage': max_stage, 'maintenance_type': maintenance, 'maintenance_key': '',
            'state': state, 'operator': operator, 'start_time': START,
            'end_time': END if state in ('SUCCEED', 'FAILED') else START, 'additional_data': {},
            'nodes': node_dtos}


def unfinished(item):
    state = item['state']
    if state in ('READY', 'RUNNING', 'PENDING'):
        return True
    return state == 'FAILED' and item['maintenance_type'] in (2, 3, 4)   # §4.7


def in_list(dag_id, scope):
    """Cluster DAGs (ids 1...) on the cluster route, the agent's own on the agent route, both on /dag/unfinish."""
    if scope == 'cluster':
        return dag_id.startswith('1')
    if scope == 'agent':
        return not dag_id.startswith('1')
    return True


class FakeAgent(object):
    """Answers like an OBShell agent from a timeline: ``script[id] = [(from_t, dto), ...]``.

    ``outages`` are (start, end, error factory) windows in which every request raises; ``cluster_outages`` the same
    for the cluster route only (its observer down, §11.6). ``fail_reads`` maps a DAG id to a number of /dag/{id}
    reads that fail before one succeeds. ``cost`` is the fake time each request takes.
    """

    def __init__(self, clock, identity='CLUSTER AGENT', address='10.0.0.1:2886', script=None):
        self.clock = clock
        self.script = script if script is not None else {}
        self.outages = []
        self.cluster_outages = []
        self.fail_reads = {}
        self.calls = []
        self.identity_value = identity
        self.address = address
        self.timeout = 10.0
        self.deadline = None
        self.cost = 0.0
        self.timeouts_seen = []
        self.warnings = []
        self.posts = []
        self.version_value = '4.5.0.0'
        self.skew = 0.0
        # The cluster this agent belongs to: /api/v1/ob/info lists the agents of one test (one clock) that have the
        # same cluster name.
        self.cluster = 'c1'
        clock.__dict__.setdefault('fake_agents', []).append(self)

    def add(self, dag_id, *steps):
        self.script.setdefault(dag_id, []).extend(steps)

    def _now_dto(self, dag_id):
        current = None
        for start, item in self.script.get(dag_id, []):
            if start <= self.clock():
                current = item
        return current

    def _request(self, what, outages=()):
        self.calls.append((round(self.clock(), 6),) + what)
        # as the real client: the request_timeout, cut to what the watcher's deadline leaves (on the wait's clock)
        left = self.deadline - self.clock.monotonic() if self.deadline is not None else self.timeout
        self.timeouts_seen.append(round(min(self.timeout, left), 1))
        self.clock.t += self.cost
        for start, end, error in list(self.outages) + list(outages):
            if start <= self.clock() < end:
                raise error()

    # the client interface the watcher uses
    def info(self, refresh=False):
        if refresh:
            self._request(('info',))
        return {'identity': self.identity_value, 'ip': self.address.split(':')[0], 'port': 2886, 'version': '4.5.0.0'}

    @property
    def identity(self):
        return self.identity_value

    @property
    def known_identity(self):
        return self.identity

    @property
    def version(self):
        return self.version_value

    @property
    def agent_time(self):
        # The agent's clock (epoch seconds): the DTOs' START is the fake clock's 0, plus ``skew``.
        return AGENT_EPOCH + self.clock() + self.skew

    @property
    def agent(self):
        return self.address

    def describe(self):
        return {'address': self.address, 'identity': self.identity_value, 'version': '4.5.0.0'}

    def status(self):
        return {'obState': 3}

    def unfinished_dags(self, scope, show_details=False):
        self._request(('list', scope, show_details), self.cluster_outages if scope == 'cluster' else ())
        out = []
        for dag_id in self.script:
            item = self._now_dto(dag_id)
            if item is not None and unfinished(item) and in_list(dag_id, scope):
                out.append(_strip(item, show_details))
        return out

    def dag_history(self, scope, show_details=False):
        """/dags/ob or /dags/agent: every DAG created by now, in its current state."""
        self._request(('history', scope, show_details), self.cluster_outages if scope == 'cluster' else ())
        return [_strip(self._now_dto(dag_id), show_details) for dag_id in self.script
                if self._now_dto(dag_id) is not None and in_list(dag_id, scope)]

    def get(self, path):
        assert path == '/api/v1/ob/info', path
        self._request(('ob_info',))
        members = [agent for agent in self.clock.fake_agents if agent.cluster == self.cluster]
        return {'agent_info': [{'ip': agent.address.rsplit(':', 1)[0], 'port': int(agent.address.rsplit(':', 1)[1]),
                                'zone': 'z1', 'identity': agent.identity_value, 'version': '4.5.0.0'}
                               for agent in members],
                'obcluster_info': {'id': 1, 'name': self.cluster, 'version': '4.3.5.0', 'topology': None}}

    def dag(self, generic_id, show_details=True):
        self._request(('dag', generic_id, show_details))
        if self.fail_reads.get(generic_id):
            self.fail_reads[generic_id] -= 1
            raise ObshellServerError('GET /dag/%s: the agent answered HTTP 500' % generic_id, agent=self.address)
        item = self._now_dto(generic_id)
        if item is None:
            raise ObshellNotFoundError('GET /dag/%s: HTTP 404 [Task.NotFound]' % generic_id, agent=self.address,
                                       status=404, agent_message='Task not found: record not found')
        return _strip(item, show_details)

    def operate_dag(self, generic_id, operator):
        self._request(('post', generic_id, operator))
        self.posts.append((generic_id, operator))

    def requests(self, kind=None):
        return [c for c in self.calls if kind is None or c[1] == kind]


def _strip(item, show_details):
    item = json.loads(json.dumps(item))
    if not show_details:
        item['nodes'] = None
        item['additional_data'] = None
    return item


def refused():
    return ObshellConnectionError('cannot connect to http://10.0.0.1:2886: Connection refused', agent='10.0.0.1:2886')


def observer_down():
    return ObshellApiError('GET /api/v1/task/dag/ob/unfinish: the agent answered HTTP 500 [Agent.OceanBase.NotHold]',
                           agent='10.0.0.1:2886', status=500, err_code='Agent.OceanBase.NotHold')


def options(**changes):
    values = dict(timeout=3600.0, poll_interval=5.0, appear_timeout=0.0, unreachable_timeout=300.0,
                  fail_on=list(_verdict.DEFAULT_FAIL_ON), id=None, scope='auto', names=None, details='summary',
                  mode='wait', on_failure='fail', max_remediations=1, request_timeout=10.0)
    values.update(changes)
    return values


def scale_out(agent, step=10.0, end_state=('SUCCEED', 'RUN'), start=0.0, dag_id='11', stage_count=9):
    """The scale-out DAG: READY at ``start``, RUNNING one stage per ``step``, then ``end_state``."""
    # A DAG of stage_count nodes: a success ends at its last stage (stage == max_stage, §4.5).
    nodes = NODES[:stage_count] if stage_count <= len(NODES) else NODES + ['node %d' % n for n in range(10, stage_count + 1)]
    agent.add(dag_id, (start, dto(dag_id, state='READY', stage=1, nodes=nodes)))
    for stage in range(1, stage_count + 1):
        agent.add(dag_id, (start + step * stage - step + 1, dto(dag_id, state='RUNNING', stage=stage, nodes=nodes)))
    state, operator = end_state
    last_stage = stage_count if state == 'SUCCEED' else min(6, stage_count)
    agent.add(dag_id, (start + step * stage_count, dto(dag_id, state=state, operator=operator, stage=last_stage,
                                                       nodes=nodes)))
