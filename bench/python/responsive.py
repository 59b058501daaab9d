"""How soon engagelab_push.AsyncClient's calls end at a cancel or a timeout
while other calls are in flight, for the "Calls in flight" section of
BENCHMARKS.md:

    python bench/python/responsive.py ROUNDS

Starts engagelab-mock (ENGAGELAB_MOCK_BIN, or target/debug/engagelab-mock)
and, ROUNDS times, with 0, 4, 16 and 64 calls pending that the mock answers
after 1 s, starts a delete_device task cancelled at 100 ms and a get_device
with timeout=0.3, both on ids answered after 3 s, and times how late each
ends. Prints one JSON line: cancel_late_ms and timeout_late_ms, for each count
pending one figure per round.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import engagelab_push

ROOT = Path(__file__).resolve().parent.parent.parent
PENDING = [0, 4, 16, 64]
SLOW_MS = 1000


def control(url: str, what: str, body: dict[str, Any]) -> None:
    """POSTs `body` to the mock's control API, never through a proxy."""
    req = urllib.request.Request(
        f"{url}/__mock/{what}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(req, timeout=10) as resp:
        resp.read()


async def ended_after(awaitable: Any, started: float) -> float:
    """Milliseconds after `started` the awaitable ended, however it ended."""
    try:
        await awaitable
    except (asyncio.CancelledError, engagelab_push.EngageLabError):
        pass
    return (time.monotonic() - started) * 1000


async def one(
    url: str, client: engagelab_push.AsyncClient, n: int, tag: str
) -> tuple[float, float]:
    """How late the cancelled call and the timed-out one ended, behind `n` pending."""
    control(url, "reset", {})
    slow = [{"status": 200, "body": "{}", "delay_ms": SLOW_MS}]
    for i in range(n):
        control(url, "script", {"registration_id": f"{tag}-{i}", "responses": slow})
    control(
        url,
        "script",
        {"registration_id": "cancel-me", "responses": [{"status": 200, "delay_ms": 3000}]},
    )
    late = [{"status": 200, "body": "{}", "delay_ms": 3000}]
    control(url, "script", {"registration_id": "time-me-out", "responses": late})
    pending = [asyncio.ensure_future(client.get_device(f"{tag}-{i}")) for i in range(n)]
    started = time.monotonic()
    task = asyncio.ensure_future(client.delete_device("cancel-me"))
    asyncio.get_running_loop().call_later(0.1, task.cancel)
    cancelled = asyncio.ensure_future(ended_after(task, started))
    timed_out = await ended_after(client.get_device("time-me-out", timeout=0.3), started)
    result = (await cancelled - 100, timed_out - 300)
    await asyncio.gather(*pending)
    return result


async def measure(url: str, rounds: int) -> dict[str, dict[int, list[float]]]:
    """ROUNDS of `one` at every count pending."""
    client = engagelab_push.AsyncClient(
        "bench-app-key", "bench-master-secret", base_url=url, max_retries=0
    )
    out: dict[str, dict[int, list[float]]] = {"cancel_late_ms": {}, "timeout_late_ms": {}}
    for r in range(rounds):
        for n in PENDING:
            c, t = await one(url, client, n, f"pending-{r}-{n}")
            out["cancel_late_ms"].setdefault(n, []).append(c)
            out["timeout_late_ms"].setdefault(n, []).append(t)
    await client.close()
    return out


def main(rounds: int) -> None:
    mock_bin = os.environ.get("ENGAGELAB_MOCK_BIN") or str(ROOT / "target/debug/engagelab-mock")
    mock = subprocess.Popen([mock_bin], stdout=subprocess.PIPE, text=True)
    try:
        assert mock.stdout is not None
        out = asyncio.run(measure(mock.stdout.readline().strip(), rounds))
    finally:
        mock.terminate()
        mock.wait()
    print(json.dumps(out))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
