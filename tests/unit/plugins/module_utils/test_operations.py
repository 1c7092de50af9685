# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of plugins/module_utils/_operations.py and _assess.py: the evidence table of "already", the lost
answer read back (never "did not take"), someone acting between the read and the POST, and another DAG under the
same id.

The agent here is a fake that serves one DAG DTO which the tests change as the real agent would (§4.8)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy
import functools

import pytest

from ansible_collections.oceanbase.obshell.plugins.module_utils import _assess, _dag, _operations, _query
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import (
    ObshellApiError,
    ObshellConnectionError,
    ObshellNotFoundError,
    ObshellProtocolError,
    ObshellServerError,
)
from tests.support.clock import FakeClock

START = '2026-05-08T10:00:01+08:00'
END = '2026-05-08T10:03:12+08:00'
LATER = '2026-05-08T10:05:00+08:00'
ZERO = '1970-01-01T08:00:00+08:00'
NAMES = ('Prepare', 'Add server', 'Start server', 'Finish')


def node(index, state, operator='RUN', runs=1, name=None):
    return {'id': '12%02d' % index, 'node_id': 200 + index, 'name': name or NAMES[index - 1], 'state': state,
            'operator': operator, 'start_time': START, 'end_time': END, 'additional_data': None,
            'sub_tasks': [{'id': '15%02d' % index, 'task_id': 500 + index, 'name': name or NAMES[index - 1],
                           'state': state, 'operator': operator, 'start_time': START, 'end_time': END,
                           'additional_data': None, 'execute_times': runs,
                           'execute_agent': {'ip': '10.0.0.1', 'port': 2886},
                           'task_logs': ['ERROR: [Common.Unexpected]: boom'] if state == 'FAILED' else ['ok']}]}


def dto(state, operator, stage, nodes, name='Cluster scale in', start=START, end=END):
    return {'id': '142', 'dag_id': 42, 'name': name, 'stage': stage, 'max_stage': len(nodes), 'maintenance_type': 2,
            'maintenance_key': '', 'state': state, 'operator': operator, 'start_time': start, 'end_time': end,
            'additional_data': {}, 'nodes': nodes}


def failed(**fields):
    """Failed at its second node (§4.6)."""
    out = dto('FAILED', 'RUN', 2, [node(1, 'SUCCEED'), node(2, 'FAILED'), node(3, 'PENDING', runs=0),
                                   node(4, 'PENDING', runs=0)])
    out.update(fields)
    return out


def retried_running():
    """Right after a RETRY (§4.8): READY/RUN, times reset, the failed node PENDING/RETRY."""
    return dto('READY', 'RUN', 2, [node(1, 'SUCCEED'), node(2, 'PENDING', 'RETRY'), node(3, 'PENDING', runs=0),
                                   node(4, 'PENDING', runs=0)], start=ZERO, end=ZERO)


def succeeded(retried=True):
    return dto('SUCCEED', 'RUN', 4, [node(1, 'SUCCEED'), node(2, 'SUCCEED', 'RETRY' if retried else 'RUN', runs=2),
                                     node(3, 'SUCCEED'), node(4, 'SUCCEED')], start=LATER, end=LATER)


def node_passed_then_succeeded():
    """Someone passed the failed node; the DAG ran on to its end: SUCCEED/RUN with a passed node."""
    return dto('SUCCEED', 'RUN', 4, [node(1, 'SUCCEED'), node(2, 'SUCCEED', 'PASS'), node(3, 'SUCCEED'),
                                     node(4, 'SUCCEED')], start=LATER, end=LATER)


def dag_passed():
    return dto('SUCCEED', 'PASS', 2, [node(1, 'SUCCEED'), node(2, 'SUCCEED', 'PASS'), node(3, 'SUCCEED', 'PASS', 0),
                                      node(4, 'SUCCEED', 'PASS', 0)])


def rolled_back():
    return dto('SUCCEED', 'ROLLBACK', 1, [node(1, 'SUCCEED', 'ROLLBACK', 2), node(2, 'SUCCEED', 'ROLLBACK', 2),
                                          node(3, 'PENDING', runs=0), node(4, 'PENDING', runs=0)], start=LATER,
               end=LATER)


