"""Timing harness shared by the Python benchmark clients of cargo xtask bench.

Every client is run as

    python bench/python/CLIENT.py N|SECONDSs BASE_URL [CA_FILE|-] [THREADS] [WARMUP]

- N: timed calls (e.g. 20000), or a duration (e.g. 5s): timed calls go on
  until it has passed;
- CA_FILE: PEM file of the CA that signed the server's certificate ("-": none);
- THREADS (default 1): threads calling at once; each gets its callable from
  the client's ``per_thread()`` (one shared client, or one per thread);
- WARMUP (default 200): untimed calls first, split over the threads.

It prints one JSON line: latency per call (nearest-rank median and p99, in
microseconds), calls per second of wall time, the process's user+system CPU
time during the timed phase divided by the calls (getrusage), and the peak RSS
of the process (ru_maxrss, KiB). Exits 1 if any call failed.
"""

from __future__ import annotations

import json
import math
import resource
import sys
import threading
import time

DEVICE = "bench-device-0001"
APP_KEY = "bench-app-key"
MASTER_SECRET = "bench-master-secret"
# base64("bench-app-key:bench-master-secret"), precomputed for the clients
# that take a ready header.
AUTHORIZATION = "Basic YmVuY2gtYXBwLWtleTpiZW5jaC1tYXN0ZXItc2VjcmV0"


class Args:
    def __init__(self, argv: list[str]) -> None:
        if not 2 <= len(argv) <= 5:
            sys.exit("usage: CLIENT.py N|SECONDSs BASE_URL [CA_FILE|-] [THREADS] [WARMUP]")
        self.calls = 0
        self.seconds = 0.0
        if argv[0].endswith("s"):
            self.seconds = float(argv[0][:-1])
        else:
            self.calls = int(argv[0])
        self.base_url = argv[1].rstrip("/")
        ca = argv[2] if len(argv) > 2 else "-"
        self.ca_file = None if ca in ("", "-") else ca
        self.threads = int(argv[3]) if len(argv) > 3 else 1
        self.warmup = int(argv[4]) if len(argv) > 4 else 200
        self.url = f"{self.base_url}/v4/devices/{DEVICE}"


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _pct(sorted_ns: list[int], q: float) -> float:
    if not sorted_ns:
        return 0.0
    rank = min(max(math.ceil(q * len(sorted_ns)), 1), len(sorted_ns))
    return sorted_ns[rank - 1] / 1000.0


def run(impl: str, version: str, per_thread, args: Args) -> None:
    """Runs the benchmark. `per_thread()` is called once in each thread and
    returns the zero-argument callable that deletes one device (raising on
    failure)."""
    threads = max(args.threads, 1)
    warm_each = math.ceil(args.warmup / threads)
    calls_each = math.ceil(args.calls / threads) if args.calls else 0
    errors = [0] * threads
    first_error: list[str] = []
    lats: list[list[int]] = [[] for _ in range(threads)]
    ready = threading.Barrier(threads + 1)
    go = threading.Barrier(threads + 1)
    clock = {"start": 0, "cpu0": 0.0}

    def attempt(call) -> int:
        try:
            call()
            return 0
        except Exception as e:  # noqa: BLE001 - counted, the first one shown
            if not first_error:
                first_error.append(repr(e))
            return 1

    def worker(i: int) -> None:
        call = per_thread()
        errs = 0
        for _ in range(warm_each):
            errs += attempt(call)
        if threads > 1:
            ready.wait()  # the main thread takes the clock between the two
            go.wait()
        else:
            clock["cpu0"] = _cpu()
            clock["start"] = time.perf_counter_ns()
        until = clock["start"] + int(args.seconds * 1e9) if args.seconds else 0
        lat = lats[i]
        append = lat.append
        now = time.perf_counter_ns
        n = 0
        while not (calls_each and n >= calls_each):
            t0 = now()
            try:
                call()
            except Exception as e:  # noqa: BLE001
                errs += 1
                if not first_error:
                    first_error.append(repr(e))
            t1 = now()
            append(t1 - t0)
            n += 1
            if until and t1 >= until:
                break
        errors[i] = errs

    if threads == 1:
        worker(0)
    else:
        pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
        for t in pool:
            t.start()
        ready.wait()
        clock["cpu0"] = _cpu()
        clock["start"] = time.perf_counter_ns()
        go.wait()
        for t in pool:
            t.join()
    end_ns = time.perf_counter_ns()
    cpu1 = _cpu()

    lat_all = sorted(x for lat in lats for x in lat)
    calls = len(lat_all)
    wall = (end_ns - clock["start"]) / 1e9
    total_errors = sum(errors)
    out = {
        "impl": impl,
        "version": version,
        "threads": threads,
        "warmup": warm_each * threads,
        "calls": calls,
        "errors": total_errors,
        "wall_s": round(wall, 6),
        "median_us": round(_pct(lat_all, 0.50), 2),
        "p99_us": round(_pct(lat_all, 0.99), 2),
        "mean_us": round(sum(lat_all) / calls / 1000.0, 2) if calls else 0.0,
        "calls_per_s": round(calls / wall, 1) if wall > 0 else 0.0,
        "cpu_us_per_call": round((cpu1 - clock["cpu0"]) * 1e6 / calls, 3) if calls else 0.0,
        "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }
    print(json.dumps(out), flush=True)
    if total_errors:
        print(f"{impl}: {total_errors} calls failed; first: {first_error[0]}", file=sys.stderr)
        sys.exit(1)
