# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""``python -m tests.simulator``: run a simulated OBShell cluster until SIGINT/SIGTERM."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import argparse
import signal
import sys
import textwrap
import threading

from tests.simulator.auth import normalize_identity
from tests.simulator.cluster import SimCluster
from tests.simulator.profiles import KNOWN_PROFILES
from tests.simulator.scenarios import builtin_scenarios


def _parse_identities(values, count):
    """``--identity SINGLE`` (all agents) or ``--identity 1=FOLLOWER`` (agent 1), repeatable."""
    if not values:
        return None
    out = {}
    for value in values:
        for item in value.split(','):
            item = item.strip()
            if not item:
                continue
            if '=' in item:
                index, identity = item.split('=', 1)
                index = int(index)
                if not 0 <= index < count:
                    raise ValueError('--identity index %d out of range (0..%d)' % (index, count - 1))
                out[index] = normalize_identity(identity)
            else:
                identity = normalize_identity(item)
                for index in range(count):
                    out[index] = identity
    return out


def scenario_help(width=79):
    """The built-in scenarios, each with what it does, for --help."""
    lines = ['built-in scenarios (--scenario NAME; a step is --step-seconds):']
    for name in sorted(builtin_scenarios):
        text = ' '.join(str(builtin_scenarios[name].get('description') or '').split())
        lines.extend(textwrap.wrap(text, width=width, initial_indent='  %-24s ' % name,
                                   subsequent_indent=' ' * 27) or ['  %s' % name])
    return '\n'.join(lines)


def build_parser():
    parser = argparse.ArgumentParser(prog='python -m tests.simulator',
                                     description='Simulated OceanBase OBShell agents (one cluster) on loopback. '
                                                 'Needs the Python library cryptography (and PyYAML for a YAML scenario file).',
                                     epilog=scenario_help(), formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--agents', type=int, default=3, help='number of agents (default 3)')
    parser.add_argument('--host', default='127.0.0.1', help='listen address (default 127.0.0.1)')
    parser.add_argument('--base-port', type=int, default=2886,
                        help='agent i listens on BASE_PORT+i (default 2886; 0 = ephemeral ports)')
    parser.add_argument('--password', default=None, help='root@sys password of the cluster (default: none)')
    parser.add_argument('--agent-password', default=None, help='agent password (4.2.6+ profiles)')
    parser.add_argument('--scenario', default='idle',
                        help='a built-in scenario (listed below) or a JSON/YAML file (default idle)')
    parser.add_argument('--step-seconds', type=float, default=1.0, help='duration of one DAG node (default 1.0)')
    parser.add_argument('--profile', default='4.5.0',
                        help='agent version to behave as: %s (default 4.5.0; 4.2.2 = auth v1, uncertain)'
                        % ', '.join(KNOWN_PROFILES))
    parser.add_argument('--identity', action='append', default=[],
                        help='identity override: IDENTITY for all agents or INDEX=IDENTITY (repeatable), '
                             'e.g. SINGLE or 1=FOLLOWER')
    parser.add_argument('--tls-cert', default=None, help='server certificate (PEM): serve HTTPS')
    parser.add_argument('--tls-key', default=None, help='server private key (PEM)')
    parser.add_argument('--tls-client-ca', default=None, help='CA (PEM) for client certificates: require mTLS')
    parser.add_argument('--ob-version', default='4.2.1.0', help='obVersion reported by /api/v1/info')
    parser.add_argument('--zones', default=None,
                        help='zone of each agent, comma-separated in agent order, e.g. zone1,zone1,zone2 '
                             '(default: zone1, zone2, ... one per agent)')
    parser.add_argument('--cluster-name', default='obcluster', help='cluster name reported by /api/v1/ob/info')
    parser.add_argument('--cluster-id', type=int, default=1, help='cluster id reported by /api/v1/ob/info')
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error('--tls-cert and --tls-key go together')
    if args.tls_client_ca and not args.tls_cert:
        parser.error('--tls-client-ca needs --tls-cert/--tls-key')
    try:
        identities = _parse_identities(args.identity, args.agents)
    except ValueError as exc:
        parser.error(str(exc))
    tls = None
    if args.tls_cert:
        tls = {'cert': args.tls_cert, 'key': args.tls_key, 'client_ca': args.tls_client_ca}
    try:
        sim = SimCluster(agents=args.agents, host=args.host, base_port=args.base_port, password=args.password,
                         agent_password=args.agent_password, scenario=args.scenario, step_seconds=args.step_seconds,
                         profile=args.profile, identities=identities, tls=tls, ob_version=args.ob_version,
                         zones=args.zones, cluster_name=args.cluster_name, cluster_id=args.cluster_id)
    except ValueError as exc:
        parser.error(str(exc))

    stop = threading.Event()

    def _on_signal(signum, frame):  # pylint: disable=unused-argument
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    try:
        sim.start()
    except (OSError, ValueError) as exc:
        sys.stderr.write('simulator: cannot start: %s\n' % exc)
        return 1
    try:
        for agent in sim.agents:
            sys.stdout.write('agent %s ready\n' % agent.address)
        sys.stdout.flush()
        while not stop.wait(0.2):
            pass
    finally:
        sim.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
