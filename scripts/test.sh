#!/usr/bin/env bash
# Copyright: (c) 2026, OceanBase obshell collection contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The one test command: sets everything up on a machine that has CPython 3.11, 3.12 and 3.13 (3.6 and 3.8 for the
# target stages; pyenv's are found) and PyPI, runs the stages two at a time (one per core), and prints a summary.
# Exits non-zero if set-up or any stage fails.
#
#   bash scripts/test.sh
#   OBSHELL_TEST_STAGES="pytest lint" bash scripts/test.sh
#   OBSHELL_TEST_STAGES="smoke-2.20 sanity-2.20" bash scripts/test.sh
#
# Stages (a group name stands for its members; docs/developing.md has the table):
#   pytest      pytest-2.16 pytest-2.21: the whole pytest suite on the oldest and the newest ansible-core
#   smoke       smoke-2.17 smoke-2.18 smoke-2.19 smoke-2.20: the smoke set (pytest -m smoke) on the others
#   target      target-3.6 (ansible-core 2.16) target-3.8 (2.18): module tests (pytest -m target) on old target Pythons
#   sanity      sanity-2.16 ... sanity-2.21: ansible-test sanity --requirements on each ansible-core
#   lint        ansible-lint, as a plain `ansible-lint` in the repository root
#   changelog   antsibull-changelog lint, and a trial release 1.0.0 in a scratch copy
#   docs        antsibull-docs lint-collection-docs --plugin-docs
#   build       ansible-galaxy collection build and install, and checks of the installed tree
#   eda         the real ansible-rulebook (needs Java 17) against the simulator: pytest -m eda, own virtualenv
#   setup       alone: only prepare the main virtualenv and the collection link (scripts/demo.sh uses it)
#
# Environment:
#   OBSHELL_TEST_STAGES  stages to run (default: all of the above but setup)
#   OBSHELL_TEST_JOBS    stages run at once (default: the number of CPUs, at most 2)
#   OBSHELL_VENV_DIR     where the virtualenvs live (default: ~/.cache/obshell-venvs)
#   OBSHELL_WORK_DIR     logs, sanity copies and builds (default: ${TMPDIR:-/tmp}/obshell-test-<hash of the checkout>)
#   OBSHELL_PYTHON       the Python 3.11 of the main virtualenv (default: python3.11, pyenv's, python3)
#   OBSHELL_PYTHON_3_12 ... the Python X.Y for the other virtualenvs (default: pythonX.Y, then pyenv's)
#   PYTEST_ADDOPTS       extra pytest arguments (read by pytest itself)
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
VENV_DIR="${OBSHELL_VENV_DIR:-$HOME/.cache/obshell-venvs}"
REQUIREMENTS="$ROOT/tests/requirements"
LINKED_COLLECTIONS="$ROOT/collections"

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
# The matrix
# ---------------------------------------------------------------------------------------------------------

# ansible-core -> "virtualenv python requirements-file". 2.19 is the main virtualenv (it also has ansible-lint).
declare -A CORE_VENV=(
    [2.16]="core216 3.11 core-2.16.txt"
    [2.17]="core217 3.11 core-2.17.txt"
    [2.18]="core218 3.11 core-2.18.txt"
    [2.19]="main 3.11 test.txt"
    [2.20]="core220 3.12 core-2.20.txt"
    [2.21]="core221 3.13 core-2.21.txt"
)
CORES="2.16 2.17 2.18 2.19 2.20 2.21"
FULL_CORES="2.16 2.21"
SMOKE_CORES="2.17 2.18 2.19 2.20"
# target Python -> "virtualenv requirements-file ansible-core": the newest ansible-core that still runs modules there
# is not the point; the oldest supported pairs (2.16 is the last with Python 3.6 targets) are.
declare -A TARGET_VENV=(
    [3.6]="target36 target-3.6.txt 2.16"
    [3.8]="target38 target-3.8.txt 2.18"
)
TARGETS="3.6 3.8"
TOOLS_VENV="tools 3.11 tools.txt"
EDA_VENV="eda 3.11 eda.txt"
# The order stages start in: highest first. Roughly the seconds each takes on the 2-core CI machine, except that the
# sanity stages, which run one at a time, come first: together they are the longest chain.
declare -A PRIORITY=(
    [sanity-2.16]=990 [sanity-2.17]=980 [sanity-2.18]=970 [sanity-2.19]=960 [sanity-2.20]=950 [sanity-2.21]=940
    [pytest-2.16]=600 [pytest-2.21]=590 [smoke-2.17]=150 [smoke-2.18]=150 [smoke-2.19]=150 [smoke-2.20]=150
    [target-3.6]=80 [target-3.8]=80 [eda]=120 [lint]=40 [docs]=40 [changelog]=30 [build]=20
)

