# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""The DAG wait engine of dag_wait, and the driver that feeds it from one OBShell agent.

``WaitEngine`` is pure: no I/O, no sleeping. Time comes from an injected ``clock()`` that returns seconds since the
wait started. The engine is fed the results of each poll (a list read or a read of one DAG, then follow-up reads
of single DAGs it asked for), emits progress lines, and decides the verdict. Its state is plain JSON
(``to_state``/``from_state``), so a wait can run in slices in separate module runs (dag_wait with
``run_on=target``) and still keep every DAG it has seen.

``WaitDriver`` does the HTTP with an ObshellClient and sleeps between polls. Section numbers (§x.y) refer to the
protocol spec (obshell-api.md).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy
import time

from ansible_collections.oceanbase.obshell.plugins.module_utils import _dag, _options, _query
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import ObshellError, ObshellNotFoundError

# Overall outcomes. 'error' (the wait could not be carried out: bad credentials, TLS, an unknown id...) and
# 'running' (check mode only: something is running now) complete the list of the issue.
OUTCOMES = ('idle', 'succeeded', 'failed', 'rolled_back', 'passed', 'canceled', 'timeout', 'unreachable')
FAIL_ON_CHOICES = OUTCOMES
DEFAULT_FAIL_ON = ('failed', 'rolled_back', 'passed', 'canceled', 'timeout', 'unreachable')

# When several DAGs end differently, the overall outcome is the worst one, in this order.
_SEVERITY = ('error', 'unreachable', 'timeout', 'failed', 'canceled', 'rolled_back', 'passed', 'succeeded',
             'running', 'idle')

MIN_POLL_INTERVAL = 0.5
# Reads of a failed DAG's details tried before a verdict is given without them.
DETAIL_ATTEMPTS = 3
STATE_VERSION = 1

# The wait options of dag_wait (documented in its DOCUMENTATION). `timeout` is the overall deadline here, so the
# per-request timeout of the connection options is `request_timeout`.
WAIT_ARGSPEC = dict(
    timeout=dict(type='float', default=3600.0),
    request_timeout=dict(type='float', default=10.0),
    poll_interval=dict(type='float', default=5.0),
    appear_timeout=dict(type='float', default=0.0),
    unreachable_timeout=dict(type='float', default=300.0),
    fail_on=dict(type='list', elements='str', choices=list(FAIL_ON_CHOICES), default=list(DEFAULT_FAIL_ON)),
    progress=dict(type='bool', default=True),
    run_on=dict(type='str', default='controller', choices=['controller', 'target']),
    _slice=dict(type='dict'),
)


def wait_argument_spec():
    """The argspec of dag_wait: connection + query (with id) + wait options, shared by module and action."""
    spec = _options.argument_spec(_options.QUERY_ARGSPEC, WAIT_ARGSPEC)
    spec.setdefault('id', dict(type='str'))
    return spec


def check_wait_options(params):
    """Messages for values the argspec types cannot express (each names its option)."""
    errors = []
    connection = dict(params)
    connection['timeout'] = params.get('request_timeout')
    errors.extend(m.replace('timeout must', 'request_timeout must', 1) if m.startswith('timeout must') else m
                  for m in _options.check_connection_options(connection))
    if params.get('timeout') is not None and float(params['timeout']) <= 0:
        errors.append('timeout must be a positive number of seconds (the overall deadline), got %s'
                      % params['timeout'])
    if params.get('poll_interval') is not None and float(params['poll_interval']) < MIN_POLL_INTERVAL:
        errors.append('poll_interval must be at least %s seconds, got %s'
                      % (MIN_POLL_INTERVAL, params['poll_interval']))
    for name in ('appear_timeout', 'unreachable_timeout'):
        if params.get(name) is not None and float(params[name]) < 0:
            errors.append('%s must be 0 or more seconds, got %s' % (name, params[name]))
    if params.get('id') is not None:
        try:
            _dag.validate_generic_id(params['id'])
        except ValueError as exc:
            errors.append('id: %s' % exc)
    try:
        _dag.compile_name_filter(params.get('names'))
    except ValueError as exc:
        errors.append(str(exc))
    return errors


def client_params(params):
    """Connection options for client_from_options: the per-request timeout is `request_timeout`, and the client
    does not retry on its own (the wait retries failed polls itself, within its deadlines)."""
    connection = dict(params)
    connection['timeout'] = params.get('request_timeout') or 10.0
    connection['retries'] = 0
    return connection


