# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""The watcher: one wait over one or many agents, all parts at the same time.

A wait has *parts*, each with its own WaitEngine (_engine.py): the cluster DAGs, read from one CLUSTER AGENT; each
host's own agent DAGs; or one DAG by id. Every poll reads every due part, the hosts concurrently, so a DAG that
fails anywhere while another part is still running is seen, and every DAG id seen is read until its final state is
known. The cluster DAGs are asked of one reachable CLUSTER AGENT; when it stops answering (or its observer cannot
read them, §11.6) the next one is asked, and the result says so. The verdict is _verdict.combine over the parts.

A failed cluster DAG can be remediated (retried, rolled back or passed) within the same deadline; the wait then goes
on with that DAG. Everything is injected (clients, and one Clock for waiting, request deadlines and DAG times), so the
unit tests drive it without a network and without real time.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.oceanbase.obshell.plugins.module_utils import (
    _dag_lists, _parts, _query, _remediation, _report, _text, _verdict)
from ansible_collections.oceanbase.obshell.plugins.module_utils._cluster import CLUSTER_AGENT
from ansible_collections.oceanbase.obshell.plugins.module_utils._cluster_dags import (
    cluster_signature,
    no_cluster_agent,
    other_clusters,
    read_cluster_dags,
)
from ansible_collections.oceanbase.obshell.plugins.module_utils._clock import Clock
from ansible_collections.oceanbase.obshell.plugins.module_utils._vocabulary import QUIET_VERDICTS
from ansible_collections.oceanbase.obshell.plugins.module_utils._watcher_history import HistoryReads
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import (
    ObshellConnectionError,
    ObshellConfigError,
    ObshellError,
    ObshellNotFoundError,
    ObshellRecordError,
)

STATE_VERSION = 1
# Hosts read at the same time at most; a poll of 100 idle agents is then two rounds of one request each.
MAX_WORKERS = 64


