# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The wait_for_tasks role's on_failure policy (retry, rollback, pass) on a failed scale-out."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os

from tests.integration._ansible import run_playbook
from tests.integration.test_role_wait_for_tasks import inventory_for, run_role

PASSWORD = 'R3medy/pass'


def failing_scale_out(fail_times):
    return {'name': 'scale-out failing %d times' % fail_times,
            'dags': [{'template': 'scale_out', 'fail_at': 'Prev check for scale_out', 'fail_times': fail_times}]}


def start(sim_cluster, fail_times=1):
    sim = sim_cluster(agents=3, password=PASSWORD, scenario=failing_scale_out(fail_times), step_seconds=0.1)
    return sim, sim.find_dag('Cluster scale out')


def posts(sim):
    return [e for e in sim.requests if e['method'] == 'POST']


def remediation_lines(stdout):
    return [line for line in stdout.splitlines() if '| remediation' in line]


def test_retry_then_success(sim_cluster, tmp_path):
    sim, dag_id = start(sim_cluster)
    result, saved = run_role(sim, tmp_path, {'wait_for_tasks_on_failure': 'retry'})
    assert result.rc == 0, result.output
    verdict = saved['obs2']['result']
    assert verdict['outcome'] == 'succeeded' and verdict['failed'] is False, verdict
    assert [(r['attempt'], r['action'], r['dag_id'], r['operator'], r['outcome']) for r in verdict['remediations']] \
        == [(1, 'retry', dag_id, 'RETRY', 'succeeded')]
    assert "'Prev check for scale_out'" in verdict['cluster']['msg']  # the original failure stays on record
    assert sim.dag_state(dag_id) == ('SUCCEED', 'RUN')
    assert len(posts(sim)) == 1
    lines = remediation_lines(result.stdout)
    assert any('remediation (retry, at most 1)' in line for line in lines), result.stdout
    assert any('"msg": "obs1 | remediation: ' in line and 'sent RETRY' in line for line in lines), result.stdout


def test_rollback_is_reported_truthfully(sim_cluster, tmp_path):
    sim, dag_id = start(sim_cluster)
    result, saved = run_role(sim, tmp_path, {'wait_for_tasks_on_failure': 'rollback'})
    assert result.rc == 0, result.output  # block/rescue in the test playbook keeps the failure
    verdict = saved['obs1']['result']
    assert verdict['outcome'] == 'rolled_back' and verdict['failed'] is True, verdict
    assert verdict['remediations'][0]['outcome'] == 'rolled_back'
    assert 'rolled_back' in saved['obs1']['failed_msg']
    assert sim.dag_state(dag_id) == ('SUCCEED', 'ROLLBACK')


def test_rollback_accepted_when_not_in_fail_on(sim_cluster, tmp_path):
    sim, dag_id = start(sim_cluster)
    policy = {'wait_for_tasks_on_failure': 'rollback', 'wait_for_tasks_fail_on': ['failed', 'timeout', 'unreachable']}
    result, saved = run_role(sim, tmp_path, policy)
    assert result.rc == 0, result.output
    verdict = saved['obs3']['result']
    assert verdict['outcome'] == 'rolled_back' and verdict['failed'] is False, verdict
    assert saved['obs3']['failed_msg'] is None


def test_pass(sim_cluster, tmp_path):
    sim, dag_id = start(sim_cluster)
    policy = {'wait_for_tasks_on_failure': 'pass', 'wait_for_tasks_fail_on': ['failed']}
    result, saved = run_role(sim, tmp_path, policy)
    assert result.rc == 0, result.output
    verdict = saved['obs1']['result']
    assert verdict['outcome'] == 'passed' and verdict['failed'] is False, verdict
    assert [r['operator'] for r in verdict['remediations']] == ['PASS']
    assert sim.dag_state(dag_id) == ('SUCCEED', 'PASS')


def test_a_remediation_that_fails_reports_both_failures(sim_cluster, tmp_path):
    sim, dag_id = start(sim_cluster, fail_times=2)
    result, saved = run_role(sim, tmp_path, {'wait_for_tasks_on_failure': 'retry'})
    verdict = saved['obs1']['result']
    assert verdict['outcome'] == 'failed' and verdict['failed'] is True, verdict
    assert [(r['attempt'], r['outcome']) for r in verdict['remediations']] == [(1, 'failed')]
    message = saved['obs1']['failed_msg']
    assert message.count("'Prev check for scale_out'") >= 2, message  # the first failure and the retry's
    assert 'then retry (1 attempt(s))' in message
    assert len(posts(sim)) == 1
    assert sim.dag_state(dag_id) == ('FAILED', 'RUN')


def test_two_remediations_allowed(sim_cluster, tmp_path):
    sim, dag_id = start(sim_cluster, fail_times=2)
    policy = {'wait_for_tasks_on_failure': 'retry', 'wait_for_tasks_max_remediations': 2}
    result, saved = run_role(sim, tmp_path, policy)
    assert result.rc == 0, result.output
    verdict = saved['obs1']['result']
    assert verdict['outcome'] == 'succeeded', verdict
    assert [(r['attempt'], r['outcome']) for r in verdict['remediations']] == [(1, 'failed'), (2, 'succeeded')]
    assert len(posts(sim)) == 2


TWICE = """
- name: The role twice in one play
  hosts: observers
  gather_facts: false
  tasks:
    - name: First run, which retries the failed scale-out
      ansible.builtin.include_role:
        name: oceanbase.obshell.wait_for_tasks
      vars:
        wait_for_tasks_poll_interval: 0.5
        wait_for_tasks_on_failure: retry
    - name: Keep the first verdict
      ansible.builtin.set_fact:
        test_first: "{{{{ wait_for_tasks_result }}}}"
    - name: Second run, on the now idle cluster
      ansible.builtin.include_role:
        name: oceanbase.obshell.wait_for_tasks
      vars:
        wait_for_tasks_poll_interval: 0.5
    - name: Save both verdicts
      ansible.builtin.copy:
        content: "{{{{ {{'first': test_first, 'second': wait_for_tasks_result}} | to_json }}}}"
        dest: "{out}/{{{{ inventory_hostname }}}}.json"
        mode: "0600"
"""


def test_a_second_run_in_the_play_does_not_inherit_the_first_runs_remediation(sim_cluster, tmp_path):
    sim, dag_id = start(sim_cluster)
    result = run_playbook(TWICE.format(out=str(tmp_path)), inventory_for(sim), workdir=tmp_path)
    assert result.rc == 0, result.output
    with open(os.path.join(str(tmp_path), 'obs2.json')) as handle:
        saved = json.load(handle)
    assert [r['operator'] for r in saved['first']['remediations']] == ['RETRY']
    second = saved['second']
    assert second['remediations'] == [], second
    assert second['outcome'] == 'idle' and second['failed'] is False, second
    assert 'retry' not in second['cluster']['msg'], second['cluster']
    assert len(posts(sim)) == 1
