"""Turns the results of one run of cargo xtask bench into BENCHMARKS.md and a
PNG chart of calls/s per client.

    python bench/report.py RESULTS_DIR MARKDOWN_OUT PNG_OUT

RESULTS_DIR holds results.jsonl (one JSON object a line, written by
cargo xtask bench) and meta.json (machine, versions, command, date). Every
figure in the output comes from those files. The page's fixed text is
bench/BENCHMARKS.md.in; bench/notes.md (hand-written) supplies the
explanation shown under a target that is not met, and bench/php/results.md
(written by bench/php/compare.php from its own run) is included as its section.
"""

from __future__ import annotations

import json
import re
import string
import sys
from pathlib import Path

import bulk
import in_flight
import responsive

HERE = Path(__file__).resolve().parent
# Display order, name in the tables and name in the chart of each client.
CLIENTS = {
    "rust": ("Rust core (`engagelab-push`)", "engagelab-push: Rust core"),
    "c-abi": ("C ABI from C (`libengagelab_push.so`)", "engagelab-push: C ABI"),
    "py": ("Python module (`engagelab_push`)", "engagelab-push: Python"),
    "official": ("Official SDK (`engagelab-apppush` 0.1.1)", "official SDK"),
    "official-sysca": (
        "Official SDK, trusting the system CA bundle too (as in real use)",
        "official SDK, system CAs",
    ),
    "requests": ("`requests.Session`", "requests.Session"),
    "httpx": ("`httpx.Client`", "httpx.Client"),
    "libcurl": ("libcurl, one easy handle (C)", "libcurl (C)"),
    "go-binding": ("Go binding (cgo, static `libengagelab_push.a`)", "engagelab-push: Go"),
    "go-nethttp": ("Go `net/http` (hand-written)", "Go net/http"),
    "node-binding": ("Node binding (koffi over `libengagelab_push.so`)", "engagelab-push: Node"),
    "node-http": ("Node `https`/`http` with `Agent({keepAlive: true})`", "Node http.Agent"),
    "node-fetch": ("Node built-in `fetch` (undici)", "Node fetch"),
    "java-binding": ("Java binding (JNA over `libengagelab_push.so`)", "engagelab-push: Java"),
    "java-httpclient": ("Java `java.net.http.HttpClient`", "Java HttpClient"),
    "php-binding": ("PHP binding (FFI over `libengagelab_push.so`)", "engagelab-push: PHP"),
    "php-curl": ("PHP `curl` extension, one reused handle", "PHP curl"),
}
# The language bindings, the language's own client beside each.
BINDINGS = {
    "go-binding": "Go",
    "node-binding": "Node",
    "java-binding": "Java",
    "php-binding": "PHP",
}
TRANSPORTS = {"tls": "TLS (HTTPS)", "plain": "plain HTTP"}
MACHINE = "cpu nproc memory kernel os load_before rustc cc python nginx wrk openssl libcurl"
MACHINE = [*MACHINE.split(), "python_packages"]
PLACEMENT = (
    "- **Placement**: nginx's worker runs on CPU 0 (`worker_cpu_affinity`), wrk and every sequential "
    "client on CPU 1 (`taskset -c 1`), so every run crosses cores the same way. Left to the "
    "scheduler, a client lands on nginx's core in some runs and not in others, and on this virtual "
    "machine a cross-core wake-up costs several times a same-core switch, which alone moves "
    "`wrk -c1` by a large factor. The 8-thread runs may use every CPU. `BENCH_PIN=0` turns "
    "placement off.\n"
)


def load(results_dir: Path) -> tuple[list[dict], dict]:
    text = (results_dir / "results.jsonl").read_text()
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    return merge_rounds(rows), json.loads((results_dir / "meta.json").read_text())


