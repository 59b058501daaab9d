"""The benchmark's harness: builds the clients under bench/<language>, starts
nginx on loopback (plain HTTP and TLS, throwaway CA), runs every client and
wrk in rounds, measures the footprint, and writes results.jsonl and meta.json
for bench/report.py. `cargo xtask bench [--quick|--bulk]` builds the project's
artifacts and calls it with their paths:

    .venv-bench/bin/python bench/run.py ARTIFACTS_JSON          # loopback runs
    .venv/bin/python bench/run.py --bulk ARTIFACTS_JSON         # bulk clients, then bench/bulk.py
    .venv-bench/bin/python bench/run.py --in-flight ARTIFACTS_JSON  # bench/in_flight.py

ARTIFACTS_JSON: {"quick", "out" (logs, binaries, results), "lib_dir", "wheel", "rust_bin", "notes": {client group: why
it cannot run}, "java": [java, javac, class path]}. A client whose artifact is
missing is skipped with its note; a client that runs and fails fails the run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEQUENTIAL = ["rust", "c-abi", "py", "official", "official-sysca", "requests", "httpx", "libcurl"]
BINDING_CLIENTS = ["go-binding", "go-nethttp", "node-binding", "node-http", "node-fetch"]
BINDING_CLIENTS += ["java-binding", "java-httpclient", "php-binding", "php-curl"]
THREADED = ["py", "requests", "official", "rust"]
JIT_WARMUP = 2000  # 200 calls leave the JVM interpreting
SCRIPTS = {"py": "engagelab_push_client.py", "official": "official_sdk.py"}
SCRIPTS |= {"official-sysca": "official_sdk.py", "requests": "requests_client.py"}
SCRIPTS["httpx"] = "httpx_client.py"
# No proxies or CA overrides from the machine; no LD_LIBRARY_PATH from `cargo run`.
ENV = {k: v for k, v in os.environ.items() if k.upper() not in {
    "LD_LIBRARY_PATH", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR",
    "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"}}  # fmt: skip
CFLAGS = ["-O2", "-Wall", "-Wextra", "-Werror", "-Iinclude"]


def log(message: str) -> None:
    print(f"== bench: {message}", file=sys.stderr, flush=True)


def sh(argv: list, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in argv], check=False, capture_output=True, text=True, **kw)


def built(argv: list, what: str, out: Path, name: str, **kw) -> str | None:
    """Runs a build; None when it worked, else why (its output in out/build-NAME.log)."""
    p = sh(argv, cwd=kw.pop("cwd", ROOT), **kw)
    if p.returncode == 0:
        return None
    (out / f"build-{name}.log").write_text(p.stdout + p.stderr)
    return f"{what} failed (see {out / f'build-{name}.log'})"


class Run:
    def __init__(self, art: dict) -> None:
        self.art, self.quick = art, art["quick"]
        self.notes: dict[str, str] = dict(art["notes"])
        self.out = Path(art["out"])
        self.bin = self.out / "bin"
        self.bin.mkdir(parents=True, exist_ok=True)
        self.pin = (os.cpu_count() or 1) >= 2 and os.environ.get("BENCH_PIN") != "0"
        self.seconds, self.wrk_seconds = (0.5, 1) if self.quick else (5.0, 5)
        self.warmup, self.import_runs = (50, 5) if self.quick else (200, 21)
        self.rounds, self.threads = (1 if self.quick else 3), 8
        self.failures = 0
        self.server: Server

    def record(self, row: dict, failed: bool = False) -> None:
        self.failures += failed
        with (self.out / "results.jsonl").open("a") as f:
            f.write(json.dumps(row) + "\n")

    def build(self) -> None:
        """The project's wheel; the C clients, and (full runs) the Go, Node and Java ones."""
        if self.art.get("wheel"):
            pip = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
            pip += ["--no-deps", "--force-reinstall", self.art["wheel"]]
            check = [sys.executable, "-c", "import engagelab_push; engagelab_push.Client"]
            why = built(pip, "pip install of the wheel", self.out, "python-module") or built(
                check, "import engagelab_push", self.out, "python-module", cwd=self.out
            )
            if why:
                self.notes["py"] = why
        lib = self.art["lib_dir"]
        link = [f"-L{lib}", f"-Wl,-rpath,{lib}", "-lengagelab_push"]
        for name in ["curl_bench", "curl_one", "el_bench", "el_one"]:
            flags = ["-lcurl"] if name.startswith("curl") else link
            if name.startswith("el") and not lib:
                continue
            why = built(["cc", "-std=c99", *CFLAGS, f"bench/c/{name}.c", *flags, "-o", self.bin / name],
                        f"cc bench/c/{name}.c", self.out, name)  # fmt: skip
            if why:
                self.notes["libcurl" if name.startswith("curl") else "c-abi"] = why
        if self.quick:
            return
        if "go" not in self.notes:
            env = ENV | {"ENGAGELAB_LIB_DIR": str(lib)}
            for exe, pkg in [("go_bench", "."), ("go_bulk", "./bulk")]:
                argv = ["go", "build", "-o", self.bin / exe, pkg]
                why = built(
                    argv, "go build (bench/go)", self.out, "go", cwd=ROOT / "bench/go", env=env
                )
                if why:
                    self.notes["go"] = why
        if "java" not in self.notes:
            javac, cp = self.art["java"][1], self.java_cp()
            sources = sorted((ROOT / "bench/java").glob("*.java"))
            why = built([javac, "-cp", cp, "-d", self.out / "java-bench", *sources], "javac bench/java",
                        self.out, "java")  # fmt: skip
            if why:
                self.notes["java"] = why

    def note(self, client: str) -> str | None:
        if client == "official-sysca" and not isinstance(self.server.system_ca, Path):
            return self.server.system_ca
        group = {"go": "go", "no": "node", "ja": "java", "ph": "php"}.get(client[:2], client)
        return self.notes.get(group)

    def command(self, client: str, transport: str, amount: str, threads: int, warmup: int) -> list:
        """AMOUNT (calls, or seconds as `Ns`), the URL, the CA file (`-`: none), threads, warm-up."""
        url, ca = self.server.endpoint(transport)
        py = [sys.executable, ROOT / "bench/python" / SCRIPTS.get(client, "")]
        if client == "official-sysca":
            ca, warmup = str(self.server.system_ca), min(warmup, 20)  # tens of ms a call
        if client.startswith("go-"):
            impl = "binding" if client == "go-binding" else "nethttp"
            cmd = [
                self.bin / "go_bench",
                "-impl",
                impl,
                "-url",
                url,
                "-seconds",
                amount.rstrip("s"),
            ]
            cmd += ["-app-key", "bench-app-key", "-master-secret", "bench-master-secret"]
            return cmd + (["-ca", ca] if ca != "-" else [])
        if client.startswith(("node-", "java-")):
            warmup = max(warmup, JIT_WARMUP)
        cmd = {
            "rust": [self.art["rust_bin"]],
            "c-abi": [self.bin / "el_bench"],
            "libcurl": [self.bin / "curl_bench"],
            "node-binding": ["node", ROOT / "bench/node/delete.mjs", "engagelab"],
            "node-http": ["node", ROOT / "bench/node/delete.mjs", "http"],
            "node-fetch": ["node", ROOT / "bench/node/delete.mjs", "fetch"],
            "java-binding": self.java("Bench", "engagelab"),
            "java-httpclient": self.java("Bench", "httpclient"),
            "php-binding": ["php", "-d", "ffi.enable=1", ROOT / "bench/php/el_bench.php"],
            "php-curl": ["php", ROOT / "bench/php/curl_bench.php"],
        }.get(client, py)
        cmd = cmd + [amount, url, ca]
        if client not in ("c-abi", "libcurl") and client not in BINDING_CLIENTS:
            cmd.append(threads)
        return cmd + [warmup]

    def java(self, cls: str, *args: str) -> list:
        cp = os.pathsep.join([str(self.out / "java-bench"), self.java_cp()])
        java = self.art["java"][0] if self.art["java"] else "java"
        return [java, "-cp", cp, f"io.github.engagelabpush.bench.{cls}", *args]

    def java_cp(self) -> str:
        """The binding's classes and runtime jars (JNA), from `mvn package` in bindings/java."""
        target = Path(self.art["java"][2]) if self.art["java"] else ROOT / "bindings/java/target"
        return os.pathsep.join(
            map(str, [target / "classes", *sorted((target / "lib").glob("*.jar"))])
        )

    def process(self, argv: list, pinned: bool) -> subprocess.CompletedProcess:
        """The client as a child of a small shell: Linux keeps a process's peak RSS (ru_maxrss)
        across fork and exec, so started straight from this interpreter it would report ours."""
        pre = ["taskset", "-c", "1"] if pinned and self.pin else []
        shell = ["sh", "-c", '"$@"; exit $?', "sh"]
        return sh(shell + pre + argv, cwd=self.out, env=ENV, stdin=subprocess.DEVNULL)

    def round(self, n: int) -> None:
        amount = f"{self.seconds}s"
        for transport in ["tls", "plain"]:
            self.wrk(n, transport)
            for client in SEQUENTIAL + ([] if self.quick else BINDING_CLIENTS):
                if client != "official-sysca" or transport == "tls":
                    argv = self.command(client, transport, amount, 1, self.warmup)
                    self.client(n, "seq", transport, client, argv, True)
            for client in THREADED:
                argv = self.command(client, transport, amount, self.threads, self.warmup)
                self.client(n, "threads", transport, client, argv, False)

    def client(
        self, n: int, section: str, transport: str, client: str, argv: list, pin: bool
    ) -> None:
        row = {"section": section, "transport": transport, "client": client, "round": n}
        note = self.note(client)
        if note:
            log(f"{section} {transport} {client}: SKIPPED ({note})")
            return self.record(row | {"skipped": note})
        p = self.process(argv, pin)
        (self.out / f"{section}-{transport}-{client}-{n}.stderr").write_text(p.stderr)
        result = last_json(p.stdout)
        if p.returncode == 0 and result and not result.get("errors"):
            result = normalise(result)
            log(f"round {n}: {section} {transport} {client}: {json.dumps(result)}")
            return self.record(row | {"result": result})
        why = " ".join(p.stderr.splitlines()[-3:])[:300]
        log(f"round {n}: {section} {transport} {client}: FAILED: {why}")
        self.record(row | {"error": f"failed: {why}"}, failed=True)

    def wrk(self, n: int, transport: str) -> None:
        url, _ = self.server.endpoint(transport)
        argv = ["wrk", "-t1", "-c1", f"-d{self.wrk_seconds}s", "--latency"]
        p = self.process(argv + ["-s", ROOT / "bench/wrk_delete.lua", f"{url}/"], True)
        (self.out / f"wrk-{transport}-{n}.txt").write_text(p.stdout)
        row = {"section": "wrk", "transport": transport, "client": "wrk", "round": n}
        result = last_json(p.stdout)
        if result and not result.get("errors"):
            log(f"round {n}: wrk {transport}: {json.dumps(result)}")
            return self.record(row | {"result": result})
        log(f"wrk {transport}: FAILED: {p.stdout}{p.stderr}")
        self.record(row | {"error": "wrk failed"}, failed=True)

    def footprint(self) -> None:
        """Sizes, import times, the peak RSS of one delete, system calls per call."""
        stripped = self.server.dir / "stripped"

        def size(label: str, path: str) -> None:
            subprocess.run(["strip", "--strip-all", "-o", stripped, path], check=True)
            self.record({"section": "size", "label": label, "bytes": stripped.stat().st_size})

        lib = self.art["lib_dir"]
        if lib and "c-abi" not in self.notes:
            real = min(Path(lib).glob("libengagelab_push.so.*.*.*"))
            size(
                "libengagelab_push.so, stripped (C ABI; rustls + ring inside, no other dependency)",
                real,
            )
        else:
            why = self.notes.get("c-abi", "not built")
            self.record(
                {"section": "size", "label": "libengagelab_push.so, stripped", "skipped": why}
            )
        if "py" not in self.notes:
            import engagelab_push._engagelab_push as m

            size(f"Python extension {Path(m.__file__).name}, stripped", m.__file__)
        ldd = sh(["ldd", self.bin / "curl_bench"]).stdout.split("\n")
        libs = [
            t[2]
            for t in map(str.split, ldd)
            if len(t) > 2 and t[0].startswith(("libcurl", "libssl", "libcrypto"))
        ]
        label = f"for comparison: {' '.join(Path(p).name for p in libs)} (libcurl and its TLS, as installed; more libraries load with them)"
        self.record(
            {"section": "size", "label": label, "bytes": sum(os.path.getsize(p) for p in libs)}
        )
        for label, modules in PACKAGES.items():
            self.record({"section": "size", "label": label, "bytes": sum(map(tree, modules))})
        for module in ["engagelab_push", "engagelab", "requests", "httpx"]:
            if module == "engagelab_push" and "py" in self.notes:
                self.record({"section": "import", "client": module, "skipped": self.notes["py"]})
                continue
            try:
                self.record(import_time(module, self.import_runs, self.pin))
            except (subprocess.CalledProcessError, LookupError):
                self.record({"section": "import", "client": module, "error": "failed"}, failed=True)
        tls, ca = self.server.endpoint("tls")
        self.rss_one(
            "c-abi",
            "C program on libengagelab_push (bench/c/el_one.c)",
            [self.bin / "el_one", tls, ca],
        )
        self.rss_one(
            "libcurl", "C program on libcurl (bench/c/curl_one.c)", [self.bin / "curl_one", tls, ca]
        )
        label = "Rust program on the core (bench/rust/bench.rs, 1 call)"
        self.rss_one("rust", label, self.command("rust", "tls", "1", 1, 0))
        for client in ["py", "official", "requests", "httpx"]:
            label = f"Python: `{SCRIPTS[client]}`, 1 call"
            self.rss_one(client, label, self.command(client, "tls", "1", 1, 0))
        if not self.quick:
            self.syscalls()

    def rss_one(self, client: str, label: str, argv: list) -> None:
        row = {"section": "rss1", "client": client, "label": label}
        if self.note(client):
            return self.record(row | {"skipped": self.note(client)})
        p = self.process(argv, True)
        (self.out / f"rss1-{client}.stderr").write_text(p.stderr)
        kb = (last_json(p.stdout) or {}).get("maxrss_kb")
        if kb is None:
            return self.record(row | {"error": "failed"}, failed=True)
        log(f"one delete, {client}: {kb} KiB")
        self.record(row | {"maxrss_kb": kb})

    def syscalls(self, calls: int = 2000) -> None:
        """`strace -f -c` over 2000 calls (no warm-up, set-up included) of the core and libcurl."""
        if not shutil.which("strace"):
            return self.record({"section": "syscalls", "skipped": "strace is not installed"})
        for transport in ["plain", "tls"]:
            for client in ["rust", "libcurl"]:
                if self.note(client):
                    continue
                file = self.out / f"strace-{client}-{transport}.txt"
                argv = ["strace", "-f", "-c", "-o", file] + self.command(
                    client, transport, str(calls), 1, 0
                )
                row = {"section": "syscalls", "client": client, "transport": transport}
                if self.process(argv, False).returncode != 0 or not file.exists():
                    self.record(row | {"skipped": "strace failed (no ptrace here?)"})
                    continue
                per = {t[-1]: int(t[3]) for t in map(str.split, file.read_text().splitlines())
                       if len(t) in (5, 6) and t[0][:1].isdigit() and t[-1] != "total"}  # fmt: skip
                per_call = {k: round(v / calls, 2) for k, v in sorted(per.items())}
                total = round(sum(per.values()) / calls, 2)
                self.record(row | {"calls": calls, "per_call": per_call, "total_per_call": total})

    def meta(self, load_before: str) -> dict:
        def first(*argv: str, whole: bool = False) -> str:
            try:
                p = sh(list(argv))
            except OSError:
                return f"{argv[0]}: not found"
            text = (p.stdout or p.stderr).strip()
            return text if whole else (text.splitlines() or [""])[0]

        def field(file: str, key: str) -> str:
            lines = [
                v
                for k, _, v in (x.partition(":") for x in Path(file).read_text().splitlines())
                if k.strip() == key
            ]
            return lines[0].strip() if lines else "?"

        os_name = re.search(
            r'^PRETTY_NAME="?([^"\n]*)', Path("/etc/os-release").read_text(), re.MULTILINE
        )
        wanted = {"requests", "httpx", "engagelab-apppush", "engagelab-push", "urllib3", "httpcore"}
        wanted |= {"matplotlib", "maturin"}
        pkgs = json.loads(
            sh(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "list",
                    "--format=json",
                    "--disable-pip-version-check",
                ]
            ).stdout
        )
        found = sorted(
            f"{p['name'].lower()}=={p['version']}"
            for p in pkgs
            if p["name"].lower().replace("_", "-") in wanted
        )
        return {
            "command": "cargo xtask bench --quick"
            if self.quick
            else "make bench   # = cargo xtask bench",
            "quick": self.quick,
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "cpu": field("/proc/cpuinfo", "model name"),
            "nproc": str(os.cpu_count()),
            "memory": field("/proc/meminfo", "MemTotal"),
            "kernel": Path("/proc/sys/kernel/osrelease").read_text().strip(),
            "os": os_name.group(1) if os_name else "?",
            "load_before": load_before,
            "rustc": first("rustc", "--version", whole=True),
            "cc": first("cc", "--version"),
            "python": first(sys.executable, "--version", whole=True),
            "nginx": first(nginx(), "-v", whole=True).replace("nginx version: ", ""),
            "wrk": first("wrk", "-v"),
            "openssl": first("openssl", "version", whole=True),
            "libcurl": first("curl-config", "--version", whole=True),
            "python_packages": ", ".join(found),
            "warmup": self.warmup,
            "rounds": self.rounds,
            "pinned": self.pin,
            "duration_text": f"{self.seconds} s (quick mode)"
            if self.quick
            else f"{self.seconds} s",
            "wrk_duration": f"{self.wrk_seconds}s",
            "png_rel": "calls_per_sec.png" if self.quick else "bench/calls_per_sec.png",
        }


