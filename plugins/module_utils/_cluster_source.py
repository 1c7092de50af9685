# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""Where the cluster is read from (the inventory's discovery): the seed agents asked in order, once each without
retries, then the ones worth retrying again with retries; when the answer has no topology (the seed's observer is
down), other agents of other zones first; then every agent probed with GET /api/v1/info. The answer is read by
the cluster model (_cluster); nothing here is about Ansible's inventory."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.oceanbase.obshell.plugins.module_utils import _options
from ansible_collections.oceanbase.obshell.plugins.module_utils._cluster import (
    CLUSTER_AGENT,
    NOT_INITIALISED,
    OB_INFO,
    ClusterAnswerError,
    not_a_cluster,
    read_cluster,
    shown,
)
from ansible_collections.oceanbase.obshell.plugins.module_utils._dag_id import format_address
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import ObshellAuthError, ObshellError
from ansible_collections.oceanbase.obshell.plugins.module_utils._text import safe_text

# Agents asked for the topology when the seed's answer has none.
MAX_TOPOLOGY_ATTEMPTS = 6


class ClusterSourceError(Exception):
    """No seed answered with a cluster, or the settings cannot work for any agent: the message says why."""


def printable(text):
    """An agent's own words (its error messages), escaped for a terminal."""
    return safe_text(text if isinstance(text, str) else str(text), limit=None)


