# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Model-based test of the wait (issues 18 and 23): random agent histories against the real Watcher and WaitEngine.

Written from the side of an operator and a network that try to make the wait lie. The world (wait_world.py) keeps
the ground truth; the wait reads it through real ObshellClients whose network is the world, and every request is
logged with what the world really was when it was answered. Steps: DAGs are created, advance, fail, are retried,
rolled back, passed (whole or one node) or cancelled by someone else; agents go away and come back (restarted),
are re-deployed (local ids start again), change identity, lose their observer, send one odd record; the cluster is
re-deployed (cluster ids start again); time passes; the wait (scope auto/cluster/agent, or one DAG by id; mode wait
or assert_idle; with or without names and an appear window) starts and polls. At the end the world calms down
(agents and observers back, DAGs run on) and the wait runs to its verdict. After every step, the verdict (once there
is one) is held to these invariants, each raised from its own function so that Hypothesis shrinks and reports each:

- EVIDENCE_IDLE: a part says ``idle`` only if the last read of every list that part needs succeeded; a cluster part
  is never dropped once this wait saw a CLUSTER AGENT; a wait that read a DAG in scope does not say idle; a wait
  for one DAG by id never says idle.
- EVIDENCE_SUCCEEDED: a DAG reported ``succeeded`` has, in this wait, a read of that id with its nodes, well formed,
  of the same DAG that was first seen under that id, showing SUCCEED / RUN with no passed node.
- SAME_DAG: no positive verdict when one id named two different DAGs during the wait (ids are reused, §4.4).
- LATEST_FAILURE: a failed DAG is reported with the failure it showed at the wait's last read of it.
- VANISHED: a DAG seen by this wait that then answers 404 ends the wait within one more poll, never positively,
  and the result names it.
- POLLER_TRUTH (every agent version): no ``idle``/``succeeded`` while, in truth, a DAG in scope that the wait read, or
  that is unfinished when the wait ends, has not succeeded (failed, canceled, rolled back, passed, vanished,
  still running). A poller without history cannot see a DAG that began and ended between two of its reads.
- HISTORY_TRUTH (agents 4.3.0.0+, which serve GET /api/v1/task/dags/ob and /dags/agent, issue 23): no
  ``idle``/``succeeded`` over a window in which a DAG in scope was unfinished at some moment and has not succeeded
  by the end, even if no poll saw it (it began and ended between polls, or while the agent or its observer could
  not be read). DAGs whose agent was re-deployed before anyone saw them are out of reach and not counted.
- CUT_SHORT_TRUTH: a part still going when another part ended the wait says "still running when the wait ended" only
  if the last read of its list answered; one whose reads were failing says so.

