# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of oceanbase.obshell.dag: the operation runs as the module on the host; then, with wait=true, the
wait runs as oceanbase.obshell.dag_wait on the same host (same agent, same settings, no retries nested in retries),
in slices, with its progress printed live; last, the outcome is checked against the state asked for."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.oceanbase.obshell.plugins.module_utils import _options, _vocabulary
from ansible_collections.oceanbase.obshell.plugins.module_utils._clock import Clock
from ansible_collections.oceanbase.obshell.plugins.plugin_utils._action import ObshellAction, Progress

# What the wait does not take from the operation's own options.
_WAIT_ARGS = dict(scope='auto', appear_timeout=0, fail_on=[], run_on='target', mode='wait', on_failure='fail')


class ActionModule(ObshellAction):

    MODULE = 'oceanbase.obshell.dag'

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        clock = Clock()
        spec = _options.argument_spec(_options.WAIT_SPEC, id=dict(type='str'), state=dict(type='str'),
                                      node=dict(type='str'), name=dict(type='str'), start_time=dict(type='str'),
                                      wait=dict(type='bool', default=True))
        module_args = self.module_args(task_vars, spec)
        # (_execute_module adds its _ansible_* keys to the dict it is given.)
        result.update(self._execute_module(module_name=self.MODULE, module_args=dict(module_args), task_vars=task_vars))
        if result.get('failed') or self._task.check_mode or not result.get('dag'):
            return result
        values = self.validated(module_args, spec, check_files=False)
        if not values['wait']:
            return result
        expected = _vocabulary.OPERATION_OUTCOMES[values['state']]
        if result.get('outcome') != 'running' and (result.get('outcome') is not None or not result.get('took')):
            # Ended already (nothing to wait for): it must have ended as asked, like after a wait.
            if result.get('outcome') not in expected:
                result['failed'] = True
                result['msg'] = '%s: it ended %s, not %s' % (result.get('msg'), result.get('outcome'),
                                                             ' or '.join(expected))
            return result
        wait_args = dict((name, module_args[name]) for name in _options.CONNECTION_OPTION_NAMES if name in module_args)
        wait_args.update(_WAIT_ARGS, id=result['dag']['id'], poll_interval=values['poll_interval'],
                         unreachable_timeout=values['unreachable_timeout'], progress=values['progress'],
                         timeout=max(values['timeout'] - clock(), 0.5))
        waited = self.run_module_slices('oceanbase.obshell.dag_wait', wait_args, task_vars, Progress(values['progress']))
        waited.pop('invocation', None)
        result['wait'] = waited
        final = (waited.get('dags') or [result['dag']])[-1]
        result['dag'] = final
        ended = waited.get('outcome') in ('timeout', 'unreachable', 'error') or waited.get('failed')
        result['outcome'] = waited.get('outcome') if ended else final.get('outcome')
        if result['outcome'] not in expected:
            result['failed'] = True
            result['msg'] = "%s: after %s it ended %s, not %s: %s" % (
                result.get('msg'), result.get('operator') or 'the earlier operation', result['outcome'],
                ' or '.join(expected), waited.get('msg'))
        return result
