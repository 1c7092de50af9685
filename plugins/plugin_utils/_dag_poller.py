# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""The reading side of the event source oceanbase.obshell.dag_events: each poll reads every agent with the
collection's client and query code, each agent's own DAGs concurrently, the cluster DAGs from one CLUSTER AGENT (the
first of the list that can give them, the next when it cannot), and feeds a _dag_events.DagTracker."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import collections

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.oceanbase.obshell.plugins.module_utils import _dag_lists, _query, _windows
from ansible_collections.oceanbase.obshell.plugins.module_utils._clock import Clock
from ansible_collections.oceanbase.obshell.plugins.module_utils._cluster import CLUSTER_AGENT
from ansible_collections.oceanbase.obshell.plugins.module_utils._cluster_dags import (
    cluster_members,
    cluster_signature,
    is_member,
    no_cluster_agent,
    other_clusters,
    read_cluster_dags,
)
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import (
    ObshellClusterUnknownError,
    ObshellError,
    ObshellNotFoundError,
)
from ansible_collections.oceanbase.obshell.plugins.plugin_utils._dag_events import CLUSTER_PART, DagTracker

MAX_WORKERS = 64
# While a CLUSTER AGENT gives the cluster DAGs, how often the identities of the other agents of the list are read
# again: one that became a CLUSTER AGENT of another cluster (a cluster deployed on hosts of the list) would otherwise
# have its cluster's DAGs unseen for as long as the source runs. One /api/v1/info per agent per sweep.
IDENTITY_SWEEP_SECONDS = 60.0


class Agent(object):
    """One agent of the source: its address as given, and a client per reader (a client serves one thread)."""

    def __init__(self, address, own_client, cluster_client):
        self.address = address
        self.own = own_client
        self.cluster = cluster_client
        self.refresh = set()


