# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the event logic of oceanbase.obshell.dag_events, without ansible-rulebook: the state diff -> events
(DagTracker), the polling with fake agents (EventPoller), and the argument checks of the event source."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy
import os
import runpy

import pytest

from ansible_collections.oceanbase.obshell.plugins.module_utils import _query
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import (
    ObshellConnectionError,
    ObshellIdentityError,
    ObshellNotFoundError,
    ObshellProtocolError,
    ObshellServerError,
)
from ansible_collections.oceanbase.obshell.plugins.plugin_utils import _dag_events, _dag_poller
from tests.conftest import COLLECTION_LINK
from tests.support.agents import AGENT_EPOCH, dto
from tests.support.clock import FakeClock

PLUGIN = os.path.join(COLLECTION_LINK, 'extensions', 'eda', 'plugins', 'event_source', 'dag_events.py')
A0, A1 = '10.0.0.1:2886', '10.0.0.2:2886'
AGENT_NOW = AGENT_EPOCH      # the START of the fake agents' DTOs (tests/support/agents.py)


def record(full=False, **fields):
    return _query.normalize(dto(**fields), agent=A0, details='full' if full else 'summary')


def names(events):
    return [event['obshell']['event'] for event in events]


class Poll(object):
    """Drives a DagTracker through polls as EventPoller does."""

    def __init__(self, tracker=None):
        self.tracker = tracker or _dag_events.DagTracker(now=lambda: 'T')

    def __call__(self, listed=None, reads=None, agents=None):
        """``listed``: {part: records}; ``reads``: {id: record | 'missing' | exception} for the DAGs wanted."""
        tracker = self.tracker
        tracker.begin_poll()
        for agent, error in (agents or {}).items():
            tracker.agent_read(agent, error)
        tracker.lists(dict((part, (A0, records)) for part, records in (listed or {}).items()))
        for part, dag_id in tracker.settle_wanted():
            answer = (reads or {}).get(dag_id)
            if answer is None:
                continue
            if answer == 'missing':
                tracker.dag_missing(part, A0, dag_id)
            elif isinstance(answer, Exception):
                tracker.dag_read_failed(part, dag_id, answer)
            else:
                tracker.dag_read(part, A0, answer)
        return tracker.end_poll()


# ------------------------------------------------------------------------------------------------ the state diff


def test_one_event_per_change_and_success_only_from_a_read_of_the_dag():
    poll = Poll()
    assert names(poll({'cluster': [record(stage=1)]})) == ['dag_appeared']
    assert names(poll({'cluster': [record(stage=1)]})) == []
    progressed = poll({'cluster': [record(stage=2)]})
    assert names(progressed) == ['dag_progressed']
    assert progressed[0]['obshell']['previous']['progress'] == '1/9'
    # Gone from the list: nothing said until a read of /dag/{id} shows how it ended.
    assert names(poll({'cluster': []})) == []
    assert names(poll({'cluster': []}, reads={'11': ObshellConnectionError('refused', agent=A0)})) == []
    assert poll.tracker.settle_wanted() == [('cluster', '11')]
    done = poll({'cluster': []}, reads={'11': record(full=True, state='SUCCEED', stage=9)})
    assert names(done) == ['dag_succeeded']
    assert 'nodes' not in done[0]['obshell']['dag']      # the record as dag_info returns it
    assert done[0]['obshell']['dag']['outcome'] == 'succeeded'
    # Forgotten once reported; a later list read racing the end does not bring it back.
    assert poll.tracker.entries == {}
    assert names(poll({'cluster': []})) == []


def test_a_dag_still_running_after_leaving_the_list_is_read_again_not_settled():
    poll = Poll()
    poll({'cluster': [record(stage=3)]})
    assert names(poll({'cluster': []}, reads={'11': record(full=True, stage=3)})) == []
    assert poll.tracker.settle_wanted() == [('cluster', '11')]
    assert names(poll({'cluster': []}, reads={'11': record(full=True, state='SUCCEED', stage=9,
                                                           operator='ROLLBACK')})) == ['dag_rolled_back']


def test_a_record_that_vanishes_is_dag_vanished_never_succeeded():
    poll = Poll()
    poll({'cluster': [record(stage=3)]})
    events = poll({'cluster': []}, reads={'11': 'missing'})
    assert names(events) == ['dag_vanished']
    assert 'final state is unknown' in events[0]['obshell']['reason']
    assert poll.tracker.entries == {}


