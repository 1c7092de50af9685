# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Scenarios: which DAGs appear when, and which faults happen, as plain data (JSON or YAML files).

A scenario is a dict::

    {"name": "...",
     "dags": [{"template": "scale_out",          # or "name" + "nodes" written out
               "scope": "cluster" | "local",      # cluster DAGs live in OB, local ones in one agent
               "agent": 0,                        # owner (local) / executing agent (cluster)
               "start_after": 0.0,                # seconds after the scenario starts
               "step_seconds": null,              # per-DAG override of --step-seconds
               "maintenance": "global" | "tenant" | "none", "maintenance_key": "",
               "fail_at": "Prev check for scale_out", "fail_times": 1,     # shorthand for a node's plan
               "nodes": [{"name": "...", "parallel": false, "steps": 1, "logs": [...],
                          "fail_times": 0, "error": "...", "error_code": "Common.Unexpected",
                          "rollback_fail_times": 0, "fail_agent": null,
                          "can_retry": true, "can_rollback": true, "can_cancel": true, "can_pass": true,
                          "task_additional_data": null}]}],
     "faults": [{"at": 1.5, "agent": 1, "kind": "down", "seconds": 2.0},
                {"at": 3, "agent": 0, "kind": "restart", "rotate_key": true},
                {"at": 0, "agent": 2, "kind": "errors", "count": 3, "status": 503},
                {"at": 0, "agent": 2, "kind": "delay", "seconds": 1.0, "count": 1},
                {"at": 0, "agent": 2, "kind": "malformed", "malformed": "html", "count": 1},
                {"at": 0, "agent": 2, "kind": "clock_skew", "seconds": 30},
                {"at": 0, "agent": 2, "kind": "identity", "identity": "SCALING OUT"},
                {"at": 0, "agent": 2, "kind": "profile", "profile": "4.5.0"}],
     "identities": {"2": "SCALING OUT"}}                 # identities at scenario start

``at`` / ``start_after`` / ``seconds`` may also be given in steps (``at_steps`` / ``start_after_steps`` /
``seconds_steps``); an ``agent`` index beyond the cluster size wraps around.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy
import json
import os

from collections.abc import Mapping

SCALE_OUT_NODES = [
    'Integrate server config',
    'Create local scale out dag',
    'Wait scale out ready',
    'Wait remote deploy finish',
    'Wait remote start finish',
    'Prev check for scale_out',
    'Add server for scale_out',
    'Add agent for scale_out',
    'Check cluster scale_out whether finished',
]

STOP_OB_NODES = [
    ('Inform all agents to prepare to stop observer', True),
    ('Make sure all agents are ready', False),
    ('Advance agents to execute the task', False),
    ('Wait for all agents to execute tasks successfully', True),
    ('Execute stop sql', False),
    ('Inform all agents to end the task', False),
]

START_OBSERVER_NODES = ['Start preparations', 'Check ob process and config', 'Start observer',
                        'Execute start observer sql', 'Wait for task to end']

UPGRADE_PREFIX = ['Check the python environment', 'Create upgrade dir', 'Download all required packages',
                  'Check all required packages', 'Unpack all required packages', 'Backup for upgrade',
                  'Install new obshell', 'Restart obshell', 'Upgrade post table maintain']


def _scale_out_template():
    nodes = [{'name': name} for name in SCALE_OUT_NODES]
    nodes[0]['logs'] = ['integrate server config success']
    nodes[1]['logs'] = ['create local scale out dag success']
    nodes[5]['logs'] = ['check server 127.0.0.1:2882']
    nodes[5]['error'] = 'Unexpected error: server 127.0.0.1:2882 already exists in the cluster'
    return {'name': 'Cluster scale out', 'scope': 'cluster', 'maintenance': 'global', 'nodes': nodes}


def _stop_ob_template():
    nodes = [{'name': name, 'parallel': parallel} for name, parallel in STOP_OB_NODES]
    nodes[3]['error'] = 'Unexpected error: agent {agent} stop observer failed: observer is still alive'
    return {'name': 'Stop OB', 'scope': 'cluster', 'maintenance': 'none', 'nodes': nodes}


def _start_observer_template():
    nodes = [{'name': name} for name in START_OBSERVER_NODES]
    nodes[2]['logs'] = ['start observer']
    return {'name': 'Start observer', 'scope': 'local', 'maintenance': 'global', 'nodes': nodes}


