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
# The states of oceanbase.obshell.dag for each operation.
STATE_OF = {RETRY: 'retried', ROLLBACK: 'rolled_back', PASS: 'passed', CANCEL: 'canceled'}


_LETTERS = {'C': CANCEL, 'P': PASS, 'R': RETRY, 'Rb': ROLLBACK}


def _ops(letters):
    return frozenset(_LETTERS[letter] for letter in letters.split())


def _template(pattern, maintenance, nodes, source):
    """``nodes``: (node name or regular expression, opt-in letters: C cancel, P pass, R retry, Rb rollback)."""
    nodes = [(re.compile(r'%s\Z' % name), _ops(letters)) for name, letters in nodes]
    usual = frozenset.intersection(*[ops for dummy, ops in nodes]) if nodes else frozenset()
    return {'pattern': re.compile(pattern), 'maintenance': maintenance, 'nodes': nodes, 'usual': usual,
            'source': source}


ALL4 = 'C P R Rb'
_UPGRADE_PREFIX = [('Check the python environment', ALL4), ('Create upgrade dir', ALL4),
                   ('Download all required packages', ALL4), ('Check all required packages', ALL4),
                   ('Unpack all required packages', ALL4), ('Backup for upgrade', ALL4), ('Install new obshell', ALL4),
                   ('Restart obshell', 'C R'), ('Upgrade post table maintain', 'C R')]
_REMOVE_CHECK_DIR = ('Remove upgrade check task dir', 'C P R')
_CHECK_OBPROXY = ('Check obproxy status', 'C P R')