def test_an_id_that_now_names_another_dag():
    poll = Poll()
    poll({'cluster': [record(stage=3)]})
    # In the list: the old one's end is unknown, the new one appears.
    events = poll({'cluster': [record(name='Cluster scale in', nodes=['a', 'b', 'c'], stage=1)]})
    assert names(events) == ['dag_vanished', 'dag_appeared']
    assert events[0]['obshell']['dag']['name'] == 'Cluster scale out'
    assert events[1]['obshell']['dag']['name'] == 'Cluster scale in'
    # On the read of /dag/{id}: another DAG's final state is not this one's.
    poll = Poll()
    poll({'cluster': [record(stage=3)]})
    other = record(full=True, name='Start OB', nodes=['a', 'b'], stage=2, state='SUCCEED')
    assert names(poll({'cluster': []}, reads={'11': other})) == ['dag_vanished']


def test_a_failed_maintenance_dag_is_reported_once_with_the_failure_report_of_dag_wait():
    poll = Poll()
    failed = dict(state='FAILED', stage=6)
    # Listed FAILED at first sight: it is read with its nodes before anything is said.
    assert names(poll({'cluster': [record(**failed)]})) == []
    events = poll({'cluster': [record(**failed)]}, reads={'11': record(full=True, **failed)})
    assert names(events) == ['dag_failed']
    body = events[0]['obshell']
    assert body['failure_count'] == 1
    assert body['failure']['follow_up']['states'] == ['retried', 'rolled_back']
    assert body['failure']['follow_up']['command'] == 'oceanbase.obshell.dag id=11 state=retried|rolled_back'
    assert "failed at node 6/9 'Prev check for scale_out'" in body['failure']['summary']
    assert body['failure']['node']['name'] == 'Prev check for scale_out'
    # Still listed (it holds the cluster): never said again.
    for dummy in range(3):
        assert names(poll({'cluster': [record(**failed)]})) == []
    # Retried (the operator may read RUN again), fails again: the second failure is counted.
    assert names(poll({'cluster': [record(stage=6, operator='RUN')]})) == ['dag_progressed']
    assert names(poll({'cluster': [record(**failed)]})) == []
    again = poll({'cluster': [record(**failed)]}, reads={'11': record(full=True, **failed)})
    assert names(again) == ['dag_failed'] and again[0]['obshell']['failure_count'] == 2


def test_a_list_that_shows_success_is_not_evidence_enough():
    poll = Poll()
    poll({'cluster': [record(stage=8)]})
    assert names(poll({'cluster': [record(stage=9, state='SUCCEED')]})) == []
    assert names(poll({'cluster': []}, reads={'11': record(full=True, stage=9, state='SUCCEED',
                                                           passed_stage=6)})) == ['dag_passed']


def test_each_final_outcome_has_its_event():
    cases = {'dag_succeeded': dict(state='SUCCEED', stage=9), 'dag_rolled_back': dict(state='SUCCEED', operator='ROLLBACK'),
             'dag_cancelled': dict(state='FAILED', operator='CANCEL', stage=2), 'dag_passed': dict(state='SUCCEED', operator='PASS'),
             'dag_failed': dict(state='FAILED', stage=6, maintenance=1)}
    for name, fields in cases.items():
        poll = Poll()
        poll({'cluster': [record(stage=2)]})
        events = poll({'cluster': []}, reads={'11': record(full=True, **fields)})
        assert names(events) == [name]
        assert ('failure' in events[0]['obshell']) == (name in ('dag_failed', 'dag_cancelled'))


def test_a_part_that_did_not_answer_concludes_nothing():
    poll = Poll()
    poll({'cluster': [record(stage=3)], 'agent ' + A0: []})
    # Only the agent's own list was read: the cluster DAG is not "gone".
    assert names(poll({'agent ' + A0: []})) == []
    assert poll.tracker.settle_wanted() == []


