# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The AWX/AAP path: playbooks run through ansible-runner (the engine under AWX and Automation Platform), against
simulated agents in this process.

Each run has a private data directory laid out as AWX lays it out: ``project/`` (the playbook and an ansible.cfg),
``inventory/hosts``, ``env/envvars`` and ``env/extravars``. The tests read the job events twice: as ansible-runner hands
them over while the job runs (``event_handler``, with the moment each arrived) and as it wrote them
(``artifacts/<ident>/job_events/*.json``). Every progress line must be a live event of its task naming its host
(``runner_on_file_diff``, see docs/awx.md), and the per-host result event must carry the whole structured result.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import glob
import json
import os
import re
import shutil
import sys
import threading
import time

import ansible_runner
import pytest
import yaml

from tests.simulator.scenarios import held_scale_out
from tests.simulator.waiting import wait_until
from tests.support.sim_requests import after_first_poll

# ansible-runner starts ansible-playbook with pexpect (forkpty) from this process, where the simulated agents serve from
# threads; the child execs at once, so Python 3.12's warning about forking a multi-threaded process does not apply.
pytestmark = pytest.mark.filterwarnings('ignore:This process .* is multi-threaded, use of forkpty:DeprecationWarning')

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS_DIR = os.path.join(REPO_ROOT, 'collections')
PASSWORD = 'Runn3r/Events'
PROGRESS_RE = re.compile(r'^obs\d( \[cluster\])? \| ')

ANSIBLE_CFG = """\
[defaults]
interpreter_python = {python}
host_key_checking = False
retry_files_enabled = False
nocolor = True
"""

WAIT_PLAYBOOK = """
- name: Wait through ansible-runner
  hosts: obs1
  gather_facts: false
  tasks:
    - name: Wait for the scale-out
      oceanbase.obshell.dag_wait:
        host: 127.0.0.1
        port: "{{ agent_port }}"
        password: "{{ agent_password }}"
        names: [Cluster scale out]
        poll_interval: 0.5
        unreachable_timeout: "{{ unreachable_timeout | default(30) }}"
"""

ROLE_PLAYBOOK = """
- name: The role through ansible-runner
  hosts: observers
  gather_facts: false
  tasks:
    - name: Wait for tasks
      ansible.builtin.include_role:
        name: oceanbase.obshell.wait_for_tasks
      vars:
        wait_for_tasks_poll_interval: 0.5
        wait_for_tasks_connect_from: "{{ connect_from }}"
        wait_for_tasks_appear_timeout: 10

    - name: Show the verdict
      ansible.builtin.debug:
        var: wait_for_tasks_result
"""


class RunnerJob(object):
    """One ansible-runner job: its Runner, the events as they arrived (with time.monotonic()), the events on disk."""

    def __init__(self, runner, arrived, private_data_dir):
        self.runner = runner
        self.arrived = arrived
        self.private_data_dir = private_data_dir
        self.events = [event for _when, event in arrived]

    @property
    def output(self):
        with open(os.path.join(self.runner.config.artifact_dir, 'stdout')) as handle:
            return 'status: %s rc: %s\n%s' % (self.runner.status, self.runner.rc, handle.read())

    def events_on_disk(self):
        found = []
        for path in glob.glob(os.path.join(self.runner.config.artifact_dir, 'job_events', '*.json')):
            with open(path) as handle:
                found.append(json.load(handle))
        return sorted(found, key=lambda event: event['counter'])

    def task_uuid(self, name):
        uuids = [event['event_data']['task_uuid'] for event in self.events
                 if event['event'] == 'playbook_on_task_start' and event['event_data']['task'] == name]
        assert uuids, 'no task %r in %s' % (name, [e['event_data'].get('task') for e in self.events])
        return uuids[0]

    def of_task(self, name, event_type):
        uuid = self.task_uuid(name)
        return [event for event in self.events
                if event['event'] == event_type and event['event_data'].get('task_uuid') == uuid]

    def progress(self, name):
        return self.of_task(name, 'runner_on_file_diff')

    def arrival(self, event):
        return [when for when, arrived in self.arrived if arrived['uuid'] == event['uuid']][0]


def run_job(tmp_path, monkeypatch, playbook, hosts, extravars=None, envvars=None, when_task_starts=None):
    """Run ``playbook`` (YAML text, or a file of playbooks/) with ansible-runner over ``hosts`` (name -> vars).

    ``when_task_starts``: (task name, function) — the function is called once, as soon as the event of that task's
    start arrives (e.g. to start a simulated DAG right when the wait begins, however long the job took to get there).
    """
    private_data_dir = os.path.join(str(tmp_path), 'private')
    for part in ('project', 'inventory', 'env'):
        os.makedirs(os.path.join(private_data_dir, part))
    project = os.path.join(private_data_dir, 'project')
    if '\n' in playbook:
        with open(os.path.join(project, 'playbook.yml'), 'w') as handle:
            handle.write(playbook)
        playbook_name = 'playbook.yml'
    else:
        shutil.copy(os.path.join(REPO_ROOT, 'playbooks', playbook), project)
        playbook_name = playbook
    with open(os.path.join(project, 'ansible.cfg'), 'w') as handle:
        handle.write(ANSIBLE_CFG.format(python=sys.executable))
    # Modules run on the test Python, or on the old target Python of scripts/test.sh's target stages.
    interpreter = os.environ.get('OBSHELL_TEST_TARGET_PYTHON') or sys.executable
    inventory = {'all': {'children': {'observers': {
        'hosts': hosts,
        'vars': {'ansible_connection': 'local', 'ansible_python_interpreter': interpreter}}}}}
    with open(os.path.join(private_data_dir, 'inventory', 'hosts'), 'w') as handle:
        yaml.safe_dump(inventory, handle)
    env = {
        'ANSIBLE_COLLECTIONS_PATH': COLLECTIONS_DIR,
        'ANSIBLE_HOME': os.path.join(str(tmp_path), 'ansible-home'),
        'ANSIBLE_LOCAL_TEMP': os.path.join(str(tmp_path), 'local-tmp'),
        'ANSIBLE_REMOTE_TEMP': os.path.join(str(tmp_path), 'remote-tmp'),
        'ANSIBLE_NOCOLOR': '1',
        'PYTHONDONTWRITEBYTECODE': '1',
    }
    env.update(envvars or {})
    with open(os.path.join(private_data_dir, 'env', 'envvars'), 'w') as handle:
        yaml.safe_dump(env, handle)
    with open(os.path.join(private_data_dir, 'env', 'extravars'), 'w') as handle:
        yaml.safe_dump(extravars or {}, handle)
    # The job sees only what AWX would give it: no ANSIBLE_* from the shell running the tests, and this virtualenv's
    # ansible-playbook first on PATH.
    for name in list(os.environ):
        if name.startswith('ANSIBLE_'):
            monkeypatch.delenv(name)
    monkeypatch.setenv('PATH', os.path.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', ''))

    arrived = []
    lock = threading.Lock()

    pending = list(when_task_starts or ())

    def on_event(event):
        with lock:
            arrived.append((time.monotonic(), event))
            if pending and event['event'] == 'playbook_on_task_start' and \
                    event['event_data'].get('task') == pending[0]:
                pending.pop(1)()
                del pending[:]
        return True

    runner = ansible_runner.run(private_data_dir=private_data_dir, playbook=playbook_name, event_handler=on_event,
                                quiet=True, timeout=240)
    return RunnerJob(runner, arrived, private_data_dir)


def observers(sim, count=3, **host_vars):
    hosts = {}
    for index, agent in enumerate(sim.agents[:count]):
        variables = {'ansible_host': '127.0.0.1', 'obshell_port': agent.port}
        variables.update(host_vars)
        hosts['obs%d' % (index + 1)] = variables
    return hosts


def assert_progress_events_of(job, task, hosts):
    """The progress of the task named ``task``: events of that task, naming a host of ``hosts``, whose stdout is the
    line; none as a host-less ``verbose`` event. Returns them in order."""
    uuid = job.task_uuid(task)
    return assert_progress_events(job, lambda data: data.get('task_uuid') == uuid, hosts)


def assert_progress_events(job, of, hosts):
    """The progress events whose event_data satisfies ``of`` (see assert_progress_events_of)."""
    events = [event for event in job.events if event['event'] == 'runner_on_file_diff' and of(event['event_data'])]
    assert events, job.output
    for event in events:
        data = event['event_data']
        assert data['host'] in hosts, event
        assert data['task_action'] == 'oceanbase.obshell.dag_wait', event
        assert PROGRESS_RE.match(event['stdout']), event
        assert event['stdout'] == data['diff']['prepared'], event
    stray = [event for event in job.events if event['event'] == 'verbose' and PROGRESS_RE.match(event['stdout'] or '')]
    assert stray == [], stray
    # ansible-runner wrote the same events to disk, in the same order.
    on_disk = [event['uuid'] for event in job.events_on_disk()
               if event['event'] == 'runner_on_file_diff' and of(event['event_data'])]
    assert on_disk == [event['uuid'] for event in events]
    return events


def asked_for_unfinished(agent, since=0.0):
    return any(entry['path'].startswith('/api/v1/task/dag/') and entry['path'].endswith('unfinish')
               and entry['time'] >= since for entry in list(agent.requests))


def when_every_agent_was_asked(sim, action, *args, **kwargs):
    """Run ``action(*args)`` in a thread once each agent (or only ``agents``) has been asked for its unfinished DAGs
    (after ``since``, a time.monotonic())."""
    agents = kwargs.get('agents') or sim.agents
    since = kwargs.get('since', 0.0)

    def run():
        if wait_until(lambda: all(asked_for_unfinished(agent, since) for agent in agents), timeout=120):
            action(*args)
    thread = threading.Thread(target=run)
    thread.daemon = True
    thread.start()
    return thread


def finished_at(sim, dag_id):
    return [entry[0] for entry in sim.events if entry[1] == 'finished' and entry[2] == dag_id][0]


# ------------------------------------------------------------------------------------------------- scenarios


@pytest.mark.smoke
def test_demo_playbook_progress_arrives_live_as_events_of_its_task_and_host(sim_cluster, tmp_path, monkeypatch):
    sim = sim_cluster(agents=3, scenario='idle', step_seconds=0.5)
    task = 'Wait for the scale-out to finish (progress is printed live)'
    # The scale-out starts once the wait has polled (the demo waits up to 10 s for it to appear).
    job = run_job(tmp_path, monkeypatch, 'demo.yml', observers(sim), when_task_starts=(
        task, lambda: when_every_agent_was_asked(sim, sim.run_scenario, 'scale_out', agents=sim.agents[:1],
                                                 since=time.monotonic())))
    assert (job.runner.status, job.runner.rc) == ('successful', 0), job.output
    dag_id = sim.find_dag('Cluster scale out')
    events = assert_progress_events_of(job, task, ('obs1',))
    ok = job.of_task(task, 'runner_on_ok')
    assert len(ok) == 1 and ok[0]['event_data']['host'] == 'obs1'
    result = ok[0]['event_data']['res']
    assert result['outcome'] == 'succeeded', result
    assert [dag['id'] for dag in result['dags']] == [dag_id]
    # Every line the result keeps was an event of its own, before the result (the last one, "done: ...", is printed
    # once the result is made).
    printed = [event['stdout'] for event in events]
    assert all(any(text.endswith(line) for text in printed) for line in result['events']), (printed, result['events'])
    assert printed[-1].startswith('obs1 | done: succeeded in ')
    assert max(event['counter'] for event in events) < ok[0]['counter']
    # Live: a line about a node still running arrived before the scale-out ended.
    running = [event for event in events if re.search(r'Cluster scale out \| [1-8]/9 .* \| RUNNING', event['stdout'])]
    assert running, printed
    assert job.arrival(running[0]) < finished_at(sim, dag_id), 'the first RUNNING line arrived after the DAG ended'
    # The stdout AWX shows holds the lines as a terminal would.
    assert 'obs1 [cluster] | Cluster scale out | 9/9 Check cluster scale_out whether finished | SUCCEED' in job.output


@pytest.mark.smoke
def test_a_failed_dag_is_a_failed_event_with_the_whole_report(sim_cluster, tmp_path, monkeypatch):
    sim = sim_cluster(agents=3, password=PASSWORD, scenario='scale_out_fail', step_seconds=0.3)
    dag_id = sim.find_dag('Cluster scale out')
    job = run_job(tmp_path, monkeypatch, WAIT_PLAYBOOK, observers(sim, 1),
                  extravars={'agent_port': sim.agents[0].port, 'agent_password': PASSWORD})
    assert (job.runner.status, job.runner.rc) == ('failed', 2), job.output
    task = 'Wait for the scale-out'
    events = assert_progress_events_of(job, task, ('obs1',))
    assert any('FAILED' in event['stdout'] for event in events), [event['stdout'] for event in events]
    failed = job.of_task(task, 'runner_on_failed')
    assert len(failed) == 1 and failed[0]['event_data']['host'] == 'obs1'
    result = failed[0]['event_data']['res']
    assert result['outcome'] == 'failed'
    assert result['failures'][0]['id'] == dag_id
    assert result['failures'][0]['node']['name'] == 'Prev check for scale_out'
    assert result['failures'][0]['follow_up']['module'] == 'oceanbase.obshell.dag'
    assert result['events'], result
    assert PASSWORD not in job.output
    assert all(PASSWORD not in json.dumps(event) for event in job.events_on_disk())


@pytest.mark.smoke
def test_an_agent_that_stops_answering_is_an_unreachable_outcome(sim_cluster, tmp_path, monkeypatch):
    sim = sim_cluster(agents=3, scenario=held_scale_out(hold_at=3))
    after_first_poll(sim, sim.agents[0].go_down, 60)
    job = run_job(tmp_path, monkeypatch, WAIT_PLAYBOOK, observers(sim, 1),
                  extravars={'agent_port': sim.agents[0].port, 'agent_password': '', 'unreachable_timeout': 1.5})
    assert job.runner.status == 'failed', job.output
    task = 'Wait for the scale-out'
    events = assert_progress_events_of(job, task, ('obs1',))
    agent = '127.0.0.1:%d' % sim.agents[0].port
    assert any(agent in event['stdout'] for event in events), [event['stdout'] for event in events]
    failed = job.of_task(task, 'runner_on_failed')
    result = failed[0]['event_data']['res']
    assert result['outcome'] == 'unreachable', result
    assert result['unreachable_agent']['agent'] == agent
    # The agent is unreachable, the host is not: Ansible reached obs1 and ran the task.
    assert job.of_task(task, 'runner_on_unreachable') == []


@pytest.mark.smoke
@pytest.mark.parametrize('connect_from', ['controller', pytest.param('target', marks=pytest.mark.target)])
def test_the_role_over_three_hosts(sim_cluster, tmp_path, monkeypatch, connect_from):
    sim = sim_cluster(agents=3, password=PASSWORD, scenario='idle', step_seconds=1.5)
    if connect_from == 'controller':
        task = 'Wait for the cluster DAGs and every host\'s agent DAGs, at once (from the controller)'
    else:
        task = 'Wait on each host for its agent DAGs (the first host also for the cluster DAGs), from the hosts'
    # The scale-out starts once every agent has been asked for its unfinished DAGs, however long the job took to get
    # there. The role's own tasks before the wait read those lists too, and on a busy machine they take seconds: the
    # scale-out (9 nodes of 1.5 s) outlasts them, so the wait (which waits up to 10 s for a DAG to appear) sees it run.
    when_every_agent_was_asked(sim, sim.run_scenario, 'scale_out')
    job = run_job(tmp_path, monkeypatch, ROLE_PLAYBOOK, observers(sim, obshell_password=PASSWORD),
                  extravars={'connect_from': connect_from})
    assert (job.runner.status, job.runner.rc) == ('successful', 0), job.output
    dag_id = sim.find_dag('Cluster scale out')
    hosts = ('obs1', 'obs2', 'obs3')
    # The role's own tasks are its business: its progress is every line of a dag_wait task inside it.
    events = assert_progress_events(job, lambda data: data.get('role') == 'wait_for_tasks', hosts)
    assert any('Cluster scale out | 9/9' in event['stdout'] and 'SUCCEED' in event['stdout'] for event in events), \
        [event['stdout'] for event in events]
    if connect_from == 'controller':
        # One watcher for the batch, run once (on obs1): one task, one host; its lines name the host whose agent
        # answered.
        assert set(event['event_data']['host'] for event in events) == set(['obs1'])
        assert len(set(event['event_data']['task_uuid'] for event in events)) == 1
        labels = set(event['stdout'].split(' | ')[0] for event in events)
        assert 'obs1 [cluster]' in labels, labels
    else:
        # One wait per host, on the host: each host's lines are events of that host.
        assert set(event['event_data']['host'] for event in events) == set(hosts)
        for event in events:
            assert event['stdout'].startswith(event['event_data']['host']), event
    shown = job.of_task('Show the verdict', 'runner_on_ok')
    assert sorted(event['event_data']['host'] for event in shown) == list(hosts)
    verdict = dict((event['event_data']['host'], event['event_data']['res']['wait_for_tasks_result'])
                   for event in shown)['obs3']
    assert verdict['outcome'] == 'succeeded', verdict
    assert [dag['id'] for dag in verdict['dags']] == [dag_id]
    assert sorted(verdict['per_host']) == list(hosts)
    stats = [event for event in job.events if event['event'] == 'playbook_on_stats'][0]['event_data']
    assert sorted(stats['ok']) == list(hosts) and not stats['failures']
    # The wait at a glance in the job's artifacts (custom stats): every host, and the cluster part with its DAG.
    waits = stats['artifact_data']['obshell_waits']
    assert sorted(waits) == ['obs1', 'obs1 [cluster]', 'obs2', 'obs3'], waits
    assert waits['obs1 [cluster]']['outcome'] == 'succeeded'
    assert waits['obs1 [cluster]']['dags'] == [{'id': dag_id, 'name': 'Cluster scale out', 'outcome': 'succeeded'}]
    assert all(waits[host]['outcome'] == 'idle' for host in hosts)
    assert PASSWORD not in job.output


# What marks a line of a job's stdout as this collection's own: its progress lines (``host | ...``), or a line that
# names it (its namespace, its plugins, its files: a Python warning raised in its code names the file).
OWN_LINE_MARKS = ('oceanbase', 'dag_wait', 'dag_info', 'unfinished_dags', 'wait_for_tasks', REPO_ROOT)


def split_json_document(text):
    """(the JSON document a json stdout callback printed in ``text``, the other non-blank lines of ``text``).

    Under AWX a job's stdout is the callback's output with whatever ansible-core, Python or a library printed on
    stderr (warnings, deprecations) merged in: those are the other lines."""
    start = re.search(r'^\{', text, re.M)
    assert start, 'no JSON document in the job stdout:\n%s' % text
    document, end = json.JSONDecoder().raw_decode(text, start.start())
    other = text[:start.start()].splitlines() + text[end:].splitlines()
    return document, [line for line in other if line.strip()]


def own_lines(lines):
    """The lines that come from this collection."""
    return [line for line in lines
            if PROGRESS_RE.match(line) or re.match(r'^\S+ \| ', line) or any(mark in line for mark in OWN_LINE_MARKS)]


@pytest.mark.parametrize('merged,ours', [
    pytest.param('/venv/lib/python3.13/site-packages/ansible/_internal/_ssh/_ssh_agent.py:42: '
                 'CryptographyDeprecationWarning: The DSA algorithm is deprecated\n'
                 '  from cryptography.hazmat.primitives.asymmetric.dsa import DSAPrivateKey', False, id='library'),
    pytest.param('[WARNING]: No inventory was parsed, only implicit localhost is available', False, id='core'),
    pytest.param('obs1 | Cluster scale out | 3/9 Wait scale out ready | RUNNING', True, id='progress'),
    pytest.param('obs1 [cluster] | done: timeout in 0:01', True, id='cluster-progress'),
    pytest.param('[WARNING]: oceanbase.obshell.obshell: zones z1 have no distinct safe group name', True,
                 id='collection-warning'),
    pytest.param('/tmp/ansible_x/ansible_collections/oceanbase/obshell/plugins/module_utils/_http.py:9: '
                 'DeprecationWarning: x', True, id='warning-in-collection-code'),
])
def test_the_stdout_check_tells_the_collections_lines_from_anything_else(merged, ours):
    # The check the AWX json test relies on must be able to fail: it finds the collection's own lines, wherever they
    # are, and only those.
    document = {'plays': [{'tasks': []}], 'stats': {'obs1': {'ok': 1}}}
    for text in (merged + '\n' + json.dumps(document, indent=4) + '\n',
                 json.dumps(document, indent=4) + '\n' + merged + '\n'):
        found, other = split_json_document(text)
        assert found == document
        assert other == merged.splitlines()
        assert bool(own_lines(other)) is ours, other


@pytest.mark.smoke
def test_awx_display_over_a_json_callback_adds_nothing_of_the_collection_to_stdout(sim_cluster, tmp_path,
                                                                                   monkeypatch):
    # A job template whose environment sets ANSIBLE_STDOUT_CALLBACK=ansible.posix.json (the real callback, from the
    # community ansible package): ansible-runner keeps awx_display and names the json callback in
    # ORIGINAL_STDOUT_CALLBACK. The collection's promise: its progress stays in the result (events), out of stdout and
    # out of the job events; stdout is the callback's one JSON document, plus only what others print on stderr
    # (e.g. cryptography 51's CryptographyDeprecationWarning under ansible-core 2.21, see docs/awx.md).
    sim = sim_cluster(agents=1, scenario=held_scale_out(hold_at=3))
    assert wait_until(lambda: sim.dag_dto(sim.find_dag('Cluster scale out'), False)['stage'] == 3)
    playbook = WAIT_PLAYBOOK + '        timeout: 1.5\n        fail_on: []\n'
    job = run_job(tmp_path, monkeypatch, playbook, observers(sim, 1),
                  extravars={'agent_port': sim.agents[0].port, 'agent_password': ''},
                  envvars={'ANSIBLE_STDOUT_CALLBACK': 'ansible.posix.json'})
    assert job.runner.status == 'successful', job.output
    with open(os.path.join(job.runner.config.artifact_dir, 'stdout')) as handle:
        document, other = split_json_document(handle.read())
    result = document['plays'][0]['tasks'][0]['hosts']['obs1']
    assert result['outcome'] == 'timeout'
    assert any('3/9 Wait scale out ready' in line for line in result['events']), result
    assert document['stats']['obs1']['ok'] == 1
    assert own_lines(other) == [], other
    assert job.progress('Wait for the scale-out') == []


@pytest.mark.smoke
def test_awx_json_job_with_the_documented_environment_is_one_json_document(sim_cluster, tmp_path, monkeypatch):
    # docs/awx.md: PYTHONWARNINGS and ANSIBLE_DEPRECATION_WARNINGS in the job template's environment silence what
    # others print on stderr (cryptography 51's DSA warning under ansible-core 2.21, ansible.posix's deprecation),
    # so that the whole stdout parses as one JSON document.
    sim = sim_cluster(agents=1, scenario=held_scale_out(hold_at=3))
    assert wait_until(lambda: sim.dag_dto(sim.find_dag('Cluster scale out'), False)['stage'] == 3)
    playbook = WAIT_PLAYBOOK + '        timeout: 1.5\n        fail_on: []\n'
    job = run_job(tmp_path, monkeypatch, playbook, observers(sim, 1),
                  extravars={'agent_port': sim.agents[0].port, 'agent_password': ''},
                  envvars={'ANSIBLE_STDOUT_CALLBACK': 'ansible.posix.json',
                           'PYTHONWARNINGS': 'ignore:DSA is deprecated:UserWarning',
                           'ANSIBLE_DEPRECATION_WARNINGS': 'False'})
    assert job.runner.status == 'successful', job.output
    with open(os.path.join(job.runner.config.artifact_dir, 'stdout')) as handle:
        document = json.loads(handle.read())
    assert document['plays'][0]['tasks'][0]['hosts']['obs1']['outcome'] == 'timeout'


# ------------------------------------------------------------------------------------------------- degrading


class FakeQueue(object):
    """A worker queue of an ansible-core whose send_callback has a shape this collection does not know."""

    def __init__(self):
        self.sent = []

    def send_callback(self, name, payload, extra, more, arguments):
        self.sent.append(name)


class FakeWorker(object):
    def __init__(self, final_q):
        self._final_q = final_q
        self._host = type('Host', (), {'name': 'obs1'})()
        self._task = type('Task', (), {'_uuid': 'task-1', 'no_log': False, 'dump_attrs': lambda self: {}})()


@pytest.fixture
def under_runner(monkeypatch):
    """Progress as it is made inside a worker of an ansible-runner job (stdout callback awx_display)."""
    from ansible import constants
    from ansible.executor.process import worker

    from ansible_collections.oceanbase.obshell.plugins.plugin_utils import _action

    original = constants.config.get_config_value
    monkeypatch.setattr(constants.config, 'get_config_value', lambda name, *args, **kwargs: 'awx_display'
                        if name == 'DEFAULT_STDOUT_CALLBACK' else original(name, *args, **kwargs))
    monkeypatch.delenv('ORIGINAL_STDOUT_CALLBACK', raising=False)
    displayed = []
    monkeypatch.setattr(_action.display, 'display', lambda line, *args, **kwargs: displayed.append(line))
    return worker, _action, displayed


def test_outside_a_worker_progress_is_a_display_line(under_runner, monkeypatch):
    worker, _action, displayed = under_runner
    monkeypatch.setattr(worker, 'current_worker', None)
    progress = _action.Progress(True)
    progress.line('obs1', 'Cluster scale out | 3/9')
    assert displayed == ['obs1 | Cluster scale out | 3/9'] and progress.lines == displayed


def test_an_unknown_worker_queue_gets_nothing_and_progress_is_a_display_line(under_runner, monkeypatch):
    worker, _action, displayed = under_runner
    queue = FakeQueue()
    monkeypatch.setattr(worker, 'current_worker', FakeWorker(queue))
    progress = _action.Progress(True)
    progress.line('obs1', 'a line')
    assert queue.sent == [] and displayed == ['obs1 | a line']


def test_a_send_that_fails_falls_back_to_display_lines(under_runner, monkeypatch):
    worker, _action, displayed = under_runner

    class BrokenQueue(object):
        def send_callback(self, method_name, *args, **kwargs):   # the 2.16-2.18 shape
            raise RuntimeError('queue closed')

    monkeypatch.setattr(worker, 'current_worker', FakeWorker(BrokenQueue()))
    progress = _action.Progress(True)
    progress.line('obs1', 'first')
    progress.line('obs1', 'second')
    assert displayed == ['obs1 | first', 'obs1 | second']


def test_awx_display_over_a_machine_callback_and_progress_false_print_nothing(under_runner, monkeypatch):
    worker, _action, displayed = under_runner
    monkeypatch.setattr(worker, 'current_worker', None)
    monkeypatch.setenv('ORIGINAL_STDOUT_CALLBACK', 'ansible.posix.json')
    _action.Progress(True).line('obs1', 'hidden')
    monkeypatch.setenv('ORIGINAL_STDOUT_CALLBACK', 'yaml')
    _action.Progress(False).line('obs1', 'hidden too')
    _action.Progress(True).line('obs1', 'shown')
    assert displayed == ['obs1 | shown']
