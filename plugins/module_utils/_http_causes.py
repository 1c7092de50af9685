# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""What a failure of requests, urllib3, the socket or ssl was, in a few words: the innermost cause, and its text
without the noise (an ssl source line, a repeated errno). Standard library only."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re
import ssl


def root(exc):
    """The innermost cause of a requests or urllib3 error (they wrap it two or three times)."""
    seen = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        inner = getattr(exc, 'reason', None)                 # urllib3's MaxRetryError
        if not isinstance(inner, BaseException):
            inner = getattr(exc, 'original_error', None)     # urllib3 2's ProxyError
        if not isinstance(inner, BaseException):
            inner = next((arg for arg in getattr(exc, 'args', ()) if isinstance(arg, BaseException)), None)
        if not isinstance(inner, BaseException):
            inner = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
        if not isinstance(inner, BaseException):
            break
        exc = inner
    return exc


def short(exc):
    """The text of an exception, at most 200 characters."""
    if isinstance(exc, ssl.SSLError):
        # "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: ... (_ssl.c:1006)": the source line goes
        return re.sub(r'\s*\(_ssl\.c:\d+\)$', '', str(exc))[:200]
    if isinstance(exc, OSError) and exc.errno is not None and exc.strerror:
        return '[Errno %s] %s' % (exc.errno, exc.strerror)
    return (str(exc) or exc.__class__.__name__)[:200]


def seconds(value):
    """Seconds for a message: 0.5, 10, 2.3."""
    return ('%.1f' % value).rstrip('0').rstrip('.')
