# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of oceanbase.obshell.dag_info: the module, with the host's obshell_* variables as connection settings."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.oceanbase.obshell.plugins.plugin_utils._action import ModuleWithHostVars


class ActionModule(ModuleWithHostVars):

    MODULE = 'oceanbase.obshell.dag_info'
