#!/usr/bin/env bash
# Every test of the C ABI, in one command:
#   header check (and that the check catches a stale header), the Rust unit
#   tests of the FFI crate, the C scenario runner + schema check + C API tests
#   + C++11 and C++17 programs linked dynamically, statically, under ASan+UBSan
#   and under valgrind, the runner failing wrong expectations and refusing a file with
#   unknown keys, the example against engagelab-mock, the install into a temporary prefix and the
#   pkg-config / C++17 / find_package / README static-link consumers built from it.
# Installs missing test packages (libcjson-dev, libcurl4-openssl-dev) with
# apt-get. Starts one engagelab-mock and stops it on exit. Ends with
# "N passed, N failed" and exits non-zero on any failure.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
started=$SECONDS
passed=0 failed=0 summary=""

step() {
  local name=$1; shift
  local start=$SECONDS
  echo "==== $name"
  if "$@"; then
    passed=$((passed + 1)); summary+="  ok    $name ($((SECONDS - start))s)"$'\n'
  else
    failed=$((failed + 1)); summary+="  FAIL  $name ($((SECONDS - start))s)"$'\n'
  fi
}

finish() {
  echo "==== c-test summary"
  printf '%s' "$summary"
  echo "c-test took $((SECONDS - started))s"
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
}

# --- test dependencies (test-only: the library links only libc, pthread, dl, m)
need=()
for pkg in libcjson-dev libcurl4-openssl-dev; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
for tool in cmake:cmake pkg-config:pkg-config valgrind:valgrind g++:g++ make:make; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || need+=("${tool#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "==== installing ${need[*]}"
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" \
    || { echo "cannot install ${need[*]}"; failed=1; finish; }
fi

version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)
work=$(mktemp -d)
. scripts/mock.sh
cleanup() {
  stop_mock
  rm -rf "$work"
}
trap cleanup EXIT

# --- the header
step "header is up to date" scripts/c-header.sh --check
stale_header_is_caught() {
  sed 's/EL_AUTH = 2/EL_AUTH = 20/' include/engagelab_push.h >"$work/stale.h"
  ! scripts/c-header.sh --check "$work/stale.h" >/dev/null 2>&1
}
step "header check fails on a stale header" stale_header_is_caught

# --- Rust side
step "cargo build (ffi + mock)" cargo build --quiet -p engagelab-push-ffi -p engagelab-mock
step "cargo xtask lib" cargo xtask lib
[ -f target/debug/lib/libengagelab_push.so ] && [ -x target/debug/engagelab-mock ] || finish
step "rust unit tests (ffi)" cargo test --quiet -p engagelab-push-ffi

# --- one mock for the whole run. Devices seeded here come back on every reset;
# the example and the consumers delete them.
c_mock() {
  start_mock --device demo-device --device consumer-pkg-config \
    --device consumer-cmake-shared --device consumer-cmake-static --device consumer-readme-static \
    --device consumer-cpp17 \
    || return 1
  export ENGAGELAB_MOCK_URL=$MOCK_URL
  echo "engagelab-mock at $ENGAGELAB_MOCK_URL"
}
step "start engagelab-mock" c_mock
[ -n "${ENGAGELAB_MOCK_URL:-}" ] || finish

# --- the C suites: one CMake build per variant, under tests/c/build (ignored)
build=tests/c/build
suite() {
  local variant=$1; shift
  cmake -S tests/c -B "$build/$variant" -DEL_EXPECTED_VERSION="$version" "$@" >"$work/$variant.cmake" 2>&1 \
    || { cat "$work/$variant.cmake"; return 1; }
  cmake --build "$build/$variant" -j 2 >"$work/$variant.build" 2>&1 \
    || { cat "$work/$variant.build"; return 1; }
  ctest --test-dir "$build/$variant" --output-on-failure
}
step "C suites, dynamic link" suite shared -DEL_LINK=shared
step "C suites, static link" suite static -DEL_LINK=static
# Leak detection on: anything left by the library or the tests fails the run.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
step "C suites, ASan+UBSan" suite asan -DEL_LINK=shared -DEL_SANITIZE=ON
unset ASAN_OPTIONS UBSAN_OPTIONS
# Valgrind fails on errors and on definite or indirect leaks; "possibly lost"
# and "still reachable" are the one-time globals of the Rust runtime and of
# libcurl/OpenSSL in the test helpers, and are not leaks.
step "C suites, valgrind" suite valgrind -DEL_LINK=shared \
  "-DEL_LAUNCHER=valgrind;--quiet;--leak-check=full;--errors-for-leak-kinds=definite,indirect;--show-leak-kinds=definite,indirect;--error-exitcode=1"

fault_matrix() {
  local bin port pid rc
  bin=${TOXIPROXY_BIN:-$(scripts/toxiproxy.sh)} || return 1
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$bin" -host 127.0.0.1 -port "$port" >"$work/toxiproxy.log" 2>&1 &
  pid=$!
  python3 - "$port" <<'PY' || return 1
import sys, time, urllib.request
for _ in range(200):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/version", timeout=1)
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit("toxiproxy did not start")
PY
  TOXIPROXY_URL=http://127.0.0.1:$port "$build/shared/faults" tests/faults/matrix.json
  rc=$?
  kill "$pid"; wait "$pid" 2>/dev/null
  return $rc
}
step "fault matrix (toxiproxy), C" fault_matrix

