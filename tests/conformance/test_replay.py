# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Replay the answers recorded from a real agent (recorded/<version>/*.json) against the simulator.

Each fixture is one conformance test as run against the real agent: the states it put the agent in (``setup``),
its requests with their auth case, and the answers. Here a fresh simulated agent is brought into the same states
through the same HTTP requests, every request is sent again, and each answer must match the recorded one: the
status, the envelope's keys, ``errCode`` and message, the data's shape (keys, JSON types, null versus a list) and
the values that carry meaning (states, operators, names, stages, identities). Values that change from run to run
(times, ids, pids, trace ids) are compared by type only.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import glob
import json
import os
import re

import pytest

from tests.conformance._agent import DEFAULT_PASSWORD, SOURCE_COMMIT, Target
from tests.conformance._recorder import CASES, RECORDED_DIR
from tests.simulator import SimCluster

FIXTURES = sorted(glob.glob(os.path.join(RECORDED_DIR, '*', '*.json')))
# values compared as such; every other scalar by its JSON type only
VALUE_KEYS = frozenset(['state', 'operator', 'name', 'identity', 'stage', 'max_stage', 'maintenance_type',
                        'maintenance_key', 'security', 'successful', 'status', 'supportedAuth', 'obState',
                        'underMaintenance', 'is_sync', 'isObproxyAgent', 'zone', 'version', 'obVersion',
                        'errCode', 'message', 'code', 'execute_agent', 'obcluster_info'])
# lists whose length depends on the agent's wording, not on the protocol
FREE_LENGTH = frozenset(['task_logs', 'contents_of_logs'])
PLACEHOLDER = re.compile(r'^<(int|str|bool|float|NoneType)>$')
LABEL = re.compile(r'^\{([a-z0-9.]+)\}$')


def _kind(value):
    if isinstance(value, str):
        match = PLACEHOLDER.match(value)
        if match:
            return {'int': 'number', 'float': 'number', 'str': 'string', 'bool': 'bool',
                    'NoneType': 'null'}[match.group(1)]
        return 'string'
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'bool'
    if isinstance(value, (int, float)):
        return 'number'
    if isinstance(value, list):
        return 'list'
    return 'object'


class Replay(object):
    def __init__(self, target):
        self.target = target
        self.learned = {}

    def resolve(self, label):
        if label in self.learned:
            return self.learned[label]
        for kind in ('dag', 'node', 'task'):
            for value, name in self.target.labels.ids[kind].items():
                if name == label:
                    return value
        raise AssertionError('label {%s} is unknown to the replay' % label)

    def path(self, target):
        def one(match):
            return self.resolve(match.group(1))
        return re.sub(r'\{([a-z0-9.]+)\}', one, target).replace('{agent}', self.target.address)

    def body(self, value, key=None):
        if isinstance(value, dict):
            return dict((name, self.body(item, name)) for name, item in value.items())
        if key == 'ip' and value == '<ip>':
            return self.target.host
        if key == 'port' and value == '<int>':
            return self.target.port
        return value

    def learn(self, recorded, actual):
        """Labels of the recorded answer, bound to the simulator's values at the same place."""
        if isinstance(recorded, dict) and isinstance(actual, dict):
            for name, item in recorded.items():
                if name in actual:
                    self.learn(item, actual[name])
        elif isinstance(recorded, list) and isinstance(actual, list):
            for left, right in zip(recorded, actual):
                self.learn(left, right)
        elif isinstance(recorded, str) and isinstance(actual, str) and LABEL.match(recorded):
            self.learned.setdefault(LABEL.match(recorded).group(1), actual)

    def compare(self, recorded, actual, where, problems, key=None):
        if key in VALUE_KEYS and _kind(recorded) not in ('object', 'list') and not PLACEHOLDER.match(str(recorded)):
            expected = recorded
            if isinstance(recorded, str):
                actual_text = actual.replace(self.target.address, '{agent}') if isinstance(actual, str) else actual
                if actual_text != expected:
                    problems.append('%s: %r, recorded %r' % (where, actual, expected))
                return
            if actual != expected:
                problems.append('%s: %r, recorded %r' % (where, actual, expected))
            return
        if _kind(recorded) != _kind(actual):
            problems.append('%s: %s %r, recorded %s %r' % (where, _kind(actual), actual, _kind(recorded), recorded))
            return
        if isinstance(recorded, dict):
            if set(recorded) != set(actual):
                problems.append('%s: keys %s, recorded %s' % (where, sorted(actual), sorted(recorded)))
            for name in sorted(set(recorded) & set(actual)):
                self.compare(recorded[name], actual[name], '%s.%s' % (where, name), problems, name)
        elif isinstance(recorded, list):
            if key not in FREE_LENGTH and len(recorded) != len(actual):
                problems.append('%s: %d items, recorded %d' % (where, len(actual), len(recorded)))
            if bool(recorded) != bool(actual):
                problems.append('%s: %r, recorded %r' % (where, actual, recorded))
            for index, (left, right) in enumerate(zip(recorded, actual)):
                self.compare(left, right, '%s[%d]' % (where, index), problems)


