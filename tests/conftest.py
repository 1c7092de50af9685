# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Repository-wide pytest set-up.

The collection is importable as ``ansible_collections.oceanbase.obshell`` through the repository's own
``collections/`` directory, where ``collections/ansible_collections/oceanbase/obshell`` is a relative
symlink back to the repository root (gitignored, never built). The same directory is exported as
ANSIBLE_COLLECTIONS_PATH so the ansible-playbook processes that integration tests start find the collection.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import errno
import os
import shutil
import sys

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS_DIR = os.path.join(REPO_ROOT, 'collections')
COLLECTION_LINK = os.path.join(COLLECTIONS_DIR, 'ansible_collections', 'oceanbase', 'obshell')
# Relative to the link's own directory, and the same target scripts/test.sh uses.
COLLECTION_LINK_TARGET = os.path.join('..', '..', '..')


def ensure_collection_link():
    """Create collections/ansible_collections/oceanbase/obshell -> repository root if it is missing."""
    if os.path.islink(COLLECTION_LINK) and os.readlink(COLLECTION_LINK) == COLLECTION_LINK_TARGET:
        return
    parent = os.path.dirname(COLLECTION_LINK)
    if not os.path.isdir(parent):
        os.makedirs(parent)
    if os.path.islink(COLLECTION_LINK):
        os.unlink(COLLECTION_LINK)
    try:
        os.symlink(COLLECTION_LINK_TARGET, COLLECTION_LINK)
    except OSError as exc:
        # Another process (a parallel pytest run) may have made the same link first.
        if exc.errno != errno.EEXIST or os.readlink(COLLECTION_LINK) != COLLECTION_LINK_TARGET:
            raise


ensure_collection_link()

# The repository root makes ``tests.*`` (the simulator, the support helpers) importable; collections/ makes the
# collection importable under its real name.
for _path in (COLLECTIONS_DIR, REPO_ROOT):
    if _path not in sys.path:
        sys.path.insert(0, _path)

os.environ['ANSIBLE_COLLECTIONS_PATH'] = COLLECTIONS_DIR

# Helpers moved out of test files keep pytest's detailed assertion messages (it rewrites only test files and
# conftest.py otherwise); this must come before they are first imported.
pytest.register_assert_rewrite('tests.support', 'tests.conformance._envelope')

# The simulator's fixtures (sim_cluster, sim_pki...) and the loopback test servers and proxies of tests/support
# (http_proxy, https_proxy, raw_server, one_answer_server), for every suite.
pytest_plugins = ['tests.simulator.pytest_plugin', 'tests.support.http_servers']


def _rulebook_installed():
    """ansible-rulebook next to this Python (its virtualenv) or on PATH."""
    path = os.path.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', '')
    return shutil.which('ansible-rulebook', path=path) is not None


# Tests marked ``real_agent`` talk to a real OBShell agent (tests/conformance, docs/conformance.md); they run only
# when OBSHELL_REAL_AGENT=host:port names one, and those marked real_agent(https=True) only when
# OBSHELL_REAL_AGENT_CA names the CA of its certificate. Tests marked ``eda`` need ansible-rulebook (and Java): the
# eda stage of scripts/test.sh runs them. Elsewhere both are deselected, never skipped, and the run says why.
REAL_AGENT_VARIABLE = 'OBSHELL_REAL_AGENT'
REAL_AGENT_CA_VARIABLE = 'OBSHELL_REAL_AGENT_CA'
_DESELECTED = {}


def _why_deselected(item, eda_wanted):
    if item.get_closest_marker('eda') is not None and not eda_wanted:
        return 'eda test(s) deselected: ansible-rulebook is not installed here (the eda stage of scripts/test.sh ' \
            'runs them)'
    marker = item.get_closest_marker('real_agent')
    if marker is None:
        return None
    if not os.environ.get(REAL_AGENT_VARIABLE):
        return 'real_agent test(s) deselected: %s is not set (host:port of a real OBShell agent, see ' \
            'docs/conformance.md)' % REAL_AGENT_VARIABLE
    if marker.kwargs.get('https') and not os.environ.get(REAL_AGENT_CA_VARIABLE):
        return 'real_agent test(s) deselected: %s is not set (the real agent is checked over HTTPS only with the ' \
            'CA of its certificate)' % REAL_AGENT_CA_VARIABLE
    return None


def pytest_collection_modifyitems(config, items):
    eda_wanted = _rulebook_installed() or 'eda' in (config.getoption('markexpr') or '')
    kept = []
    for item in items:
        why = _why_deselected(item, eda_wanted)
        if why is None:
            kept.append(item)
        else:
            _DESELECTED.setdefault(why, []).append(item)
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept


def pytest_report_collectionfinish(config, start_path, items):
    return ['%d %s' % (len(group), why) for why, group in sorted(_DESELECTED.items())]