def format_seconds(seconds):
    return _dag.format_elapsed(seconds)


def _worst(outcomes):
    ranked = [o for o in _SEVERITY if o in outcomes]
    return ranked[0] if ranked else None


def _error_text(error):
    return str(error) if error is not None else None


class WaitEngine(object):
    """The wait as a state machine. All times are seconds since the wait started, as given by ``clock()``.

    One poll: ``begin_poll()``; then ``main_read(records)`` (the matching unfinished DAGs, or the one DAG of
    ``dag_id`` mode as a one-item list, or [] when it does not exist yet) or ``main_failed(error)``; then, for each
    ``(dag_id, details)`` of ``follow_ups()``, ``dag_read(record, details)`` or ``dag_read_failed(dag_id, error)``
    until ``follow_ups()`` is empty; then ``end_poll()`` returns the progress lines of what changed. ``verdict()``
    is None while the wait goes on; ``next_delay()`` says how long to sleep before the next poll.
    """

    def __init__(self, timeout=3600.0, poll_interval=5.0, appear_timeout=0.0, unreachable_timeout=300.0,
                 fail_on=DEFAULT_FAIL_ON, dag_id=None, agent=None, clock=None, check_mode=False,
                 backoff_cap=10.0):
        self.timeout = float(timeout)
        self.poll_interval = max(float(poll_interval), MIN_POLL_INTERVAL)
        self.appear_timeout = max(float(appear_timeout or 0), 0.0)
        self.unreachable_timeout = max(float(unreachable_timeout), 0.0)
        self.fail_on = tuple(fail_on if fail_on is not None else DEFAULT_FAIL_ON)
        self.dag_id = dag_id
        self.agent = agent
        self.check_mode = bool(check_mode)
        self.backoff_base = min(self.poll_interval, 1.0)
        self.backoff_cap = max(self.poll_interval, float(backoff_cap))
        self._clock = clock if clock is not None else _Stopwatch()
        # --- serializable state
        self.polls = 0
        self.good_reads = 0
        self.tracked = {}           # generic id -> see _track()
        self.order = []             # ids in the order first seen
        self.down_since = None      # when the first failed read of the current outage happened
        self.failures = 0           # consecutive failed main reads (resets on a good read)
        self.last_error = None      # dict of the last failed main read
        self.fatal = None           # dict: an error that ends the wait at once
        self.poll_started_at = None
        self.next_poll_at = 0.0
        self.announced_appear = False
        self.events = []            # every progress line of the wait, in order
        self._poll_events = []
        self._attempted = set()     # (id, details) tried in the current poll

    # ------------------------------------------------------------------ time

    def now(self):
        return float(self._clock())

    # ------------------------------------------------------------------ serialization

    def to_state(self):
        return {
            'version': STATE_VERSION,
            'polls': self.polls,
            'good_reads': self.good_reads,
            'tracked': copy.deepcopy(self.tracked),
            'order': list(self.order),
            'down_since': self.down_since,
            'failures': self.failures,
            'last_error': self.last_error,
            'fatal': self.fatal,
            'next_poll_at': self.next_poll_at,
            'announced_appear': self.announced_appear,
            'events': list(self.events),
        }

    def load_state(self, state):
        version = state.get('version') if isinstance(state, dict) else None
        if version != STATE_VERSION:
            raise ValueError('unusable wait state (version %r)' % (version,))
        self.polls = int(state['polls'])
        self.good_reads = int(state['good_reads'])
        self.tracked = copy.deepcopy(state['tracked'])
        self.order = list(state['order'])
        self.down_since = state['down_since']
        self.failures = int(state['failures'])
        self.last_error = state['last_error']
        self.fatal = state['fatal']
        self.next_poll_at = float(state['next_poll_at'])
        self.announced_appear = bool(state['announced_appear'])
        self.events = list(state['events'])
        return self

    # ------------------------------------------------------------------ one poll

    def begin_poll(self):
        self.polls += 1
        self.poll_started_at = self.now()
        self._poll_events = []
        self._attempted = set()

    def main_read(self, records):
        """A good read: the matching unfinished DAGs (list mode), or [the DAG] / [] (id mode)."""
        now = self.now()
        if self.down_since is not None:
            self._emit('agent %s is answering again after %s'
                       % (self.agent or 'the agent', format_seconds(now - self.down_since)))
        self.down_since = None
        self.failures = 0
        self.good_reads += 1
        seen = set()
        for record in records:
            dag_id = record['id']
            seen.add(dag_id)
            entry = self.tracked.get(dag_id)
            if entry is None:
                entry = self._track(record, now)
            else:
                self._update(entry, record, now)
            entry['in_list'] = True
            entry['left'] = False
            entry['final'] = record['outcome'] != 'running'
        if self.dag_id is None:
            for dag_id in self.order:
                entry = self.tracked[dag_id]
                if dag_id not in seen and entry['in_list']:
                    # Gone from the unfinished list: finished (SUCCEED, a non-maintenance FAILED, PASS). Its
                    # final state is read from /dag/{id} (§4.7); until then it is not final. This holds for a
                    # failed maintenance DAG too: it leaves the list only when someone acted on it (PASS).
                    entry['in_list'] = False
                    entry['left'] = True
                    entry['final'] = False
        if not self.tracked and self.appear_timeout > 0 and not self.announced_appear and not self.check_mode:
            self.announced_appear = True
            self._emit('no matching DAG yet; waiting up to %s for one to appear' % format_seconds(self.appear_timeout))

    def main_failed(self, error):
        """The list (or the DAG in id mode) could not be read. Before any good read, an error that is not about
        reaching the agent (auth, TLS, protocol, identity, a missing id) ends the wait at once: waiting cannot fix
        a configuration. After a good read every error counts as an outage (an agent restarting during an upgrade
        may answer oddly for a moment) and is retried until unreachable_timeout."""
        now = self.now()
        info = error.to_dict() if isinstance(error, ObshellError) else {'kind': 'error', 'message': str(error)}
        self.last_error = info
        reachability = isinstance(error, ObshellError) and error.retryable
        if not reachability and self.good_reads == 0:
            self.fatal = info
            return
        self.failures += 1
        if self.down_since is None:
            self.down_since = now
            self._emit('agent %s is not answering (%s); retrying for up to %s'
                       % (self.agent or 'the agent', _error_text(error), format_seconds(self.unreachable_timeout)))

    def follow_ups(self):
        """(dag_id, details) reads wanted now, each at most once per poll; details: False = summary, True = nodes."""
        if self.fatal is not None or self.down_since is not None:
            return []
        wanted = []
        for dag_id in self.order:
            entry = self.tracked[dag_id]
            if entry['left']:
                request = (dag_id, False)
            elif self._needs_details(entry):
                request = (dag_id, True)
            else:
                continue
            if request not in self._attempted:
                wanted.append(request)
        return wanted

    def dag_read(self, record, details, node_names=None):
        """A read of /dag/{id}: a summary (details False) or with nodes (details True, with their ``node_names``)."""
        now = self.now()
        dag_id = record['id']
        self._attempted.add((dag_id, bool(details)))
        entry = self.tracked.get(dag_id)
        if entry is None:
            entry = self._track(record, now)
        else:
            self._update(entry, record, now)
        entry['read_error'] = None
        final = record['outcome'] != 'running'
        if entry['left']:
            # Left the list: only a read showing a final state settles it. A read still showing it running (a
            # race with the list) keeps it pending, and it is read again next poll.
            if final:
                entry['left'] = False
                entry['final'] = True
        else:
            entry['final'] = final
        if details:
            entry['detail_stage'] = record.get('stage')
            entry['detail_attempts'] = 0
            if node_names:
                entry['node_names'] = list(node_names)
            if record.get('state') == 'FAILED':
                entry['failure_details'] = bool((record.get('failure') or {}).get('node'))

    def dag_read_failed(self, dag_id, error, details):
        self._attempted.add((dag_id, bool(details)))
        entry = self.tracked.get(dag_id)
        if entry is None:
            return
        entry['read_error'] = _error_text(error)
        if details:
            entry['detail_attempts'] += 1

    def end_poll(self):
        """Progress lines for every DAG whose state, operator, stage or node changed in this poll."""
        for dag_id in self.order:
            entry = self.tracked[dag_id]
            record = entry['record']
            key = [record.get('state'), record.get('operator'), record.get('stage'), record.get('current_node')]
            if key != entry['line_key']:
                entry['line_key'] = key
                self._emit(_dag.progress_line(None, record))
        lines = self._poll_events
        self._poll_events = []
        return lines

    # ------------------------------------------------------------------ decisions

    def verdict(self):
        """None while the wait goes on; else the outcome (see OUTCOMES, plus 'error' and check mode's 'running')."""
        if self.fatal is not None:
            return 'error'
        now = self.now()
        deadline_passed = now >= self.timeout
        entries = [self.tracked[i] for i in self.order]
        finals = [e for e in entries if e['final']]
        pending = [e for e in entries if not e['final']]

        blocking = [e for e in finals if e['record']['outcome'] in self.fail_on]
        if blocking and (deadline_passed or self.check_mode or self.down_since is not None
                         or all(self._settled(e) for e in blocking)):
            # Fail fast: a final outcome that fails the task ends the wait even while other DAGs run.
            return _worst([e['record']['outcome'] for e in blocking])
        if self.down_since is not None:
            if now - self.down_since >= self.unreachable_timeout or deadline_passed or self.check_mode:
                return 'unreachable'
            return None
        if self.good_reads == 0:
            return 'timeout' if deadline_passed else None
        if not entries:
            if self.check_mode or now >= self.appear_timeout or deadline_passed:
                return 'idle'
            return None
        if self.check_mode:
            return 'running' if pending else _worst([e['record']['outcome'] for e in finals])
        if not pending and (deadline_passed or all(self._settled(e) for e in finals)):
            return _worst([e['record']['outcome'] for e in finals])
        if deadline_passed:
            return 'timeout'
        return None

    def next_delay(self):
        """Seconds to sleep before the next poll: the poll interval from the start of the last poll, or a capped
        backoff during an outage, never past the deadline, the end of the appear window or of the outage budget."""
        now = self.now()
        started = self.poll_started_at if self.poll_started_at is not None else now
        if self.down_since is not None:
            at = now + self.backoff(self.failures)
            at = min(at, self.down_since + self.unreachable_timeout)
        else:
            at = started + self.poll_interval
            if not self.tracked and now < self.appear_timeout:
                at = min(at, self.appear_timeout)
        at = min(at, self.timeout)
        self.next_poll_at = at
        return max(0.0, at - now)

    def backoff(self, failures):
        """Delay after the n-th consecutive failed read: doubling from min(poll_interval, 1 s), capped at
        max(poll_interval, backoff_cap). Deterministic: one controller polls few agents, so no jitter."""
        if failures <= 0:
            return self.poll_interval
        return min(self.backoff_cap, self.backoff_base * (2 ** (failures - 1)))

    # ------------------------------------------------------------------ result

    def result(self, outcome=None):
        """The module result for a verdict (``changed`` is always false)."""
        if outcome is None:
            outcome = self.verdict()
        now = self.now()
        records = [self.tracked[i]['record'] for i in self.order]
        result = {
            'changed': False,
            'outcome': outcome,
            'dags': copy.deepcopy(records),
            'elapsed': round(now, 2),
            'polls': self.polls,
            'failures': [],
            'running': [],
            'unreachable_agent': None,
            'error': None,
            'events': list(self.events),
        }
        for record in records:
            if record['outcome'] in ('failed', 'canceled'):
                result['failures'].append(failure_report(record))
        for dag_id in self.order:
            entry = self.tracked[dag_id]
            if not entry['final']:
                result['running'].append(self._running_report(entry, now))
        if self.down_since is not None:
            result['unreachable_agent'] = {
                'agent': self.agent,
                'for_seconds': round(now - self.down_since, 1),
                'error': self.last_error,
            }
        if outcome == 'error':
            result['error'] = self.fatal
        # 'running' (check mode) is never listed in fail_on; 'error' always fails.
        result['failed'] = outcome == 'error' or outcome in self.fail_on
        result['msg'] = self._message(outcome, result)
        return result

    def _message(self, outcome, result):
        elapsed = format_seconds(result['elapsed'])
        if outcome == 'error':
            return 'cannot wait: %s' % (self.fatal or {}).get('message')
        if outcome == 'idle':
            if self.dag_id is not None:
                return 'DAG %s does not exist (or does not match names)' % self.dag_id
            return 'no matching unfinished DAG; nothing to wait for'
        if outcome == 'unreachable':
            info = result['unreachable_agent'] or {}
            text = 'agent %s has not answered for %s (unreachable_timeout %ss): %s' % (
                self.agent or '?', format_seconds(info.get('for_seconds')), _trim(self.unreachable_timeout),
                (info.get('error') or {}).get('message'))
            if result['running']:
                text += '; last known: ' + '; '.join(r['summary'] for r in result['running'])
            return text
        if outcome == 'timeout':
            text = 'timed out after %s (timeout %ss)' % (elapsed, _trim(self.timeout))
            if result['running']:
                text += ': ' + '; '.join(r['summary'] for r in result['running'])
            return text
        if outcome in ('failed', 'canceled') and result['failures']:
            texts = [f['summary'] for f in result['failures']]
            return '; '.join(texts)
        if outcome == 'running':
            return 'check mode: still running: ' + '; '.join(r['summary'] for r in result['running'])
        records = result['dags']
        parts = []
        for record in records:
            parts.append("DAG %s '%s' %s" % (record['id'], record.get('name') or '?', _OUTCOME_WORDS.get(
                record['outcome'], record['outcome'])))
        text = '; '.join(parts)
        if outcome in ('rolled_back', 'passed'):
            text += ' (the operation did not take effect as a success)' if outcome == 'rolled_back' else \
                ' (a failed step was skipped, not done)'
        return '%s after %s' % (text, elapsed)

    def _running_report(self, entry, now):
        record = entry['record']
        where = "%s '%s'" % (record.get('progress') or '?', record.get('current_node') or '?') \
            if record.get('current_node') else (record.get('progress') or '?')
        at_stage = round(now - entry['stage_since'], 1)
        if entry['left']:
            summary = "DAG %s '%s' left the unfinished list but its final state is unknown" % (
                record['id'], record.get('name') or '?')
            if entry.get('read_error'):
                summary += ' (reading it failed: %s)' % entry['read_error']
        else:
            summary = "DAG %s '%s' still %s at %s for %s (running %s)" % (
                record['id'], record.get('name') or '?', record.get('state') or '?', where,
                format_seconds(at_stage), format_seconds(record.get('elapsed_seconds')))
        return {
            'id': record['id'],
            'name': record.get('name'),
            'state': record.get('state'),
            'progress': record.get('progress'),
            'current_node': record.get('current_node'),
            'stage_seconds': at_stage,
            'elapsed_seconds': record.get('elapsed_seconds'),
            'final_state_unknown': bool(entry['left']),
            'summary': summary,
        }

    # ------------------------------------------------------------------ internals

    def _emit(self, line):
        self._poll_events.append(line)
        self.events.append(line)

    def _track(self, record, now):
        entry = {
            'record': record,
            'in_list': False,
            'left': False,
            'final': record['outcome'] != 'running',
            'detail_stage': None,
            'detail_attempts': 0,
            # Node names from the first read with details: they never change in a DAG's life, so a later stage
            # change is named from here instead of reading all the details again (the bulk of a wait's bytes).
            'node_names': None,
            'failure_details': False,
            'read_error': None,
            'first_seen': now,
            'stage_since': now,
            'line_key': None,
        }
        self.tracked[record['id']] = entry
        self.order.append(record['id'])
        return entry

    def _update(self, entry, record, now):
        old = entry['record']
        merged = dict(record)
        if record.get('stage') != old.get('stage'):
            entry['stage_since'] = now
            entry['detail_attempts'] = 0     # a new stage: its node is worth asking for again
            name = _node_name(entry, record.get('stage'))
            if name and not record.get('current_node'):
                merged['current_node'] = name
                merged['current_node_state'] = None
        elif not record.get('current_node') and old.get('current_node'):
            # A summary read has no nodes: keep the node name learnt from the last detail read of this stage.
            merged['current_node'] = old.get('current_node')
            merged['current_node_state'] = old.get('current_node_state')
        if record.get('state') == 'FAILED' and not (record.get('failure') or {}).get('node') \
                and (old.get('failure') or {}).get('node') and old.get('state') == 'FAILED' \
                and old.get('stage') == record.get('stage'):
            merged['failure'] = old['failure']
        if 'nodes' in old and 'nodes' not in record:
            merged['nodes'] = old['nodes']
        if record.get('state') != 'FAILED':
            entry['failure_details'] = False
        entry['record'] = merged

    def _needs_details(self, entry):
        record = entry['record']
        if entry['detail_attempts'] >= DETAIL_ATTEMPTS:
            return False
        if record.get('state') == 'FAILED' and not entry['failure_details']:
            return True
        return entry['detail_stage'] != record.get('stage') and not _node_name(entry, record.get('stage'))

    def _settled(self, entry):
        """A final DAG whose report is complete enough for a verdict: failures need their failed node."""
        if entry['record']['outcome'] not in ('failed', 'canceled'):
            return True
        return entry['failure_details'] or entry['detail_attempts'] >= DETAIL_ATTEMPTS


