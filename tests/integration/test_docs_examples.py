# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every example of README.md, roles/wait_for_tasks/README.md and docs/*.md runs as written, against simulated
agents, with real ansible-inventory and ansible-playbook processes; and the zone-by-zone and scale-out playbooks of
playbooks/ do what they say.

Each ```yaml or ```ini block of those files carries, on the line before it, an HTML comment saying what it is:

    <!-- example: inventory -->          a whole inventory file of the oceanbase.obshell.obshell plugin
    <!-- example: inventory-options -->  options added to a minimal inventory file (plugin, agents)
    <!-- example: ansible-cfg -->        lines of ansible.cfg
    <!-- example: vars -->               group_vars/all of the inventory
    <!-- example: playbook -->           a playbook, run on the cluster's inventory
    <!-- example: rulebook -->           an ansible-rulebook rulebook: run by tests/integration/test_eda.py (it needs
                                         ansible-rulebook and Java, in the eda stage); here only its shape is checked

followed by settings of the run: ``scenario=<simulator scenario>``, ``tls=server|mutual``, ``extra="<more
ansible-playbook arguments>"``. Only two things of an example are rewritten to reach the simulator: agent addresses
(the n-th address of ``agents`` becomes the n-th simulated agent) and the TLS file paths (the test CA and client
certificate). The root@sys password is given as the README says: the vaulted extra variable obshell_password
(``-e @vault.yml``), encrypted with ansible-vault.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import re
import shlex
import sys
import threading
import time

import pytest
import yaml

from tests.integration._ansible import REPO_ROOT
from tests.integration._examples import ALL_BLOCKS, EXAMPLES, KINDS, fenced_blocks
from tests.integration._inventory import run_tool, unwrap, write_config
from tests.support.http_servers import closed_port

pytest_plugins = ['tests.simulator.pytest_plugin']

PASSWORD = 'R00t-sys/Docs-Example'
VAULT_PASSWORD = 'vault-pass-of-the-docs-tests'
TLS_FILES = {'ca_path': 'ca', 'client_cert': 'client_cert', 'client_key': 'client_key'}
ZONES = {'zone1': [0], 'zone2': [1], 'zone3': [2]}


def test_every_yaml_and_ini_block_is_a_tested_example():
    """A block of YAML or INI in the docs is something a reader copies: each must say what it is, to be run below."""
    unannotated = [block.id for block in ALL_BLOCKS if block.lang in ('yaml', 'yml', 'ini') and not block.kind]
    assert unannotated == [], 'annotate these blocks with <!-- example: KIND -->: %s' % unannotated
    unknown = [(block.id, block.kind) for block in EXAMPLES if block.kind not in KINDS]
    assert unknown == []
    assert set(block.path for block in EXAMPLES) >= set(['README.md', 'docs/inventory.md',
                                                         'roles/wait_for_tasks/README.md'])
    assert len([block for block in EXAMPLES if block.kind == 'playbook']) >= 8


def test_rulebook_examples_are_rulebooks_of_this_source():
    """A rulebook example is run by tests/integration/test_eda.py (eda stage); here, in every stage, it must at least
    be a rulebook that uses the event source and names agents that test maps to the simulator."""
    blocks = [block for block in EXAMPLES if block.kind == 'rulebook']
    assert set(block.path for block in blocks) >= set(['README.md', 'docs/eda.md'])
    for block in blocks:
        rulesets = yaml.safe_load(block.text)
        assert isinstance(rulesets, list) and rulesets, block.id
        for ruleset in rulesets:
            assert set(ruleset) >= set(['name', 'hosts', 'sources', 'rules']), block.id
            sources = [list(source)[0] for source in ruleset['sources']]
            assert 'oceanbase.obshell.dag_events' in sources, block.id
        assert re.search(r'\b10\.0\.0\.[0-9]+', block.text), block.id


