# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""6. Controller CPU per agent per poll during a 100-agent wait.

100 simulated agents in their own process (benchmarks.simproc) with a 'Cluster scale out' held at node 3.
One play on 100 hosts, ``--forks 100``, each host running dag_wait (``run_on: controller``, the default)
against its own agent with ``poll_interval`` 1 s. Once every agent has answered at least two list reads (all
100 waits are in their steady state), the CPU of the whole ansible-playbook process tree (the main process and
its 100 workers, from /proc) is read at the start and the end of a window; the simulator's request log gives
the number of polls in the window. The simulator's own CPU is reported apart: it is not controller CPU.

The main process's share is ansible's own result loop, which wakes every ``internal_poll_interval`` (0.001 s by
default) while tasks run; the same wait is measured again with it set to 0.01 s in ansible.cfg.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import shutil
import sys
import tempfile
import time

from benchmarks import harness
from benchmarks.poll_cost import held_scale_out, worker_tree_cpu
from benchmarks.simproc import SimProcess
from tests.simulator.waiting import wait_until

AGENTS = 100
POLL_INTERVAL = 1.0
RELAXED_POLL = 0.01

PLAY = """
- name: 100 hosts wait on their agents
  hosts: observers
  gather_facts: false
  tasks:
    - name: Wait
      oceanbase.obshell.dag_wait:
        host: "{{{{ ansible_host }}}}"
        port: "{{{{ obshell_port }}}}"
        password: "{{{{ obshell_password }}}}"
        poll_interval: {poll}
        timeout: {timeout}
        progress: false
        fail_on: []
"""


def measure(ctx, sim, window, extra_env=None):
    timeout = 180
    addresses = sim.start(agents=AGENTS, password=harness.PASSWORD, scenario=held_scale_out())
    playbook = PLAY.format(poll=POLL_INTERVAL, timeout=timeout)
    thread, play = harness.run_play_in_thread(playbook, harness.agent_inventory(addresses),
                                              extra_args=('--forks', str(AGENTS)), extra_env=extra_env,
                                              timeout=timeout + 120)
    started = time.monotonic()
    ready = wait_until(
        lambda: not thread.is_alive() or sim.call('agents_polled', paths=list(harness.LIST_PATHS),
                                                  min=2)['count'] >= AGENTS, timeout / 2, interval=0.2)
    if not ready or not thread.is_alive():
        sim.call('finish', name='Cluster scale out')
        thread.join()
        raise RuntimeError('the 100 waits did not all start polling within %d s: %s' % (
            timeout / 2, play.result.output[-2000:] if play.result else play.error))
    all_polling = time.monotonic() - started
    main, workers = harness.ansible_processes()
    sim_0 = harness.process_cpu_seconds(sim.pid)
    main_0 = harness.thread_cpu_seconds(main)
    workers_0 = dict((pid, worker_tree_cpu(pid)) for pid in workers)
    t_a = time.monotonic()
    time.sleep(window)
    main_1 = harness.thread_cpu_seconds(main)
    workers_1 = dict((pid, worker_tree_cpu(pid)) for pid in workers)
    t_b = time.monotonic()
    memory = [harness.proportional_memory(pid) for pid in [main] + workers]
    sim_1 = harness.process_cpu_seconds(sim.pid)
    polls = sim.count(since=t_a, until=t_b, paths=list(harness.LIST_PATHS), query=harness.SUMMARY_QUERY)
    requests = sim.count(since=t_a, until=t_b)
    # End the waits: the held DAG goes on to its last node and succeeds a moment later.
    sim.call('finish', name='Cluster scale out')
    thread.join()
    if play.error is not None:
        raise play.error
    worker_cpu = sum(workers_1[pid] - workers_0[pid] for pid in workers
                     if workers_0.get(pid) is not None and workers_1.get(pid) is not None)
    main_cpu = main_1 - main_0
    seconds = t_b - t_a
    return {
        'agents': AGENTS, 'poll_interval': POLL_INTERVAL, 'window_seconds': seconds, 'polls': polls,
        'requests': requests, 'workers': len(workers), 'worker_cpu_seconds': worker_cpu,
        'main_cpu_seconds': main_cpu, 'cpu_per_agent_per_poll': (worker_cpu + main_cpu) / polls,
        'worker_cpu_per_poll': worker_cpu / polls, 'main_cpu_per_poll': main_cpu / polls,
        'controller_cores': (worker_cpu + main_cpu) / seconds, 'simulator_cores': (sim_1 - sim_0) / seconds,
        'simulator_cpu_seconds': sim_1 - sim_0, 'seconds_until_all_polling': all_polling,
        'run_wall_seconds': play.wall, 'run_cpu_seconds': play.cpu, 'rc': play.result.rc,
        'main_pss_bytes': memory[0],
        'worker_pss_bytes_median': harness.median([m for m in memory[1:] if m is not None]),
    }


def config_with_poll_interval(directory, interval):
    """An ansible.cfg like the harness's, plus ``internal_poll_interval`` (it has no environment variable)."""
    from tests.integration._ansible import ANSIBLE_CFG  # pylint: disable=import-outside-toplevel
    path = os.path.join(directory, 'ansible.cfg')
    with open(path, 'w') as handle:
        handle.write(ANSIBLE_CFG.format(python=sys.executable) + 'internal_poll_interval = %s\n' % interval)
    return path


def run(ctx):
    window = 5.0 if ctx.quick else 10.0
    directory = tempfile.mkdtemp(prefix='obshell-bench-cfg-')
    try:
        with SimProcess(python=ctx.python) as sim:
            default = measure(ctx, sim, window)
            relaxed = measure(ctx, sim, window, extra_env={
                'ANSIBLE_CONFIG': config_with_poll_interval(directory, RELAXED_POLL)})
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    rows = [
        harness.Row(
            '6. Controller CPU per agent per poll, %d-agent wait' % AGENTS,
            '%s (workers %s + ansible main %s)' % (
                harness.ms(default['cpu_per_agent_per_poll'], 2), harness.ms(default['worker_cpu_per_poll'], 2),
                harness.ms(default['main_cpu_per_poll'], 2)),
            '%d polls in %.0f s; controller %.2f cores, simulator %.2f' % (
                default['polls'], default['window_seconds'], default['controller_cores'],
                default['simulator_cores']),
            'report (no target)', None),
        harness.Row(
            '6. Same, ansible internal_poll_interval = %g' % RELAXED_POLL,
            '%s (workers %s + ansible main %s)' % (
                harness.ms(relaxed['cpu_per_agent_per_poll'], 2), harness.ms(relaxed['worker_cpu_per_poll'], 2),
                harness.ms(relaxed['main_cpu_per_poll'], 2)),
            'default internal_poll_interval is 0.001 s',
            'report (no target)', None),
    ]
    return rows, {'default': default, 'internal_poll_interval_%g' % RELAXED_POLL: relaxed}
