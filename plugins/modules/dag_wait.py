#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
module: dag_wait
short_description: Wait for OBShell task DAGs to finish, with live progress and a verdict
version_added: 1.0.0
description:
  - Waits until the matching task DAGs of an OceanBase OBShell agent (cluster scale-out, upgrades, start/stop,
    tenant work...) have finished, then reports how each one ended.
  - Every DAG seen during the wait is remembered. When a DAG leaves the unfinished list, its final state is read
    from C(/api/v1/task/dag/{id}), because a failed DAG that is not a maintenance DAG (for example C(Stop OB))
    leaves the list at once. A failed maintenance DAG stays in the list, blocking the cluster; it is a final
    C(failed) outcome as soon as it is seen.
  - The outcome of a DAG is C(succeeded) (C(SUCCEED) after C(RUN) or C(RETRY)), C(failed) (C(FAILED)),
    C(rolled_back) (C(SUCCEED) after C(ROLLBACK)), C(passed) (C(SUCCEED) after C(PASS)) or C(canceled)
    (C(FAILED) after C(CANCEL)). The overall outcome is the worst of them, or C(idle) (nothing matched),
    C(timeout), C(unreachable), or C(error) (the wait could not be carried out, for example wrong credentials or
    a non-cluster agent asked for cluster DAGs).
  - As soon as a DAG ends with an outcome listed in O(fail_on), the wait stops and the task fails, even if other
    DAGs are still running. Otherwise it waits for every DAG it has seen.
  - Polls are cheap. The list is read with C(show_details=false), so when nothing changes a poll is one
    request. A DAG is read with details once, when first seen (its node names name every later stage), and
    again only when it failed.
  - Progress is printed live, one line per change, for example
    C(obs1 | Cluster scale out | 4/9 Wait remote deploy finish | RUNNING | 0:42).
  - The work is done by an action plugin of the same name. With O(run_on=controller) (the default) it polls
    the agent from the controller, inside one task run. With O(run_on=target) the module runs on the host, in
    slices that return at every change, so progress is still shown live.
author:
  - OceanBase obshell collection contributors (@oceanbase)
extends_documentation_fragment:
  - oceanbase.obshell.connection
  - oceanbase.obshell.query
  - oceanbase.obshell.query.id
  - oceanbase.obshell.attributes
options:
  id:
    description:
      - Wait for this one DAG, given by its OBShell generic id (for example V(142) for a cluster DAG, or a long id
        starting with V(2) for an agent DAG). O(scope) is then ignored.
      - The DAG is read from C(/api/v1/task/dag/{id}?show_details=false) at each poll, with details when first
        seen and when it fails.
      - The id is validated before anything is sent. If no DAG has this id (HTTP 404), the outcome is C(idle)
        once O(appear_timeout) has passed.
    type: str
  timeout:
    description:
      - The overall deadline of the wait, in seconds. Each request is also kept within it.
      - Unlike in the other modules of this collection, this is B(not) the per-request timeout. That one is
        O(request_timeout). Keep this in mind if you set C(timeout) in C(module_defaults) for the whole
        C(group/oceanbase.obshell.obshell).
    type: float
    default: 3600
  request_timeout:
    description:
      - Seconds to wait for each HTTP request (connect and read).
    type: float
    default: 10
  poll_interval:
    description:
      - Seconds between polls, measured from the start of one poll to the start of the next. At least V(0.5).
    type: float
    default: 5
  appear_timeout:
    description:
      - Seconds to wait for a matching DAG to appear, for use right after an operation was started.
      - With V(0), if nothing matches at the first poll the outcome is C(idle) at once.
      - A DAG that starts and finishes between two polls cannot be seen in the unfinished list. Use O(id) when
        you know it.
    type: float
    default: 0
  unreachable_timeout:
    description:
      - How long the agent may fail to answer before the wait ends as C(unreachable). An agent restarts, for
        example, during an upgrade.
      - Failed reads are retried with a backoff that starts at min(O(poll_interval), 1 s) and doubles up to
        max(O(poll_interval), 10 s). The budget starts again after every good read.
      - Before the first good read, only errors about reaching the agent are retried. Wrong credentials, TLS
        errors and the like end the wait at once with outcome C(error).
      - O(retries) is not used by this module. The wait retries failed polls itself, within its deadlines.
    type: float
    default: 300
  fail_on:
    description:
      - The overall outcomes that fail the task. The outcome C(error) always fails it.
      - The default fails on everything except C(idle) and C(succeeded).
    type: list
    elements: str
    choices: [idle, succeeded, failed, rolled_back, passed, canceled, timeout, unreachable]
    default: [failed, rolled_back, passed, canceled, timeout, unreachable]
  progress:
    description:
      - Print a progress line for each change while waiting (a DAG appears, or its stage, node or state
        changes, or the agent goes away or comes back). Each line starts with the inventory hostname.
      - V(false) prints nothing. The lines are still returned in RV(events).
    type: bool
    default: true
  run_on:
    description:
      - Where the wait runs.
      - V(controller) polls from the Ansible controller. O(host) must then be the agent's address as seen from
        the controller, for example C({{ ansible_host }}). The passwords, and E(OBSHELL_PASSWORD) and
        E(OBSHELL_AGENT_PASSWORD), are read on the controller. The controller needs C(cryptography).
      - V(target) runs the module on the host, usually against its local agent (O(host) defaults to
        V(127.0.0.1)). The module runs in slices. Each slice returns when something changed, or after at most
        60 seconds, and carries the wait's state to the next one. Every slice costs one module start-up, plus
        two unauthenticated requests to the agent (C(/api/v1/info) and C(/api/v1/secret)).
    type: str
    default: controller
    choices: [controller, target]
  _slice:
    description:
      - Internal use only, by the action plugin with O(run_on=target). Do not set it.
    type: dict
