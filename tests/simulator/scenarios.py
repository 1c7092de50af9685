# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Scenarios: which DAGs appear when, and which faults happen, as plain data (JSON or YAML files).

A scenario is a dict::

    {"name": "...",
     "zones": ["zone1", "zone1", "zone2"] | {"zone1": [0, 1], "zone2": [2]},   # agent zones (default zone<i+1>)
     "cluster": {"cluster_name": "obcluster", "cluster_id": 1, "build_version": "...", "rootserver": 0},
     "dags": [{"template": "scale_out",          # a key of templates.TEMPLATES, or "name" + "nodes" written out
               "options": {"new_zone": true},     # keyword options of the template builder
               "scope": "cluster" | "local" | "obproxy",   # OB / the agent's sqlite / the agent's obproxy DAGs
               "agent": 0,                        # owner (local, obproxy) / executing agent (cluster)
               "start_after": 0.0,                # seconds after the scenario starts
               "step_seconds": null,              # per-DAG override of --step-seconds
               "maintenance": "global" | "tenant" | "obproxy" | "none", "maintenance_key": "",
                                                  # default global for a DAG written out here (a template sets
                                                  # its own; the agent's builder default is none, template.go:60-63)
               "fail_at": "Prev check for scale_out", "fail_times": 1,     # shorthand for a node's plan
               "rollback_fail_at": 4, "rollback_fail_times": 1,
               "can_cancel": true,                # DAG-level: overrides every node's permission (not faithful!)
               "nodes": [{"name": "...", "parallel": false, "steps": 1, "logs": [...],
                          "fail_times": 0, "error": "...", "error_code": "Common.Unexpected",
                          "rollback_fail_times": 0, "fail_agent": null,
                          "can_retry": false, "can_rollback": false, "can_cancel": false, "can_pass": false,
                          "can": "C Co P R Rb",  # shorthand: letters, "all" or "none"
                          "zone": null,           # parallel node: only that zone's agents
                          "observer_down": false,  # the executing agents' observers are down while it runs
                          "failure_exit_maintenance": false,
                          "task_additional_data": null}]}],
     "faults": [{"at": 1.5, "agent": 1, "kind": "down", "seconds": 2.0},
                {"at": 3, "agent": 0, "kind": "restart", "rotate_key": true},
                {"at": 4, "agent": 0, "kind": "redeploy", "seconds": 1.0},   # a fresh home: local ids start again
                {"at": 0, "agent": 2, "kind": "errors", "count": 3, "status": 503},
                {"at": 0, "agent": 2, "kind": "delay", "seconds": 1.0, "count": 1},
                {"at": 0, "agent": 2, "kind": "malformed", "malformed": "html", "count": 1},
                {"at": 0, "agent": 2, "kind": "clock_skew", "seconds": 30},
                {"at": 0, "agent": 2, "kind": "identity", "identity": "SCALING OUT"},
                {"at": 0, "agent": 2, "kind": "profile", "profile": "4.5.0"},
                {"at_steps": 2, "agent": 0, "kind": "observer_down", "seconds_steps": 3, "state": 0},
                {"at": 9, "agent": 0, "kind": "observer_up"}],
     "identities": {"2": "SCALING OUT"}}                 # identities at scenario start

``at`` / ``start_after`` / ``seconds`` may also be given in steps (``at_steps`` / ``start_after_steps`` /
``seconds_steps``); an ``agent`` index beyond the cluster size wraps around.

