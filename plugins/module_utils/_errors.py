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


class ObshellTLSError(ObshellConnectionError):
    """Certificate verification or client-certificate failure. Retrying does not help."""

    retryable = False
    kind = 'tls'


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


class ObshellIdentityError(ObshellError):
    """The agent's identity cannot serve the request (e.g. cluster DAGs asked of a SINGLE agent)."""

    kind = 'identity'

    def __init__(self, message, identity=None, **kwargs):
        super(ObshellIdentityError, self).__init__(message, **kwargs)
        self.identity = identity
