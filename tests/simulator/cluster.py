# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""SimCluster / SimAgent: N simulated agents forming one cluster, driven by wall-clock time."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import heapq
import itertools
import os
import socket
import threading
import time

from tests.simulator import auth as authmod
from tests.simulator.api import AgentApi, Response, default_home_path
from tests.simulator.crypto import RsaKey
from tests.simulator.dags import Engine, Store
from tests.simulator.faults import FaultQueue
from tests.simulator.profiles import profile_for
from tests.simulator.scenarios import expand_dag, load_scenario
from tests.simulator.server import AgentHTTPServer, make_ssl_context

_KEY_CACHE = {}
_KEY_CACHE_LOCK = threading.Lock()


def _resolve_ip(host):
    """The ip an agent reports (DTOs, generic ids): a literal, or the IPv4 address of a name."""
    if host in ('', '0.0.0.0'):
        return '127.0.0.1'
    if host == '::':
        return '::1'
    try:
        socket.inet_pton(socket.AF_INET, host)
        return host
    except OSError:
        pass
    try:
        socket.inet_pton(socket.AF_INET6, host)
        return host
    except OSError:
        pass
    return socket.gethostbyname(host)


class _Clock(object):
    """Monotonic engine time -> wall-clock seconds, with one fixed offset taken at start."""

    def __init__(self):
        self.offset = time.time() - time.monotonic()

    def wall(self, t):
        return t + self.offset


