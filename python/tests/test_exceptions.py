"""The exception hierarchy: classes, attributes, pickling, and secrets never shown."""

from __future__ import annotations

import base64
import builtins
import copy
import pickle
from typing import Any

import engagelab_push
import pytest
from conftest import APP_KEY, SECRET, Mock, error_model
from engagelab_push import (
    AuthError,
    BulkSummary,
    Client,
    EngageLabError,
    EraseSummary,
    InternalError,
    InvalidArgumentError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    TimeoutError,
)

ATTRS = ("status", "http_status", "api_code", "message", "attempts", "retry_after", "maybe_deleted")

#: Every category's class, as spec/error-model.toml names it.
CLASSES: dict[type[EngageLabError], str] = {
    getattr(engagelab_push, c["python"]["class"]): c["name"] for c in error_model()
}


def test_hierarchy() -> None:
    assert issubclass(EngageLabError, Exception)
    for cls in CLASSES:
        assert issubclass(cls, EngageLabError)
        assert cls.__module__ == "engagelab_push.exceptions"
    assert issubclass(InvalidArgumentError, ValueError)
    assert issubclass(TimeoutError, builtins.TimeoutError)
    assert issubclass(NetworkError, ConnectionError)
    assert TimeoutError is not builtins.TimeoutError
    for c in error_model():
        also = c["python"].get("also")
        if also:
            cls = getattr(engagelab_push, c["python"]["class"])
            base = getattr(builtins, also.removeprefix("builtins."))
            assert issubclass(cls, base), (cls, base)
    assert engagelab_push.exceptions.BY_STATUS == {name: cls for cls, name in CLASSES.items()}
    assert engagelab_push.exceptions.__all__ == [
        "EngageLabError",
        *[cls.__name__ for cls in CLASSES],
    ]


@pytest.mark.parametrize("cls", list(CLASSES), ids=[c.__name__ for c in CLASSES])
def test_pickle_keeps_class_and_attributes(cls: type[EngageLabError]) -> None:
    e = cls(
        "a sentence",
        message="the message",
        http_status=429,
        api_code=23008,
        attempts=3,
        retry_after=1.5,
        maybe_deleted=True,
    )
    assert e.status == CLASSES[cls]
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        back = pickle.loads(pickle.dumps(e, protocol=protocol))
        assert type(back) is cls
        assert str(back) == "a sentence"
        for attr in ATTRS:
            assert getattr(back, attr) == getattr(e, attr), attr
    for clone in (copy.copy(e), copy.deepcopy(e)):
        assert type(clone) is cls and clone.__dict__ == e.__dict__


def test_defaults_when_built_by_hand() -> None:
    e = NotFoundError("gone")
    assert (
        e.status,
        e.message,
        e.http_status,
        e.api_code,
        e.attempts,
        e.retry_after,
        e.maybe_deleted,
    ) == (
        "NOT_FOUND",
        "gone",
        None,
        None,
        0,
        None,
        False,
    )
    assert str(e) == "gone"
    assert str(EngageLabError()) == ""
    # Set only on the exception of a refused or stopped bulk run.
    assert (e.bulk_error, e.summary) == (None, None)


def test_raised_error_pickles(mock: Mock) -> None:
    mock.script(
        "dev-rl",
        [
            {
                "status": 429,
                "body": '{"code": 23008, "message": "slow down"}',
                "headers": {"Retry-After": "2"},
            }
        ],
    )
    client = Client(APP_KEY, SECRET, base_url=mock.url, max_retries=0)
    with pytest.raises(RateLimitedError) as info:
        client.delete_device("dev-rl")
    e = info.value
    assert (e.status, e.http_status, e.api_code, e.attempts, e.retry_after, e.maybe_deleted) == (
        "RATE_LIMITED",
        429,
        23008,
        1,
        2.0,
        False,
    )
    assert e.message == "slow down"
    assert str(e).startswith(
        "EngageLab is rate limiting this AppKey (HTTP 429, code 23008): slow down"
    )
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is RateLimitedError
    assert str(back) == str(e)
    assert all(getattr(back, a) == getattr(e, a) for a in ATTRS)


SUMMARY_ATTRS = (
    *("deleted", "not_found", "failed", "invalid", "duplicate", "already_done"),
    *("would_delete", "entries", "ids", "not_started", "rate_limited", "elapsed"),
    *("rate", "interrupted", "stopped", "dry_run"),
)


