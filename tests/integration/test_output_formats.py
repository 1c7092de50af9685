# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Progress lines and the stdout callbacks: machine-readable output stays machine-readable, output for people stays
live.

Real ansible-playbook runs against a simulated scale-out held at node 3/9, waited on from the controller and from the
host (run_on=target) with a short timeout, so every run has progress to print. The machine-readable callbacks are the
real ``ansible.posix.json`` and ``ansible.posix.jsonl``: scripts/test.sh unpacks ansible.posix from the community
``ansible`` package (pinned with its hashes in tests/requirements/locks/collections.txt) into the collections path the
tests use, as a user combines this collection with ansible.posix.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import re

import pytest

from tests.integration._ansible import local_inventory, run_playbook
from tests.simulator.scenarios import held_scale_out
from tests.simulator.waiting import wait_until

ANSIBLE_POSIX = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                             'collections', 'ansible_collections', 'ansible', 'posix')
PROGRESS_RE = re.compile(r'^obs1( \[cluster\])? \| ')
STAGE_LINE_RE = re.compile(r'Cluster scale out \| 3/9 Wait scale out ready \| RUNNING')
WAIT_TASKS = ('Wait from the controller', 'Wait on the host')

PLAYBOOK = """
- name: Progress and the stdout callback
  hosts: obs1
  gather_facts: false
  tasks:
    - name: Wait from the controller
      oceanbase.obshell.dag_wait:
        host: 127.0.0.1
        port: {port}
        poll_interval: 0.5
        timeout: 1.5
        fail_on: []
{progress}
      register: from_controller

    - name: Wait on the host
      oceanbase.obshell.dag_wait:
        run_on: target
        host: 127.0.0.1
        port: {port}
        poll_interval: 0.5
        timeout: 1.5
        fail_on: []
{progress}
      register: on_the_host
"""


@pytest.fixture
def held(sim_cluster):
    """One agent whose scale-out is held at node 3/9: each wait prints its stage, then times out."""
    sim = sim_cluster(agents=1, scenario=held_scale_out(hold_at=3))
    assert wait_until(lambda: sim.dag_dto(sim.find_dag('Cluster scale out'), False)['stage'] == 3)
    return sim


def run(sim, tmp_path, extra_env=None, progress=None):
    option = '' if progress is None else '        progress: %s' % json.dumps(progress)
    env = dict(extra_env or {})
    return run_playbook(PLAYBOOK.format(port=sim.agents[0].port, progress=option), local_inventory(['obs1']),
                        extra_env=env, workdir=tmp_path)


def progress_lines(stdout):
    return [line for line in stdout.splitlines() if PROGRESS_RE.match(line)]


def assert_result_keeps_the_progress(wait_result):
    """The progress of a wait is in its result (``events``) whatever was printed."""
    assert wait_result['outcome'] == 'timeout', wait_result
    assert any(STAGE_LINE_RE.search(line) for line in wait_result['events']), wait_result['events']


# ------------------------------------------------------------------------------------------------- machines


@pytest.fixture(scope='module', autouse=True)
def real_ansible_posix():
    """ansible.posix is there, and it is the real collection (its galaxy manifest), not something written here."""
    manifest = os.path.join(ANSIBLE_POSIX, 'MANIFEST.json')
    assert os.path.isfile(manifest), (
        'ansible.posix is missing from %s: run OBSHELL_TEST_STAGES=setup bash scripts/test.sh, which unpacks it from '
        'the pinned community ansible package' % ANSIBLE_POSIX)
    with open(manifest) as handle:
        info = json.load(handle)['collection_info']
    assert (info['namespace'], info['name']) == ('ansible', 'posix'), info
    return info['version']


@pytest.mark.smoke
def test_json_stdout_is_one_json_document(held, tmp_path):
    result = run(held, tmp_path, extra_env={'ANSIBLE_STDOUT_CALLBACK': 'ansible.posix.json'})
    assert result.rc == 0, result.output
    document = json.loads(result.stdout)
    tasks = dict((task['task']['name'], task['hosts']['obs1']) for task in document['plays'][0]['tasks'])
    for name in WAIT_TASKS:
        assert_result_keeps_the_progress(tasks[name])
    assert document['stats']['obs1']['ok'] == 2
    assert progress_lines(result.stderr) == []