all_stages() {
    local core target
    for core in $FULL_CORES; do printf 'pytest-%s ' "$core"; done
    for core in $SMOKE_CORES; do printf 'smoke-%s ' "$core"; done
    for target in $TARGETS; do printf 'target-%s ' "$target"; done
    for core in $CORES; do printf 'sanity-%s ' "$core"; done
    printf 'lint changelog docs build eda'
}

# expand_stages WORDS: group names replaced by their members, in the given order, without repeats.
expand_stages() {
    local word member out=" "
    for word in "$@"; do
        case "$word" in
            pytest) word="$(for c in $FULL_CORES; do printf 'pytest-%s ' "$c"; done)" ;;
            smoke) word="$(for c in $SMOKE_CORES; do printf 'smoke-%s ' "$c"; done)" ;;
            target) word="$(for t in $TARGETS; do printf 'target-%s ' "$t"; done)" ;;
            sanity) word="$(for c in $CORES; do printf 'sanity-%s ' "$c"; done)" ;;
        esac
        for member in $word; do
            [[ "$out" == *" $member "* ]] || out+="$member "
        done
    done
    printf '%s' "${out# }"
}

known_stage() {
    case "$1" in
        setup | lint | changelog | docs | build | eda) return 0 ;;
        pytest-* | smoke-* | sanity-*) [[ -n "${CORE_VENV[${1#*-}]:-}" ]] ;;
        target-*) [[ -n "${TARGET_VENV[${1#*-}]:-}" ]] ;;
        *) return 1 ;;
    esac
}

# ---------------------------------------------------------------------------------------------------------
# Set-up
# ---------------------------------------------------------------------------------------------------------

