#!/usr/bin/env bash
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The one test command: sets everything up on a machine that has only CPython 3.11 (with venv) and PyPI,
# then runs the stages and prints a summary. Exits non-zero if set-up or any stage fails.
#
#   bash scripts/test.sh
#   OBSHELL_TEST_STAGES="pytest lint" bash scripts/test.sh
#
# Environment:
#   OBSHELL_TEST_STAGES  stages to run, in order (default: "pytest sanity lint build"); "setup" alone only
#                        prepares the virtualenvs and the collection link (scripts/demo.sh uses it)
#   OBSHELL_VENV_DIR     where the virtualenvs live (default: ~/.cache/obshell-venvs)
#   OBSHELL_PYTHON       the Python 3.11 that creates them (default: python3.11, else python3)
#   PYTEST_ADDOPTS       extra pytest arguments (read by pytest itself)
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
STAGES="${OBSHELL_TEST_STAGES:-pytest sanity lint build}"
VENV_DIR="${OBSHELL_VENV_DIR:-$HOME/.cache/obshell-venvs}"
MAIN_VENV="$VENV_DIR/main"
CORE216_VENV="$VENV_DIR/core216"
WORK_DIR="${TMPDIR:-/tmp}/obshell-ansible-test"
# ansible-test insists that the collection's real path ends in ansible_collections/<namespace>/<name>.
SANITY_COPY="$WORK_DIR/ansible_collections/oceanbase/obshell"
LINKED_COLLECTIONS="$ROOT/collections"
SANITY_PYTHON=3.11

export PIP_DISABLE_PIP_VERSION_CHECK=1
export ANSIBLE_NOCOLOR=1

log() { printf '%s\n' "$*"; }
die() { printf 'test.sh: %s\n' "$*" >&2; exit 1; }

header() {
    log ""
    log "======================================================================"
    log "== $*"
    log "======================================================================"
}

now() {
    # EPOCHREALTIME (bash 5) gives sub-second durations; SECONDS is the fallback.
    if [[ -n "${EPOCHREALTIME:-}" ]]; then
        printf '%s' "${EPOCHREALTIME/,/.}"
    else
        printf '%s' "$SECONDS"
    fi
}

elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# ---------------------------------------------------------------------------------------------------------
# Set-up
# ---------------------------------------------------------------------------------------------------------

find_base_python() {
    local candidate
    for candidate in "${OBSHELL_PYTHON:-}" python3.11 python3; do
        [[ -n "$candidate" ]] || continue
        if "$candidate" -c 'import sys, venv; sys.exit(sys.version_info[:2] != (3, 11))' >/dev/null 2>&1; then
            printf '%s' "$candidate"
            return 0
        fi
    done
    return 1
}

file_sha256() {
    "$BASE_PYTHON" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$1"
}

# ensure_venv DIR REQUIREMENTS_FILE: create the venv if it is missing or broken, and (re)install the
# requirements unless the stamp says this exact requirements file (and Python) is already installed.
ensure_venv() {
    local venv="$1" requirements="$2" stamp="$1/.obshell-requirements.sha256" wanted
    wanted="$(file_sha256 "$requirements") $("$BASE_PYTHON" -c 'import sys; print(sys.version.split()[0])')"
    if ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
        log "creating virtualenv $venv"
        "$BASE_PYTHON" -m venv --clear "$venv" || return 1
        rm -f "$stamp"
    fi
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
        log "virtualenv $venv is up to date with ${requirements#"$ROOT"/}"
        return 0
    fi
    log "installing ${requirements#"$ROOT"/} into $venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip || return 1
    "$venv/bin/python" -m pip install --quiet -r "$requirements" || return 1
    printf '%s\n' "$wanted" >"$stamp"
}

