#!/usr/bin/env bash
# The benchmarks: what one device delete costs through the Rust core, the C ABI
# and the Python module, next to the official EngageLab Python SDK, requests,
# httpx and libcurl, over TLS and plain HTTP on loopback against nginx, with
# wrk's single-connection limit of that server in the same run.
#
#   scripts/bench.sh           full run (3 rounds of ~5 s per client, ~7 min):
#                              BENCHMARKS.md, bench/calls_per_sec.png and the raw
#                              results in bench/results/ (logs in bench/out/)
#   scripts/bench.sh --quick   small N, for CI: everything into target/bench-quick/
#
# Installs what it needs on a fresh Debian machine (apt: nginx, wrk, libcurl
# headers; a venv .venv-bench with pinned packages and this project's module).
# Not part of the test run's judgement: quick mode exits 0 when the harness
# works, whatever the figures. A client whose artifact cannot be built is
# skipped with a note; a client that runs and fails makes the script exit 1.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

quick=0
case "${1:-}" in
  "") ;;
  --quick) quick=1 ;;
  *) echo "usage: $0 [--quick]" >&2; exit 2 ;;
esac

if [ "$quick" = 1 ]; then
  out="$root/target/bench-quick"
  md="$out/BENCHMARKS.md"
  png="$out/calls_per_sec.png"
  png_rel="calls_per_sec.png"
  duration=0.5      # seconds of timed calls per client
  wrk_duration=1
  warmup=50
  import_runs=5
  rounds=1
  command="scripts/bench.sh --quick"
else
  out="$root/bench/out"
  md="$root/BENCHMARKS.md"
  png="$root/bench/calls_per_sec.png"
  png_rel="bench/calls_per_sec.png"
  duration=5
  wrk_duration=5
  warmup=200
  import_runs=21
  rounds=3          # every client runs once per round; the report takes the median round
  command="make bench   # = scripts/bench.sh"
fi
threads=8
# Placement: nginx's one worker on CPU 0, wrk and every sequential client on
# CPU 1, so every run crosses cores the same way (left to the scheduler, a
# client lands on nginx's core or not from run to run, and on this kind of VM
# that alone changes a round trip several-fold). 8-thread runs use every CPU.
# BENCH_PIN=0 turns it off; it is off anyway with fewer than 2 CPUs.
pin=${BENCH_PIN:-1}
[ "$(nproc)" -ge 2 ] || pin=0
if [ "$pin" = 1 ]; then
  server_affinity="worker_cpu_affinity 01;"
  seq_pin=(taskset -c 1)
else
  server_affinity=""
  seq_pin=()
fi
venv="$root/.venv-bench"
py="$venv/bin/python"
results="$out/results.jsonl"
bin="$out/bin"
started=$SECONDS

