#!/usr/bin/env bash
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Makes the lock files that scripts/test.sh installs the test virtualenvs from: for each line that
# `bash scripts/test.sh --locks` prints (a requirements file of tests/requirements/, its Python, options), the file
# tests/requirements/locks/<requirements file> pins every package that virtualenv gets (pip itself included), each with
# the sha256 of every file PyPI has for that version, resolved for that Python on Linux x86_64.
#
#   bash scripts/lock.sh                                   # (re)lock every file; pins already in a lock are kept
#   bash scripts/lock.sh core-2.21.txt                     # only that requirements file's lock
#   bash scripts/lock.sh --upgrade                         # every package to its newest release within the ranges
#   bash scripts/lock.sh --upgrade-package cryptography    # only that package (repeatable)
#   bash scripts/lock.sh --as-of 2026-12-02T00:00:00Z      # only releases uploaded before that time
#
# A pin already in a lock stays as long as the requirements allow it (so a plain run after editing a requirements
# file changes only what the edit needs); --upgrade and --upgrade-package move pins on purpose. The resolver is uv
# (pinned below), run from its own virtualenv in $OBSHELL_VENV_DIR/lock-tools; it needs no interpreter of the
# locked Python. Commit the requirements file and its lock together: test.sh refuses a virtualenv without a lock.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
REQUIREMENTS="$ROOT/tests/requirements"
LOCKS="$REQUIREMENTS/locks"
VENV_DIR="${OBSHELL_VENV_DIR:-$HOME/.cache/obshell-venvs}"
UV_VERSION=0.13.8
export PIP_DISABLE_PIP_VERSION_CHECK=1

usage() { sed -n '5,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

declare -a UV_ARGS=() ONLY=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --upgrade) UV_ARGS+=(--upgrade) ;;
        --upgrade-package) [[ $# -ge 2 ]] || usage 2; UV_ARGS+=(--upgrade-package "$2"); shift ;;
        --as-of) [[ $# -ge 2 ]] || usage 2; UV_ARGS+=(--exclude-newer "$2"); shift ;;
        -h | --help) usage 0 ;;
        -*) echo "lock.sh: unknown option $1" >&2; usage 2 ;;
        *) ONLY+=("$(basename "$1")") ;;
    esac
    shift
done

tools="$VENV_DIR/lock-tools"
if ! "$tools/bin/uv" --version 2>/dev/null | grep -q " $UV_VERSION\b"; then
    echo "installing uv $UV_VERSION into $tools" >&2
    python3 -m venv --clear "$tools"
    "$tools/bin/python" -m pip install --quiet "uv==$UV_VERSION"
fi

mkdir -p "$LOCKS"
listed=0
while read -r requirements python options; do
    [[ -n "$requirements" ]] || continue
    if [[ ${#ONLY[@]} -gt 0 && " ${ONLY[*]} " != *" $requirements "* ]]; then
        continue
    fi
    listed=$((listed + 1))
    # A virtualenv's lock pins pip too: test.sh installs it first (21.3 is the last pip for Python 3.6). A lock of
    # packages that are downloaded, not installed (--no-deps), does not.
    if [[ " $options " == *" --no-deps "* ]]; then pip_range=''
    elif [[ "$python" == 3.6 ]]; then pip_range='pip<22'
    else pip_range='pip'; fi
    echo "locking tests/requirements/$requirements (Python $python${options:+, $options})" >&2
    (
        cd "$REQUIREMENTS"
        # shellcheck disable=SC2086  # options are words
        printf '%s\n' "$pip_range" | "$tools/bin/uv" pip compile --quiet --no-progress \
            --python-version "$python" --python-platform x86_64-manylinux_2_28 \
            --generate-hashes --custom-compile-command "bash scripts/lock.sh $requirements" \
            ${UV_ARGS[@]+"${UV_ARGS[@]}"} $options \
            --output-file "locks/$requirements" "$requirements" ${pip_range:+-}
    )
done < <(bash "$ROOT/scripts/test.sh" --locks)
if [[ ${#ONLY[@]} -gt 0 && $listed -ne ${#ONLY[@]} ]]; then
    echo "lock.sh: not every name given is the requirements file of a virtualenv (bash scripts/test.sh --locks lists them)" >&2
    exit 1
fi
echo "locks in ${LOCKS#"$ROOT"/}: commit them with the requirements files" >&2
