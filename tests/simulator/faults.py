# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Per-agent fault queues: injected status codes, delays, malformed bodies, late or lost answers to requests the
agent has carried out, and another client's request that lands just before the next one.

Faults are consumed by responses to clients only; the simulated agent-to-agent calls (fan-out of
``/dag/unfinish``, forwarding) do not consume them, so a test that targets agent B stays deterministic.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import threading

MALFORMED_KINDS = ('html', 'empty', 'truncated', 'missing_fields')

HTML_PAGE = (b'<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n'
             b'<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n')


class FaultPlan(object):
    """What happens to one response."""

    def __init__(self):
        self.delay = 0.0
        self.error = None         # dict(status, err_code, message, after)
        self.malformed = None     # dict(kind, status)
        self.answer = None        # dict(delay, drop, down): the request is carried out, then its answer is late/lost
        self.before = None        # callable run before the request is handled (another client got there first)

    @property
    def names(self):
        out = []
        if self.delay:
            out.append('delay')
        if self.error:
            out.append('error%d' % self.error['status'])
        if self.malformed:
            out.append('malformed:%s' % self.malformed['kind'])
        if self.answer:
            out.append('answer_dropped' if self.answer['drop'] else 'answer_late')
        if self.before:
            out.append('interleaved')
        return ','.join(out) or None


class FaultQueue(object):
    def __init__(self):
        self._lock = threading.Lock()
        self._errors = []
        self._delays = []
        self._malformed = []
        self._answers = []
        self._before = []

    def add_errors(self, count, status=503, err_code=None, message=None, after=False, method=None):
        """``after=True``: the request is processed first and only the response is replaced (a lost reply).
        ``method`` (e.g. 'POST') limits the fault to requests of that method; others pass it by."""
        with self._lock:
            for _unused in range(int(count)):
                self._errors.append({'status': int(status), 'err_code': err_code, 'message': message,
                                     'after': bool(after), 'method': method})

    def add_delays(self, seconds, count=1):
        with self._lock:
            self._delays.extend([float(seconds)] * int(count))

    def add_malformed(self, kind, count=1, status=None):
        if kind not in MALFORMED_KINDS:
            raise ValueError('malformed kind must be one of %s' % ', '.join(MALFORMED_KINDS))
        with self._lock:
            for _unused in range(int(count)):
                self._malformed.append({'kind': kind, 'status': status})

    def add_late_answers(self, seconds=0.0, count=1, method='POST', drop=False, down_seconds=None):
        """The next ``count`` requests of ``method`` are carried out as usual; then the answer goes out ``seconds``
        late, or (``drop``) never: the connection is closed without one. ``down_seconds``: the agent then goes
        away for that long (None: it stays up), as a process killed right after committing the change would."""
        with self._lock:
            for _unused in range(int(count)):
                self._answers.append({'delay': float(seconds), 'drop': bool(drop), 'method': method,
                                      'down': None if down_seconds is None else float(down_seconds)})

    def add_interleaved(self, action, method='POST'):
        """Run ``action()`` just before the agent handles the next request of ``method``: another client's request
        that reached the agent first (e.g. someone retries the DAG between a client's read and its POST)."""
        with self._lock:
            self._before.append({'action': action, 'method': method})

    def clear(self):
        with self._lock:
            del self._errors[:]
            del self._delays[:]
            del self._malformed[:]
            del self._answers[:]
            del self._before[:]

    def take(self, method=None):
        plan = FaultPlan()
        with self._lock:
            if self._delays:
                plan.delay = self._delays.pop(0)
            if self._errors and self._errors[0]['method'] in (None, method):
                plan.error = self._errors.pop(0)
            elif self._malformed:
                plan.malformed = self._malformed.pop(0)
            if self._answers and self._answers[0]['method'] in (None, method):
                plan.answer = self._answers.pop(0)
            if self._before and self._before[0]['method'] in (None, method):
                plan.before = self._before.pop(0)['action']
        return plan


def mangle(kind, status, body):
    """Return ``(status, content_type, body)`` for a malformed response built from the real one."""
    if kind == 'html':
        return status or 502, 'text/html', HTML_PAGE
    if kind == 'empty':
        return status or 200, 'application/json', b''
    if kind == 'truncated':
        return status or 200, 'application/json', body[:max(1, len(body) // 2)]
    # missing_fields: an envelope without successful/status/data/error
    try:
        envelope = json.loads(body.decode('utf-8'))
    except ValueError:
        envelope = {}
    kept = dict((key, value) for key, value in envelope.items() if key in ('timestamp', 'duration', 'traceId'))
    return status or 200, 'application/json', json.dumps(kept, separators=(',', ':')).encode('utf-8')
