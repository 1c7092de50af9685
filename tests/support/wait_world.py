# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A fake world of OBShell agents for the model-based test of the wait (test_wait_model.py).

The world keeps the ground truth: every DAG that ever existed, with its whole history, every agent's identity,
deployment, observer and reachability over time. Agents answer through a real ObshellClient whose one network call
(``_send_once``) is answered from this world, so the client's own envelope and error handling are the real ones.
Every request is written to ``World.reads`` with what the world really was when it was answered: that log is the
evidence the invariants hold a verdict to.

Written from the agent's side (obshell-api.md §2.4, §3, §4, §11.4, §11.6), not from the collection's code: nothing
here imports the collection's DAG model. Time is one number, ``World.t`` (seconds on the controller's clock); each
agent's own clock is ``t + skew``. ``World.seq`` orders everything that happens at the same ``t``.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import json

from ansible_collections.oceanbase.obshell.plugins.module_utils._client import ObshellClient
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import ObshellConnectionError

CLUSTER_AGENT = 'CLUSTER AGENT'
IDENTITIES = (CLUSTER_AGENT, 'SCALING IN', 'UNIDENTIFIED', 'SINGLE')
# 2026-05-08T10:00:00+08:00: the agents' clocks start here (plus their skew).
BASE_EPOCH = 1778205600.0
AGENT_TZ = datetime.timezone(datetime.timedelta(hours=8))
NODE_NAMES = ('Prepare', 'Do the work', 'Check the work')
# (name, maintenance_type): the first of each kind is a maintenance DAG (stays unfinished when FAILED, §4.7).
CLUSTER_TEMPLATES = (('Cluster scale out', 2), ('Start OB', 1))
LOCAL_TEMPLATES = (('Local scale out', 2), ('Stop local observer', 1))
ODD_KINDS = ('missing_state', 'lower_state', 'stage_beyond', 'other_id', 'succeed_but_pending_node',
             'nodes_not_list', 'not_an_object')
UNFINISHED_STATES = ('PENDING', 'READY', 'RUNNING')


def version_tuple(text):
    return tuple(int(x) for x in text.split('.'))


def true_outcome(snap):
    """The outcome of a DAG in a snapshot, from the agent's rules (§4.5, §4.8), or 'vanished'."""
    if snap['vanished']:
        return 'vanished'
    state, operator = snap['state'], snap['operator']
    if state in UNFINISHED_STATES:
        return 'running'
    if state == 'FAILED':
        return 'canceled' if operator == 'CANCEL' else 'failed'
    if operator == 'ROLLBACK':
        return 'rolled_back'
    if operator == 'PASS' or snap['passed']:
        return 'passed'
    return 'succeeded'


def listed_unfinished(snap, maintenance):
    """In the unfinished lists (§4.7): READY/RUNNING, and FAILED maintenance DAGs."""
    if snap['vanished']:
        return False
    return snap['state'] in UNFINISHED_STATES or (snap['state'] == 'FAILED' and maintenance in (2, 3, 4))


