# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""The verdict of a wait: outcomes, their order, and one combined result over the parts of a batch.

Pure functions, standard library only. A *part* is what one wait engine watched: the cluster DAGs (read from one
CLUSTER AGENT), one host's agent DAGs, or one DAG by id. Each part has its own outcome; the batch has the worst.
dag_wait, dag, the wait_for_tasks role and the wait_verdict filter all decide through ``combine``.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.oceanbase.obshell.plugins.module_utils._text import cap_message, cut_text, safe_text

# The verdicts (_vocabulary.VERDICTS) that fail a wait unless fail_on says otherwise.
DEFAULT_FAIL_ON = ('failed', 'rolled_back', 'passed', 'canceled', 'timeout', 'unreachable')
MODES = ('wait', 'assert_idle')

# When parts (or DAGs) end differently, the overall outcome is the first of these that occurs: the worst. 'error'
# (the wait could not be carried out) and 'running' (check mode: something is still running) complete the verdicts.
# Everything that decides "which is worse" reads this one tuple.
SEVERITY = ('error', 'unreachable', 'timeout', 'failed', 'canceled', 'rolled_back', 'passed', 'running',
            'succeeded', 'idle')


def worst(outcomes):
    """The worst of ``outcomes`` by SEVERITY; None for none. An unknown outcome is an error in the caller."""
    outcomes = list(outcomes)
    for outcome in outcomes:
        if outcome not in SEVERITY:
            raise ValueError('unknown outcome %r' % (outcome,))
    for outcome in SEVERITY:
        if outcome in outcomes:
            return outcome
    return None


def part_fails(part, mode, fail_on):
    """Whether one part fails the task: assert_idle fails on anything but idle; wait on error and fail_on."""
    outcome = part.get('outcome')
    if mode == 'assert_idle':
        return outcome != 'idle'
    return outcome == 'error' or outcome in fail_on


def _where(part):
    if part.get('part') == 'cluster':
        return 'cluster DAGs (asked %s via %s)' % (safe_text(part.get('agent') or '?', 80), safe_text(part.get('host') or '?', 80))
    return safe_text(part.get('host') or part.get('agent') or '?', 80)


def _unfinished_lines(part):
    """assert_idle: every unfinished DAG of a part, with its name, state, stage and failure."""
    lines = []
    for dag in part.get('dags') or []:
        if dag.get('outcome') == 'succeeded':
            continue
        text = "DAG %s '%s' %s at %s" % (dag.get('id'), safe_text(dag.get('name') or '?'), dag.get('state'),
                                         dag.get('progress') or '?')
        if dag.get('current_node'):
            text += " '%s'" % safe_text(dag['current_node'])
        if dag.get('failure'):
            text += ' (%s)' % dag['failure'].get('summary')
        lines.append(text)
    return lines


def _part_text(part, mode):
    lines = _unfinished_lines(part) if mode == 'assert_idle' and part.get('outcome') not in ('error', 'unreachable') else []
    if lines:
        return '%s: %s' % (_where(part), '; '.join(lines))
    return '%s: %s' % (_where(part), part.get('msg') or part.get('outcome'))


# Another host's problem in a host's message: each cut to this, and at most this many (the batch's msg and the
# table printed once say the rest), so that a failed batch of many hosts does not repeat every error on every host.
ELSEWHERE_TEXT_LIMIT = 240
ELSEWHERE_PARTS = 2


def _elsewhere(others, mode):
    texts = [cut_text(_part_text(part, mode), ELSEWHERE_TEXT_LIMIT) for part in others[:ELSEWHERE_PARTS]]
    if len(others) > ELSEWHERE_PARTS:
        rest = others[ELSEWHERE_PARTS:]
        texts.append('and %d more (%s; all in the msg of the wait)' % (
            len(rest), ', '.join('%s %s' % (_who(part), part.get('outcome')) for part in rest[:10])
            + (', ...' if len(rest) > 10 else '')))
    return '; '.join(texts)


def _who(part):
    if part.get('part') == 'cluster':
        return 'cluster DAGs'
    return safe_text(part.get('host') or part.get('agent') or '?', 80)


def _dedupe(dags):
    """Each DAG once, in the order first seen: a DAG read by two parts is the same DAG."""
    seen = set()
    kept = []
    for dag in dags:
        key = dag.get('id')
        if key in seen:
            continue
        seen.add(key)
        kept.append(dag)
    return kept


