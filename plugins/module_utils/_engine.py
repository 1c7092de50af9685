# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""The wait engine: one part of a wait (the cluster DAGs, one host's agent DAGs, or one DAG by id) as a pure state
machine.

No I/O and no sleeping. Time comes from an injected ``clock()`` that returns seconds since the wait started. The
engine is fed the results of each poll (a list read or a read of one DAG, then follow-up reads of single DAGs it
asked for), emits progress lines, and decides the part's verdict. Its state is plain JSON (``to_state`` /
``load_state``), so a wait can run in slices in separate module runs (dag_wait with ``run_on=target``) and still
keep every DAG it has seen. The I/O lives in _watcher.py. Section numbers (§x.y) refer to obshell-api.md.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy
import time

from ansible_collections.oceanbase.obshell.plugins.module_utils import _dag, _dag_fields, _report, _templates, _text
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import ObshellError
from ansible_collections.oceanbase.obshell.plugins.module_utils._verdict import DEFAULT_FAIL_ON, worst
from ansible_collections.oceanbase.obshell.plugins.module_utils._vocabulary import MIN_POLL_INTERVAL

# Reads of a DAG's details tried before a verdict is given without them.
DETAIL_ATTEMPTS = 3
STATE_VERSION = 3
# Seconds of slack on the edges of a window compared with DAG times (both on the agent's clock): a DAG that ended
# this close to the start of the wait is taken in rather than left out (strict for verdicts).
WINDOW_SLACK = 1.0


