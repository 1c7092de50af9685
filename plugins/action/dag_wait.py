# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of oceanbase.obshell.dag_wait: drives the wait and prints progress live.

run_on=controller: the wait runs here, polling the agents over HTTP from the controller inside this one task run;
with ``hosts`` it watches every host of the batch at once. run_on=target: the module runs on the host in slices
(plugin_utils/_action.py).

The role oceanbase.obshell.wait_for_tasks calls it with the internal argument ``_role``: ``part`` on each host that
polls its own agent (connect_from target), ``verdict`` once for the batch (the wait itself from the controller, or
the combination of the hosts' parts). The role's settings, its hosts and its verdict are decided here
(plugin_utils/_role.py), not in Jinja.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.oceanbase.obshell.plugins.module_utils import (
    _crypto, _dag_id, _dag_lists, _http_route, _options, _parts, _report, _text, _verdict, _watcher)
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import ObshellError
from ansible_collections.oceanbase.obshell.plugins.plugin_utils import _role
from ansible_collections.oceanbase.obshell.plugins.plugin_utils._action import ObshellAction, Progress


class ActionModule(ObshellAction):

    MODULE = 'oceanbase.obshell.dag_wait'

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        if '_slice' in self._task.args:
            self.fail(['_slice is for internal use by dag_wait itself; remove it from the task'])
        if '_role' in self._task.args:
            return self._run_for_role(result, task_vars)
        spec = _options.dag_wait_spec()
        run_on = self._task.args.get('run_on') or 'controller'
        if run_on == 'target':
            self.validated(self.module_args(task_vars, spec), spec, check_files=False)
            # The lines are printed here, on the controller, whichever side polls: the controller's settings apply.
            progress = Progress(self._progress_wanted(spec, task_vars))
            result.update(self.run_module_slices(self.MODULE, self.module_args(task_vars, spec), task_vars,
                                                 progress))
        else:
            progress = Progress(self._progress_wanted(spec, task_vars))
            result.update(self._run_on_controller(spec, task_vars, progress))
        if 'outcome' in result:
            self._at_a_glance(result, progress, task_vars.get('inventory_hostname'))
            result.update(_report.lean_result(result))
        return result

    @staticmethod
    def _at_a_glance(result, progress, label):
        """A table for a batch (a person reading), and custom stats (AWX's job artifacts)."""
        result['ansible_stats'] = {'data': _verdict.stats(result), 'per_host': False, 'aggregate': True}
        if len(result.get('hosts') or ()) > 1:
            for line in _report.summary_table(result):
                progress.table_line(label, line)
        polls = result.get('polls') or 0
        progress.line(label, 'done: %s in %s after %s poll%s%s' % (
            result['outcome'], _report.format_elapsed(result.get('elapsed')), polls, '' if polls == 1 else 's',
            ' (%d hosts)' % len(result['hosts']) if len(result.get('hosts') or ()) > 1 else ''))

    # ------------------------------------------------------------------ the role wait_for_tasks

    def _run_for_role(self, result, task_vars):
        """``_role: part`` (each host, connect_from target) or ``_role: verdict`` (once for the batch)."""
        step = self._task.args.get('_role')
        hosts = _role.joined_hosts(task_vars)
        values = _role.settings(task_vars, self._templar)
        mode = values.get('mode') or 'wait'
        problems = _role.unknown_variables(task_vars) + _role.number_problems(values)
        target = values.get('connect_from') == 'target'
        if step == 'part':
            if problems or not target:
                result['skipped'] = True
                return result
            first = bool(hosts) and task_vars.get('inventory_hostname') == hosts[0]
            args = _role.wait_args(values, self._task.args)
            args['run_on'] = 'target'
            if not first:
                if args.get('scope') == 'cluster':
                    result['skipped'] = True
                    return result
                args.update(scope='agent', on_failure='fail')
            self._task.args = args
            spec = _options.dag_wait_spec()
            try:
                self.validated(self.module_args(task_vars, spec), spec, check_files=False)
            except AnsibleActionFail as exc:
                result.update(failed=True, msg=to_native(exc))
                return result
            progress = Progress(self._progress_wanted(spec, task_vars))
            result.update(self.run_module_slices(self.MODULE, self.module_args(task_vars, spec), task_vars, progress))
            return result
        if step != 'verdict':
            self.fail(['_role is for internal use by the role oceanbase.obshell.wait_for_tasks'])
        if not hosts:
            hosts = [task_vars.get('inventory_hostname')]
        if problems:
            verdict = _role.error_verdict(hosts, mode, 'wait_for_tasks cannot wait: %s' % '; '.join(problems))
        else:
            self._task.args = _role.wait_args(values, self._task.args)
            spec = _options.dag_wait_spec()
            progress = Progress(self._progress_wanted(spec, task_vars))
            if target:
                hostvars = task_vars.get('hostvars') or {}
                parts = dict((host, hostvars[host].get(_role.PREFIX + 'part')) for host in hosts)
                verdict = _verdict.combine_results(parts, mode=mode, fail_on=values.get('fail_on'))
                verdict['polls'] = max([part.get('polls') or 0 for part in verdict['parts']] or [0])
                verdict['elapsed'] = max([part.get('elapsed') or 0.0 for part in verdict['parts']] or [0.0])
                verdict['changed'] = any(attempt.get('operator') for attempt in verdict['remediations'])
            else:
                self._task.args['hosts'] = hosts
                try:
                    verdict = self._run_on_controller(spec, task_vars, progress)
                except AnsibleActionFail as exc:
                    verdict = _role.error_verdict(hosts, mode, 'wait_for_tasks could not wait: %s' % to_native(exc))
            if verdict.get('parts'):
                self._at_a_glance(verdict, progress, task_vars.get('inventory_hostname'))
        result['ansible_stats'] = verdict.pop('ansible_stats', None) or {'data': {}}
        result['changed'] = bool(verdict.get('changed'))
        # The role keeps the verdict as its fact; the registered result of this task is not printed at -v (the
        # fact is, once).
        result['verdict'] = _report.lean_result(verdict)
        result['_ansible_verbose_override'] = True
        return result

    def _progress_wanted(self, spec, task_vars):
        values = _options.resolve(self._task.args, task_vars, self.controller_environ(), {'progress': None})
        return values.get('progress') not in (False, 'false', 'False', 'no', '0', 0)

    def _values(self, spec, host_vars, environ, host_name, template, drop=(), shared_vars=None):
        args = dict((key, value) for key, value in self._task.args.items() if key not in drop)
        try:
            resolved = _options.resolve(args, host_vars, environ, spec, host_name=host_name, shared_vars=shared_vars,
                                        template=template)
        except AnsibleError as exc:
            self.fail(['an obshell_* variable of %s cannot be filled in: %s' % (host_name, to_native(exc))])
        values = self.validated(resolved, spec)
        problems = _options.check_remediation_options(values)
        if values['id'] is not None:
            try:
                values['id'] = _dag_id.validate_generic_id(values['id'])
            except ValueError as exc:
                problems.append('id: %s' % to_native(exc))
        try:
            _dag_lists.compile_name_filter(values['names'])
        except ValueError as exc:
            problems.append(to_native(exc))
        if problems:
            self.fail(problems)
        return values

    def _run_on_controller(self, spec, task_vars, progress):
        for library, present in (('cryptography', _crypto.HAS_CRYPTOGRAPHY), ('requests', _http_route.HAS_REQUESTS)):
            if not present:
                self.fail(['dag_wait with run_on=controller needs the Python library %s on the controller (or use '
                           'run_on=target)' % library])
        environ = self.controller_environ()
        inventory_hostname = task_vars.get('inventory_hostname')
        values = self._values(spec, task_vars, environ, inventory_hostname, self._templar.template)
        hosts = values['hosts']
        per_host = [(inventory_hostname, values)]
        if hosts:
            if values['id'] is not None:
                self.fail(['hosts and id cannot be used together: a DAG id names one DAG on one agent'])
            hostvars = task_vars.get('hostvars') or {}
            unknown = [host for host in hosts if host not in hostvars]
            if unknown:
                self.fail(['hosts: %s not in the inventory' % ', '.join(unknown)])
            # Each host's agent address comes from its own variables, never from one templated `host`.
            # Without `hosts` itself: validating it again per host copied the whole list each time (2 s at 100 hosts).
            shared = _options.play_scoped(task_vars)
            per_host = []
            for host in hosts:
                own, template = _options.host_scope(self._templar, hostvars, host, shared)
                per_host.append((host, self._values(spec, own, environ, host, template, drop=('host', 'hosts'),
                                                    shared_vars=shared)))
            problems = _options.one_agent_per_host([(host, (host_values['host'], host_values['port']))
                                                    for host, host_values in per_host])
            if problems:
                self.fail(['hosts: %s' % problem for problem in problems])
        targets = []
        try:
            for host, host_values in per_host:
                try:
                    client = _options.client_from_options(host_values, retries=0, environ=environ)
                except (ObshellError, ValueError) as exc:
                    raise AnsibleActionFail('%s: cannot set up the OBShell client for %s: %s'
                                            % (self.MODULE, host, to_native(exc)))
                targets.append(_parts.Target(host, client))
            combined, watcher = _watcher.run_wait(values, targets, check_mode=bool(self._task.check_mode),
                                                  on_event=progress.line, warn=self._display_warning)
        finally:
            for target in targets:
                target.client.close()
        result = _watcher.wait_result(combined, watcher, single_host=not hosts)
        warnings = []
        for target in targets:
            for warning in target.client.warnings:
                warning = _text.printable(warning)
                if warning not in warnings:
                    warnings.append(warning)
        if warnings:
            result['warnings'] = warnings
        return result

    @staticmethod
    def _display_warning(text):
        from ansible.utils.display import Display
        Display().warning(_text.printable(text))
