# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
name: obshell
short_description: OceanBase cluster hosts, zones and rootservers from an OBShell agent
version_added: 1.0.0
description:
  - Asks an OBShell agent of an OceanBase cluster for the cluster (C(GET /api/v1/ob/info), authenticated like the
    task routes) and makes one inventory host per OBShell agent of the cluster, with its zone, identity, ports,
    observer status and whether it holds a rootserver, grouped by zone, by identity and by rootserver.
  - The seed agents in O(agents) are asked in order until one answers. A seed that is a C(FOLLOWER) answers
    through its master, as the agent forwards the request. A seed whose observer is down answers without the
    topology; then the other agents of the cluster are asked for it (one per zone, at most six).
  - Every agent of the cluster is then asked C(GET /api/v1/info) (no authentication), concurrently, to tell which
    ones answer (O(probe_agents)). Agents that do not answer are still listed, with C(obshell_reachable=false).
  - The configuration file must end in C(obshell.yml) or C(obshell.yaml).
  - "Host variables (unset when not known): C(ansible_host) (the IP the agent reports), C(obshell_port),
    C(obshell_zone), C(obshell_identity), C(obshell_version), C(obshell_reachable) and
    C(obshell_unreachable_reason); C(ob_cluster_name), C(ob_cluster_id), C(ob_cluster_version),
    C(ob_shared_storage); from the topology C(ob_svr_ip), C(ob_svr_port), C(ob_sql_port), C(ob_rootserver)
    (bool), C(ob_status) (C(ACTIVE), C(INACTIVE)...) and C(ob_build_version)."
  - "Groups (prefix O(group_prefix)): C(obshell_zone_<zone>) per zone, C(obshell_rootservers),
    C(obshell_<identity>) per identity (C(obshell_cluster_agent), C(obshell_follower)...), and
    C(obshell_unreachable). Zone and identity names are made safe: runs of characters other than letters, digits
    and C(_) become one C(_)."
  - C(obshell_host) is not set, so that modules on a host keep asking their own agent at V(127.0.0.1), and
    controller-side plugins (the role, M(oceanbase.obshell.dag_wait), the lookup) use C(ansible_host).
author:
  - OceanBase obshell collection contributors (@oceanbase)
options:
  plugin:
    description: The name of this plugin; must be V(oceanbase.obshell.obshell) for the file to be used.
    type: str
    required: true
    choices: [oceanbase.obshell.obshell]
  agents:
    description:
      - Seed agents to ask for the cluster, in order, until one answers. Each is C(host) or C(host:port) (an
        IPv6 literal as C([::1]:2886) or bare C(::1)); without a port, O(port) is used. No scheme
        (use O(use_tls) for HTTPS) and no path.
      - When empty, the one agent in O(host) and O(port) is the seed.
      - Seeds are first asked once each, without retries; only if none answered, the ones that failed for a
        reason worth retrying (unreachable, a transient 5xx) are asked again with O(retries).
    type: list
    elements: str
    default: []
  host:
    description:
      - The seed agent when O(agents) is empty (a name, an IPv4 address or an IPv6 literal, without port).
      - If not set, E(OBSHELL_HOST), then the C([oceanbase_obshell]) section of C(ansible.cfg).
    type: str
  port:
    description:
      - Port of the seed agents named without one in O(agents), and of the seed O(host).
      - If not set, E(OBSHELL_PORT), then C(ansible.cfg), then V(2886). The agents' own ports come from the cluster.
    type: int
    default: 2886
  password:
    description:
      - Password of the OceanBase C(root@sys) user, used with every agent of the cluster.
      - "Keep it out of plain files: in the configuration file as a vaulted value (C(password: !vault |...), with
        C(--vault-password-file) or C(--ask-vault-pass)), or in E(OBSHELL_PASSWORD), or as the extra variable
        C(obshell_password) (C(-e @vault.yml); extra variables are play variables too)."
      - Leave unset for a cluster that is not initialised yet (C(MASTER) and C(FOLLOWER) agents have no root
        password) and for a SINGLE agent.
      - The value is used as it is, not templated (a C({{ ... }}) is sent as those characters).
      - With auth v1 (OBShell 4.2.2) it can be at most about 19 characters long.
    type: str
  hostname:
    description:
      - A Jinja2 expression (as in O(compose)) that names each host, evaluated with the host's variables above,
        for example V(ob_cluster_name ~ '-' ~ ansible_host).
      - The result is made safe for a host name (runs of characters other than letters, digits, C(_), C(-) and
        C(.) become one C(-)). An expression that fails, gives an empty name, or gives two agents the same name
        fails the inventory, naming the agents.
      - When not set, a host is named C(<cluster>-<zone>-<ip>-<agent port>), with the cluster and zone names made
        safe in the same way and the dots and colons of the IP as dashes, for example
        C(obcluster-zone1-10-0-0-1-2886). This name stays the same as long as the agent's cluster, zone, IP and
        port do; parts that are empty are left out.
    type: str
  group_prefix:
    description:
      - Prefix of the groups this plugin makes. Use a different one per cluster when one inventory holds several
        clusters, for example V(prod_), which gives C(prod_zone_zone1) and C(prod_rootservers).
      - Letters, digits and C(_), not starting with a digit; may be empty.
    type: str
    default: obshell_
  probe_agents:
    description:
      - Ask every agent of the cluster C(GET /api/v1/info) (unauthenticated, no retries), O(max_workers) at a time,
        to set C(obshell_reachable) and the group C(obshell_unreachable).
      - This costs one small request per agent, and at most about O(request_timeout) seconds for agents that do
        not answer (they are asked at the same time). With V(false), neither the variable nor the group is set.
    type: bool
    default: true
  max_workers:
    description: How many agents O(probe_agents) asks at the same time (one thread and one connection each).
    type: int
    default: 16
