"""The in-flight benchmark: calls that complete on the library's own threads
(Python's AsyncClient, Node's calls, Java's deleteDeviceAsync) with 1 and 64
calls in flight, against each language's own asynchronous HTTP clients and
against the C ABI called from as many threads. `cargo xtask bench --in-flight`
runs it through bench/run.py (which builds the clients and starts nginx) and
writes bench/results/in_flight.json; bench/report.py turns that into the
"Calls in flight" section of BENCHMARKS.md and rows of its Targets table.
Then bench/responsive.py measures how the host fares while calls are in flight.
"""

from __future__ import annotations

import datetime
import json
import platform
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECONDS, ROUNDS, WARMUP, TRANSPORT = 5, 3, 2000, "tls"
# (client, in flight): what each row measures.
CLIENTS = [
    ("c-abi", 1), ("c-abi", 64),
    ("py-async", 1), ("py-async", 64), ("py-httpx", 1), ("py-httpx", 64),
    ("py-aiohttp", 1), ("py-aiohttp", 64),
    ("node-binding", 1), ("node-binding", 64), ("node-http", 1), ("node-http", 64),
    ("node-fetch", 1), ("node-fetch", 64),
    ("java-async", 64), ("java-httpclient", 64),
]  # fmt: skip
WHO = {
    "c-abi": "C ABI (`el_delete_device`), one thread per call in flight",
    "py-async": "Python `engagelab_push.AsyncClient`",
    "py-httpx": "Python `httpx.AsyncClient`",
    "py-aiohttp": "Python `aiohttp.ClientSession`",
    "node-binding": "Node.js engagelab-push",
    "node-http": "Node.js `https` with a keep-alive Agent",
    "node-fetch": "Node.js `fetch` (undici)",
    "java-async": "Java `deleteDeviceAsync` (`CompletableFuture`)",
    "java-httpclient": "Java `HttpClient.sendAsync`",
}


def command(run, client: str, n: int, url: str, ca: str) -> list:
    """The client's command line for `n` in flight over SECONDS."""
    py = [sys.executable, ROOT / "bench/python/async_clients.py"]
    node = ["node", ROOT / "bench/node/delete.mjs"]
    return {
        "c-abi": [run.bin / "el_threads", SECONDS, url, ca, n, WARMUP],
        "py-async": [*py, "engagelab", SECONDS, url, ca, n, WARMUP],
        "py-httpx": [*py, "httpx", SECONDS, url, ca, n, WARMUP],
        "py-aiohttp": [*py, "aiohttp", SECONDS, url, ca, n, WARMUP],
        "node-binding": [*node, "engagelab", f"{SECONDS}s", url, ca, WARMUP, n],
        "node-http": [*node, "http", f"{SECONDS}s", url, ca, WARMUP, n],
        "node-fetch": [*node, "fetch", f"{SECONDS}s", url, ca, WARMUP, n],
        "java-async": run.java(
            "AsyncBench", "engagelab", str(SECONDS), url, ca, str(n), str(WARMUP)
        ),
        "java-httpclient": run.java(
            "AsyncBench", "httpclient", str(SECONDS), url, ca, str(n), str(WARMUP)
        ),
    }[client]


def measure(run, server, built) -> dict:
    """Every client ROUNDS times, rounds interleaved; the calls per second of each."""
    from run import last_json, sh

    url, ca = server.endpoint(TRANSPORT)
    per: dict[str, list[float]] = {}
    notes: dict[str, str] = {}
    for rnd in range(1, ROUNDS + 1):
        for client, n in CLIENTS:
            key = f"{client}@{n}"
            why = built.get(client.split("-")[0]) or run.note(client)
            if why:
                notes[key] = why
                continue
            p = sh(command(run, client, n, url, ca))
            r = last_json(p.stdout)
            rate = r and (r.get("calls_per_sec") or r.get("calls_per_s"))
            if p.returncode != 0 or not rate:
                (run.out / f"in-flight-{key}.stderr").write_text(p.stdout + p.stderr)
                notes[key] = f"failed (exit {p.returncode}; see bench/out/in-flight-{key}.stderr)"
                run.failures += 1
                continue
            per.setdefault(key, []).append(float(rate))
            print(f"== in-flight round {rnd}: {key}: {rate:,.0f}/s", file=sys.stderr, flush=True)
    return {"rates": per, "notes": notes}


