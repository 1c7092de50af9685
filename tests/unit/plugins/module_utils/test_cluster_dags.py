# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The cluster DAGs through one CLUSTER AGENT, with fail-over, and the rule for a group without one: written once
for the wait, the lookup and the event source. Tried from the side of a group that tries to pass for one without a
cluster."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.oceanbase.obshell.plugins.module_utils._cluster import IDENTITIES, NO_CLUSTER
from ansible_collections.oceanbase.obshell.plugins.module_utils._cluster_dags import (
    no_cluster_agent,
    other_clusters,
    pending_error,
    read_cluster_dags,
)
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import (
    ObshellClusterUnknownError,
    ObshellConnectionError,
    ObshellIdentityError,
    ObshellRecordError,
)


class Agent(object):
    def __init__(self, name, identity='CLUSTER AGENT', answer=None):
        self.name = name
        self.identity = identity
        self.answer = answer if answer is not None else ['dags of %s' % name]
        self.asked = 0


def read(key, client):
    client.asked += 1
    if isinstance(client.answer, Exception):
        raise client.answer
    return client.answer


def test_the_first_cluster_agent_that_answers_gives_them_and_the_others_are_not_asked():
    agents = [Agent('f', 'FOLLOWER'), Agent('a', answer=ObshellConnectionError('down', agent='a')), Agent('b'),
              Agent('c')]
    got = read_cluster_dags([(agent.name, agent) for agent in agents], read)
    assert got.source == 'b' and got.records == ['dags of b']
    assert list(got.errors) == ['a'] and got.identities == ['FOLLOWER', 'CLUSTER AGENT', 'CLUSTER AGENT']
    assert [agent.asked for agent in agents] == [0, 1, 1, 0]      # a FOLLOWER is never asked for cluster DAGs
    assert got.saw_cluster_agent and not got.out_of_time


def test_agents_to_recheck_are_asked_after_the_source_and_said_when_they_answer():
    agents = [Agent('a'), Agent('b', answer=ObshellClusterUnknownError('observer down', agent='b')), Agent('c'),
              Agent('d')]
    got = read_cluster_dags([(agent.name, agent) for agent in agents], read, recheck=('b', 'c'))
    assert got.source == 'a' and got.rechecked == ['c'] and list(got.errors) == ['b']
    assert agents[3].asked == 0


def test_garbage_is_not_failed_over_but_raised():
    agents = [Agent('a', answer=ObshellRecordError('not a DAG', agent='a')), Agent('b')]
    with pytest.raises(ObshellRecordError):
        read_cluster_dags([(agent.name, agent) for agent in agents], read, fatal=(ObshellRecordError,))
    assert agents[1].asked == 0


def test_the_deadline_stops_the_fail_over_but_never_the_first_ask():
    agents = [Agent('a', answer=ObshellConnectionError('down', agent='a')), Agent('b')]
    got = read_cluster_dags([(agent.name, agent) for agent in agents], read, seconds_left=lambda: 0.0)
    assert got.source is None and got.out_of_time and [agent.asked for agent in agents] == [1, 0]


def test_a_refresh_that_fails_is_that_agents_error():
    def prepare(key, client):
        if key == 'a':
            raise ObshellConnectionError('refused', agent='a')
    agents = [Agent('a'), Agent('b')]
    got = read_cluster_dags([(agent.name, agent) for agent in agents], read, prepare)
    assert got.source == 'b' and list(got.errors) == ['a'] and got.identities == ['CLUSTER AGENT']


@settings(max_examples=300, deadline=None)
@given(identities=st.lists(st.one_of(st.none(), st.sampled_from([i for i in IDENTITIES if i != 'CLUSTER AGENT'])),
                           max_size=6),
       scope=st.sampled_from(['auto', 'cluster']), had_one=st.booleans())
def test_a_group_without_a_cluster_agent_has_no_cluster_dags_only_when_none_can_exist(identities, scope, had_one):
    problem = no_cluster_agent(identities, scope, had_one, '10.0.0.1:2886')
    none_can_exist = scope == 'auto' and not had_one and bool(identities) and all(
        identity in NO_CLUSTER for identity in identities)
    assert (problem is None) == none_can_exist
    if problem is not None:
        # Unknown (an outage to wait out) unless the user asked for cluster DAGs of a group that has no cluster.
        expected = ObshellIdentityError if scope == 'cluster' and not had_one else ObshellClusterUnknownError
        assert problem.__class__ is expected
        for identity in identities:
            assert ('could not be reached' if identity is None else identity) in str(problem)
        if None in identities:
            assert '%d could not be reached' % identities.count(None) in str(problem)
        assert problem.agent == '10.0.0.1:2886'


