# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""The one option adapter: every module, action, lookup and the inventory plugin read their settings through it.

Settings are the connection options (where the agent is and how to talk to it) and the wait options (the one wait
contract of dag_wait, dag and the role). Each connection option has one inventory variable (``obshell_<name>``) and
one environment variable (``OBSHELL_<NAME>``). Precedence, the same everywhere (documented once, in the doc
fragment oceanbase.obshell.connection):

1. the task's option (``module_defaults`` come in here too, under the task's own options);
2. the host's ``obshell_<name>`` variable as the task sees it; for a host asked from the controller for another
   (dag_wait's ``hosts``, a lookup term), its own inventory variable, else the play's (play_scoped()), each filled
   in on that host's variables (host_scope());
3. the environment variable ``OBSHELL_<NAME>`` (on the controller for controller-side plugins, on the host for
   modules, which read it through ``env_fallback``); for the lookup and the inventory, then their ansible.cfg;
4. the default. ``host`` defaults to the host's ``ansible_host`` (else its inventory name) when the agent is asked
   from the controller, and to 127.0.0.1 (the host's own agent) when a module asks from the host.

The rules are written once, here: ``resolve()`` applies them for action plugins (task args, host variables, the
play's obshell_* variables, the controller's environment), for the arguments an action gives a module run on the
host (whose argspec's ``env_fallback`` then reads the host's environment), and for each inventory host a lookup
asks (over the lookup's own ini settings). ``plugin_values()`` reads the inventory's and the lookup's own options,
to which Ansible's config system has applied the same order. ``validate()`` checks the result for every path, and
every path ends in ``client_from_options()``. Documented in
the doc fragments oceanbase.obshell.connection, oceanbase.obshell.query and oceanbase.obshell.wait; ansible-test's
validate-modules keeps module docs and argspecs in line.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy
import ipaddress
import math
import re

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError

from ansible_collections.oceanbase.obshell.plugins.module_utils._dag_id import canonical_host
from ansible_collections.oceanbase.obshell.plugins.module_utils._tls_files import file_problem
from ansible_collections.oceanbase.obshell.plugins.module_utils._verdict import DEFAULT_FAIL_ON
from ansible_collections.oceanbase.obshell.plugins.module_utils._vocabulary import (
    AUTH_VERSIONS, DETAILS, MIN_POLL_INTERVAL, SCOPES, SECRET_OPTIONS, VERDICTS,
)

LOCAL_AGENT = '127.0.0.1'


def _env(name):
    return 'OBSHELL_' + name.upper()


def _connection_spec():
    spec = dict(
        host=dict(type='str'),
        port=dict(type='int', default=2886),
        password=dict(type='str'),
        agent_password=dict(type='str'),
        use_tls=dict(type='bool', default=False),
        validate_certs=dict(type='bool', default=True),
        ca_path=dict(type='path'),
        client_cert=dict(type='path'),
        client_key=dict(type='path', no_log=False),
        request_timeout=dict(type='float', default=10.0),
        auth_version=dict(type='str', default='auto', choices=list(AUTH_VERSIONS)),
        retries=dict(type='int', default=3),
        use_proxy=dict(type='bool', default=True),
    )
    for name, option in spec.items():
        option['fallback'] = (env_fallback, [_env(name)])
        if name in SECRET_OPTIONS:
            option['no_log'] = True
    return spec


# The connection options, as modules declare them (an env_fallback each: read on the host that runs the module).
CONNECTION_SPEC = _connection_spec()
CONNECTION_OPTION_NAMES = tuple(CONNECTION_SPEC)

# Which DAGs to look at (fragment oceanbase.obshell.query); `id` by its variant oceanbase.obshell.query.id.
LIST_SPEC = dict(
    scope=dict(type='str', default='auto', choices=list(SCOPES)),
    names=dict(type='list', elements='str'),
    details=dict(type='str', default='summary', choices=list(DETAILS)),
)
QUERY_SPEC = dict(LIST_SPEC, id=dict(type='str'))

# The one wait contract (fragment oceanbase.obshell.wait): the same names mean the same thing in dag_wait, in dag
# with wait=true, and in the role (wait_for_tasks_<name>). `timeout` is the overall deadline; the per-request
# timeout is the connection option `request_timeout`.
WAIT_SPEC = dict(
    timeout=dict(type='float', default=3600.0),
    poll_interval=dict(type='float', default=5.0),
    unreachable_timeout=dict(type='float', default=300.0),
    progress=dict(type='bool', default=True, fallback=(env_fallback, ['OBSHELL_PROGRESS'])),
)
# What decides a wait's verdict (fragment oceanbase.obshell.wait.verdict): dag_wait and the role.
VERDICT_SPEC = dict(
    appear_timeout=dict(type='float', default=0.0),
    fail_on=dict(type='list', elements='str', choices=list(VERDICTS), default=list(DEFAULT_FAIL_ON)),
)


def argument_spec(*extra_specs, **options):
    """The connection argspec merged with the given specs (deep copies, so callers may edit them)."""
    spec = copy.deepcopy(CONNECTION_SPEC)
    for extra in extra_specs:
        spec.update(copy.deepcopy(extra))
    spec.update(copy.deepcopy(options))
    return spec


def without_fallbacks(spec):
    """``spec`` without env fallbacks: controller-side plugins resolve the environment themselves (resolve())."""
    spec = copy.deepcopy(spec)
    for option in spec.values():
        option.pop('fallback', None)
    return spec


# ------------------------------------------------------------------------------------------------------------------
# Where options come from


def plugin_values(plugin, names=None):
    """The settings of a lookup or inventory plugin whose options were set with set_options(): Ansible's config
    system has applied the precedence (direct option, variable, environment, ini, default)."""
    return dict((name, plugin.get_option(name)) for name in (names or CONNECTION_OPTION_NAMES))


def play_scoped(task_vars):
    """The variables a task sees that are not its host's own (play vars, vars_files, role and block vars, the play's
    magic variables), raw as the task got them: the same for every host of the play, yet absent from hostvars, which
    hold only each host's own. A host asked from the controller (dag_wait's ``hosts``, a lookup term) takes the
    play's obshell_* variables where it has none of its own, as dag_info on that host would see them."""
    task_vars = task_vars or {}
    own = (task_vars.get('hostvars') or {}).get(task_vars.get('inventory_hostname')) or {}
    return dict((key, value) for key, value in task_vars.items() if key not in own)


def host_scope(templar, hostvars, host, shared_vars):
    """(the variables, how to fill one in) for a host asked from the controller: its own variables, raw, and a
    template function on them over the play's (``shared_vars``, from play_scoped()), as a task running on that host
    fills them in. A play's ``obshell_port: "{{ my_port }}"`` is each host's my_port; filled in on the asking host's
    variables it named the asking host's agent for every host (found by the red team: a busy agent reported idle
    from another's)."""
    from collections import ChainMap     # the controller's Python 3; modules on a target never call this

    # raw_get: the host's variables not yet filled in (hostvars[host] fills them in on access, each on its own).
    own = hostvars.raw_get(host) if hasattr(hostvars, 'raw_get') else dict(hostvars[host])
    return own, templar.copy_with_new_env(available_variables=ChainMap(own, shared_vars)).template


def resolve(task_args, host_vars, environ, spec, controller=True, host_name=None, shared_vars=None,
            configured=None, template=None):
    """Option values for the host ``host_vars`` belong to, by the precedence of this module's docstring; the one
    place it is written, for actions (on the controller, or the arguments of a module run on the host) and the
    lookup.

    ``task_args`` are the task's (or the lookup's) arguments, module_defaults merged in by Ansible; ``host_vars``
    the host's variables (task_vars, or hostvars[h] for one host of a batch); ``shared_vars`` the obshell_*
    variables of the play (play_scoped()), taken where the host has none; ``environ`` the environment (the
    controller's, with the task's ``environment:`` over it), read only when ``controller`` (a module reads its own
    host's); ``configured`` a plugin's settings from Ansible's config (ini, its defaults), taken last but never for
    ``host``; ``template`` renders a variable's value. Options of ``spec`` that stay unset get the argspec's
    defaults. Returns a new dict.
    """
    resolved = dict(task_args)
    layers = [host_vars or {}, shared_vars or {}]
    for name in spec:
        if resolved.get(name) is not None:
            continue
        if name in CONNECTION_SPEC:
            value = None
            for layer in layers:
                value = layer.get('obshell_' + name)
                if value is not None:
                    value = _plain(template(value) if template is not None else value)
                    break
            if value is None and controller:
                value = environ.get(_env(name))
            if value is None and configured and name != 'host':
                value = configured.get(name)
            if value is not None:
                resolved[name] = value
        elif name == 'progress' and controller and environ.get('OBSHELL_PROGRESS') is not None:
            resolved[name] = environ.get('OBSHELL_PROGRESS')
    if 'host' in spec and resolved.get('host') is None and controller:
        host_vars = host_vars or {}
        address = host_vars.get('ansible_host')
        if address is not None and template is not None:
            address = template(address)
        resolved['host'] = _plain(address) or host_vars.get('inventory_hostname') or host_name
    return resolved


def one_agent_per_host(addresses):
    """Problems for ``addresses`` ([(inventory host, (address, port))], a batch): each host of a batch is its own
    agent, so two hosts resolved to one address (an OBSHELL_HOST or a play's obshell_host set for all of them) would
    have one agent answer for both, and a busy host called idle (found by the red team). None when each is its own."""
    first = {}
    problems = []
    for host, (address, port) in addresses:
        text = canonical_host(address)
        key = (text, int(port))
        if key in first and first[key] != host:
            problems.append('%s and %s are both asked at %s:%s, but each host is its own agent: is obshell_host or '
                            'OBSHELL_HOST set for all of them? (unset it, or give each host its own obshell_host)'
                            % (first[key], host, '[%s]' % text if ':' in text else address, port))
        first.setdefault(key, host)
    return problems


def validate(values, spec, check_files=True):
    """``values`` checked against ``spec`` (types, choices, defaults) and by the collection's own checks: (the
    validated values, [problems naming each bad option])."""
    result = ArgumentSpecValidator(without_fallbacks(spec)).validate(values)
    if result.error_messages:
        return None, [('unsupported parameters: %s' % error if isinstance(error, UnsupportedError) else str(error))
                      for error in result.errors]
    validated = result.validated_parameters
    return validated, check_connection_options(validated, check_files=check_files) + check_wait_options(validated)


def _plain(value):
    """A host variable as a plain value. A vaulted one (``!vault``, or in a file ansible-vault encrypted) reaches
    an action on ansible-core 2.16-2.18 as an AnsibleVaultEncryptedUnicode, which the argspec cannot convert; its
    str() is the decrypted text. Every connection option is a scalar."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return str(value)


# ------------------------------------------------------------------------------------------------------------------
# Checks a person can act on, for values the argspec types cannot express


_SCHEME_RE = re.compile(r'^[A-Za-z][A-Za-z0-9+.-]*://')
_NAME_RE = re.compile(r'^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?'
                      r'(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$')


def _shape(text):
    """What an address given by a person is not: 'empty', 'spaces', 'scheme', 'path' (a path, query, fragment or
    user part), or None. The one set of rules for every option and term that names an agent."""
    if not text.strip():
        return 'empty'
    if text != text.strip() or any(char.isspace() for char in text):
        return 'spaces'
    if _SCHEME_RE.match(text):
        return 'scheme'
    if any(char in text for char in '/?#@'):
        return 'path'
    return None


def _shown_host(text):
    """``text`` as it may be echoed: a user part (``user:password@``, with or without a scheme) is never repeated."""
    if '@' not in text:
        return text
    scheme = _SCHEME_RE.match(text)
    return '%s***@%s' % (scheme.group(0) if scheme else '', text.rsplit('@', 1)[1])


def check_host(host, option='host'):
    """None when ``host`` is a bare agent address (name, IPv4, IPv6 literal with or without brackets); else the
    message naming the option."""
    if host is None:
        return None
    text = str(host)
    shape = _shape(text)
    if shape == 'empty':
        return '%s must not be empty' % option
    if '@' in text and shape != 'scheme':
        return '%s %r has a user part: give the bare agent address (e.g. %s); credentials go in password or ' \
            'agent_password' % (option, _shown_host(text), text.rsplit('@', 1)[1] or '10.0.0.1')
    text = _shown_host(text)
    if shape == 'spaces':
        return '%s %r has spaces in it: give the bare agent address' % (option, text)
    if shape == 'scheme':
        return ('%s %r has a scheme: give the bare address (e.g. 10.0.0.1), and use_tls for HTTPS' % (option, text))
    if shape == 'path':
        return '%s %r has a path in it: give the bare agent address (e.g. 10.0.0.1)' % (option, text)
    if text.startswith('['):
        if not text.endswith(']'):
            return '%s %r: give an IPv6 address without a port, e.g. [::1] or ::1, and the port in port' % (option, text)
        return None
    if text.count(':') == 1:
        return '%s %r has a port in it: put the port in the port option (or obshell_port)' % (option, text)
    return None


def parse_agent(text, default_port=2886, option='agent'):
    """(host, port) of an agent given as ``host``, ``host:port``, ``[IPv6]:port`` or a bare IPv6 literal (the
    inventory's seeds, the lookup's terms): the same rules as check_host, and the port where one may be given.
    ValueError naming ``option`` and what to give instead."""
    if not isinstance(text, str) or _shape(text) == 'empty':
        raise ValueError('%s: an agent must be given as host or host:port (e.g. 10.0.0.1:2886), got %r'
                         % (option, text))
    shape = _shape(text)
    shown = _shown_host(text)
    if shape == 'spaces':
        raise ValueError('%s: %r has spaces in it: give host or host:port' % (option, shown))
    if shape == 'scheme':
        raise ValueError('%s: %r has a scheme: give host or host:port (e.g. 10.0.0.1:2886), and use_tls: true for '
                         'HTTPS' % (option, shown))
    if shape == 'path':
        raise ValueError('%s: %r is not host or host:port (no path, query or user part; credentials go in password '
                         'or agent_password)' % (option, shown))
    port = default_port
    if text.startswith('['):
        host, closed, rest = text[1:].partition(']')
        if not closed or not host:
            raise ValueError('%s: %r: an IPv6 address in brackets needs the closing bracket, e.g. [::1]:2886'
                             % (option, text))
        if rest and not rest.startswith(':'):
            raise ValueError('%s: %r: expected [IPv6]:port' % (option, text))
        if rest:
            port = rest[1:]
    elif text.count(':') == 1:
        host, port = text.split(':')
    else:
        host = text  # a name, an IPv4 address, or a bare IPv6 literal (more than one colon)
    if not host:
        raise ValueError('%s: %r: the host part is empty' % (option, text))
    if not re.match(r'^[0-9]{1,5}$', str(port)):
        raise ValueError('%s: %r: the port must be a number, got %r' % (option, text, port))
    port = int(port)
    if not 0 < port < 65536:
        raise ValueError('%s: %r: the port must be between 1 and 65535' % (option, text))
    if ':' in host:
        try:
            host = str(ipaddress.IPv6Address(host))
        except ValueError:
            raise ValueError('%s: %r is neither host, host:port, [IPv6]:port nor an IPv6 address' % (option, text))
    elif not _NAME_RE.match(host) or host.startswith('-'):
        raise ValueError('%s: %r: %r is not a host name or IP address' % (option, text, host))
    return host, port


def check_connection_options(values, check_files=True):
    """Messages for connection values the argspec cannot check, each naming its option. ``check_files``: the TLS
    files are read here (the controller, or the host running a module), so check that they can be."""
    errors = []
    message = check_host(values.get('host'))
    if message:
        errors.append(message)
    port = values.get('port')
    if port is not None and not 0 < int(port) < 65536:
        errors.append('port must be between 1 and 65535, got %s' % port)
    timeout = values.get('request_timeout')
    if timeout is not None and not (_finite(timeout) and float(timeout) > 0):
        errors.append('request_timeout must be a positive number of seconds, got %s' % timeout)
    retries = values.get('retries')
    if retries is not None and int(retries) < 0:
        errors.append('retries must be 0 or more, got %s' % retries)
    if values.get('client_key') and not values.get('client_cert'):
        errors.append('client_key is set without client_cert')
    if check_files:
        for name in ('ca_path', 'client_cert', 'client_key'):
            problem = file_problem(name, values.get(name), directory_ok=name == 'ca_path')
            if problem:
                errors.append(problem)
    return errors


def _finite(value):
    """Whether a number option is a finite number (nan and inf pass every comparison they should fail)."""
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def check_wait_options(values):
    """Messages for wait values the argspec cannot check, each naming its option."""
    errors = []
    if values.get('timeout') is not None and not (_finite(values['timeout']) and float(values['timeout']) > 0):
        errors.append('timeout must be a positive number of seconds (the overall deadline), got %s' % values['timeout'])
    if values.get('poll_interval') is not None and not (_finite(values['poll_interval']) and
                                                        float(values['poll_interval']) >= MIN_POLL_INTERVAL):
        errors.append('poll_interval must be at least %s seconds, got %s' % (MIN_POLL_INTERVAL, values['poll_interval']))
    for name in ('appear_timeout', 'unreachable_timeout'):
        if values.get(name) is not None and not (_finite(values[name]) and float(values[name]) >= 0):
            errors.append('%s must be 0 or more seconds, got %s' % (name, values[name]))
    return errors


# ------------------------------------------------------------------------------------------------------------------
# The client


def client_from_options(values, host=None, port=None, retries=None, environ=None):
    """An ObshellClient from option values (a dict holding at least the connection options).

    A module run on the host asks its own agent when ``host`` is unset; controller-side plugins resolve ``host``
    first (resolve()). ``retries`` overrides the option: a wait retries failed polls itself, so it gives 0.
    """
    from ansible_collections.oceanbase.obshell.plugins.module_utils._client import ObshellClient
    return ObshellClient(
        host=host if host is not None else values.get('host') or LOCAL_AGENT,
        port=port if port is not None else values.get('port') or 2886,
        password=values.get('password'),
        agent_password=values.get('agent_password'),
        use_tls=bool(values.get('use_tls')),
        validate_certs=values.get('validate_certs') is not False,
        ca_path=values.get('ca_path'),
        client_cert=values.get('client_cert'),
        client_key=values.get('client_key'),
        timeout=values.get('request_timeout') or 10.0,
        auth_version=values.get('auth_version') or 'auto',
        retries=retries if retries is not None else (values.get('retries') if values.get('retries') is not None else 3),
        use_proxy=values.get('use_proxy') is not False,
        environ=environ,
    )


# The options of dag_wait besides connection, query and wait: shared by its module (run_on=target) and its action.
DAG_WAIT_SPEC = dict(
    mode=dict(type='str', default='wait', choices=['wait', 'assert_idle']),
    run_on=dict(type='str', default='controller', choices=['controller', 'target']),
    hosts=dict(type='list', elements='str'),
    on_failure=dict(type='str', default='fail', choices=['fail', 'retry', 'rollback', 'pass']),
    max_remediations=dict(type='int', default=1),
)


def dag_wait_spec():
    """The argspec of dag_wait: connection + query (with id) + wait + verdict + its own options."""
    return argument_spec(QUERY_SPEC, WAIT_SPEC, VERDICT_SPEC, DAG_WAIT_SPEC)


def check_remediation_options(values):
    errors = []
    if values.get('max_remediations') is not None and int(values['max_remediations']) < 0:
        errors.append('max_remediations must be 0 or more, got %s' % values['max_remediations'])
    return errors