class TrueDag(object):
    def __init__(self, world, uid, gid, kind, owner, generation, name, maintenance, row):
        self.world = world
        self.row = row                  # its primary key in the table that holds it
        self.uid = uid                  # the world's own name for it: 'D1', 'D2'...
        self.gid = gid                  # the generic id the agent gives it (§4.4); may be reused by another DAG
        self.kind = kind                # 'cluster' or 'local'
        self.owner = owner              # local: index of its agent
        self.generation = generation    # local: the agent's deployment; cluster: the cluster's
        self.name = name
        self.maintenance = maintenance
        self.max_stage = len(NODE_NAMES)
        self.state, self.operator, self.stage = 'READY', 'RUN', 1
        self.passed = ()
        self.serial = None              # the failure now shown (each failure has its own, world-unique serial)
        self.vanished = False           # its agent or cluster was re-deployed: it exists nowhere any more
        self.created = world.stamp()
        self.start = self.created       # None: ZERO_TIME after a retry, rollback or cancel (§4.1)
        self.end = self.created
        self.history = []
        self._record()

    def snap(self):
        return {'state': self.state, 'operator': self.operator, 'stage': self.stage, 'passed': self.passed,
                'serial': self.serial, 'vanished': self.vanished}

    def _record(self):
        self.world.seq += 1
        self.history.append((self.world.seq, self.world.t, self.snap()))

    def set(self, **changes):
        for key, value in changes.items():
            setattr(self, key, value)
        self._record()

    def snap_at(self, seq):
        current = None
        for at, dummy, snap in self.history:
            if at <= seq:
                current = snap
        return current

    def snaps_between(self, seq0, seq1):
        """Every state the DAG was in at some moment of [seq0, seq1] (existing by then)."""
        out = []
        before = self.snap_at(seq0)
        if before is not None:
            out.append(before)
        out.extend(snap for at, dummy, snap in self.history if seq0 < at <= seq1)
        return out

    def label(self):
        where = (' on agent %d deployment %d' % (self.owner, self.generation) if self.kind == 'local'
                 else ' cluster %d' % self.generation)
        return '%s(id %s %r, %s%s)' % (self.uid, self.gid, self.name, self.kind, where)

    def describe_history(self):
        parts = []
        for dummy, t, snap in self.history:
            text = '%s/%s %d/%d' % (snap['state'], snap['operator'], snap['stage'], self.max_stage)
            if snap['serial']:
                text += ' boom#%d' % snap['serial']
            if snap['passed']:
                text += ' passed%s' % list(snap['passed'])
            if snap['vanished']:
                text = 'VANISHED'
            parts.append('t=%g %s' % (t, text))
        return ', '.join(parts)


class Agent(object):
    def __init__(self, index, version, identity, skew):
        self.index = index
        self.ip = '10.0.0.%d' % (index + 1)
        self.port = 2886
        self.address = '%s:%d' % (self.ip, self.port)
        self.version = version
        self.identity = identity
        self.skew = skew
        self.up = True
        self.observer = True
        self.deployment = 1
        self.rows = 0
        self.odd_next = None            # one corrupted DAG record in the next answer that carries one
        self.start_at = 1               # /api/v1/info startAt: changes when the agent process starts again

    def local_gid(self, row):
        packed = 0
        for octet in self.ip.split('.'):
            packed = packed * 256 + int(octet)
        return '2%010d%05d%d' % (packed, self.port, row)

    def at_least(self, version):
        return version_tuple(self.version) >= version_tuple(version)