def assert_same_summary(back: object, summary: object) -> None:
    assert type(back) is type(summary)
    assert isinstance(back, BulkSummary) and isinstance(summary, BulkSummary)
    for name in SUMMARY_ATTRS:
        assert getattr(back, name) == getattr(summary, name), name
    assert (back.to_dict(), repr(back)) == (summary.to_dict(), repr(summary))
    if isinstance(summary, EraseSummary):
        assert isinstance(back, EraseSummary)
        assert (back.still_bound, back.is_success) == (summary.still_bound, summary.is_success)
        assert [repr(u) for u in back.users] == [repr(u) for u in summary.users]


def test_an_exception_carrying_a_summary_pickles_with_it(mock: Mock) -> None:
    mock.add_device("dev-1")
    mock.add_device({"registration_id": "dev-2", "alias": "user-2"})
    client = Client(APP_KEY, SECRET, base_url=mock.url)

    def refuse(plan: object) -> bool:
        raise InvalidArgumentError("the operator typed the wrong AppKey")

    def stop(user: object) -> None:
        raise KeyboardInterrupt

    with pytest.raises(InvalidArgumentError) as refused:
        client.delete_devices(["dev-1"], confirm=refuse)
    with pytest.raises(KeyboardInterrupt) as stopped:
        client.erase_user("user-2", on_resolved=stop)
    raised: list[BaseException] = [refused.value, stopped.value]
    for e in raised:
        summary = e.summary  # type: ignore[attr-defined]
        assert isinstance(summary, BulkSummary)
        for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
            back = pickle.loads(pickle.dumps(e, protocol=protocol))
            assert (type(back), str(back)) == (type(e), str(e))
            assert_same_summary(back.summary, summary)
    assert isinstance(stopped.value.summary, EraseSummary)  # type: ignore[attr-defined]
    assert mock.devices() == ["dev-1", "dev-2"]


def test_attribute_types(mock: Mock) -> None:
    client = Client(APP_KEY, SECRET, base_url=mock.url)
    with pytest.raises(NotFoundError) as info:
        client.delete_device("unknown-device")
    e = info.value
    assert type(e.status) is str and type(e.message) is str and type(str(e)) is str
    assert type(e.http_status) is int and type(e.api_code) is int and type(e.attempts) is int
    assert type(e.maybe_deleted) is bool
    assert e.retry_after is None


def test_timeout_and_network_are_caught_as_builtins(mock: Mock) -> None:
    mock.script("dev-slow", [{"status": 200, "delay_ms": 1000}])
    client = Client(APP_KEY, SECRET, base_url=mock.url, timeout=0.2, max_retries=0)
    with pytest.raises(builtins.TimeoutError) as info:
        client.delete_device("dev-slow")
    assert isinstance(info.value, TimeoutError) and info.value.maybe_deleted is True
    refused = Client(APP_KEY, SECRET, base_url="http://127.0.0.1:1", max_retries=0)
    with pytest.raises(ConnectionError) as info2:
        refused.delete_device("dev-1")
    assert isinstance(info2.value, NetworkError)


def test_panics_become_internal_error() -> None:
    native: Any = engagelab_push._engagelab_push
    for detached in (False, True):
        with pytest.raises(InternalError) as info:
            native._panic_for_tests(detached)
        assert info.value.status == "INTERNAL"
        assert "panic" in info.value.message
        assert "please report it" in str(info.value)


def texts_of(client: Client, e: BaseException) -> list[str]:
    shown = [repr(client), str(client), str(e), repr(e), repr(e.args)]
    if isinstance(e, EngageLabError):
        shown += [e.message, repr(pickle.loads(pickle.dumps(e)))]
    return shown


def test_secret_never_shown(mock: Mock) -> None:
    secret = "s3cr3t-master-value"
    token = base64.b64encode(f"{APP_KEY}:{secret}".encode()).decode()
    # A server that echoes the credentials back in its error body.
    body = f'{{"error": {{"code": 21004, "message": "bad auth {secret} Basic {token}"}}}}'
    mock.script("dev-echo", [{"status": 401, "body": body}])
    client = Client(APP_KEY, secret, base_url=mock.url)
    with pytest.raises(AuthError) as info:
        client.delete_device("dev-echo")
    failures: list[BaseException] = [info.value]
    for kwargs in (
        {"timeout": -1},
        {"base_url": f"https://user:{secret}@x.example"},
        {"proxy": f"http://u:{secret}@"},
    ):
        try:
            Client(APP_KEY, secret, **kwargs)
        except EngageLabError as e:
            failures.append(e)
    assert len(failures) == 4
    for failure in failures:
        for text in texts_of(client, failure):
            assert secret not in text
            assert token not in text
