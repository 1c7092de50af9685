#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
module: dag_wait
short_description: Wait for OBShell task DAGs to finish, on one host or a whole batch, with live progress and one verdict
version_added: 1.0.0
description:
  - Waits until the matching task DAGs of OceanBase OBShell agents (cluster scale-out, upgrades, start/stop, tenant
    work...) have finished, then reports how each one ended.
  - A wait has parts, watched at the same time, each poll; the cluster DAGs, read from one C(CLUSTER AGENT)
    (C(/api/v1/task/dag/ob/unfinish)); and each host's own agent DAGs (C(/api/v1/task/dag/agent/unfinish)). With
    O(hosts), one task watches every host of a batch from the controller; without it, the task watches this host.
    So a DAG that fails anywhere while another part is still running is caught.
  - Every DAG seen is read until its final state is known. When a DAG leaves the unfinished list, its final state
    is read from C(/api/v1/task/dag/{id}), with its nodes, because a failed DAG that is not a maintenance DAG (for
    example C(Stop OB), or any DAG whose template sets no maintenance) leaves the list at once, and because only
    the nodes show a node that was passed instead of done.
  - The cluster DAGs are asked of one reachable C(CLUSTER AGENT). When it stops answering, or its observer is down
    (while it restarts during an upgrade), the next C(CLUSTER AGENT) of the batch is asked, and the result says so
    (RV(cluster.switches)). While no agent can read them, the cluster DAGs are unknown, an outage that is waited
    out within O(unreachable_timeout), never taken for idle.
  - The outcome of a DAG is C(succeeded) (C(SUCCEED) after C(RUN) or C(RETRY)), C(failed) (C(FAILED)),
    C(rolled_back) (C(SUCCEED) after C(ROLLBACK)), C(passed) (C(SUCCEED) after C(PASS), or with a node passed) or
    C(canceled) (C(FAILED) after C(CANCEL)). The overall outcome is the worst of them, or C(idle) (nothing
    matched), C(timeout), C(unreachable), or C(error) (the wait could not be carried out, for example wrong
    credentials, or a DAG id that does not exist).
  - As soon as a DAG ends with an outcome listed in O(fail_on), the wait stops and the task fails, even if other
    DAGs are still running. Otherwise it waits for every DAG it has seen.
  - Polls are cheap. Lists are read with C(show_details=false), so when nothing changes a poll is one request per
    list. A DAG is read with details when first seen (its node names name every later stage), when it failed, and
    once when it ends.
  - Progress is printed live, one line per change, for example
    C(obs1 [cluster] | Cluster scale out | 4/9 Wait remote deploy finish | RUNNING | 0:42).
  - The work is done by an action plugin of the same name. With O(run_on=controller) (the default) it polls from
    the controller, inside one task run. With O(run_on=target) the module runs on the host, in slices that return
    at every change, so progress is still shown live.
author:
  - OceanBase obshell collection contributors (@oceanbase)
extends_documentation_fragment:
  - oceanbase.obshell.connection
  - oceanbase.obshell.query
  - oceanbase.obshell.query.id
  - oceanbase.obshell.wait
  - oceanbase.obshell.wait.verdict
  - oceanbase.obshell.attributes