def _upgrade_template(zones, version='4.3.5.0-100000202024123117'):
    nodes = [{'name': name, 'parallel': True} for name in UPGRADE_PREFIX]
    nodes += [{'name': 'Backup parameters'}, {'name': 'Execute upgrade checker script'},
              {'name': 'Execute upgrade pre script'}]
    for zone in zones:
        nodes += [{'name': 'Execute upgrade health checker script'}, {'name': 'Stop %s' % zone},
                  {'name': 'Reinstall and restart observer'}, {'name': 'Execute upgrade zone health checker script'},
                  {'name': 'Start %s' % zone}]
    nodes += [{'name': 'Execute upgrade post script'}, {'name': 'Restore parameters'},
              {'name': 'Remove upgrade check task dir', 'parallel': True}]
    return {'name': 'OB rolling upgrade %s' % version, 'scope': 'cluster', 'maintenance': 'global', 'nodes': nodes}


def _create_tenant_template(tenant='t1'):
    nodes = [{'name': 'Create tenant'}, {'name': 'Modify tenant whitelist'}]
    return {'name': 'Create tenant %s' % tenant, 'scope': 'cluster', 'maintenance': 'tenant',
            'maintenance_key': tenant, 'nodes': nodes}


def template(name, zones=('zone1', 'zone2', 'zone3')):
    """A DAG spec by template name."""
    if name == 'scale_out':
        return _scale_out_template()
    if name == 'stop':
        return _stop_ob_template()
    if name == 'start_observer':
        return _start_observer_template()
    if name == 'upgrade':
        return _upgrade_template(list(zones))
    if name == 'create_tenant':
        return _create_tenant_template()
    raise ValueError('unknown DAG template %r' % (name,))


_BUILTINS = {
    'idle': {'name': 'idle', 'description': 'no DAGs at all', 'dags': []},
    'scale_out': {
        'name': 'scale_out',
        'description': 'the 9-node "Cluster scale out" cluster DAG (global maintenance), one node per step, '
                       'picked up after min(50 ms, step/10), SUCCEED after 9 steps',
        'dags': [{'template': 'scale_out'}]},
    'scale_out_fail': {
        'name': 'scale_out_fail',
        'description': '"Cluster scale out" failing at node 6 "Prev check for scale_out" after 6 steps (once; '
                       'a RETRY then succeeds); stays unfinished as a FAILED maintenance DAG',
        'dags': [{'template': 'scale_out', 'fail_at': 'Prev check for scale_out', 'fail_times': 1}]},
    'scale_out_rollback_fail': {
        'name': 'scale_out_rollback_fail',
        'description': 'like scale_out_fail, and the ROLLBACK of node 4 fails once',
        'dags': [{'template': 'scale_out', 'fail_at': 'Prev check for scale_out', 'fail_times': 1,
                  'rollback_fail_at': 'Wait remote deploy finish', 'rollback_fail_times': 1}]},
    'scale_out_later': {
        'name': 'scale_out_later',
        'description': 'nothing for 3 steps, then the scale_out DAG appears (for "wait for a DAG to appear")',
        'dags': [{'template': 'scale_out', 'start_after_steps': 3}]},
    'stop_fail': {
        'name': 'stop_fail',
        'description': '"Stop OB" (not maintenance, 6 nodes) failing at node 4 "Wait for all agents to execute '
                       'tasks successfully" on the last agent after 4 steps; it is then finished and leaves the '
                       'unfinished lists (spec §4.7)',
        'dags': [{'template': 'stop', 'fail_at': 'Wait for all agents to execute tasks successfully',
                  'fail_times': 1}]},
    'upgrade': {
        'name': 'upgrade',
        'description': '"OB rolling upgrade 4.3.5.0-…" cluster DAG: 9 parallel agent-prefix nodes (one sub-task per '
                       'agent), per-zone Stop/Start nodes, 1 parallel cleanup node; one node per step',
        'dags': [{'template': 'upgrade'}]},
    'upgrade_restart': {
        'name': 'upgrade_restart',
        'description': 'the upgrade DAG, and every agent restarts with a new RSA key (down for half a step, '
                       'staggered) while node 8 "Restart obshell" runs',
        'dags': [{'template': 'upgrade'}],
        'faults': [{'at_steps': 7.1, 'agent': 0, 'kind': 'restart', 'rotate_key': True, 'seconds_steps': 0.5},
                   {'at_steps': 7.3, 'agent': 1, 'kind': 'restart', 'rotate_key': True, 'seconds_steps': 0.5},
                   {'at_steps': 7.5, 'agent': 2, 'kind': 'restart', 'rotate_key': True, 'seconds_steps': 0.5}]},
    'agent_local': {
        'name': 'agent_local',
        'description': 'a local "Start observer" DAG (5 nodes, global maintenance) on agent 1 (agent 0 if alone)',
        'dags': [{'template': 'start_observer', 'scope': 'local', 'agent': 1}]},
    'busy': {
        'name': 'busy',
        'description': 'scale_out on the cluster, a local "Start observer" on agent 1 and a tenant DAG '
                       '"Create tenant t1" (tenant maintenance, 2 nodes) after 1 step',
        'dags': [{'template': 'scale_out'}, {'template': 'start_observer', 'scope': 'local', 'agent': 1},
                 {'template': 'create_tenant', 'start_after_steps': 1}]},
}