class SimAgent(object):
    """One simulated agent: an HTTP listener, an identity, an RSA key, a local DAG store and fault queues."""

    def __init__(self, cluster, index, host, port, identity, profile):
        self.cluster = cluster
        self.index = index
        self.host = host
        self.port = port
        self.ip = _resolve_ip(host)
        self.zone = 'zone%d' % (index + 1)
        self.sql_port = 2881         # /status sqlPort, /ob/info topology (fake on loopback: nothing listens)
        self.svr_port = 2882
        self.is_obproxy_agent = False
        self._observer_down = {}     # reason -> obState while down (spec §11.6)
        self._observer_seq = itertools.count(1)
        self._identity = authmod.normalize_identity(identity)
        self._profile = profile
        self.rsa_key = self._new_key(profile.key_bits, index)
        self.pid = 10000 + os.getpid() % 10000 + index
        self.start_at_ns = time.time_ns()
        self.home_path = default_home_path()
        self.clock_skew = 0.0
        self.agent_password = cluster.agent_password
        self.faults = FaultQueue()
        self.local_store = Store('local', owner=self)
        self.api = AgentApi(self)
        self.requests = []
        self.counters = {'requests': 0, 'response_bytes': 0, 'request_bytes': 0}
        self._server = None
        self._thread = None
        self._state_lock = threading.RLock()
        self.is_down = True
        self._down_generation = 0

    def __repr__(self):
        return 'SimAgent(%s, %s)' % (self.address, self.identity)

    # identity / profile ----------------------------------------------------------------------------
    @property
    def identity(self):
        return self._identity

    @identity.setter
    def identity(self, value):
        self._identity = authmod.normalize_identity(value)
        self.cluster.emit_event('identity', None, '%s %s' % (self.address, self._identity))

    @property
    def profile(self):
        return self._profile

    @profile.setter
    def profile(self, value):
        """A different agent version (e.g. mid-upgrade). The key size changes only on ``restart``."""
        self._profile = profile_for(value)

    @property
    def address(self):
        if ':' in self.host:
            return '[%s]:%d' % (self.host, self.port)
        return '%s:%d' % (self.host, self.port)

    @property
    def agent_password_effective(self):
        """The agent password as the agent sees it: unsupported before 4.2.6."""
        if not self.profile.agent_password:
            return None
        return self.agent_password

    @staticmethod
    def _new_key(bits, index=None):
        # Every agent has its own key. A fresh cluster reuses the key of the same agent index from an
        # earlier cluster in this process (1024-bit generation costs ~0.1 s); rotation always makes a new one.
        if index is None:
            return RsaKey(bits)
        with _KEY_CACHE_LOCK:
            key = _KEY_CACHE.get((bits, index))
            if key is None:
                key = _KEY_CACHE[(bits, index)] = RsaKey(bits)
            return key

    # listener ------------------------------------------------------------------------------------------
    def _bind(self):
        context = make_ssl_context(self.cluster.tls) if self.cluster.tls else None
        last_error = None
        for _unused in range(40):
            try:
                server = AgentHTTPServer((self.host, self.port), self, context)
                break
            except OSError as exc:
                if self.port == 0:
                    raise
                last_error = exc
                time.sleep(0.05)
        else:
            raise last_error
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={'poll_interval': 0.05},
                                        name='sim-agent-%s' % self.address)
        self._thread.daemon = True
        self._thread.start()
        self.is_down = False

    def _close(self):
        server = self._server
        self._server = None
        if server is not None:
            server.shutdown()
            server.server_close()
            server.drop_connections()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        self.is_down = True     # only once the port really refuses connections

    # the local observer (spec §2.3, §11.6) ---------------------------------------------------------------
    @property
    def ob_state(self):
        """``obState`` of /api/v1/status: 0 not running, 1 running without connection, 2 restricted, 3 available.

        An agent that holds OceanBase (an initialised cluster member) has a running observer unless it was taken
        down; other identities report 0 (no observer of theirs is known to be up).
        """
        with self._state_lock:
            if self._observer_down:
                return min(self._observer_down.values())
        return 3 if self.identity in authmod.OB_INITIALISED else 0

    def ob_error(self):
        """The errCode a read of the OCS database through this agent fails with, or None when it works
        (``GetOcsInstance``, repository/db/oceanbase/instance.go:32-43,111-141)."""
        if self.identity not in authmod.OB_INITIALISED:
            return 'Agent.OceanBase.NotHold'        # dbInstance is nil: never connected
        state = self.ob_state
        if state == 3:
            return None
        if state == 0:
            return 'OB.Server.Process.NotExist'     # the test SQL fails and the process check finds none
        return 'Agent.OceanBase.Useless'            # the process runs but the connection does not work

    def observer_down(self, seconds=None, state=0, reason=None):
        """Take this agent's observer down (``state`` 0 = process gone; 1 or 2 = running but unusable) until
        ``observer_up`` or, with ``seconds``, for that long. Returns the reason key (several may overlap)."""
        if state not in (0, 1, 2):
            raise ValueError('observer state while down must be 0, 1 or 2')
        key = reason if reason is not None else ('manual', next(self._observer_seq))
        with self._state_lock:
            self._observer_down[key] = int(state)
        self.cluster.emit_event('observer_down', None, '%s state %d (%s)' % (self.address, state, key[0]))
        if seconds is not None:
            self.cluster.call_later(float(seconds), lambda due: self.observer_up(reason=key))
        return key

    def observer_up(self, reason=None):
        """The observer is back (``reason`` None: whatever took it down)."""
        with self._state_lock:
            if reason is None:
                changed = bool(self._observer_down)
                self._observer_down.clear()
            else:
                changed = self._observer_down.pop(reason, None) is not None
            still = bool(self._observer_down)
        if changed and not still:
            self.cluster.emit_event('observer_up', None, self.address)

    # faults --------------------------------------------------------------------------------------------
    def go_down(self, seconds=None):
        """Close the listener and every open connection (connection refused), back after ``seconds``."""
        with self._state_lock:
            self._down_generation += 1
            generation = self._down_generation
            if not self.is_down:
                self._close()
            self.cluster.emit_event('agent_down', None, '%s for %s s' % (self.address, seconds))
        if seconds is not None:
            self.cluster.call_later(float(seconds), lambda due: self._come_up_if(generation))

    def _come_up_if(self, generation):
        with self._state_lock:
            if generation == self._down_generation and self.is_down and self.cluster.running:
                self.come_up()

    def come_up(self):
        with self._state_lock:
            if self.is_down:
                self._bind()
                self.cluster.emit_event('agent_up', None, self.address)

    def restart(self, rotate_key=True, down_seconds=0.0):
        """A process restart: connections drop, a new pid/startAt, and a new RSA key if ``rotate_key``
        (always when the stored key size does not match the profile, as after upgrading into 4.4.2)."""
        with self._state_lock:
            self._down_generation += 1
            if not self.is_down:
                self._close()
            if rotate_key or self.rsa_key.bits != self.profile.key_bits:
                self.rsa_key = self._new_key(self.profile.key_bits)
            self.pid += 100
            self.start_at_ns = time.time_ns()
            self.cluster.emit_event('restart', None, '%s rotate_key=%s' % (self.address, bool(rotate_key)))
            if not down_seconds:
                self._bind()
                self.cluster.emit_event('agent_up', None, self.address)
                return
            generation = self._down_generation
        self.cluster.call_later(float(down_seconds), lambda due: self._come_up_if(generation))

    def redeploy(self, down_seconds=0.0):
        """obshell installed again on the host, from a fresh home: a new sqlite file, so local DAG ids start again at
        1 and a local generic id (address, port, row id; §4.4) that named an old DAG names a new one; a new key; a
        restart. The old local DAGs are gone (GET /dag/{old id} answers 404, or another DAG)."""
        with self.cluster.lock:
            old = self.local_store
            self.local_store = Store('local', owner=self)
            stores = self.cluster.engine.stores
            stores[stores.index(old)] = self.local_store
            self.cluster.emit_event('redeploy', None, self.address)
        self.restart(rotate_key=True, down_seconds=down_seconds)

    def inject_errors(self, count, status=503, err_code=None, message=None, after=False, method=None):
        self.faults.add_errors(count, status=status, err_code=err_code, message=message, after=after, method=method)

    def inject_delay(self, seconds, count=1):
        self.faults.add_delays(seconds, count)

    def inject_malformed(self, kind, count=1, status=None):
        self.faults.add_malformed(kind, count, status)

    def clear_faults(self):
        self.faults.clear()

    def injected_error(self, plan):
        err_code = plan['err_code'] or 'Common.Unexpected'
        message = plan['message']
        if message is None and err_code == 'Common.Unexpected':
            message = 'Unexpected error: injected fault (HTTP %d)' % plan['status']
        status, error = self.profile.error(err_code, 'injected fault', message=message, status=plan['status'])
        from tests.simulator.dags import go_time_ns    # local import keeps the module graph flat
        envelope = {'successful': False, 'timestamp': go_time_ns(time.time_ns()), 'duration': 0,
                    'status': status, 'traceId': '', 'error': error}
        return Response(status, envelope)


