# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""Reading one field of an agent's DAG DTO: lenient readers, strict readers, and the agent's times.

The lenient readers (``as_*``, ``safe_copy``) are for fields only shown to people: odd input gives None, never an
exception. The strict readers (``strict_*``) are for the fields a verdict rests on: anything but the agent's type and
value raises ValueError naming the field (``field_error``). Times are RFC 3339 as Go renders them; ZERO_TIME and
other times before 1971 mean "not set". Pure functions, standard library only; the one impure default is the clock
of ``now_seconds``, and callers can pass ``now`` instead. Section numbers (§x.y) refer to the protocol spec
(obshell-api.md).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy
import datetime
import math
import re
import time

from ansible_collections.oceanbase.obshell.plugins.module_utils._text import short_repr
from ansible_collections.oceanbase.obshell.plugins.module_utils._vocabulary import FINISHED_STATES

# The agent's integers are Go int64.
INT64_MAX = 2 ** 63 - 1
_INT_TEXT_RE = re.compile(r'^\s*[+-]?[0-9]{1,19}\s*$', re.ASCII)

# RFC 3339 as Go renders time.Time: up to 9 fractional digits (trailing zeros trimmed), offset or Z.
# datetime.fromisoformat on Python 3.8 takes neither 9 digits nor Z, hence this parser.
_TIME_RE = re.compile(
    r'^\s*([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:[.,]([0-9]+))?'
    r'\s*(?:([Zz])|([+-])([0-9]{2}):?([0-9]{2}))?\s*$', re.ASCII)
_EPOCH = datetime.datetime(1970, 1, 1)
# ZERO_TIME (time.Unix(0, 0)) marks reset items after RETRY/ROLLBACK/CANCEL (§4.1); how it round-trips through the
# databases is uncertain (§10.5), so anything before 1971 (and Go's zero time, year 1) counts as "not set".
_UNSET_BEFORE = 365 * 86400


# --------------------------------------------------------------------------------------------------------------
# Lenient readers: every one returns None (or the value itself) instead of raising on odd input.


def as_int(value):
    """An int64 from an int, an integral float or integer text; None otherwise (booleans included)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if abs(value) <= INT64_MAX else None
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value) or not value.is_integer():
            return None
        return as_int(int(value))
    if isinstance(value, str) and _INT_TEXT_RE.match(value):
        return as_int(int(value))
    return None


def as_text(value):
    """A string as it is, a number rendered; None otherwise (booleans and None included)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        try:
            return str(value)
        except ValueError:  # an int too long to render (Python 3.11 int_max_str_digits)
            return None
    return None


def as_id(value):
    """A sub-object id (node or sub-task): kept as the agent's text, never validated."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int) and not isinstance(value, bool):
        return as_text(value)
    return None


def as_enum(value, by_number):
    """An enum name, upper case, from its name or from its number in ``by_number`` (older agents); else None."""
    if isinstance(value, str):
        return value.strip().upper() or None
    if isinstance(value, int) and not isinstance(value, bool):
        return by_number.get(value)
    return None


def safe_copy(value):
    """A deep copy of ``value``, or ``value`` itself when it cannot be copied."""
    try:
        return copy.deepcopy(value)
    except Exception:  # pylint: disable=broad-except
        return value


# --------------------------------------------------------------------------------------------------------------
# Strict readers: the agent's type and value, or ValueError naming the field.


def field_error(where, field, value, expected):
    """The ValueError for a field of ``where`` (e.g. 'DAG 142 node 3') that is not what the agent sends."""
    return ValueError('%s: field %r is %s, not %s' % (where, field, short_repr(value, 60), expected))


def strict_int(where, field, value, minimum=0):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum or value > INT64_MAX:
        raise field_error(where, field, value, 'an integer from %d to %d' % (minimum, INT64_MAX))
    return value


def strict_text(where, field, value):
    if not isinstance(value, str):
        raise field_error(where, field, value, 'a string')
    return value


def strict_enum(where, field, value, allowed):
    if not isinstance(value, str) or value not in allowed:
        raise field_error(where, field, value, 'one of %s' % ', '.join(allowed))
    return value


def strict_list(where, field, value):
    """A list, or None for null/absent (the agent sends null without details)."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise field_error(where, field, value, 'a list or null')
    return value


# --------------------------------------------------------------------------------------------------------------
# Time


def _parse_epoch(value):
    """Seconds since the epoch of an RFC 3339 string (may be <= 0), or None when unparsable."""
    if not isinstance(value, str):
        return None
    match = _TIME_RE.match(value)
    if not match:
        return None
    (year, month, day, hour, minute, second, fraction, zulu, sign, offset_hours,
     offset_minutes) = match.groups()
    try:
        moment = datetime.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
    except (ValueError, OverflowError):
        return None
    seconds = (moment - _EPOCH).total_seconds()
    if fraction:
        fraction = fraction[:9]
        seconds += int(fraction) / float(10 ** len(fraction))
    if sign and not zulu:
        if int(offset_hours) > 23 or int(offset_minutes) > 59:
            return None
        offset = int(offset_hours) * 3600 + int(offset_minutes) * 60
        seconds -= offset if sign == '+' else -offset
    # Without an offset the time is taken as UTC; the agents always send one.
    return seconds


def parse_time(value):
    """Seconds since the epoch (float) of an agent timestamp; None if unparsable or "not set" (ZERO_TIME)."""
    seconds = _parse_epoch(value)
    if seconds is None or seconds < _UNSET_BEFORE:
        return None
    return seconds


def time_field(value):
    """(raw string or None, epoch or None). A ZERO_TIME or empty value is "not set": (None, None)."""
    if not isinstance(value, str) or not value.strip():
        return None, None
    seconds = _parse_epoch(value)
    if seconds is not None and seconds < _UNSET_BEFORE:
        return None, None
    return value, seconds


def now_seconds(now):
    """Epoch seconds of ``now`` (datetime, epoch seconds or RFC 3339 text); None is the current time."""
    if now is None:
        return time.time()
    if isinstance(now, bool):
        raise ValueError('now must be a datetime, epoch seconds or an RFC 3339 string, not %r' % (now,))
    if isinstance(now, (int, float)):
        if math.isnan(now) or math.isinf(now):
            raise ValueError('now must be a finite number of epoch seconds, not %r' % (now,))
        return float(now)
    if isinstance(now, datetime.datetime):
        if now.tzinfo is None or now.utcoffset() is None:
            now = now.replace(tzinfo=datetime.timezone.utc)  # naive datetimes are taken as UTC
        return now.timestamp()
    seconds = _parse_epoch(now)
    if seconds is None:
        raise ValueError('now must be a datetime, epoch seconds or an RFC 3339 string, not %s' % short_repr(now))
    return seconds


def elapsed(state, start, end, now):
    """Rounded seconds: finished end-start, READY/PENDING 0.0, otherwise (running) now-start; None if unknown.
    ``start``, ``end`` and ``now`` are epoch seconds."""
    if state in FINISHED_STATES:
        if start is None or end is None:
            return None
        seconds = end - start
    elif state in ('READY', 'PENDING'):
        return 0.0
    elif state is None or start is None:
        return None
    else:
        seconds = now - start
    # Clock skew between the controller and the agent (or odd agent data) must not show negative durations.
    return round(max(seconds, 0.0), 1)