def test_memory_stays_flat_over_many_dags():
    poll = Poll(_dag_events.DagTracker(now=lambda: 'T', recent_limit=50))
    for number in range(1, 400):
        dag_id = '1%d' % number
        poll({'cluster': [record(dag_id=dag_id, stage=2)]})
        events = poll({'cluster': []}, reads={dag_id: record(full=True, dag_id=dag_id, state='SUCCEED', stage=9)})
        assert names(events) == ['dag_succeeded']
    assert poll.tracker.entries == {}
    assert len(poll.tracker.recent) == 50


def test_agent_events_once_per_outage():
    poll = Poll()
    down = ObshellConnectionError('connection refused', agent=A1)
    assert names(poll(agents={A0: None, A1: None})) == []
    events = poll(agents={A0: None, A1: down})
    assert names(events) == ['agent_unreachable']
    assert events[0]['obshell']['agent'] == A1 and events[0]['obshell']['error']['kind'] == 'unreachable'
    assert names(poll(agents={A0: None, A1: down})) == []
    back = poll(agents={A0: None, A1: None})
    assert names(back) == ['agent_recovered'] and back[0]['obshell']['after'] == 'unreachable'


def test_an_agent_that_cannot_be_read_at_the_first_poll_is_an_event():
    poll = Poll()
    assert names(poll(agents={A0: ObshellProtocolError('not JSON', agent=A0)})) == ['agent_unreachable']


# ------------------------------------------------------------------------------------------------ the polling


class FakeClient(object):
    """An agent for EventPoller: ``lists[endpoint]`` (DTOs, or an exception), ``dags[id]`` (DTO or exception)."""

    def __init__(self, address, identity='CLUSTER AGENT'):
        self.address = address
        self.identity_value = identity
        self.lists = {'cluster': [], 'agent': [], 'all': []}
        self.dags = {}
        self.down = None
        self.ob_state = 3
        self.timeout = self.deadline = None
        self.calls = []
        self.version = '4.5.0.0'
        self.agent_time = AGENT_NOW       # the agent's clock from its last answer (epoch seconds)
        self.history = {'cluster': [], 'agent': []}
        self._info = None
        self.members = [address]

    def _check(self):
        if self.down is not None:
            raise self.down

    def info(self, refresh=False):
        # Like ObshellClient: /api/v1/info is read once and again only when asked (identity_value is the truth).
        if self._info is None or refresh:
            self._check()
            self._info = {'identity': self.identity_value}
        return self._info

    @property
    def identity(self):
        return self.info()['identity']

    @property
    def known_identity(self):
        return (self._info or {}).get('identity')

    @property
    def agent(self):
        return self.address

    def status(self):
        return {'obState': self.ob_state}

    def unfinished_dags(self, scope, show_details=False):
        self._check()
        self.calls.append(('list', scope))
        if scope == 'cluster' and self.identity_value != 'CLUSTER AGENT':
            # The agent answers 500; ObshellClient then reads /api/v1/info again and says what the agent is.
            self._info = {'identity': self.identity_value}
            raise ObshellIdentityError('is %s, not CLUSTER AGENT' % self.identity_value, agent=self.address)
        answer = self.lists[scope]
        if isinstance(answer, Exception):
            raise answer
        return copy.deepcopy(answer)

    def get(self, path):
        # /api/v1/ob/info: the agents of this agent's cluster (every agent of the poller unless a test says so).
        assert path == '/api/v1/ob/info', path
        self._check()
        self.calls.append(('ob_info',))
        return {'agent_info': [{'ip': member.split(':')[0], 'port': 2886, 'zone': 'z1', 'identity': 'CLUSTER AGENT'}
                               for member in self.members],
                'obcluster_info': {'id': 1, 'name': 'obcluster', 'topology': None}}

    def dag_history(self, scope, show_details=False):
        self._check()
        self.calls.append(('history', scope))
        return copy.deepcopy(self.history[scope])

    def dag(self, generic_id, show_details=True):
        self._check()
        self.calls.append(('dag', generic_id))
        answer = self.dags.get(generic_id)
        if answer is None:
            raise ObshellNotFoundError('no such DAG', agent=self.address, status=404)
        if isinstance(answer, Exception):
            raise answer
        return copy.deepcopy(answer)

    def close(self):
        pass


