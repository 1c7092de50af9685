# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""Typed errors raised by the OBShell client. No third-party imports, so every plugin can import it."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


class ObshellError(Exception):
    """Base of every error the collection raises about an agent.

    ``agent`` is the address as addressed (``host:port``), ``status`` the HTTP status (or None), ``err_code`` the
    agent's dotted ``errCode`` (4.3.1+), ``code`` its old integer code, ``agent_message`` the agent's own words.
    ``str(error)`` is one line a person can act on; it never contains a password.
    """

    retryable = False
    kind = 'error'

    def __init__(self, message, agent=None, status=None, err_code=None, code=None, agent_message=None):
        super(ObshellError, self).__init__(message)
        self.message = message
        self.agent = agent
        self.status = status
        self.err_code = err_code
        self.code = code
        self.agent_message = agent_message

    def __str__(self):
        prefix = 'OBShell agent %s: ' % self.agent if self.agent else ''
        return prefix + self.message

    def to_dict(self):
        """A JSON-friendly description, for module results and verdicts."""
        return {
            'kind': self.kind,
            'message': str(self),
            'agent': self.agent,
            'status': self.status,
            'err_code': self.err_code,
            'code': self.code,
            'agent_message': self.agent_message,
        }


class ObshellConnectionError(ObshellError):
    """The agent could not be reached: refused, reset, DNS, time-out. Worth retrying."""

    retryable = True
    kind = 'unreachable'

    def __init__(self, message, maybe_sent=False, **kwargs):
        super(ObshellConnectionError, self).__init__(message, **kwargs)
        # True when the request may have reached the agent (a POST must then not be re-sent blindly).
        self.maybe_sent = maybe_sent
        # True when it timed out in the shorter time a caller's overall deadline left it (not request_timeout):
        # it says when the caller stopped listening, not why the agent is not answering.
        self.cut_by_deadline = False


class ObshellTLSError(ObshellConnectionError):
    """Certificate verification or client-certificate failure. Retrying does not help."""

    retryable = False
    kind = 'tls'


class ObshellProxyError(ObshellConnectionError):
    """The proxy from the environment cannot carry the request: it refuses connections, wants credentials (407),
    cannot reach the agent (a 5xx to CONNECT), or needs a library that is missing (SOCKS without PySocks).

    Not retried by default: a proxy that is down or refuses us is configuration (HTTP_PROXY, NO_PROXY, use_proxy),
    which waiting does not fix, and reporting it as the agent being unreachable sent people to the agent and
    made a wait retry it for unreachable_timeout. A proxy that answers the CONNECT with 502, 503 or 504 is up but
    could not reach the agent, which is what an agent restarting behind it looks like: that one is retryable.
    """

    retryable = False
    kind = 'proxy'

    def __init__(self, message, retryable=False, **kwargs):
        super(ObshellProxyError, self).__init__(message, **kwargs)
        self.retryable = retryable


class ObshellAuthError(ObshellError):
    """The agent refused our credentials or auth header. Never retried (except a key refresh once)."""

    kind = 'auth'


class ObshellApiError(ObshellError):
    """The agent answered with an error envelope that is not about authentication."""

    kind = 'api'


class ObshellNotFoundError(ObshellApiError):
    """HTTP 404: no such task, or no such endpoint on this agent version."""

    kind = 'not_found'


class ObshellServerError(ObshellApiError):
    """HTTP 5xx. Transient ones (a restarting agent, a proxy) are retried within the budget."""

    kind = 'server'

    def __init__(self, message, retryable=True, **kwargs):
        super(ObshellServerError, self).__init__(message, **kwargs)
        self.retryable = retryable


class ObshellProtocolError(ObshellError):
    """The reply is not what an OBShell agent sends: HTML, empty, truncated JSON, missing envelope fields."""

    kind = 'protocol'


class ObshellClusterUnknownError(ObshellError):
    """The agent cannot read the cluster DAGs now (its observer is down or restarting, §11.6). Not "idle": the
    cluster DAGs are unknown. A wait sees an outage and waits it out within unreachable_timeout."""

    retryable = True
    kind = 'cluster_unknown'

    def __init__(self, message, ob_state=None, **kwargs):
        super(ObshellClusterUnknownError, self).__init__(message, **kwargs)
        self.ob_state = ob_state


class ObshellConfigError(ObshellError):
    """A setting that cannot work, refused before anything is sent; the message names the option."""

    kind = 'config'


class ObshellRecordError(ObshellProtocolError):
    """A DAG record whose fields are not what the agent sends (a state of 5, nodes that are not a list...). Never
    retried and never turned into a verdict: the message names the field."""


class ObshellIdentityError(ObshellError):
    """The agent's identity cannot serve the request (e.g. cluster DAGs asked of a SINGLE agent)."""

    kind = 'identity'

    def __init__(self, message, identity=None, **kwargs):
        super(ObshellIdentityError, self).__init__(message, **kwargs)
        self.identity = identity
