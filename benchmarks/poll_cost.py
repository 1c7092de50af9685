# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""1. Per-poll cost of waiting: dag_wait polling inside one task vs dag_info under until/retries/delay 0.

Both run in real ansible-playbook against one simulated agent whose scale-out is held at node 3, so neither
ever finishes. The cost of a poll is the CPU of the ansible worker process that runs the task (and of the
module processes it starts and waits for), read from /proc over a window of exactly N polls in the steady
state: the window opens when the simulator logs the SKIP-th list read and closes at the (SKIP+N)-th. The
ansible-playbook main process is measured apart: it spends CPU per second while any task runs (its result
loop), whatever the task does.

dag_wait runs twice: on the collection's transport (requests), and on the former http.client one kept as the
baseline in benchmarks/baseline_http.py (OBSHELL_BENCH_TRANSPORT=http.client), so both figures come from one run.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re
import time

from benchmarks import harness
from tests.simulator.waiting import wait_until

SKIP = 3
POLL_INTERVAL = 0.5

DAG_WAIT_PLAY = """
- name: dag_wait polls inside one task
  hosts: obs1
  gather_facts: false
  tasks:
    - name: Wait on the held DAG
      oceanbase.obshell.dag_wait:
        host: 127.0.0.1
        port: {port}
        password: {password}
        poll_interval: {poll}
        timeout: {timeout}
        progress: false
        fail_on: []
      register: waited
    - name: Report
      ansible.builtin.debug:
        msg: "BENCH polls={{{{ waited.polls }}}} outcome={{{{ waited.outcome }}}}"
"""

UNTIL_PLAY = """
- name: dag_info under until/retries
  hosts: obs1
  gather_facts: false
  tasks:
    - name: Poll with until
      oceanbase.obshell.dag_info:
        host: 127.0.0.1
        port: {port}
        password: {password}
      register: info
      until: info.dags | length == 0
      retries: {retries}
      delay: 0
      ignore_errors: true
    - name: Report
      ansible.builtin.debug:
        msg: "BENCH polls={{{{ info.attempts }}}} outcome=retries"
"""


def held_scale_out(hold_at=3, step=0.02):
    """The simulator's held scale-out, with shorter steps (the benchmarks want the hold quickly)."""
    from tests.simulator.scenarios import held_scale_out as held  # pylint: disable=import-outside-toplevel
    return held(hold_at=hold_at, step=step)


def list_polls(requests):
    """The first list read of each poll. A poll of a CLUSTER AGENT reads the cluster list, then the agent's own
    list; the second read is the same poll."""
    polls, previous = [], None
    for r in requests:
        listed = r['path'] in harness.LIST_PATHS and r['query'] == harness.SUMMARY_QUERY
        second = (listed and previous is not None and r['path'].endswith('/dag/agent/unfinish')
                  and previous['path'].endswith('/dag/ob/unfinish'))
        if listed and not second:
            polls.append(r)
        previous = r
    return polls


def worker_tree_cpu(pid):
    """The worker's own CPU (precise) plus that of the module processes it has waited for."""
    own = harness.thread_cpu_seconds(pid)
    reaped = harness.reaped_children_cpu_seconds(pid)
    if own is None or reaped is None:
        return None
    return own + reaped


