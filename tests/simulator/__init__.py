# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A simulated OceanBase OBShell agent cluster for tests and demos (``python -m tests.simulator``).

The protocol follows ``obshell-api.md`` (the "spec"); section numbers in comments refer to it.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from tests.simulator.cluster import SimAgent, SimCluster
from tests.simulator.profiles import KNOWN_PROFILES, Profile
from tests.simulator.scenarios import builtin_scenarios, load_scenario

__all__ = ['SimCluster', 'SimAgent', 'builtin_scenarios', 'load_scenario', 'Profile', 'KNOWN_PROFILES']