def test_an_identity_from_the_agent_is_escaped_in_the_message():
    problem = no_cluster_agent(['SCALING\nOUT\x1b[2J'], 'auto', False, 'a:1')
    assert '\n' not in str(problem) and '\x1b' not in str(problem)


class Member(object):
    """An agent for other_clusters: its identity (or an error reading it), its address and its cluster's name."""

    def __init__(self, index, identity, cluster, clusters):
        self.address = self.agent = '10.0.%d.1:2886' % index
        self.identity_value = identity
        self.cluster = cluster
        self.clusters = clusters
        self.asked = []

    @property
    def identity(self):
        if isinstance(self.identity_value, Exception):
            raise self.identity_value
        return self.identity_value

    @property
    def known_identity(self):
        return None if isinstance(self.identity_value, Exception) else self.identity_value

    def get(self, path):
        self.asked.append(path)
        return {'agent_info': [{'ip': member.address.split(':')[0], 'port': 2886, 'zone': 'z', 'identity': 'x'}
                               for member in self.clusters if member.cluster == self.cluster],
                'obcluster_info': {'id': 1, 'name': 'same name for every cluster', 'topology': None}}


def in_cluster(member):
    return isinstance(member.identity_value, str) and member.identity_value not in NO_CLUSTER


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.lists(st.tuples(st.sampled_from(IDENTITIES + ('down',)), st.integers(0, 2)), min_size=1, max_size=6))
def test_a_group_over_two_clusters_is_always_said_and_one_cluster_never(group):
    # The source is the first; the group is one cluster iff every other agent in a cluster shares its cluster.
    # Clusters here all carry the same name and id (the default 'obcluster', id 1, is common): membership decides.
    # A CLUSTER AGENT of another cluster is an error; one moving into or out of a cluster (SCALING, TAKE OVER,
    # UNIDENTIFIED) not a member is pending: the new agent of a scale-out, or another cluster's, not told apart yet.
    clusters = []
    for index, (identity, cluster) in enumerate(group):
        made = Member(index, ObshellConnectionError('down', agent='x') if identity == 'down' else identity, cluster,
                      clusters)
        clusters.append(made)
    source, others = clusters[0], clusters[1:]
    problem, pending = other_clusters(source, others, lambda client: 'host-%s' % client.address)
    strangers = [other for other in others if in_cluster(other) and other.cluster != source.cluster]
    foreign = [other for other in strangers if other.identity_value == 'CLUSTER AGENT']
    if foreign:
        assert isinstance(problem, ObshellIdentityError), group
        for other in foreign:
            assert 'host-%s (%s)' % (other.address, other.address) in str(problem)
        assert 'another cluster than host-%s' % source.address in str(problem)
    else:
        assert problem is None, (group, problem)
    assert pending == [other for other in strangers if other.identity_value != 'CLUSTER AGENT']
    if pending:
        said = str(pending_error(source, pending, lambda client: 'host-%s' % client.address))
        assert all('host-%s' % other.address in said for other in pending) and 'unknown' in said
    # The source's cluster is read only when another agent is in a cluster.
    assert bool(source.asked) == any(in_cluster(other) for other in others)


def test_one_address_written_two_ways_is_one_member():
    # An agent may report an IPv6 address in another spelling than /api/v1/ob/info lists (found by the red team).
    members = []
    source = Member(0, 'CLUSTER AGENT', 'c', members)
    other = Member(1, 'CLUSTER AGENT', 'c', members)
    members.extend([source, other])
    source.address = source.agent = '[2001:db8::1]:2886'
    other.agent = '[2001:DB8:0:0::2]:2886'
    other.address = '[2001:db8::2]:2886'
    source.get = lambda path: {'agent_info': [{'ip': '2001:db8::1', 'port': 2886}, {'ip': '2001:db8::2', 'port': 2886}],
                               'obcluster_info': {'id': 1, 'name': 'c', 'topology': None}}
    assert other_clusters(source, [other], str) == (None, [])
