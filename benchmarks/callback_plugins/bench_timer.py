# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
name: bench_timer
type: aggregate
short_description: Monotonic timestamps of playbook events, for the benchmarks
description:
  - Appends one JSON line per playbook, play, task start and host result to the file named by
    E(OBSHELL_BENCH_TIMER_FILE), with C(time.monotonic()), which is the same clock as the simulator's.
  - Used by the benchmarks only (C(benchmarks/)); not part of the collection.
  - With E(OBSHELL_BENCH_TRANSPORT=http.client), makes the collection's client use the baseline transport of
    C(benchmarks/baseline_http.py) in this ansible-playbook run (the workers, forked later, inherit it).
requirements:
  - enabled with C(ANSIBLE_CALLBACKS_ENABLED=bench_timer) and C(ANSIBLE_CALLBACK_PLUGINS) naming its directory
'''

import json
import os
import sys
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'bench_timer'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self._path = os.environ.get('OBSHELL_BENCH_TIMER_FILE')
        if os.environ.get('OBSHELL_BENCH_TRANSPORT') == 'http.client':
            root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
            if root not in sys.path:
                sys.path.insert(0, root)
            from benchmarks.baseline import patch_client_class  # pylint: disable=import-outside-toplevel
            patch_client_class()

    def _write(self, **fields):
        fields['t'] = time.monotonic()
        if self._path:
            with open(self._path, 'a') as handle:
                handle.write(json.dumps(fields) + '\n')

    def v2_playbook_on_start(self, playbook):
        self._write(ev='playbook_start')

    def v2_playbook_on_play_start(self, play):
        self._write(ev='play_start')

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._write(ev='task_start', task=task.get_name())

    def v2_runner_on_ok(self, result):
        self._write(ev='ok', host=result._host.get_name(), task=result._task.get_name())

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._write(ev='failed', host=result._host.get_name(), task=result._task.get_name())

    def v2_runner_on_skipped(self, result):
        self._write(ev='skipped', host=result._host.get_name(), task=result._task.get_name())

    def v2_playbook_on_stats(self, stats):
        self._write(ev='stats')
