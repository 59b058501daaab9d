"""Python-specific behaviour of get_alias (the shared scenarios in
tests/contract/scenarios/get_alias.json cover what every language shares): the list it
returns, platforms as any iterable, TypeError for a str or a non-str, bad
aliases refused before sending, the GIL and Ctrl-C."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import Mock, client_for, main_thread_during
from engagelab_push import InvalidArgumentError


def seed_user(mock: Mock) -> None:
    """`user-1` has a device on each platform; `other` one on ios."""
    for rid, platform in (("a1", "android"), ("i1", "ios"), ("h1", "hmos")):
        mock.add_device({"registration_id": rid, "alias": "user-1", "platform": platform})
    mock.add_device({"registration_id": "o1", "alias": "other", "platform": "ios"})


def test_resolves_an_alias_to_a_list_of_its_ids(mock: Mock) -> None:
    seed_user(mock)
    ids = client_for(mock).get_alias("user-1")
    assert type(ids) is list
    assert ids == ["a1", "h1", "i1"]
    assert [(r["method"], r["path"]) for r in mock.log()] == [("GET", "/v4/aliases/user-1")]
    assert len(mock.devices()) == 4, "a lookup deletes nothing"


def test_an_unknown_alias_has_no_devices(mock: Mock) -> None:
    seed_user(mock)
    assert client_for(mock).get_alias("nobody") == []


def gen(*names: str) -> Iterator[str]:
    yield from names


@pytest.mark.parametrize(
    "platforms",
    [["ios", "android"], ("ios", "android"), gen("ios", "android"), {"ios": 1, "android": 2}],
    ids=["list", "tuple", "generator", "dict_keys"],
)
def test_platforms_narrow_the_lookup_as_any_iterable(mock: Mock, platforms: Any) -> None:
    seed_user(mock)
    assert client_for(mock).get_alias("user-1", platforms) == ["a1", "i1"]
    assert mock.log()[0]["path"] == "/v4/aliases/user-1?platform=ios,android"


def test_no_platforms_means_every_platform(mock: Mock) -> None:
    seed_user(mock)
    client = client_for(mock)
    assert client.get_alias("user-1", None) == ["a1", "h1", "i1"]
    assert client.get_alias("user-1", []) == ["a1", "h1", "i1"]
    assert client.get_alias("user-1", platforms=["hmos"]) == ["h1"]
    assert [r["path"] for r in mock.log()] == [
        "/v4/aliases/user-1",
        "/v4/aliases/user-1",
        "/v4/aliases/user-1?platform=hmos",
    ]


BAD_ALIASES = [
    ("", "alias is empty"),
    ("a" * 41, "41 bytes"),
    ("user/1", "'/' at byte 4"),
    ("user\n1", "control character U+000A"),
    ("user\x7f1", "control character U+007F"),
    ("user 1", "whitespace U+0020"),
    ("user\u30001", "whitespace U+3000"),
    ("user\u200b1", "U+200B"),
    ("..", '".."'),
]


@pytest.mark.parametrize(("alias", "says"), BAD_ALIASES, ids=[s for _, s in BAD_ALIASES])
def test_a_bad_alias_is_refused_before_sending(mock: Mock, alias: str, says: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        client_for(mock).get_alias(alias)
    assert says in info.value.message, info.value.message
    assert info.value.attempts == 0
    assert mock.log() == []


def test_a_lone_surrogate_alias_is_invalid_argument(mock: Mock) -> None:
    with pytest.raises(InvalidArgumentError, match="alias is not valid Unicode"):
        client_for(mock).get_alias("user-\udc80")
    assert mock.log() == []


@pytest.mark.parametrize("platforms", [["windows"], ["ios", "IOS"], ["ios", ""]])
def test_a_bad_platform_is_refused_before_sending(mock: Mock, platforms: list[str]) -> None:
    with pytest.raises(InvalidArgumentError, match="is not one of android, ios, hmos") as info:
        client_for(mock).get_alias("user-1", platforms)
    assert f'platform "{platforms[-1]}"' in info.value.message, info.value.message
    assert mock.log() == []


def test_platforms_as_a_str_is_a_type_error(mock: Mock) -> None:
    with pytest.raises(TypeError, match="platforms must be an iterable of str, not a str") as info:
        client_for(mock).get_alias("user-1", "ios")
    assert "letters" in str(info.value)
    assert mock.log() == []


@pytest.mark.parametrize(
    ("platforms", "says"),
    [(7, "platforms must be an iterable of str, not int"), ([b"ios"], "each platform must be str")],
)
def test_platforms_of_the_wrong_type_are_a_type_error(
    mock: Mock, platforms: Any, says: str
) -> None:
    with pytest.raises(TypeError, match=says):
        client_for(mock).get_alias("user-1", platforms)
    assert mock.log() == []


@pytest.mark.parametrize("bad", [42, None, b"user-1", ["user-1"]])
def test_a_non_str_alias_is_a_type_error(mock: Mock, bad: Any) -> None:
    with pytest.raises(TypeError, match="alias must be str"):
        client_for(mock).get_alias(bad)
    assert mock.log() == []


def test_the_gil_is_released_during_a_slow_lookup(mock: Mock) -> None:
    """A worker thread waits 1.5 s on a slow answer; the main thread keeps
    computing in pure Python the whole time, never blocked on the GIL."""
    delay = 1.5
    body = '{"registration_ids":["slow-1"]}'
    mock.script_alias("user-slow", [{"status": 200, "body": body, "delay_ms": int(delay * 1000)}])
    client = client_for(mock, max_retries=0)
    got, slices, blocked = main_thread_during(lambda: client.get_alias("user-slow"))
    assert got == ["slow-1"]
    assert slices > 100, f"only {slices} slices of main-thread work ran during the call"
    assert blocked < delay / 3, f"the main thread was blocked for {blocked:.2f}s"


def test_ctrl_c_stops_get_alias(mock: Mock) -> None:
    mock.script_alias("user-hang", [{"status": 200, "body": "{}", "delay_ms": 5000}])
    client = client_for(mock, max_retries=0)
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        client.get_alias("user-hang")
    took = time.monotonic() - started
    timer.join()
    # Far below the 5 s the call would take; room left for a loaded machine.
    assert took < 0.3 + 1.0, took
    assert len(mock.log()) == 1
