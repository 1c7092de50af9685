# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stand-in for ansible.posix.jsonl in the output-format tests (Galaxy cannot be reached from CI).

Like ansible.posix.jsonl it prints one JSON object per line as the run goes: a line when a play or a task starts, one
per host result, and the stats at the end. Loaded with ANSIBLE_CALLBACK_PLUGINS=<this directory> and
ANSIBLE_STDOUT_CALLBACK=jsonl.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = '''
    name: jsonl
    type: stdout
    short_description: one JSON object per line, as the run goes (test stand-in for ansible.posix.jsonl)
    description:
      - Prints a JSON object on one line for each play and task start, each host result, and the stats.
    options:
      json_indent:
        description: Indent of the JSON output, as ansible.posix.jsonl has it (accepted, not used).
        type: int
        default: 4
        env:
          - name: ANSIBLE_JSON_INDENT
'''

import json

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'stdout'
    CALLBACK_NAME = 'jsonl'

    def _line(self, record):
        self._display.display(json.dumps(record, sort_keys=True))

    def v2_playbook_on_play_start(self, play):
        self._line({'event': 'play_start', 'play': play.get_name()})

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._line({'event': 'task_start', 'task': task.get_name()})

    def _result(self, event, result):
        self._line({'event': event, 'host': result._host.get_name(), 'task': result._task.get_name(),
                    'result': json.loads(self._dump_results(result._result, indent=None))})

    def v2_runner_on_ok(self, result):
        self._result('ok', result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._result('failed', result)

    def v2_runner_on_skipped(self, result):
        self._result('skipped', result)

    def v2_runner_on_unreachable(self, result):
        self._result('unreachable', result)

    def v2_playbook_on_stats(self, stats):
        self._line({'event': 'stats',
                    'stats': dict((host, stats.summarize(host)) for host in sorted(stats.processed))})
