# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""What people read: progress lines, failure reasons and reports, durations.

Pure functions on normalized DAG records (see _dag.py), standard library only: the model returns facts, this file
alone renders them. Every piece of text that came from an agent (DAG, node and sub-task names, log lines, error
messages) goes through ``safe_text`` (_text.py) before it is put into a line or a message.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.oceanbase.obshell.plugins.module_utils._dag_id import validate_generic_id
from ansible_collections.oceanbase.obshell.plugins.module_utils._text import (
    MESSAGE_LIMIT, cap_message, cut_text, safe_text,
)
from ansible_collections.oceanbase.obshell.plugins.module_utils._vocabulary import OPERATION_STATES


def format_elapsed(seconds):
    """'M:SS' below an hour, 'H:MM:SS' from an hour on; None -> '?'."""
    if seconds is None:
        return '?'
    try:
        total = int(max(float(seconds), 0.0))
    except (TypeError, ValueError, OverflowError):
        return '?'
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return '%d:%02d:%02d' % (hours, minutes, secs)
    return '%d:%02d' % (minutes, secs)


def seconds_text(number):
    """3600.0 -> '3600', 0.5 -> '0.5': an option value as the user wrote it."""
    number = float(number)
    return '%d' % number if number.is_integer() else '%s' % number


def dag_label(record):
    """DAG 11 'Cluster scale out' (the name made safe)."""
    return "DAG %s '%s'" % (record.get('id'), safe_text(record.get('name') or '?'))


# --------------------------------------------------------------------------------------------------------------
# Progress


_RUNNING_OPERATOR_WORDS = {'ROLLBACK': 'rolling back', 'CANCEL': 'canceling', 'RETRY': 'retrying'}


def state_text(record):
    """The state as a person should read it: 'RUNNING (rolling back)', 'SUCCEED (passed)', 'FAILED (canceled)'."""
    state = record.get('state') or '?'
    outcome = record.get('outcome')
    if outcome == 'running':
        word = _RUNNING_OPERATOR_WORDS.get(record.get('operator'))
        if word:
            return '%s (%s)' % (state, word)
        return state
    if outcome in ('rolled_back', 'passed', 'canceled'):
        return '%s (%s)' % (state, outcome.replace('_', ' '))
    return state


def progress_line(label, record):
    """One line for a wait, e.g. 'obs1 | Cluster scale out | 4/9 Wait remote deploy finish | RUNNING | 0:42'."""
    record = record if isinstance(record, dict) else {}
    parts = []
    if label not in (None, ''):
        parts.append(safe_text(label))
    parts.append(safe_text(record.get('name') or record.get('id') or '?'))
    step = ' '.join(safe_text(part) for part in (record.get('progress'), record.get('current_node')) if part)
    if step:
        parts.append(step)
    parts.append(state_text(record))
    if record.get('elapsed_seconds') is not None:
        parts.append(format_elapsed(record['elapsed_seconds']))
    return ' | '.join(parts)


# --------------------------------------------------------------------------------------------------------------
# Failures


def sub_task_reason(task):
    """Why one failed sub-task failed: its parsed error, else its last log line."""
    error = task.get('error')
    if error:
        if error.get('code'):
            reason = '[%s] %s' % (safe_text(error['code'], 80), safe_text(error.get('message')))
        else:
            reason = safe_text(error.get('message'))
    elif task.get('log_tail'):
        reason = safe_text(task['log_tail'][-1])
    else:
        reason = 'no error message logged'
    return '%s: %s' % (safe_text(task.get('agent') or 'an unknown agent', 80), reason)


