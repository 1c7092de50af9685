# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What every benchmark uses: result rows, the table, statistics, process CPU from /proc, and ansible-playbook
runs with a timing callback."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import resource
import shutil
import tempfile
import threading
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CALLBACK_DIR = os.path.join(REPO_ROOT, 'benchmarks', 'callback_plugins')
PASSWORD = 'Bench/root-pw'
# The unfinished-list endpoints: one read of one of them starts every poll of dag_wait and every dag_info run.
LIST_PATHS = ('/api/v1/task/dag/unfinish', '/api/v1/task/dag/ob/unfinish', '/api/v1/task/dag/agent/unfinish')
SUMMARY_QUERY = 'show_details=false'


class Row(object):
    """One line of the table: a figure of ours, what it is compared with, its target and whether it is met."""

    def __init__(self, metric, ours, comparison, target, met=None):
        self.metric = metric
        self.ours = ours
        self.comparison = comparison
        self.target = target
        self.met = met

    def as_dict(self):
        return {'metric': self.metric, 'ours': self.ours, 'comparison': self.comparison, 'target': self.target,
                'met': self.met}


class Context(object):
    """What a run asks for: ``quick`` (fewer repetitions) or ``smoke`` (every benchmark once, with tiny sizes, so
    that CI sees each one still runs: scripts/test.sh stage bench; its figures mean nothing)."""

    SMOKE_SIZES = {10: 4, 100: 8}

    def __init__(self, quick=False, python=None, smoke=False):
        self.quick = quick or smoke
        self.smoke = smoke
        self.python = python

    def reps(self, full, quick):
        """Repetitions: ``full``, ``quick`` with --quick, 1 with --smoke."""
        return 1 if self.smoke else quick if self.quick else full

    def size(self, hosts):
        """A number of hosts or agents; a smaller one with --smoke (3 and fewer stay)."""
        return self.SMOKE_SIZES.get(hosts, min(hosts, 3)) if self.smoke else hosts


def met_text(met):
    if met is None:
        return 'n/a'
    return 'yes' if met else 'NO'


def print_table(rows, out):
    headers = ('metric', 'ours', 'comparison', 'target', 'met?')
    cells = [headers] + [(r.metric, r.ours, r.comparison, r.target, met_text(r.met)) for r in rows]
    widths = [max(len(str(line[i])) for line in cells) for i in range(len(headers))]
    rule = '+'.join('-' * (w + 2) for w in widths)

    def fmt(line):
        return '|'.join(' %s ' % str(cell).ljust(width) for cell, width in zip(line, widths))

    out.write(fmt(headers).rstrip() + '\n')
    out.write(rule + '\n')
    for line in cells[1:]:
        out.write(fmt(line).rstrip() + '\n')


# ------------------------------------------------------------------------------------------------ statistics

def median(values):
    return percentile(values, 50)


def percentile(values, pct):
    """Linear interpolation between closest ranks (numpy's default)."""
    data = sorted(values)
    if not data:
        return None
    if len(data) == 1:
        return data[0]
    rank = (len(data) - 1) * pct / 100.0
    low = int(rank)
    high = min(low + 1, len(data) - 1)
    return data[low] + (data[high] - data[low]) * (rank - low)


def ms(seconds, digits=1):
    return '%.*f ms' % (digits, seconds * 1000.0)


def ratio(a, b):
    return a / b if b else float('inf')


def kib(count):
    return '%.1f KiB' % (count / 1024.0) if count >= 1024 else '%d B' % count


# ------------------------------------------------------------------------------------------------ processes

CLOCK_TICKS = os.sysconf('SC_CLK_TCK')


def _stat_fields(pid):
    with open('/proc/%d/stat' % pid) as handle:
        text = handle.read()
    # the command name may hold spaces and parentheses: the fields start after the last ')'
    return text[text.index('(') + 1:text.rindex(')')], text[text.rindex(')') + 2:].split()


