"""The Python surface: names, types, TypeError and InvalidArgumentError for
bad arguments, properties, repr, from_env and the version."""

from __future__ import annotations

import inspect
import os
import pathlib
import re
import sys
from typing import Any

import engagelab_push
import pytest
from conftest import APP_KEY, REPO, SECRET, Mock, error_model
from engagelab_push import Client, EngageLabError, InvalidArgumentError


def test_public_names() -> None:
    classes = {c["python"]["class"] for c in error_model()}
    assert set(engagelab_push.__all__) == {
        "BulkSummary",
        "CheckReport",
        "AsyncClient",
        "Client",
        "Device",
        "ErasedUser",
        "EraseSummary",
        "__version__",
        "EngageLabError",
        *classes,
    }
    for name in engagelab_push.__all__:
        assert hasattr(engagelab_push, name), name
    assert Client.__module__ == "engagelab_push"
    assert engagelab_push._engagelab_push.__name__ == "engagelab_push._engagelab_push"
    for cls in (engagelab_push.EraseSummary, engagelab_push.ErasedUser):
        assert cls.__module__ == "engagelab_push", cls
    assert issubclass(engagelab_push.EraseSummary, engagelab_push.BulkSummary)


def test_version_comes_from_cargo_toml() -> None:
    cargo = (REPO / "Cargo.toml").read_text(encoding="utf-8")
    section = cargo.split("[workspace.package]", 1)[1]
    match = re.search(r'^version\s*=\s*"([^"]+)"', section, re.MULTILINE)
    assert match is not None
    assert engagelab_push.__version__ == match.group(1)


# setting-defaults:begin
def test_signature_matches_the_documented_one() -> None:
    sig = inspect.signature(Client)
    assert str(sig) == (
        "(app_key, master_secret, *, region='sgp', base_url=None, timeout=30.0, "
        "connect_timeout=10.0, max_retries=2, backoff_base=0.2, backoff_max=5.0, "
        "max_retry_after=10.0, user_agent=None, proxy=None, ca_file=None, "
        "allow_insecure_http=False)"
    )


def test_bulk_signatures_match_the_documented_ones() -> None:
    settings = (
        "*, qps=100, concurrency=None, journal=None, backup=None, report=None, "
        "max_deletions=1000, dry_run=False, on_progress=None, confirm=None"
    )
    assert (
        str(inspect.signature(Client.delete_devices))
        == "(self, ids, " + settings + ", stall_timeout=300.0)"
    )
    erase = settings + ", on_resolved=None, stall_timeout=300.0)"
    assert str(inspect.signature(Client.erase_user)) == "(self, alias, " + erase
    assert str(inspect.signature(Client.erase_users)) == "(self, aliases, " + erase
    assert str(inspect.signature(Client.get_alias)) == "(self, /, alias, platforms=None)"
    # setting-defaults:end


def test_defaults_and_properties() -> None:
    c = Client(APP_KEY, SECRET)
    assert c.region == "sgp"
    assert c.base_url == "https://pushapi-sgp.engagelab.com"
    # The core's description (Client::describe), never the secret.
    assert repr(c) == (
        'Client(app_key="demo-app-key", region=sgp, '
        'base_url="https://pushapi-sgp.engagelab.com", timeout=30s, max_retries=2, proxy=no)'
    )
    c = Client(APP_KEY, SECRET, region="DEFRA")
    assert (c.region, c.base_url) == ("defra", "https://pushapi-defra.engagelab.com")
    c = Client(APP_KEY, SECRET, base_url="http://127.0.0.1:9/")
    assert c.region is None
    assert c.base_url == "http://127.0.0.1:9"
    assert repr(c).startswith(
        'Client(app_key="demo-app-key", region=none, base_url="http://127.0.0.1:9", '
    )
    assert SECRET not in repr(c)
    # Keywords and None for the optional strings are accepted.
    Client(app_key=APP_KEY, master_secret=SECRET, region=None, user_agent=None, proxy=None)


def test_every_setting_is_accepted() -> None:
    c = Client(
        APP_KEY,
        SECRET,
        region="usva",
        timeout=5,
        connect_timeout=2.5,
        max_retries=0,
        backoff_base=0.1,
        backoff_max=1,
        max_retry_after=3.0,
        user_agent="my-app/1.0",
        proxy="http://127.0.0.1:3128",
        allow_insecure_http=True,
    )
    assert c.region == "usva"


def test_ca_file_accepts_str_and_pathlike(tmp_path: pathlib.Path) -> None:
    missing = tmp_path / "missing.pem"
    for value in (str(missing), missing):
        with pytest.raises(InvalidArgumentError) as info:
            Client(APP_KEY, SECRET, ca_file=value)
        assert info.value.attempts == 0
        assert "ca_file" in info.value.message


@pytest.mark.parametrize("bad", [42, None, b"dev-1", ["dev-1"], 1.5])
def test_non_str_id_is_a_type_error(bad: Any, mock: Mock) -> None:
    client = Client(APP_KEY, SECRET, base_url=mock.url)
    with pytest.raises(TypeError, match="registration_id must be str"):
        client.delete_device(bad)
    assert mock.log() == []


