"""Python-specific behaviour of get_device and Device (the shared scenarios in
tests/contract/scenarios/get_device.json cover what every language shares): the Device
is immutable, .raw is a fresh dict, equality and hashing, the repr, threads,
the GIL and Ctrl-C."""

from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import engagelab_push
import pytest
from conftest import Mock, client_for
from engagelab_push import Device, InvalidArgumentError, NotFoundError


def test_device_is_exported_and_typed(mock: Mock) -> None:
    assert "Device" in engagelab_push.__all__
    mock.add_device({"registration_id": "py-1", "tags": ["a", "b"], "alias": "al"})
    device = client_for(mock).get_device("py-1")
    assert type(device) is Device
    assert device.registration_id == "py-1"
    assert device.tags == ("a", "b")
    assert device.alias == "al"
    assert device.raw == {"tags": ["a", "b"], "alias": "al"}
    assert device.raw_json == '{"tags":["a","b"],"alias":"al"}'
    assert mock.devices() == ["py-1"], "a GET deletes nothing"


def test_device_is_immutable_and_raw_is_a_fresh_copy(mock: Mock) -> None:
    mock.add_device({"registration_id": "py-2", "tags": ["a"]})
    device = client_for(mock).get_device("py-2")
    for name in ("registration_id", "tags", "alias", "raw", "raw_json", "anything"):
        with pytest.raises(AttributeError):
            setattr(device, name, None)
    with pytest.raises(TypeError):
        Device()
    raw = device.raw
    raw["tags"].append("changed")
    raw["new"] = 1
    assert device.raw == {"tags": ["a"], "alias": None}
    assert device.raw is not device.raw


def test_equality_hash_and_repr(mock: Mock) -> None:
    mock.add_device({"registration_id": "py-3", "tags": ["t"], "alias": "it's"})
    mock.add_device({"registration_id": "py-4", "tags": ["t"], "alias": "it's"})
    client = client_for(mock)
    a, b, other = client.get_device("py-3"), client.get_device("py-3"), client.get_device("py-4")
    assert a == b and a == b and hash(a) == hash(b)
    assert a != other
    assert a != "py-3"
    assert len({a, b, other}) == 2
    assert repr(a) == """Device(registration_id='py-3', tags=('t',), alias="it's")"""
    # Whitespace in the body does not make two answers differ.
    mock.script("py-3", [{"status": 200, "body": '{ "tags": ["t"], "alias": "it\'s" }'}])
    spaced = client.get_device("py-3")
    assert spaced.raw_json != a.raw_json and spaced == a


def test_errors_map_as_for_delete(mock: Mock) -> None:
    client = client_for(mock)
    with pytest.raises(NotFoundError) as info:
        client.get_device("py-unknown")
    assert (info.value.http_status, info.value.api_code, info.value.maybe_deleted) == (
        400,
        27002,
        False,
    )
    with pytest.raises(InvalidArgumentError):
        client.get_device("")
    with pytest.raises(TypeError):
        client.get_device(b"bytes")  # type: ignore[arg-type]
    assert len(mock.log()) == 1


def test_threads_share_one_client_and_the_gil_is_released(mock: Mock) -> None:
    mock.add_device({"registration_id": "py-slow", "tags": ["x"]})
    mock.config(latency_ms=300)
    client = client_for(mock)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=4) as pool:
        devices = list(pool.map(lambda _: client.get_device("py-slow"), range(4)))
    took = time.monotonic() - started
    assert all(d.tags == ("x",) for d in devices)
    # Four 300 ms calls at once: concurrent only if each released the GIL.
    assert took < 4 * 0.3, took


def test_ctrl_c_stops_get_device(mock: Mock) -> None:
    mock.script("py-hang", [{"status": 200, "body": "{}", "delay_ms": 5000}])
    client = client_for(mock, max_retries=0)
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        client.get_device("py-hang")
    took = time.monotonic() - started
    timer.join()
    # About 20 ms on an idle machine; the bound leaves room for a loaded
    # 2-core CI machine, and is far below the 5 s the call would take.
    assert took < 0.3 + 1.0, took
    assert len(mock.log()) == 1