def rolling_back():
    return dto('RUNNING', 'ROLLBACK', 2, [node(1, 'PENDING', 'ROLLBACK'), node(2, 'RUNNING', 'ROLLBACK', 2),
                                          node(3, 'PENDING', runs=0), node(4, 'PENDING', runs=0)], start=LATER)


def running(operator='RUN', node_operator='RUN'):
    return dto('RUNNING', operator, 2, [node(1, 'SUCCEED'), node(2, 'RUNNING', node_operator),
                                        node(3, 'PENDING', runs=0), node(4, 'PENDING', runs=0)])


def canceled():
    return dto('FAILED', 'CANCEL', 2, [node(1, 'SUCCEED'), node(2, 'FAILED', 'CANCEL'), node(3, 'PENDING', runs=0),
                                       node(4, 'PENDING', runs=0)])


def record(source):
    return _query.normalize(source, agent='10.0.0.1:2886', details='full', now=0)


Clock = functools.partial(FakeClock, start=1000.0)      # the shared fake clock, from t = 1000 s


class Agent(object):
    """The client as _operations uses it, over one DAG. ``on_post(agent, operator)`` is what the agent does with a
    POST (change ``agent.dto``, raise); ``read_errors`` are raised by the next GETs, one each; ``script`` maps the
    number of a GET (1-based) to a DTO the DAG becomes before that read (the agent applying something late)."""

    version = '4.5.0.0'
    address = agent = '10.0.0.1:2886'

    def __init__(self, source, on_post=None):
        self.dto = copy.deepcopy(source)
        self.on_post = on_post
        self.read_errors = []
        self.script = {}
        self.gets = 0
        self.posts = []
        self.deadline = None
        self.deadlines_seen = []

    def dag(self, generic_id, show_details=True):
        self.gets += 1
        self.deadlines_seen.append(self.deadline)
        if self.gets in self.script:
            self.dto = copy.deepcopy(self.script[self.gets])
        if self.read_errors:
            raise self.read_errors.pop(0)
        if self.dto is None:
            raise ObshellNotFoundError('GET /dag/%s: the agent answered HTTP 404' % generic_id, status=404,
                                       agent_message='record not found')
        return copy.deepcopy(self.dto)

    def operate_dag(self, generic_id, operator):
        self.posts.append(('dag', generic_id, operator))
        if self.on_post is not None:
            return self.on_post(self, operator)
        return None

    def pass_node(self, generic_id):
        self.posts.append(('node', generic_id, 'PASS'))
        if self.on_post is not None:
            return self.on_post(self, 'PASS')
        return None


def operate(agent, state, clock=None, **kwargs):
    clock = clock or Clock()
    kwargs.setdefault('deadline', clock() + 10.0)
    return _operations.operate(agent, '142', state, sleep=clock.sleep, clock=clock, **kwargs)


def lost(*_args):
    raise ObshellConnectionError('no answer within the 1s request timeout', maybe_sent=True, agent='10.0.0.1:2886')


def applied_then_lost(becomes):
    def post(agent, _operator):
        agent.dto = copy.deepcopy(becomes)
        lost()
    return post


# --------------------------------------------------------------------------------------------------------------
# The evidence table (assess)