_OUTCOME_WORDS = {
    'succeeded': 'succeeded',
    'rolled_back': 'was rolled back',
    'passed': 'was passed',
    'failed': 'failed',
    'canceled': 'was canceled',
    'running': 'is running',
}


def _trim(number):
    number = float(number)
    return '%d' % number if number.is_integer() else '%s' % number


def _node_name(entry, stage):
    """The name of node ``stage`` (1-based) from the cached node names, or None."""
    names = entry.get('node_names') or []
    if isinstance(stage, int) and 1 <= stage <= len(names):
        return names[stage - 1]
    return None


def failure_report(record):
    """What a playbook needs about a failed or canceled DAG: the DAG, its failed node, the failed sub-tasks with
    agents and log tails, a one-line summary and the exact follow-up."""
    failure = record.get('failure') or {}
    node = failure.get('node') or {}
    verb = 'was canceled' if record.get('outcome') == 'canceled' else 'failed'
    text = "DAG %s '%s' %s" % (record['id'], record.get('name') or '?', verb)
    if node:
        text += " at node %s/%s '%s'" % (node.get('stage'), record.get('max_stage') or '?', node.get('name') or '?')
    reasons = []
    for task in failure.get('sub_tasks') or []:
        error = task.get('error')
        if error:
            reason = '[%s] %s' % (error['code'], error['message']) if error.get('code') else error.get('message')
        elif task.get('log_tail'):
            reason = task['log_tail'][-1]
        else:
            reason = 'no error message logged'
        reasons.append('%s: %s' % (task.get('agent') or 'an unknown agent', reason))
    if reasons:
        text += ' on ' + '; '.join(reasons)
    elif not node:
        text += ' (its failed node could not be read)'
    follow_up = 'oceanbase.obshell.dag id=%s state=retried|rolled_back|passed' % record['id']
    return {
        'id': record['id'],
        'name': record.get('name'),
        'outcome': record.get('outcome'),
        'state': record.get('state'),
        'operator': record.get('operator'),
        'progress': record.get('progress'),
        'node': node or None,
        'sub_tasks': failure.get('sub_tasks') or [],
        'agent': record.get('agent'),
        'follow_up': {
            'module': 'oceanbase.obshell.dag',
            'id': record['id'],
            'states': ['retried', 'rolled_back', 'passed'],
            'command': follow_up,
        },
        'summary': '%s; to act on it: %s' % (text, follow_up),
    }


