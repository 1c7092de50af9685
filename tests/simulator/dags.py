# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""DAG stores, the wall-clock scheduler, operators and DTO rendering (spec §4).

Nothing here does I/O. All times are monotonic seconds (``t``) inside the engine; DTO timestamps are
wall-clock seconds derived from them, because clients compare them with their own clock.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import ipaddress

PENDING, READY, RUNNING, FAILED, SUCCEED = 'PENDING', 'READY', 'RUNNING', 'FAILED', 'SUCCEED'
RUN, RETRY, ROLLBACK, CANCEL, PASS = 'RUN', 'RETRY', 'ROLLBACK', 'CANCEL', 'PASS'
OPERATORS = (RUN, RETRY, ROLLBACK, CANCEL, PASS)

# maintenance_type values (engine/task/maintenance_type.go:42-48)
MAINTENANCE_NONE = 1
MAINTENANCE_GLOBAL = 2
MAINTENANCE_TENANT = 3
MAINTENANCE_TYPES = {'none': MAINTENANCE_NONE, 'global': MAINTENANCE_GLOBAL, 'tenant': MAINTENANCE_TENANT,
                     'obproxy': 4, 'not_bootstrap': 0}

ZERO_TIME = 0.0   # time.Unix(0, 0): what RETRY/ROLLBACK/CANCEL write into reset items (spec §4.1)


class OperationError(Exception):
    """An operator refused by its preconditions; ``err_code`` + ``args`` feed ``Profile.error``."""

    def __init__(self, err_code, *args):
        super(OperationError, self).__init__(err_code)
        self.err_code = err_code
        self.args_ = args


# --------------------------------------------------------------------------------------------------
# time rendering