TABLE = [
    # (state, DAG as read, verdict, words of the reason)
    ('retried', failed(), 'todo', ''),
    ('retried', canceled(), 'todo', ''),
    ('retried', succeeded(), 'done', "succeeded (after a retry of node 'Add server')"),
    ('retried', succeeded(retried=False), 'done', 'no node of it was retried'),
    ('retried', node_passed_then_succeeded(), 'refused',
     "it succeeded only because node 'Add server' was passed (by someone): that step was skipped, not done"),
    ('retried', dag_passed(), 'refused', "it was passed (SUCCEED/PASS): its failed step 'Add server', 'Start server'"),
    ('retried', rolled_back(), 'refused', 'it was rolled back (SUCCEED/ROLLBACK)'),
    ('retried', rolling_back(), 'refused', 'it is being rolled back (RUNNING/ROLLBACK at 2/4), not FAILED'),
    ('retried', retried_running(), 'underway', "being retried (node 'Add server' carries operator RETRY)"),
    ('retried', running(), 'refused', 'it is RUNNING, not FAILED'),
    ('retried', dto('RUNNING', 'RUN', 3, [node(1, 'SUCCEED'), node(2, 'SUCCEED', 'RETRY', 2), node(3, 'RUNNING'),
                                          node(4, 'PENDING', runs=0)]), 'underway',
     "being retried (node 'Add server' was retried; it is RUNNING/RUN at 3/4 now)"),
    ('retried', dto('RUNNING', 'RUN', 3, [node(1, 'SUCCEED'), node(2, 'SUCCEED', 'PASS'), node(3, 'RUNNING', 'RETRY'),
                                          node(4, 'PENDING', runs=0)]), 'refused',
     "running on after node 'Add server' was passed (by someone); it is not being retried"),
    ('retried', running(operator='CANCEL'), 'refused', 'it is being canceled'),
    ('rolled_back', failed(), 'todo', ''),
    ('rolled_back', rolled_back(), 'done', 'rolled back'),
    ('rolled_back', rolling_back(), 'underway', 'being rolled back (RUNNING/ROLLBACK at 2/4)'),
    ('rolled_back', succeeded(), 'refused', 'it succeeded (SUCCEED/RUN)'),
    ('rolled_back', dag_passed(), 'refused', 'it was passed'),
    ('canceled', running(), 'todo', ''),
    ('canceled', retried_running(), 'todo', ''),
    ('canceled', canceled(), 'done', 'canceled'),
    ('canceled', running(operator='CANCEL'), 'underway', 'being canceled'),
    ('canceled', failed(), 'refused', 'it is FAILED/RUN at 2/4, already finished; only a running DAG can be canceled'),
    ('canceled', succeeded(), 'refused', 'already finished'),
    ('passed', failed(), 'todo', ''),
    ('passed', dag_passed(), 'done', 'passed'),
    ('passed', node_passed_then_succeeded(), 'done', "passed (node 'Add server' was passed, then it ran to its end)"),
    ('passed', dto('RUNNING', 'RUN', 3, [node(1, 'SUCCEED'), node(2, 'SUCCEED', 'PASS'), node(3, 'RUNNING'),
                                         node(4, 'PENDING', runs=0)]), 'underway', "running on after node 'Add server'"),
    ('passed', succeeded(), 'refused', 'it succeeded (SUCCEED/RUN)'),
    ('passed', rolled_back(), 'refused', 'it was rolled back'),
    ('passed', running(), 'refused', 'it is RUNNING, not FAILED'),
]


@pytest.mark.parametrize('state, source, verdict, words', TABLE,
                         ids=['%s-%s-%d' % (row[0], row[2], index) for index, row in enumerate(TABLE)])
def test_the_evidence_table(state, source, verdict, words):
    got, reason = _assess.assess(record(source), state)
    assert got == verdict, reason
    assert words in reason


# What "already" needs besides state and operator: nodes that agree with them. Each row is a DAG whose agent says it
# is in the end state, but whose nodes say otherwise: no verdict.
INCONSISTENT = [
    ('retried', dto('SUCCEED', 'RUN', 4, [node(1, 'SUCCEED'), node(2, 'SUCCEED'), node(3, 'PENDING', runs=0),
                                          node(4, 'SUCCEED')]), "node 'Start server' is PENDING"),
    ('retried', dto('SUCCEED', 'RUN', 3, [node(1, 'SUCCEED'), node(2, 'SUCCEED'), node(3, 'SUCCEED'),
                                          node(4, 'SUCCEED')]), 'at stage 3 of 4'),
    ('retried', dict(succeeded(), nodes=None), 'the agent sent no nodes'),
    ('retried', dict(succeeded(), nodes=succeeded()['nodes'][:3], max_stage=4, stage=4), 'has 3 nodes but max_stage 4'),
    ('rolled_back', dto('SUCCEED', 'ROLLBACK', 1, [node(1, 'SUCCEED'), node(2, 'FAILED'), node(3, 'PENDING'),
                                                   node(4, 'PENDING')]), 'first node is SUCCEED/RUN'),
    ('canceled', dto('FAILED', 'CANCEL', 2, [node(1, 'SUCCEED'), node(2, 'SUCCEED'), node(3, 'PENDING'),
                                             node(4, 'PENDING')]), 'its node at stage 2 is SUCCEED'),
    ('passed', dto('SUCCEED', 'PASS', 2, [node(1, 'SUCCEED'), node(2, 'SUCCEED', 'PASS'), node(3, 'PENDING'),
                                          node(4, 'SUCCEED', 'PASS')]), "node 'Start server' is PENDING"),
    ('passed', dto('SUCCEED', 'PASS', 4, [node(1, 'SUCCEED'), node(2, 'SUCCEED'), node(3, 'SUCCEED'),
                                          node(4, 'SUCCEED')]), 'no node was passed'),
]


