# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


class ModuleDocFragment(object):
    """The one wait contract: the same names mean the same thing in dag_wait, in dag with wait=true, and in the role
    (where each is wait_for_tasks_<name>)."""

    DOCUMENTATION = r'''
options:
  timeout:
    description:
      - The overall deadline of the wait, in seconds, from the start of the task. Every request is kept within
        it, so the task ends at the latest one O(request_timeout) after it.
      - This is not the time one request may take; that is O(request_timeout).
    type: float
    default: 3600
  poll_interval:
    description:
      - Seconds between polls, from the start of one poll to the start of the next. At least V(0.5).
      - When nothing changes, a poll is one small request per agent list read.
    type: float
    default: 5
  unreachable_timeout:
    description:
      - How long an agent may fail to answer (or, for the cluster DAGs, every CLUSTER AGENT asked) before the wait
        ends as C(unreachable). An agent restarts, for example, during an upgrade; its observer may be down for a
        while, and then the cluster DAGs cannot be read ("cluster DAGs unknown"), which is waited out the same
        way, never taken for idle.
      - Failed reads are retried with a backoff that starts at min(O(poll_interval), 1 s) and doubles up to
        max(O(poll_interval), 10 s). The window starts again after every good read.
      - Before the first good read, only errors about reaching the agent are retried. Wrong credentials, TLS
        errors and the like end the wait at once with outcome C(error).
    type: float
    default: 300
  progress:
    description:
      - Print one progress line per change while waiting (a DAG appears, or its stage, node or state changes, or
        an agent goes away or comes back), live, each line starting with the inventory hostname.
      - Lines are printed only with a stdout callback that is read by people (C(default), C(yaml) and the like).
        With a machine-readable one (C(json), C(jsonl)...) nothing is printed, so its output stays valid; the
        lines are always returned in the result (RV(ignore:events)).
      - V(false) prints nothing. The environment variable E(OBSHELL_PROGRESS=false) on the controller does the
        same for every task.
    type: bool
    default: true
'''

    # What decides the verdict of a wait on DAGs that are listed rather than named: dag_wait and the role.
    VERDICT = r'''
options:
  appear_timeout:
    description:
      - Seconds to wait for a matching DAG to appear, for use right after an operation was started.
      - With V(0), if nothing matches at the first poll the outcome is C(idle) at once.
      - The window closes as soon as any matching DAG is seen, anywhere in the wait.
      - With O(ignore:id), a DAG that does not exist is an error once this window is over, never C(idle).
      - A DAG that starts and finishes between two polls cannot be seen in the unfinished list. Use O(ignore:id)
        when you know it.
    type: float
    default: 0
  fail_on:
    description:
      - The overall outcomes that fail the task. The outcome C(error) always fails it.
      - The default fails on everything except C(idle) and C(succeeded). C(passed) means a failed step was
        skipped (a DAG or one of its nodes was passed), not done.
    type: list
    elements: str
    choices: [idle, succeeded, failed, rolled_back, passed, canceled, timeout, unreachable]
    default: [failed, rolled_back, passed, canceled, timeout, unreachable]
'''
