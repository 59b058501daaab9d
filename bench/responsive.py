"""How the host fares while this library's calls are in flight: Node's libuv
pool (bench/node/responsive.mjs) and how late a cancel or a timeout ends a
call behind 0 to 64 pending ones, in Node and in Python's AsyncClient
(bench/python/responsive.py), against the release engagelab-mock.
`cargo xtask bench --in-flight` runs it after bench/in_flight.py and writes
bench/results/responsive.json; bench/report.py turns that into "The host
meanwhile" in BENCHMARKS.md and rows of its Targets table.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 5
MOCK = ROOT / "target/release/engagelab-mock"
PENDING = (0, 4, 16, 64)
# (language, key, what): the rows of the lateness table.
LATENESS = [
    ("node", "abort_late_ms", "Node.js: an `AbortSignal` aborted at 100 ms"),
    ("node", "timeout_late_ms", "Node.js: `{ timeout: 300 }`"),
    ("python", "cancel_late_ms", "Python `AsyncClient`: the task cancelled at 100 ms"),
    ("python", "timeout_late_ms", "Python `AsyncClient`: `timeout=0.3`"),
]


def rounded(value):
    """The scripts' figures to 0.1 ms."""
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    return [round(x, 1) for x in value]


def main(run) -> None:
    """Runs both scripts; writes responsive.json (a failed one is counted in run.failures)."""
    from run import last_json, sh

    data: dict = {
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "command": "cargo xtask bench --in-flight",
        "rounds": ROUNDS,
    }
    env = {**os.environ, "ENGAGELAB_MOCK_BIN": str(MOCK)}
    for lang, argv in [
        ("node", ["node", ROOT / "bench/node/responsive.mjs", ROUNDS]),
        ("python", [sys.executable, ROOT / "bench/python/responsive.py", ROUNDS]),
    ]:
        p = sh(argv, env=env)
        r = last_json(p.stdout)
        if p.returncode != 0 or not r:
            (run.out / f"responsive-{lang}.stderr").write_text(p.stdout + p.stderr)
            run.failures += 1
            continue
        data[lang] = rounded(r)
        print(f"== responsive: {lang}: {json.dumps(data[lang])}", file=sys.stderr, flush=True)
    out = ROOT / "bench/results/responsive.json"
    out.write_text(json.dumps(data, indent=1) + "\n")
    print(f"== wrote {out}", file=sys.stderr)


def spread(figures: list[float]) -> str:
    return f"{statistics.median(figures):.0f} ({max(figures):.0f})"


def section(r: dict) -> list[str]:
    """The "The host meanwhile" part of the "Calls in flight" section."""
    L = ["### The host meanwhile", ""]
    L.append(
        f"Against engagelab-mock on loopback, {r['rounds']} rounds; figures in ms, the median and "
        "(in brackets) the worst round. A call that waited for a thread would end only when the "
        f"pending calls (answered after 1 s) do. Measured by `{r['command']}` on {r['date']} "
        f"({r['machine']}); raw figures in `bench/results/responsive.json`."
    )
    L.append("")
    if "node" in r:
        L.append(
            "Node.js with `UV_THREADPOOL_SIZE=4` and 64 calls in flight that the mock answers after "
            f"1 s: a 13-byte `fs.promises.readFile` took {spread(r['node']['read_ms'])} ms."
        )
        L.append("")
    L.append("How late a call on an id answered after 3 s ended, with calls of 1 s pending:")
    L.append("")
    L.append("| Call | 0 pending | 4 | 16 | 64 |")
    L.append("|---|---:|---:|---:|---:|")
    for lang, key, what in LATENESS:
        if lang in r:
            cells = " | ".join(spread(r[lang][key][str(n)]) for n in PENDING)
            L.append(f"| {what} | {cells} |")
    L.append("")
    return L


def targets(r: dict | None) -> list[tuple[str, str, str, str]]:
    """(key, target, measured, verdict) rows for the Targets table."""
    if not r:
        return []
    rows = []

    def within(key: str, what: str, lang: str, series: list[str], bound: float) -> None:
        if lang not in r:
            rows.append((key, what, "not measured", "**not met**"))
            return
        figures = [x for s in series for v in _lists(r[lang][s]) for x in v]
        worst = max(figures)
        rows.append(
            (key, what, f"worst {worst:.0f} ms", "**met**" if worst < bound else "**not met**")
        )

    within("responsive-node-read", "Node.js, `UV_THREADPOOL_SIZE=4`, 64 calls in flight: "
           "a small `fs.promises.readFile` in < 50 ms", "node", ["read_ms"], 50)  # fmt: skip
    within("responsive-node-abort", "Node.js: an abort and a timeout settle within 100 ms, "
           "0 to 64 calls pending", "node", ["abort_late_ms", "timeout_late_ms"], 100)  # fmt: skip
    within("responsive-py-cancel", "Python AsyncClient: a cancel and a timeout end the call "
           "within 100 ms, 0 to 64 calls pending", "python", ["cancel_late_ms", "timeout_late_ms"], 100)  # fmt: skip
    return rows


def _lists(value: list | dict) -> list[list[float]]:
    """A list of figures, or a dict of them by count pending, as lists."""
    return list(value.values()) if isinstance(value, dict) else [value]