PACKAGES = {
    "official SDK: the `engagelab` package (pure Python, .py files)": ["engagelab"],
    "`requests` with urllib3, idna, charset_normalizer, certifi (.py and data files)": [
        "requests", "urllib3", "idna", "charset_normalizer", "certifi"],
}  # fmt: skip


def tree(name: str) -> int:
    """The bytes of a module's files (.py and data), caches left out."""
    import importlib.util

    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        return 0
    top = os.path.dirname(spec.origin) if spec.submodule_search_locations else spec.origin
    walk = [(d, fs) for d, _, fs in os.walk(top) if "__pycache__" not in d] or [("", [top])]
    return sum(os.path.getsize(os.path.join(d, f)) for d, fs in walk for f in fs)


def import_time(module: str, runs: int, pin: bool) -> dict:
    """`python -X importtime -c 'import MODULE'`'s cumulative time, after one run that writes the caches."""

    def once() -> float:
        pre = ["taskset", "-c", "1"] if pin else []
        err = subprocess.run(pre + [sys.executable, "-X", "importtime", "-c", f"import {module}"],
                             capture_output=True, text=True, check=True, env=ENV).stderr  # fmt: skip
        for m in re.finditer(r"^import time:\s+\d+ \|\s+(\d+) \|(\s*)(\S+)$", err, re.MULTILINE):
            if m.group(3) == module and len(m.group(2)) == 1:
                return int(m.group(1)) / 1000.0
        raise LookupError(module)

    once()
    t = [once() for _ in range(runs)]
    log(f"import {module}: {statistics.median(t)} ms")
    return {"section": "import", "client": module, "runs": runs, "median_ms": round(statistics.median(t), 3),
            "min_ms": round(min(t), 3), "max_ms": round(max(t), 3)}  # fmt: skip


