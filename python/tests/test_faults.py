"""The fault matrix from Python: every case of tests/contract/faults/matrix.json (a
network fault injected by toxiproxy between the client and engagelab-mock),
checking the category, maybe_deleted, the wall time against the deadline, and
that the server saw at most 1 + max_retries requests.

Needs the toxiproxy server: TOXIPROXY_BIN, else .tools/bin/toxiproxy-server
(installed by `cargo xtask test`); without it the cases are skipped."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import APP_KEY, REPO, SECRET, Mock
from engagelab_push import Client, EngageLabError

MATRIX: dict[str, Any] = json.loads(
    (REPO / "tests" / "contract" / "faults" / "matrix.json").read_text()
)
CASES: list[dict[str, Any]] = MATRIX["cases"]
DEVICE = "fault-device"
# The API host of a case run through a proxy: never resolved, the proxy is asked for it.
PROXIED_HOST = "push.example.invalid"


class Toxiproxy:
    def __init__(self, api: str) -> None:
        self.api = api
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def call(self, method: str, path: str, body: Any | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.api + path, data=data, method=method)
        with self.opener.open(req, timeout=10) as resp:
            raw = resp.read()
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return raw.decode()


def toxiproxy_bin() -> Path | None:
    given = os.environ.get("TOXIPROXY_BIN")
    path = Path(given) if given else REPO / ".tools" / "bin" / "toxiproxy-server"
    return path if path.exists() else None


@pytest.fixture(scope="module")
def toxiproxy() -> Iterator[Toxiproxy]:
    binary = toxiproxy_bin()
    if binary is None:
        pytest.skip("toxiproxy not found (set TOXIPROXY_BIN, or run `cargo xtask test`)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [str(binary), "-host", "127.0.0.1", "-port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        toxi = Toxiproxy(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 10
        while True:
            try:
                toxi.call("GET", "/version")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        yield toxi
    finally:
        proc.terminate()
        proc.wait(timeout=5)


@pytest.fixture(scope="module")
def proxy_url(toxiproxy: Toxiproxy, mock_server: Mock) -> str:
    upstream = mock_server.url.split("://", 1)[1]
    created = toxiproxy.call(
        "POST", "/proxies", {"name": "engagelab-py", "listen": "127.0.0.1:0", "upstream": upstream}
    )
    return "http://" + str(created["listen"])


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_fault(case: dict[str, Any], mock: Mock, toxiproxy: Toxiproxy, proxy_url: str) -> None:
    mock.add_device(DEVICE)
    toxiproxy.call("POST", "/reset")
    if "mock_config" in case:
        mock.config(**case["mock_config"])
    if case.get("toxic") is not None:
        toxic = dict(case["toxic"], name="fault", toxicity=1.0)
        toxiproxy.call("POST", "/proxies/engagelab-py/toxics", toxic)
    cfg = MATRIX["client"]
    # Through a proxy, toxiproxy stands before the mock as a CONNECT proxy.
    through = case.get("through_proxy")
    route: dict[str, Any] = (
        {"base_url": proxy_url}
        if through is None
        else {
            "base_url": f"{through}://{PROXIED_HOST}",
            "proxy": proxy_url,
            "allow_insecure_http": True,
        }
    )
    client = Client(
        APP_KEY,
        SECRET,
        **route,
        timeout=cfg["timeout_ms"] / 1000,
        connect_timeout=cfg["connect_timeout_ms"] / 1000,
        max_retries=cfg["max_retries"],
        backoff_base=cfg["backoff_base_ms"] / 1000,
        backoff_max=cfg["backoff_max_ms"] / 1000,
    )
    started = time.monotonic()
    error: EngageLabError | None = None
    try:
        client.delete_device(DEVICE)
    except EngageLabError as e:
        error = e
    took_ms = (time.monotonic() - started) * 1000
    toxiproxy.call("POST", "/reset")
    time.sleep(0.05)

    expect = case["expect"]
    wrong = []
    status = "OK" if error is None else error.status
    if status != expect["status"]:
        wrong.append(f"status {status} ({error!r}), want {expect['status']}")
    if (
        "maybe_deleted" in expect
        and error is not None
        and error.maybe_deleted != expect["maybe_deleted"]
    ):
        wrong.append(f"maybe_deleted {error.maybe_deleted}, want {expect['maybe_deleted']}")
    limit = cfg["timeout_ms"] + MATRIX["deadline_slack_ms"]
    if took_ms > limit:
        wrong.append(f"took {took_ms:.0f} ms, past the deadline plus slack ({limit} ms)")
    if took_ms < expect.get("min_elapsed_ms", 0):
        wrong.append(f"took {took_ms:.0f} ms, less than {expect['min_elapsed_ms']} ms")
    seen = len(mock.log())
    if seen > 1 + cfg["max_retries"]:
        wrong.append(f"the server saw {seen} requests, more than 1 + {cfg['max_retries']}")
    assert not wrong, "; ".join(wrong)