def main(art: dict) -> None:
    """Builds what the clients need, runs them against nginx, writes in_flight.json."""
    sys.path.insert(0, str(ROOT / "bench"))
    import responsive
    from run import CFLAGS, Run, Server, built

    run = Run(art | {"quick": False})
    run.build()
    lib = art["lib_dir"]
    link = [f"-L{lib}", f"-Wl,-rpath,{lib}", "-lengagelab_push", "-lpthread"]
    argv = ["cc", "-std=c99", *CFLAGS, "bench/c/el_threads.c", *link, "-o", run.bin / "el_threads"]
    why = {"c": built(argv, "cc bench/c/el_threads.c", run.out, "el_threads")}
    server = Server(run.pin)
    try:
        data = measure(run, server, why)
    finally:
        server.stop()
    data |= {
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores",
        "command": "cargo xtask bench --in-flight",
        "seconds": SECONDS,
        "rounds": ROUNDS,
        "transport": TRANSPORT,
    }
    out = ROOT / "bench/results/in_flight.json"
    out.write_text(json.dumps(data, indent=1) + "\n")
    print(f"== wrote {out}", file=sys.stderr)
    responsive.main(run)
    if run.failures:
        sys.exit(f"{run.failures} in-flight measurement(s) failed")


def median(data: dict, key: str) -> float | None:
    rates = data["rates"].get(key)
    return statistics.median(rates) if rates else None


def section(data: dict) -> list[str]:
    """The "Calls in flight" section of BENCHMARKS.md."""
    L = ["## Calls in flight (asynchronous calls)", ""]
    L.append(
        f"One client per process, deleting over HTTPS against nginx on loopback, with 1 and with 64 "
        f"calls in flight for {data['seconds']} s after {WARMUP} warm-up calls; the median of "
        f"{data['rounds']} rounds, the clients interleaved in each. The C ABI row runs one blocking "
        "call per thread, the baseline the targets compare with. Measured by "
        f"`{data['command']}` on {data['date']} ({data['machine']}); raw figures in "
        "`bench/results/in_flight.json`."
    )
    L.append("")
    L.append("| Client | in flight | calls/s | rounds | of C at the same count |")
    L.append("|---|---:|---:|---|---:|")
    for client, n in CLIENTS:
        key = f"{client}@{n}"
        m, c = median(data, key), median(data, f"c-abi@{n}")
        if m is None:
            L.append(f"| {WHO[client]} | {n} | — | {data['notes'].get(key, 'not run')} | |")
            continue
        rounds = ", ".join(f"{r:,.0f}" for r in data["rates"][key])
        of_c = f"{100 * m / c:.0f}%" if c else ""
        L.append(f"| {WHO[client]} | {n} | {m:,.0f} | {rounds} | {of_c} |")
    L.append("")
    return L


def targets(data: dict | None) -> list[tuple[str, str, str, str]]:
    """(key, target, measured, verdict) rows for the Targets table."""
    if not data:
        return []
    rows = []

    def ratio(key: str, what: str, a: str, b: str, floor: float) -> None:
        x, y = median(data, a), median(data, b)
        if x is None or y is None:
            rows.append((key, what, "not measured", "**not met**"))
            return
        fig = f"{x / y:.2f}× ({x:,.0f} vs {y:,.0f} calls/s)"
        rows.append((key, what, fig, "**met**" if x / y >= floor else "**not met**"))

    ratio("in-flight-node-64", "Node.js, 64 in flight: ≥ 90% of C at 64 threads",
          "node-binding@64", "c-abi@64", 0.90)  # fmt: skip
    ratio("in-flight-py-64", "Python AsyncClient, 64 tasks: ≥ 5× httpx.AsyncClient",
          "py-async@64", "py-httpx@64", 5.0)  # fmt: skip
    ratio("in-flight-node-1", "Node.js, one in flight: ≥ 85% of C sequential",
          "node-binding@1", "c-abi@1", 0.85)  # fmt: skip
    ratio("in-flight-py-1", "Python AsyncClient, one in flight: ≥ 85% of C sequential",
          "py-async@1", "c-abi@1", 0.85)  # fmt: skip
    return rows


if __name__ == "__main__":
    main(json.loads(Path(sys.argv[1]).read_text()))