def failure_reason(record):
    """The one-line reason of a failed or canceled DAG, built once for every report:
    "DAG 142 'Cluster scale out' failed at node 6/9 'Prev check for scale_out' on 10.0.0.1:2886: [Code] message"."""
    failure = record.get('failure') or {}
    node = failure.get('node') or {}
    if record.get('outcome') == 'canceled' or failure.get('canceled'):
        verb = 'was canceled'
    elif record.get('operator') == 'ROLLBACK':
        verb = 'failed while rolling back'
    else:
        verb = 'failed'
    text = '%s %s' % (dag_label(record), verb)
    if node:
        text += " at node %s/%s '%s'" % (node.get('stage'), record.get('max_stage') or '?', safe_text(node.get('name') or '?'))
    reasons = [sub_task_reason(task) for task in failure.get('sub_tasks') or []]
    if reasons:
        text += ' on ' + '; '.join(reasons)
    elif not node:
        text += ' (its failed node could not be read)'
    return text


def passed_nodes_text(record):
    """"node 6/9 'Prev check for scale_out' was passed" for each node passed instead of done, or ''."""
    nodes = record.get('passed_nodes') or []
    if not nodes:
        return ''
    names = ["%s/%s '%s'" % (node.get('stage'), record.get('max_stage') or '?', safe_text(node.get('name') or '?'))
             for node in nodes]
    return '%s %s passed, not done' % ('node' if len(names) == 1 else 'nodes', ', '.join(names))


def follow_up(record, allowed):
    """The exact next step for a failed DAG: the module, its id, the states its template allows.

    ``allowed`` is what _templates.allowed_operations returns: (states, known). For an unknown template every state
    is listed, with a note that the agent decides."""
    states, known = allowed
    states = [state for state in OPERATION_STATES if state in states and state != 'canceled']
    note = None
    try:
        validate_generic_id(record['id'])
    except ValueError:
        # An agent on an address such as ::1 renders ids that it cannot decode again (§11.4): no command can work.
        states = []
        note = 'the agent cannot decode this DAG\'s id (its address starts with a zero byte), so it cannot be acted on ' \
               'by id; use the obshell command line on that host'
    command = ('oceanbase.obshell.dag id=%s state=%s' % (record['id'], '|'.join(states))) if states else None
    if note is None and record.get('operator') == 'ROLLBACK' and 'retried' in states:
        # §11.1: RETRY after a failed rollback runs the DAG forward; it does not retry the rollback.
        note = 'it failed while rolling back: retried runs the DAG forward again, rolled_back tries the rollback again'
    elif note is None and not known:
        note = 'the template of this DAG is not known to this collection: the agent decides which of these it allows'
    elif note is None and not states:
        note = 'the template of this DAG allows none of retry, roll back or pass: fix the cause, then start the ' \
               'operation again'
    return {
        'module': 'oceanbase.obshell.dag',
        'id': record['id'],
        'states': states,
        'command': command,
        'template_known': bool(known),
        'note': note,
    }


def failure_report(record, allowed):
    """What a playbook needs about a failed or canceled DAG: the DAG, its failed node, the failed sub-tasks with
    agents and log tails, a one-line summary, and the follow-up its template allows."""
    failure = record.get('failure') or {}
    next_step = follow_up(record, allowed)
    tail = ''
    if next_step['command']:
        tail += '; to act on it: %s' % next_step['command']
    if next_step['note']:
        tail += ' (%s)' % next_step['note']
    # The reason is cut if it must be, never the follow-up.
    summary = cap_message(failure_reason(record), MESSAGE_LIMIT - len(tail)) + tail
    return {
        'id': record['id'],
        'name': record.get('name'),
        'outcome': record.get('outcome'),
        'state': record.get('state'),
        'operator': record.get('operator'),
        'progress': record.get('progress'),
        'node': failure.get('node'),
        'sub_tasks': failure.get('sub_tasks') or [],
        'agent': record.get('agent'),
        'follow_up': next_step,
        'summary': summary,
    }


_OUTCOME_WORDS = {
    'succeeded': 'succeeded',
    'rolled_back': 'was rolled back',
    'passed': 'was passed',
    'failed': 'failed',
    'canceled': 'was canceled',
    'running': 'is running',
}


