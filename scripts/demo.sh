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

echo "== set-up: the virtualenvs of scripts/test.sh in ${VENV%/*} (seconds when they exist; minutes the first time)"
# What the set-up does is said as it goes (the full log is in /tmp/obshell-demo-setup.log): one line per virtualenv
# it makes or installs into, so that a long first install is not a silent one.
if ! OBSHELL_TEST_STAGES=setup bash "$ROOT/scripts/test.sh" 2>&1 | tee /tmp/obshell-demo-setup.log \
        | sed -un 's/^  \(.*\)$/   set-up: \1/p'; then
    cat /tmp/obshell-demo-setup.log >&2
    echo "demo: set-up failed" >&2
    exit 1
fi
echo "   set-up: done"

# ansible-core 2.19 and later import cryptography's DSA support when ansible-playbook starts
# (ansible/_internal/_ssh/_ssh_agent.py), and cryptography 48 and later warn that DSA is deprecated, once per
# ansible-playbook run. It is not this collection's (its code and the simulator import nothing deprecated; see
# tests/unit/test_demo.py). That one warning is said once here instead of after every playbook; any other warning
# is shown as it comes.
DSA_WARNING=''
if "$VENV/bin/python" -W always -c 'import ansible.cli' 2>&1 | grep -q 'CryptographyDeprecationWarning: DSA is deprecated'
then
    DSA_WARNING='ignore:DSA is deprecated:UserWarning'   # its category, CryptographyDeprecationWarning, is one
    echo "   note: this ansible-core warns at start that cryptography's DSA is deprecated (ansible-core's import, not" \
         "this collection's); the demo hides that one warning"
fi

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
    local warnings="${PYTHONWARNINGS:-}"
    if [[ -n "$DSA_WARNING" ]]; then
        warnings="$DSA_WARNING${warnings:+,$warnings}"
    fi
    (cd "$ROOT" && ANSIBLE_COLLECTIONS_PATH="$ROOT/collections" ANSIBLE_NOCOLOR="${ANSIBLE_NOCOLOR:-0}" \
        PYTHONWARNINGS="$warnings" "$VENV/bin/ansible-playbook" -i playbooks/inventory/demo.yml "$1")
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
