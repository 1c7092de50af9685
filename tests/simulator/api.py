# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The agent's request pipeline and handlers, independent of the HTTP transport.

Order follows the gin middleware chain of spec §1.1: route lookup (trailing-slash redirect), global
header decrypt, body decrypt, padding, then for protected groups ``Verify`` (§1.8), then the handler.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import platform
import secrets
import time
import traceback

from urllib.parse import parse_qsl, unquote, urlsplit

from tests.simulator import auth as authmod
from tests.simulator.crypto import AesBodyError, AesPanic, decrypt_body
from tests.simulator.dags import (OPERATORS, PASS, RUN, OperationError, Renderer, go_time_ns, parse_generic_id)

_TRUE = ('1', 't', 'T', 'TRUE', 'true', 'True')
_FALSE = ('0', 'f', 'F', 'FALSE', 'false', 'False')

# identities that hold an OceanBase connection (cluster-id lookups, /dag/maintain/ob)
_HOLDS_OB = frozenset([authmod.CLUSTER_AGENT, authmod.TAKE_OVER_MASTER, authmod.TAKE_OVER_FOLLOWER,
                       authmod.SCALING_IN])
# identities that are members of a cluster agent's agent table (fan-out of /dag/unfinish)
_IN_AGENT_TABLE = frozenset([authmod.CLUSTER_AGENT, authmod.SCALING_IN, authmod.SCALING_OUT,
                             authmod.TAKE_OVER_MASTER, authmod.TAKE_OVER_FOLLOWER])


class Panic(Exception):
    """A Go panic in a handler: recovered as the stale 500 envelope (spec §1.1)."""


class ApiError(Exception):
    def __init__(self, err_code, *args, **kwargs):
        super(ApiError, self).__init__(err_code)
        self.err_code = err_code
        self.args_ = args
        self.message = kwargs.get('message')
        self.data = kwargs.get('data', None)
        self.has_data = 'data' in kwargs


class Request(object):
    def __init__(self, method, target, headers, body):
        self.method = method
        self.target = target                  # raw request-target, Go's RequestURI
        self.headers = headers                # case-insensitive mapping (email.message.Message or dict)
        self.body = body or b''
        parts = urlsplit(target)
        self.path = unquote(parts.path) if parts.path else target.split('?', 1)[0]
        self.query = parts.query
        self.params = {}
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            self.params.setdefault(key, value)   # gin binds the first value
        self.header = None                    # DecodedHeader once decrypted
        self.json = None
        self.route_params = {}

    def get_header(self, name):
        value = self.headers.get(name)
        return value


class Response(object):
    def __init__(self, status, envelope=None, raw=None, content_type='application/json', extra_headers=None):
        self.status = status
        self.envelope = envelope
        self.raw = raw
        self.content_type = content_type
        self.extra_headers = extra_headers or []
        self.err_code = None
        self.code = None
        self.forwarded_to = None
        if envelope and envelope.get('error'):
            self.err_code = envelope['error'].get('errCode')
            self.code = envelope['error'].get('code')

    def body_bytes(self):
        if self.raw is not None:
            return self.raw
        return go_json(self.envelope)


def go_json(value):
    """Compact JSON like Go's encoding/json (HTML-escaped <, >, & and U+2028/2029)."""
    text = json.dumps(value, separators=(',', ':'), ensure_ascii=False)
    text = (text.replace('<', '\\u003c').replace('>', '\\u003e').replace('&', '\\u0026')
            .replace('\u2028', '\\u2028').replace('\u2029', '\\u2029'))
    return text.encode('utf-8')


def parse_show_details(params):
    """gin form binding of ``show_details`` (spec §3.2); ``show_detail`` is ignored."""
    if 'show_details' not in params:
        return True
    value = params['show_details']
    if value == '':
        return False
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise Panic('invalid show_details %r' % value)


# --------------------------------------------------------------------------------------------------
# routes: (method, pattern, handler name, protected, predicate on profile)

