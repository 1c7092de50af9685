# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers of the reliability suites: a real wait against the simulator, request accounting, figures.

``run_wait(agent, **options)`` runs oceanbase.obshell.dag_wait's watcher exactly as its action plugin does on the
controller (``_watcher.run_wait`` with a real ``ObshellClient`` built by ``client_from_options(values, retries=0)``,
real time), so a fault test measures what a playbook would see, without an ansible-playbook start-up.
Faults land between polls through ``between={poll_number: action}``: the watcher calls its ``sleep`` once before
each poll after the first, so the action runs after that poll and before the next one, with no thread racing the
simulator.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy
import time

from ansible_collections.oceanbase.obshell.plugins.module_utils import _options, _watcher

PASSWORD = 'Rel1ab-root/pw'
AGENT_PASSWORD = 'Rel1ab-agent/pw'

# Every figure a test records: (test, figure, value). Printed at the end of the run by conftest.py, and written to
# tests/output/reliability-figures.json; docs/reliability.md quotes them.
FIGURES = []


def figure(test, name, value):
    FIGURES.append((test, name, value))
    print('FIGURE %s | %s | %s' % (test, name, value))


def wait_params(agent, **options):
    """The parameters dag_wait's argument spec would give, for ``agent``, with poll_interval 0.5 and ``options``."""
    spec = _options.dag_wait_spec()
    params = dict((name, copy.deepcopy(option.get('default'))) for name, option in spec.items())
    params.update(host=agent.host, port=agent.port, poll_interval=0.5)
    params.update(options)
    return params


class WaitRun(object):
    """What one wait did: the module result, the engine of its first part, the client (stats), the lines and the wall
    time."""

    def __init__(self, result, engine, client, lines, seconds):
        self.result = result
        self.engine = engine
        self.client = client
        self.lines = lines
        self.seconds = seconds

    @property
    def outcome(self):
        return self.result['outcome']

    def lines_with(self, text):
        return [line for dummy, line in self.lines if text in line]


def run_wait(agent, between=None, client=None, **options):
    """Run one wait against ``agent`` (a SimAgent); ``between`` maps a poll number to an action run after it."""
    params = wait_params(agent, **options)
    if client is None:
        client = _options.client_from_options(params, retries=0)
    lines = []
    actions = dict(between or {})
    calls = [0]

    def sleep(seconds):
        calls[0] += 1
        action = actions.pop(calls[0], None)
        if action is not None:
            action()
        time.sleep(seconds)

    started = time.monotonic()
    try:
        combined, watcher = _watcher.run_wait(params, [_watcher.Target('obs1', client)], sleep=sleep,
                                              on_event=lambda label, line: lines.append((time.monotonic(), line)))
    finally:
        client.close()
    result = _watcher.wait_result(combined, watcher, single_host=True)
    return WaitRun(result, watcher.parts[0].engine, client, lines, time.monotonic() - started)


def task_requests(sim_or_agent, since=0.0):
    """Authenticated task requests that reached the agent(s) (the request log of the simulator)."""
    return [r for r in sim_or_agent.requests if r['path'].startswith('/api/v1/task/') and r['time'] >= since]


def requests_to(sim_or_agent, path):
    return [r for r in sim_or_agent.requests if r['path'] == path]


def with_err_code(sim_or_agent, err_code):
    return [r for r in sim_or_agent.requests if r['err_code'] == err_code]