extends_documentation_fragment:
  - oceanbase.obshell.connection
  - oceanbase.obshell.connection.plugins
  - constructed
  - inventory_cache
notes:
  - "The inventory runs on the controller, so the C(OBSHELL_*) environment variables, C(ansible.cfg) and the TLS
    files are read there. Connection options can also come from extra variables (C(-e obshell_password=...), or
    C(-e @vault.yml)), and the configuration file can hold vaulted values (C(password: !vault |...)) when Ansible
    is given the vault password."
  - The same connection options apply to every agent of the cluster; their addresses and ports come from the
    cluster. C(ansible_host) is the IP the agent reports; when the controller reaches the hosts by other
    addresses, set C(ansible_host) with O(compose).
  - "With O(cache=true) the answer of the cluster and the reachability of each agent are cached, so a run within
    O(cache_timeout) lists the hosts as they were when the cache was filled, even if no agent answers now.
    C(--flush-cache) (of C(ansible-playbook), and of C(ansible-inventory) in ansible-core 2.19) or
    C(meta: refresh_inventory) asks the agents again. A cache filled for other seed agents is not used."
  - Passwords are never put in the inventory, the cache, or a message.
seealso:
  - module: oceanbase.obshell.dag_wait
  - module: oceanbase.obshell.facts
  - plugin: oceanbase.obshell.unfinished_dags
    plugin_type: lookup
'''

EXAMPLES = r'''
# prod.obshell.yml: one agent of the cluster is enough; the password from the vault.
plugin: oceanbase.obshell.obshell
agents:
  - 10.0.0.1
  - 10.0.0.2:2886
password: !vault |
  $ANSIBLE_VAULT;1.1;AES256
  6231...

# ansible-inventory -i prod.obshell.yml --graph --vault-password-file ~/.vault-pass
# @all:
#   |--@obshell_zone_zone1:
#   |  |--obcluster-zone1-10-0-0-1-2886
#   |--@obshell_rootservers:
#   |  |--obcluster-zone1-10-0-0-1-2886
#   |--@obshell_cluster_agent:
#   ...

