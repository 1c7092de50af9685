# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The agent a conformance run talks to, and the states the checks need, reached over HTTP only.

The same code drives a real OBShell agent (``OBSHELL_REAL_AGENT=host:port``) and the simulator (one SINGLE agent):
the agent password is set with ``POST /api/v1/agent/password``, the agent joins itself with ``POST /api/v1/agent``
("Join self", it becomes MASTER) and ``POST /api/v1/ob/init`` starts "Initialize cluster", which fails at "Start
observer" on a machine without an observer. So a replay of recorded answers (test_replay.py) rebuilds each state
through the very requests the real run made.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import time

from tests.conformance._recorder import Labels, RecordingClient
from tests.simulator.rawclient import tls_client_context

REAL_AGENT_VARIABLE = 'OBSHELL_REAL_AGENT'
PASSWORD_VARIABLE = 'OBSHELL_REAL_AGENT_PASSWORD'
# The CA of the real agent's certificate (<agent home>/ca/*.crt and *.key): the agent then serves HTTPS only, and
# every request of the suite (and of its playbooks) goes over HTTPS.
CA_VARIABLE = 'OBSHELL_REAL_AGENT_CA'
DEFAULT_PASSWORD = 'Conformance-Pw-1'
# The source the recorded answers come from (docs/conformance.md).
SOURCE_COMMIT = '61ee14767de8b661dbbb3fbbd4fa6ae2bfb1c45b'
TASK = '/api/v1/task'
FINISHED = ('SUCCEED', 'FAILED')
INIT = 'Initialize cluster'


def real_agent_address():
    value = os.environ.get(REAL_AGENT_VARIABLE, '')
    host, _sep, port = value.rpartition(':')
    if not host or not port.isdigit():
        raise ValueError('%s must be host:port, not %r' % (REAL_AGENT_VARIABLE, value))
    return host.strip('[]'), int(port)


class Target(object):
    """One agent under test: ``kind`` is ``real`` or ``simulator``."""

    def __init__(self, kind, host, port, password, sim=None, ca=None):
        self.kind = kind
        self.host = host
        self.port = port
        self.password = password
        self.sim = sim
        self.ca = ca
        self.client = self.new_client()
        self.labels = Labels('%s:%d' % (host, port), self.info().get('homePath'))

    def new_client(self):
        context = tls_client_context(self.ca) if self.ca else None
        client = RecordingClient(self.host, self.port, tls_context=context, timeout=30.0)
        client.agent_password = None
        return client

    @property
    def address(self):
        return '%s:%d' % (self.host, self.port)

    def info(self):
        return self.client.send('GET', '/api/v1/info', case='none').data

    # states --------------------------------------------------------------------------------------------
    def ensure(self, state, recording=None):
        """Bring the agent into ``state`` (``single``, ``agent_password``, ``master``, ``failed_init``)."""
        if recording is not None:
            recording.setup(state)
        saved, self.client.recording = self.client.recording, None
        try:
            return getattr(self, '_ensure_' + state)()
        finally:
            self.client.recording = saved

    def _ensure_single(self):
        info = self.info()
        assert info['identity'] == 'SINGLE', 'the agent must be fresh (SINGLE), it is %s' % info['identity']
        return info

    def _ensure_agent_password(self):
        info = self.info()
        if not info.get('security'):
            answer = self.client.send('POST', '/api/v1/agent/password', {'password': self.password}, setup=True)
            # a MASTER without a password answers 500 (a nil error dereferenced) and sets it all the same
            assert answer.status == 200 or (answer.status == 500 and info['identity'] == 'MASTER'), answer
            assert self.info()['security'] is True
        self.client.agent_password = self.password
        return None

    def _ensure_master(self):
        info = self.info()
        if info['identity'] == 'SINGLE':
            body = {'agentInfo': {'ip': self.host, 'port': self.port}, 'zoneName': 'zone1'}
            answer = self.client.send('POST', '/api/v1/agent', body, setup=True)
            assert answer.status == 200, answer
            self.labels.add(answer.data['id'], 'join')
            dag = self.wait_dag(answer.data['id'], FINISHED)
            assert dag['state'] == 'SUCCEED', dag
            info = self.info()
        assert info['identity'] == 'MASTER', info
        return info

    def _ensure_failed_init(self):
        """The id of an unfinished "Initialize cluster" that FAILED (started here when there is none)."""
        self._ensure_master()
        listed = self.client.send('GET', TASK + '/dag/agent/unfinish?show_details=false')
        assert listed.status == 200, listed
        for dag in listed.data['contents'] or []:
            if dag['name'] == INIT:
                dag = self.wait_dag(dag['id'], FINISHED)
                break
        else:
            answer = self.client.send('POST', '/api/v1/ob/init', {}, setup=True)
            assert answer.status == 200, answer
            dag = self.wait_dag(answer.data['id'], FINISHED)
        assert dag['state'] == 'FAILED', dag
        dag = self.client.send('GET', TASK + '/dag/' + dag['id']).data
        self.labels.add_dag('init', dag)
        return dag['id']

    def wait_dag(self, generic_id, states, timeout=120.0, recording=None):
        """Poll ``GET /dag/{id}`` until its state is one of ``states``; the polls are not recorded."""
        if recording is not None:
            recording.wait(self.labels.label('dag', generic_id).strip('{}'), states)
        saved, self.client.recording = self.client.recording, None
        deadline = time.monotonic() + timeout
        try:
            while True:
                answer = self.client.send('GET', TASK + '/dag/%s?show_details=false' % generic_id)
                assert answer.status == 200, answer
                if answer.data['state'] in states:
                    return answer.data
                assert time.monotonic() < deadline, 'DAG %s still %s after %ss' % (
                    generic_id, answer.data['state'], timeout)
                time.sleep(0.2)
        finally:
            self.client.recording = saved