log() { printf '== bench: %s\n' "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- installs
apt_updated=0
apt_install() {
  [ "$(id -u)" = 0 ] || die "missing $*: install them (as root: apt-get install -y $*)"
  if [ "$apt_updated" = 0 ]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    apt_updated=1
  fi
  log "apt-get install -y $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}

has_curl_headers() {
  printf '#include <curl/curl.h>\n' | cc -E -x c - >/dev/null 2>&1
}

install_system() {
  local need=()
  if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
    need+=(nginx)
  fi
  command -v wrk >/dev/null || need+=(wrk)
  has_curl_headers || need+=(libcurl4-openssl-dev)
  command -v openssl >/dev/null || need+=(openssl)
  command -v strip >/dev/null || need+=(binutils)
  [ ${#need[@]} -eq 0 ] && return 0
  local pkgs=()
  for p in "${need[@]}"; do
    if [ "$p" = nginx ]; then
      # nginx-light is enough (it has the SSL module); newer Debian only has nginx.
      if [ "$apt_updated" = 0 ] && [ "$(id -u)" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2; apt_updated=1
      fi
      if apt-cache show nginx-light >/dev/null 2>&1; then pkgs+=(nginx-light); else pkgs+=(nginx); fi
    else
      pkgs+=("$p")
    fi
  done
  apt_install "${pkgs[@]}"
}

install_python() {
  if [ ! -x "$py" ]; then
    log "creating $venv"
    if ! python3 -m venv "$venv" >&2; then
      # Debian's own python3 needs its venv package.
      rm -rf "$venv"
      apt_install "python$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')-venv"
      python3 -m venv "$venv"
    fi
  fi
  local stamp="$venv/.bench-requirements"
  if ! cmp -s bench/requirements.txt "$stamp"; then
    log "pip install -r bench/requirements.txt"
    "$py" -m pip install -q --disable-pip-version-check -r bench/requirements.txt >&2
    cp bench/requirements.txt "$stamp"
  fi
}

# The project's module: a release build through maturin (python/pyproject.toml).
py_module_note=""
install_py_module() {
  if [ ! -f python/pyproject.toml ]; then
    py_module_note="python/pyproject.toml does not exist yet"
    return
  fi
  log "pip install ./python (release build through maturin)"
  if ! PATH="$venv/bin:$PATH" "$py" -m pip install -q --disable-pip-version-check --no-build-isolation --no-deps \
        --force-reinstall ./python >"$out/pip-python-module.log" 2>&1; then
    py_module_note="pip install ./python failed (see ${out#"$root"/}/pip-python-module.log)"
    tail -n 20 "$out/pip-python-module.log" >&2
    return
  fi
  if ! (cd "$out" && "$py" -c "import engagelab_push; engagelab_push.Client") 2>>"$out/pip-python-module.log"; then
    py_module_note="engagelab_push installed but does not import (see ${out#"$root"/}/pip-python-module.log)"
  fi
}

# ---------------------------------------------------------------- builds
rust_note="" ffi_note=""
cflags=(-O2 -std=c99 -Wall -Wextra -Werror)
build_native() {
  mkdir -p "$bin"
  log "cargo build --release -p engagelab-push --example bench_sequential"
  if ! cargo build --quiet --release -p engagelab-push --example bench_sequential >&2; then
    rust_note="cargo build of examples/bench_sequential failed"
  fi
  log "cc bench/c/curl_bench.c, bench/c/curl_one.c (libcurl)"
  cc "${cflags[@]}" bench/c/curl_bench.c -lcurl -o "$bin/curl_bench"
  cc "${cflags[@]}" bench/c/curl_one.c -lcurl -o "$bin/curl_one"
  if [ ! -d crates/engagelab-push-ffi ] || [ ! -f include/engagelab_push.h ]; then
    ffi_note="the C ABI (crates/engagelab-push-ffi, include/engagelab_push.h) does not exist yet"
    return
  fi
  log "cargo build --release -p engagelab-push-ffi"
  if ! cargo build --quiet --release -p engagelab-push-ffi >&2; then
    ffi_note="cargo build -p engagelab-push-ffi failed"
    return
  fi
  [ -f target/release/libengagelab_push.so ] || { ffi_note="target/release/libengagelab_push.so was not built"; return; }
  log "cc bench/c/el_bench.c, bench/c/el_one.c (-lengagelab_push)"
  local link=(-Iinclude -Ltarget/release -Wl,-rpath,"$root/target/release" -lengagelab_push)
  if ! cc "${cflags[@]}" bench/c/el_bench.c "${link[@]}" -o "$bin/el_bench" >&2 ||
     ! cc "${cflags[@]}" bench/c/el_one.c "${link[@]}" -o "$bin/el_one" >&2; then
    ffi_note="compiling bench/c/el_*.c against include/engagelab_push.h failed"
  fi
}

# ---------------------------------------------------------------- server
srv=""
nginx_pid=""
sysca="" sysca_note=""
cleanup() {
  if [ -n "$nginx_pid" ]; then
    kill -QUIT "$nginx_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$nginx_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$nginx_pid" 2>/dev/null || true
  fi
  if [ -n "$srv" ]; then rm -rf "$srv"; fi
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start_server() {
  srv=$(mktemp -d "${TMPDIR:-/tmp}/engagelab-bench.XXXXXX")
  chmod 755 "$srv"
  log "throwaway CA and server certificate in $srv"
  (
    cd "$srv"
    openssl ecparam -name prime256v1 -genkey -noout -out ca.key
    openssl req -x509 -new -key ca.key -sha256 -days 2 -subj "/CN=engagelab-push bench throwaway CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -out ca.crt
    openssl ecparam -name prime256v1 -genkey -noout -out server.key
    openssl req -new -key server.key -subj "/CN=localhost" -out server.csr
    printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
      "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost" > server.ext
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -sha256 \
      -extfile server.ext -out server.crt
  ) >/dev/null 2>"$srv/openssl.log" || { cat "$srv/openssl.log" >&2; die "openssl failed"; }
  ca="$srv/ca.crt"
  # The official SDK makes a new SSL context per call, which loads OpenSSL's
  # default CA file every time: in real use the system bundle. Its second row
  # trusts that bundle plus the bench CA (SSL_CERT_FILE replaces the default).
  local sys_cafile
  sys_cafile=$(env -u SSL_CERT_FILE -u SSL_CERT_DIR "$py" -c \
    'import ssl; print(ssl.get_default_verify_paths().openssl_cafile)')
  if [ -f "$sys_cafile" ]; then
    cat "$sys_cafile" "$ca" > "$srv/system-plus-bench-ca.pem"
    sysca="$srv/system-plus-bench-ca.pem"
    sysca_note=""
  else
    sysca_note="no system CA file ($sys_cafile)"
  fi
  plain_port=$(free_port)
  tls_port=$(free_port)
  while [ "$tls_port" = "$plain_port" ]; do tls_port=$(free_port); done
  sed -e "s#@DIR@#$srv#g" -e "s#@PLAIN_PORT@#$plain_port#g" -e "s#@TLS_PORT@#$tls_port#g" \
    -e "s#@AFFINITY@#$server_affinity#" bench/nginx.conf.in > "$srv/nginx.conf"
  local nginx_bin
  nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
  "$nginx_bin" -p "$srv" -c "$srv/nginx.conf" >"$srv/nginx.out" 2>&1 &
  nginx_pid=$!
  plain_url="http://127.0.0.1:$plain_port"
  tls_url="https://127.0.0.1:$tls_port"
  for _ in $(seq 1 100); do
    if "$py" - "$plain_url" "$tls_url" "$ca" 2>/dev/null <<'PY'
import ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[3])
for url in sys.argv[1:3]:
    req = urllib.request.Request(url + "/v4/devices/probe", method="DELETE")
    with urllib.request.urlopen(req, timeout=2, context=ctx) as r:
        assert r.status == 200
PY
    then
      log "nginx (pid $nginx_pid) at $plain_url and $tls_url"
      return
    fi
    kill -0 "$nginx_pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$srv/nginx.out" "$srv/error.log" >&2 2>/dev/null || true
  die "nginx did not start"
}

# ---------------------------------------------------------------- runs
failures=0
record() { printf '%s\n' "$1" >> "$results"; }

# run_client SECTION TRANSPORT CLIENT NOTE -- COMMAND...   (NOTE non-empty: skipped)
round=1
run_client() {
  local section=$1 transport=$2 client=$3 note=$4 tag
  shift 5
  tag="\"section\":\"$section\",\"transport\":\"$transport\",\"client\":\"$client\",\"round\":$round"
  if [ -n "$note" ]; then
    log "$section $transport $client: SKIPPED ($note)"
    record "{$tag,\"skipped\":$(json_str "$note")}"
    return
  fi
  local line err
  err="$out/$section-$transport-$client-$round.stderr"
  if line=$("$@" 2>"$err" | tail -n 1) && [ -n "$line" ] && [ "${line:0:1}" = "{" ] &&
     ! grep -q '"errors": *[1-9]' <<<"$line"; then
    log "round $round: $section $transport $client: $line"
    record "{$tag,\"result\":$line}"
  else
    failures=$((failures + 1))
    local why
    why=$(tail -n 3 "$err" | tr '\n' ' ' | cut -c1-300)
    log "round $round: $section $transport $client: FAILED: $why"
    record "{$tag,\"error\":$(json_str "failed: $why")}"
  fi
}

json_str() { "$py" -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }

# The environment of every client: no proxies, no CA overrides from the
# machine (requests would let REQUESTS_CA_BUNDLE beat its Session.verify).
clean_env=(env -u REQUESTS_CA_BUNDLE -u CURL_CA_BUNDLE -u SSL_CERT_FILE -u SSL_CERT_DIR
           -u http_proxy -u https_proxy -u HTTP_PROXY -u HTTPS_PROXY -u ALL_PROXY -u all_proxy
           -u NO_PROXY -u no_proxy)

client_cmd() {  # client_cmd CLIENT URL CA AMOUNT THREADS -> the command line, in $cmd
  local client=$1 url=$2 ca=$3 amount=$4 nthreads=$5
  case "$client" in
    rust) cmd=("$root/target/release/examples/bench_sequential" "$amount" "$url" "$ca" "$nthreads" "$warmup") ;;
    c-abi) cmd=("$bin/el_bench" "$amount" "$url" "$ca" "$warmup") ;;
    libcurl) cmd=("$bin/curl_bench" "$amount" "$url" "$ca" "$warmup") ;;
    py) cmd=("$py" "$root"/bench/clients/engagelab_push_client.py "$amount" "$url" "$ca" "$nthreads" "$warmup") ;;
    official) cmd=("$py" "$root"/bench/clients/official_sdk.py "$amount" "$url" "$ca" "$nthreads" "$warmup") ;;
    # Each call costs tens of ms here: a short warm-up is enough (nothing to warm).
    official-sysca) cmd=("$py" "$root"/bench/clients/official_sdk.py "$amount" "$url" "${sysca:-$ca}" "$nthreads" 20) ;;
    requests) cmd=("$py" "$root"/bench/clients/requests_client.py "$amount" "$url" "$ca" "$nthreads" "$warmup") ;;
    httpx) cmd=("$py" "$root"/bench/clients/httpx_client.py "$amount" "$url" "$ca" "$nthreads" "$warmup") ;;
  esac
}

