# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""4. Idle gate: the role in ``assert_idle`` mode on 3 hosts vs an ``ansible.builtin.ping`` play on the same hosts.

Three idle simulated agents; both playbooks have ``gather_facts: false``, the local connection and the same
inventory. The runs alternate (ping, role, ping, role...) and each figure is the median of the repetitions. The
whole ``ansible-playbook`` run is what an operator waits for; the play alone (first play start to the stats,
from the bench_timer callback) is reported beside it.

For scale, one run of each playbook on 10 and on 100 hosts (agents in their own process), with ansible's
default 5 forks.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from benchmarks import harness

SCALING_HOSTS = (10, 100)
FORKS = 5       # ansible's default

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


def run(ctx):
    from tests.simulator import SimCluster  # pylint: disable=import-outside-toplevel

    reps = 3 if ctx.quick else 7
    walls = {'role': [], 'ping': []}
    plays = {'role': [], 'ping': []}
    with SimCluster(agents=3, scenario='idle', password=harness.PASSWORD) as sim:
        inventory = harness.agent_inventory([agent.address for agent in sim.agents])
        harness.run_play(PING_PLAY, inventory)      # warm-up: file system caches, bytecode
        for dummy in range(reps):
            for name, playbook in (('ping', PING_PLAY), ('role', ROLE_PLAY)):
                play = harness.run_play(playbook, inventory)
                if play.result.rc != 0:
                    raise RuntimeError('%s playbook failed:\n%s' % (name, play.result.output[-3000:]))
                walls[name].append(play.wall)
                plays[name].append(_play_seconds(play))
    scaling = measure_scaling(ctx)
    wall = dict((name, harness.median(values)) for name, values in walls.items())
    play = dict((name, harness.median(values)) for name, values in plays.items())
    factor = harness.ratio(wall['role'], wall['ping'])
    play_factor = harness.ratio(play['role'], play['ping'])
    rows = [harness.Row(
        '4. Idle gate: role assert_idle, 3 hosts (whole run)',
        '%.2f s (play alone %.2f s)' % (wall['role'], play['role']),
        'ping play: %.2f s (play alone %.2f s): %.2fx (play alone %.2fx)' % (
            wall['ping'], play['ping'], factor, play_factor),
        '<= 1.5x', factor <= 1.5)]
    for hosts in SCALING_HOSTS:
        role, ping = scaling[hosts]['role'], scaling[hosts]['ping']
        rows.append(harness.Row(
            '4. Idle gate at %d hosts (forks %d, one run)' % (hosts, FORKS),
            '%.2f s (play alone %.2f s)' % (role['wall'], role['play']),
            'ping play: %.2f s (play alone %.2f s): %.2fx' % (
                ping['wall'], ping['play'], harness.ratio(role['wall'], ping['wall'])),
            'report (no target)', None))
    raw = {'repetitions': reps, 'wall': walls, 'play': plays, 'median_wall': wall, 'median_play': play,
           'factor': factor, 'play_factor': play_factor, 'scaling': scaling}
    return rows, raw


def measure_scaling(ctx):
    """One run of each playbook on 10 and on 100 hosts (agents in their own process), ansible's default forks."""
    from benchmarks.simproc import SimProcess  # pylint: disable=import-outside-toplevel

    out = {}
    with SimProcess(python=ctx.python) as sim:
        addresses = sim.start(agents=max(SCALING_HOSTS), password=harness.PASSWORD, scenario='idle')
        for hosts in SCALING_HOSTS:
            inventory = harness.agent_inventory(addresses[:hosts])
            out[hosts] = {}
            for name, playbook in (('ping', PING_PLAY), ('role', ROLE_PLAY)):
                play = harness.run_play(playbook, inventory, extra_args=('--forks', str(FORKS)))
                if play.result.rc != 0:
                    raise RuntimeError('%s playbook on %d hosts failed:\n%s' % (
                        name, hosts, play.result.output[-3000:]))
                out[hosts][name] = {'wall': play.wall, 'play': _play_seconds(play), 'cpu': play.cpu}
    return out
