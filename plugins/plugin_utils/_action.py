# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""What the collection's action plugins share (controller side): where settings come from, live progress, and waits
run on the host in slices."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

from ansible import constants as C
from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.oceanbase.obshell.plugins.module_utils import _options

display = Display()

# Stdout callbacks that people read: progress lines go there. Any other (json, jsonl, tree, null...) gets none, so
# that what it prints stays what it promises (valid JSON, one object per line...).
_CALLBACKS_FOR_PEOPLE = frozenset(('default', 'yaml', 'minimal', 'dense', 'debug', 'oneline', 'unixy', 'selective',
                                   'counter_enabled', 'skippy', 'actionable', 'awx_display', 'diy', 'full_skip'))
# A slice of a wait run on the host returns at the latest after this many seconds (a heartbeat for the connection).
SLICE_SECONDS = 60.0


def stdout_callback_is_for_people():
    name = C.config.get_config_value('DEFAULT_STDOUT_CALLBACK') or 'default'
    return str(name).rsplit('.', 1)[-1] in _CALLBACKS_FOR_PEOPLE


class Progress(object):
    """Progress lines, printed live ("<host> | <line>") when wanted and the stdout callback is read by people, and
    kept in order for the result (Display calls from a worker are forwarded to the main process)."""

    def __init__(self, enabled):
        self.enabled = bool(enabled) and stdout_callback_is_for_people()
        self.lines = []

    def line(self, label, text):
        line = '%s | %s' % (label, text) if label else text
        self.lines.append(line)
        if self.enabled:
            display.display(line)


class ObshellAction(ActionBase):
    """Base of the collection's action plugins."""

    TRANSFERS_FILES = False
    MODULE = None   # the FQCN users write, for messages

    def task_environment(self):
        """The task's ``environment:``, templated (what a module run on the host would see over its own)."""
        environment = {}
        self._compute_environment_string(environment)
        return dict((str(key), str(value)) for key, value in environment.items())

    def controller_environ(self):
        """The environment of a request made from the controller: the controller's, with the task's over it."""
        environ = dict(os.environ)
        environ.update(self.task_environment())
        return environ

    def fail(self, problems):
        raise AnsibleActionFail('%s: %s' % (self.MODULE, '; '.join(problems)))

    def validated(self, values, spec, check_files=True):
        """``values`` checked against ``spec`` (types, choices, defaults) and by the collection's own checks; an
        AnsibleActionFail naming every bad option otherwise."""
        result = ArgumentSpecValidator(_options.without_fallbacks(spec)).validate(values)
        if result.error_messages:
            self.fail([('unsupported parameters: %s' % error if isinstance(error, UnsupportedError) else str(error))
                       for error in result.errors])
        validated = result.validated_parameters
        problems = _options.check_connection_options(validated, check_files=check_files)
        problems += _options.check_wait_options(validated)
        if problems:
            self.fail(problems)
        return validated

    def module_args(self, task_vars, spec):
        """The task's arguments for a module run on the host, with the host's ``obshell_*`` variables for the
        connection options the task leaves unset (the module then applies the environment and the defaults)."""
        args = dict(self._task.args)
        for name in _options.CONNECTION_OPTION_NAMES:
            if name in spec and args.get(name) is None:
                value = task_vars.get('obshell_' + name)
                if value is not None:
                    args[name] = self._templar.template(value)
        return args

    def run_module_slices(self, module_name, module_args, task_vars, progress, label=None):
        """Run a wait as the module ``module_name`` on the host, in slices that return at every change (or after at
        most SLICE_SECONDS) and carry the wait's state to the next: the lines are printed as each slice returns, so
        progress is live without the module printing anything itself. Returns the last module result."""
        state = None
        elapsed = 0.0
        from ansible_collections.oceanbase.obshell.plugins.module_utils._engine import Stopwatch
        clock = Stopwatch()
        while True:
            args = dict(module_args)
            args['_slice'] = {'state': state, 'elapsed': elapsed, 'max_seconds': SLICE_SECONDS,
                              'label': label or task_vars.get('inventory_hostname')}
            module_result = self._execute_module(module_name=module_name, module_args=args, task_vars=task_vars)
            slice_info = module_result.pop('_slice', None)
            invocation = module_result.get('invocation')
            if isinstance(invocation, dict) and isinstance(invocation.get('module_args'), dict):
                # The carried state is internal (and large): keep it out of the task's invocation.
                invocation['module_args'].pop('_slice', None)
            if not isinstance(slice_info, dict):
                # The module did not get as far as waiting (missing library, bad option, crash): pass it on.
                return module_result
            for line in slice_info.get('lines') or []:
                progress.line(None, line)
            if slice_info.get('done'):
                return module_result
            state = slice_info.get('state')
            elapsed = clock()


class ModuleWithHostVars(ObshellAction):
    """A module run on the host as usual, with the host's ``obshell_*`` variables for the connection options that
    the task (and module_defaults) leave unset: the action of dag_info and facts."""

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ModuleWithHostVars, self).run(tmp, task_vars)
        del tmp
        args = self.module_args(task_vars, _options.CONNECTION_SPEC)
        result.update(self._execute_module(module_name=self.MODULE, module_args=args, task_vars=task_vars))
        return result
