"""Prints one JSON line: how long ``import MODULE`` takes in a fresh
interpreter (``-X importtime``, the module's cumulative time), over RUNS runs.

    python bench/tools/import_time.py MODULE RUNS

One run before the timed ones writes the bytecode caches.
"""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys


def once(module: str) -> float:
    p = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        check=True,
    )
    for line in p.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)$", line)
        if m and m.group(4) == module and len(m.group(3)) == 1:
            return int(m.group(2)) / 1000.0
    raise SystemExit(f"no import time line for {module}")


def main(module: str, runs: int) -> None:
    once(module)
    times = [once(module) for _ in range(runs)]
    print(
        json.dumps(
            {
                "section": "import",
                "client": module,
                "runs": runs,
                "median_ms": round(statistics.median(times), 3),
                "min_ms": round(min(times), 3),
                "max_ms": round(max(times), 3),
            }
        )
    )


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], int(sys.argv[2]))
