"""The bulk-deletion benchmark (issue 10): the `engagelab-push delete` CLI
against engagelab-mock behind toxiproxy, which adds 100 ms to every answer,
with the mock limiting the AppKey to 500 requests/s.

    .venv-bench/bin/python bench/bulk.py [RESULTS_DIR] [CHART_PNG]

Needs `target/release/engagelab-push` and `target/release/engagelab-mock`
(`cargo build --release -p engagelab-push-cli -p engagelab-mock`) and
`.tools/bin/toxiproxy-server` (installed by `cargo xtask test`); the official
SDK (`engagelab`) comes from .venv-bench. It measures:

- the CLI over 10k ids with `--qps 500` (the limit) and `--qps 475` (95% of
  it): deletions/s over the whole run against the limit, and the share of
  requests answered 429;
- the official Python SDK looping sequentially over the same kind of ids for
  a short time (SDK_SECONDS), extrapolated to 10k ids;
- the CLI's peak RSS (`wait4`) over 30k ids (a real run) and 1M ids
  (`--dry-run`: validated, deduplicated and counted, nothing sent);
- deletions per second over time during the 10k run, read from the CLI's
  `--report` file as it grows, drawn against the limit line.

Writes RESULTS_DIR/bulk.json (default bench/results) and the chart (default
bench/bulk_deletions.png); bench/report.py puts them into BENCHMARKS.md.
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
# --qps of the 10k runs: the limit itself, and 95% of it (headroom).
CLI_QPS = (LIMIT, 475)
LATENCY_MS = 100
IDS = 10_000
SDK_SECONDS = 20.0
RSS_RUNS = ((30_000, False), (1_000_000, True))


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
    """engagelab-mock (limit and unknown ids answered 200) and toxiproxy in
    front of it with a 100 ms latency toxic on every answer."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen] = []
        mock = subprocess.Popen([str(MOCK)], stdout=subprocess.PIPE, text=True)
        self.procs.append(mock)
        self.mock = mock.stdout.readline().strip()
        self.configure()
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
        http(
            "POST",
            f"{api}/proxies",
            {"name": "mock", "listen": f"127.0.0.1:{port}", "upstream": upstream},
        )
        http(
            "POST",
            f"{api}/proxies/mock/toxics",
            {
                "name": "latency",
                "type": "latency",
                "stream": "downstream",
                "attributes": {"latency": LATENCY_MS, "jitter": 0},
            },
        )
        self.url = f"http://127.0.0.1:{port}"

    def configure(self) -> None:
        """The limit (setting it opens a new window) and 200 for any id."""
        http("POST", f"{self.mock}/__mock/reset", {})
        http(
            "POST",
            f"{self.mock}/__mock/config",
            {
                "rate_limit_qps": LIMIT,
                "latency_ms": 0,
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


def run_cli(
    url: str, ids: Path, report: Path | None, dry_run: bool, qps: int = LIMIT
) -> tuple[dict, int, list]:
    """(the CLI's JSON summary, its peak RSS in KiB, [(seconds, deleted)])."""
    argv = [str(CLI), "delete", "--from", str(ids), "--qps", str(qps), "--yes", "--json"]
    argv += ["--max-deletions", "10000000", "--quiet", "--base-url", url]
    if report:
        argv += ["--report", str(report)]
    if dry_run:
        argv.append("--dry-run")
    env = {
        **os.environ,
        "ENGAGELAB_APP_KEY": APP_KEY,
        "ENGAGELAB_MASTER_SECRET": MASTER_SECRET,
    }
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        env.pop(name, None)
    with tempfile.TemporaryFile() as out:
        return _follow(argv, env, out, report)


def _follow(argv: list[str], env: dict, out, report: Path | None) -> tuple[dict, int, list]:
    started = time.monotonic()
    proc = subprocess.Popen(argv, stdout=out, env=env)
    samples: list[tuple[float, int]] = [(0.0, 0)]
    deleted, offset, rest = 0, 0, b""
    status = None
    while status is None:
        time.sleep(0.2)
        pid, st, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            status, rss = st, usage.ru_maxrss
        if report and report.exists():
            with report.open("rb") as f:
                f.seek(offset)
                chunk = f.read()
            offset += len(chunk)
            lines = (rest + chunk).split(b"\n")
            rest = lines.pop()
            deleted += sum(b'"outcome":"deleted"' in line for line in lines)
            samples.append((time.monotonic() - started, deleted))
    proc.returncode = os.waitstatus_to_exitcode(status)
    out.seek(0)
    text = out.read().decode()
    if proc.returncode != 0:
        sys.exit(f"bulk: {' '.join(argv)} exited {proc.returncode}: {text}")
    return json.loads(text.strip().splitlines()[-1]), rss, samples


def sdk_loop(url: str, seconds: float) -> dict:
    """The official SDK deleting one id after another for `seconds`."""
    import engagelab
    from engagelab.errors import ApiError

    client = engagelab.Client(APP_KEY, MASTER_SECRET, base_url=url)
    done = limited = failed = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        try:
            client.device.delete(f"sdk{done + limited + failed:012x}")
            done += 1
        except ApiError as e:  # any non-2xx answer
            if e.status_code == 429:
                limited += 1
            else:
                failed += 1
    wall = time.perf_counter() - started
    return {
        "version": engagelab.__version__,
        "seconds": round(wall, 2),
        "deleted": done,
        "rate_limited": limited,
        "failed": failed,
        "rate_per_s": round(done / wall, 2),
        "extrapolated_10k_s": round(IDS / (done / wall), 0) if done else None,
    }


def per_second(samples: list[tuple[float, int]]) -> list[tuple[int, int]]:
    """Deletions in each whole second of the run, from the sampled counts."""
    out = []
    second, j = 1, 0
    last = 0
    while j < len(samples) and second <= samples[-1][0] + 1:
        while j < len(samples) - 1 and samples[j + 1][0] <= second:
            j += 1
        now = samples[j][1]
        out.append((second, now - last))
        last = now
        second += 1
        if j == len(samples) - 1:
            break
    return out


def chart(runs: list[dict], png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.2), dpi=110)
    for run in runs:
        bins = run["per_second"]
        ax.step(
            [s for s, _ in bins],
            [n for _, n in bins],
            where="post",
            label=f"CLI --qps {run['qps']}: {run['rate_per_s']:,.0f}/s over the run",
        )
    ax.axhline(LIMIT, color="#d1242f", ls="--", lw=1.2, label=f"server limit ({LIMIT}/s)")
    ax.set_xlabel("seconds since start")
    ax.set_ylabel("deletions in that second")
    ax.set_title(f"engagelab-push delete, {IDS:,} ids, {LATENCY_MS} ms added latency")
    ax.set_ylim(0, LIMIT * 1.25)
    ax.legend(loc="lower center", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(png)


def main() -> None:
    results = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "bench/results"
    png = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "bench/bulk_deletions.png"
    for path, how in (
        (CLI, "cargo build --release -p engagelab-push-cli"),
        (MOCK, "cargo build --release -p engagelab-mock"),
        (TOXIPROXY, "cargo xtask test (it installs toxiproxy)"),
    ):
        if not path.exists():
            sys.exit(f"bulk: {path} is missing: {how}")
    work = Path(tempfile.mkdtemp(prefix="bulk-bench-"))
    servers = Servers()
    try:
        print(f"bulk: mock {servers.mock}, through toxiproxy {servers.url}", file=sys.stderr)
        runs = []
        for qps in CLI_QPS:
            servers.configure()
            report = work / f"report-{qps}.jsonl"
            ids = ids_file(work, IDS, f"q{qps}x")
            summary, rss, samples = run_cli(servers.url, ids, report, False, qps)
            sent = summary.get("deleted", 0) + summary.get("rate_limited", 0)
            runs.append(
                {
                    "qps": qps,
                    "ids": IDS,
                    "summary": summary,
                    "rate_per_s": summary.get("rate_per_s"),
                    "of_limit": round(summary.get("rate_per_s", 0) / LIMIT, 4),
                    "rate_limited_share": round(summary.get("rate_limited", 0) / sent, 4)
                    if sent
                    else None,
                    "maxrss_kb": rss,
                    "per_second": per_second(samples),
                }
            )
            print(f"bulk: CLI --qps {qps}: {json.dumps(runs[-1]['summary'])}", file=sys.stderr)
        servers.configure()
        sdk = sdk_loop(servers.url, SDK_SECONDS)
        print(f"bulk: official SDK {json.dumps(sdk)}", file=sys.stderr)
        rss_rows = []
        for n, dry in RSS_RUNS:
            servers.configure()
            s, r, _ = run_cli(servers.url, ids_file(work, n, "rss"), None, dry)
            rss_rows.append(
                {"ids": n, "dry_run": dry, "maxrss_kb": r, "elapsed_s": s.get("elapsed_s")}
            )
            print(f"bulk: RSS {rss_rows[-1]}", file=sys.stderr)
    finally:
        servers.close()
    out = {
        "limit_qps": LIMIT,
        "added_latency_ms": LATENCY_MS,
        "cli": runs[0],
        "cli_runs": runs,
        "official_sdk": sdk,
        "rss": rss_rows,
        "sdk_seconds": SDK_SECONDS,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "command": ".venv-bench/bin/python bench/bulk.py",
    }
    results.mkdir(parents=True, exist_ok=True)
    (results / "bulk.json").write_text(json.dumps(out, indent=1) + "\n")
    chart(runs, png)
    for f in work.iterdir():
        f.unlink()
    work.rmdir()
    print(f"bulk: wrote {results / 'bulk.json'} and {png}", file=sys.stderr)


if __name__ == "__main__":
    main()
