# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""No password ever shows: every module, the lookup and the role at -vvvv, with the passwords given as options, as
module_defaults, as inventory variables and as environment variables of the ansible-playbook process, with
ANSIBLE_LOG_PATH set and failures provoked (wrong passwords, TLS verification, an agent that is down, a failed DAG).

The passwords are searched for in stdout, stderr, the log file, and every file the run left behind (the results
and facts the playbook saved, temp directories); only the inventory and the playbook, which hold them by design,
are skipped. Environment variables are set on the ansible-playbook process: a task-level ``environment:`` keyword
makes ansible-core itself print them on the command line at -vvv, which no collection can prevent.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

from tests.integration._ansible import local_inventory, run_playbook
from tests.reliability._support import figure
from tests.simulator.waiting import wait_until

ROOT = 'Zx9-root-Sekr3t'
AGENT = 'Zx9-agent-Sekr3t'
WRONG_ROOT = 'Zx9-wrong-root-Qq7'
WRONG_AGENT = 'Zx9-wrong-agent-Qq7'
SECRETS = (ROOT, AGENT, WRONG_ROOT, WRONG_AGENT)
# The TLS agent's own passwords are never given to Ansible; the environment's passwords are wrong for it.
OTHER_ROOT = 'Zx9-other-root'
OTHER_AGENT = 'Zx9-other-agent'

