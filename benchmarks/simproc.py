# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The simulator in its own process, driven over a pipe.

A measurement that runs a client in the benchmark process (the lookup, the SDK) must not share the GIL with a
100-agent simulator, and a measurement of controller CPU must not count the simulator's. ``python -m
benchmarks.simproc`` holds ``SimCluster`` objects and answers one JSON command per line on stdin with one JSON
line on stdout. RSA keys are cached per process by the simulator, so a second 100-agent cluster starts at once.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import subprocess
import sys
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _serve():
    sys.path.insert(0, REPO_ROOT)
    from tests.simulator import SimCluster  # pylint: disable=import-outside-toplevel

    sim = None
    for line in sys.stdin:
        command = json.loads(line)
        name = command.pop('cmd')
        reply = {}
        try:
            if name == 'start':
                if sim is not None:
                    sim.stop()
                sim = SimCluster(base_port=0, **command).start()
                reply['agents'] = [agent.address for agent in sim.agents]
            elif name == 'stop':
                if sim is not None:
                    sim.stop()
                sim = None
            elif name == 'requests':
                # Only what the benchmarks read, to keep the pipe small.
                since = command.get('since', 0.0)
                reply['requests'] = [
                    {'agent': r['agent'], 'method': r['method'], 'path': r['path'], 'query': r['query'],
                     'time': r['time'], 'response_bytes': r['response_bytes'], 'status': r['status']}
                    for r in sim.requests if r['time'] >= since]
            elif name == 'count':
                since = command.get('since', 0.0)
                until = command.get('until', float('inf'))
                paths = command.get('paths')
                query = command.get('query')
                reply['count'] = sum(1 for r in sim.requests
                                     if since <= r['time'] < until and (paths is None or r['path'] in paths)
                                     and (query is None or r['query'] == query))
            elif name == 'agents_polled':
                # How many agents have answered at least `min` requests on the given paths since `since`.
                per_agent = {}
                for r in sim.requests:
                    if r['time'] >= command.get('since', 0.0) and r['path'] in command['paths']:
                        per_agent[r['agent']] = per_agent.get(r['agent'], 0) + 1
                reply['count'] = sum(1 for n in per_agent.values() if n >= command.get('min', 1))
            elif name == 'counters':
                reply['counters'] = sim.counters()
            elif name == 'reset':
                sim.reset_log()
            elif name == 'delay':
                for agent in sim.agents:
                    agent.clear_faults()
                    if command['seconds'] > 0:
                        agent.inject_delay(command['seconds'], count=command.get('count', 1000000))
            elif name == 'finish':
                # Complete the current node of the named DAG now (it was held): the waits see it end.
                with sim.lock:
                    sim.get_dag(sim.find_dag(command['name'])).next_at = time.monotonic()
                sim.wake()
            elif name == 'pid':
                reply['pid'] = os.getpid()
            elif name == 'exit':
                break
            else:
                reply['error'] = 'unknown command %r' % name
        except Exception as exc:  # pylint: disable=broad-except
            reply['error'] = '%s: %s' % (type(exc).__name__, exc)
        sys.stdout.write(json.dumps(reply) + '\n')
        sys.stdout.flush()
    if sim is not None:
        sim.stop()


class SimProcess(object):
    """The benchmark side: ``with SimProcess() as sim: sim.start(agents=100)``."""

    def __init__(self, python=None):
        self.proc = subprocess.Popen([python or sys.executable, '-m', 'benchmarks.simproc'], cwd=REPO_ROOT,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, universal_newlines=True)
        self.pid = self.proc.pid

    def call(self, cmd, **kwargs):
        kwargs['cmd'] = cmd
        self.proc.stdin.write(json.dumps(kwargs) + '\n')
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError('the simulator process died (exit status %s)' % self.proc.poll())
        reply = json.loads(line)
        if reply.get('error'):
            raise RuntimeError('simulator: %s' % reply['error'])
        return reply

    def start(self, **kwargs):
        """Start a cluster (SimCluster keyword arguments); returns the agent addresses."""
        return self.call('start', **kwargs)['agents']

    def requests(self, since=0.0):
        return self.call('requests', since=since)['requests']

    def count(self, since=0.0, until=None, paths=None, query=None):
        kwargs = {'since': since, 'paths': paths, 'query': query}
        if until is not None:
            kwargs['until'] = until
        return self.call('count', **kwargs)['count']

    def close(self):
        if self.proc.poll() is None:
            try:
                self.call('exit')
            except (RuntimeError, OSError, ValueError):
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


if __name__ == '__main__':
    _serve()