def poller(count=2, scope='auto', names_=None, clock=None):
    agents = []
    for index in range(count):
        address = '10.0.0.%d:2886' % (index + 1)
        client = FakeClient(address)
        # One fake serves both readers: they share its answers, which is what matters here.
        agents.append(_dag_poller.Agent(address, client, client))
    for agent in agents:
        agent.own.members = [other.address for other in agents]
    return _dag_poller.EventPoller(agents, scope=scope, names=names_, clock=clock), [agent.own for agent in agents]


def observer_down(address):
    return ObshellServerError('Observer process does not exist', agent=address, status=500,
                              err_code='OB.Server.Process.NotExist')


def test_a_cluster_dag_is_one_event_not_one_per_agent_and_fails_over():
    source, clients = poller(3)
    for client in clients:
        client.lists['cluster'] = [dto(stage=2)]
    events = source.poll()
    assert names(events) == ['dag_appeared'] and events[0]['obshell']['agent'] == A0
    # Agent 0's observer goes down: said, and the cluster DAGs come from agent 1.
    clients[0].lists['cluster'] = observer_down(A0)
    clients[0].ob_state = 0
    for client in clients[1:]:
        client.lists['cluster'] = [dto(stage=3)]
    events = source.poll()
    assert names(events) == ['cluster_unknown', 'dag_progressed']
    assert events[0]['obshell']['agent'] == A0 and events[0]['obshell']['cluster_dags_read_from'] == A1
    assert events[1]['obshell']['agent'] == A1
    assert names(source.poll()) == []
    clients[0].lists['cluster'] = [dto(stage=3)]
    back = source.poll()
    assert names(back) == ['agent_recovered'] and back[0]['obshell']['after'] == 'cluster_unknown'


def test_no_success_while_the_cluster_dags_cannot_be_read():
    source, clients = poller(1)
    client = clients[0]
    client.lists['cluster'] = [dto(stage=8)]
    source.poll()
    client.lists['cluster'] = observer_down(A0)
    client.ob_state = 0
    client.dags['11'] = dto(state='SUCCEED', stage=9)
    events = source.poll()
    assert names(events) == ['cluster_unknown']
    assert names(source.poll()) == []
    assert ('dag', '11') not in client.calls         # no read, so no verdict
    client.lists['cluster'] = []
    assert names(source.poll()) == ['agent_recovered', 'dag_succeeded']


def test_an_agent_that_answers_garbage_is_an_event_not_silence():
    source, clients = poller(1, scope='agent')
    client = clients[0]
    client.lists['agent'] = ObshellProtocolError('the answer is not an OBShell envelope: <html>', agent=A0)
    events = source.poll()
    assert names(events) == ['agent_unreachable'] and events[0]['obshell']['error']['kind'] == 'protocol'
    # A DAG whose state is not one an agent sends is a protocol error too, never a DAG event.
    client.lists['agent'] = [dict(dto(dag_id='22130706433028861', name='Start OB', nodes=['a']), state='BOGUS')]
    assert names(source.poll()) == []
    client.lists['agent'] = ['not a DAG object']
    assert names(source.poll()) == []
    client.lists['agent'] = []
    assert names(source.poll()) == ['agent_recovered']


def test_a_dag_read_that_returns_garbage_settles_nothing():
    source, clients = poller(1, scope='cluster')
    client = clients[0]
    client.lists['cluster'] = [dto(stage=8)]
    source.poll()
    client.lists['cluster'] = []
    client.dags['11'] = dict(dto(state='SUCCEED', stage=9), state=7.5)
    events = source.poll()
    assert names(events) == ['agent_unreachable']
    client.dags['11'] = dto(state='SUCCEED', stage=9)
    assert names(source.poll()) == ['agent_recovered', 'dag_succeeded']


def test_names_filter_the_dags():
    source, clients = poller(1, names_=['^Cluster scale in$'])
    clients[0].lists['cluster'] = [dto(stage=2)]
    assert names(source.poll()) == []


def test_scope_cluster_without_a_cluster_agent_is_cluster_unknown():
    source, clients = poller(1, scope='cluster')
    clients[0].identity_value = 'FOLLOWER'
    events = source.poll()
    assert names(events) == ['cluster_unknown'] and events[0]['obshell']['error']['kind'] == 'identity'