@pytest.mark.smoke
def test_jsonl_stdout_is_json_on_every_line(held, tmp_path):
    result = run(held, tmp_path, extra_env={'ANSIBLE_STDOUT_CALLBACK': 'ansible.posix.jsonl'})
    assert result.rc == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    results = dict((record['task']['name'], record['hosts']['obs1']) for record in records
                   if record['_event'] == 'v2_runner_on_ok')
    for name in WAIT_TASKS:
        assert_result_keeps_the_progress(results[name])
    assert records[-1]['_event'] == 'v2_playbook_on_stats'
    assert records[-1]['stats']['obs1']['ok'] == 2
    assert progress_lines(result.stderr) == []


# ------------------------------------------------------------------------------------------------- people


def task_sections(stdout):
    """{task name: [the lines printed under its banner, up to the next banner]} for the default callback."""
    sections = {}
    current = None
    for line in stdout.splitlines():
        banner = re.match(r'^(?:TASK|PLAY|PLAY RECAP) ?\[?(.*?)\]? \*+$', line)
        if banner or line.startswith('PLAY RECAP'):
            current = banner.group(1) if banner else None
            sections.setdefault(current, [])
            continue
        if current is not None:
            sections[current].append(line)
    return sections


@pytest.mark.smoke
@pytest.mark.target
@pytest.mark.parametrize('env', [
    pytest.param({}, id='default'),
    # ansible-core's own YAML output: the default callback with result_format=yaml (the yaml callback of
    # community.general is gone from ansible-core; its name is one of the callbacks for people too).
    pytest.param({'ANSIBLE_CALLBACK_RESULT_FORMAT': 'yaml'}, id='default-yaml'),
])
def test_default_callback_prints_progress_under_each_task_before_its_result(held, tmp_path, env):
    result = run(held, tmp_path, extra_env=env)
    assert result.rc == 0, result.output
    sections = task_sections(result.stdout)
    for name in WAIT_TASKS:
        lines = sections[name]
        printed = [index for index, line in enumerate(lines) if PROGRESS_RE.match(line)]
        done = [index for index, line in enumerate(lines) if line.startswith('ok: [obs1]')]
        assert printed and done, (name, lines)
        # Live: every progress line comes before the task's result, at default verbosity.
        assert max(printed) < done[0], (name, lines)
        assert any(STAGE_LINE_RE.search(lines[index]) for index in printed), lines
        assert lines[printed[-1]].startswith('obs1 | done: timeout in ')


def test_minimal_callback_prints_progress_before_the_result(held, tmp_path):
    result = run(held, tmp_path, extra_env={'ANSIBLE_STDOUT_CALLBACK': 'minimal'})
    assert result.rc == 0, result.output
    lines = result.stdout.splitlines()
    results = [index for index, line in enumerate(lines) if line.startswith('obs1 | SUCCESS')]
    printed = [index for index, line in enumerate(lines) if PROGRESS_RE.match(line)]
    assert len(results) == 2 and printed, result.stdout
    assert any(index < results[0] for index in printed) and any(results[0] < index < results[1] for index in printed)


# ------------------------------------------------------------------------------------------------- off


@pytest.mark.parametrize('how,task', [
    ('task-option', 'Wait from the controller'),
    ('task-option', 'Wait on the host'),
    ('environment', 'Wait from the controller'),
    ('environment', 'Wait on the host'),
])
def test_progress_can_be_turned_off(held, tmp_path, how, task):
    if how == 'task-option':
        result = run(held, tmp_path, progress=False)
    else:
        result = run(held, tmp_path, extra_env={'OBSHELL_PROGRESS': 'false'})
    assert result.rc == 0, result.output
    lines = task_sections(result.stdout)[task]
    assert [line for line in lines if PROGRESS_RE.match(line)] == [], result.stdout
    assert lines[0] == 'ok: [obs1]', result.stdout