note_of() {
  case "$1" in
    rust) echo "$rust_note" ;;
    c-abi) echo "$ffi_note" ;;
    py) echo "$py_module_note" ;;
    official-sysca) echo "$sysca_note" ;;
    *) echo "" ;;
  esac
}

run_wrk() {
  local transport=$1 url=$2 line
  line=$(cd "$out" && ${seq_pin[@]+"${seq_pin[@]}"} wrk -t1 -c1 -d"${wrk_duration}s" --latency -s "$root/bench/wrk_delete.lua" "$url/" \
         2>"$out/wrk-$transport.stderr" | tee "$out/wrk-$transport-$round.txt" | tail -n 1)
  if [ "${line:0:1}" = "{" ] && ! grep -q '"errors":[1-9]' <<<"$line"; then
    log "round $round: wrk $transport: $line"
    record "{\"section\":\"wrk\",\"transport\":\"$transport\",\"client\":\"wrk\",\"round\":$round,\"result\":$line}"
  else
    failures=$((failures + 1))
    log "wrk $transport: FAILED: $(cat "$out/wrk-$transport-$round.txt" "$out/wrk-$transport.stderr" | tail -n 5)"
    record "{\"section\":\"wrk\",\"transport\":\"$transport\",\"client\":\"wrk\",\"round\":$round,\"error\":\"wrk failed\"}"
  fi
}