class _Stopwatch(object):
    """Seconds since creation on the monotonic clock, optionally starting from an offset (a resumed wait)."""

    def __init__(self, offset=0.0, monotonic=time.monotonic):
        self._monotonic = monotonic
        self._origin = monotonic() - float(offset)

    def __call__(self):
        return self._monotonic() - self._origin


def stopwatch(offset=0.0):
    return _Stopwatch(offset)


class WaitDriver(object):
    """Polls one agent through an ObshellClient and feeds a WaitEngine.

    List mode reads the unfinished list with show_details=false each poll (one request when nothing changes);
    id mode reads /dag/{id}?show_details=false. A DAG is read with details when first seen (its node names then
    name every later stage) and again only when it failed, and read once from /dag/{id} when it leaves the list.
    """

    def __init__(self, client, engine, scope='auto', names=None, details='summary', sleep=None,
                 on_event=None, request_timeout=None):
        self.client = client
        self.engine = engine
        self.scope = scope
        self.name_filter = _dag.compile_name_filter(names)
        self.details = details
        self.sleep = sleep if sleep is not None else time.sleep
        self.on_event = on_event
        self.request_timeout = request_timeout if request_timeout is not None else getattr(client, 'timeout', 10.0)
        self.scope_used = None
        self.agent_info = None
        self._needs_refresh = False
        if engine.agent is None:
            engine.agent = getattr(client, 'address', None)

    def poll(self):
        """One poll with its follow-up reads; returns the progress lines of what changed."""
        engine = self.engine
        engine.begin_poll()
        self._cap_request_timeout()
        try:
            if self._needs_refresh:
                # After a failed read, ask /api/v1/info again: a restarted agent may have a new identity or key.
                self.client.info(refresh=True)
            if self.agent_info is None:
                self.agent_info = self.client.describe()
            engine.main_read(self._main_records())
            self._needs_refresh = False
        except (ObshellError, ValueError) as exc:
            # ValueError: a DTO the DAG model cannot use (no generic id); treated like a protocol error.
            self._needs_refresh = True
            engine.main_failed(exc)
        for _round in range(3):
            wanted = engine.follow_ups()
            if not wanted:
                break
            for dag_id, details in wanted:
                try:
                    dto = self.client.dag(dag_id, show_details=details)
                    record = _dag.normalize_dag(dto, agent=self.client.agent, details='full' if details else 'summary')
                except (ObshellError, ValueError) as exc:
                    engine.dag_read_failed(dag_id, exc, details)
                else:
                    names = [node.get('name') for node in record.get('nodes') or []] if details else None
                    if self.details != 'full':
                        record.pop('nodes', None)
                    engine.dag_read(record, details, node_names=names)
        lines = engine.end_poll()
        if self.on_event is not None:
            for line in lines:
                self.on_event(line)
        return lines

    def _main_records(self):
        engine = self.engine
        if engine.dag_id is not None:
            try:
                dto = self.client.dag(engine.dag_id, show_details=False)
            except ObshellNotFoundError:
                # The agent answered: no such DAG (yet). Like an empty list, that is `idle` once the appear window
                # is over.
                return []
            record = _dag.normalize_dag(dto, agent=self.client.agent)
            return [record] if self.name_filter(record.get('name')) else []
        self.scope_used, records = _query.list_unfinished(self.client, self.scope, self.name_filter,
                                                          with_details=False)
        return records

    def _cap_request_timeout(self):
        """Keep every request inside the overall deadline (at least 0.5 s, so that a last read can happen)."""
        remaining = self.engine.timeout - self.engine.now()
        if hasattr(self.client, 'timeout'):
            self.client.timeout = max(0.5, min(float(self.request_timeout), remaining))
        if hasattr(self.client, 'deadline'):
            # A poll makes several requests (list, details, final reads): each gets only what is left.
            self.client.deadline = time.monotonic() + max(0.5, remaining)

    def run(self, slice_seconds=None):
        """Poll until a verdict (returned), or, with ``slice_seconds``, until a poll produced progress lines or the
        slice is used up (returns None; the engine's state then says when the next poll is due)."""
        engine = self.engine
        slice_end = engine.now() + slice_seconds if slice_seconds is not None else None
        while True:
            delay = engine.next_poll_at - engine.now()
            if delay > 0:
                self.sleep(delay)
            lines = self.poll()
            outcome = engine.verdict()
            if outcome is not None:
                return outcome
            engine.next_delay()
            if slice_end is not None and (lines or engine.next_poll_at >= slice_end):
                return None


def build_engine(params, clock, check_mode):
    return WaitEngine(
        timeout=params['timeout'],
        poll_interval=params['poll_interval'],
        appear_timeout=params['appear_timeout'],
        unreachable_timeout=params['unreachable_timeout'],
        fail_on=params['fail_on'],
        dag_id=params['id'],
        clock=clock,
        check_mode=check_mode,
    )


def run_wait(params, check_mode, client, clock, state=None, slice_seconds=None, on_event=None, sleep=None):
    """Run (a slice of) a wait. Returns (result or None when the slice ended first, engine, new events)."""
    engine = build_engine(params, clock, check_mode)
    if state:
        engine.load_state(state)
    first_event = len(engine.events)
    driver = WaitDriver(client, engine, scope=params['scope'], names=params['names'], details=params['details'],
                        sleep=sleep, on_event=on_event, request_timeout=params['request_timeout'])
    outcome = driver.run(slice_seconds=slice_seconds)
    new_events = engine.events[first_event:]
    if outcome is None:
        return None, engine, new_events
    result = engine.result(outcome)
    result['agent'] = driver.agent_info
    result['scope'] = driver.scope_used
    return result, engine, new_events
