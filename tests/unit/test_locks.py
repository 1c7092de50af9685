# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lock files scripts/test.sh installs the test virtualenvs from (scripts/lib/locks.py, tests/requirements/locks/):
every lock the script lists exists, satisfies its requirements file and pins every package with hashes; a stale lock,
a drifted package and a wheel that reaches outside its collection are caught."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import subprocess
import zipfile

import pytest

from scripts.lib import locks

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REQUIREMENTS = os.path.join(REPO_ROOT, 'tests', 'requirements')


def listed_locks():
    out = subprocess.check_output(['bash', os.path.join(REPO_ROOT, 'scripts', 'test.sh'), '--locks'],
                                  universal_newlines=True)
    return [line.split() for line in out.splitlines() if line.strip()]


def test_every_listed_lock_exists_satisfies_its_requirements_and_has_hashes():
    listed = listed_locks()
    assert len(listed) >= 10, listed
    for words in listed:
        name, python = words[0], words[1]
        lock = os.path.join(REQUIREMENTS, 'locks', name)
        assert os.path.isfile(lock), 'no lock for %s: bash scripts/lock.sh %s' % (name, name)
        assert locks.check(os.path.join(REQUIREMENTS, name), lock) == [], name
        with open(lock) as handle:
            text = handle.read()
        pinned = locks.pins(lock)
        assert pinned, name
        # Every pin carries at least one sha256 (pip's hash-checking mode refuses a lock where one lacks it).
        assert text.count('==') == len(pinned) and text.count('--hash=sha256:') >= len(pinned), name
        if '--no-deps' not in words:
            assert 'pip' in pinned, name
            if python == '3.6':
                assert pinned['pip'][1].startswith('21.'), 'Python 3.6 needs pip 21.3, the last for it'


def test_the_locks_keep_the_cryptography_of_the_last_green_run():
    # cryptography 51.0.1 came after the last green run and broke it (issue 24): the locks of the ansible-core venvs
    # stay at 50.0.2 until someone moves them on purpose.
    for name in ('test.txt', 'core-2.16.txt', 'core-2.21.txt'):
        assert locks.pins(os.path.join(REQUIREMENTS, 'locks', name))['cryptography'][1] == '50.0.2'


def test_a_lock_older_than_its_requirements_is_refused(tmp_path):
    (tmp_path / 'base.txt').write_text('cryptography>=52\nrequests>=2.25  # the transport\n')
    (tmp_path / 'req.txt').write_text('-r base.txt\nnewthing==1.0\n')
    (tmp_path / 'lock.txt').write_text('cryptography==50.0.2 \\\n    --hash=sha256:aa\n'
                                       'requests==2.34.2 \\\n    --hash=sha256:bb\n    # via -r base.txt\n')
    problems = locks.check(str(tmp_path / 'req.txt'), str(tmp_path / 'lock.txt'))
    assert len(problems) == 2, problems
    assert 'cryptography>=52' in problems[0] and '50.0.2' in problems[0]
    assert 'newthing==1.0' in problems[1] and 'not in the lock' in problems[1]


def test_moved_names_each_package_with_both_versions(tmp_path):
    (tmp_path / 'lock.txt').write_text('cryptography==50.0.2 \\\n    --hash=sha256:aa\nidna==3.20 \\\n'
                                       '    --hash=sha256:bb\nPyYAML==6.0.2 \\\n    --hash=sha256:cc\n')
    (tmp_path / 'freeze.txt').write_text('cryptography==51.0.1\nidna==3.20\npyyaml==6.0.2\nnew-dep==1.0\n')
    assert locks.moved(str(tmp_path / 'lock.txt'), str(tmp_path / 'freeze.txt')) == [
        'cryptography 50.0.2 -> 51.0.1', 'new-dep (not in the lock) -> 1.0']


def test_the_pip_pin_is_taken_whole():
    lines = locks.pip_stanza(os.path.join(REQUIREMENTS, 'locks', 'target-3.6.txt'))
    assert lines[0].startswith('pip==21.3') and all('--hash=sha256:' in line for line in lines[1:])


def test_digest_changes_with_the_lock(tmp_path):
    (tmp_path / 'req.txt').write_text('requests\n')
    (tmp_path / 'lock.txt').write_text('requests==2.34.2\n')
    before = locks.digest([str(tmp_path / 'req.txt'), str(tmp_path / 'lock.txt')])
    (tmp_path / 'lock.txt').write_text('requests==2.34.3\n')
    assert locks.digest([str(tmp_path / 'req.txt'), str(tmp_path / 'lock.txt')]) != before


def _wheel(path, members):
    with zipfile.ZipFile(str(path), 'w') as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return str(path)


def test_unpack_takes_only_the_named_collection(tmp_path):
    wheel = _wheel(tmp_path / 'ansible-1.0-py3-none-any.whl', {
        'ansible_collections/ansible/posix/MANIFEST.json': '{}',
        'ansible_collections/ansible/posix/plugins/callback/json.py': '# real',
        'ansible_collections/community/general/MANIFEST.json': '{}',
    })
    dest = tmp_path / 'out'
    locks.unpack(wheel, str(dest), ['ansible/posix'])
    assert (dest / 'ansible' / 'posix' / 'plugins' / 'callback' / 'json.py').read_text() == '# real'
    assert not (dest / 'community').exists()


def test_unpack_refuses_a_member_outside_its_collection(tmp_path):
    wheel = _wheel(tmp_path / 'evil-1.0-py3-none-any.whl', {
        'ansible_collections/ansible/posix/../../../escaped.py': 'x',
    })
    with pytest.raises(SystemExit):
        locks.unpack(wheel, str(tmp_path / 'out'), ['ansible/posix'])
    assert not (tmp_path / 'escaped.py').exists()