measure_sizes() {
  local f tmp="$srv/stripped"
  if [ -f target/release/libengagelab_push.so ] && [ -z "$ffi_note" ]; then
    strip --strip-all -o "$tmp" target/release/libengagelab_push.so
    record "{\"section\":\"size\",\"label\":\"libengagelab_push.so, stripped (C ABI; rustls + ring inside, no other dependency)\",\"bytes\":$(stat -c %s "$tmp")}"
  else
    record "{\"section\":\"size\",\"label\":\"libengagelab_push.so, stripped\",\"skipped\":$(json_str "${ffi_note:-not built}")}"
  fi
  f=$("$py" -c 'import engagelab_push._engagelab_push as m; print(m.__file__)' 2>/dev/null || true)
  if [ -n "$f" ]; then
    strip --strip-all -o "$tmp" "$f"
    record "{\"section\":\"size\",\"label\":\"Python extension $(basename "$f"), stripped\",\"bytes\":$(stat -c %s "$tmp")}"
  fi
  # The libcurl program's shared libraries as installed (Debian strips them).
  local total=0 libs=""
  while read -r lib; do
    [ -n "$lib" ] || continue
    total=$((total + $(stat -L -c %s "$lib"))); libs+="$(basename "$lib") "
  done < <(ldd "$bin/curl_bench" | awk '/libcurl|libssl|libcrypto/ {print $3}')
  record "{\"section\":\"size\",\"label\":\"for comparison: ${libs% } (libcurl and its TLS, as installed; more libraries load with them)\",\"bytes\":$total}"
  local sizes
  sizes=$("$py" - <<'PY'
import importlib.util, json, os
def tree(mods):
    total = 0
    for m in mods:
        spec = importlib.util.find_spec(m)
        if spec is None:
            continue
        d = os.path.dirname(spec.origin) if spec.submodule_search_locations else spec.origin
        for dp, _, fs in os.walk(d):
            total += sum(os.path.getsize(os.path.join(dp, f)) for f in fs if "__pycache__" not in dp)
    return total
print(json.dumps({"section": "size", "label": "official SDK: the `engagelab` package (pure Python, .py files)", "bytes": tree(["engagelab"])}))
print(json.dumps({"section": "size", "label": "`requests` with urllib3, idna, charset_normalizer, certifi (.py and data files)", "bytes": tree(["requests", "urllib3", "idna", "charset_normalizer", "certifi"])}))
PY
)
  record "$sizes"
}

