#!/usr/bin/env bash
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The benchmark command: sets up the main virtualenv as scripts/test.sh does (plus the profilers of
# benchmarks/requirements.txt), then runs every benchmark against the simulated agents on 127.0.0.1 and prints
# one table: metric | ours | comparison | target | met?. Raw figures go to benchmarks/results/latest.json.
# docs/performance.md explains each figure. Figures never fail the command; a benchmark that cannot run does.
#
#   bash scripts/bench.sh                    # everything, about 7 minutes on 2 cores
#   bash scripts/bench.sh --quick            # fewer repetitions, about 4 minutes
#   bash scripts/bench.sh --only fanout,crypto
#   bash scripts/bench.sh --smoke            # every benchmark once, tiny sizes: does each still run? (CI: stage bench)
#
# Run it on an otherwise idle machine: the figures are times and CPU, and the table notes any benchmark during
# which other processes used the CPU.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
VENV="${OBSHELL_VENV_DIR:-$HOME/.cache/obshell-venvs}/main"
SETUP_LOG="${TMPDIR:-/tmp}/obshell-bench-setup.log"

echo "== set-up (virtualenv in $VENV; quick when it already exists)" >&2
if ! OBSHELL_TEST_STAGES=setup bash "$ROOT/scripts/test.sh" >"$SETUP_LOG" 2>&1; then
    cat "$SETUP_LOG" >&2
    echo "bench: set-up failed" >&2
    exit 1
fi

requirements="$ROOT/benchmarks/requirements.txt"
stamp="$VENV/.obshell-bench-requirements.sha256"
wanted="$("$VENV/bin/python" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' \
    "$requirements")"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$wanted" ]]; then
    echo "installing ${requirements#"$ROOT"/} into $VENV" >&2
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/python" -m pip install --quiet -r "$requirements"
    printf '%s\n' "$wanted" >"$stamp"
fi

cd "$ROOT"
PATH="$VENV/bin:$PATH" exec "$VENV/bin/python" -m benchmarks "$@"