def nginx() -> str:
    return shutil.which("nginx") or "/usr/sbin/nginx"


class Server:
    """nginx (bench/nginx.conf.in) on two loopback ports, plain HTTP and TLS, with a throwaway CA."""

    def __init__(self, pin: bool) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="bench-server-"))
        self.dir.chmod(0o755)  # nginx's worker may run as another user
        log(f"throwaway CA and server certificate in {self.dir}")
        self.certificates()
        self.ca = self.dir / "ca.crt"
        self.system_ca = self.system_plus_bench_ca()
        ports = []
        for _ in range(2):
            import socket

            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            ports.append((s, s.getsockname()[1]))
        conf = (ROOT / "bench/nginx.conf.in").read_text()
        for k, v in {"@DIR@": self.dir, "@PLAIN_PORT@": ports[0][1], "@TLS_PORT@": ports[1][1],
                     "@AFFINITY@": "worker_cpu_affinity 01;" if pin else ""}.items():  # fmt: skip
            conf = conf.replace(k, str(v))
        for s, _ in ports:
            s.close()
        (self.dir / "nginx.conf").write_text(conf)
        self.plain_url, self.tls_url = (
            f"{s}://127.0.0.1:{p}" for s, p in zip(["http", "https"], [p for _, p in ports])
        )
        with (self.dir / "nginx.out").open("w") as out:
            args = [nginx(), "-p", self.dir, "-c", self.dir / "nginx.conf"]
            self.nginx = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        ctx = ssl.create_default_context(cafile=str(self.ca))
        for _ in range(100):
            try:
                for url in [self.plain_url, self.tls_url]:
                    req = urllib.request.Request(url + "/v4/devices/probe", method="DELETE")
                    urllib.request.urlopen(req, timeout=2, context=ctx).close()
                log(f"nginx (pid {self.nginx.pid}) at {self.plain_url} and {self.tls_url}")
                return
            except OSError:
                if self.nginx.poll() is not None:
                    break
                time.sleep(0.1)
        for name in ["nginx.out", "error.log"]:
            if (self.dir / name).exists():
                print((self.dir / name).read_text(), file=sys.stderr)
        self.stop()
        sys.exit("nginx did not start")

    def certificates(self) -> None:
        """ca.key/ca.crt (a CA for 2 days) and server.key/server.crt for 127.0.0.1 and localhost."""
        (self.dir / "server.ext").write_text(
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
            "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n"
        )
        for args in [
            "ecparam -name prime256v1 -genkey -noout -out ca.key",
            (
                "req -x509 -new -key ca.key -sha256 -days 2 -subj /CN=engagelab-push-bench-throwaway-CA "
                "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -out ca.crt"
            ),
            "ecparam -name prime256v1 -genkey -noout -out server.key",
            "req -new -key server.key -subj /CN=localhost -out server.csr",
            (
                "x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -sha256 "
                "-extfile server.ext -out server.crt"
            ),
        ]:
            subprocess.run(
                ["openssl", *args.split()], cwd=self.dir, check=True, capture_output=True
            )

    def system_plus_bench_ca(self) -> Path | str:
        """OpenSSL's default CA file (what the official SDK loads per call in real use) plus the bench CA."""
        openssl_dir = sh(["openssl", "version", "-d"]).stdout.split(":", 1)[-1].strip().strip('"')
        bundle = Path(openssl_dir) / "cert.pem"
        if not bundle.is_file():
            return f"no system CA file ({bundle})"
        out = self.dir / "system-plus-bench-ca.pem"
        out.write_bytes(bundle.read_bytes() + self.ca.read_bytes())
        return out

    def endpoint(self, transport: str) -> tuple[str, str]:
        return (self.tls_url, str(self.ca)) if transport == "tls" else (self.plain_url, "-")

    def stop(self) -> None:
        self.nginx.send_signal(3)  # SIGQUIT: a graceful stop
        try:
            self.nginx.wait(5)
        except subprocess.TimeoutExpired:
            self.nginx.kill()
            self.nginx.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def last_json(stdout: str) -> dict | None:
    lines = [x for x in stdout.splitlines() if x.strip()]
    try:
        value = json.loads(lines[-1]) if lines else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def normalise(r: dict) -> dict:
    """The Go and Node clients' fields (calls_per_sec, seconds, p50_us, rss_mib) as the harness's."""
    if "calls_per_s" in r or "calls_per_sec" not in r:
        return r
    for a, b in [("calls_per_sec", "calls_per_s"), ("seconds", "wall_s"), ("p50_us", "median_us")]:
        if a in r:
            r[b] = r.pop(a)
    if "rss_mib" in r:
        r["maxrss_kb"] = round(r.pop("rss_mib") * 1024)
    if r.get("calls"):
        r["mean_us"] = round(r.get("wall_s", 0) * 1e8 / r["calls"]) / 100
    return {"threads": 1, "errors": 0} | r