@pytest.mark.parametrize('identity', ['SCALING OUT', 'SCALING IN', 'TAKE OVER FOLLOWER', 'UNIDENTIFIED'])
def test_agents_moving_into_or_out_of_a_cluster_are_cluster_unknown_not_silence(identity):
    """Scope auto: agents that belong to a cluster whose DAGs they cannot list are not a group without a cluster
    (the wait's rule, _cluster_dags): before, the source said nothing, as for SINGLE agents."""
    source, clients = poller(2)
    for client in clients:
        client.identity_value = identity
    events = source.poll()
    assert 'cluster_unknown' in names(events)
    unknown = [event for event in events if event['obshell']['event'] == 'cluster_unknown'][0]
    assert unknown['obshell']['error']['kind'] == 'cluster_unknown' and identity in unknown['obshell']['error']['message']


def test_single_agents_have_no_cluster_dags_and_no_event_says_otherwise():
    source, clients = poller(2)
    for client in clients:
        client.identity_value = 'SINGLE'
    assert names(source.poll()) == [] and names(source.poll()) == []


def test_a_list_whose_cluster_agent_is_scaled_in_is_cluster_unknown_even_when_the_rest_are_single():
    source, clients = poller(2)
    clients[1].identity_value = 'SINGLE'
    clients[0].lists['cluster'] = [dto(stage=2)]
    assert names(source.poll()) == ['dag_appeared']
    clients[0].identity_value = 'SINGLE'        # re-deployed as a single agent: the cluster it served is unknown
    events = source.poll()
    assert 'cluster_unknown' in names(events), events
    assert 'SINGLE' in [e for e in events if e['obshell']['event'] == 'cluster_unknown'][0]['obshell']['error']['message']
    # Later polls know both are SINGLE now: the cluster they had is still unknown, and nothing says its DAG ended.
    assert [name for name in names(source.poll()) + names(source.poll()) if name.startswith('dag_')] == []
    assert 'cluster_unknown' in [known['state'] for known in source.tracker.agents.values()]


@pytest.mark.parametrize('first', ['SINGLE', 'TAKE OVER MASTER', 'SCALING OUT'])
def test_a_cluster_agent_that_appears_later_is_read(first):
    # A cluster formed, a take-over or a scale-out that ended after the source started: the agents' identities are
    # read again while no CLUSTER AGENT gives the cluster DAGs, or a failed scale-out would never be reported (found
    # by the red team: the source read each identity once, and again only after a failed read).
    source, clients = poller(2)
    for client in clients:
        client.identity_value = first
    source.poll()
    source.poll()
    for client in clients:
        client.identity_value = 'CLUSTER AGENT'
    for client in clients:
        client.lists['cluster'] = [dto(state='FAILED', stage=3)]
        client.dags['11'] = dto(state='FAILED', stage=3)
    seen = names(source.poll()) + names(source.poll())
    assert 'dag_failed' in seen, seen


def test_an_agent_that_becomes_a_cluster_agent_of_another_cluster_is_noticed_within_a_sweep():
    # A cluster deployed on hosts of the list while the source runs: the other agents' identities are read again
    # every IDENTITY_SWEEP_SECONDS, or that cluster's DAGs (a failed scale-out there) would never be seen, for as
    # long as the source runs.
    clock = FakeClock()
    source, clients = poller(3, clock=clock)
    clients[2].identity_value = 'SINGLE'
    clients[2].members = [clients[2].address]
    for client in clients[:2]:
        client.members = [client.address for client in clients[:2]]
    source.poll()
    clients[2].identity_value = 'CLUSTER AGENT'         # of its own cluster, not the source's
    clock.sleep(_dag_poller.IDENTITY_SWEEP_SECONDS - 1)
    assert 'cluster_unknown' not in names(source.poll())    # not yet read again: one /api/v1/info per sweep
    clock.sleep(1)
    events = source.poll()
    unknown = [event for event in events if event['obshell']['event'] == 'cluster_unknown']
    assert unknown and 'of another cluster than' in unknown[0]['obshell']['error']['message'], events


