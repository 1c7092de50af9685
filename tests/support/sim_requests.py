# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What reached the simulated agents (their request log, ``sim.requests``), and faults timed on it, for the tests that
run real ansible-playbook processes against the simulator."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import threading
import time

from tests.simulator.waiting import wait_until


def task_requests(sim, since=0.0):
    """Authenticated task requests that reached the agent(s) since ``since`` (the simulator's monotonic time)."""
    return [r for r in sim.requests if r['path'].startswith('/api/v1/task/') and r['time'] >= since]


def after_first_poll(sim, action, *args):
    """Run ``action(*args)`` in a thread as soon as the wait has listed the DAGs once (whenever ansible-playbook
    got there), so a fault lands mid-wait however long the start-up took."""
    def run():
        listed = ('/api/v1/task/dag/unfinish', '/api/v1/task/dag/ob/unfinish', '/api/v1/task/dag/agent/unfinish')
        if wait_until(lambda: any(r['path'] in listed for r in sim.requests), timeout=60):
            time.sleep(0.3)
            action(*args)
    thread = threading.Thread(target=run)
    thread.daemon = True
    thread.start()
    return thread