def main(art: dict) -> None:
    started = time.time()
    load_before = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    run = Run(art)
    for f in run.out.glob("*.stderr"):
        f.unlink()
    (run.out / "results.jsonl").unlink(missing_ok=True)
    run.build()
    run.server = Server(run.pin)
    try:
        (run.out / "meta.json").write_text(json.dumps(run.meta(load_before), indent=2))
        for n in range(1, run.rounds + 1):
            run.round(n)
        log("footprint")
        run.footprint()
    finally:
        run.server.stop()
    log(f"runs done in {time.time() - started:.0f} s")
    report = run.out
    if not run.quick:  # the published run's raw results stay beside the harness
        report = ROOT / "bench/results"
        for name in ["results.jsonl", "meta.json"]:
            shutil.copy(run.out / name, report / name)
    md = run.out / "BENCHMARKS.md" if run.quick else ROOT / "BENCHMARKS.md"
    png = run.out / "calls_per_sec.png" if run.quick else ROOT / "bench/calls_per_sec.png"
    subprocess.run([sys.executable, ROOT / "bench/report.py", report, md, png], check=True)
    log(f"wrote {md} and {png}")
    if run.failures:
        sys.exit(
            f"{run.failures} measurement(s) failed: see the FAILED rows in {md} and {run.out}/*.stderr"
        )


