# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Clients on the baseline transport (benchmarks/baseline_http.py, the former http.client one) instead of requests.

- ``with http_client_transport(): ...``: every ObshellClient made inside the block, in this process, uses it;
- in ansible-playbook: set ``OBSHELL_BENCH_TRANSPORT=http.client`` in its environment; the bench_timer callback,
  loaded by the main process before any worker is forked, then patches the client class the same way.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import contextlib

ENVIRONMENT_VARIABLE = 'OBSHELL_BENCH_TRANSPORT'
TRANSPORTS = ('requests', 'http.client')


def patch_client_class():
    """Make every new ObshellClient use the baseline transport; returns a function that undoes it."""
    from ansible_collections.oceanbase.obshell.plugins.module_utils._client import ObshellClient  # pylint: disable=import-outside-toplevel
    from benchmarks.baseline_http import HttpTransport  # pylint: disable=import-outside-toplevel

    original = ObshellClient.__init__

    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self._transport.close()
        self._transport = HttpTransport(self.host, self.port, use_tls=kwargs.get('use_tls', False),
                                        validate_certs=kwargs.get('validate_certs', True),
                                        ca_path=kwargs.get('ca_path'), client_cert=kwargs.get('client_cert'),
                                        client_key=kwargs.get('client_key'), address=self.address)

    ObshellClient.__init__ = __init__

    def undo():
        ObshellClient.__init__ = original
    return undo


@contextlib.contextmanager
def http_client_transport(enabled=True):
    undo = patch_client_class() if enabled else None
    try:
        yield
    finally:
        if undo is not None:
            undo()
