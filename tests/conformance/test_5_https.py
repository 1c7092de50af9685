# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""HTTPS with the agent's own certificate: an agent with a key and certificate in <home>/ca serves HTTPS only
(global/variable.go, api/web/server.go). The real agent is checked over HTTPS when OBSHELL_REAL_AGENT_CA names the
CA of its certificate (then the whole suite runs over HTTPS); the simulator always, with a test CA."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import http.client
import os

import pytest

from tests.conformance._agent import CA_VARIABLE, DEFAULT_PASSWORD, PASSWORD_VARIABLE, TASK, real_agent_address
from tests.conformance._envelope import check_error, check_ok
from tests.simulator import SimCluster
from tests.simulator.rawclient import RawClient, tls_client_context


@pytest.fixture(params=['simulator', pytest.param('real', marks=pytest.mark.real_agent(https=True))])
def https_agent(request, sim_pki):
    """(host, port, CA, agent password or None) of an agent that serves HTTPS."""
    if request.param == 'real':
        host, port = real_agent_address()
        ca = os.environ[CA_VARIABLE]
        probe = RawClient(host, port, tls_context=tls_client_context(ca))
        try:
            security = probe.request('GET', '/api/v1/info').data['security']
        finally:
            probe.close()
        yield host, port, ca, (os.environ.get(PASSWORD_VARIABLE) or DEFAULT_PASSWORD) if security else None
        return
    tls = {'cert': sim_pki['server_cert'], 'key': sim_pki['server_key']}
    sim = SimCluster(agents=1, identities='SINGLE', base_port=0, tls=tls)
    sim.start()
    try:
        yield sim.agents[0].host, sim.agents[0].port, sim_pki['ca'], None
    finally:
        sim.stop()


def test_https_with_the_agents_own_certificate(https_agent):
    host, port, ca, agent_password = https_agent
    client = RawClient(host, port, tls_context=tls_client_context(ca))
    try:
        info = check_ok(client.request('GET', '/api/v1/info'))
        assert (info['ip'], info['port']) == (host, port)
        header = 'X-OCS-Agent-Header' if agent_password else 'X-OCS-Header'
        check_ok(client.get(TASK + '/dag/agent/unfinish?show_details=false', header=header,
                            password=agent_password or ''))
        check_error(client.get(TASK + '/dag/ob/unfinish', header=header, password=agent_password or ''), 500,
                    'Common.Unexpected', 'Unexpected error: ocsagent cannot build response body')
    finally:
        client.close()
    # plain HTTP to the HTTPS port: Go's own 400 answer, not an agent envelope
    plain = http.client.HTTPConnection(host, port, timeout=10)
    try:
        plain.request('GET', '/api/v1/info')
        answer = plain.getresponse()
        assert answer.status == 400
        assert answer.read() == b'Client sent an HTTP request to an HTTPS server.\n'
    finally:
        plain.close()
