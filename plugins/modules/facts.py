#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
module: facts
short_description: Gather OBShell agent and unfinished-DAG facts
version_added: 1.0.0
description:
  - Sets C(ansible_facts.obshell) with the OBShell agent's identity and its unfinished task DAGs, so that plays
    can gate tasks on C(ansible_facts.obshell.idle).
  - Works as a facts module inside C(gather_facts) (see the examples), so the facts are there before the first task.
author:
  - OceanBase obshell collection contributors (@oceanbase)
extends_documentation_fragment:
  - oceanbase.obshell.connection
  - oceanbase.obshell.query
  - oceanbase.obshell.attributes
  - oceanbase.obshell.attributes.info_module
attributes:
  facts:
    support: full
    description: Sets C(ansible_facts.obshell).
seealso:
  - module: oceanbase.obshell.dag_info
'''

EXAMPLES = r'''
- name: Gather OBShell facts as a task
  oceanbase.obshell.facts:
    host: "{{ ansible_host }}"

- name: Upgrade only idle hosts
  ansible.builtin.debug:
    msg: "{{ inventory_hostname }} runs {{ ansible_facts.obshell.unfinished_dags | map(attribute='name') | list }}"
  when: not ansible_facts.obshell.idle

# Inside gather_facts: the facts are there before the first task.
- name: Gate on OBShell facts from gather_facts
  hosts: observers
  gather_facts: true
  vars:
    ansible_facts_modules:
      - ansible.builtin.setup
      - oceanbase.obshell.facts
  module_defaults:
    group/oceanbase.obshell.obshell:
      host: "{{ ansible_host }}"
      password: "{{ vault_root_sys_password }}"
  tasks:
    - name: Refuse to run on a busy cluster
      ansible.builtin.assert:
        that: ansible_facts.obshell.idle
'''

RETURN = r'''
ansible_facts:
  description: Facts added under C(obshell).
  returned: always
  type: dict
  contains:
    obshell:
      description: The OBShell facts.
      type: dict
      contains:
        agent:
          description: Identity, version, ip, port and auth facts of the agent (as M(oceanbase.obshell.dag_info) returns).
          type: dict
        unfinished_dags:
          description: Unfinished DAGs as normalized records (as M(oceanbase.obshell.dag_info) returns in C(dags)).
          type: list
          elements: dict
        idle:
          description: True when no DAG in scope is unfinished.
          type: bool
        counts:
          description: Number of unfinished DAGs by state, plus C(total).
          type: dict
        queried_at:
          description: When the agent was asked (controller-independent UTC, ISO 8601).
          type: str
          sample: "2026-11-21T06:30:00Z"
'''

import datetime

from ansible_collections.oceanbase.obshell.plugins.module_utils import _dag, _options, _query
from ansible_collections.oceanbase.obshell.plugins.module_utils._errors import ObshellError
from ansible_collections.oceanbase.obshell.plugins.module_utils._module import ObshellModule


def main():
    module = ObshellModule(argument_spec=_options.argument_spec(_options.LIST_SPEC), supports_check_mode=True)
    params = module.params
    try:
        name_filter = _dag.compile_name_filter(params['names'])
    except ValueError as exc:
        module.fail_json(msg=str(exc))

    client = module.client()
    try:
        queried_at = datetime.datetime.utcnow().replace(microsecond=0).isoformat() + 'Z'
        found = _query.query_unfinished(client, scope=params['scope'], name_filter=name_filter,
                                        details=params['details'])
    except ObshellError as exc:
        module.fail_on_error(exc)
    finally:
        client.close()
    facts = dict(
        agent=found['agent'],
        scope=found['scope'],
        unfinished_dags=found['dags'],
        idle=found['idle'],
        counts=found['counts'],
        queried_at=queried_at,
    )
    module.exit_json(changed=False, ansible_facts=dict(obshell=facts))


if __name__ == '__main__':
    main()
