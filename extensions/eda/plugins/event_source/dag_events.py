# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ansible-rulebook event source oceanbase.obshell.dag_events: OBShell task DAG changes as events."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import asyncio
import os
import sys

DOCUMENTATION = r'''
---
short_description: Events for every change of the OBShell task DAGs of a set of agents
description:
  - An ansible-rulebook event source. It polls OceanBase OBShell agents and puts one event on the queue for each
    change it reads, so that a rulebook can act when a DAG (a scale-out, an upgrade, a tenant creation...) fails,
    however it was started (the obshell command line, OCP, a playbook).
  - "Each event is C({\"obshell\": {\"event\": E, \"agent\": \"ip:port\", \"dag\": <record>, ...}}), with the DAG
    record as M(oceanbase.obshell.dag_info) returns it."
  - "DAG events: C(dag_appeared), C(dag_progressed) (state, operator or node changed), C(dag_succeeded),
    C(dag_failed), C(dag_rolled_back), C(dag_cancelled), C(dag_passed), and C(dag_vanished) (the DAG left the
    unfinished list and the agent no longer knows it, or its id now names another DAG: its end is unknown)."
  - "Agent events: C(agent_unreachable) (an agent could not be read: down, refused, auth, an answer that is not
    OBShell's), C(agent_recovered) (it answers again; C(after) says what it recovered from), and
    C(cluster_unknown) (the agent answers but cannot read the cluster DAGs now, for example while its observer
    restarts; C(cluster_dags_read_from) names the agent that gave them instead, or is null). An agent that cannot
    be read is always an event, never silence."
  - "No verdict without evidence: a DAG that leaves the unfinished list, or that a list shows in a final state,
    gets its final event only from a read of C(/api/v1/task/dag/{id}) that shows that final state. While the DAG
    cannot be read (the agent down, the observer restarting) nothing is said about it, and it is read again at
    the next poll."
  - "C(dag_failed) and C(dag_cancelled) carry C(failure): the same failure report as
    M(oceanbase.obshell.dag_wait) returns in C(failures), with C(follow_up.states) (what the DAG's template
    allows: C(retried), C(rolled_back), C(passed)) and C(follow_up.command). C(dag_failed) also carries
    C(failure_count), how many times this source has seen that DAG fail (a retried DAG that fails again: 2)."
  - The agents are read at the same time (each its own DAGs); the cluster DAGs are read from the first
    C(CLUSTER AGENT) of O(agents) that can give them, and from the next one when it cannot. While none can,
    each agent's identity is read again every poll, so a cluster that forms, or a take-over or scale-out that
    ends, after the source started is seen (one unauthenticated C(GET /api/v1/info) per agent). While one can,
    the other agents' identities are read again every minute, so an agent that becomes a C(CLUSTER AGENT) of
    another cluster makes the cluster DAGs C(cluster_unknown) within a minute. Final DAGs are forgotten once
    reported, so the memory used stays flat however long the source runs.
options:
  agents:
    description:
      - The agents to watch, each V(host) or V(host:port) (V([ipv6]:port) for IPv6), for example all the agents
        of a cluster. A cluster DAG is reported once, not once per agent.
      - The agents of one cluster; while a C(CLUSTER AGENT) of another cluster is among them, the cluster DAGs are
        C(cluster_unknown) (run one source per cluster). The same holds with O(scope=all), where the lists of the
        C(CLUSTER AGENT)s not of the first one's cluster are not taken. The cluster DAGs are never read from an
        agent of another cluster than the one they were read from so far, even when it is the only
        C(CLUSTER AGENT) left (a DAG id there names another DAG).
    type: list
    elements: str
    required: true
  port:
    description:
      - Port of the agents given without one. If not set, E(OBSHELL_PORT), then V(2886).
    type: int
    default: 2886
  password:
    description:
      - Password of the OceanBase C(root@sys) user. If not set, E(OBSHELL_PASSWORD).
      - Keep it out of the rulebook, for example in the environment of ansible-rulebook or a vault.
    type: str
  agent_password:
    description:
      - The OBShell agent password (4.2.6.0 and later). If not set, E(OBSHELL_AGENT_PASSWORD).
    type: str
  use_tls:
    description:
      - Talk HTTPS to the agents. If not set, E(OBSHELL_USE_TLS).
    type: bool
    default: false
  validate_certs:
    description:
      - Verify the agents' TLS certificates. If not set, E(OBSHELL_VALIDATE_CERTS).
    type: bool
    default: true
  ca_path:
    description:
      - PEM file (or directory) of the CA certificates that signed the agents' certificates; exactly these are
        trusted. If not set, E(OBSHELL_CA_PATH).
    type: path
  client_cert:
    description:
      - PEM client certificate, for agents that require mutual TLS. If not set, E(OBSHELL_CLIENT_CERT).
    type: path
  client_key:
    description:
      - PEM private key of O(client_cert), if not in the same file. If not set, E(OBSHELL_CLIENT_KEY).
    type: path
  request_timeout:
    description:
      - Seconds one HTTP request may take. If not set, E(OBSHELL_REQUEST_TIMEOUT).
    type: float
    default: 10
  auth_version:
    description:
      - V(auto), V(v1) (OBShell 4.2.2) or V(v2). If not set, E(OBSHELL_AUTH_VERSION).
    type: str
    default: auto
    choices: [auto, v1, v2]
  use_proxy:
    description:
      - Use the proxy the environment names (E(HTTP_PROXY), E(HTTPS_PROXY), E(NO_PROXY)). If not set,
        E(OBSHELL_USE_PROXY).
    type: bool
    default: true
  poll_interval:
    description:
      - Seconds between the starts of two polls (at least V(0.5)). A change is seen within one interval.
    type: float
    default: 5
  scope:
    description:
      - Which unfinished DAGs to watch, as in M(oceanbase.obshell.dag_wait).
      - V(auto) reads the cluster DAGs (from one C(CLUSTER AGENT)) and each agent's own DAGs; V(cluster) only the
        cluster DAGs; V(agent) only each agent's own DAGs; V(all) each agent's aggregated list (believed only
        while its observer is available; otherwise the event is C(cluster_unknown)).
    type: str
    default: auto
    choices: [auto, cluster, agent, all]
  names:
    description:
      - Watch only DAGs whose name equals one of these entries, or which an entry, as a Python regular
        expression, matches anywhere, as in M(oceanbase.obshell.dag_wait).
    type: list
    elements: str
notes:
  - Requests are not retried within a poll; a failed read is an event, and the next poll reads again.
  - A bad argument stops the source at once with a message naming it.
  - The first poll reports what is unfinished now (C(dag_appeared), or C(dag_failed) for a failed maintenance DAG
    that still holds the cluster), so a failure that happened before the source started is not missed.
requirements:
  - ansible-rulebook, and in its Python environment ansible-core, requests and cryptography
'''

