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
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.oceanbase.obshell.plugins.module_utils import _options, _text
from ansible_collections.oceanbase.obshell.plugins.module_utils._vocabulary import SLICE_SECONDS

display = Display()

# Stdout callbacks that people read: progress lines go there. Any other (json, jsonl, tree, null...) gets none, so
# that what it prints stays what it promises (valid JSON, one object per line...).
_CALLBACKS_FOR_PEOPLE = frozenset(('default', 'yaml', 'minimal', 'dense', 'debug', 'oneline', 'unixy', 'selective',
                                   'counter_enabled', 'skippy', 'actionable', 'awx_display', 'diy', 'full_skip'))


# ansible-runner (the engine under AWX/AAP) sets this stdout callback; it wraps the callback the user chose, which it
# names in ORIGINAL_STDOUT_CALLBACK (ansible_runner/config/_base.py), and turns every callback into a job event.
_RUNNER_STDOUT_CALLBACK = 'awx_display'


def _stdout_callback_name():
    return str(C.config.get_config_value('DEFAULT_STDOUT_CALLBACK') or 'default').rsplit('.', 1)[-1]


def stdout_callback_is_for_people():
    """Whether progress lines belong on stdout: a callback for people; under ansible-runner, the callback that
    awx_display wraps is one (awx_display over ``json`` still prints one JSON document)."""
    name = _stdout_callback_name()
    if name == _RUNNER_STDOUT_CALLBACK:
        wrapped = os.environ.get('ORIGINAL_STDOUT_CALLBACK')
        return not wrapped or str(wrapped).rsplit('.', 1)[-1] in _CALLBACKS_FOR_PEOPLE
    return name in _CALLBACKS_FOR_PEOPLE


def _send_callback_2_21(final_q, host, task, data):
    # ansible-core 2.21: FinalQueue.send_callback(method_name, host, task, utr) with a UnifiedTaskResult.
    import importlib
    unified = importlib.import_module('ansible._internal._task').UnifiedTaskResult
    final_q.send_callback('v2_on_file_diff', host, task, unified.from_action_result_dict(data))


def _send_callback_2_19(final_q, host, task, data):
    # ansible-core 2.19 and 2.20: FinalQueue.send_callback(method_name, task_result) with a _RawTaskResult.
    from ansible.executor import task_result
    raw = getattr(task_result, '_RawTaskResult')
    final_q.send_callback('v2_on_file_diff', raw(host=host, task=task, return_data=data,
                                                 task_fields=task.dump_attrs()))


def _send_callback_2_16(final_q, host, task, data):
    # ansible-core 2.16 to 2.18: FinalQueue.send_callback(method_name, *args) with a TaskResult naming the host and
    # the task (the strategy swaps in the real objects, as for the worker's own callbacks).
    from ansible.executor.task_result import TaskResult
    final_q.send_callback('v2_on_file_diff', TaskResult(host.name, task._uuid, data, task_fields=task.dump_attrs()))


def _callback_sender(final_q):
    """The function that sends a callback with a task result through this ansible-core's worker queue, chosen by the
    shape of ``FinalQueue.send_callback``; None when it is none of the known shapes."""
    import inspect
    try:
        parameters = inspect.signature(final_q.send_callback).parameters
    except (AttributeError, TypeError, ValueError):
        return None
    names = list(parameters)
    if names[:4] == ['method_name', 'host', 'task', 'utr']:
        return _send_callback_2_21
    if names[:2] == ['method_name', 'task_result']:
        return _send_callback_2_19
    if names[:1] == ['method_name'] and any(p.kind == p.VAR_POSITIONAL for p in parameters.values()):
        return _send_callback_2_16
    return None


