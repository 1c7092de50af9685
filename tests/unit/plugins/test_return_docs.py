# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The RETURN docs of the DAG records say what the records hold: every key of a record as the plugins return it
(_query.normalize: normalize_dag's, with the failure's summary) is documented, with its nested keys, and nothing
documented is missing from a record. ansible-doc reads RETURN as a literal, so each plugin carries its own copy;
this keeps the copies true and the same."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import ast
import json
import os

import pytest
import yaml

from ansible_collections.oceanbase.obshell.plugins.module_utils import _query

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
FIXTURES = os.path.join(REPO, 'tests', 'unit', 'plugins', 'module_utils', 'fixtures')

# (plugin file, dotted path of a list or dict of full DAG records in its RETURN, keys added by that plugin)
FULL_RECORDS = [
    ('plugins/modules/dag_info.py', 'dags', ()),
    ('plugins/modules/facts.py', 'ansible_facts.obshell.unfinished_dags', ()),
    ('plugins/modules/dag_wait.py', 'dags', ()),
    ('plugins/modules/dag.py', 'dag', ()),
    ('plugins/lookup/unfinished_dags.py', '_list', ('seen_on',)),
    ('plugins/filter/wait_verdict.py', '_value.dags', ()),
]


def returned(path):
    with open(os.path.join(REPO, path)) as handle:
        tree = ast.parse(handle.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], 'id', None) == 'RETURN':
            return yaml.safe_load(node.value.value)
    raise AssertionError('%s has no RETURN' % path)


def entry(doc, dotted):
    keys = dotted.split('.')
    value = doc[keys[0]]
    for key in keys[1:]:
        value = value['contains'][key]
    return value


def documented_shape(entry_doc):
    """{key: nested shape or None} as documented."""
    return dict((key, documented_shape(value) if value.get('contains') else None)
                for key, value in (entry_doc.get('contains') or {}).items())


def record_shape(value, shape):
    """The keys of a record, as deep as the documented shape goes (lists of dicts read through their items)."""
    if isinstance(value, list):
        merged = {}
        for item in value:
            for key, nested in record_shape(item, shape).items():
                merged[key] = merged.get(key) or nested
        return merged
    out = {}
    for key, item in value.items():
        nested_shape = (shape or {}).get(key)
        if nested_shape is not None and isinstance(item, (dict, list)) and item:
            out[key] = record_shape(item, nested_shape)
        else:
            out[key] = None if not isinstance(item, (dict, list)) or not item or nested_shape is None else {}
    return out


def failed_record():
    with open(os.path.join(FIXTURES, 'failed_cluster_scale_out.json')) as handle:
        dto = json.load(handle)
    dto = dto.get('data', dto)
    return _query.normalize(dto, agent='127.0.0.1:2886', details='full')


def covers(documented, actual, where=''):
    """Keys the record has that the docs do not name, and keys documented that the record lacks."""
    problems = []
    for key in sorted(set(actual) - set(documented)):
        problems.append('undocumented: %s%s' % (where, key))
    for key in sorted(set(documented) - set(actual)):
        problems.append('documented but never returned: %s%s' % (where, key))
    for key in sorted(set(actual) & set(documented)):
        if documented[key] is not None and actual[key]:
            problems.extend(covers(documented[key], actual[key], where + key + '.'))
    return problems


@pytest.mark.parametrize('path,dotted,added', FULL_RECORDS, ids=str)
def test_documented_dag_records_match_normalize_dag(path, dotted, added):
    shape = documented_shape(entry(returned(path), dotted))
    record = failed_record()
    record['extra'] = dict(record['extra'], additional_data={'opaque': True})
    for key in added:
        record[key] = []
    actual = record_shape(record, shape)
    assert covers(shape, actual) == []


def test_the_copies_are_the_same():
    """One text, six places: a fix in one copy is made in all."""
    first = entry(returned(FULL_RECORDS[0][0]), FULL_RECORDS[0][1])['contains']
    for path, dotted, added in FULL_RECORDS[1:]:
        copy = dict(entry(returned(path), dotted)['contains'])
        for key in added:
            copy.pop(key)
        assert copy == first, path


def test_the_checker_sees_a_missing_key():
    """covers() is not vacuous: a record key the docs lack, and a documented key no record has, are both named."""
    assert covers({'a': None, 'b': {'x': None}}, {'a': None, 'b': {'y': None}, 'c': None}) == [
        'undocumented: c', 'undocumented: b.y', 'documented but never returned: b.x']
