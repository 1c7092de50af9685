# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers shared by the test suites, imported as ``tests.support.<module>``; no test file imports another.

- ``http_servers``: loopback test servers and proxies (an HTTP forward/CONNECT proxy, the same over TLS, a SOCKS5
  proxy, agents that misbehave below HTTP: stall, trickle, endless headers or body, oversized answers, a TLS
  handshake that never ends) and their pytest fixtures (registered for every suite by tests/conftest.py).
- ``clock``: the one fake of the wait's clock (``_clock.Clock``).
- ``agents``: scripted fake agents and the DAG DTOs they answer with, for the wait's unit tests.
- ``sim_requests``: what reached the simulated agents (their request log), and faults timed on it.
- ``wait_world``: the world of the model-based test of the wait (tests/unit/plugins/module_utils/test_wait_model.py):
  the ground truth of agents and DAGs, answered through real clients.

Like the simulator (tests/simulator), this is test code: never part of the collection's build (galaxy.yml ignores
tests/).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type