def children_of(pid):
    """{pid: command name} of the processes whose parent is ``pid``."""
    found = {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            name, fields = _stat_fields(int(entry))
        except (OSError, ValueError, IndexError):
            continue
        if int(fields[1]) == pid:
            found[int(entry)] = name
    return found


def descendants(pid):
    found = {}
    frontier = [pid]
    while frontier:
        kids = children_of(frontier.pop())
        found.update(kids)
        frontier.extend(kids)
    return found


def thread_cpu_seconds(pid):
    """CPU time of the live threads of ``pid`` from /proc/PID/task/*/schedstat (nanoseconds: precise).
    Threads that have exited are not counted; long-lived processes such as ansible workers keep theirs."""
    total = 0
    try:
        for tid in os.listdir('/proc/%d/task' % pid):
            try:
                with open('/proc/%d/task/%s/schedstat' % (pid, tid)) as handle:
                    total += int(handle.read().split()[0])
            except (OSError, ValueError):
                continue
    except OSError:
        return None
    return total / 1e9


def process_cpu_seconds(pid, reaped_children=False):
    """CPU of the whole process from /proc/PID/stat, exited threads included (clock ticks: 10 ms), plus
    optionally that of its children it has already waited for."""
    try:
        dummy_name, fields = _stat_fields(pid)
    except (OSError, ValueError, IndexError):
        return None
    ticks = int(fields[11]) + int(fields[12])
    if reaped_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / float(CLOCK_TICKS)


def reaped_children_cpu_seconds(pid):
    try:
        dummy_name, fields = _stat_fields(pid)
    except (OSError, ValueError, IndexError):
        return None
    return (int(fields[13]) + int(fields[14])) / float(CLOCK_TICKS)


def machine_busy_seconds():
    """CPU seconds all processes on the machine have used (all cores), from /proc/stat."""
    with open('/proc/stat') as handle:
        values = [int(field) for field in handle.readline().split()[1:9]]
    # user nice system idle iowait irq softirq steal
    return (sum(values) - values[3] - values[4]) / float(CLOCK_TICKS)


def own_cpu_seconds():
    """CPU used by this process and everything it started (live or already waited for)."""
    total = time.process_time() + children_rusage_cpu()
    for pid in descendants(os.getpid()):
        total += process_cpu_seconds(pid, reaped_children=True) or 0.0
    return total


class LoadWatch(object):
    """How much CPU *other* processes on the machine used during a measurement (they skew its figures)."""

    def __init__(self):
        self.t0 = time.monotonic()
        self.busy0 = machine_busy_seconds()
        self.own0 = own_cpu_seconds()

    def stop(self):
        seconds = time.monotonic() - self.t0
        foreign = (machine_busy_seconds() - self.busy0) - (own_cpu_seconds() - self.own0)
        return {'seconds': round(seconds, 1), 'foreign_cpu_seconds': round(max(foreign, 0.0), 2),
                'foreign_cores': round(max(foreign, 0.0) / seconds, 2) if seconds else 0.0}


def proportional_memory(pid):
    """Proportional set size (bytes) of a process: shared pages split among their users, so forked ansible
    workers can be summed. None if unknown."""
    try:
        with open('/proc/%d/smaps_rollup' % pid) as handle:
            for line in handle:
                if line.startswith('Pss:'):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def children_rusage_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# ------------------------------------------------------------------------------------------------ ansible-playbook

class PlayRun(object):
    """One ansible-playbook run: result (rc, stdout...), wall seconds, CPU of the whole process tree, the timing
    callback's events (monotonic times), and when it started and ended."""

    def __init__(self):
        self.result = None
        self.wall = None
        self.cpu = None
        self.events = []
        self.started = None
        self.ended = None
        self.error = None

    def first(self, event, task=None, host=None):
        for item in self.events:
            if item['ev'] == event and (task is None or item.get('task') == task) and \
                    (host is None or item.get('host') == host):
                return item
        return None

    def last(self, event, task=None):
        found = [item for item in self.events if item['ev'] == event and (task is None or item.get('task') == task)]
        return found[-1] if found else None


def run_play(playbook, inventory, extra_args=(), extra_env=None, timeout=600):
    """Run ansible-playbook through the integration-test harness with the bench_timer callback enabled."""
    from tests.integration._ansible import run_playbook  # pylint: disable=import-outside-toplevel

    workdir = tempfile.mkdtemp(prefix='obshell-bench-')
    timer_file = os.path.join(workdir, 'timer.jsonl')
    env = {
        'ANSIBLE_CALLBACK_PLUGINS': CALLBACK_DIR,
        'ANSIBLE_CALLBACKS_ENABLED': 'bench_timer',
        'OBSHELL_BENCH_TIMER_FILE': timer_file,
    }
    env.update(extra_env or {})
    run = PlayRun()
    os.makedirs(os.path.join(workdir, 'run'))
    try:
        cpu0 = children_rusage_cpu()
        run.started = time.monotonic()
        run.result = run_playbook(playbook, inventory, extra_env=env, extra_args=extra_args, timeout=timeout,
                                  workdir=os.path.join(workdir, 'run'))
        run.ended = time.monotonic()
        run.cpu = children_rusage_cpu() - cpu0
        run.wall = run.ended - run.started
        if os.path.exists(timer_file):
            with open(timer_file) as handle:
                run.events = [json.loads(line) for line in handle if line.strip()]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return run


def run_play_in_thread(*args, **kwargs):
    """Start run_play in a thread; returns (thread, PlayRun filled in when the thread ends)."""
    holder = PlayRun()

    def target():
        try:
            done = run_play(*args, **kwargs)
            holder.__dict__.update(done.__dict__)
        except Exception as exc:  # pylint: disable=broad-except
            holder.error = exc

    thread = threading.Thread(target=target, name='ansible-playbook')
    thread.daemon = True
    thread.start()
    return thread, holder


def ansible_processes(bench_pid=None):
    """(main ansible-playbook pid, [its worker pids]) among the descendants of this process, or (None, [])."""
    bench_pid = bench_pid or os.getpid()
    for pid, name in children_of(bench_pid).items():
        if name.startswith('ansible-playboo'):
            return pid, sorted(children_of(pid))
    return None, []


def inventory(hosts, group='observers', **group_vars):
    """YAML inventory: hosts is {name: {vars}}."""
    from tests.integration._ansible import local_inventory  # pylint: disable=import-outside-toplevel
    return local_inventory(hosts, group=group, **group_vars)


def agent_inventory(addresses, password=PASSWORD, **group_vars):
    """obs1..obsN, each with ansible_host and obshell_port of one agent address ``host:port``."""
    hosts = {}
    for index, address in enumerate(addresses):
        host, port = address.rsplit(':', 1)
        hosts['obs%d' % (index + 1)] = {'ansible_host': host, 'obshell_port': int(port)}
    if password:
        group_vars.setdefault('obshell_password', password)
    return inventory(hosts, **group_vars)


def yaml_value(value):
    return json.dumps(value)
