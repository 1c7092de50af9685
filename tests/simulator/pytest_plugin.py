# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""pytest fixtures: ``pytest_plugins = ['tests.simulator.pytest_plugin']``.

``sim_cluster`` is a factory: ``sim = sim_cluster(agents=3, scenario='scale_out', step_seconds=0.1)``
returns a started ``SimCluster``; every cluster made in a test is stopped when the test ends.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

import pytest

from tests.simulator.certs import make_test_pki
from tests.simulator.cluster import SimCluster


@pytest.fixture
def sim_cluster():
    """Factory of started simulated clusters (ephemeral ports by default), all stopped at teardown."""
    made = []

    def factory(**kwargs):
        kwargs.setdefault('base_port', 0)
        sim = SimCluster(**kwargs)
        made.append(sim)
        sim.start()
        return sim

    yield factory
    for sim in reversed(made):
        sim.stop()


@pytest.fixture(scope='session')
def sim_pki(tmp_path_factory):
    """A test CA with server (127.0.0.1/localhost/::1) and client certificates: dict of PEM paths."""
    return make_test_pki(str(tmp_path_factory.mktemp('sim-pki')))


@pytest.fixture
def no_proxy_variables(monkeypatch):
    """No proxy variable (HTTP_PROXY, no_proxy...) from the environment; the monkeypatch, to set some."""
    for name in list(os.environ):
        if name.lower().endswith('_proxy'):
            monkeypatch.delenv(name)
    return monkeypatch
