# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
name: unfinished_dags
short_description: Unfinished OBShell task DAGs of one or many agents, asked from the controller
version_added: 1.0.0
description:
  - Asks each OBShell agent named in the terms for its unfinished task DAGs, all agents at once from the
    controller (a bounded pool of threads), and returns one flat list of normalized DAG records.
  - A cluster DAG reported by several agents of the same cluster appears once.
  - Each record carries C(agent), the C(ip:port) that answered.
author:
  - OceanBase obshell collection contributors (@oceanbase)
options:
  _terms:
    description:
      - Agents to ask, as C(host) or C(host:port); IPv6 literals in brackets, e.g. C([::1]:2886).
      - Without terms, the agent in O(host)/O(port) is asked.
    type: list
    elements: str
    required: false
  on_unreachable:
    description:
      - What to do when an agent cannot be reached (refused, timed out, TLS failure, 5xx after retries).
      - V(error) fails the lookup, naming every agent that failed and why; V(warn) prints a warning per agent and
        returns the others' DAGs; V(skip) returns the others' DAGs silently.
      - Wrong passwords and answers that are not from an OBShell agent always fail the lookup.
    type: str
    default: error
    choices: [error, warn, skip]
    ini:
      - section: oceanbase_obshell
        key: on_unreachable
    vars:
      - name: obshell_on_unreachable
  max_workers:
    description:
      - How many agents are asked at the same time.
    type: int
    default: 32
extends_documentation_fragment:
  - oceanbase.obshell.connection
  - oceanbase.obshell.connection.plugins
  - oceanbase.obshell.query
notes:
  - The lookup runs on the controller, so E(OBSHELL_PASSWORD) and E(OBSHELL_AGENT_PASSWORD) are read from the
    controller's environment.
  - Lookups are evaluated per host and per use; for a cluster-wide question use C(run_once) or C(set_fact).
  - Use C(query()) or C(lookup(..., wantlist=True)) to always get a list.
seealso:
  - module: oceanbase.obshell.dag_info
  - module: oceanbase.obshell.dag_wait
'''

EXAMPLES = r'''
- name: Refuse to start when any observer's agent has unfinished DAGs
  ansible.builtin.assert:
    that: query('oceanbase.obshell.unfinished_dags', *groups['observers']) | length == 0
    fail_msg: "Busy: {{ query('oceanbase.obshell.unfinished_dags', *groups['observers']) | map(attribute='name') | join(', ') }}"
  run_once: true

- name: Show running scale-outs with their progress
  ansible.builtin.debug:
    msg: "{{ item.agent }} {{ item.name }} {{ item.progress }} {{ item.current_node }}"
  loop: "{{ query('oceanbase.obshell.unfinished_dags', '10.0.0.1:2886', '10.0.0.2', names=['Cluster scale out']) }}"

- name: Tolerate an agent that is down
  ansible.builtin.set_fact:
    busy: "{{ query('oceanbase.obshell.unfinished_dags', *groups['observers'], on_unreachable='warn') }}"
'''

RETURN = r'''
_list:
  description:
    - Normalized DAG records (the same fields as C(dags) of M(oceanbase.obshell.dag_info)), each with C(agent),
      cluster DAGs once, and C(seen_on) listing every agent that reported a DAG.
  type: list
  elements: dict
