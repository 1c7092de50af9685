# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The example and demo playbooks of playbooks/, run as they are against simulated agents."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import re

from tests.integration._ansible import REPO_ROOT, local_inventory, run_playbook
from tests.simulator.scenarios import held_scale_out
from tests.simulator.waiting import wait_until

PLAYBOOKS = os.path.join(REPO_ROOT, 'playbooks')
PASSWORD = 'Pl4ybook/pass'
# Extra vars win over the playbooks' include_role vars: no appear window, so idle runs do not wait for it.
FAST = ('-e', 'wait_for_tasks_appear_timeout=0', '-e', 'wait_for_tasks_poll_interval=0.5')


def playbook(name):
    return os.path.join(PLAYBOOKS, name)


def inventory_for(sim):
    hosts = dict(('obs%d' % (index + 1), {'obshell_port': agent.port}) for index, agent in enumerate(sim.agents))
    group_vars = {'ansible_host': '127.0.0.1'}
    if sim.password:
        group_vars['obshell_password'] = sim.password
    return local_inventory(hosts, group='observers', **group_vars)


def test_demo_shows_the_unfinished_dags_waits_and_prints_the_verdict(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, password=PASSWORD, scenario='scale_out', step_seconds=0.6)
    dag_id = sim.find_dag('Cluster scale out')
    result = run_playbook(playbook('demo.yml'), inventory_for(sim), workdir=tmp_path)
    assert result.rc == 0, result.output
    out = result.stdout
    assert 'Unfinished DAGs on the cluster (asked 127.0.0.1:%d, CLUSTER AGENT, OBShell 4.5.0.0-0):' \
        % sim.agents[0].port in out, out
    assert re.search(r'"%s \| Cluster scale out \| \d/9 \| .+ \| (RUNNING|READY)"' % dag_id, out), out
    assert re.search(r'^obs1 \[cluster\] \| Cluster scale out \| 9/9 Check cluster scale_out whether finished \| '
                     r'SUCCEED', out, re.M), out
    assert '"outcome: succeeded"' in out
    assert re.search(r"DAG %s 'Cluster scale out' succeeded in \d+:\d\d \(waited \d+:\d\d\)" % dag_id, out), out
    # The agent's own part saw nothing, and said nothing about an appear window: the scale-out was seen at once.
    assert 'obs1 | no matching DAG yet' not in out
    assert PASSWORD not in out + result.stderr


def test_demo_failure_prints_the_failure_report(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, scenario='scale_out_fail', step_seconds=0.3)
    dag_id = sim.find_dag('Cluster scale out')
    result = run_playbook(playbook('demo_failure.yml'), inventory_for(sim), workdir=tmp_path)
    assert result.rc == 0, result.output
    out = result.stdout
    assert '"outcome: failed"' in out, out
    assert '"failed node: 6/9 Prev check for scale_out"' in out
    assert '"failed sub-tasks: %s"' % sim.agents[0].address in out
    assert 'log tail: check server 127.0.0.1:2882 / ERROR: [Common.Unexpected]: Unexpected error: server ' \
        '127.0.0.1:2882 already exists in the cluster' in out
    # What the scale-out template allows (§11.1): retry or roll back, not pass.
    assert '"next: oceanbase.obshell.dag id=%s state=retried|rolled_back"' % dag_id in out


def test_gate_deployment_passes_on_an_idle_cluster(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, password=PASSWORD, scenario='idle')
    result = run_playbook(playbook('gate_deployment.yml'), inventory_for(sim), workdir=tmp_path, extra_args=FAST)
    assert result.rc == 0, result.output
    assert 'The cluster is idle: deploying on obs2' in result.stdout
    # Nothing appeared (within the shortened window): idle.
    assert '"idle: cluster DAGs (asked 127.0.0.1:%d via obs1): no matching unfinished DAG' % sim.agents[0].port \
        in result.stdout, result.stdout


def test_gate_deployment_stops_a_busy_cluster(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, scenario=held_scale_out(hold_at=3))
    dag_id = sim.find_dag('Cluster scale out')
    assert wait_until(lambda: sim.dag_dto(dag_id, False)['stage'] == 3)
    result = run_playbook(playbook('gate_deployment.yml'), inventory_for(sim), workdir=tmp_path)
    assert result.rc == 2, result.output
    assert "not idle: cluster DAGs (asked 127.0.0.1:%d via obs1): DAG %s 'Cluster scale out' RUNNING at 3/9 " \
        "'Wait scale out ready'" % (sim.agents[0].port, dag_id) in result.stdout, result.stdout
    assert 'deploying on' not in result.stdout


def test_rolling_upgrade_goes_host_by_host(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, scenario='idle')
    result = run_playbook(playbook('rolling_upgrade.yml'), inventory_for(sim), workdir=tmp_path,
                          extra_args=FAST)
    assert result.rc == 0, result.output
    order = re.findall(r'Upgrading (obs\d)', result.stdout)
    assert order == ['obs1', 'obs2', 'obs3'], result.stdout
    assert result.stdout.count('PLAY [Upgrade one host at a time]') == 3      # serial: 1
    assert re.findall(r'"(obs\d): idle:', result.stdout) == ['obs1', 'obs2', 'obs3']


def test_facts_playbook(sim_cluster, tmp_path):
    # A local DAG on agent 1 that is still on its first node when the facts are gathered (20 s in all: long enough
    # for a loaded machine to gather facts on three hosts first).
    scenario = {'name': 'local DAG on agent 1',
                'dags': [{'name': 'Start observer', 'scope': 'local', 'agent': 1, 'maintenance': 'global',
                          'step_seconds': 0.5,
                          'nodes': [{'name': 'Start preparations', 'steps': 40}, {'name': 'Start observer'}]}]}
    sim = sim_cluster(agents=3, scenario=scenario)
    result = run_playbook(playbook('facts.yml'), inventory_for(sim), workdir=tmp_path)
    assert result.rc == 0, result.output
    out = result.stdout
    assert re.search(r'CLUSTER AGENT 4\.5\.0\.0-0 at 127\.0\.0\.1:%d \(\d{4}-\d\d-\d\dT[^)]*\): Start observer'
                     % sim.agents[1].port, out), out
    assert '"Busy: [\'obs2\']"' in out
    # The role then waited on every host (obs2's DAG may or may not have finished by then).
    assert re.search(r'^obs1 \| done: (succeeded|idle) in .*\(3 hosts\)$', out, re.M), out
