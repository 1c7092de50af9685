# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The behaviour behind the figures of docs/performance.md that a change could silently lose.

- The unfinished_dags lookup reads the bulky detailed list once per DAG, not once per agent (a cluster DAG is
  listed by every agent of the cluster), and the records still carry the current node and the failure.
- The client takes its proxy settings from the environment once, when it is made, not on every request.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import time

import pytest

from ansible_collections.oceanbase.obshell.plugins.module_utils import _client, _query
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import ObshellConnectionError
from tests.integration._ansible import local_inventory, run_playbook

PASSWORD = 'Perf/fix-pass'
LIST = '/api/v1/task/dag/unfinish'


def lookup(sim, tmp_path):
    terms = ', '.join("'%s'" % agent.address for agent in sim.agents)
    playbook = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Ask every agent
      ansible.builtin.copy:
        content: "{{ query('oceanbase.obshell.unfinished_dags', %s, password='%s') | to_json }}"
        dest: "%s/dags.json"
        mode: "0600"
""" % (terms, PASSWORD, tmp_path)
    result = run_playbook(playbook, local_inventory({'localhost': None}, group='controller'))
    assert result.rc == 0, result.output
    with open(os.path.join(str(tmp_path), 'dags.json')) as handle:
        return json.load(handle)


def list_reads(sim, details):
    return [r for r in sim.requests if r['path'] == LIST and r['query'] == 'show_details=%s' % details]


def test_lookup_reads_details_once_for_dags_every_agent_lists(sim_cluster, tmp_path):
    sim = sim_cluster(agents=4, password=PASSWORD, scenario='busy', step_seconds=30)
    assert sim.find_dag('Cluster scale out') and sim.find_dag('Start observer')
    dags = lookup(sim, tmp_path)
    assert sorted(d['name'] for d in dags) == ['Cluster scale out', 'Start observer']
    everyone = sorted(agent.address for agent in sim.agents)
    for dag in dags:
        assert dag['current_node'], dag            # learnt from the detailed read
        assert sorted(dag['seen_on']) == everyone  # every CLUSTER AGENT lists the cluster and the agents' DAGs
    assert len(list_reads(sim, 'false')) == 4
    assert len(list_reads(sim, 'true')) == 1, 'the first agent\'s detailed list covers every DAG'


def test_lookup_failure_record_comes_from_the_single_detailed_read(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, password=PASSWORD, scenario='scale_out_fail', step_seconds=0.05)
    dag_id = sim.find_dag('Cluster scale out')
    assert sim.wait_for(dag_id, states=('FAILED',))[0] == 'FAILED'
    sim.reset_log()
    dags = lookup(sim, tmp_path)
    assert [d['id'] for d in dags] == [dag_id]
    assert dags[0]['outcome'] == 'failed'
    assert dags[0]['failure']['node']['name'] == 'Prev check for scale_out'
    assert dags[0]['failure']['sub_tasks'], dags[0]['failure']
    assert len(list_reads(sim, 'true')) == 1 and len(list_reads(sim, 'false')) == 3


def test_nothing_unfinished_is_one_small_read_per_agent(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, password=PASSWORD, scenario='idle')
    assert lookup(sim, tmp_path) == []
    assert len(list_reads(sim, 'false')) == 3 and not list_reads(sim, 'true')


def test_client_honours_proxy_variables_read_when_it_is_made(sim_cluster, no_proxy_variables):
    monkeypatch = no_proxy_variables
    sim = sim_cluster(agents=1, password=PASSWORD)
    agent = sim.agents[0]
    # A proxy that refuses connections: a client made while it is set goes through it and fails...
    monkeypatch.setenv('HTTP_PROXY', 'http://127.0.0.1:9')
    through_proxy = _client.ObshellClient(agent.host, agent.port, password=PASSWORD, retries=0)
    # ...unless NO_PROXY names the agent.
    monkeypatch.setenv('NO_PROXY', agent.host)
    bypassing = _client.ObshellClient(agent.host, agent.port, password=PASSWORD, retries=0)
    monkeypatch.delenv('NO_PROXY')
    monkeypatch.delenv('HTTP_PROXY')
    direct = _client.ObshellClient(agent.host, agent.port, password=PASSWORD, retries=0)
    # Settings are those of the moment each client was made: changing the environment later changes nothing.
    monkeypatch.setenv('HTTP_PROXY', 'http://127.0.0.1:9')
    with pytest.raises(ObshellConnectionError):
        through_proxy.info()
    assert bypassing.info()['identity'] and direct.info()['identity']
    started = time.monotonic()
    assert _query.list_unfinished(direct)[1] == []
    assert [r['path'] for r in sim.requests if r['time'] >= started] == ['/api/v1/secret', LIST]
    for client in (through_proxy, bypassing, direct):
        client.close()