A failure prints the claim, the evidence it lacked, the ground truth (each DAG's whole history), what happened, and
every read of the wait with what the world was when it was answered, then Hypothesis' shrunk steps. The named
histories at the end replay the issues' cases and the model's finds through the same invariants.

Runs derandomized, without a database, in CI (OBSHELL_MODEL_EXAMPLES, default 500, and OBSHELL_MODEL_STEPS, default
40); OBSHELL_MODEL_EXAMPLES=5000 for a long run, OBSHELL_MODEL_ALL_BUGS=1 to shrink and report every invariant broken
rather than the first, OBSHELL_MODEL_ONLY=NAME,... to study some invariants alone.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from ansible_collections.oceanbase.obshell.plugins.module_utils import _parts, _verdict, _watcher
from tests.support import wait_world
from tests.support.clock import FakeClock
from tests.support.wait_world import (
    BASE_EPOCH,
    CLUSTER_AGENT,
    IDENTITIES,
    ODD_KINDS,
    World,
    listed_unfinished,
    true_outcome,
)

VERSIONS = ('4.2.5.0', '4.3.0.0', '4.5.0.0')
NAME_FILTERS = (None, None, ('Cluster scale out',), ('Local scale out', 'Stop local observer'))
POSITIVE = ('idle', 'succeeded')
HISTORY_ROUTES = ('/api/v1/task/dags/ob', '/api/v1/task/dags/agent')
EXAMPLES = int(os.environ.get('OBSHELL_MODEL_EXAMPLES', '500'))
STEPS = int(os.environ.get('OBSHELL_MODEL_STEPS', '40'))
# To study one invariant at a time (never in CI): OBSHELL_MODEL_ONLY=LATEST_FAILURE,VANISHED
ONLY = [name for name in os.environ.get('OBSHELL_MODEL_ONLY', '').split(',') if name]


class WorldClock(FakeClock):
    """The fake clock on the world's time: its ``t`` is World.t, which the world's own steps move too."""

    def __init__(self, machine):
        self.machine = machine
        FakeClock.__init__(self, start=machine.world.t, epoch=BASE_EPOCH, origin=machine.t0)

    @property
    def t(self):
        return self.machine.world.t

    @t.setter
    def t(self, value):
        self.machine.world.t = value


class Violation(AssertionError):
    pass


def checked(step):
    """A step of the model, followed by the check of every invariant (the verdict, once the wait has one)."""
    def run(self, *args, **kwargs):
        step(self, *args, **kwargs)
        self.verdict_holds()
    run.__name__ = step.__name__
    run.__doc__ = step.__doc__
    return run


class WaitModel(RuleBasedStateMachine):

    def __init__(self):
        super(WaitModel, self).__init__()
        self.world = World()
        self.watcher = None
        self.result = None
        self.checked = False
        self.t0 = None
        self.seq0 = None
        self.seq_end = None
        self.t_end = None
        self.warnings = []
        self.broken = False             # an invariant failed: teardown adds nothing

    # ------------------------------------------------------------------ the world

    @initialize(count=st.integers(1, 2), versions=st.lists(st.sampled_from(VERSIONS), min_size=2, max_size=2),
                clustered=st.booleans(),
                skews=st.lists(st.sampled_from((0.0, -120.0, 300.0)), min_size=2, max_size=2),
                names=st.sampled_from(NAME_FILTERS), scope=st.sampled_from(('auto', 'auto', 'cluster', 'agent')),
                mode=st.sampled_from(('wait', 'wait', 'wait', 'assert_idle')),
                appear=st.sampled_from((0.0, 20.0)), by_id=st.sampled_from((False, False, False, True)))
    def setup(self, count, versions, clustered, skews, names, scope, mode, appear, by_id=False):
        for index in range(count):
            agent = wait_world.Agent(index, versions[index], None, skews[index])
            self.world.agents.append(agent)
            self.world.set_identity(agent, CLUSTER_AGENT if clustered else 'SINGLE')
        # A wait by id with names is a replayed history of its own (test_wait_by_id_with_other_names_is_not_idle):
        # here it would hide the rest.
        self.names = list(names) if names and not by_id else None
        self.scope = scope
        self.mode = mode
        self.appear = appear
        self.by_id = by_id
        self.id_uid = None              # id mode: the DAG that had the id when the wait began
        self.world.note('agents %s; wait: scope %s, names %s, mode %s, appear_timeout %s' % (
            ', '.join('%d=%s %s skew %+g' % (a.index, a.version, a.identity, a.skew) for a in self.world.agents),
            scope, self.names, mode, appear) + (', by the id of the last DAG' if by_id else ''))

    def _live(self):
        return self.result is None

    def _pick(self, pick, candidates):
        return candidates[pick % len(candidates)]

    def _in_states(self, *states):
        return [dag for dag in self.world.alive() if dag.state in states]

    @precondition(lambda self: self._live())
    @rule(kind=st.sampled_from(('cluster', 'local')), agent=st.integers(0, 1), template=st.integers(0, 1))
    @checked
    def create_dag(self, kind, agent, template):
        self.world.create(kind, agent % len(self.world.agents), template)

    @precondition(lambda self: self._live() and self._in_states('READY', 'RUNNING'))
    @rule(pick=st.integers(0, 7), steps=st.integers(1, 3))
    @checked
    def advance_dag(self, pick, steps):
        dag = self._pick(pick, self._in_states('READY', 'RUNNING'))
        for dummy in range(steps):
            if dag.state in ('READY', 'RUNNING'):
                self.world.advance(dag)

    @precondition(lambda self: self._live() and self._in_states('RUNNING'))
    @rule(pick=st.integers(0, 7))
    @checked
    def fail_dag(self, pick):
        self.world.fail(self._pick(pick, self._in_states('RUNNING')))

    def _failed(self):
        return [dag for dag in self._in_states('FAILED') if dag.operator != 'CANCEL']

    def _cancelable(self):
        return [dag for dag in self._in_states('READY', 'RUNNING') if dag.operator == 'RUN']

    @precondition(lambda self: self._live() and (self._failed() or self._cancelable()))
    @rule(pick=st.integers(0, 7), what=st.sampled_from(('retry', 'retry', 'rollback', 'pass', 'pass_node', 'cancel')))
    @checked
    def someone_operates(self, pick, what):
        """Someone outside the wait retries, rolls back, passes or cancels a DAG."""
        if what == 'cancel' and self._cancelable():
            self.world.operate(self._pick(pick, self._cancelable()), 'cancel')
        elif what != 'cancel' and self._failed():
            self.world.operate(self._pick(pick, self._failed()), what)

    @precondition(lambda self: self._live())
    @rule(what=st.sampled_from(('unreachable', 'answers', 'observer down', 'observer up', 'identity', 'redeploy agent',
                                'redeploy cluster', 'odd record')),
          agent=st.integers(0, 1), identity=st.sampled_from(IDENTITIES), odd=st.sampled_from(ODD_KINDS))
    @checked
    def disruption(self, what, agent, identity, odd):
        """Something happens to an agent, its observer, its deployment or the cluster."""
        agent = self.world.agents[agent % len(self.world.agents)]
        if what in ('unreachable', 'answers'):
            if what == 'answers' and not agent.up:
                self.world.restarted(agent)     # it was restarting (a new process, maybe a new key)
            agent.up = what == 'answers'
            self.world.changed('agent %d %s' % (agent.index, what))
        elif what.startswith('observer'):
            agent.observer = what == 'observer up'
            self.world.changed('agent %d %s' % (agent.index, what))
        elif what == 'identity':
            self.world.set_identity(agent, identity)
        elif what == 'redeploy agent':
            self.world.redeploy(agent)
        elif what == 'redeploy cluster':
            self.world.recreate_cluster()
        else:
            agent.odd_next = odd
            self.world.changed('agent %d will send one odd record (%s)' % (agent.index, odd))

    @precondition(lambda self: self._live())
    @rule(seconds=st.sampled_from((0.5, 1.0, 2.0, 4.0, 8.0, 30.0)))
    @checked
    def time_passes(self, seconds):
        """Time passes in the world; once the wait runs, never past its next poll (it is never late)."""
        if self.watcher is not None:
            seconds = min(seconds, max(0.0, self._next_poll() - self.world.t))
        self.world.t += seconds

    # ------------------------------------------------------------------ the wait

    @precondition(lambda self: self.watcher is None and (self._in_states('READY', 'RUNNING') or self.world.t >= 30))
    @rule()
    @checked
    def start_wait(self):
        world = self.world
        self.t0 = world.t
        self.seq0 = world.seq
        world.note('the wait starts')
        targets = [_parts.Target('obs%d' % (agent.index + 1), wait_world.FakeClient(world, agent))
                   for agent in world.agents]
        dag_id = None
        if self.by_id:
            # dag_wait id=...: the last DAG that its first host's agent can show (a cluster DAG or its own).
            candidates = [dag for dag in world.alive() if dag.kind == 'cluster' or dag.owner == 0]
            if candidates:
                self.id_uid = candidates[-1].uid
                dag_id = candidates[-1].gid
                world.note('the wait is for DAG %s (%s)' % (dag_id, self.id_uid))
        values = dict(timeout=120.0, poll_interval=5.0, appear_timeout=self.appear, unreachable_timeout=30.0,
                      fail_on=list(_verdict.DEFAULT_FAIL_ON), id=dag_id, scope=self.scope, names=self.names,
                      details='summary', mode=self.mode, on_failure='fail', max_remediations=0,
                      request_timeout=10.0)
        clock = WorldClock(self)
        read_once = self.mode == 'assert_idle'
        parts = _parts.build_parts(targets, self.scope, _parts.wait_params(values), clock, read_once,
                                   dag_id=dag_id)
        watcher = _watcher.Watcher(parts, scope=self.scope, names=self.names, details='summary', mode=self.mode,
                                   fail_on=values['fail_on'], remediation=None, max_remediations=0,
                                   clock=clock, request_timeout=10.0, warn=self.warnings.append)
        real_poll = watcher.poll

        def poll(due):
            world.poll += 1
            world.note('poll %d' % world.poll)
            return real_poll(due)
        watcher.poll = poll
        self.watcher = watcher

    def _next_poll(self):
        """World time of the wait's next poll (read from its engines; if they no longer say, no limit)."""
        try:
            due = [part.engine.next_poll_at for part in self.watcher.parts if not getattr(part, 'dropped', False)]
        except AttributeError:
            return float('inf')
        return self.t0 + min(due) if due else self.world.t

    @precondition(lambda self: self.watcher is not None and self._live())
    @rule(polls=st.integers(1, 3))
    @checked
    def poll(self, polls):
        """The wait sleeps until its next poll and polls (``polls`` times, while the world holds still)."""
        for dummy in range(polls):
            if self._live():
                self._run(slice_seconds=1e-3)

    @precondition(lambda self: not self._live())
    @rule()
    @checked
    def after_the_end(self):
        pass

    def _run(self, slice_seconds=None):
        result = self.watcher.run(slice_seconds=slice_seconds)
        if result is not None:
            self.result = result
            self.seq_end = self.world.seq
            self.t_end = self.world.t
            self.world.note('the wait ends: %s' % result.get('outcome'))

    def teardown(self):
        """The world calms down: agents and observers come back, every DAG runs on to its end, one scheduler step
        per poll; the wait runs to its end, and its verdict is checked."""
        if self.broken:
            return
        if self.watcher is None:
            self.start_wait()
        for agent in self.world.agents:
            if not agent.up:
                self.world.restarted(agent)
                agent.up = True
            agent.observer = True
        self.world.changed('the world calms down: every agent answers, every observer is up')
        for dummy in range(200):
            if self.result is not None:
                break
            for dag in self._in_states('READY', 'RUNNING'):
                self.world.advance(dag)
            self._run(slice_seconds=1e-3)
            self.verdict_holds()
        if self.result is None:
            self._run()
        self.check_verdict()

    # ------------------------------------------------------------------ the invariants

    def verdict_holds(self):
        if self.result is not None and not self.checked:
            self.check_verdict()
        self.check_vanished_liveness()

    def check_verdict(self):
        if self.checked:
            return
        self.checked = True
        for check in (evidence_idle, evidence_succeeded, same_dag, latest_failure, vanished, poller_truth,
                      history_truth, cut_short_truth):
            if not ONLY or check.__name__.upper() in ONLY:
                check(self)

    def check_vanished_liveness(self):
        if self.result is not None or self.watcher is None or (ONLY and 'VANISHED' not in ONLY):
            return
        for read, gid in self.vanish_reads():
            if self.world.poll >= read['poll'] + 2:
                raise Violation(report(self, 'VANISHED', 'DAG %s answered 404 at poll %d (t=%g), after this wait had '
                                       'seen it; the wait is still going at poll %d' % (
                                           gid, read['poll'], read['t'], self.world.poll),
                                       'a failure naming the vanished DAG within one poll'))

    # ------------------------------------------------------------------ what the wait read

    def wait_reads(self):
        end = self.seq_end if self.seq_end is not None else self.world.seq
        return [read for read in self.world.reads if self.seq0 < read['seq'] <= end]

    def seen_ids(self, before=None, history=True):
        """{id as sent: [(read, record)]} for every DAG record this wait was sent (before seq ``before``), with or
        without those of the history routes (which also list DAGs that ended long before the wait)."""
        out = {}
        for read in self.wait_reads():
            if before is not None and read['seq'] >= before:
                break
            if not history and read['path'] in HISTORY_ROUTES:
                continue
            if read['ok']:
                for rec in read['records']:
                    if rec['sent_id'] is not None:
                        out.setdefault(rec['sent_id'], []).append((read, rec))
        return out

    def vanish_reads(self):
        out = []
        for read in self.wait_reads():
            gid = read.get('gid')
            if gid and read['status'] == 404 and gid in self.seen_ids(before=read['seq']):
                out.append((read, gid))
        return out

    def in_scope(self, dag):
        if self.id_uid is not None:
            return dag.uid == self.id_uid
        if self.names and dag.name not in self.names:
            return False
        if dag.kind == 'cluster':
            # The batch holds the cluster's agents only while one of them is a CLUSTER AGENT, from the wait's first
            # read on: an agent that stopped being one before any read of this wait (between the start of the task
            # and its first request) left no trace the wait could read, and its batch is then not that cluster's.
            reads = self.wait_reads()
            first = reads[0]['seq'] - 1 if reads else self.seq0
            return self.scope in ('auto', 'cluster') and self.world.was_cluster_agent(first, self.seq_end)
        return self.scope in ('auto', 'agent')

    def claims(self):
        """(part result, record) for every DAG the result reports."""
        for part in self.result.get('parts') or []:
            for record in part.get('dags') or []:
                yield part, record


# ---------------------------------------------------------------------------------------------- invariants


def _list_attempts(reads, part):
    """The reads of the list a part (cluster or an agent's own) is settled by, and what would prove it read."""
    if part['part'] == 'cluster':
        # The aggregated list counts only from a CLUSTER AGENT whose observer is up: else it lacks them (§11.6).
        attempts = [r for r in reads if r['path'] == '/api/v1/task/dag/ob/unfinish'
                    or (r['path'] == '/api/v1/task/dag/unfinish' and r['identity'] == CLUSTER_AGENT
                        and r['observer'])]
        return attempts, 'a successful read of the cluster DAG list from a %s (as the last attempt)' % CLUSTER_AGENT
    index = int(part['host'][3:]) - 1
    attempts = [r for r in reads if r['agent'] == index and r['path'] in (
        '/api/v1/task/dag/agent/unfinish', '/api/v1/task/dag/unfinish')]
    return attempts, 'a successful read of agent %d\'s own DAG list (as the last attempt)' % index


def cut_short_truth(model):
    """A part another part's end cut short says "still running when the wait ended" only when its last read of its
    list did answer; one whose reads were failing says so (CI: a role said it of an agent gone UNIDENTIFIED)."""
    reads = model.wait_reads()
    for part in model.result.get('parts') or []:
        if part.get('part') == 'dag' or not str(part.get('msg')).startswith('still running when the wait ended'):
            continue
        attempts, need = _list_attempts(reads, part)
        if attempts and not attempts[-1]['ok']:
            claim = 'part %s of %s: %s' % (part['part'], part['host'], part['msg'][:200])
            raise Violation(report(model, 'CUT_SHORT_TRUTH', claim, need + '; last attempt: %s' % _read_text(attempts[-1])))


def evidence_idle(model):
    result = model.result
    reads = model.wait_reads()
    for part in result.get('parts') or []:
        if part.get('outcome') != 'idle':
            continue
        if part['part'] == 'dag':
            raise Violation(report(model, 'EVIDENCE_IDLE', 'the wait for DAG %s said idle' % model.watcher.parts[0]
                                   .engine.dag_id, 'a DAG waited for by id is never idle: it succeeded, failed... '
                                   'or is missing'))
        attempts, need = _list_attempts(reads, part)
        if not attempts or not attempts[-1]['ok']:
            raise Violation(report(model, 'EVIDENCE_IDLE', 'part %s of %s said idle' % (part['part'], part['host']),
                                   need + '; last attempt: %s' % (_read_text(attempts[-1]) if attempts else 'none')))
    if result.get('outcome') in POSITIVE and model.scope == 'auto' and model.id_uid is None and \
            not any(p['part'] == 'cluster' for p in result.get('parts') or []):
        proof = [r for r in reads if r['ok'] and (
            (r['path'] == '/api/v1/info' and r['identity'] == CLUSTER_AGENT)
            or r['path'] == '/api/v1/task/dag/ob/unfinish')]
        if proof:
            raise Violation(report(model, 'EVIDENCE_IDLE', 'the wait said %s with no cluster part (dropped)'
                                   % result['outcome'],
                                   'the cluster DAGs, read or reported unknown: this wait saw a %s at t=%g (%s)' % (
                                       CLUSTER_AGENT, proof[0]['t'], _read_text(proof[0]))))
    if result.get('outcome') == 'idle':
        for gid, seen in sorted(model.seen_ids(history=False).items()):
            dag = _dag_of(model, seen[0][1]['uid'])
            if model.in_scope(dag) and seen[0][1]['odd'] is None:
                raise Violation(report(model, 'EVIDENCE_IDLE', 'the wait said idle',
                                       'nothing in scope read; but it read %s at t=%g' % (
                                           dag.label(), seen[0][0]['t'])))


def evidence_succeeded(model):
    seen = model.seen_ids()
    reads = model.wait_reads()
    for part, record in model.claims():
        if record.get('outcome') != 'succeeded':
            continue
        gid = record['id']
        first = seen.get(gid, [(None, None)])[0][1]
        proof = []
        for read in reads:
            if read['ok'] and read.get('gid') == gid and read['details']:
                for rec in read['records']:
                    snap = rec['snap']
                    if rec['sent_id'] == gid and rec['odd'] is None and first is not None \
                            and rec['uid'] == first['uid'] and snap['state'] == 'SUCCEED' \
                            and snap['operator'] == 'RUN' and not snap['passed']:
                        proof.append(read)
        if not proof:
            by_id = [r for r in reads if r.get('gid') == gid]
            raise Violation(report(model, 'EVIDENCE_SUCCEEDED', 'part %s of %s reports DAG %s %r succeeded' % (
                part['part'], part['host'], gid, record.get('name')),
                'a read of /dag/%s with its nodes, well formed, of the DAG first seen under that id (%s), showing '
                'SUCCEED/RUN with no passed node; the reads of it were: %s' % (
                    gid, first['uid'] if first else 'never seen in a list',
                    '; '.join(_read_text(r) for r in by_id) or 'none')))


def same_dag(model):
    if model.result.get('outcome') not in POSITIVE:
        return
    for gid, seen in sorted(model.seen_ids().items()):
        uids = []
        for dummy, rec in seen:
            if rec['odd'] is None and rec['uid'] not in uids:
                uids.append(rec['uid'])
        if len(uids) > 1:
            raise Violation(report(model, 'SAME_DAG', 'the wait said %s' % model.result['outcome'],
                                   'one DAG per id; but id %s named %s during this wait' % (
                                       gid, ' then '.join(_dag_of(model, uid).label() for uid in uids))))


def latest_failure(model):
    seen = model.seen_ids()
    for part in model.result.get('parts') or []:
        for failure in part.get('failures') or []:
            gid = failure.get('id')
            good = [(read, rec) for read, rec in seen.get(gid, []) if rec['odd'] is None]
            if not good:
                continue
            read, rec = good[-1]
            serial = rec['snap']['serial']
            if rec['snap']['state'] != 'FAILED' or serial is None:
                continue
            text = json.dumps(failure)
            if ('boom #%d at' % serial) not in text:
                raise Violation(report(model, 'LATEST_FAILURE', 'part %s of %s reports DAG %s failed: %s' % (
                    part['part'], part['host'], gid, failure.get('summary')),
                    'the failure it showed at the last read of it (t=%g): boom #%d' % (read['t'], serial)))


def vanished(model):
    for read, gid in model.vanish_reads():
        text = json.dumps(model.result)
        if model.result.get('outcome') in POSITIVE or model.world.poll > read['poll'] + 1:
            raise Violation(report(model, 'VANISHED', 'DAG %s answered 404 at poll %d (t=%g) after this wait saw it; '
                                   'the wait ended at poll %d with %s' % (gid, read['poll'], read['t'],
                                                                          model.world.poll, model.result['outcome']),
                                   'a failure naming the vanished DAG within one poll'))
        if gid not in text:
            raise Violation(report(model, 'VANISHED', 'DAG %s answered 404 after this wait saw it' % gid,
                                   'the result names it'))


def poller_truth(model):
    outcome = model.result.get('outcome')
    if outcome not in POSITIVE:
        return
    seen_uids = set(rec['uid'] for recs in model.seen_ids(history=False).values() for dummy, rec in recs
                    if rec['odd'] is None)
    for dag in model.world.dags:
        if not model.in_scope(dag):
            continue
        end = dag.snap_at(model.seq_end)
        if end is None:
            continue
        if dag.uid in seen_uids or listed_unfinished(end, dag.maintenance):
            truth = true_outcome(end)
            if truth != 'succeeded':
                raise Violation(report(model, 'POLLER_TRUTH', 'the wait said %s' % outcome,
                                       'every DAG in scope that it read or that is unfinished at its end has '
                                       'succeeded; but %s is %s (%s)' % (
                                           dag.label(), truth, 'read by the wait' if dag.uid in seen_uids
                                           else 'unfinished at the end')))


def history_truth(model):
    outcome = model.result.get('outcome')
    if outcome not in POSITIVE:
        return
    seen_uids = set(rec['uid'] for recs in model.seen_ids().values() for dummy, rec in recs)
    agents = model.world.agents
    for dag in model.world.dags:
        if not model.in_scope(dag):
            continue
        if dag.kind == 'local' and not agents[dag.owner].at_least('4.3.0.0'):
            continue
        if dag.kind == 'cluster' and not all(agent.at_least('4.3.0.0') for agent in agents):
            continue
        end = dag.snap_at(model.seq_end)
        if end is None or (end['vanished'] and dag.uid not in seen_uids):
            continue
        window = dag.snaps_between(model.seq0, model.seq_end)
        if not any(listed_unfinished(snap, dag.maintenance) or snap['state'] in wait_world.UNFINISHED_STATES
                   for snap in window):
            continue
        truth = true_outcome(end)
        if truth != 'succeeded':
            raise Violation(report(model, 'HISTORY_TRUTH', 'the wait said %s' % outcome,
                                   'no DAG in scope was unfinished in the window [t=%g, t=%g] without succeeding by '
                                   'its end (the agents serve their history, issue 23); but %s is %s' % (
                                       model.t0, _end_time(model), dag.label(), truth)))


# ---------------------------------------------------------------------------------------------- the report


def _dag_of(model, uid):
    return next(dag for dag in model.world.dags if dag.uid == uid)


def _end_time(model):
    return model.t_end if model.t_end is not None else model.world.t


def _read_text(read):
    what = read['path'].replace('/api/v1/task/', '')
    text = 't=%g poll %d agent %d (%s%s, obs %s) %s%s -> %s' % (
        read['t'], read['poll'], read['agent'], read['identity'], '' if read['up'] else ', DOWN',
        'up' if read['observer'] else 'down', what, ' +details' if read['details'] else '', read['status'])
    if read['records']:
        text += ' [%s]' % ', '.join('%s=%s %s/%s%s%s' % (
            rec['sent_id'], rec['uid'], rec['snap']['state'], rec['snap']['operator'],
            ' boom#%s' % rec['snap']['serial'] if rec['snap']['serial'] else '',
            ' ODD:%s' % rec['odd'] if rec['odd'] else '') for rec in read['records'])
    return text


def report(model, name, claim, lacking):
    """The text of a broken invariant: the claim, the evidence it lacked, the ground truth and the wait's reads."""
    model.broken = True
    result = model.result or {}
    lines = ['INVARIANT %s VIOLATED' % name,
             'claim:    %s' % claim,
             'verdict:  %s: %s' % (result.get('outcome'), (result.get('msg') or '')[:600]),
             'lacking:  %s' % lacking,
             'ground truth (world time; the wait ran from t=%s):' % model.t0]
    for agent in model.world.agents:
        lines.append('  agent %d %s %s skew %+g' % (agent.index, agent.address, agent.version, agent.skew))
    for dag in model.world.dags:
        lines.append('  %s: %s' % (dag.label(), dag.describe_history()))
    lines.append('what happened:')
    lines.extend('  ' + event for event in model.world.events)
    lines.append('reads of the wait:')
    last, repeated = None, []
    for read in model.wait_reads():
        text = _read_text(read)
        same = text.split(') ', 1)[-1]      # what was read and answered, without its time
        if last is not None and same == last:
            repeated.append(read)
            continue
        if repeated:
            lines.append('    (the same again at t=%s)' % ', '.join('%g' % r['t'] for r in repeated))
        repeated = []
        last = same
        lines.append('  ' + text)
    if repeated:
        lines.append('    (the same again at t=%s)' % ', '.join('%g' % r['t'] for r in repeated))
    if model.warnings:
        lines.append('warnings: %s' % model.warnings)
    return '\n'.join(lines)


WaitModel.TestCase.settings = settings(
    max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, derandomize=True, database=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=list(HealthCheck), print_blob=False,
    # CI stops at the first invariant broken (one shrink); OBSHELL_MODEL_ALL_BUGS=1 shrinks and reports every one.
    report_multiple_bugs=os.environ.get('OBSHELL_MODEL_ALL_BUGS') == '1')
TestWaitModel = WaitModel.TestCase


# ---------------------------------------------------------------------------------------------- named histories
# Histories from issues 18 and 23, and minimal ones the model found, replayed step by step through the same model
# and the same invariants: each must hold, whatever the random search happens to reach in a run.


def replay(setup, *steps):
    model = WaitModel()
    defaults = dict(count=1, versions=['4.5.0.0', '4.5.0.0'], clustered=True, skews=[0.0, 0.0], names=None,
                    scope='auto', mode='wait', appear=0.0)
    defaults.update(setup)
    model.setup(**defaults)
    for step in steps:
        name, kwargs = (step, {}) if isinstance(step, str) else (step[0], step[1])
        getattr(model, name)(**kwargs)
    model.teardown()
    return model


def D(what, agent=0, **more):
    """A disruption step."""
    more.setdefault('identity', 'SINGLE')
    more.setdefault('odd', 'missing_state')
    return ('disruption', dict(what=what, agent=agent, **more))


CREATE_CLUSTER = ('create_dag', dict(kind='cluster', agent=0, template=0))      # 'Cluster scale out', maintenance
CREATE_START_OB = ('create_dag', dict(kind='cluster', agent=0, template=1))     # 'Start OB', not maintenance
CREATE_LOCAL = ('create_dag', dict(kind='local', agent=0, template=0))          # 'Local scale out', maintenance
CREATE_LOCAL_PLAIN = ('create_dag', dict(kind='local', agent=0, template=1))    # 'Stop local observer'
RUN = ('advance_dag', dict(pick=0, steps=1))
FINISH = ('advance_dag', dict(pick=0, steps=3))     # READY -> 3/3, or RUNNING 1/3 -> SUCCEED
FAIL = ('fail_dag', dict(pick=0))
POLL = ('poll', dict(polls=1))
LATER = ('time_passes', dict(seconds=4.0))


def test_issue18_identity_change_mid_wait_is_never_idle():
    """18.1: the CLUSTER AGENT becomes SCALING IN while its cluster DAG runs."""
    replay({}, CREATE_CLUSTER, RUN, 'start_wait', POLL, D('identity', identity='SCALING IN'), POLL, POLL, POLL)


def test_issue18_reused_id_after_redeploy_is_another_dag():
    """18.2: the agent is re-deployed; its next DAG gets the id of the one the wait follows."""
    replay(dict(clustered=False, names=('Local scale out',)), CREATE_LOCAL, RUN, 'start_wait', POLL,
           D('redeploy agent'), CREATE_LOCAL_PLAIN, RUN, FINISH, POLL, POLL)


def test_issue18_dag_answering_404_after_it_was_seen_ends_the_wait():
    """18.3: the agent is re-deployed; the DAG the wait saw answers 404 from then on."""
    replay(dict(clustered=False), CREATE_LOCAL, RUN, 'start_wait', POLL, D('redeploy agent'), POLL, POLL, POLL)


def test_issue23_cluster_dag_failing_while_the_observer_is_down():
    """23.1: the observer is down when the wait starts; a cluster DAG fails before it can be read again."""
    replay({}, D('observer down'), CREATE_START_OB, RUN, 'start_wait', POLL, FAIL, LATER, POLL,
           D('observer up'), POLL, POLL)


def test_issue23_local_dag_failing_while_the_agent_is_down():
    """23.2: the agent is down from before the wait; its non-maintenance DAG fails meanwhile."""
    replay(dict(clustered=False), CREATE_LOCAL_PLAIN, RUN, D('unreachable'), 'start_wait', POLL, FAIL, POLL,
           D('answers'), POLL, POLL)


def test_issue23_dag_failing_between_two_polls():
    """23.3: a DAG starts and fails between two polls of an agent that serves its history."""
    replay(dict(clustered=False), CREATE_LOCAL, RUN, 'start_wait', POLL, CREATE_LOCAL_PLAIN,
           ('advance_dag', dict(pick=1, steps=1)), ('fail_dag', dict(pick=1)), POLL, FINISH, POLL, POLL)


def test_odd_success_record_is_no_evidence():
    """A final read whose nodes contradict its SUCCEED state is not a success."""
    replay(dict(clustered=False), CREATE_LOCAL, RUN, 'start_wait', POLL,
           D('odd record', odd='succeed_but_pending_node'), FINISH, POLL, POLL)


def test_wait_by_id_with_other_names_is_not_idle():
    """dag_wait id=11 names=[...] while DAG 11, another name, runs: 'nothing to wait for' lets a gate pass."""
    model = WaitModel()
    model.setup(count=1, versions=['4.5.0.0', '4.5.0.0'], clustered=True, skews=[0.0, 0.0], names=None, scope='auto',
                mode='wait', appear=0.0, by_id=True)
    model.names = ['Local scale out']
    model.create_dag(kind='cluster', agent=0, template=0)
    model.start_wait()
    model.poll(polls=1)
    model.teardown()


def test_cluster_redeployed_reuses_cluster_ids():
    """The cluster is deployed again: DAG 11 answers 404, then id 11 names a new DAG, which 'succeeds'."""
    replay({}, CREATE_CLUSTER, 'start_wait', POLL, D('redeploy cluster'), POLL, POLL, POLL, CREATE_CLUSTER,
           CREATE_CLUSTER)


def test_answer_for_another_id_is_no_evidence():
    """GET /dag/X answers with a record of id Y (a broken agent or proxy): no DAG Y ever existed."""
    replay(dict(clustered=False), CREATE_LOCAL, RUN, 'start_wait', POLL, D('odd record', odd='other_id'), FINISH,
           POLL, POLL)


def test_single_agent_becoming_cluster_agent_mid_wait():
    """A SINGLE agent becomes a CLUSTER AGENT during the appear window (the cluster is made) and a cluster DAG of
    the names waited for starts: its identity is never read again while its reads succeed, so the cluster DAGs are
    never asked for, and the window ends idle while the DAG runs."""
    replay(dict(clustered=False, names=('Cluster scale out',), appear=20.0), CREATE_LOCAL, 'start_wait', POLL,
           ('poll', dict(polls=2)), D('identity', identity=CLUSTER_AGENT), CREATE_CLUSTER, POLL, POLL)