def test_the_block_parser_is_not_fooled():
    """The annotation is the line right before the fence (blank lines aside), and indented fences are read too."""
    text = ('x\n<!-- example: vars tls=server -->\n\n```yaml\na: 1\n```\n- item\n\n  ```yaml\n  b: 2\n  ```\n'
            '<!-- example: playbook -->\nprose\n```yaml\nc: 3\n```\n')
    path = os.path.join('tests', 'output', 'docs-parser-check.md')
    full = os.path.join(REPO_ROOT, path)
    if not os.path.isdir(os.path.dirname(full)):
        os.makedirs(os.path.dirname(full))
    with open(full, 'w') as handle:
        handle.write(text)
    try:
        blocks = fenced_blocks(path)
    finally:
        os.remove(full)
    assert [(block.kind, block.settings, yaml.safe_load(block.text)) for block in blocks] == [
        ('vars', {'tls': 'server'}, {'a': 1}), (None, {}, {'b': 2}), (None, {}, {'c': 3})]


# ------------------------------------------------------------------------------------------------ running them

def simulated_cluster(sim_cluster, sim_pki, settings):
    tls = None
    if settings.get('tls'):
        tls = {'cert': sim_pki['server_cert'], 'key': sim_pki['server_key'],
               'client_ca': sim_pki['ca'] if settings['tls'] == 'mutual' else None}
    sim = sim_cluster(agents=3, zones=ZONES, password=PASSWORD, step_seconds=0.15, tls=tls,
                      scenario=settings.get('scenario', 'idle'))
    return sim


def to_simulator(config, sim, pki, prefix=''):
    """The example's agent addresses and TLS files, pointed at the simulator and the test PKI."""
    config = dict(config)
    if 'agents' in config:
        config['agents'] = [sim.agents[index % len(sim.agents)].address for index in range(len(config['agents']))]
    for key, name in TLS_FILES.items():
        if prefix + key in config:
            config[prefix + key] = pki[name]
    return config


@pytest.fixture(scope='module')
def vault(tmp_path_factory):
    """vault.yml holding obshell_password, made as README.md says (ansible-vault encrypt_string --name ...), and the
    ansible-playbook arguments that read it."""
    workdir = tmp_path_factory.mktemp('vault')
    secret = os.path.join(str(workdir), 'vault-pass')
    with open(secret, 'w') as handle:
        handle.write(VAULT_PASSWORD + '\n')
    write_config(workdir, '', name='unused.yml')
    made = run_tool('ansible-vault', ['encrypt_string', '--vault-password-file', secret, PASSWORD,
                                      '--name', 'obshell_password'], workdir)
    assert made.rc == 0, made.output
    assert PASSWORD not in made.stdout and '$ANSIBLE_VAULT' in made.stdout
    path = os.path.join(str(workdir), 'vault.yml')
    with open(path, 'w') as handle:
        handle.write(made.stdout)
    return ['-e', '@' + path, '--vault-password-file', secret]


