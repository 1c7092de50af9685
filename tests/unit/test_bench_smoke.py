# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The benchmark harness (benchmarks/, scripts/bench.sh) still runs. No figure is checked: benchmarks are not
timed tests. Only that the quickest paths produce a table, raw figures, timings and counts."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json

from benchmarks import __main__ as bench_main
from benchmarks import harness
from benchmarks.simproc import SimProcess


def test_quickest_benchmark_prints_the_table_and_writes_raw_figures(tmp_path, capsys):
    output = tmp_path / 'latest.json'
    assert bench_main.main(['--quick', '--only', 'crypto', '--output', str(output)]) == 0
    printed = capsys.readouterr().out
    assert 'metric' in printed and 'comparison' in printed and 'met?' in printed
    assert '7. Auth header encryption per request' in printed and '7. Client import time' in printed
    report = json.loads(output.read_text())
    assert report['quick'] is True and report['machine']['cpus'] >= 1
    headers = report['raw']['crypto']['header_seconds']
    assert set(headers) == {'512', '1024'} and all(v['ours'] > 0 and v['sdk'] > 0 for v in headers.values())
    assert [row['metric'] for row in report['rows']] == ['7. Auth header encryption per request',
                                                         '7. Client import time',
                                                         '7. Import and first client, requests vs http.client']
    imports = report['raw']['crypto']['import_seconds']
    assert all(imports[name] > 0 for name in ('ours', 'ours_first_client', 'http_client_first_client', 'sdk'))


def test_unknown_measurement_is_refused(capsys):
    try:
        bench_main.main(['--only', 'nonsense'])
    except SystemExit as exc:
        assert exc.code == 2
    else:
        raise AssertionError('--only nonsense was accepted')
    assert 'unknown measurement' in capsys.readouterr().err


def test_simulator_process_counts_requests():
    from ansible_collections.oceanbase.obshell.plugins.module_utils import _client, _query

    with SimProcess() as sim:
        addresses = sim.start(agents=2, password=harness.PASSWORD, scenario='idle')
        assert len(addresses) == 2
        for address in addresses:
            host, port = address.rsplit(':', 1)
            with _client.ObshellClient(host, int(port), password=harness.PASSWORD) as client:
                assert _query.list_unfinished(client)[1] == []
        # info, secret and the two summary list reads of a CLUSTER AGENT (cluster DAGs and its own) per agent
        assert sim.count(paths=list(harness.LIST_PATHS), query=harness.SUMMARY_QUERY) == 4
        assert sim.count() == 8
        assert harness.process_cpu_seconds(sim.pid) is not None


def test_the_http_client_baseline_serves_the_client_as_it_calls_its_transport_today():
    # The client calls its transport with the collection's signature (request_timeout included); the baseline that
    # poll_cost and fanout swap in must take every call the client makes, or those benchmarks cannot run.
    from ansible_collections.oceanbase.obshell.plugins.module_utils import _client, _query
    from benchmarks.baseline import http_client_transport
    from benchmarks.baseline_http import HttpTransport

    with SimProcess() as sim:
        host, port = sim.start(agents=1, password=harness.PASSWORD, scenario='idle')[0].rsplit(':', 1)
        with http_client_transport():
            with _client.ObshellClient(host, int(port), password=harness.PASSWORD) as client:
                assert isinstance(client._transport, HttpTransport)
                assert _query.list_unfinished(client)[1] == []
        assert sim.count(paths=list(harness.LIST_PATHS), query=harness.SUMMARY_QUERY) == 2


def test_smoke_sizes_are_small_and_keep_their_order():
    ctx = harness.Context(smoke=True)
    assert ctx.quick and ctx.reps(7, 3) == 1
    assert [ctx.size(n) for n in (1, 3, 10, 100)] == [1, 3, 4, 8]
    full = harness.Context()
    assert [full.size(n) for n in (1, 3, 10, 100)] == [1, 3, 10, 100] and full.reps(7, 3) == 7


def test_playbook_runs_are_timed_by_the_callback():
    run = harness.run_play("""
- name: Smoke
  hosts: bench
  gather_facts: false
  tasks:
    - name: One task
      ansible.builtin.debug:
        msg: hello
""", harness.inventory(['bench']))
    assert run.result.rc == 0, run.result.output
    start, done = run.first('task_start', task='One task'), run.first('ok', task='One task', host='bench')
    assert start is not None and done is not None and start['t'] <= done['t']
    assert run.wall > 0 and run.cpu > 0


def test_table_and_statistics():
    rows = [harness.Row('a metric', '1 ms', '2 ms', '<= 3x', True), harness.Row('another', 'x', 'y', 'z', None)]

    class Out(object):
        text = ''

        def write(self, text):
            self.text += text

    out = Out()
    harness.print_table(rows, out)
    lines = out.text.splitlines()
    assert lines[0].split('|')[-1].strip() == 'met?'
    assert lines[2].split('|')[-1].strip() == 'yes' and lines[3].split('|')[-1].strip() == 'n/a'
    assert harness.percentile([1, 2, 3, 4], 50) == 2.5 and harness.percentile([5], 95) == 5
    assert harness.percentile(list(range(21)), 95) == 19.0


def test_the_latency_benchmark_times_a_task_the_role_has():
    # A renamed role task left the latency benchmark measuring nothing (found by the bench stage in CI).
    import os
    import yaml
    from benchmarks import latency
    tasks = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                         'roles', 'wait_for_tasks', 'tasks', 'main.yml')
    with open(tasks) as handle:
        names = [task.get('name') for task in yaml.safe_load(handle)]
    assert latency.WAIT_TASK in names
