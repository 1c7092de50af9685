# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Copy the collection to a directory ansible-test accepts.

ansible-test needs the collection's real path to end in ansible_collections/<namespace>/<name> and refuses a
symlink, so the sanity stage runs in a fresh copy. Usage: stage_collection.py SOURCE_ROOT DESTINATION

In a git work tree the copy holds exactly the files git would see (tracked plus untracked-but-not-ignored),
which is also what ansible-test itself would test in a checkout. Outside git (an unpacked tarball) it copies
everything except the generated and tool directories listed in EXCLUDED.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import shutil
import subprocess
import sys

# Paths relative to the source root, and names excluded at any depth (used only outside git).
EXCLUDED = ('.git', '.ansible', 'collections', 'tests/output', 'build')
EXCLUDED_NAMES = ('__pycache__', '.pytest_cache', '.hypothesis')


def git_listed_files(root):
    """Return the files git would show for root, or None if root is not a git work tree."""
    try:
        out = subprocess.check_output(
            ['git', '-C', root, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
            stderr=subprocess.DEVNULL)
    except (OSError, subprocess.CalledProcessError):
        return None
    names = [name for name in out.decode('utf-8').split('\0') if name]
    # --cached still lists tracked files deleted from the work tree; they are not part of the tree to test.
    return [name for name in names if os.path.lexists(os.path.join(root, name))]


def walked_files(root):
    """Every file under root except the excluded trees."""
    files = []
    for directory, subdirs, filenames in os.walk(root):
        rel_dir = os.path.relpath(directory, root)
        kept = []
        for sub in subdirs:
            rel = os.path.normpath(os.path.join(rel_dir, sub))
            if rel not in EXCLUDED and sub not in EXCLUDED_NAMES:
                kept.append(sub)
        subdirs[:] = kept
        for filename in filenames:
            if filename.endswith(('.pyc', '.tar.gz')):
                continue
            files.append(os.path.normpath(os.path.join(rel_dir, filename)))
    return files


def main(argv):
    if len(argv) != 3:
        sys.stderr.write('usage: %s SOURCE_ROOT DESTINATION\n' % argv[0])
        return 2
    source, destination = os.path.abspath(argv[1]), os.path.abspath(argv[2])
    files = git_listed_files(source)
    if files is None:
        files = walked_files(source)
    if os.path.lexists(destination):
        shutil.rmtree(destination)
    os.makedirs(destination)
    for rel in sorted(files):
        src = os.path.join(source, rel)
        dst = os.path.join(destination, rel)
        if not os.path.isdir(os.path.dirname(dst)):
            os.makedirs(os.path.dirname(dst))
        if os.path.islink(src):
            os.symlink(os.readlink(src), dst)
        else:
            shutil.copy2(src, dst)
    print('staged %d files at %s' % (len(files), destination))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
