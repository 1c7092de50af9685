# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY
# The content of this file is not part of the public API of this collection and may change without notice.
"""AnsibleModule with the collection's shared behaviour: library checks, option checks, error reporting."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.oceanbase.obshell.plugins.module_utils import _crypto, _http_route, _options, _text


class ObshellModule(AnsibleModule):
    """Fails early, with one clear message, on a missing library or an impossible option value."""

    def __init__(self, argument_spec, **kwargs):
        super(ObshellModule, self).__init__(argument_spec=argument_spec, **kwargs)
        if not _crypto.HAS_CRYPTOGRAPHY:
            self.fail_json(msg=missing_required_lib('cryptography'), exception=_crypto.CRYPTOGRAPHY_IMPORT_ERROR)
        if not _http_route.HAS_REQUESTS:
            self.fail_json(msg=missing_required_lib('requests'), exception=_http_route.REQUESTS_IMPORT_ERROR)
        problems = _options.check_connection_options(self.params)
        if problems:
            self.fail_json(msg='; '.join(problems))

    def fail_json(self, msg, **kwargs):
        # ansible-core 2.19+ prints a module's msg as it is: an agent's words in it must not drive the terminal.
        super(ObshellModule, self).fail_json(msg=_text.printable(msg), **kwargs)

    def warn(self, warning):
        super(ObshellModule, self).warn(_text.printable(warning))

    def client(self):
        return _options.client_from_options(self.params)

    def fail_on_error(self, error, **result):
        """Report an ObshellError: its message names the agent and the cause; `error` carries the fields."""
        self.fail_json(msg=str(error), error=error.to_dict(), **result)