Operator permissions (spec §11.1): a node allows nothing unless its template (``templates.py``, derived from the
agent's task constructors) or the scenario opts in. So CANCEL or PASS of a "Cluster scale out" is refused, as on
a real agent; ``cancellable`` and ``passable_fail`` use "Cluster scale in", whose tasks allow both.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy
import json
import os

from collections.abc import Mapping

from tests.simulator import templates as _templates

SCALE_OUT_NODES = [node['name'] for node in _templates.cluster_scale_out()['nodes']]
STOP_OB_NODES = [(node['name'], node['parallel']) for node in _templates.stop_ob()['nodes']]
START_OBSERVER_NODES = [node['name'] for node in _templates.start_observer()['nodes']]
UPGRADE_PREFIX = [node['name'] for node in _templates.ob_upgrade([])['nodes'][:9]]
SCALE_IN_NODES = [node['name'] for node in _templates.cluster_scale_in()['nodes']]
UPGRADE_OBPROXY_NODES = [node['name'] for node in _templates.upgrade_obproxy()['nodes']]

_LETTERS = {'C': 'can_cancel', 'Co': 'can_continue', 'P': 'can_pass', 'R': 'can_retry', 'Rb': 'can_rollback'}


def template(name, zones=('zone1', 'zone2', 'zone3'), **options):
    """A DAG spec by template key (templates.TEMPLATES), with the simulator's log lines and error texts."""
    spec = _templates.build(name, zones, **options)
    nodes = dict((node['name'], node) for node in reversed(spec['nodes']))
    if name == 'scale_out':
        nodes['Integrate server config']['logs'] = ['integrate server config success']
        nodes['Create local scale out dag']['logs'] = ['create local scale out dag success']
        nodes['Prev check for scale_out']['logs'] = ['check server 127.0.0.1:2882']
        nodes['Prev check for scale_out']['error'] = 'Unexpected error: server 127.0.0.1:2882 already exists in the cluster'
    elif name == 'stop':
        nodes['Wait for all agents to execute tasks successfully']['error'] = \
            'Unexpected error: agent {agent} stop observer failed: observer is still alive'
    elif name in ('start_observer', 'start_local_observer'):
        nodes['Start observer']['logs'] = ['start observer']
    elif name == 'scale_in':
        nodes['Wait delete observer success']['error'] = 'Unexpected error: wait delete observer 127.0.0.1:2882 timeout'
    return spec


def _hold(spec, hold_at, step):
    """Make node ``hold_at`` (1-based) last practically forever: a DAG mid-flight at a known stage."""
    for index, node in enumerate(spec['nodes']):
        node['steps'] = 100000 if index == hold_at - 1 else 1
    spec['step_seconds'] = step
    return spec


_BUILTINS = {
    'idle': {'name': 'idle', 'description': 'no DAGs at all', 'dags': []},
    'scale_out': {
        'name': 'scale_out',
        'description': 'the 9-node "Cluster scale out" cluster DAG (global maintenance), one node per step, '
                       'picked up after min(50 ms, step/10), SUCCEED after 9 steps; its tasks allow continue, '
                       'retry and rollback only (CANCEL and PASS are refused, spec §11.1)',
        'dags': [{'template': 'scale_out'}]},
    'scale_out_fail': {
        'name': 'scale_out_fail',
        'description': '"Cluster scale out" failing at node 6 "Prev check for scale_out" after 6 steps (once; '
                       'a RETRY then succeeds); stays unfinished as a FAILED maintenance DAG; PASS refused',
        'dags': [{'template': 'scale_out', 'fail_at': 'Prev check for scale_out', 'fail_times': 1}]},
    'scale_out_rollback_fail': {
        'name': 'scale_out_rollback_fail',
        'description': 'like scale_out_fail, and the ROLLBACK of node 4 fails once (a RETRY then runs the DAG '
                       'forward again, a second ROLLBACK finishes the rollback)',
        'dags': [{'template': 'scale_out', 'fail_at': 'Prev check for scale_out', 'fail_times': 1,
                  'rollback_fail_at': 'Wait remote deploy finish', 'rollback_fail_times': 1}]},
    'scale_out_later': {
        'name': 'scale_out_later',
        'description': 'nothing for 3 steps, then the scale_out DAG appears (for "wait for a DAG to appear")',
        'dags': [{'template': 'scale_out', 'start_after_steps': 3}]},
    'stop_fail': {
        'name': 'stop_fail',
        'description': '"Stop OB" (a LOCAL DAG of agent 0, not maintenance, 6 nodes) failing at node 4 "Wait for all '
                       'agents to execute tasks successfully" on the last agent after 4 steps; it is then finished '
                       'and leaves the unfinished lists (spec §4.7); its tasks allow cancel only (+continue)',
        'dags': [{'template': 'stop', 'fail_at': 'Wait for all agents to execute tasks successfully',
                  'fail_times': 1}]},
    'upgrade': {
        'name': 'upgrade',
        'description': '"OB rolling upgrade 4.3.5.0-…" cluster DAG: 10 parallel agent-prefix nodes (one sub-task per '
                       'agent), per-zone Stop/Reinstall/Start nodes (the zone\'s observers are down while "Reinstall '
                       'and restart observer" runs), 1 parallel cleanup node; one node per step',
        'dags': [{'template': 'upgrade'}]},
    'upgrade_restart': {
        'name': 'upgrade_restart',
        'description': 'the upgrade DAG, and every agent restarts with a new RSA key (down for half a step, '
                       'staggered) while node 8 "Restart obshell" runs; the observers of each zone are down while '
                       'its "Reinstall and restart observer" node runs',
        'dags': [{'template': 'upgrade'}],
        'faults': [{'at_steps': 7.1, 'agent': 0, 'kind': 'restart', 'rotate_key': True, 'seconds_steps': 0.5},
                   {'at_steps': 7.3, 'agent': 1, 'kind': 'restart', 'rotate_key': True, 'seconds_steps': 0.5},
                   {'at_steps': 7.5, 'agent': 2, 'kind': 'restart', 'rotate_key': True, 'seconds_steps': 0.5}]},
    'agent_local': {
        'name': 'agent_local',
        'description': 'a local "Start observer" DAG (5 nodes, global maintenance) on agent 1 (agent 0 if alone); '
                       'that agent reports underMaintenance until it succeeds',
        'dags': [{'template': 'start_observer', 'scope': 'local', 'agent': 1}]},
    'busy': {
        'name': 'busy',
        'description': 'scale_out on the cluster, a local "Start observer" on agent 1 and a tenant DAG '
                       '"Create tenant t1" (tenant maintenance, 2 nodes) after 1 step',
        'dags': [{'template': 'scale_out'}, {'template': 'start_observer', 'scope': 'local', 'agent': 1},
                 {'template': 'create_tenant', 'start_after_steps': 1}]},
    'cancellable': {
        'name': 'cancellable',
        'description': '"Cluster scale in" (cluster DAG, global maintenance, 5 nodes whose tasks all allow cancel), '
                       'held on node 2 "Set agent to \'SCALING IN\'" practically forever: CANCEL is accepted',
        'dags': [_hold(template('scale_in'), 2, None)]},
    'passable_fail': {
        'name': 'passable_fail',
        'description': '"Cluster scale in" failing at node 3 "Wait delete observer success" after 3 steps (once); '
                       'every remaining node allows PASS (and RETRY, ROLLBACK; node 4 "Delete agent" cannot roll '
                       'back, which only matters once it ran)',
        'dags': [{'template': 'scale_in', 'fail_at': 'Wait delete observer success', 'fail_times': 1}]},
    'obproxy': {
        'name': 'obproxy',
        'description': '"Upgrade obproxy" (10 nodes, obproxy maintenance type 4) on agent 0: an obproxy DAG with id '
                       'prefix 4 (5 on IPv6), readable only with X-OCS-Agent-Header and the agent password',
        'dags': [{'template': 'upgrade_obproxy', 'agent': 0}]},
    'observer_restart': {
        'name': 'observer_restart',
        'description': 'scale_out while agent 0\'s observer is down from step 2 for 3 steps: on agent 0 '
                       '/dag/ob/unfinish and /dag/maintain/ob fail, /dag/unfinish answers without the cluster DAG, '
                       '/status shows obState 0; other agents answer normally',
        'dags': [{'template': 'scale_out'}],
        'faults': [{'at_steps': 2, 'agent': 0, 'kind': 'observer_down', 'seconds_steps': 3}]},
    'local_fail_during_cluster': {
        'name': 'local_fail_during_cluster',
        'description': 'scale_out, and on agent 1 a local "Start local observer" DAG (the emergency start: not a '
                       'maintenance DAG) failing at node 2 "Start observer" after 2 steps; being finished once failed, '
                       'it leaves the unfinished lists at once',
        'dags': [{'template': 'scale_out'},
                 {'template': 'start_local_observer', 'scope': 'local', 'agent': 1, 'fail_at': 'Start observer'}]},
    'three_zones': {
        'name': 'three_zones',
        'description': 'no DAGs; agents spread over zone1, zone2, zone3 round-robin (agent i in zone (i mod 3)+1, '
                       'for up to 9 agents), for /api/v1/ob/info topology tests',
        'zones': {'zone1': [0, 3, 6], 'zone2': [1, 4, 7], 'zone3': [2, 5, 8]},
        'dags': []},
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


def held_dag(name='scale_out', hold_at=3, step=0.05, agent=0, **options):
    """A scenario with one DAG of template ``name`` that runs quickly (``step`` s per node) up to node
    ``hold_at`` and stays there, with the template's permissions (e.g. ``held_dag('scale_in')`` can be canceled,
    ``held_dag('scale_out')`` cannot)."""
    spec = _hold(template(name, **options), hold_at, step)
    spec['agent'] = agent
    return {'name': 'held %s' % name, 'dags': [spec]}


def held_scale_out(hold_at=3, step=0.05):
    """A 'Cluster scale out' held at node ``hold_at`` (see ``held_dag``); CANCEL and PASS are refused."""
    scenario = held_dag('scale_out', hold_at, step)
    scenario['name'] = 'held scale-out'
    return scenario


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


def _apply_can(node):
    """The ``can`` shorthand of a node: permission letters (C Co P R Rb), "all" or "none"."""
    can = node.pop('can', None)
    if can is None:
        return
    letters = set(_LETTERS) if can == 'all' else set() if can == 'none' else set(str(can).split())
    unknown = letters - set(_LETTERS)
    if unknown:
        raise ValueError('unknown permission letters %s in node %r' % (sorted(unknown), node['name']))
    for letter, key in _LETTERS.items():
        node[key] = letter in letters


def expand_dag(spec, zones):
    """Resolve ``template`` and the ``fail_at`` / ``can_*`` shorthands into a full DAG spec."""
    spec = copy.deepcopy(spec)
    if 'template' in spec:
        base = template(spec.pop('template'), zones, **(spec.pop('options', None) or {}))
        base.update(spec)
        if 'nodes' in spec:
            base['nodes'] = spec['nodes']
        spec = base
    if 'name' not in spec or not spec.get('nodes'):
        raise ValueError('a scenario DAG needs a name and nodes: %r' % (spec,))
    spec['nodes'] = [dict(node) if isinstance(node, dict) else {'name': str(node)} for node in spec['nodes']]
    overrides = dict((key, bool(spec.pop(key))) for key in _templates.PERMISSION_KEYS if key in spec)
    for node in spec['nodes']:
        _apply_can(node)
        node.update(overrides)
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
