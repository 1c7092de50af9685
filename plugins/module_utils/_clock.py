# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""The one clock of a wait: every time a wait reads (since its start, request deadlines, DAG ages) and every sleep
goes through one object, so a test can fake all of it and nothing reads the real time behind its back."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import time


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
