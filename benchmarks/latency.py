# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""5. Detection latency: from the moment the simulator marks the DAG finished to the moment the role returns.

Each run: three simulated agents; a 'Cluster scale out' is created and held at its last node; the role
``wait_for_tasks`` (mode ``wait``, scope ``auto``, ``poll_interval`` P) starts waiting on it. When the simulator
logs the wait's first list read, the benchmark schedules the held node to complete at that time + 1 s + U(0, P)
(a seeded uniform draw, so the end falls anywhere between two polls). The end time is the simulator's
``finished`` event (monotonic clock); the role has returned when the task after it starts (bench_timer
callback, same clock). Also recorded: the poll that saw the DAG gone, and the end of the cluster wait task.
Then one run each on 10 and 100 hosts (ansible's default 5 forks), for scale.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import random
import time

from benchmarks import harness
from tests.simulator.waiting import wait_until
from benchmarks.poll_cost import held_scale_out

POLL_INTERVAL = 1.0
SEED = 20260101
SCALING_HOSTS = (10, 100)

PLAY = """
- name: Wait with the role
  hosts: observers
  gather_facts: false
  roles:
    - role: oceanbase.obshell.wait_for_tasks
      vars: {role_vars}
  tasks:
    - name: Role returned
      ansible.builtin.debug:
        msg: returned
      run_once: true
"""

RETURNED = 'Role returned'
CLUSTER_WAIT = 'Wait once for the cluster DAGs'


def one_run(sim, inventory, draw, poll_every=0.005):
    sim.reset_log()
    sim.run_scenario(held_scale_out(hold_at=9))
    gid = sim.find_dag('Cluster scale out')
    role_vars = {'wait_for_tasks_mode': 'wait', 'wait_for_tasks_poll_interval': POLL_INTERVAL,
                 'wait_for_tasks_progress': False, 'wait_for_tasks_timeout': 120}
    thread, play = harness.run_play_in_thread(PLAY.format(role_vars=json.dumps(role_vars)), inventory)

    def first_list_read():
        return [r for r in sim.requests if r['path'] in harness.LIST_PATHS]

    if not wait_until(lambda: first_list_read() or not thread.is_alive(), 120, interval=poll_every) or \
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
    wait_done = [e for e in play.events if e['ev'] == 'ok' and e.get('task', '').endswith(CLUSTER_WAIT)]
    seen = [r['time'] for r in sim.requests if r['path'] in harness.LIST_PATHS and r['time'] >= finished[0]]
    # Where the time after the cluster wait goes: each later task, from its start to the next task's start.
    starts = [e for e in play.events if e['ev'] == 'task_start']
    tail = []
    for index, event in enumerate(starts[:-1]):
        if wait_done and event['t'] >= wait_done[0]['t']:
            tail.append((event['task'], starts[index + 1]['t'] - event['t']))
    return {
        'tail_tasks': tail,
        'latency': returned['t'] - finished[0],
        'to_poll': seen[0] - finished[0] if seen else None,
        'to_wait_done': wait_done[0]['t'] - finished[0] if wait_done else None,
        'draw': draw,
    }


def run(ctx):
    from tests.simulator import SimCluster  # pylint: disable=import-outside-toplevel

    runs = 5 if ctx.quick else 20
    rng = random.Random(SEED)
    results = []
    with SimCluster(agents=3, scenario='idle', password=harness.PASSWORD) as sim:
        inventory = harness.agent_inventory([agent.address for agent in sim.agents])
        for dummy in range(runs):
            results.append(one_run(sim, inventory, rng.uniform(0, POLL_INTERVAL)))
            time.sleep(0.2)
    scaling = {}
    for hosts in SCALING_HOSTS:
        with SimCluster(agents=hosts, scenario='idle', password=harness.PASSWORD) as sim:
            inventory = harness.agent_inventory([agent.address for agent in sim.agents])
            scaling[hosts] = one_run(sim, inventory, rng.uniform(0, POLL_INTERVAL), poll_every=0.05)
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
    target = POLL_INTERVAL + 0.5
    rows = [harness.Row(
        '5. Detection latency, DAG end to role return (%d runs)' % runs,
        'p95 %.2f s (p50 %.2f, max %.2f)' % (p95, p50, worst),
        'dag_wait task alone: p95 %.2f s (p50 %.2f); the role adds %.2f s (median)' % (
            wait_p95, to_wait, harness.median([r['latency'] - r['to_wait_done'] for r in results
                                               if r['to_wait_done'] is not None])),
        '<= poll_interval + 0.5 = %.1f s at p95' % target, p95 <= target)]
    rows.append(harness.Row(
        '5. Detection latency at %s hosts (one run each, forks 5)' % ' / '.join(str(h) for h in SCALING_HOSTS),
        ', '.join('%d: %.2f s' % (hosts, scaling[hosts]['latency']) for hosts in SCALING_HOSTS),
        'dag_wait task alone: %s' % ', '.join('%d: %.2f s' % (hosts, scaling[hosts]['to_wait_done'])
                                              for hosts in SCALING_HOSTS),
        'report (no target)', None))
    raw = {'scaling': scaling, 'median_tail_task_seconds': tail, 'runs': runs, 'poll_interval': POLL_INTERVAL,
           'seed': SEED, 'results': results, 'p50': p50, 'p95': p95, 'max': worst, 'median_to_poll': to_poll, 'median_to_wait_done': to_wait,
           'p95_to_wait_done': wait_p95}
    return rows, raw