# find_python X.Y: a CPython X.Y with the venv module: $OBSHELL_PYTHON_X_Y, pythonX.Y on PATH, then pyenv's own
# binaries (pyenv's shims on PATH answer only for the selected version).
find_python() {
    local version="$1" variable candidate
    variable="OBSHELL_PYTHON_${version/./_}"
    local candidates=("${!variable:-}")
    [[ "$version" == 3.11 ]] && candidates+=("${OBSHELL_PYTHON:-}")
    candidates+=("python$version")
    candidates+=("${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$version".*/bin/python"$version")
    [[ "$version" == 3.11 ]] && candidates+=(python3)
    for candidate in "${candidates[@]}"; do
        [[ -n "$candidate" ]] || continue
        if "$candidate" -c "import sys, venv; sys.exit(sys.version_info[:2] != tuple(map(int, '$version'.split('.'))))" \
            >/dev/null 2>&1; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

# requirements_digest FILE: sha256 over the file and every file it includes with -r (recursively).
requirements_digest() {
    "$BASE_PYTHON" - "$1" <<'PY'
import hashlib, os, sys
digest = hashlib.sha256()
def add(path, seen):
    path = os.path.realpath(path)
    if path in seen:
        return
    seen.add(path)
    with open(path, 'rb') as handle:
        data = handle.read()
    digest.update(path.encode() + b'\0' + data + b'\0')
    for line in data.decode('utf-8').splitlines():
        words = line.split('#', 1)[0].split()
        if len(words) == 2 and words[0] in ('-r', '--requirement'):
            add(os.path.join(os.path.dirname(path), words[1]), seen)
add(sys.argv[1], set())
print(digest.hexdigest())
PY
}

# ensure_venv NAME PYTHON_VERSION REQUIREMENTS: create the venv if it is missing or broken, and (re)install the
# requirements unless the stamp says these exact requirements (with their -r includes) and Python are installed.
ensure_venv() {
    local venv="$VENV_DIR/$1" version="$2" requirements="$REQUIREMENTS/$3" python wanted
    local stamp="$venv/.obshell-requirements.sha256"
    python="$(find_python "$version")" || { log "no CPython $version with venv (set OBSHELL_PYTHON_${version/./_})"; return 1; }
    wanted="$(requirements_digest "$requirements") $("$python" -c 'import sys; print(sys.version.split()[0])')"
    if ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
        log "creating virtualenv $venv (Python $version)"
        "$python" -m venv --clear "$venv" || return 1
        rm -f "$stamp"
    fi
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
        log "virtualenv $venv is up to date with ${requirements#"$ROOT"/}"
        return 0
    fi
    log "installing ${requirements#"$ROOT"/} into $venv"
    if [[ "$version" == 3.6 ]]; then
        # Python 3.6 comes with pip 18, which knows no manylinux2014 wheels; 21.3 is the last pip for 3.6.
        "$venv/bin/python" -m pip install --quiet --upgrade 'pip<22' || return 1
    else
        "$venv/bin/python" -m pip install --quiet --upgrade pip || return 1
    fi
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
# instead. Each ansible-test looks for ~/.ansible/test/cache/get_pip_<its pip version, dots as underscores>.py
# (ansible_test/_internal/python_requirements.py get_venv_packages(), and _util/target/setup/requirements.py):
# 2.16 and 2.17 ask for pip 23.1.2, 2.18 and 2.19 for 24.2, 2.20 and 2.21 for 25.2.
install_pip_bootstrap() {
    local cache="$HOME/.ansible/test/cache" version
    mkdir -p "$cache" || return 1
    for version in 23_1_2 24_2 25_2; do
        cp "$ROOT/scripts/lib/get_pip_offline.py" "$cache/get_pip_$version.py" || return 1
    done
}

# ---------------------------------------------------------------------------------------------------------
# Stages
# ---------------------------------------------------------------------------------------------------------

# field N "WORDS": the Nth word (from 0) of WORDS.
field() {
    local -a words
    read -r -a words <<<"$2"
    printf '%s' "${words[$1]}"
}

core_venv() { printf '%s' "$VENV_DIR/$(field 0 "${CORE_VENV[$1]}")"; }

ansible_version() { "$1/bin/python" -c 'import ansible; print(ansible.__version__)'; }

# run_pytest VENV ARGS...: pytest from the repository root in VENV (its ansible-playbook first on PATH).
run_pytest() {
    local venv="$1" rc
    shift
    log "pytest with ansible-core $(ansible_version "$venv") on Python $("$venv/bin/python" -c 'import sys; print(sys.version.split()[0])')"
    (
        cd "$ROOT" || exit 1
        # ANSIBLE_COLLECTIONS_PATH reaches the ansible-playbook processes that integration tests start. No pytest
        # cache: two pytest stages may run at once in this checkout.
        PATH="$venv/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$LINKED_COLLECTIONS" \
            exec "$venv/bin/python" -m pytest tests -q -p no:cacheprovider "$@"
    )
    rc=$?
    if [[ $rc -eq 5 ]]; then
        log "pytest collected no tests (exit code 5): the selection is empty or the collection of tests/ is broken"
    fi
    return "$rc"
}

stage_pytest() { run_pytest "$(core_venv "$1")"; }

stage_smoke() { run_pytest "$(core_venv "$1")" -m smoke; }

stage_target() {
    local venv target_venv
    target_venv="$VENV_DIR/$(field 0 "${TARGET_VENV[$1]}")"
    venv="$(core_venv "$(field 2 "${TARGET_VENV[$1]}")")"
    OBSHELL_TEST_TARGET_PYTHON="$target_venv/bin/python" \
        run_pytest "$venv" -p scripts.lib.pytest_target_python -m target
}

stage_sanity() {
    local core="$1" venv python version copy
    venv="$(core_venv "$core")"
    python="$(field 1 "${CORE_VENV[$core]}")"
    copy="$WORK_DIR/sanity-$core/ansible_collections/oceanbase/obshell"
    install_pip_bootstrap || return 1
    rm -rf "$WORK_DIR/sanity-$core"
    "$venv/bin/python" "$ROOT/scripts/lib/stage_collection.py" "$ROOT" "$copy" || return 1
    version="$(ansible_version "$venv")" || return 1
    log "ansible-test sanity, ansible-core $version, Python $python, in $copy"
    (
        cd "$copy" || exit 1
        # ansible-test looks up "python3.X" on PATH; the venv's comes first. --requirements: ansible-test
        # installs each sanity test's pinned requirements (from PyPI) into its own virtualenvs.
        PATH="$venv/bin:$PATH" exec "$venv/bin/ansible-test" sanity --python "$python" --color no --requirements
    )
}

stage_lint() {
    local main_venv
    main_venv="$(core_venv 2.19)"
    (
        cd "$ROOT" || exit 1
        # A plain `ansible-lint`, as anyone would run it in a checkout: the profile and the exclusions come from
        # .ansible-lint, which also lets ansible-lint make the collection itself resolvable (it links it into
        # .ansible/collections); so no ANSIBLE_COLLECTIONS_PATH here. ansible-lint wants its bin directory on PATH.
        env -u ANSIBLE_COLLECTIONS_PATH -u ANSIBLE_COLLECTIONS_PATHS PATH="$main_venv/bin:$PATH" NO_COLOR=1 \
            "$main_venv/bin/ansible-lint"
    )
}

tools_venv() { printf '%s' "$VENV_DIR/$(field 0 "$TOOLS_VENV")"; }

stage_changelog() {
    local venv trial problems=0
    venv="$(tools_venv)"
    (cd "$ROOT" && PATH="$venv/bin:$PATH" "$venv/bin/antsibull-changelog" lint) || problems=1
    # A trial release in a scratch copy (never in the checkout): the 1.0.0 changelog as it would be released.
    trial="$WORK_DIR/changelog/ansible_collections/oceanbase/obshell"
    rm -rf "$WORK_DIR/changelog"
    "$venv/bin/python" "$ROOT/scripts/lib/stage_collection.py" "$ROOT" "$trial" || return 1
    (
        cd "$trial" || exit 1
        PATH="$venv/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$WORK_DIR/changelog" \
            "$venv/bin/antsibull-changelog" release --version 1.0.0 || exit 1
        PATH="$venv/bin:$PATH" "$venv/bin/antsibull-changelog" lint-changelog-yaml changelogs/changelog.yaml || exit 1
    ) || problems=1
    if [[ $problems -eq 0 ]]; then
        "$venv/bin/python" "$ROOT/scripts/lib/check_changelog.py" "$trial" || problems=1
    fi
    return "$problems"
}

stage_docs() {
    local venv
    venv="$(tools_venv)"
    (
        cd "$ROOT" || exit 1
        PATH="$venv/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$LINKED_COLLECTIONS" \
            "$venv/bin/antsibull-docs" lint-collection-docs --plugin-docs .
    )
}

stage_build() {
    local out="$WORK_DIR/build" installed tarball problems=0 main_venv
    main_venv="$(core_venv 2.19)"
    installed="$out/install/ansible_collections/oceanbase/obshell"
    rm -rf "$out" && mkdir -p "$out" || return 1
    (
        cd "$ROOT" || exit 1
        "$main_venv/bin/ansible-galaxy" collection build --force --output-path "$out"
    ) || return 1
    local tarballs=("$out"/oceanbase-obshell-*.tar.gz)
    tarball="${tarballs[0]}"
    [[ -f "$tarball" ]] || { log "no tarball in $out"; return 1; }
    "$main_venv/bin/ansible-galaxy" collection install "$tarball" -p "$out/install" --force || return 1
    log "checking the installed tree $installed"
    [[ -d "$installed/plugins/modules" ]] || { log "FAIL: plugins/modules missing"; problems=1; }
    [[ -f "$installed/MANIFEST.json" ]] || { log "FAIL: MANIFEST.json missing"; problems=1; }
    [[ -f "$installed/meta/runtime.yml" ]] || { log "FAIL: meta/runtime.yml missing"; problems=1; }
    [[ -f "$installed/meta/execution-environment.yml" ]] || { log "FAIL: meta/execution-environment.yml missing"; problems=1; }
    # Galaxy refuses an import whose declared readme is missing; ansible-galaxy build does not check.
    local readme
    readme="$("$main_venv/bin/python" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["readme"])' \
        "$ROOT/galaxy.yml")" || return 1
    [[ -f "$installed/$readme" ]] || { log "FAIL: the readme galaxy.yml declares ($readme) is missing"; problems=1; }
    local unwanted
    for unwanted in tests scripts .ci collections .ansible .git; do
        if [[ -e "$installed/$unwanted" ]]; then
            log "FAIL: $unwanted/ must not be in the build"
            problems=1
        fi
    done
    # The demo playbooks need the simulated agents of tests/, which are not shipped.
    local demo
    for demo in "$installed"/playbooks/demo*.yml "$installed"/playbooks/inventory/demo*.yml; do
        if [[ -e "$demo" ]]; then
            log "FAIL: ${demo#"$installed"/} needs the simulator (tests/) and must not be in the build"
            problems=1
        fi
    done
    # No shipped playbook, role or plugin may need the test tree (the docs may mention it).
    local needs_tests
    needs_tests="$(grep -rIl -e 'tests\.simulator' -e 'tests/simulator' \
        "$installed/playbooks" "$installed/roles" "$installed/plugins" 2>/dev/null)"
    if [[ -n "$needs_tests" ]]; then
        log "FAIL: shipped content that needs the test tree: ${needs_tests//$'\n'/ }"
        problems=1
    fi
    if [[ $problems -eq 0 ]]; then
        log "tarball $(basename "$tarball"): $(tar -tzf "$tarball" | wc -l) entries; installed tree OK"
    fi
    return "$problems"
}

# Event-Driven Ansible: tests/integration/test_eda.py (marker eda) runs the real ansible-rulebook of its own
# virtualenv; elsewhere tests/conftest.py deselects these tests when ansible-rulebook is not installed.
stage_eda() {
    command -v java >/dev/null 2>&1 || { log "eda: ansible-rulebook needs Java 17, and java is not on PATH"; return 1; }
    run_pytest "$VENV_DIR/$(field 0 "$EDA_VENV")" -m eda
}

run_stage() {
    case "$1" in
        pytest-*) stage_pytest "${1#*-}" ;;
        smoke-*) stage_smoke "${1#*-}" ;;
        target-*) stage_target "${1#*-}" ;;
        sanity-*) stage_sanity "${1#*-}" ;;
        lint) stage_lint ;;
        changelog) stage_changelog ;;
        docs) stage_docs ;;
        build) stage_build ;;
        eda) stage_eda ;;
        *) log "unknown stage '$1'"; return 1 ;;
    esac
}