class World(object):
    def __init__(self):
        self.t = 0.0
        self.seq = 0
        self.agents = []
        self.dags = []
        self.cluster_generation = 1
        self.cluster_rows = 0
        self.serials = 0
        self.reads = []                 # every request, see FakeClient._log
        self.poll = 0                   # the watcher's poll now going on (0: none yet)
        self.identities = []            # (seq, agent index, identity) from the start
        self.events = []                # what happened, for the failure report

    def stamp(self):
        """The agents' time of what happens now: two things never happen in the same microsecond on an agent."""
        return self.t + self.seq * 1e-6

    def note(self, text):
        self.events.append('t=%g %s' % (self.t, text))

    # ------------------------------------------------------------------ changes

    def set_identity(self, agent, identity):
        agent.identity = identity
        self.seq += 1
        self.identities.append((self.seq, agent.index, identity))
        self.note('agent %d is now %s' % (agent.index, identity))

    def was_cluster_agent(self, seq0, seq1):
        """Was some agent a CLUSTER AGENT at some moment of [seq0, seq1]?"""
        state = {}
        for at, index, identity in self.identities:
            if at > seq1:
                break
            if at > seq0 and identity == CLUSTER_AGENT:
                return True
            if at <= seq0:
                state[index] = identity
        return CLUSTER_AGENT in state.values()

    def create(self, kind, agent_index, template):
        if kind == 'cluster' and not any(agent.identity == CLUSTER_AGENT for agent in self.agents):
            kind = 'local'      # no cluster, no cluster DAGs
            self.note('(no agent is a %s: no cluster DAG can start; a local DAG instead)' % CLUSTER_AGENT)
        if kind == 'cluster':
            self.cluster_rows += 1
            name, maintenance = CLUSTER_TEMPLATES[template % len(CLUSTER_TEMPLATES)]
            gid = '1%d' % self.cluster_rows
            dag = TrueDag(self, 'D%d' % (len(self.dags) + 1), gid, 'cluster', None, self.cluster_generation, name,
                          maintenance, self.cluster_rows)
        else:
            agent = self.agents[agent_index]
            agent.rows += 1
            name, maintenance = LOCAL_TEMPLATES[template % len(LOCAL_TEMPLATES)]
            dag = TrueDag(self, 'D%d' % (len(self.dags) + 1), agent.local_gid(agent.rows), 'local', agent.index,
                          agent.deployment, name, maintenance, agent.rows)
        self.dags.append(dag)
        self.note('%s created' % dag.label())
        return dag

    def alive(self):
        return [dag for dag in self.dags if not dag.vanished]

    def advance(self, dag):
        """One step of the scheduler (§4.5): READY -> RUNNING, the next node, the end."""
        if dag.state == 'READY':
            dag.set(state='RUNNING', start=self.stamp())
        elif dag.operator == 'CANCEL':
            self.serials += 1
            dag.set(state='FAILED', end=self.stamp(), serial=self.serials)
        elif dag.operator == 'ROLLBACK':
            if dag.stage > 1:
                dag.set(stage=dag.stage - 1)
            else:
                dag.set(state='SUCCEED', end=self.stamp())
        elif dag.stage < dag.max_stage:
            dag.set(stage=dag.stage + 1)
        else:
            dag.set(state='SUCCEED', end=self.stamp())
        self.note('%s -> %s/%s %d' % (dag.uid, dag.state, dag.operator, dag.stage))

    def fail(self, dag):
        self.serials += 1
        dag.set(state='FAILED', end=self.stamp(), serial=self.serials)
        self.note('%s FAILED at node %d with boom #%d' % (dag.uid, dag.stage, self.serials))

    def operate(self, dag, what):
        """Someone outside the wait acts on a DAG (§4.8)."""
        if what == 'retry':
            dag.set(state='READY', operator='RUN', start=None, end=None)
        elif what == 'rollback':
            dag.set(state='READY', operator='ROLLBACK', start=None, end=None)
        elif what == 'cancel':
            dag.set(state='READY', operator='CANCEL', start=None, end=None)
        elif what == 'pass':
            dag.set(state='SUCCEED', operator='PASS', end=self.stamp(),
                    passed=tuple(range(dag.stage, dag.max_stage + 1)))
        elif what == 'pass_node':
            passed = dag.passed + (dag.stage,)
            if dag.stage < dag.max_stage:
                dag.set(state='READY', passed=passed, stage=dag.stage + 1)
            else:
                dag.set(state='SUCCEED', passed=passed, end=self.stamp())
        self.note('someone: %s %s' % (what, dag.uid))

    def redeploy(self, agent):
        """The agent is installed again: a new sqlite, local ids start again at row 1 (§4.4)."""
        for dag in self.alive():
            if dag.kind == 'local' and dag.owner == agent.index:
                dag.set(vanished=True)
        agent.deployment += 1
        agent.rows = 0
        self.restarted(agent)
        self.note('agent %d re-deployed (local ids start again)' % agent.index)

    def restarted(self, agent):
        agent.start_at = int((BASE_EPOCH + self.t + agent.skew) * 1e9) + self.seq

    def recreate_cluster(self):
        for dag in self.alive():
            if dag.kind == 'cluster':
                dag.set(vanished=True)
        self.cluster_generation += 1
        self.cluster_rows = 0
        self.note('cluster re-deployed (cluster ids start again)')

    def changed(self, text):
        self.seq += 1
        self.note(text)

    # ------------------------------------------------------------------ views

    def agent_time(self, agent, seconds=None):
        if seconds is None:
            return '1970-01-01T08:00:00+08:00'
        moment = datetime.datetime.fromtimestamp(BASE_EPOCH + seconds + agent.skew, AGENT_TZ)
        return moment.isoformat()

    def dto(self, dag, agent, details):
        """A DagDetailDTO (§4.1) of the DAG as it is now, as ``agent`` renders it."""
        nodes = None
        if details:
            nodes = []
            for index, node_name in enumerate(NODE_NAMES, 1):
                operator = 'RUN'
                if index in dag.passed:
                    state, operator = 'SUCCEED', 'PASS'
                elif dag.operator == 'ROLLBACK':
                    # Rolled back downwards: above the stage undone, below it not yet, at it the rollback step.
                    state, operator = ('SUCCEED' if index < dag.stage else 'PENDING'), 'ROLLBACK'
                    if index == dag.stage and dag.state in ('RUNNING', 'FAILED'):
                        state = dag.state
                elif index < dag.stage or (dag.state == 'SUCCEED'):
                    state = 'SUCCEED'
                elif index == dag.stage:
                    state = {'READY': 'PENDING', 'PENDING': 'PENDING', 'RUNNING': 'RUNNING',
                             'FAILED': 'FAILED'}[dag.state]
                    if dag.operator == 'CANCEL':
                        operator = 'CANCEL'
                else:
                    state = 'PENDING'
                logs = None
                if state == 'FAILED':
                    logs = ['working on %s' % node_name,
                            'ERROR: [Common.Unexpected]: Unexpected error: boom #%d at node %d' % (dag.serial, index)]
                elif state == 'SUCCEED':
                    logs = ['%s done' % node_name]
                start = self.agent_time(agent, dag.start if state != 'PENDING' else dag.created)
                nodes.append({
                    'id': '%s%d' % (dag.gid[0], 100 * index), 'node_id': 100 * index, 'name': node_name,
                    'state': state, 'operator': operator, 'start_time': start, 'end_time': start,
                    'additional_data': None,
                    'sub_tasks': [{'id': '%s%d' % (dag.gid[0], 1000 * index), 'task_id': 1000 * index,
                                   'name': node_name, 'state': state, 'operator': operator, 'start_time': start,
                                   'end_time': start, 'additional_data': None,
                                   'execute_times': 0 if state == 'PENDING' else 1,
                                   'execute_agent': {'ip': agent.ip, 'port': agent.port}, 'task_logs': logs}]})
        finished = dag.state in ('SUCCEED', 'FAILED')
        item = {
            'id': dag.gid, 'dag_id': dag.row, 'name': dag.name, 'stage': dag.stage,
            'max_stage': dag.max_stage, 'state': dag.state, 'operator': dag.operator,
            'start_time': self.agent_time(agent, dag.start if dag.state != 'READY' or dag.start is None
                                          else dag.created),
            'end_time': self.agent_time(agent, dag.end if finished else
                                        (dag.created if dag.start is not None else None)),
            'additional_data': {} if details else None, 'nodes': nodes,
        }
        if agent.at_least('4.3.1.0'):
            item['maintenance_type'] = dag.maintenance
            item['maintenance_key'] = ''
        return item