class EventPoller(object):
    """Reads the agents each poll and feeds a DagTracker: each agent's own DAGs at once (scope auto/agent/all),
    the cluster DAGs (scope auto/cluster) from the first CLUSTER AGENT of the list that can give them."""

    def __init__(self, agents, scope='auto', names=None, request_timeout=10.0, tracker=None,
                 max_workers=MAX_WORKERS, clock=None):
        self.agents = agents
        self.scope = scope
        self.name_filter = _dag_lists.compile_name_filter(names)
        self.request_timeout = float(request_timeout)
        self.tracker = tracker if tracker is not None else DagTracker()
        self.max_workers = max_workers
        self.clock = clock if clock is not None else Clock()
        # Every identity is read at the first poll that has a source, then every IDENTITY_SWEEP_SECONDS.
        self.identities_read_at = None
        self.polls = 0
        self.had_cluster_agent = False
        self.one_cluster = None     # the _cluster_dags.cluster_signature() last found one cluster
        # The agent the cluster DAGs were last read from, and the address keys of its cluster's agents.
        self.cluster_source = None
        self.members = None
        # scope all: the cluster_signature() with which the CLUSTER AGENTs of the list were last found one cluster
        self.all_one_cluster = None
        # part -> the spans of its agent's time it could not see (_windows.Windows)
        self.windows = {}

    def close(self):
        for agent in self.agents:
            for client in (agent.own, agent.cluster):
                if client is not None:
                    client.close()

    def _prepare(self, agent, client):
        client.timeout = self.request_timeout
        client.deadline = self.clock.monotonic() + 3 * self.request_timeout
        if client in agent.refresh:
            agent.refresh.discard(client)
            client.info(refresh=True)

    def _own_endpoint(self):
        return {'auto': 'agent', 'agent': 'agent', 'all': 'all'}.get(self.scope)

    def _read_own(self, agent):
        """(records or None, error) of the agent's own list."""
        client = agent.own
        try:
            self._prepare(agent, client)
            dummy, records = _query.list_unfinished(client, name_filter=self.name_filter, plan=[self._own_endpoint()])
            return records, None
        except (ObshellError, ValueError) as exc:
            agent.refresh.add(client)
            return None, exc

    def _read_cluster(self, recheck=()):
        """The cluster DAGs from the first CLUSTER AGENT of the list that can give them (_cluster_dags); an agent
        after it that could not read them at an earlier poll (``recheck``: addresses) is asked too, so that its
        recovery is seen."""

        def read(agent, client):
            return _query.list_unfinished(client, name_filter=self.name_filter, plan=['cluster'])[1]

        got = read_cluster_dags([(agent, agent.cluster) for agent in self.agents], read, self._prepare,
                                recheck=[agent for agent in self.agents if agent.address in recheck])
        source = got.source
        if source is not None:
            self._sweep_identities(source)
        others = [agent.cluster for agent in self.agents if agent is not source]
        signature = cluster_signature(source.cluster, others) if source is not None else None
        if source is not None and self.one_cluster != signature:
            # Once per source and identities: every other CLUSTER AGENT of the list is of its cluster, or the other
            # cluster's DAGs would never be seen; until the list is one cluster, its cluster DAGs are unreadable,
            # said each poll. (An agent moving into a cluster is not judged: events say what they saw, no verdict.)
            try:
                problem = other_clusters(source.cluster, others, lambda client: client.address)[0]
            except (ObshellError, ValueError) as exc:
                problem = exc
            if problem is None:
                self.one_cluster = signature
            else:
                got.source, got.records = None, None
                reason = getattr(problem, 'message', problem)
                got.errors[source] = ObshellClusterUnknownError('cluster DAGs unknown: %s' % reason,
                                                                agent=source.address)
        if got.source is not None:
            self._same_cluster_as_before(got)
        for agent in got.errors:
            agent.refresh.add(agent.cluster)
        if got.source is None:
            # No CLUSTER AGENT gave them: each identity is read again at the next poll (a cluster formed, a take-over
            # or scale-out ended), or the cluster DAGs that then exist would never be seen (found by the red team).
            for agent in self.agents:
                agent.refresh.add(agent.cluster)
        return got

    def _same_cluster_as_before(self, got):
        """The DAGs tracked so far are one cluster's; a DAG id of another cluster names another DAG. A new source
        is read (/api/v1/ob/info) and taken only if it is of the previous source's cluster, or that source of its
        (found by the red team: when the list's only CLUSTER AGENT left was another cluster's, a DAG that had failed
        was settled by that cluster's DAG of the same id, and reported succeeded)."""
        source = got.source
        if source is self.cluster_source:
            return
        problem = None
        try:
            members, dummy = cluster_members(source.cluster)
        except (ObshellError, ValueError) as exc:
            members, problem = None, 'the cluster of %s could not be read: %s' % (
                source.address, getattr(exc, 'message', exc))
        if problem is None and self.cluster_source is not None and \
                not is_member(source.cluster, self.members) and not is_member(self.cluster_source.cluster, members):
            problem = ('%s is not of the cluster the cluster DAGs were read from until now (through %s); its DAG '
                       'ids name other DAGs (run one source per cluster)' % (source.address, self.cluster_source.address))
        if problem is not None:
            got.errors[source] = ObshellClusterUnknownError('cluster DAGs unknown: %s' % problem, agent=source.address)
            got.source, got.records = None, None
            return
        self.cluster_source, self.members = source, members

    def _all_of_one_cluster(self, listed, errors):
        """scope all: a CLUSTER AGENT's aggregated list holds its cluster's DAGs, and ids repeat across clusters.
        The lists of CLUSTER AGENTs not of the first one's cluster are not taken, said cluster_unknown (found by the
        red team: two clusters' DAG 11 were taken for one, and one's end was never reported)."""
        readers = [agent for agent in self.agents
                   if 'agent ' + agent.address in listed and agent.own.known_identity == CLUSTER_AGENT]
        if len(readers) < 2:
            return
        first = readers[0]
        signature = cluster_signature(first.own, [agent.own for agent in readers[1:]])
        if self.all_one_cluster == signature:
            return
        try:
            members, dummy = cluster_members(first.own)
        except (ObshellError, ValueError):
            # Which are of its cluster cannot be told now: none of the others' lists is taken (asked again).
            foreign = [agent.address for agent in readers[1:]]
        else:
            foreign = [agent.address for agent in readers[1:] if not is_member(agent.own, members)]
        # Found one cluster: checked again when an identity changes; until then, every poll.
        self.all_one_cluster = None if foreign else signature
        for address in foreign:
            del listed['agent ' + address]
            errors[address] = ObshellClusterUnknownError(
                'cluster DAGs unknown: %s is not known to be a %s of the cluster of %s; its DAG ids may name other '
                'DAGs (run one source per cluster)' % (address, CLUSTER_AGENT, first.address), agent=address)

    def _sweep_identities(self, source):
        """Every IDENTITY_SWEEP_SECONDS, the identities of the agents other than ``source`` are read again (their
        /api/v1/info), so that the one-cluster check above sees a change. An agent that cannot be read keeps its last
        identity: its own reads say it is down."""
        now = self.clock.monotonic()
        if self.identities_read_at is not None and now - self.identities_read_at < IDENTITY_SWEEP_SECONDS:
            return
        self.identities_read_at = now

        def refresh(agent):
            agent.refresh.add(agent.cluster)
            try:
                self._prepare(agent, agent.cluster)
            except (ObshellError, ValueError):
                agent.refresh.add(agent.cluster)

        self._map(refresh, [agent for agent in self.agents if agent is not source])

    def _settle(self, agent, client, wanted):
        """Reads of /dag/{id} with nodes: [(id, record or None, error or None, missing)]."""
        results = []
        for dag_id in wanted:
            try:
                self._prepare(agent, client)
                dto = client.dag(dag_id, show_details=True)
                record = _query.normalize_record(client, dto, client.agent, details='full')
                results.append((dag_id, record, None, False))
            except ObshellNotFoundError:
                results.append((dag_id, None, None, True))
            except (ObshellError, ValueError) as exc:
                agent.refresh.add(client)
                results.append((dag_id, None, exc, False))
        return results

    def _map(self, function, items):
        items = list(items)
        if len(items) <= 1:
            return [function(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(self.max_workers, len(items))) as pool:
            return list(pool.map(function, items))

    def poll(self):
        """One poll of every agent; returns the events of what changed."""
        tracker = self.tracker
        tracker.begin_poll()
        self.polls += 1
        own = self._own_endpoint() is not None
        jobs = [('own', agent) for agent in self.agents] if own else []
        if self.scope in ('auto', 'cluster'):
            jobs.append(('cluster', None))

        recheck = set(address for address, known in tracker.agents.items() if known['state'] == 'cluster_unknown')

        def read(job):
            kind, agent = job
            return self._read_own(agent) if kind == 'own' else self._read_cluster(recheck)

        results = self._map(read, jobs)
        errors = dict((agent.address, None) for agent in self.agents)
        listed = collections.OrderedDict()
        cluster_source = None
        for (kind, agent), result in zip(jobs, results):
            if kind != 'own':
                continue
            records, error = result
            if error is None:
                listed['agent ' + agent.address] = (agent.address, records)
            else:
                errors[agent.address] = error
        if self.scope == 'all':
            self._all_of_one_cluster(listed, errors)
        if self.scope in ('auto', 'cluster'):
            got = results[-1]
            cluster_source = got.source
            read_from = cluster_source.address if cluster_source is not None else None
            if cluster_source is not None:
                listed[CLUSTER_PART] = (cluster_source.address, got.records)
                tracker.cluster_read(cluster_source.address, None)
            for agent in got.rechecked:
                tracker.cluster_read(agent.address, None)
            for agent, error in got.errors.items():
                if isinstance(error, ObshellClusterUnknownError):
                    tracker.cluster_read(agent.address, error, read_from)
                elif errors.get(agent.address) is None:
                    errors[agent.address] = error
            if cluster_source is None and got.errors:
                agent, error = list(got.errors.items())[-1]
                tracker.cluster_unreadable(agent.address, error)
            elif cluster_source is None:
                # No agent of the list is a CLUSTER AGENT: the same rule of evidence as a wait's.
                error = no_cluster_agent(got.identities, self.scope, self.had_cluster_agent, self.agents[0].address,
                                         group='the list')
                if error is not None:
                    tracker.cluster_unreadable(self.agents[0].address, error)
            self.had_cluster_agent = self.had_cluster_agent or got.saw_cluster_agent
        tracker.lists(listed)
        self._read_back(listed, cluster_source, [part for part in self._parts() if part not in listed])
        for address, error in self._settle_all(listed, cluster_source):
            if errors.get(address) is None and not isinstance(error, ObshellClusterUnknownError):
                errors[address] = error
        for agent in self.agents:
            if own or errors[agent.address] is not None:
                tracker.agent_read(agent.address, errors[agent.address], cluster_reads=self.scope in ('auto', 'cluster'))
        return tracker.end_poll()

    def _parts(self):
        parts = ['agent ' + agent.address for agent in self.agents] if self._own_endpoint() is not None else []
        if self.scope in ('auto', 'cluster'):
            parts.append(CLUSTER_PART)
        return parts

    def _read_back(self, listed, cluster_source, blind):
        """A part that could not be read opens a blind window; when it is read again, the agent's history (4.3.0.0+)
        for that window is read once, and every DAG that was unfinished in it joins, to be settled by a read of it
        by id: a DAG that failed while its agent (or its observer) could not be read is an event, not silence."""
        for part in blind:
            self.windows.setdefault(part, _windows.Windows()).outage()
        by_address = dict((agent.address, agent) for agent in self.agents)
        for part, (address, dummy) in listed.items():
            agent = by_address[address]
            client = cluster_source.cluster if part == CLUSTER_PART else agent.own
            windows = self.windows.setdefault(part, _windows.Windows())
            # Blind since the source began: there is no earlier read to compare with; events start at this one.
            since_start = windows.blind_open and windows.blind_from is None
            window = windows.good_read(client.agent_time, 0.0)
            if window is None or since_start or not _query.keeps_history(client):
                continue
            scope = 'cluster' if part == CLUSTER_PART else 'agent'
            try:
                self._prepare(agent, client)
                records = _query.read_history(client, [scope], self.name_filter)
            except (ObshellError, ValueError):
                windows.reopen(window[0])       # read back at the next good read
                continue
            self.tracker.history(part, address, [record for record in records
                                                 if _windows.unfinished_within(record, window)])

    def _settle_all(self, listed, cluster_source):
        by_address = dict((agent.address, agent) for agent in self.agents)
        groups = collections.OrderedDict()
        for part, dag_id in self.tracker.settle_wanted():
            if part == CLUSTER_PART:
                if cluster_source is None:
                    continue        # the cluster DAGs cannot be read now: no conclusion
                agent, client = cluster_source, cluster_source.cluster
            else:
                if part not in listed:
                    continue        # that agent did not answer: no conclusion
                agent = by_address[listed[part][0]]
                client = agent.own
            groups.setdefault((part, agent.address), (agent, client, []))[2].append(dag_id)

        def settle(item):
            (part, dummy), (agent, client, wanted) = item
            return part, agent, self._settle(agent, client, wanted)

        failed = []
        for part, agent, results in self._map(settle, groups.items()):
            for dag_id, record, error, missing in results:
                if record is not None:
                    self.tracker.dag_read(part, agent.address, record)
                elif missing:
                    self.tracker.dag_missing(part, agent.address, dag_id)
                else:
                    self.tracker.dag_read_failed(part, dag_id, error)
                    failed.append((agent.address, error))
        return failed
