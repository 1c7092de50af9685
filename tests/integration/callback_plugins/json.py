# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stand-in for ansible.posix.json in the output-format tests (Galaxy cannot be reached from CI).

Like ansible.posix.json it prints nothing while the playbook runs and one JSON document at the end: the plays, their
tasks with each host's result, and the stats. Loaded with ANSIBLE_CALLBACK_PLUGINS=<this directory> and
ANSIBLE_STDOUT_CALLBACK=json.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = '''
    name: json
    type: stdout
    short_description: one JSON document at the end of the run (test stand-in for ansible.posix.json)
    description:
      - Prints the plays, tasks, per-host results and stats as one JSON document when the playbook ends.
    options:
      json_indent:
        description: Indent of the JSON output, as ansible.posix.json has it (accepted, not used).
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
    CALLBACK_NAME = 'json'

    def __init__(self, display=None):
        super(CallbackModule, self).__init__(display)
        self.plays = []

    def v2_playbook_on_play_start(self, play):
        self.plays.append({'play': {'name': play.get_name()}, 'tasks': []})

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.plays[-1]['tasks'].append({'task': {'name': task.get_name()}, 'hosts': {}})

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)

    def _record(self, result, **flags):
        data = dict(self._convert_results(result))
        data.update(flags)
        self.plays[-1]['tasks'][-1]['hosts'][result._host.get_name()] = data

    def _convert_results(self, result):
        return json.loads(self._dump_results(result._result, indent=None))

    def v2_runner_on_ok(self, result):
        self._record(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, failed=True)

    def v2_runner_on_skipped(self, result):
        self._record(result, skipped=True)

    def v2_runner_on_unreachable(self, result):
        self._record(result, unreachable=True)

    def v2_playbook_on_stats(self, stats):
        summary = dict((host, stats.summarize(host)) for host in sorted(stats.processed))
        self._display.display(json.dumps({'plays': self.plays, 'stats': summary}, indent=4, sort_keys=True))