attributes:
  check_mode:
    support: full
    description: In check mode the current state is read once and reported, without waiting.
  diff_mode:
    support: none
    description: Nothing changes, so there is no diff.
notes:
  - C(changed) is always false.
  - In check mode the module reads the current state once and returns it. RV(outcome) is then C(idle), C(running),
    or the final outcome of DAGs that are already final (for example a failed maintenance DAG). Only a final
    outcome listed in O(fail_on) fails the task.
  - The role C(oceanbase.obshell.wait_for_tasks) builds on this module. It waits for cluster DAGs once per play and
    for agent DAGs on every host, and combines the results into one verdict.
  - The action plugin runs on the controller. A C(timeout) task keyword shorter than O(timeout) ends the task
    before the wait has reached a verdict.
seealso:
  - module: oceanbase.obshell.dag_info
  - module: oceanbase.obshell.dag
'''

EXAMPLES = r'''
- name: Wait until the scale-out started above has finished (it may take a few seconds to appear)
  oceanbase.obshell.dag_wait:
    host: "{{ ansible_host }}"
    names:
      - Cluster scale out
    appear_timeout: 30
    timeout: 1800
  run_once: true
  register: scale_out

- name: Show the verdict
  ansible.builtin.debug:
    msg: "{{ scale_out.outcome }} after {{ scale_out.elapsed }} s"

- name: Wait for one DAG by id; do not fail on a failure, decide later
  oceanbase.obshell.dag_wait:
    host: "{{ ansible_host }}"
    id: "142"
    fail_on: [timeout, unreachable]
  register: dag142

- name: Retry it if it failed
  oceanbase.obshell.dag:
    host: "{{ ansible_host }}"
    id: "142"
    state: retried
  when: dag142.outcome == 'failed'

- name: Wait on each host for its own agent DAGs, from the host itself
  oceanbase.obshell.dag_wait:
    run_on: target
    scope: agent
    poll_interval: 2

- name: What is running right now? (reads once, never waits)
  oceanbase.obshell.dag_wait:
    host: "{{ ansible_host }}"
  check_mode: true
  register: now_running
'''

RETURN = r'''
outcome:
  description:
    - The overall verdict. One of C(idle), C(succeeded), C(failed), C(rolled_back), C(passed), C(canceled),
      C(timeout) or C(unreachable). C(error) means the wait could not be carried out.
    - In check mode it can also be C(running).
  returned: always
  type: str
  sample: succeeded
