# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the inventory plugin oceanbase.obshell.obshell: names made safe, seeds, reading /api/v1/ob/info
answers (also hostile ones), and the order in which seeds are asked (fake clients, no network)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy
import random

import pytest

from ansible.errors import AnsibleParserError

from ansible_collections.oceanbase.obshell.plugins.inventory import obshell as inventory
from ansible_collections.oceanbase.obshell.plugins.module_utils import _cluster_source, _options
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import (
    ObshellAuthError,
    ObshellConnectionError,
    ObshellServerError,
)


# ------------------------------------------------------------------------------------------------ names

@pytest.mark.parametrize('text,expected', [
    ('zone1', 'zone1'),
    ('zone_1', 'zone_1'),
    ('zone 1', 'zone_1'),
    ('zone.1', 'zone_1'),
    ('  zone -- 1 ', 'zone_1'),
    ('\x1b[31mred\x1b[0m', 'red'),                      # whole ANSI sequences go, not only ESC
    ('\x1b]0;title\x07zone', '0_title_zone'),           # other escapes: the control characters go
    ('z\u00f6ne', 'z\u00f6ne'),                         # letters of any script stay, as in Ansible's group names
    ('\u533a\u57df\u4e00', '\u533a\u57df\u4e00'),
    ('\uff5a\uff4f\uff4e\uff45\uff11', 'zone1'),        # full-width letters: NFKC
    ('zo\u200bne\u202e1', 'zo_ne_1'),                   # zero-width space, right-to-left override
    ("{{ lookup('pipe', 'id') }}", 'lookup_pipe_id'),
    ('!!!', ''),
    ('', ''),
])
def test_safe_name(text, expected):
    assert inventory.safe_name(text) == expected


def test_safe_name_separator_and_kept_characters():
    assert inventory.safe_name('zone 1.a', separator='-') == 'zone-1-a'
    assert inventory.safe_host_name('ob.zone 1-a') == 'ob.zone-1-a'
    assert inventory.safe_host_name('\x1b[2J$(reboot)') == 'reboot'
    assert inventory.safe_host_name('-oProxyCommand=x.') == 'oProxyCommand-x'


@pytest.mark.parametrize('cluster,zone,ip,port,expected', [
    ('obcluster', 'zone1', '10.0.0.1', 2886, 'obcluster-zone1-10-0-0-1-2886'),
    ('obcluster', 'zone1', 'fe80::1', 2886, 'obcluster-zone1-fe80--1-2886'),
    ('obcluster', 'zone1', '::1', 2886, 'obcluster-zone1---1-2886'),
    ('ob.prod', 'zone 1', '10.0.0.1', 2887, 'ob-prod-zone-1-10-0-0-1-2887'),
    ('', 'zone1', '10.0.0.1', 2886, 'zone1-10-0-0-1-2886'),
    ('', '', '10.0.0.1', 2886, '10-0-0-1-2886'),
    ('ob_1', 'z_1', 'ob1.example.com', 2886, 'ob_1-z_1-ob1-example-com-2886'),
])
def test_default_host_name(cluster, zone, ip, port, expected):
    assert inventory.default_host_name(cluster, zone, ip, port) == expected


def test_zone_groups_never_shared_and_stable():
    zones = ['zone1', 'zone 1', 'zone.1', '!!', '??', 'zone2']
    suffixes = inventory.zone_group_suffixes(zones)
    assert suffixes['zone1'] == 'zone1' and suffixes['zone2'] == 'zone2'
    assert len(set(suffixes.values())) == len(zones)
    assert suffixes['zone 1'].startswith('zone_1_') and suffixes['zone.1'].startswith('zone_1_')
    assert all(len(suffixes[zone]) == 8 for zone in ('!!', '??'))
    shuffled = list(zones)
    random.Random(7).shuffle(shuffled)
    assert inventory.zone_group_suffixes(shuffled) == suffixes


@pytest.mark.parametrize('identity,expected', [
    ('CLUSTER AGENT', 'cluster_agent'),
    ('SINGLE', 'single'),
    ('TAKE OVER FOLLOWER', 'take_over_follower'),
    ('SCALING OUT', 'scaling_out'),
    # not an identity of spec §2.1: never one of the plugin's own groups
    ('rootservers', 'identity_rootservers'),
    ('zone zone1', 'identity_zone_zone1'),
    ('NEW IDENTITY', 'identity_new_identity'),
    ('', None),
    (None, None),
])
def test_identity_groups(identity, expected):
    assert inventory.identity_group_suffix(identity) == expected