class WaitEngine(object):
    """One part of a wait as a state machine. All times are seconds since the wait started, as ``clock()`` says.

    One poll: ``begin_poll()``; then ``main_read(records)`` (the matching unfinished DAGs, or in ``dag_id`` mode the
    DAG as a one-item list), ``main_missing()`` (``dag_id`` mode: the agent says there is no such DAG) or
    ``main_failed(error)``; then, for each ``(dag_id, details)`` of ``follow_ups()``, ``dag_read(record, details)``
    or ``dag_read_failed(dag_id, error, details)`` until ``follow_ups()`` is empty; then ``end_poll()`` returns the
    progress lines of what changed. ``verdict()`` is None while the part goes on; ``next_delay()`` says when the
    next poll is due.
    """

    def __init__(self, timeout=3600.0, poll_interval=5.0, appear_timeout=0.0, unreachable_timeout=300.0,
                 fail_on=DEFAULT_FAIL_ON, dag_id=None, agent=None, clock=None, read_once=False,
                 backoff_cap=10.0):
        self.timeout = float(timeout)
        self.poll_interval = max(float(poll_interval), MIN_POLL_INTERVAL)
        self.appear_timeout = max(float(appear_timeout or 0), 0.0)
        self.unreachable_timeout = max(float(unreachable_timeout), 0.0)
        self.fail_on = tuple(fail_on if fail_on is not None else DEFAULT_FAIL_ON)
        self.dag_id = dag_id
        self.agent = agent
        self.read_once = bool(read_once)
        self.backoff_base = min(self.poll_interval, 1.0)
        self.backoff_cap = max(self.poll_interval, float(backoff_cap))
        self._clock = clock if clock is not None else Clock()
        # --- serializable state
        self.polls = 0
        self.good_reads = 0
        self.tracked = {}           # generic id -> see _track()
        self.order = []             # ids in the order first seen
        self.down_since = None      # when the first failed read of the current outage happened
        self.failures = 0           # consecutive failed main reads (resets on a good read)
        self.last_error = None      # dict of the last failed main read
        self.fatal = None           # dict: an error that ends the part at once
        self.missing = False        # dag_id mode: the last good read said there is no such DAG
        self.poll_started_at = None
        self.next_poll_at = 0.0
        self.announced_appear = False
        self.events = []            # every progress line of the part, in order
        # Windows the part could not see (agent time, epoch seconds; see the "evidence" section of
        # docs/architecture.md): agent_start is the wait's start on the agent's clock, seen_until the agent's time
        # of the last good read, blind_from the start of an open blind window (an outage), history_until how far
        # the agent's history has been read back, unclosed the blind windows nobody could read back (no history).
        self.agent_start = None
        self.seen_until = None
        self.blind_open = False
        self.blind_from = None
        self.history_until = None
        self.unclosed = []
        self.unverified = False     # the deadline passed before what the part could not see was read back
        self._poll_events = []
        self._attempted = set()     # (id, details) tried in the current poll

    # ------------------------------------------------------------------ time

    def now(self):
        return float(self._clock())

    def close_appear_window(self):
        """A DAG appeared elsewhere in the batch: nothing here any more means idle, not "not yet"."""
        self.appear_timeout = min(self.appear_timeout, self.now())

    # ------------------------------------------------------------------ serialization

    _STATE_FIELDS = ('polls', 'good_reads', 'tracked', 'order', 'down_since', 'failures', 'last_error', 'fatal',
                     'missing', 'next_poll_at', 'announced_appear', 'events', 'appear_timeout', 'agent_start',
                     'seen_until', 'blind_open', 'blind_from', 'history_until', 'unclosed', 'unverified')

    def to_state(self):
        state = dict((name, copy.deepcopy(getattr(self, name))) for name in self._STATE_FIELDS)
        state['version'] = STATE_VERSION
        return state

    def load_state(self, state):
        version = state.get('version') if isinstance(state, dict) else None
        if version != STATE_VERSION:
            raise ValueError('unusable wait state (version %r)' % (version,))
        for name in self._STATE_FIELDS:
            setattr(self, name, copy.deepcopy(state[name]))
        return self

    # ------------------------------------------------------------------ one poll

    def begin_poll(self):
        self.polls += 1
        self.poll_started_at = self.now()
        self._poll_events = []
        self._attempted = set()

    def _answered(self, now):
        if self.down_since is not None:
            self._emit('agent %s is answering again after %s'
                       % (_text.safe_text(self.agent or 'the agent', 80), _report.format_elapsed(now - self.down_since)))
        self.down_since = None
        self.failures = 0
        self.good_reads += 1

    def main_read(self, records):
        """A good read: the matching unfinished DAGs (list mode), or [the DAG] (id mode)."""
        now = self.now()
        self._answered(now)
        self.missing = False
        seen = set()
        for record in records:
            dag_id = record['id']
            seen.add(dag_id)
            entry = self.tracked.get(dag_id)
            if entry is None:
                entry = self._track(record, now)
            elif not self._same_dag(entry, record):
                return
            else:
                self._update(entry, record, now)
            entry['in_list'] = True
            entry['left'] = False
            entry['final'] = record['outcome'] != 'running'
        if self.dag_id is None:
            for dag_id in self.order:
                entry = self.tracked[dag_id]
                if dag_id not in seen and entry['in_list']:
                    # Gone from the unfinished list: finished (SUCCEED, a non-maintenance FAILED, PASS). Its final
                    # state is read from /dag/{id}, with its nodes (a passed node is only seen there; §4.7). Until
                    # then it is not final.
                    entry['in_list'] = False
                    entry['left'] = True
                    entry['final'] = False

    def main_missing(self):
        """dag_id mode: the agent answered that no DAG has this id (HTTP 404 Task.NotFound)."""
        self._answered(self.now())
        if self.dag_id in self.tracked:
            self.dag_vanished(self.dag_id)
            return
        self.missing = True

    def dag_vanished(self, dag_id):
        """The agent answers 404 for a DAG this wait has seen: its outcome can no longer be read, and a wait that
        went on would only time out. It ends the part at once, as what it is."""
        record = self.tracked[dag_id]['record']
        self.fatal = {'kind': 'dag_vanished', 'dag_id': dag_id, 'status': 404,
                      'message': '%s vanished: the agent answers 404 for it after this wait saw it %s (was the '
                                 'agent re-deployed, or its task records removed?); its outcome is unknown'
                                 % (_report.dag_label(record), _report.state_text(record))}

    def _same_dag(self, entry, record):
        """Whether ``record`` is the DAG last seen under its id (_dag.identity_problem). A mismatch ends the part:
        what became of the DAG this wait saw cannot be read any more."""
        old = entry['record']
        problem = _dag.identity_problem(old, record)
        if problem:
            self.fatal = {'kind': 'dag_replaced', 'dag_id': record['id'],
                          'message': '%s is gone: its id now names another DAG, %r (%s; was the agent re-deployed?); '
                                     'the outcome of the DAG this wait saw is unknown'
                                     % (_report.dag_label(old), _text.safe_text(record.get('name'), 120), problem)}
        return not problem

    def _announce_appear(self):
        if not self.tracked and self.appear_timeout > self.now() and not self.announced_appear \
                and not self.read_once:
            self.announced_appear = True
            what = 'DAG %s' % self.dag_id if self.dag_id is not None else 'matching DAG'
            self._emit('no %s yet; waiting up to %s for it to appear'
                       % (what, _report.format_elapsed(self.appear_timeout)))

    def main_failed(self, error):
        """The list (or the DAG in id mode) could not be read. Before any good read, an error that is not about
        reaching the agent (auth, TLS, protocol, identity) ends the part at once: waiting cannot fix a configuration.
        After a good read every error counts as an outage (an agent restarting during an upgrade may answer oddly
        for a moment) and is retried until unreachable_timeout."""
        now = self.now()
        info = error.to_dict() if isinstance(error, ObshellError) else {'kind': 'error', 'message': str(error)}
        info['message'] = _text.safe_text(info.get('message'), 1000)
        if not (getattr(error, 'cut_by_deadline', False) and self.last_error):
            # A read the overall deadline cut short tells when we stopped listening, not why the agent is silent:
            # the reason already known stays the one reported.
            self.last_error = info
        reachability = isinstance(error, ObshellError) and error.retryable
        if not reachability and self.good_reads == 0:
            self.fatal = info
            return
        if not self.blind_open:
            # From the last good read (or the start of the wait) until the next one, this part sees nothing.
            self.blind_open = True
            self.blind_from = self.seen_until
        self.failures += 1
        if self.down_since is None:
            self.down_since = now
            if self.read_once:
                # A snapshot (check mode, assert_idle) reads once: it says what failed, and promises no retry.
                self._emit(info['message'])
            else:
                self._emit('%s; retrying for up to %s'
                           % (info['message'], _report.format_elapsed(self.unreachable_timeout)))

    # ------------------------------------------------------------------ windows and the agent's history

    def history_window(self, agent_now, lookback=0.0):
        """After a good read at ``agent_now`` (the agent's clock): the span (from, to) on the agent's clock that must be
        read back from the agent's history now, or None. A blind window (an outage) that just closed; or, at the
        first good read of a wait that names what it waits for, the ``lookback`` before the wait began (a DAG that
        started and ended right after the change that made it has still "appeared")."""
        if agent_now is None:
            return None
        if self.agent_start is None:
            self.agent_start = agent_now - self.now()
        window = None
        if self.blind_open:
            self.blind_open = False
            window = (self.blind_from if self.blind_from is not None else self.agent_start, agent_now)
        if self.good_reads == 1 and lookback > 0 and self.history_until is None:
            window = (min(self.agent_start - lookback, window[0] if window else agent_now), agent_now)
            self.history_until = agent_now
        self.seen_until = agent_now
        return window

    def closing_window(self):
        """The span (from, to) of this wait on the agent's clock that no read has covered yet, to be read back from
        the history before a verdict that says nothing went wrong; None when it was read back already, for a part
        read once (a snapshot), or when nothing is known of the agent's clock. Even a wait of one poll has one: a
        DAG that failed between the start of the wait (right after the change that made it) and its first read is
        in no unfinished list any more."""
        if self.read_once or self.agent_start is None or self.seen_until is None or self.fatal is not None:
            return None
        if self.history_until is not None:
            if self.seen_until <= self.history_until:
                return None
            return (self.history_until, self.seen_until)
        return (self.agent_start, max(self.seen_until, self.agent_start))

    def history_read(self, records, window, closing=False):
        """The agent's history (every DAG it holds, summaries) for ``window`` (from, to) on its clock: every DAG
        that was unfinished at some moment inside it and is not tracked joins the wait, to be settled like any
        other by a read of it by id. Returns the ids that joined."""
        start, end = window
        joined = []
        for record in records:
            entry = self.tracked.get(record['id'])
            if entry is not None:
                if not self._same_dag(entry, record):
                    return joined
                continue
            began = _dag_fields.parse_time(record.get('start_time'))
            ended = _dag_fields.parse_time(record.get('end_time')) if record['outcome'] != 'running' else None
            if began is not None and began > end + WINDOW_SLACK:
                continue
            if ended is not None and ended < start - WINDOW_SLACK:
                continue
            entry = self._track(record, self.now())
            entry.update(left=True, final=False, from_history=True)
            joined.append(record['id'])
            self._emit('%s %s while this wait could not see it (read back from the agent\'s history)'
                       % (_report.dag_label(record), 'ran' if record['outcome'] == 'running' else 'ended'))
        if closing:
            self.history_until = max(end, self.history_until or end)
        return joined

    def window_unclosed(self, window, why):
        """A blind window that cannot be read back (an agent without the history routes): said in the result."""
        seconds = round(max(0.0, window[1] - window[0]), 1)
        self.unclosed.append({'seconds': seconds, 'why': why})

    def fail(self, info):
        """End the part at once with an error (a dict with kind and message), e.g. a remediation that was refused."""
        self.fatal = dict(info)

    def follow_ups(self):
        """(dag_id, details) reads wanted now, each at most once per poll; details: False = summary, True = nodes."""
        if self.fatal is not None or self.down_since is not None:
            return []
        wanted = []
        for dag_id in self.order:
            entry = self.tracked[dag_id]
            if entry['left']:
                request = (dag_id, entry['detail_attempts'] < DETAIL_ATTEMPTS)
            elif self._needs_details(entry):
                request = (dag_id, True)
            else:
                continue
            if request not in self._attempted:
                wanted.append(request)
        return wanted

    def dag_read(self, record, details, node_names=None, nodes=None):
        """A read of /dag/{id}: a summary (details False) or with nodes (details True, with their ``node_names``
        and, to check a final success against them, the normalized ``nodes``)."""
        now = self.now()
        dag_id = record['id']
        self._attempted.add((dag_id, bool(details)))
        entry = self.tracked.get(dag_id)
        if entry is None:
            entry = self._track(record, now)
        elif not self._same_dag(entry, record):
            return
        else:
            self._update(entry, record, now)
        entry['read_error'] = None
        final = record['outcome'] != 'running'
        if entry['left']:
            # Left the list: only a read showing a final state settles it. A read still showing it running (a race
            # with the list) keeps it pending, and it is read again next poll.
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
            if final and _nodes_consistent(record, nodes):
                entry['final_details'] = True

    def dag_read_failed(self, dag_id, error, details):
        self._attempted.add((dag_id, bool(details)))
        entry = self.tracked.get(dag_id)
        if entry is None:
            return
        entry['read_error'] = _text.safe_text(str(error), 500)
        if details:
            entry['detail_attempts'] += 1

    def reopen(self, dag_id):
        """The DAG was acted on (a remediation): it runs again, and is read until its new final state."""
        entry = self.tracked[dag_id]
        entry.update(final=False, left=True, in_list=False, failure_details=False, final_details=False,
                     detail_attempts=0, line_key=None)
        self.fatal = None

    def end_poll(self):
        """Progress lines for every DAG whose state, operator, stage or node changed in this poll."""
        if self.good_reads:
            # Said at the end of the poll: a DAG seen elsewhere in the same poll closes the window first.
            self._announce_appear()
        for dag_id in self.order:
            entry = self.tracked[dag_id]
            record = entry['record']
            key = [record.get('state'), record.get('operator'), record.get('stage'), record.get('current_node'),
                   record.get('outcome'), entry.get('refailed', 0)]
            if key != entry['line_key']:
                entry['line_key'] = key
                self._emit(_report.progress_line(None, record))
        lines = self._poll_events
        self._poll_events = []
        return lines

    # ------------------------------------------------------------------ decisions

    def verdict(self):
        """None while the part goes on; else its outcome (an OUTCOME, 'error', or 'running' for a part read once).
        A window the part could not see nor read back (an agent without history) leaves no evidence for idle or
        succeeded: such a part is 'unreachable', saying what it could not see (strict for verdicts)."""
        outcome = self._verdict()
        if outcome in ('idle', 'succeeded') and self.unclosed:
            return 'unreachable'
        return outcome

    def _verdict(self):
        if self.fatal is not None:
            return 'error'
        if self.unverified:
            return 'timeout'
        now = self.now()
        deadline_passed = now >= self.timeout
        entries = [self.tracked[i] for i in self.order]
        finals = [e for e in entries if e['final']]
        pending = [e for e in entries if not e['final']]

        blocking = [e for e in finals if e['record']['outcome'] in self.fail_on]
        if blocking and (deadline_passed or self.read_once or self.down_since is not None
                         or all(self._settled(e) for e in blocking)):
            # Fail fast: a final outcome that fails the task ends the wait even while other DAGs run.
            return worst(e['record']['outcome'] for e in blocking)
        if self.down_since is not None:
            if now - self.down_since >= self.unreachable_timeout or deadline_passed or self.read_once:
                return 'unreachable'
            return None
        if self.good_reads == 0:
            return 'timeout' if deadline_passed else None
        if not entries:
            if self.read_once or now >= self.appear_timeout or deadline_passed:
                return 'error' if self.missing else 'idle'
            return None
        if self.read_once:
            return 'running' if pending else worst(e['record']['outcome'] for e in finals)
        if not pending and all(self._settled(e) for e in finals):
            return worst(e['record']['outcome'] for e in finals)
        if deadline_passed:
            # A success whose nodes could not be read by the deadline is not a success this wait can vouch for.
            return 'timeout'
        return None

    def next_delay(self):
        """Seconds to sleep before the next poll: the poll interval from the start of the last poll, or a capped
        backoff during an outage, never past the deadline, the end of the appear window or of the outage budget."""
        now = self.now()
        started = self.poll_started_at if self.poll_started_at is not None else now
        if self.down_since is not None and (self.last_error or {}).get('kind') == 'cluster_unknown':
            # The agent answers; only its observer cannot: obState is checked every poll (cheap, no auth), and the
            # list is read again as soon as it is available, rather than after a backoff meant for silent agents.
            at = started + self.poll_interval
            window_end = self.down_since + self.unreachable_timeout
            if window_end > now:
                at = min(at, window_end)
        elif self.down_since is not None:
            at = now + self.backoff(self.failures)
            window_end = self.down_since + self.unreachable_timeout
            if window_end > now:
                at = min(at, window_end)    # one last try as the window closes
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
        return min(self.backoff_cap, self.backoff_base * (2 ** min(failures - 1, 32)))

    # ------------------------------------------------------------------ result

    def result(self, outcome=None):
        """The part's result for a verdict (see the RETURN of dag_wait)."""
        if outcome is None:
            outcome = self.verdict()
        now = self.now()
        records = [self.tracked[i]['record'] for i in self.order]
        result = {
            'outcome': outcome,
            'agent': self.agent,
            'dags': copy.deepcopy(records),
            'elapsed': round(now, 2),
            'polls': self.polls,
            'failures': [],
            'running': [],
            'unreachable_agent': None,
            'error': None,
            'events': list(self.events),
            'unseen_windows': list(self.unclosed),
        }
        for dag_id, record in zip(self.order, records):
            if record['outcome'] in ('failed', 'canceled'):
                allowed = _templates.allowed_operations(record, self.tracked[dag_id].get('node_names'))
                result['failures'].append(_report.failure_report(record, allowed))
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
            result['error'] = self.fatal or self._missing_error()
        if outcome == 'unreachable' and self.down_since is None and self.unclosed:
            # Read well at the end, but not over every window: what ended while it could not be read is unknown.
            message = 'agent %s could not be read for %s and %s: what ended meanwhile is unknown; since then: %s' % (
                _text.safe_text(self.agent or '?', 80),
                _report.format_elapsed(sum(w['seconds'] for w in self.unclosed)), self.unclosed[-1]['why'],
                self._message(self._verdict(), result))
        else:
            message = self._message(outcome, result)
        result['msg'] = _text.cap_message(message)
        return result

    def _missing_error(self):
        return {'kind': 'not_found', 'message': 'DAG %s does not exist on %s' % (self.dag_id, self.agent or '?'),
                'agent': self.agent, 'status': 404, 'err_code': 'Task.NotFound', 'code': None, 'agent_message': None}

    def _message(self, outcome, result):
        elapsed = _report.format_elapsed(result['elapsed'])
        running = '; '.join(r['summary'] for r in result['running'])
        if outcome == 'error':
            return 'cannot wait: %s' % (result['error'] or {}).get('message')
        if outcome == 'idle':
            return 'no matching unfinished DAG; nothing to wait for'
        if outcome == 'unreachable':
            info = result['unreachable_agent'] or {}
            said = (info.get('error') or {}).get('message')
            down_for = _report.format_elapsed(info.get('for_seconds'))
            agent = _text.safe_text(self.agent or '?', 80)
            # An agent that answers but cannot read the cluster DAGs (its observer down) is not a network problem:
            # the words must not send the operator looking for one.
            kind = (info.get('error') or {}).get('kind')
            unknown = kind == 'cluster_unknown'
            # An agent that answered with errors (5xx, 401 after a key change...) did answer: said so (red team).
            answered = kind not in ('unreachable', 'cluster_unknown', 'tls', 'proxy', None)
            if info.get('for_seconds', 0) >= self.unreachable_timeout:
                text = '%s for %s (unreachable_timeout %ss): %s' % (
                    ('the cluster DAGs could not be read through agent %s' if unknown
                     else 'the reads of agent %s have failed' if answered else 'agent %s has not answered')
                    % agent, down_for, _report.seconds_text(self.unreachable_timeout), said)
            elif self.read_once:
                text = '%s: %s' % (('agent %s could not read the cluster DAGs' if unknown
                                    else 'the read of agent %s failed' if answered else 'agent %s did not answer')
                                   % agent, said)
            else:
                # The overall deadline, not the agent's silence, ended the wait.
                text = 'the overall deadline (timeout %ss) passed after %s while %s (for %s): %s' % (
                    _report.seconds_text(self.timeout), elapsed,
                    ('the cluster DAGs could not be read through agent %s' if unknown
                     else 'the reads of agent %s were failing' if answered else 'agent %s was not answering')
                    % agent, down_for, said)
            if running:
                text += '; last known: ' + running
            return text
        if outcome == 'timeout':
            text = 'timed out after %s (timeout %ss)' % (elapsed, _report.seconds_text(self.timeout))
            if self.unverified:
                text += " before what the wait could not see was read back from the agent's history"
            if running:
                text += ': ' + running
            return text
        if outcome in ('failed', 'canceled') and result['failures']:
            return '; '.join(f['summary'] for f in result['failures'])
        if outcome == 'running':
            return 'check mode: still running: ' + running
        parts = [_report.ended_text(record) for record in result['dags']]
        text = '; '.join(parts)
        if outcome == 'rolled_back':
            text += ' (the operation did not take effect as a success)'
        elif outcome == 'passed' and 'passed, not done' not in text:
            text += ' (a failed step was skipped, not done)'
        # The DAGs' own times are in the text; this is the wait's.
        return '%s (waited %s)' % (text, elapsed)

    def _running_report(self, entry, now):
        record = entry['record']
        where = "%s '%s'" % (record.get('progress') or '?', _text.safe_text(record.get('current_node'))) \
            if record.get('current_node') else (record.get('progress') or '?')
        at_stage = round(now - entry['stage_since'], 1)
        if entry['left']:
            summary = '%s left the unfinished list but its final state is unknown' % _report.dag_label(record)
            if entry.get('read_error'):
                summary += ' (reading it failed: %s)' % entry['read_error']
        else:
            summary = '%s still %s at %s for %s (running %s)' % (
                _report.dag_label(record), _report.state_text(record), where,
                _report.format_elapsed(at_stage), _report.format_elapsed(record.get('elapsed_seconds')))
        return {
            'id': record['id'],
            'name': record.get('name'),
            'state': record.get('state'),
            'operator': record.get('operator'),
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
            # A final read with nodes: only it shows a passed node (SUCCEED/PASS) in a DAG that ended SUCCEED/RUN.
            'final_details': False,
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
        refailed = record.get('state') == 'FAILED' and old.get('state') == 'FAILED' and (
            (record.get('start_time'), record.get('end_time')) != (old.get('start_time'), old.get('end_time')))
        if refailed:
            # Failed again (someone retried it between two reads): the same state and stage, but another run with
            # its own failure, which must be read again rather than the first one reported.
            entry['failure_details'] = False
            entry['detail_attempts'] = 0
            entry['refailed'] = entry.get('refailed', 0) + 1
        elif record.get('state') == 'FAILED' and not (record.get('failure') or {}).get('node') \
                and (old.get('failure') or {}).get('node') and old.get('state') == 'FAILED' \
                and old.get('stage') == record.get('stage'):
            merged['failure'] = old['failure']
        if record.get('passed_nodes') is None and old.get('passed_nodes') and \
                (old.get('state'), old.get('operator')) == (record.get('state'), record.get('operator')):
            # A summary read after the detailed final read: keep what the nodes said.
            merged['passed_nodes'] = old['passed_nodes']
            merged['outcome'] = old['outcome']
        if 'nodes' in old and 'nodes' not in record:
            merged['nodes'] = old['nodes']
        if record.get('state') != 'FAILED':
            entry['failure_details'] = False
        entry['record'] = merged

    def _needs_details(self, entry):
        record = entry['record']
        if entry['final'] and not entry['final_details'] and record.get('state') == 'SUCCEED':
            # Without its nodes a success cannot be told from one with a passed step: asked every poll, never
            # given up (a verdict without them would be a claim without evidence).
            return True
        if entry['detail_attempts'] >= DETAIL_ATTEMPTS:
            return False
        if record.get('state') == 'FAILED' and not entry['failure_details']:
            return True
        if entry['final'] and not entry['final_details'] and record.get('state') == 'SUCCEED':
            return True
        return not entry['final'] and entry['detail_stage'] != record.get('stage') \
            and not _node_name(entry, record.get('stage'))

    def _settled(self, entry):
        """A final DAG whose report is complete enough for a verdict: a failure needs its failed node unless it
        could not be read (it is a failure either way); a success needs its nodes, always (a clean success and one
        with a passed node look the same without them)."""
        if entry['record'].get('state') == 'SUCCEED':
            return entry['final_details']
        if entry['detail_attempts'] >= DETAIL_ATTEMPTS:
            return True
        outcome = entry['record']['outcome']
        if outcome in ('failed', 'canceled'):
            return entry['failure_details']
        if entry['record'].get('state') == 'SUCCEED':
            return entry['final_details']
        return True


def _nodes_consistent(record, nodes):
    """Whether the nodes read with a final SUCCEED agree with it: there are nodes, and for SUCCEED/RUN all are done
    and the last stage is reached. A success whose nodes say otherwise (or are missing) is not vouched for."""
    if record.get('state') != 'SUCCEED':
        return True
    if not nodes:
        # Asked with details, answered without nodes: nothing to tell a clean success from a passed step by.
        return False
    if record.get('operator') != 'RUN':
        return True
    if record.get('stage') is not None and record.get('max_stage') is not None \
            and record.get('stage') != record.get('max_stage'):
        return False
    return all(node.get('state') == 'SUCCEED' for node in nodes)


def _node_name(entry, stage):
    """The name of node ``stage`` (1-based) from the cached node names, or None."""
    names = entry.get('node_names') or []
    if isinstance(stage, int) and 1 <= stage <= len(names):
        return names[stage - 1]
    return None


class Clock(object):
    """The one clock of a wait. Called, the seconds since the wait started (optionally from an ``offset``: a
    resumed wait), which is all the engine reads; ``monotonic()`` is the time request deadlines are set on,
    ``wall()`` the epoch seconds DAG records are measured against, ``sleep()`` waits. Tests inject fakes of all
    four, so nothing in a wait reads the real time behind their back."""

    def __init__(self, offset=0.0, monotonic=time.monotonic, wall=time.time, sleep=time.sleep):
        self._monotonic = monotonic
        self._wall = wall
        self._sleep = sleep
        self._origin = monotonic() - float(offset)

    def __call__(self):
        return self._monotonic() - self._origin

    def monotonic(self):
        return self._monotonic()

    def wall(self):
        return self._wall()

    def sleep(self, seconds):
        self._sleep(seconds)
