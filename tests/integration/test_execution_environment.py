# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The execution environment: ansible-builder finds the collection's Python requirements.

No image is built (no container engine here). ``ansible-builder create`` makes the build context of the example
execution-environment.yml, and ``ansible-builder introspect`` reads the requirements the way the image build does, from
the collection as installed from its tarball and from the checkout.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import glob
import os
import re
import subprocess
import sys

import pytest
import yaml

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTION_LIBRARIES = ('cryptography', 'requests')


def tool(name):
    path = os.path.join(os.path.dirname(sys.executable), name)
    assert os.path.isfile(path), 'no %s next to %s (tests/requirements/common.txt installs it)' % (name, sys.executable)
    return path


def run(args, cwd=REPO_ROOT):
    completed = subprocess.run(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               universal_newlines=True, check=False, timeout=300)
    assert completed.returncode == 0, '%s\n%s' % (' '.join(args), completed.stdout)
    return completed.stdout


def requirement_names(lines):
    """Distribution names of requirement lines (comments and blank lines dropped), lower case."""
    names = []
    for line in lines:
        line = line.split('#', 1)[0].strip()
        if line:
            names.append(re.match(r'^[A-Za-z0-9._-]+', line).group(0).lower())
    return names


def read_lines(path):
    with open(path) as handle:
        return handle.read().splitlines()


def test_the_collection_declares_its_python_requirements():
    with open(os.path.join(REPO_ROOT, 'meta', 'execution-environment.yml')) as handle:
        meta = yaml.safe_load(handle)
    assert meta['version'] == 3
    listed = requirement_names(read_lines(os.path.join(REPO_ROOT, meta['dependencies']['python'])))
    assert sorted(listed) == sorted(COLLECTION_LIBRARIES)


def test_create_makes_a_context_that_installs_the_collection_and_its_python_requirements(tmp_path):
    context = str(tmp_path / 'context')
    run([tool('ansible-builder'), 'create', '-f', os.path.join(REPO_ROOT, 'execution-environment.yml'),
         '-c', context, '--output-filename', 'Containerfile'])
    build = os.path.join(context, '_build')
    assert sorted(requirement_names(read_lines(os.path.join(build, 'requirements.txt')))) == \
        sorted(COLLECTION_LIBRARIES)
    with open(os.path.join(build, 'requirements.yml')) as handle:
        galaxy = yaml.safe_load(handle)
    assert [collection['name'] for collection in galaxy['collections']] == ['oceanbase.obshell']
    with open(os.path.join(context, 'Containerfile')) as handle:
        containerfile = handle.read()
    # The image build installs the collections, then introspects them for their requirements and adds ours.
    assert 'ansible-galaxy collection install' in containerfile and '-r requirements.yml' in containerfile
    assert 'introspect.py introspect --user-pip=requirements.txt' in containerfile


@pytest.fixture(scope='module')
def installed_from_tarball(tmp_path_factory):
    """The collection built into a tarball and installed from it: what Galaxy users and an image build get."""
    work = str(tmp_path_factory.mktemp('ee-tarball'))
    run([tool('ansible-galaxy'), 'collection', 'build', '--force', '--output-path', work])
    tarball = glob.glob(os.path.join(work, 'oceanbase-obshell-*.tar.gz'))[0]
    collections = os.path.join(work, 'collections')
    run([tool('ansible-galaxy'), 'collection', 'install', tarball, '-p', collections, '--force'], cwd=work)
    return collections


@pytest.mark.parametrize('source', ['tarball', 'checkout'])
def test_introspect_lists_the_collection_python_requirements(request, source):
    if source == 'tarball':
        collections = request.getfixturevalue('installed_from_tarball')
    else:
        collections = os.path.join(REPO_ROOT, 'collections')
    output = run([tool('ansible-builder'), 'introspect', collections])
    data = yaml.safe_load(output[output.index('---'):])
    found = dict((requirement_names([entry])[0], entry) for entry in data['python'])
    for name in COLLECTION_LIBRARIES:
        assert name in found, output
        assert found[name].endswith('# from collection oceanbase.obshell'), output
    # The checkout's collections/ also holds the real ansible.posix the output tests use (its rsync is its own).
    ours = [entry for entry in data.get('system') or [] if entry.endswith('# from collection oceanbase.obshell')]
    assert ours == [], output
