# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
name: wait_verdict
short_description: One verdict over the dag_wait results of several hosts
version_added: 1.0.0
description:
  - Combines the results of M(oceanbase.obshell.dag_wait) registered on several hosts (for example each host waiting
    on its own agent from the host, with O(oceanbase.obshell.dag_wait#module:run_on=target)) into one verdict, by
    the same rules as one dag_wait over a batch - the worst outcome wins, and every failure is reported with its
    host.
  - The role C(oceanbase.obshell.wait_for_tasks) uses it with O(oceanbase.obshell.dag_wait#module:run_on=target).
author:
  - OceanBase obshell collection contributors (@oceanbase)
options:
  _input:
    description:
      - The registered dag_wait results, as a dict of inventory host to result, or a list of results. Results of
        hosts that skipped the task are left out. A host whose task failed before it could wait (a bad option, a
        missing library) counts as an C(error) part of that host.
    type: raw
    required: true
  mode:
    description: V(wait) fails on the outcomes in O(fail_on) and on C(error); V(assert_idle) on anything but C(idle).
    type: str
    default: wait
    choices: [wait, assert_idle]
  fail_on:
    description: The outcomes that fail the batch (C(error) always does).
    type: list
    elements: str
    default: [failed, rolled_back, passed, canceled, timeout, unreachable]
'''

EXAMPLES = r'''
- name: Combine what every host waited on
  ansible.builtin.set_fact:
    verdict: "{{ dict(ansible_play_batch | zip(ansible_play_batch | map('extract', hostvars, 'waited'))) | oceanbase.obshell.wait_verdict }}"
  run_once: true
'''

RETURN = r'''
_value:
  description: The combined result, with the keys of M(oceanbase.obshell.dag_wait)'s verdict.
  type: dict
  contains:
    outcome:
      description: The worst outcome.
      type: str
    failed:
      description: Whether the batch fails.
      type: bool
    msg:
      description: What failed where.
      type: str
    per_host:
      description: For each host, its part, outcome and message.
      type: dict
    cluster:
      description: The part that watched the cluster DAGs, or null.
      type: dict
    dags:
      description: Every DAG seen, each once.
      type: list
      elements: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.oceanbase.obshell.plugins.module_utils import _verdict


def wait_verdict(results, mode='wait', fail_on=None):
    if isinstance(results, dict):
        items = list(results.items())
    elif isinstance(results, (list, tuple)):
        items = [(None, result) for result in results]
    else:
        raise AnsibleFilterError('wait_verdict expects dag_wait results (a dict of host to result, or a list), got %s'
                                 % type(results).__name__)
    parts, hosts = [], []
    for host, result in items:
        if not isinstance(result, dict) or result.get('skipped'):
            continue
        if 'parts' not in result:
            if host is None:
                raise AnsibleFilterError('wait_verdict: a result without parts is not a dag_wait result: %s'
                                         % (result.get('msg') or sorted(result)))
            # The task failed before waiting: that host's part is an error, never a silent success.
            result = {'parts': [{'part': 'agent', 'host': host, 'outcome': 'error', 'dags': [],
                                 'msg': 'could not wait: %s' % (result.get('msg') or 'no result')}]}
        for part in result['parts']:
            parts.append(part)
            if part.get('host') not in hosts:
                hosts.append(part.get('host'))
    try:
        return _verdict.combine(parts, mode=mode, fail_on=fail_on if fail_on is not None else _verdict.DEFAULT_FAIL_ON,
                                hosts=hosts)
    except ValueError as exc:
        raise AnsibleFilterError('wait_verdict: %s' % exc)


class FilterModule(object):

    def filters(self):
        return {'wait_verdict': wait_verdict}