def test_another_clusters_agent_left_as_the_only_cluster_agent_never_settles_the_dags_tracked():
    # The list's cluster agent (A) goes UNIDENTIFIED; the only CLUSTER AGENT left (B) is another cluster's, whose
    # DAG 11 succeeded. A's DAG 11 had failed: it was settled by B's and reported succeeded (found by the red team).
    source, clients = poller(2)
    first, second = clients
    first.members, second.members = [first.address], [second.address]
    second.identity_value = 'SINGLE'
    first.lists['cluster'] = [dto(state='FAILED', stage=3)]
    first.dags['11'] = dto(state='FAILED', stage=3)
    assert 'dag_failed' in names(source.poll() + source.poll())
    first.identity_value = 'UNIDENTIFIED'
    second.identity_value = 'CLUSTER AGENT'
    second.lists['cluster'] = []
    second.dags['11'] = dto(state='SUCCEED', stage=9)
    events = []
    for dummy in range(4):
        events += source.poll()
    assert not [name for name in names(events) if name.startswith('dag_')], events
    unknown = [event for event in events if event['obshell']['event'] == 'cluster_unknown']
    assert unknown and 'is not of the cluster the cluster DAGs were read from until now' in \
        unknown[-1]['obshell']['error']['message'], events
    assert ('dag', '11') not in second.calls


def test_scope_all_never_takes_two_clusters_dags_of_one_id_for_one():
    # scope all: each CLUSTER AGENT's aggregated list holds its own cluster's DAGs; DAG 11 of two clusters was one DAG
    # to the source, and one cluster's was never reported (found by the red team).
    source, clients = poller(2, scope='all')
    first, second = clients
    first.members, second.members = [first.address], [second.address]
    first.lists['all'] = [dto(stage=2)]
    second.lists['all'] = [dto(name='Start OB', stage=1)]
    events = source.poll()
    appeared = [event for event in events if event['obshell']['event'] == 'dag_appeared']
    assert [(event['obshell']['agent'], event['obshell']['dag']['name']) for event in appeared] == [
        (first.address, 'Cluster scale out')], events
    unknown = [event for event in events if event['obshell']['event'] == 'cluster_unknown']
    assert [event['obshell']['agent'] for event in unknown] == [second.address], events
    first.members = second.members = [first.address, second.address]      # one cluster after all
    assert 'agent_recovered' in names(source.poll())


# ------------------------------------------------------------------------------------------------ the arguments


@pytest.fixture(scope='module')
def plugin():
    return runpy.run_path(PLUGIN)


@pytest.mark.parametrize('args, message', [
    ({}, 'missing required arguments: agents'),
    ({'agents': []}, 'agents must list at least one agent'),
    ({'agents': ['https://10.0.0.1']}, "agents: 'https://10.0.0.1' has a scheme"),
    ({'agents': ['10.0.0.1:99999']}, 'the port must be between 1 and 65535'),
    ({'agents': ['10.0.0.1', '10.0.0.1:2886']}, 'agents: 10.0.0.1:2886 is listed twice'),
    ({'agents': ['a'], 'poll_interval': 0.1}, 'poll_interval must be at least 0.5'),
    ({'agents': ['a'], 'poll_interval': 'often'}, 'poll_interval'),
    ({'agents': ['a'], 'scope': 'everything'}, 'scope must be one of'),
    ({'agents': ['a'], 'names': ['(']}, 'names:'),
    ({'agents': ['a'], 'client_key': '/k'}, 'client_key is set without client_cert'),
    ({'agents': ['a'], 'ca_path': '/nonexistent/ca.pem'}, "ca_path '/nonexistent/ca.pem' does not exist"),
    ({'agents': ['a'], 'request_timeout': 0}, 'request_timeout must be a positive number'),
    ({'agents': ['a'], 'surprise': 1}, 'surprise'),
])
def test_bad_arguments_fail_fast_naming_the_argument(plugin, args, message):
    with pytest.raises(ValueError) as caught:
        plugin['validate'](args)
    assert message in str(caught.value)
    assert str(caught.value).startswith('oceanbase.obshell.dag_events: ')


def test_the_obshell_environment_is_the_fallback(plugin, monkeypatch):
    monkeypatch.setenv('OBSHELL_PASSWORD', 'from-env')
    monkeypatch.setenv('OBSHELL_PORT', '2999')
    monkeypatch.setenv('OBSHELL_USE_TLS', 'true')
    values = plugin['validate']({'agents': ['10.0.0.1', '10.0.0.2:2886'], 'eda_feedback_queue': object()})
    assert values['password'] == 'from-env' and values['use_tls'] is True
    assert [address for dummy, dummy, address in values['_addresses']] == ['10.0.0.1:2999', '10.0.0.2:2886']
    assert plugin['validate']({'agents': ['h'], 'password': 'given'})['password'] == 'given'
    source = plugin['poller'](values)
    try:
        assert [agent.address for agent in source.agents] == ['10.0.0.1:2999', '10.0.0.2:2886']
        assert source.agents[0].own is not source.agents[0].cluster
        assert source.agents[0].own.base_url == 'https://10.0.0.1:2999'
    finally:
        source.close()


