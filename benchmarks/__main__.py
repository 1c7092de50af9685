# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``python -m benchmarks [--quick | --smoke] [--only NAME,...] [--name NAME | --output FILE]``, from the repository
root.

Runs the measurements one after the other (never two at once: the machine's cores are part of what is
measured), prints one table (metric | ours | comparison | target | met?) and writes every raw figure, with the
machine's description, to ``benchmarks/results/latest.json`` (not committed). A reference run, the one a document
quotes, is named: ``--name transport`` writes ``benchmarks/results/<date>-transport.json``, which is committed, and
``python -m benchmarks.report`` makes the document's tables from it.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import argparse
import importlib
import json
import os
import platform
import sys
import time
import traceback

from benchmarks import harness

# (name, module, what it measures); the order of the table.
MEASUREMENTS = (
    ('poll_cost', 'benchmarks.poll_cost', 'per-poll cost: dag_wait vs dag_info under until'),
    ('traffic', 'benchmarks.traffic', 'traffic per poll during a scale-out wait vs the SDK'),
    ('fanout', 'benchmarks.fanout', 'lookup over 1, 10, 100 agents vs the SDK agent after agent'),
    ('idle_gate', 'benchmarks.idle_gate', 'role assert_idle vs a ping play on 3 hosts'),
    ('latency', 'benchmarks.latency', 'detection latency of the role'),
    ('controller_cpu', 'benchmarks.controller_cpu', 'controller CPU during a 100-agent wait'),
    ('crypto', 'benchmarks.crypto', 'auth header encryption and import time vs the SDK'),
)
DEFAULT_OUTPUT = os.path.join(harness.REPO_ROOT, 'benchmarks', 'results', 'latest.json')


def _setup_paths():
    """The collection importable as ansible_collections.oceanbase.obshell (the in-repo collections/ link, as
    the tests make it) and ansible-playbook runs finding this checkout."""
    if harness.REPO_ROOT not in sys.path:
        sys.path.insert(0, harness.REPO_ROOT)
    import tests.conftest  # pylint: disable=import-outside-toplevel,unused-import  # makes the link, sets paths


def _version(module_name):
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    return getattr(module, '__version__', None)


def _distribution_version(name):
    try:
        from importlib.metadata import version  # pylint: disable=import-outside-toplevel
        return version(name)
    except Exception:  # pylint: disable=broad-except
        return None


def machine():
    model = None
    try:
        with open('/proc/cpuinfo') as handle:
            for line in handle:
                if line.startswith('model name'):
                    model = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    memory = None
    try:
        with open('/proc/meminfo') as handle:
            memory = '%.1f GiB' % (int(handle.readline().split()[1]) / 1024.0 / 1024.0)
    except (OSError, ValueError, IndexError):
        pass
    return {
        'cpus': os.cpu_count(),
        'cpu_model': model,
        'memory': memory,
        'kernel': platform.release(),
        'python': platform.python_version(),
        'ansible_core': _version('ansible.release') or _distribution_version('ansible-core'),
        'requests': _distribution_version('requests'),
        'urllib3': _distribution_version('urllib3'),
        'cryptography': _distribution_version('cryptography'),
        'obshell_sdk': _distribution_version('obshell'),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m benchmarks', description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--quick', action='store_true', help='fewer repetitions (about a third of the time)')
    parser.add_argument('--smoke', action='store_true',
                        help='every benchmark once with tiny sizes, to see that each still runs (CI); the figures '
                        'mean nothing')
    parser.add_argument('--only', default='', help='comma-separated subset of: %s'
                        % ', '.join(name for name, dummy, dummy2 in MEASUREMENTS))
    parser.add_argument('--output', default=DEFAULT_OUTPUT, help='raw figures as JSON (default %(default)s)')
    parser.add_argument('--name', help='a reference run: write benchmarks/results/<date>-NAME.json instead')
    args = parser.parse_args(argv)
    if args.name:
        args.output = os.path.join(harness.REPO_ROOT, 'benchmarks', 'results',
                                   '%s-%s.json' % (time.strftime('%Y-%m-%d'), args.name))

    wanted = [name.strip() for name in args.only.split(',') if name.strip()]
    unknown = [name for name in wanted if name not in [m[0] for m in MEASUREMENTS]]
    if unknown:
        parser.error('unknown measurement(s): %s' % ', '.join(unknown))
    _setup_paths()
    ctx = harness.Context(quick=args.quick, python=sys.executable, smoke=args.smoke)
    rows, raw, failures, load = [], {}, [], {}
    started = time.time()
    selected = [m for m in MEASUREMENTS if not wanted or m[0] in wanted]
    for index, (name, module_name, what) in enumerate(selected):
        sys.stderr.write('[%d/%d] %s: %s ...\n' % (index + 1, len(selected), name, what))
        sys.stderr.flush()
        t0 = time.monotonic()
        watch = harness.LoadWatch()
        try:
            module = importlib.import_module(module_name)
            new_rows, raw[name] = module.run(ctx)
            rows.extend(new_rows)
            load[name] = raw[name]['machine_load'] = watch.stop()
        except Exception:  # pylint: disable=broad-except
            failures.append(name)
            text = traceback.format_exc()
            raw[name] = {'error': text}
            sys.stderr.write(text)
            rows.append(harness.Row('%s: could not be measured (see the traceback above)' % name, '-', '-', '-',
                                    False))
        sys.stderr.write('[%d/%d] %s: %.0f s\n' % (index + 1, len(selected), name, time.monotonic() - t0))
        sys.stderr.flush()

    report = {
        'started': time.strftime('%Y-%m-%dT%H:%M:%S%z', time.localtime(started)),
        'seconds': round(time.time() - started, 1),
        'quick': args.quick,
        'smoke': args.smoke,
        'only': wanted,
        'machine': machine(),
        'rows': [row.as_dict() for row in rows],
        'raw': raw,
    }
    out_dir = os.path.dirname(os.path.abspath(args.output))
    if not os.path.isdir(out_dir):
        os.makedirs(out_dir)
    with open(args.output, 'w') as handle:
        json.dump(report, handle, indent=2, sort_keys=True, default=str)

    info = report['machine']
    mode = ' (--smoke: tiny sizes, the figures mean nothing)' if args.smoke else ' (--quick)' if args.quick else ''
    sys.stdout.write('\noceanbase.obshell benchmarks%s: %s CPUs (%s), Python %s, ansible-core %s; %.0f s\n\n' % (
        mode, info['cpus'], info['cpu_model'], info['python'], info['ansible_core'], report['seconds']))
    harness.print_table(rows, sys.stdout)
    busy = ['%s (%.2f)' % (name, info['foreign_cores']) for name, info in load.items() if info['foreign_cores'] > 0.1]
    if busy:
        sys.stdout.write('\nnote: other processes used CPU during: %s (cores, on average); those figures are less '
                         'reliable: run again on an idle machine\n' % ', '.join(busy))
    sys.stdout.write('\nraw figures: %s\n' % os.path.relpath(args.output))
    # Figures never fail the command; a measurement that could not run does.
    return 1 if failures else 0


def cli():
    """The command: the collection loader goes in first, before anything imports ansible_collections, so the
    lookup can be loaded through ansible's plugin loader in this process (benchmarks.fanout)."""
    _setup_paths()
    from ansible.plugins.loader import init_plugin_loader  # pylint: disable=import-outside-toplevel
    from tests.integration._ansible import COLLECTIONS_DIR  # pylint: disable=import-outside-toplevel
    init_plugin_loader([COLLECTIONS_DIR])
    return main()


if __name__ == '__main__':
    sys.exit(cli())