def combine(parts, mode='wait', fail_on=DEFAULT_FAIL_ON, hosts=None):
    """One result for a batch from the results of its parts.

    ``parts`` are part results: dicts with at least ``part`` ('cluster', 'agent', 'all' or 'dag'), ``host`` (the inventory
    host it belongs to) and ``outcome``; usually also ``agent``, ``msg``, ``dags``, ``failures``, ``running``,
    ``remediations``. ``hosts`` are the hosts of the batch (those whose agent DAGs were watched), in order.

    Returns ``outcome`` (the worst part's), ``failed``, ``msg`` (what failed where; for assert_idle every
    unfinished DAG with its host, name and stage), ``dags`` (each once), ``failures`` and ``running`` (with
    ``host``), ``cluster`` (the cluster part or None), ``per_host`` (for each host: its own parts, its outcome and
    the message its task fails with, its agent and its DAGs) and ``remediations``.
    """
    if mode not in MODES:
        raise ValueError('mode must be one of %s, got %r' % (', '.join(MODES), mode))
    fail_on = tuple(fail_on)
    parts = [part for part in parts if isinstance(part, dict)]
    hosts = list(hosts) if hosts is not None else []
    for part in parts:
        if part.get('host') is not None and part['host'] not in hosts:
            hosts.append(part['host'])
    outcome = worst(part.get('outcome') for part in parts) or 'idle'
    failing = [part for part in parts if part_fails(part, mode, fail_on)]
    failed = bool(failing)
    # What failed first, then what was still running when that ended the wait (the operator's next question); else
    # the parts that saw something; else every part.
    shown = failing + [part for part in parts if part not in failing and part.get('outcome') == 'running'
                       and part.get('running')] if failing else [part for part in parts if part.get('dags')] or parts
    head = ('not idle' if mode == 'assert_idle' and failing else outcome)
    msg = cap_message('%s: %s' % (head, '; '.join(_part_text(part, mode) for part in shown)) if shown
                      else '%s: nothing to wait for' % head)
    cluster = next((part for part in parts if part.get('part') == 'cluster'), None)

    failures, running = [], []
    for part in parts:
        for report in part.get('failures') or []:
            failures.append(dict(report, host=part.get('host'), part=part.get('part')))
        for report in part.get('running') or []:
            running.append(dict(report, host=part.get('host'), part=part.get('part')))

    per_host = {}
    for host in hosts:
        own = [part for part in parts if part.get('host') == host and part.get('part') != 'cluster']
        own_text = '; '.join(_part_text(part, mode) for part in own) or '%s: no agent DAGs watched' % safe_text(host, 80)
        if not failed:
            host_msg = '%s: %s' % (outcome, own_text)
        else:
            # Every host of a failed batch fails (one verdict), and each says first what concerns itself.
            mine = [part for part in failing if part in own or part is cluster]
            others = [part for part in failing if part not in mine]
            host_msg = '%s: %s' % (head, '; '.join(_part_text(part, mode) for part in mine) or own_text)
            if others:
                host_msg += '; elsewhere in the batch: ' + _elsewhere(others, mode)
        per_host[host] = {
            'outcome': worst(part.get('outcome') for part in own) or 'idle',
            'failed': failed,
            'msg': cap_message(host_msg),
            'agent': own[0].get('agent') if own else None,
            'dags': _dedupe([dag for part in own for dag in part.get('dags') or []]),
        }
    remediations = []
    for part in parts:
        remediations.extend(part.get('remediations') or [])
    return {
        'mode': mode,
        'outcome': outcome,
        'failed': failed,
        'msg': msg,
        'dags': _dedupe([dag for part in parts for dag in part.get('dags') or []]),
        'failures': failures,
        'running': running,
        'cluster': cluster,
        'per_host': per_host,
        'hosts': hosts,
        'remediations': remediations,
    }


def combine_results(results, mode='wait', fail_on=None):
    """One verdict over dag_wait results registered on several hosts (a dict of host to result, or a list). A host
    whose task failed before it could wait is an ``error`` part of that host, never a silent success; results of
    hosts that skipped the task are left out. TypeError or ValueError for what is not a dag_wait result."""
    if isinstance(results, dict):
        items = list(results.items())
    elif isinstance(results, (list, tuple)):
        items = [(None, result) for result in results]
    else:
        raise TypeError('expects dag_wait results (a dict of host to result, or a list), got %s'
                        % type(results).__name__)
    parts, hosts = [], []
    for host, result in items:
        if not isinstance(result, dict) or result.get('skipped'):
            continue
        if 'parts' not in result:
            if host is None:
                raise ValueError('a result without parts is not a dag_wait result: %s'
                                 % (result.get('msg') or sorted(result)))
            result = {'parts': [{'part': 'agent', 'host': host, 'outcome': 'error', 'dags': [],
                                 'msg': 'could not wait: %s' % (result.get('msg') or 'no result')}]}
        for part in result['parts']:
            parts.append(part)
            if part.get('host') not in hosts:
                hosts.append(part.get('host'))
    if not parts:
        # Nothing was waited on (no result, or every host skipped the wait: a typo in a when, a wrong group): no
        # evidence of anything, so never idle (found by the red team).
        parts = [{'part': 'agent', 'host': None, 'outcome': 'error', 'dags': [],
                  'msg': 'nothing was waited on: %s' % ('every host skipped the wait' if items else 'no result')}]
    combined = combine(parts, mode=mode, fail_on=fail_on if fail_on is not None else DEFAULT_FAIL_ON, hosts=hosts)
    combined['parts'] = parts
    return combined


def stats(result):
    """The wait as custom stats (ansible.builtin.set_stats' ``data``, shown in AWX's job artifacts): for each host of
    the batch, its outcome and DAGs; the cluster part under the host it was read through, ``[cluster]`` added."""
    waits = {}
    cluster = result.get('cluster')
    if cluster:
        waits['%s [cluster]' % cluster.get('host')] = _stats_entry(cluster.get('outcome'), cluster.get('elapsed'),
                                                                   cluster.get('dags'))
    parts = result.get('parts') or []
    for host in result.get('hosts') or []:
        mine = (result.get('per_host') or {}).get(host) or {}
        times = [part['elapsed'] for part in parts if part.get('host') == host and part.get('part') != 'cluster'
                 and part.get('elapsed') is not None]
        elapsed = max(times) if times else None
        waits[host] = _stats_entry(mine.get('outcome'), elapsed, mine.get('dags'))
    return {'obshell_waits': waits}


def _stats_entry(outcome, elapsed, dags):
    return {'outcome': outcome, 'elapsed': elapsed,
            'dags': [{'id': dag.get('id'), 'name': dag.get('name'), 'outcome': dag.get('outcome')}
                     for dag in dags or []]}