# The templates of OBShell 4.5.0.0 (commit 61ee147), paths under ob/agent/. A node allows an operation only if
# the task type behind it opts in; names are the nodes' names in the DTOs.
TEMPLATES = (
    _template(r'^Cluster scale out\Z', 'global', [(r'.*', 'R Rb')], 'executor/ob/scale_out.go:218-235'),
    _template(r'^Local scale out\Z', 'global', [
        ('Start preparations', ALL4), ('Create observer workdir', 'C R Rb'), ('Start observer', ALL4),
        (r'.*', 'R Rb')], 'executor/ob/scale_out.go:237-251'),
    _template(r'^Cluster scale in\Z', 'global', [('Delete agent', 'C P R'), (r'.*', ALL4)],
              'executor/ob/scale_in.go:81-95'),
    _template(r'^Start OB\Z', 'none', [('Start Zone', 'C R'), (r'.*', 'C')], 'executor/ob/start.go:72-84'),
    _template(r'^Stop OB\Z', 'none', [('Minor freeze before stop server', ALL4), (r'.*', 'C')],
              'executor/ob/stop.go:80-96'),
    _template(r'^Start observer\Z', 'global', [
        ('Start preparations', 'C P R'), ('Start observer', ALL4), (r'.*', 'C P')],
        'executor/ob/start_obsvr.go:343-353'),
    _template(r'^Stop observer\Z', 'global', [
        ('Start preparations', 'C P R'), ('Stop observer', 'C P R'), (r'.*', 'C P')],
        'executor/ob/stop_obsvr.go:127-138'),
    _template(r'^Start local observer\Z', 'none', [
        ('Check ob process and config', 'C P'), ('Start observer', ALL4), (r'.*', 'P')],
        'executor/ob/emergency_start.go:31-44'),
    _template(r'^Stop local observer\Z', 'none', [(r'.*', 'C P R')], 'executor/ob/emergency_stop.go:22-34'),
    _template(r'^OB (rolling|stop service) upgrade ', 'global', _UPGRADE_PREFIX + [
        ('Backup parameters', 'C R'), ('Minor freeze before stop server', ALL4), _REMOVE_CHECK_DIR,
        (r'.*', 'R')], 'executor/ob/upgrade_ob.go:106-262, upgrade_stop_zone.go, upgrade_start_zone.go'),
    _template(r'^Upgrade obshell ', 'global', _UPGRADE_PREFIX[1:] + [_REMOVE_CHECK_DIR],
              'executor/ob/upgrade_agent.go:56-76'),
    _template(r'^Upgrade check OB ', 'none', _UPGRADE_PREFIX[:5] + [_REMOVE_CHECK_DIR],
              'executor/ob/upgrade_ob_check.go:92-103'),
    _template(r'^Upgrade check obshell ', 'none', _UPGRADE_PREFIX[1:5] + [_REMOVE_CHECK_DIR],
              'executor/ob/upgrade_agent_check.go:158-169'),
    _template(r'^Create tenant ', 'tenant', [
        ('Modify tenant whitelist', 'C R Rb'), ('Set tenant variables', 'C R Rb'),
        ('Import script for tenant', 'C P R'), ('Set root password', 'C R Rb'), (r'.*', ALL4)],
        'executor/tenant/create_tenant.go:394-437'),
    _template(r'^Start obproxy\Z', 'none', [_CHECK_OBPROXY, (r'.*', ALL4)], 'executor/obproxy/start.go:30-33'),
    _template(r'^Stop obproxy\Z', 'obproxy', [_CHECK_OBPROXY, (r'.*', ALL4)], 'executor/obproxy/stop.go:36-40'),
    _template(r'^Upgrade obproxy\Z', 'obproxy', [
        ('Download obproxy pkg from sqlite', 'R Rb'), ('Remove upgrade dir', 'C P R'), (r'.*', ALL4)],
        'executor/obproxy/upgrade.go:116-130'),
    _template(r'^Add obproxy\Z', 'obproxy', [
        _CHECK_OBPROXY, ('Start obproxy', ALL4), (r'.*', 'C P R')], 'executor/obproxy/add.go:286-295'),
    _template(r'^Delete obproxy\Z', 'obproxy', [
        _CHECK_OBPROXY, ('Stop obproxy', ALL4), (r'.*', 'C P R')], 'executor/obproxy/delete.go:33-40'),
    # The DAGs an agent runs before its cluster exists; both were run on a real 4.5.0.0 agent (docs/conformance.md).
    _template(r'^Join self\Z', 'global', [(r'.*', '')], 'executor/agent/join_master.go:29-62'),
    _template(r'^Initialize cluster\Z', 'global', [
        ('Start observer', ALL4), ('Modify password', 'R Rb'), ('Convert (follower|master) to cluster agent', 'R Rb'),
        ('Synchronize agent from cluster', 'C R'), ('Create user', 'C R'), ('Import script for tenant', 'C P R'),
        (r'.*', 'C R Rb')], 'executor/ob/init.go:26-63'),
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
    """What the node allows: the first row of the template that matches its name."""
    for pattern, operations in template['nodes']:
        if isinstance(node_name, str) and pattern.match(node_name):
            return operations
    return template['usual']


def allowed_operations(record, node_names=None):
    """(states, known) for a DAG record: the oceanbase.obshell.dag states its template allows now, and whether the
    template is known. For an unknown template every state is returned with known False.

    The agent checks: RETRY, the current node; ROLLBACK, every node up to the failed one; PASS, the remaining
    nodes; CANCEL, every node from the first to the current one (§11.1). Without node names (a summary read) the
    template's usual opt-ins stand for every node."""
    template = template_of(record.get('name'))
    if template is None:
        return tuple(STATE_OF[op] for op in (RETRY, ROLLBACK, PASS, CANCEL)), False
    nodes = [node.get('name') for node in record.get('nodes') or []] or list(node_names or [])
    stage = record.get('stage') if isinstance(record.get('stage'), int) else None
    failed_node = ((record.get('failure') or {}).get('node') or {})
    if not nodes and failed_node.get('name') and failed_node.get('stage') == stage:
        # A summary record still names its failed node: enough to judge RETRY (the current node).
        current_only = [failed_node['name']]
    else:
        current_only = None

    def every(operation, names):
        # Without node names (a summary read) only what every node of the template allows is certain.
        return all(operation in _node_operations(template, name) for name in names) if names \
            else operation in template['usual']

    current = nodes[stage - 1:stage] if nodes and stage and 1 <= stage <= len(nodes) else (current_only or [])
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
