# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How plugins/module_utils hangs together, read from the source with ``ast`` (nothing is imported): no import cycle
among its files, the model (_dag*.py, _vocabulary.py, _text.py, _templates.py) never reaches _report (the model
returns facts, _report alone renders them), and the names of the model, of agent text and of the reports are taken
from the file that defines them, not from one that merely imports them (one name, one place)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import ast
import fnmatch
import os

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
MODULE_UTILS = os.path.join(REPO, 'plugins', 'module_utils')
PACKAGE = 'ansible_collections.oceanbase.obshell.plugins.module_utils'
MODEL = ('_dag*.py', '_vocabulary.py', '_text.py', '_templates.py')
# Where module_utils names are used: every Python file under these (tests/output and the like are not sources).
USERS = ('plugins', 'extensions', 'tests', 'benchmarks', 'scripts', 'playbooks', 'roles')
SKIPPED_DIRS = ('output', '__pycache__', '.hypothesis')
# Every module_utils file: each of their names has one place, the file that defines it.
OWNED = tuple(sorted(name[:-3] for name in os.listdir(MODULE_UTILS)
                     if name.startswith('_') and name.endswith('.py') and name != '__init__.py'))


def parse(path):
    with open(path, 'rb') as handle:
        return ast.parse(handle.read(), path)


def module_utils_files():
    return sorted(name[:-3] for name in os.listdir(MODULE_UTILS) if name.endswith('.py') and name != '__init__.py')


def sibling(node, names):
    """The module_utils files an import statement takes something from (all of them, nested imports included)."""
    found = set()
    if isinstance(node, ast.ImportFrom):
        base = node.module or ''
        if node.level:                                       # from . import _x / from ._x import y
            base = PACKAGE + ('.' + base if base else '')
        if base == PACKAGE:
            found.update(alias.name for alias in node.names if alias.name in names)
        elif base.startswith(PACKAGE + '.'):
            found.add(base[len(PACKAGE) + 1:].split('.')[0])
    elif isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name.startswith(PACKAGE + '.'):
                found.add(alias.name[len(PACKAGE) + 1:].split('.')[0])
    return found & set(names)


def import_graph():
    """{module: set of module_utils modules it imports}, over every statement of the file (lazy imports too)."""
    names = module_utils_files()
    graph = {}
    for name in names:
        edges = set()
        for node in ast.walk(parse(os.path.join(MODULE_UTILS, name + '.py'))):
            edges |= sibling(node, names)
        edges.discard(name)
        graph[name] = edges
    return graph


