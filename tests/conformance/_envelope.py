# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The envelope every answer of the agent comes in, checked by the conformance tests: ``check_ok(answer)`` gives its
data, ``check_error(answer, status, err_code[, message])`` its error; ``GO_TIME`` matches the agent's times (Go's
RFC 3339, up to nanoseconds)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

GO_TIME = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$')
ENVELOPE_OK = {'successful', 'timestamp', 'duration', 'status', 'traceId', 'data'}
ENVELOPE_ERROR = {'successful', 'timestamp', 'duration', 'status', 'traceId', 'error'}


def check_error(answer, status, err_code, message=None):
    assert answer.status == status, answer
    body = answer.json
    assert set(body) == ENVELOPE_ERROR, body
    assert body['successful'] is False and body['status'] == status
    assert body['error']['errCode'] == err_code, body
    if message is not None:
        assert body['error']['message'] == message, body
    return body['error']


def check_ok(answer, with_data=True):
    assert answer.status == 200, answer
    assert set(answer.json) == (ENVELOPE_OK if with_data else ENVELOPE_OK - {'data'}), answer.json
    assert answer.json['successful'] is True and answer.json['status'] == 200
    assert GO_TIME.match(answer.json['timestamp']), answer.json['timestamp']
    return answer.data
