# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""5. Detection latency: from the moment the simulator marks the DAG finished to the moment the role returns.

Each run: simulated agents (in this process); a 'Cluster scale out' is created and held at its last node; the role
``wait_for_tasks`` (mode ``wait``, scope ``auto``, ``poll_interval`` P, from the controller) waits on it with its
one ``run_once`` task "Wait for the OBShell task DAGs of the cluster and of every host" (WAIT_TASK), a ``dag_wait``
over the batch. When the simulator logs the wait's first list read (a read of
``/api/v1/task/dag/ob/unfinish`` or ``/api/v1/task/dag/agent/unfinish``), the benchmark schedules the held node to
complete at that time + 1 s + U(0, P) (a seeded uniform draw, so the end falls anywhere between two polls). The end
time is the simulator's ``finished`` event (monotonic clock); the role has returned when the task after it starts
(bench_timer callback, same clock). Also recorded: the poll that saw the DAG gone, the end of the wait task, and the
time of each task after it (the role's tail).

20 runs on 3 hosts; then 3 runs on 10 hosts and 5 on 100 hosts (1 each with --quick), ansible's default 5 forks.
At 100 hosts the tail is compared with its floor: the same tasks, no-op (``benchmarks/role_floor.py``), in a play
of the same shape, from the start of the task after the wait to the start of the task after the role.

The "today" figures are the previous design's (a cluster wait, then one ``dag_wait`` per host and per-host tasks).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import random
import shutil
import tempfile
import time

from benchmarks import harness, role_floor
from tests.simulator.waiting import wait_until
from benchmarks.poll_cost import held_scale_out

POLL_INTERVAL = 1.0
SEED = 20260101
FORKS = 5
RUNS_AT = {10: 3, 100: 5}
# The role's first list read: its one watcher reads the agents' own lists, then the cluster list.
LIST_PATHS = ('/api/v1/task/dag/ob/unfinish', '/api/v1/task/dag/agent/unfinish')
WAIT_TASK = 'Wait for the OBShell task DAGs of the cluster and of every host'
RETURNED = 'Role returned'

TODAY_3 = 'p95 1.31-1.32 s (p50 0.96, max 1.37 in the reference run)'
TODAY = {10: '1.07-1.29 s', 100: '8.9-9.2 s'}

PLAY = """
- name: Wait with the role
  hosts: observers
  gather_facts: false
  roles:
    - role: {role}
      vars: {role_vars}
  tasks:
    - name: Role returned
      ansible.builtin.debug:
        msg: returned
      run_once: true
"""


def _role_vars():
    return json.dumps({'wait_for_tasks_mode': 'wait', 'wait_for_tasks_poll_interval': POLL_INTERVAL,
                       'wait_for_tasks_progress': False, 'wait_for_tasks_timeout': 120})


def _name(event):
    name = event.get('task', '').split(' : ', 1)[-1]
    return name[len('Floor: '):] if name.startswith('Floor: ') else name


def tail_tasks(play):
    """[(task, seconds)] of the tasks from the one after the wait to the one after the role (exclusive)."""
    starts = [e for e in play.events if e['ev'] == 'task_start']
    names = [_name(e) for e in starts]
    if WAIT_TASK not in names or RETURNED not in names:
        return None
    first, last = names.index(WAIT_TASK) + 1, names.index(RETURNED)
    return [(names[i], starts[i + 1]['t'] - starts[i]['t']) for i in range(first, last)]


def one_run(sim, inventory, draw, poll_every=0.005):
    sim.reset_log()
    sim.run_scenario(held_scale_out(hold_at=9))
    gid = sim.find_dag('Cluster scale out')
    playbook = PLAY.format(role='oceanbase.obshell.wait_for_tasks', role_vars=_role_vars())
    thread, play = harness.run_play_in_thread(playbook, inventory, extra_args=('--forks', str(FORKS)))

    def first_list_read():
        return [r for r in sim.requests if r['path'] in LIST_PATHS]

    if not wait_until(lambda: first_list_read() or not thread.is_alive(), 180, interval=poll_every) or \
            not thread.is_alive():
        thread.join()
        raise RuntimeError('the role never polled: %s' % (play.result.output[-3000:] if play.result else play.error))
    finish_at = first_list_read()[0]['time'] + 1.0 + draw
    with sim.lock:
        sim.get_dag(gid).next_at = finish_at
    sim.wake()
    thread.join()
    if play.error is not None:
        raise play.error
    if play.result.rc != 0:
        raise RuntimeError('the role failed:\n%s' % play.result.output[-3000:])
    finished = [when for when, kind, dag_id, dummy in sim.events if kind == 'finished' and dag_id == gid]
    returned = play.first('task_start', task=RETURNED)
    wait_done = [e for e in play.events if e['ev'] == 'ok' and _name(e) == WAIT_TASK]
    seen = [r['time'] for r in sim.requests if r['path'] in LIST_PATHS and r['time'] >= finished[0]]
    tail = tail_tasks(play) or []
    return {
        'tail_tasks': tail,
        'tail': sum(seconds for dummy, seconds in tail),
        'latency': returned['t'] - finished[0],
        'to_poll': seen[0] - finished[0] if seen else None,
        'to_wait_done': wait_done[0]['t'] - finished[0] if wait_done else None,
        'draw': draw,
        'wall': play.wall,
    }


def floor_tail(inventory, roles_path):
    """The floor of the role's tail: the floor play with the task after it, from the start of the task after the
    wait to the start of the task after the role."""
    playbook = PLAY.format(role=role_floor.NAME, role_vars=_role_vars())
    play = harness.run_play(playbook, inventory, extra_args=('--forks', str(FORKS)),
                            extra_env={'ANSIBLE_ROLES_PATH': roles_path})
    if play.result.rc != 0:
        raise RuntimeError('the floor play failed:\n%s' % play.result.output[-3000:])
    tail = tail_tasks(play) or []
    return {'tail_tasks': tail, 'tail': sum(seconds for dummy, seconds in tail)}


def _range(values, fmt='%.2f'):
    low, high = min(values), max(values)
    return (fmt % low) if len(values) == 1 or fmt % low == fmt % high else ('%s-%s' % (fmt % low, fmt % high))


def run(ctx):
    from tests.simulator import SimCluster  # pylint: disable=import-outside-toplevel

    runs = ctx.reps(20, 5)
    small, large = ctx.size(10), ctx.size(100)
    rng = random.Random(SEED)
    results = []
    with SimCluster(agents=3, scenario='idle', password=harness.PASSWORD) as sim:
        inventory = harness.agent_inventory([agent.address for agent in sim.agents])
        for dummy in range(runs):
            results.append(one_run(sim, inventory, rng.uniform(0, POLL_INTERVAL)))
            time.sleep(0.2)
    scaling = {}
    workdir = tempfile.mkdtemp(prefix='obshell-bench-floor-')
    try:
        roles_path = role_floor.make(workdir)
        for full, count in sorted(RUNS_AT.items()):
            hosts, count = ctx.size(full), 1 if ctx.quick else count
            with SimCluster(agents=hosts, scenario='idle', password=harness.PASSWORD) as sim:
                inventory = harness.agent_inventory([agent.address for agent in sim.agents])
                done = []
                for dummy in range(count):
                    done.append(one_run(sim, inventory, rng.uniform(0, POLL_INTERVAL), poll_every=0.05))
                    time.sleep(0.2)
                floor = floor_tail(inventory, roles_path) if full == 100 else None
            scaling[hosts] = {'runs': done, 'floor': floor,
                              'latency': harness.median([r['latency'] for r in done]),
                              'latency_max': max(r['latency'] for r in done),
                              'to_wait_done': harness.median([r['to_wait_done'] for r in done]),
                              'tail': harness.median([r['tail'] for r in done])}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    latencies = [r['latency'] for r in results]
    p50, p95, worst = harness.percentile(latencies, 50), harness.percentile(latencies, 95), max(latencies)
    to_poll = harness.median([r['to_poll'] for r in results if r['to_poll'] is not None])
    wait_done = [r['to_wait_done'] for r in results if r['to_wait_done'] is not None]
    to_wait = harness.median(wait_done)
    wait_p95 = harness.percentile(wait_done, 95)
    tail = {}
    for result in results:
        for task, seconds in result['tail_tasks']:
            tail.setdefault(task, []).append(seconds)
    tail = dict((task, harness.median(values)) for task, values in tail.items())
    target_3 = POLL_INTERVAL + 0.5
    target_100 = POLL_INTERVAL + 1.0
    rows = [harness.Row(
        '5. Detection latency, DAG end to role return, 3 hosts (%d runs)' % runs,
        'p95 %.2f s (p50 %.2f, max %.2f)' % (p95, p50, worst),
        'today: %s; dag_wait task alone: p95 %.2f s (p50 %.2f); the role adds %.2f s (median)' % (
            TODAY_3, wait_p95, to_wait, harness.median([r['latency'] - r['to_wait_done'] for r in results
                                                        if r['to_wait_done'] is not None])),
        'stays at today\'s (p95 <= poll_interval + 0.5 = %.1f s)' % target_3, p95 <= target_3)]
    at10 = scaling[small]
    rows.append(harness.Row(
        '5. Detection latency at %d hosts (forks %d, %d run%s)' % (
            small, FORKS, len(at10['runs']), '' if len(at10['runs']) == 1 else 's'),
        '%s s' % _range([r['latency'] for r in at10['runs']]),
        'today: %s; dag_wait task alone %s s' % (TODAY[10], _range([r['to_wait_done'] for r in at10['runs']])),
        'report (no target)', None))
    at100 = scaling[large]
    count = len(at100['runs'])
    rows.append(harness.Row(
        '5. Detection latency at %d hosts (forks %d, %d run%s)' % (large, FORKS, count, '' if count == 1 else 's'),
        '%.2f s%s' % (at100['latency'], ' (median; %s s)' % _range([r['latency'] for r in at100['runs']])
                      if count > 1 else ''),
        'today: %s; dag_wait task alone %s s; the tail after it %s s (its floor, no-op tasks: %.2f s)' % (
            TODAY[100], _range([r['to_wait_done'] for r in at100['runs']]),
            _range([r['tail'] for r in at100['runs']]), at100['floor']['tail']),
        '<= poll_interval + 1 = %.1f s' % target_100, at100['latency'] <= target_100))
    raw = {'checkout': role_floor.checkout(), 'scaling': scaling, 'median_tail_task_seconds': tail, 'runs': runs,
           'poll_interval': POLL_INTERVAL,
           'seed': SEED, 'forks': FORKS, 'results': results, 'p50': p50, 'p95': p95, 'max': worst,
           'median_to_poll': to_poll, 'median_to_wait_done': to_wait, 'p95_to_wait_done': wait_p95,
           'today': {'3': TODAY_3, '10': TODAY[10], '100': TODAY[100]}}
    return rows, raw