PLAYBOOK = """
# ------------------------------------------------------------------------------------------ options
- name: Passwords as options
  hosts: e1
  gather_facts: false
  vars_files: ['{secrets}']
  tasks:
    - name: dag_info
      oceanbase.obshell.dag_info: {{port: {a0}, password: "{{{{ root_pw }}}}", agent_password: "{{{{ agent_pw }}}}", details: full}}
      register: r_info
    - name: facts
      oceanbase.obshell.facts: {{port: {a0}, password: "{{{{ root_pw }}}}", agent_password: "{{{{ agent_pw }}}}"}}
      register: r_facts
    - name: dag_wait on the controller (the failed DAG fails the wait)
      oceanbase.obshell.dag_wait: {{port: {a0}, password: "{{{{ root_pw }}}}", agent_password: "{{{{ agent_pw }}}}", id: "{dag_id}", poll_interval: 0.5}}
      register: r_wait
      ignore_errors: true
    - name: dag_wait on the target
      oceanbase.obshell.dag_wait: {{port: {a0}, password: "{{{{ root_pw }}}}", agent_password: "{{{{ agent_pw }}}}",
                                  run_on: target, id: "{dag_id}", poll_interval: 0.5}}
      register: r_wait_target
      ignore_errors: true
    - name: dag, check mode
      oceanbase.obshell.dag: {{port: {a0}, password: "{{{{ root_pw }}}}", agent_password: "{{{{ agent_pw }}}}", id: "{dag_id}", state: retried}}
      check_mode: true
      register: r_dag
    - name: dag_info with a wrong agent password
      oceanbase.obshell.dag_info: {{port: {a0}, password: "{{{{ root_pw }}}}", agent_password: "{{{{ wrong_agent_pw }}}}"}}
      register: r_wrong_agent
      ignore_errors: true
    - name: dag_info with a wrong root password (agent without an agent password)
      oceanbase.obshell.dag_info: {{port: {d0}, password: "{{{{ wrong_root_pw }}}}"}}
      register: r_wrong_root
      ignore_errors: true
    - name: dag with a wrong agent password
      oceanbase.obshell.dag: {{port: {a0}, password: "{{{{ root_pw }}}}", agent_password: "{{{{ wrong_agent_pw }}}}", id: "{dag_id}", state: retried}}
      register: r_dag_wrong
      ignore_errors: true
    - name: dag_wait with a wrong agent password
      oceanbase.obshell.dag_wait: {{port: {a0}, password: "{{{{ root_pw }}}}", agent_password: "{{{{ wrong_agent_pw }}}}", poll_interval: 0.5}}
      register: r_wait_wrong
      ignore_errors: true
    - name: dag_info against an agent that is down
      oceanbase.obshell.dag_info: {{port: {down}, password: "{{{{ root_pw }}}}", agent_password: "{{{{ agent_pw }}}}", retries: 0}}
      register: r_down
      ignore_errors: true
    - name: The lookup with passwords as keyword options, and a wrong one
      block:
        - name: Good
          ansible.builtin.set_fact:
            r_lookup: "{{{{ query('oceanbase.obshell.unfinished_dags', '127.0.0.1:{a0}', password=pw, agent_password=apw) }}}}"
        - name: Wrong
          ansible.builtin.debug:
            msg: "{{{{ query('oceanbase.obshell.unfinished_dags', '127.0.0.1:{d0}', password=wpw) }}}}"
      rescue:
        - name: Keep the message
          ansible.builtin.set_fact:
            r_lookup_wrong: "{{{{ ansible_failed_result.msg }}}}"
      vars:
        pw: "{{{{ root_pw }}}}"
        apw: "{{{{ agent_pw }}}}"
        wpw: "{{{{ wrong_root_pw }}}}"
    - name: The role with role variables (the failed DAG fails it)
      block:
        - name: Role
          ansible.builtin.include_role:
            name: oceanbase.obshell.wait_for_tasks
          vars:
            wait_for_tasks_port: {a0}
            wait_for_tasks_password: "{{{{ root_pw }}}}"
            wait_for_tasks_agent_password: "{{{{ agent_pw }}}}"
            wait_for_tasks_poll_interval: 0.5
      rescue:
        - name: Keep the message
          ansible.builtin.set_fact:
            r_role: "{{{{ ansible_failed_result.msg }}}}"
    - name: Save what came back
      ansible.builtin.copy:
        content: >-
          {{{{ {{'info': r_info, 'facts': r_facts, 'wait': r_wait, 'wait_target': r_wait_target, 'dag': r_dag,
               'wrong_agent': r_wrong_agent, 'wrong_root': r_wrong_root, 'dag_wrong': r_dag_wrong,
               'wait_wrong': r_wait_wrong, 'down': r_down, 'lookup': r_lookup,
               'lookup_wrong': r_lookup_wrong | default('NOT SET'), 'role': r_role | default('NOT SET')}} | to_json }}}}
        dest: "{out}/options-results.json"
        mode: "0600"

# ------------------------------------------------------------------------------------------ module_defaults
- name: Passwords as module_defaults
  hosts: e1
  gather_facts: true
  vars_files: ['{secrets}']
  vars:
    ansible_facts_modules: [oceanbase.obshell.facts]
  module_defaults:
    group/oceanbase.obshell.obshell:
      port: {a0}
      password: "{{{{ root_pw }}}}"
      agent_password: "{{{{ agent_pw }}}}"
  tasks:
    - name: dag_info
      oceanbase.obshell.dag_info:
      register: m_info
    - name: dag_wait (the failed DAG fails the wait)
      oceanbase.obshell.dag_wait: {{id: "{dag_id}", poll_interval: 0.5}}
      register: m_wait
      ignore_errors: true
    - name: dag, check mode
      oceanbase.obshell.dag: {{id: "{dag_id}", state: rolled_back}}
      check_mode: true
      register: m_dag
    - name: A wrong agent password from module_defaults
      module_defaults:
        group/oceanbase.obshell.obshell:
          port: {a0}
          agent_password: "{{{{ wrong_agent_pw }}}}"
      block:
        - name: dag_info
          oceanbase.obshell.dag_info:
          register: m_wrong
          ignore_errors: true
        - name: dag_wait
          oceanbase.obshell.dag_wait: {{poll_interval: 0.5}}
          register: m_wait_wrong
          ignore_errors: true
    - name: Save what came back
      ansible.builtin.copy:
        content: "{{{{ {{'facts': ansible_facts.obshell, 'info': m_info, 'wait': m_wait, 'dag': m_dag,
                       'wrong': m_wrong, 'wait_wrong': m_wait_wrong}} | to_json }}}}"
        dest: "{out}/module-defaults-results.json"
        mode: "0600"

# ------------------------------------------------------------------------------------------ inventory variables
- name: Passwords as inventory variables (obs1, obs2 carry obshell_password / obshell_agent_password)
  hosts: obs1,obs2
  gather_facts: false
  vars_files: ['{secrets}']
  tasks:
    - name: The lookup reads them
      ansible.builtin.set_fact:
        i_lookup: "{{{{ query('oceanbase.obshell.unfinished_dags', '127.0.0.1:' ~ obshell_port) }}}}"
    - name: A module given them through a template
      oceanbase.obshell.dag_info:
        port: "{{{{ obshell_port }}}}"
        password: "{{{{ obshell_password }}}}"
        agent_password: "{{{{ obshell_agent_password }}}}"
      register: i_info
    - name: The lookup with a wrong one
      block:
        - name: Ask
          ansible.builtin.debug:
            msg: "{{{{ query('oceanbase.obshell.unfinished_dags', '127.0.0.1:' ~ obshell_port) }}}}"
          vars:
            obshell_agent_password: "{{{{ wrong_agent_pw }}}}"
      rescue:
        - name: Keep the message
          ansible.builtin.set_fact:
            i_lookup_wrong: "{{{{ ansible_failed_result.msg }}}}"
    - name: The role falls back to them (the failed DAG fails it)
      block:
        - name: Role
          ansible.builtin.include_role:
            name: oceanbase.obshell.wait_for_tasks
          vars:
            wait_for_tasks_poll_interval: 0.5
      rescue:
        - name: Keep the message
          ansible.builtin.set_fact:
            i_role: "{{{{ ansible_failed_result.msg }}}}"
    - name: Save what came back
      ansible.builtin.copy:
        content: "{{{{ {{'lookup': i_lookup, 'info': i_info, 'lookup_wrong': i_lookup_wrong, 'role': i_role,
                       'result': wait_for_tasks_result | default(none)}} | to_json }}}}"
        dest: "{out}/{{{{ inventory_hostname }}}}-inventory-results.json"
        mode: "0600"

# ------------------------------------------------------------------------------------------ environment
- name: Passwords from OBSHELL_PASSWORD / OBSHELL_AGENT_PASSWORD of the ansible-playbook process
  hosts: e1,e2
  gather_facts: false
  vars_files: ['{secrets}']
  tasks:
    - name: dag_info
      oceanbase.obshell.dag_info: {{port: "{{{{ obshell_port }}}}"}}
      register: v_info
    - name: facts
      oceanbase.obshell.facts: {{port: "{{{{ obshell_port }}}}"}}
    - name: dag_wait on the controller (the failed DAG fails the wait)
      oceanbase.obshell.dag_wait: {{port: "{{{{ obshell_port }}}}", id: "{dag_id}", poll_interval: 0.5}}
      register: v_wait
      ignore_errors: true
    - name: dag_wait on the target
      oceanbase.obshell.dag_wait: {{port: "{{{{ obshell_port }}}}", run_on: target, id: "{dag_id}", poll_interval: 0.5}}
      register: v_wait_target
      ignore_errors: true
    - name: dag, check mode
      oceanbase.obshell.dag: {{port: "{{{{ obshell_port }}}}", id: "{dag_id}", state: passed}}
      check_mode: true
      register: v_dag
    - name: The lookup
      ansible.builtin.set_fact:
        v_lookup: "{{{{ query('oceanbase.obshell.unfinished_dags', '127.0.0.1:' ~ obshell_port) }}}}"
    - name: The role (the failed DAG fails it)
      block:
        - name: Role
          ansible.builtin.include_role:
            name: oceanbase.obshell.wait_for_tasks
          vars:
            wait_for_tasks_poll_interval: 0.5
      rescue:
        - name: Keep the message
          ansible.builtin.set_fact:
            v_role: "{{{{ ansible_failed_result.msg }}}}"
    - name: HTTPS with the default certificate verification and no ca_path
      oceanbase.obshell.dag_info: {{port: {b0}, use_tls: true}}
      register: v_tls
      ignore_errors: true
    - name: HTTPS with ca_path, where the environment's passwords are wrong
      oceanbase.obshell.dag_info: {{port: {b0}, use_tls: true, ca_path: "{ca}"}}
      register: v_tls_wrong
      ignore_errors: true
    - name: dag_wait over HTTPS, wrong passwords
      oceanbase.obshell.dag_wait: {{port: {b0}, use_tls: true, ca_path: "{ca}", poll_interval: 0.5}}
      register: v_wait_wrong
      ignore_errors: true
    - name: The lookup over HTTPS, wrong passwords
      block:
        - name: Ask
          ansible.builtin.debug:
            msg: "{{{{ query('oceanbase.obshell.unfinished_dags', '127.0.0.1:{b0}', use_tls=true, ca_path='{ca}') }}}}"
      rescue:
        - name: Keep the message
          ansible.builtin.set_fact:
            v_lookup_wrong: "{{{{ ansible_failed_result.msg }}}}"
    - name: Save what came back
      ansible.builtin.copy:
        content: "{{{{ {{'info': v_info, 'facts': ansible_facts.obshell, 'wait': v_wait, 'wait_target': v_wait_target,
                       'dag': v_dag, 'lookup': v_lookup, 'role': v_role, 'tls': v_tls, 'tls_wrong': v_tls_wrong,
                       'wait_wrong': v_wait_wrong, 'lookup_wrong': v_lookup_wrong}} | to_json }}}}"
        dest: "{out}/{{{{ inventory_hostname }}}}-env-results.json"
        mode: "0600"

# ------------------------------------------------------------------------------------------ a real POST
- name: An operation that changes something (AES-encrypted body)
  hosts: e1
  gather_facts: false
  vars_files: ['{secrets}']
  tasks:
    - name: Retry the failed DAG, passwords as options
      oceanbase.obshell.dag: {{port: {a0}, password: "{{{{ root_pw }}}}", agent_password: "{{{{ agent_pw }}}}", id: "{dag_id}",
                               state: retried, wait: false}}
      register: p_dag
    - name: Save what came back
      ansible.builtin.copy:
        content: "{{{{ p_dag | to_json }}}}"
        dest: "{out}/post-results.json"
        mode: "0600"
"""