class Watcher(HistoryReads):
    """Polls the parts until each has a verdict (or one fails the wait), and combines them."""

    def __init__(self, parts, scope='auto', names=None, details='summary', mode='wait', fail_on=None,
                 remediation=None, max_remediations=1, clock=None, on_event=None, request_timeout=10.0,
                 max_workers=MAX_WORKERS, warn=None):
        self.parts = parts
        self.scope = scope
        self.name_filter = _dag_lists.compile_name_filter(names)
        self.details = details
        self.mode = mode
        self.fail_on = tuple(fail_on if fail_on is not None else _verdict.DEFAULT_FAIL_ON)
        self.remediation = remediation if remediation not in (None, 'fail') else None
        self.max_remediations = int(max_remediations)
        self.clock = clock if clock is not None else Clock()
        self.on_event = on_event
        self.request_timeout = float(request_timeout)
        self.max_workers = max_workers
        self.warn = warn
        self.lines = []                 # every progress line, "<label> | <line>", in order
        self._needs_refresh = set()     # clients whose /api/v1/info is read again (a restart may change it)
        self._warned = set()            # agents already warned about (no history routes)

    # ------------------------------------------------------------------ serialization (run_on=target slices)

    def to_state(self):
        return {'version': STATE_VERSION, 'lines': list(self.lines), 'parts': [{
            'engine': part.engine.to_state(), 'source': part.source, 'dropped': part.dropped,
            'saw_cluster_agent': part.saw_cluster_agent, 'one_cluster': part.one_cluster, 'pending': part.pending,
            'switches': list(part.switches), 'remediations': list(part.remediations)} for part in self.parts]}

    def load_state(self, state):
        if not isinstance(state, dict) or state.get('version') != STATE_VERSION or \
                len(state.get('parts') or []) != len(self.parts):
            raise ValueError('unusable wait state')
        self.lines = list(state.get('lines') or [])
        for part, saved in zip(self.parts, state['parts']):
            part.engine.load_state(saved['engine'])
            part.source = int(saved['source'])
            part.dropped = bool(saved['dropped'])
            part.saw_cluster_agent = bool(saved.get('saw_cluster_agent'))
            part.one_cluster = saved.get('one_cluster')
            part.pending = list(saved.get('pending') or [])
            part.switches = list(saved['switches'])
            part.remediations = list(saved['remediations'])
        return self

    # ------------------------------------------------------------------ polling

    def poll(self, parts):
        """One poll of ``parts``. Each host's own parts run in one thread (a client is used by one thread at a
        time), the hosts at once; then the cluster DAGs, from the CLUSTER AGENT asked last time or, if it fails,
        from the next one (by then every host's identity is known)."""
        for part in parts:
            part.engine.begin_poll()
        self._per_client([part for part in parts if part.kind != 'cluster'], self._poll_group)
        for part in self.parts:
            if part.dropped and any(target.client.identity == CLUSTER_AGENT for target in part.sources
                                    if target.described is not None):
                # A batch without a cluster has one now (an agent came back, or was joined, as a CLUSTER AGENT).
                part.dropped = False
                if part not in parts:
                    part.engine.begin_poll()
                    parts = list(parts) + [part]
        for part in parts:
            if part.kind == 'cluster':
                self._poll_cluster(part)
        self._close_appear_windows()
        for part in parts:
            for line in part.engine.end_poll():
                self._event(part, line)

    def _per_client(self, parts, work):
        """``work(group)`` for the parts grouped by client, the groups at once (a client serves one thread at a
        time; the hosts are asked concurrently). Returns what each call returned."""
        groups = []
        for part in parts:
            for group in groups:
                if group[0].target.client is part.target.client:
                    group.append(part)
                    break
            else:
                groups.append([part])
        if len(groups) <= 1:
            return [work(group) for group in groups]
        with ThreadPoolExecutor(max_workers=min(self.max_workers, len(groups))) as pool:
            return list(pool.map(work, groups))

    def _poll_group(self, group):
        for part in group:
            self._main_read(part)
            self._follow_ups(part)

    def _cap_requests(self, client, engine, until=None):
        """Keep every request inside the overall deadline (at least 0.5 s, so that a last read can happen), or
        inside ``until`` (the clock's monotonic time), the end of a poll's budget shared by several agents."""
        client.timeout = self.request_timeout
        client.deadline = until if until is not None else \
            self.clock.monotonic() + max(0.5, engine.timeout - engine.now())

    def _refresh(self, target):
        """Agent facts for this poll: after a failed read, /api/v1/info again (a restart may change them)."""
        client = target.client
        if client in self._needs_refresh:
            client.info(refresh=True)
            self._needs_refresh.discard(client)
        target.described = client.describe()

    def _main_read(self, part):
        engine = part.engine
        client = part.target.client
        self._cap_requests(client, engine)
        try:
            self._refresh(part.target)
            if part.kind == 'dag':
                self._read_dag(part)
            else:
                engine.main_read(self._records(client, part.kind))
                self._read_back(part, client)
        except ObshellRecordError as exc:
            engine.fail(exc.to_dict())
        except (ObshellError, ValueError) as exc:
            # ValueError: a DTO the DAG model cannot use; treated like a protocol error.
            self._needs_refresh.add(client)
            engine.main_failed(exc)

    def _records(self, client, endpoint):
        dummy_plan, records = _query.list_unfinished(client, name_filter=self.name_filter, with_details=False,
                                                     plan=[endpoint], now=self.clock.wall())
        return records

    def _read_dag(self, part):
        engine = part.engine
        client = part.target.client
        try:
            dto = client.dag(engine.dag_id, show_details=False)
        except ObshellNotFoundError:
            # The agent answered: no such DAG (yet). An error once the appear window is over, never "idle".
            engine.main_missing()
            return
        record = self._by_id(client, engine.dag_id, dto, 'summary')
        if not self.name_filter(record.get('name')):
            # Waited on by id and by names, and the DAG is not one of them: a contradiction, never "nothing to wait
            # for" (the DAG does run).
            engine.fail({'kind': 'not_named', 'message': '%s is not one of names %s' % (
                _report.dag_label(record), ', '.join(_text.safe_text(p, 80) for p in self.name_filter.patterns))})
            return
        engine.main_read([record])

    def _follow_ups(self, part):
        engine = part.engine
        client = part.target.client
        for dummy_round in range(3):
            wanted = engine.follow_ups()
            if not wanted:
                break
            for dag_id, with_nodes in wanted:
                try:
                    dto = client.dag(dag_id, show_details=with_nodes)
                    record = self._by_id(client, dag_id, dto, 'full' if with_nodes else 'summary')
                except (ObshellRecordError, ObshellConfigError) as exc:
                    # Garbage is never read again and never settles as a verdict; a DAG that these settings cannot
                    # read (an obproxy DAG without the agent password) cannot end the wait truthfully either.
                    engine.fail(exc.to_dict())
                    return
                except ObshellNotFoundError:
                    # Seen before, and now the agent says there is no such DAG: what became of it cannot be known.
                    engine.dag_vanished(dag_id)
                    return
                except (ObshellError, ValueError) as exc:
                    engine.dag_read_failed(dag_id, exc, with_nodes)
                else:
                    nodes = record.get('nodes') if with_nodes else None
                    names = [node.get('name') for node in nodes or []] if with_nodes else None
                    if self.details != 'full':
                        record.pop('nodes', None)
                    engine.dag_read(record, with_nodes, node_names=names, nodes=nodes)
                    if engine.fatal is not None:
                        return

    def _by_id(self, client, dag_id, dto, details):
        """The record of a read of /dag/{dag_id}; an answer about another id is garbage, never evidence."""
        record = _query.normalize_record(client, dto, client.agent, details=details, now=self.clock.wall())
        if record['id'] != dag_id:
            raise ObshellRecordError('GET /dag/%s answered with the record of DAG %s' % (
                dag_id, _text.safe_text(record['id'], 60)), agent=client.address)
        return record

    def _poll_cluster(self, part):
        """The cluster DAGs from the CLUSTER AGENT asked last time; if it fails (down, restarting, its observer
        down, no longer a cluster agent), from the next CLUSTER AGENT of the batch, and the result says so."""
        engine = part.engine
        order = [part.source] + [index for index in range(len(part.sources)) if index != part.source]
        # One budget for the whole poll, however many cluster agents are tried in turn: after the deadline, the
        # last read gets 0.5 s in all, not 0.5 s per agent (12 silent agents would end the wait 6 s late).
        until = self.clock.monotonic() + max(0.5, engine.timeout - engine.now())

        def prepare(index, client):
            self._cap_requests(client, engine, until)
            self._refresh(part.sources[index])

        def read(index, client):
            part.saw_cluster_agent = True
            if (engine.last_error or {}).get('kind') == 'cluster_unknown' and engine.down_since is not None:
                # Only the observer was missing: its state is asked first (no auth, no list), every poll.
                ob_state = _query.read_ob_state(client)
                if ob_state is not None and ob_state != _query.OB_AVAILABLE:
                    raise _query.cluster_unknown(client, ob_state=ob_state)
            return self._records(client, 'cluster')

        try:
            got = read_cluster_dags([(index, part.sources[index].client) for index in order], read, prepare,
                                    seconds_left=lambda: until - self.clock.monotonic(), fatal=(ObshellRecordError,))
        except ObshellRecordError as exc:
            engine.fail(exc.to_dict())
            return
        for index in got.errors:
            self._needs_refresh.add(part.sources[index].client)
        if got.source is not None:
            self._cluster_read_from(part, got)
            return
        last_error = list(got.errors.values())[-1] if got.errors else None
        if last_error is None and got.out_of_time:
            last_error = ObshellConnectionError('the overall deadline passed before another %s of the batch could '
                                                'be asked for the cluster DAGs' % CLUSTER_AGENT,
                                                agent=part.target.client.address)
        if last_error is None:
            last_error = no_cluster_agent(got.identities, self.scope,
                                          bool(part.saw_cluster_agent or engine.good_reads or engine.tracked),
                                          part.target.client.address)
            if last_error is None:
                part.dropped = True         # a batch without a cluster: there are no cluster DAGs
                return
        # The agent the part asks (its label, "asked X via host") is blamed for its own error, not another's.
        engine.main_failed(got.errors.get(part.source) or last_error)

    @staticmethod
    def _host_of(part):
        hosts = dict((id(source.client), source.host) for source in part.sources)
        return lambda client: hosts[id(client)]

    def _cluster_read_from(self, part, got):
        """The cluster DAGs were read; from another CLUSTER AGENT than last time, the part says so and stays there."""
        engine = part.engine
        target = part.sources[got.source]
        client = target.client
        others = [source.client for source in part.sources if source.client is not client]
        signature = cluster_signature(client, others) if others else None
        if others and part.one_cluster != signature:
            # At the first good read, and again when the source or an identity changed: every agent of the batch in
            # a cluster is of the source's cluster (a CLUSTER AGENT of another: error; one moving into a cluster
            # not the source's: no quiet verdict while it is, _watcher_history).
            try:
                problem, pending = other_clusters(client, others, self._host_of(part))
            except (ObshellError, ValueError) as exc:
                engine.main_failed(exc)
                return
            if problem is not None:
                engine.fail(problem.to_dict())
                return
            part.one_cluster = signature
            part.pending = [self._host_of(part)(made) for made in pending]
        if got.source != part.source:
            failed = part.sources[part.source]
            if engine.good_reads:
                own = got.errors.get(part.source)
                reason = str(own) if own is not None else 'it is not a %s any more (it is %s)' % (
                    CLUSTER_AGENT, _text.safe_text(failed.client.identity, 40))
                part.switches.append({'from': failed.host, 'to': target.host, 'reason': reason,
                                      'at': round(engine.now(), 1)})
                self._event(part, 'cluster DAGs are now read from %s (%s): %s stopped answering them: %s' % (
                    _text.safe_text(target.host, 80), client.address, _text.safe_text(failed.host, 80),
                    _text.safe_text(reason, 300)))
            part.source = got.source
            engine.agent = client.address
        engine.main_read(got.records)
        self._read_back(part, client)
        self._follow_ups(part)

    def _event(self, part, line):
        self.lines.append('%s | %s' % (part.label, line))
        if self.on_event is not None:
            self.on_event(part.label, line)

    # ------------------------------------------------------------------ decisions

    def _remediate(self, part):
        """A failed cluster DAG and remediation configured: act on it (_remediation.attempt), then wait on. True if
        acted."""
        engine = part.engine
        if self.remediation is None or part.kind not in ('cluster', 'dag') or engine.read_once \
                or len(part.remediations) >= self.max_remediations:
            return False
        record = _remediation.failed_cluster_dag(engine)
        if record is None:
            return False
        client = part.target.client
        self._cap_requests(client, engine)
        attempt = _remediation.attempt(engine, client, record, self.remediation, len(part.remediations) + 1,
                                       self.max_remediations, self.clock, lambda line: self._event(part, line),
                                       warn=self.warn)
        part.remediations.append(attempt)
        return attempt['outcome'] in ('sent', 'not needed')

    def _finished(self):
        """True when the wait is over: every part has a verdict, or one part failed (fail fast)."""
        live = [part for part in self.parts if not part.dropped]
        verdicts = dict((id(part), part.engine.verdict()) for part in live)
        for part in live:
            if verdicts[id(part)] == 'failed' and self._remediate(part):
                verdicts[id(part)] = None
        if all(verdicts[id(part)] is not None for part in live):
            closed = self._close_windows([part for part in live if verdicts[id(part)] in QUIET_VERDICTS])
            if closed == 'quiet':
                return True
            live = [part for part in self.parts if not part.dropped]
            verdicts = dict((id(part), part.engine.verdict()) for part in live)
            if closed == 'joined' and all(verdicts[id(part)] is not None for part in live) and \
                    not any(part.engine.closing_window() for part in live if verdicts[id(part)] in QUIET_VERDICTS):
                # What joined from the history was settled at once by its own reads.
                return True
            if all(part.engine.now() >= part.engine.timeout for part in live):
                # The deadline passed before the wait could check what it did not see: no quiet verdict.
                for part in live:
                    if verdicts[id(part)] in QUIET_VERDICTS:
                        part.engine.unverified = True
                return True
            return False
        if any(outcome is not None and (outcome == 'error' or outcome in self.fail_on) for outcome in verdicts.values()):
            self._verify_quiet(live, verdicts)
            return True
        return False

    def _verify_quiet(self, live, verdicts):
        """Fail fast: a part that says nothing went wrong has the span since its last poll read back first (a DAG
        that began and failed in it joins, and says so); one whose span could not be read back is unverified, never
        idle (found by the red team: a host whose DAG failed between two polls was called idle)."""
        quiet = [part for part in live if verdicts[id(part)] in QUIET_VERDICTS]
        if not quiet:
            return
        self._close_windows(quiet)
        for part in quiet:
            part.unverified_at_end = part.engine.verdict() in QUIET_VERDICTS and part.engine.closing_window() is not None

    def run(self, slice_seconds=None):
        """Poll until the wait is over (returns the combined result) or, with ``slice_seconds``, until a poll
        produced progress lines or the slice is used up (returns None; ``to_state`` carries the wait on).

        While any part is still going, every part is polled, settled ones too: a DAG that starts later on an agent
        that was idle (the local DAG a cluster operation creates there) joins the wait instead of being missed."""
        clock = self.parts[0].engine.now
        slice_end = clock() + slice_seconds if slice_seconds is not None else None
        while True:
            live = [part for part in self.parts if not part.dropped]
            due_at = min(part.engine.next_poll_at for part in live) if live else clock()
            delay = due_at - clock()
            if delay > 0:
                self.clock.sleep(delay)
            now = clock()
            due = [part for part in live if part.engine.next_poll_at <= now + 1e-6]
            lines_before = len(self.lines)
            self.poll(due)
            if self._finished():
                return self.result()
            for part in due:
                part.engine.next_delay()
            if slice_end is not None:
                live = [part for part in self.parts if not part.dropped]
                next_at = min(part.engine.next_poll_at for part in live) if live else clock()
                if len(self.lines) != lines_before or next_at >= slice_end:
                    return None

    # ------------------------------------------------------------------ results

    def part_result(self, part):
        outcome = None if part.unverified_at_end else part.engine.verdict()
        never_reached = outcome is None and part.engine.good_reads == 0 and part.engine.down_since is not None
        if outcome is None:
            # Still going when another part ended the wait (fail fast); an agent never reached is not "running".
            outcome = 'unreachable' if never_reached else 'running'
        result = part.engine.result(outcome)
        if never_reached:
            result['msg'] = _report.not_reached_text(part.target.client.address, result['unreachable_agent'])
        elif part.unverified_at_end:
            result['msg'] = _report.unverified_at_end_text()
        elif outcome == 'running' and not part.engine.read_once:
            result['msg'] = _report.cut_short_text(result)
        result.update(host=part.host, part=part.kind, agent=part.target.client.address,
                      agent_info=part.target.described)
        if part.kind == 'cluster':
            result['switches'] = list(part.switches)
        if part.remediations:
            result['remediations'] = list(part.remediations)
            result['msg'] = '%s; remediation: %s' % (result['msg'], '; '.join(
                '%s attempt %d: %s' % (r['action'], r['attempt'], r['msg']) for r in part.remediations))
        return result

    def result(self):
        parts = [self.part_result(part) for part in self.parts if not part.dropped]
        hosts = []
        for part in self.parts:
            for target in part.sources:
                if target.host not in hosts:
                    hosts.append(target.host)
        combined = _verdict.combine(parts, mode=self.mode, fail_on=self.fail_on, hosts=hosts)
        combined['parts'] = parts
        combined['elapsed'] = max([part['elapsed'] for part in parts] or [0.0])
        combined['polls'] = max([part['polls'] for part in parts] or [0])
        return combined