def corrupt(item, kind):
    """One record as a buggy agent or a broken proxy might send it."""
    if kind == 'not_an_object':
        return None
    item = json.loads(json.dumps(item))
    if kind == 'missing_state':
        item.pop('state', None)
    elif kind == 'lower_state':
        item['state'] = item['state'].lower()
    elif kind == 'stage_beyond':
        item['stage'] = item['max_stage'] + 1
    elif kind == 'other_id':
        item['id'] = item['id'][:-1] + str((int(item['id'][-1]) + 1) % 10)
    elif kind == 'succeed_but_pending_node':
        item['state'], item['operator'] = 'SUCCEED', 'RUN'
        item['stage'] = item['max_stage']
        if item.get('nodes'):
            item['nodes'][-1]['state'] = 'PENDING'
            item['nodes'][-1]['sub_tasks'][0]['state'] = 'PENDING'
    elif kind == 'nodes_not_list':
        item['nodes'] = {'oops': True}
    return item


def _envelope(world, agent, data=None, status=200, err_code=None, message=None, code=None):
    stamp = world.agent_time(agent, world.stamp())
    if status < 400:
        body = {'successful': True, 'timestamp': stamp, 'duration': 0, 'status': status, 'traceId': 't',
                'data': data}
    else:
        error = {'message': message}
        if err_code is not None:
            error['errCode'] = err_code
        if code is not None:
            error['code'] = code
        body = {'successful': False, 'timestamp': stamp, 'duration': 0, 'status': status, 'traceId': 't',
                'error': error}
    return status, json.dumps(body).encode('utf-8')


