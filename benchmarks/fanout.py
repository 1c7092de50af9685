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
from benchmarks.baseline import http_client_transport
from benchmarks.poll_cost import held_scale_out
from benchmarks.simproc import SimProcess

SIZES = (1, 10, 100)
LATENCY = 0.010
SLOW_LATENCY = 0.050         # a fleet where the network, not the CPU, is the limit
DEFAULT_WORKERS = 32         # the lookup's max_workers default
WIDER_WORKERS = 64

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


def sdk_threaded(addresses, workers=DEFAULT_WORKERS):
    """The SDK driven from as many threads as the lookup uses: one agent per call, a new client per agent."""
    from concurrent.futures import ThreadPoolExecutor  # pylint: disable=import-outside-toplevel

    with ThreadPoolExecutor(max_workers=min(workers, len(addresses))) as pool:
        return [dag for found in pool.map(lambda address: sdk_sequential([address]), addresses) for dag in found]


def timed(function, *args, **kwargs):
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - t0, time.process_time() - cpu0


def variants(lookup, workers=(DEFAULT_WORKERS,), sdk=True):
    """(name, function of the addresses) for each way of asking the agents."""
    out = []
    for count in workers:
        name = 'ours' if count == DEFAULT_WORKERS else 'ours_%d_workers' % count
        out.append((name, lambda addresses, count=count: lookup.run(addresses, variables={}, password=harness.PASSWORD,
                                                                    max_workers=count)))

    def on_http_client(addresses):
        with http_client_transport():
            return lookup.run(addresses, variables={}, password=harness.PASSWORD)

    out.append(('ours_http_client', on_http_client))
    if sdk:
        out.append(('sdk', sdk_sequential))
    out.append(('sdk_threads', sdk_threaded))
    return out


def measure_calls(sim, addresses, reps, ways):
    """Median wall time (and client CPU) per way and size; the ways and sizes interleaved, every call cold."""
    for dummy, function in ways:
        function(addresses[:1])      # warm-up (imports)
    walls = dict((name, dict((n, []) for n in SIZES)) for name, dummy in ways)
    cpus = dict((name, dict((n, []) for n in SIZES)) for name, dummy in ways)
    sim_cpu = dict((name, 0.0) for name, dummy in ways)
    for dummy in range(reps):
        for n in SIZES:
            for name, function in ways:
                before = harness.process_cpu_seconds(sim.pid)
                wall, cpu = timed(function, addresses[:n])
                if n == SIZES[-1]:
                    sim_cpu[name] += harness.process_cpu_seconds(sim.pid) - before
                walls[name][n].append(wall)
                cpus[name][n].append(cpu)
    out = {'all': walls, 'simulator_cpu_at_100': dict((k, v / reps) for k, v in sim_cpu.items())}
    for name, dummy in ways:
        out[name] = dict((n, harness.median(v)) for n, v in walls[name].items())
        out[name + '_cpu'] = dict((n, harness.median(v)) for n, v in cpus[name].items())
    return out


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


def _sizes(figures, digits=1):
    return '1: %s, 10: %s, 100: %s' % (harness.ms(figures[1]), harness.ms(figures[10]), harness.ms(figures[100], digits))


