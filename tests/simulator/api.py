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
from tests.simulator.dags import (OPERATORS, PASS, RUN, SUCCEED, GenericIdError, OperationError, Renderer, go_time_ns,
                                  parse_generic_id)

_TRUE = ('1', 't', 'T', 'TRUE', 'true', 'True')
_FALSE = ('0', 'f', 'F', 'FALSE', 'false', 'False')

# identities that hold an OceanBase connection (cluster-id lookups, /dag/maintain/ob)
_HOLDS_OB = frozenset([authmod.CLUSTER_AGENT, authmod.TAKE_OVER_MASTER, authmod.TAKE_OVER_FOLLOWER,
                       authmod.SCALING_IN])
# identities of an agent that has no observer configured yet (no SQL port)
_NO_OBSERVER_YET = frozenset([authmod.SINGLE, authmod.MASTER, authmod.FOLLOWER])
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
# the names of the DAGs that requests start here (templates.py)
DAG_NAMES = {'join_self': 'Join self', 'init_cluster': 'Initialize cluster'}

# routes: (method, pattern, handler name, protected, predicate on profile)

_ROUTES = [
    ('GET', '/api/v1/info', 'info', False, None),
    ('GET', '/api/v1/status', 'status', False, None),
    ('POST', '/api/v1/status', 'status', False, None),
    ('GET', '/api/v1/secret', 'secret', False, None),
    ('GET', '/api/v1/time', 'time', False, None),
    ('GET', '/api/v1/ob/info', 'ob_info', True, None),
    # the requests that start the DAGs an agent runs without an observer (spec §12, docs/conformance.md)
    ('POST', '/api/v1/agent/password', 'agent_password', False, None),
    ('POST', '/api/v1/agent', 'join', True, None),
    ('POST', '/api/v1/ob/init', 'ob_init', True, None),
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
            # answered by HeaderDecrypt itself, before the trace id and the content type are set (gin's c.JSON; a
            # real 4.5.0.0 agent, docs/conformance.md)
            response = self.fail(agent, dict(ctx, trace_id=''), failure.err_code, *failure.args_)
            response.content_type = 'application/json; charset=utf-8'
            return response
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
            if agent.identity == authmod.FOLLOWER and profile.follower_forward and not self._obproxy_route(agent, req):
                # VerifyObRouters auto-forwards; VerifyAgentRoutes (obproxy ids) does not (middleware.go:527-538)
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
        """VerifyTaskRoutes (middleware.go:631-644): a task route whose :id starts with 4 or 5 (4.2.6+)."""
        ident = req.route_params.get('id', '')
        return agent.profile.obproxy_ids and req.path.startswith('/api/v1/task/') and ident[:1] in ('4', '5')

    def _verify(self, agent, req, ctx):
        """``Verify(ROUTE_TASK)``, spec §1.8 step 3; returns an error Response or None."""
        profile = agent.profile
        header = req.header
        obproxy = self._obproxy_route(agent, req)
        if header is None:
            return self.fail(agent, ctx, 'Request.Header.NotFound')
        cluster = self.cluster
        try:
            if profile.auth_v1:
                authmod.verify_v1(header, agent.identity, cluster.root_password, ctx['now_s'])
                return None
            if profile.uri_before_password and header.uri != req.target:
                raise authmod.AuthFailure('Security.Authentication.Header.UriMismatch')
            if obproxy:
                # VerifyAgentRoutes: the agent password only, checked here by any identity (middleware.go:609-629)
                authmod.verify_agent_route(header, agent.agent_password_effective, ctx['now_s'])
                return None
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
                                    master.agent_password_effective, int(time.time() + master.clock_skew))
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
        # the agent's version is VERSION-RELEASE (service/agent/enter.go:178, since 4.2.3); a SINGLE agent has no
        # zone until it joins (both seen on a real 4.5.0.0 agent, docs/conformance.md)
        data.update({'ip': agent.ip, 'port': agent.port, 'zone': _zone_of(agent), 'identity': agent.identity,
                     'version': '%s-%s' % (profile.version, profile.release)})
        if profile.info_obproxy:
            data['isObproxyAgent'] = agent.is_obproxy_agent
        if profile.info_security:
            data['security'] = agent.agent_password_effective is not None
        if profile.info_supported_auth:
            data['supportedAuth'] = ['v2']
        return self.ok(agent, ctx, data)

    def h_status(self, agent, req, ctx):
        profile = agent.profile
        data = {'agent': {'ip': agent.ip, 'port': agent.port, 'identity': agent.identity}, 'state': 2,
                'version': '%s-%s' % (profile.version, profile.release), 'pid': agent.pid,
                'startAt': agent.start_at_ns, 'port': agent.port, 'obState': agent.ob_state}
        if profile.status_sql_port and agent.identity not in _NO_OBSERVER_YET:
            # omitempty: the SQL port is 0 until the agent has an observer (a real SINGLE/MASTER agent omits it)
            data['sqlPort'] = agent.sql_port
        # !localTaskService.IsRunning(): the agent's own global maintenance (a local maintenance DAG), not the
        # cluster's (info_handler.go:89-97, status_maintainer.go:265-275)
        with self.cluster.lock:
            self.cluster.advance()
            data['underMaintenance'] = agent.local_store.under_global_maintenance()
        return self.ok(agent, ctx, data)

    def h_secret(self, agent, req, ctx):
        return self.ok(agent, ctx, {'ip': agent.ip, 'port': agent.port, 'public_key': agent.rsa_key.public_key_b64()})

    def h_time(self, agent, req, ctx):
        return self.ok(agent, ctx, go_time_ns(time.time_ns() + int(agent.clock_skew * 1e9)))

    # the DAGs of an agent without an observer (spec §12; checked against a real agent, docs/conformance.md) ---
    def _bind(self, agent, ctx, body, struct_name, required):
        """gin's BindJSON of a struct whose ``required`` fields must be present (and not zero)."""
        try:
            data = json.loads(body.decode('utf-8'))
        except ValueError as exc:
            return None, self.fail(agent, ctx, 'Common.BindJsonFailed', 'invalid character in JSON: %s' % exc)
        if not isinstance(data, dict):
            return None, self.fail(agent, ctx, 'Common.BindJsonFailed',
                                   'json: cannot unmarshal array into Go value of type param.%s' % struct_name)
        for field, go_name in required:
            if not data.get(field):
                return None, self.fail(agent, ctx, 'Common.BindJsonFailed',
                                       "Key: '%s.%s' Error:Field validation for '%s' failed on the 'required' tag"
                                       % (struct_name, go_name, go_name))
        return data, None

    def h_agent_password(self, agent, req, ctx):
        """``POST /api/v1/agent/password``: VerifyForSetAgentPassword (middleware.go:579-607), then the handler
        (agent_handler.go:205-213). A SINGLE agent without a password takes any header; a set password is only
        replaced with it; a CLUSTER AGENT wants the root@sys password; any other identity (a MASTER without a
        password) dereferences a nil error: the answer is gin's 500, yet a real 4.5.0.0 agent has then set the
        password (seen by hand twice, docs/conformance.md), so this one does too."""
        header = req.header
        if header is None:
            return self.fail(agent, ctx, 'Request.Header.NotFound')
        try:
            if agent.agent_password_effective is not None:
                if header.kind != authmod.HEADER_AGENT:
                    raise authmod.AuthFailure('Security.Authentication.WithAgentPassword', 'agent password has been set')
                authmod.verify_agent_route(header, agent.agent_password_effective, ctx['now_s'])
            elif agent.identity == authmod.CLUSTER_AGENT:
                if header.kind != authmod.HEADER_OB:
                    raise authmod.AuthFailure('Security.Authentication.WithOceanBasePassword',
                                              'oceanbase password has been set')
                authmod.verify_password(header, agent.identity, self.cluster.root_password, None, ctx['now_s'])
        except authmod.AuthFailure as exc:
            return self.fail(agent, ctx, exc.err_code, *exc.args_)
        data, error = self._bind(agent, ctx, req.body, 'SetAgentPasswordParam', [('password', 'Password')])
        if error is not None:
            return error
        unset = agent.agent_password_effective is None
        agent.agent_password = data['password']
        if unset and agent.identity not in (authmod.SINGLE, authmod.CLUSTER_AGENT):
            raise Panic('VerifyForSetAgentPassword: nil error')
        return self.ok(agent, ctx)

    def _start_local(self, agent, ctx, template):
        """Create one of the agent's local DAGs from a template, like CreateDagInstanceByTemplate; the answer is
        the new DAG without details (READY, ``nodes: null``)."""
        from tests.simulator.scenarios import expand_dag
        with self.cluster.lock:
            self.cluster.advance()
            if agent.local_store.under_global_maintenance():
                # the error keeps the handler's typed-nil data: "data": null (spec §3.3)
                return None, self.fail(agent, ctx, 'Agent.UnderMaintenance', has_data=True,
                                       message="Create task '%s' failed: %s is under maintenance"
                                       % (DAG_NAMES[template], agent.address))
            spec = expand_dag({'template': template, 'scope': 'local', 'agent': agent.index}, [agent.zone])
            generic_id = self.cluster.create_dag(spec)
            dag = self.cluster.get_dag(generic_id)
            return dag, None

    def h_join(self, agent, req, ctx):
        """``POST /api/v1/agent`` naming the agent itself: "Join self" (agent_handler.go:54-68,
        executor/agent/join_master.go:29-62); on success the agent is MASTER in the given zone. Joining another
        master is not simulated."""
        data, error = self._bind(agent, ctx, req.body, 'JoinApiParam', [('agentInfo', 'AgentInfo'), ('zoneName', 'ZoneName')])
        if error is not None:
            return error
        target = data['agentInfo'] if isinstance(data['agentInfo'], dict) else {}
        if (target.get('ip'), target.get('port')) != (agent.ip, agent.port) or agent.identity != authmod.SINGLE:
            return self.fail(agent, ctx, 'Common.Unexpected', 'the simulator only joins a SINGLE agent to itself')
        dag, error = self._start_local(agent, ctx, 'join_self')
        if error is not None:
            return error
        zone = data['zoneName']

        def joined():
            agent.zone = zone
            agent.identity = authmod.MASTER
        dag.on_succeed = joined
        with self.cluster.lock:
            return self.ok(agent, ctx, Renderer(agent.profile).dag(dag, False))

    def h_ob_init(self, agent, req, ctx):
        """``POST /api/v1/ob/init`` on a MASTER: "Initialize cluster" (executor/ob/init.go:26-63), which fails at
        "Start observer" without an observer and, a maintenance DAG, stays unfinished."""
        if agent.identity != authmod.MASTER:
            return self.fail(agent, ctx, 'Agent.Identify.NotSupportOperation', agent.address, agent.identity,
                             'MASTER or FOLLOWER')
        dag, error = self._start_local(agent, ctx, 'init_cluster')
        if error is not None:
            return error
        with self.cluster.lock:
            return self.ok(agent, ctx, Renderer(agent.profile).dag(dag, False))

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

    def _ob_failure(self, agent, ctx, err_code, wrap_not_found=False, **kwargs):
        """An error of the OCS database read (spec §11.6). ``wrap_not_found``: the handler wraps it with
        ``WrapRetain(ErrTaskNotFound, err)``, which keeps the code and prefixes the message."""
        message = None
        if wrap_not_found:
            message = 'Task not found: ' + agent.profile.error(err_code)[1]['message']
        return self.fail(agent, ctx, err_code, message=message, **kwargs)

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
                # spec §11.6: the cluster DAGs live in OB; when this agent cannot read them the error is only
                # logged (executor/task/dag.go:491-502) and the answer is a success without them
                if agent.ob_error() is None:
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
        failure = agent.ob_error()
        if failure is not None:
            # SendResponse(c, dagDetailDTOs, err) with a typed nil slice: the error AND {"contents": null}
            return self.fail(agent, ctx, failure, data={'contents': None})
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
        failure = agent.ob_error()
        if failure is not None:
            return self.fail(agent, ctx, failure)       # SendResponse(c, nil, err): no data
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

    def _peer_last_maintenance(self, agent, show):
        """This agent's last maintenance DAG (None: the nil the handlers dereference) and every other agent's
        from ``/dag/maintain/agent``; peers answering 404 or not at all are skipped (dag.go:438-468)."""
        own = agent.local_store.last_maintenance()
        rendered = [] if own is None else [self._renderer(agent).dag(own, show)]
        if agent.identity in _IN_AGENT_TABLE:
            for peer in self.cluster.agents:
                if peer is agent or peer.is_down or peer.identity not in _IN_AGENT_TABLE:
                    continue
                dag = peer.local_store.last_maintenance()
                if dag is not None:
                    rendered.append(Renderer(peer.profile).dag(dag, show))
        return own, rendered

    def h_main_dags(self, agent, req, ctx):
        """GetAgentMainDags (dag.go:615-643): the main DAGs named by ``main_dag_id`` in the additional data of the
        agents' last maintenance DAGs that did not succeed, each read again through the unix socket."""
        show = parse_show_details(req.params)
        with self.cluster.lock:
            self.cluster.advance()
            own, rendered = self._peer_last_maintenance(agent, show)
            if own is None:
                raise Panic('nil maintenance dag')      # convertDagDetailDTO(nil) in getAllAgentLastMaintenanceDag
            contents = []
            seen = set()
            for dto in rendered:
                if dto['state'] == SUCCEED or not isinstance(dto.get('additional_data'), dict):
                    continue
                main_id = dto['additional_data'].get('main_dag_id')
                if not isinstance(main_id, str) or main_id in seen:
                    continue
                main = self._dag_via_socket(agent, main_id)
                if main is not None:
                    contents.append(main)
                    seen.add(main_id)
            return self.ok(agent, ctx, {'contents': contents})

    def _dag_via_socket(self, agent, generic_id):
        """``GET /api/v1/task/dag/<id>`` over the unix socket (no auth, show_details true); None on any error."""
        try:
            parsed = parse_generic_id(generic_id, agent.profile.obproxy_ids)
        except GenericIdError:
            return None
        if parsed.kind == 'cluster':
            holder = agent if agent.ob_error() is None else None
            if holder is None:
                holder = next((peer for peer in self.cluster.agents if peer.identity in _HOLDS_OB
                               and not peer.is_down and peer.ob_error() is None), None)
            store = self.cluster.cluster_store if holder is not None else None
        else:
            holder = self.cluster.agent_by_address(parsed.ip, parsed.port)
            store = holder.local_store if holder is not None and not holder.is_down else None
        if store is None:
            return None
        dag = store.find('dag', parsed.id)
        if dag is None or dag.generic_id() != generic_id:
            return None
        return Renderer(holder.profile).dag(dag, True)

    def h_maintain_ob(self, agent, req, ctx):
        show = parse_show_details(req.params)
        failure = agent.ob_error()
        if failure is not None:
            return self.fail(agent, ctx, failure)
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
            own, rendered = self._peer_last_maintenance(agent, show)
            if own is None:
                # the handler dereferences the nil DAG (dag.go:441-448): a panic, spec §3.4
                raise Panic('nil maintenance dag')
            return self.ok(agent, ctx, {'contents': rendered})

    # one object --------------------------------------------------------------------------------------
    # Each handler (executor/task/dag.go, node.go, sub_task.go) runs: ConvertGenericID (400), [bind JSON],
    # forward a local id of another agent, look the item up (404 / OB error), then its own id check.

    def _parse_id(self, agent, req, ctx):
        text = req.route_params['id']
        try:
            return parse_generic_id(text, agent.profile.obproxy_ids)
        except GenericIdError as exc:
            return self.fail(agent, ctx, 'Task.GenericID.Invalid', str(exc))

    def _target(self, agent, req, ctx, parsed):
        """Where the handler reads the item: ``(store, serving agent)``, or an error Response.

        A local id of another agent is forwarded to it (spec §2.5) with an ``X-OCS-Header`` of the root password
        (secure/header.go:59-65), so an obproxy id (4…/5…) forwarded anywhere is refused there by
        VerifyAgentRoutes. Cluster ids need this agent's OB connection (spec §11.6).
        """
        if parsed.kind == 'cluster':
            if agent.identity == authmod.SCALING_OUT and self.cluster.coordinator() is not None:
                return self.cluster.cluster_store, self.cluster.coordinator()
            failure = agent.ob_error()
            if failure is not None:
                return failure
            return self.cluster.cluster_store, agent
        target = self.cluster.agent_by_address(parsed.ip, parsed.port)
        if target is agent:
            return agent.local_store, agent
        if agent.identity == authmod.FOLLOWER and self.cluster.master() is None:
            # a FOLLOWER's handler forwards to its master, which forwards on to the owner
            return self.fail(agent, ctx, 'Agent.NoMaster')
        if target is None or target.is_down:
            # a forward to an unreachable agent (uncertain wording)
            where = ('[%s]:%d' if ':' in parsed.ip else '%s:%d') % (parsed.ip, parsed.port)
            return self.fail(agent, ctx, 'Common.Unexpected', 'Get "http://%s%s": dial tcp %s: connect: connection refused'
                             % (where, req.target, where))
        if parsed.kind == 'obproxy':
            response = self.fail(target, ctx, 'Security.Authentication.WithAgentPassword',
                                 'this route only support agent password')
            response.forwarded_to = target.address
            return response
        return target.local_store, target

    def _cluster_fallback(self, agent, text, show):
        """GET /dag/{1…} with the OB connection down: ask every other agent, first success wins (dag.go:102-117).

        Modelled among agents that hold OB; one that cannot read OB either is an error answer and skipped.
        """
        for peer in self.cluster.agents:
            if peer is agent or peer.is_down or peer.identity not in _HOLDS_OB or peer.ob_error() is not None:
                continue
            try:
                parsed = parse_generic_id(text, peer.profile.obproxy_ids)
            except GenericIdError:
                continue
            dag = self.cluster.cluster_store.find('dag', parsed.id)
            if dag is not None and dag.generic_id() == text:
                return Renderer(peer.profile).dag(dag, show)
        return None

    def _resolve(self, agent, req, ctx, what, parsed=None):
        """``(store, item, serving agent)`` or an error Response for GET/POST dag, node and sub_task."""
        if parsed is None:
            parsed = self._parse_id(agent, req, ctx)
            if isinstance(parsed, Response):
                return parsed
        target = self._target(agent, req, ctx, parsed)
        if isinstance(target, Response):
            return target
        if isinstance(target, str):
            return self._ob_failure(agent, ctx, target, wrap_not_found=True)
        store, owner = target
        with self.cluster.lock:
            self.cluster.advance()
            item = store.find(what, parsed.id)
            if item is None:
                return self.fail(owner, ctx, 'Task.NotFound', 'record not found')
        return store, item, owner

    def h_get_dag(self, agent, req, ctx):
        parsed = self._parse_id(agent, req, ctx)
        if isinstance(parsed, Response):
            return parsed
        target = self._target(agent, req, ctx, parsed)
        if isinstance(target, str):
            # the OB connection is down: another agent may answer for this one
            show = parse_show_details(req.params)
            with self.cluster.lock:
                self.cluster.advance()
                relayed = self._cluster_fallback(agent, parsed.text, show) if agent.identity in _HOLDS_OB else None
            if relayed is not None:
                return self.ok(agent, ctx, relayed)
            return self._ob_failure(agent, ctx, target, wrap_not_found=True)
        resolved = self._resolve(agent, req, ctx, 'dag', parsed)
        if isinstance(resolved, Response):
            return resolved
        _store, dag, owner = resolved
        if dag.generic_id() != parsed.text:
            return self.fail(owner, ctx, 'Task.NotFound', 'dag id not match')
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
        parsed = self._parse_id(agent, req, ctx)
        if isinstance(parsed, Response):
            return parsed
        operator, error = self._bind_operator(agent, req, ctx, 'DagOperator')
        if error is not None:
            return error
        resolved = self._resolve(agent, req, ctx, 'dag', parsed)
        if isinstance(resolved, Response):
            return resolved
        _store, dag, owner = resolved
        if dag.generic_id() != parsed.text:
            return self.fail(owner, ctx, 'Task.NotFound', 'dag id not match')
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
        if node.dag.generic_id()[0] != req.route_params['id'][0]:
            # only the type prefix is compared (node.go:107-110)
            return self.fail(owner, ctx, 'Task.NotFound', 'node type not match')
        with self.cluster.lock:
            return self.ok(owner, ctx, Renderer(owner.profile).node(store, node, standalone=True))

    def h_post_node(self, agent, req, ctx):
        parsed = self._parse_id(agent, req, ctx)
        if isinstance(parsed, Response):
            return parsed
        operator, error = self._bind_operator(agent, req, ctx, 'NodeOperator')
        if error is not None:
            return error
        if operator.upper() != PASS:
            # checked before the forward and the lookup (node.go:171-174)
            return self.fail(agent, ctx, 'Task.Node.Operator.NotSupport', operator)
        resolved = self._resolve(agent, req, ctx, 'node', parsed)
        if isinstance(resolved, Response):
            return resolved
        _store, node, owner = resolved
        with self.cluster.lock:
            try:
                self.cluster.engine.pass_node(node.dag, node, time.monotonic())
            except OperationError as exc:
                return self.fail(owner, ctx, exc.err_code, *exc.args_)
            self.cluster.wake()
        return self.ok(owner, ctx)

    def h_get_sub_task(self, agent, req, ctx):
        resolved = self._resolve(agent, req, ctx, 'task')
        if isinstance(resolved, Response):
            return resolved
        store, task, owner = resolved
        if store.kind == 'local' and task.dag.generic_id()[0] != req.route_params['id'][0]:
            return self.fail(owner, ctx, 'Task.NotFound', 'sub task type not match')    # sub_task.go:91-104
        with self.cluster.lock:
            return self.ok(owner, ctx, Renderer(owner.profile).task(store, task, with_data=True))

    def h_get_sub_task_logs(self, agent, req, ctx):
        """GetFullSubTaskLogs (sub_task.go:138-184): no id check, and an unknown sub-task has no rows:
        200 ``{"contents": []}`` (convertSubTaskLogBOSlice makes an empty, non-nil slice)."""
        parsed = self._parse_id(agent, req, ctx)
        if isinstance(parsed, Response):
            return parsed
        target = self._target(agent, req, ctx, parsed)
        if isinstance(target, Response):
            return target
        if isinstance(target, str):
            # SendResponse(c, subTaskLogs, err): the typed nil slice stays, the error is not wrapped
            return self._ob_failure(agent, ctx, target, data={'contents': None})
        store, owner = target
        with self.cluster.lock:
            self.cluster.advance()
            task = store.find('task', parsed.id)
            rows = Renderer(owner.profile).log_rows(store, task) if task is not None else []
            return self.ok(owner, ctx, {'contents': rows})

    # ob ----------------------------------------------------------------------------------------------
    def _agent_instance(self, peer):
        """meta.AgentInstance (meta/agent.go:144-149)."""
        return {'ip': peer.ip, 'port': peer.port, 'zone': _zone_of(peer), 'identity': peer.identity,
                'version': '%s-%s' % (peer.profile.version, peer.profile.release)}

    def _cluster_config(self, agent, topology, empty=False):
        """param.ClusterConfig (param/obcluster.go:37-43); ``topology`` None renders the nil map as null."""
        cluster = self.cluster
        config = {'id': 0 if empty else cluster.cluster_id, 'name': '' if empty else cluster.cluster_name,
                  'version': '' if topology is None else cluster.ob_version, 'topology': topology}
        if agent.profile.ob_info_shared_storage:
            config['is_shared_storage'] = False if topology is None else bool(cluster.is_shared_storage)
        return config

    def _topology(self):
        """DBA_OB_SERVERS grouped by zone (info.go:153-217); Go marshals the map with sorted keys."""
        cluster = self.cluster
        rootserver = cluster.rootserver_agent()
        zones = {}
        for peer in cluster.agents:
            if peer.identity not in authmod.OB_INITIALISED:
                continue        # not an observer of the cluster (yet)
            # an observer that is down shows INACTIVE once its lease runs out (uncertain: no delay modelled)
            zones.setdefault(peer.zone, []).append({
                'svr_ip': peer.ip, 'svr_port': peer.svr_port, 'sql_port': peer.sql_port, 'agent_port': peer.port,
                'with_rootserver': 'YES' if peer is rootserver else 'NO',
                'status': 'ACTIVE' if peer.ob_state == 3 else 'INACTIVE',
                'build_version': cluster.build_version.split('-')[0],
            })
        return dict((zone, zones[zone]) for zone in sorted(zones))

    def h_ob_info(self, agent, req, ctx):
        """GET /api/v1/ob/info (obcluster_handler.go:440-452, executor/ob/info.go:38-104), spec §11.5."""
        identity = agent.identity
        if identity == authmod.FOLLOWER:
            master = self.cluster.master()
            if master is None:
                return self.fail(agent, ctx, 'Agent.NoMaster')
            response = self.h_ob_info(master, req, ctx)
            response.forwarded_to = master.address
            return response
        with self.cluster.lock:
            if identity in (authmod.SINGLE, authmod.SCALING_IN):
                return self.ok(agent, ctx, {'agent_info': [self._agent_instance(agent)],
                                            'obcluster_info': self._cluster_config(agent, None, empty=True)})
            if identity == authmod.MASTER:
                # getAgentInfo: the agent table (master and followers); id and name from the local config
                # (uncertain: what an uninitialised cluster has configured; the cluster's values are used)
                peers = [peer for peer in self.cluster.agents if peer.identity in (authmod.MASTER, authmod.FOLLOWER)]
                return self.ok(agent, ctx, {'agent_info': [self._agent_instance(peer) for peer in peers],
                                            'obcluster_info': self._cluster_config(agent, None)})
            if identity in (authmod.CLUSTER_AGENT, authmod.TAKE_OVER_MASTER, authmod.TAKE_OVER_FOLLOWER,
                            authmod.SCALING_OUT):
                if agent.ob_error() is None:
                    peers = [peer for peer in self.cluster.agents if peer.identity in authmod.OB_INITIALISED]
                    return self.ok(agent, ctx, {'agent_info': [self._agent_instance(peer) for peer in peers],
                                                'obcluster_info': self._cluster_config(agent, self._topology())})
                # OB unreadable: getAgentInfo from sqlite, without the topology (info.go:50-54,60-78)
                if identity == authmod.SCALING_OUT:
                    peers = [agent]
                else:
                    peers = [peer for peer in self.cluster.agents if peer is agent or peer.identity in _IN_AGENT_TABLE]
                return self.ok(agent, ctx, {'agent_info': [self._agent_instance(peer) for peer in peers],
                                            'obcluster_info': self._cluster_config(agent, None)})
            return self.fail(agent, ctx, 'Agent.Identify.Unknown', identity)


def _zone_of(agent):
    return '' if agent.identity == authmod.SINGLE else agent.zone


def default_home_path():
    return os.path.join('/home', 'admin', 'oceanbase')
