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

# The repository root makes ``tests.*`` (the simulator) importable; collections/ makes the collection
# importable under its real name.
for _path in (COLLECTIONS_DIR, REPO_ROOT):
    if _path not in sys.path:
        sys.path.insert(0, _path)

os.environ['ANSIBLE_COLLECTIONS_PATH'] = COLLECTIONS_DIR

pytest_plugins = ['tests.simulator.pytest_plugin']


def _rulebook_installed():
    """ansible-rulebook next to this Python (its virtualenv) or on PATH."""
    path = os.path.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', '')
    return shutil.which('ansible-rulebook', path=path) is not None


_DESELECTED_EDA = []


def pytest_collection_modifyitems(config, items):
    """The eda tests need ansible-rulebook (and Java): where it is not installed and the run did not ask for them
    (-m eda), they are deselected, not skipped: the eda stage of scripts/test.sh runs them."""
    if _rulebook_installed() or 'eda' in (config.getoption('markexpr') or ''):
        return
    deselected = [item for item in items if item.get_closest_marker('eda') is not None]
    if deselected:
        items[:] = [item for item in items if item.get_closest_marker('eda') is None]
        config.hook.pytest_deselected(items=deselected)
        _DESELECTED_EDA.extend(deselected)


def pytest_report_collectionfinish(config, start_path, items):
    if _DESELECTED_EDA:
        return ['deselected %d eda tests: ansible-rulebook is not installed here (the eda stage of scripts/test.sh '
                'runs them)' % len(_DESELECTED_EDA)]
    return []