# tls.obshell.yml, a second inventory file (commented out, as these examples are one YAML document): HTTPS
# with a private CA, names by IP, and groups of your own.
# plugin: oceanbase.obshell.obshell
# agents: [ob1.example.com, ob2.example.com]
# use_tls: true
# ca_path: /etc/pki/obshell/ca.pem
# hostname: "'ob-' ~ ansible_host"
# compose:
#   ansible_user: "'admin'"
# groups:
#   observers_down: ob_status is defined and ob_status != 'ACTIVE'
# keyed_groups:
#   - key: ob_cluster_name
#     prefix: cluster
#   - key: obshell_version
#     prefix: obshell
# cache: true
# cache_plugin: ansible.builtin.jsonfile
# cache_connection: ~/.cache/ansible-inventory
# cache_timeout: 600
'''

import hashlib
import re
import time
import unicodedata

from ansible.errors import AnsibleParserError
from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable

from ansible_collections.oceanbase.obshell.plugins.module_utils import _options
from ansible_collections.oceanbase.obshell.plugins.module_utils._cluster import (  # noqa: F401 pylint: disable=unused-import
    CLUSTER_AGENT,
    IDENTITIES,
    OB_INFO,
    ClusterAnswerError,
    not_a_cluster,
    read_cluster,
    shown,
)
from ansible_collections.oceanbase.obshell.plugins.module_utils._cluster_source import ClusterSource, ClusterSourceError
from ansible_collections.oceanbase.obshell.plugins.module_utils._dag_id import format_address

try:
    # ansible-core 2.19+: what a plugin sets is data, never templated, unless marked trusted.
    from ansible.template import trust_as_template  # noqa: F401 pylint: disable=unused-import
    _NEEDS_UNSAFE = False
except ImportError:
    _NEEDS_UNSAFE = True
if _NEEDS_UNSAFE:
    # Before 2.19 inventory variables are templated when used: what the agents say must be marked unsafe, or a
    # zone named "{{ lookup('pipe', ...) }}" would run on the controller.
    from ansible.utils.unsafe_proxy import wrap_var as _unsafe
else:
    def _unsafe(value):
        return value

CACHE_FORMAT = 1
_GROUP_PREFIX_RE = re.compile(r'^(?:[A-Za-z_][A-Za-z0-9_]*)?$')


# ------------------------------------------------------------------------------------------------------------------
# Names


def safe_name(text, separator='_', keep=''):
    """``text`` reduced to letters, digits and ``_`` (and the characters in ``keep``): every run of other characters
    (spaces, punctuation, control characters, ANSI escapes, zero-width and direction marks) becomes one
    ``separator``, none at either end. Letters and digits of any script are kept, after NFKC normalisation (as
    Ansible's own group names allow them). ``''`` when nothing is left."""
    text = unicodedata.normalize('NFKC', to_text(text, errors='surrogate_or_replace'))
    # ESC [ ... final byte: drop whole ANSI sequences, so "\x1b[31mzone" gives "zone", not "31mzone".
    text = re.sub(r'\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]', ' ', text)
    allowed = re.escape(keep)
    parts = re.split(r'[^\w%s]+' % allowed, text, flags=re.UNICODE)
    return separator.join(part for part in parts if part)


def address_part(ip):
    """An IP as part of a host name: dots and colons become dashes (``10-0-0-1``, ``fe80--1``)."""
    return re.sub(r'[.:%]', '-', safe_name(ip, separator='-', keep='.:%'))


def default_host_name(cluster, zone, ip, port):
    """``<cluster>-<zone>-<ip>-<port>``, empty parts left out."""
    parts = [safe_name(cluster, '-'), safe_name(zone, '-'), address_part(ip), str(port)]
    return '-'.join(part for part in parts if part)


def safe_host_name(text):
    return safe_name(text, separator='-', keep='.-').strip('.-')


def identity_group_suffix(identity):
    """``cluster_agent`` for ``CLUSTER AGENT``. An identity that §2.1 does not list gets ``identity_<name>``, so that
    no agent can name itself into ``rootservers``, ``unreachable`` or a zone's group."""
    suffix = safe_name(to_text(identity or '').lower())
    if not suffix:
        return None
    return suffix if identity in IDENTITIES else 'identity_' + suffix


def zone_group_suffixes(zones):
    """{zone: group name part}. Zones whose safe names collide (``zone 1`` and ``zone.1``), or have none (``!!``),
    get the first 8 hex digits of the SHA-256 of the zone's name appended, so that two zones never share a group."""
    by_safe = {}
    for zone in zones:
        by_safe.setdefault(safe_name(zone), []).append(zone)
    suffixes = {}
    for safe, members in by_safe.items():
        for zone in members:
            if safe and len(members) == 1:
                suffixes[zone] = safe
            else:
                digest = hashlib.sha256(to_text(zone).encode('utf-8')).hexdigest()[:8]
                suffixes[zone] = '%s_%s' % (safe, digest) if safe else digest
    return suffixes


def parse_seed(text, default_port, option='agents'):
    """(host, port) of one seed agent, by the host check every plugin uses (_options.parse_agent)."""
    return _options.parse_agent(text, default_port=default_port, option=option)


def host_variables(cluster, agent, probe):
    """The variables of one host. ``probe`` is None (not probed), True, or the reason it did not answer."""
    variables = {'ansible_host': agent['ip'], 'obshell_port': agent['port'], 'obshell_zone': agent['zone']}
    for name, value in (('obshell_identity', agent['identity']), ('obshell_version', agent['version']),
                        ('ob_cluster_name', cluster['name'] or None), ('ob_cluster_id', cluster['id']),
                        ('ob_cluster_version', cluster['version'] or None),
                        ('ob_shared_storage', cluster['shared_storage'])):
        if value is not None:
            variables[name] = value
    server = agent['server']
    if server is not None:
        for name, key in (('ob_svr_ip', 'svr_ip'), ('ob_svr_port', 'svr_port'), ('ob_sql_port', 'sql_port'),
                          ('ob_rootserver', 'rootserver'), ('ob_status', 'status'),
                          ('ob_build_version', 'build_version')):
            if server[key] is not None:
                variables[name] = server[key]
    if probe is not None:
        variables['obshell_reachable'] = probe is True
        if probe is not True:
            variables['obshell_unreachable_reason'] = probe
    return variables


# ------------------------------------------------------------------------------------------------------------------
# The plugin


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):

    NAME = 'oceanbase.obshell.obshell'

    def verify_file(self, path):
        if not super(InventoryModule, self).verify_file(path):
            return False
        if path.endswith(('obshell.yml', 'obshell.yaml')):
            return True
        self.display.vvv('oceanbase.obshell.obshell: skipping %s: the file name must end in obshell.yml or '
                         'obshell.yaml' % path)
        return False

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache=cache)
        self._read_config_data(path)
        values = _options.plugin_values(self)
        seeds = self._seeds(values)

        cache_key = self.get_cache_key(path)
        use_cache = bool(self.get_option('cache')) and cache
        update_cache = bool(self.get_option('cache')) and not cache
        labels = [format_address(*seed) for seed in seeds]
        entry = None
        if use_cache:
            try:
                entry = self._cache[cache_key]
            except KeyError:
                update_cache = True
            else:
                if not self._usable_cache_entry(entry, labels):
                    self.display.vvv('oceanbase.obshell.obshell: the cached answer is for other seed agents or '
                                     'unreadable: asking the agents')
                    entry, update_cache = None, True
                else:
                    self.display.vvv('oceanbase.obshell.obshell: listing the cluster from the cache (answered by '
                                     '%s at %s)' % (entry['answered_by'], time.strftime(
                                         '%Y-%m-%d %H:%M:%S', time.localtime(entry['filled_at']))))
        if entry is None:
            entry = self._discover(values, seeds, labels)
        if update_cache:
            self._cache[cache_key] = entry
        self._populate(entry)

    # -------------------------------------------------------------- options

    def _seeds(self, values):
        problems = _options.check_connection_options(values)
        given = self.get_option('agents') or []
        seeds = []
        for index, text in enumerate(given):
            try:
                seed = parse_seed(text, values['port'], option='agents[%d]' % index)
            except ValueError as exc:
                problems.append(to_native(exc))
                continue
            if seed not in seeds:
                seeds.append(seed)
        if not given:
            if values.get('host'):
                seeds.append((values['host'].strip('[]'), values['port']))
            else:
                problems.append('name the seed agents in agents (a list of host or host:port), or one agent in host '
                                '(or OBSHELL_HOST)')
        if self.get_option('max_workers') < 1:
            problems.append('max_workers must be at least 1, got %s' % self.get_option('max_workers'))
        if not _GROUP_PREFIX_RE.match(self.get_option('group_prefix') or ''):
            problems.append('group_prefix %r must be letters, digits and _, not starting with a digit'
                            % self.get_option('group_prefix'))
        if problems:
            raise AnsibleParserError('oceanbase.obshell.obshell: %s' % '; '.join(problems))
        return seeds

    # -------------------------------------------------------------- asking the agents

    def _discover(self, values, seeds, labels):
        """The cache entry (module_utils/_cluster_source: which agent answered, its answer, the probes)."""
        source = ClusterSource(values, probe=bool(self.get_option('probe_agents')),
                               max_workers=self.get_option('max_workers'),
                               log=lambda text: self.display.vvv('oceanbase.obshell.obshell: %s' % text))
        try:
            entry = source.discover(seeds, labels)
        except ClusterSourceError as exc:
            raise AnsibleParserError('oceanbase.obshell.obshell: %s' % exc)
        entry['format'] = CACHE_FORMAT
        return entry

    @staticmethod
    def _usable_cache_entry(entry, labels):
        return (isinstance(entry, dict) and entry.get('format') == CACHE_FORMAT and entry.get('seeds') == labels
                and isinstance(entry.get('ob_info'), dict) and isinstance(entry.get('probes'), dict)
                and isinstance(entry.get('answered_by'), str) and isinstance(entry.get('filled_at'), (int, float)))

    # -------------------------------------------------------------- the inventory

    def _populate(self, entry):
        try:
            cluster, agents, warnings = read_cluster(entry['ob_info'])
        except ClusterAnswerError as exc:  # only a cache entry written by something else gets here
            raise AnsibleParserError('oceanbase.obshell.obshell: the cached answer is unusable (%s): run with '
                                     '--flush-cache' % exc)
        for warning in warnings:
            self.display.warning('oceanbase.obshell.obshell: %s: %s' % (entry['answered_by'], warning))
        if not cluster['topology_known'] and any(agent['identity'] == CLUSTER_AGENT for agent in agents):
            self.display.warning('oceanbase.obshell.obshell: no agent could give the topology of the cluster (its '
                                 'observers cannot be read now), so ob_rootserver, ob_status and the ports of the '
                                 'observers are not set')

        prefix = self.get_option('group_prefix') or ''
        probing = bool(self.get_option('probe_agents'))
        rootservers = self.inventory.add_group(prefix + 'rootservers')
        unreachable = self.inventory.add_group(prefix + 'unreachable') if probing else None
        zone_groups = zone_group_suffixes(sorted(set(agent['zone'] for agent in agents if agent['zone'])))
        collided = sorted(zone for zone, suffix in zone_groups.items() if suffix != safe_name(zone))
        if collided:
            zones = ', '.join(shown(zone) for zone in collided)
            groups = ', '.join(prefix + 'zone_' + zone_groups[zone] for zone in collided)
            self.display.warning('oceanbase.obshell.obshell: zones %s have no distinct safe group name: their groups '
                                 'end in a hash of the zone name (%s)' % (zones, groups))

        hosts = []
        names = {}
        for agent in agents:
            address = format_address(agent['ip'], agent['port'])
            probe = entry['probes'].get(address) if probing else None
            if probing and probe is None:
                probe = 'not asked'
            variables = host_variables(cluster, agent, probe)
            name = self._host_name(cluster, agent, variables, address)
            if name in names:
                raise AnsibleParserError('oceanbase.obshell.obshell: the agents %s and %s would both be named %s: '
                                         'change hostname' % (names[name], address, shown(name)))
            names[name] = address
            hosts.append((name, agent, variables))

        strict = self.get_option('strict')
        for name, agent, variables in hosts:
            self.inventory.add_host(name)
            for key, value in variables.items():
                self.inventory.set_variable(name, key, _unsafe(value))
            if agent['zone']:
                self.inventory.add_child(self.inventory.add_group(prefix + 'zone_' + zone_groups[agent['zone']]), name)
            identity = identity_group_suffix(agent['identity'])
            if identity:
                self.inventory.add_child(self.inventory.add_group(prefix + identity), name)
            if variables.get('ob_rootserver'):
                self.inventory.add_child(rootservers, name)
            if unreachable and variables.get('obshell_reachable') is False:
                self.inventory.add_child(unreachable, name)
            host_vars = self.inventory.get_host(name).get_vars()
            self._set_composite_vars(self.get_option('compose'), host_vars, name, strict=strict)
            self._add_host_to_composed_groups(self.get_option('groups'), host_vars, name, strict=strict)
            self._add_host_to_keyed_groups(self.get_option('keyed_groups'), host_vars, name, strict=strict)

    def _host_name(self, cluster, agent, variables, address):
        template = self.get_option('hostname')
        if not template:
            return default_host_name(cluster['name'], agent['zone'], agent['ip'], agent['port'])
        try:
            name = self._compose(template, dict((key, _unsafe(value)) for key, value in variables.items()))
        except Exception as exc:  # pylint: disable=broad-except  # any templating error: name the agent
            raise AnsibleParserError('oceanbase.obshell.obshell: hostname %r failed for the agent %s: %s'
                                     % (template, address, to_native(exc)))
        name = safe_host_name(name if name is not None else '')
        if not name:
            raise AnsibleParserError('oceanbase.obshell.obshell: hostname %r gave an empty name for the agent %s'
                                     % (template, address))
        return name
