# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The official Python SDK (PyPI ``obshell`` 0.0.9), unmodified, against the simulated agent.

If the simulator drifted from the real agent's protocol, the SDK (written against real agents) would break
here. Where the SDK has a known bug (spec §8), the test shows that the agent's answer is the right one.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest
import requests

from obshell import ClientSet
from obshell.auth.password import PasswordAuth
from obshell.service.client_v1 import OBShellHandleError, TaskExecuteFailedError

from tests.simulator.rawclient import RawClient

TASK = '/api/v1/task'


def sdk(sim, index=0, password=None, agent_password=None):
    agent = sim.agents[index]
    return ClientSet(agent.host, agent.port, PasswordAuth(password, agent_password=agent_password)).v1


def test_lists_cluster_agent_and_all(sim_cluster):
    sim = sim_cluster(agents=3, scenario='busy', step_seconds=5, password='rootpw')
    tenant_wait = sim.step_seconds
    assert tenant_wait
    client = sdk(sim, 0, 'rootpw')
    everything = client.get_unfinished_dags()
    # agent 1's local DAG first (agent order), then the cluster DAGs
    assert [dag.name for dag in everything] == ['Start observer', 'Cluster scale out']
    assert everything[0].generic_id.startswith('2')
    assert everything[1].generic_id == '11'
    cluster = client.get_cluster_unfinished_dag()
    assert [dag.name for dag in cluster] == ['Cluster scale out']
    assert client.get_agent_unfinished_dag() == []
    assert [dag.name for dag in sdk(sim, 1, 'rootpw').get_agent_unfinished_dag(show_detail=False)] == ['Start observer']
    summary = client.get_unfinished_dags(show_detail=False)
    assert all(dag.nodes == [] for dag in summary)      # nodes null -> [] in the SDK model


def test_empty_cluster_lists(sim_cluster):
    sim = sim_cluster(agents=2)
    client = sdk(sim)
    assert client.get_unfinished_dags() == []        # {"contents": null}
    assert client.get_cluster_unfinished_dag() == []
    assert client.get_agent_unfinished_dag() == []


def test_read_one_dag_node_and_sub_task(sim_cluster):
    sim = sim_cluster(agents=3, scenario='upgrade', step_seconds=5, password='rootpw')
    client = sdk(sim, 2, 'rootpw')
    gid = sim.find_dag(client.get_cluster_unfinished_dag()[0].name)
    dag = client.get_dag(gid)
    assert dag.name.startswith('OB rolling upgrade')
    assert dag.max_stage == len(dag.nodes)
    assert dag.is_running() or dag.state == 'READY'
    first = dag.nodes[0]
    assert [task.execute_agent for task in first.sub_tasks] == [agent.address for agent in sim.agents]
    node = client.get_node(first.generic_id)
    assert node.name == first.name and len(node.sub_tasks) == 3
    task = client.get_sub_task(first.sub_tasks[0].generic_id)
    assert task.name == first.name
    assert client.get_dag(gid, show_detail=False).nodes == []


def test_wait_dag_succeed_on_scale_out(sim_cluster):
    sim = sim_cluster(agents=3, scenario='scale_out', step_seconds=0.2, password='rootpw')
    client = sdk(sim, 1, 'rootpw')
    gid = client.get_unfinished_dags()[0].generic_id
    dag = client.wait_dag_succeed(gid)
    assert (dag.state, dag.operator, dag.stage, dag.max_stage) == ('SUCCEED', 'RUN', 9, 9)
    assert client.get_unfinished_dags() == []


def test_failed_dag_then_retry(sim_cluster):
    sim = sim_cluster(agents=3, scenario='scale_out_fail', step_seconds=0.05, password='rootpw')
    client = sdk(sim, 0, 'rootpw')
    gid = sim.find_dag('Cluster scale out')
    with pytest.raises(TaskExecuteFailedError) as info:
        client.wait_dag_succeed(gid)
    assert 'ERROR: [Common.Unexpected]: Unexpected error:' in str(info.value)
    assert sim.agents[0].address in info.value.message
    assert info.value.dag.stage == 6
    assert [dag.generic_id for dag in client.get_unfinished_dags()] == [gid]
    assert client.operate_dag_sync(gid, 'RETRY') is True
    assert client.get_dag(gid).is_succeed()


