# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""Remediation during a wait (dag_wait's and the role's ``on_failure``): a failed cluster DAG is retried, rolled back
or passed through _operations.operate, on the wait's clock and within its deadline, and the wait goes on."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.oceanbase.obshell.plugins.module_utils import _operations
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import ObshellError

# on_failure -> the operation state it asks for
REMEDIATIONS = {'retry': 'retried', 'rollback': 'rolled_back', 'pass': 'passed'}
# Seconds a remediation needs at least before the deadline: with less, the wait ends on its verdict.
MIN_SECONDS_LEFT = 0.5


def failed_cluster_dag(engine):
    """The first final, failed cluster DAG the part's engine tracks, while there is time to act on it; else None."""
    for dag_id in engine.order:
        entry = engine.tracked[dag_id]
        if entry['final'] and entry['record']['outcome'] == 'failed' and entry['record']['kind'] == 'cluster':
            return entry['record'] if engine.timeout - engine.now() > MIN_SECONDS_LEFT else None
    return None


def attempt(engine, client, record, action, number, max_attempts, clock, event, warn=None):
    """Act on ``record`` with ``action`` (a key of REMEDIATIONS), attempt ``number``; ``event(line)`` says what is
    done. Returns the attempt as the result lists it; its outcome 'sent' or 'not needed' (the DAG is read again
    until its new final state), else 'refused' or 'error' (the part keeps its failure)."""
    state = REMEDIATIONS[action]
    done = {'attempt': number, 'action': action, 'state': state, 'dag_id': record['id'],
            'dag_name': record.get('name'), 'operator': None, 'outcome': None, 'msg': None,
            'failure': (record.get('failure') or {}).get('summary')}
    event('remediation (%s, attempt %d of at most %d): %s' % (action, number, max_attempts, done['failure']))
    try:
        # A lost answer is read back on the wait's own clock, within its deadline (and its unreachable budget).
        budget = min(engine.timeout - engine.now(), engine.unreachable_timeout)
        operated = _operations.operate(client, record['id'], state, warn=warn, expect={'name': record.get('name')},
                                       deadline=clock.monotonic() + max(MIN_SECONDS_LEFT, budget),
                                       poll_interval=engine.poll_interval, sleep=clock.sleep, clock=clock.monotonic)
    except _operations.OperationRefused as exc:
        done.update(outcome='refused', msg=exc.message)
        event('remediation refused: %s' % exc.message)
        return done
    except ObshellError as exc:
        done.update(outcome='error', msg=str(exc))
        event('remediation failed: %s' % exc)
        return done
    done.update(operator=operated['operator'], outcome='sent' if operated['operator'] else 'not needed',
                msg=operated['msg'])
    engine.reopen(record['id'])
    event('remediation: %s' % operated['msg'])
    return done
