# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""4. Idle gate: the role in ``assert_idle`` mode vs an ``ansible.builtin.ping`` play and vs the role's floor.

Three playbooks on the same idle simulated agents, with ``gather_facts: false``, the local connection, the same
inventory and ansible's default 5 forks:

- **role**: ``roles: [oceanbase.obshell.wait_for_tasks]`` with ``wait_for_tasks_mode: assert_idle``: ansible-core's
  argument validation (per host), a few ``run_once`` tasks around one ``dag_wait`` with ``hosts:`` that reads every
  agent at once from the controller, and the per-host tasks "Join this run" and "Fail each host whose batch
  failed" (skipped);
- **ping**: one ``ansible.builtin.ping`` task (a module run per host);
- **floor**: the role's play shape with no-op tasks (``benchmarks/role_floor.py``): the same argument spec and the
  same number of per-host and ``run_once`` tasks, each a skipped ``ansible.builtin.debug``. It is what ansible-core
  costs for that shape, whatever the tasks do: in the linear strategy a per-host task costs a worker process per
  host, about 15-20 ms per host on a 2-core machine even when it is skipped. The role minus its floor is what the
  collection's tasks and plugins cost.

The whole ``ansible-playbook`` run is what an operator waits for; the play alone (first play start to the stats,
from the bench_timer callback) is reported beside it, and the time of each task (from its start to the next
task's start) is in the raw figures. On 3 hosts (agents in this process) the runs alternate (ping, floor, role...),
7 of each after a warm-up, medians. On 10 and 100 hosts the agents run in their own process
(``benchmarks/simproc.py``); the runs alternate too (3 of each, 1 with --quick; the 100-host ping play, which
takes longest and is only a comparison, runs once) and each figure is the median.

The "today" figures are the previous design's (a cluster wait, then a ``dag_wait`` per host and several per-host
tasks), from its reference runs; that design cannot run on this checkout any more.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import shutil
import tempfile

from benchmarks import harness, role_floor

FORKS = 5       # ansible's default
SCALING_HOSTS = (10, 100)
TARGET_100 = 3.0

# The previous design's figures (docs/performance.md, second round's reference runs on a quiet machine).
TODAY_3 = '1.70 s (play alone 0.67 s), 0.89-0.98x a ping play'
TODAY = {10: '2.49 s (play alone 1.57 s)', 100: '12.8-13.4 s (play alone 11.85 s in the reference run)'}

ROLE_PLAY = """
- name: Gate on idle agents
  hosts: observers
  gather_facts: false
  roles:
    - role: oceanbase.obshell.wait_for_tasks
      vars:
        wait_for_tasks_mode: assert_idle
"""

PING_PLAY = """
- name: Ping the same hosts
  hosts: observers
  gather_facts: false
  tasks:
    - name: Ping
      ansible.builtin.ping:
"""


def _play_seconds(run):
    start, stats = run.first('play_start'), run.last('stats')
    return stats['t'] - start['t'] if start and stats else None


def task_seconds(run):
    """{task name without its role prefix: seconds from its start to the next task's start (or the stats)}."""
    marks = [e for e in run.events if e['ev'] in ('task_start', 'stats')]
    out = {}
    for event, following in zip(marks, marks[1:]):
        if event['ev'] == 'task_start':
            name = event['task'].split(' : ', 1)[-1]
            out[name[len('Floor: '):] if name.startswith('Floor: ') else name] = round(following['t'] - event['t'], 3)
    return out


def one(name, playbook, inventory, env, forks=FORKS):
    play = harness.run_play(playbook, inventory, extra_args=('--forks', str(forks)), extra_env=env)
    if play.result.rc != 0:
        raise RuntimeError('%s playbook failed:\n%s' % (name, play.result.output[-3000:]))
    return {'wall': play.wall, 'play': _play_seconds(play), 'cpu': play.cpu, 'tasks': task_seconds(play)}


def summary(runs):
    """Medians (and extremes) of a list of one() results."""
    if not runs:
        return None
    names = list(runs[0]['tasks'])
    return {
        'runs': len(runs),
        'wall': harness.median([r['wall'] for r in runs]),
        'wall_min': min(r['wall'] for r in runs), 'wall_max': max(r['wall'] for r in runs),
        'play': harness.median([r['play'] for r in runs]),
        'cpu': harness.median([r['cpu'] for r in runs]),
        'tasks': dict((task, harness.median([r['tasks'].get(task, 0.0) for r in runs])) for task in names),
    }


# The tasks of the role that the table names (a prefix of the task name; the rest are run_once and take ~0.05 s).
TASK_LABELS = (
    ('validation', role_floor.VALIDATION),
    ('join', 'Join this run'),
    ('dag_wait', 'Wait for the cluster DAGs'),
    ('fail', 'Fail each host'),
)


def _task(stats, prefix):
    return sum(seconds for name, seconds in stats['tasks'].items() if name.startswith(prefix))


