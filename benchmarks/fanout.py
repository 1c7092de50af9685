# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""3. Fan-out: the unfinished_dags lookup over 1, 10 and 100 agents vs the SDK asked agent after agent.

100 simulated agents (idle, the pre-flight case) run in their own process (benchmarks.simproc), so they do
not share the GIL with the client being measured. Two views:

- the call: the lookup plugin loaded through ansible's plugin loader and called in this process, as a task's
  templating calls it; the SDK: ``ClientSet(host, port, PasswordAuth(pw)).v1.get_unfinished_dags()`` for each
  agent in turn, a new client per agent as a loop over hosts would make. Every call of either starts cold (new
  clients, new connections). Repetitions are interleaved; the median is reported.
- the task: a playbook on the controller whose tasks are ``set_fact`` of ``query(...)`` over 1, 10, 100 agents,
  timed from task start to task result by the bench_timer callback: what a playbook waits for.

Then the calls again with every request answered 10 ms late (the simulator's delay injection, slept in the
request's own server thread, so concurrent requests overlap): loopback has no network, a real fleet has.

Last, a busy fleet: the 100 agents with a 'Cluster scale out' running, which every agent lists; the lookup and
the SDK loop once more, with the requests and response bytes the simulator counted.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import time

from benchmarks import harness
from benchmarks.poll_cost import held_scale_out
from benchmarks.simproc import SimProcess

SIZES = (1, 10, 100)
LATENCY = 0.010

TASK_PLAY = """
- name: The lookup in a playbook
  hosts: bench
  gather_facts: false
  vars:
    bench_agents: {agents}
  tasks:
{tasks}
"""

TASK = """    - name: lookup {n} {rep}
      ansible.builtin.set_fact:
        bench_dags: "{{{{ query('oceanbase.obshell.unfinished_dags', *bench_agents[:{n}], password='{password}') }}}}"
"""


def load_lookup():
    """The lookup as ansible loads it (with its option definitions). The collection loader must be in place before
    anything imports ansible_collections (``python -m benchmarks`` does that first)."""
    from ansible.parsing.dataloader import DataLoader  # pylint: disable=import-outside-toplevel
    from ansible.plugins.loader import init_plugin_loader, lookup_loader  # pylint: disable=import-outside-toplevel
    from ansible.utils.collection_loader import AnsibleCollectionConfig  # pylint: disable=import-outside-toplevel
    from tests.integration._ansible import COLLECTIONS_DIR  # pylint: disable=import-outside-toplevel

    if AnsibleCollectionConfig.collection_finder is None:
        init_plugin_loader([COLLECTIONS_DIR])
    plugin = lookup_loader.get('oceanbase.obshell.unfinished_dags', loader=DataLoader(), templar=None)
    if plugin is None:
        raise RuntimeError('cannot load the lookup oceanbase.obshell.unfinished_dags (was ansible_collections '
                           'imported before the collection loader was installed?)')
    return plugin


def sdk_sequential(addresses):
    from obshell import ClientSet  # pylint: disable=import-outside-toplevel
    from obshell.auth.password import PasswordAuth  # pylint: disable=import-outside-toplevel

    found = []
    for address in addresses:
        host, port = address.rsplit(':', 1)
        found.extend(ClientSet(host, int(port), PasswordAuth(harness.PASSWORD)).v1.get_unfinished_dags())
    return found


def timed(function, *args, **kwargs):
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - t0, time.process_time() - cpu0


def measure_calls(sim, addresses, reps):
    lookup = load_lookup()
    lookup.run(addresses[:1], variables={}, password=harness.PASSWORD)      # plugin warm-up (imports)
    sdk_sequential(addresses[:1])
    ours = dict((n, []) for n in SIZES)
    ours_cpu = dict((n, []) for n in SIZES)
    sdk = dict((n, []) for n in SIZES)
    sdk_cpu = dict((n, []) for n in SIZES)
    sim_cpu = {'ours': 0.0, 'sdk': 0.0}
    for dummy in range(reps):
        for n in SIZES:
            before = harness.process_cpu_seconds(sim.pid)
            wall, cpu = timed(lookup.run, addresses[:n], variables={}, password=harness.PASSWORD)
            if n == SIZES[-1]:
                sim_cpu['ours'] += harness.process_cpu_seconds(sim.pid) - before
            ours[n].append(wall)
            ours_cpu[n].append(cpu)
            before = harness.process_cpu_seconds(sim.pid)
            wall, cpu = timed(sdk_sequential, addresses[:n])
            if n == SIZES[-1]:
                sim_cpu['sdk'] += harness.process_cpu_seconds(sim.pid) - before
            sdk[n].append(wall)
            sdk_cpu[n].append(cpu)
    return {
        'ours': dict((n, harness.median(v)) for n, v in ours.items()),
        'ours_cpu': dict((n, harness.median(v)) for n, v in ours_cpu.items()),
        'sdk': dict((n, harness.median(v)) for n, v in sdk.items()),
        'sdk_cpu': dict((n, harness.median(v)) for n, v in sdk_cpu.items()),
        'ours_all': ours,
        'sdk_all': sdk,
        'simulator_cpu_at_100': dict((k, v / reps) for k, v in sim_cpu.items()),
    }


def measure_busy(sim, addresses, reps):
    """The lookup and the SDK over 100 agents that all list a running cluster DAG: time, requests, bytes."""
    lookup = load_lookup()
    lookup.run(addresses[:1], variables={}, password=harness.PASSWORD)
    out = {'ours': [], 'sdk': []}
    for dummy in range(reps):
        for name, function in (('ours', lambda: lookup.run(addresses, variables={}, password=harness.PASSWORD)),
                               ('sdk', lambda: sdk_sequential(addresses))):
            sim.call('reset')
            wall, dummy_cpu = timed(function)
            counters = sim.call('counters')['counters'].values()
            out[name].append({'seconds': wall, 'requests': sum(c['requests'] for c in counters),
                              'response_bytes': sum(c['response_bytes'] for c in counters)})
    return dict((name, {'seconds': harness.median([r['seconds'] for r in runs]),
                        'requests': runs[-1]['requests'], 'response_bytes': runs[-1]['response_bytes'],
                        'all': runs}) for name, runs in out.items())


def measure_tasks(addresses, reps):
    tasks = ''.join(TASK.format(n=n, rep=rep, password=harness.PASSWORD) for rep in range(reps) for n in SIZES)
    playbook = TASK_PLAY.format(agents=json.dumps(addresses), tasks=tasks)
    play = harness.run_play(playbook, harness.inventory(['bench']), timeout=900)
    if play.result.rc != 0:
        raise RuntimeError('the lookup playbook failed:\n%s' % play.result.output[-3000:])
    times = dict((n, []) for n in SIZES)
    for rep in range(reps):
        for n in SIZES:
            name = 'lookup %d %d' % (n, rep)
            start, done = play.first('task_start', task=name), play.first('ok', task=name)
            times[n].append(done['t'] - start['t'])
    return {'median': dict((n, harness.median(v)) for n, v in times.items()), 'all': times}


def run(ctx):
    reps = 3 if ctx.quick else 7
    with SimProcess(python=ctx.python) as sim:
        addresses = sim.start(agents=max(SIZES), password=harness.PASSWORD, scenario='idle')
        calls = measure_calls(sim, addresses, reps)
        tasks = measure_tasks(addresses, reps)
        # Every request answered LATENCY later (the simulator's delay injection, slept in the request's own
        # thread): what a real network and a real agent add, and what asking agents one by one pays in full.
        sim.call('delay', seconds=LATENCY, count=1000)
        slow = measure_calls(sim, addresses, 2 if ctx.quick else 3)
        # A fleet that is busy: a scale-out in flight, which every agent of the cluster lists.
        busy_addresses = sim.start(agents=max(SIZES), password=harness.PASSWORD, scenario=held_scale_out(hold_at=4))
        busy = measure_busy(sim, busy_addresses, 2 if ctx.quick else 3)
    ours, sdk, task = calls['ours'], calls['sdk'], tasks['median']
    growth = harness.ratio(ours[100], ours[1])
    task_growth = harness.ratio(task[100], task[1])
    speedup = harness.ratio(sdk[100], ours[100])
    slow_growth = harness.ratio(slow['ours'][100], slow['ours'][1])
    slow_speedup = harness.ratio(slow['sdk'][100], slow['ours'][100])
    latency = '%d ms per request' % (LATENCY * 1000)
    rows = [
        harness.Row('3. Fan-out: lookup call, 100 agents vs 1',
                    '1: %s, 10: %s, 100: %s (%.1fx)' % (
                        harness.ms(ours[1]), harness.ms(ours[10]), harness.ms(ours[100]), growth),
                    'SDK one by one: 1: %s, 10: %s, 100: %s' % (
                        harness.ms(sdk[1]), harness.ms(sdk[10]), harness.ms(sdk[100], 0)),
                    '100 <= 3x of 1', growth <= 3),
        harness.Row('3. Fan-out: lookup call at 100 agents vs SDK',
                    harness.ms(ours[100]),
                    'SDK one by one: %s (%.1fx faster)' % (harness.ms(sdk[100], 0), speedup),
                    '>= 10x faster', speedup >= 10),
        harness.Row('3. Fan-out: CPU per agent at 100 (client; simulator)',
                    '%s; simulator %s' % (harness.ms(calls['ours_cpu'][100] / 100.0, 2),
                                          harness.ms(calls['simulator_cpu_at_100']['ours'] / 100.0, 2)),
                    'SDK one by one: %s; simulator %s' % (
                        harness.ms(calls['sdk_cpu'][100] / 100.0, 2),
                        harness.ms(calls['simulator_cpu_at_100']['sdk'] / 100.0, 2)),
                    'report (no target)', None),
        harness.Row('3. Fan-out: lookup task in a playbook, 100 vs 1',
                    '1: %s, 10: %s, 100: %s (%.1fx)' % (
                        harness.ms(task[1]), harness.ms(task[10]), harness.ms(task[100]), task_growth),
                    'set_fact of query(), task start to result',
                    '100 <= 3x of 1', task_growth <= 3),
        harness.Row('3. Fan-out, %s added: lookup call, 100 vs 1' % latency,
                    '1: %s, 10: %s, 100: %s (%.1fx)' % (
                        harness.ms(slow['ours'][1]), harness.ms(slow['ours'][10]), harness.ms(slow['ours'][100]),
                        slow_growth),
                    'SDK one by one: 1: %s, 10: %s, 100: %s' % (
                        harness.ms(slow['sdk'][1]), harness.ms(slow['sdk'][10]), harness.ms(slow['sdk'][100], 0)),
                    '100 <= 3x of 1', slow_growth <= 3),
        harness.Row('3. Fan-out, %s added: at 100 vs SDK' % latency,
                    harness.ms(slow['ours'][100]),
                    'SDK one by one: %s (%.1fx faster)' % (harness.ms(slow['sdk'][100], 0), slow_speedup),
                    '>= 10x faster', slow_speedup >= 10),
    ]
    rows.append(harness.Row(
        '3. Lookup at 100 agents during a scale-out',
        '%s, %d requests, %s' % (harness.ms(busy['ours']['seconds']), busy['ours']['requests'],
                                 harness.kib(busy['ours']['response_bytes'])),
        'SDK one by one: %s, %d requests, %s' % (harness.ms(busy['sdk']['seconds'], 0), busy['sdk']['requests'],
                                                 harness.kib(busy['sdk']['response_bytes'])),
        'report (no target)', None))
    raw = {'busy': busy, 'repetitions': reps, 'calls': calls, 'tasks': tasks, 'growth_call': growth,
           'growth_task': task_growth,
           'speedup_vs_sdk': speedup, 'latency_seconds': LATENCY, 'calls_with_latency': slow,
           'growth_call_with_latency': slow_growth, 'speedup_vs_sdk_with_latency': slow_speedup}
    return rows, raw