def run_wait(values, targets, check_mode=False, clock=None, state=None, slice_seconds=None, on_event=None,
             sleep=None, warn=None):
    """Run (a slice of) a wait on ``targets`` with the validated option ``values`` of dag_wait. Returns (the
    result, or None when the slice ended first, and the watcher, whose to_state() carries the wait on). ``sleep``
    replaces the real clock's sleep (a hook between polls); a ``clock`` brings its own."""
    if clock is None:
        clock = Clock(sleep=sleep) if sleep is not None else Clock()
    dag_id = values.get('id')
    mode = values.get('mode') or 'wait'
    # Ansible's check mode and assert_idle read the state once (assert_idle then fails unless nothing is unfinished).
    read_once = bool(check_mode) or mode == 'assert_idle'
    parts = _parts.build_parts(targets, values.get('scope') or 'auto', _parts.wait_params(values), clock, read_once, dag_id=dag_id)
    watcher = Watcher(parts, scope=values.get('scope') or 'auto', names=values.get('names'),
                      details=values.get('details') or 'summary', mode=mode,
                      fail_on=_parts.wait_params(values)['fail_on'], remediation=values.get('on_failure'),
                      max_remediations=values.get('max_remediations') or 0, clock=clock, on_event=on_event,
                      request_timeout=values.get('request_timeout') or 10.0, warn=warn)
    if state:
        watcher.load_state(state)
    return watcher.run(slice_seconds=slice_seconds), watcher


def wait_result(combined, watcher, single_host):
    """The result of dag_wait from the combined verdict: the verdict's keys, plus every progress line, the first
    unreachable agent and error of the parts, and for a wait on one host who answered."""
    result = dict(combined)
    parts = combined['parts']
    result['events'] = list(watcher.lines)
    result['changed'] = any(attempt.get('operator') for attempt in combined['remediations'])
    result['unreachable_agent'] = next((part['unreachable_agent'] for part in parts if part.get('unreachable_agent')),
                                       None)
    result['error'] = next((part['error'] for part in parts if part.get('error')), None)
    result['agent'] = next((part.get('agent_info') for part in parts if part.get('agent_info')), None) \
        if single_host else None
    return result