def test_printable_keeps_text_and_escapes_control_characters():
    assert _cluster_source.printable('refused \u533a') == 'refused \u533a'
    # the escapes of _text.safe_text, the one cleaning of agent text
    assert _cluster_source.printable('agent said: \x1b[2Jgone\r\n') == 'agent said: \\e[2Jgone\\r\\n'


def test_shown_escapes_control_characters():
    assert inventory.shown('zone1') == 'zone1'
    assert inventory.shown('\x1b[31mred') == '\\e[31mred'
    assert inventory.shown('x' * 500) == 'x' * 80 + ' [... 420 more characters cut]'


# ------------------------------------------------------------------------------------------------ seeds

@pytest.mark.parametrize('text,expected', [
    ('10.0.0.1', ('10.0.0.1', 2886)),
    ('10.0.0.1:2887', ('10.0.0.1', 2887)),
    ('ob1.example.com', ('ob1.example.com', 2886)),
    ('[::1]:2887', ('::1', 2887)),
    ('::1', ('::1', 2886)),
    ('[fe80::0:1]', ('fe80::1', 2886)),
])
def test_parse_seed(text, expected):
    assert inventory.parse_seed(text, 2886) == expected


@pytest.mark.parametrize('text,message', [
    ('https://10.0.0.1', "agents[3]: 'https://10.0.0.1' has a scheme"),
    ('host:2886:extra', "'host:2886:extra' is neither host, host:port, [IPv6]:port nor an IPv6 address"),
    ('10.0.0.1:', "the port must be a number"),
    ('10.0.0.1:0', 'the port must be between 1 and 65535'),
    ('10.0.0.1/x', 'is not host or host:port'),
    ('admin@10.0.0.1', 'is not host or host:port'),
    ('10.0.0.1 2886', 'has spaces in it'),
    ('', 'an agent must be given as host or host:port'),
    ('-oProxyCommand=x', 'is not a host name or IP address'),
    ('[10.0.0.1', 'needs the closing bracket'),
])
def test_bad_seeds_name_the_option(text, message):
    with pytest.raises(ValueError) as caught:
        inventory.parse_seed(text, 2886, option='agents[3]')
    assert message in str(caught.value) and str(caught.value).startswith('agents[3]: ')


# ------------------------------------------------------------------------------------------------ answers

def agent(ip, port, zone, identity='CLUSTER AGENT'):
    return {'ip': ip, 'port': port, 'zone': zone, 'identity': identity, 'version': '4.5.0.0'}


def server(ip, agent_port, rootserver='NO', status='ACTIVE'):
    return {'svr_ip': ip, 'svr_port': 2882, 'sql_port': 2881, 'agent_port': agent_port, 'with_rootserver': rootserver,
            'status': status, 'build_version': '4.2.1.0_1'}


ANSWER = {
    'agent_info': [agent('10.0.0.2', 2886, 'zone2'), agent('10.0.0.10', 2886, 'zone1'), agent('10.0.0.1', 2886, 'zone1')],
    'obcluster_info': {'id': 7, 'name': 'demo', 'version': '4.2.1.0', 'is_shared_storage': False, 'topology': {
        'zone1': [server('10.0.0.1', 2886, 'YES'), server('10.0.0.10', 2886)],
        'zone2': [server('10.0.0.2', 2886, status='INACTIVE')],
    }},
}


def test_read_cluster():
    cluster, agents, warnings = inventory.read_cluster(copy.deepcopy(ANSWER))
    assert warnings == []
    assert cluster == {'name': 'demo', 'id': 7, 'version': '4.2.1.0', 'shared_storage': False, 'topology_known': True}
    # by zone, then by address as a number (10.0.0.10 after 10.0.0.1), whatever order the agent listed them in
    assert [(entry['zone'], entry['ip']) for entry in agents] == [('zone1', '10.0.0.1'), ('zone1', '10.0.0.10'),
                                                                  ('zone2', '10.0.0.2')]
    assert agents[0]['server']['rootserver'] is True and agents[2]['server']['status'] == 'INACTIVE'
    shuffled = copy.deepcopy(ANSWER)
    random.Random(3).shuffle(shuffled['agent_info'])
    assert inventory.read_cluster(shuffled)[1] == agents


