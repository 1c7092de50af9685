# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""The parts of a wait: the hosts it asks (Targets), and what each wait engine watches (Parts): the cluster DAGs
from one CLUSTER AGENT of the batch in turn, each host's own DAGs, or one DAG by id; made from the wait's options."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.oceanbase.obshell.plugins.module_utils import _verdict
from ansible_collections.oceanbase.obshell.plugins.module_utils._engine import WaitEngine


class Target(object):
    """One host of the wait: its inventory name (the label of its lines and results) and its agent's client."""

    def __init__(self, host, client):
        self.host = host
        self.client = client
        self.described = None       # client.describe() at the last good read


class Part(object):
    """What one engine watches: ``kind`` 'cluster' (cluster DAGs, from ``sources`` in turn), 'agent' (the host's
    own DAGs), 'all' (the aggregated list of one agent) or 'dag' (one DAG by id)."""

    def __init__(self, kind, host, engine, sources):
        self.kind = kind
        self._host = host
        self.engine = engine
        self.sources = sources      # Targets; the first is asked, the others when it fails (cluster only)
        self.source = 0
        self.dropped = False        # scope auto and no CLUSTER AGENT at all: there are no cluster DAGs
        self.saw_cluster_agent = False  # a source was a CLUSTER AGENT at some poll: the cluster exists
        # The cluster_signature() with which every agent of the batch in a cluster was last found in the source's
        # cluster (None: not yet); the hosts moving into or out of a cluster that were not members then.
        self.one_cluster = None
        self.pending = []
        self.switches = []          # [{'from', 'to', 'reason', 'at'}]
        self.remediations = []
        # Quiet when another part ended the wait (fail fast), but the span since its last poll could not be read
        # back: not a verdict (set as the wait ends, never carried over).
        self.unverified_at_end = False

    @property
    def target(self):
        return self.sources[self.source]

    @property
    def host(self):
        """The host the part belongs to; for the cluster DAGs, the host whose agent is asked now."""
        return self.target.host if self.kind == 'cluster' else self._host

    @property
    def label(self):
        return '%s [cluster]' % self.target.host if self.kind == 'cluster' else self.target.host


def build_parts(targets, scope, params, clock, read_once, dag_id=None):
    """The parts of a wait over ``targets`` (Targets, in batch order). ``params`` holds the wait options."""
    def engine(target):
        return WaitEngine(timeout=params['timeout'], poll_interval=params['poll_interval'],
                          appear_timeout=params.get('appear_timeout') or 0.0,
                          unreachable_timeout=params['unreachable_timeout'],
                          fail_on=params.get('fail_on', _verdict.DEFAULT_FAIL_ON), dag_id=dag_id,
                          agent=target.client.address, clock=clock, read_once=read_once)
    if dag_id is not None:
        return [Part('dag', targets[0].host, engine(targets[0]), targets[:1])]
    parts = []
    if scope in ('auto', 'cluster'):
        parts.append(Part('cluster', targets[0].host, engine(targets[0]), list(targets)))
    if scope in ('auto', 'agent'):
        parts.extend(Part('agent', target.host, engine(target), [target]) for target in targets)
    if scope == 'all':
        parts.extend(Part('all', target.host, engine(target), [target]) for target in targets)
    return parts


def wait_params(values):
    """The options of a wait, from validated option values (dag_wait's, dag's or the role's)."""
    return dict(timeout=values['timeout'], poll_interval=values['poll_interval'],
                appear_timeout=values.get('appear_timeout') or 0.0, unreachable_timeout=values['unreachable_timeout'],
                fail_on=values.get('fail_on') if values.get('fail_on') is not None else _verdict.DEFAULT_FAIL_ON)
