"""Turns the results of one run of cargo xtask bench into BENCHMARKS.md and a
PNG chart of calls/s per client.

    python bench/report.py RESULTS_DIR MARKDOWN_OUT PNG_OUT

RESULTS_DIR holds results.jsonl (one JSON object a line, written by
cargo xtask bench) and meta.json (machine, versions, command, date). Every
figure in the output comes from those files; bench/notes.md (hand-written)
supplies the explanation shown under a target that is not met, and
bench/php/results.md (written by bench/php/compare.php from its own run) is
included as its section.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

# Display order and names of the clients.
CLIENTS = {
    "rust": "Rust core (`engagelab-push`)",
    "c-abi": "C ABI from C (`libengagelab_push.so`)",
    "py": "Python module (`engagelab_push`)",
    "official": "Official SDK (`engagelab-apppush` 0.1.1)",
    "official-sysca": "Official SDK, trusting the system CA bundle too (as in real use)",
    "requests": "`requests.Session`",
    "httpx": "`httpx.Client`",
    "libcurl": "libcurl, one easy handle (C)",
    "go-binding": "Go binding (cgo, static `libengagelab_push.a`)",
    "go-nethttp": "Go `net/http` (hand-written)",
    "node-binding": "Node binding (koffi over `libengagelab_push.so`)",
    "node-http": "Node `https`/`http` with `Agent({keepAlive: true})`",
    "node-fetch": "Node built-in `fetch` (undici)",
    "java-binding": "Java binding (JNA over `libengagelab_push.so`)",
    "java-httpclient": "Java `java.net.http.HttpClient`",
    "php-binding": "PHP binding (FFI over `libengagelab_push.so`)",
    "php-curl": "PHP `curl` extension, one reused handle",
}
SHORT = {
    "rust": "engagelab-push: Rust core",
    "c-abi": "engagelab-push: C ABI",
    "py": "engagelab-push: Python",
    "official": "official SDK",
    "official-sysca": "official SDK, system CAs",
    "requests": "requests.Session",
    "httpx": "httpx.Client",
    "libcurl": "libcurl (C)",
    "go-binding": "engagelab-push: Go",
    "go-nethttp": "Go net/http",
    "node-binding": "engagelab-push: Node",
    "node-http": "Node http.Agent",
    "node-fetch": "Node fetch",
    "java-binding": "engagelab-push: Java",
    "java-httpclient": "Java HttpClient",
    "php-binding": "engagelab-push: PHP",
    "php-curl": "PHP curl",
}
# The language bindings, the language's own client beside each.
BINDINGS = {
    "go-binding": "Go",
    "node-binding": "Node",
    "java-binding": "Java",
    "php-binding": "PHP",
}
TRANSPORTS = {"tls": "TLS (HTTPS)", "plain": "plain HTTP"}


def load(results_dir: Path) -> tuple[list[dict], dict]:
    rows = []
    for line in (results_dir / "results.jsonl").read_text().splitlines():
        line = line.strip()
        if line:
            rows.append(json.loads(line))
    meta = json.loads((results_dir / "meta.json").read_text())
    return merge_rounds(rows), meta


def merge_rounds(rows: list[dict]) -> list[dict]:
    """One entry per (section, transport, client) measured in rounds: the
    result of its median round by calls/s (so that row's figures come from
    one process), with every round's calls/s kept in `rounds_cps`. A failed
    round makes the entry a failure."""
    merged: dict[tuple, dict] = {}
    order: list[tuple] = []
    out: list[dict] = []
    for r in rows:
        if "round" not in r:
            out.append(r)
            continue
        key = (r["section"], r.get("transport"), r.get("client"))
        if key not in merged:
            merged[key] = {"section": key[0], "transport": key[1], "client": key[2], "runs": []}
            order.append(key)
            out.append(merged[key])
        merged[key]["runs"].append(r)
    for key in order:
        m = merged[key]
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


def same_round_ratios(rows, section, transport, client, base, base_section=None) -> list[float]:
    """client's calls/s over base's, round by round (each pair measured
    seconds apart), in round order."""
    a = pick(rows, section, transport, client)
    b = pick(rows, base_section or section, transport, base)
    if not a or not b:
        return []
    ra, rb = a.get("by_round", {}), b.get("by_round", {})
    return [ra[k] / rb[k] for k in sorted(ra) if rb.get(k)]


def pick(rows, section, transport=None, client=None):
    for r in rows:
        if r.get("section") != section:
            continue
        if transport is not None and r.get("transport") != transport:
            continue
        if client is not None and r.get("client") != client:
            continue
        return r
    return None


def res(rows, section, transport, client):
    r = pick(rows, section, transport, client)
    return r.get("result") if r and "result" in r else None


def fmt_num(x: float | None, digits: int = 0) -> str:
    if x is None:
        return "–"
    if digits == 0:
        return f"{x:,.0f}"
    return f"{x:,.{digits}f}"


def fmt_ratio(x: float | None, base: float | None) -> str:
    if x is None or not base:
        return ""
    r = x / base
    if r >= 100:
        return f" ({r:,.0f}×)"
    if r >= 10:
        return f" ({r:.1f}×)"
    return f" ({r:.2f}×)"


def cell(x, base, digits=0):
    return fmt_num(x, digits) + fmt_ratio(x, base)


def spread(entry) -> str:
    """calls/s of the slowest and fastest round, when there were several."""
    cps = entry.get("rounds_cps") or []
    if len(cps) < 2:
        return ""
    return f"{min(cps):,.0f}–{max(cps):,.0f}"


def seq_table(rows, section, transport, clients, wrk) -> list[str]:
    base = res(rows, section, transport, "official")
    out = [
        "| Client | median µs/call | p99 µs/call | calls/s | of `wrk -c1` limit | CPU µs/call | peak RSS MiB | calls | calls/s, all rounds |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key in clients:
        entry = pick(rows, section, transport, key)
        if entry is None:
            continue
        name = CLIENTS[key]
        if "result" not in entry:
            why = entry.get("skipped") or entry.get("error") or "no result"
            kind = "skipped" if "skipped" in entry else "FAILED"
            out.append(f"| {name} | {kind}: {why} | | | | | | | |")
            continue
        r = entry["result"]
        b = base or {}
        frac = f"{100 * r['calls_per_s'] / wrk['calls_per_s']:.0f}%" if wrk else "–"
        out.append(
            "| {name} | {med} | {p99} | {cps} | {frac} | {cpu} | {rss} | {n:,} | {spread} |".format(
                name=name,
                med=cell(r["median_us"], b.get("median_us"), 1),
                p99=cell(r["p99_us"], b.get("p99_us"), 1),
                cps=cell(r["calls_per_s"], b.get("calls_per_s")),
                frac=frac,
                cpu=cell(r["cpu_us_per_call"], b.get("cpu_us_per_call"), 1),
                rss=cell(r["maxrss_kb"] / 1024, b.get("maxrss_kb", 0) / 1024 or None, 1),
                n=r["calls"],
                spread=spread(entry),
            )
        )
    if wrk:
        out.append(
            f"| *`wrk -t1 -c1`: single-connection limit of the server* | {wrk['median_us']:.1f} "
            f"| {wrk['p99_us']:.1f} | {wrk['calls_per_s']:,.0f} | 100% | | | {wrk['calls']:,} "
            f"| {spread(pick(rows, 'wrk', transport, 'wrk'))} |"
        )
    return out


def php_own_run(fig: str, v: str) -> tuple[str, str]:
    """The PHP target from bench/php/compare.php's own run, when the main run
    has no PHP rows."""
    php = Path(__file__).parent / "php" / "results.md"
    m = re.search(
        r"- PHP binding: (\d+)% of the C ABI's calls/s; round by round ([^(]+?) \(target ≥ 90%: (\*\*[a-z ]+\*\*)\)",
        php.read_text() if php.exists() else "",
    )
    if not m:
        return fig, v
    return f"{m[1]}% in its own run (see its section); round by round {m[2]}", m[3]


def target_rows(rows, meta):
    """(key, target, figure, verdict) for every target of the issue."""
    t = []

    def add(key, target, fig, ok):
        verdict = "not measured" if ok is None else "**met**" if ok else "**not met**"
        t.append((key, target, fig if ok is not None else "–", verdict))

    def cps(section, tr, c):
        r = res(rows, section, tr, c)
        return r["calls_per_s"] if r else None

    def share(a, b, floor, per):
        """a's calls/s as a share of b's, with every round's when there were several."""
        if a is None or b is None:
            return None, ""
        fig = f"{100 * a / b:.0f}% ({a:,.0f} of {b:,.0f} calls/s)"
        if len(per) > 1:
            fig += "; round by round " + ", ".join(f"{100 * x:.0f}%" for x in per)
        return a >= floor * b, fig

    for tr in ("tls", "plain"):
        per = same_round_ratios(rows, "seq", tr, "py", "wrk", "wrk")
        ok, fig = share(cps("seq", tr, "py"), cps("wrk", tr, "wrk"), 0.8, per)
        target = f"Python module, sequential over {TRANSPORTS[tr]}: ≥ 80% of the `wrk -c1` limit"
        add("py-limit-" + tr, target, fig, ok)
    py = cps("seq", "tls", "py")
    for key, other, name, times in [
        ("py-vs-official", "official", "the official SDK", 20),
        ("py-vs-requests", "requests", "`requests.Session`", 5),
    ]:
        o = cps("seq", "tls", other)
        ok = None if py is None or o is None else py >= times * o
        fig = f"{py / o:.1f}×" if ok is not None else ""
        add(key, f"Python module ≥ {times}× {name} (sequential, TLS)", fig, ok)
    for tr in ("tls", "plain"):
        th, sq = cps("threads", tr, "py"), cps("seq", tr, "py")
        ok = None if th is None or sq is None else th >= 1.5 * sq
        target = f"Python module, 8 threads ≥ 1.5× its sequential rate ({TRANSPORTS[tr]})"
        add("py-threads-" + tr, target, f"{th / sq:.2f}×" if ok is not None else "", ok)
    for tr in ("tls", "plain"):
        c, r = res(rows, "seq", tr, "c-abi"), res(rows, "seq", tr, "rust")
        ok, fig = None, ""
        if c and r:
            d_med = c["median_us"] / r["median_us"] - 1
            d_mean = (1 / c["calls_per_s"]) / (1 / r["calls_per_s"]) - 1
            ok = d_med <= 0.05 and d_mean <= 0.05
            fig = f"median {d_med:+.1%}, mean time per call {d_mean:+.1%}"
        add(
            "c-vs-rust-" + tr,
            f"C ABI within 5% of the Rust core per call ({TRANSPORTS[tr]})",
            fig,
            ok,
        )
    for tr in ("tls", "plain"):
        r, c = res(rows, "seq", tr, "rust"), res(rows, "seq", tr, "libcurl")
        ok, fig = None, ""
        if r and c:
            rc, cc = r["cpu_us_per_call"], c["cpu_us_per_call"]
            ok, fig = rc <= cc, f"{rc:.1f} vs {cc:.1f} µs ({rc / cc:.2f}×)"
        add("rust-cpu-" + tr, f"Rust core's CPU per call ≤ libcurl's ({TRANSPORTS[tr]})", fig, ok)
    for key, lang in BINDINGS.items():
        per = same_round_ratios(rows, "seq", "tls", key, "c-abi")
        ok, fig = share(cps("seq", "tls", key), cps("seq", "tls", "c-abi"), 0.9, per)
        target = f"{lang} binding ≥ 90% of the C ABI's calls/s (sequential, TLS)"
        if ok is None and key == "php-binding":
            fig, v = php_own_run(fig, "not measured")
            if v != "not measured":
                t.append(("binding-php", target, fig, v))
                continue
        add("binding-" + lang.lower(), target, fig, ok)
    for tr in ("plain", "tls"):
        sc = {
            r["client"]: r["total_per_call"]
            for r in rows
            if r.get("section") == "syscalls" and r.get("transport") == tr and "total_per_call" in r
        }
        r, c = sc.get("rust"), sc.get("libcurl")
        ok = None if r is None or c is None else r <= c
        target = f"System calls per pooled call ≤ libcurl's ({TRANSPORTS[tr]})"
        add("syscalls-" + tr, target, f"{r:g} vs {c:g}" if ok is not None else "", ok)
    imp = pick(rows, "import", client="engagelab_push")
    ok = imp["median_ms"] <= 20 if imp and "median_ms" in imp else None
    add(
        "import",
        "`import engagelab_push` ≤ 20 ms",
        f"{imp['median_ms']:.1f} ms" if ok is not None else "",
        ok,
    )
    return t