dags:
  description:
    - The last record of every DAG seen during the wait, in the order first seen. The records have the same
      shape as those of M(oceanbase.obshell.dag_info).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Generic id of the DAG.
      type: str
      sample: "11"
    name:
      description: DAG name.
      type: str
      sample: Cluster scale out
    state:
      description: C(READY), C(RUNNING), C(FAILED) or C(SUCCEED).
      type: str
    operator:
      description: C(RUN), C(RETRY), C(ROLLBACK), C(CANCEL) or C(PASS).
      type: str
    progress:
      description: C(stage/max_stage).
      type: str
      sample: 9/9
    current_node:
      description: Name of the current node (from the node names read with the DAG's details).
      type: str
    outcome:
      description: C(running), C(succeeded), C(failed), C(rolled_back), C(passed) or C(canceled).
      type: str
    failure:
      description: For a FAILED DAG, the failed node and each failed sub-task with its agent, log tail and error.
      type: dict
elapsed:
  description: Seconds the wait took.
  returned: always
  type: float
  sample: 24.6
polls:
  description: Number of polls made.
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
    outcome:
      description: C(failed) or C(canceled).
      type: str
    node:
      description: The failed node (C(id), C(name), C(stage)); null if it could not be read.
      type: dict
    sub_tasks:
      description: The failed sub-tasks of that node, each with C(agent), C(log_tail), C(error) and C(execute_times).
      type: list
      elements: dict
    follow_up:
      description: What to do next. The module (C(oceanbase.obshell.dag)), the C(id), the possible C(states), and the C(command).
      type: dict
      sample:
        module: oceanbase.obshell.dag
        id: "142"
        states: [retried, rolled_back, passed]
        command: oceanbase.obshell.dag id=142 state=retried|rolled_back|passed
    summary:
      description: One line with the DAG, the failed node, the agents and errors, and the follow-up.
      type: str
      sample: >-
        DAG 142 'Cluster scale out' failed at node 6/9 'Prev check for scale_out' on 127.0.0.1:2886:
        [Common.Unexpected] Unexpected error: ...; to act on it: oceanbase.obshell.dag id=142 state=retried|rolled_back|passed
running:
  description:
    - The DAGs that were not final when the wait ended (timeout, unreachable, or check mode).
    - Each entry has the stage and node, how long the DAG has been at that stage (as seen by this wait), and how
      long it has been running.
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
unreachable_agent:
  description:
    - Set while the agent is not answering at the end of the wait.
    - Not named C(unreachable), which Ansible would read as "this host is unreachable" and drop it from the play.
    - Has C(agent), C(for_seconds) and the last C(error).
  returned: always
  type: dict
error:
  description: For outcome C(error), the error (C(kind), C(message), C(agent), C(status), C(err_code)).
  returned: always
  type: dict
events:
  description: Every progress line of the wait, without the hostname prefix.
  returned: always
  type: list
  elements: str
  sample:
    - Cluster scale out | 3/9 Wait scale out ready | RUNNING | 0:05
    - Cluster scale out | 9/9 Check cluster scale_out whether finished | SUCCEED | 0:24
agent:
  description: Who answered (address, identity, version...), as in M(oceanbase.obshell.dag_info). Null if the agent never answered.
  returned: always
  type: dict
scope:
  description: The endpoint scope used (C(all), C(cluster) or C(agent)); null with O(id) or when the agent never answered.
  returned: always
  type: str
msg:
  description: A summary for people. For a failure it names the DAG, the failed node, the agents and errors, and the follow-up.
  returned: always
  type: str
  sample: DAG 11 'Cluster scale out' succeeded after 0:24
'''

import json

from ansible_collections.oceanbase.obshell.plugins.module_utils import _dag, _options, _waiter
from ansible_collections.oceanbase.obshell.plugins.module_utils._module import ObshellModule

# A slice of a target-mode wait returns at the latest after this many seconds (a heartbeat for the connection).
MAX_SLICE_SECONDS = 60.0


def main():
    module = ObshellModule(argument_spec=_waiter.wait_argument_spec(), supports_check_mode=True)
    params = module.params
    problems = _waiter.check_wait_options(params)
    if problems:
        module.fail_json(msg='; '.join(problems))
    if params['id'] is not None:
        params['id'] = _dag.validate_generic_id(params['id'])

    slice_options = params['_slice']
    client = _options.client_from_options(_waiter.client_params(params))
    try:
        if slice_options is None:
            result, dummy, dummy_events = _waiter.run_wait(params, module.check_mode, client, _waiter.stopwatch())
        else:
            state = slice_options.get('state')
            if isinstance(state, str):
                state = json.loads(state)
            clock = _waiter.stopwatch(float(slice_options.get('elapsed') or 0.0))
            max_seconds = min(float(slice_options.get('max_seconds') or MAX_SLICE_SECONDS), MAX_SLICE_SECONDS)
            result, engine, new_events = _waiter.run_wait(params, module.check_mode, client, clock,
                                                          state=state, slice_seconds=max_seconds)
            if result is None:
                module.exit_json(changed=False, _slice={'done': False, 'state': engine.to_state(),
                                                        'events': new_events})
            result['_slice'] = {'done': True, 'events': new_events}
    finally:
        client.close()
    failed = result.pop('failed')
    if failed:
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
