# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The behaviour behind the figures of docs/performance.md that a change could silently lose.

- The unfinished_dags lookup reads the bulky detailed lists only where something matched, and the cluster DAGs
  once: every agent's own list (``/dag/agent/unfinish``) on that agent, and the cluster list (``/dag/ob/unfinish``)
  from the first CLUSTER AGENT among the terms, not from every agent of the cluster (each would list the same cluster
  DAGs). The aggregated ``/dag/unfinish`` is never read. The records still carry the current node and the failure.
- The client takes its proxy settings from the environment once, when it is made, not on every request.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import time

import pytest

from ansible_collections.oceanbase.obshell.plugins.module_utils import _client, _query
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import ObshellProxyError
from tests.integration._ansible import local_inventory, run_playbook

PASSWORD = 'Perf/fix-pass'
CLUSTER_LIST = '/api/v1/task/dag/ob/unfinish'
AGENT_LIST = '/api/v1/task/dag/agent/unfinish'
AGGREGATED_LIST = '/api/v1/task/dag/unfinish'


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


def list_reads(sim, path, details, agent=None):
    """Reads of one unfinished list (with or without details), of every agent or of ``agent`` (an address)."""
    return [r for r in sim.requests if r['path'] == path and r['query'] == 'show_details=%s' % details
            and (agent is None or r['agent'] == agent)]


def test_lookup_reads_details_once_where_something_matched_and_the_cluster_dags_once(sim_cluster, tmp_path):
    sim = sim_cluster(agents=4, password=PASSWORD, scenario='busy', step_seconds=30)
    scale_out = sim.find_dag('Cluster scale out')
    assert scale_out and sim.find_dag('Start observer')
    first, owner = sim.agents[0].address, sim.agents[1].address
    dags = lookup(sim, tmp_path)
    assert sorted(d['name'] for d in dags) == ['Cluster scale out', 'Start observer']
    for dag in dags:
        assert dag['current_node'], dag            # learnt from the detailed read
    by_name = dict((d['name'], d) for d in dags)
    # The cluster DAG from the first CLUSTER AGENT only; the local DAG from the agent that owns it.
    assert by_name['Cluster scale out']['seen_on'] == [first] and by_name['Cluster scale out']['kind'] == 'cluster'
    assert by_name['Start observer']['seen_on'] == [owner] and by_name['Start observer']['kind'] == 'agent'
    # Each agent's own list once without details; with details only where it held a DAG (agent 1).
    assert sorted(r['agent'] for r in list_reads(sim, AGENT_LIST, 'false')) == sorted(a.address for a in sim.agents)
    assert [r['agent'] for r in list_reads(sim, AGENT_LIST, 'true')] == [owner]
    # The cluster list once, and once with details, of the first agent: not of every agent of the cluster.
    assert [r['agent'] for r in list_reads(sim, CLUSTER_LIST, 'false')] == [first]
    assert [r['agent'] for r in list_reads(sim, CLUSTER_LIST, 'true')] == [first]
    assert [r for r in sim.requests if r['path'] == AGGREGATED_LIST] == []


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
    assert len(list_reads(sim, CLUSTER_LIST, 'true')) == 1 and len(list_reads(sim, CLUSTER_LIST, 'false')) == 1
    assert len(list_reads(sim, AGENT_LIST, 'false')) == 3 and not list_reads(sim, AGENT_LIST, 'true')


def test_nothing_unfinished_is_one_small_read_per_agent_and_one_for_the_cluster(sim_cluster, tmp_path):
    sim = sim_cluster(agents=3, password=PASSWORD, scenario='idle')
    assert lookup(sim, tmp_path) == []
    assert len(list_reads(sim, AGENT_LIST, 'false')) == 3
    assert [r['agent'] for r in list_reads(sim, CLUSTER_LIST, 'false')] == [sim.agents[0].address]
    assert not list_reads(sim, AGENT_LIST, 'true') and not list_reads(sim, CLUSTER_LIST, 'true')
    task = [r for r in sim.requests if r['path'].startswith('/api/v1/task/')]
    assert len(task) == 4, [(r['agent'], r['path']) for r in task]


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
    with pytest.raises(ObshellProxyError) as refused:
        through_proxy.info()
    # A proxy that is down is configuration, not the agent being away: not retried.
    assert refused.value.kind == 'proxy' and refused.value.retryable is False
    assert 'the proxy http://127.0.0.1:9 (from HTTP_PROXY)' in str(refused.value)
    assert bypassing.info()['identity'] and direct.info()['identity']
    started = time.monotonic()
    assert _query.list_unfinished(direct)[1] == []
    # A CLUSTER AGENT: the cluster DAGs and its own, on the routes that fail visibly.
    assert [r['path'] for r in sim.requests if r['time'] >= started] == ['/api/v1/secret', CLUSTER_LIST, AGENT_LIST]
    for client in (through_proxy, bypassing, direct):
        client.close()
