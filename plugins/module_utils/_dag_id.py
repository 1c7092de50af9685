# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""Generic task ids (§4.4): what an id says (cluster or agent, obproxy, the table id it embeds), which ids are valid,
and agent addresses written as ``host:port``.

A generic id is digits: a prefix (1 cluster, 2/3 agent over IPv4/IPv6, 4/5 obproxy over IPv4/IPv6), for an agent id
its address and port, then the task's table id. Pure functions, standard library only. Section numbers (§x.y) refer
to the protocol spec (obshell-api.md).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import ipaddress

from ansible_collections.oceanbase.obshell.plugins.module_utils._dag_fields import INT64_MAX
from ansible_collections.oceanbase.obshell.plugins.module_utils._text import short_repr

_IPV4_MAX = 2 ** 32 - 1
_IPV6_MAX = 2 ** 128 - 1

# Generic id layout (§4.4): prefix -> (kind, address family, minimum length, end of address, end of port).
_ID_LAYOUTS = {
    '1': ('cluster', None, 2, 1, 1),
    '2': ('agent', 4, 17, 11, 16),
    '3': ('agent', 6, 46, 40, 45),
    '4': ('agent', 4, 17, 11, 16),
    '5': ('agent', 6, 46, 40, 45),
}
_OBPROXY_PREFIXES = ('4', '5')
_ID_HELP = ("ids are digits; a cluster DAG id starts with 1 (e.g. 142), a local agent DAG id starts with 2 or 3 "
            "followed by the agent's address and port (e.g. 22130706433028861), 4 or 5 for obproxy tasks")


def _invalid_id(value, reason=None):
    detail = '%s; %s' % (reason, _ID_HELP) if reason else _ID_HELP
    return ValueError('%s is not a valid OBShell generic task id: %s' % (short_repr(value), detail))


def decode_id(value):
    """Validate and split a generic id: (text, layout, address int or None, port or None, number).

    ``layout`` is (kind, address family or None, minimum length, end of address, end of port). ValueError if
    ``value`` (str or int) is not a generic id."""
    if isinstance(value, bool):
        raise _invalid_id(value)
    if isinstance(value, int):
        if value < 0 or value.bit_length() > 256:
            raise _invalid_id(value)
        text = str(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise _invalid_id(value)
    if not text or any(char not in '0123456789' for char in text):
        raise _invalid_id(value)
    layout = _ID_LAYOUTS.get(text[0])
    if layout is None:
        raise _invalid_id(value, 'the first digit must be 1, 2, 3, 4 or 5')
    family, min_length, address_end, port_end = layout[1:]
    if len(text) < min_length:
        if family is None:
            reason = 'a cluster id has digits after the leading 1'
        else:
            reason = 'an id starting with %s is longer than %d digits' % (text[0], min_length - 1)
        raise _invalid_id(value, reason)
    number_text = text[port_end:]
    # The agent parses the task number as a signed 64-bit integer (task_dto.go ConvertGenericID).
    if len(number_text) > 19 or int(number_text) > INT64_MAX:
        raise _invalid_id(value, 'the task number does not fit a 64-bit integer')
    address = port = None
    if family is not None:
        address = int(text[1:address_end])
        if address > (_IPV4_MAX if family == 4 else _IPV6_MAX):
            raise _invalid_id(value, 'the embedded IPv%d address is out of range' % family)
        port = int(text[address_end:port_end])
    return text, layout, address, port, int(number_text)


def _zero_leading_address(layout, address):
    """The agent cannot decode an id whose embedded address has a zero leading byte (0.x.x.x, ::1...): Go's
    big.Int.Bytes() drops leading zeros (task_dto.go, §11.4)."""
    family = layout[1]
    if family is None:
        return False
    return address < (1 << (24 if family == 4 else 120))


def validate_generic_id(value):
    """The normalized generic id (a digit string) of ``value`` (str or int), for an id a user gives: ValueError if
    invalid, or if it names an agent address the agent itself cannot decode."""
    text, layout, address, dummy_port, dummy_number = decode_id(value)
    if _zero_leading_address(layout, address):
        raise _invalid_id(value, 'its agent address starts with a zero byte (0.x.x.x or an IPv6 address such as ::1), '
                                 'which the agent cannot decode')
    return text


def id_kind(generic_id):
    """'cluster' for ids starting with 1; 'agent' for 2/3 and for the obproxy prefixes 4/5 (local to an agent)."""
    return decode_id(generic_id)[1][0]


def id_is_obproxy(generic_id):
    """True for obproxy task ids (prefix 4 or 5)."""
    return decode_id(generic_id)[0][0] in _OBPROXY_PREFIXES


def id_number(generic_id):
    """The table id embedded in a generic id (dag_id, node_id or task_id), e.g. '142' -> 42."""
    return decode_id(generic_id)[4]


def canonical_host(host):
    """One spelling of an agent's host, to compare addresses: an IP in its compressed form (IPv6 is written several
    ways), a name in lower case; without brackets."""
    host = str(host).strip('[]')
    try:
        return ipaddress.ip_address(host).compressed
    except ValueError:
        return host.lower()


def format_address(host, port):
    """``host:port``, with IPv6 literals in brackets; ``host`` alone when the port is unknown."""
    host = str(host)
    if ':' in host and not host.startswith('['):
        host = '[%s]' % host
    return host if port is None else '%s:%s' % (host, port)