measure_imports() {
  local m
  for m in engagelab_push engagelab requests httpx; do
    if [ "$m" = engagelab_push ] && [ -n "$py_module_note" ]; then
      record "{\"section\":\"import\",\"client\":\"$m\",\"skipped\":$(json_str "$py_module_note")}"
      continue
    fi
    local line
    if line=$(cd "$out" && ${seq_pin[@]+"${seq_pin[@]}"} "${clean_env[@]}" "$py" - "$m" "$import_runs" <<'PY'
import json, re, statistics, subprocess, sys
mod, runs = sys.argv[1], int(sys.argv[2])
def once():
    p = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {mod}"],
                       capture_output=True, text=True, check=True)
    for line in p.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)$", line)
        if m and m.group(4) == mod and len(m.group(3)) == 1:
            return int(m.group(2)) / 1000.0
    raise SystemExit(f"no import time line for {mod}")
once()  # writes the bytecode caches
times = [once() for _ in range(runs)]
print(json.dumps({"section": "import", "client": mod, "runs": runs,
                  "median_ms": round(statistics.median(times), 3),
                  "min_ms": round(min(times), 3), "max_ms": round(max(times), 3)}))
PY
    ); then
      log "import $m: $line"
      record "$line"
    else
      failures=$((failures + 1))
      record "{\"section\":\"import\",\"client\":\"$m\",\"error\":\"failed\"}"
    fi
  done
}