class ClusterSource(object):
    """The seeds of one inventory source and how to ask them: ``values`` are the connection options (the same for
    every agent), ``probe`` whether to probe every agent, ``log`` a function for verbose lines."""

    def __init__(self, values, probe=True, max_workers=16, log=None):
        self._values = values
        self._probing = probe
        self._max_workers = max_workers
        self._log = log or (lambda text: None)

    def discover(self, seeds, labels):
        """What the inventory caches: which agent answered (``answered_by``), its answer (``ob_info``), its
        identity, and which agents answer /api/v1/info (``probes``). ClusterSourceError when no seed answered."""
        values = self._values
        failures = {}
        answered = None
        pending = list(seeds)
        for retries in (0, values['retries']):
            again = []
            for seed in pending:
                label = format_address(*seed)
                try:
                    answered = (label,) + self._ask(seed, retries)
                    break
                except _SeedFailure as exc:
                    failures[label] = printable(exc.cause)
                    if exc.retryable:
                        again.append(seed)
            if answered is not None or not again or not values['retries']:
                break
            pending = again
        if answered is None:
            raise ClusterSourceError(self._failure_message(labels, failures))
        label, data, identity = answered
        cluster, agents, dummy = read_cluster(data)
        if not cluster['topology_known'] and any(agent['identity'] == CLUSTER_AGENT for agent in agents):
            better = self._topology_elsewhere(seeds, label, agents, failures)
            if better is not None:
                label, data = better
                cluster, agents, dummy = read_cluster(data)
        self._log('%s answered for the cluster %s (%d agents)'
                  % (label, shown(cluster['name'] or '(no name)'), len(agents)))
        probes = {}
        if self._probing:
            probes = self._probe([(agent['ip'], agent['port']) for agent in agents])
        return {'seeds': labels, 'answered_by': label, 'seed_identity': identity,
                'filled_at': time.time(), 'ob_info': data, 'probes': probes}

    def _client(self, host, port, retries):
        try:
            return _options.client_from_options(self._values, host=host, port=port, retries=retries)
        except ObshellError as exc:
            # a missing library (cryptography, requests) or TLS settings that cannot work: the same for every agent
            raise ClusterSourceError(exc.message)

    def _ask(self, seed, retries):
        """(data, seed identity) of /api/v1/ob/info at one agent; _SeedFailure with the cause."""
        client = self._client(seed[0], seed[1], retries)
        try:
            data = client.get(OB_INFO)
            identity = client.identity
        except ObshellAuthError as exc:
            cause = exc.message
            try:
                seed_identity = client.info().get('identity')  # cached: the auth header needed it
            except ObshellError:
                seed_identity = None
            if seed_identity in NOT_INITIALISED and self._values.get('password'):
                # §1.8: before the cluster is initialised there is no root@sys password; the agent wants none
                cause += ('; this agent is %s: its cluster is not initialised yet and has no root@sys password, so '
                          'leave password unset' % seed_identity)
            raise _SeedFailure(cause)
        except ObshellError as exc:
            raise _SeedFailure(exc.message, retryable=exc.retryable)
        finally:
            client.close()
        try:
            cluster, agents, dummy = read_cluster(data)
        except ClusterAnswerError as exc:
            raise _SeedFailure('answered GET %s with something that is not a cluster description: %s' % (OB_INFO, exc))
        reason = not_a_cluster(cluster, agents, identity)
        if reason:
            raise _SeedFailure(reason)
        return data, identity

    def _topology_elsewhere(self, seeds, label, agents, failed):
        """(label, data) from another agent that can read the topology (the seed's observer is down), or None.

        The other seeds first, then the cluster's agents, those of other zones before those of the seed's zone
        (in a zone-by-zone upgrade, the seed's whole zone may be down): at most MAX_TOPOLOGY_ATTEMPTS, no retries.
        """
        asked = set([label]) | set(failed)   # seeds that failed already are not asked again
        seed_zones = set(agent['zone'] for agent in agents if format_address(agent['ip'], agent['port']) == label)
        candidates = [format_address(*seed) for seed in seeds]
        zones_done = set()
        others = [agent for agent in agents if agent['identity'] == CLUSTER_AGENT]
        others.sort(key=lambda agent: agent['zone'] in seed_zones)
        for agent in others:
            if agent['zone'] not in zones_done:
                zones_done.add(agent['zone'])
                candidates.append(format_address(agent['ip'], agent['port']))
        candidates.extend(format_address(agent['ip'], agent['port']) for agent in others)
        tried = 0
        by_label = dict((format_address(*seed), seed) for seed in seeds)
        by_label.update((format_address(agent['ip'], agent['port']), (agent['ip'], agent['port'])) for agent in agents)
        for candidate in candidates:
            if candidate in asked or tried >= MAX_TOPOLOGY_ATTEMPTS:
                continue
            asked.add(candidate)
            tried += 1
            try:
                data, dummy = self._ask(by_label[candidate], 0)
            except _SeedFailure as exc:
                self._log('%s cannot give the topology: %s' % (candidate, printable(exc.cause)))
                continue
            if not read_cluster(data)[0]['topology_known']:
                self._log('%s answered without the topology too' % candidate)
                continue
            self._log('%s answered without the topology (its observer is not readable); %s gave it'
                      % (label, candidate))
            return candidate, data
        return None

    def _probe(self, addresses):
        """{'ip:port': True or the reason}: GET /api/v1/info at every agent, max_workers at a time, no retries."""
        clients = dict((address, self._client(address[0], address[1], 0)) for address in addresses)

        def ask(address):
            try:
                clients[address].info()
                return True
            except ObshellError as exc:
                return printable(exc.message)

        try:
            with ThreadPoolExecutor(max_workers=min(self._max_workers, len(addresses) or 1)) as pool:
                results = list(pool.map(ask, addresses))
        finally:
            for client in clients.values():
                client.close()
        return dict((format_address(*address), result) for address, result in zip(addresses, results))

    @staticmethod
    def _failure_message(labels, failures):
        if len(labels) == 1:
            return ('cannot list the OceanBase cluster: seed agent %s%s'
                    % (labels[0], _as_clause(failures[labels[0]])))
        return ('cannot list the OceanBase cluster: none of the %d seed agents answered: %s'
                % (len(labels), '; '.join('%s%s' % (label, _as_clause(failures[label])) for label in labels)))


class _SeedFailure(Exception):
    def __init__(self, cause, retryable=False):
        super(_SeedFailure, self).__init__(cause)
        self.cause = cause
        self.retryable = retryable


def _as_clause(cause):
    """'is a SINGLE agent...' reads after the address as it is; anything else after a colon."""
    return (' ' if cause.startswith(('is ', 'reports ', 'answered ')) else ': ') + cause