EXAMPLES = r'''
- name: React to any failed DAG on any agent of the cluster
  hosts: all
  sources:
    - oceanbase.obshell.dag_events:
        agents: [10.0.0.1, 10.0.0.2, 10.0.0.3]
  rules:
    - name: A DAG failed
      condition: event.obshell.event == "dag_failed"
      action:
        debug:
          msg: "{{ event.obshell.failure.summary }}"

- name: Retry once what may be retried, only report the rest
  hosts: all
  sources:
    - oceanbase.obshell.dag_events:
        agents: ["10.0.0.1:2886", "10.0.0.2:2886"]
        poll_interval: 10
        names: ["^Cluster scale out$", "^OB rolling upgrade"]
  rules:
    - name: Retry a failure its template allows to retry, unless already retried
      condition: >-
        event.obshell.event == "dag_failed"
        and "retried" in event.obshell.failure.follow_up.states
        and event.obshell.failure_count == 1
      action:
        run_playbook:
          name: oceanbase.obshell.eda_retry_dag
    - name: Agents that cannot be read
      condition: event.obshell.event in ["agent_unreachable", "cluster_unknown"]
      action:
        print_event:
'''


def _collection_importable():
    """Make ``ansible_collections.oceanbase.obshell`` importable from this file's own collection tree.

    ansible-rulebook runs this file with runpy from the collection that ``ansible-galaxy collection list`` found
    (…/ansible_collections/oceanbase/obshell/extensions/eda/plugins/event_source/); the directory holding that
    ``ansible_collections`` is not on sys.path in ansible-rulebook's process, so it is added (PEP 420 namespace
    packages then resolve the collection's Python code)."""
    try:
        import ansible_collections.oceanbase.obshell.plugins.module_utils._options  # noqa: F401 pylint: disable=unused-import
        return
    except ImportError:
        pass
    here = os.path.dirname(os.path.abspath(__file__))
    parts = here.split(os.sep)
    for index in range(len(parts) - 2, 0, -1):
        if parts[index:index + 3] == ['ansible_collections', 'oceanbase', 'obshell']:
            root = os.sep.join(parts[:index]) or os.sep
            if root not in sys.path:
                sys.path.append(root)
            for name in [module for module in sys.modules if module == 'ansible_collections'
                         or module.startswith('ansible_collections.')]:
                if getattr(sys.modules[name], '__file__', None) is None:
                    # A namespace package imported before the path was added: import it again from the new path.
                    del sys.modules[name]
            return
    raise ImportError('oceanbase.obshell.dag_events: cannot find the collection oceanbase.obshell around %s; '
                      'install it (ansible-galaxy collection install) or put it on a collections path' % here)