options:
  id:
    description:
      - Wait for this one DAG, given by its OBShell generic id (for example V(142) for a cluster DAG, or a long id
        starting with V(2) for an agent DAG). O(scope) is then ignored.
      - The DAG is read from C(/api/v1/task/dag/{id}?show_details=false) at each poll, with details when first
        seen, when it fails and when it ends.
      - The id is validated before anything is sent. If no DAG has this id (HTTP 404), the outcome is C(error)
        ("DAG 12 does not exist") once O(appear_timeout) has passed.
    type: str
  mode:
    description:
      - V(wait) waits until the DAGs have finished.
      - V(assert_idle) reads the state once and fails unless nothing is unfinished (a pre-flight gate). This is
        what check mode does too, except that check mode fails only on final outcomes listed in O(fail_on).
    type: str
    default: wait
    choices: [wait, assert_idle]
  hosts:
    description:
      - Watch the agents of these inventory hosts, in one task, from the controller (use it with C(run_once)),
        for example V({{ ansible_play_batch }}). The cluster DAGs are read once, from the first C(CLUSTER AGENT)
        of the list that answers; every host's own agent DAGs are read from its agent.
      - The hosts are the agents of one cluster. A C(CLUSTER AGENT) of another cluster among them ends the wait in
        V(error) naming it (its cluster's DAGs would not be seen); wait on each cluster in its own task.
      - Each host's agent is asked at its C(obshell_host) variable, else its C(ansible_host), else its inventory
        name, and at its C(obshell_port); O(host) is not used. Settings that differ per host (port, passwords)
        belong in C(obshell_*) host variables. Two hosts that come out at one address and port (E(OBSHELL_HOST) or
        a play's constant C(obshell_host) set for all of them) fail the task before any agent is asked, as one agent
        cannot answer for two hosts.
      - The result has one part per host (RV(per_host)) besides the combined verdict.
      - Not with O(run_on=target).
    type: list
    elements: str
  run_on:
    description:
      - Where the wait runs.
      - V(controller) polls from the Ansible controller. The agent is asked at O(host), which then defaults to the
        host's C(ansible_host). The controller needs C(requests) and C(cryptography).
      - V(target) runs the module on the host, usually against its local agent (O(host) defaults to
        V(127.0.0.1)). The module runs in slices. Each slice returns when something changed, or after at most 60
        seconds, and carries the wait's state to the next one. Every slice costs one module start-up, plus two
        unauthenticated requests to the agent (C(/api/v1/info) and C(/api/v1/secret)).
    type: str
    default: controller
    choices: [controller, target]
  on_failure:
    description:
      - What to do when a cluster DAG (an id starting with 1) fails during the wait.
      - V(fail) reports the failure. V(retry), V(rollback) and V(pass) act on the failed DAG, as
        M(oceanbase.obshell.dag) would with V(retried), V(rolled_back) or V(passed), and wait on within the same
        O(timeout). Each action is listed in RV(remediations) and printed as a progress line.
      - The agent decides what its template allows; a refusal (for example pass of a C(Cluster scale out)) ends
        the wait at once with the failure and the refusal reported.
      - The verdict stays truthful. A rollback gives C(rolled_back) and a pass C(passed), both in the default
        O(fail_on); remove them from it when such an end is acceptable.
      - Not in check mode or with O(mode=assert_idle), which send nothing.
    type: str
    default: fail
    choices: [fail, retry, rollback, pass]
  max_remediations:
    description:
      - How many times at most O(on_failure) acts, when the DAG fails again. V(0) disables remediation.
    type: int
    default: 1
attributes:
  check_mode:
    support: full
    description: In check mode the current state is read once and reported, without waiting; nothing is sent.
  diff_mode:
    support: none
    description: Nothing changes, except through O(on_failure).
notes:
  - C(changed) is true only when O(on_failure) acted on a DAG.
  - In check mode the module reads the current state once and returns it. RV(outcome) is then C(idle), C(running),
    or the final outcome of DAGs that are already final (for example a failed maintenance DAG). Only a final
    outcome listed in O(fail_on) fails the task.
  - The role C(oceanbase.obshell.wait_for_tasks) is a few tasks around this module with O(hosts).
  - The action plugin runs on the controller. A C(timeout) task keyword shorter than O(timeout) ends the task
    before the wait has reached a verdict.
seealso:
  - module: oceanbase.obshell.dag_info
  - module: oceanbase.obshell.dag
'''

EXAMPLES = r'''
- name: Wait until the scale-out started above has finished (it may take a few seconds to appear)
  oceanbase.obshell.dag_wait:
    names:
      - Cluster scale out
    appear_timeout: 30
    timeout: 1800
  run_once: true
  register: scale_out

- name: Show the verdict
  ansible.builtin.debug:
    msg: "{{ scale_out.outcome }} after {{ scale_out.elapsed }} s"

- name: Wait on every host of the batch at once, cluster DAGs and agent DAGs, from the controller
  oceanbase.obshell.dag_wait:
    hosts: "{{ ansible_play_batch }}"
    poll_interval: 2
  run_once: true

- name: Wait for one DAG by id; do not fail on a failure, decide later
  oceanbase.obshell.dag_wait:
    id: "142"
    fail_on: [timeout, unreachable]
  register: dag142

- name: Retry it if it failed
  oceanbase.obshell.dag:
    id: "142"
    state: retried
  when: dag142.outcome == 'failed'

- name: Wait on each host for its own agent DAGs, from the host itself
  oceanbase.obshell.dag_wait:
    run_on: target
    scope: agent
    poll_interval: 2

- name: Nothing may be running before the upgrade
  oceanbase.obshell.dag_wait:
    hosts: "{{ ansible_play_batch }}"
    mode: assert_idle
  run_once: true
'''

RETURN = r'''
outcome:
  description:
    - The overall verdict, the worst of the parts. One of C(idle), C(succeeded), C(failed), C(rolled_back),
      C(passed), C(canceled), C(timeout) or C(unreachable). C(error) means the wait could not be carried out.
    - In check mode (and with O(mode=assert_idle)) it can also be C(running).
  returned: always
  type: str
  sample: succeeded
msg:
  description: A summary for people. For a failure it names the DAG, the failed node, the agents and errors, and the follow-up.
  returned: always
  type: str
  sample: "succeeded: obs1 [cluster]: DAG 11 'Cluster scale out' succeeded after 0:24"
dags:
  description:
    - The last record of every DAG seen during the wait, each once, in the order first seen. The records have the
      same shape as those of M(oceanbase.obshell.dag_info), plus C(passed_nodes).
  returned: always
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
elapsed:
  description: Seconds the wait took.
  returned: always
  type: float
  sample: 24.6
polls:
  description: Number of polls made (of the part polled most).
  returned: always
  type: int
  sample: 6
failures:
  description: One report for each failed or canceled DAG.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Generic id of the DAG.
      type: str
      sample: "142"
    name:
      description: DAG name.
      type: str
    host:
      description: The host whose part saw it.
      type: str
    outcome:
      description: C(failed) or C(canceled).
      type: str
    node:
      description: The failed node; null if it could not be read.
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
          description: The last C(ERROR:) line of its logs (C(code), C(message)); null when there is none.
          type: dict
          contains:
            code:
              description: The agent's error code (4.3.1 and later); null for older agents.
              type: str
            message:
              description: The error text.
              type: str
    follow_up:
      description:
        - What to do next, limited to what the DAG's template allows (the agent decides; for a template this
          collection does not know, every state is listed, with a note).
      type: dict
      contains:
        module:
          description: C(oceanbase.obshell.dag).
          type: str
        id:
          description: The DAG id.
          type: str
        states:
          description: The states of M(oceanbase.obshell.dag) that the template allows.
          type: list
          elements: str
        command:
          description: The follow-up as one line; null when the template allows none.
          type: str
        template_known:
          description: Whether this collection knows the DAG's template.
          type: bool
        note:
          description: A note about the states, or null.
          type: str
    summary:
      description: One line with the DAG, the failed node, the agents and errors, and the follow-up.
      type: str
      sample: >-
        DAG 142 'Cluster scale out' failed at node 6/9 'Prev check for scale_out' on 127.0.0.1:2886:
        [Common.Unexpected] Unexpected error: ...; to act on it: oceanbase.obshell.dag id=142 state=retried|rolled_back
running:
  description:
    - The DAGs that were not final when the wait ended (timeout, unreachable, fail fast, or check mode).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Generic id.
      type: str
    name:
      description: DAG name.
      type: str
    host:
      description: The host whose part saw it.
      type: str
    progress:
      description: C(stage/max_stage).
      type: str
    current_node:
      description: Current node name.
      type: str
    stage_seconds:
      description: Seconds since this wait saw the DAG enter its current stage (or since it first saw the DAG).
      type: float
    elapsed_seconds:
      description: Seconds the DAG has been running, from its start time.
      type: float
    final_state_unknown:
      description: The DAG left the unfinished list but its final state could not be read yet.
      type: bool
    summary:
      description: One line for people.
      type: str
cluster:
  description: The part that watched the cluster DAGs, or null (no cluster DAGs watched).
  returned: always
  type: dict
  contains:
    outcome:
      description:
        - The part's outcome.
        - C(running) when another part ended the wait first (fail fast). Its RV(cluster.msg) then says whether its last read
          answered, or that its reads were failing at the end and what it read last before. A part with nothing
          unfinished is read back from the agent's history first (a DAG that began and failed since its last poll
          is reported); if that cannot be done it is C(running) too, never C(idle).
      type: str
    agent:
      description: The agent the cluster DAGs were last asked of (C(ip:port)).
      type: str
    host:
      description: The host of that agent.
      type: str
    msg:
      description: The part's summary.
      type: str
    switches:
      description: Each time another C(CLUSTER AGENT) had to be asked.
      type: list
      elements: dict
      contains:
        from:
          description: The host that stopped answering, or could not read the cluster DAGs.
          type: str
        to:
          description: The host asked instead.
          type: str
        reason:
          description: Why.
          type: str
        at:
          description: Seconds into the wait.
          type: float
    dags:
      description: The cluster DAGs seen, each with these keys only (its full record is in RV(dags), once).
      type: list
      elements: dict
      contains:
        id:
          description: Generic id of the DAG.
          type: str
        name:
          description: DAG name.
          type: str
        state:
          description: DAG state.
          type: str
        operator:
          description: DAG operator.
          type: str
        progress:
          description: C(stage/max_stage).
          type: str
        outcome:
          description: C(running), C(succeeded), C(failed), C(rolled_back), C(passed) or C(canceled).
          type: str
