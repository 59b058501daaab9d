#!/usr/bin/env bash
# Everything Python, in one command: build and install the package the way a
# user does (`pip install ./python`, maturin as the PEP 517 backend), run the
# pytest suite against engagelab-mock, type-check the typed example with
# `mypy --strict`, check the stubs with `mypy.stubtest`, and build the release
# abi3 wheel.
#
# Needs: CPython >= 3.9 with pip (and venv), Rust (cargo). Uses a virtualenv at
# <repo>/.venv, created on first use and reused after.
#
# Usage: scripts/python-test.sh [--env-only]
#   --env-only  stop after the venv, the tools and `pip install ./python`
#               (what a demo needs to run python/examples/).
# Environment: PYTHON (interpreter for the venv, default python3),
# ENGAGELAB_MOCK_BIN (a prebuilt mock; default: built here).
set -euo pipefail

ENV_ONLY=0
case "${1:-}" in
    "") ;;
    --env-only) ENV_ONLY=1 ;;
    *) echo "usage: $0 [--env-only]" >&2; exit 2 ;;
esac

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.venv"
VPY="$VENV/bin/python"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$ROOT/$TARGET_DIR" ;; esac
WHEEL_DIR="$TARGET_DIR/python-wheels"
START=$SECONDS

step() { printf '\n==> %s\n' "$*"; }

step "virtualenv at $VENV"
if ! "$VPY" -c 'import sys; assert sys.version_info >= (3, 9)' 2>/dev/null; then
    rm -rf "$VENV"
    if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
        # Debian without python3-venv: make a venv without pip, then let the
        # system pip (>= 22.3) install pip into it.
        rm -rf "$VENV"
        "$PYTHON" -m venv --without-pip "$VENV"
        "$PYTHON" -m pip --python "$VPY" install --quiet pip
    fi
fi
"$VPY" --version

step "tools (pinned)"
"$VPY" -m pip install --quiet --disable-pip-version-check \
    "maturin==1.16.0" "pytest==8.4.2" "mypy==1.20.2"

step "pip install ./python (maturin builds the extension)"
"$VPY" -m pip install --disable-pip-version-check --force-reinstall --no-deps ./python
# Run from outside python/ so the installed package is imported, not the sources.
(cd / && "$VPY" -c 'import engagelab_push; print("engagelab_push", engagelab_push.__version__)')
if [ "$ENV_ONLY" = 1 ]; then
    exit 0
fi

step "engagelab-mock"
if [ -z "${ENGAGELAB_MOCK_BIN:-}" ]; then
    cargo build --quiet -p engagelab-mock
    export ENGAGELAB_MOCK_BIN="$TARGET_DIR/debug/engagelab-mock"
fi
test -x "$ENGAGELAB_MOCK_BIN"

step "pytest"
# pytest exits 5 when it collects no test: that fails this script too.
"$VPY" -m pytest -p no:cacheprovider python/tests

step "mypy --strict (the typed example, the package as installed, the tests)"
# --python-version 3.9: the stubs and annotations must hold on the oldest
# supported Python too.
"$VPY" -m mypy --strict --no-incremental --python-version 3.9 python/examples/typed_usage.py
"$VPY" -m mypy --strict --no-incremental --python-version 3.9 -p engagelab_push
"$VPY" -m mypy --strict --no-incremental python/tests

step "stubtest"
"$VPY" -m mypy.stubtest engagelab_push

step "maturin build --release (abi3 wheel)"
rm -rf "$WHEEL_DIR"
(cd python && "$VENV/bin/maturin" build --release --out "$WHEEL_DIR")
shopt -s nullglob
wheels=("$WHEEL_DIR"/engagelab_push-*-abi3-*.whl)
if [ "${#wheels[@]}" -ne 1 ]; then
    echo "expected one abi3 wheel in $WHEEL_DIR, found: $(ls "$WHEEL_DIR")" >&2
    exit 1
fi
echo "built ${wheels[0]##*/}"

step "python: all checks passed in $((SECONDS - START))s"
