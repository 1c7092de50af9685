# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""Lists of normalized DAG records: counted by state, one record per DAG across agents, and filtered by name.

Pure functions on plain data (records as _dag.normalize_dag returns them), standard library only. The input
records are never modified.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible_collections.oceanbase.obshell.plugins.module_utils._dag_fields import as_text
from ansible_collections.oceanbase.obshell.plugins.module_utils._text import short_repr
from ansible_collections.oceanbase.obshell.plugins.module_utils._vocabulary import DAG_STATES


def count_states(records):
    """{state: count} for the states present (None counted as 'UNKNOWN'), plus the number of records as 'total'."""
    counts = {}
    total = 0
    for record in records or ():
        if not isinstance(record, dict):
            continue
        total += 1
        state = record.get('state')
        state = state if isinstance(state, str) and state else 'UNKNOWN'
        counts[state] = counts.get(state, 0) + 1
    ordered = {state: counts.pop(state) for state in DAG_STATES if state in counts}
    ordered.update(sorted(counts.items(), key=lambda item: str(item[0])))
    ordered['total'] = total
    return ordered


def dedupe(records):
    """One record per DAG id, the first seen winning, each with ``seen_on``: the agents that reported it.

    A cluster DAG is reported by every agent asked; a local agent DAG's id embeds its owner, so ids differ.
    The input records are not modified.
    """
    kept = []
    by_id = {}
    for record in records or ():
        if not isinstance(record, dict):
            continue
        agents = [a for a in (record.get('seen_on') or []) if a is not None]
        if record.get('agent') is not None:
            agents.append(record.get('agent'))
        key = record.get('id')
        key = key if isinstance(key, str) else None
        first = by_id.get(key) if key is not None else None
        if first is None:
            first = dict(record)
            first['seen_on'] = []
            kept.append(first)
            if key is not None:
                by_id[key] = first
        for address in agents:
            if address not in first['seen_on']:
                first['seen_on'].append(address)
    return kept


class NameFilter:
    """Keeps DAGs whose name equals one of the patterns, or which a pattern (Python regex) matches anywhere.

    No patterns (None, [], only empty strings) keep everything. A pattern that is not a valid regular expression is
    accepted only as an exact name from ``known_names`` (e.g. the names of DAGs already fetched); otherwise the
    constructor raises ValueError naming it.
    """

    def __init__(self, patterns=None, known_names=None):
        if patterns is None:
            patterns = []
        elif isinstance(patterns, str):
            patterns = [patterns]
        known = set(name for name in (known_names or ()) if isinstance(name, str))
        self.patterns = []
        self._exact = set()
        self._regexes = []
        for pattern in patterns:
            if pattern is None:
                continue
            if not isinstance(pattern, str):
                text = as_text(pattern)
                if text is None:
                    raise ValueError('names: %s is not a DAG name or regular expression' % short_repr(pattern))
                pattern = text
            if pattern == '':
                continue
            self.patterns.append(pattern)
            self._exact.add(pattern)
            try:
                self._regexes.append(re.compile(pattern))
            except (re.error, OverflowError, RecursionError) as exc:
                if pattern in known:
                    continue
                raise ValueError(
                    'names: %s is neither the exact name of a known DAG nor a valid regular expression (%s); '
                    'to match special characters literally, escape them with a backslash, e.g. %s'
                    % (short_repr(pattern), exc, short_repr(re.escape(pattern)))) from exc

    def __bool__(self):
        return bool(self.patterns)

    def matches(self, name):
        """True if ``name`` passes the filter."""
        if not self.patterns:
            return True
        if not isinstance(name, str):
            return False
        if name in self._exact:
            return True
        return any(regex.search(name) for regex in self._regexes)

    __call__ = matches

    def filter(self, records):
        """The records (dicts with 'name') that pass, in order."""
        return [record for record in records or () if isinstance(record, dict) and self.matches(record.get('name'))]


def compile_name_filter(patterns, known_names=None):
    """A NameFilter for ``patterns`` (see NameFilter)."""
    return NameFilter(patterns, known_names)
