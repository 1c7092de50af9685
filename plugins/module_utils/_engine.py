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

from ansible_collections.oceanbase.obshell.plugins.module_utils import (
    _dag, _report, _templates, _text, _tracked, _windows)
from ansible_collections.oceanbase.obshell.plugins.module_utils._clock import Clock
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import ObshellError
from ansible_collections.oceanbase.obshell.plugins.module_utils._verdict import DEFAULT_FAIL_ON, worst
from ansible_collections.oceanbase.obshell.plugins.module_utils._vocabulary import MIN_POLL_INTERVAL

STATE_VERSION = 3


class WaitEngine(object):
    """One part of a wait as a state machine. All times are seconds since the wait started, as ``clock()`` says.

    One poll: ``begin_poll()``; then ``main_read(records)`` (the matching unfinished DAGs, or in ``dag_id`` mode the
    DAG as a one-item list), ``main_missing()`` (``dag_id`` mode: the agent says there is no such DAG) or
    ``main_failed(error)``; then, for each ``(dag_id, with_nodes)`` of ``follow_ups()``, ``dag_read(record, with_nodes)``
    or ``dag_read_failed(dag_id, error, with_nodes)`` until ``follow_ups()`` is empty; then ``end_poll()`` returns the
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
        # The spans of the agent's time this part could not see (see "Blind windows" in docs/architecture.md).
        self.windows = _windows.Windows()
        self.unverified = False     # the deadline passed before what the part could not see was read back
        self._poll_events = []
        self._attempted = set()     # (id, with_nodes) tried in the current poll

    # ------------------------------------------------------------------ time

    def now(self):
        return float(self._clock())

    def close_appear_window(self):
        """A DAG appeared elsewhere in the batch: nothing here any more means idle, not "not yet"."""
        self.appear_timeout = min(self.appear_timeout, self.now())

    # ------------------------------------------------------------------ serialization

    _STATE_FIELDS = ('polls', 'good_reads', 'tracked', 'order', 'down_since', 'failures', 'last_error', 'fatal',
                     'missing', 'next_poll_at', 'announced_appear', 'events', 'appear_timeout', 'unverified')

    def to_state(self):
        state = dict((name, copy.deepcopy(getattr(self, name))) for name in self._STATE_FIELDS)
        state.update(self.windows.to_state())
        state['version'] = STATE_VERSION
        return state

    def load_state(self, state):
        version = state.get('version') if isinstance(state, dict) else None
        if version != STATE_VERSION:
            raise ValueError('unusable wait state (version %r)' % (version,))
        for name in self._STATE_FIELDS:
            setattr(self, name, copy.deepcopy(state[name]))
        self.windows.load_state(state)
        return self

    # ------------------------------------------------------------------ one poll

    def begin_poll(self):
        self.polls += 1
        self.poll_started_at = self.now()
        self._poll_events = []
        self._attempted = set()

    def _answered(self, now):
        if self.down_since is not None:
            self._emit(_report.agent_back_text(self.agent, now - self.down_since))
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
                _tracked.update_entry(entry, record, now)
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
                      'message': _report.dag_vanished_text(record)}

    def _same_dag(self, entry, record):
        """Whether ``record`` is the DAG last seen under its id (_dag.identity_problem). A mismatch ends the part:
        what became of the DAG this wait saw cannot be read any more."""
        old = entry['record']
        problem = _dag.identity_problem(old, record)
        if problem:
            self.fatal = {'kind': 'dag_replaced', 'dag_id': record['id'],
                          'message': _report.dag_replaced_text(old, record.get('name'), problem)}
        return not problem

    def _announce_appear(self):
        if not self.tracked and self.appear_timeout > self.now() and not self.announced_appear \
                and not self.read_once:
            self.announced_appear = True
            self._emit(_report.appear_wait_text(self.dag_id, self.appear_timeout))

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
        self.windows.outage()
        self.failures += 1
        if self.down_since is None:
            self.down_since = now
            # A snapshot (check mode, assert_idle) reads once: it says what failed, and promises no retry.
            self._emit(_report.read_failed_text(info['message'], None if self.read_once else self.unreachable_timeout))

    # ------------------------------------------------------------------ windows and the agent's history

    def history_window(self, agent_now, lookback=0.0):
        """After a good read at ``agent_now`` (the agent's clock): the span to read back from the agent's history
        now, or None (_windows.Windows.good_read; the lookback is for a wait that names what it waits for)."""
        return self.windows.good_read(agent_now, self.now(), first=self.good_reads == 1, lookback=lookback)

    def closing_window(self):
        """The span of this wait that no read has covered yet, to be read back before a verdict that says nothing
        went wrong (_windows.Windows.closing); None for a part read once (a snapshot says what is unfinished now)
        or one that has ended in an error."""
        if self.read_once or self.fatal is not None:
            return None
        return self.windows.closing()

    def history_read(self, records, window, closing=False):
        """The agent's history (every DAG it holds, summaries) for ``window`` (from, to) on its clock: every DAG
        that was unfinished at some moment inside it and is not tracked joins the wait, to be settled like any
        other by a read of it by id. Returns the ids that joined."""
        joined = []
        for record in records:
            entry = self.tracked.get(record['id'])
            if entry is not None:
                if not self._same_dag(entry, record):
                    return joined
                continue
            if not _windows.unfinished_within(record, window):
                continue
            entry = self._track(record, self.now())
            entry.update(left=True, final=False, from_history=True)
            joined.append(record['id'])
            self._emit(_report.read_back_text(record))
        if closing:
            self.windows.closed(window)
        return joined

    def fail(self, info):
        """End the part at once with an error (a dict with kind and message), e.g. a remediation that was refused."""
        self.fatal = dict(info)

    def follow_ups(self):
        """(dag_id, with_nodes) reads wanted now, each at most once per poll: a summary, or the DAG with its nodes."""
        if self.fatal is not None or self.down_since is not None:
            return []
        wanted = []
        for dag_id in self.order:
            entry = self.tracked[dag_id]
            if entry['left']:
                request = (dag_id, entry['detail_attempts'] < _tracked.DETAIL_ATTEMPTS)
            elif _tracked.needs_details(entry):
                request = (dag_id, True)
            else:
                continue
            if request not in self._attempted:
                wanted.append(request)
        return wanted

    def dag_read(self, record, with_nodes, node_names=None, nodes=None):
        """A read of /dag/{id}: a summary, or ``with_nodes`` (with their ``node_names``
        and, to check a final success against them, the normalized ``nodes``)."""
        now = self.now()
        dag_id = record['id']
        self._attempted.add((dag_id, bool(with_nodes)))
        entry = self.tracked.get(dag_id)
        if entry is None:
            entry = self._track(record, now)
        elif not self._same_dag(entry, record):
            return
        else:
            _tracked.update_entry(entry, record, now)
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
        if with_nodes:
            entry['detail_stage'] = record.get('stage')
            entry['detail_attempts'] = 0
            if node_names:
                entry['node_names'] = list(node_names)
            if record.get('state') == 'FAILED':
                entry['failure_details'] = bool((record.get('failure') or {}).get('node'))
            if final and _tracked.nodes_consistent(record, nodes):
                entry['final_details'] = True

    def dag_read_failed(self, dag_id, error, with_nodes):
        self._attempted.add((dag_id, bool(with_nodes)))
        entry = self.tracked.get(dag_id)
        if entry is None:
            return
        entry['read_error'] = _text.safe_text(str(error), 500)
        if with_nodes:
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
        if outcome in ('idle', 'succeeded') and self.windows.unclosed:
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
                         or all(_tracked.settled(e) for e in blocking)):
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
        if not pending and all(_tracked.settled(e) for e in finals):
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
            'unseen_windows': copy.deepcopy(self.windows.unclosed),
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
        if outcome == 'unreachable' and self.down_since is None and self.windows.unclosed:
            # Read well at the end, but not over every window: what ended while it could not be read is unknown.
            message = _report.unseen_windows_text(self.agent, self.windows.unclosed, self._message(self._verdict(), result))
        else:
            message = self._message(outcome, result)
        result['msg'] = _text.cap_message(message)
        return result

    def _missing_error(self):
        return {'kind': 'not_found', 'message': _report.not_found_text(self.dag_id, self.agent),
                'agent': self.agent, 'status': 404, 'err_code': 'Task.NotFound', 'code': None, 'agent_message': None}

    def _message(self, outcome, result):
        return _report.part_message(outcome, result, self.agent, self.timeout, self.unreachable_timeout,
                                    read_once=self.read_once, unverified=self.unverified)

    def _running_report(self, entry, now):
        record = entry['record']
        at_stage = round(now - entry['stage_since'], 1)
        summary = _report.running_summary(record, entry['left'], entry.get('read_error'), at_stage)
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
        entry = self.tracked[record['id']] = _tracked.new_entry(record, now)
        self.order.append(record['id'])
        return entry