def test_the_documentation_is_yaml_with_every_argument(plugin):
    import yaml
    doc = yaml.safe_load(plugin['DOCUMENTATION'])
    assert set(doc['options']) == set(plugin['argument_spec']())
    examples = yaml.safe_load(plugin['EXAMPLES'])
    assert all('oceanbase.obshell.dag_events' in ruleset['sources'][0] for ruleset in examples)
    assert set(_dag_events.EVENTS) == set(['dag_appeared', 'dag_progressed', 'dag_succeeded', 'dag_failed',
                                           'dag_rolled_back', 'dag_cancelled', 'dag_passed', 'dag_vanished',
                                           'agent_unreachable', 'agent_recovered', 'cluster_unknown'])


def test_an_agent_after_the_one_asked_is_rechecked_until_it_reads_the_cluster_dags_again():
    source, clients = poller(3)
    clients[0].down = ObshellConnectionError('connection refused', agent=A0)
    clients[1].lists['cluster'] = observer_down(A1)
    clients[1].ob_state = 0
    events = source.poll()
    assert sorted(names(events)) == ['agent_unreachable', 'cluster_unknown']
    unknown = [event['obshell'] for event in events if event['obshell']['event'] == 'cluster_unknown'][0]
    assert unknown['agent'] == A1 and unknown['cluster_dags_read_from'] == '10.0.0.3:2886'
    clients[0].down = None
    back = source.poll()
    assert [(event['obshell']['event'], event['obshell']['agent']) for event in back] == [('agent_recovered', A0)]
    # Agent 0 gives the cluster DAGs again; agent 1 is still asked while it cannot, and its recovery is said.
    assert names(source.poll()) == []
    clients[1].lists['cluster'] = []
    back = source.poll()
    assert [(event['obshell']['event'], event['obshell']['agent'], event['obshell']['after']) for event in back] == [
        ('agent_recovered', A1, 'cluster_unknown')]
    assert names(source.poll()) == []
    calls = len(clients[1].calls)
    source.poll()
    assert ('list', 'cluster') not in clients[1].calls[calls:]      # no longer asked once it can answer


def test_scope_all_is_cluster_unknown_while_the_observer_is_down_then_recovers():
    source, clients = poller(1, scope='all')
    client = clients[0]
    client.lists['all'] = [dto(stage=2)]
    assert names(source.poll()) == ['dag_appeared']
    # The aggregated list answers without the cluster DAGs while the observer is down: not believed.
    client.lists['all'] = []
    client.ob_state = 0
    events = source.poll()
    assert names(events) == ['cluster_unknown']
    assert ('dag', '11') not in client.calls
    client.ob_state = 3
    client.dags['11'] = dto(state='SUCCEED', stage=9)
    assert names(source.poll()) == ['agent_recovered', 'dag_succeeded']


# ------------------------------------------------------------------------------------------------ blind windows


def _failed_meanwhile(client, version='4.5.0.0'):
    """The agent is down for a poll; meanwhile its local, non-maintenance DAG runs and fails (§4.7: it is then in
    no unfinished list), and only the agent's history still shows it."""
    client.version = version
    local = '22130706433028861'
    failed = dto(local, 'Stop observer', state='FAILED', stage=1, maintenance=1, nodes=['a', 'b'])
    failed['start_time'] = '2026-05-08T10:00:12+08:00'
    failed['end_time'] = '2026-05-08T10:00:15+08:00'
    client.history['agent'] = [dict(failed, nodes=None)]
    client.dags[local] = failed
    return local


