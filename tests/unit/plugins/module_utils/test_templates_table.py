# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection's table of template permissions (_templates.py) against the simulator's (tests/simulator/
templates.py). Both were derived from the agent's Go source on their own; where they disagree, one of them is wrong
about the real agent, and this test says where."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.oceanbase.obshell.plugins.module_utils import _templates
from tests.simulator import templates as simulated

OPERATIONS = (('can_cancel', _templates.CANCEL), ('can_pass', _templates.PASS), ('can_retry', _templates.RETRY),
              ('can_rollback', _templates.ROLLBACK))


@pytest.mark.parametrize('key', sorted(simulated.TEMPLATES))
def test_every_node_of_every_simulated_template_allows_the_same_operations(key):
    spec = simulated.build(key)
    template = _templates.template_of(spec['name'])
    assert template is not None, 'the collection does not know the template of %r' % spec['name']
    assert template['maintenance'] == spec['maintenance'], spec['name']
    for node in spec['nodes']:
        expected = set(operation for flag, operation in OPERATIONS if node[flag])
        assert set(_templates._node_operations(template, node['name'])) == expected, (spec['name'], node['name'])


def test_every_template_of_the_collection_is_simulated():
    names = [simulated.build(key)['name'] for key in simulated.TEMPLATES]
    for template in _templates.TEMPLATES:
        assert any(template['pattern'].search(name) for name in names), template['pattern'].pattern
