# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""The cluster model, as _dag is for DAGs: what ``GET /api/v1/ob/info`` (param.ObInfoResp, spec §11.5) says about
an OceanBase cluster, read strictly into facts: the cluster (name, id, version, shared storage, whether the
topology is known), its agents (address, port, zone, identity, version, observer) and what had to be left out.
The identities an agent reports (§2.1) and the CLUSTER_AGENT and SINGLE constants are defined here, once. Pure
functions, standard library only."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import ipaddress
import re

from ansible_collections.oceanbase.obshell.plugins.module_utils._dag_id import format_address
from ansible_collections.oceanbase.obshell.plugins.module_utils._text import safe_text

OB_INFO = '/api/v1/ob/info'
CLUSTER_AGENT = 'CLUSTER AGENT'
SINGLE = 'SINGLE'
# §2.1: every identity an agent reports
IDENTITIES = (SINGLE, 'MASTER', 'FOLLOWER', CLUSTER_AGENT, 'TAKE OVER MASTER', 'TAKE OVER FOLLOWER', 'SCALING OUT',
              'SCALING IN', 'UNIDENTIFIED')
# Agents of a cluster that is not initialised yet: no root@sys password (§1.8)
NOT_INITIALISED = ('MASTER', 'FOLLOWER')
# Identities whose agent is in no initialised OceanBase cluster: a batch of only these has no cluster DAGs. Any other
# (SCALING IN/OUT, TAKE OVER, UNIDENTIFIED) belongs to, or is moving into or out of, a cluster whose DAGs it cannot
# list: those DAGs are unknown, not absent.
NO_CLUSTER = (SINGLE,) + NOT_INITIALISED
# A DNS name as ssh and the agents accept it: labels of letters, digits, '_' and '-', not starting with '-'
_NAME_RE = re.compile(r'^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?'
                      r'(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$')


def shown(value, limit=80):
    """Text from an agent, fit for a message: escaped and cut (_text.safe_text)."""
    return safe_text(value if isinstance(value, str) else str(value), limit=limit)


class ClusterAnswerError(ValueError):
    """The answer of /api/v1/ob/info is not a cluster description."""


def _kind(value):
    """What a JSON value is, for messages: 'missing' (null), 'str', 'list'..."""
    return 'missing' if value is None else value.__class__.__name__


