# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The floor of the role: what ansible-core costs for the play shape of ``oceanbase.obshell.wait_for_tasks``,
whatever its tasks do.

In ansible-core's linear strategy every task that runs per host costs a worker process per host (``forks`` at a
time), about 15-20 ms per host on a 2-core machine even when the task is skipped; a ``run_once`` task costs one. The
floor role has the real role's argument spec and defaults (copied from ``roles/wait_for_tasks/meta`` and
``defaults``, so ansible-core's inserted validation task checks the same variables) and one skipped
``ansible.builtin.debug`` for each task of ``roles/wait_for_tasks/tasks/main.yml``, per host where the real task runs
per host, ``run_once`` where it is ``run_once``. The shape is read from the role's file at run time, so the floor
follows the role. A templated ``run_once`` counts as ``run_once``: the benchmarks run the role from the controller
(``wait_for_tasks_connect_from: controller``) on idle agents, where both templated ones are (the target-mode branch,
and the fail of a batch that did not fail).

    directory = role_floor.make(workdir)            # a roles path holding the role ``obshell_bench_floor``
    env = {'ANSIBLE_ROLES_PATH': directory}
    playbook = role_floor.PLAY                      # the floor role on every host, gather_facts off
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import shutil
import subprocess

from benchmarks import harness

ROLE = os.path.join(harness.REPO_ROOT, 'roles', 'wait_for_tasks')
NAME = 'obshell_bench_floor'
VALIDATION = 'Validating arguments'     # the start of the name of the task ansible-core inserts for the spec

PLAY = """
- name: The role's play shape with no-op tasks
  hosts: observers
  gather_facts: false
  roles:
    - role: %s
      vars:
        wait_for_tasks_mode: assert_idle
""" % NAME


def role_tasks():
    """[(name, run_once)] of the tasks of the real role, in order (without the inserted validation task)."""
    import yaml  # pylint: disable=import-outside-toplevel
    with open(os.path.join(ROLE, 'tasks', 'main.yml')) as handle:
        tasks = yaml.safe_load(handle)
    shape = []
    for task in tasks:
        run_once = task.get('run_once', False)
        if isinstance(run_once, str):
            # Templated: the target-mode branch (once from the controller) or the fail (once when nothing failed);
            # the benchmarks run the role from the controller on idle agents, where both are run_once.
            markers = ("'controller'", "'target'", 'verdict.failed', 'wait_for_tasks_result.failed')
            if not any(marker in run_once for marker in markers):
                raise RuntimeError('the floor does not know how to read run_once: %r of %r' % (
                    run_once, task.get('name')))
            run_once = True
        shape.append((task['name'], bool(run_once)))
    return shape


def shape():
    """{'per_host': n, 'run_once': n} of the real role, the inserted validation task counted per host."""
    tasks = role_tasks()
    return {'per_host': 1 + sum(1 for dummy, once in tasks if not once),
            'run_once': sum(1 for dummy, once in tasks if once)}


def shape_text():
    counts = shape()
    return '%d per-host tasks (argument validation included), %d run_once' % (
        counts['per_host'], counts['run_once'])


def make(directory):
    """Write the floor role under ``directory``; returns the roles path to give ANSIBLE_ROLES_PATH."""
    import yaml  # pylint: disable=import-outside-toplevel
    roles = os.path.join(directory, 'roles')
    role = os.path.join(roles, NAME)
    for sub in ('meta', 'defaults', 'tasks'):
        os.makedirs(os.path.join(role, sub))
    shutil.copy(os.path.join(ROLE, 'meta', 'argument_specs.yml'), os.path.join(role, 'meta', 'argument_specs.yml'))
    shutil.copy(os.path.join(ROLE, 'defaults', 'main.yml'), os.path.join(role, 'defaults', 'main.yml'))
    tasks = []
    for name, run_once in role_tasks():
        task = {'name': 'Floor: %s' % name, 'ansible.builtin.debug': {'msg': 'never shown'}, 'when': False}
        if run_once:
            task['run_once'] = True
        tasks.append(task)
    with open(os.path.join(role, 'tasks', 'main.yml'), 'w') as handle:
        handle.write('---\n' + yaml.safe_dump(tasks, default_flow_style=False, sort_keys=False))
    return roles


def checkout():
    """The commit measured and the files of the collection's code (plugins/, roles/) that differ from it: a figure
    of the role is a figure of the code in the working tree, committed or not."""
    def git(*args):
        try:
            return subprocess.check_output(('git',) + args, cwd=harness.REPO_ROOT, universal_newlines=True,
                                           stderr=subprocess.DEVNULL)
        except (OSError, subprocess.CalledProcessError):
            return None
    changed = git('status', '--porcelain', '--', 'plugins', 'roles')
    commit = git('rev-parse', 'HEAD')
    return {'commit': commit.strip() if commit else None,
            'uncommitted': [line[3:] for line in changed.splitlines() if line.strip()] if changed else []}