_ROUTES = [
    ('GET', '/api/v1/info', 'info', False, None),
    ('GET', '/api/v1/status', 'status', False, None),
    ('POST', '/api/v1/status', 'status', False, None),
    ('GET', '/api/v1/secret', 'secret', False, None),
    ('GET', '/api/v1/time', 'time', False, None),
    ('GET', '/api/v1/task/dag/unfinish', 'dag_unfinish', True, None),
    ('GET', '/api/v1/task/dag/ob/unfinish', 'dag_ob_unfinish', True, None),
    ('GET', '/api/v1/task/dag/agent/unfinish', 'dag_agent_unfinish', True, None),
    ('GET', '/api/v1/task/dag/maintain/ob', 'maintain_ob', True, None),
    ('GET', '/api/v1/task/dag/maintain/agent', 'maintain_agent', True, None),
    ('GET', '/api/v1/task/dag/maintain/agents', 'maintain_agents', True, None),
    ('GET', '/api/v1/task/dag/agent/main_dags', 'main_dags', True, 'dags_lists'),
    ('GET', '/api/v1/task/dags/ob', 'dags_ob', True, 'dags_lists'),
    ('GET', '/api/v1/task/dags/agent', 'dags_agent', True, 'dags_lists'),
    ('GET', '/api/v1/task/dag/:id', 'get_dag', True, None),
    ('POST', '/api/v1/task/dag/:id', 'post_dag', True, None),
    ('GET', '/api/v1/task/node/:id', 'get_node', True, None),
    ('POST', '/api/v1/task/node/:id', 'post_node', True, 'node_pass'),
    ('GET', '/api/v1/task/sub_task/:id', 'get_sub_task', True, None),
    ('GET', '/api/v1/task/sub_task/:id/logs', 'get_sub_task_logs', True, 'dags_lists'),
]


def _match(pattern, path):
    p_parts = pattern.split('/')
    parts = path.split('/')
    if len(p_parts) != len(parts):
        return None
    params = {}
    for want, got in zip(p_parts, parts):
        if want.startswith(':'):
            if not got:
                return None
            params[want[1:]] = got
        elif want != got:
            return None
    return params


def find_route(profile, method, path):
    """Static routes win over ``:id`` (gin's tree), per method. Returns (route, params) or (None, None)."""
    candidates = [route for route in _ROUTES if route[0] == method and (route[4] is None or getattr(profile, route[4]))]
    for static_first in (True, False):
        for route in candidates:
            if (':' not in route[1]) != static_first:
                continue
            params = _match(route[1], path)
            if params is not None:
                return route, params
    return None, None


# --------------------------------------------------------------------------------------------------


