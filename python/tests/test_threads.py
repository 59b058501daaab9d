"""Threads: one client shared by 8 threads, and proof that the GIL is released
for the whole HTTP call."""

from __future__ import annotations

import threading
import time

from conftest import Mock
from engagelab_push import Client

APP_KEY = "demo-app-key"
SECRET = "demo-master-secret"


def test_eight_threads_share_one_client(mock: Mock) -> None:
    threads, per_thread, latency_ms = 8, 5, 100
    ids = [f"dev-{t}-{i}" for t in range(threads) for i in range(per_thread)]
    for device in ids:
        mock.add_device(device)
    # Every device-API answer is slowed down: only parallel calls finish in time.
    mock.config(latency_ms=latency_ms)
    client = Client(APP_KEY, SECRET, base_url=mock.url)
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def work(t: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                client.delete_device(f"dev-{t}-{i}")
        except BaseException as e:  # noqa: BLE001 - the main thread asserts on it
            errors.append(e)

    started = time.monotonic()
    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(30)
    elapsed = time.monotonic() - started

    assert errors == []
    assert not any(w.is_alive() for w in workers)
    assert mock.devices() == []
    assert len(mock.log()) == threads * per_thread
    serial = threads * per_thread * latency_ms / 1000.0
    # Serialised calls would take `serial` (4 s); parallel ones about per_thread * latency.
    assert elapsed < serial / 2, f"{elapsed:.2f}s: the calls did not run in parallel"


def test_gil_is_released_during_the_call(mock: Mock) -> None:
    """A worker thread waits 1.5 s on a slow answer; the main thread keeps
    computing in pure Python the whole time."""
    delay = 1.5
    mock.script("dev-slow", [{"status": 200, "delay_ms": int(delay * 1000)}])
    client = Client(APP_KEY, SECRET, base_url=mock.url, max_retries=0)
    in_call = threading.Event()
    span: list[float] = []
    failure: list[BaseException | None] = [None]

    def worker() -> None:
        try:
            in_call.set()
            span.append(time.monotonic())
            client.delete_device("dev-slow")
            span.append(time.monotonic())
        except BaseException as e:  # noqa: BLE001 - the main thread asserts on it
            failure[0] = e

    t = threading.Thread(target=worker)
    t.start()
    in_call.wait()
    # Pure-Python work on the main thread while the worker is inside the call;
    # record when each slice of work ran.
    ticks: list[float] = []
    total = 0
    while t.is_alive():
        for i in range(2000):
            total += i * i
        ticks.append(time.monotonic())
    t.join()

    assert failure[0] is None, failure[0]
    start, end = span
    assert end - start >= delay * 0.9
    during = [x for x in ticks if start < x < end]
    # Had the call held the GIL, the main thread could not run while the
    # worker waits on the server: no tick in the middle of the call, and one
    # gap as long as the call.
    middle = [x for x in during if start + 0.3 < x < end - 0.3]
    assert len(middle) > 100, f"only {len(middle)} slices of main-thread work ran during the call"
    gaps = [b - a for a, b in zip([start] + during, during + [end])]
    assert max(gaps) < delay / 3, f"the main thread stalled for {max(gaps):.2f}s"
    assert total > 0