class FakeClient(ObshellClient):
    """A real ObshellClient whose network is the world: every request is answered from the ground truth."""

    def __init__(self, world, agent):
        super(FakeClient, self).__init__(host=agent.ip, port=agent.port, password='pw', retries=0,
                                         sleep=lambda seconds: None)
        self.world = world
        self.fake_agent = agent

    def public_key(self, refresh=False):
        return None

    def _auth_headers(self, uri, body):
        return {}, None

    def _send_once(self, method, uri, body, auth):
        path, dummy, query = uri.partition('?')
        details = 'show_details=true' in query
        entry = self._w_log(method, path, details)
        try:
            status, raw = self._w_answer(method, path, details, entry)
        except ObshellConnectionError:
            entry['ok'] = False
            entry['status'] = 'refused'
            raise
        entry['status'] = status
        entry['ok'] = status < 400
        return self._parse(status, raw, method, uri)

    def _w_log(self, method, path, details):
        world, agent = self.world, self.fake_agent
        world.seq += 1
        entry = {'seq': world.seq, 't': world.t, 'poll': world.poll, 'agent': agent.index, 'method': method,
                 'path': path, 'details': details, 'identity': agent.identity, 'observer': agent.observer,
                 'up': agent.up, 'deployment': agent.deployment, 'cluster_generation': world.cluster_generation,
                 'version': agent.version, 'ok': None, 'status': None, 'records': []}
        world.reads.append(entry)
        return entry

    def _w_answer(self, method, path, details, entry):
        world, agent = self.world, self.fake_agent
        if not agent.up:
            raise ObshellConnectionError('cannot connect to http://%s: Connection refused' % agent.address,
                                         agent=agent.address)
        if path == '/api/v1/info':
            return _envelope(world, agent, {'identity': agent.identity, 'ip': agent.ip, 'port': agent.port,
                                            'version': agent.version, 'state': 2, 'supportedAuth': ['v2'],
                                            'security': False, 'startAt': agent.start_at})
        if path == '/api/v1/status':
            return _envelope(world, agent, {'agent': {'ip': agent.ip, 'port': agent.port,
                                                      'identity': agent.identity},
                                            'state': 2, 'version': agent.version + '-0',
                                            'obState': 3 if agent.observer else 0, 'port': agent.port})
        if path == '/api/v1/time' and agent.at_least('4.3.0.0'):
            return _envelope(world, agent, world.agent_time(agent, world.stamp()))
        if method != 'GET':
            return _envelope(world, agent, status=400, err_code='Common.NotSupport', message='not in this model')
        if path == '/api/v1/ob/info':
            # One cluster: every agent of the world (§11.5; the model's agents never belong to two).
            return _envelope(world, agent, {
                'agent_info': [{'ip': peer.ip, 'port': peer.port, 'zone': 'z%d' % peer.index, 'identity': peer.identity,
                                'version': peer.version} for peer in world.agents],
                'obcluster_info': {'id': 1, 'name': 'model', 'version': '4.3.5.0', 'topology': None}})
        prefix = '/api/v1/task/'
        if not path.startswith(prefix):
            return 404, b'404 page not found'
        route = path[len(prefix):]
        if route in ('dags/ob', 'dags/agent') and not agent.at_least('4.3.0.0'):
            return 404, b'404 page not found'
        if route in ('dag/ob/unfinish', 'dags/ob'):
            refusal = self._w_cluster_refusal()
            if refusal:
                return refusal
            dags = self._w_cluster_dags(unfinished=route == 'dag/ob/unfinish')
            return self._w_contents(dags, details, entry)
        if route in ('dag/agent/unfinish', 'dags/agent'):
            return self._w_contents(self._w_local_dags(unfinished=route == 'dag/agent/unfinish'), details, entry)
        if route == 'dag/unfinish':
            if agent.identity in ('SCALING IN', 'UNIDENTIFIED'):
                return _envelope(world, agent, status=500, err_code='Agent.Identify.Unknown',
                                 message='Agent identify is unknown: %s' % agent.identity)
            dags = self._w_local_dags(unfinished=True)
            if agent.identity == CLUSTER_AGENT:
                for peer in world.agents:
                    if peer is not agent and peer.identity == CLUSTER_AGENT and peer.up:
                        dags.extend(dag for dag in world.alive() if dag.kind == 'local' and dag.owner == peer.index
                                    and listed_unfinished(dag.snap(), dag.maintenance))
                if agent.observer:
                    # Without its observer the aggregated list silently lacks the cluster DAGs (§11.6).
                    dags.extend(self._w_cluster_dags(unfinished=True))
            return self._w_contents(dags, details, entry)
        if route.startswith('dag/') and route.count('/') == 1:
            gid = route.split('/', 1)[1]
            return self._w_one(gid, details, entry)
        return 404, b'404 page not found'

    def _w_cluster_refusal(self):
        world, agent = self.world, self.fake_agent
        if agent.identity != CLUSTER_AGENT:
            if agent.at_least('4.3.1.0'):
                return _envelope(world, agent, status=500, err_code='Common.Unexpected',
                                 message='Unexpected error: ocsagent cannot build response body')
            return _envelope(world, agent, status=400, code=1000,
                             message='Bad request: only cluster agent can get cluster unfinished dags')
        if not agent.observer:
            return _envelope(world, agent, status=500, err_code='Agent.OceanBase.NotHold',
                             message='Agent is not holding OceanBase')
        return None

    def _w_cluster_dags(self, unfinished):
        return [dag for dag in self.world.alive() if dag.kind == 'cluster'
                and (not unfinished or listed_unfinished(dag.snap(), dag.maintenance))]

    def _w_local_dags(self, unfinished):
        agent = self.fake_agent
        return [dag for dag in self.world.alive() if dag.kind == 'local' and dag.owner == agent.index
                and (not unfinished or listed_unfinished(dag.snap(), dag.maintenance))]

    def _w_render(self, dag, details, entry):
        agent = self.fake_agent
        item = self.world.dto(dag, agent, details)
        odd = None
        if agent.odd_next is not None:
            odd, agent.odd_next = agent.odd_next, None
            item = corrupt(item, odd)
        entry['records'].append({'gid': dag.gid, 'sent_id': item.get('id') if isinstance(item, dict) else None,
                                 'uid': dag.uid, 'snap': dag.snap(), 'odd': odd})
        return item

    def _w_contents(self, dags, details, entry):
        items = [self._w_render(dag, details, entry) for dag in dags]
        return _envelope(self.world, self.fake_agent, {'contents': items})

    def _w_one(self, gid, details, entry):
        world, agent = self.world, self.fake_agent
        entry['gid'] = gid
        if not gid.isdigit() or gid[0] not in '12' or (gid[0] == '2' and len(gid) <= 16):
            return _envelope(world, agent, status=400, err_code='Task.GenericID.Invalid', message='Invalid ID: ' + gid)
        if gid[0] == '1':
            if agent.identity != CLUSTER_AGENT or not agent.observer:
                return _envelope(world, agent, status=500, err_code='Agent.OceanBase.NotHold',
                                 message='Agent is not holding OceanBase')
            found = [dag for dag in self._w_cluster_dags(unfinished=False) if dag.gid == gid]
        else:
            found = [dag for dag in self._w_local_dags(unfinished=False) if dag.gid == gid]
        if not found:
            return _envelope(world, agent, status=404, err_code='Task.NotFound',
                             message='Task not found: record not found')
        item = self._w_render(found[0], details, entry)
        return _envelope(world, agent, item)
