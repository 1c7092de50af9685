# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""OBShell DAG changes as Event-Driven Ansible events: the engine of the event source oceanbase.obshell.dag_events
(extensions/eda/plugins/event_source/dag_events.py).

``DagTracker`` is fed what each poll read (lists, reads of single DAGs, failed reads) and returns the events of what
changed, one per change; no I/O (``_dag_poller.EventPoller`` does the reading). No verdict without evidence: a DAG
that leaves the unfinished lists, or that a list shows in a final state, gets its final event only from a read of
``/dag/{id}`` that shows that state; a read that fails leaves it pending (the agent's own event says why) and it is
read again next poll. Final DAGs are forgotten once reported, so memory is bounded by the DAGs still unfinished (and
a short list of recent ids).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import collections
import datetime

from ansible_collections.oceanbase.obshell.plugins.module_utils import _dag, _report, _templates, _text
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import ObshellClusterUnknownError, ObshellError

DAG_EVENTS = ('dag_appeared', 'dag_progressed', 'dag_succeeded', 'dag_failed', 'dag_rolled_back', 'dag_cancelled',
              'dag_passed', 'dag_vanished')
AGENT_EVENTS = ('agent_unreachable', 'agent_recovered', 'cluster_unknown')
EVENTS = DAG_EVENTS + AGENT_EVENTS
EVENT_OF_OUTCOME = {'succeeded': 'dag_succeeded', 'failed': 'dag_failed', 'rolled_back': 'dag_rolled_back',
                    'canceled': 'dag_cancelled', 'passed': 'dag_passed'}
# Ids of DAGs reported final and forgotten, with their final state: a list read racing the end of a DAG must not
# make it "appear" again. Bounded, so that days of running keep memory flat.
RECENT_LIMIT = 512
CLUSTER_PART = 'cluster'


def _utc_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def _key(record):
    # A failure's end time is part of it: a DAG retried and failed again at the same node between two polls is a
    # new failure, with its own end (§4.6), and its own event.
    return [record.get('state'), record.get('operator'), record.get('stage'), record.get('outcome'),
            record.get('end_time') if record.get('state') == 'FAILED' else None]


def _public(record):
    """The record as dag_info returns it (details=summary): without the nodes read to settle it."""
    record = dict(record)
    record.pop('nodes', None)
    return record


def _error_info(error):
    if isinstance(error, ObshellError):
        info = error.to_dict()
    else:
        info = {'kind': 'protocol', 'message': str(error)}
    info['message'] = _text.safe_text(info.get('message'), 1000)
    return info


def _same_dag(old, new):
    """False when an id now names another DAG (an agent whose task store was reset, a cluster made again): the
    model's one rule, _dag.identity_problem."""
    return not _dag.identity_problem(old, new)


class DagTracker(object):
    """What is known of every unfinished DAG and every agent; turns each poll's reads into events.

    One poll: ``begin_poll()``; ``agent_read(agent, error)`` for every agent read (``error`` None when all its reads
    succeeded); ``cluster_read(agent, error, read_from)`` for each CLUSTER AGENT asked for the cluster DAGs;
    ``lists(listed)`` with ``{part: (agent, records)}`` for the lists that were read; then for each ``(part, id)`` of
    ``settle_wanted()`` one of ``dag_read(part, agent, record)``, ``dag_missing(part, agent, id)`` or
    ``dag_read_failed(part, id, error)``; ``end_poll()`` returns the events, agents' first.
    """

    def __init__(self, now=None, recent_limit=RECENT_LIMIT):
        self._now = now if now is not None else _utc_now
        self.entries = {}   # id -> {'record', 'part', 'agent', 'listed', 'pending', 'reported', 'failures'}
        self.recent = collections.OrderedDict()     # id -> (name, final key, failures) of DAGs reported final
        self.recent_limit = recent_limit
        self.agents = {}                # agent -> {'state': 'ok'|'unreachable'|'cluster_unknown', 'since', 'error'}
        self._agent_events = []
        self._dag_events = []

    # ------------------------------------------------------------------ events

    def _event(self, kind, agent, into, **fields):
        body = {'event': kind, 'agent': agent, 'time': self._now()}
        body.update(fields)
        into.append({'obshell': body})

    def _dag_event(self, kind, entry_or_record, agent, part, **fields):
        record = entry_or_record
        if fields.get('reason') is None:
            fields['reason'] = _report.progress_line(None, record)
        self._event(kind, agent, self._dag_events, dag=_public(record), part=part, **fields)

    def begin_poll(self):
        self._agent_events = []
        self._dag_events = []

    def end_poll(self):
        events = self._agent_events + self._dag_events
        self._agent_events = []
        self._dag_events = []
        return events

    # ------------------------------------------------------------------ agents

    def _agent_state(self, agent, state, error=None, **fields):
        known = self.agents.get(agent)
        previous = known['state'] if known else None
        if state == previous:
            return
        if state == 'ok':
            if previous is not None:
                since = known.get('since')
                self._event('agent_recovered', agent, self._agent_events, after=previous, since=since,
                            error=None, reason='agent %s answers again (%s since %s)' % (agent, previous, since))
            self.agents[agent] = {'state': 'ok', 'since': self._now(), 'error': None}
            return
        info = _error_info(error) if error is not None else None
        kind = 'agent_unreachable' if state == 'unreachable' else 'cluster_unknown'
        self._event(kind, agent, self._agent_events, error=info, reason=(info or {}).get('message'), **fields)
        self.agents[agent] = {'state': state, 'since': self._now(), 'error': info}

    def agent_read(self, agent, error=None, cluster_reads=True):
        """Every read of ``agent`` in this poll succeeded (``error`` None), or one failed with ``error``.
        ``cluster_reads``: the cluster DAGs are read apart (cluster_read), which alone says when they can be read
        again; otherwise (scope all) a good read of the agent's list says it."""
        if error is None:
            known = self.agents.get(agent)
            if cluster_reads and known is not None and known['state'] == 'cluster_unknown':
                return      # the agent answers; whether it can read the cluster DAGs again is cluster_read's call
            self._agent_state(agent, 'ok')
        elif isinstance(error, ObshellClusterUnknownError):
            # scope all: the aggregated list is not believed while the observer is down (_query.read_list).
            self._agent_state(agent, 'cluster_unknown', error, cluster_dags_read_from=None)
        else:
            self._agent_state(agent, 'unreachable', error)

    def cluster_read(self, agent, error=None, read_from=None):
        """The cluster DAGs were asked of ``agent``: read (``error`` None), or it could not read them now (its
        observer down: ObshellClusterUnknownError). ``read_from``: the agent that answered them in this poll."""
        if error is None:
            self._agent_state(agent, 'ok')
        elif isinstance(error, ObshellClusterUnknownError):
            self._agent_state(agent, 'cluster_unknown', error, cluster_dags_read_from=read_from)
        else:
            self._agent_state(agent, 'unreachable', error)

    def cluster_unreadable(self, agent, error):
        """No agent could give the cluster DAGs in this poll (each agent's own event says why): said once for
        the cluster, through the agent asked last, unless that agent's event already says it."""
        known = self.agents.get(agent)
        if known is not None and known['state'] != 'ok':
            return
        self._agent_state(agent, 'cluster_unknown', error, cluster_dags_read_from=None)

    # ------------------------------------------------------------------ DAGs

    def lists(self, listed):
        """``listed``: {part: (agent, records)} of the lists read in this poll, in part order. A DAG listed by
        several parts (scope all on several agents) is one DAG: the first part that lists it owns it."""
        seen = {}
        for part, (agent, records) in listed.items():
            for record in records:
                if record['id'] in seen:
                    continue
                seen[record['id']] = part
                self._listed(part, agent, record)
        for dag_id, entry in list(self.entries.items()):
            if entry['part'] in listed and dag_id not in seen and entry['listed']:
                # Gone from the unfinished list: finished, or gone. Only a read of /dag/{id} can say which.
                entry['listed'] = False
                entry['pending'] = True

    def _listed(self, part, agent, record):
        dag_id = record['id']
        entry = self.entries.get(dag_id)
        if entry is not None and not _same_dag(entry['record'], record):
            self._dag_event('dag_vanished', entry['record'], entry['agent'], entry['part'],
                            reason="DAG %s is now another DAG ('%s'): the final state of '%s' is unknown" % (
                                dag_id, _text.safe_text(record.get('name')),
                                _text.safe_text(entry['record'].get('name'))))
            del self.entries[dag_id]
            entry = None
        if entry is None:
            recent = self.recent.get(dag_id)
            if recent is not None and recent[:2] == (record.get('name'), _key(record)):
                return      # a list read that raced the end of a DAG already reported
            self.recent.pop(dag_id, None)
            # A DAG retried after it had ended (a failed DAG that is not a maintenance DAG) keeps its count.
            failures = recent[2] if recent is not None and recent[0] == record.get('name') else 0
            entry = {'record': record, 'part': part, 'agent': agent, 'listed': True, 'pending': False,
                     'reported': None, 'failures': failures}
            self.entries[dag_id] = entry
            if record['outcome'] == 'running':
                entry['reported'] = _key(record)
                self._dag_event('dag_appeared', record, agent, part, previous=None)
            else:
                entry['pending'] = True
            return
        previous = entry['record']
        entry.update(record=self._merge(previous, record), part=part, agent=agent, listed=True)
        if record['outcome'] != 'running':
            # A final state in a list (a failed maintenance DAG stays listed): read /dag/{id} for the evidence
            # (its nodes: the failed node, what its template allows) before saying so, unless already said.
            if entry['reported'] != _key(record):
                entry['pending'] = True
            return
        entry['pending'] = False
        if entry['reported'] != _key(record):
            entry['reported'] = _key(record)
            self._dag_event('dag_progressed', entry['record'], agent, part, previous=self._brief(previous))

    @staticmethod
    def _brief(record):
        return dict((name, record.get(name)) for name in ('state', 'operator', 'stage', 'progress', 'current_node',
                                                          'outcome'))

    @staticmethod
    def _merge(old, new):
        merged = dict(new)
        if merged.get('failure') is None and old.get('failure') and old.get('stage') == new.get('stage') \
                and new.get('state') == 'FAILED':
            merged['failure'] = old['failure']
        return merged

    def history(self, part, agent, records):
        """Records from the agent's history for a window in which ``part`` could not be read: each DAG not known
        joins as one that left the list, to be settled (and reported) by a read of it by id."""
        for record in records:
            dag_id = record['id']
            if dag_id in self.entries:
                continue
            recent = self.recent.get(dag_id)
            if recent is not None and recent[:2] == (record.get('name'), _key(record)):
                continue        # already reported
            self.entries[dag_id] = {'record': record, 'part': part, 'agent': agent, 'listed': False,
                                    'pending': True, 'reported': None, 'failures': 0}
            self._dag_event('dag_appeared', record, agent, part, previous=None, from_history=True)

    def settle_wanted(self):
        """(part, id) of the DAGs whose state only a read of /dag/{id} can tell."""
        return [(entry['part'], dag_id) for dag_id, entry in self.entries.items() if entry['pending']]

    def dag_read(self, part, agent, record):
        """A read of /dag/{id} with its nodes (details='full')."""
        dag_id = record['id']
        entry = self.entries.get(dag_id)
        if entry is None:
            return
        if not _same_dag(entry['record'], record):
            self._dag_event('dag_vanished', entry['record'], agent, entry['part'],
                            reason="DAG %s now names another DAG ('%s'): the final state of '%s' is unknown" % (
                                dag_id, _text.safe_text(record.get('name')),
                                _text.safe_text(entry['record'].get('name'))))
            self._forget(dag_id, None)
            return
        previous = entry['record']
        entry['record'] = record
        entry['agent'] = agent
        key = _key(record)
        if record['outcome'] == 'running':
            if entry['listed']:
                entry['pending'] = False
                if entry['reported'] != key:
                    entry['reported'] = key
                    self._dag_event('dag_progressed', record, agent, part, previous=self._brief(previous))
            # Left the list but still running (a race with the list): read again next poll; nothing is said.
            return
        entry['pending'] = False
        if entry['reported'] != key:
            entry['reported'] = key
            fields = {}
            if record['outcome'] == 'failed':
                entry['failures'] += 1
                fields['failure_count'] = entry['failures']
            if record['outcome'] in ('failed', 'canceled'):
                allowed = _templates.allowed_operations(record, [node.get('name') for node in record.get('nodes') or []])
                fields['failure'] = _report.failure_report(record, allowed)
                reason = fields['failure']['summary']
            else:
                reason = _report.ended_text(record)
            self._dag_event(EVENT_OF_OUTCOME[record['outcome']], record, agent, part, previous=self._brief(previous),
                            reason=reason, **fields)
        if not entry['listed']:
            self._forget(dag_id, (record.get('name'), key, entry['failures']))

    def dag_missing(self, part, agent, dag_id):
        """The agent answered that there is no DAG ``dag_id`` (404): its end cannot be known."""
        entry = self.entries.get(dag_id)
        if entry is None:
            return
        self._dag_event('dag_vanished', entry['record'], agent, part,
                        reason='%s is no longer known to the agent: its final state is unknown'
                        % _report.dag_label(entry['record']))
        self._forget(dag_id, None)

    def dag_read_failed(self, part, dag_id, error):
        """The read failed: nothing is concluded; the DAG stays pending and is read again next poll."""
        entry = self.entries.get(dag_id)
        if entry is not None:
            entry['read_error'] = _error_info(error)

    def _forget(self, dag_id, final):
        self.entries.pop(dag_id, None)
        if final is not None:
            self.recent[dag_id] = final
            while len(self.recent) > self.recent_limit:
                self.recent.popitem(last=False)