measure_rss_one() {
  # label, client key, note, command...
  local label=$1 client=$2 note=$3 line
  shift 3
  if [ -n "$note" ]; then
    record "{\"section\":\"rss1\",\"client\":\"$client\",\"label\":$(json_str "$label"),\"skipped\":$(json_str "$note")}"
    return
  fi
  if line=$(cd "$out" && ${seq_pin[@]+"${seq_pin[@]}"} "${clean_env[@]}" "$@" 2>"$out/rss1-$client.stderr" | tail -n 1) &&
     [ "${line:0:1}" = "{" ]; then
    local kb
    kb=$("$py" -c 'import json,sys; print(json.loads(sys.argv[1])["maxrss_kb"])' "$line")
    log "one delete, $client: $kb KiB"
    record "{\"section\":\"rss1\",\"client\":\"$client\",\"label\":$(json_str "$label"),\"maxrss_kb\":$kb}"
  else
    failures=$((failures + 1))
    record "{\"section\":\"rss1\",\"client\":\"$client\",\"label\":$(json_str "$label"),\"error\":\"failed\"}"
  fi
}

# Where the time goes: system calls per call of the Rust core and libcurl
# (strace -f -c over 2000 calls, set-up included), when strace is there.
measure_syscalls() {
  if ! command -v strace >/dev/null; then
    record '{"section":"syscalls","skipped":"strace is not installed"}'
    return
  fi
  local c transport url cafile f n=2000
  for transport in plain tls; do
    if [ "$transport" = tls ]; then url=$tls_url; cafile=$ca; else url=$plain_url; cafile=-; fi
    for c in rust libcurl; do
      [ -n "$(note_of "$c")" ] && continue
      client_cmd "$c" "$url" "$cafile" "$n" 1
      f="$out/strace-$c-$transport.txt"
      # no warm-up: every call is counted
      if [ "$c" = rust ]; then cmd=("${cmd[@]:0:5}" 0); else cmd=("${cmd[@]:0:4}" 0); fi
      if (cd "$out" && "${clean_env[@]}" strace -f -c -o "$f" "${cmd[@]}" >/dev/null 2>&1); then
        record "$("$py" - "$f" "$c" "$transport" "$n" <<'PY'
import json, sys
path, client, transport, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
per = {}
for line in open(path):
    t = line.split()
    if len(t) in (5, 6) and t[0][0].isdigit() and t[-1] != "total":
        per[t[-1]] = int(t[3])
print(json.dumps({"section": "syscalls", "client": client, "transport": transport, "calls": n,
                  "per_call": {k: round(v / n, 2) for k, v in sorted(per.items(), key=lambda kv: -kv[1])},
                  "total_per_call": round(sum(per.values()) / n, 2)}))
PY
)"
      else
        record "{\"section\":\"syscalls\",\"client\":\"$c\",\"transport\":\"$transport\",\"skipped\":\"strace failed (no ptrace here?)\"}"
      fi
    done
  done
}

