# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""Agent text made safe: escaped and cut.

Every piece of text that came from an agent (DAG, node and sub-task names, log lines, error messages) goes through
``safe_text`` before it is put into a line or a message: control characters are escaped, so an agent cannot move
the cursor, colour the terminal or forge a line such as "done: succeeded"; and long text is cut, saying how much was
cut. Text kept in a result (``cut_text``) is only cut; a whole message is capped (``cap_message``); a value named in
an error message is shown by ``short_repr``.

Pure functions, standard library only. The DAG model, the reports and every plugin use them.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

# Longest piece of agent text put into one line or message, and the longest message as a whole.
TEXT_LIMIT = 300
MESSAGE_LIMIT = 4000
# Log lines kept per failed sub-task in reports and messages, and the longest such line kept in a result.
LOG_TAIL = 10
LOG_LINE_LIMIT = 2000

# C0 controls (tab included: it moves the cursor), DEL, C1 controls, the Unicode line/paragraph separators, the
# bidirectional marks and overrides, and the invisible ones (zero-width spaces and joiners, word joiner, BOM) that
# can make a line read differently from what it contains.
_CONTROLS = u'\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff'
_UNSAFE_RE = re.compile(u'[%s\\\\]' % _CONTROLS)
_CONTROL_RE = re.compile(u'[%s]' % _CONTROLS)
_NAMED_ESCAPES = {'\n': '\\n', '\r': '\\r', '\t': '\\t', '\x1b': '\\e', '\\': '\\\\'}
# What cut_text leaves at the end of a text it cut: a later cut adds its count instead of saying less was cut.
_CUT_MARK_RE = re.compile(r' \[\.\.\. (\d+) more characters cut\]$')


def _escape(match):
    char = match.group(0)
    named = _NAMED_ESCAPES.get(char)
    if named:
        return named
    code = ord(char)
    return '\\x%02x' % code if code < 0x100 else '\\u%04x' % code


def safe_text(value, limit=TEXT_LIMIT):
    """``value`` as one printable line: control characters escaped (``\\n``, ``\\e``, ``\\x07``...), and cut to
    ``limit`` characters with a note of how many were cut. None gives ''."""
    if value is None:
        return ''
    if not isinstance(value, str):
        value = str(value)
    cut = 0
    if limit is not None and len(value) > limit:
        earlier = _CUT_MARK_RE.search(value)
        if earlier:
            value = value[:earlier.start()]
        cut = len(value) - limit + (int(earlier.group(1)) if earlier else 0)
        value = value[:limit]
    text = _UNSAFE_RE.sub(_escape, value)
    if cut:
        text += ' [... %d more characters cut]' % cut
    return text


def printable(value):
    """A message Ansible prints as it is (a module's or a lookup's error, a warning): its control characters
    escaped as safe_text escapes them, its backslashes left alone, so that a message safe_text already made safe
    stays the same. Where an agent's words reach such a message unescaped, an agent could otherwise erase the line
    and print a result of its own (found by the red team)."""
    if not isinstance(value, str):
        return value
    return _CONTROL_RE.sub(_escape, value)


def cut_text(value, limit=LOG_LINE_LIMIT):
    """A long piece of agent text kept in a result, cut to ``limit`` characters saying how many were cut (not
    escaped: results are data, and callbacks print them as JSON or YAML, which escape)."""
    if not isinstance(value, str) or len(value) <= limit:
        return value
    return '%s [... %d more characters cut]' % (value[:limit], len(value) - limit)


def cap_message(text, limit=MESSAGE_LIMIT):
    """A whole message kept readable: at most ``limit`` characters, saying how many were cut."""
    if len(text) <= limit:
        return text
    return '%s [... message cut: %d more characters]' % (text[:limit], len(text) - limit)


def short_repr(value, limit=80):
    """A value named in an error message: its repr (which escapes), cut to ``limit`` characters with '...'."""
    try:
        text = repr(value)
    except Exception:  # pylint: disable=broad-except
        text = '<%s>' % type(value).__name__
    return text if len(text) <= limit else text[:limit - 3] + '...'