runner_catches_failures() {
  local out
  out=$("$build/shared/scenarios" tests/c/runner_selftest.json 2>&1)
  echo "$out"
  [ "$(echo "$out" | tail -n 1)" = "scenarios: 0 passed, 3 failed" ]
}
step "scenario runner fails wrong expectations" runner_catches_failures

# A file with unknown keys is refused whole (exit 2) before any scenario runs,
# and each key is named with its scenario and path.
runner_refuses_unknown_keys() {
  local out status
  out=$("$build/shared/scenarios" tests/c/runner_selftest_schema.json 2>&1)
  status=$?
  echo "$out"
  [ "$status" -eq 2 ] || return 1
  ! echo "$out" | grep -E '^(ok|FAIL) ' >/dev/null || return 1
  local want
  for want in \
    'scenario "unknown_expect_key": $.scenarios[1].expect.no_such_field: unknown key' \
    'scenario "unknown_client_key": $.scenarios[2].client.timeout: unknown key' \
    'scenario "unknown_scenario_key": $.scenarios[3].expected: unknown key'; do
    echo "$out" | grep -F -x "  $want" >/dev/null || { echo "missing: $want"; return 1; }
  done
  [ "$(echo "$out" | tail -n 1)" = \
    "scenarios: tests/c/runner_selftest_schema.json does not match the schema (3 problems); nothing was run" ]
}
step "scenario runner refuses unknown keys before running" runner_refuses_unknown_keys

example() {
  local bin=$build/shared/delete_device
  ENGAGELAB_APP_KEY=demo-app-key ENGAGELAB_MASTER_SECRET=demo-master-secret \
    ENGAGELAB_BASE_URL=$ENGAGELAB_MOCK_URL "$bin" demo-device || return 1
  # Deleted: a second call fails (the mock answers 400/27002 for unknown ids).
  ! ENGAGELAB_APP_KEY=demo-app-key ENGAGELAB_MASTER_SECRET=demo-master-secret \
    ENGAGELAB_BASE_URL=$ENGAGELAB_MOCK_URL "$bin" demo-device || return 1
  # Bad usage and missing credentials exit 2.
  "$bin" 2>/dev/null; [ $? -eq 2 ] || return 1
  env -u ENGAGELAB_APP_KEY "$bin" x 2>/dev/null; [ $? -eq 2 ]
}
step "example delete_device against the mock" example

# --- install, then build consumers against the installed copy only
prefix=$work/prefix
step "install (scripts/c-install.sh)" scripts/c-install.sh "$prefix"

pkg_config_consumer() {
  export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
  [ "$(pkg-config --modversion engagelab_push)" = "$version" ] || return 1
  # shellcheck disable=SC2046
  cc -std=c99 -Wall -Wextra -Wpedantic -Werror tests/c/consumer/consumer.c \
    $(pkg-config --cflags --libs engagelab_push) -o "$work/consumer-pkg-config" || return 1
  LD_LIBRARY_PATH=$prefix/lib ldd "$work/consumer-pkg-config" | grep "libengagelab_push.so.0 => $prefix/lib/libengagelab_push.so.0" >/dev/null || return 1
  LD_LIBRARY_PATH=$prefix/lib "$work/consumer-pkg-config" "$ENGAGELAB_MOCK_URL" consumer-pkg-config
}
step "consumer: pkg-config" pkg_config_consumer

# The header-only C++17 API, installed beside the C header.
cpp17_consumer() {
  export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
  # shellcheck disable=SC2046
  c++ -std=c++17 -Wall -Wextra -Wpedantic -Werror tests/c/consumer/consumer.cpp \
    $(pkg-config --cflags --libs engagelab_push) -o "$work/consumer-cpp17" || return 1
  LD_LIBRARY_PATH=$prefix/lib "$work/consumer-cpp17" "$ENGAGELAB_MOCK_URL" consumer-cpp17 || return 1
  # Deleted: a second call throws (the mock answers 400/27002 for unknown ids).
  ! LD_LIBRARY_PATH=$prefix/lib "$work/consumer-cpp17" "$ENGAGELAB_MOCK_URL" consumer-cpp17
}
step "consumer: C++17 header, pkg-config" cpp17_consumer

cmake_consumer() {
  cmake -S tests/c/consumer -B "$work/consumer-cmake" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null || return 1
  cmake --build "$work/consumer-cmake" || return 1
  "$work/consumer-cmake/consumer_shared" "$ENGAGELAB_MOCK_URL" consumer-cmake-shared || return 1
  ! ldd "$work/consumer-cmake/consumer_static" | grep libengagelab_push >/dev/null || return 1
  "$work/consumer-cmake/consumer_static" "$ENGAGELAB_MOCK_URL" consumer-cmake-static
}
step "consumer: find_package(EngageLabPush)" cmake_consumer

readme_static_link() {
  # The static link line of crates/engagelab-push-ffi/README.md, verbatim but
  # for the paths.
  cc tests/c/consumer/consumer.c -I "$prefix/include" "$prefix/lib/libengagelab_push.a" \
    -lpthread -ldl -lm -o "$work/consumer-static" || return 1
  "$work/consumer-static" "$ENGAGELAB_MOCK_URL" consumer-readme-static
}
step "consumer: README static link line" readme_static_link

finish