def test_host_variables():
    cluster, agents, dummy = inventory.read_cluster(copy.deepcopy(ANSWER))
    variables = inventory.host_variables(cluster, agents[0], True)
    assert variables == {
        'ansible_host': '10.0.0.1', 'obshell_port': 2886, 'obshell_zone': 'zone1', 'obshell_identity': 'CLUSTER AGENT',
        'obshell_version': '4.5.0.0', 'ob_cluster_name': 'demo', 'ob_cluster_id': 7, 'ob_cluster_version': '4.2.1.0',
        'ob_shared_storage': False, 'ob_svr_ip': '10.0.0.1', 'ob_svr_port': 2882, 'ob_sql_port': 2881,
        'ob_rootserver': True, 'ob_status': 'ACTIVE', 'ob_build_version': '4.2.1.0_1', 'obshell_reachable': True,
    }
    down = inventory.host_variables(cluster, agents[1], 'cannot connect')
    assert down['obshell_reachable'] is False and down['obshell_unreachable_reason'] == 'cannot connect'
    assert 'obshell_reachable' not in inventory.host_variables(cluster, agents[1], None)


def test_without_topology_the_observer_variables_are_not_set():
    answer = copy.deepcopy(ANSWER)
    answer['obcluster_info'].update(topology=None, version='')
    cluster, agents, dummy = inventory.read_cluster(answer)
    assert cluster['topology_known'] is False and cluster['shared_storage'] is None
    variables = inventory.host_variables(cluster, agents[0], None)
    assert not [name for name in variables if name in ('ob_rootserver', 'ob_status', 'ob_cluster_version',
                                                       'ob_shared_storage', 'ob_sql_port')]


def test_topology_without_agent_ports_is_matched_by_address():
    answer = copy.deepcopy(ANSWER)
    for members in answer['obcluster_info']['topology'].values():
        for member in members:
            member['agent_port'] = 0
    cluster, agents, warnings = inventory.read_cluster(answer)
    assert warnings == [] and all(entry['server'] is not None for entry in agents)


def test_observers_without_agents_and_hostile_entries_are_left_out_with_a_warning():
    answer = copy.deepcopy(ANSWER)
    answer['obcluster_info']['topology']['zone3'] = [server('10.0.0.3', 2886), server('$(reboot)', 2886)]
    answer['agent_info'] += [
        agent('-oProxyCommand=touch /tmp/x', 2886, 'zone1'),
        agent('10.0.0.1; rm -rf /', 2886, 'zone1'),
        agent('10.0.0.4', True, 'zone1'),                 # a bool is not a port
        agent('10.0.0.5', 70000, 'zone1'),
        agent('10.0.0.1', 2886, 'zone9'),                 # listed twice
        'not an agent',
        None,
    ]
    cluster, agents, warnings = inventory.read_cluster(answer)
    assert [entry['ip'] for entry in agents] == ['10.0.0.1', '10.0.0.10', '10.0.0.2']
    text = '\n'.join(warnings)
    assert 'observer 10.0.0.3:2882 of zone zone3 has no OBShell agent in agent_info: not listed' in text
    assert 'an observer of zone zone3 has no usable svr_ip ($(reboot))' in text
    assert 'an agent with no usable ip and port (-oProxyCommand=touch /tmp/x:2886) is left out' in text
    assert 'agent 10.0.0.1:2886 is listed twice' in text
    assert len(warnings) == 9


def test_numeric_strings_and_ipv6_forms_are_normalised():
    answer = {'agent_info': [{'ip': '0:0:0:0:0:0:0:1', 'port': '2886', 'zone': 'z', 'identity': 'CLUSTER AGENT'}],
              'obcluster_info': {'id': '3', 'name': 'c', 'topology': {'z': [server('::1', 2886, 'YES')]}}}
    cluster, agents, warnings = inventory.read_cluster(answer)
    assert (agents[0]['ip'], agents[0]['port'], cluster['id']) == ('::1', 2886, 3)
    assert agents[0]['server']['rootserver'] is True and warnings == []


