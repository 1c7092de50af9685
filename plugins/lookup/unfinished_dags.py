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
  - With O(scope=auto), every agent is asked for its own DAGs, and the cluster DAGs are asked once, of the first
    C(CLUSTER AGENT) among the terms that can read them (the next one if it cannot). While no agent can read the
    cluster DAGs (their observers are down), the lookup fails, saying "cluster DAGs unknown"; it never answers as if
    the cluster were idle.
  - Each record carries C(agent), the C(ip:port) that answered, and C(seen_on).
  - A snapshot of what is unfinished when it asks; it cannot see a DAG that started and ended before (a failed
    C(Stop OB) leaves the unfinished list at once). To learn how an operation ended, wait on it with
    M(oceanbase.obshell.dag_wait), which reads the agents' history for what it could not see.
author:
  - OceanBase obshell collection contributors (@oceanbase)
options:
  _terms:
    description:
      - Agents to ask. Each term is an inventory host name, or an agent address C(host) or C(host:port) (IPv6
        literals in brackets, e.g. C([::1]:2886)).
      - An inventory host is asked with its own settings, by the precedence M(oceanbase.obshell.dag_wait) applies
        to each host of O(oceanbase.obshell.dag_wait#module:hosts) - each connection option given to the lookup,
        else the host's C(obshell_<option>) variable (C(obshell_password), C(obshell_port), C(obshell_use_tls)...),
        else E(OBSHELL_<OPTION>), else C(ansible.cfg), else the default. Its address is its C(obshell_host),
        else E(OBSHELL_HOST), else its C(ansible_host), else its name (O(host) is not used for it). So
        C(query('oceanbase.obshell.unfinished_dags', *groups['observers'])) asks every observer's agent where, and
        as, the inventory says. Two inventory hosts that come out at one address and port fail the lookup (one
        agent cannot answer for both).
      - The terms are the agents of one cluster; a C(CLUSTER AGENT) of another cluster among them fails the lookup
        (the cluster DAGs are read from one C(CLUSTER AGENT), and ids repeat across clusters).
      - An address term is asked with the lookup's own settings. A term with a scheme (C(http://...)), a path or
        spaces is refused, saying what to give instead.
      - Without terms, the agent in O(host)/O(port) is asked.
    type: list
    elements: str
    required: false
  on_unreachable:
    description:
      - What to do when an agent cannot be reached (refused, timed out, TLS failure, 5xx after retries).
      - V(error) fails the lookup, naming every agent that failed and why; V(warn) prints a warning per agent and
        returns the others' DAGs; V(skip) returns the others' DAGs silently.
      - Wrong passwords, answers that are not from an OBShell agent, and cluster DAGs that no agent can read
        always fail the lookup. So does an empty answer without evidence - when no agent answered at all, or, with
        O(scope=auto) or O(scope=cluster), when no C(CLUSTER AGENT) answered while some agent could not be
        reached (it may be the one that holds the cluster DAGs).
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
      - How many agents are asked at the same time, from 1 to 1024. 64 keeps a fan-out over 100 agents within
        about 3 times the time of one when round trips dominate; each worker is one thread holding one connection
        on the controller.
    type: int
    default: 64
extends_documentation_fragment:
  - oceanbase.obshell.connection
  - oceanbase.obshell.connection.plugins
  - oceanbase.obshell.query
notes:
  - The lookup runs on the controller, so the C(OBSHELL_*) environment variables and the TLS files are read
    there, and the task's C(environment:) does not apply.
  - Lookups are evaluated per host and per use; for a cluster-wide question use C(run_once) or C(set_fact).
  - Use C(query()) or C(lookup(..., wantlist=True)) to always get a list.
  - A keyword the lookup does not know (a typo such as C(nmes=)) fails it, naming the closest option.
seealso:
  - module: oceanbase.obshell.dag_info
  - module: oceanbase.obshell.dag_wait
'''

EXAMPLES = r'''
- name: Refuse to start when any observer's agent has unfinished DAGs
  ansible.builtin.assert:
    that: busy | length == 0
    fail_msg: "Busy: {{ busy | map(attribute='name') | join(', ') }}"
  vars:
    busy: "{{ query('oceanbase.obshell.unfinished_dags', *groups['observers']) }}"
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
    - Normalized DAG records (the same fields as C(dags) of M(oceanbase.obshell.dag_info)), cluster DAGs once.
  type: list
  elements: dict
  contains:
    id:
      description: Generic id of the DAG (C(1...) for cluster DAGs, C(2...)/C(3...) for agent DAGs, C(4...)/C(5...) for obproxy DAGs).
      type: str
      sample: "11"
    dag_id:
      description: Id of the DAG in its own table.
      type: int
      sample: 1
    name:
      description: DAG name.
      type: str
      sample: Cluster scale out
    state:
      description: C(READY), C(RUNNING), C(FAILED), C(SUCCEED) or C(PENDING).
      type: str
      sample: RUNNING
    operator:
      description: C(RUN), C(RETRY), C(ROLLBACK), C(CANCEL) or C(PASS).
      type: str
      sample: RUN
    stage:
      description: 1-based index of the current node.
      type: int
      sample: 3
    max_stage:
      description: Number of nodes.
      type: int
      sample: 9
    progress:
      description: C(stage/max_stage).
      type: str
      sample: 3/9
    current_node:
      description: Name of the current node (null when the agent returned no nodes).
      type: str
      sample: Wait scale out ready
    current_node_state:
      description: State of the current node (null when the agent returned no nodes).
      type: str
      sample: RUNNING
    start_time:
      description: When the DAG started (agent time, RFC 3339).
      type: str
    end_time:
      description: When the DAG finished; null while it runs.
      type: str
    elapsed_seconds:
      description: Seconds since the start (or from start to end once finished).
      type: float
    maintenance:
      description:
        - C(global), C(tenant), C(obproxy), C(none) or C(not_bootstrap); null when neither the agent nor the known
          templates say.
        - A failed maintenance DAG keeps the cluster locked until it is retried, rolled back or passed.
      type: str
    maintenance_source:
      description: Where C(maintenance) comes from - C(agent) (4.3.1 and later send it) or C(template) (the known
        templates, for older agents); null when unknown.
      type: str
    maintenance_key:
      description: The tenant of a tenant maintenance DAG; null otherwise.
      type: str
    kind:
      description: C(cluster) or C(agent), from the generic id.
      type: str
    agent:
      description: The C(ip:port) of the agent that answered.
      type: str
    outcome:
      description: C(running), C(succeeded), C(failed), C(rolled_back), C(passed) (a node was passed, not done) or C(canceled).
      type: str
    failure:
      description: For a FAILED DAG, the failed node and each failed sub-task with its agent, log tail and error; null otherwise.
      type: dict
      contains:
        node:
          description: The failed node; null if the nodes were not read.
          type: dict
          contains:
            id:
              description: Generic id of the node.
              type: str
            name:
              description: Node name.
              type: str
            stage:
              description: 1-based position of the node.
              type: int
        sub_tasks:
          description: The failed sub-tasks of that node.
          type: list
          elements: dict
          contains:
            id:
              description: Generic id of the sub-task.
              type: str
            name:
              description: Sub-task name.
              type: str
            agent:
              description: The C(ip:port) of the agent that ran it.
              type: str
            execute_times:
              description: How many times it ran.
              type: int
            log_tail:
              description: Its last log lines (long lines cut, saying so).
              type: list
              elements: str
            error:
              description: The last C(ERROR:) line of its logs; null when there is none.
              type: dict
              contains:
                code:
                  description: The agent's error code (4.3.1 and later), e.g. C(Common.Unexpected); null for older agents.
                  type: str
                message:
                  description: The error text.
                  type: str
        summary:
          description: One line naming the DAG, the node, the agents and the errors.
          type: str
        canceled:
          description: Whether the DAG was canceled rather than failed.
          type: bool
    passed_nodes:
      description:
        - The nodes that ended C(SUCCEED) with operator C(PASS), skipped rather than done; null when the nodes were
          not read (a summary read of a running DAG).
      type: list
      elements: dict
      contains:
        id:
          description: Generic id of the node.
          type: str
        name:
          description: Node name.
          type: str
        stage:
          description: 1-based position of the node.
          type: int
    nodes:
      description: Every node with its sub-tasks; only when the nodes were read in full (C(details=full)).
      returned: with details=full
      type: list
      elements: dict
      contains:
        id:
          description: Generic id of the node.
          type: str
        node_id:
          description: Id of the node in its DAG's table.
          type: int
        name:
          description: Node name.
          type: str
        stage:
          description: 1-based position of the node.
          type: int
        state:
          description: Node state.
          type: str
        operator:
          description: Node operator.
          type: str
        start_time:
          description: When the node started (RFC 3339).
          type: str
        end_time:
          description: When it finished; null while it runs.
          type: str
        sub_tasks:
          description: The node's sub-tasks, one per agent that runs it.
          type: list
          elements: dict
          contains:
            id:
              description: Generic id of the sub-task.
              type: str
            task_id:
              description: Id of the sub-task in its table.
              type: int
            name:
              description: Sub-task name.
              type: str
            state:
              description: Sub-task state.
              type: str
            operator:
              description: Sub-task operator.
              type: str
            execute_times:
              description: How many times it ran.
              type: int
            agent:
              description: The C(ip:port) of the agent that runs it.
              type: str
            logs:
              description: Its log lines.
              type: list
              elements: str
    extra:
      description: Fields of the agent's record this collection does not interpret, and C(additional_data).
      type: dict
      contains:
        additional_data:
          description: The agent's C(additional_data) of the DAG, when it sent some.
          type: raw
    seen_on:
      description: Every agent that listed this DAG (a cluster DAG is listed once, by the first cluster agent asked).
      type: list
      elements: str'''

import difflib
import os
from concurrent.futures import ThreadPoolExecutor

from ansible import constants as C
from ansible.errors import AnsibleError, AnsibleLookupError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display

from ansible_collections.oceanbase.obshell.plugins.module_utils import (
    _crypto, _dag_id, _dag_lists, _http_route, _options, _query, _text)
from ansible_collections.oceanbase.obshell.plugins.module_utils._cluster import CLUSTER_AGENT
from ansible_collections.oceanbase.obshell.plugins.module_utils._cluster_dags import (
    no_cluster_agent,
    other_clusters,
    pending_error,
    read_cluster_dags,
)
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import (
    ObshellConnectionError,
    ObshellError,
    ObshellServerError,
)

display = Display()

MAX_WORKERS = 1024


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        if '_terms' in kwargs:
            raise AnsibleLookupError('give the agents as positional terms, not as _terms=')
        self._refuse_unknown(kwargs)
        self.set_options(var_options=self._filled_in(variables or {}), direct=kwargs)
        if not _crypto.HAS_CRYPTOGRAPHY:
            raise AnsibleLookupError('the Python library cryptography must be installed on the controller')
        if not _http_route.HAS_REQUESTS:
            raise AnsibleLookupError('the Python library requests must be installed on the controller')
        scope = self.get_option('scope')
        details = self.get_option('details')
        try:
            name_filter = _dag_lists.compile_name_filter(self.get_option('names'))
        except ValueError as exc:
            raise AnsibleLookupError('unfinished_dags: %s' % to_native(exc))
        on_unreachable = self.get_option('on_unreachable')
        max_workers = self.get_option('max_workers')
        if not 1 <= max_workers <= MAX_WORKERS:
            raise AnsibleLookupError('unfinished_dags: max_workers must be between 1 and %d, got %s'
                                     % (MAX_WORKERS, max_workers))
        settings = self._settings(terms, kwargs, variables or {})
        agents = [agent for agent, dummy in settings]

        clients = dict((agent, _options.client_from_options(values, host=agent[0], port=agent[1]))
                       for agent, values in settings)
        unreachable, failures, listed = [], [], []
        own = 'all' if scope == 'all' else 'agent'
        try:
            with ThreadPoolExecutor(max_workers=min(max_workers, len(agents))) as pool:
                futures = [(agent, pool.submit(self._ask, clients[agent], own if scope != 'cluster' else None,
                                               name_filter, details)) for agent in agents]
                for agent, future in futures:
                    answer = self._collect(agent, future, unreachable, failures)
                    if answer is not None:
                        listed.append((agent, answer))
            if scope in ('auto', 'cluster') and not failures:
                listed.extend(self._cluster(agents, clients, listed, scope, name_filter, details, failures,
                                            unreachable))
            if scope == 'all' and not failures:
                # Each aggregated list holds its cluster's DAGs, under ids that another cluster also uses.
                self._one_cluster(clients, [agent for agent, dummy in listed if clients[agent].identity ==
                                            CLUSTER_AGENT][:1], [agent for agent, dummy in listed], failures)
        finally:
            for client in clients.values():
                client.close()
        if unreachable and not listed and not failures:
            # Nothing was read: an empty list here would say "nothing unfinished" without any evidence.
            failures.append('none of the %d OBShell agents asked could be reached, so nothing could be read'
                            % len(agents))
        # What an agent said is printed as Ansible prints an error or a warning, raw to the terminal: escaped, so
        # that an agent cannot erase the line and print a result of its own (found by the red team).
        if failures:
            raise AnsibleLookupError('unfinished_dags: %s' % _text.printable('; '.join(failures + unreachable)))
        if unreachable:
            text = 'cannot reach %d of %d OBShell agents: %s' % (
                len(unreachable), len(agents), _text.printable('; '.join(unreachable)))
            if on_unreachable == 'error':
                raise AnsibleLookupError('unfinished_dags: ' + text)
            if on_unreachable == 'warn':
                display.warning('unfinished_dags: ' + text)
        return _dag_lists.dedupe([record for dummy_agent, records in listed for record in records])

    def _refuse_unknown(self, kwargs):
        """A keyword that is not an option of this lookup (a typo: ``nmes=``) would be dropped by Ansible's config
        system, and the lookup would answer a question that was not asked: refuse it, naming the closest."""
        known = set(C.config.get_configuration_definitions(self.plugin_type, self._load_name) or ()) - set(['_terms'])
        unknown = sorted(name for name in kwargs if name not in known)
        if not unknown:
            return
        problems = []
        for name in unknown:
            close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
            problems.append('unknown option %r%s' % (name, ' (did you mean %r?)' % close[0] if close else ''))
        raise AnsibleLookupError('unfinished_dags: %s; the options are %s'
                                 % ('; '.join(problems), ', '.join(sorted(known))))

    def _settings(self, terms, kwargs, variables):
        """[((host, port), connection values)], one per agent to ask, in the order of the terms.

        An inventory host's values come from _options.resolve, as for each host of dag_wait's ``hosts``: an option
        given to the lookup, else the host's own obshell_* variable, else the play's, else OBSHELL_*, else the
        lookup's ini setting, else the default; its address is obshell_host, else OBSHELL_HOST, else ansible_host,
        else its name, never the lookup's ``host``."""
        own = _options.plugin_values(self)
        problems = _options.check_connection_options(own)
        if problems:
            raise AnsibleLookupError('unfinished_dags: %s' % '; '.join(problems))
        hostvars = variables.get('hostvars') or {}
        host_terms = [to_native(term) for term in terms or () if term is not None and to_native(term) in hostvars]
        if host_terms:
            shared = _options.play_scoped(variables)
            configured = self._configured(variables, kwargs)
            given = dict((name, value) for name, value in kwargs.items()
                         if name != 'host' and name in _options.CONNECTION_SPEC)
        settings, seen, of_hosts = [], set(), []
        for index, term in enumerate(terms or [None]):
            if term is None:
                values = own
                agent = (own['host'] or _options.LOCAL_AGENT, own['port'])
            elif to_native(term) in hostvars:
                term = to_native(term)
                own, template = _options.host_scope(self._templar, hostvars, term, shared)
                try:
                    resolved = _options.resolve(given, own, os.environ, _options.CONNECTION_SPEC, host_name=term,
                                                shared_vars=shared, configured=configured, template=template)
                except AnsibleError as exc:
                    raise AnsibleLookupError('unfinished_dags: an obshell_* variable of the inventory host %s cannot '
                                             'be filled in: %s' % (term, to_native(exc)))
                values, problems = _options.validate(resolved, _options.CONNECTION_SPEC)
                if problems:
                    raise AnsibleLookupError('unfinished_dags: the settings of the inventory host %s: %s'
                                             % (term, '; '.join(problems)))
                agent = (str(values['host']).strip('[]'), values['port'])
                of_hosts.append((term, agent))
            else:
                values = own
                try:
                    agent = _options.parse_agent(to_native(term), default_port=own['port'],
                                                 option='term %d' % (index + 1))
                except ValueError as exc:
                    raise AnsibleLookupError('unfinished_dags: %s (or name an inventory host)' % to_native(exc))
            if agent not in seen:
                seen.add(agent)
                settings.append((agent, values))
        problems = _options.one_agent_per_host(of_hosts)
        if problems:
            raise AnsibleLookupError('unfinished_dags: %s' % '; '.join(problems))
        return settings

    def _filled_in(self, variables):
        """The variables with the obshell_* ones filled in (Ansible's config system takes a variable as it is, and
        a play's ``obshell_port: "{{ my_port }}"`` was refused as not an int)."""
        filled = dict(variables)
        for name in _options.CONNECTION_SPEC:
            key = 'obshell_' + name
            if variables.get(key) is not None:
                try:
                    filled[key] = self._templar.template(variables[key])
                except AnsibleError as exc:
                    raise AnsibleLookupError('unfinished_dags: the variable %s cannot be filled in: %s'
                                             % (key, to_native(exc)))
        return filled

    def _configured(self, variables, kwargs):
        """The lookup's connection settings from Ansible's config alone (ansible.cfg, the defaults): what an
        inventory host falls back to after its variables and the environment."""
        self.set_options(var_options={}, direct={})
        try:
            return _options.plugin_values(self)
        finally:
            self.set_options(var_options=self._filled_in(variables), direct=kwargs)

    @staticmethod
    def _ask(client, endpoint, name_filter, details):
        """The agent's identity, and its own matching unfinished DAGs (with details when something matched)."""
        identity = client.identity
        if endpoint is None:
            return identity, []
        dummy, records = _query.list_unfinished(client, name_filter=name_filter, details=details, plan=[endpoint])
        return identity, records

    @staticmethod
    def _collect(agent, future, unreachable, failures):
        label = _dag_id.format_address(*agent)
        try:
            identity, records = future.result()
            return records if identity is not None else []
        except (ObshellConnectionError, ObshellServerError) as exc:
            unreachable.append('%s (%s)' % (label, exc.message))
        except ObshellError as exc:
            failures.append(str(exc))
        return None

    @staticmethod
    def _one_cluster(clients, source, asked, failures):
        """Whether the CLUSTER AGENTs among ``asked`` are all of the cluster of ``source`` ([agent], or [] for
        none): the cluster DAGs are read from one, and another cluster's would not be seen (_cluster_dags)."""
        if not source:
            return True
        source_client = clients[source[0]]
        try:
            problem, pending = other_clusters(source_client, [clients[agent] for agent in asked if agent != source[0]],
                                              lambda client: client.address)
        except (ObshellError, ValueError) as exc:
            problem, pending = exc, []
        if problem is None and pending:
            # A snapshot cannot wait for it to join: the DAGs of the cluster it belongs to are unknown now.
            problem = pending_error(source_client, pending, lambda client: client.address)
        if problem is not None:
            failures.append(str(problem))
            return False
        return True

    @staticmethod
    def _cluster(agents, clients, listed, scope, name_filter, details, failures, unreachable):
        """The cluster DAGs, once: from the first CLUSTER AGENT that can read them, else the next
        (_cluster_dags.read_cluster_dags; the same rule of evidence as a wait's when none is a CLUSTER AGENT)."""

        def read(agent, client):
            return _query.list_unfinished(client, name_filter=name_filter, details=details, plan=['cluster'])[1]

        got = read_cluster_dags([(agent, clients[agent]) for agent, dummy in listed], read)
        if got.source is not None:
            if LookupModule._one_cluster(clients, [got.source], [agent for agent, dummy in listed], failures):
                return [(got.source, got.records)]
            return []
        if got.errors:
            failures.append('cluster DAGs unknown: no %s could read them: %s'
                            % (CLUSTER_AGENT, '; '.join(str(exc) for exc in got.errors.values())))
            return []
        # An agent that did not answer may be the CLUSTER AGENT that holds them: its identity is not read.
        problem = no_cluster_agent(got.identities + [None] * len(unreachable), scope, False,
                                   _dag_id.format_address(*agents[0]), group='the list')
        if problem is not None:
            failures.append(str(problem))
        return []
