# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""What the agent's DAG templates allow: which operations (retry, roll back, pass, cancel) each known template opts
into, and which templates are maintenance DAGs.

The agent decides per task: every task starts with cancel, continue, pass, retry and rollback not allowed, and a
template opts each task in (``SetCanCancel``... in ``ob/agent/engine/task/task.go``; spec §11.1). The DTOs do not
carry these flags, so a client cannot read them: this table, derived from the templates of OBShell 4.5.0.0
(commit 61ee147), is what the collection knows. It is used to suggest only what a failed DAG's template allows; the
agent's own answer to an operation always decides. A template that is not in the table is "unknown": every
operation is then listed, with a note.

Pure data and functions, standard library only.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

RETRY, ROLLBACK, PASS, CANCEL = 'retry', 'rollback', 'pass', 'cancel'
ALL = frozenset((RETRY, ROLLBACK, PASS, CANCEL))
# The states of oceanbase.obshell.dag for each operation.
STATE_OF = {RETRY: 'retried', ROLLBACK: 'rolled_back', PASS: 'passed', CANCEL: 'canceled'}


def _template(pattern, maintenance, operations, nodes=None, source=''):
    return {
        'pattern': re.compile(pattern),
        'maintenance': maintenance,
        'operations': frozenset(operations),
        # Node name -> operations, where a node differs from the template's usual opt-ins.
        'nodes': dict((name, frozenset(ops)) for name, ops in (nodes or {}).items()),
        'source': source,
    }


# Filled from the agent's templates (see the module docstring); each row names its source file.
TEMPLATES = (
    _template(r'^Cluster scale out$', 'global', (RETRY, ROLLBACK), source='executor/ob/scale_out.go'),
)


def template_of(name):
    """The known template a DAG name belongs to, or None."""
    if not isinstance(name, str):
        return None
    for template in TEMPLATES:
        if template['pattern'].search(name):
            return template
    return None


def maintenance_of(name):
    """'global', 'tenant', 'obproxy' or 'none' for a known template; None when the name is not known."""
    template = template_of(name)
    return template['maintenance'] if template else None


def _node_operations(template, node_name):
    return template['nodes'].get(node_name, template['operations'])


def allowed_operations(record):
    """(states, known) for a DAG record: the oceanbase.obshell.dag states its template allows now, and whether the
    template is known. For an unknown template every state is returned with known False.

    The agent checks: RETRY, the current node; ROLLBACK, every node up to the failed one; PASS, the remaining
    nodes; CANCEL, every node from the first to the current one (§11.1). Without node names (a summary read) the
    template's usual opt-ins stand for every node."""
    template = template_of(record.get('name'))
    if template is None:
        return tuple(STATE_OF[op] for op in (RETRY, ROLLBACK, PASS, CANCEL)), False
    nodes = [node.get('name') for node in record.get('nodes') or []]
    stage = record.get('stage') if isinstance(record.get('stage'), int) else None

    def every(operation, names):
        return all(operation in _node_operations(template, name) for name in names) if names \
            else operation in template['operations']

    current = nodes[stage - 1:stage] if nodes and stage and 1 <= stage <= len(nodes) else []
    up_to_current = nodes[:stage] if nodes and stage else []
    remaining = nodes[stage - 1:] if nodes and stage else []
    allowed = []
    if every(RETRY, current):
        allowed.append(STATE_OF[RETRY])
    if every(ROLLBACK, up_to_current):
        allowed.append(STATE_OF[ROLLBACK])
    if every(PASS, remaining):
        allowed.append(STATE_OF[PASS])
    if every(CANCEL, up_to_current):
        allowed.append(STATE_OF[CANCEL])
    return tuple(allowed), True