@pytest.mark.parametrize('data,message', [
    ('<html>', 'the data is str, not an object'),
    (None, 'the data is missing, not an object'),
    ({}, 'agent_info is missing, not a list'),
    ({'agent_info': {'ip': '10.0.0.1'}}, 'agent_info is dict, not a list'),
    ({'agent_info': []}, 'agent_info is empty'),
    ({'agent_info': [{'ip': 'x y'}, 7]}, 'none of the 2 agents in agent_info has a usable ip and port'),
    ({'agent_info': [agent('10.0.0.1', 2886, 'z')], 'obcluster_info': []}, 'obcluster_info is list, not an object'),
    ({'agent_info': [agent('10.0.0.1', 2886, 'z')], 'obcluster_info': {'topology': []}},
     'obcluster_info.topology is list, not an object'),
    ({'agent_info': [agent('10.0.0.1', 2886, 'z')], 'obcluster_info': {'topology': {'\x1b[2Jz': 'x'}}},
     'the topology of zone \\e[2Jz is str, not a list'),
])
def test_answers_that_are_not_a_cluster(data, message):
    with pytest.raises(inventory.ClusterAnswerError) as caught:
        inventory.read_cluster(data)
    assert str(caught.value) == message


def test_not_a_cluster():
    single = {'agent_info': [agent('10.0.0.1', 2886, 'zone1', 'SINGLE')],
              'obcluster_info': {'id': 0, 'name': '', 'version': '', 'topology': None}}
    cluster, agents, dummy = inventory.read_cluster(single)
    assert inventory.not_a_cluster(cluster, agents, 'SINGLE').startswith('is a SINGLE agent, not part of an OceanBase')
    single['agent_info'][0]['identity'] = 'SCALING IN'
    cluster, agents, dummy = inventory.read_cluster(single)
    assert inventory.not_a_cluster(cluster, agents, 'SCALING IN') == \
        'reports no OceanBase cluster (it is SCALING IN): name an agent of the cluster'
    cluster, agents, dummy = inventory.read_cluster(copy.deepcopy(ANSWER))
    assert inventory.not_a_cluster(cluster, agents, 'CLUSTER AGENT') is None
    assert inventory.not_a_cluster(cluster, agents, 'FOLLOWER') is None


# ------------------------------------------------------------------------------------------------ asking the seeds

class FakeClient(object):
    """Answers like one agent: ``behaviour`` is an answer (dict) or an error to raise."""

    def __init__(self, log, address, retries, behaviour):
        self.log, self.address, self.retries, self.behaviour = log, address, retries, behaviour
        self.identity = 'CLUSTER AGENT'

    def get(self, path):
        self.log.append((self.address, path, self.retries))
        if isinstance(self.behaviour, Exception):
            raise self.behaviour
        return copy.deepcopy(self.behaviour)

    def info(self):
        self.log.append((self.address, '/api/v1/info', self.retries))
        if isinstance(self.behaviour, Exception):
            raise self.behaviour
        return {'identity': self.identity}

    def close(self):
        pass


@pytest.fixture
def plugin(monkeypatch):
    log = []
    agents = {}

    def client_from_options(values, host=None, port=None, retries=None):
        address = '%s:%s' % (host, port)
        return FakeClient(log, address, retries, agents.get(address, ObshellConnectionError('refused')))

    monkeypatch.setattr(_options, 'client_from_options', client_from_options)
    module = inventory.InventoryModule()
    module._options = {'agents': [], 'probe_agents': False, 'max_workers': 4, 'group_prefix': 'obshell_'}
    module.log, module.agents = log, agents
    return module


VALUES = {'retries': 2, 'port': 2886, 'password': 'pw'}
SEEDS = [('10.0.0.8', 2886), ('10.0.0.9', 2886), ('10.0.0.1', 2886)]
LABELS = ['10.0.0.8:2886', '10.0.0.9:2886', '10.0.0.1:2886']


def test_seeds_are_first_asked_once_each_without_retries(plugin):
    plugin.agents['10.0.0.1:2886'] = ANSWER
    entry = plugin._discover(VALUES, SEEDS, LABELS)
    assert entry['answered_by'] == '10.0.0.1:2886' and entry['seeds'] == LABELS
    assert [call for call in plugin.log if call[1] == inventory.OB_INFO] == [
        ('10.0.0.8:2886', inventory.OB_INFO, 0), ('10.0.0.9:2886', inventory.OB_INFO, 0),
        ('10.0.0.1:2886', inventory.OB_INFO, 0)]