'''

from concurrent.futures import ThreadPoolExecutor

from ansible.errors import AnsibleLookupError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display

from ansible_collections.oceanbase.obshell.plugins.module_utils import _client, _crypto, _dag, _options, _query
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import (
    ObshellConnectionError,
    ObshellError,
    ObshellServerError,
)

display = Display()


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        if '_terms' in kwargs:
            raise AnsibleLookupError('give the agents as positional terms, not as _terms=')
        self.set_options(var_options=variables, direct=kwargs)
        if not _crypto.HAS_CRYPTOGRAPHY:
            raise AnsibleLookupError('the Python library cryptography must be installed on the controller')

        params = dict((name, self.get_option(name)) for name in _options.CONNECTION_OPTION_NAMES)
        problems = _options.check_connection_options(params)
        if problems:
            raise AnsibleLookupError('; '.join(problems))
        scope = self.get_option('scope')
        details = self.get_option('details')
        try:
            name_filter = _dag.compile_name_filter(self.get_option('names'))
        except ValueError as exc:
            raise AnsibleLookupError('unfinished_dags: %s' % to_native(exc))
        on_unreachable = self.get_option('on_unreachable')
        max_workers = self.get_option('max_workers')
        if max_workers < 1:
            raise AnsibleLookupError('max_workers must be at least 1, got %s' % max_workers)

        agents = []
        for term in terms or [None]:
            if term is None:
                agents.append((params['host'], params['port']))
                continue
            try:
                agents.append(_client.parse_address(to_native(term), default_port=params['port']))
            except ValueError as exc:
                raise AnsibleLookupError('unfinished_dags: bad agent term: %s' % to_native(exc))

        clients = {}

        def ask(agent):
            """The agent's matching unfinished DAGs, in summary form (one small read when nothing runs)."""
            host, port = agent
            client = clients[agent] = _options.client_from_options(params, host=host, port=port)
            return _query.list_unfinished(client, scope=scope, name_filter=name_filter, with_details=False)

        def read_details(agent, scope_used):
            """The agent's unfinished DAGs with their nodes (current node, failure), as records by id."""
            client = clients[agent]
            records = [_query.normalize_record(client, dto, client.agent, details)
                       for dto in client.unfinished_dags(scope_used, show_details=True)]
            return dict((record['id'], record) for record in records)

        unreachable, failures = [], []

        def collect(agent, future):
            label = _client.format_address(*agent)
            try:
                return future.result()
            except (ObshellConnectionError, ObshellServerError) as exc:
                unreachable.append('%s (%s)' % (label, exc.message))
            except ObshellError as exc:
                failures.append(str(exc))
            return None

        listed, detailed, failed = [], {}, set()
        try:
            with ThreadPoolExecutor(max_workers=min(max_workers, len(agents))) as pool:
                for agent, future in [(agent, pool.submit(ask, agent)) for agent in agents]:
                    answer = collect(agent, future)
                    if answer is not None:
                        listed.append((agent, answer[0], answer[1]))
                # A cluster DAG is listed by every agent of the cluster: its details (the bulky part) are read
                # once, from the first agent that listed it, not once per agent. That agent's detailed list also
                # covers every other DAG it listed.
                detail_reads, covered = [], set()
                for agent, scope_used, agent_records in listed:
                    ids = set(record['id'] for record in agent_records)
                    if ids - covered:
                        covered |= ids
                        detail_reads.append((agent, pool.submit(read_details, agent, scope_used)))
                for agent, future in detail_reads:
                    answer = collect(agent, future)
                    if answer is None:
                        failed.add(agent)      # counted as this agent failing, as if its list had failed
                        continue
                    for dag_id, record in answer.items():
                        detailed.setdefault(dag_id, record)
        finally:
            for client in clients.values():
                client.close()
        records = [record for agent, dummy, agent_records in listed if agent not in failed
                   for record in agent_records]
        if failures:
            raise AnsibleLookupError('unfinished_dags: %s' % '; '.join(failures + unreachable))
        if unreachable:
            text = 'cannot reach %d of %d OBShell agents: %s' % (len(unreachable), len(agents), '; '.join(unreachable))
            if on_unreachable == 'error':
                raise AnsibleLookupError('unfinished_dags: ' + text)
            if on_unreachable == 'warn':
                display.warning('unfinished_dags: ' + text)
        result = []
        for record in _dag.dedupe(records):
            # A DAG that finished between the two reads keeps its summary form.
            full = dict(detailed.get(record['id'], record))
            full['agent'] = record['agent']
            full['seen_on'] = record['seen_on']
            result.append(full)
        return result
