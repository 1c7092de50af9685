# -*- coding: utf-8 -*-
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Offline stand-in for the get-pip.py bootstrap script that ansible-test downloads.

ansible-test creates each sanity virtualenv without pip, then runs a cached get-pip script
(~/.ansible/test/cache/get_pip_<version>.py) to put pip and its pinned packages in. It would download that
script from ci-files.testing.ansible.com, which these machines cannot reach. This stand-in does the same job
with the pip wheel that ships inside the running interpreter (ensurepip/_bundled): that pip then installs the
requested pinned packages (e.g. pip==24.2) from PyPI, which is reachable.

Arguments are passed to `pip install` unchanged, except the get-pip.py-only flags --no-setuptools and
--no-wheel, which pip itself does not know.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import glob
import os
import sys

GET_PIP_ONLY_FLAGS = ('--no-setuptools', '--no-wheel')


def bundled_pip_wheel():
    import ensurepip  # the stdlib package; its _bundled directory holds the pip wheel

    bundled_dir = os.path.join(os.path.dirname(ensurepip.__file__), '_bundled')
    wheels = sorted(glob.glob(os.path.join(bundled_dir, 'pip-*.whl')))
    if not wheels:
        sys.stderr.write('offline get-pip: no pip wheel in %s\n' % bundled_dir)
        sys.exit(1)
    return wheels[-1]


def main():
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_FLAGS]
    # pip runs straight from its wheel (a zip on sys.path), as get-pip.py itself does.
    sys.path.insert(0, bundled_pip_wheel())
    from pip._internal.cli.main import main as pip_main

    return pip_main(['install', '--upgrade', '--force-reinstall'] + args)


if __name__ == '__main__':
    sys.exit(main())