per_host:
  description:
    - A dict keyed by inventory hostname, for each host watched; each value holds the keys below - its own part
      (its agent DAGs), its outcome, and the message its task fails with. A failed batch fails every host; each
      host's message says first what concerns itself.
  returned: always
  type: dict
  contains:
    outcome:
      description: The worst outcome of the host's own parts.
      type: str
    failed:
      description: Whether the batch failed.
      type: bool
    msg:
      description: The host's message.
      type: str
    agent:
      description: The host's agent (C(ip:port)) as asked.
      type: str
    dags:
      description: The DAGs of the host's own part, its agent DAGs, each with these keys only (its full record is in RV(dags), once).
      type: list
      elements: dict
      contains:
        id:
          description: Generic id of the DAG.
          type: str
        name:
          description: DAG name.
          type: str
        state:
          description: DAG state.
          type: str
        operator:
          description: DAG operator.
          type: str
        progress:
          description: C(stage/max_stage).
          type: str
        outcome:
          description: C(running), C(succeeded), C(failed), C(rolled_back), C(passed) or C(canceled).
          type: str
parts:
  description: Every part of the wait, as watched, each with C(part) (C(cluster), C(agent), C(all) or C(dag)), C(host),
    C(agent), C(outcome), C(msg), C(dags) (the main keys of each; the full records are in RV(dags)), C(elapsed),
    C(polls) and C(unseen_windows). Its progress lines are in RV(events), its failure reports in RV(failures) and its
    running DAGs in RV(running).
  returned: always
  type: list
  elements: dict
  contains:
    part:
      description: C(cluster) (the cluster DAGs), C(agent) (a host's own DAGs), C(all) (a host's aggregated list, with
        O(scope=all)) or C(dag) (one DAG by id).
      type: str
    host:
      description: The inventory host the part belongs to.
      type: str
    outcome:
      description: The part's outcome.
      type: str
    msg:
      description: The part's summary.
      type: str
    unseen_windows:
      description:
        - Spans of the wait in which the part's agent could not be read and that could not be read back from its
          history (agents before OBShell 4.3.0.0 keep none). Empty when every span was seen or read back.
      type: list
      elements: dict
      contains:
        seconds:
          description: How long the window lasted, on the agent's clock.
          type: float
        why:
          description: Why it could not be read back.
          type: str
