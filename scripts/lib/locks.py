# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lock files of tests/requirements/locks/, for scripts/test.sh (run with any Python 3 that has pip).

    python locks.py digest FILE...          sha256 over the files and every file they include with -r
    python locks.py check REQUIREMENTS LOCK  exit 1 (and say why) if the lock does not satisfy the requirements
    python locks.py pip LOCK                 the lock's pip pin with its hashes (installed first)
    python locks.py moved LOCK FREEZE        "name locked -> installed" for each package whose version differs
    python locks.py wheel LOCK DIR           the path in DIR of the wheel of the lock's only pin
    python locks.py unpack WHEEL DEST NS/NAME...  unpack those collections (ansible_collections/NS/NAME/) into DEST
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import glob
import hashlib
import os
import re
import shutil
import sys
import zipfile

PIN = re.compile(r'^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;\\]+)')


def canonical(name):
    return re.sub(r'[-_.]+', '-', name).lower()


def _lines(path):
    """Logical lines (continuations joined, comments dropped) of a requirements file."""
    with open(path) as handle:
        text = handle.read().replace('\\\n', ' ')
    for line in text.splitlines():
        line = line.split(' #', 1)[0].strip() if not line.lstrip().startswith('#') else ''
        if line:
            yield line


def _requirement_lines(path, seen=None):
    """The requirement lines of a requirements file and of the files it includes with -r, as [(file, line)]."""
    seen = set() if seen is None else seen
    path = os.path.realpath(path)
    found = []
    if path in seen:
        return found
    seen.add(path)
    for line in _lines(path):
        words = line.split()
        if words[0] in ('-r', '--requirement'):
            found.extend(_requirement_lines(os.path.join(os.path.dirname(path), words[1]), seen))
        elif not line.startswith('-'):
            found.append((path, line))
    return found


def pins(path):
    """{canonical name: (name, version)} of a lock (or of `pip list --format=freeze` output)."""
    found = {}
    for line in _lines(path):
        match = PIN.match(line)
        if match:
            found[canonical(match.group(1))] = (match.group(1), match.group(3))
    return found


def digest(paths):
    total = hashlib.sha256()
    seen = set()

    def add(path):
        path = os.path.realpath(path)
        if path in seen:
            return
        seen.add(path)
        with open(path, 'rb') as handle:
            data = handle.read()
        total.update(path.encode() + b'\0' + data + b'\0')
        for line in data.decode('utf-8').splitlines():
            words = line.split('#', 1)[0].split()
            if len(words) == 2 and words[0] in ('-r', '--requirement'):
                add(os.path.join(os.path.dirname(path), words[1]))

    for path in paths:
        add(path)
    return total.hexdigest()


def check(requirements, lock):
    """Every requirement (with its -r includes) names a package the lock pins, at a version it allows."""
    try:
        from pip._vendor.packaging.requirements import Requirement  # pylint: disable=import-outside-toplevel
    except ImportError:         # a Python without pip: packaging itself, if it is there
        from packaging.requirements import Requirement  # pylint: disable=import-outside-toplevel
    locked = pins(lock)
    problems = []
    for path, line in _requirement_lines(requirements):
        requirement = Requirement(line)
        pinned = locked.get(canonical(requirement.name))
        if pinned is None:
            if requirement.marker is not None:
                continue        # for other Pythons or platforms, maybe: the lock was resolved for its own
            problems.append('%s (%s) is not in the lock' % (line, os.path.basename(path)))
        elif not requirement.specifier.contains(pinned[1], prereleases=True):
            problems.append('%s (%s), but the lock has %s' % (line, os.path.basename(path), pinned[1]))
    return problems


def pip_stanza(lock):
    """The lines of the lock from 'pip==' to the end of its hashes."""
    out = []
    with open(lock) as handle:
        for line in handle:
            if out or line.startswith('pip=='):
                out.append(line.rstrip('\n'))
                if not line.rstrip().endswith('\\'):
                    break
    return out


def moved(lock, freeze):
    locked, installed = pins(lock), pins(freeze)
    out = []
    for key in sorted(set(locked) | set(installed)):
        old = locked.get(key, (None, None))[1]
        new = installed.get(key, (None, None))[1]
        if old != new:
            name = (locked.get(key) or installed.get(key))[0]
            out.append('%s %s -> %s' % (name, old or '(not in the lock)', new or '(not installed)'))
    return out


def wheel(lock, directory):
    """The wheel of the lock's only pin in DIRECTORY (where pip download put it)."""
    locked = list(pins(lock).values())
    if len(locked) != 1:
        raise SystemExit('%s must pin exactly one package, not %d' % (lock, len(locked)))
    name, version = locked[0]
    found = glob.glob(os.path.join(directory, '%s-%s-*.whl' % (canonical(name).replace('-', '_'), version)))
    if len(found) != 1:
        raise SystemExit('no single wheel of %s %s in %s: %s' % (name, version, directory, found))
    return found[0]


def unpack(wheel_path, dest, collections):
    """Unpack ansible_collections/NS/NAME/ of each collection from the wheel into DEST/NS/NAME (replacing it)."""
    with zipfile.ZipFile(wheel_path) as archive:
        names = archive.namelist()
        for collection in collections:
            prefix = 'ansible_collections/%s/' % collection.strip('/')
            members = [name for name in names if name.startswith(prefix) and not name.endswith('/')]
            if not members:
                raise SystemExit('%s carries no %s' % (os.path.basename(wheel_path), prefix))
            target = os.path.join(dest, collection)
            shutil.rmtree(target, ignore_errors=True)
            for member in members:
                path = os.path.join(dest, member[len('ansible_collections/'):])
                if not os.path.realpath(path).startswith(os.path.realpath(target) + os.sep):
                    raise SystemExit('refusing %s: outside %s' % (member, target))
                if not os.path.isdir(os.path.dirname(path)):
                    os.makedirs(os.path.dirname(path))
                with archive.open(member) as source, open(path, 'wb') as out:
                    shutil.copyfileobj(source, out)
            print('unpacked %s (%d files) from %s' % (collection, len(members), os.path.basename(wheel_path)))


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    command, args = argv[0], argv[1:]
    if command == 'digest':
        print(digest(args))
    elif command == 'check' and len(args) == 2:
        problems = check(*args)
        for problem in problems:
            print('the lock %s does not satisfy %s' % (args[1], problem))
        return 1 if problems else 0
    elif command == 'pip' and len(args) == 1:
        lines = pip_stanza(args[0])
        if not lines:
            print('no pip pin in %s' % args[0], file=sys.stderr)
            return 1
        print('\n'.join(lines))
    elif command == 'wheel' and len(args) == 2:
        print(wheel(*args))
    elif command == 'unpack' and len(args) >= 3:
        unpack(args[0], args[1], args[2:])
    elif command == 'moved' and len(args) == 2:
        for line in moved(*args):
            print(line)
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
