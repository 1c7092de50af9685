# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The examples of the docs: every fenced block of README.md, roles/wait_for_tasks/README.md and docs/*.md
(``ALL_BLOCKS``), and those annotated with ``<!-- example: KIND settings -->`` on the line before them
(``EXAMPLES``), which test_docs_examples.py runs (and test_eda.py, the rulebooks). test_docs_examples.py says what
the kinds and settings mean.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import glob
import os
import re
import shlex

from tests.integration._ansible import REPO_ROOT

DOCUMENTS = (['README.md', os.path.join('roles', 'wait_for_tasks', 'README.md')]
             + sorted(os.path.relpath(path, REPO_ROOT) for path in glob.glob(os.path.join(REPO_ROOT, 'docs', '*.md'))))
KINDS = ('inventory', 'inventory-options', 'ansible-cfg', 'vars', 'playbook', 'rulebook')
FENCE = re.compile(r'^(?P<indent>\s*)```(?P<lang>[A-Za-z0-9_+-]*)\s*$')
ANNOTATION = re.compile(r'^\s*<!-- example: (?P<kind>\S+)(?P<settings>.*?)-->\s*$')


class Block(object):
    def __init__(self, path, line, lang, text, kind, settings):
        self.path, self.line, self.lang, self.text, self.kind = path, line, lang, text, kind
        self.settings = settings

    @property
    def id(self):
        return '%s:%d' % (self.path, self.line)


def fenced_blocks(path):
    """Every fenced block of a Markdown file: Block objects (kind None when not annotated)."""
    with open(os.path.join(REPO_ROOT, path)) as handle:
        lines = handle.read().splitlines()
    blocks, index = [], 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        indent, start = len(opening.group('indent')), index
        index += 1
        body = []
        while index < len(lines) and lines[index].strip() != '```':
            body.append(lines[index][indent:])
            index += 1
        previous = next((line for line in reversed(lines[:start]) if line.strip()), '')
        annotation = ANNOTATION.match(previous)
        kind, settings = None, {}
        if annotation:
            kind = annotation.group('kind')
            settings = dict(item.split('=', 1) for item in shlex.split(annotation.group('settings')))
        blocks.append(Block(path, start + 1, opening.group('lang'), '\n'.join(body) + '\n', kind, settings))
        index += 1
    return blocks


ALL_BLOCKS = [block for path in DOCUMENTS for block in fenced_blocks(path)]
EXAMPLES = [block for block in ALL_BLOCKS if block.kind]