def find_cycle(graph):
    """One import cycle as a list of modules (first == last), or None."""
    state = {}
    stack = []

    def visit(name):
        state[name] = 'open'
        stack.append(name)
        for target in sorted(graph[name]):
            if state.get(target) == 'open':
                return stack[stack.index(target):] + [target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        stack.pop()
        state[name] = 'done'
        return None

    for name in sorted(graph):
        if name not in state:
            cycle = visit(name)
            if cycle:
                return cycle
    return None


def path_to(graph, start, goal):
    """The import path from ``start`` to ``goal`` (a list of modules), or None when ``start`` never reaches it."""
    paths = {start: [start]}
    todo = [start]
    while todo:
        name = todo.pop(0)
        for target in sorted(graph[name]):
            if target not in paths:
                paths[target] = paths[name] + [target]
                todo.append(target)
    return paths.get(goal)


def test_the_graph_is_read_from_the_sources():
    graph = import_graph()
    assert '_dag' in graph and '_report' in graph and '_text' in graph
    # Known edges: the reader of the graph sees both import forms, so the checks below cannot pass on an empty graph.
    assert {'_dag_fields', '_dag_id', '_templates', '_text', '_vocabulary'} <= graph['_dag']
    assert {'_dag', '_report'} <= graph['_query']
    assert {'_dag_id', '_text', '_vocabulary'} <= graph['_report']
    assert find_cycle({'a': {'b'}, 'b': {'c'}, 'c': {'a'}}) == ['a', 'b', 'c', 'a']
    assert find_cycle({'a': {'b'}, 'b': set()}) is None


def test_no_import_cycle_among_module_utils():
    cycle = find_cycle(import_graph())
    assert cycle is None, 'import cycle: %s' % ' -> '.join(cycle)


def model_files():
    return [name for name in module_utils_files() if any(fnmatch.fnmatch(name + '.py', pattern) for pattern in MODEL)]


def test_the_model_files_are_the_expected_ones():
    assert {'_dag', '_dag_fields', '_dag_id', '_dag_lists', '_vocabulary', '_text', '_templates'} <= set(model_files())


@pytest.mark.parametrize('name', model_files())
def test_the_model_never_reaches_report(name):
    graph = import_graph()
    assert '_report' not in graph[name], '%s imports _report' % name
    path = path_to(graph, name, '_report')
    assert path is None, '%s reaches _report: %s' % (name, ' -> '.join(path))


# ------------------------------------------------------------------------------------------------------------
# One name, one place


def defined_names(name):
    """The names a module_utils file defines at its top level (functions, classes, assignments, also under a
    top-level if or try), not the names it imports."""
    names = set()
    statements = list(parse(os.path.join(MODULE_UTILS, name + '.py')).body)
    while statements:
        node = statements.pop()
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(leaf.id for target in targets for leaf in ast.walk(target) if isinstance(leaf, ast.Name))
        elif isinstance(node, (ast.If, ast.Try)):
            statements.extend(node.body + node.orelse + getattr(node, 'finalbody', []))
            for handler in getattr(node, 'handlers', []):
                statements.extend(handler.body)
    return names


def python_files():
    for top in USERS:
        for root, dirs, files in os.walk(os.path.join(REPO, top)):
            dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS and not d.startswith('.')]
            for file_name in files:
                if file_name.endswith('.py'):
                    yield os.path.join(root, file_name)


def names_taken(tree, modules):
    """(module, name, line) for each ``from module_utils._x import name`` and each ``_x.name`` where ``_x`` is a
    module_utils file imported as a module."""
    aliases = {}
    taken = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and not node.level:
            base = node.module or ''
            if base == PACKAGE:
                for alias in node.names:
                    if alias.name in modules:
                        aliases[alias.asname or alias.name] = alias.name
            elif base.startswith(PACKAGE + '.'):
                module = base[len(PACKAGE) + 1:]
                if module in modules:
                    taken.extend((module, alias.name, node.lineno) for alias in node.names)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            taken.append((aliases[node.value.id], node.attr, node.lineno))
    return taken


def test_every_module_utils_name_is_taken_from_its_one_place():
    # A name is taken from the file that defines it, never from a file that merely imports it (a re-export would be
    # a second place, and a move would leave callers on the old one).
    modules = module_utils_files()
    defined = dict((name, defined_names(name)) for name in modules)
    home = {}
    for module in OWNED:
        for name in defined[module]:
            home.setdefault(name, module)
    wrong = []
    for path in python_files():
        for module, name, line in names_taken(parse(path), modules):
            if name in defined[module] or name.startswith('__'):
                continue
            if module in OWNED or name in home:
                wrong.append('%s:%d takes %s from %s, which does not define it%s' % (
                    os.path.relpath(path, REPO), line, name, module, ' (%s does)' % home[name] if name in home else ''))
    assert not wrong, '\n'.join(wrong)


def test_no_test_file_imports_another():
    # Shared helpers live in tests/support or a suite's _-prefixed module: importing a test file would collect its
    # tests twice and tie one suite's helpers to another's assertions.
    wrong = []
    for path in python_files():
        if not os.path.relpath(path, REPO).startswith('tests' + os.sep):
            continue
        for node in ast.walk(parse(path)):
            if isinstance(node, ast.ImportFrom) and not node.level:
                modules = [node.module or ''] + ['%s.%s' % (node.module, alias.name) for alias in node.names]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            wrong.extend('%s:%d imports %s' % (os.path.relpath(path, REPO), node.lineno, module)
                         for module in modules if module.split('.')[-1].startswith('test_'))
    assert not wrong, '\n'.join(wrong)