def _offset_text(dt):
    offset = dt.utcoffset()
    seconds = int(offset.total_seconds()) if offset is not None else 0
    if seconds == 0:
        return 'Z'      # Go's "Z07:00" prints Z for a zero offset
    sign = '+' if seconds > 0 else '-'
    seconds = abs(seconds)
    return '%s%02d:%02d' % (sign, seconds // 3600, (seconds % 3600) // 60)


def _go_format(secs, fraction_digits):
    dt = datetime.datetime.fromtimestamp(secs).astimezone()
    text = dt.strftime('%Y-%m-%dT%H:%M:%S')
    fraction_digits = fraction_digits.rstrip('0')
    if fraction_digits:
        text += '.' + fraction_digits
    return text + _offset_text(dt)


def go_time_us(wall):
    """A DB timestamp (microsecond precision) the way Go marshals ``time.Time`` (RFC 3339, trimmed)."""
    micros = int(round(wall * 1000000))
    secs, frac = divmod(micros, 1000000)
    return _go_format(secs, '%06d' % frac)


def go_time_ns(wall_ns):
    """``time.Now()`` marshalled by Go: RFC 3339 with nanoseconds, trailing zeros trimmed."""
    secs, frac = divmod(int(wall_ns), 1000000000)
    return _go_format(secs, '%09d' % frac)


# --------------------------------------------------------------------------------------------------
# generic ids (spec §4.4)


def local_prefix(ip, port, obproxy=False):
    address = ipaddress.ip_address(ip)
    if address.version == 4:
        return ('4' if obproxy else '2') + '%010d' % int(address) + '%05d' % port
    return ('5' if obproxy else '3') + '%039d' % int(address) + '%05d' % port


def cluster_generic_id(item_id):
    return '1%d' % item_id


class ParsedId(object):
    def __init__(self, text, kind, item_id, ip=None, port=None):
        self.text = text
        self.kind = kind          # 'cluster' | 'local' | 'obproxy'
        self.id = item_id
        self.ip = ip
        self.port = port


def _go_atoi(text):
    """strconv.Atoi: optional sign, decimal digits, no spaces."""
    body = text[1:] if text[:1] in ('+', '-') else text
    if not body or not body.isdigit() or not body.isascii():
        raise ValueError(text)
    return int(text)


def parse_generic_id(text):
    """Decode like task_dto.go:326-382; raises ValueError for an invalid id (-> 400 GenericID.Invalid)."""
    if not text:
        raise ValueError(text)
    prefix = text[0]
    if prefix == '1':
        if len(text) <= 1:
            raise ValueError(text)
        return ParsedId(text, 'cluster', _go_atoi(text[1:]))
    if prefix in ('2', '4'):
        if len(text) <= 16:
            raise ValueError(text)
        ip_num = _go_atoi(text[1:11])
        port = _go_atoi(text[11:16])
        item_id = _go_atoi(text[16:])
        if not 0 <= ip_num < 2 ** 32:
            raise ValueError(text)
        ip = str(ipaddress.IPv4Address(ip_num))
        return ParsedId(text, 'local' if prefix == '2' else 'obproxy', item_id, ip, port)
    if prefix in ('3', '5'):
        if len(text) <= 45:
            raise ValueError(text)
        ip_num = _go_atoi(text[1:40])
        port = _go_atoi(text[40:45])
        item_id = _go_atoi(text[45:])
        if not 0 <= ip_num < 2 ** 128:
            raise ValueError(text)
        ip = str(ipaddress.IPv6Address(ip_num))
        return ParsedId(text, 'local' if prefix == '3' else 'obproxy', item_id, ip, port)
    raise ValueError(text)


# --------------------------------------------------------------------------------------------------
# model


class LogRow(object):
    def __init__(self, row_id, sub_task_id, execute_times, content, wall):
        self.id = row_id
        self.sub_task_id = sub_task_id
        self.execute_times = execute_times
        self.content = content
        self.is_sync = True
        self.create_time = wall
        self.update_time = wall


class SubTask(object):
    def __init__(self, task_id, name, agent, wall):
        self.id = task_id
        self.name = name
        self.agent = agent            # (ip, port)
        self.state = PENDING
        self.operator = RUN
        self.created = wall
        self.start = wall
        self.end = wall
        self.execute_times = 0
        self.logs = []
        self.additional_data = None


class Node(object):
    def __init__(self, node_id, spec, wall):
        self.id = node_id
        self.name = spec['name']
        self.parallel = bool(spec.get('parallel'))
        self.steps = float(spec.get('steps', 1.0))
        self.logs = list(spec.get('logs') or [])
        self.rollback_logs = list(spec.get('rollback_logs') or ['rollback %s' % spec['name']])
        self.fail_times = int(spec.get('fail_times', 0))
        self.rollback_fail_times = int(spec.get('rollback_fail_times', 0))
        self.fail_agent = spec.get('fail_agent')        # index into sub_tasks for parallel nodes; default last
        self.error_code = spec.get('error_code', 'Common.Unexpected')
        self.error_message = spec.get('error', 'Unexpected error: task failed')
        self.can_retry = spec.get('can_retry', True)
        self.can_rollback = spec.get('can_rollback', True)
        self.can_cancel = spec.get('can_cancel', True)
        self.can_pass = spec.get('can_pass', True)
        self.failures = 0
        self.rollback_failures = 0
        self.state = PENDING
        self.operator = RUN
        self.created = wall
        self.start = wall
        self.end = wall
        self.sub_tasks = []
        self.additional_data = spec.get('additional_data')


class Dag(object):
    def __init__(self, store, dag_id, name, wall, maintenance_type, maintenance_key=''):
        self.store = store
        self.id = dag_id
        self.name = name
        self.state = READY
        self.operator = RUN
        self.stage = 1
        self.created = wall
        self.start = wall
        self.end = wall
        self.maintenance_type = maintenance_type
        self.maintenance_key = maintenance_key
        self.is_finished = False
        self.nodes = []
        self.next_at = None       # monotonic time of the next scheduler transition
        self.phase = None         # 'pickup' | 'node' | 'cancel'

    @property
    def max_stage(self):
        return len(self.nodes)

    @property
    def is_maintenance(self):
        return self.maintenance_type in (MAINTENANCE_GLOBAL, MAINTENANCE_TENANT, 4)

    def generic_id(self):
        return self.store.generic_id(self.id)

    def current_node(self):
        if not self.nodes:
            return None
        return self.nodes[min(max(self.stage, 1), len(self.nodes)) - 1]


class Store(object):
    """One DAG table: the cluster's (in OB) or one agent's (sqlite). Ids are per-store sequences."""

    def __init__(self, kind, owner=None):
        self.kind = kind            # 'cluster' | 'local'
        self.owner = owner          # SimAgent for local stores
        self.dags = []
        self._seq = {'dag': 0, 'node': 0, 'task': 0, 'log': 0}

    def next_id(self, what):
        self._seq[what] += 1
        return self._seq[what]

    def generic_id(self, item_id):
        if self.kind == 'cluster':
            return cluster_generic_id(item_id)
        return local_prefix(self.owner.ip, self.owner.port) + '%d' % item_id

    def find(self, what, item_id):
        for dag in self.dags:
            if what == 'dag' and dag.id == item_id:
                return dag
            for node in dag.nodes:
                if what == 'node' and node.id == item_id:
                    return node
                for task in node.sub_tasks:
                    if what == 'task' and task.id == item_id:
                        return task
        return None

    def dag_of(self, item):
        for dag in self.dags:
            if item is dag:
                return dag
            for node in dag.nodes:
                if item is node or any(item is task for task in node.sub_tasks):
                    return dag
        return None

    def node_of(self, task):
        for dag in self.dags:
            for node in dag.nodes:
                if any(task is candidate for candidate in node.sub_tasks):
                    return node
        return None

    def unfinished(self):
        return [dag for dag in self.dags if not dag.is_finished]

    def last_maintenance(self):
        found = [dag for dag in self.dags if dag.is_maintenance]
        return found[-1] if found else None

    def create_dag(self, spec, wall, executor, parallel_agents):
        """Create a DAG from a scenario spec (READY/RUN, nodes PENDING/RUN, spec §4.5)."""
        maintenance = spec.get('maintenance', 'global')
        if isinstance(maintenance, str):
            maintenance = MAINTENANCE_TYPES[maintenance]
        dag = Dag(self, self.next_id('dag'), spec['name'], wall, maintenance, spec.get('maintenance_key', ''))
        for node_spec in spec['nodes']:
            node = Node(self.next_id('node'), node_spec, wall)
            agents = parallel_agents if node.parallel else [executor]
            for agent in agents:
                node.sub_tasks.append(SubTask(self.next_id('task'), node.name, agent, wall))
            task_data = node_spec.get('task_additional_data')
            if task_data:
                for task in node.sub_tasks:
                    task.additional_data = dict(task_data)
            dag.nodes.append(node)
        self.dags.append(dag)
        return dag


# --------------------------------------------------------------------------------------------------
# scheduler (spec §4.5)


class Engine(object):
    """Advances DAGs with (monotonic) time. ``clock.wall(t)`` maps to wall seconds, ``emit`` logs events."""

    def __init__(self, clock, emit, step_seconds, profile_getter):
        self.clock = clock
        self.emit = emit
        self.step_seconds = float(step_seconds)
        self.profile_getter = profile_getter
        self.stores = []
        self.pickup_seconds = None

    @property
    def pickup_delay(self):
        """How long a READY DAG waits for the scheduler: a small fraction of a step (at most 50 ms)
        unless set explicitly (tests that want to observe the READY state set it longer)."""
        if self.pickup_seconds is not None:
            return self.pickup_seconds
        return min(0.05, self.step_seconds * 0.1)

    def node_duration(self, dag, node):
        step = getattr(dag, 'step_seconds', None)
        return (self.step_seconds if step is None else step) * node.steps

    def schedule_new(self, dag, t):
        dag.phase = 'pickup'
        dag.next_at = t + self.pickup_delay
        self.emit(t, 'created', dag, '%s/%s' % (dag.state, dag.operator))

    def next_due(self):
        due = [dag.next_at for store in self.stores for dag in store.dags if dag.next_at is not None]
        return min(due) if due else None

    def advance(self, now):
        """Apply every transition due at or before ``now``, in time order."""
        while True:
            candidates = [dag for store in self.stores for dag in store.dags
                          if dag.next_at is not None and dag.next_at <= now]
            if not candidates:
                return
            dag = min(candidates, key=lambda item: item.next_at)
            t = dag.next_at
            dag.next_at = None
            self._step(dag, t)

    def _log(self, dag, task, content, wall):
        task.logs.append(LogRow(dag.store.next_id('log'), task.id, task.execute_times, content, wall))

    def _step(self, dag, t):
        wall = self.clock.wall(t)
        if dag.phase == 'pickup':
            dag.state = RUNNING
            dag.start = wall
            self.emit(t, 'state', dag, '%s/%s' % (dag.state, dag.operator))
            if dag.operator == CANCEL:
                self._finish_cancel(dag, t)
                return
            if dag.operator == ROLLBACK:
                self._begin_rollback(dag, t)
                return
            # resume at the first node that is not done (a PASSed node counts as done)
            while dag.stage <= dag.max_stage and dag.current_node().state == SUCCEED:
                if dag.stage == dag.max_stage:
                    self._succeed(dag, t)
                    return
                dag.stage += 1
            self._begin_node(dag, t)
        elif dag.phase == 'node':
            self._complete_node(dag, t)
        elif dag.phase == 'rollback':
            self._complete_rollback(dag, t)

    def _begin_node(self, dag, t):
        wall = self.clock.wall(t)
        node = dag.current_node()
        node.state = RUNNING
        node.start = wall
        for task in node.sub_tasks:
            if task.state == SUCCEED:
                continue
            task.state = RUNNING
            task.operator = node.operator
            task.start = wall
            task.execute_times += 1
            for line in node.logs:
                self._log(dag, task, line.format(agent='%s:%d' % task.agent), wall)
        dag.phase = 'node'
        dag.next_at = t + self.node_duration(dag, node)
        self.emit(t, 'node', dag, '%d/%d %s' % (dag.stage, dag.max_stage, node.name))

    def _complete_node(self, dag, t):
        wall = self.clock.wall(t)
        node = dag.current_node()
        if node.failures < node.fail_times:
            node.failures += 1
            self._fail_node(dag, node, t, wall)
            return
        for task in node.sub_tasks:
            task.state = SUCCEED
            task.end = wall
        node.state = SUCCEED
        node.end = wall
        if dag.stage >= dag.max_stage:
            self._succeed(dag, t)
            return
        dag.stage += 1
        if dag.current_node().state == SUCCEED:
            # a node PASSed earlier; skip it
            dag.phase = 'pickup'
            dag.next_at = t
            return
        self._begin_node(dag, t)

    def _fail_node(self, dag, node, t, wall, rollback=False):
        profile = self.profile_getter(dag)
        failing = node.sub_tasks
        if len(node.sub_tasks) > 1:
            index = node.fail_agent if node.fail_agent is not None else len(node.sub_tasks) - 1
            failing = [node.sub_tasks[index % len(node.sub_tasks)]]
        for task in node.sub_tasks:
            task.end = wall
            if any(task is bad for bad in failing):
                task.state = FAILED
                message = node.error_message.format(agent='%s:%d' % task.agent)
                self._log(dag, task, profile.error_log_line(node.error_code, message), wall)
            else:
                task.state = SUCCEED
        node.state = FAILED
        node.end = wall
        dag.state = FAILED
        dag.end = wall
        dag.phase = None
        # spec §4.7: a failed non-maintenance DAG is finished and leaves the unfinished lists
        dag.is_finished = not dag.is_maintenance
        self.emit(t, 'finished', dag, '%s/%s' % (dag.state, dag.operator))

    def _succeed(self, dag, t):
        dag.state = SUCCEED
        dag.end = self.clock.wall(t)
        dag.is_finished = True
        dag.phase = None
        self.emit(t, 'finished', dag, '%s/%s' % (dag.state, dag.operator))

    # rollback walks stages downward (getNextStage = stage-1), spec §4.5
    def _begin_rollback(self, dag, t):
        wall = self.clock.wall(t)
        node = dag.current_node()
        node.state = RUNNING
        node.start = wall
        for task in node.sub_tasks:
            task.state = RUNNING
            task.operator = ROLLBACK
            task.start = wall
            task.execute_times += 1
            for line in node.rollback_logs:
                self._log(dag, task, line, wall)
        dag.phase = 'rollback'
        dag.next_at = t + self.node_duration(dag, node)
        self.emit(t, 'node', dag, 'rollback %d/%d %s' % (dag.stage, dag.max_stage, node.name))

    def _complete_rollback(self, dag, t):
        wall = self.clock.wall(t)
        node = dag.current_node()
        if node.rollback_failures < node.rollback_fail_times:
            node.rollback_failures += 1
            self._fail_node(dag, node, t, wall, rollback=True)
            return
        for task in node.sub_tasks:
            task.state = SUCCEED
            task.end = wall
        node.state = SUCCEED
        node.end = wall
        if dag.stage <= 1:
            self._succeed(dag, t)
            return
        dag.stage -= 1
        self._begin_rollback(dag, t)

    def _finish_cancel(self, dag, t):
        wall = self.clock.wall(t)
        node = dag.current_node()
        for task in node.sub_tasks:
            if task.state in (RUNNING, READY):
                task.state = FAILED
                task.operator = CANCEL
                task.end = wall
                self._log(dag, task, 'task canceled', wall)
        node.state = FAILED
        node.end = wall
        dag.state = FAILED
        dag.end = wall
        dag.phase = None
        dag.is_finished = not dag.is_maintenance
        self.emit(t, 'finished', dag, '%s/%s' % (dag.state, dag.operator))

    # ----------------------------------------------------------------------------------------------
    # operators (spec §4.8)

    def operate_dag(self, dag, operator, t):
        if operator == RETRY:
            self._retry(dag, t)
        elif operator == ROLLBACK:
            self._rollback(dag, t)
        elif operator == CANCEL:
            self._cancel(dag, t)
        elif operator == PASS:
            self._pass(dag, t)
        else:
            raise OperationError('Task.Dag.Operator.NotSupport', operator)
        self.emit(t, 'operator', dag, operator)

    def _retry(self, dag, t):
        if dag.state != FAILED:
            raise OperationError('Task.Dag.Operator.RetryNotFailedDag')
        node = dag.current_node()
        if not node.can_retry:
            raise OperationError('Task.Dag.Operator.RetryNotAllowed', dag.name)
        if dag.operator == ROLLBACK:
            # a DAG that failed while rolling back retries its rollback (uncertain; the tolerant reading)
            self._reset_for_rollback(dag, [node])
        else:
            dag.operator = RUN
            node.state = PENDING
            node.operator = RETRY
            node.start = node.end = ZERO_TIME
            # only the sub-tasks that did not succeed run again
            for task in node.sub_tasks:
                if task.state != SUCCEED:
                    task.state = PENDING
                    task.operator = RETRY
                    task.start = task.end = ZERO_TIME
        dag.state = READY
        dag.start = dag.end = ZERO_TIME
        dag.is_finished = False
        dag.phase = 'pickup'
        dag.next_at = t + self.pickup_delay

    def _reset_for_rollback(self, dag, nodes):
        dag.operator = ROLLBACK
        for node in nodes:
            node.state = PENDING
            node.operator = ROLLBACK
            node.start = node.end = ZERO_TIME
            for task in node.sub_tasks:
                task.state = PENDING
                task.operator = ROLLBACK
                task.start = task.end = ZERO_TIME

    def _rollback(self, dag, t):
        if dag.state != FAILED:
            raise OperationError('Task.Dag.Operator.RollbackNotFailedDag')
        nodes = dag.nodes[:dag.stage]
        if not all(node.can_rollback for node in nodes):
            raise OperationError('Task.Dag.Operator.RollbackNotAllowed', dag.name)
        self._reset_for_rollback(dag, [node for node in nodes if node.state != PENDING or node is dag.current_node()])
        dag.state = READY
        dag.start = dag.end = ZERO_TIME
        dag.is_finished = False
        dag.phase = 'pickup'
        dag.next_at = t + self.pickup_delay

    def _cancel(self, dag, t):
        if dag.is_finished or dag.state in (FAILED, SUCCEED):
            raise OperationError('Task.Dag.Operator.CancelFinishedDag')
        node = dag.current_node()
        if not node.can_cancel or dag.operator == CANCEL:
            raise OperationError('Task.Dag.Operator.CancelNotAllowed', dag.name)
        dag.state = READY
        dag.operator = CANCEL
        node.state = PENDING
        node.operator = CANCEL
        node.start = node.end = ZERO_TIME
        dag.phase = 'pickup'
        dag.next_at = t + self.pickup_delay

    def _pass(self, dag, t):
        if dag.state != FAILED:
            raise OperationError('Task.Dag.Operator.PassNotFailedDag')
        remaining = dag.nodes[dag.stage - 1:]
        if not all(node.can_pass for node in remaining):
            raise OperationError('Task.Dag.Operator.PassNotAllowed', dag.name)
        wall = self.clock.wall(t)
        for node in dag.nodes:
            if node.state != SUCCEED:
                node.state = SUCCEED
                node.operator = PASS
                for task in node.sub_tasks:
                    if task.state != SUCCEED:
                        task.state = SUCCEED
                        task.operator = PASS
        dag.state = SUCCEED
        dag.operator = PASS
        dag.end = wall
        dag.is_finished = True
        dag.phase = None
        dag.next_at = None
        self.emit(t, 'finished', dag, '%s/%s' % (dag.state, dag.operator))

    def pass_node(self, dag, node, t):
        """POST /node/{id} PASS (4.3.1+): node SUCCEED/PASS, DAG READY/RUN so it resumes."""
        if dag.state != FAILED:
            raise OperationError('Task.Node.Operator.PassNotFailedDag')
        if node.state != FAILED:
            raise OperationError('Task.Node.Operator.PassNotFailedNode')
        if not node.can_pass:
            raise OperationError('Task.Node.Operator.PassNotAllowed', node.name)
        node.state = SUCCEED
        node.operator = PASS
        for task in node.sub_tasks:
            if task.state != SUCCEED:
                task.state = SUCCEED
                task.operator = PASS
        dag.state = READY
        dag.operator = RUN
        dag.is_finished = False
        dag.phase = 'pickup'
        dag.next_at = t + self.pickup_delay
        self.emit(t, 'operator', dag, 'PASS node %s' % node.name)


# --------------------------------------------------------------------------------------------------
# DTOs (spec §4.1)


class Renderer(object):
    """Renders model objects as the agent's JSON DTOs for one profile."""

    def __init__(self, profile, skew=0.0):
        self.profile = profile
        self.skew = skew

    def _time(self, item_store, wall):
        if wall == ZERO_TIME:
            return go_time_us(0.0)
        # local rows are written with the owning agent's clock
        skew = item_store.owner.clock_skew if item_store.kind == 'local' else 0.0
        return go_time_us(wall + skew)

    @staticmethod
    def _merge(tasks, base_empty):
        merged = {} if base_empty else None
        for task in tasks:
            if task.additional_data:
                if merged is None:
                    merged = {}
                merged.update(task.additional_data)
        return merged

    def task(self, store, task, additional_data=None, with_data=False):
        logs = None
        if task.state not in (PENDING, READY):
            logs = [row.content for row in task.logs]
        return {
            'id': store.generic_id(task.id),
            'task_id': task.id,
            'name': task.name,
            'state': task.state,
            'operator': task.operator,
            'start_time': self._time(store, task.start),
            'end_time': self._time(store, task.end),
            'additional_data': (task.additional_data if with_data else additional_data),
            'execute_times': task.execute_times,
            'execute_agent': {'ip': task.agent[0], 'port': task.agent[1]},
            'task_logs': logs,
        }

    def node(self, store, node, standalone=False):
        data = None
        if standalone:
            data = self._merge(node.sub_tasks, len(node.sub_tasks) >= 2)
            if node.additional_data:
                data = dict(data or {})
                data.update(node.additional_data)
        return {
            'id': store.generic_id(node.id),
            'node_id': node.id,
            'name': node.name,
            'state': node.state,
            'operator': node.operator,
            'start_time': self._time(store, node.start),
            'end_time': self._time(store, node.end),
            'additional_data': data,
            'sub_tasks': [self.task(store, task) for task in node.sub_tasks],
        }

    def dag(self, dag, show_details=True):
        store = dag.store
        out = {
            'id': store.generic_id(dag.id),
            'dag_id': dag.id,
            'name': dag.name,
            'stage': dag.stage,
            'max_stage': dag.max_stage,
        }
        if self.profile.maintenance_fields:
            out['maintenance_type'] = dag.maintenance_type
            out['maintenance_key'] = dag.maintenance_key
        out['state'] = dag.state
        out['operator'] = dag.operator
        out['start_time'] = self._time(store, dag.start)
        out['end_time'] = self._time(store, dag.end)
        if show_details:
            tasks = [task for node in dag.nodes for task in node.sub_tasks]
            data = self._merge(tasks, len(dag.nodes) >= 2)
            for node in dag.nodes:
                if node.additional_data:
                    data = dict(data or {})
                    data.update(node.additional_data)
            out['additional_data'] = data
            out['nodes'] = [self.node(store, node) for node in dag.nodes]
        else:
            out['additional_data'] = None
            out['nodes'] = None
        return out

    def log_rows(self, store, task):
        return [{
            'id': row.id,
            'sub_task_id': row.sub_task_id,
            'execute_times': row.execute_times,
            'log_content': row.content,
            'is_sync': row.is_sync,
            'create_time': self._time(store, row.create_time),
            'update_time': self._time(store, row.update_time),
        } for row in task.logs]
