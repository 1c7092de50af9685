# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Prints the figures the reliability tests recorded (timings, request counts, retries) after the run, and keeps
them in tests/output/reliability-figures.json (git-ignored) for docs/reliability.md."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os

from tests.reliability._support import FIGURES

OUTPUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'output',
                      'reliability-figures.json')


def pytest_terminal_summary(terminalreporter):
    if not FIGURES:
        return
    terminalreporter.write_sep('-', 'reliability figures')
    for test, name, value in FIGURES:
        terminalreporter.write_line('%s | %s | %s' % (test, name, value))
    try:
        if not os.path.isdir(os.path.dirname(OUTPUT)):
            os.makedirs(os.path.dirname(OUTPUT))
        with open(OUTPUT, 'w') as handle:
            json.dump([{'test': t, 'figure': n, 'value': v} for t, n, v in FIGURES], handle, indent=1, default=str)
    except OSError:
        pass
