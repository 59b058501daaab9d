"""Threads: one client shared by 8 threads, and proof that the GIL is released
for the whole HTTP call."""

from __future__ import annotations

import threading
import time

from conftest import APP_KEY, SECRET, Mock, main_thread_during
from engagelab_push import Client


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
    computing in pure Python the whole time, never blocked on the GIL."""
    delay = 1.5
    mock.script("dev-slow", [{"status": 200, "delay_ms": int(delay * 1000)}])
    client = Client(APP_KEY, SECRET, base_url=mock.url, max_retries=0)
    _, slices, blocked = main_thread_during(lambda: client.delete_device("dev-slow"))
    # Had the call held the GIL, the main thread could not run while the
    # worker waits on the server: few slices, and blocked about as long as
    # the call.
    assert slices > 100, f"only {slices} slices of main-thread work ran during the call"
    assert blocked < delay / 3, f"the main thread was blocked for {blocked:.2f}s"
