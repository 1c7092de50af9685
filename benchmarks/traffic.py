# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""2. Traffic per poll during a scale-out wait: dag_wait vs the official SDK's ``wait_dag_succeed``.

Three simulated 3-agent clusters run the same built-in ``scale_out`` scenario, started together. The SDK
(unmodified, PyPI ``obshell``) waits on the first by the DAG's id; dag_wait (in ansible-playbook, ``poll_interval``
3 s, the SDK's fixed interval) waits on the second the way the role does, by scope ``auto`` (every unfinished DAG
of the agent: the cluster's and its own), and on the third like the SDK, on one DAG by ``id``. Requests and
response bytes are read from each simulator's request log. A poll of a scope wait starts with its list read, a
poll of an id wait (ours or the SDK's) with its read of the DAG; the requests up to the next poll belong to it. A
poll is *steady* when the DAG is at the same stage as at the previous poll (from the simulator's event log), i.e.
nothing changed between the two polls.

Why a scope-auto poll reads two lists where an id poll reads one DAG: on a CLUSTER AGENT the one aggregated list
(``/dag/unfinish``) answers success without the cluster DAGs while the agent cannot read them (its observer down or
restarting: obshell-api.md §11.6), so "nothing unfinished" would be a lie. The wait reads the two lists that fail
visibly instead: ``/dag/ob/unfinish`` and ``/dag/agent/unfinish``. An id wait knows its DAG and reads only it.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import threading

from benchmarks import harness

POLL_INTERVAL = 3.0     # the SDK's wait_dag_succeed sleeps 3 s between polls

OURS_PLAY = """
- name: dag_wait on a scale-out
  hosts: obs1
  gather_facts: false
  tasks:
    - name: Wait for the scale-out
      oceanbase.obshell.dag_wait:
        host: 127.0.0.1
        port: {port}
        password: {password}
        names: [Cluster scale out]
        poll_interval: {poll}
        timeout: 600
        progress: false
      register: waited
    - name: Report
      ansible.builtin.debug:
        msg: "BENCH polls={{{{ waited.polls }}}} outcome={{{{ waited.outcome }}}}"
"""

BY_ID_PLAY = OURS_PLAY.replace('names: [Cluster scale out]', 'id: "{gid}"').replace(
    'dag_wait on a scale-out', 'dag_wait on one DAG by id')


def _stage_changes(sim, gid):
    """Monotonic times of the DAG's stage changes, and of its end (None if it has not ended)."""
    changes, finished = [], None
    for when, kind, dag_id, dummy_detail in sim.events:
        if dag_id != gid:
            continue
        if kind == 'node':
            changes.append(when)
        elif kind == 'finished':
            finished = when
    return changes, finished


def analyse(sim, gid, is_poll):
    """Requests and bytes of a wait, counted the same way for both clients. A poll starts with the request
    ``is_poll`` recognises (ours: the list read; the SDK's: its read of the DAG) and holds every request up to the
    next one; it is steady when the DAG is at the same stage as at the previous poll (no stage change, no end
    between the two)."""
    requests = sorted(sim.requests, key=lambda r: r['time'])
    changes, finished = _stage_changes(sim, gid)
    polls = [index for index, r in enumerate(requests) if is_poll(r, requests[index - 1] if index else None)]
    steady_requests, steady_bytes, steady_polls = 0, 0, 0
    for number, start in enumerate(polls):
        end = polls[number + 1] if number + 1 < len(polls) else len(requests)
        if number == 0:
            continue
        t_prev, t_now = requests[polls[number - 1]]['time'], requests[start]['time']
        changed = any(t_prev < when <= t_now for when in changes)
        ended = finished is not None and finished <= t_now
        if changed or ended:
            continue
        steady_polls += 1
        steady_requests += end - start
        steady_bytes += sum(r['response_bytes'] for r in requests[start:end])
    detail_reads = sum(1 for r in requests if r['path'].startswith('/api/v1/task/dag/')
                       and r['path'] not in harness.LIST_PATHS and r['query'] == 'show_details=true')
    return dict(_totals(requests, polls), **{
        'steady_polls': steady_polls,
        'steady_requests_per_poll': steady_requests / float(steady_polls) if steady_polls else None,
        'steady_bytes_per_poll': steady_bytes / float(steady_polls) if steady_polls else None,
        'detail_reads': detail_reads,
        'stage_changes': len(changes),
        'by_path': _by_path(requests),
    })


def _list_read(r):
    return r is not None and r['path'] in harness.LIST_PATHS and r['query'] == harness.SUMMARY_QUERY


def analyse_ours(sim, gid):
    # A poll of a CLUSTER AGENT reads the cluster list, then the agent's own list: the second is not a new poll.
    return analyse(sim, gid, lambda r, prev: _list_read(r) and not (
        r['path'].endswith('/dag/agent/unfinish') and _list_read(prev) and prev['path'].endswith('/dag/ob/unfinish')))


def analyse_sdk(sim, gid):
    return analyse(sim, gid, lambda r, prev: r['path'] == '/api/v1/task/dag/%s' % gid)


def analyse_by_id(sim, gid):
    # A poll reads the DAG without details; a read with details (first seen, failed, ended) belongs to that poll.
    return analyse(sim, gid, lambda r, prev: r['path'] == '/api/v1/task/dag/%s' % gid
                   and r['query'] != 'show_details=true')


def _totals(requests, polls):
    """Requests and response bytes of a whole wait, in all and per poll."""
    total_bytes = sum(r['response_bytes'] for r in requests)
    return {'polls': len(polls), 'requests': len(requests), 'response_bytes': total_bytes,
            'requests_per_poll': len(requests) / float(len(polls)), 'bytes_per_poll': total_bytes / float(len(polls))}


def _by_path(requests):
    out = {}
    for r in requests:
        key = '%s %s%s' % (r['method'], r['path'], '?' + r['query'] if r['query'] else '')
        entry = out.setdefault(key, {'requests': 0, 'response_bytes': 0})
        entry['requests'] += 1
        entry['response_bytes'] += r['response_bytes']
    return out


def _share(fraction):
    return '1/%.1f' % (1 / fraction) if fraction else 'n/a'


def run(ctx):
    from tests.simulator import SimCluster  # pylint: disable=import-outside-toplevel
    from obshell import ClientSet  # pylint: disable=import-outside-toplevel
    from obshell.auth.password import PasswordAuth  # pylint: disable=import-outside-toplevel

    step = 4.0 if ctx.smoke else 5.0 if ctx.quick else 8.0
    options = dict(agents=3, scenario='scale_out', step_seconds=step, password=harness.PASSWORD)
    sdk_sim = SimCluster(**options)
    our_sim = SimCluster(**options)
    id_sim = SimCluster(**options)
    sdk_result = {}
    try:
        # Started together: the same DAG, at the same moment, in all three.
        sdk_sim.start()
        our_sim.start()
        id_sim.start()
        sdk_gid = sdk_sim.find_dag('Cluster scale out')
        our_gid = our_sim.find_dag('Cluster scale out')
        id_gid = id_sim.find_dag('Cluster scale out')
        agent = sdk_sim.agents[0]

        def sdk_wait():
            client = ClientSet(agent.host, agent.port, PasswordAuth(harness.PASSWORD)).v1
            dag = client.wait_dag_succeed(sdk_gid)
            sdk_result['state'] = dag.state

        sdk_thread = threading.Thread(target=sdk_wait, name='sdk-wait')
        sdk_thread.daemon = True
        sdk_thread.start()
        id_thread, id_play = harness.run_play_in_thread(
            BY_ID_PLAY.format(port=id_sim.agents[0].port, password=harness.PASSWORD, poll=POLL_INTERVAL, gid=id_gid),
            harness.inventory(['obs1']))
        play = harness.run_play(OURS_PLAY.format(port=our_sim.agents[0].port, password=harness.PASSWORD,
                                                 poll=POLL_INTERVAL), harness.inventory(['obs1']))
        sdk_thread.join(600)
        id_thread.join(600)
        ours = analyse_ours(our_sim, our_gid)
        by_id = analyse_by_id(id_sim, id_gid)
        sdk = analyse_sdk(sdk_sim, sdk_gid)
    finally:
        sdk_sim.stop()
        our_sim.stop()
        id_sim.stop()
    if id_play.error is not None:
        raise id_play.error
    for name, run_ in (('scope auto', play), ('id', id_play)):
        if run_.result.rc != 0 or 'outcome=succeeded' not in run_.result.stdout:
            raise RuntimeError('the dag_wait by %s did not succeed:\n%s' % (name, run_.result.output[-3000:]))
    ours['rc'] = play.result.rc
    by_id['rc'] = id_play.result.rc
    sdk['state'] = sdk_result.get('state')
    steady_share = harness.ratio(ours['steady_bytes_per_poll'] or 0, sdk['steady_bytes_per_poll'])
    whole_share = harness.ratio(ours['bytes_per_poll'], sdk['bytes_per_poll'])
    rows = [
        # Like for like: the SDK waits on one DAG by id, and so does dag_wait id=...
        harness.Row('2. Requests per poll, steady state, one DAG by id (dag_wait id=...)',
                    '%.2f (%d steady of %d polls)' % (
                        by_id['steady_requests_per_poll'] or 0, by_id['steady_polls'], by_id['polls']),
                    'SDK wait_dag_succeed: %.2f (%d steady of %d polls)' % (
                        sdk['steady_requests_per_poll'] or 0, sdk['steady_polls'], sdk['polls']),
                    '1', by_id['steady_requests_per_poll'] is not None and by_id['steady_requests_per_poll'] <= 1.0),
        # The role's wait: every unfinished DAG of the agent, through the two lists that fail visibly (§11.6).
        harness.Row('2. Requests per poll, steady state, scope auto (2 lists: cluster DAGs + the agent\'s own)',
                    '%.2f (%d steady of %d polls)' % (
                        ours['steady_requests_per_poll'] or 0, ours['steady_polls'], ours['polls']),
                    'no SDK counterpart (it waits on a DAG it knows); the aggregated list hides unread cluster DAGs',
                    '2', ours['steady_requests_per_poll'] is not None and ours['steady_requests_per_poll'] <= 2.0),
        harness.Row('2. Response bytes per poll, steady state',
                    '%s' % harness.kib(ours['steady_bytes_per_poll'] or 0),
                    'SDK: %s (ours = %s)' % (harness.kib(sdk['steady_bytes_per_poll']), _share(steady_share)),
                    '<= 1/5 of SDK', ours['steady_polls'] > 0 and steady_share <= 0.2),
        harness.Row('2. Response bytes per poll, whole wait (%d stages, %g s poll)' % (9, POLL_INTERVAL),
                    '%s (%d polls, %d detail read%s)' % (
                        harness.kib(ours['bytes_per_poll']), ours['polls'], ours['detail_reads'],
                        '' if ours['detail_reads'] == 1 else 's'),
                    'SDK: %s (%d polls; ours = %s)' % (
                        harness.kib(sdk['bytes_per_poll']), sdk['polls'], _share(whole_share)),
                    '<= 1/5 of SDK', whole_share <= 0.2),
    ]
    raw = {'step_seconds': step, 'poll_interval': POLL_INTERVAL, 'ours': ours, 'by_id': by_id, 'sdk': sdk,
           'steady_share': steady_share, 'whole_share': whole_share}
    return rows, raw