@pytest.mark.parametrize('state, source, words', INCONSISTENT)
def test_an_end_state_whose_nodes_disagree_is_no_evidence(state, source, words):
    got, reason = _assess.assess(record(source), state)
    assert got == 'refused'
    assert 'does not hold together' in reason and words in reason, reason


def test_a_single_node_pass():
    passed_node = failed(nodes=[node(1, 'SUCCEED'), node(2, 'SUCCEED', 'PASS'), node(3, 'PENDING', runs=0),
                                node(4, 'PENDING', runs=0)], state='READY')
    assert _assess.assess(record(passed_node), 'passed', '1202') == ('done', "passed at node 1202 'Add server'")
    assert _assess.assess(record(failed()), 'passed', '1202') == ('todo', '')
    assert _assess.assess(record(failed()), 'passed', '1201') == ('refused', 'the node is SUCCEED/RUN, not FAILED')
    assert _assess.assess(record(failed()), 'passed', '1299') == ('refused', 'it has no node 1299')
    assert _assess.assess(record(running()), 'passed', '1202')[1] == 'the DAG is RUNNING/RUN at 2/4, not FAILED'


def test_item_5_retry_of_a_dag_someone_passed_is_refused_naming_the_node():
    agent = Agent(node_passed_then_succeeded())
    with pytest.raises(_operations.OperationRefused) as caught:
        operate(agent, 'retried')
    assert caught.value.message == (
        "cannot retry DAG 142 'Cluster scale in': it succeeded only because node 'Add server' was passed (by "
        "someone): that step was skipped, not done, and the agent retries only a FAILED DAG")
    assert 'already' not in caught.value.message
    assert agent.posts == []


def test_already_done_sends_nothing_and_says_what_was_read():
    agent = Agent(succeeded())
    done = operate(agent, 'retried')
    assert done['changed'] is False and done['operator'] is None and done['verdict'] == 'done'
    assert done['msg'] == ("DAG 142 'Cluster scale in' is already succeeded (after a retry of node 'Add server') "
                           "(read by id just now)")
    assert agent.posts == []


def test_underway_sends_nothing_and_claims_no_end():
    agent = Agent(retried_running())
    done = operate(agent, 'retried')
    assert done['changed'] is False and done['verdict'] == 'underway' and done['already'] == ''
    assert 'already' not in done['msg'] and 'nothing sent' in done['msg']
    assert agent.posts == []


def test_check_mode_sends_nothing():
    agent = Agent(failed())
    done = operate(agent, 'retried', check_mode=True)
    assert done['changed'] is True and agent.posts == [] and 'check mode' in done['msg']


def test_an_answered_post_is_reported_with_the_dag_read_after():
    agent = Agent(failed(), on_post=lambda agent, op: setattr(agent, 'dto', retried_running()))
    done = operate(agent, 'retried')
    assert done['changed'] is True and done['operator'] == 'RETRY'
    assert done['after']['state'] == 'READY' and agent.posts == [('dag', '142', 'RETRY')]


# --------------------------------------------------------------------------------------------------------------
# Identity: another DAG under the same id


def test_a_name_other_than_the_one_named_is_another_dag_and_nothing_is_sent():
    agent = Agent(failed(name='Start obshell'))
    with pytest.raises(_operations.OperationRefused) as caught:
        operate(agent, 'retried', expect={'name': 'Cluster scale in'})
    assert caught.value.message == ("DAG 142 is not the DAG you named: its name is 'Start obshell', not 'Cluster scale "
                                    "in'; nothing was sent")
    assert agent.posts == []


