# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""The cluster DAGs of a group of agents, read through one CLUSTER AGENT (only it can list them, §2.4), failing
over to the next when it cannot answer; and what it means when no agent of the group is a CLUSTER AGENT.

Written once for the wait (_watcher.py), the lookup and the event source (plugin_utils/_dag_poller.py): each gives
its agents in the order to ask and how to read one; the rule of evidence is the same for all three (a group
without a CLUSTER AGENT has no cluster DAGs only when every agent is in no initialised cluster).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import collections

from ansible_collections.oceanbase.obshell.plugins.module_utils._cluster import (
    CLUSTER_AGENT,
    NO_CLUSTER,
    OB_INFO,
    ClusterAnswerError,
    read_cluster,
)
from ansible_collections.oceanbase.obshell.plugins.module_utils._dag_id import canonical_host, format_address
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import (
    ObshellClusterUnknownError,
    ObshellError,
    ObshellIdentityError,
    ObshellProtocolError,
)
from ansible_collections.oceanbase.obshell.plugins.module_utils._text import safe_text

# Seconds left under which no further agent is asked once one has been (its answer would come after the deadline).
MIN_SECONDS_LEFT = 0.05


class ClusterRead(object):
    """One attempt at the cluster DAGs over a group: ``source`` the key of the agent that gave them (None: none
    did), ``records`` what it gave, ``errors`` {key: error} of the agents that could not, ``identities`` those read
    on the way, ``rechecked`` the keys of agents asked again after the source (to see them recover) that answered,
    ``out_of_time`` whether the deadline stopped the fail-over."""

    def __init__(self):
        self.source = None
        self.records = None
        self.errors = collections.OrderedDict()
        self.identities = []
        self.rechecked = []
        self.out_of_time = False

    @property
    def saw_cluster_agent(self):
        return CLUSTER_AGENT in self.identities


def read_cluster_dags(candidates, read, prepare=None, recheck=(), seconds_left=None, fatal=()):
    """Ask ``candidates`` ((key, client) in order) for the cluster DAGs until one gives them.

    ``prepare(key, client)`` runs before each (deadlines, a refresh of the identity); ``read(key, client)`` returns
    the records or raises. An agent that is not a CLUSTER AGENT is passed over (its identity is noted). Keys in
    ``recheck`` are asked even after the source answered. ``seconds_left()``, when given, stops the fail-over once
    the deadline is that close. Errors of ``fatal`` types are raised; any other ObshellError or ValueError is that
    agent's, noted, and the next one is asked."""
    result = ClusterRead()
    for tried, (key, client) in enumerate(candidates):
        if result.source is not None and key not in recheck:
            continue
        if tried and seconds_left is not None and seconds_left() < MIN_SECONDS_LEFT:
            result.out_of_time = True
            break
        try:
            if prepare is not None:
                prepare(key, client)
            result.identities.append(client.identity)
            if client.identity != CLUSTER_AGENT:
                continue
            records = read(key, client)
        except fatal:
            raise
        except (ObshellError, ValueError) as exc:
            result.errors[key] = exc
            continue
        if result.source is None:
            result.source, result.records = key, records
        else:
            result.rechecked.append(key)
    return result


def no_cluster_agent(identities, scope, had_one, agent, group='the batch'):
    """Why a group none of whose agents is a CLUSTER AGENT gives no cluster DAGs, as the error to report; None when
    it has none to give. ``identities`` are the agents' identities read now (None: an agent that could not be reached),
    ``had_one`` whether a CLUSTER AGENT was seen in the group before, ``agent`` the address the error is of.

    Strict for verdicts: only a group whose every agent is in no initialised cluster (SINGLE, MASTER, FOLLOWER)
    and never had a CLUSTER AGENT has no cluster DAGs (scope auto). Agents moving into or out of a cluster (SCALING
    IN/OUT, TAKE OVER, UNIDENTIFIED) or not read cannot list its DAGs, which exist: unknown, never none. With scope
    cluster the user asked for them: a group that cannot give them is an error."""
    known = sorted(set(safe_text(identity, 40) for identity in identities if identity is not None))
    unread = len([identity for identity in identities if identity is None])
    they_are = '; '.join(([', '.join(known)] if known else []) +
                         (['%d could not be reached' % unread] if unread else [])) or 'none was read'
    if had_one:
        # The group had a CLUSTER AGENT, and none is left (one being scaled in, or UNIDENTIFIED): the cluster DAGs
        # are unknown now, never "none"; waited out like an outage.
        return ObshellClusterUnknownError('cluster DAGs unknown: no agent of %s is a %s any more (they are %s)'
                                          % (group, CLUSTER_AGENT, they_are), agent=agent)
    if scope == 'auto':
        if identities and all(identity in NO_CLUSTER for identity in identities):
            return None
        return ObshellClusterUnknownError('cluster DAGs unknown: no agent of %s is a %s (they are %s); the cluster '
                                          'they belong to cannot be read through them'
                                          % (group, CLUSTER_AGENT, they_are), agent=agent)
    return ObshellIdentityError('no agent of %s is a %s (they are %s): none can list the cluster DAGs'
                                % (group, CLUSTER_AGENT, they_are), agent=agent)