# The in-repo collections path: collections/ansible_collections/oceanbase/obshell -> the repository root,
# for pytest and the ansible-playbook runs it starts (ANSIBLE_COLLECTIONS_PATH). Relative, so a moved
# checkout keeps working; gitignored and kept out of the build.
ensure_collection_link() {
    local link="$LINKED_COLLECTIONS/ansible_collections/oceanbase/obshell"
    mkdir -p "$(dirname "$link")" || return 1
    if [[ "$(readlink "$link" 2>/dev/null)" != "../../.." ]]; then
        rm -rf "$link"
        ln -s ../../.. "$link" || return 1
    fi
    [[ -f "$link/galaxy.yml" ]] || { log "collection link $link does not reach galaxy.yml"; return 1; }
}

# ansible-test sanity would download get-pip.py from ci-files.testing.ansible.com (unreachable here) to
# bootstrap pip into each sanity virtualenv. The stand-in runs the pip wheel bundled with the interpreter
# instead. ansible-test 2.19 asks for pip 24.2, 2.16 for pip 23.1.2; each looks for
# ~/.ansible/test/cache/get_pip_<version with dots as underscores>.py (ansible_test/_util/target/setup/
# requirements.py, bootstrap()).
install_pip_bootstrap() {
    local cache="$HOME/.ansible/test/cache" version
    mkdir -p "$cache" || return 1
    for version in 24_2 23_1_2; do
        cp "$ROOT/scripts/lib/get_pip_offline.py" "$cache/get_pip_$version.py" || return 1
    done
}

# ---------------------------------------------------------------------------------------------------------
# Stages
# ---------------------------------------------------------------------------------------------------------

stage_pytest() {
    local rc
    # ANSIBLE_COLLECTIONS_PATH reaches the ansible-playbook processes that integration tests start.
    (
        cd "$ROOT" || exit 1
        PATH="$MAIN_VENV/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$LINKED_COLLECTIONS" \
            exec "$MAIN_VENV/bin/python" -m pytest tests -q
    )
    rc=$?
    if [[ $rc -eq 5 ]]; then
        log "pytest collected no tests (exit code 5): the suite is empty or the collection of tests/ is broken"
    fi
    return "$rc"
}

run_sanity() {
    local venv="$1" label="$2" version
    version="$("$venv/bin/python" -c 'import ansible; print(ansible.__version__)')" || return 1
    log "--- ansible-test sanity, ansible-core $version ($label) in $SANITY_COPY"
    (
        cd "$SANITY_COPY" || exit 1
        rm -rf tests/output
        # ansible-test looks up "python3.11" on PATH; the venv's comes first. --requirements: ansible-test
        # installs each sanity test's pinned requirements (from PyPI) into its own virtualenvs.
        PATH="$venv/bin:$PATH" \
            exec "$venv/bin/ansible-test" sanity --python "$SANITY_PYTHON" --color no --requirements
    )
}

stage_sanity() {
    local failed=0
    install_pip_bootstrap || return 1
    "$MAIN_VENV/bin/python" "$ROOT/scripts/lib/stage_collection.py" "$ROOT" "$SANITY_COPY" || return 1
    run_sanity "$MAIN_VENV" "main venv" || failed=1
    run_sanity "$CORE216_VENV" "core216 venv" || failed=1
    return "$failed"
}

stage_lint() {
    (
        cd "$ROOT" || exit 1
        # --offline: no Galaxy/PyPI look-ups for dependencies or schema refreshes; the profile and the
        # exclusions come from .ansible-lint. Offline, ansible-lint does not make the collection itself
        # resolvable, so its `ansible-playbook --syntax-check` of roles/playbooks finds oceanbase.obshell through
        # the in-repo collections/ link. ansible-lint also wants its own bin directory on PATH.
        PATH="$MAIN_VENV/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$LINKED_COLLECTIONS" NO_COLOR=1 \
            exec "$MAIN_VENV/bin/ansible-lint" --offline
    )
}

