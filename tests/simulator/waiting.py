# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bounded waiting on a condition, for tests and benchmarks that watch the simulator (never a bare sleep)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import time


def wait_until(predicate, timeout=15.0, interval=0.02):
    """True as soon as ``predicate()`` is true, False once ``timeout`` seconds have passed without it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