def _address_key(address):
    """(host, port) of an ``ip:port`` address, the IP in its one canonical spelling (agents and /api/v1/ob/info may
    write one IPv6 address differently)."""
    host, dummy, port = str(address).rpartition(':')
    return canonical_host(host), port


def in_a_cluster(client):
    """Whether the agent, by its identity as last read, belongs to (or is moving into or out of) a cluster: anything
    but SINGLE, MASTER and FOLLOWER. False when its identity was never read: no request is made here, so an agent
    that does not answer cannot hold up a poll (found by the red team: the event source asked each such agent in
    turn, a request_timeout each, every poll)."""
    identity = client.known_identity
    return identity is not None and identity not in NO_CLUSTER


def cluster_signature(source, others):
    """What other_clusters() depends on: the source, and which of the others are in a cluster by their identity as
    last read (no request once read). A new signature means the check is due again."""
    return [source.agent] + sorted('%s %s' % (client.agent, client.identity) for client in others
                                   if in_a_cluster(client))


def other_clusters(source, others, names):
    """Whether ``others`` (clients) are agents of ``source``'s cluster: (error, pending). ``names`` maps a client to
    how the user knows it (its host).

    The cluster DAGs of a group are read through one CLUSTER AGENT: a group spanning two clusters would see those of
    one only, and call the other's quiet (found in review: a wait over the agents of two clusters, one scaling out,
    said idle). Membership is what the source's cluster says of itself (its agents, /api/v1/ob/info, §11.5) against
    the address each agent reports. ``error`` (ObshellIdentityError) names the CLUSTER AGENTs that are not members:
    another cluster. ``pending`` are the agents moving into or out of a cluster (SCALING, TAKE OVER, UNIDENTIFIED)
    that are not members: the new agent of this cluster's scale-out, or one of another cluster; which, cannot be told
    yet, so no quiet verdict may count them in. An agent whose identity cannot be read now is not judged here (its own
    reads fail, visibly). Raises what reading /api/v1/ob/info raises (ObshellError, or ObshellProtocolError for an
    answer that is not a cluster description)."""
    candidates = [client for client in others if in_a_cluster(client)]
    if not candidates:
        return None, []
    members, agents = cluster_members(source)
    strangers = [client for client in candidates if not is_member(client, members)]
    foreign = [client for client in strangers if client.identity == CLUSTER_AGENT]
    pending = [client for client in strangers if client.identity != CLUSTER_AGENT]
    if not foreign:
        return None, pending
    return ObshellIdentityError(
        '%s %s of another cluster than %s (whose agents are %s): the cluster DAGs are read from one cluster, so '
        'those of the other could not be seen; wait on each cluster in its own task (or play)'
        % (', '.join('%s (%s)' % (safe_text(names(client), 80), client.agent) for client in foreign),
           'is a %s' % CLUSTER_AGENT if len(foreign) == 1 else 'are %ss' % CLUSTER_AGENT,
           safe_text(names(source), 80),
           ', '.join(sorted(format_address(agent['ip'], agent['port']) for agent in agents)) or 'none'),
        agent=source.address), pending


def cluster_members(source):
    """(the address keys of the agents of ``source``'s cluster, those agents as /api/v1/ob/info describes them, §11.5).
    Raises what reading it raises, or ObshellProtocolError for an answer that is not a cluster description."""
    try:
        dummy, agents, dummy_warnings = read_cluster(source.get(OB_INFO))
    except ClusterAnswerError as exc:
        raise ObshellProtocolError('GET %s did not describe a cluster: %s' % (OB_INFO, exc), agent=source.address)
    return set(_address_key(format_address(agent['ip'], agent['port'])) for agent in agents), agents


def is_member(client, members):
    """Whether the agent, by the address it reports (read already), is one of ``members`` (cluster_members())."""
    return _address_key(client.agent) in members


def pending_error(source, pending, names):
    """The error for agents of the group that are moving into or out of a cluster not (yet) the source's: the DAGs
    of the cluster they belong to are unknown, so nothing quiet can be said of the group."""
    return ObshellClusterUnknownError(
        'cluster DAGs unknown: %s %s not an agent of the cluster of %s, so the DAGs of the cluster it is moving into '
        'or out of cannot be read through %s' % (
            ', '.join('%s (%s, %s)' % (safe_text(names(client), 80), client.agent, safe_text(client.identity, 40))
                      for client in pending), 'is' if len(pending) == 1 else 'are',
            safe_text(names(source), 80), source.agent), agent=source.address)