def merge_rounds(rows: list[dict]) -> list[dict]:
    """One entry per (section, transport, client) measured in rounds: the
    result of its median round by calls/s (so that row's figures come from
    one process), with every round's calls/s kept in `rounds_cps`. A failed
    round makes the entry a failure."""
    merged: dict[tuple, dict] = {}
    out: list[dict] = []
    for r in rows:
        if "round" not in r:
            out.append(r)
            continue
        key = (r["section"], r.get("transport"), r.get("client"))
        if key not in merged:
            merged[key] = {"section": key[0], "transport": key[1], "client": key[2], "runs": []}
            out.append(merged[key])
        merged[key]["runs"].append(r)
    for m in merged.values():
        runs = m.pop("runs")
        bad = [r for r in runs if "error" in r]
        skipped = [r for r in runs if "skipped" in r]
        ok = sorted((r for r in runs if "result" in r), key=lambda r: r["result"]["calls_per_s"])
        if bad:
            m["error"] = bad[0]["error"]
        elif skipped and not ok:
            m["skipped"] = skipped[0]["skipped"]
        elif ok:
            m["result"] = ok[(len(ok) - 1) // 2]["result"]
            m["rounds_cps"] = [r["result"]["calls_per_s"] for r in ok]
            m["by_round"] = {r["round"]: r["result"]["calls_per_s"] for r in ok}
    return out


def pick(rows, section, transport=None, client=None):
    for r in rows:
        if r.get("section") != section:
            continue
        if transport is not None and r.get("transport") != transport:
            continue
        if client is None or r.get("client") == client:
            return r
    return None


def res(rows, section, transport, client):
    r = pick(rows, section, transport, client)
    return r.get("result") if r and "result" in r else None


def cps(rows, section, transport, client):
    r = res(rows, section, transport, client)
    return r["calls_per_s"] if r else None


def same_round_ratios(rows, section, transport, client, base, base_section=None) -> list[float]:
    """client's calls/s over base's, round by round (each pair measured
    seconds apart), in round order."""
    a = pick(rows, section, transport, client)
    b = pick(rows, base_section or section, transport, base)
    if not a or not b:
        return []
    ra, rb = a.get("by_round", {}), b.get("by_round", {})
    return [ra[k] / rb[k] for k in sorted(ra) if rb.get(k)]


def cell(x, base, digits=0) -> str:
    """x, with its ratio to base in brackets when there is a base."""
    text = "–" if x is None else f"{x:,.{digits}f}"
    if x is None or not base:
        return text
    r = x / base
    return text + (f" ({r:,.0f}×)" if r >= 100 else f" ({r:.1f}×)" if r >= 10 else f" ({r:.2f}×)")


def spread(entry) -> str:
    """calls/s of the slowest and fastest round, when there were several."""
    cps = (entry or {}).get("rounds_cps") or []
    return f"{min(cps):,.0f}–{max(cps):,.0f}" if len(cps) > 1 else ""


def rate_table(rows, section, tr, clients, wrk=None) -> list[str]:
    """A row per client of `section` (seq or threads): its figures, with ratios
    to the official SDK's in brackets."""
    seq = section == "seq"
    head = (
        "| Client | median µs/call | p99 µs/call | calls/s | of `wrk -c1` limit | CPU µs/call | peak RSS MiB | calls | calls/s, all rounds |"
        if seq
        else "| Client (8 threads) | calls/s | vs its own sequential rate | median µs/call | p99 µs/call | CPU µs/call | peak RSS MiB | calls/s, all rounds |"
    )
    width = head.count("|") - 1
    out = [head, "|---" + "|---:" * (width - 1) + "|"]
    b = res(rows, section, tr, "official") or {}
    for key in clients:
        entry = pick(rows, section, tr, key)
        if entry is None:
            continue
        name = CLIENTS[key][0] + (" (reference)" if key == "rust" and not seq else "")
        if "result" not in entry:
            why = entry.get("skipped") or entry.get("error") or "no result"
            kind = "skipped" if "skipped" in entry else "FAILED"
            out.append(f"| {name} | {kind}: {why} |" + " |" * (width - 2))
            continue
        r = entry["result"]
        rate = cell(r["calls_per_s"], b.get("calls_per_s"))
        if seq:
            x = f"{100 * r['calls_per_s'] / wrk['calls_per_s']:.0f}%" if wrk else "–"
        else:
            s = res(rows, "seq", tr, key)
            x = f"{r['calls_per_s'] / s['calls_per_s']:.2f}×" if s else "–"
        times = [cell(r[k], b.get(k), 1) for k in ("median_us", "p99_us")]
        cols = [times[0], times[1], rate, x] if seq else [rate, x, *times]
        cols.append(cell(r["cpu_us_per_call"], b.get("cpu_us_per_call"), 1))
        cols.append(cell(r["maxrss_kb"] / 1024, (b.get("maxrss_kb") or 0) / 1024 or None, 1))
        cols += [f"{r['calls']:,}", spread(entry)] if seq else [spread(entry)]
        out.append(f"| {name} | " + " | ".join(cols) + " |")
    if wrk:
        out.append(
            f"| *`wrk -t1 -c1`: single-connection limit of the server* | {wrk['median_us']:.1f} "
            f"| {wrk['p99_us']:.1f} | {wrk['calls_per_s']:,.0f} | 100% | | | {wrk['calls']:,} "
            f"| {spread(pick(rows, 'wrk', tr, 'wrk'))} |"
        )
    return out


def php_own_run() -> tuple[str, str] | None:
    """The PHP target from bench/php/compare.php's own run."""
    php = HERE / "php" / "results.md"
    m = re.search(
        r"- PHP binding: (\d+)% of the C ABI's calls/s; round by round ([^(]+?) \(target ≥ 90%: (\*\*[a-z ]+\*\*)\)",
        php.read_text() if php.exists() else "",
    )
    return (f"{m[1]}% in its own run (see its section); round by round {m[2]}", m[3]) if m else None


def target_rows(rows) -> list[tuple]:
    """(key, target, figure, verdict) for every target of the loopback run."""
    t = []

    def add(key, target, fig, ok):
        verdict = "not measured" if ok is None else "**met**" if ok else "**not met**"
        t.append((key, target, fig if ok is not None else "–", verdict))

    def share(a, b, floor, per):
        """a's calls/s as a share of b's, with every round's when there were several."""
        if a is None or b is None:
            return None, ""
        fig = f"{100 * a / b:.0f}% ({a:,.0f} of {b:,.0f} calls/s)"
        if len(per) > 1:
            fig += "; round by round " + ", ".join(f"{100 * x:.0f}%" for x in per)
        return a >= floor * b, fig

    def multiple(a, b, floor, digits):
        """a as a multiple of b, and whether it is at least `floor` times b."""
        if a is None or b is None:
            return None, False
        return a >= floor * b, f"{a / b:.{digits}f}×"

    for tr, name in TRANSPORTS.items():
        per = same_round_ratios(rows, "seq", tr, "py", "wrk", "wrk")
        ok, fig = share(cps(rows, "seq", tr, "py"), cps(rows, "wrk", tr, "wrk"), 0.8, per)
        add(
            f"py-limit-{tr}",
            f"Python module, sequential over {name}: ≥ 80% of the `wrk -c1` limit",
            fig,
            ok,
        )
    py = cps(rows, "seq", "tls", "py")
    for other, name, times in [
        ("official", "the official SDK", 20),
        ("requests", "`requests.Session`", 5),
    ]:
        ok, fig = multiple(py, cps(rows, "seq", "tls", other), times, 1)
        add(f"py-vs-{other}", f"Python module ≥ {times}× {name} (sequential, TLS)", fig, ok)
    for tr, name in TRANSPORTS.items():
        ok, fig = multiple(cps(rows, "threads", tr, "py"), cps(rows, "seq", tr, "py"), 1.5, 2)
        add(
            f"py-threads-{tr}",
            f"Python module, 8 threads ≥ 1.5× its sequential rate ({name})",
            fig,
            ok,
        )
    for tr, name in TRANSPORTS.items():
        c, r = res(rows, "seq", tr, "c-abi"), res(rows, "seq", tr, "rust")
        ok, fig = None, ""
        if c and r:
            d_med = c["median_us"] / r["median_us"] - 1
            d_mean = r["calls_per_s"] / c["calls_per_s"] - 1
            ok = d_med <= 0.05 and d_mean <= 0.05
            fig = f"median {d_med:+.1%}, mean time per call {d_mean:+.1%}"
        add(f"c-vs-rust-{tr}", f"C ABI within 5% of the Rust core per call ({name})", fig, ok)
    for tr, name in TRANSPORTS.items():
        r, c = res(rows, "seq", tr, "rust"), res(rows, "seq", tr, "libcurl")
        ok, fig = None, ""
        if r and c:
            rc, cc = r["cpu_us_per_call"], c["cpu_us_per_call"]
            ok, fig = rc <= cc, f"{rc:.1f} vs {cc:.1f} µs ({rc / cc:.2f}×)"
        add(f"rust-cpu-{tr}", f"Rust core's CPU per call ≤ libcurl's ({name})", fig, ok)
    for key, lang in BINDINGS.items():
        per = same_round_ratios(rows, "seq", "tls", key, "c-abi")
        ok, fig = share(cps(rows, "seq", "tls", key), cps(rows, "seq", "tls", "c-abi"), 0.9, per)
        target = f"{lang} binding ≥ 90% of the C ABI's calls/s (sequential, TLS)"
        if ok is None and key == "php-binding" and php_own_run():
            t.append(("binding-php", target, *php_own_run()))
        else:
            add("binding-" + lang.lower(), target, fig, ok)
    for tr in ("plain", "tls"):
        sc = {
            r["client"]: r["total_per_call"]
            for r in rows
            if r.get("section") == "syscalls" and r.get("transport") == tr and "total_per_call" in r
        }
        r, c = sc.get("rust"), sc.get("libcurl")
        ok = None if r is None or c is None else r <= c
        add(
            f"syscalls-{tr}",
            f"System calls per pooled call ≤ libcurl's ({TRANSPORTS[tr]})",
            ok is not None and f"{r:g} vs {c:g}",
            ok,
        )
    imp = pick(rows, "import", client="engagelab_push")
    ok = imp["median_ms"] <= 20 if imp and "median_ms" in imp else None
    add(
        "import",
        "`import engagelab_push` ≤ 20 ms",
        ok is not None and f"{imp['median_ms']:.1f} ms",
        ok,
    )
    return t


def notes_for(key: str, notes_text: str) -> str | None:
    """The paragraph of bench/notes.md under `## key`."""
    m = re.search(
        rf"^## {re.escape(key)}\s*$(.*?)(?=^## |\Z)", notes_text, re.DOTALL | re.MULTILINE
    )
    return m.group(1).strip() if m else None


def footprint(rows) -> list[str]:
    """Size on disk, import time and the peak RSS of a one-delete process."""
    L = ["## Footprint", "", "### Size on disk", "", "| What | bytes | MiB |", "|---|---:|---:|"]
    for r in (r for r in rows if r.get("section") == "size"):
        size = f"{r['bytes']:,} | {r['bytes'] / 2**20:.2f}" if "bytes" in r else None
        L.append(f"| {r['label']} | {size or 'skipped: ' + r.get('skipped', '?') + ' |'} |")
    runs = next((r.get("runs") for r in rows if r.get("section") == "import" and "runs" in r), "?")
    L += ["", "### Python import time", ""]
    L.append(
        f"`python -X importtime -c 'import X'` in a fresh interpreter, {runs} times each (after one "
        "untimed run that writes the bytecode caches); the median of X's cumulative import time. "
        "In brackets: the ratio to `import engagelab` (the official SDK)."
    )
    L += ["", "| Module | median ms | min ms | max ms |", "|---|---:|---:|---:|"]
    off_ms = (pick(rows, "import", client="engagelab") or {}).get("median_ms")
    for r in (r for r in rows if r.get("section") == "import"):
        if "median_ms" in r:
            ms = f"{cell(r['median_ms'], off_ms, 2)} | {r['min_ms']:.2f} | {r['max_ms']:.2f}"
        L.append(
            f"| `import {r['client']}` | {ms if 'median_ms' in r else 'skipped: ' + r.get('skipped', '?') + ' | |'} |"
        )
    L += ["", "### Peak RSS of a process that deletes one device", ""]
    L.append(
        "A whole process that builds its client, deletes one device over TLS and exits "
        "(`ru_maxrss`). In brackets: the ratio to the official SDK."
    )
    L += ["", "| Program | peak RSS MiB |", "|---|---:|"]
    rss1 = [r for r in rows if r.get("section") == "rss1"]
    off = next(
        (r["maxrss_kb"] for r in rss1 if r.get("client") == "official" and "maxrss_kb" in r), 0
    )
    for r in rss1:
        if "maxrss_kb" in r:
            L.append(f"| {r['label']} | {cell(r['maxrss_kb'] / 1024, off / 1024 or None, 1)} |")
        else:
            L.append(f"| {r['label']} | skipped: {r.get('skipped') or r.get('error', '?')} |")
    return L + [""]


def syscalls(rows) -> list[str]:
    """System calls per call, from strace."""
    sys_rows = [r for r in rows if r.get("section") == "syscalls"]
    if not sys_rows:
        return []
    L = ["## Where the time goes: system calls per call", ""]
    L.append(
        "`strace -f -c` over a whole process making 2,000 sequential calls with no warm-up "
        "(set-up included, so about 0.05 of each figure is start-up), divided by 2,000. "
        "strace slows everything; only the counts matter here."
    )
    L.append("")
    for r in sys_rows:
        if "skipped" in r:
            short = CLIENTS[r["client"]][1] if r.get("client") in CLIENTS else r.get("client", "")
            L.append(f"- {short} {r.get('transport', '')}: skipped ({r['skipped']})")
            continue
        calls = sorted(r["per_call"].items(), key=lambda kv: -kv[1])
        top = ", ".join(f"`{k}` {v:g}" for k, v in calls if v >= 0.01)
        L.append(
            f"- **{CLIENTS[r['client']][1]}, {TRANSPORTS[r['transport']]}**: "
            f"{r['total_per_call']:g} system calls per call: {top}"
        )
    return L + [""]


def targets_section(targets, notes_text, quick) -> list[str]:
    """The Targets table, and under it the notes on every target not met."""
    L = ["## Targets", ""]
    L.append(
        "Where a row says *round by round*, it gives the two clients' ratio in each round, "
        "measured seconds apart; when those disagree by more than the target's margin, this run "
        "does not settle the verdict (other load on the machine moves whole rounds)."
    )
    L += ["", "| Target | Measured | Verdict |", "|---|---|---|"]
    L += [f"| {what} | {fig} | {v} |" for _, what, fig, v in targets] + [""]
    missed = [(k, what) for k, what, _, v in targets if v != "**met**"]
    if missed and not quick:
        L += ["### What stands in the way, and what would fix it", ""]
        seen = set()
        for k, what in missed:
            group = re.sub(r"-(tls|plain)$", "", k)
            note = notes_for(k, notes_text) or notes_for(group, notes_text)
            if group in seen and not notes_for(k, notes_text):
                continue
            seen.add(group)
            L += [f"**{what}**", "", note or "(no analysis written yet: see bench/notes.md)", ""]
    general = notes_for("general", notes_text)
    if general and not quick:
        L += ["## Findings", "", general, ""]
    return L


def body(rows, results_dir: Path, notes_text: str, quick: bool) -> list[str]:
    """Every section between "How it is measured" and "Machine and versions"."""
    L = []
    for tr, name in TRANSPORTS.items():
        L += [f"## Sequential deletes, {name}", ""]
        L.append(
            "One client, one call at a time. In brackets: the ratio to the official SDK measured in "
            "the same run (calls/s: higher is better; µs, CPU and RSS: lower is better)."
        )
        L += ["", *rate_table(rows, "seq", tr, CLIENTS, res(rows, "wrk", tr, "wrk")), ""]
    L += ["## 8 threads, one process", ""]
    for tr, name in TRANSPORTS.items():
        L += [
            f"### {name}",
            "",
            *rate_table(rows, "threads", tr, ("py", "requests", "official", "rust")),
            "",
        ]
    L += footprint(rows) + syscalls(rows)
    extra = {}
    for name in ("bulk", "in_flight", "responsive"):
        path = results_dir / f"{name}.json"
        extra[name] = json.loads(path.read_text()) if path.exists() else None
    L += bulk.section(extra["bulk"]) if extra["bulk"] else []
    L += in_flight.section(extra["in_flight"]) if extra["in_flight"] else []
    L += responsive.section(extra["responsive"]) if extra["responsive"] else []
    # The PHP comparison's own run (bench/php/compare.php writes it), kept
    # as written: its figures come from that run, not from RESULTS_DIR.
    php = HERE / "php" / "results.md"
    L += php.read_text().rstrip("\n").split("\n") + [""] if php.exists() else []
    targets = target_rows(rows) + bulk.targets(extra["bulk"])
    targets += in_flight.targets(extra["in_flight"]) + responsive.targets(extra["responsive"])
    return L + targets_section(targets, notes_text, quick)


def page(rows, meta, results_dir: Path) -> str:
    """BENCHMARKS.md: bench/BENCHMARKS.md.in with the run's figures."""
    notes = HERE / "notes.md"
    quick = meta.get("quick", False)
    try:
        results_rel = str(results_dir.resolve().relative_to(HERE.parent))
    except ValueError:
        results_rel = str(results_dir)
    n = meta.get("rounds", 1)
    rounds = (
        f"every client (and wrk) runs once in each of {n} rounds, one round after the other, "
        "and each row shows the round with the median calls/s (its other figures are that "
        "same process's); the last column gives every round's calls/s"
    )
    fields = {
        "quick": "> **Quick mode** (`cargo xtask bench --quick`): small N, for CI to keep the "
        "harness working. These figures are not the published ones.\n\n"
        if quick
        else "",
        "placement": PLACEMENT if meta.get("pinned") else "",
        "png_rel": meta.get("png_rel", "bench/calls_per_sec.png"),
        "wrk_duration": meta.get("wrk_duration", "?"),
        "warmup": meta.get("warmup", "?"),
        "duration": meta.get("duration_text", "?"),
        "rounds": rounds if n > 1 else "one round",
        "body": "\n".join(body(rows, results_dir, notes.read_text(), quick)) + "\n",
        "machine": "\n".join(
            f"- **{k.replace('_', ' ')}**: {meta[k]}" for k in MACHINE if k in meta
        )
        + "\n",
        "results": results_rel,
    }
    fields |= {k: meta.get(k, "?") for k in ("nginx", "nproc", "command", "date")}
    template = (HERE / "BENCHMARKS.md.in").read_text().split("\n", 1)[1]
    return string.Template(template).substitute(fields)


def chart(rows, png: Path, title_suffix: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def rate(section, tr, k):
        return cps(rows, section, tr, k) or 0

    keys = [k for k in CLIENTS if any(res(rows, "seq", tr, k) for tr in TRANSPORTS)]
    keys.sort(key=lambda k: -rate("seq", "tls", k))
    fig, ax = plt.subplots(figsize=(9, 0.55 * len(keys) + 1.9), dpi=110)
    height = 0.38
    colors = {"tls": "#1f6feb", "plain": "#9ecbff"}
    for i, (tr, name) in enumerate(TRANSPORTS.items()):
        ys = [j + (i - 0.5) * height for j in range(len(keys))]
        vals = [rate("seq", tr, k) for k in keys]
        bars = ax.barh(ys, vals, height=height, color=colors[tr], label=f"sequential, {name}")
        for bar, v in zip(bars, vals):
            if v:
                y = bar.get_y() + bar.get_height() / 2
                ax.text(bar.get_width(), y, f" {v:,.0f}", va="center", fontsize=8)
        if w := rate("wrk", tr, "wrk"):
            label = f"wrk -c1 limit, {name} ({w:,.0f}/s)"
            ax.axvline(w, color=colors[tr], ls="--", lw=1.2, label=label)
    ax.set_yticks(range(len(keys)), [CLIENTS[k][1] for k in keys])
    ax.invert_yaxis()
    ax.set_xlabel("calls/s (one DELETE /v4/devices/{id} each; higher is better)")
    ax.set_title(f"Sequential deletes on loopback, nginx server{title_suffix}")
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    xmax = max(
        [rate("wrk", tr, "wrk") for tr in TRANSPORTS]
        + [rate("seq", tr, k) for tr in TRANSPORTS for k in keys]
    )
    ax.set_xlim(0, xmax * 1.15 if xmax else 1)
    fig.tight_layout()
    fig.savefig(png)


def main() -> None:
    results_dir, md_out, png_out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    rows, meta = load(results_dir)
    md_out.write_text(page(rows, meta, results_dir))
    try:
        chart(rows, png_out, " (quick mode)" if meta.get("quick") else "")
    except ImportError:
        # Without matplotlib (`cargo xtask bench --bulk` runs from .venv),
        # the loopback chart of the last full run stays as it is.
        print(f"report: no matplotlib, {png_out} left as it is", file=sys.stderr)


if __name__ == "__main__":
    main()
