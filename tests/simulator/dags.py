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
MAINTENANCE_NOT_BOOTSTRAP = 0
MAINTENANCE_NONE = 1
MAINTENANCE_GLOBAL = 2
MAINTENANCE_TENANT = 3
MAINTENANCE_OBPROXY = 4
MAINTENANCE_TYPES = {'none': MAINTENANCE_NONE, 'global': MAINTENANCE_GLOBAL, 'tenant': MAINTENANCE_TENANT,
                     'obproxy': MAINTENANCE_OBPROXY, 'not_bootstrap': MAINTENANCE_NOT_BOOTSTRAP}

DAG_TYPE_OB = ''            # engine/task/dag.go:25-35: the type column of OB DAGs is empty
DAG_TYPE_OBPROXY = 'obproxy'

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
    """``ConvertLocalIDToGenericID`` (task_dto.go:306-319): rendered from the agent's own ip whatever it is, so an
    agent on ``::1`` or ``0.x.x.x`` writes ids that ``parse_generic_id`` (like the agent) cannot read back."""
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


class GenericIdError(ValueError):
    """``Task.GenericID.Invalid``; ``suffix`` is the cause Go appends (``Invalid ID: <id>: <suffix>``) or None."""

    def __init__(self, text, suffix=None):
        super(GenericIdError, self).__init__(text if suffix is None else '%s: %s' % (text, suffix))
        self.text = text
        self.suffix = suffix


def _go_atoi(text):
    """strconv.Atoi / ParseInt(s, 10, 64): optional sign, ASCII decimal digits, int64 range."""
    body = text[1:] if text[:1] in ('+', '-') else text
    if not body or not body.isdigit() or not body.isascii():
        raise ValueError('invalid syntax')
    value = int(text)
    if not -2 ** 63 <= value < 2 ** 63:
        raise ValueError('value out of range')
    return value


def _go_big_int(text):
    """big.Int.SetString(s, 10): optional sign, then digits (no underscores in base 10)."""
    body = text[1:] if text[:1] in ('+', '-') else text
    if not body or not body.isdigit() or not body.isascii():
        return None
    return int(text)


