# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""The words of the collection, each defined once: what the agent sends, what a DAG ends as, what a wait ends as,
what an operation asks for, which lists exist, and the limits every plugin shares.

Constants only; every other file imports from here. One name, one thing: a DAG *state* is the agent's
(PENDING...SUCCEED); a DAG *outcome* is what a record says it ended as; a *verdict* is what a wait (one part, or a
batch) ends as; an *operation state* is what the `dag` module is asked to bring a DAG to.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

# What the agent sends (§4.1): a DAG's, node's and sub-task's state and operator, numbered from 1 on old agents.
DAG_STATES = ('PENDING', 'READY', 'RUNNING', 'FAILED', 'SUCCEED')
UNFINISHED_STATES = ('PENDING', 'READY', 'RUNNING')
FINISHED_STATES = ('SUCCEED', 'FAILED')
OPERATORS = ('RUN', 'RETRY', 'ROLLBACK', 'CANCEL', 'PASS')

# What a DAG record says it ended as ('running' until it has).
DAG_OUTCOMES = ('running', 'succeeded', 'failed', 'rolled_back', 'passed', 'canceled')
FINAL_OUTCOMES = DAG_OUTCOMES[1:]

# What a wait ends as (one part, or a batch): a user lists them in fail_on. `error` (the wait itself could not be
# carried out) and `running` (a slice that has not ended) are results too, never listed in fail_on.
VERDICTS = ('idle', 'succeeded', 'failed', 'rolled_back', 'passed', 'canceled', 'timeout', 'unreachable')
# The verdicts that say nothing went wrong: each is a claim, made only over evidence (docs/architecture.md).
QUIET_VERDICTS = ('idle', 'succeeded', 'passed', 'rolled_back', 'canceled')

# What the `dag` module (and a wait's on_failure) is asked to bring a DAG to, the operator that does it, and the
# outcomes that a DAG brought there ends as.
OPERATION_STATES = ('retried', 'rolled_back', 'canceled', 'passed')
OPERATION_OPERATORS = {'retried': 'RETRY', 'rolled_back': 'ROLLBACK', 'canceled': 'CANCEL', 'passed': 'PASS'}
OPERATION_OUTCOMES = {'retried': ('succeeded',), 'rolled_back': ('rolled_back',), 'canceled': ('canceled',),
                      'passed': ('passed',)}

# Which DAG lists a query reads (fragment oceanbase.obshell.query), and how much of each DAG.
SCOPES = ('auto', 'cluster', 'agent', 'all')
DETAILS = ('summary', 'full')
AUTH_VERSIONS = ('auto', 'v1', 'v2')

# Connection options that are secrets: no_log in every argspec, never put in a message or a result.
SECRET_OPTIONS = ('password', 'agent_password')

# Limits. A poll more often than this only loads the agent; a wait run on a host returns at least once a slice, so
# its lines are printed as it goes (the module never runs a slice longer than MAX_SLICE_SECONDS, whatever it is
# asked).
MIN_POLL_INTERVAL = 0.5
SLICE_SECONDS = 60.0
MAX_SLICE_SECONDS = 60.0