def ended_text(record):
    """"DAG 11 'Cluster scale out' succeeded in 0:18", with the DAG's own time (from its start to its end, as the agent
    says), and the passed nodes of a passed DAG."""
    text = '%s %s' % (dag_label(record), _OUTCOME_WORDS.get(record.get('outcome'), record.get('outcome')))
    if record.get('outcome') != 'running' and record.get('elapsed_seconds') is not None:
        text += ' in %s' % format_elapsed(record['elapsed_seconds'])
    passed = passed_nodes_text(record)
    if passed:
        text += ' (%s)' % passed
    return text


def not_reached_text(agent, unreachable):
    """A part whose agent never answered before another part ended the wait."""
    unreachable = unreachable or {}
    said = (unreachable.get('error') or {}).get('message')
    return 'agent %s was never reached before the wait ended (not answering for %s)%s' % (
        safe_text(agent or '?', 80), format_elapsed(unreachable.get('for_seconds')), ': %s' % said if said else '')


# --------------------------------------------------------------------------------------------------------------
# The end of a wait, at a glance

SUMMARY_DAGS_LIMIT = 100


def summary_rows(result):
    """Per part of a finished wait: (who, outcome, seconds, DAGs) - the cluster part first ("obs1 [cluster]"), then
    each host's own part(s). ``result`` is a combined wait result (per_host, cluster, parts)."""
    rows = []
    parts = result.get('parts') or []
    cluster = result.get('cluster')
    if cluster:
        rows.append(('%s [cluster]' % cluster.get('host'), cluster.get('outcome'), cluster.get('elapsed'),
                     cluster.get('dags') or []))
    for host in result.get('hosts') or []:
        mine = (result.get('per_host') or {}).get(host) or {}
        times = [part['elapsed'] for part in parts if part.get('host') == host and part.get('part') != 'cluster'
                 and part.get('elapsed') is not None]
        rows.append((host, mine.get('outcome'), max(times) if times else None, mine.get('dags') or []))
    return rows


def summary_table(result):
    """The lines of a compact table of a finished wait: per part, its outcome, time and DAGs."""
    cells = [('HOST', 'OUTCOME', 'TIME', 'DAGS')]
    for who, outcome, seconds, dags in summary_rows(result):
        listed = ', '.join('%s %s: %s' % (dag.get('id'), safe_text(dag.get('name') or '?', 60), dag.get('outcome'))
                           for dag in dags) or '-'
        cells.append((safe_text(who, 60), str(outcome), format_elapsed(seconds) if seconds is not None else '-',
                      cut_text(listed, SUMMARY_DAGS_LIMIT)))      # each name already made safe
    widths = [max(len(row[column]) for row in cells) for column in range(3)]
    return ['  '.join(row[column].ljust(widths[column]) for column in range(3)) + '  ' + row[3] for row in cells]


# --------------------------------------------------------------------------------------------------------------
# Results as lean as lines


# What a part, the cluster part and a host keep of each of their DAGs: the full record is in the result's ``dags``.
DAG_SUMMARY_KEYS = ('id', 'name', 'state', 'operator', 'progress', 'outcome')


def _safe_record(record):
    """A DAG record for a result: its agent text (names) capped and escaped as in a progress line."""
    record = dict(record)
    for key in ('name', 'current_node'):
        if isinstance(record.get(key), str):
            record[key] = safe_text(record[key])
    return record


def _summaries(dags):
    return [dict((key, dag.get(key)) for key in DAG_SUMMARY_KEYS) for dag in dags or [] if isinstance(dag, dict)]


def _lean_part(part):
    part = dict(part)
    part['dags'] = _summaries(part.get('dags'))
    # Its lines are in the result's events, its agent's facts in the result's agent (one host), its failure reports
    # and running DAGs in the result's failures and running (each with its host and part).
    for key in ('events', 'agent_info', 'failures', 'running'):
        part.pop(key, None)
    return part