def test_a_start_time_other_than_the_one_named_is_refused():
    agent = Agent(failed(start_time=LATER))
    with pytest.raises(_operations.OperationRefused) as caught:
        operate(agent, 'retried', expect={'name': 'Cluster scale in', 'start_time': START})
    assert 'it started at %s, not %s' % (LATER, START) in caught.value.message
    assert agent.posts == []
    # The same instant written in another offset is the same start.
    agent = Agent(failed())
    operate(agent, 'retried', expect={'start_time': '2026-05-08T02:00:01Z'})
    assert len(agent.posts) == 1


def test_identity_problem_rules():
    first = record(failed())
    assert _dag.identity_problem(first, record(retried_running())) == ''      # start reset by the operator
    assert _dag.identity_problem(first, record(succeeded())) == ''            # and set again, later
    assert _dag.identity_problem(first, record(failed(name='Start obshell'))) == \
        "name is now 'Start obshell', was 'Cluster scale in'"
    # A record whose dag_id is not the number its generic id embeds is refused by the DAG model (§4.4) before it
    # can be compared.
    with pytest.raises(ValueError, match="field 'dag_id' is 43"):
        record(failed(dag_id=43))
    earlier = record(failed(start_time='2026-05-08T09:00:00+08:00'))
    assert _dag.identity_problem(first, earlier).startswith('it started at 2026-05-08T09:00:00+08:00, before')


def test_the_agent_accepts_but_the_id_names_another_dag_after():
    agent = Agent(failed(), on_post=lambda agent, op: setattr(agent, 'dto', failed(name='Start obshell', dag_id=42)))
    with pytest.raises(_operations.OperationRefused) as caught:
        operate(agent, 'retried')
    assert "was accepted, but DAG 142 now names another DAG (name is now 'Start obshell'" in caught.value.message
    assert caught.value.took is True
    assert len(agent.posts) == 1


# --------------------------------------------------------------------------------------------------------------
# Someone else acts between the read and the POST


def refuse(err_code, becomes):
    def post(agent, _operator):
        agent.dto = copy.deepcopy(becomes)
        raise ObshellApiError('POST /api/v1/task/dag/142: the agent answered HTTP 400 [%s]: no' % err_code,
                              status=400, err_code=err_code, agent='10.0.0.1:2886')
    return post


def test_someone_retried_it_first_and_it_is_on_its_way():
    agent = Agent(failed(), on_post=refuse('Task.Dag.Operator.RetryNotFailedDag', retried_running()))
    done = operate(agent, 'retried')
    assert done['changed'] is False and done['verdict'] == 'underway' and done['operator'] is None
    assert ('someone else acted on it between this task\'s read and its POST, which the agent refused '
            '(Task.Dag.Operator.RetryNotFailedDag)') in done['msg']
    assert len(agent.posts) == 1


def test_someone_passed_it_first_and_the_dag_is_already_passed():
    agent = Agent(failed(), on_post=refuse('Task.Dag.Operator.PassNotFailedDag', dag_passed()))
    done = operate(agent, 'passed')
    assert done['changed'] is False and done['verdict'] == 'done' and done['already'] == 'passed'


def test_someone_rolled_it_back_first_and_the_retry_is_refused_saying_so():
    agent = Agent(failed(), on_post=refuse('Task.Dag.Operator.RetryNotFailedDag', rolling_back()))
    with pytest.raises(_operations.OperationRefused) as caught:
        operate(agent, 'retried')
    assert caught.value.message.endswith(
        'it changed since it was read: it is being rolled back (RUNNING/ROLLBACK at 2/4), not FAILED')
    assert caught.value.err_code == 'Task.Dag.Operator.RetryNotFailedDag'


def test_a_template_refusal_is_plain():
    agent = Agent(failed(), on_post=refuse('Task.Dag.Operator.PassNotAllowed', failed()))
    with pytest.raises(_operations.OperationRefused) as caught:
        operate(agent, 'passed')
    assert caught.value.message == ("the agent does not allow passing DAG 142 'Cluster scale in' "
                                    "(Task.Dag.Operator.PassNotAllowed): its template does not opt in to it")