def load_bulk(results_dir: Path) -> dict | None:
    """bulk.json of bench/bulk.py, when it has been run."""
    path = results_dir / "bulk.json"
    return json.loads(path.read_text()) if path.exists() else None


def bulk_targets(bulk: dict | None) -> list:
    from bulk import targets

    return targets(bulk)


def load_in_flight(results_dir: Path) -> dict | None:
    """in_flight.json of bench/in_flight.py, when it has been run."""
    path = results_dir / "in_flight.json"
    return json.loads(path.read_text()) if path.exists() else None


def bulk_section(bulk: dict) -> list[str]:
    from bulk import section

    return section(bulk)


def notes_for(key: str, notes_text: str) -> str | None:
    """The paragraph of bench/notes.md under `## key`."""
    m = re.search(
        rf"^## {re.escape(key)}\s*$(.*?)(?=^## |\Z)", notes_text, re.DOTALL | re.MULTILINE
    )
    return m.group(1).strip() if m else None


def chart(rows, png: Path, title_suffix: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [k for k in CLIENTS if any(res(rows, "seq", tr, k) for tr in TRANSPORTS)]
    keys.sort(key=lambda k: -(res(rows, "seq", "tls", k) or {"calls_per_s": 0})["calls_per_s"])
    fig, ax = plt.subplots(figsize=(9, 0.55 * len(keys) + 1.9), dpi=110)
    height = 0.38
    colors = {"tls": "#1f6feb", "plain": "#9ecbff"}
    for i, tr in enumerate(("tls", "plain")):
        ys = [j + (i - 0.5) * height for j in range(len(keys))]
        vals = [(res(rows, "seq", tr, k) or {"calls_per_s": 0})["calls_per_s"] for k in keys]
        bars = ax.barh(
            ys, vals, height=height, color=colors[tr], label=f"sequential, {TRANSPORTS[tr]}"
        )
        for bar, v in zip(bars, vals):
            if v:
                ax.text(
                    bar.get_width(),
                    bar.get_y() + bar.get_height() / 2,
                    f" {v:,.0f}",
                    va="center",
                    fontsize=8,
                )
        w = res(rows, "wrk", tr, "wrk")
        if w:
            ax.axvline(
                w["calls_per_s"],
                color=colors[tr],
                ls="--",
                lw=1.2,
                label=f"wrk -c1 limit, {TRANSPORTS[tr]} ({w['calls_per_s']:,.0f}/s)",
            )
    ax.set_yticks(range(len(keys)), [SHORT[k] for k in keys])
    ax.invert_yaxis()
    ax.set_xlabel("calls/s (one DELETE /v4/devices/{id} each; higher is better)")
    ax.set_title(f"Sequential deletes on loopback, nginx server{title_suffix}")
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    xmax = max(
        [(res(rows, "wrk", tr, "wrk") or {"calls_per_s": 0})["calls_per_s"] for tr in TRANSPORTS]
        + [
            (res(rows, "seq", tr, k) or {"calls_per_s": 0})["calls_per_s"]
            for tr in TRANSPORTS
            for k in keys
        ]
    )
    ax.set_xlim(0, xmax * 1.15 if xmax else 1)
    fig.tight_layout()
    fig.savefig(png)


def main() -> None:
    results_dir, md_out, png_out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    rows, meta = load(results_dir)
    notes_path = Path(__file__).with_name("notes.md")
    notes_text = notes_path.read_text() if notes_path.exists() else ""
    quick = meta.get("quick", False)
    try:
        results_rel = str(results_dir.resolve().relative_to(Path(__file__).resolve().parent.parent))
    except ValueError:
        results_rel = str(results_dir)
    L: list[str] = []
    L.append("# Benchmarks")
    L.append("")
    if quick:
        L.append(
            "> **Quick mode** (`cargo xtask bench --quick`): small N, for CI to keep the harness working. "
            "These figures are not the published ones."
        )
        L.append("")
    L.append(
        "What one `DELETE /v4/devices/{registration_id}` costs through this library (Rust core, C ABI, "
        "Python module) next to what one would use instead: the official EngageLab Python SDK, "
        "`requests`, `httpx`, and a C program on libcurl. Every figure below comes from one run of "
        f"`{meta['command']}` on {meta['date']}; ratios compare clients measured in that same run."
    )
    L.append("")
    png_rel = meta.get("png_rel", "bench/calls_per_sec.png")
    L.append(f"![calls/s per client]({png_rel})")
    L.append("")
    L.append("## How it is measured")
    L.append("")
    L.append(
        "- **Server**: {nginx} (Debian package), one worker, on loopback, with a throwaway CA and an "
        "ECDSA P-256 server certificate made by `openssl` at bench time; it answers every "
        '`DELETE /v4/devices/...` with `200 {{"success":true}}` (`application/json; charset=utf-8`), '
        "`access_log off`, keep-alive for 100M requests / 1 h. Plain HTTP and TLS (1.2/1.3, whatever each "
        "client negotiates) on two ports of the same server.".format(nginx=meta.get("nginx", "?"))
    )
    L.append(
        "- **Single-connection limit**: `wrk -t1 -c1 -d{d}` with the same request "
        "(`bench/wrk_delete.lua`): one C event loop keeping one connection busy, one request at a time, "
        "in the same rounds as the clients. Every client's rate is shown as a fraction of it. It is the "
        "practical limit rather than an absolute one: wrk is an epoll event loop (for every request it "
        "re-arms its interest in the socket and waits in `epoll_wait`), so a lean blocking client can "
        "come out at or slightly above 100%.".format(d=meta.get("wrk_duration", "?"))
    )
    L.append(
        "- **Each client** is its own process: {warm} untimed warm-up calls, then timed calls for "
        "{dur}; {rounds}. Per call: wall time around the call (median and p99, nearest rank). calls/s = timed calls "
        "/ wall time of the timed phase. CPU µs/call = the process's user+system CPU time "
        "(`getrusage(RUSAGE_SELF)`) over the timed phase / calls: client-side cost only, the server's is not "
        "counted. Peak RSS = `ru_maxrss` of the whole process at the end.".format(
            warm=meta.get("warmup", "?"),
            dur=meta.get("duration_text", "?"),
            rounds=(
                "every client (and wrk) runs once in each of {n} rounds, one round after the other, "
                "and each row shows the round with the median calls/s (its other figures are that "
                "same process's); the last column gives every round's calls/s".format(
                    n=meta["rounds"]
                )
                if meta.get("rounds", 1) > 1
                else "one round"
            ),
        )
    )
    L.append(
        "- **Same request everywhere**: `DELETE /v4/devices/bench-device-0001`, `Authorization: Basic …`, "
        "`Accept: application/json`; every client checks the status and reads the body; one client object "
        "(one connection pool) per process. `requests` and `httpx` get a ready `Authorization` header in "
        "the session (their best case). Retries off in this library (`max_retries(0)`)."
    )
    L.append(
        "- **Language bindings**: the Go, Node, Java and PHP bindings (each over the same release build "
        "of the C ABI, retries off) next to what a user of that language would write by hand: Go "
        "`net/http`, Node `https`/`http` with a keep-alive `Agent` and Node's `fetch`, Java "
        "`java.net.http.HttpClient`, PHP's `curl` extension with one reused handle (what Guzzle runs "
        "on). Their bench clients live under `bench/` "
        "(`bench/go`, `bench/node/delete.mjs`, `bench/java/Bench.java`, `bench/php/el_bench.php` and "
        "`curl_bench.php` under `php -d ffi.enable=1`); "
        "the harness turns their JSON into the fields above. The Node and Java clients get 2,000 "
        "warm-up calls (their JITs are still compiling after 200); the Go client makes its own 100. "
        "The Go client reports the RSS at its end (`VmRSS`) rather than the peak. Their calls/s are "
        "compared with the C ABI's measured in the same round. They are left out of "
        "`cargo xtask bench --quick`."
    )
    L.append(
        "- **Official SDK**: `engagelab.Client(app_key, master_secret, base_url=...)` and its own "
        "`client.device.delete(id)`; nothing is patched (it takes a base URL). It opens a new connection per "
        "call (`urllib.request.urlopen`), so over TLS every call is a full handshake. Its default SSL "
        "context is pointed at the bench CA through `SSL_CERT_FILE`. That context is made anew for every "
        "call and loads its CA file every time: with the one-certificate bench CA that is cheap, but in "
        "real use it is the system bundle. So the SDK has two rows over TLS: the main one (the baseline "
        "of every ratio, the favourable case) and one whose `SSL_CERT_FILE` is OpenSSL's default CA file "
        "plus the bench CA, which is what each call loads in real use."
    )
    L.append(
        "- **Threads**: 8 threads in one process calling at once for the same duration. The Python "
        "module and the official SDK share one client; `requests` gets one `Session` per thread (Session "
        "is not documented as thread-safe); the Rust core (one shared `Client`) is shown for reference."
    )
    L.append(
        "- The machine has {nproc} cores shared by client and server: over loopback a call is a round "
        "trip between two processes, so the client's own CPU time per call adds directly to it.".format(
            nproc=meta.get("nproc", "?")
        )
    )
    if meta.get("pinned"):
        L.append(
            "- **Placement**: nginx's worker runs on CPU 0 (`worker_cpu_affinity`), wrk and every sequential "
            "client on CPU 1 (`taskset -c 1`), so every run crosses cores the same way. Left to the "
            "scheduler, a client lands on nginx's core in some runs and not in others, and on this virtual "
            "machine a cross-core wake-up costs several times a same-core switch, which alone moves "
            "`wrk -c1` by a large factor. The 8-thread runs may use every CPU. `BENCH_PIN=0` turns "
            "placement off."
        )
    L.append("")

    for tr in ("tls", "plain"):
        wrk = res(rows, "wrk", tr, "wrk")
        L.append(f"## Sequential deletes, {TRANSPORTS[tr]}")
        L.append("")
        L.append(
            "One client, one call at a time. In brackets: the ratio to the official SDK measured in "
            "the same run (calls/s: higher is better; µs, CPU and RSS: lower is better)."
        )
        L.append("")
        L += seq_table(rows, "seq", tr, list(CLIENTS), wrk)
        L.append("")

    L.append("## 8 threads, one process")
    L.append("")
    for tr in ("tls", "plain"):
        L.append(f"### {TRANSPORTS[tr]}")
        L.append("")
        base = res(rows, "threads", tr, "official")
        L.append(
            "| Client (8 threads) | calls/s | vs its own sequential rate | median µs/call | p99 µs/call | CPU µs/call | peak RSS MiB | calls/s, all rounds |"
        )
        L.append("|---|---:|---:|---:|---:|---:|---:|---:|")
        for key in ("py", "requests", "official", "rust"):
            entry = pick(rows, "threads", tr, key)
            if entry is None:
                continue
            name = CLIENTS[key] + (" (reference)" if key == "rust" else "")
            if "result" not in entry:
                why = entry.get("skipped") or entry.get("error") or "no result"
                L.append(
                    f"| {name} | {'skipped' if 'skipped' in entry else 'FAILED'}: {why} | | | | | | |"
                )
                continue
            r = entry["result"]
            s = res(rows, "seq", tr, key)
            b = base or {}
            L.append(
                "| {name} | {cps} | {vs} | {med} | {p99} | {cpu} | {rss} | {spread} |".format(
                    name=name,
                    cps=cell(r["calls_per_s"], b.get("calls_per_s")),
                    vs=f"{r['calls_per_s'] / s['calls_per_s']:.2f}×" if s else "–",
                    med=cell(r["median_us"], b.get("median_us"), 1),
                    p99=cell(r["p99_us"], b.get("p99_us"), 1),
                    cpu=cell(r["cpu_us_per_call"], b.get("cpu_us_per_call"), 1),
                    rss=cell(r["maxrss_kb"] / 1024, (b.get("maxrss_kb") or 0) / 1024 or None, 1),
                    spread=spread(entry),
                )
            )
        L.append("")

    L.append("## Footprint")
    L.append("")
    L.append("### Size on disk")
    L.append("")
    L.append("| What | bytes | MiB |")
    L.append("|---|---:|---:|")
    for r in rows:
        if r.get("section") == "size":
            if "bytes" in r:
                L.append(f"| {r['label']} | {r['bytes']:,} | {r['bytes'] / 2**20:.2f} |")
            else:
                L.append(f"| {r['label']} | skipped: {r.get('skipped', '?')} | |")
    L.append("")
    L.append("### Python import time")
    L.append("")
    runs = next((r.get("runs") for r in rows if r.get("section") == "import" and "runs" in r), "?")
    L.append(
        f"`python -X importtime -c 'import X'` in a fresh interpreter, {runs} times each (after one "
        "untimed run that writes the bytecode caches); the median of X's cumulative import time. "
        "In brackets: the ratio to `import engagelab` (the official SDK)."
    )
    L.append("")
    L.append("| Module | median ms | min ms | max ms |")
    L.append("|---|---:|---:|---:|")
    off_imp = pick(rows, "import", client="engagelab")
    off_ms = off_imp.get("median_ms") if off_imp else None
    for r in rows:
        if r.get("section") == "import":
            if "median_ms" in r:
                L.append(
                    f"| `import {r['client']}` | {cell(r['median_ms'], off_ms, 2)} | {r['min_ms']:.2f} | {r['max_ms']:.2f} |"
                )
            else:
                L.append(f"| `import {r['client']}` | skipped: {r.get('skipped', '?')} | | |")
    L.append("")
    L.append("### Peak RSS of a process that deletes one device")
    L.append("")
    L.append(
        "A whole process that builds its client, deletes one device over TLS and exits "
        "(`ru_maxrss`). In brackets: the ratio to the official SDK."
    )
    L.append("")
    L.append("| Program | peak RSS MiB |")
    L.append("|---|---:|")
    off_rss = next(
        (
            r["maxrss_kb"]
            for r in rows
            if r.get("section") == "rss1" and r.get("client") == "official" and "maxrss_kb" in r
        ),
        None,
    )
    for r in rows:
        if r.get("section") == "rss1":
            if "maxrss_kb" in r:
                L.append(
                    f"| {r['label']} | {cell(r['maxrss_kb'] / 1024, (off_rss or 0) / 1024 or None, 1)} |"
                )
            else:
                L.append(f"| {r['label']} | skipped: {r.get('skipped') or r.get('error', '?')} |")
    L.append("")

    sys_rows = [r for r in rows if r.get("section") == "syscalls"]
    if sys_rows:
        L.append("## Where the time goes: system calls per call")
        L.append("")
        L.append(
            "`strace -f -c` over a whole process making 2,000 sequential calls with no warm-up "
            "(set-up included, so about 0.05 of each figure is start-up), divided by 2,000. "
            "strace slows everything; only the counts matter here."
        )
        L.append("")
        for r in sys_rows:
            if "skipped" in r:
                L.append(
                    f"- {SHORT.get(r.get('client'), r.get('client', ''))} {r.get('transport', '')}: skipped ({r['skipped']})"
                )
                continue
            top = ", ".join(
                f"`{k}` {v:g}"
                for k, v in sorted(r["per_call"].items(), key=lambda kv: -kv[1])
                if v >= 0.01
            )
            L.append(
                f"- **{SHORT[r['client']]}, {TRANSPORTS[r['transport']]}**: {r['total_per_call']:g} "
                f"system calls per call: {top}"
            )
        L.append("")

    bulk = load_bulk(results_dir)
    if bulk:
        L += bulk_section(bulk)
    in_flight = load_in_flight(results_dir)
    if in_flight:
        from in_flight import section as in_flight_section

        L += in_flight_section(in_flight)

    # The PHP comparison's own run (bench/php/compare.php writes it), kept
    # as written: its figures come from that run, not from RESULTS_DIR.
    php = Path(__file__).parent / "php" / "results.md"
    if php.exists():
        L += php.read_text().rstrip("\n").split("\n")
        L.append("")

    L.append("## Targets")
    L.append("")
    L.append(
        "Where a row says *round by round*, it gives the two clients' ratio in each round, "
        "measured seconds apart; when those disagree by more than the target's margin, this run "
        "does not settle the verdict (other load on the machine moves whole rounds)."
    )
    L.append("")
    L.append("| Target | Measured | Verdict |")
    L.append("|---|---|---|")
    from in_flight import targets as in_flight_targets

    targets = target_rows(rows, meta) + bulk_targets(bulk) + in_flight_targets(in_flight)
    for _, what, fig, v in targets:
        L.append(f"| {what} | {fig} | {v} |")
    L.append("")
    missed = [(k, what) for k, what, _, v in targets if v != "**met**"]
    if missed and not quick:
        L.append("### What stands in the way, and what would fix it")
        L.append("")
        seen = set()
        for k, what in missed:
            group = re.sub(r"-(tls|plain)$", "", k)
            note = notes_for(k, notes_text) or notes_for(group, notes_text)
            if group in seen and not notes_for(k, notes_text):
                continue
            seen.add(group)
            L.append(f"**{what}**")
            L.append("")
            L.append(note or "(no analysis written yet: see bench/notes.md)")
            L.append("")
    general = notes_for("general", notes_text)
    if general and not quick:
        L.append("## Findings")
        L.append("")
        L.append(general)
        L.append("")

    L.append("## Machine and versions")
    L.append("")
    for k in (
        "cpu",
        "nproc",
        "memory",
        "kernel",
        "os",
        "load_before",
        "rustc",
        "cc",
        "python",
        "nginx",
        "wrk",
        "openssl",
        "libcurl",
        "python_packages",
    ):
        if k in meta:
            L.append(f"- **{k.replace('_', ' ')}**: {meta[k]}")
    L.append("")
    L.append("## Reproduce")
    L.append("")
    L.append("```sh")
    L.append(meta["command"])
    L.append("```")
    L.append("")
    L.append(
        "It installs what it needs (nginx, wrk, libcurl headers from Debian; a venv `.venv-bench` with "
        "pinned `requests`, `httpx`, `engagelab-apppush==0.1.1`, `matplotlib` and this project's module "
        "from `./python`) and builds the release artifacts; then the harness, `bench/run.py`, builds "
        "the clients under `bench/<language>/`, makes a throwaway CA, starts nginx on two "
        "loopback ports, runs every client in turn, stops nginx and writes this file and the chart. "
        "`cargo xtask bench --quick` (what CI runs) does the same with small N into `target/bench-quick/`. "
        f"Raw results of this run: `{results_rel}/results.jsonl` and `meta.json` "
        f"(`python bench/report.py {results_rel} OUT.md OUT.png` rebuilds this page from them). "
        "Run it on an idle machine: other "
        "load on the 2 cores shows up directly in the figures."
    )
    L.append("")
    md_out.write_text("\n".join(L))
    try:
        chart(rows, png_out, " (quick mode)" if quick else "")
    except ImportError:
        # Without matplotlib (`cargo xtask bench --bulk` runs from .venv),
        # the loopback chart of the last full run stays as it is.
        print(f"report: no matplotlib, {png_out} left as it is", file=sys.stderr)


if __name__ == "__main__":
    main()