# The virtualenvs a stage needs, as "name python requirements" lines.
stage_venvs() {
    case "$1" in
        pytest-* | smoke-* | sanity-*) printf '%s\n' "${CORE_VENV[${1#*-}]}" ;;
        target-*)
            local target="${1#*-}"
            printf '%s %s %s\n' "$(field 0 "${TARGET_VENV[$target]}")" "$target" "$(field 1 "${TARGET_VENV[$target]}")"
            printf '%s\n' "${CORE_VENV[$(field 2 "${TARGET_VENV[$target]}")]}"
            ;;
        lint | build) printf '%s\n' "${CORE_VENV[2.19]}" ;;
        changelog | docs) printf '%s\n' "$TOOLS_VENV" ;;
        eda) printf '%s\n' "$EDA_VENV" ;;
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
    log "== summary (logs in $LOG_DIR)"
    printf '%-12s %-6s %9s\n' stage result seconds
    for i in "${!SUMMARY_NAMES[@]}"; do
        printf '%-12s %-6s %9s\n' "${SUMMARY_NAMES[$i]}" "${SUMMARY_RESULTS[$i]}" "${SUMMARY_TIMES[$i]}"
    done
    printf '%-12s %-6s %9s\n' "wall time" "" "$(elapsed "$RUN_START" "$(now)")"
}

