"""Fixtures: one `engagelab-mock` server per test session, reset before each test.

The mock binary is `target/debug/engagelab-mock` (built with
`cargo build -p engagelab-mock`), or the path in `ENGAGELAB_MOCK_BIN`.
Control calls use urllib only, so the suite needs nothing beyond pytest.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from engagelab_push import Client

# The Ctrl-C tests need SIGINT to raise KeyboardInterrupt here and in the
# children they start. A run started in the background by a shell without job
# control inherits SIGINT ignored, and Python then leaves it ignored (and so
# would every child): restore Python's own handler, which exec resets to the
# default in children.
signal.signal(signal.SIGINT, signal.default_int_handler)

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "tests" / "contract" / "scenarios" / "delete_device.json"
GET_SCENARIOS = REPO / "tests" / "contract" / "scenarios" / "get_device.json"
ALIAS_SCENARIOS = REPO / "tests" / "contract" / "scenarios" / "get_alias.json"
SCENARIO_FILES = (SCENARIOS, GET_SCENARIOS, ALIAS_SCENARIOS)
ERROR_MODEL = REPO / "spec" / "error-model.toml"
APP_KEY = "demo-app-key"
SECRET = "demo-master-secret"


def _on_cpu_or_queued(tid: int) -> float:
    """Seconds thread `tid` has spent running or waiting for a CPU
    (/proc's schedstat): all its time but what it spent blocked."""
    cpu, queued, _ = Path(f"/proc/self/task/{tid}/schedstat").read_text().split()
    return (int(cpu) + int(queued)) / 1e9


def main_thread_during(call: Callable[[], Any]) -> tuple[Any, int, float]:
    """Runs `call` on a worker thread while this thread computes in pure
    Python. Returns what `call` returned, how many slices of that work ran
    while the call did, and how long this thread was blocked (neither running
    nor waiting for a CPU) meanwhile: on the GIL, had the call held it.
    Time spent waiting for a CPU on a busy machine does not count as blocked,
    so the figure does not depend on the load."""
    tid = threading.get_native_id()
    span: list[float] = []
    result: list[Any] = []
    failure: list[BaseException | None] = [None]
    started = threading.Event()

    def worker() -> None:
        try:
            span.append(time.monotonic())
            started.set()
            result.append(call())
            span.append(time.monotonic())
        except BaseException as e:  # noqa: BLE001 - the main thread raises it
            failure[0] = e
            started.set()

    t = threading.Thread(target=worker)
    t.start()
    started.wait()
    wall_before, busy_before = time.monotonic(), _on_cpu_or_queued(tid)
    ticks: list[float] = []
    total = 0
    while t.is_alive():
        for i in range(2000):
            total += i * i
        ticks.append(time.monotonic())
    wall_after, busy_after = time.monotonic(), _on_cpu_or_queued(tid)
    t.join()
    if failure[0] is not None:
        raise failure[0]
    assert total > 0
    start, end = span
    slices = sum(1 for tick in ticks if start < tick < end)
    blocked = (wall_after - wall_before) - (busy_after - busy_before)
    return result[0], slices, blocked


def error_model() -> list[dict[str, Any]]:
    """The categories of spec/error-model.toml, the single source the
    exception classes are generated from: tests compare against it rather
    than retype the list."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - the test extra installs tomli there
        import tomli as tomllib
    with ERROR_MODEL.open("rb") as f:
        categories: list[dict[str, Any]] = tomllib.load(f)["category"]
    return categories


class Mock:
    """A running engagelab-mock and its control API (`/__mock/`)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def _call(self, method: str, path: str, body: Any | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.url + "/__mock/" + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        # Loopback only: never route control calls through an environment proxy.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(req, timeout=10) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def reset(self) -> None:
        self._call("POST", "reset", {})

    def add_device(self, seed: str | dict[str, Any]) -> None:
        """Adds a device: a registration id, or {"registration_id", "tags", "alias", "platform"}."""
        body = {"registration_id": seed} if isinstance(seed, str) else seed
        self._call("POST", "devices", body)

    def devices(self) -> list[str]:
        return list(self._call("GET", "devices")["registration_ids"])

    def script(self, registration_id: str, responses: list[dict[str, Any]]) -> None:
        self._call("POST", "script", {"registration_id": registration_id, "responses": responses})

    def script_alias(self, alias: str, responses: list[dict[str, Any]]) -> None:
        """Queues answers for GET /v4/aliases/{alias} (the decoded alias)."""
        self._call("POST", "script", {"alias": alias, "responses": responses})

    def log(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "log")["requests"])

    def config(self, **settings: Any) -> None:
        self._call("POST", "config", settings)


def mock_binary() -> Path:
    given = os.environ.get("ENGAGELAB_MOCK_BIN")
    path = Path(given) if given else REPO / "target" / "debug" / "engagelab-mock"
    if not path.exists():
        pytest.exit(
            f"engagelab-mock not found at {path}: run `cargo build -p engagelab-mock` "
            "or set ENGAGELAB_MOCK_BIN",
            returncode=2,
        )
    return path


@pytest.fixture(scope="session")
def mock_server() -> Iterator[Mock]:
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    proc = subprocess.Popen(
        [str(mock_binary())],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("http"):
            raise RuntimeError(f"engagelab-mock printed {url!r} instead of its URL")
        yield Mock(url)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.fixture
def mock(mock_server: Mock) -> Mock:
    """The session's mock, reset: no scripts, no log, seeded devices only."""
    mock_server.reset()
    return mock_server


@pytest.fixture(scope="session")
def scenario_file() -> dict[str, Any]:
    with SCENARIOS.open(encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data


def client_for(mock: Mock, max_retries: int = 2, secret: str = SECRET) -> Client:
    """A client of `mock` with the mock's credentials and millisecond backoff."""
    return Client(
        APP_KEY,
        secret,
        base_url=mock.url,
        backoff_base=0.001,
        backoff_max=0.02,
        max_retries=max_retries,
    )
