# Sourced by the project's scripts: engagelab-mock in the background.
#   start_mock [FLAGS...]  builds the mock, starts it with FLAGS, waits for the
#                          base URL it prints and exports MOCK_URL and MOCK_PID
#   stop_mock              stops it (callers: trap stop_mock EXIT)
#   mock_devices           prints the registration ids in its store

start_mock() {
  local root out
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  cargo build --quiet -p engagelab-mock || return 1
  out=$(mktemp)
  "$root/target/debug/engagelab-mock" "$@" >"$out" &
  MOCK_PID=$!
  MOCK_URL=""
  for _ in $(seq 1 100); do
    MOCK_URL=$(head -n 1 "$out")
    [ -n "$MOCK_URL" ] && break
    sleep 0.05
  done
  rm -f "$out"
  if [ -z "$MOCK_URL" ]; then
    echo "engagelab-mock did not start" >&2
    return 1
  fi
  export MOCK_URL MOCK_PID
}

stop_mock() {
  [ -n "${MOCK_PID:-}" ] && kill "$MOCK_PID" 2>/dev/null
  MOCK_PID=""
}

mock_devices() {
  python3 - "$MOCK_URL" <<'PY'
import json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1] + "/__mock/devices") as r:
    print(", ".join(json.load(r)["registration_ids"]))
PY
}
