"""The bulk-deletion benchmark (issues 10, 23 and 24): `engagelab-push delete`,
`Client.delete_devices` and every language's bulk call over the C ABI against
engagelab-mock behind toxiproxy, which adds 100 ms to every answer, with the
mock limiting the AppKey to 500 requests/s.

    cargo xtask bench --bulk      # builds what it needs, then runs this
    .venv/bin/python bench/bulk.py [RESULTS_DIR] [CHART_SVG] [CLIENTS_JSON]

CLIENTS_JSON (written by `cargo xtask bench --bulk`) maps a language to the
command of its bulk client (which takes IDS_FILE QPS REPORT and reads the
client from ENGAGELAB_*), or to the reason it cannot run.

Needs `target/release/engagelab-push`, `target/release/engagelab-mock`,
`.tools/bin/toxiproxy-server` and this project's module in the interpreter
running it. It measures:

- for both of the mock's limiters (fixed one-second windows; a leaky bucket
  with a burst of 25, as nginx's `limit_req`) and qps at 80% and at 100% of
  the limit: the CLI over 10k ids and the Python API over 5k ids, deletions/s
  over the whole run against qps and the limit, and the share of requests
  answered 429;
- every language at the limit (windows), 5k ids each: C, C++, Go, Node.js
  and Java through the C ABI, with the CLI and Python of the same limiter;
- the CLI's peak RSS (`VmHWM`, read while it runs) for 30k, 300k and 1M ids, a real run at
  `--qps 100000` with `--journal` and `--report`, against the mock with no
  limit and no added latency;
- deletions per second over time during one run (the CLI at the limit,
  windows), read from its report as it grows: bench/bulk_deletions.svg.

Writes RESULTS_DIR/bulk.json (default bench/results) and the chart;
bench/report.py puts them into BENCHMARKS.md (`section`, `targets` below).
"""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = ROOT / "target/release/engagelab-push"
MOCK = ROOT / "target/release/engagelab-mock"
TOXIPROXY = ROOT / ".tools/bin/toxiproxy-server"
APP_KEY = "demo-app-key"
MASTER_SECRET = "demo-master-secret"
LIMIT = 500
BURST = 25
LATENCY_MS = 100
LIMITERS = ("windows", "leaky")
SHARES = (0.8, 1.0)
IDS = {"cli": 10_000, "python": 5_000}
# The languages over the C ABI, each at the limit with fixed windows.
LANGUAGES = ("c", "cpp", "go", "node", "java")
LANGUAGE_IDS = 5_000
# (ids, --concurrency): the default's ceiling, so that the rows differ by ids
# only, and one with few workers for the cost of a worker.
RSS_RUNS = ((30_000, 512), (300_000, 512), (1_000_000, 512), (30_000, 16))
RSS_QPS = 100_000
PY_DRIVER = """
import json, sys
from engagelab_push import Client
url, path, qps, report = sys.argv[1:5]
client = Client("demo-app-key", "demo-master-secret", base_url=url)
s = client.delete_devices(path, qps=int(qps), max_deletions=10**8, report=report)
print(json.dumps(s.to_dict()))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method: str, url: str, body: dict | None = None) -> bytes:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("content-type", "application/json")
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.read()


def wait_for(url: str, seconds: float = 10.0) -> None:
    end = time.monotonic() + seconds
    while True:
        try:
            http("GET", url)
            return
        except OSError:
            if time.monotonic() > end:
                raise
            time.sleep(0.05)


class Servers:
    """engagelab-mock (200 for any id) and toxiproxy in front of it with a
    100 ms latency toxic on every answer."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen] = []
        mock = subprocess.Popen([str(MOCK)], stdout=subprocess.PIPE, text=True)
        self.procs.append(mock)
        self.mock = mock.stdout.readline().strip()
        api_port = free_port()
        self.procs.append(
            subprocess.Popen(
                [str(TOXIPROXY), "-host", "127.0.0.1", "-port", str(api_port)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        api = f"http://127.0.0.1:{api_port}"
        wait_for(f"{api}/version")
        port = free_port()
        upstream = self.mock.removeprefix("http://")
        proxy = {"name": "mock", "listen": f"127.0.0.1:{port}", "upstream": upstream}
        http("POST", f"{api}/proxies", proxy)
        toxic = {"latency": LATENCY_MS, "jitter": 0}
        http(
            "POST",
            f"{api}/proxies/mock/toxics",
            {"name": "latency", "type": "latency", "stream": "downstream", "attributes": toxic},
        )
        self.url = f"http://127.0.0.1:{port}"

    def configure(self, limiter: str | None) -> None:
        """The limiter (a new window, an empty bucket), or none; 200 for any id."""
        http("POST", f"{self.mock}/__mock/reset", {})
        http(
            "POST",
            f"{self.mock}/__mock/config",
            {
                "rate_limit_qps": LIMIT if limiter else None,
                "rate_limit_burst": BURST if limiter == "leaky" else None,
                "unknown_device": {"status": 200, "body": '{"success":true}'},
            },
        )

    def close(self) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            p.wait()


def ids_file(directory: Path, n: int, tag: str) -> Path:
    path = directory / f"ids-{tag}-{n}.txt"
    with path.open("w") as f:
        for i in range(n):
            f.write(f"{tag}{i:012x}\n")
    return path


def run(
    client: str | list[str],
    url: str,
    ids: Path,
    qps: int,
    work: Path,
    extra: tuple[str, ...] = (),
) -> tuple[dict, int, list]:
    """(the run's summary, peak RSS in KiB, [(seconds, deleted)]). `client` is
    "cli", "python" or the command of a language's client."""
    report = work / f"report-{ids.stem}.jsonl"
    if client == "cli":
        argv = [str(CLI), "delete", "--from", str(ids), "--qps", str(qps), "--yes", "--json"]
        argv += ["--max-deletions", "100000000", "--quiet", "--base-url", url]
        argv += ["--report", str(report), "--journal", str(work / f"journal-{ids.stem}")]
        argv += extra
    elif client == "python":
        argv = [sys.executable, "-c", PY_DRIVER, url, str(ids), str(qps), str(report)]
    else:
        argv = [*client, str(ids), str(qps), str(report)]
    env = {**os.environ, "ENGAGELAB_APP_KEY": APP_KEY, "ENGAGELAB_MASTER_SECRET": MASTER_SECRET}
    env["ENGAGELAB_BASE_URL"] = url
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        env.pop(name, None)
    with tempfile.TemporaryFile() as out:
        started = time.monotonic()
        proc = subprocess.Popen(argv, stdout=out, env=env)
        samples: list[tuple[float, int]] = [(0.0, 0)]
        deleted, offset, rest, status, rss = 0, 0, b"", None, 0
        while status is None:
            time.sleep(0.2)
            # VmHWM, the process's own peak: wait4's ru_maxrss would also count
            # the pages of this interpreter the child had before its exec.
            try:
                with open(f"/proc/{proc.pid}/status") as f:
                    hwm = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
                rss = max(rss, hwm)
            except (OSError, StopIteration, ValueError):
                pass
            pid, st, _ = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                status = st
            if report.exists():
                with report.open("rb") as f:
                    f.seek(offset)
                    chunk = f.read()
                offset += len(chunk)
                lines = (rest + chunk).split(b"\n")
                rest = lines.pop()
                deleted += sum(b'"outcome":"deleted"' in line for line in lines)
                samples.append((time.monotonic() - started, deleted))
        out.seek(0)
        text = out.read().decode()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"bulk: {' '.join(argv[:3])} ... exited {code}: {text}")
    # Every client's figures from the same place: the core's summary, the
    # report's last line.
    last = report.read_bytes().rstrip(b"\n").rsplit(b"\n", 1)[-1]
    return json.loads(last)["summary"], rss, samples


def per_second(samples: list[tuple[float, int]]) -> list[tuple[int, int]]:
    """Deletions in each whole second of the run, from the sampled counts."""
    out, last, j = [], 0, 0
    for second in range(1, int(samples[-1][0]) + 2):
        while j < len(samples) - 1 and samples[j + 1][0] <= second:
            j += 1
        out.append((second, samples[j][1] - last))
        last = samples[j][1]
    return out


def svg(bins: list[tuple[int, int]], title: str, path: Path) -> None:
    """A step chart of deletions per second, with the limit as a dashed line."""
    w, h, pad = 720, 260, 40
    top = LIMIT * 1.25
    xs = max(len(bins), 1)

    def x(s: float) -> float:
        return pad + (w - 2 * pad) * s / xs

    def y(v: float) -> float:
        return h - pad - (h - 2 * pad) * min(v, top) / top

    points = []
    for s, n in bins:
        points += [f"{x(s - 1):.1f},{y(n):.1f}", f"{x(s):.1f},{y(n):.1f}"]
    ticks = "".join(
        f'<text x="{pad - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v}</text>'
        for v in range(0, int(top) + 1, 100)
    )
    path.write_text(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        f'font-family="sans-serif" font-size="11">'
        f'<rect width="{w}" height="{h}" fill="white"/>'
        f'<text x="{w / 2}" y="16" text-anchor="middle" font-size="13">{title}</text>{ticks}'
        f'<line x1="{pad}" y1="{y(0)}" x2="{w - pad}" y2="{y(0)}" stroke="#888"/>'
        f'<line x1="{pad}" y1="{y(LIMIT):.1f}" x2="{w - pad}" y2="{y(LIMIT):.1f}" '
        f'stroke="#d1242f" stroke-dasharray="6,4"/>'
        f'<text x="{w - pad}" y="{y(LIMIT) - 4:.1f}" text-anchor="end" fill="#d1242f">'
        f"server limit {LIMIT}/s</text>"
        f'<polyline fill="none" stroke="#0969da" stroke-width="1.5" points="{" ".join(points)}"/>'
        f'<text x="{w / 2}" y="{h - 8}" text-anchor="middle">seconds since start '
        f"(deletions in each second)</text></svg>\n"
    )


def measured(
    client: str,
    command: str | list[str],
    limiter: str,
    qps: int,
    n: int,
    servers: Servers,
    work: Path,
) -> dict:
    """One run of `client` against a fresh limiter, as a row of bulk.json."""
    servers.configure(limiter)
    ids = ids_file(work, n, f"{client}{limiter[0]}{qps}x")
    s, maxrss, samples = run(command, servers.url, ids, qps, work)
    requests = s["deleted"] + s["not_found"] + s["failed"] + s["rate_limited"]
    row = {
        "client": client,
        "limiter": limiter,
        "qps": qps,
        "ids": n,
        "summary": s,
        "rate_per_s": s["rate_per_s"],
        "of_qps": round(s["rate_per_s"] / qps, 4),
        "of_limit": round(s["rate_per_s"] / LIMIT, 4),
        "requests": requests,
        "rate_limited_share": round(s["rate_limited"] / requests, 5),
        "maxrss_kb": maxrss,
        "per_second": per_second(samples),
    }
    shown = {k: v for k, v in row.items() if k != "per_second"}
    print(f"bulk: {json.dumps(shown)}", file=sys.stderr)
    return row


def main() -> None:
    results = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "bench/results"
    chart = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "bench/bulk_deletions.svg"
    commands = json.loads(Path(sys.argv[3]).read_text()) if len(sys.argv) > 3 else {}
    for path in (CLI, MOCK, TOXIPROXY):
        if not path.exists():
            sys.exit(f"bulk: {path} is missing: run `cargo xtask bench --bulk`")
    work = Path(tempfile.mkdtemp(prefix="bulk-bench-"))
    servers = Servers()
    runs, rss, languages, skipped = [], [], [], {}
    try:
        print(f"bulk: mock {servers.mock}, through toxiproxy {servers.url}", file=sys.stderr)
        for limiter in LIMITERS:
            for share in SHARES:
                for client, n in IDS.items():
                    qps = round(LIMIT * share)
                    runs.append(measured(client, client, limiter, qps, n, servers, work))
        for lang in LANGUAGES:
            command = commands.get(lang, "not built (run `cargo xtask bench --bulk`)")
            if isinstance(command, str):
                skipped[lang] = command
                print(f"bulk: {lang} skipped: {command}", file=sys.stderr)
                continue
            languages.append(measured(lang, command, "windows", LIMIT, LANGUAGE_IDS, servers, work))
        for n, workers in RSS_RUNS:
            servers.configure(None)
            ids = ids_file(work, n, f"rss{workers}x")
            extra = ("--concurrency", str(workers))
            s, maxrss, _ = run("cli", servers.mock, ids, RSS_QPS, work, extra)
            rss.append(
                {
                    "ids": n,
                    "concurrency": workers,
                    "maxrss_kb": maxrss,
                    "elapsed_s": s["elapsed_s"],
                    "rate_per_s": s["rate_per_s"],
                }
            )
            print(f"bulk: RSS {rss[-1]}", file=sys.stderr)
    finally:
        servers.close()
    shown = next(
        r for r in runs if r["client"] == "cli" and r["limiter"] == "windows" and r["qps"] == LIMIT
    )
    out = {
        "limit_qps": LIMIT,
        "burst": BURST,
        "added_latency_ms": LATENCY_MS,
        "runs": runs,
        "languages": languages,
        "skipped": skipped,
        "rss": rss,
        "rss_qps": RSS_QPS,
        "chart": {k: shown[k] for k in ("client", "limiter", "qps", "ids")},
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "command": "cargo xtask bench --bulk",
    }
    results.mkdir(parents=True, exist_ok=True)
    (results / "bulk.json").write_text(json.dumps(out, indent=1) + "\n")
    title = f"engagelab-push delete --qps {LIMIT}, {shown['ids']:,} ids, {LATENCY_MS} ms added latency, fixed windows"
    svg(shown["per_second"], title, chart)
    for f in work.iterdir():
        f.unlink()
    work.rmdir()
    print(f"bulk: wrote {results / 'bulk.json'} and {chart}", file=sys.stderr)


WHO = {
    "cli": "`engagelab-push delete`",
    "python": "`client.delete_devices(...)`",
    "c": "C `el_delete_devices_from_file`",
    "cpp": "C++ `client.delete_devices_from_file`",
    "go": "Go `client.DeleteDevicesFromFile`",
    "node": "Node.js `client.deleteDevices({path})`",
    "java": "Java `client.deleteDevices(Path, ...)`",
}
KIND = {"windows": "fixed one-second windows", "leaky": f"leaky bucket, burst {BURST}"}


def at_limit(bulk: dict, client: str) -> dict | None:
    """`client`'s run at the limit with fixed windows, when there is one."""
    return next(
        (
            r
            for r in bulk["runs"]
            if r["client"] == client and r["limiter"] == "windows" and r["qps"] >= bulk["limit_qps"]
        ),
        None,
    )


def answered_429(r: dict) -> str:
    return f"{100 * r['rate_limited_share']:.2f}% answered 429"


def targets(bulk: dict | None) -> list[tuple[str, str, str, str]]:
    """(key, target, measured, verdict) rows for the Targets table."""
    if not bulk or "runs" not in bulk:
        return []
    rows = []
    lim = bulk["limit_qps"]
    at_lim = f"≥ 95% of {lim}/s, ≤ 1% answered 429"
    for r in bulk["runs"]:
        who, kind, share = WHO[r["client"]], KIND[r["limiter"]], r["rate_limited_share"]
        if r["qps"] >= lim:
            what = f"Bulk, {who} at the limit ({kind}): {at_lim}"
            ok, of = r["of_limit"] >= 0.95 and share <= 0.01, r["of_limit"]
        else:
            what = f"Bulk, {who} at {r['qps']}/s, under the limit ({kind}): ≥ 97% of qps, no 429"
            ok, of = r["of_qps"] >= 0.97 and share == 0, r["of_qps"]
        fig = f"{100 * of:.1f}% ({r['rate_per_s']:,.1f}/s), {answered_429(r)}"
        rows.append(("bulk", what, fig, "**met**" if ok else "**not met**"))
    cli = at_limit(bulk, "cli")
    for r in bulk.get("languages", []):
        ok = r["of_limit"] >= 0.95 and r["rate_limited_share"] <= 0.01
        fig = f"{100 * r['of_limit']:.1f}% ({r['rate_per_s']:,.1f}/s), {answered_429(r)}"
        if cli:
            fig += f"; {100 * r['rate_per_s'] / cli['rate_per_s']:.1f}% of the CLI's rate"
        what = f"Bulk, {WHO[r['client']]} at the limit (fixed one-second windows): {at_lim}"
        rows.append(("bulk", what, fig, "**met**" if ok else "**not met**"))
    for lang, why in bulk.get("skipped", {}).items():
        rows.append(
            ("bulk", f"Bulk, {WHO[lang]} at the limit", f"not measured: {why}", "**not measured**")
        )
    rss = {(r["ids"], r.get("concurrency")): r["maxrss_kb"] / 1024 for r in bulk["rss"]}
    big, small = rss.get((1_000_000, 512)), rss.get((30_000, 512))
    few = rss.get((30_000, 16))
    if big is not None and small is not None:
        what = (
            f"Bulk CLI peak RSS: ≤ 64 MiB for 1M ids at `--qps {bulk['rss_qps']}` "
            "(journal and report on), ≤ 16 MiB growth from 30k"
        )
        ok = big <= 64 and big - small <= 16
        fig = f"{big:.1f} MiB, +{big - small:.1f} MiB from 30k"
        rows.append(("bulk-rss", what, fig, "**met**" if ok else "**not met**"))
    if small is not None and few is not None:
        per = (small - few) * 1024 / (512 - 16)
        what = "Bulk CLI: ≤ 64 KiB of RSS per worker (30k ids, 512 workers against 16)"
        rows.append(("bulk-rss", what, f"{per:.0f} KiB", "**met**" if per <= 64 else "**not met**"))
    return rows


def section(bulk: dict) -> list[str]:
    """The "Bulk deletion" section of BENCHMARKS.md."""
    lim, lat = bulk["limit_qps"], bulk["added_latency_ms"]
    L = ["## Bulk deletion", ""]
    if "runs" not in bulk:
        return L + [
            "(bench/results/bulk.json is from an older harness: rerun `cargo xtask bench --bulk`.)",
            "",
        ]
    L.append(
        f"The release CLI (`engagelab-push delete --from ids.txt --qps N --yes --journal ... --report ...`) and "
        f"the Python API (`client.delete_devices(path, qps=N, report=...)`) against `engagelab-mock` behind "
        f"toxiproxy, which adds {lat} ms to every answer, the mock limiting the AppKey to {lim} requests/s "
        f"with fixed one-second windows or a leaky bucket (burst {bulk['burst']}, as nginx's `limit_req`), "
        "and answering 200 for every id. The client reads no quota header here (the mock sends none). "
        f"Measured by `{bulk['command']}` on {bulk['date']} ({bulk['machine']}); raw figures in "
        "`bench/results/bulk.json`."
    )
    L += [
        "",
        "| Client | limiter | qps | ids | deletions/s | of qps | of the limit | answered 429 | peak RSS MiB |",
    ]
    L.append("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in bulk["runs"]:
        L.append(
            f"| {WHO[r['client']]} | {KIND[r['limiter']]} | {r['qps']} | {r['ids']:,} | {r['rate_per_s']:,.1f} "
            f"| {100 * r['of_qps']:.1f}% | {100 * r['of_limit']:.1f}% | {requests_429(r)} | {r['maxrss_kb'] / 1024:.1f} |"
        )
    L.append("")
    if bulk.get("languages") or bulk.get("skipped"):
        L.append(
            f"Every language's bulk call over the C ABI, on the same stack at the limit ({lim}/s, fixed "
            "one-second windows), each a small client in its language (`bench/c/el_bulk.c`, "
            "`bench/c/el_bulk.cpp`, `bench/go/bulk`, `bench/node/bulk.mjs`, "
            "`bench/java/BulkBench.java`) given the file of ids, the qps and a report. "
            "Every row's figures are the run's own summary (the report's last line), as for the CLI:"
        )
        L += [
            "",
            "| Client | ids | deletions/s | of the limit | of the CLI's rate | answered 429 | peak RSS MiB |",
        ]
        L.append("|---|---:|---:|---:|---:|---:|---:|")
        cli = at_limit(bulk, "cli")
        for r in [x for x in (cli, at_limit(bulk, "python")) if x] + bulk.get("languages", []):
            ratio = f"{100 * r['rate_per_s'] / cli['rate_per_s']:.1f}%" if cli else "–"
            L.append(
                f"| {WHO[r['client']]} | {r['ids']:,} | {r['rate_per_s']:,.1f} | {100 * r['of_limit']:.1f}% "
                f"| {ratio} | {requests_429(r)} | {r['maxrss_kb'] / 1024:.1f} |"
            )
        for lang, why in bulk.get("skipped", {}).items():
            L.append(f"| {WHO[lang]} | – | not measured: {why} | | | | |")
        L.append("")
    c = bulk["chart"]
    L.append(
        f"Deletions per second over the run of {WHO[c['client']]} `--qps {c['qps']}` ({KIND[c['limiter']]}), "
        "read from its report as it grew:"
    )
    L += ["", "![deletions per second over time](bench/bulk_deletions.svg)", ""]
    L.append(
        f"Peak RSS of the CLI (its `VmHWM`, read every 0.2 s): a real run at `--qps {bulk['rss_qps']}` with "
        "`--journal` and `--report`, against the mock with no limit and no added latency, with 512 "
        "workers (the default's ceiling, which a long run at this rate reaches; a short run's ramp-up "
        "would otherwise be counted as growth with the ids) and, for the cost of a worker, with 16:"
    )
    L += [
        "",
        "| ids | `--concurrency` | peak RSS MiB | elapsed s | deletions/s |",
        "|---:|---:|---:|---:|---:|",
    ]
    for r in bulk["rss"]:
        L.append(
            f"| {r['ids']:,} | {r.get('concurrency', 'default')} | {r['maxrss_kb'] / 1024:.1f} "
            f"| {r['elapsed_s']:,.1f} | {r['rate_per_s']:,.0f} |"
        )
    return L + [""]


def requests_429(r: dict) -> str:
    """How many of the run's requests were answered 429."""
    s = r["summary"]
    return f"{s['rate_limited']:,} of {r['requests']:,} ({100 * r['rate_limited_share']:.2f}%)"


if __name__ == "__main__":
    main()