class _TaskEvents(object):
    """Progress lines as job events of their task and host, for ansible-runner (AWX/AAP).

    A worker's ``display.display()`` reaches the main process as a bare display call, which ansible-runner records as
    a ``verbose`` event with no host or task. A callback sent through the worker's queue with a task result is
    dispatched in the main process like the worker's own (loop items, retries, async polls), inside awx_display's
    event context. The callback is ``v2_on_file_diff`` with the diff ``{'prepared': line}``: the stdout callback prints
    a prepared diff as it is, so the event's stdout is the line itself (ansible-runner's event
    ``runner_on_file_diff``, with ``host``, ``task_uuid`` and ``diff.prepared``).
    """

    def __init__(self):
        self._worker = None
        self._send = None
        try:
            from ansible.executor.process import worker
        except ImportError:
            return
        current = getattr(worker, 'current_worker', None)
        final_q = getattr(current, '_final_q', None)
        host = getattr(current, '_host', None)
        task = getattr(current, '_task', None)
        if final_q is None or getattr(host, 'name', None) is None or getattr(task, '_uuid', None) is None:
            return
        # no_log hides a result's diff from the callbacks: such a task keeps the plain display line.
        if getattr(task, 'no_log', False) is True:
            return
        self._worker = current
        self._send = _callback_sender(final_q)

    def send(self, line):
        """True when the line went out as an event; False (nothing sent) when the caller should display it."""
        if self._send is None:
            return False
        current = self._worker
        try:
            self._send(current._final_q, current._host, current._task,
                       {'changed': True, 'diff': {'prepared': line}})
        except Exception:  # pylint: disable=broad-except
            # Any ansible-core whose internals differ: the plain display line, from now on.
            self._send = None
            return False
        return True


class Progress(object):
    """Progress lines, printed live ("<host> | <line>") when wanted and the stdout callback is read by people, and
    kept in order for the result.

    Display calls from a worker are forwarded to the main process. Under ansible-runner (stdout callback
    awx_display), each line is sent instead as a callback of the task's host (``_TaskEvents``), so that it becomes a
    job event of that task and host; where that is not possible, it is the same display line.
    """

    def __init__(self, enabled):
        self.enabled = bool(enabled) and stdout_callback_is_for_people()
        self.lines = []
        self._events = _TaskEvents() if self.enabled and _stdout_callback_name() == _RUNNER_STDOUT_CALLBACK else None

    def line(self, label, text):
        line = '%s | %s' % (label, text) if label else text
        self.lines.append(line)
        if self.enabled and not (self._events is not None and self._events.send(line)):
            display.display(line)

    def table_line(self, label, text):
        """A line of the end-of-wait table: printed as it is for a person (a host name before every line of a table
        is noise); as a job event under ansible-runner, prefixed like every progress event of its host."""
        if self._events is not None and self._events._send is not None:
            self.line(label, text)
        else:
            self.line(None, text)


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
        # Ansible prints the message as it is: an agent's words in it must not drive the terminal.
        raise AnsibleActionFail(_text.printable('%s: %s' % (self.MODULE, '; '.join(problems))))

    def validated(self, values, spec, check_files=True):
        """``values`` checked (_options.validate); an AnsibleActionFail naming every bad option otherwise."""
        validated, problems = _options.validate(values, spec, check_files=check_files)
        if problems:
            self.fail(problems)
        return validated

    def module_args(self, task_vars, spec):
        """The task's arguments for a module run on the host, with the ``obshell_*`` variables the task sees for the
        connection options it leaves unset (_options.resolve; the module then applies the environment and the
        defaults)."""
        connection = dict((name, spec[name]) for name in _options.CONNECTION_OPTION_NAMES if name in spec)
        return _options.resolve(self._task.args, task_vars, {}, connection, controller=False,
                                template=self._templar.template)

    def run_module_slices(self, module_name, module_args, task_vars, progress, label=None):
        """Run a wait as the module ``module_name`` on the host, in slices that return at every change (or after at
        most SLICE_SECONDS) and carry the wait's state to the next: the lines are printed as each slice returns, so
        progress is live without the module printing anything itself. Returns the last module result."""
        state = None
        elapsed = 0.0
        from ansible_collections.oceanbase.obshell.plugins.module_utils._clock import Clock
        clock = Clock()
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
