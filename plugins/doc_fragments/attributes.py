# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


class ModuleDocFragment(object):
    """Reusable attribute blocks."""

    DOCUMENTATION = r'''
options: {}
attributes:
  action_group:
    description: Use C(group/oceanbase.obshell.obshell) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - oceanbase.obshell.obshell
'''

    INFO_MODULE = r'''
options: {}
attributes:
  check_mode:
    support: full
    description: This action does not modify state; it runs fully in check mode.
  diff_mode:
    support: N/A
    description: This action does not modify state.
'''