write_meta() {
  local dtext
  if [ "$quick" = 1 ]; then dtext="${duration} s (quick mode)"; else dtext="${duration} s"; fi
  "$py" - "$out/meta.json" <<PY
import json, os, platform, subprocess, sys, datetime
def sh(cmd):
    p = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    return (p.stdout + p.stderr).strip()
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem = next((l.split(":", 1)[1].strip() for l in open("/proc/meminfo") if l.startswith("MemTotal")), "?")
pkgs = sh("$py -m pip list --format=freeze --disable-pip-version-check 2>/dev/null | grep -iE '^(requests|httpx|engagelab-apppush|engagelab-push|urllib3|httpcore|matplotlib|maturin)=='")
meta = {
    "command": "$command",
    "quick": $quick == 1,
    "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    "cpu": cpu,
    "nproc": sh("nproc"),
    "memory": mem,
    "kernel": platform.release(),
    "os": sh(". /etc/os-release && echo \$PRETTY_NAME"),
    "load_before": "$load_before",
    "rustc": sh("rustc --version"),
    "cc": sh("cc --version | head -n 1"),
    "python": sh("$py --version"),
    "nginx": sh("nginx -v 2>&1 || /usr/sbin/nginx -v").replace("nginx version: ", ""),
    "wrk": sh("wrk -v 2>&1 | head -n 1"),
    "openssl": sh("openssl version"),
    "libcurl": sh("curl-config --version"),
    "python_packages": ", ".join(pkgs.split()),
    "warmup": $warmup,
    "rounds": $rounds,
    "pinned": $pin == 1,
    "duration_text": "$dtext",
    "wrk_duration": "${wrk_duration}s",
    "png_rel": "$png_rel",
}
json.dump(meta, open(sys.argv[1], "w"), indent=1)
PY
}

# ---------------------------------------------------------------- main
mkdir -p "$out"
rm -f "$results" "$out"/*.stderr "$out"/wrk-*.txt
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

install_system
install_python
build_native
install_py_module
log "setup done in $((SECONDS - started)) s"
t_runs=$SECONDS

start_server
write_meta

clients_seq=(rust c-abi py official official-sysca requests httpx libcurl)
clients_threads=(py requests official rust)
for round in $(seq 1 "$rounds"); do
  for transport in tls plain; do
    if [ "$transport" = tls ]; then url=$tls_url; cafile=$ca; else url=$plain_url; cafile=-; fi
    run_wrk "$transport" "$url"
    for c in "${clients_seq[@]}"; do
      [ "$c" = official-sysca ] && [ "$transport" != tls ] && continue
      client_cmd "$c" "$url" "$cafile" "${duration}s" 1
      run_client seq "$transport" "$c" "$(note_of "$c")" -- ${seq_pin[@]+"${seq_pin[@]}"} "${clean_env[@]}" "${cmd[@]}"
    done
    for c in "${clients_threads[@]}"; do
      client_cmd "$c" "$url" "$cafile" "${duration}s" "$threads"
      run_client threads "$transport" "$c" "$(note_of "$c")" -- "${clean_env[@]}" "${cmd[@]}"
    done
  done
done

log "footprint"
measure_sizes
measure_imports
measure_rss_one "C program on libengagelab_push (bench/c/el_one.c)" c-abi "$ffi_note" "$bin/el_one" "$tls_url" "$ca"
measure_rss_one "C program on libcurl (bench/c/curl_one.c)" libcurl "" "$bin/curl_one" "$tls_url" "$ca"
client_cmd rust "$tls_url" "$ca" 1 1
measure_rss_one "Rust program on the core (examples/bench_sequential, 1 call)" rust "$rust_note" "${cmd[@]:0:5}" 0
for c in py official requests httpx; do
  client_cmd "$c" "$tls_url" "$ca" 1 1
  measure_rss_one "Python: \`$(basename "${cmd[1]}")\`, 1 call" "$c" "$(note_of "$c")" "${cmd[@]:0:6}" 0
done

[ "$quick" = 1 ] || measure_syscalls

cleanup; nginx_pid=""; srv=""
log "runs done in $((SECONDS - t_runs)) s"

report_dir=$out
if [ "$quick" = 0 ]; then
  # The raw results of the published run are kept beside the harness.
  mkdir -p bench/results
  cp "$results" "$out/meta.json" bench/results/
  report_dir="$root/bench/results"
fi
"$py" bench/report.py "$report_dir" "$md" "$png"
log "wrote ${md#"$root"/} and ${png#"$root"/}"
log "total $((SECONDS - started)) s"
if [ "$failures" -gt 0 ]; then
  die "$failures measurement(s) failed: see the FAILED rows in ${md#"$root"/} and $out/*.stderr"
fi
