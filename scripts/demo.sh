#!/usr/bin/env bash
# The main job: start the bundled test server and delete one device through
# each language (Rust, C, Python), then show what the server has left.
# Needs nothing configured: credentials and base URL point at engagelab-mock.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. scripts/mock.sh

echo "== building (first run takes a few minutes)"
cargo build --quiet --release -p engagelab-push --example delete_device
cargo build --quiet --release -p engagelab-push-ffi
mkdir -p target/demo
cc -std=c99 -Wall -Wextra -Werror -I include examples/c/delete_device.c \
   target/release/libengagelab_push.a -lpthread -ldl -lm -o target/demo/delete_device_c
scripts/python-env.sh >/dev/null

start_mock --device demo-device-rust --device demo-device-c --device demo-device-python \
           --device "keep/../me"
trap stop_mock EXIT
export ENGAGELAB_APP_KEY=demo-app-key ENGAGELAB_MASTER_SECRET=demo-master-secret
export ENGAGELAB_BASE_URL="$MOCK_URL"
echo "== engagelab-mock at $MOCK_URL with devices: $(mock_devices)"

target/release/examples/delete_device demo-device-rust
target/demo/delete_device_c demo-device-c
.venv/bin/python python/examples/delete_device.py demo-device-python

echo "== an unknown id fails clearly, in every language:"
target/release/examples/delete_device no-such-device || true
target/demo/delete_device_c no-such-device || true
.venv/bin/python python/examples/delete_device.py no-such-device || true

left=$(mock_devices)
echo "== devices left on the server: $left"
[ "$left" = "keep/../me" ] || { echo "demo: unexpected devices left: $left" >&2; exit 1; }
echo "== demo ok: one device deleted through Rust, C and Python each"
