# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The event source oceanbase.obshell.dag_events under the real ansible-rulebook (PyPI; it runs Drools on Java 17),
against simulated agents, the way a user runs it: the collection built with ansible-galaxy, installed into a
collections path, and found by ansible-rulebook through ``ansible-galaxy collection list``.

Marker ``eda``: run by the ``eda`` stage of scripts/test.sh, in its own virtualenv (tests/requirements/eda.txt).
Elsewhere these tests are deselected (tests/conftest.py) when ansible-rulebook is not installed.

Also runs the rulebook examples of README.md and docs/*.md (``<!-- example: rulebook ... -->``), which
tests/integration/test_docs_examples.py only checks for shape.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import ast
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest
import yaml

from tests.integration._ansible import REPO_ROOT
from tests.integration._examples import EXAMPLES

pytest_plugins = ['tests.simulator.pytest_plugin']
pytestmark = [pytest.mark.eda, pytest.mark.timeout(300)]

PASSWORD = 'R00t-sys/EDA'
BIN_DIR = os.path.dirname(sys.executable)
SEARCH_PATH = BIN_DIR + os.pathsep + os.environ.get('PATH', '')
RULEBOOK_EXAMPLES = [block for block in EXAMPLES if block.kind == 'rulebook']
POLL = 0.5


def tool(name):
    found = shutil.which(name, path=SEARCH_PATH)
    assert found, '%s is not installed next to %s (tests/requirements/eda.txt)' % (name, sys.executable)
    return found


@pytest.fixture(scope='module')
def collections_path(tmp_path_factory):
    """The collection as a user gets it: ansible-galaxy collection build, then install into a collections path."""
    out = tmp_path_factory.mktemp('eda-collection')
    galaxy = tool('ansible-galaxy')
    subprocess.run([galaxy, 'collection', 'build', '--force', '--output-path', str(out), REPO_ROOT], check=True,
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    tarball = glob.glob(str(out / 'oceanbase-obshell-*.tar.gz'))[0]
    installed = out / 'installed'
    subprocess.run([galaxy, 'collection', 'install', '--force', '-p', str(installed), tarball], check=True,
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert (installed / 'ansible_collections/oceanbase/obshell/extensions/eda/plugins/event_source/dag_events.py').is_file()
    return str(installed)


class Rulebook(object):
    """One ansible-rulebook process and what it printed (stdout and stderr in one file)."""

    def __init__(self, tmp_path, collections, rulebook, variables=None, extra_env=None, print_events=False):
        self.output = tmp_path / ('rulebook-%d.out' % int(time.time() * 1000))
        inventory = tmp_path / 'inventory.yml'
        inventory.write_text(yaml.safe_dump({'all': {'hosts': {'localhost': {
            'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}}}}))
        command = [tool('ansible-rulebook'), '--rulebook', rulebook, '-i', str(inventory)]
        if print_events:
            command.append('--print-events')
        if variables is not None:
            path = tmp_path / 'vars.json'
            path.write_text(json.dumps(variables))
            command += ['--vars', str(path)]
        env = dict(os.environ)
        # The environment of the collection's tests must not leak in: only what a user would set.
        for name in list(env):
            if name.startswith('OBSHELL_') or name.startswith('ANSIBLE_'):
                del env[name]
        env.update(PATH=SEARCH_PATH, ANSIBLE_COLLECTIONS_PATH=collections, OBSHELL_PASSWORD=PASSWORD,
                   ANSIBLE_NOCOLOR='1', PYTHONUNBUFFERED='1', NO_PROXY='*', no_proxy='*')
        env.update(extra_env or {})
        self.handle = open(str(self.output), 'w')
        self.process = subprocess.Popen(command, cwd=str(tmp_path), stdout=self.handle, stderr=subprocess.STDOUT,
                                        env=env, start_new_session=True)

    def text(self):
        with open(str(self.output)) as handle:
            return handle.read()

    def events(self):
        """The obshell events the rulebook printed: print_event prints each as one Python literal line,
        --print-events as a pretty-printed literal over several lines, ended by a line of stars."""
        found = []
        lines = self.text().splitlines()
        index = 0
        while index < len(lines):
            if not lines[index].startswith('{'):
                index += 1
                continue
            end = index
            while end + 1 < len(lines) and lines[end + 1].startswith(' '):
                end += 1
            try:
                event = ast.literal_eval('\n'.join(lines[index:end + 1]))
            except (SyntaxError, ValueError):
                event = None      # still being written
            if isinstance(event, dict) and 'obshell' in event:
                found.append(event['obshell'])
            index = end + 1
        return found

    def wait_for(self, predicate, timeout, what):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = predicate()
            if result:
                return result
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError('%s: not seen within %s s (rulebook exit %s); output:\n%s'
                             % (what, timeout, self.process.poll(), self.text()[-6000:]))

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(15)
        self.handle.close()


@pytest.fixture
def rulebooks(tmp_path, collections_path):
    started = []

    def start(rulebook, variables=None, extra_env=None, print_events=False):
        book = Rulebook(tmp_path, collections_path, rulebook, variables, extra_env, print_events)
        started.append(book)
        return book

    yield start
    for book in started:
        book.stop()


def watch_all(tmp_path, agents, **options):
    """A rulebook that prints every event of the source."""
    source = dict(agents=agents, poll_interval=POLL)
    source.update(options)
    path = tmp_path / 'print_all.yml'
    path.write_text(yaml.safe_dump([{
        'name': 'print every obshell event', 'hosts': 'all',
        'sources': [{'oceanbase.obshell.dag_events': source}],
        'rules': [{'name': 'print it', 'condition': 'event.obshell.event is defined', 'action': {'print_event': {}}}],
    }], sort_keys=False))
    return str(path)


def polling(sim, count=2):
    """True once the source has read every agent ``count`` times (it is up and polling)."""
    def check():
        reads = [entry for entry in sim.requests if entry['path'].endswith('/unfinish')]
        return all(len([entry for entry in reads if entry['agent'] == agent.address]) >= count
                   for agent in sim.agents)
    return check


def named(events, name):
    return [event for event in events if event['event'] == name]


def test_failed_scale_out_is_retried_once_by_the_shipped_rulebook(sim_cluster, rulebooks):
    """The shipped rulebook: a scale-out failing at its pre-check is seen within a few polls, the retry playbook
    runs (the simulator gets the RETRY), and the retried DAG's success is reported after a read of it."""
    sim = sim_cluster(agents=3, scenario='idle', step_seconds=0.4, password=PASSWORD)
    book = rulebooks('oceanbase.obshell.retry_failed_dag',
                     variables={'obshell_agents': [agent.address for agent in sim.agents],
                                'obshell_poll_interval': POLL}, print_events=True)
    book.wait_for(polling(sim), 90, 'the source polling every agent')
    sim.run_scenario('scale_out_fail')
    gid = book.wait_for(lambda: sim.find_dag('Cluster scale out'), 10, 'the scale-out')

    failed = book.wait_for(lambda: named(book.events(), 'dag_failed'), 30, 'dag_failed')[0]
    assert failed['dag']['id'] == gid and failed['failure_count'] == 1
    assert failed['failure']['follow_up']['states'] == ['retried', 'rolled_back']
    assert "failed at node 6/9 'Prev check for scale_out'" in failed['failure']['summary']
    # Within a few polls of the failure (the DAG's own end time, on the same machine's clock).
    failed_at = time.mktime(time.strptime(failed['dag']['end_time'][:19], '%Y-%m-%dT%H:%M:%S')) - time.timezone
    seen_at = time.mktime(time.strptime(failed['time'][:19], '%Y-%m-%dT%H:%M:%S')) - time.timezone
    assert seen_at - failed_at <= 4 * POLL + 2, (failed['dag']['end_time'], failed['time'])

    retries = book.wait_for(lambda: [entry for entry in sim.requests if entry['method'] == 'POST'
                                     and entry['path'].endswith('/dag/%s' % gid) and entry['status'] == 200],
                            90, 'the RETRY POST of the playbook')
    assert len(retries) == 1
    assert 'TASK [Retry the DAG]' in book.text()
    succeeded = book.wait_for(lambda: named(book.events(), 'dag_succeeded'), 60, 'dag_succeeded')
    assert succeeded[0]['dag']['id'] == gid and succeeded[0]['dag']['state'] == 'SUCCEED'
    assert sim.dag_state(gid)[0] == 'SUCCEED'
    events = book.events()
    # One event per change: never the failure twice, never a success before it.
    assert len(named(events, 'dag_failed')) == 1
    order = [event['event'] for event in events if event['dag']['id'] == gid]
    assert order.index('dag_failed') < order.index('dag_succeeded')
    assert order[0] == 'dag_appeared' and order.count('dag_succeeded') == 1
    assert not named(events, 'dag_vanished') and not named(events, 'agent_unreachable')


def test_an_agent_going_down_and_coming_back(sim_cluster, rulebooks, tmp_path):
    sim = sim_cluster(agents=2, scenario='idle', step_seconds=0.4, password=PASSWORD)
    book = rulebooks(watch_all(tmp_path, [agent.address for agent in sim.agents]))
    book.wait_for(polling(sim), 90, 'the source polling every agent')
    down = sim.agents[1]
    down.go_down(3.0)
    lost = book.wait_for(lambda: named(book.events(), 'agent_unreachable'), 20, 'agent_unreachable')
    assert [event['agent'] for event in lost] == [down.address]
    assert lost[0]['error']['kind'] == 'unreachable'
    back = book.wait_for(lambda: named(book.events(), 'agent_recovered'), 30, 'agent_recovered')
    assert [(event['agent'], event['after']) for event in back] == [(down.address, 'unreachable')]
    events = book.events()
    assert events.index(lost[0]) < events.index(back[0])
    # Once each: an outage is one event, not one per poll.
    time.sleep(3 * POLL)
    assert [event['event'] for event in book.events()] == ['agent_unreachable', 'agent_recovered']


def test_an_observer_restart_is_cluster_unknown_never_a_false_success(sim_cluster, rulebooks, tmp_path):
    """One agent, whose observer goes down during a scale-out (9 s) and stays down until the DAG ended: the cluster
    DAGs cannot be read, which is said (cluster_unknown); the DAG's success is only said once it has been read."""
    sim = sim_cluster(agents=1, scenario='idle', step_seconds=1.0, password=PASSWORD)
    agent = sim.agents[0]
    book = rulebooks(watch_all(tmp_path, [agent.address]))
    book.wait_for(polling(sim), 90, 'the source polling the agent')
    sim.run_scenario('scale_out')
    gid = book.wait_for(lambda: sim.find_dag('Cluster scale out'), 10, 'the scale-out')
    book.wait_for(lambda: named(book.events(), 'dag_appeared'), 30, 'dag_appeared')
    agent.observer_down()
    unknown = book.wait_for(lambda: named(book.events(), 'cluster_unknown'), 30, 'cluster_unknown')
    assert unknown[0]['agent'] == agent.address and unknown[0]['error']['kind'] == 'cluster_unknown'
    assert unknown[0]['cluster_dags_read_from'] is None
    # The DAG ends while the observer is down: nothing may be said about it until it is read.
    book.wait_for(lambda: sim.dag_state(gid)[0] == 'SUCCEED', 30, 'the DAG ending')
    time.sleep(4 * POLL)
    assert not named(book.events(), 'dag_succeeded') and not named(book.events(), 'dag_vanished')
    agent.observer_up()
    back = book.wait_for(lambda: named(book.events(), 'agent_recovered'), 30, 'agent_recovered')
    assert back[0]['after'] == 'cluster_unknown'
    succeeded = book.wait_for(lambda: named(book.events(), 'dag_succeeded'), 20, 'dag_succeeded')
    events = book.events()
    assert len(succeeded) == 1 and events.index(back[0]) < events.index(succeeded[0])
    assert len(named(events, 'cluster_unknown')) == 1


def test_a_bad_argument_stops_the_source_naming_it(sim_cluster, rulebooks, tmp_path):
    book = rulebooks(watch_all(tmp_path, ['127.0.0.1:1'], poll_interval=0.1, scope='everything'))
    book.wait_for(lambda: book.process.poll() is not None, 90, 'the rulebook stopping')
    text = book.text()
    assert 'poll_interval must be at least 0.5' in text or 'scope must be one of' in text
    assert 'dag_events' in text


@pytest.mark.parametrize('block', RULEBOOK_EXAMPLES, ids=lambda block: block.id)
def test_rulebook_example(block, sim_cluster, rulebooks, tmp_path):
    """A rulebook of the docs, as written, with its agent addresses pointed at the simulated agents."""
    settings = block.settings
    sim = sim_cluster(agents=3, scenario='idle', step_seconds=0.3, password=PASSWORD)
    addresses = iter(agent.address for agent in sim.agents)
    mapping = {}

    def to_sim(match):
        return mapping.setdefault(match.group(0), next(addresses))

    text = re.sub(r'\b10\.0\.0\.[0-9]+(?::[0-9]+)?\b', to_sim, block.text)
    assert mapping, 'the example names no agent 10.0.0.x'
    path = tmp_path / 'example.yml'
    path.write_text(text)
    book = rulebooks(str(path))
    book.wait_for(polling(sim), 90, 'the source polling every agent')
    sim.run_scenario(settings.get('scenario', 'scale_out_fail'))
    expect = settings.get('expect', 'failed at node')
    book.wait_for(lambda: expect in book.text(), 30, 'the example reacting (%r)' % expect)


def test_a_dag_that_fails_again_after_its_retry_is_reported_not_retried_again(sim_cluster, rulebooks):
    """The shipped rulebook retries once: the second failure of the same DAG (failure_count 2) is only reported."""
    sim = sim_cluster(agents=1, scenario='idle', step_seconds=0.4, password=PASSWORD)
    book = rulebooks('oceanbase.obshell.retry_failed_dag',
                     variables={'obshell_agents': [sim.agents[0].address], 'obshell_poll_interval': POLL},
                     print_events=True)
    book.wait_for(polling(sim), 90, 'the source polling the agent')
    sim.run_scenario({'dags': [{'template': 'scale_out', 'fail_at': 'Prev check for scale_out', 'fail_times': 2}]})
    gid = book.wait_for(lambda: sim.find_dag('Cluster scale out'), 10, 'the scale-out')
    failures = book.wait_for(lambda: len(named(book.events(), 'dag_failed')) >= 2 and named(book.events(), 'dag_failed'),
                             90, 'the second dag_failed')
    assert [event['failure_count'] for event in failures] == [1, 2]
    book.wait_for(lambda: 'dag_failed on %s: DAG %s' % (sim.agents[0].address, gid) in book.text(), 20,
                  'the second failure reported by the rulebook')
    time.sleep(4 * POLL)
    posts = [entry for entry in sim.requests if entry['method'] == 'POST' and entry['path'].endswith('/dag/%s' % gid)]
    assert len(posts) == 1
    assert book.text().count('TASK [Retry the DAG]') == 1
    assert sim.dag_state(gid)[0] == 'FAILED'