remediations:
  description: What O(on_failure) did, in order.
  returned: always
  type: list
  elements: dict
  contains:
    attempt:
      description: 1 for the first.
      type: int
    action:
      description: C(retry), C(rollback) or C(pass).
      type: str
    dag_id:
      description: The DAG acted on.
      type: str
    dag_name:
      description: Its name.
      type: str
    operator:
      description: The operator sent, or null.
      type: str
    outcome:
      description: C(sent), C(not needed), C(refused) or C(error).
      type: str
    msg:
      description: What happened.
      type: str
unreachable_agent:
  description:
    - Set while an agent is not answering at the end of the wait (the first such part).
    - Not named C(unreachable), which Ansible would read as "this host is unreachable" and drop it from the play.
  returned: always
  type: dict
  contains:
    agent:
      description: The agent's C(ip:port).
      type: str
    for_seconds:
      description: How long it had not answered.
      type: float
    error:
      description: The last error.
      type: dict
      contains:
        kind:
          description: C(unreachable), C(timeout), C(server)...
          type: str
        message:
          description: What went wrong.
          type: str
error:
  description: For outcome C(error), the error of the first part that could not be waited on; else null.
  returned: always
  type: dict
  contains:
    kind:
      description: C(auth), C(tls), C(protocol), C(not_found), C(identity), C(config)...
      type: str
    message:
      description: What went wrong.
      type: str
    agent:
      description: The agent concerned.
      type: str
    status:
      description: The HTTP status, if any.
      type: int
    err_code:
      description: The agent's error code, if any.
      type: str
