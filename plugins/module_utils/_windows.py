# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""Blind windows: the spans of an agent's time a reader could not see (an outage, or between two polls), and
which DAGs of the agent's history fall inside one.

Pure; the history itself is read by _query.read_history (agents 4.3.0.0+ list every DAG they hold, finished ones
too, §3.1). A DAG that was unfinished at some moment inside a window joins what the reader tracks, to be settled by
a read of it by id. Window edges are on the agent's clock (the envelope timestamp against the DAGs' times), never
the controller's. Used by the wait (_engine.py, _watcher.py) and the event source (plugin_utils/_dag_poller.py);
docs/architecture.md has the rules.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy

from ansible_collections.oceanbase.obshell.plugins.module_utils import _dag_fields

# Seconds of slack on each edge of a window compared with DAG times: a DAG that ended this close to the start of a
# window is taken in rather than left out (strict for verdicts).
WINDOW_SLACK = 1.0


def unfinished_within(record, window):
    """Whether the DAG was unfinished at some moment inside ``window`` (from, to): it began before the window ended
    and had not ended before the window began (a DAG without a start time is taken in)."""
    start, end = window
    began = _dag_fields.parse_time(record.get('start_time'))
    ended = _dag_fields.parse_time(record.get('end_time')) if record['outcome'] != 'running' else None
    return (began is None or began <= end + WINDOW_SLACK) and (ended is None or ended >= start - WINDOW_SLACK)


class Windows(object):
    """What one reader (a part of a wait, a part of the event source) has seen of an agent, on the agent's clock
    (epoch seconds): ``agent_start`` the reader's start, ``seen_until`` its last good read, ``blind_open`` /
    ``blind_from`` an open blind window (an outage) and where it began, ``history_until`` how far the history has
    been read back before a verdict, ``unclosed`` the blind windows nobody could read back (no history). Plain JSON
    (``to_state``), so a wait run in slices keeps it."""

    FIELDS = ('agent_start', 'seen_until', 'blind_open', 'blind_from', 'history_until', 'unclosed')

    def __init__(self):
        self.agent_start = None
        self.seen_until = None
        self.blind_open = False
        self.blind_from = None
        self.history_until = None
        self.unclosed = []

    def to_state(self):
        return dict((name, copy.deepcopy(getattr(self, name))) for name in self.FIELDS)

    def load_state(self, state):
        for name in self.FIELDS:
            setattr(self, name, copy.deepcopy(state[name]))
        return self

    def outage(self):
        """A failed read: from the last good read (or the start) until the next one, nothing is seen."""
        if not self.blind_open:
            self.blind_open = True
            self.blind_from = self.seen_until

    def reopen(self, start):
        """The history of a window that just closed could not be read: the window is open again from ``start``."""
        self.blind_open = True
        self.blind_from = start

    def good_read(self, agent_now, since_start, first=False, lookback=0.0):
        """A good read at ``agent_now`` on the agent's clock, ``since_start`` seconds after the reader began: the
        span (from, to) to read back from the history now, or None. A blind window that just closed; or, at the
        ``first`` good read of a wait that names what it waits for, the ``lookback`` before it began (a DAG that
        started and ended right after the change that made it has still "appeared")."""
        if agent_now is None:
            return None
        if self.agent_start is None:
            self.agent_start = agent_now - since_start
        window = None
        if self.blind_open:
            self.blind_open = False
            window = (self.blind_from if self.blind_from is not None else self.agent_start, agent_now)
        if first and lookback > 0 and self.history_until is None:
            window = (min(self.agent_start - lookback, window[0] if window else agent_now), agent_now)
            self.history_until = agent_now
        self.seen_until = agent_now
        return window

    def closing(self):
        """The span (from, to) that no read has covered yet, to be read back before a verdict that says nothing went
        wrong; None when it has been, or nothing is known of the agent's clock. Even one poll leaves one: a DAG that
        failed between the start (right after the change that made it) and the first read is in no list by then."""
        if self.agent_start is None or self.seen_until is None:
            return None
        if self.history_until is not None:
            if self.seen_until <= self.history_until:
                return None
            return (self.history_until, self.seen_until)
        return (self.agent_start, max(self.seen_until, self.agent_start))

    def closed(self, window):
        """The history of a closing window was read."""
        self.history_until = max(window[1], self.history_until or window[1])

    def unseen(self, window, why):
        """A blind window that cannot be read back (an agent without the history routes): said in the result."""
        self.unclosed.append({'seconds': round(max(0.0, window[1] - window[0]), 1), 'why': why})
