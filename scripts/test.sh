#!/usr/bin/env bash
# Every test of the project, in dependency order: lint, the Rust workspace
# (core + test server), the C ABI suites, the Python suite. Installs what it
# needs on a fresh machine. Ends with one summary line per suite and a total.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

passed=0 failed=0 summary=""
suite() {
  local name=$1; shift
  echo "==== $name: $*"
  local start=$SECONDS
  if "$@"; then
    passed=$((passed + 1)); summary+="  ok    $name ($((SECONDS - start))s)"$'\n'
  else
    failed=$((failed + 1)); summary+="  FAIL  $name ($((SECONDS - start))s)"$'\n'
  fi
}

# The fault matrix's server (Rust, C and Python runners read TOXIPROXY_BIN).
TOXIPROXY_BIN=$(scripts/toxiproxy.sh) && export TOXIPROXY_BIN

suite lint        make --no-print-directory lint
suite rust        cargo test --workspace
suite c           scripts/c-test.sh
suite python      scripts/python-test.sh
[ -x scripts/bench.sh ] && suite bench-quick scripts/bench.sh --quick

echo "==== summary"
printf '%s' "$summary"
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