def lean_result(result):
    """A combined wait result without the copies that made it long (two dumps of 8.5 KB at -v for one wait of three
    hosts): each DAG record once, in ``dags``, where the parts, ``cluster`` and ``per_host`` keep the main keys of
    theirs (DAG_SUMMARY_KEYS); each progress line once, in ``events``; each failure report and running DAG once, in
    ``failures`` and ``running``; agent text capped and escaped as in lines."""
    result = dict(result)
    result['dags'] = [_safe_record(dag) for dag in result.get('dags') or [] if isinstance(dag, dict)]
    names = dict((dag.get('id'), dag.get('name')) for dag in result['dags'])
    if isinstance(result.get('parts'), list):
        result['parts'] = [_lean_part(part) for part in result['parts'] if isinstance(part, dict)]
    if isinstance(result.get('cluster'), dict):
        result['cluster'] = _lean_part(result['cluster'])
    if isinstance(result.get('per_host'), dict):
        result['per_host'] = dict((host, dict(mine, dags=_summaries(mine.get('dags'))))
                                  for host, mine in result['per_host'].items() if isinstance(mine, dict))
    for holder in [result.get('cluster') or {}] + list(result.get('parts') or []) + \
            list((result.get('per_host') or {}).values()):
        for dag in holder.get('dags') or []:
            dag['name'] = names.get(dag.get('id'), dag.get('name'))
    return result


# --------------------------------------------------------------------------------------------------------------
# One part of a wait: the lines and messages of the wait engine, from the facts it hands over


def cut_short_text(result):
    """A part still going when another part ended the wait (fail fast). One whose reads were failing then says so,
    and why: what it last read is only what it knew before, never the state at the end."""
    running = [r['summary'] for r in result['running']]
    info = result['unreachable_agent']
    if not info:
        return 'still running when the wait ended: ' + ('; '.join(running) or 'nothing seen yet')
    # What it last knew includes the DAGs it saw end (red team: "nothing seen yet" of a part that saw one succeed).
    known = running + [ended_text(record) for record in result['dags'] if record.get('outcome') != 'running']
    return 'not read at the end: when the wait ended the reads of agent %s had failed for %s: %s; last known: %s' % (
        safe_text(info.get('agent') or '?', 80), format_elapsed(info.get('for_seconds')),
        (info.get('error') or {}).get('message'), '; '.join(known) or 'nothing seen yet')


def unverified_at_end_text():
    """A part that was quiet when another part ended the wait, but whose span since its last poll could not be read
    back: nothing it may have missed is known, so it is not called idle."""
    return ("not verified when the wait ended: nothing unfinished at its last read, but what ran since could not be "
            "read back from the agent's history")


def agent_back_text(agent, down_seconds):
    return 'agent %s is answering again after %s' % (safe_text(agent or 'the agent', 80), format_elapsed(down_seconds))


def read_failed_text(message, retry_seconds=None):
    """The first failed read of an outage; ``retry_seconds`` None for a snapshot, which promises no retry."""
    if retry_seconds is None:
        return message
    return '%s; retrying for up to %s' % (message, format_elapsed(retry_seconds))


def appear_wait_text(dag_id, seconds):
    what = 'DAG %s' % dag_id if dag_id is not None else 'matching DAG'
    return 'no %s yet; waiting up to %s for it to appear' % (what, format_elapsed(seconds))


def dag_vanished_text(record):
    return ('%s vanished: the agent answers 404 for it after this wait saw it %s (was the agent re-deployed, or its '
            'task records removed?); its outcome is unknown' % (dag_label(record), state_text(record)))


def dag_replaced_text(seen, now_name, problem):
    return ('%s is gone: its id now names another DAG, %r (%s; was the agent re-deployed?); the outcome of the DAG '
            'this wait saw is unknown' % (dag_label(seen), safe_text(now_name, 120), problem))


def read_back_text(record):
    """A DAG found in the agent's history for a span no poll saw."""
    return "%s %s while this wait could not see it (read back from the agent's history)" % (
        dag_label(record), 'ran' if record.get('outcome') == 'running' else 'ended')


def not_found_text(dag_id, agent):
    return 'DAG %s does not exist on %s' % (dag_id, agent or '?')


