# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection end to end against the agent: real ansible-playbook runs of dag_info, facts, the lookup,
dag_wait, dag and the wait_for_tasks role on the real failing "Initialize cluster" (marked ``real_agent``; the
same plays run against the simulator in tests/integration), and the client's report of the seed endpoint's 500."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os

import pytest

from ansible_collections.oceanbase.obshell.plugins.module_utils._client import ObshellClient
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import ObshellIdentityError
from tests.conformance._agent import CA_VARIABLE, DEFAULT_PASSWORD, PASSWORD_VARIABLE, Target, real_agent_address
from tests.integration._ansible import local_inventory, run_playbook


def test_seed_endpoint_500_is_reported_as_the_identity(target):
    """/dag/ob/unfinish on a MASTER answers 500 "cannot build response body"; a client whose identity read said
    CLUSTER AGENT (the agent changed since) must say what the agent is, not report a server error."""
    target.ensure('master')
    client = ObshellClient(target.host, target.port, agent_password=target.client.agent_password, retries=0,
                           use_tls=bool(target.ca), ca_path=target.ca)
    try:
        client._info = dict(client.info(), identity='CLUSTER AGENT')  # pylint: disable=protected-access  # an earlier read
        with pytest.raises(ObshellIdentityError) as caught:
            client.unfinished_dags('cluster')
        text = str(caught.value)
        assert 'is MASTER, not CLUSTER AGENT' in text and 'cannot build response body' in text
        assert caught.value.identity == 'MASTER'
        assert client.identity == 'MASTER'                 # and the identity was read again
    finally:
        client.close()


@pytest.fixture(scope='module')
def real():
    host, port = real_agent_address()
    agent = Target('real', host, port, os.environ.get(PASSWORD_VARIABLE) or DEFAULT_PASSWORD,
                   ca=os.environ.get(CA_VARIABLE) or None)
    agent.ensure('agent_password')
    return agent


def play(real, tasks, check=None):
    tls = {'obshell_use_tls': True, 'obshell_ca_path': real.ca} if real.ca else {}
    inventory = local_inventory(['agent1'], obshell_host=real.host, obshell_port=real.port,
                                obshell_agent_password=real.password, **tls)
    text = '- hosts: agent1\n  gather_facts: false\n  tasks:\n' + '\n'.join('    ' + line for line in tasks.splitlines())
    result = run_playbook(text, inventory, timeout=300)
    if check is not None:
        assert result.rc == check, result.output
    return result


def registered(result, name):
    """The JSON of a `debug: var=NAME` printed by the play."""
    marker = '\n    "%s": ' % name      # the top level of the debug output; module results are on one line
    start = result.stdout.index(marker) + len(marker)
    decoder = json.JSONDecoder()
    value, _end = decoder.raw_decode(result.stdout[start:])
    return value


@pytest.mark.real_agent
def test_reads_and_waits_on_the_failed_initialize_cluster(real):
    gid = real.ensure('failed_init')
    result = play(real, """\
- oceanbase.obshell.dag_info: {}
  register: info
- debug: var=info
- oceanbase.obshell.facts: {}
- debug: var=ansible_facts.obshell
- set_fact:
    looked_up: "{{ lookup('oceanbase.obshell.unfinished_dags', '%s', agent_password='%s', wantlist=True%s) }}"
- debug: var=looked_up
- oceanbase.obshell.dag_wait: {timeout: 60}
  register: waited
  ignore_errors: true
- debug: var=waited
- oceanbase.obshell.dag_info: {scope: cluster}
  register: cluster
  ignore_errors: true
- debug: var=cluster
""" % (real.address, real.password, (", use_tls=true, ca_path='%s'" % real.ca) if real.ca else ''), check=0)
    info = registered(result, 'info')
    assert info['agent']['identity'] == 'MASTER' and info['idle'] is False
    [dag] = info['dags']
    assert (dag['id'], dag['name'], dag['outcome'], dag['progress']) == (gid, 'Initialize cluster', 'failed', '3/11')
    failure = dag['failure']
    assert failure['node']['name'] == 'Start observer'
    assert failure['sub_tasks'][0]['agent'] == real.address
    assert failure['sub_tasks'][0]['log_tail'][-1].startswith('ERROR: [Common.Unexpected]')
    facts = registered(result, 'ansible_facts.obshell')
    assert facts['idle'] is False and [item['id'] for item in facts['unfinished_dags']] == [gid]
    assert [item['id'] for item in registered(result, 'looked_up')] == [gid]
    waited = registered(result, 'waited')
    assert waited['failed'] is True and waited['outcome'] == 'failed'
    assert "failed at node 3/11 'Start observer' on %s" % real.address in waited['msg']
    assert 'config cluster is required' in waited['msg']       # the log's own words
    cluster = registered(result, 'cluster')
    assert cluster['failed'] is True and 'is MASTER, not CLUSTER AGENT' in cluster['msg']
    assert cluster['error']['kind'] == 'identity'