stage_build() {
    local out="$WORK_DIR/build" installed tarball problems=0
    installed="$out/install/ansible_collections/oceanbase/obshell"
    rm -rf "$out" && mkdir -p "$out" || return 1
    (
        cd "$ROOT" || exit 1
        "$MAIN_VENV/bin/ansible-galaxy" collection build --force --output-path "$out"
    ) || return 1
    local tarballs=("$out"/oceanbase-obshell-*.tar.gz)
    tarball="${tarballs[0]}"
    [[ -f "$tarball" ]] || { log "no tarball in $out"; return 1; }
    "$MAIN_VENV/bin/ansible-galaxy" collection install "$tarball" -p "$out/install" --force || return 1
    log "checking the installed tree $installed"
    [[ -d "$installed/plugins/modules" ]] || { log "FAIL: plugins/modules missing"; problems=1; }
    [[ -f "$installed/MANIFEST.json" ]] || { log "FAIL: MANIFEST.json missing"; problems=1; }
    [[ -f "$installed/meta/runtime.yml" ]] || { log "FAIL: meta/runtime.yml missing"; problems=1; }
    # Galaxy refuses an import whose declared readme is missing; ansible-galaxy build does not check.
    local readme
    readme="$("$MAIN_VENV/bin/python" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["readme"])' \
        "$ROOT/galaxy.yml")" || return 1
    [[ -f "$installed/$readme" ]] || { log "FAIL: the readme galaxy.yml declares ($readme) is missing"; problems=1; }
    local unwanted
    for unwanted in tests scripts .ci collections .ansible .git; do
        if [[ -e "$installed/$unwanted" ]]; then
            log "FAIL: $unwanted/ must not be in the build"
            problems=1
        fi
    done
    if [[ $problems -eq 0 ]]; then
        log "tarball $(basename "$tarball"): $(tar -tzf "$tarball" | wc -l) entries; installed tree OK"
    fi
    return "$problems"
}

run_stage() {
    case "$1" in
        pytest) stage_pytest ;;
        sanity) stage_sanity ;;
        lint) stage_lint ;;
        build) stage_build ;;
        *) log "unknown stage '$1'"; return 1 ;;
    esac
}

# ---------------------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------------------

declare -a SUMMARY_NAMES=() SUMMARY_RESULTS=() SUMMARY_TIMES=()
OVERALL=0

record() {
    SUMMARY_NAMES+=("$1")
    SUMMARY_RESULTS+=("$2")
    SUMMARY_TIMES+=("$3")
    [[ "$2" == pass ]] || OVERALL=1
}

print_summary() {
    local i
    log ""
    log "== summary"
    printf '%-10s %-6s %9s\n' stage result seconds
    for i in "${!SUMMARY_NAMES[@]}"; do
        printf '%-10s %-6s %9s\n' "${SUMMARY_NAMES[$i]}" "${SUMMARY_RESULTS[$i]}" "${SUMMARY_TIMES[$i]}"
    done
}

for stage in $STAGES; do
    case "$stage" in
        setup | pytest | sanity | lint | build) ;;
        *) die "unknown stage '$stage' in OBSHELL_TEST_STAGES (known: setup pytest sanity lint build)" ;;
    esac
done

header "setup: virtualenvs in $VENV_DIR"
setup_start="$(now)"
BASE_PYTHON="$(find_base_python)" || die "need CPython 3.11 with the venv module (set OBSHELL_PYTHON)"
mkdir -p "$VENV_DIR" || die "cannot create $VENV_DIR"
setup_ok=pass
ensure_venv "$MAIN_VENV" "$ROOT/tests/requirements/test.txt" || setup_ok=FAIL
if [[ " $STAGES " == *" sanity "* ]]; then
    ensure_venv "$CORE216_VENV" "$ROOT/tests/requirements/sanity-2.16.txt" || setup_ok=FAIL
fi
ensure_collection_link || setup_ok=FAIL
record setup "$setup_ok" "$(elapsed "$setup_start" "$(now)")"
if [[ "$setup_ok" != pass ]]; then
    print_summary
    die "set-up failed; no stage was run"
fi

for stage in $STAGES; do
    [[ "$stage" == setup ]] && continue
    header "stage: $stage"
    start="$(now)"
    if run_stage "$stage"; then result=pass; else result=FAIL; fi
    record "$stage" "$result" "$(elapsed "$start" "$(now)")"
    log "-- stage $stage: $result"
done

print_summary
exit $OVERALL