class BuiltinScenarios(Mapping):
    """Read-only mapping name -> scenario dict (deep copies). Calling it returns a plain dict copy."""

    def __getitem__(self, name):
        return copy.deepcopy(_BUILTINS[name])

    def __iter__(self):
        return iter(sorted(_BUILTINS))

    def __len__(self):
        return len(_BUILTINS)

    def __call__(self):
        return dict((name, self[name]) for name in self)


builtin_scenarios = BuiltinScenarios()


def held_scale_out(hold_at=3, step=0.05):
    """A 'Cluster scale out' scenario that runs quickly (``step`` s per node) up to node ``hold_at``, then stays
    there: a DAG mid-flight at a known stage, for tests and benchmarks."""
    return {
        'name': 'held scale-out',
        'dags': [{
            'name': 'Cluster scale out', 'scope': 'cluster', 'agent': 0, 'maintenance': 'global',
            'step_seconds': step,
            'nodes': [{'name': name, 'steps': 100000 if index == hold_at - 1 else 1}
                      for index, name in enumerate(SCALE_OUT_NODES)],
        }],
    }


def load_scenario(source):
    """A built-in name, a path to a .json/.yaml/.yml file, or a dict -> scenario dict."""
    if source is None:
        return copy.deepcopy(_BUILTINS['idle'])
    if isinstance(source, Mapping):
        return copy.deepcopy(dict(source))
    if source in _BUILTINS:
        return copy.deepcopy(_BUILTINS[source])
    if os.path.isfile(source):
        with open(source, 'r', encoding='utf-8') as handle:
            text = handle.read()
        if source.endswith(('.yaml', '.yml')):
            import yaml     # only needed for YAML scenario files
            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError('scenario file %s must hold a mapping' % source)
        data.setdefault('name', os.path.basename(source))
        return data
    raise ValueError('unknown scenario %r (built-ins: %s)' % (source, ', '.join(sorted(_BUILTINS))))


def expand_dag(spec, zones):
    """Resolve ``template`` and the ``fail_at`` shorthands into a full DAG spec."""
    spec = copy.deepcopy(spec)
    if 'template' in spec:
        base = template(spec.pop('template'), zones)
        base.update(spec)
        if 'nodes' in spec:
            base['nodes'] = spec['nodes']
        spec = base
    if 'name' not in spec or not spec.get('nodes'):
        raise ValueError('a scenario DAG needs a name and nodes: %r' % (spec,))
    spec['nodes'] = [dict(node) if isinstance(node, dict) else {'name': str(node)} for node in spec['nodes']]
    for key, times_key, node_key in (('fail_at', 'fail_times', 'fail_times'),
                                     ('rollback_fail_at', 'rollback_fail_times', 'rollback_fail_times')):
        target = spec.pop(key, None)
        times = int(spec.pop(times_key, 1))
        if target is None:
            continue
        matched = False
        for index, node in enumerate(spec['nodes']):
            if node['name'] == target or (isinstance(target, int) and index + 1 == target):
                node[node_key] = times
                matched = True
                break
        if not matched:
            raise ValueError('no node %r in DAG %r' % (target, spec['name']))
    for node in spec['nodes']:
        if not node.get('error'):
            node['error'] = 'Unexpected error: %s failed' % node['name']
    return spec