def test_only_seeds_worth_retrying_are_asked_again_with_retries(plugin):
    plugin.agents['10.0.0.9:2886'] = ObshellAuthError('GET /api/v1/ob/info: authentication failed: wrong')
    plugin.agents['10.0.0.1:2886'] = ObshellServerError('GET /api/v1/ob/info: the agent answered HTTP 503', retryable=True)
    with pytest.raises(AnsibleParserError) as caught:
        plugin._discover(VALUES, SEEDS, LABELS)
    assert [(call[0], call[2]) for call in plugin.log if call[1] == inventory.OB_INFO] == [
        ('10.0.0.8:2886', 0), ('10.0.0.9:2886', 0), ('10.0.0.1:2886', 0), ('10.0.0.8:2886', 2), ('10.0.0.1:2886', 2)]
    assert str(caught.value) == (
        'oceanbase.obshell.obshell: cannot list the OceanBase cluster: none of the 3 seed agents answered: '
        '10.0.0.8:2886: refused; 10.0.0.9:2886: GET /api/v1/ob/info: authentication failed: wrong; '
        '10.0.0.1:2886: GET /api/v1/ob/info: the agent answered HTTP 503')


def test_a_seed_without_topology_is_completed_by_an_agent_of_another_zone(plugin):
    blind = copy.deepcopy(ANSWER)
    blind['obcluster_info']['topology'] = None
    plugin.agents['10.0.0.1:2886'] = blind        # zone1, observer down
    plugin.agents['10.0.0.10:2886'] = blind       # zone1 too
    plugin.agents['10.0.0.2:2886'] = ANSWER       # zone2
    entry = plugin._discover(VALUES, [('10.0.0.1', 2886)], ['10.0.0.1:2886'])
    assert entry['answered_by'] == '10.0.0.2:2886'
    assert [call[0] for call in plugin.log] == ['10.0.0.1:2886', '10.0.0.2:2886']


def test_a_cluster_without_any_readable_topology_is_listed_as_it_is(plugin):
    blind = copy.deepcopy(ANSWER)
    blind['obcluster_info']['topology'] = None
    for address in ('10.0.0.1:2886', '10.0.0.10:2886', '10.0.0.2:2886'):
        plugin.agents[address] = blind
    entry = plugin._discover(VALUES, [('10.0.0.1', 2886)], ['10.0.0.1:2886'])
    assert entry['answered_by'] == '10.0.0.1:2886' and entry['ob_info'] == blind
    assert [call[0] for call in plugin.log] == ['10.0.0.1:2886', '10.0.0.2:2886', '10.0.0.10:2886']


def test_probes_are_one_unauthenticated_request_per_agent_without_retries(plugin):
    plugin._options['probe_agents'] = True
    plugin.agents['10.0.0.1:2886'] = ANSWER
    plugin.agents['10.0.0.10:2886'] = ANSWER
    entry = plugin._discover(VALUES, [('10.0.0.1', 2886)], ['10.0.0.1:2886'])
    assert entry['probes'] == {'10.0.0.1:2886': True, '10.0.0.10:2886': True, '10.0.0.2:2886': 'refused'}
    assert sorted(call for call in plugin.log if call[1] == '/api/v1/info') == sorted([
        ('10.0.0.1:2886', '/api/v1/info', 0), ('10.0.0.10:2886', '/api/v1/info', 0), ('10.0.0.2:2886', '/api/v1/info', 0)])


def test_cache_entries_for_other_seeds_or_of_another_shape_are_not_used():
    good = {'format': inventory.CACHE_FORMAT, 'seeds': ['a:1'], 'answered_by': 'a:1', 'filled_at': 1.0,
            'ob_info': {}, 'probes': {}}
    assert inventory.InventoryModule._usable_cache_entry(good, ['a:1'])
    assert not inventory.InventoryModule._usable_cache_entry(good, ['b:1'])
    assert not inventory.InventoryModule._usable_cache_entry(dict(good, format=0), ['a:1'])
    assert not inventory.InventoryModule._usable_cache_entry('garbage', ['a:1'])
    assert not inventory.InventoryModule._usable_cache_entry(dict(good, probes=None), ['a:1'])


def test_verify_file(tmp_path):
    plugin = inventory.InventoryModule()
    for name, expected in (('prod.obshell.yml', True), ('obshell.yaml', True), ('prod.yml', False),
                           ('prod.obshell.yml.bak', False)):
        path = tmp_path / name
        path.write_text(u'plugin: oceanbase.obshell.obshell\n')
        assert plugin.verify_file(str(path)) is expected, name
    assert plugin.verify_file(str(tmp_path / 'missing.obshell.yml')) is False