def _int(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _port(value):
    number = _int(value)
    return number if number is not None and 0 < number < 65536 else None


def _text(value):
    return value if isinstance(value, str) else None


def _address(value):
    """A usable agent or server address (an IP literal, or a DNS name), normalised; None otherwise. An address
    from the agent becomes ansible_host, which ssh is given: nothing else may get through."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return str(ipaddress.ip_address(value.strip('[]')))
    except ValueError:
        pass
    return value if _NAME_RE.match(value) and not value.startswith('-') else None


def _sort_key(address):
    try:
        ip = ipaddress.ip_address(address)
        return (0, ip.version, int(ip), '')
    except ValueError:
        return (1, 0, 0, address)


def _rootserver(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.upper() in ('YES', 'NO', 'TRUE', 'FALSE'):
        return value.upper() in ('YES', 'TRUE')
    return None


def read_cluster(data):
    """The cluster of an /api/v1/ob/info answer: (cluster, agents, warnings).

    ``cluster``: name, id, version, shared_storage, topology_known. ``agents``: one dict per usable agent (ip,
    port, zone, identity, version, server), sorted by zone, address and port; ``server`` is its observer from the
    topology (None when unknown). Entries that cannot be used are left out with a warning. Raises
    ClusterAnswerError when the answer as a whole is not a cluster description.
    """
    if not isinstance(data, dict):
        raise ClusterAnswerError('the data is %s, not an object' % _kind(data))
    agent_info = data.get('agent_info')
    if not isinstance(agent_info, list):
        raise ClusterAnswerError('agent_info is %s, not a list' % _kind(agent_info))
    info = data.get('obcluster_info')
    if info is None:
        info = {}
    if not isinstance(info, dict):
        raise ClusterAnswerError('obcluster_info is %s, not an object' % _kind(info))
    topology = info.get('topology')
    if topology is not None and not isinstance(topology, dict):
        raise ClusterAnswerError('obcluster_info.topology is %s, not an object' % _kind(topology))
    warnings = []
    servers = _servers(topology or {}, warnings)
    agents = _agents(agent_info, servers, warnings)
    cluster_id = _int(info.get('id'))
    shared = info.get('is_shared_storage')
    cluster = {
        'name': _text(info.get('name')) or '',
        'id': cluster_id if cluster_id else None,
        'version': _text(info.get('version')) or '',
        'shared_storage': shared if isinstance(shared, bool) and topology is not None else None,
        'topology_known': topology is not None,
    }
    return cluster, agents, warnings


def _servers(topology, warnings):
    """{(svr_ip, agent_port): observer} from the topology (agent_port None when the topology does not say)."""
    servers = {}
    for zone, members in sorted(topology.items(), key=lambda item: str(item[0])):
        if members is None:  # a nil slice: a zone without observers
            continue
        if not isinstance(members, list):
            raise ClusterAnswerError('the topology of zone %s is %s, not a list' % (shown(zone), _kind(members)))
        for member in members:
            ip = _address(member.get('svr_ip')) if isinstance(member, dict) else None
            if ip is None:
                warnings.append('an observer of zone %s has no usable svr_ip (%s): left out of the topology'
                                % (shown(zone), shown(member.get('svr_ip') if isinstance(member, dict) else member)))
                continue
            server = {
                'zone': str(zone),
                'svr_ip': ip,
                'svr_port': _port(member.get('svr_port')),
                'sql_port': _port(member.get('sql_port')),
                'agent_port': _port(member.get('agent_port')),
                'rootserver': _rootserver(member.get('with_rootserver')),
                'status': _text(member.get('status')),
                'build_version': _text(member.get('build_version')),
            }
            servers.setdefault((ip, server['agent_port']), server)
    return servers


def _agents(agent_info, servers, warnings):
    """The usable agents of agent_info, each with its observer (taken out of ``servers``), sorted."""
    agents = []
    seen = set()
    for entry in agent_info:
        ip = _address(entry.get('ip')) if isinstance(entry, dict) else None
        port = _port(entry.get('port')) if isinstance(entry, dict) else None
        if ip is None or port is None:
            warnings.append('an agent with no usable ip and port (%s) is left out'
                            % shown(entry if not isinstance(entry, dict) else
                                    '%s:%s' % (entry.get('ip'), entry.get('port'))))
            continue
        if (ip, port) in seen:
            warnings.append('agent %s is listed twice; the first entry is used' % format_address(ip, port))
            continue
        seen.add((ip, port))
        server = servers.pop((ip, port), None)
        if server is None:
            # a topology that does not say which agent port its observers have: match by IP when that is unique
            candidates = [key for key in servers if key[0] == ip and key[1] is None]
            if len(candidates) == 1:
                server = servers.pop(candidates[0])
        zone = _text(entry.get('zone'))
        if zone is None and server is not None:
            zone = server['zone']
        agents.append({
            'ip': ip, 'port': port, 'zone': zone or '',
            'identity': _text(entry.get('identity')), 'version': _text(entry.get('version')),
            'server': server,
        })
    for server in servers.values():
        warnings.append('observer %s of zone %s has no OBShell agent in agent_info: not listed'
                        % (format_address(server['svr_ip'], server['svr_port']), shown(server['zone'])))
    if not agents:
        if agent_info:
            raise ClusterAnswerError('none of the %d agents in agent_info has a usable ip and port' % len(agent_info))
        raise ClusterAnswerError('agent_info is empty')
    agents.sort(key=lambda agent: (agent['zone'], _sort_key(agent['ip']), agent['port']))
    return agents


def not_a_cluster(cluster, agents, seed_identity):
    """Why an answer does not describe a cluster to list (a SINGLE agent, one being scaled in), or None."""
    if seed_identity == SINGLE or all(agent['identity'] == SINGLE for agent in agents):
        return ('is a SINGLE agent, not part of an OceanBase cluster: it has no cluster to list (name an agent '
                'of the cluster, or initialise the cluster first)')
    if cluster['id'] is None and not cluster['name'] and not cluster['topology_known'] and len(agents) == 1:
        return ('reports no OceanBase cluster (it is %s): name an agent of the cluster'
                % shown(seed_identity or agents[0]['identity'] or 'of unknown identity'))
    return None