class AgentApi(object):
    """Handles requests for one ``SimAgent``; ``agent.cluster`` gives the shared state."""

    def __init__(self, agent):
        self.agent = agent

    @property
    def cluster(self):
        return self.agent.cluster

    # envelopes (spec §3.3) -------------------------------------------------------------------------
    def _envelope(self, agent, ctx, status, data=None, error=None, has_data=False):
        now_ns = time.time_ns() + int(agent.clock_skew * 1e9)
        envelope = {
            'successful': error is None,
            'timestamp': go_time_ns(now_ns),
            'duration': int((time.monotonic() - ctx['t0']) * 1000),
            'status': status,
            'traceId': ctx['trace_id'],
        }
        if data is not None or has_data:
            envelope['data'] = data
        if error is not None:
            envelope['error'] = error
        return Response(status, envelope)

    def ok(self, agent, ctx, data=None, has_data=False):
        return self._envelope(agent, ctx, 200, data=data, has_data=has_data)

    def fail(self, agent, ctx, err_code, *args, **kwargs):
        status, error = agent.profile.error(err_code, *args, message=kwargs.get('message'),
                                            status=kwargs.get('status'))
        return self._envelope(agent, ctx, status, error=error, data=kwargs.get('data'),
                              has_data=kwargs.get('has_data', False))

    def panic(self, agent):
        """gin Recovery: the envelope built at start-up (stale timestamp, duration 0, empty traceId)."""
        status, error = agent.profile.error('Common.Unexpected', 'Internal Server Error')
        envelope = {'successful': False, 'timestamp': go_time_ns(agent.start_at_ns), 'duration': 0,
                    'status': status, 'traceId': '', 'error': error}
        return Response(status, envelope)

    # pipeline ----------------------------------------------------------------------------------------
    def handle(self, req):
        agent = self.agent
        ctx = {'t0': time.monotonic(),
               'trace_id': req.get_header('X-OBSHELL-Trace-ID') or secrets.token_hex(8),
               'now_s': int(time.time() + agent.clock_skew)}
        try:
            return self._pipeline(agent, req, ctx)
        except Panic:
            return self.panic(agent)
        except Exception:  # pylint: disable=broad-except
            # a simulator bug: answer like gin's Recovery would, but make it visible
            traceback.print_exc()
            return self.panic(agent)

    def _pipeline(self, agent, req, ctx):
        profile = agent.profile
        route, params = find_route(profile, req.method, req.path)
        if route is None and req.path.endswith('/') and len(req.path) > 1:
            alt, _unused = find_route(profile, req.method, req.path.rstrip('/'))
            if alt is not None:
                # gin RedirectTrailingSlash: 301 for GET, 307 otherwise, before any middleware
                location = req.path.rstrip('/') + ('?' + req.query if req.query else '')
                status = 301 if req.method == 'GET' else 307
                body = ('<a href="%s">Moved Permanently</a>.\n\n' % location).encode('utf-8') if status == 301 else b''
                return Response(status, raw=body, content_type='text/html; charset=utf-8',
                                extra_headers=[('Location', location)])
        # HeaderDecrypt (global, every route)
        failure = self._decrypt_header(agent, req)
        if failure is not None:
            return self.fail(agent, ctx, failure.err_code, *failure.args_)
        # BodyDecrypt (global, except /api/v1/package)
        if req.header is not None and req.body and req.path != '/api/v1/package' and not profile.auth_v1:
            try:
                req.body = decrypt_body(req.header.keys, req.body)
            except AesBodyError as exc:
                return self.fail(agent, ctx, exc.err_code)
            except AesPanic as exc:
                raise Panic('body decrypt') from exc
        if not req.body:
            req.body = b'{}'      # PaddingBody
        if route is None:
            return self.fail(agent, ctx, 'Common.NotFound', '404 not found')
        req.route_params = params
        if route[3]:
            response = self._verify(agent, req, ctx)
            if response is not None:
                return response
            if agent.identity == authmod.FOLLOWER and profile.follower_forward:
                return self._forward_to_master(agent, req, ctx, route)
        return getattr(self, 'h_' + route[2])(agent, req, ctx)

    def _decrypt_header(self, agent, req):
        profile = agent.profile
        try:
            if profile.auth_v1:
                value = req.get_header(authmod.HEADER_V1)
                if value is not None:
                    req.header = authmod.decrypt_header_v1(agent.rsa_key, value)
                return None
            value = None
            kind = None
            if profile.agent_password and req.get_header(authmod.HEADER_AGENT) is not None:
                kind, value = authmod.HEADER_AGENT, req.get_header(authmod.HEADER_AGENT)
            elif req.get_header(authmod.HEADER_OB) is not None:
                kind, value = authmod.HEADER_OB, req.get_header(authmod.HEADER_OB)
            if kind is not None:
                req.header = authmod.decrypt_header(agent.rsa_key, value, kind)
        except authmod.AuthFailure as exc:
            return exc
        return None

    def _obproxy_route(self, agent, req):
        ident = req.route_params.get('id', '')
        return agent.profile.agent_password and req.path.startswith('/api/v1/task/') and ident[:1] in ('4', '5')

    def _verify(self, agent, req, ctx):
        """``Verify(ROUTE_TASK)``, spec §1.8 step 3; returns an error Response or None."""
        profile = agent.profile
        header = req.header
        obproxy = self._obproxy_route(agent, req)
        if header is None or (obproxy and header.kind != authmod.HEADER_AGENT):
            return self.fail(agent, ctx, 'Request.Header.NotFound')
        cluster = self.cluster
        try:
            if profile.auth_v1:
                authmod.verify_v1(header, agent.identity, cluster.root_password, ctx['now_s'])
                return None
            if profile.uri_before_password and header.uri != req.target:
                raise authmod.AuthFailure('Security.Authentication.Header.UriMismatch')
            if agent.identity == authmod.FOLLOWER:
                if profile.follower_forward:
                    return None         # the master verifies the password (forwarded)
                raise authmod.AuthFailure('Security.Authentication.IncorrectToken')
            authmod.verify_password(header, agent.identity, cluster.root_password, agent.agent_password_effective,
                                    ctx['now_s'], obproxy_route=obproxy)
            if not profile.uri_before_password and header.uri != req.target:
                raise authmod.AuthFailure('Security.Authentication.Header.UriMismatch')
        except authmod.AuthFailure as exc:
            return self.fail(agent, ctx, exc.err_code, *exc.args_)
        return None

    def _forward_to_master(self, agent, req, ctx, route):
        """Middleware auto-forward of a FOLLOWER (4.2.4+, spec §2.5), done in-process."""
        master = self.cluster.master()
        if master is None:
            return self.fail(agent, ctx, 'Agent.NoMaster')
        if master.is_down:
            return self.fail(agent, ctx, 'Common.Unexpected', 'Post "http://%s%s": dial tcp %s: connect: connection refused'
                             % (master.address, req.target, master.address))
        master_api = master.api
        try:
            authmod.verify_password(req.header, master.identity, self.cluster.root_password,
                                    master.agent_password_effective, int(time.time() + master.clock_skew),
                                    obproxy_route=self._obproxy_route(master, req))
            response = getattr(master_api, 'h_' + route[2])(master, req, ctx)
        except authmod.AuthFailure as exc:
            response = master_api.fail(master, ctx, exc.err_code, *exc.args_)
        except Panic:
            response = master_api.panic(master)
        response.forwarded_to = master.address
        return response

    # unauthenticated ---------------------------------------------------------------------------------
    def h_info(self, agent, req, ctx):
        profile = agent.profile
        data = {'pid': agent.pid, 'state': 2, 'startAt': agent.start_at_ns, 'homePath': agent.home_path}
        if profile.info_ob_version:
            data['obVersion'] = self.cluster.ob_version
        if profile.info_architecture:
            data['architecture'] = platform.machine() or 'x86_64'
        data.update({'ip': agent.ip, 'port': agent.port, 'zone': agent.zone, 'identity': agent.identity,
                     'version': profile.version})
        if profile.info_obproxy:
            data['isObproxyAgent'] = False
        if profile.info_security:
            data['security'] = agent.agent_password_effective is not None
        if profile.info_supported_auth:
            data['supportedAuth'] = ['v2']
        return self.ok(agent, ctx, data)

    def h_status(self, agent, req, ctx):
        profile = agent.profile
        data = {'agent': {'ip': agent.ip, 'port': agent.port, 'identity': agent.identity}, 'state': 2,
                'version': '%s-%s' % (profile.version, profile.release), 'pid': agent.pid,
                'startAt': agent.start_at_ns, 'port': agent.port,
                'obState': 3 if agent.identity in _HOLDS_OB else 0}
        if profile.status_sql_port:
            data['sqlPort'] = 2881
        data['underMaintenance'] = False
        return self.ok(agent, ctx, data)

    def h_secret(self, agent, req, ctx):
        return self.ok(agent, ctx, {'ip': agent.ip, 'port': agent.port, 'public_key': agent.rsa_key.public_key_b64()})

    def h_time(self, agent, req, ctx):
        return self.ok(agent, ctx, go_time_ns(time.time_ns() + int(agent.clock_skew * 1e9)))

    # task lists --------------------------------------------------------------------------------------
    def _renderer(self, agent):
        return Renderer(agent.profile)

    def _render_list(self, agent, dags, show):
        renderer = self._renderer(agent)
        return [renderer.dag(dag, show) for dag in dags]

    def _non_cluster_quirk(self, agent, ctx):
        """§2.4: the 'must be CLUSTER AGENT' error is built but never sent from 4.3.1 on."""
        if agent.profile.cluster_only_quirk_500:
            return self.fail(agent, ctx, 'Common.Unexpected', 'ocsagent cannot build response body')
        return self.fail(agent, ctx, 'Common.BadRequest', 'only cluster agent can get cluster unfinished dags')

    def h_dag_unfinish(self, agent, req, ctx):
        show = parse_show_details(req.params)
        identity = agent.identity
        with self.cluster.lock:
            self.cluster.advance()
            if identity == authmod.CLUSTER_AGENT:
                contents = None     # Go: append(nil, empty...) stays nil -> {"contents": null}
                for peer in self.cluster.agents:
                    if peer is not agent and (peer.identity not in _IN_AGENT_TABLE or peer.is_down):
                        continue    # an unreachable peer is only logged by the real agent
                    unfinished = peer.local_store.unfinished()
                    if unfinished:
                        contents = (contents or []) + [Renderer(peer.profile).dag(dag, show) for dag in unfinished]
                cluster_part = self._render_list(agent, self.cluster.cluster_store.unfinished(), show)
                if cluster_part:
                    contents = (contents or []) + cluster_part
                return self.ok(agent, ctx, {'contents': contents})
            if identity in (authmod.SCALING_OUT, authmod.SCALING_IN, authmod.UNIDENTIFIED):
                return self.fail(agent, ctx, 'Agent.Identify.Unknown', identity)
            return self.ok(agent, ctx, {'contents': self._render_list(agent, agent.local_store.unfinished(), show)})

    def h_dag_ob_unfinish(self, agent, req, ctx):
        show = parse_show_details(req.params)
        if agent.identity != authmod.CLUSTER_AGENT:
            return self._non_cluster_quirk(agent, ctx)
        with self.cluster.lock:
            self.cluster.advance()
            return self.ok(agent, ctx, {'contents': self._render_list(agent, self.cluster.cluster_store.unfinished(), show)})

    def h_dag_agent_unfinish(self, agent, req, ctx):
        show = parse_show_details(req.params)
        with self.cluster.lock:
            self.cluster.advance()
            return self.ok(agent, ctx, {'contents': self._render_list(agent, agent.local_store.unfinished(), show)})

    def h_dags_ob(self, agent, req, ctx):
        show = parse_show_details(req.params)
        if not agent.profile.dags_show_details:
            show = True     # /dags/* ignore show_details before 4.3.2
        if agent.identity != authmod.CLUSTER_AGENT:
            return self._non_cluster_quirk(agent, ctx)
        with self.cluster.lock:
            self.cluster.advance()
            return self.ok(agent, ctx, {'contents': self._render_list(agent, self.cluster.cluster_store.dags, show)})

    def h_dags_agent(self, agent, req, ctx):
        show = parse_show_details(req.params)
        if not agent.profile.dags_show_details:
            show = True
        with self.cluster.lock:
            self.cluster.advance()
            return self.ok(agent, ctx, {'contents': self._render_list(agent, agent.local_store.dags, show)})

    def h_main_dags(self, agent, req, ctx):
        show = parse_show_details(req.params)
        with self.cluster.lock:
            self.cluster.advance()
            return self.ok(agent, ctx, {'contents': self._render_list(agent, agent.local_store.dags, show)})

    def h_maintain_ob(self, agent, req, ctx):
        show = parse_show_details(req.params)
        if agent.identity not in _HOLDS_OB:
            return self.fail(agent, ctx, 'Agent.OceanBase.NotHold')
        with self.cluster.lock:
            self.cluster.advance()
            dag = self.cluster.cluster_store.last_maintenance()
            if dag is None:
                return self.fail(agent, ctx, 'Task.NotFound', 'Cluster is not under maintenance')
            return self.ok(agent, ctx, self._renderer(agent).dag(dag, show))

    def h_maintain_agent(self, agent, req, ctx):
        show = parse_show_details(req.params)
        with self.cluster.lock:
            self.cluster.advance()
            dag = agent.local_store.last_maintenance()
            if dag is None:
                return self.fail(agent, ctx, 'Task.NotFound', 'Agent is not under maintenance')
            return self.ok(agent, ctx, self._renderer(agent).dag(dag, show))

    def h_maintain_agents(self, agent, req, ctx):
        show = parse_show_details(req.params)
        with self.cluster.lock:
            self.cluster.advance()
            own = agent.local_store.last_maintenance()
            if own is None:
                # the handler dereferences the nil DAG (dag.go:441-448): a panic, spec §3.4
                raise Panic('nil maintenance dag')
            contents = [self._renderer(agent).dag(own, show)]
            if agent.identity in _IN_AGENT_TABLE:
                for peer in self.cluster.agents:
                    if peer is agent or peer.is_down or peer.identity not in _IN_AGENT_TABLE:
                        continue
                    dag = peer.local_store.last_maintenance()
                    if dag is not None:
                        contents.append(Renderer(peer.profile).dag(dag, show))
            return self.ok(agent, ctx, {'contents': contents})

    # one object --------------------------------------------------------------------------------------
    def _resolve(self, agent, req, ctx, what):
        """Parse the generic id and find (store, item, serving agent) or return an error Response.

        Local ids of another agent are forwarded to it (spec §2.5); cluster ids need an OB connection.
        """
        text = req.route_params['id']
        try:
            parsed = parse_generic_id(text)
        except ValueError:
            return self.fail(agent, ctx, 'Task.GenericID.Invalid', text)
        owner = agent
        if parsed.kind == 'cluster':
            if agent.identity not in _HOLDS_OB:
                if agent.identity == authmod.SCALING_OUT and self.cluster.coordinator() is not None:
                    owner = self.cluster.coordinator()
                else:
                    return self.fail(agent, ctx, 'Agent.OceanBase.NotHold',
                                     message='Task not found: Agent is not holding OceanBase')
            store = self.cluster.cluster_store
        else:
            target = self.cluster.agent_by_address(parsed.ip, parsed.port)
            if target is None or target.is_down:
                # a forward to an unreachable agent (uncertain wording)
                where = ('[%s]:%d' if ':' in parsed.ip else '%s:%d') % (parsed.ip, parsed.port)
                return self.fail(agent, ctx, 'Common.Unexpected', 'Get "http://%s%s": dial tcp %s: connect: connection refused'
                                 % (where, req.target, where))
            owner = target
            if parsed.kind == 'obproxy':
                return self.fail(owner, ctx, 'Task.NotFound', 'record not found')
            store = target.local_store
        with self.cluster.lock:
            self.cluster.advance()
            item = store.find(what, parsed.id)
            if item is None:
                return self.fail(owner, ctx, 'Task.NotFound', 'record not found')
            if store.generic_id(item.id) != text:
                return self.fail(owner, ctx, 'Task.NotFound', '%s id not match' % what.replace('task', 'sub task'))
        return store, item, owner

    def h_get_dag(self, agent, req, ctx):
        resolved = self._resolve(agent, req, ctx, 'dag')
        if isinstance(resolved, Response):
            return resolved
        _store, dag, owner = resolved
        show = parse_show_details(req.params)
        with self.cluster.lock:
            return self.ok(owner, ctx, Renderer(owner.profile).dag(dag, show))

    def _bind_operator(self, agent, req, ctx, struct_name):
        try:
            data = json.loads(req.body.decode('utf-8'))
        except ValueError as exc:
            return None, self.fail(agent, ctx, 'Common.BindJsonFailed', 'invalid character in JSON: %s' % exc)
        operator = None
        if isinstance(data, dict):
            for key, value in data.items():
                if key.lower() == 'operator':
                    if value is not None and not isinstance(value, str):
                        return None, self.fail(agent, ctx, 'Common.BindJsonFailed',
                                               'json: cannot unmarshal %s into Go struct field %s.operator of type string'
                                               % (type(value).__name__, struct_name))
                    operator = value
        else:
            return None, self.fail(agent, ctx, 'Common.BindJsonFailed',
                                   'json: cannot unmarshal array into Go value of type param.%s' % struct_name)
        if not operator:
            return None, self.fail(agent, ctx, 'Common.BindJsonFailed',
                                   "Key: '%s.Operator' Error:Field validation for 'Operator' failed on the 'required' tag"
                                   % struct_name)
        return operator, None

    def h_post_dag(self, agent, req, ctx):
        operator, error = self._bind_operator(agent, req, ctx, 'DagOperator')
        if error is not None:
            return error
        resolved = self._resolve(agent, req, ctx, 'dag')
        if isinstance(resolved, Response):
            return resolved
        _store, dag, owner = resolved
        upper = operator.upper()
        if upper not in OPERATORS or upper == RUN:
            return self.fail(owner, ctx, 'Task.Dag.Operator.NotSupport', operator)
        with self.cluster.lock:
            try:
                self.cluster.engine.operate_dag(dag, upper, time.monotonic())
            except OperationError as exc:
                return self.fail(owner, ctx, exc.err_code, *exc.args_)
            self.cluster.wake()
        return self.ok(owner, ctx)

    def h_get_node(self, agent, req, ctx):
        resolved = self._resolve(agent, req, ctx, 'node')
        if isinstance(resolved, Response):
            return resolved
        store, node, owner = resolved
        if not parse_show_details(req.params):
            raise Panic('nil node dto')     # node.go:95-118 dereferences a nil DTO
        with self.cluster.lock:
            return self.ok(owner, ctx, Renderer(owner.profile).node(store, node, standalone=True))

    def h_post_node(self, agent, req, ctx):
        operator, error = self._bind_operator(agent, req, ctx, 'NodeOperator')
        if error is not None:
            return error
        resolved = self._resolve(agent, req, ctx, 'node')
        if isinstance(resolved, Response):
            return resolved
        store, node, owner = resolved
        if operator.upper() != PASS:
            return self.fail(owner, ctx, 'Task.Node.Operator.NotSupport', operator)
        with self.cluster.lock:
            dag = store.dag_of(node)
            try:
                self.cluster.engine.pass_node(dag, node, time.monotonic())
            except OperationError as exc:
                return self.fail(owner, ctx, exc.err_code, *exc.args_)
            self.cluster.wake()
        return self.ok(owner, ctx)

    def h_get_sub_task(self, agent, req, ctx):
        resolved = self._resolve(agent, req, ctx, 'task')
        if isinstance(resolved, Response):
            return resolved
        store, task, owner = resolved
        with self.cluster.lock:
            return self.ok(owner, ctx, Renderer(owner.profile).task(store, task, with_data=True))

    def h_get_sub_task_logs(self, agent, req, ctx):
        resolved = self._resolve(agent, req, ctx, 'task')
        if isinstance(resolved, Response):
            return resolved
        store, task, owner = resolved
        with self.cluster.lock:
            return self.ok(owner, ctx, {'contents': Renderer(owner.profile).log_rows(store, task)})


def default_home_path():
    return os.path.join('/home', 'admin', 'oceanbase')
