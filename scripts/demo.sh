#!/usr/bin/env bash
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The demo: sets everything up (the same virtualenvs as scripts/test.sh), starts three simulated OBShell agents
# on 127.0.0.1:2886-2888 with a cluster scale-out in flight, and runs playbooks/demo.yml, which shows the
# unfinished DAGs and waits with live progress until the scale-out ends (about 30 s). Then a second scenario,
# a scale-out that fails, and playbooks/demo_failure.yml, which prints the failure report.
#
#   bash scripts/demo.sh            # both parts
#   bash scripts/demo.sh success    # only the first part;  bash scripts/demo.sh failure: only the second
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
PARTS="${1:-success failure}"
VENV="${OBSHELL_VENV_DIR:-$HOME/.cache/obshell-venvs}/main"
SIM_PID=""

stop_simulator() {
    if [[ -n "$SIM_PID" ]] && kill -0 "$SIM_PID" 2>/dev/null; then
        kill -TERM "$SIM_PID" 2>/dev/null || true
        wait "$SIM_PID" 2>/dev/null || true
    fi
    SIM_PID=""
}
trap stop_simulator EXIT

echo "== set-up (virtualenv in $VENV; quick when it already exists)"
OBSHELL_TEST_STAGES=setup bash "$ROOT/scripts/test.sh" >/tmp/obshell-demo-setup.log 2>&1 || {
    cat /tmp/obshell-demo-setup.log >&2
    echo "demo: set-up failed" >&2
    exit 1
}

# start_simulator SCENARIO STEP_SECONDS: three agents on 2886-2888; returns once all print "ready".
start_simulator() {
    local log="/tmp/obshell-demo-simulator.log" waited=0
    (cd "$ROOT" && exec "$VENV/bin/python" -m tests.simulator --agents 3 --base-port 2886 \
        --scenario "$1" --step-seconds "$2") >"$log" 2>&1 &
    SIM_PID=$!
    until [[ "$(grep -c ' ready$' "$log" 2>/dev/null || true)" -ge 3 ]]; do
        if ! kill -0 "$SIM_PID" 2>/dev/null; then
            cat "$log" >&2
            echo "demo: the simulator did not start (is something else listening on 2886-2888?)" >&2
            exit 1
        fi
        sleep 0.2
        waited=$((waited + 1))
        [[ $waited -lt 150 ]] || { echo "demo: the simulator did not get ready in 30 s" >&2; exit 1; }
    done
    sed 's/^/  simulator: /' "$log"
}

run_demo_playbook() {
    (cd "$ROOT" && ANSIBLE_COLLECTIONS_PATH="$ROOT/collections" ANSIBLE_NOCOLOR="${ANSIBLE_NOCOLOR:-0}" \
        "$VENV/bin/ansible-playbook" -i playbooks/inventory/demo.yml "$1")
}

for part in $PARTS; do
    case "$part" in
        success)
            echo
            echo "== part 1: a cluster scale-out in flight (9 nodes, 3 s each)"
            start_simulator scale_out 3
            run_demo_playbook playbooks/demo.yml
            stop_simulator
            ;;
        failure)
            echo
            echo "== part 2: a scale-out that fails at 'Prev check for scale_out'"
            start_simulator scale_out_fail 1
            run_demo_playbook playbooks/demo_failure.yml
            stop_simulator
            ;;
        *) echo "demo: unknown part '$part' (success, failure)" >&2; exit 2 ;;
    esac
done