def _go_ip(number, v6):
    """``net.IP(ipInt.Bytes())`` then ``To4()`` / ``To16()`` (task_dto.go:358-366); None where Go gets nil.

    ``Bytes()`` drops leading zero bytes, so an address whose first byte is 0 (``0.x.x.x``, ``::1``) has too few
    bytes and is rejected. For an IPv6 id, a 4-byte value becomes the v4-mapped address, which prints dotted.
    """
    raw = abs(number).to_bytes((abs(number).bit_length() + 7) // 8, 'big')
    if len(raw) == 4:
        return str(ipaddress.IPv4Address(raw))
    if len(raw) == 16:
        address = ipaddress.IPv6Address(raw)
        if v6:
            return str(address.ipv4_mapped) if address.ipv4_mapped is not None else str(address)
        return str(address.ipv4_mapped) if address.ipv4_mapped is not None else None
    return None


def parse_generic_id(text, obproxy_ids=True):
    """Decode like ``ConvertGenericID`` (task_dto.go:326-382); raises GenericIdError (-> 400 GenericID.Invalid).

    Go slices bytes, so the text is handled as UTF-8 bytes. ``obproxy_ids`` False: the 4/5 prefixes of 4.2.6+
    are unknown (an older agent).
    """
    raw = text.encode('utf-8').decode('latin-1')
    if not raw:
        raise GenericIdError(text)
    prefix = raw[0]
    v4_prefixes = ('2', '4') if obproxy_ids else ('2',)
    v6_prefixes = ('3', '5') if obproxy_ids else ('3',)
    if (prefix == '1' and len(raw) <= 1 or prefix in v4_prefixes and len(raw) <= 16
            or prefix in v6_prefixes and len(raw) <= 45):
        raise GenericIdError(text)
    ip = port = None
    if prefix == '1':
        id_idx = 1
    elif prefix in v4_prefixes or prefix in v6_prefixes:
        v6 = prefix in v6_prefixes
        ip_idx, port_idx = (40, 45) if v6 else (11, 16)
        id_idx = port_idx
        number = _go_big_int(raw[1:ip_idx])
        if number is None:
            raise GenericIdError(text, 'convert id to bigInt failed')
        ip = _go_ip(number, v6)
        if ip is None:
            raise GenericIdError(text, 'convert id to ip failed')
        try:
            port = _go_atoi(raw[ip_idx:port_idx])
        except ValueError:
            raise GenericIdError(text, 'parse port failed') from None
    else:
        raise GenericIdError(text, 'invalid generic id')
    digits = raw[id_idx:]
    try:
        item_id = _go_atoi(digits)
    except ValueError as exc:
        raise GenericIdError(text, 'strconv.ParseInt: parsing "%s": %s' % (digits, exc)) from None
    kind = 'cluster' if prefix == '1' else ('local' if prefix in ('2', '3') else 'obproxy')
    return ParsedId(text, kind, item_id, ip, port)


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
        self.dag = None


PERMISSIONS = ('can_cancel', 'can_continue', 'can_pass', 'can_retry', 'can_rollback')


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
        # Spec §11.1: every task starts with nothing allowed; the template (templates.py) or the scenario opts in.
        for key in PERMISSIONS:
            setattr(self, key, bool(spec.get(key, False)))
        self.failure_exit_maintenance = bool(spec.get('failure_exit_maintenance'))
        self.observer_down = bool(spec.get('observer_down'))    # the executing agents' observers restart meanwhile
        self.failures = 0
        self.rollback_failures = 0
        self.state = PENDING
        self.operator = RUN
        self.created = wall
        self.start = wall
        self.end = wall
        self.sub_tasks = []
        self.additional_data = spec.get('additional_data')
        self.dag = None

    @property
    def finished(self):
        """``TaskInfo.IsFinished``: FAILED or SUCCEED (engine/task/task.go:419-421)."""
        return self.state in (FAILED, SUCCEED)


class Dag(object):
    def __init__(self, store, dag_id, name, wall, maintenance_type, maintenance_key='', dag_type=DAG_TYPE_OB):
        self.store = store
        self.id = dag_id
        self.name = name
        self.dag_type = dag_type
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
        self.phase = None         # 'pickup' | 'node' | 'rollback'

    @property
    def max_stage(self):
        return len(self.nodes)

    @property
    def is_maintenance(self):
        """``maintenanceType != NOT_UNDER_MAINTENANCE`` (maintenance_type.go:29-31): 0, 2, 3 and 4 are."""
        return self.maintenance_type != MAINTENANCE_NONE

    @property
    def holds_maintenance(self):
        """Whether the DAG still holds its maintenance lock: until it succeeds or is passed, or fails on a node
        with FAILURE_EXIT_MAINTENANCE (service/task/dag.go:572-599)."""
        if not self.is_maintenance or self.state == SUCCEED:
            return False
        if self.state == FAILED and self.current_node() is not None and self.current_node().failure_exit_maintenance:
            return False
        return True

    def generic_id(self):
        return self.store.generic_id(self.id, self.dag_type)

    def item_generic_id(self, item):
        """Nodes and sub-tasks carry the prefix of their DAG's type (NewNodeDetailDTO(node, dagType))."""
        return self.store.generic_id(item.id, self.dag_type)

    def current_node(self):
        if not self.nodes:
            return None
        return self.nodes[min(max(self.stage, 1), len(self.nodes)) - 1]


class Store(object):
    """One DAG table: the cluster's (in OB) or one agent's (sqlite). Ids are per-store sequences; an agent's
    obproxy DAGs share its table and sequences (only the type column differs)."""

    def __init__(self, kind, owner=None):
        self.kind = kind            # 'cluster' | 'local'
        self.owner = owner          # SimAgent for local stores
        self.dags = []
        self._seq = {'dag': 0, 'node': 0, 'task': 0, 'log': 0}

    def next_id(self, what):
        self._seq[what] += 1
        return self._seq[what]

    def generic_id(self, item_id, dag_type=DAG_TYPE_OB):
        if self.kind == 'cluster':
            return cluster_generic_id(item_id)
        return local_prefix(self.owner.ip, self.owner.port, obproxy=dag_type == DAG_TYPE_OBPROXY) + '%d' % item_id

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
        return item if isinstance(item, Dag) else item.dag

    def node_of(self, task):
        for node in task.dag.nodes:
            if any(task is candidate for candidate in node.sub_tasks):
                return node
        return None

    def unfinished(self):
        """No type filter (service/task/dag.go:122-141): obproxy DAGs are listed too."""
        return [dag for dag in self.dags if not dag.is_finished]

    def last_maintenance(self):
        found = [dag for dag in self.dags if dag.is_maintenance]
        return found[-1] if found else None

    def under_global_maintenance(self):
        """The agent's OCS status row (agentStatusMaintainer, status_maintainer.go:195-275): only global
        maintenance DAGs set it; obproxy maintenance has its own row and tenant maintenance none."""
        return any(dag.maintenance_type == MAINTENANCE_GLOBAL and dag.holds_maintenance for dag in self.dags)

    def create_dag(self, spec, wall, executor, parallel_agents):
        """Create a DAG from a scenario spec (READY/RUN, nodes PENDING/RUN, spec §4.5).

        ``parallel_agents``: the sub-task agents of parallel nodes; a node spec may narrow them (``agents``).
        """
        maintenance = spec.get('maintenance', 'global')
        if isinstance(maintenance, str):
            maintenance = MAINTENANCE_TYPES[maintenance]
        dag_type = DAG_TYPE_OBPROXY if spec.get('scope') == 'obproxy' or spec.get('dag_type') == 'obproxy' else DAG_TYPE_OB
        dag = Dag(self, self.next_id('dag'), spec['name'], wall, maintenance, spec.get('maintenance_key', ''), dag_type)
        for node_spec in spec['nodes']:
            node = Node(self.next_id('node'), node_spec, wall)
            node.dag = dag
            if node.parallel:
                agents = node_spec.get('agents') or parallel_agents
            else:
                agents = (node_spec.get('agents') or [executor])[:1]
            for agent in agents:
                task = SubTask(self.next_id('task'), node.name, agent, wall)
                task.dag = dag
                node.sub_tasks.append(task)
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
    """Advances DAGs with (monotonic) time. ``clock.wall(t)`` maps to wall seconds, ``emit`` logs events.

    ``node_hook(event, dag, node)`` (optional) hears ``'begin'`` / ``'end'`` of every node run; the cluster uses
    it to take observers down while an ``observer_down`` node runs.
    """

    def __init__(self, clock, emit, step_seconds, profile_getter):
        self.clock = clock
        self.emit = emit
        self.step_seconds = float(step_seconds)
        self.profile_getter = profile_getter
        self.stores = []
        self.pickup_seconds = None
        self.node_hook = None

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

    def _hook(self, event, dag, node):
        if self.node_hook is not None and node.observer_down:
            self.node_hook(event, dag, node)

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
            # resume at the first node that is not done: a PASSed node, or (RETRY after a failed rollback) the nodes
            # rolled back already, are SUCCEED and the scheduler walks past them (dag_handler.go:24-70)
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
            # a retried node runs its sub-tasks forward: their operator stays RUN (a real 4.5.0.0 agent;
            # updateNodeOperator, service/task/dag.go:669-693, touches the node only)
            task.operator = RUN if node.operator == RETRY else node.operator
            task.start = wall
            task.execute_times += 1
            for line in node.logs:
                self._log(dag, task, line.format(agent='%s:%d' % task.agent), wall)
        dag.phase = 'node'
        dag.next_at = t + self.node_duration(dag, node)
        self.emit(t, 'node', dag, '%d/%d %s' % (dag.stage, dag.max_stage, node.name))
        self._hook('begin', dag, node)

    def _complete_node(self, dag, t):
        wall = self.clock.wall(t)
        node = dag.current_node()
        self._hook('end', dag, node)
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
            # a node PASSed (or rolled back) earlier; skip it
            dag.phase = 'pickup'
            dag.next_at = t
            return
        self._begin_node(dag, t)

    def _fail_node(self, dag, node, t, wall):
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
            if task.operator == RUN and task.state == PENDING:
                continue        # never executed, nothing to roll back (rollbackHandler, task_handler.go:103-110)
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
            self._fail_node(dag, node, t, wall)
            return
        for task in node.sub_tasks:
            if task.state == RUNNING:
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
        self._hook('end', dag, node)
        for task in node.sub_tasks:
            if task.state in (RUNNING, READY):
                # SetSubTaskFailed(subTask, "sub task cancelled"): the state only, the operator stays
                # (scheduler/task_handler.go:296-298, service/task/sub_task.go:232-262)
                task.state = FAILED
                task.end = wall
                self._log(dag, task, 'sub task cancelled', wall)
        node.state = FAILED
        node.end = wall
        dag.state = FAILED
        dag.end = wall
        dag.phase = None
        dag.is_finished = not dag.is_maintenance
        self.emit(t, 'finished', dag, '%s/%s' % (dag.state, dag.operator))

    # ----------------------------------------------------------------------------------------------
    # operators (spec §4.8, §11.1; service/task/dag.go:283-532, node.go:116-166). Every precondition is
    # checked in the agent's order: the state first, then the per-node permission.

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

    def _ready(self, dag, operator, t):
        """``updateDagOperator``: READY, the operator, both times ZERO_TIME, then the scheduler picks it up."""
        dag.state = READY
        dag.operator = operator
        dag.start = dag.end = ZERO_TIME
        dag.phase = 'pickup'
        dag.next_at = t + self.pickup_delay

    def _retry(self, dag, t):
        """getNodeCanRetry + txForRetryAndReadyDag: only the node at ``stage`` is checked and reset. The DAG
        always runs forward again, also after a failed rollback (dag.go:471-476)."""
        if dag.state != FAILED:
            raise OperationError('Task.Dag.Operator.RetryNotFailedDag')
        node = dag.current_node()
        if not node.can_retry:
            raise OperationError('Task.Dag.Operator.RetryNotAllowed', node.name)
        node.state = PENDING
        node.operator = RETRY
        node.start = node.end = ZERO_TIME
        # only the sub-tasks that did not succeed run again
        for task in node.sub_tasks:
            if task.state != SUCCEED:
                task.state = PENDING
                task.start = task.end = ZERO_TIME
        dag.is_finished = False
        self._ready(dag, RUN, t)

    def _rollback(self, dag, t):
        """getNodesCanRollback: walk from the first node; stop before a PENDING node that is not rolling back,
        refuse at the first node that cannot roll back, stop after the failed one."""
        if dag.state != FAILED:
            raise OperationError('Task.Dag.Operator.RollbackNotFailedDag')
        last = 0
        for index, node in enumerate(dag.nodes):
            last = index            # Go keeps the index of the last node looked at
            if node.operator != ROLLBACK and node.state == PENDING:
                break
            if not node.can_rollback:
                raise OperationError('Task.Dag.Operator.RollbackNotAllowed', node.name)
            if node.state == FAILED:
                last = index + 1
                break
        if last == 0:
            raise OperationError('Common.Unexpected', 'failed to set dag rollback: no node failed')
        for node in dag.nodes[:last]:
            if node.finished:
                # updateNodeOperator(ROLLBACK); the sub-tasks keep their rows until the rollback reaches them
                node.state = PENDING
                node.operator = ROLLBACK
                node.start = node.end = ZERO_TIME
        dag.is_finished = False
        self._ready(dag, ROLLBACK, t)

    def _cancel(self, dag, t):
        """getNodeCanCancel: refuse a FAILED/SUCCEED DAG, then every node from the first to the first unfinished
        one must allow cancel. A READY DAG and one already being canceled can be canceled (again)."""
        if dag.state in (FAILED, SUCCEED):
            raise OperationError('Task.Dag.Operator.CancelFinishedDag')
        current = None
        for node in dag.nodes:
            current = node
            if not node.can_cancel:
                raise OperationError('Task.Dag.Operator.CancelNotAllowed', node.name)
            if not node.finished:
                break
        if current is None:
            raise OperationError('Common.Unexpected', 'failed to cancel dag: no node found')
        # Uncertain: the agent marks the node found by the walk; during a rollback that is node 1 while the
        # scheduler works on the node at ``stage``. The simulator cancels the node at ``stage``.
        node = dag.current_node()
        node.state = PENDING
        node.operator = CANCEL
        node.start = node.end = ZERO_TIME
        self._ready(dag, CANCEL, t)

    def _pass(self, dag, t):
        """getNodesCanPass + txForPassDag: every node that has not succeeded must allow pass; the nodes from the
        failed one on become SUCCEED/PASS, with their unsucceeded sub-tasks; the DAG is done at once."""
        if dag.state != FAILED:
            raise OperationError('Task.Dag.Operator.PassNotFailedDag')
        first = len(dag.nodes)
        for index, node in enumerate(dag.nodes):
            if node.state == SUCCEED:
                continue
            if node.state == FAILED:
                first = index
            if not node.can_pass:
                raise OperationError('Task.Dag.Operator.PassNotAllowed', node.name)
        wall = self.clock.wall(t)
        for node in dag.nodes[first:]:
            node.state = SUCCEED
            node.operator = PASS
            node.end = wall
            for task in node.sub_tasks:
                if task.state != SUCCEED:
                    task.state = SUCCEED
                    task.operator = PASS
                    task.end = wall
        dag.state = SUCCEED
        dag.operator = PASS
        dag.end = wall
        dag.is_finished = True
        dag.phase = None
        dag.next_at = None
        self.emit(t, 'finished', dag, '%s/%s' % (dag.state, dag.operator))

    def pass_node(self, dag, node, t):
        """POST /node/{id} PASS (4.3.1+, service/task/node.go:116-166): node SUCCEED/PASS, DAG READY/RUN."""
        if dag.state != FAILED:
            raise OperationError('Task.Node.Operator.PassNotFailedDag')
        if node.state != FAILED:
            raise OperationError('Task.Node.Operator.PassNotFailedNode', node.name)
        if not node.can_pass:
            raise OperationError('Task.Node.Operator.PassNotAllowed', node.name)
        wall = self.clock.wall(t)
        node.state = SUCCEED
        node.operator = PASS
        node.end = wall
        for task in node.sub_tasks:
            if task.state != SUCCEED:
                task.state = SUCCEED
                task.operator = PASS
                task.end = wall
        dag.is_finished = False
        self._ready(dag, RUN, t)
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
        # local rows are written with the owning agent's clock, into sqlite, which keeps Go's nanoseconds (a real
        # 4.5.0.0 agent, docs/conformance.md); OceanBase keeps microseconds
        if item_store.kind == 'local':
            return go_time_ns(int(round((wall + item_store.owner.clock_skew) * 1e9)))
        return go_time_us(wall)

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
            'id': task.dag.item_generic_id(task),
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
            'id': node.dag.item_generic_id(node),
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
            'id': dag.generic_id(),
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