def running_summary(record, left, read_error, stage_seconds):
    """Where a DAG the wait did not see end stands: still running at a node, or left the list unread."""
    if left:
        summary = '%s left the unfinished list but its final state is unknown' % dag_label(record)
        if read_error:
            summary += ' (reading it failed: %s)' % read_error
        return summary
    where = "%s '%s'" % (record.get('progress') or '?', safe_text(record.get('current_node'))) \
        if record.get('current_node') else (record.get('progress') or '?')
    return '%s still %s at %s for %s (running %s)' % (
        dag_label(record), state_text(record), where, format_elapsed(stage_seconds),
        format_elapsed(record.get('elapsed_seconds')))


def _unreachable_text(result, agent, timeout, unreachable_timeout, read_once):
    info = result['unreachable_agent'] or {}
    said = (info.get('error') or {}).get('message')
    down_for = format_elapsed(info.get('for_seconds'))
    agent = safe_text(agent or '?', 80)
    # An agent that answers but cannot read the cluster DAGs (its observer down) is not a network problem: the words
    # must not send the operator looking for one.
    kind = (info.get('error') or {}).get('kind')
    unknown = kind == 'cluster_unknown'
    # An agent that answered with errors (5xx, 401 after a key change...) did answer: said so (red team).
    answered = kind not in ('unreachable', 'cluster_unknown', 'tls', 'proxy', None)
    if info.get('for_seconds', 0) >= unreachable_timeout:
        text = '%s for %s (unreachable_timeout %ss): %s' % (
            ('the cluster DAGs could not be read through agent %s' if unknown
             else 'the reads of agent %s have failed' if answered else 'agent %s has not answered')
            % agent, down_for, seconds_text(unreachable_timeout), said)
    elif read_once:
        text = '%s: %s' % (('agent %s could not read the cluster DAGs' if unknown
                            else 'the read of agent %s failed' if answered else 'agent %s did not answer')
                           % agent, said)
    else:
        # The overall deadline, not the agent's silence, ended the wait.
        text = 'the overall deadline (timeout %ss) passed after %s while %s (for %s): %s' % (
            seconds_text(timeout), format_elapsed(result['elapsed']),
            ('the cluster DAGs could not be read through agent %s' if unknown
             else 'the reads of agent %s were failing' if answered else 'agent %s was not answering')
            % agent, down_for, said)
    return text


def part_message(outcome, result, agent, timeout, unreachable_timeout, read_once=False, unverified=False):
    """The message of one part of a wait for its ``outcome``, from its ``result`` (_engine.WaitEngine.result)."""
    elapsed = format_elapsed(result['elapsed'])
    running = '; '.join(r['summary'] for r in result['running'])
    if outcome == 'error':
        return 'cannot wait: %s' % (result['error'] or {}).get('message')
    if outcome == 'idle':
        return 'no matching unfinished DAG; nothing to wait for'
    if outcome == 'unreachable':
        text = _unreachable_text(result, agent, timeout, unreachable_timeout, read_once)
        if running:
            text += '; last known: ' + running
        return text
    if outcome == 'timeout':
        text = 'timed out after %s (timeout %ss)' % (elapsed, seconds_text(timeout))
        if unverified:
            text += " before what the wait could not see was read back from the agent's history"
        if running:
            text += ': ' + running
        return text
    if outcome in ('failed', 'canceled') and result['failures']:
        return '; '.join(f['summary'] for f in result['failures'])
    if outcome == 'running':
        return 'check mode: still running: ' + running
    text = '; '.join(ended_text(record) for record in result['dags'])
    if outcome == 'rolled_back':
        text += ' (the operation did not take effect as a success)'
    elif outcome == 'passed' and 'passed, not done' not in text:
        text += ' (a failed step was skipped, not done)'
    # The DAGs' own times are in the text; this is the wait's.
    return '%s (waited %s)' % (text, elapsed)


def unseen_windows_text(agent, unclosed, since_then):
    """A part read well at the end, but not over every window: what ended while it could not be read is unknown."""
    return 'agent %s could not be read for %s and %s: what ended meanwhile is unknown; since then: %s' % (
        safe_text(agent or '?', 80), format_elapsed(sum(w['seconds'] for w in unclosed)), unclosed[-1]['why'],
        since_then)
