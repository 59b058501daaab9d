"""Every scenario of tests/contract/scenarios/delete_device.json,
tests/contract/scenarios/get_device.json and tests/contract/scenarios/get_alias.json, run
against engagelab-mock.

The same files drive the Rust and C suites, so a Python mapping that differs
from the core's decision fails here. The files are checked against
tests/contract/scenarios/schema.json once, by `cargo xtask lint`; this runner
reads them as they are.
"""

from __future__ import annotations

import json
import time
from typing import Any

import engagelab_push
import pytest
from conftest import SCENARIO_FILES, Mock
from engagelab_push import EngageLabError

SCENARIO_LIST: list[dict[str, Any]] = []
for _path in SCENARIO_FILES:
    with _path.open(encoding="utf-8") as _f:
        _DATA: dict[str, Any] = json.load(_f)
    # Every file uses the same credentials (the mock's defaults).
    CREDENTIALS: dict[str, str] = _DATA["credentials"]
    SCENARIO_LIST += _DATA["scenarios"]

#: The exception class each category must arrive as.
CLASSES: dict[str, type] = dict(engagelab_push.exceptions.BY_STATUS)

#: Scenario `client` settings in milliseconds → Client keyword arguments in
#: seconds; the other settings (the schema lists them) pass as they are.
MS_SETTINGS = {
    "timeout_ms": "timeout",
    "connect_timeout_ms": "connect_timeout",
    "backoff_base_ms": "backoff_base",
    "backoff_max_ms": "backoff_max",
    "max_retry_after_ms": "max_retry_after",
}


def client_kwargs(settings: dict[str, Any], mock_url: str) -> dict[str, Any]:
    """The Client arguments a scenario's `client` object describes."""
    kwargs: dict[str, Any] = {
        "app_key": settings.get("app_key", CREDENTIALS["app_key"]),
        "master_secret": settings.get("master_secret", CREDENTIALS["master_secret"]),
        "base_url": str(settings.get("base_url", "{mock}")).replace("{mock}", mock_url),
        # Fast backoff unless the scenario tests the backoff itself.
        "backoff_base": 0.001,
        "backoff_max": 0.020,
    }
    for key, value in settings.items():
        if key in ("app_key", "master_secret", "base_url"):
            continue
        if key in MS_SETTINGS:
            kwargs[MS_SETTINGS[key]] = value / 1000.0
        else:
            kwargs[key] = value
    return kwargs


def check_requests(expected: list[dict[str, Any]], log: list[dict[str, Any]]) -> None:
    assert len(log) == len(expected), f"requests sent: {[(r['method'], r['path']) for r in log]}"
    for want, got in zip(expected, log):
        assert got["method"] == want["method"]
        assert got["path"] == want["path"]
        headers = {name.lower(): value for name, value in got["headers"]}
        for name, value in want.get("headers", {}).items():
            assert headers.get(name.lower()) == value, f"header {name}"
        if "body_size" in want:
            assert got["body_size"] == want["body_size"]


def check_device(device: engagelab_push.Device, registration_id: str, want: dict[str, Any]) -> None:
    """The device get_device returned, against `expect.device`; the types always."""
    assert device.registration_id == registration_id
    assert isinstance(device.tags, tuple) and all(isinstance(t, str) for t in device.tags)
    assert device.alias is None or isinstance(device.alias, str)
    assert isinstance(device.raw, dict) and device.raw == json.loads(device.raw_json)
    if "tags" in want:
        assert device.tags == tuple(want["tags"])
    if "alias" in want:
        assert device.alias == want["alias"]
    if "raw" in want:
        assert device.raw == want["raw"]
    if "raw_json" in want:
        assert device.raw_json == want["raw_json"]


@pytest.mark.parametrize("scenario", SCENARIO_LIST, ids=[s["name"] for s in SCENARIO_LIST])
def test_scenario(scenario: dict[str, Any], mock: Mock) -> None:
    expect: dict[str, Any] = scenario["expect"]
    for seed in scenario.get("devices", []):
        mock.add_device(seed)
    call = scenario.get("call", "delete_device")
    if "script" in scenario:
        if call == "get_alias":
            mock.script_alias(scenario.get("script_id", scenario["alias"]), scenario["script"])
        else:
            mock.script(scenario.get("script_id", scenario["registration_id"]), scenario["script"])

    kwargs = client_kwargs(scenario.get("client", {}), mock.url)
    client: engagelab_push.Client | None = None
    error: EngageLabError | None = None
    started = time.monotonic()
    device: engagelab_push.Device | None = None
    ids: list[str] | None = None
    try:
        client = engagelab_push.Client(**kwargs)
        if call == "get_alias":
            ids = client.get_alias(scenario["alias"], scenario.get("platforms"))
        elif call == "get_device":
            device = client.get_device(scenario["registration_id"])
        else:
            client.delete_device(scenario["registration_id"])
    except EngageLabError as e:
        error = e
    elapsed_ms = (time.monotonic() - started) * 1000.0
    log = mock.log()

    if expect["status"] == "OK":
        assert error is None, f"expected success, got {error!r}"
        if "attempts" in expect:
            assert len(log) == expect["attempts"]
        if "attempts_at_least" in expect:
            assert len(log) >= expect["attempts_at_least"]
        if call == "get_device":
            assert device is not None
            check_device(device, scenario["registration_id"], expect.get("device", {}))
        if call == "get_alias":
            assert type(ids) is list and all(type(i) is str for i in ids), repr(ids)
            if "registration_ids" in expect:
                assert ids == expect["registration_ids"]
    else:
        assert error is not None, "expected an error, the call succeeded"
        assert expect["status"] in CLASSES, f"no exception class for {expect['status']}"
        assert type(error) is CLASSES[expect["status"]], repr(error)
        assert error.status == expect["status"]
        if "http_status" in expect:
            assert error.http_status == expect["http_status"]
        if "api_code" in expect:
            assert error.api_code == expect["api_code"]
        if "attempts" in expect:
            assert error.attempts == expect["attempts"]
        if "attempts_at_least" in expect:
            assert error.attempts >= expect["attempts_at_least"]
        if "maybe_deleted" in expect:
            assert error.maybe_deleted is expect["maybe_deleted"]
        if "retry_after_ms" in expect:
            if expect["retry_after_ms"] is None:
                assert error.retry_after is None
            else:
                assert error.retry_after is not None
                assert error.retry_after * 1000.0 == pytest.approx(
                    expect["retry_after_ms"], abs=1.0
                )
        for text in expect.get("message_contains", []):
            assert text in error.message, error.message
        # The sentence always carries the message.
        assert error.message in str(error)

    shown = [repr(client)]
    if error is not None:
        shown += [str(error), repr(error), error.message, repr(error.args)]
    for secret in expect.get("message_excludes", []):
        for text in shown:
            assert secret not in text

    if "requests" in expect:
        check_requests(expect["requests"], log)
    if "device_remains" in expect or "device_gone" in expect:
        devices = mock.devices()
        for remains in expect.get("device_remains", []):
            assert remains in devices
        for gone in expect.get("device_gone", []):
            assert gone not in devices
    if "min_elapsed_ms" in expect:
        assert elapsed_ms >= expect["min_elapsed_ms"]
