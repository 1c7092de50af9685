# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shipped gate playbooks, by real ansible-playbook: when their inventory source failed (a wrong password, the
seed agent down), they fail, instead of matching no host and ending "ok" without having checked anything."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

import pytest
import yaml

from tests.integration._ansible import local_inventory, run_playbook
from tests.support.http_servers import closed_port

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.parametrize('playbook', ['scale_out_gate.yml', 'rolling_upgrade_by_zone.yml'])
@pytest.mark.parametrize('failure', ['wrong password', 'seed agent down'])
def test_a_gate_over_an_inventory_that_failed_fails(sim_cluster, tmp_path, playbook, failure):
    sim = sim_cluster(agents=1, password='the-right-one', scenario='idle')
    port = closed_port() if failure == 'seed agent down' else sim.agents[0].port
    source = os.path.join(str(tmp_path), 'prod.obshell.yml')
    with open(source, 'w') as handle:
        yaml.safe_dump({'plugin': 'oceanbase.obshell.obshell', 'agents': ['127.0.0.1:%d' % port],
                        'password': 'not-the-right-one', 'retries': 0}, handle)
    # A file that must not be used: the run must stop before asking for the scale-out or changing a host.
    marker = os.path.join(str(tmp_path), 'ran')
    steps = os.path.join(str(tmp_path), 'steps.yml')
    with open(steps, 'w') as handle:
        handle.write('- name: Mark\n  ansible.builtin.file:\n    path: %s\n    state: touch\n  delegate_to: localhost\n'
                     % marker)
    result = run_playbook(os.path.join(ROOT, 'playbooks', playbook),
                          local_inventory({'localhost': {'ansible_connection': 'local'}}, group='controller'),
                          extra_args=('-i', source, '-e', 'scale_out_request_tasks=%s' % steps,
                                      '-e', 'upgrade_host_tasks=%s' % steps))
    assert result.rc != 0, result.output
    assert 'No host in the group obshell_cluster_agent' in result.output, result.output
    assert 'cannot list the OceanBase cluster' in result.output, result.output   # the inventory's own warning
    assert not os.path.exists(marker)