def test_failed_dag_rollback_and_refusals(sim_cluster):
    sim = sim_cluster(agents=3, scenario='scale_out_fail', step_seconds=0.02, password='rootpw')
    client = sdk(sim, 2, 'rootpw')
    gid = sim.find_dag('Cluster scale out')
    sim.wait_for(gid)
    with pytest.raises(OBShellHandleError) as info:
        client.operate_dag(gid, 'CANCEL')
    assert info.value.err_code == 'Task.Dag.Operator.CancelFinishedDag'
    assert client.operate_dag_sync(gid, 'ROLLBACK') is True
    dag = client.get_dag(gid)
    assert (dag.state, dag.operator, dag.stage) == ('SUCCEED', 'ROLLBACK', 1)
    with pytest.raises(OBShellHandleError) as info:
        client.operate_dag(gid, 'PASS')
    assert info.value.err_code == 'Task.Dag.Operator.PassNotFailedDag'


def test_failed_dag_pass(sim_cluster):
    """SDK 0.0.9 bug (not in spec §8): ``operate_dag_sync(..., 'PASS')`` calls a missing ``is_pass()``.
    The agent did its part: the DAG is SUCCEED/PASS and no longer unfinished. A "Cluster scale in" is used
    because its tasks allow PASS (spec §11.1); a scale-out's do not (next test)."""
    sim = sim_cluster(agents=1, scenario='passable_fail', step_seconds=0.02)
    client = sdk(sim)
    gid = sim.find_dag('Cluster scale in')
    sim.wait_for(gid)
    with pytest.raises(AttributeError, match='is_pass'):
        client.operate_dag_sync(gid, 'pass')
    dag = client.get_dag(gid)
    assert (dag.state, dag.operator) == ('SUCCEED', 'PASS')
    assert client.get_unfinished_dags() == []


def test_scale_out_refuses_pass_and_cancel(sim_cluster):
    """Spec §11.1: no task of "Cluster scale out" opts into PASS or CANCEL; the SDK surfaces the agent's error."""
    sim = sim_cluster(agents=1, scenario='scale_out_fail', step_seconds=0.02)
    client = sdk(sim)
    gid = sim.find_dag('Cluster scale out')
    sim.wait_for(gid)
    with pytest.raises(OBShellHandleError) as info:
        client.operate_dag(gid, 'PASS')
    assert info.value.err_code == 'Task.Dag.Operator.PassNotAllowed'
    assert info.value.message == 'Failed to pass DAG: node Prev check for scale_out cannot pass'
    assert client.operate_dag_sync(gid, 'RETRY') is True
    held = sim_cluster(agents=1, scenario='scale_out', step_seconds=5)
    with pytest.raises(OBShellHandleError) as info:
        sdk(held).operate_dag('11', 'CANCEL')
    assert info.value.err_code == 'Task.Dag.Operator.CancelNotAllowed'


def test_cancel_of_a_cancellable_dag(sim_cluster):
    sim = sim_cluster(agents=1, scenario='cancellable', step_seconds=0.05)
    client = sdk(sim)
    gid = sim.find_dag('Cluster scale in')
    assert client.operate_dag_sync(gid, 'CANCEL') is True
    assert sim.dag_state(gid) == ('FAILED', 'CANCEL')


def test_wrong_root_password(sim_cluster):
    sim = sim_cluster(agents=1, password='rootpw')
    with pytest.raises(OBShellHandleError) as info:
        sdk(sim, 0, 'wrong').get_unfinished_dags()
    assert info.value.err_code == 'Security.Authentication.IncorrectOceanbasePassword'
    assert info.value.message == 'Unauthorized: OceanBase password is incorrect'