@pytest.fixture
def fresh_sim():
    sim = SimCluster(agents=1, identities='SINGLE', base_port=0, step_seconds=0.3, scenario='idle', ob_version='')
    sim.start()
    yield sim
    sim.stop()


def test_fixtures_are_there_and_say_where_they_come_from():
    assert len(FIXTURES) >= 10, FIXTURES
    for path in FIXTURES:
        with open(path) as handle:
            fixture = json.load(handle)
        assert fixture['agent']['kind'] == 'real' and fixture['agent']['source_commit'] == SOURCE_COMMIT
        assert fixture['agent']['version'].split('-')[0] == os.path.basename(os.path.dirname(path))
        text = json.dumps(fixture)
        # nothing secret or personal is kept: passwords, keys, Ts, the agent's home
        assert DEFAULT_PASSWORD not in text and not re.search(r'[A-Za-z0-9+/]{100,}', text), path
        assert '/work/' not in text and '"ts"' not in text.lower(), path
        for step in fixture['steps']:
            if 'case' in step:
                assert step['case'] in CASES


@pytest.mark.parametrize('path', FIXTURES, ids=[os.path.basename(path)[:-5] for path in FIXTURES])
def test_replay_against_the_simulator(path, fresh_sim):
    with open(path) as handle:
        fixture = json.load(handle)
    agent = fresh_sim.agents[0]
    target = Target('simulator', agent.host, agent.port, DEFAULT_PASSWORD, sim=fresh_sim)
    replay = Replay(target)
    problems = []
    exchanges = 0
    for number, step in enumerate(fixture['steps']):
        if 'setup' in step:
            target.ensure(step['setup'])
            continue
        if 'wait' in step:
            target.wait_dag(replay.resolve(step['wait']), step['states'], timeout=60)
            continue
        exchanges += 1
        body = replay.body(step['request']) if step['request'] is not None else None
        answer = target.client.send(step['method'], replay.path(step['target']), body, case=step['case'])
        where = '#%d %s %s [%s]' % (number, step['method'], step['target'], step['case'])
        if answer.status != step['status']:
            problems.append('%s: status %d, recorded %d: %s' % (where, answer.status, step['status'], answer.body[:300]))
            continue
        for name, value in step['headers'].items():
            if answer.headers.get(name) != value:
                problems.append('%s: header %s %r, recorded %r' % (where, name, answer.headers.get(name), value))
        if not isinstance(step['response'], dict) or answer.json is None:
            if answer.body.decode('utf-8', 'replace') != step['response']:
                problems.append('%s: body %r, recorded %r' % (where, answer.body[:200], step['response']))
            continue
        replay.learn(step['response'], answer.json)
        replay.compare(step['response'], answer.json, where, problems)
    assert exchanges, 'no exchange in %s' % path
    assert not problems, '%d difference(s) from the real agent:\n%s' % (len(problems), '\n'.join(problems))
