# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmarks of oceanbase.obshell against the simulated agent: ``python -m benchmarks`` (or
``bash scripts/bench.sh``) prints one table, each figure beside its target and its comparison.

Benchmarks print figures; they are not timed tests and never fail on a figure. ``docs/performance.md``
explains how each figure is measured.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type