def _text(stats):
    text = '%.2f s (play alone %.2f s)' % (stats['wall'], stats['play'])
    if stats['runs'] > 1:
        text += ', %d runs %.2f-%.2f s' % (stats['runs'], stats['wall_min'], stats['wall_max'])
    return text


def run(ctx):
    from tests.simulator import SimCluster  # pylint: disable=import-outside-toplevel

    workdir = tempfile.mkdtemp(prefix='obshell-bench-floor-')
    try:
        env = {'ANSIBLE_ROLES_PATH': role_floor.make(workdir)}
        playbooks = (('ping', PING_PLAY), ('floor', role_floor.PLAY), ('role', ROLE_PLAY))
        reps = ctx.reps(7, 3)
        small = dict((name, []) for name, dummy in playbooks)
        with SimCluster(agents=3, scenario='idle', password=harness.PASSWORD) as sim:
            inventory = harness.agent_inventory([agent.address for agent in sim.agents])
            harness.run_play(PING_PLAY, inventory)      # warm-up: file system caches, bytecode
            for dummy in range(reps):
                for name, playbook in playbooks:
                    small[name].append(one(name, playbook, inventory, env))
        scaling = measure_scaling(ctx, env, playbooks)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    three = dict((name, summary(values)) for name, values in small.items())
    factor = harness.ratio(three['role']['wall'], three['ping']['wall'])
    play_factor = harness.ratio(three['role']['play'], three['ping']['play'])
    rows = [harness.Row(
        '4. Idle gate: role assert_idle, 3 hosts (whole run)',
        '%.2f s (play alone %.2f s): %.2fx a ping play (play alone %.2fx)' % (
            three['role']['wall'], three['role']['play'], factor, play_factor),
        'today: %s; ping play %.2f s (play alone %.2f s); floor %.2f s (play alone %.2f s)' % (
            TODAY_3, three['ping']['wall'], three['ping']['play'], three['floor']['wall'], three['floor']['play']),
        '<= 1.5x a ping play', factor <= 1.5)]
    for full in SCALING_HOSTS:
        hosts = ctx.size(full)
        role, ping, floor = scaling[hosts]['role'], scaling[hosts]['ping'], scaling[hosts]['floor']
        rows.append(harness.Row(
            '4. Idle gate at %d hosts (forks %d, whole run)' % (hosts, FORKS),
            _text(role),
            'today: %s; ping play %.2f s (play alone %.2f s); floor %.2f s (play alone %.2f s)' % (
                TODAY[full], ping['wall'], ping['play'], floor['wall'], floor['play']),
            '<= %g s' % TARGET_100 if full == 100 else 'report (no target)',
            role['wall'] <= TARGET_100 if full == 100 else None))
    largest = ctx.size(SCALING_HOSTS[-1])
    role, floor = scaling[largest]['role'], scaling[largest]['floor']
    rows.append(harness.Row(
        '4. Idle gate at %d hosts: the role above its floor (whole run)' % largest,
        '%.2f s (role %.2f s - floor %.2f s)' % (role['wall'] - floor['wall'], role['wall'], floor['wall']),
        'floor: %s. Seconds per task, role / floor: %s' % (role_floor.shape_text(), '; '.join(
            '%s %.2f / %.2f' % (label, _task(role, name), _task(floor, name)) for label, name in TASK_LABELS)),
        'report (no target)', None))
    raw = {'checkout': role_floor.checkout(), 'repetitions_3_hosts': reps, 'forks': FORKS,
           'floor_shape': role_floor.shape(), '3_hosts': small,
           'median_3_hosts': three, 'factor': factor, 'play_factor': play_factor, 'scaling': scaling,
           'today': {'3': TODAY_3, '10': TODAY[10], '100': TODAY[100]}}
    return rows, raw


def measure_scaling(ctx, env, playbooks):
    """The three playbooks on 10 and on 100 hosts (agents in their own process), alternating; medians."""
    from benchmarks.simproc import SimProcess  # pylint: disable=import-outside-toplevel

    reps = 1 if ctx.quick else 3
    out = {}
    sizes = [ctx.size(hosts) for hosts in SCALING_HOSTS]
    with SimProcess(python=ctx.python) as sim:
        addresses = sim.start(agents=max(sizes), password=harness.PASSWORD, scenario='idle')
        for hosts in sizes:
            inventory = harness.agent_inventory(addresses[:hosts])
            runs = dict((name, []) for name, dummy in playbooks)
            for index in range(reps):
                for name, playbook in playbooks:
                    if name == 'ping' and hosts == sizes[-1] and index > 0:
                        continue
                    runs[name].append(one('%s on %d hosts' % (name, hosts), playbook, inventory, env))
            out[hosts] = dict((name, summary(values)) for name, values in runs.items())
            out[hosts]['runs'] = runs
    return out
