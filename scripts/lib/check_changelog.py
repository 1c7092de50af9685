# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check a trial `antsibull-changelog release --version 1.0.0` (made by scripts/test.sh, stage changelog, in a scratch
copy): the first release reads as a first release.

Usage: check_changelog.py COLLECTION_ROOT_OF_THE_TRIAL

- 1.0.0 has a release summary and no other section: nothing was released before, so there is nothing to fix,
  change or deprecate (fragments about unreleased code do not belong in it);
- every module, every plugin and every role of the tree is listed as new in 1.0.0 (antsibull-changelog takes them
  from `version_added: 1.0.0` in their documentation and argument specs);
- the fragments were folded in, and CHANGELOG.rst has the "New Modules", "New Plugins" and "New Roles" sections.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import sys

import yaml

VERSION = '1.0.0'
PLUGIN_TYPES = ('action', 'become', 'cache', 'callback', 'cliconf', 'connection', 'filter', 'httpapi', 'inventory',
                'lookup', 'netconf', 'shell', 'strategy', 'terminal', 'test', 'vars')
# Action plugins of modules are not plugins of their own in a changelog.
NOT_LISTED = ('action',)


def python_names(directory):
    if not os.path.isdir(directory):
        return []
    return sorted(name[:-3] for name in os.listdir(directory) if name.endswith('.py') and not name.startswith('_'))


def main(root):
    problems = []
    with open(os.path.join(root, 'changelogs', 'changelog.yaml')) as handle:
        changelog = yaml.safe_load(handle)
    releases = changelog.get('releases') or {}
    if sorted(releases) != [VERSION]:
        problems.append('releases should be only %s, found %s' % (VERSION, sorted(releases)))
    release = releases.get(VERSION) or {}
    changes = release.get('changes') or {}
    if not changes.get('release_summary'):
        problems.append('%s has no release_summary' % VERSION)
    others = sorted(set(changes) - set(['release_summary']))
    if others:
        problems.append('%s is the first release: it should have only a release_summary, found also %s'
                        % (VERSION, ', '.join(others)))

    listed_modules = sorted(entry['name'] for entry in release.get('modules') or [])
    wanted_modules = python_names(os.path.join(root, 'plugins', 'modules'))
    if listed_modules != wanted_modules:
        problems.append('new modules %s, but the tree has %s' % (listed_modules, wanted_modules))
    for plugin_type in PLUGIN_TYPES:
        if plugin_type in NOT_LISTED:
            continue
        listed = sorted(entry['name'] for entry in (release.get('plugins') or {}).get(plugin_type) or [])
        wanted = python_names(os.path.join(root, 'plugins', plugin_type))
        if listed != wanted:
            problems.append('new %s plugins %s, but the tree has %s' % (plugin_type, listed, wanted))
    roles_dir = os.path.join(root, 'roles')
    wanted_roles = sorted(name for name in os.listdir(roles_dir)) if os.path.isdir(roles_dir) else []
    listed_roles = sorted(entry['name'] for entry in (release.get('objects') or {}).get('role') or [])
    if listed_roles != wanted_roles:
        problems.append('new roles %s, but the tree has %s (a role is listed when its meta/argument_specs.yml has '
                        'version_added)' % (listed_roles, wanted_roles))

    left = [name for name in os.listdir(os.path.join(root, 'changelogs', 'fragments')) if name.endswith('.yml')] \
        if os.path.isdir(os.path.join(root, 'changelogs', 'fragments')) else []
    if left:
        problems.append('fragments left after the release: %s' % ', '.join(sorted(left)))
    with open(os.path.join(root, 'CHANGELOG.rst')) as handle:
        text = handle.read()
    for section in ['Release Summary', 'New Modules'] + (['New Roles'] if wanted_roles else []) + \
            (['New Plugins'] if release.get('plugins') else []):
        if '\n%s\n' % section not in text:
            problems.append('CHANGELOG.rst has no "%s" section' % section)

    for problem in problems:
        print('FAIL: changelog: %s' % problem)
    if not problems:
        print('changelog %s: release summary, %d modules, %d plugins, %d roles; nothing else'
              % (VERSION, len(listed_modules), sum(len(v) for v in (release.get('plugins') or {}).values()),
                 len(listed_roles)))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