def _read(path):
    with open(path, 'rb') as handle:
        return handle.read().decode('utf-8', 'replace')


def test_no_password_appears_anywhere_at_vvvv(sim_cluster, sim_pki, tmp_path):
    sim = sim_cluster(agents=2, password=ROOT, agent_password=AGENT, scenario='scale_out_fail', step_seconds=0.05)
    dag_id = sim.find_dag('Cluster scale out')
    assert sim.wait_for(dag_id) == ('FAILED', 'RUN')
    plain = sim_cluster(agents=1, password=ROOT)                  # no agent password: the root password is used
    down = sim_cluster(agents=1, password=ROOT)
    down.agents[0].go_down()
    tls = sim_cluster(agents=1, password=OTHER_ROOT, agent_password=OTHER_AGENT,
                      tls=dict(cert=sim_pki['server_cert'], key=sim_pki['server_key']))
    work = tmp_path / 'run'
    out = tmp_path / 'saved'
    work.mkdir()
    out.mkdir()
    log_path = str(tmp_path / 'ansible.log')
    secrets = str(tmp_path / 'secrets.yml')
    with open(secrets, 'w') as handle:
        handle.write('root_pw: "%s"\nagent_pw: "%s"\nwrong_root_pw: "%s"\nwrong_agent_pw: "%s"\n'
                     % (ROOT, AGENT, WRONG_ROOT, WRONG_AGENT))
    playbook = PLAYBOOK.format(a0=sim.agents[0].port, d0=plain.agents[0].port, b0=tls.agents[0].port,
                               down=down.agents[0].port, secrets=secrets, dag_id=dag_id, ca=sim_pki['ca'],
                               out=str(out))
    hosts = {
        'obs1': {'obshell_port': sim.agents[0].port, 'obshell_password': ROOT, 'obshell_agent_password': AGENT},
        'obs2': {'obshell_port': sim.agents[1].port, 'obshell_password': ROOT, 'obshell_agent_password': AGENT},
        'e1': {'obshell_port': sim.agents[0].port},
        'e2': {'obshell_port': sim.agents[1].port},
    }
    inventory = local_inventory(hosts, group='observers', ansible_host='127.0.0.1')
    result = run_playbook(playbook, inventory, extra_args=['-vvvv'], workdir=str(work), timeout=300,
                          extra_env={'ANSIBLE_LOG_PATH': log_path, 'OBSHELL_PASSWORD': ROOT,
                                     'OBSHELL_AGENT_PASSWORD': AGENT})
    assert result.rc == 0, result.output[-6000:]

    # The failures really happened (each message is from the collection, not a crash).
    text = result.stdout
    for expected in ('Agent password is incorrect', 'OceanBase password is incorrect', 'certificate verify failed',
                     "cannot connect to http://127.0.0.1:%d" % down.agents[0].port,
                     "failed at node 6/9 'Prev check for scale_out'", 'would retry'):
        assert expected in text, expected
    assert 'Traceback' not in text + result.stderr
    assert [r['method'] for r in sim.requests if r['method'] == 'POST'] == ['POST']
    assert wait_until(lambda: os.path.exists(log_path), timeout=5)

    # Every file the run left behind, except the inputs that hold the passwords by design.
    inputs = {os.path.join(str(work), 'playbook.yml'), os.path.join(str(work), 'inventory', 'hosts'), secrets}
    searched = {'stdout': result.stdout, 'stderr': result.stderr}
    for folder, dummy, names in os.walk(str(tmp_path)):
        for name in names:
            path = os.path.join(folder, name)
            if path not in inputs:
                searched[path] = _read(path)
    assert log_path in searched and len([p for p in searched if p.endswith('results.json')]) == 7
    leaks = ['%s in %s' % (secret, where) for where, content in searched.items() for secret in SECRETS
             if secret in content]
    assert leaks == [], leaks
    # -vvvv printed the module arguments masked (ansible-core 2.16-2.20), or printed none (2.21 leaves `invocation`
    # out of module results unless configured to add it); either way the search above covered what was printed.
    assert 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER' in text or '"module_args"' not in text
    figure('secrets at -vvvv', 'places searched / bytes / leaks',
           '%d / %d / 0' % (len(searched), sum(len(c) for c in searched.values())))