_collection_importable()

# pylint: disable=wrong-import-position
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator  # noqa: E402

from ansible_collections.oceanbase.obshell.plugins.module_utils import _dag_id, _dag_lists, _options  # noqa: E402
from ansible_collections.oceanbase.obshell.plugins.plugin_utils import _dag_poller  # noqa: E402

_CONNECTION = ('port', 'password', 'agent_password', 'use_tls', 'validate_certs', 'ca_path', 'client_cert',
               'client_key', 'request_timeout', 'auth_version', 'use_proxy')


def argument_spec():
    """The arguments: the connection options of the collection (with their OBSHELL_* fallbacks), agents,
    poll_interval, scope and names."""
    spec = dict((name, option) for name, option in _options.argument_spec().items() if name in _CONNECTION)
    spec.update(
        agents=dict(type='list', elements='str', required=True),
        poll_interval=dict(type='float', default=5.0),
        scope=dict(_options.LIST_SPEC['scope']),
        names=dict(_options.LIST_SPEC['names']),
    )
    return spec


def validate(args):
    """Validated arguments, or ValueError with every problem, each naming its argument."""
    args = dict((name, value) for name, value in (args or {}).items() if name != 'eda_feedback_queue')
    result = ArgumentSpecValidator(argument_spec()).validate(args)
    errors = [str(message) for message in result.error_messages]
    values = result.validated_parameters
    if not errors:
        errors.extend(_options.check_connection_options(values))
        errors.extend(_options.check_wait_options({'poll_interval': values['poll_interval']}))
        agents = values['agents']
        if not agents:
            errors.append('agents must list at least one agent (host or host:port)')
        addresses = []
        for agent in agents or []:
            # The one host parser of the collection (the inventory's seeds, the lookup's terms).
            try:
                host, port = _options.parse_agent(agent, values['port'], option='agents')
            except ValueError as exc:
                errors.append(str(exc))
                continue
            address = _dag_id.format_address(host, port)
            if address in [known[2] for known in addresses]:
                errors.append('agents: %s is listed twice' % address)
            addresses.append((host, port, address))
        values['_addresses'] = addresses
        try:
            _dag_lists.compile_name_filter(values.get('names'))
        except ValueError as exc:
            errors.append(str(exc))
    if errors:
        raise ValueError('oceanbase.obshell.dag_events: %s' % '; '.join(errors))
    return values


def poller(values):
    """An EventPoller for validated arguments: two clients per agent (its own DAGs and the cluster DAGs are read
    in different threads), no retries inside a poll (the next poll is the retry)."""
    agents = []
    for host, port, address in values['_addresses']:
        clients = [_options.client_from_options(values, host=host, port=port, retries=0) for dummy in range(2)]
        agents.append(_dag_poller.Agent(address, clients[0], clients[1]))
    return _dag_poller.EventPoller(agents, scope=values['scope'], names=values.get('names'),
                                   request_timeout=values['request_timeout'])


async def main(queue, args):
    """Poll the agents every poll_interval and put one event on ``queue`` per change, until cancelled."""
    values = validate(args)
    source = poller(values)
    loop = asyncio.get_running_loop()
    interval = float(values['poll_interval'])
    try:
        while True:
            started = loop.time()
            events = await loop.run_in_executor(None, source.poll)
            for event in events:
                await queue.put(event)
            await asyncio.sleep(max(0.0, started + interval - loop.time()))
    finally:
        source.close()


if __name__ == '__main__':
    # Run by hand: python dag_events.py HOST[:PORT]... prints the events (password from OBSHELL_PASSWORD).
    class _PrintQueue(object):
        async def put(self, event):
            print(event)

    asyncio.run(main(_PrintQueue(), {'agents': sys.argv[1:]}))