def measure(sim, playbook, polls, inventory, extra_env=None):
    """Run ``playbook``; CPU of the worker and of the main process over exactly ``polls`` steady polls."""
    sim.reset_log()
    thread, run = harness.run_play_in_thread(playbook, inventory, extra_env=extra_env)
    if not wait_until(lambda: len(list_polls(sim.requests)) >= SKIP or not thread.is_alive(), 120, interval=0.002) \
            or not thread.is_alive():
        thread.join()
        raise RuntimeError('no poll reached the simulator: %s' % (run.result.output if run.result else run.error))
    main, workers = harness.ansible_processes()
    main_0 = harness.thread_cpu_seconds(main)
    workers_0 = dict((pid, worker_tree_cpu(pid)) for pid in workers)
    t_a = time.monotonic()
    wait_until(lambda: len(list_polls(sim.requests)) >= SKIP + polls, 300, interval=0.002)
    main_1 = harness.thread_cpu_seconds(main)
    workers_1 = dict((pid, worker_tree_cpu(pid)) for pid in workers)
    t_b = time.monotonic()
    thread.join()
    if run.error is not None:
        raise run.error
    worker_cpu = sum(workers_1[pid] - workers_0[pid] for pid in workers
                     if workers_0.get(pid) is not None and workers_1.get(pid) is not None)
    match = re.search(r'BENCH polls=(\d+) outcome=(\w+)', run.result.stdout)
    return {
        'rc': run.result.rc,
        'polls_in_window': polls,
        'window_seconds': t_b - t_a,
        'worker_cpu_seconds': worker_cpu,
        'worker_cpu_per_poll': worker_cpu / polls,
        'workers': len(workers),
        'main_cpu_seconds': main_1 - main_0,
        'main_cpu_per_second': (main_1 - main_0) / (t_b - t_a),
        'wall_per_poll': (t_b - t_a) / polls,
        'run_wall_seconds': run.wall,
        'run_cpu_seconds': run.cpu,
        'run_polls': int(match.group(1)) if match else None,
        'requests_per_poll': len(sim.requests) / float(len(list_polls(sim.requests)) or 1),
    }


def run(ctx):
    from tests.simulator import SimCluster  # pylint: disable=import-outside-toplevel

    polls = 2 if ctx.smoke else 10 if ctx.quick else 20
    with SimCluster(agents=1, scenario=held_scale_out(), password=harness.PASSWORD) as sim:
        gid = sim.find_dag('Cluster scale out')
        wait_until(lambda: sim.dag_dto(gid, False)['stage'] == 3, 30)
        port = sim.agents[0].port
        inventory = harness.inventory(['obs1'])
        wait_play = DAG_WAIT_PLAY.format(port=port, password=harness.PASSWORD, poll=POLL_INTERVAL,
                                         timeout=(SKIP + polls + 4) * POLL_INTERVAL)
        ours = measure(sim, wait_play, polls, inventory)
        baseline = measure(sim, wait_play, polls, inventory, extra_env={'OBSHELL_BENCH_TRANSPORT': 'http.client'})
        theirs = measure(sim, UNTIL_PLAY.format(port=port, password=harness.PASSWORD, retries=SKIP + polls + 2),
                         polls, inventory)
    factor = harness.ratio(theirs['worker_cpu_per_poll'], ours['worker_cpu_per_poll'])
    rows = [harness.Row(
        '1. Per-poll cost of waiting (CPU per poll)',
        '%s (dag_wait, %d polls in 1 task)' % (harness.ms(ours['worker_cpu_per_poll'], 2), polls),
        '%s CPU, %s wall per retry (dag_info until/retries, %d retries): %.0fx' % (
            harness.ms(theirs['worker_cpu_per_poll'], 0), harness.ms(theirs['wall_per_poll'], 0), polls, factor),
        '>= 100x cheaper',
        factor >= 100),
        harness.Row(
            '1. CPU per dag_wait poll, kept connection: requests vs http.client',
            '%s (requests)' % harness.ms(ours['worker_cpu_per_poll'], 2),
            'http.client baseline: %s (%.2fx)' % (
                harness.ms(baseline['worker_cpu_per_poll'], 2),
                harness.ratio(ours['worker_cpu_per_poll'], baseline['worker_cpu_per_poll'])),
            '<= 2 ms', ours['worker_cpu_per_poll'] <= 0.002),
    ]
    raw = {'polls': polls, 'poll_interval': POLL_INTERVAL, 'dag_wait': ours, 'dag_wait_http_client': baseline,
           'dag_info_until': theirs, 'factor': factor}
    return rows, raw
