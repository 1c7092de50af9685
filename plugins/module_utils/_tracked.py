# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""What a wait knows of one DAG it has seen (an *entry*): the last record, whether it is final, which reads of it
are still owed, and when its report is complete enough for a verdict.

Pure functions on plain dicts (an entry is part of the wait engine's JSON state); the engine (_engine.py) keeps one
entry per DAG id and decides the part's verdict from them.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

# Reads of a DAG's details tried before a report is given without them (a success is never given up: see
# needs_details).
DETAIL_ATTEMPTS = 3


def new_entry(record, now):
    """The entry of a DAG first seen at ``now`` (seconds since the wait started)."""
    return {
        'record': record,
        'in_list': False,
        'left': False,
        'final': record['outcome'] != 'running',
        'detail_stage': None,
        'detail_attempts': 0,
        # Node names from the first read with details: they never change in a DAG's life, so a later stage
        # change is named from here instead of reading all the details again (the bulk of a wait's bytes).
        'node_names': None,
        'failure_details': False,
        # A final read with nodes: only it shows a passed node (SUCCEED/PASS) in a DAG that ended SUCCEED/RUN.
        'final_details': False,
        'read_error': None,
        'first_seen': now,
        'stage_since': now,
        'line_key': None,
    }


def update_entry(entry, record, now):
    """A newer read of the same DAG (the caller checked its identity): what a summary read cannot show (node names,
    a failure's node, passed nodes) is kept from the last read that showed it."""
    old = entry['record']
    merged = dict(record)
    if record.get('stage') != old.get('stage'):
        entry['stage_since'] = now
        entry['detail_attempts'] = 0     # a new stage: its node is worth asking for again
        name = node_name(entry, record.get('stage'))
        if name and not record.get('current_node'):
            merged['current_node'] = name
            merged['current_node_state'] = None
    elif not record.get('current_node') and old.get('current_node'):
        # A summary read has no nodes: keep the node name learnt from the last detail read of this stage.
        merged['current_node'] = old.get('current_node')
        merged['current_node_state'] = old.get('current_node_state')
    refailed = record.get('state') == 'FAILED' and old.get('state') == 'FAILED' and (
        (record.get('start_time'), record.get('end_time')) != (old.get('start_time'), old.get('end_time')))
    if refailed:
        # Failed again (someone retried it between two reads): the same state and stage, but another run with
        # its own failure, which must be read again rather than the first one reported.
        entry['failure_details'] = False
        entry['detail_attempts'] = 0
        entry['refailed'] = entry.get('refailed', 0) + 1
    elif record.get('state') == 'FAILED' and not (record.get('failure') or {}).get('node') \
            and (old.get('failure') or {}).get('node') and old.get('state') == 'FAILED' \
            and old.get('stage') == record.get('stage'):
        merged['failure'] = old['failure']
    if record.get('passed_nodes') is None and old.get('passed_nodes') and \
            (old.get('state'), old.get('operator')) == (record.get('state'), record.get('operator')):
        # A summary read after the detailed final read: keep what the nodes said.
        merged['passed_nodes'] = old['passed_nodes']
        merged['outcome'] = old['outcome']
    if 'nodes' in old and 'nodes' not in record:
        merged['nodes'] = old['nodes']
    if record.get('state') != 'FAILED':
        entry['failure_details'] = False
    entry['record'] = merged


def needs_details(entry):
    """Whether a read of the DAG with its nodes is owed now."""
    record = entry['record']
    if entry['final'] and not entry['final_details'] and record.get('state') == 'SUCCEED':
        # Without its nodes a success cannot be told from one with a passed step: asked every poll, never
        # given up (a verdict without them would be a claim without evidence).
        return True
    if entry['detail_attempts'] >= DETAIL_ATTEMPTS:
        return False
    if record.get('state') == 'FAILED' and not entry['failure_details']:
        return True
    return not entry['final'] and entry['detail_stage'] != record.get('stage') \
        and not node_name(entry, record.get('stage'))


def settled(entry):
    """A final DAG whose report is complete enough for a verdict: a success needs its nodes, always (a clean
    success and one with a passed node look the same without them); a failure needs its failed node unless it
    could not be read in DETAIL_ATTEMPTS tries (it is a failure either way)."""
    if entry['record'].get('state') == 'SUCCEED':
        return entry['final_details']
    if entry['detail_attempts'] >= DETAIL_ATTEMPTS:
        return True
    if entry['record']['outcome'] in ('failed', 'canceled'):
        return entry['failure_details']
    return True


def nodes_consistent(record, nodes):
    """Whether the nodes read with a final SUCCEED agree with it: there are nodes, and for SUCCEED/RUN all are done
    and the last stage is reached. A success whose nodes say otherwise (or are missing) is not vouched for."""
    if record.get('state') != 'SUCCEED':
        return True
    if not nodes:
        # Asked with details, answered without nodes: nothing to tell a clean success from a passed step by.
        return False
    if record.get('operator') != 'RUN':
        return True
    if record.get('stage') is not None and record.get('max_stage') is not None \
            and record.get('stage') != record.get('max_stage'):
        return False
    return all(node.get('state') == 'SUCCEED' for node in nodes)


def node_name(entry, stage):
    """The name of node ``stage`` (1-based) from the cached node names, or None."""
    names = entry.get('node_names') or []
    if isinstance(stage, int) and 1 <= stage <= len(names):
        return names[stage - 1]
    return None
