# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers of the reliability suites: a real wait against the simulator, request accounting, figures.

``run_wait(agent, **options)`` runs oceanbase.obshell.dag_wait's watcher exactly as its action plugin does on the
controller (``_watcher.run_wait`` with a real ``ObshellClient`` built by ``client_from_options(values, retries=0)``,
real time, the result shaped by ``_watcher.wait_result``), so a fault test measures what a playbook would see,
without an ansible-playbook start-up. ``run_wait(agent, batch=[agent, ...])`` waits on several hosts at once, as
dag_wait with ``hosts`` does (obs1, obs2... in that order).

A wait on a CLUSTER AGENT has two parts: the cluster DAGs (read from ``/api/v1/task/dag/ob/unfinish``) and the
host's own DAGs (``/api/v1/task/dag/agent/unfinish``), each with its own engine, outage and lines. Every line is
kept as it is printed, with its label: ``obs1 [cluster] | ...`` for the cluster part, ``obs1 | ...`` for the
host's own.

Faults land between polls through ``between={poll_number: action}``: the watcher calls its ``sleep`` once before
each poll after the first, so the action runs after that poll and before the next one, with no thread racing the
simulator.

``role_play(label, tmp_path, **role_vars)`` is a playbook that runs the role wait_for_tasks on the group observers
and saves each host's verdict (or failure message) to ``<tmp_path>/<host>-<label>.json``, which ``load(tmp_path,
name)`` reads back.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy
import json
import os
import time

from ansible_collections.oceanbase.obshell.plugins.module_utils import _options, _parts, _watcher

PASSWORD = 'Rel1ab-root/pw'
AGENT_PASSWORD = 'Rel1ab-agent/pw'
# The unfinished lists a wait reads on a CLUSTER AGENT, and the aggregated one it must never read (it hides what it
# cannot read, spec §11.6).
CLUSTER_LIST = '/api/v1/task/dag/ob/unfinish'
AGENT_LIST = '/api/v1/task/dag/agent/unfinish'
AGGREGATED_LIST = '/api/v1/task/dag/unfinish'
LISTS = (CLUSTER_LIST, AGENT_LIST, AGGREGATED_LIST)

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
    """What one wait did: the dag_wait result, the watcher, the engine of its first part (the cluster part on a
    CLUSTER AGENT), the client of the first host (stats), the lines as printed (with the time each was printed)
    and the wall time."""

    def __init__(self, result, watcher, clients, lines, seconds):
        self.result = result
        self.watcher = watcher
        self.engine = watcher.parts[0].engine
        self.clients = clients
        self.client = clients[0]
        self.lines = lines
        self.seconds = seconds

    @property
    def outcome(self):
        return self.result['outcome']

    @property
    def msg(self):
        return self.result['msg']

    def part(self, kind, host='obs1'):
        """The result of one part: 'cluster' (whichever host it was asked of) or 'agent' / 'dag' of ``host``."""
        found = [p for p in self.result['parts'] if p['part'] == kind and (kind == 'cluster' or p['host'] == host)]
        assert len(found) == 1, (kind, host, [(p['part'], p['host']) for p in self.result['parts']])
        return found[0]

    def engine_of(self, kind, host='obs1'):
        found = [p.engine for p in self.watcher.parts
                 if (p.kind == kind and (kind == 'cluster' or p.host == host))]
        assert len(found) == 1, (kind, host)
        return found[0]

    def lines_with(self, text, label=None):
        """Lines containing ``text``; with ``label`` ('obs1', 'obs1 [cluster]'), only that part's."""
        return [line for dummy, line in self.lines if text in line
                and (label is None or line.startswith(label + ' | '))]

    def times_of(self, text, label=None):
        return [at for at, line in self.lines if text in line and (label is None or line.startswith(label + ' | '))]


def run_wait(agent, between=None, client=None, batch=None, environ=None, **options):
    """Run one wait against ``agent`` (a SimAgent), or on every agent of ``batch`` (hosts obs1, obs2...);
    ``between`` maps a poll number to an action run after it; ``environ`` is the controller environment the clients
    are made in (proxy variables), os.environ by default."""
    agents = list(batch) if batch else [agent]
    params = wait_params(agents[0], **options)
    clients = []
    if client is not None:
        clients.append(client)
    for other in agents[len(clients):]:
        clients.append(_options.client_from_options(params, host=other.host, port=other.port, retries=0,
                                                    environ=environ))
    lines = []
    actions = dict(between or {})
    calls = [0]

    def sleep(seconds):
        calls[0] += 1
        action = actions.pop(calls[0], None)
        if action is not None:
            action()
        time.sleep(seconds)

    def on_event(label, line):
        # What Progress.line prints: "<label> | <line>".
        lines.append((time.monotonic(), '%s | %s' % (label, line)))

    targets = [_parts.Target('obs%d' % (index + 1), c) for index, c in enumerate(clients)]
    started = time.monotonic()
    try:
        combined, watcher = _watcher.run_wait(params, targets, sleep=sleep, on_event=on_event)
    finally:
        for c in clients:
            c.close()
    result = _watcher.wait_result(combined, watcher, single_host=not batch)
    return WaitRun(result, watcher, clients, lines, time.monotonic() - started)


def requests_to(sim_or_agent, path):
    return [r for r in sim_or_agent.requests if r['path'] == path]


def with_err_code(sim_or_agent, err_code):
    return [r for r in sim_or_agent.requests if r['err_code'] == err_code]


def polls_of(requests, gap=0.2):
    """Requests grouped into polls: a request less than ``gap`` seconds after the previous one is of the same poll."""
    polls = []
    for request in sorted(requests, key=lambda r: r['time']):
        if polls and request['time'] - polls[-1][-1]['time'] < gap:
            polls[-1].append(request)
        else:
            polls.append([request])
    return polls


# ---------------------------------------------------------------------------------------------- the role, by playbook

ROLE_RUN = """
- name: Role run {label}
  hosts: observers
  gather_facts: false
  tasks:
    - name: Run the role ({label})
      block:
        - name: Wait for tasks
          ansible.builtin.include_role:
            name: oceanbase.obshell.wait_for_tasks
          vars: {role_vars}
      rescue:
        - name: Keep the failure message
          ansible.builtin.set_fact:
            test_failed_msg: "{{{{ ansible_failed_result.msg }}}}"
      always:
        - name: Save the verdict
          ansible.builtin.copy:
            content: >-
              {{{{ {{'result': wait_for_tasks_result | default(none),
                   'failed_msg': test_failed_msg | default(none)}} | to_json }}}}
            dest: "{out}/{{{{ inventory_hostname }}}}-{label}.json"
            mode: "0600"
        - name: Forget the failure message
          ansible.builtin.set_fact:
            test_failed_msg: null
"""


def role_play(label, tmp_path, **role_vars):
    variables = {'wait_for_tasks_poll_interval': 0.5}
    variables.update(role_vars)
    return ROLE_RUN.format(label=label, role_vars=json.dumps(variables), out=str(tmp_path))


def load(tmp_path, name):
    with open(os.path.join(str(tmp_path), name)) as handle:
        return json.load(handle)