# The virtualenvs are installed, and the stages run, $JOBS at a time in the background. A stage's output goes to its
# own log, printed whole when it ends, so the logs of stages that ran at once are never interleaved.
JOBS="${OBSHELL_TEST_JOBS:-}"
if [[ -z "$JOBS" ]]; then
    JOBS="$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)"
    [[ "$JOBS" -le 2 ]] || JOBS=2
fi
[[ "$JOBS" =~ ^[1-9][0-9]*$ ]] || die "OBSHELL_TEST_JOBS must be a positive number (got '$JOBS')"

RUN_START="$(now)"
read -r -a REQUESTED <<<"${OBSHELL_TEST_STAGES:-$(all_stages)}"
[[ ${#REQUESTED[@]} -gt 0 ]] || die "OBSHELL_TEST_STAGES is empty"
read -r -a STAGES <<<"$(expand_stages "${REQUESTED[@]}")"
for stage in "${STAGES[@]}"; do
    known_stage "$stage" || die "unknown stage '$stage' in OBSHELL_TEST_STAGES (known: $(all_stages) setup; groups: pytest smoke target sanity)"
done

WORK_DIR="${OBSHELL_WORK_DIR:-}"
if [[ -z "$WORK_DIR" ]]; then
    # One work directory per checkout, so that two checkouts can run this at once.
    WORK_DIR="${TMPDIR:-/tmp}/obshell-test-$(printf '%s' "$ROOT" | cksum | cut -d' ' -f1)"
fi
LOG_DIR="$WORK_DIR/logs"
rm -rf "$LOG_DIR"
mkdir -p "$LOG_DIR" "$VENV_DIR" || die "cannot create $LOG_DIR and $VENV_DIR"

header "setup: virtualenvs in $VENV_DIR, $JOBS at a time"
setup_start="$(now)"
BASE_PYTHON="$(find_python 3.11)" || die "need CPython 3.11 with the venv module (set OBSHELL_PYTHON)"
declare -a VENV_LINES=()
declare -A VENV_SEEN=()
add_venv() { [[ -n "$1" && -z "${VENV_SEEN[${1%% *}]:-}" ]] && VENV_SEEN[${1%% *}]=1 && VENV_LINES+=("$1"); }
[[ " ${STAGES[*]} " == *" setup "* ]] && add_venv "${CORE_VENV[2.19]}"
for stage in "${STAGES[@]}"; do
    while read -r line; do add_venv "$line"; done < <(stage_venvs "$stage")
done

setup_ok=pass
ensure_collection_link || setup_ok=FAIL
declare -A VENV_PID=()
for line in "${VENV_LINES[@]}"; do
    read -r -a venv_words <<<"$line"
    set -- "${venv_words[@]}"
    while [[ "$(jobs -rp | wc -l)" -ge $((JOBS + 1)) ]]; do sleep 0.5; done
    ensure_venv "$1" "$2" "$3" >"$LOG_DIR/venv-$1.log" 2>&1 &
    VENV_PID[$1]=$!
done
for name in "${!VENV_PID[@]}"; do
    if ! wait "${VENV_PID[$name]}"; then
        setup_ok=FAIL
        log "virtualenv $name: FAILED"
    fi
    sed 's/^/  /' "$LOG_DIR/venv-$name.log" | grep -v -e "^ *WARNING: Location 'file:" -e "^ *Url 'file:" || true
done
record setup "$setup_ok" "$(elapsed "$setup_start" "$(now)")"
if [[ "$setup_ok" != pass ]]; then
    print_summary
    die "set-up failed; no stage was run"
fi

# The queue: every stage but setup, by PRIORITY. Sanity stages run one at a time: ansible-test keeps its own
# virtualenvs in ~/.ansible/test, shared between versions.
declare -a QUEUE=()
while read -r _seconds stage; do
    [[ -n "$stage" ]] && QUEUE+=("$stage")
done < <(for stage in "${STAGES[@]}"; do
    [[ "$stage" == setup ]] || printf '%s %s\n' "${PRIORITY[$stage]:-60}" "$stage"
done | sort -s -k1,1nr)

declare -A RUNNING_PID=() RUNNING_START=()
finish() {
    local stage="$1" rc="$2" result
    if [[ "$rc" -eq 0 ]]; then result=pass; else result=FAIL; fi
    header "stage $stage: $result ($(elapsed "${RUNNING_START[$stage]}" "$(now)") s; log $LOG_DIR/$stage.log)"
    cat "$LOG_DIR/$stage.log"
    record "$stage" "$result" "$(elapsed "${RUNNING_START[$stage]}" "$(now)")"
    unset "RUNNING_PID[$stage]" "RUNNING_START[$stage]"
}

sanity_running() {
    local stage
    for stage in "${!RUNNING_PID[@]}"; do [[ "$stage" == sanity-* ]] && return 0; done
    return 1
}

while [[ ${#QUEUE[@]} -gt 0 || ${#RUNNING_PID[@]} -gt 0 ]]; do
    # Start what may start.
    index=0
    while [[ ${#RUNNING_PID[@]} -lt $JOBS && $index -lt ${#QUEUE[@]} ]]; do
        stage="${QUEUE[$index]}"
        if [[ "$stage" == sanity-* ]] && sanity_running; then
            index=$((index + 1))
            continue
        fi
        QUEUE=("${QUEUE[@]:0:$index}" "${QUEUE[@]:$((index + 1))}")
        log "-- starting $stage ($(date +%H:%M:%S))"
        RUNNING_START[$stage]="$(now)"
        ( run_stage "$stage" ) >"$LOG_DIR/$stage.log" 2>&1 </dev/null &
        RUNNING_PID[$stage]=$!
        index=0
    done
    # Wait for one to end.
    sleep 1
    for stage in "${!RUNNING_PID[@]}"; do
        if ! kill -0 "${RUNNING_PID[$stage]}" 2>/dev/null; then
            wait "${RUNNING_PID[$stage]}"
            finish "$stage" "$?"
        fi
    done
done

print_summary
exit $OVERALL