# --------------------------------------------------------------------------------------------------------------
# A lost or late answer (item 6)


def test_lost_answer_that_took_is_changed_with_a_warning():
    warnings = []
    agent = Agent(failed(), on_post=applied_then_lost(retried_running()))
    done = operate(agent, 'retried', warn=warnings.append)
    assert done['changed'] is True and done['operator'] == 'RETRY'
    assert len(agent.posts) == 1
    assert warnings == ["the answer to RETRY of DAG 142 'Cluster scale in' was lost (no answer within the 1s request "
                        "timeout), but the DAG read since shows it took: it is READY/RUN at 2/4, node 'Add server' "
                        "carrying operator RETRY"]


def test_lost_answer_applied_late_is_found_by_reading_on():
    clock = Clock()
    agent = Agent(failed(), on_post=lost)
    agent.script = {4: retried_running()}    # the agent carries the POST out between the 2nd and 3rd read back
    done = operate(agent, 'retried', clock=clock, poll_interval=0.5)
    assert done['changed'] is True and done['operator'] == 'RETRY'
    assert clock.sleeps == [0.5, 0.5] and len(agent.posts) == 1


@pytest.mark.parametrize('becomes, words', [
    (succeeded(), 'it has run to SUCCEED/RUN since'),
    (failed(nodes=[node(1, 'SUCCEED'), node(2, 'FAILED', 'RETRY', runs=2), node(3, 'PENDING', runs=0),
                   node(4, 'PENDING', runs=0)], start=LATER, end=LATER), 'it ran again and failed again'),
])
def test_lost_retry_answer_that_ran_fast(becomes, words):
    warnings = []
    agent = Agent(failed(), on_post=applied_then_lost(becomes))
    assert operate(agent, 'retried', warn=warnings.append)['changed'] is True
    assert words in warnings[0]


def test_unknown_when_the_dag_reads_exactly_as_before_never_did_not_take():
    # The rule: an unchanged DAG, read after the agent answered, still does not prove that the POST did not take (the
    # agent may still be carrying it out): unknown, never "did not take", nothing re-sent, and how to check.
    clock = Clock()
    agent = Agent(failed(), on_post=lost)
    with pytest.raises(_operations.OperationRefused) as caught:
        operate(agent, 'retried', clock=clock, deadline=clock() + 3.0, poll_interval=1.0)
    message = caught.value.message
    assert caught.value.unknown is True
    assert message.startswith("unknown whether it took: RETRY of DAG 142 'Cluster scale in': the answer was lost")
    assert '3 reads since show the DAG exactly as before (FAILED/RUN at 2/4)' in message
    assert 'the agent may still carry out the request it received' in message
    assert "nothing was re-sent; check it with 'obshell task show -i 142 -d' on an agent host, or " \
           "oceanbase.obshell.dag_info with id 142 before acting again" in message
    assert 'did not take' not in message and 'not taken' not in message
    assert len(agent.posts) == 1 and agent.gets == 4      # one read before, three back (at 0, 1 and 2 s)
    assert clock() == pytest.approx(1003.0)


def test_read_back_decision_never_says_did_not_take():
    clock = Clock()
    agent = Agent(failed())
    before = record(failed())
    for operator in ('RETRY', 'ROLLBACK', 'PASS'):
        verdict, _now, reads, _detail = _operations.read_back(agent, '142', before, operator, None, clock() + 1.0,
                                                              0.5, clock.sleep, clock)
        assert verdict == 'unknown' and reads == 2


def test_unknown_when_the_agent_does_not_answer_until_the_deadline():
    clock = Clock()

    def post(agent, _operator):
        agent.read_errors = [ObshellConnectionError('cannot connect to http://10.0.0.1:2886: refused')] * 50
        lost()
    agent = Agent(failed(), on_post=post)
    with pytest.raises(_operations.OperationRefused) as caught:
        operate(agent, 'retried', clock=clock, deadline=clock() + 2.0, poll_interval=1.0)
    assert agent.gets == 3
    assert 'the agent has not answered a read of the DAG since (cannot connect' in caught.value.message
    assert caught.value.unknown is True and len(agent.posts) == 1


