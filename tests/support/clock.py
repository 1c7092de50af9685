# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one fake of the wait's clock (``Clock`` in plugins/module_utils/_engine.py): time that moves only when the
code under test sleeps, or when a test (or a fake agent "taking time") moves ``t``."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

# 2026-05-08T10:00:00+08:00: the START of the fake agents' DAGs (tests/support/agents.py), which is the wall time at
# the fake clock's 0 unless a test says otherwise.
EPOCH = 1778205600.0


class FakeClock(object):
    """The wait's one clock, faked. ``t`` is the time; called, the seconds since ``origin`` (the wait's start); the
    monotonic time request deadlines are set on is ``t`` itself; the wall time DAG records are measured against is
    ``epoch + t``. ``sleep()`` refuses a negative time, records each sleep in ``sleeps`` (rounded to the microsecond,
    so that sums of float steps compare equal) and moves ``t``.

    ``start``: ``t`` at creation; ``epoch``: the wall time at ``t`` = 0; ``origin``: the time the wait started,
    when that is not 0."""

    def __init__(self, start=0.0, epoch=EPOCH, origin=0.0):
        self.t = start
        self.epoch = epoch
        self.origin = origin
        self.sleeps = []

    def __call__(self):
        return self.t - self.origin

    def monotonic(self):
        return self.t

    def wall(self):
        return self.epoch + self.t

    def sleep(self, seconds):
        assert seconds >= 0, seconds
        self.sleeps.append(round(seconds, 6))
        self.t += seconds