def cluster_inventory(workdir, sim, pki, inventory=None, group_vars=None):
    """inventory/prod.obshell.yml (the plugin on the simulator) and its group_vars/all: the hosts are reached with
    the local connection, as the simulated agents run here."""
    directory = os.path.join(str(workdir), 'inventory')
    os.makedirs(os.path.join(directory, 'group_vars', 'all'))
    config = inventory or {'plugin': 'oceanbase.obshell.obshell', 'agents': [sim.agents[0].address]}
    if sim.tls and not inventory:
        config.update({'use_tls': True, 'ca_path': pki['ca'], 'client_cert': pki['client_cert'],
                       'client_key': pki['client_key']})
    path = os.path.join(directory, 'prod.obshell.yml')
    with open(path, 'w') as handle:
        yaml.safe_dump(config, handle, default_flow_style=False)
    with open(os.path.join(directory, 'group_vars', 'all', 'local.yml'), 'w') as handle:
        yaml.safe_dump({'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}, handle)
    if group_vars is not None:
        with open(os.path.join(directory, 'group_vars', 'all', 'obshell.yml'), 'w') as handle:
            yaml.safe_dump(group_vars, handle, default_flow_style=False)
    write_config(workdir, '', name='unused.yml')     # the ansible.cfg of the run
    return path


def run_playbook_text(workdir, vault, text, inventory, extra=(), name='playbook.yml'):
    path = os.path.join(str(workdir), name)
    with open(path, 'w') as handle:
        handle.write(text)
    return run_tool('ansible-playbook', ['-i', inventory] + vault + list(extra) + [path], workdir,
                    {'HOME': str(workdir)})


def assert_clean(run, *secrets):
    for secret in (PASSWORD, VAULT_PASSWORD) + secrets:
        assert secret not in run.stdout and secret not in run.stderr, run.output
    assert 'Traceback' not in run.stdout + run.stderr, run.output
    assert '[DEPRECATION WARNING]' not in run.stderr, run.output


def host_names(sim):
    return sorted('obcluster-%s-127-0-0-1-%d' % (agent.zone, agent.port) for agent in sim.agents)


def run_inventory_example(block, sim, pki, workdir, vault):
    config = yaml.safe_load(block.text)
    if block.kind == 'inventory-options':
        base = {'plugin': 'oceanbase.obshell.obshell', 'agents': [sim.agents[0].address]}
        if sim.tls:
            base.update({'use_tls': True, 'ca_path': pki['ca']})
        base.update(config)
        config = base
    config = to_simulator(config, sim, pki)
    path = write_config(workdir, config, name='example.obshell.yml')
    return run_tool('ansible-inventory', ['-i', path, '--list'] + vault, workdir,
                    {'HOME': str(workdir), 'ANSIBLE_INVENTORY_UNPARSED_FAILED': 'true'})


@pytest.mark.parametrize('block', [block for block in EXAMPLES if block.kind in ('inventory', 'inventory-options')],
                         ids=lambda block: block.id)
def test_inventory_example(block, sim_cluster, sim_pki, tmp_path, vault):
    sim = simulated_cluster(sim_cluster, sim_pki, block.settings)
    run = run_inventory_example(block, sim, sim_pki, tmp_path, vault)
    assert run.rc == 0, run.output
    assert '[WARNING]' not in run.stderr, run.output
    assert_clean(run)
    data = unwrap(json.loads(run.stdout))
    hostvars = data['_meta']['hostvars']
    assert len(hostvars) == 3, run.output
    config = yaml.safe_load(block.text)
    prefix = config.get('group_prefix', 'obshell_')
    for zone in ZONES:
        assert len(data[prefix + 'zone_' + zone]['hosts']) == 1, run.output
    if 'hostname' not in config:
        assert sorted(hostvars) == host_names(sim)
    if 'compose' in config:      # the docs' compose and groups hold on the simulated cluster's answer
        for host in hostvars.values():
            assert host['ansible_host'] == 'ob-%s.mgmt.example.com' % host['obshell_zone']
        assert sorted(data['followers']['hosts']) == sorted(
            name for name, host in hostvars.items() if not host['ob_rootserver'])
        assert 'cluster_obcluster' in data and 'obshell_4_5_0_0_0' in data
    if config.get('cache'):       # a second run is listed from the cache while every agent is down
        for agent in sim.agents:
            agent.go_down()
        again = run_inventory_example(block, sim, sim_pki, tmp_path, vault)
        assert again.rc == 0, again.output
        assert sorted(unwrap(json.loads(again.stdout))['_meta']['hostvars']) == sorted(hostvars)


@pytest.mark.parametrize('block', [block for block in EXAMPLES if block.kind == 'ansible-cfg'],
                         ids=lambda block: block.id)
def test_ansible_cfg_example_makes_a_bad_inventory_stop_the_run(block, tmp_path):
    path = write_config(tmp_path, {'plugin': 'oceanbase.obshell.obshell',
                                   'agents': ['127.0.0.1:%d' % closed_port()]}, name='down.obshell.yml')
    with open(os.path.join(str(tmp_path), 'ansible.cfg'), 'a') as handle:
        handle.write('\n' + block.text)
    run = run_tool('ansible-inventory', ['-i', path, '--list'], tmp_path)
    assert run.rc != 0, run.output
    assert 'cannot list the OceanBase cluster' in run.text and 'Connection refused' in run.text, run.output
    # and without it, Ansible only warns (what the docs warn about)
    write_config(tmp_path, {'plugin': 'oceanbase.obshell.obshell', 'agents': ['127.0.0.1:%d' % closed_port()]},
                 name='down.obshell.yml')
    lenient = run_tool('ansible-inventory', ['-i', path, '--list'], tmp_path)
    assert lenient.rc == 0 and '[WARNING]' in lenient.stderr, lenient.output


PROBE_PLAYBOOK = """\
- name: Every way of asking the agents works with these variables
  hosts: obshell_cluster_agent
  gather_facts: false
  tasks:
    - name: From the controller, the whole batch
      oceanbase.obshell.dag_wait:
        hosts: "{{ ansible_play_batch }}"
      run_once: true
      register: waited
    - name: On each host, against its agent
      oceanbase.obshell.dag_info:
      register: info
    - name: The lookup, with inventory host names
      ansible.builtin.set_fact:
        unfinished: "{{ query('oceanbase.obshell.unfinished_dags', *ansible_play_batch) }}"
      run_once: true
    - name: The answers
      ansible.builtin.assert:
        that:
          - waited.outcome == 'idle'
          - waited.hosts | length == 3
          - info.agent.port == obshell_port
          - unfinished == []
"""


@pytest.mark.parametrize('block', [block for block in EXAMPLES if block.kind == 'vars'], ids=lambda block: block.id)
def test_vars_example(block, sim_cluster, sim_pki, tmp_path, vault):
    sim = simulated_cluster(sim_cluster, sim_pki, block.settings)
    group_vars = to_simulator(yaml.safe_load(block.text), sim, sim_pki, prefix='obshell_')
    inventory = cluster_inventory(tmp_path, sim, sim_pki, group_vars=group_vars)
    run = run_playbook_text(tmp_path, vault, PROBE_PLAYBOOK, inventory)
    assert run.rc == 0, run.output
    assert_clean(run)
    if sim.tls:
        # the variables are what made it work: without them a module on the hosts speaks HTTP to an HTTPS agent
        os.remove(os.path.join(os.path.dirname(inventory), 'group_vars', 'all', 'obshell.yml'))
        bare = run_playbook_text(tmp_path, vault, BARE_PLAYBOOK, inventory)
        assert bare.rc != 0, bare.output
        assert_clean(bare)


BARE_PLAYBOOK = """\
- name: Without the TLS variables
  hosts: obshell_cluster_agent
  gather_facts: false
  tasks:
    - name: On each host, against its agent
      oceanbase.obshell.dag_info:
        retries: 0
"""


@pytest.mark.parametrize('block', [block for block in EXAMPLES if block.kind == 'playbook'], ids=lambda block: block.id)
def test_playbook_example(block, sim_cluster, sim_pki, tmp_path, vault):
    sim = simulated_cluster(sim_cluster, sim_pki, block.settings)
    inventory = cluster_inventory(tmp_path, sim, sim_pki)
    run = run_playbook_text(tmp_path, vault, block.text, inventory, shlex.split(block.settings.get('extra', '')))
    assert run.rc == int(block.settings.get('rc', 0)), run.output
    assert 'failed=0' in run.stdout and 'unreachable=0' in run.stdout, run.output
    assert_clean(run)
    # every play of the example ran some task on the cluster's hosts (a play on a group the inventory lacks would
    # match no host and pass silently)
    assert 'skipping: no hosts matched' not in run.stdout and 'Could not match supplied host pattern' not in \
        run.stderr, run.output
    if block.settings.get('password') == 'env':
        # The other way README.md offers: no vault, OBSHELL_PASSWORD exported on the controller. (The facts example
        # once passed an empty password that won over it.)
        bare = run_tool('ansible-playbook', ['-i', inventory] + shlex.split(block.settings.get('extra', ''))
                        + [os.path.join(str(tmp_path), 'playbook.yml')], tmp_path,
                        {'HOME': str(tmp_path), 'OBSHELL_PASSWORD': PASSWORD})
        assert bare.rc == int(block.settings.get('rc', 0)), bare.output
        assert 'failed=0' in bare.stdout and 'unreachable=0' in bare.stdout, bare.output
        assert_clean(bare)


# ------------------------------------------------------------------------------------------------ playbooks/

class UpgradeStandIn(object):
    """Stands in for the real upgrade steps: each host of a zone writes a trigger file (the steps file below), and
    this thread starts that host's local "Start observer" DAG on the simulated agent, failing in ``fail_zone``."""

    STEPS = """\
- name: Start this host's upgrade DAG (the test's stand-in for the real steps)
  ansible.builtin.copy:
    dest: "{{ trigger_dir }}/{{ '%04d' | format(99) }}-{{ obshell_zone }}-{{ obshell_port }}"
    content: "{{ obshell_zone }}"
    mode: '0644'
"""

    def __init__(self, sim, workdir, dag=None, fail_zone=None, step_seconds=0.5):
        # a node lasts long enough for the DAG to be running when the wait's first poll comes (~1 s after the steps)
        self.sim, self.fail_zone, self.step_seconds = sim, fail_zone, step_seconds
        self.dag = dag or {'template': 'start_observer', 'scope': 'local'}
        self.directory = os.path.join(str(workdir), 'triggers')
        os.makedirs(self.directory)
        self.steps = os.path.join(str(workdir), 'steps.yml')
        with open(self.steps, 'w') as handle:
            handle.write(self.STEPS)
        self.started = []           # (zone, agent port) in the order the DAGs were started
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch)
        self.thread.daemon = True

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stop.set()
        self.thread.join(5)

    def _watch(self):
        seen = set()
        while not self.stop.is_set():
            for name in sorted(os.listdir(self.directory)):
                if name in seen:
                    continue
                seen.add(name)
                _prefix, zone, port = name.split('-')
                index = [agent.port for agent in self.sim.agents].index(int(port))
                dag = dict(self.dag, agent=index, step_seconds=self.step_seconds)
                if zone == self.fail_zone:
                    dag.update(fail_at='Start observer', fail_times=100)
                self.sim.run_scenario({'name': 'upgrade of %s' % zone, 'dags': [dag]})
                self.started.append((zone, int(port)))
            time.sleep(0.02)


def playbook_path(name):
    return os.path.join(REPO_ROOT, 'playbooks', name)


def run_repo_playbook(workdir, vault, name, inventory, extra=()):
    return run_tool('ansible-playbook', ['-i', inventory] + vault + list(extra) + [playbook_path(name)],
                    workdir, {'HOME': str(workdir)})


def test_rolling_upgrade_by_zone_goes_zone_by_zone(sim_cluster, sim_pki, tmp_path, vault):
    sim = simulated_cluster(sim_cluster, sim_pki, {})
    inventory = cluster_inventory(tmp_path, sim, sim_pki)
    with UpgradeStandIn(sim, tmp_path) as stand_in:
        run = run_repo_playbook(tmp_path, vault, 'rolling_upgrade_by_zone.yml', inventory, [
            '-e', 'upgrade_host_tasks=%s' % stand_in.steps, '-e', 'trigger_dir=%s' % stand_in.directory,
            '-e', 'upgrade_appear_timeout=5'])
    assert run.rc == 0, run.output
    assert_clean(run)
    assert [zone for zone, _port in stand_in.started] == ['zone1', 'zone2', 'zone3'], run.output
    # each zone's DAG had ended before the next zone was touched: the wait saw it succeed, zone after zone
    assert run.stdout.count('done: succeeded') == 3, run.output
    assert sorted(local_dag_states(sim, 'Start observer')) == [('zone1', 'SUCCEED'), ('zone2', 'SUCCEED'),
                                                               ('zone3', 'SUCCEED')]


def local_dag_states(sim, name):
    """(zone, state) of every local DAG called ``name`` on the simulated agents."""
    return [(agent.zone, sim.dag_state(dag.generic_id())[0])
            for agent in sim.agents for dag in agent.local_store.dags if dag.name == name]


def test_rolling_upgrade_by_zone_stops_at_the_failed_zone_and_names_it(sim_cluster, sim_pki, tmp_path, vault):
    sim = simulated_cluster(sim_cluster, sim_pki, {})
    inventory = cluster_inventory(tmp_path, sim, sim_pki)
    with UpgradeStandIn(sim, tmp_path, fail_zone='zone2') as stand_in:
        run = run_repo_playbook(tmp_path, vault, 'rolling_upgrade_by_zone.yml', inventory, [
            '-e', 'upgrade_host_tasks=%s' % stand_in.steps, '-e', 'trigger_dir=%s' % stand_in.directory,
            '-e', 'upgrade_appear_timeout=5'])
    assert run.rc == 2, run.output
    assert_clean(run)
    # zone3 was never touched: no upgrade step ran there, and its agent was not even asked to gate it
    assert [zone for zone, _port in stand_in.started] == ['zone1', 'zone2'], run.output
    assert 'The upgrade stopped in zone zone2' in run.stdout, run.output
    assert "'Start observer'" in run.stdout and 'FAILED' in run.stdout and 'Start observer' in run.stdout, run.output
    assert 'Zone zone3' not in run.stdout, run.output
    assert sorted(local_dag_states(sim, 'Start observer')) == [('zone1', 'SUCCEED'), ('zone2', 'FAILED')]
    zone3 = next(agent for agent in sim.agents if agent.zone == 'zone3')
    recap = dict((line.split()[0], line) for line in run.stdout.splitlines() if 'ok=' in line and 'failed=' in line)
    zone3_host = 'obcluster-zone3-127-0-0-1-%d' % zone3.port
    assert 'failed=0' in recap[zone3_host], run.output


def test_scale_out_gate_refuses_a_busy_cluster_and_requests_nothing(sim_cluster, sim_pki, tmp_path, vault):
    sim = simulated_cluster(sim_cluster, sim_pki, {'scenario': 'cancellable'})
    inventory = cluster_inventory(tmp_path, sim, sim_pki)
    with UpgradeStandIn(sim, tmp_path) as stand_in:
        run = run_repo_playbook(tmp_path, vault, 'scale_out_gate.yml', inventory, [
            '-e', 'scale_out_request_tasks=%s' % stand_in.steps, '-e', 'trigger_dir=%s' % stand_in.directory])
    assert run.rc == 2, run.output
    assert_clean(run)
    assert stand_in.started == [], run.output
    assert "Cluster scale in" in run.stdout and 'RUNNING' in run.stdout, run.output


def test_scale_out_gate_retries_a_failed_scale_out_once(sim_cluster, sim_pki, tmp_path, vault):
    sim = simulated_cluster(sim_cluster, sim_pki, {})
    inventory = cluster_inventory(tmp_path, sim, sim_pki)
    scale_out = {'template': 'scale_out', 'fail_at': 'Prev check for scale_out', 'fail_times': 1}
    with UpgradeStandIn(sim, tmp_path, dag=scale_out) as stand_in:
        run = run_repo_playbook(tmp_path, vault, 'scale_out_gate.yml', inventory, [
            '-e', 'scale_out_request_tasks=%s' % stand_in.steps, '-e', 'trigger_dir=%s' % stand_in.directory,
            '-e', 'scale_out_appear_timeout=5'])
    assert run.rc == 0, run.output
    assert_clean(run)
    assert len(stand_in.started) == 1, run.output      # requested once, from one host
    assert 'retry' in run.stdout.lower() and 'done: succeeded' in run.stdout, run.output
    dag = sim.find_dag('Cluster scale out')
    assert sim.dag_state(dag)[0] == 'SUCCEED'
    retries = [entry for entry in sim.requests if entry['method'] == 'POST' and '/dag/' in entry['path']]
    assert len(retries) == 1, retries