def run(ctx):
    reps = ctx.reps(7, 3)
    with SimProcess(python=ctx.python) as sim:
        addresses = sim.start(agents=max(SIZES), password=harness.PASSWORD, scenario='idle')
        lookup = load_lookup()
        calls = measure_calls(sim, addresses, reps, variants(lookup))
        tasks = measure_tasks(addresses, reps)
        # Every request answered LATENCY later (the simulator's delay injection, slept in the request's own
        # thread): what a real network and a real agent add, and what asking agents one by one pays in full.
        sim.call('delay', seconds=LATENCY, count=1000)
        slow = measure_calls(sim, addresses, ctx.reps(3, 2), variants(lookup))
        # 50 ms: the network is the limit. The SDK one by one would take 20 s a call here; it runs from threads only.
        sim.call('delay', seconds=SLOW_LATENCY, count=1000)
        slower = measure_calls(sim, addresses, ctx.reps(3, 2),
                               variants(lookup, workers=(DEFAULT_WORKERS, WIDER_WORKERS, 100), sdk=False))
        sim.call('delay', seconds=0)
        # A fleet that is busy: a scale-out in flight, which every agent of the cluster lists.
        busy_addresses = sim.start(agents=max(SIZES), password=harness.PASSWORD, scenario=held_scale_out(hold_at=4))
        busy = measure_busy(sim, busy_addresses, ctx.reps(3, 2))
    ours, old, sdk, sdk_threads, task = (calls['ours'], calls['ours_http_client'], calls['sdk'], calls['sdk_threads'],
                                         tasks['median'])
    growth = harness.ratio(ours[100], ours[1])
    task_growth = harness.ratio(task[100], task[1])
    speedup = harness.ratio(sdk[100], ours[100])
    transport_ratio = harness.ratio(ours[100], old[100])
    slow_growth = harness.ratio(slow['ours'][100], slow['ours'][1])
    slow_speedup = harness.ratio(slow['sdk'][100], slow['ours'][100])
    latency = '%d ms per request' % (LATENCY * 1000)
    slower_latency = '%d ms per request' % (SLOW_LATENCY * 1000)
    rows = [
        harness.Row('3. Fan-out: lookup call, 100 agents vs 1',
                    '%s (%.1fx)' % (_sizes(ours), growth),
                    'SDK one by one: %s; SDK from %d threads: %s' % (_sizes(sdk, 0), DEFAULT_WORKERS, _sizes(sdk_threads)),
                    '100 <= 3x of 1', growth <= 3),
        harness.Row('3. Fan-out: lookup call at 100 agents, requests vs http.client',
                    '%s (requests)' % harness.ms(ours[100]),
                    'http.client baseline: %s (%.2fx)' % (harness.ms(old[100]), transport_ratio),
                    '<= 1.5x', transport_ratio <= 1.5),
        harness.Row('3. Fan-out: lookup call at 100 agents vs SDK',
                    harness.ms(ours[100]),
                    'SDK one by one: %s (%.1fx faster); SDK from %d threads: %s (%.1fx)' % (
                        harness.ms(sdk[100], 0), speedup, DEFAULT_WORKERS, harness.ms(sdk_threads[100]),
                        harness.ratio(sdk_threads[100], ours[100])),
                    '>= 10x faster', speedup >= 10),
        harness.Row('3. Fan-out: CPU per agent at 100 (client; simulator)',
                    '%s; simulator %s' % (harness.ms(calls['ours_cpu'][100] / 100.0, 2),
                                          harness.ms(calls['simulator_cpu_at_100']['ours'] / 100.0, 2)),
                    'http.client baseline: %s; SDK one by one: %s; simulator %s' % (
                        harness.ms(calls['ours_http_client_cpu'][100] / 100.0, 2),
                        harness.ms(calls['sdk_cpu'][100] / 100.0, 2),
                        harness.ms(calls['simulator_cpu_at_100']['sdk'] / 100.0, 2)),
                    'report (no target)', None),
        harness.Row('3. Fan-out: lookup task in a playbook, 100 vs 1',
                    '%s (%.1fx)' % (_sizes(task), task_growth),
                    'set_fact of query(), task start to result',
                    '100 <= 3x of 1', task_growth <= 3),
        harness.Row('3. Fan-out, %s added: lookup call, 100 vs 1' % latency,
                    '%s (%.1fx)' % (_sizes(slow['ours']), slow_growth),
                    'http.client baseline: %s; SDK one by one: %s; SDK from %d threads: %s' % (
                        _sizes(slow['ours_http_client']), _sizes(slow['sdk'], 0), DEFAULT_WORKERS,
                        _sizes(slow['sdk_threads'])),
                    '100 <= 3x of 1', slow_growth <= 3),
        harness.Row('3. Fan-out, %s added: at 100 vs SDK' % latency,
                    harness.ms(slow['ours'][100]),
                    'SDK one by one: %s (%.1fx faster)' % (harness.ms(slow['sdk'][100], 0), slow_speedup),
                    '>= 10x faster', slow_speedup >= 10),
    ]
    for workers in (DEFAULT_WORKERS, WIDER_WORKERS, 100):
        name = 'ours' if workers == DEFAULT_WORKERS else 'ours_%d_workers' % workers
        figures = slower[name]
        rows.append(harness.Row(
            '3. Fan-out, %s added: lookup call, 100 vs 1, max_workers %d' % (slower_latency, workers),
            '%s (%.1fx)' % (_sizes(figures), harness.ratio(figures[100], figures[1])),
            'http.client baseline (32): %s; SDK from %d threads: %s' % (
                _sizes(slower['ours_http_client']), DEFAULT_WORKERS, _sizes(slower['sdk_threads'])),
            '100 <= 3x of 1', harness.ratio(figures[100], figures[1]) <= 3))
    rows.append(harness.Row(
        '3. Lookup at 100 agents during a scale-out',
        '%s, %d requests, %s' % (harness.ms(busy['ours']['seconds']), busy['ours']['requests'],
                                 harness.kib(busy['ours']['response_bytes'])),
        'SDK one by one: %s, %d requests, %s' % (harness.ms(busy['sdk']['seconds'], 0), busy['sdk']['requests'],
                                                 harness.kib(busy['sdk']['response_bytes'])),
        'report (no target)', None))
    raw = {'busy': busy, 'repetitions': reps, 'calls': calls, 'tasks': tasks, 'growth_call': growth,
           'growth_task': task_growth, 'transport_ratio_at_100': transport_ratio,
           'speedup_vs_sdk': speedup, 'latency_seconds': LATENCY, 'calls_with_latency': slow,
           'growth_call_with_latency': slow_growth, 'speedup_vs_sdk_with_latency': slow_speedup,
           'slow_latency_seconds': SLOW_LATENCY, 'calls_with_slow_latency': slower}
    return rows, raw
