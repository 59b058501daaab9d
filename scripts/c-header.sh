#!/usr/bin/env bash
# Generates include/engagelab_push.h from crates/engagelab-push-ffi with
# cbindgen 0.29.4, installed into .tools/ when missing or another version.
#   scripts/c-header.sh           regenerate the committed header
#   scripts/c-header.sh --check   fail, showing a diff, if it is stale
#   scripts/c-header.sh --check FILE   the same for another copy (tests use it)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=0.29.4
cbindgen="$root/.tools/bin/cbindgen"
header="$root/include/engagelab_push.h"

case "$#:${1:-}" in
  0: | 1:--check) ;;
  2:--check) header=$2 ;;
  *) echo "usage: $0 [--check [HEADER]]" >&2; exit 2 ;;
esac

if [ "$("$cbindgen" --version 2>/dev/null || true)" != "cbindgen $version" ]; then
  echo "c-header: installing cbindgen $version into .tools/" >&2
  cargo install cbindgen --version "$version" --locked --root "$root/.tools" --quiet
fi

generate() {
  (cd "$root" && "$cbindgen" --quiet \
    --config crates/engagelab-push-ffi/cbindgen.toml \
    --crate engagelab-push-ffi \
    --output "$1" \
    crates/engagelab-push-ffi)
}

if [ "${1:-}" = --check ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  generate "$tmp/engagelab_push.h"
  if ! diff -u "$header" "$tmp/engagelab_push.h"; then
    echo "c-header: $header is stale; run scripts/c-header.sh and commit it" >&2
    exit 1
  fi
  echo "c-header: $header is up to date"
else
  mkdir -p "$(dirname "$header")"
  generate "$header"
  echo "c-header: wrote include/engagelab_push.h"
fi