@pytest.mark.real_agent
def test_operators_refused_plainly_then_rolled_back_idempotently(real):
    gid = real.ensure('failed_init')
    result = play(real, """\
- oceanbase.obshell.dag: {id: "%(gid)s", state: passed}
  register: passed
  ignore_errors: true
- debug: var=passed
- oceanbase.obshell.dag: {id: "%(gid)s", state: canceled}
  register: canceled
  ignore_errors: true
- debug: var=canceled
- oceanbase.obshell.dag: {id: "%(gid)s", state: retried}
  register: retried
  ignore_errors: true
- debug: var=retried
- oceanbase.obshell.dag_wait: {mode: assert_idle}
  register: busy
  ignore_errors: true
- debug: var=busy
- oceanbase.obshell.dag: {id: "%(gid)s", state: rolled_back}
  register: rolled
- debug: var=rolled
- oceanbase.obshell.dag: {id: "%(gid)s", state: rolled_back}
  register: again
- debug: var=again
""" % {'gid': gid}, check=0)
    passed = registered(result, 'passed')
    assert passed['failed'] is True and passed['changed'] is False
    assert 'does not allow passing' in passed['msg'] and 'Task.Dag.Operator.PassNotAllowed' in passed['msg']
    canceled = registered(result, 'canceled')
    assert canceled['failed'] is True and canceled['changed'] is False and 'already finished' in canceled['msg']
    retried = registered(result, 'retried')
    # RETRY was sent and taken (changed), and the DAG failed again at the same node
    assert retried['changed'] is True and retried['failed'] is True and retried['operator'] == 'RETRY'
    assert "failed at node 3/11 'Start observer'" in retried['msg']
    busy = registered(result, 'busy')
    assert busy['failed'] is True and busy['outcome'] == 'failed'
    rolled = registered(result, 'rolled')
    assert rolled['changed'] is True and rolled['operator'] == 'ROLLBACK'
    assert (rolled['dag']['state'], rolled['dag']['operator']) == ('SUCCEED', 'ROLLBACK')
    again = registered(result, 'again')
    assert again['changed'] is False and again['operator'] is None


@pytest.mark.real_agent
def test_the_role_on_the_agent(real):
    gid = real.ensure('failed_init')
    role = """\
- include_role: {name: oceanbase.obshell.wait_for_tasks}
  vars: {wait_for_tasks_mode: %s, wait_for_tasks_timeout: 60, wait_for_tasks_poll_interval: 1}
"""
    busy = play(real, role % 'assert_idle', check=2)
    assert "not idle: agent1: DAG %s 'Initialize cluster' FAILED at 3/11 'Start observer'" % gid in busy.stdout
    failed = play(real, role % 'wait', check=2)
    assert "'Initialize cluster' failed at node 3/11 'Start observer' on %s" % real.address in failed.stdout
    play(real, '- oceanbase.obshell.dag: {id: "%s", state: rolled_back}\n' % gid, check=0)
    play(real, role % 'assert_idle', check=0)
    idle = play(real, role % 'wait', check=0)
    assert 'failed=0' in idle.stdout
