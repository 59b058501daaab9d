#!/usr/bin/env bash
# Installs the toxiproxy server (v2.5.0, a Go module) into .tools/bin as
# toxiproxy-server when it is missing, and prints its path.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.tools/bin/toxiproxy-server"
if [ ! -x "$bin" ]; then
  echo "toxiproxy: installing github.com/Shopify/toxiproxy/v2/cmd/server@v2.5.0 into .tools/bin (go install)" >&2
  tmp=$(mktemp -d)
  GOBIN="$tmp" go install github.com/Shopify/toxiproxy/v2/cmd/server@v2.5.0 >&2
  mkdir -p "$(dirname "$bin")"
  mv "$tmp/server" "$bin"
  rm -rf "$tmp"
fi
echo "$bin"