class SimCluster(object):
    """N agents on ``host``, ports ``base_port + i`` (or ephemeral ports when ``base_port`` is 0)."""

    def __init__(self, agents=3, host='127.0.0.1', base_port=0, password=None, agent_password=None,
                 scenario='idle', step_seconds=1.0, profile='4.5.0', identities=None, tls=None,
                 ob_version='4.2.1.0', pickup_seconds=None, zones=None, cluster_name='obcluster', cluster_id=1,
                 build_version=None, rootserver=None):
        if int(agents) < 1:
            raise ValueError('agents must be >= 1')
        self.agent_count = int(agents)
        self.host = host
        self.base_port = int(base_port or 0)
        self.password = password
        self.agent_password = agent_password
        self.scenario = scenario
        self.step_seconds = float(step_seconds)
        self.profile = profile_for(profile)
        self.tls = tls
        self.ob_version = ob_version
        # the OceanBase cluster behind the agents (/api/v1/ob/info, spec §11.5)
        self.cluster_name = cluster_name
        self.cluster_id = int(cluster_id)
        self.build_version = build_version or '%s_100000102023092807' % ob_version
        self.rootserver = rootserver        # agent index with WITH_ROOTSERVER=YES; None: the first of the first zone
        self.is_shared_storage = False
        self.lock = threading.RLock()
        self.clock = _Clock()
        self.engine = Engine(self.clock, self._emit_dag, self.step_seconds, self._profile_of)
        self.engine.pickup_seconds = pickup_seconds
        self.engine.node_hook = self._node_hook
        self.cluster_store = Store('cluster')
        self.engine.stores.append(self.cluster_store)
        self._requests = []
        self._events = []
        self._log_lock = threading.Lock()
        self._timers = []
        self._timer_seq = itertools.count()
        self._wakeup = threading.Condition(self.lock)
        self._scheduler = None
        self.running = False
        idents = self._identities(identities)
        self.agents = []
        for index in range(self.agent_count):
            port = self.base_port + index if self.base_port else 0
            agent = SimAgent(self, index, host, port, idents[index], self.profile)
            self.agents.append(agent)
            self.engine.stores.append(agent.local_store)
        if zones is not None:
            self.set_zones(zones)

    def _identities(self, identities):
        if identities is None:
            return [authmod.CLUSTER_AGENT] * self.agent_count
        if isinstance(identities, str):
            return [identities] * self.agent_count
        if isinstance(identities, dict):
            out = [authmod.CLUSTER_AGENT] * self.agent_count
            for index, identity in identities.items():
                out[int(index)] = identity
            return out
        out = list(identities) + [authmod.CLUSTER_AGENT] * self.agent_count
        return out[:self.agent_count]

    @property
    def root_password(self):
        return self.password or ''

    # zones ---------------------------------------------------------------------------------------------
    def set_zones(self, zones):
        """``['zone1', 'zone1', 'zone2']`` (per agent index), ``{'zone1': [0, 1], 'zone2': [2]}`` or a string
        ``'zone1,zone1,zone2'``. Agents not named keep their zone; indexes beyond the cluster are ignored."""
        if isinstance(zones, str):
            zones = [item.strip() for item in zones.split(',') if item.strip()]
        if isinstance(zones, dict):
            for zone, indexes in zones.items():
                for index in indexes:
                    if 0 <= int(index) < len(self.agents):
                        self.agents[int(index)].zone = str(zone)
        else:
            for index, zone in enumerate(zones):
                if index < len(self.agents):
                    self.agents[index].zone = str(zone)

    def zone_names(self):
        """Distinct zones in agent order (the order the per-zone upgrade nodes follow)."""
        names = []
        for agent in self.agents:
            if agent.zone not in names:
                names.append(agent.zone)
        return names

    def rootserver_agent(self):
        if self.rootserver is not None:
            return self.agents[int(self.rootserver) % len(self.agents)]
        first_zone = self.zone_names()[0]
        return [agent for agent in self.agents if agent.zone == first_zone][0]

    def _node_hook(self, event, dag, node):
        """An ``observer_down`` node: its executing agents' observers are down while it runs (spec §11.6)."""
        reason = ('node', id(dag), node.id)
        for task in node.sub_tasks:
            agent = self.agent_by_address(*task.agent)
            if agent is None:
                continue
            if event == 'begin':
                agent.observer_down(reason=reason)
            else:
                agent.observer_up(reason=reason)

    # lifecycle -------------------------------------------------------------------------------------------
    def start(self):
        if self.running:
            return self
        try:
            for agent in self.agents:
                agent.come_up()
        except Exception:
            for agent in self.agents:
                agent._close()      # pylint: disable=protected-access
            raise
        self.running = True
        self._scheduler = threading.Thread(target=self._run_scheduler, name='sim-scheduler')
        self._scheduler.daemon = True
        self._scheduler.start()
        if self.scenario is not None:
            self.run_scenario(self.scenario)
        return self

    def stop(self):
        with self.lock:
            self.running = False
            self._wakeup.notify_all()
        if self._scheduler is not None:
            self._scheduler.join(5)
            self._scheduler = None
        for agent in self.agents:
            with agent._state_lock:     # pylint: disable=protected-access
                agent._down_generation += 1     # pylint: disable=protected-access
                agent._close()          # pylint: disable=protected-access

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    # scheduler ---------------------------------------------------------------------------------------
    def call_later(self, delay, action):
        with self.lock:
            heapq.heappush(self._timers, (time.monotonic() + delay, next(self._timer_seq), action))
            self._wakeup.notify_all()

    def wake(self):
        with self.lock:
            self._wakeup.notify_all()

    def advance(self):
        with self.lock:
            self.engine.advance(time.monotonic())

    def _run_scheduler(self):
        while True:
            due_actions = []
            with self.lock:
                if not self.running:
                    return
                now = time.monotonic()
                while self._timers and self._timers[0][0] <= now:
                    due_actions.append(heapq.heappop(self._timers))
            # DAG creations and faults run outside the lock (closing a listener waits for its loop)
            for due, _unused, action in due_actions:
                action(due)
            with self.lock:
                if not self.running:
                    return
                now = time.monotonic()
                self.engine.advance(now)
                candidates = [now + 0.5]
                if self._timers:
                    candidates.append(self._timers[0][0])
                nxt = self.engine.next_due()
                if nxt is not None:
                    candidates.append(nxt)
                timeout = max(0.0, min(candidates) - now)
                if timeout > 0:
                    self._wakeup.wait(timeout)

    # scenarios ---------------------------------------------------------------------------------------
    def run_scenario(self, source):
        """Start a scenario now: schedule its DAGs (``start_after``) and faults (``at``)."""
        scenario = load_scenario(source)
        step = self.step_seconds
        if scenario.get('zones') is not None:
            self.set_zones(scenario['zones'])
        if scenario.get('cluster'):
            for key in ('cluster_name', 'cluster_id', 'build_version', 'rootserver'):
                if key in scenario['cluster']:
                    setattr(self, key, scenario['cluster'][key])
        zones = self.zone_names()
        for dag_spec in scenario.get('dags') or []:
            spec = expand_dag(dag_spec, zones)
            delay = float(spec.pop('start_after', 0.0) or 0.0) + float(spec.pop('start_after_steps', 0.0) or 0.0) * step
            if delay <= 0:
                self.create_dag(spec)       # synchronous, so find_dag() sees it as soon as this returns
            else:
                self.call_later(delay, self._creator(spec))
        for fault in scenario.get('faults') or []:
            fault = dict(fault)
            delay = float(fault.pop('at', 0.0) or 0.0) + float(fault.pop('at_steps', 0.0) or 0.0) * step
            action = self._fault_action(fault)
            if delay <= 0:
                action(None)
            else:
                self.call_later(delay, action)
        identities = scenario.get('identities')
        if identities:
            for index, identity in (identities.items() if isinstance(identities, dict) else enumerate(identities)):
                self.agents[int(index)].identity = identity
        return scenario

    def _creator(self, spec):
        def create(due):
            self.create_dag(spec, due)
        return create

    def create_dag(self, spec, at=None):
        """Create one DAG from an expanded spec now (or at monotonic ``at``); returns its generic id.

        ``scope``: ``cluster`` (OB), ``local`` (the agent's sqlite) or ``obproxy`` (the agent's sqlite, type
        obproxy, ids 4…/5…). Parallel nodes of cluster DAGs (and local ones with ``execute_agents: all``) get one
        sub-task per cluster agent; a node's ``zone`` narrows them to that zone's agents.
        """
        with self.lock:
            t = at if at is not None else time.monotonic()
            scope = spec.get('scope', 'cluster')
            if scope not in ('cluster', 'local', 'obproxy'):
                raise ValueError('scope must be cluster, local or obproxy, not %r' % (scope,))
            index = int(spec.get('agent', 0))
            if index >= len(self.agents):
                index = 0
            owner = self.agents[index]
            store = self.cluster_store if scope == 'cluster' else owner.local_store
            members = [agent for agent in self.agents if agent.identity in (authmod.CLUSTER_AGENT,)] or self.agents
            if scope != 'cluster' and spec.get('execute_agents') != 'all':
                members = [owner]
            spec = dict(spec)
            nodes = []
            for node_spec in spec['nodes']:
                node_spec = dict(node_spec)
                zone = node_spec.get('zone')
                if zone and not node_spec.get('agents'):
                    in_zone = [(agent.ip, agent.port) for agent in members if agent.zone == zone]
                    node_spec['agents'] = in_zone or [(owner.ip, owner.port)]
                nodes.append(node_spec)
            spec['nodes'] = nodes
            dag = store.create_dag(spec, self.clock.wall(t), (owner.ip, owner.port),
                                   [(agent.ip, agent.port) for agent in members])
            if scope == 'obproxy':
                owner.is_obproxy_agent = True
            if spec.get('step_seconds') is not None:
                dag.step_seconds = float(spec['step_seconds'])
            self.engine.schedule_new(dag, t)
            self._wakeup.notify_all()
            return dag.generic_id()

    def _fault_action(self, fault):
        kind = fault.get('kind')
        agent = self.agents[int(fault.get('agent', 0)) % len(self.agents)]
        if 'seconds_steps' in fault:
            fault['seconds'] = float(fault.get('seconds') or 0.0) + float(fault.pop('seconds_steps')) * self.step_seconds

        def apply(due):  # pylint: disable=unused-argument
            if kind == 'down':
                agent.go_down(fault.get('seconds'))
            elif kind == 'up':
                agent.come_up()
            elif kind == 'restart':
                agent.restart(rotate_key=fault.get('rotate_key', True), down_seconds=fault.get('seconds', 0.0))
            elif kind == 'redeploy':
                agent.redeploy(down_seconds=fault.get('seconds', 0.0))
            elif kind == 'errors':
                agent.inject_errors(fault.get('count', 1), status=fault.get('status', 503),
                                    err_code=fault.get('err_code'), after=fault.get('after', False))
            elif kind == 'delay':
                agent.inject_delay(fault.get('seconds', 1.0), fault.get('count', 1))
            elif kind == 'malformed':
                agent.inject_malformed(fault.get('malformed', 'html'), fault.get('count', 1), fault.get('status'))
            elif kind == 'clock_skew':
                agent.clock_skew = float(fault.get('seconds', 0.0))
            elif kind == 'identity':
                agent.identity = fault['identity']
            elif kind == 'profile':
                agent.profile = fault['profile']
            elif kind == 'observer_down':
                agent.observer_down(fault.get('seconds'), state=int(fault.get('state', 0)))
            elif kind == 'observer_up':
                agent.observer_up()
            else:
                raise ValueError('unknown fault kind %r' % (kind,))
        if kind not in ('down', 'up', 'restart', 'redeploy', 'errors', 'delay', 'malformed', 'clock_skew', 'identity',
                        'profile', 'observer_down', 'observer_up'):
            raise ValueError('unknown fault kind %r' % (kind,))
        return apply

    # lookups -----------------------------------------------------------------------------------------
    def _profile_of(self, dag):
        store = dag.store
        if store.kind == 'local':
            return store.owner.profile
        return self.profile

    def master(self):
        for agent in self.agents:
            if agent.identity == authmod.MASTER:
                return agent
        return None

    def coordinator(self):
        for agent in self.agents:
            if agent.identity == authmod.CLUSTER_AGENT and not agent.is_down:
                return agent
        return None

    def agent_by_address(self, ip, port):
        for agent in self.agents:
            if agent.port == port and (agent.ip == ip or _same_ip(agent.ip, ip)):
                return agent
        return None

    def _all_dags(self):
        dags = list(self.cluster_store.dags)
        for agent in self.agents:
            dags.extend(agent.local_store.dags)
        return dags

    def find_dag(self, name):
        """Generic id of the most recently created DAG with that name, or None."""
        with self.lock:
            self.engine.advance(time.monotonic())
            found = [dag for dag in self._all_dags() if dag.name == name]
            if not found:
                return None
            latest = max(found, key=lambda dag: (dag.created, dag.id))
            return latest.generic_id()

    def get_dag(self, generic_id):
        """The DAG model object for a generic id (or None). A test helper: it matches the rendered id, so it
        also finds DAGs whose id the agent itself cannot parse (an agent on ``::1``)."""
        for dag in self._all_dags():
            if dag.generic_id() == generic_id:
                return dag
        return None

    def dag_state(self, generic_id):
        """``(state, operator)`` of a DAG, after applying every transition due now."""
        with self.lock:
            self.engine.advance(time.monotonic())
            dag = self.get_dag(generic_id)
            if dag is None:
                raise KeyError(generic_id)
            return dag.state, dag.operator

    def dag_dto(self, generic_id, show_details=True):
        """The DTO the agent would return for a DAG (as agent 0 renders it)."""
        from tests.simulator.dags import Renderer
        with self.lock:
            self.engine.advance(time.monotonic())
            dag = self.get_dag(generic_id)
            if dag is None:
                raise KeyError(generic_id)
            owner = dag.store.owner or self.agents[0]
            return Renderer(owner.profile).dag(dag, show_details)

    def wait_for(self, generic_id, states=('SUCCEED', 'FAILED'), timeout=30.0):
        """Block until the DAG reaches one of ``states``; returns ``(state, operator)``."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.dag_state(generic_id)
            if state[0] in states:
                return state
            if time.monotonic() > deadline:
                raise AssertionError('DAG %s still %s/%s after %s s' % (generic_id, state[0], state[1], timeout))
            time.sleep(min(0.02, self.step_seconds / 4))

    # logs ----------------------------------------------------------------------------------------------
    def record(self, entry, agent):
        with self._log_lock:
            self._requests.append(entry)
            agent.requests.append(entry)
            agent.counters['requests'] += 1
            agent.counters['response_bytes'] += entry['response_bytes']
            agent.counters['request_bytes'] += entry['request_bytes']

    @property
    def requests(self):
        with self._log_lock:
            return list(self._requests)

    def reset_log(self):
        """Forget the request log, per-agent counters and the event log."""
        with self._log_lock:
            del self._requests[:]
            for agent in self.agents:
                del agent.requests[:]
                for key in agent.counters:
                    agent.counters[key] = 0
            del self._events[:]

    @property
    def events(self):
        self.advance()
        with self._log_lock:
            return list(self._events)

    def emit_event(self, kind, dag_id, detail, at=None):
        with self._log_lock:
            self._events.append((at if at is not None else time.monotonic(), kind, dag_id, detail))

    def _emit_dag(self, t, kind, dag, detail):
        self.emit_event(kind, dag.generic_id(), '%s: %s' % (dag.name, detail), at=t)

    def counters(self):
        """Per-agent counters keyed by address."""
        with self._log_lock:
            return dict((agent.address, dict(agent.counters)) for agent in self.agents)


def _same_ip(left, right):
    try:
        return socket.inet_pton(socket.AF_INET6 if ':' in left else socket.AF_INET, left) == \
            socket.inet_pton(socket.AF_INET6 if ':' in right else socket.AF_INET, right)
    except OSError:
        return False