def test_the_read_back_runs_under_the_operation_deadline_and_restores_the_client():
    clock = Clock()
    agent = Agent(failed(), on_post=lost)
    agent.deadline = 'caller'
    with pytest.raises(_operations.OperationRefused):
        operate(agent, 'retried', clock=clock, deadline=1001.0, poll_interval=1.0)
    assert agent.deadlines_seen[1:] == [1001.0]
    assert agent.deadline == 'caller'


def test_a_different_dag_under_the_id_after_a_lost_answer():
    agent = Agent(failed(), on_post=applied_then_lost(failed(name='Start obshell')))
    with pytest.raises(_operations.OperationRefused) as caught:
        operate(agent, 'retried')
    assert ("and DAG 142 now names another DAG: name is now 'Start obshell', was 'Cluster scale in'. Unknown whether "
            "it took; nothing was re-sent") in caught.value.message


def test_a_dag_gone_after_a_lost_answer_is_said_so():
    agent = Agent(failed(), on_post=applied_then_lost(None))
    with pytest.raises(_operations.OperationRefused) as caught:
        operate(agent, 'retried')
    assert 'now names another DAG: it no longer exists' in caught.value.message and caught.value.unknown


def test_a_change_the_operator_does_not_make_is_not_evidence():
    clock = Clock()
    agent = Agent(failed(), on_post=applied_then_lost(rolling_back()))
    with pytest.raises(_operations.OperationRefused) as caught:
        operate(agent, 'retried', clock=clock, deadline=clock() + 1.0)
    assert 'the DAG changed since (now RUNNING/ROLLBACK at 2/4), but not the way RETRY changes it' in \
        caught.value.message


@pytest.mark.parametrize('error', [
    ObshellServerError('POST: the agent answered HTTP 502', status=502),
    ObshellProtocolError('POST: HTTP 200 with <html>, not an OBShell JSON envelope', status=200),
    ObshellConnectionError('connection lost: reset', maybe_sent=True),
])
def test_every_answer_that_may_hide_a_done_post_is_read_back(error):
    def post(agent, _operator):
        agent.dto = copy.deepcopy(rolled_back())
        raise error
    agent = Agent(failed(), on_post=post)
    done = operate(agent, 'rolled_back')
    assert done['changed'] is True and done['operator'] == 'ROLLBACK' and len(agent.posts) == 1


def test_a_post_that_was_never_sent_says_so():
    def post(agent, _operator):
        raise ObshellConnectionError('cannot connect to http://10.0.0.1:2886: refused', maybe_sent=False)
    agent = Agent(failed(), on_post=post)
    with pytest.raises(_operations.OperationRefused) as caught:
        operate(agent, 'retried')
    assert caught.value.message.startswith("RETRY of DAG 142 'Cluster scale in' was not sent: ")
    assert caught.value.took is False and agent.gets == 1


@pytest.mark.parametrize('operator, before, after, took', [
    ('RETRY', failed(), retried_running(), True),
    ('RETRY', failed(), failed(), False),
    ('RETRY', failed(), node_passed_then_succeeded(), False),
    ('RETRY', failed(), dag_passed(), False),
    ('ROLLBACK', failed(), rolling_back(), True),
    ('ROLLBACK', failed(), rolled_back(), True),
    ('ROLLBACK', failed(), retried_running(), False),
    ('CANCEL', running(), running(operator='CANCEL'), True),
    ('CANCEL', running(), canceled(), True),
    ('CANCEL', running(), succeeded(), False),
    ('PASS', failed(), dag_passed(), True),
    ('PASS', failed(), failed(), False),
])
def test_took_evidence(operator, before, after, took):
    assert bool(_assess.took_evidence(record(before), record(after), operator)) is took


def test_took_evidence_of_a_node_pass():
    after = failed(state='READY', nodes=[node(1, 'SUCCEED'), node(2, 'SUCCEED', 'PASS'), node(3, 'PENDING'),
                                         node(4, 'PENDING')])
    assert _assess.took_evidence(record(failed()), record(after), 'PASS', '1202').startswith(
        'the node is SUCCEED/PASS')
    assert _assess.took_evidence(record(failed()), record(failed()), 'PASS', '1202') == ''
