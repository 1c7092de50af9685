# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of oceanbase.obshell.dag_wait: drives the wait and prints progress live.

run_on=controller: the wait runs here, polling the agent over HTTP from the controller inside this one task run.
run_on=target: the module runs on the host in slices. Each slice returns as soon as something changed (or after at
most a minute) with its progress lines and the wait's state, and the next slice carries on from that state. The
lines are printed as each slice returns, so progress stays live without the module printing anything itself.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.oceanbase.obshell.plugins.module_utils import _crypto, _dag, _options, _waiter
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import ObshellError

display = Display()

MODULE_NAME = 'oceanbase.obshell.dag_wait'
SLICE_SECONDS = 60.0
_RESULT_KEYS = ('outcome', 'dags', 'elapsed', 'polls', 'failures', 'running', 'unreachable_agent', 'error', 'events',
                'agent', 'scope', 'msg')


class ActionModule(ActionBase):

    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        if task_vars is None:
            task_vars = {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp

        if '_slice' in self._task.args:
            raise AnsibleActionFail('_slice is for internal use by dag_wait itself; remove it from the task')
        task_args = dict(self._task.args)
        try:
            dummy, params = self.validate_argument_spec(argument_spec=_waiter.wait_argument_spec())
        except AnsibleActionFail as exc:
            # Name the module as users write it, not the action plugin's Python path.
            raise AnsibleActionFail(to_native(exc.message).replace('(%s)' % self._load_name, '(%s)' % MODULE_NAME))
        problems = _waiter.check_wait_options(params)
        if problems:
            raise AnsibleActionFail('; '.join(problems))

        label = task_vars.get('inventory_hostname') or self._task.get_name()
        reporter = _Reporter(label, params['progress'])

        if params['run_on'] == 'target':
            result.update(self._run_on_target(task_args, task_vars, reporter))
        else:
            result.update(self._run_on_controller(params, reporter))
        result['changed'] = False
        if 'outcome' in result:
            reporter.line('done: %s in %s after %s poll%s' % (
                result['outcome'], _waiter.format_seconds(result.get('elapsed')), result.get('polls'),
                '' if result.get('polls') == 1 else 's'))
        return result

    # ------------------------------------------------------------------ controller

    def _run_on_controller(self, params, reporter):
        if not _crypto.HAS_CRYPTOGRAPHY:
            raise AnsibleActionFail('dag_wait with run_on=controller needs the Python library cryptography on the '
                                    'controller (or use run_on=target)')
        if params['id'] is not None:
            params['id'] = _dag.validate_generic_id(params['id'])
        try:
            client = _options.client_from_options(_waiter.client_params(params))
        except (ObshellError, ValueError) as exc:
            raise AnsibleActionFail('cannot set up the OBShell client: %s' % to_native(exc))
        try:
            outcome_result, dummy_engine, dummy_events = _waiter.run_wait(
                params, bool(self._task.check_mode), client, _waiter.stopwatch(), on_event=reporter.line)
        finally:
            client.close()
        return outcome_result

    # ------------------------------------------------------------------ target

    def _run_on_target(self, task_args, task_vars, reporter):
        clock = _waiter.stopwatch()
        state = None
        while True:
            module_args = dict(task_args)
            module_args['_slice'] = {'state': state, 'elapsed': clock(), 'max_seconds': SLICE_SECONDS}
            module_result = self._execute_module(module_name=MODULE_NAME, module_args=module_args,
                                                 task_vars=task_vars)
            slice_info = module_result.pop('_slice', None)
            if not isinstance(slice_info, dict):
                # The module did not get as far as waiting (missing library, bad option, crash): pass it on.
                return module_result
            for line in slice_info.get('events') or []:
                reporter.line(line)
            if slice_info.get('done'):
                # The carried state is internal (and large): keep it out of the task's invocation.
                invocation = module_result.get('invocation')
                if isinstance(invocation, dict) and isinstance(invocation.get('module_args'), dict):
                    invocation['module_args'].pop('_slice', None)
                return module_result
            state = slice_info.get('state')


class _Reporter(object):
    """Progress lines, live, prefixed with the inventory hostname (Display is proxied from workers)."""

    def __init__(self, label, enabled):
        self.label = label
        self.enabled = enabled

    def line(self, text):
        if self.enabled:
            display.display('%s | %s' % (self.label, text))