def test_agent_password_on_450(sim_cluster):
    sim = sim_cluster(agents=2, scenario='agent_local', step_seconds=5, password='rootpw', agent_password='agentpw',
                      profile='4.5.0')
    client = sdk(sim, 1, agent_password='agentpw')
    assert [dag.name for dag in client.get_agent_unfinished_dag()] == ['Start observer']
    assert {entry['auth_header'] for entry in sim.requests if entry['path'].startswith(TASK)} == {'X-OCS-Agent-Header'}
    assert client.get_agent_last_maintenance_dag().name == 'Start observer'
    with pytest.raises(OBShellHandleError) as info:
        sdk(sim, 1, agent_password='nope').get_agent_unfinished_dag()
    assert info.value.err_code == 'Security.Authentication.IncorrectAgentPassword'


@pytest.mark.parametrize('profile', ['4.3.1', '4.2.3'])
def test_512_bit_key_profiles(sim_cluster, profile):
    sim = sim_cluster(agents=2, scenario='scale_out', step_seconds=0.1, password='rootpw', profile=profile)
    key = RawClient.for_agent(sim.agents[0]).request('GET', '/api/v1/secret').data['public_key']
    assert key.startswith('MEgCQQ')
    client = sdk(sim, 0, 'rootpw')
    gid = client.get_cluster_unfinished_dag()[0].generic_id
    if profile == '4.3.1':
        assert client.wait_dag_succeed(gid).is_succeed()
    else:
        sim.wait_for(gid)
        assert client.get_dag(gid).is_succeed()
    assert client.get_unfinished_dags() == []


def test_sdk_recovers_after_key_rotation(sim_cluster):
    """After an upgrade-style key rotation the agent answers DecryptFailed with old code 1; the SDK refetches."""
    sim = sim_cluster(agents=1, password='rootpw')
    client = sdk(sim, 0, 'rootpw')
    assert client.get_unfinished_dags() == []
    sim.agents[0].restart(rotate_key=True)
    sim.reset_log()
    assert client.get_unfinished_dags() == []
    statuses = [(entry['path'], entry['status'], entry['code']) for entry in sim.requests]
    assert statuses[0] == (TASK + '/dag/unfinish', 401, 1)
    assert (TASK + '/dag/unfinish', 200, None) in statuses


def test_last_maintenance_dag_sdk_bug(sim_cluster):
    """Spec §8: ``get_ob_last_maintenance_dag`` always returns [] because it reads a bare object as a list."""
    sim = sim_cluster(agents=1, scenario='scale_out', step_seconds=5)
    assert sdk(sim).get_ob_last_maintenance_dag() == []
    agent = sim.agents[0]
    body = RawClient.for_agent(agent).get(TASK + '/dag/maintain/ob?show_details=True').json
    assert body['successful'] is True
    assert 'contents' not in body['data']
    assert (body['data']['id'], body['data']['name']) == ('11', 'Cluster scale out')


def test_single_agent_cluster_list_is_broken_like_the_real_agent(sim_cluster):
    """Spec §2.4: from 4.3.1 a non-cluster agent answers /dag/ob/unfinish with a 500, which the SDK raises."""
    sim = sim_cluster(agents=1, identities=['SINGLE'], password='ignored')
    client = sdk(sim, 0, 'anything')        # SINGLE: the SDK sends an empty password
    assert client.get_unfinished_dags() == []
    with pytest.raises(OBShellHandleError) as info:
        client.get_cluster_unfinished_dag()
    assert info.value.err_code == 'Common.Unexpected'
    assert info.value.message == 'Unexpected error: ocsagent cannot build response body'


def test_sdk_info_and_status(sim_cluster):
    sim = sim_cluster(agents=1, profile='4.5.0')
    client = sdk(sim)
    info = client.get_info()
    assert (info.identity, info.version, info.port) == ('CLUSTER AGENT', '4.5.0.0-0', sim.agents[0].port)
    status = client.get_status()
    assert status.agent.identity == 'CLUSTER AGENT'
    assert status.ob_state == 3
    # spec §8: the SDK reads start_at/under_maintenance, the agent sends startAt/underMaintenance
    assert status.start_at is None
    raw_status = requests.get('http://%s/api/v1/status' % sim.agents[0].address, timeout=10).json()['data']
    assert raw_status['startAt'] > 0 and raw_status['underMaintenance'] is False
