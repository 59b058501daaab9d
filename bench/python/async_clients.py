"""asyncio clients for the in-flight benchmark (bench/in_flight.py):

    python bench/python/async_clients.py CLIENT SECONDS BASE_URL CA_FILE|- IN_FLIGHT WARMUP

CLIENT is `engagelab` (engagelab_push.AsyncClient), `httpx` (httpx.AsyncClient)
or `aiohttp` (aiohttp.ClientSession), each one client shared by IN_FLIGHT
tasks that delete in a loop until SECONDS have passed (after WARMUP untimed
calls), on uvloop-free asyncio. Prints one JSON line: impl, version, calls,
seconds, calls_per_sec, errors. Exits 1 if any call failed.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import sys
import time

import harness


async def make(which: str, base_url: str, ca: str | None):
    url = f"{base_url}/v4/devices/{harness.DEVICE}"
    headers = {"Authorization": harness.AUTHORIZATION, "Accept": "application/json"}
    if which == "engagelab":
        import engagelab_push

        kw: dict = {"base_url": base_url, "max_retries": 0}
        if ca:
            kw["ca_file"] = ca
        client = engagelab_push.AsyncClient(harness.APP_KEY, harness.MASTER_SECRET, **kw)
        version = getattr(engagelab_push, "__version__", "?")
        return "engagelab_push.AsyncClient", version, lambda: client.delete_device(harness.DEVICE)
    if which == "httpx":
        import httpx

        verify = ssl.create_default_context(cafile=ca) if ca else True
        limits = httpx.Limits(max_connections=1000, max_keepalive_connections=1000)
        hc = httpx.AsyncClient(verify=verify, timeout=30, headers=headers, limits=limits)

        async def call_httpx() -> None:
            r = await hc.delete(url)
            if r.status_code != 200:
                raise RuntimeError(f"HTTP {r.status_code}")

        return "httpx.AsyncClient", httpx.__version__, call_httpx
    if which == "aiohttp":
        import aiohttp

        context = ssl.create_default_context(cafile=ca) if ca else None
        connector = aiohttp.TCPConnector(limit=0, ssl=context if context else True)
        session = aiohttp.ClientSession(headers=headers, connector=connector)

        async def call_aiohttp() -> None:
            async with session.delete(url) as r:
                await r.read()
                if r.status != 200:
                    raise RuntimeError(f"HTTP {r.status}")

        return "aiohttp.ClientSession", aiohttp.__version__, call_aiohttp
    sys.exit(f"unknown client {which}: engagelab, httpx or aiohttp")


async def bench(
    which: str, seconds: float, base_url: str, ca: str | None, tasks: int, warmup: int
) -> dict:
    impl, version, call = await make(which, base_url.rstrip("/"), ca)
    errors: list[str] = []

    async def once() -> int:
        try:
            await call()
            return 0
        except Exception as e:  # noqa: BLE001 - counted, the first one shown
            errors.append(repr(e))
            return 1

    async def warm(share: int) -> None:
        for _ in range(share):
            await once()

    # Warm-up with the run's own concurrency: thousands at once would only
    # measure the clients' pool limits (httpx raises PoolTimeout).
    await asyncio.gather(*(warm(-(-warmup // tasks)) for _ in range(tasks)))
    counts = [0] * tasks
    until = time.perf_counter() + seconds

    async def loop(i: int) -> None:
        while time.perf_counter() < until:
            await once()
            counts[i] += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(loop(i) for i in range(tasks)))
    wall = time.perf_counter() - t0
    calls = sum(counts)
    out = {"impl": impl, "version": version, "calls": calls, "seconds": round(wall, 3)}
    out |= {"calls_per_sec": round(calls / wall, 1), "errors": len(errors)}
    if errors:
        out["first_error"] = errors[0]
    return out


def main() -> None:
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    which, seconds, base_url, ca, tasks, warmup = sys.argv[1:]
    result = asyncio.run(
        bench(which, float(seconds), base_url, None if ca == "-" else ca, int(tasks), int(warmup))
    )
    print(json.dumps(result))
    sys.exit(1 if result["errors"] else 0)


if __name__ == "__main__":
    main()