def test_lone_surrogate_id_is_invalid_argument(mock: Mock) -> None:
    client = Client(APP_KEY, SECRET, base_url=mock.url)
    with pytest.raises(InvalidArgumentError, match="registration_id") as info:
        client.delete_device("dev-\udc80")
    assert isinstance(info.value, ValueError)
    assert info.value.attempts == 0
    assert mock.log() == []


TYPE_ERRORS: dict[str, Any] = {
    "app_key": 1,
    "master_secret": None,
    "region": 3,
    "base_url": b"https://x.example",
    "timeout": "x",
    "connect_timeout": None,
    "max_retries": 1.0,
    "backoff_base": True,
    "backoff_max": "1",
    "max_retry_after": [],
    "user_agent": 1,
    "proxy": 2,
    "ca_file": 3,
    "allow_insecure_http": 1,
}


@pytest.mark.parametrize("name", sorted(TYPE_ERRORS))
def test_wrong_type_is_a_type_error_naming_the_argument(name: str) -> None:
    kwargs: dict[str, Any] = {"app_key": APP_KEY, "master_secret": SECRET}
    kwargs[name] = TYPE_ERRORS[name]
    with pytest.raises(TypeError) as info:
        Client(**kwargs)
    assert not isinstance(info.value, EngageLabError)
    assert name in str(info.value)


INVALID_VALUES = [
    ("timeout", -1),
    ("timeout", float("nan")),
    ("timeout", float("inf")),
    ("timeout", 0),
    ("connect_timeout", -0.5),
    ("connect_timeout", 0.0),
    ("backoff_base", float("-inf")),
    ("backoff_max", 1e300),
    ("max_retry_after", -3),
    ("max_retry_after", 10**400),
    ("max_retries", -1),
    ("max_retries", 2**32),
    ("region", "mars"),
    ("base_url", "ftp://x.example"),
    ("proxy", "not a url"),
    ("user_agent", "bad\r\nX-Evil: 1"),
    # Over 24 hours: these panicked or overflowed before (timeout=1e19).
    ("timeout", 1e19),
    ("timeout", 86400.001),
    ("connect_timeout", 10**19),
    ("backoff_max", 1e10),
    ("max_retry_after", 1e19),
    ("proxy", "socks5://127.0.0.1:1080"),
    ("proxy", "http://127.0.0.1:99999"),
    ("base_url", "http://127.0.0.1:99999"),
    ("user_agent", "u" * 257),
    ("master_secret", "s" * 100_000),
]


@pytest.mark.parametrize(
    ("name", "value"), INVALID_VALUES, ids=[f"{n}={v!r}"[:40] for n, v in INVALID_VALUES]
)
def test_bad_value_is_invalid_argument_naming_it(name: str, value: Any) -> None:
    kwargs: dict[str, Any] = {"app_key": APP_KEY, "master_secret": SECRET, name: value}
    with pytest.raises(InvalidArgumentError) as info:
        Client(**kwargs)
    e = info.value
    assert isinstance(e, ValueError)
    assert e.status == "INVALID_ARGUMENT"
    assert e.attempts == 0 and e.http_status is None and e.api_code is None
    assert e.maybe_deleted is False and e.retry_after is None
    assert name in e.message, e.message
    assert str(e).startswith("invalid argument")


def test_backoff_base_above_max_is_refused_by_the_core() -> None:
    with pytest.raises(InvalidArgumentError, match="backoff"):
        Client(APP_KEY, SECRET, backoff_base=6.0)
    Client(APP_KEY, SECRET, backoff_max=0.2)  # base defaults to 0.2: equal is fine


def test_from_env(monkeypatch: pytest.MonkeyPatch, mock: Mock) -> None:
    for var in ("ENGAGELAB_REGION", "ENGAGELAB_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.delenv("ENGAGELAB_APP_KEY", raising=False)
    monkeypatch.setenv("ENGAGELAB_MASTER_SECRET", SECRET)
    with pytest.raises(InvalidArgumentError, match="ENGAGELAB_APP_KEY"):
        Client.from_env()
    monkeypatch.setenv("ENGAGELAB_APP_KEY", APP_KEY)
    monkeypatch.setenv("ENGAGELAB_REGION", "jpn")
    assert Client.from_env().region == "jpn"
    assert "region=jpn" in repr(Client.from_env())
    assert SECRET not in repr(Client.from_env())
    monkeypatch.delenv("ENGAGELAB_REGION")
    monkeypatch.setenv("ENGAGELAB_BASE_URL", mock.url)
    client = Client.from_env()
    assert client.base_url == mock.url
    mock.add_device("dev-env")
    client.delete_device("dev-env")
    assert "dev-env" not in mock.devices()


def test_client_is_final_and_immutable() -> None:
    c = Client(APP_KEY, SECRET)
    with pytest.raises(AttributeError):
        c.region = "hk"  # type: ignore[misc]
    with pytest.raises(TypeError):

        class Sub(Client):  # type: ignore[misc]
            pass


def test_python_version_is_supported() -> None:
    assert sys.version_info >= (3, 9)
    assert os.path.basename(engagelab_push._engagelab_push.__file__).startswith("_engagelab_push")


def test_largest_durations_are_accepted() -> None:
    Client(APP_KEY, SECRET, timeout=86400, connect_timeout=86400.0, max_retry_after=86400)
