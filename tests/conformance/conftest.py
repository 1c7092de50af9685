# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of the conformance suite (docs/conformance.md).

``target`` is the agent under test, once per kind: the simulator (always) and the real agent named by
OBSHELL_REAL_AGENT=host:port (marked ``real_agent``; tests/conftest.py deselects those items when the variable is
not set). Both are one agent for the whole session, and the test files run in their name order, which is the
order of the agent's states: SINGLE without a password, the agent password set, then MASTER with DAGs.

``rec`` records a test's exchanges; against the real agent they are written to ``recorded/<version>/`` when
OBSHELL_RECORD=1, for test_replay.py.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

import pytest

from tests.conformance._agent import (CA_VARIABLE, DEFAULT_PASSWORD, PASSWORD_VARIABLE, SOURCE_COMMIT, Target,
                                      real_agent_address)
from tests.conformance._recorder import RECORDED_DIR, Recording
from tests.simulator import SimCluster

RECORD_VARIABLE = 'OBSHELL_RECORD'


@pytest.fixture(scope='session', params=['simulator', pytest.param('real', marks=pytest.mark.real_agent)])
def target(request):
    password = os.environ.get(PASSWORD_VARIABLE) or DEFAULT_PASSWORD
    if request.param == 'real':
        host, port = real_agent_address()
        yield Target('real', host, port, password, ca=os.environ.get(CA_VARIABLE) or None)
        return
    sim = SimCluster(agents=1, identities='SINGLE', base_port=0, step_seconds=0.3, scenario='idle',
                     ob_version='')
    sim.start()
    try:
        agent = sim.agents[0]
        yield Target('simulator', agent.host, agent.port, password, sim=sim)
    finally:
        sim.stop()


@pytest.fixture
def rec(request, target):
    """The test's Recording, attached to the target's client for the test's duration."""
    name = request.node.name.split('[')[0]
    module = request.node.module.__name__.rsplit('.', 1)[-1]
    info = target.info()
    source_commit = SOURCE_COMMIT if target.kind == 'real' else None
    facts = {'version': info.get('version'), 'source_commit': source_commit, 'kind': target.kind}
    recording = Recording('%s.%s' % (module, name), facts)
    target.labels.reset()
    target.client.recording = recording
    yield recording
    target.client.recording = None
    if target.kind == 'real' and os.environ.get(RECORD_VARIABLE) == '1':
        version = (info.get('version') or 'unknown').split('-')[0]
        recording.write(target.labels, os.path.join(RECORDED_DIR, version))