def bulk(art: dict) -> None:
    """Each language's bulk client over the C ABI, then bench/bulk.py and the report."""
    run = Run(art | {"quick": False})
    lib, commands = art["lib_dir"], {}
    for lang, cc, std in [("c", "cc", "-std=c99"), ("cpp", "c++", "-std=c++17")]:
        exe, src = run.bin / f"el_bulk_{lang}", f"bench/c/el_bulk.{lang}"
        link = [f"-L{lib}", f"-Wl,-rpath,{lib}", "-lengagelab_push", "-o", exe]
        commands[lang] = built([cc, std, *CFLAGS, src, *link], f"{cc} {src}", run.out, lang) or [
            str(exe)
        ]
    run.build()
    commands["go"] = run.notes.get("go") or [str(run.bin / "go_bulk")]
    commands["node"] = run.notes.get("node") or ["node", str(ROOT / "bench/node/bulk.mjs")]
    commands["java"] = run.notes.get("java") or [str(a) for a in run.java("BulkBench")]
    clients = run.out / "bulk-clients.json"
    clients.write_text(json.dumps(commands))
    results, py = ROOT / "bench/results", sys.executable
    subprocess.run(
        [py, ROOT / "bench/bulk.py", results, ROOT / "bench/bulk_deletions.svg", clients],
        check=True,
    )
    subprocess.run([py, ROOT / "bench/report.py", results, ROOT / "BENCHMARKS.md", ROOT / "bench/calls_per_sec.png"],
                   check=True)  # fmt: skip


if __name__ == "__main__":
    if sys.argv[1:2] == ["--bulk"]:
        bulk(json.loads(Path(sys.argv[2]).read_text()))
    elif sys.argv[1:2] == ["--in-flight"]:
        import in_flight

        in_flight.main(json.loads(Path(sys.argv[2]).read_text()))
        subprocess.run([sys.executable, ROOT / "bench/report.py", ROOT / "bench/results", ROOT / "BENCHMARKS.md",
                        ROOT / "bench/calls_per_sec.png"], check=True)  # fmt: skip
    elif len(sys.argv) == 2:
        main(json.loads(Path(sys.argv[1]).read_text()))
    else:
        sys.exit(__doc__)
