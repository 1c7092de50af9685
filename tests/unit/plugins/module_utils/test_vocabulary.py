# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The vocabulary is defined once: no plugin file spells one of its words lists again, and the secrets it names are
no_log wherever an option of that name is declared."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import ast
import os

from ansible_collections.oceanbase.obshell.plugins.module_utils import _options, _vocabulary

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
SOURCES = [os.path.join(top, name) for base in ('plugins', 'extensions')
           for top, _dirs, names in os.walk(os.path.join(ROOT, base)) for name in names if name.endswith('.py')]


def _literal_sequences(path):
    """Every tuple or list literal of 2+ plain strings in a file, as a tuple."""
    with open(path) as handle:
        tree = ast.parse(handle.read(), path)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Tuple, ast.List)) and len(node.elts) >= 2 and all(
                isinstance(elt, ast.Constant) and isinstance(elt.value, str) for elt in node.elts):
            yield tuple(elt.value for elt in node.elts), node.lineno


def test_no_plugin_file_spells_a_word_list_of_the_vocabulary_again():
    words = {value: name for name, value in vars(_vocabulary).items()
             if name.isupper() and isinstance(value, tuple) and len(value) >= 3}
    assert len(words) >= 8
    vocabulary = os.path.join(ROOT, 'plugins', 'module_utils', '_vocabulary.py')
    found = []
    for path in SOURCES:
        if path == vocabulary:
            continue
        for value, line in _literal_sequences(path):
            for known, name in words.items():
                # The same words in any order, or all but one of a long list (a copy that drifted), is a second
                # definition. A shorter subset is a choice among the words (an order, a test), not a copy.
                if set(value) == set(known) or (len(known) >= 5 and len(value) == len(known) - 1
                                                and set(value) < set(known)):
                    found.append('%s:%d spells %s' % (os.path.relpath(path, ROOT), line, name))
    assert not found, found


def test_every_secret_option_is_no_log_in_every_spec_that_declares_it():
    specs = [_options.CONNECTION_SPEC, _options.argument_spec(), _options.dag_wait_spec()]
    for spec in specs:
        for name in _vocabulary.SECRET_OPTIONS:
            assert spec[name].get('no_log') is True, name
        for name, option in spec.items():
            if name not in _vocabulary.SECRET_OPTIONS and option.get('no_log'):
                raise AssertionError('%s is no_log but not a SECRET_OPTION' % name)


def test_the_documented_choices_are_the_vocabulary():
    assert _options.LIST_SPEC['scope']['choices'] == list(_vocabulary.SCOPES)
    assert _options.LIST_SPEC['details']['choices'] == list(_vocabulary.DETAILS)
    assert _options.VERDICT_SPEC['fail_on']['choices'] == list(_vocabulary.VERDICTS)
    assert _options.CONNECTION_SPEC['auth_version']['choices'] == list(_vocabulary.AUTH_VERSIONS)
    assert set(_vocabulary.QUIET_VERDICTS) < set(_vocabulary.VERDICTS)
    assert set(_vocabulary.OPERATION_STATES) == set(_vocabulary.OPERATION_OPERATORS) == set(_vocabulary.OPERATION_OUTCOMES)
    assert set(_vocabulary.UNFINISHED_STATES) | set(_vocabulary.FINISHED_STATES) == set(_vocabulary.DAG_STATES)