events:
  description: Every progress line of the wait, as printed (each starts with the host).
  returned: always
  type: list
  elements: str
  sample:
    - obs1 [cluster] | Cluster scale out | 3/9 Wait scale out ready | RUNNING | 0:05
    - obs1 [cluster] | Cluster scale out | 9/9 Check cluster scale_out whether finished | SUCCEED | 0:24
agent:
  description: Who answered (address, identity, version...) for a wait on one host, as in M(oceanbase.obshell.dag_info); null
    with O(hosts) or if the agent never answered.
  returned: always
  type: dict
  contains:
    address:
      description: The address asked.
      type: str
    identity:
      description: Agent identity.
      type: str
    version:
      description: OBShell version.
      type: str
ansible_stats:
  description:
    - The wait at a glance as custom stats, as M(ansible.builtin.set_stats) gives them (not per host, aggregated
      over the play). AWX and Automation Platform show them in the job's artifacts; C(show_custom_stats) prints
      them at the end of a run. A later wait of the same host replaces its entry.
    - A wait over several hosts also prints them as a table, before its C(done) line.
  returned: when the wait ran
  type: dict
  contains:
    data:
      description: The stats.
      type: dict
      contains:
        obshell_waits:
          description: By inventory hostname, and C(<host> [cluster]) for the cluster DAGs read through that host.
          type: dict
          contains:
            outcome:
              description: That part's outcome.
              type: str
            elapsed:
              description: Seconds the part was waited on; null for a host without a part of its own.
              type: float
            dags:
              description: Its DAGs.
              type: list
              elements: dict
              contains:
                id:
                  description: Generic id of the DAG.
                  type: str
                name:
                  description: DAG name.
                  type: str
                outcome:
                  description: The DAG's outcome.
                  type: str
    per_host:
      description: Always false (the stats are the run's).
      type: bool
    aggregate:
      description: Always true (each wait adds its hosts).
      type: bool
'''

from ansible.module_utils.basic import _load_params

from ansible_collections.oceanbase.obshell.plugins.module_utils import _dag_id, _dag_lists, _options, _parts, _watcher
from ansible_collections.oceanbase.obshell.plugins.module_utils._clock import Clock
from ansible_collections.oceanbase.obshell.plugins.module_utils._module import ObshellModule
from ansible_collections.oceanbase.obshell.plugins.module_utils._vocabulary import MAX_SLICE_SECONDS


def main():
    spec = _options.dag_wait_spec()
    # The action plugin carries a wait from slice to slice in `_slice`; it is not an option for users, so it is
    # only accepted when the action sent it. (ansible-test's validate-modules replaces _load_params with a stub
    # that returns None while it collects the argument spec: no parameters, so no `_slice`.)
    if '_slice' in (_load_params() or {}):
        spec['_slice'] = dict(type='dict')
    module = ObshellModule(argument_spec=spec, supports_check_mode=True)
    params = module.params
    problems = _options.check_wait_options(params) + _options.check_remediation_options(params)
    if params['hosts']:
        problems.append('hosts needs run_on=controller: a module on the host cannot ask the other hosts')
    if params['id'] is not None:
        try:
            params['id'] = _dag_id.validate_generic_id(params['id'])
        except ValueError as exc:
            problems.append('id: %s' % exc)
    try:
        _dag_lists.compile_name_filter(params['names'])
    except ValueError as exc:
        problems.append(str(exc))
    if problems:
        module.fail_json(msg='; '.join(problems))

    slice_options = params.get('_slice') or {}
    label = slice_options.get('label') or params.get('host') or _options.LOCAL_AGENT
    client = _options.client_from_options(params, retries=0)
    lines = []
    try:
        clock = Clock(float(slice_options.get('elapsed') or 0.0))
        max_seconds = None
        if slice_options:
            max_seconds = min(float(slice_options.get('max_seconds') or MAX_SLICE_SECONDS), MAX_SLICE_SECONDS)
        combined, watcher = _watcher.run_wait(
            params, [_parts.Target(label, client)], check_mode=module.check_mode, clock=clock,
            state=slice_options.get('state'), slice_seconds=max_seconds,
            on_event=lambda part_label, line: lines.append('%s | %s' % (part_label, line)), warn=module.warn)
        if combined is None:
            module.exit_json(changed=False, _slice={'done': False, 'state': watcher.to_state(), 'lines': lines})
    finally:
        client.close()
    for warning in client.warnings:
        module.warn(warning)
    result = _watcher.wait_result(combined, watcher, single_host=True)
    if slice_options:
        result['_slice'] = {'done': True, 'lines': lines}
    if result.pop('failed'):
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