def test_a_dag_that_failed_while_its_agent_was_down_is_an_event_on_recovery():
    source, clients = poller(count=1, scope='agent')
    source.poll()
    local = _failed_meanwhile(clients[0])
    clients[0].down = ObshellConnectionError('refused', agent=A0)
    assert names(source.poll()) == ['agent_unreachable']
    clients[0].down = None
    clients[0].agent_time = AGENT_NOW + 20
    events = source.poll()
    assert names(events) == ['agent_recovered', 'dag_appeared', 'dag_failed']
    failed = events[-1]['obshell']
    assert failed['dag']['id'] == local and failed['failure']['summary']
    assert clients[0].calls.count(('history', 'agent')) == 1
    assert names(source.poll()) == []           # said once


def test_an_agent_without_history_reads_none_back():
    source, clients = poller(count=1, scope='agent')
    source.poll()
    _failed_meanwhile(clients[0], version='4.2.3.0-100')
    clients[0].down = ObshellConnectionError('refused', agent=A0)
    source.poll()
    clients[0].down = None
    assert names(source.poll()) == ['agent_recovered']
    assert ('history', 'agent') not in clients[0].calls


def test_a_dag_that_ended_before_the_window_is_not_read_back():
    source, clients = poller(count=1, scope='agent')
    clients[0].agent_time = AGENT_NOW + 60
    source.poll()
    _failed_meanwhile(clients[0])          # ended at +15 s, before the last good read at +60 s
    clients[0].down = ObshellConnectionError('refused', agent=A0)
    source.poll()
    clients[0].down = None
    clients[0].agent_time = AGENT_NOW + 80
    assert names(source.poll()) == ['agent_recovered']


def test_a_dag_retried_and_failed_again_between_two_polls_is_a_second_failure():
    poll = Poll()
    first = dto(state='FAILED', stage=6, error='ERROR: [Common.Unexpected]: first')
    again = dict(dto(state='FAILED', stage=6, error='ERROR: [Common.Unexpected]: second'),
                 start_time='2026-05-08T10:01:00+08:00', end_time='2026-05-08T10:01:30+08:00')
    summary = _query.normalize(dict(first, nodes=None), agent=A0)
    assert names(poll({'cluster': [summary]}, reads={'11': _query.normalize(first, agent=A0, details='full')})) == \
        ['dag_failed']
    # Someone retried it; by the next poll it had failed again, at the same node: the same state, operator and stage.
    events = poll({'cluster': [_query.normalize(dict(again, nodes=None), agent=A0)]},
                  reads={'11': _query.normalize(again, agent=A0, details='full')})
    assert names(events) == ['dag_failed']
    assert events[0]['obshell']['failure_count'] == 2
    assert 'second' in events[0]['obshell']['failure']['summary']


def test_the_same_name_under_the_same_id_with_a_start_time_that_moved_while_it_ran_is_another_dag():
    # Found by the red team: a cluster deployed again between two polls; its new 'Cluster scale out' took id 11.
    poll = Poll()
    running = dto(state='RUNNING', stage=5)
    assert names(poll({'cluster': [_query.normalize(dict(running, nodes=None), agent=A0)]})) == ['dag_appeared']
    again = dict(dto(state='RUNNING', stage=3), start_time='2026-05-08T10:05:00+08:00')
    events = poll({'cluster': [_query.normalize(dict(again, nodes=None), agent=A0)]})
    assert names(events) == ['dag_vanished', 'dag_appeared']
    assert 'start time moved' in events[0]['obshell']['reason'] or 'another DAG' in events[0]['obshell']['reason']


def test_a_list_over_two_clusters_says_their_dags_are_unknown_until_it_is_one():
    # The cluster DAGs come from one CLUSTER AGENT: agents of another cluster in the list would have theirs unseen.
    source, clients = poller(2)
    clients[0].members = [clients[0].address]
    clients[1].members = [clients[1].address]
    clients[1].lists['cluster'] = [dto(stage=2)]
    events = source.poll()
    unknown = [event for event in events if event['obshell']['event'] == 'cluster_unknown']
    assert unknown and 'of another cluster than' in unknown[0]['obshell']['error']['message'], events
    assert not [name for name in names(events) if name.startswith('dag_')]
    clients[0].members = clients[1].members = [client.address for client in clients]    # one cluster now
    assert 'agent_recovered' in names(source.poll())
    asked = len([call for call in clients[0].calls if call == ('ob_info',)])
    source.poll()
    assert len([call for call in clients[0].calls if call == ('ob_info',)]) == asked     # checked once per source
