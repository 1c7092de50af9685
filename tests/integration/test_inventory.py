# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The inventory plugin oceanbase.obshell.obshell, run by real ``ansible-inventory -i <file>.obshell.yml --list``
(and ``ansible-playbook``) processes against simulated agents.

Each run has its own directory (the config file, an ansible.cfg, ANSIBLE_HOME, temp dirs), and inherited
ANSIBLE_*, OBSHELL_* and proxy variables are dropped, as tests/integration/_ansible.py does for playbooks.
The ansible binaries are those next to sys.executable; OBSHELL_TEST_ANSIBLE_BIN (a bin directory, e.g. the
ansible-core 2.16 virtualenv's) and OBSHELL_TEST_ANSIBLE_PYTHONPATH (added to PYTHONPATH, for requests) run the
same tests with another ansible-core (tests/integration/_inventory.py runs the tools).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import re
import sys

import pytest

from tests.integration._inventory import run_tool, unwrap, write_config
from tests.support.http_servers import closed_port

PASSWORD = 'R00t-sys/Inventory'
WRONG_PASSWORD = 'Wr0ng-Pass-Never-Shown'


def run_inventory(workdir, config, extra_args=(), extra_env=None, name='cluster.obshell.yml', fail_on_unparsed=False):
    """``ansible-inventory -i <workdir>/<name> --list``. ``fail_on_unparsed``: a source that cannot be parsed is an
    error (rc 1), as with ``inventory_unparsed_failed``; by default Ansible only warns, as it does for operators."""
    path = write_config(workdir, config, name)
    env = dict(extra_env or {})
    if fail_on_unparsed:
        env['ANSIBLE_INVENTORY_UNPARSED_FAILED'] = 'True'
    return run_tool('ansible-inventory', ['-i', path, '--list'] + list(extra_args), workdir, env)


def config_for(*agents, **options):
    config = {'plugin': 'oceanbase.obshell.obshell', 'agents': [getattr(agent, 'address', agent) for agent in agents]}
    config.update(options)
    return config


def name_of(agent, zone=None, cluster='obcluster'):
    return '%s-%s-127-0-0-1-%d' % (cluster, zone or agent.zone, agent.port)


def assert_no_secret(run, *secrets):
    for secret in secrets:
        assert secret not in run.stdout and secret not in run.stderr and secret not in run.text, run.output


@pytest.fixture
def three_zones(sim_cluster):
    return sim_cluster(agents=3, scenario='three_zones', password=PASSWORD)


# ------------------------------------------------------------------------------------------------ the cluster

@pytest.mark.smoke
def test_three_zones_hosts_variables_and_groups(three_zones, tmp_path):
    sim = three_zones
    run = run_inventory(tmp_path, config_for(sim.agents[1], password=PASSWORD), fail_on_unparsed=True)
    assert run.rc == 0, run.output
    assert 'WARNING' not in run.text, run.output
    hostvars = run.hostvars
    names = [name_of(agent) for agent in sim.agents]
    assert sorted(hostvars) == sorted(names)
    first = hostvars[names[0]]
    assert first == {
        'ansible_host': '127.0.0.1', 'obshell_port': sim.agents[0].port, 'obshell_zone': 'zone1',
        'obshell_identity': 'CLUSTER AGENT', 'obshell_version': '4.5.0.0-0', 'obshell_reachable': True,
        'ob_cluster_name': 'obcluster', 'ob_cluster_id': 1, 'ob_cluster_version': '4.2.1.0', 'ob_shared_storage': False,
        'ob_svr_ip': '127.0.0.1', 'ob_svr_port': 2882, 'ob_sql_port': 2881, 'ob_rootserver': True, 'ob_status': 'ACTIVE',
        'ob_build_version': '4.2.1.0_100000102023092807',
    }
    for index, agent in enumerate(sim.agents):
        host = hostvars[names[index]]
        assert host['obshell_port'] == agent.port and host['obshell_zone'] == 'zone%d' % (index + 1)
        assert host['ob_rootserver'] is (index == 0)
        assert 'obshell_host' not in host and 'obshell_password' not in host
    groups = run.groups()
    for index, agent in enumerate(sim.agents):
        assert groups['obshell_zone_zone%d' % (index + 1)] == [names[index]]
    assert groups['obshell_rootservers'] == [names[0]]
    assert groups['obshell_cluster_agent'] == sorted(names)
    assert groups['obshell_unreachable'] == []
    assert_no_secret(run, PASSWORD)
    # the seed was asked for the cluster once; every agent was probed without authentication
    asked = [(entry['agent'], entry['path'], entry['auth_header']) for entry in sim.requests]
    assert [entry for entry in asked if entry[1] == '/api/v1/ob/info'] == [(sim.agents[1].address, '/api/v1/ob/info', 'X-OCS-Header')]
    for agent in sim.agents:
        assert (agent.address, '/api/v1/info', None) in asked


def test_host_names_are_stable_across_runs_and_seeds(three_zones, tmp_path):
    sim = three_zones
    runs = [run_inventory(tmp_path, config_for(agent, password=PASSWORD)) for agent in (sim.agents[0], sim.agents[2])]
    runs.append(run_inventory(tmp_path, config_for(sim.agents[0], password=PASSWORD)))
    for run in runs:
        assert run.rc == 0, run.output
    listings = [(sorted(run.hostvars), run.groups()) for run in runs]
    assert listings[0] == listings[1] == listings[2]
    # ansible's host order too (serial, groups[...][0])
    assert [json.loads(run.stdout)['obshell_cluster_agent']['hosts'] for run in runs] == \
        [[name_of(agent) for agent in sim.agents]] * 3


def test_graph_and_host_views(three_zones, tmp_path):
    sim = three_zones
    path = write_config(tmp_path, config_for(sim.agents[0], password=PASSWORD))
    graph = run_tool('ansible-inventory', ['-i', path, '--graph'], tmp_path)
    assert graph.rc == 0, graph.output
    assert '@obshell_zone_zone2:' in graph.stdout and name_of(sim.agents[1]) in graph.stdout
    host = run_tool('ansible-inventory', ['-i', path, '--host', name_of(sim.agents[2])], tmp_path)
    assert host.rc == 0, host.output
    assert unwrap(json.loads(host.stdout))['obshell_zone'] == 'zone3'


# ------------------------------------------------------------------------------------------------ seeds

def test_follower_seed_is_answered_through_its_master(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, identities=['MASTER', 'FOLLOWER', 'FOLLOWER'], password=PASSWORD)
    # not initialised yet: there is no root@sys password (spec §1.8)
    run = run_inventory(tmp_path, config_for(sim.agents[2]), fail_on_unparsed=True)
    assert run.rc == 0, run.output
    forwarded = [entry for entry in sim.requests if entry['path'] == '/api/v1/ob/info']
    assert [(entry['agent'], entry['forwarded_to']) for entry in forwarded] == [(sim.agents[2].address, sim.agents[0].address)]
    groups = run.groups()
    assert groups['obshell_master'] == [name_of(sim.agents[0])]
    assert groups['obshell_follower'] == sorted(name_of(agent) for agent in sim.agents[1:])
    # not initialised: no topology, and no warning about it (there is none to read yet)
    assert groups['obshell_rootservers'] == []
    assert 'topology' not in run.text, run.output
    assert all('ob_status' not in host for host in run.hostvars.values())
    assert set(host['obshell_identity'] for host in run.hostvars.values()) == set(['MASTER', 'FOLLOWER'])
    # the password of the cluster to be, given too early, is refused, and the message says why
    early = run_inventory(tmp_path, config_for(sim.agents[2], password=PASSWORD), fail_on_unparsed=True)
    assert early.rc != 0
    assert ('this agent is FOLLOWER: its cluster is not initialised yet and has no root@sys password, so leave '
            'password unset') in early.text, early.output
    assert_no_secret(early, PASSWORD)


@pytest.mark.smoke
def test_a_down_seed_then_a_good_one(three_zones, tmp_path):
    sim = three_zones
    sim.agents[0].go_down()
    dead = '127.0.0.1:%d' % closed_port()
    run = run_inventory(tmp_path, config_for(dead, sim.agents[0], sim.agents[1], password=PASSWORD), fail_on_unparsed=True)
    assert run.rc == 0, run.output
    assert 'WARNING' not in run.text, run.output
    hostvars = run.hostvars
    # the agent of the down seed is still in the topology: listed, flagged
    down = hostvars[name_of(sim.agents[0])]
    assert down['obshell_reachable'] is False and down['ob_rootserver'] is True
    assert 'refused' in down['obshell_unreachable_reason'] or 'connect' in down['obshell_unreachable_reason']
    assert run.groups()['obshell_unreachable'] == [name_of(sim.agents[0])]
    # down seeds are passed at once (no retries while another seed may answer)
    assert run.elapsed < 20, run.output


def test_wrong_password_is_one_clear_error_without_the_password(three_zones, tmp_path):
    sim = three_zones
    run = run_inventory(tmp_path, config_for(sim.agents[0], password=WRONG_PASSWORD), extra_args=['-vvvv'],
                        fail_on_unparsed=True)
    assert run.rc != 0, run.output
    message = 'cannot list the OceanBase cluster: seed agent %s: GET /api/v1/ob/info: authentication failed: ' \
              'the root@sys password is wrong' % sim.agents[0].address
    assert message in run.text, run.output
    assert_no_secret(run, WRONG_PASSWORD, PASSWORD)
    # an auth failure is not retried
    assert len([entry for entry in sim.requests if entry['path'] == '/api/v1/ob/info']) == 1


def test_without_failing_on_unparsed_ansible_warns_with_our_message_once(three_zones, tmp_path):
    sim = three_zones
    run = run_inventory(tmp_path, config_for(sim.agents[0], password=WRONG_PASSWORD))
    assert run.rc == 0, run.output
    # 2.16: "[WARNING]:  * Failed to parse <file> with auto plugin: <ours>"; 2.19 repeats it under "caused by"
    assert re.search(r"\[WARNING\]: .*Failed to parse .* with '?auto'? plugin: oceanbase\.obshell\.obshell: cannot list the "
                     r"OceanBase cluster: seed agent \S+: GET /api/v1/ob/info: authentication failed: the root@sys password "
                     r"is wrong", run.text), run.output
    assert run.hostvars == {}
    assert len([entry for entry in sim.requests if entry['path'] == '/api/v1/ob/info']) == 1


def test_single_agent_seed(sim_cluster, tmp_path):
    sim = sim_cluster(agents=1, identities='SINGLE')
    run = run_inventory(tmp_path, config_for(sim.agents[0]), fail_on_unparsed=True)
    assert run.rc != 0, run.output
    assert ('seed agent %s is a SINGLE agent, not part of an OceanBase cluster' % sim.agents[0].address) in run.text, \
        run.output


def test_every_failed_seed_is_named_with_its_cause(sim_cluster, tmp_path):
    cluster = sim_cluster(agents=1, password=PASSWORD)
    single = sim_cluster(agents=1, identities='SINGLE')
    unknown = sim_cluster(agents=1, identities='UNIDENTIFIED')
    dead = '127.0.0.1:%d' % closed_port()
    config = config_for(dead, single.agents[0], unknown.agents[0], cluster.agents[0], retries=1)
    run = run_inventory(tmp_path, config, fail_on_unparsed=True)
    assert run.rc != 0, run.output
    text = run.text
    assert 'none of the 4 seed agents answered: %s: ' % dead in text, run.output
    assert '%s is a SINGLE agent' % single.agents[0].address in text
    assert '%s: GET /api/v1/ob/info: the agent answered HTTP 500 [Agent.Identify.Unknown]: Agent identify is unknown: ' \
           'UNIDENTIFIED' % unknown.agents[0].address in text
    assert '%s: GET /api/v1/ob/info: authentication failed: no root@sys password was given' % cluster.agents[0].address in text
    # the down seed and the 500 are worth a second try (retries=1); the SINGLE agent and the refusal are not
    asked = [entry['agent'] for entry in unknown.requests + single.requests + cluster.requests
             if entry['path'] == '/api/v1/ob/info']
    assert sorted(asked) == sorted([single.agents[0].address, unknown.agents[0].address, cluster.agents[0].address])


@pytest.mark.parametrize('seed,expected', [
    ('https://127.0.0.1:2886', "agents[0]: 'https://127.0.0.1:2886' has a scheme: give host or host:port"),
    ('127.0.0.1:2886:extra', "agents[0]: '127.0.0.1:2886:extra' is neither host, host:port, [IPv6]:port nor an IPv6 address"),
    ('127.0.0.1:notaport', "agents[0]: '127.0.0.1:notaport': the port must be a number"),
    ('10.0.0.1/api', "agents[0]: '10.0.0.1/api' is not host or host:port"),
    ('10.0.0.1:70000', "agents[0]: '10.0.0.1:70000': the port must be between 1 and 65535"),
])
def test_bad_seed_addresses_name_the_option(tmp_path, seed, expected):
    run = run_inventory(tmp_path, config_for(seed), fail_on_unparsed=True)
    assert run.rc != 0, run.output
    assert expected in run.text, run.output


def test_no_seed_at_all(tmp_path):
    run = run_inventory(tmp_path, {'plugin': 'oceanbase.obshell.obshell'}, fail_on_unparsed=True)
    assert run.rc != 0, run.output
    assert 'name the seed agents in agents' in run.text, run.output


def test_host_and_port_from_the_environment_are_the_seed(three_zones, tmp_path):
    sim = three_zones
    run = run_inventory(tmp_path, {'plugin': 'oceanbase.obshell.obshell'}, fail_on_unparsed=True,
                        extra_env={'OBSHELL_HOST': '127.0.0.1', 'OBSHELL_PORT': sim.agents[2].port,
                                   'OBSHELL_PASSWORD': PASSWORD})
    assert run.rc == 0, run.output
    assert len(run.hostvars) == 3
    assert_no_secret(run, PASSWORD)


def test_garbage_from_the_seed(three_zones, tmp_path):
    sim = three_zones
    sim.agents[0].inject_malformed('html', count=5)
    run = run_inventory(tmp_path, config_for(sim.agents[0], password=PASSWORD, retries=0), fail_on_unparsed=True)
    assert run.rc != 0, run.output
    assert 'seed agent %s: ' % sim.agents[0].address in run.text and 'not an OBShell JSON envelope' in run.text, \
        run.output
    assert '\x1b' not in run.text


def test_an_agent_error_message_cannot_drive_the_terminal(three_zones, tmp_path):
    sim = three_zones
    api = sim.agents[0].api
    api.h_ob_info = lambda agent, req, ctx: api.fail(agent, ctx, 'Common.Unexpected', status=500,
                                                     message='\x1b[2J\x1b[31mclean screen\x1b[0m')
    run = run_inventory(tmp_path, config_for(sim.agents[0], password=PASSWORD, retries=0), fail_on_unparsed=True)
    assert run.rc != 0, run.output
    assert '\x1b' not in run.stderr and '\\e[2J\\e[31mclean screen' in run.text, run.output


def test_an_answer_that_is_not_a_cluster_moves_on_to_the_next_seed(three_zones, tmp_path):
    sim = three_zones
    api = sim.agents[0].api
    api.h_ob_info = lambda agent, req, ctx: api.ok(agent, ctx, {'agent_info': 'all of them', 'obcluster_info': {}})
    run = run_inventory(tmp_path, config_for(sim.agents[0], sim.agents[1], password=PASSWORD), fail_on_unparsed=True)
    assert run.rc == 0, run.output
    assert len(run.hostvars) == 3
    run = run_inventory(tmp_path, config_for(sim.agents[0], password=PASSWORD), fail_on_unparsed=True)
    assert run.rc != 0
    assert ('seed agent %s answered GET /api/v1/ob/info with something that is not a cluster description: '
            'agent_info is str, not a list' % sim.agents[0].address) in run.text, run.output


def test_hostile_agent_entries_never_become_hosts(three_zones, tmp_path, ):
    sim = three_zones
    api = sim.agents[0].api
    real = api.h_ob_info

    def hostile(agent, req, ctx):
        response = real(agent, req, ctx)
        data = response.envelope['data']
        data['agent_info'].extend([
            {'ip': '-oProxyCommand=touch /tmp/pwned', 'port': 2886, 'zone': 'zone1', 'identity': 'CLUSTER AGENT'},
            {'ip': '10.0.0.9', 'port': 'many', 'zone': 'zone1'},
            dict(data['agent_info'][0]),            # listed twice
            'not an agent',
        ])
        return response
    api.h_ob_info = hostile
    run = run_inventory(tmp_path, config_for(sim.agents[0], password=PASSWORD), fail_on_unparsed=True)
    assert run.rc == 0, run.output
    assert sorted(run.hostvars) == sorted(name_of(agent) for agent in sim.agents)
    text = run.text
    assert 'an agent with no usable ip and port (-oProxyCommand=touch /tmp/pwned:2886) is left out' in text, run.output
    assert 'agent %s is listed twice' % sim.agents[0].address in text


# ------------------------------------------------------------------------------------------------ the topology

def test_an_agent_of_the_topology_that_is_down(three_zones, tmp_path):
    sim = three_zones
    sim.agents[2].go_down()
    run = run_inventory(tmp_path, config_for(sim.agents[0], password=PASSWORD, request_timeout=3), fail_on_unparsed=True)
    assert run.rc == 0, run.output
    hostvars = run.hostvars
    down = hostvars[name_of(sim.agents[2])]
    assert down['obshell_reachable'] is False
    assert 'cannot' in down['obshell_unreachable_reason'] and sim.agents[2].address in down['obshell_unreachable_reason']
    assert down['ob_status'] == 'ACTIVE' and down['obshell_zone'] == 'zone3'   # its observer still runs
    assert [hostvars[name_of(agent)]['obshell_reachable'] for agent in sim.agents[:2]] == [True, True]
    assert run.groups()['obshell_unreachable'] == [name_of(sim.agents[2])]


def test_probe_agents_false_asks_only_the_seed(three_zones, tmp_path):
    sim = three_zones
    run = run_inventory(tmp_path, config_for(sim.agents[0], password=PASSWORD, probe_agents=False), fail_on_unparsed=True)
    assert run.rc == 0, run.output
    assert all('obshell_reachable' not in host for host in run.hostvars.values())
    assert 'obshell_unreachable' not in run.data
    assert set(entry['agent'] for entry in sim.requests) == set([sim.agents[0].address])


def test_observer_down_at_the_seed_takes_the_topology_from_another_zone(three_zones, tmp_path):
    sim = three_zones
    sim.agents[0].observer_down()
    run = run_inventory(tmp_path, config_for(sim.agents[0], password=PASSWORD), fail_on_unparsed=True)
    assert run.rc == 0, run.output
    assert 'WARNING' not in run.text, run.output
    hostvars = run.hostvars
    assert hostvars[name_of(sim.agents[0])]['ob_status'] == 'INACTIVE'
    assert hostvars[name_of(sim.agents[0])]['ob_rootserver'] is True
    asked = [entry['agent'] for entry in sim.requests if entry['path'] == '/api/v1/ob/info']
    assert asked == [sim.agents[0].address, sim.agents[1].address]


def test_no_observer_readable_lists_the_agents_and_says_so(three_zones, tmp_path):
    sim = three_zones
    for agent in sim.agents:
        agent.observer_down()
    run = run_inventory(tmp_path, config_for(sim.agents[0], password=PASSWORD), fail_on_unparsed=True)
    assert run.rc == 0, run.output
    assert 'no agent could give the topology of the cluster' in run.text, run.output
    hostvars = run.hostvars
    assert sorted(hostvars) == sorted(name_of(agent) for agent in sim.agents)
    assert all('ob_status' not in host and 'ob_rootserver' not in host for host in hostvars.values())
    assert run.groups()['obshell_rootservers'] == []


# ------------------------------------------------------------------------------------------------ names

HOSTILE_ZONES = ['zone 1', 'zone.1', '\x1b[31mred\x1b[0m', 'z\u00f6ne', '\u533a\u57df\u4e00', "{{ lookup('pipe', 'touch PWNED') }}"]


def test_hostile_zone_names(sim_cluster, tmp_path):
    sim = sim_cluster(agents=6, zones=HOSTILE_ZONES, password=PASSWORD)
    marker = os.path.join(str(tmp_path), 'PWNED')
    config = config_for(sim.agents[0], password=PASSWORD, compose={'zone_copy': 'obshell_zone', 'ansible_connection': "'local'"},
                        keyed_groups=[{'key': 'obshell_zone', 'prefix': 'keyed'}])
    run = run_inventory(tmp_path, config, fail_on_unparsed=True)
    assert run.rc == 0, run.output
    hostvars = run.hostvars
    by_zone = dict((host['obshell_zone'], name) for name, host in hostvars.items())
    assert sorted(by_zone) == sorted(HOSTILE_ZONES)          # the agents' words, unchanged, as data
    assert all(host['zone_copy'] == host['obshell_zone'] for host in hostvars.values())
    assert by_zone['\x1b[31mred\x1b[0m'] == 'obcluster-red-127-0-0-1-%d' % sim.agents[2].port
    assert by_zone['z\u00f6ne'] == 'obcluster-z\u00f6ne-127-0-0-1-%d' % sim.agents[3].port
    assert by_zone["{{ lookup('pipe', 'touch PWNED') }}"] == 'obcluster-lookup-pipe-touch-PWNED-127-0-0-1-%d' % sim.agents[5].port
    for name in hostvars:
        assert all(char.isalnum() or char in '-_' for char in name), name
    groups = run.groups()
    zone_groups = sorted(name for name in groups if name.startswith('obshell_zone_'))
    assert len(zone_groups) == 6 and all(len(groups[name]) == 1 for name in zone_groups)
    # "zone 1" and "zone.1" both make zone_1: each gets a hash of its name, and the operator is told
    assert len([name for name in zone_groups if name.startswith('obshell_zone_zone_1_')]) == 2
    assert 'obshell_zone_red' in groups and 'obshell_zone_z\u00f6ne' in groups and 'obshell_zone_\u533a\u57df\u4e00' in groups
    assert 'have no distinct safe group name' in run.text
    assert '\x1b' not in run.text and '\x1b' not in run.stdout, run.output
    assert not os.path.exists(marker)
    # and a play that uses the variables does not run the template either
    path = write_config(tmp_path, config)
    with open(os.path.join(str(tmp_path), 'play.yml'), 'w') as handle:
        handle.write('- hosts: all\n  gather_facts: false\n  tasks:\n    - ansible.builtin.debug:\n'
                     '        msg: "zone={{ obshell_zone }}"\n')
    play = run_tool('ansible-playbook', ['-i', path, 'play.yml'], tmp_path,
                    extra_env={'ANSIBLE_PYTHON_INTERPRETER': sys.executable})
    assert play.rc == 0, play.output
    assert "lookup('pipe', 'touch PWNED')" in play.stdout
    assert not os.path.exists(marker)


def test_hostname_template(three_zones, tmp_path):
    sim = three_zones
    run = run_inventory(tmp_path, config_for(sim.agents[0], password=PASSWORD,
                                             hostname="'ob-' ~ obshell_zone ~ '.' ~ obshell_port"), fail_on_unparsed=True)
    assert run.rc == 0, run.output
    assert sorted(run.hostvars) == sorted('ob-%s.%d' % (agent.zone, agent.port) for agent in sim.agents)
    clash = run_inventory(tmp_path, config_for(sim.agents[0], password=PASSWORD, hostname='ob_cluster_name'),
                          fail_on_unparsed=True)
    assert clash.rc != 0
    assert 'would both be named obcluster: change hostname' in clash.text, clash.output
    broken = run_inventory(tmp_path, config_for(sim.agents[0], password=PASSWORD, hostname='no_such_variable'),
                           fail_on_unparsed=True)
    assert broken.rc != 0
    assert "hostname 'no_such_variable' failed for the agent %s" % sim.agents[0].address in broken.text, broken.output


def test_group_prefix(three_zones, tmp_path):
    sim = three_zones
    run = run_inventory(tmp_path, config_for(sim.agents[0], password=PASSWORD, group_prefix='prod_'), fail_on_unparsed=True)
    assert run.rc == 0, run.output
    groups = run.groups()
    assert groups['prod_zone_zone1'] == [name_of(sim.agents[0])] and groups['prod_rootservers'] == [name_of(sim.agents[0])]
    assert 'prod_cluster_agent' in groups and not [name for name in groups if name.startswith('obshell_')]
    bad = run_inventory(tmp_path, config_for(sim.agents[0], group_prefix='9-bad'), fail_on_unparsed=True)
    assert bad.rc != 0 and "group_prefix '9-bad' must be letters, digits and _" in bad.text, bad.output


# ------------------------------------------------------------------------------------------------ constructed

def test_compose_groups_and_keyed_groups(three_zones, tmp_path):
    sim = three_zones
    sim.agents[1].observer_down()
    config = config_for(sim.agents[0], password=PASSWORD,
                        compose={'ansible_user': "'admin'", 'sql_endpoint': "ansible_host ~ ':' ~ ob_sql_port"},
                        groups={'followers_of_rs': 'not ob_rootserver', 'observers_down': "ob_status != 'ACTIVE'"},
                        keyed_groups=[{'key': 'ob_status', 'prefix': 'status'},
                                      {'key': 'ob_cluster_name', 'prefix': 'cluster', 'separator': '_'}],
                        strict=True)
    run = run_inventory(tmp_path, config, fail_on_unparsed=True)
    assert run.rc == 0, run.output
    hostvars = run.hostvars
    names = [name_of(agent) for agent in sim.agents]
    assert all(hostvars[name]['ansible_user'] == 'admin' and hostvars[name]['sql_endpoint'] == '127.0.0.1:2881'
               for name in names)
    groups = run.groups()
    assert groups['followers_of_rs'] == sorted(names[1:])
    assert groups['observers_down'] == [names[1]]
    assert groups['status_INACTIVE'] == [names[1]] and groups['status_ACTIVE'] == sorted([names[0], names[2]])
    assert groups['cluster_obcluster'] == sorted(names)


def test_strict_compose_error_names_the_host(three_zones, tmp_path):
    sim = three_zones
    config = config_for(sim.agents[0], password=PASSWORD, compose={'x': 'no_such_var.attr'}, strict=True)
    run = run_inventory(tmp_path, config, fail_on_unparsed=True)
    assert run.rc != 0
    assert 'Could not set x for host' in run.text, run.output


# ------------------------------------------------------------------------------------------------ caching

def test_cache_lists_the_cluster_while_every_agent_is_down(three_zones, tmp_path):
    sim = three_zones
    cache_dir = os.path.join(str(tmp_path), 'inventory-cache')
    config = config_for(sim.agents[0], password=PASSWORD, cache=True, cache_plugin='ansible.builtin.jsonfile',
                        cache_connection=cache_dir, cache_timeout=600)
    first = run_inventory(tmp_path, config, fail_on_unparsed=True)
    assert first.rc == 0, first.output
    files = os.listdir(cache_dir)
    assert len(files) == 1
    with open(os.path.join(cache_dir, files[0])) as handle:
        assert PASSWORD not in handle.read()
    requests_before = len(sim.requests)
    for agent in sim.agents:
        agent.go_down()
    second = run_inventory(tmp_path, config, fail_on_unparsed=True)
    assert second.rc == 0, second.output
    assert second.hostvars == first.hostvars and second.groups() == first.groups()
    assert len(sim.requests) == requests_before
    # --flush-cache asks again, and with every agent down that fails (ansible-playbook: ansible-inventory 2.16 has
    # no --flush-cache)
    with open(os.path.join(str(tmp_path), 'noop.yml'), 'w') as handle:
        handle.write('- hosts: all\n  gather_facts: false\n  tasks: []\n')
    flushed = run_tool('ansible-playbook', ['-i', write_config(tmp_path, config), '--flush-cache', 'noop.yml'], tmp_path,
                       extra_env={'ANSIBLE_INVENTORY_UNPARSED_FAILED': 'True'})
    assert flushed.rc != 0 and 'cannot list the OceanBase cluster' in flushed.text, flushed.output
    assert len(sim.requests) == requests_before
    # the cache says which seeds it was filled for: other seeds ask the agents
    for agent in sim.agents:
        agent.come_up()
    other = run_inventory(tmp_path, dict(config, agents=[sim.agents[1].address]), fail_on_unparsed=True)
    assert other.rc == 0, other.output
    assert [entry['agent'] for entry in sim.requests if entry['path'] == '/api/v1/ob/info'][-1] == sim.agents[1].address


def test_without_cache_nothing_is_written(three_zones, tmp_path):
    sim = three_zones
    cache_dir = os.path.join(str(tmp_path), 'inventory-cache')
    config = config_for(sim.agents[0], password=PASSWORD, cache_plugin='ansible.builtin.jsonfile', cache_connection=cache_dir)
    run = run_inventory(tmp_path, config, fail_on_unparsed=True)
    assert run.rc == 0, run.output
    assert not os.path.exists(cache_dir) or not os.listdir(cache_dir)


# ------------------------------------------------------------------------------------------------ secrets

def test_vaulted_password_in_the_config_file(three_zones, tmp_path):
    sim = three_zones
    vault_file = os.path.join(str(tmp_path), 'vault-pass')
    with open(vault_file, 'w') as handle:
        handle.write('vault-secret\n')
    encrypted = run_tool('ansible-vault', ['encrypt_string', '--vault-password-file', vault_file, PASSWORD,
                                           '--name', 'password'], tmp_path)
    assert encrypted.rc == 0, encrypted.output
    config = 'plugin: oceanbase.obshell.obshell\nagents:\n  - %s\n%s' % (sim.agents[0].address, encrypted.stdout)
    run = run_inventory(tmp_path, config, extra_args=['--vault-password-file', vault_file], fail_on_unparsed=True)
    assert run.rc == 0, run.output
    assert len(run.hostvars) == 3
    assert_no_secret(run, PASSWORD)
    without = run_inventory(tmp_path, config, fail_on_unparsed=True)
    assert without.rc != 0 and 'vault' in without.text.lower(), without.output
    assert_no_secret(without, PASSWORD)


def test_password_from_the_environment_and_from_extra_vars(three_zones, tmp_path):
    sim = three_zones
    run = run_inventory(tmp_path, config_for(sim.agents[0]), extra_env={'OBSHELL_PASSWORD': PASSWORD}, fail_on_unparsed=True)
    assert run.rc == 0, run.output
    assert len(run.hostvars) == 3
    assert_no_secret(run, PASSWORD)
    # extra vars are play variables too, so ansible-inventory shows them in every host: that one is the operator's
    run = run_inventory(tmp_path, config_for(sim.agents[0]), extra_args=['-e', 'obshell_password=%s' % PASSWORD],
                        fail_on_unparsed=True)
    assert run.rc == 0, run.output
    assert len(run.hostvars) == 3


def test_tls_with_a_private_ca(sim_cluster, sim_pki, tmp_path):
    sim = sim_cluster(agents=3, zones='zone1,zone2,zone3', password=PASSWORD,
                      tls={'cert': sim_pki['server_cert'], 'key': sim_pki['server_key']})
    run = run_inventory(tmp_path, config_for(sim.agents[0], password=PASSWORD, use_tls=True, ca_path=sim_pki['ca']),
                        fail_on_unparsed=True)
    assert run.rc == 0, run.output
    assert all(host['obshell_reachable'] for host in run.hostvars.values())
    plain = run_inventory(tmp_path, config_for(sim.agents[0], password=PASSWORD, retries=0), fail_on_unparsed=True)
    assert plain.rc != 0 and 'seed agent %s' % sim.agents[0].address in plain.text, plain.output
    missing = run_inventory(tmp_path, config_for(sim.agents[0], use_tls=True, ca_path='/nonexistent/ca.pem'),
                            fail_on_unparsed=True)
    assert missing.rc != 0 and "ca_path '/nonexistent/ca.pem' does not exist" in missing.text, missing.output


# ------------------------------------------------------------------------------------------------ the file name

def test_only_files_named_obshell_yml_are_taken(three_zones, tmp_path):
    sim = three_zones
    run = run_inventory(tmp_path, config_for(sim.agents[0], password=PASSWORD), name='cluster.yml', fail_on_unparsed=True)
    assert run.rc != 0, run.output
    assert not [entry for entry in sim.requests if entry['path'] == '/api/v1/ob/info']
    run = run_inventory(tmp_path, config_for(sim.agents[0], password=PASSWORD), name='prod.obshell.yaml', fail_on_unparsed=True)
    assert run.rc == 0, run.output
    assert len(run.hostvars) == 3


# ------------------------------------------------------------------------------------------------ more connections

def test_ipv6_agents(sim_cluster, tmp_path):
    sim = sim_cluster(agents=2, host='::1', zones='zone1,zone2', password=PASSWORD)
    run = run_inventory(tmp_path, config_for(sim.agents[1], password=PASSWORD), fail_on_unparsed=True)
    assert run.rc == 0, run.output
    hostvars = run.hostvars
    assert sorted(hostvars) == sorted('obcluster-zone%d---1-%d' % (index + 1, agent.port) for index, agent in enumerate(sim.agents))
    assert all(host['ansible_host'] == '::1' and host['obshell_reachable'] for host in hostvars.values())
    bare = run_inventory(tmp_path, config_for('::1', port=sim.agents[0].port, password=PASSWORD), fail_on_unparsed=True)
    assert bare.rc == 0 and sorted(bare.hostvars) == sorted(hostvars), bare.output


def test_agent_password(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, zones='zone1,zone2,zone3', password=PASSWORD, agent_password='Ag3nt-Pass')
    run = run_inventory(tmp_path, config_for(sim.agents[0], agent_password='Ag3nt-Pass'), fail_on_unparsed=True)
    assert run.rc == 0, run.output
    assert len(run.hostvars) == 3
    assert [entry['auth_header'] for entry in sim.requests if entry['path'] == '/api/v1/ob/info'] == ['X-OCS-Agent-Header']
    wrong = run_inventory(tmp_path, config_for(sim.agents[0], agent_password='Wr0ng-Agent'), fail_on_unparsed=True)
    assert wrong.rc != 0 and 'the agent password is wrong' in wrong.text, wrong.output
    assert_no_secret(wrong, 'Wr0ng-Agent', 'Ag3nt-Pass', PASSWORD)


def test_ansible_doc_renders_the_plugin(tmp_path):
    write_config(tmp_path, config_for('127.0.0.1'))
    done = run_tool('ansible-doc', ['-t', 'inventory', '--json', 'oceanbase.obshell.obshell'], tmp_path)
    assert done.rc == 0, done.output
    doc = json.loads(done.stdout)['oceanbase.obshell.obshell']
    options = doc['doc']['options']
    for name in ('agents', 'hostname', 'group_prefix', 'probe_agents', 'password', 'use_tls', 'ca_path', 'compose',
                 'keyed_groups', 'groups', 'strict', 'cache', 'cache_plugin', 'cache_timeout', 'cache_connection'):
        assert name in options, name
    assert options['password']['env'] == [{'name': 'OBSHELL_PASSWORD'}]
    assert 'plugin: oceanbase.obshell.obshell' in doc['examples']
    text = run_tool('ansible-doc', ['-t', 'inventory', 'oceanbase.obshell.obshell'], tmp_path)
    assert text.rc == 0 and 'EXAMPLES' in text.stdout, text.output
