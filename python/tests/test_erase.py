"""Client.erase_user and Client.erase_users against engagelab-mock: each alias
resolved, its devices deleted by the bulk engine, the alias resolved again;
EraseSummary and ErasedUser; bad aliases, a failed lookup, the dry run, the
backup, the report, the guard, the journal, progress, Ctrl-C and secrets."""

from __future__ import annotations

import base64
import json
import os
import pickle
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import APP_KEY, Mock, client_for
from engagelab_push import (
    AuthError,
    BulkSummary,
    EngageLabError,
    ErasedUser,
    EraseSummary,
    InvalidArgumentError,
    ServerError,
)
from test_exceptions import assert_same_summary


def seed(mock: Mock) -> None:
    """`user-1` has two devices (android, ios), `user-2` one, `x` none bound."""
    mock.add_device(
        {"registration_id": "a1", "alias": "user-1", "platform": "android", "tags": ["vip"]}
    )
    mock.add_device({"registration_id": "b1", "alias": "user-1", "platform": "ios"})
    mock.add_device({"registration_id": "c2", "alias": "user-2", "platform": "hmos"})
    mock.add_device("x")


def sent(mock: Mock) -> list[str]:
    return [f"{r['method']} {r['path']}" for r in mock.log()]


def lines(path: Path) -> list[Any]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_erasing_a_user_deletes_every_device_and_checks_again(mock: Mock) -> None:
    seed(mock)
    summary = client_for(mock).erase_user("user-1")
    assert type(summary) is EraseSummary
    assert isinstance(summary, BulkSummary)
    (user,) = summary.users
    assert type(user) is ErasedUser
    assert user.alias == "user-1"
    assert user.registration_ids == ("a1", "b1")
    assert user.still_bound == ()
    assert user.verify_error is None
    assert (summary.deleted, summary.failed, summary.ids, summary.interrupted) == (2, 0, 2, False)
    assert summary.is_success is True
    assert summary.still_bound == ()
    assert mock.devices() == ["c2", "x"]
    log = sent(mock)
    assert log[0] == log[-1] == "GET /v4/aliases/user-1"
    assert sorted(log[1:-1]) == ["DELETE /v4/devices/a1", "DELETE /v4/devices/b1"]


def test_an_unknown_alias_succeeds_with_nothing_deleted(mock: Mock) -> None:
    seed(mock)
    # An empty list (the mock's answer), or NOT_FOUND with EngageLab's code
    # (a 404 with 20101, a 400 with 27002) mean no device.
    e20101 = '{"error":{"code":20101,"message":"invalid alias"}}'
    mock.script_alias("gone-404", [{"status": 404, "body": e20101}] * 2)
    e27002 = '{"error":{"code":27002,"message":"unknown error"}}'
    mock.script_alias("gone-27002", [{"status": 400, "body": e27002}] * 2)
    for alias in ("nobody", "gone-404", "gone-27002"):
        summary = client_for(mock).erase_user(alias)
        (user,) = summary.users
        assert (user.registration_ids, user.still_bound) == ((), ()), alias
        assert (summary.deleted, summary.ids, summary.entries) == (0, 0, 0), alias
        assert summary.is_success, alias
    assert all(line.startswith("GET /v4/aliases/") for line in sent(mock))
    assert len(mock.devices()) == 4


BAD = [
    (["user-1", ""], 'alias 2 (""): alias is empty'),
    (["a" * 41], "41 bytes"),
    (["user/1"], "'/' at byte 4"),
    (["user\n1"], "control character U+000A"),
    (["user-1", "user 2"], 'alias 2 ("user 2"): alias contains whitespace'),
    ([], "no alias to erase"),
]


@pytest.mark.parametrize(("aliases", "says"), BAD, ids=[s for _, s in BAD])
def test_bad_aliases_are_refused_before_anything_is_sent(
    mock: Mock, aliases: list[str], says: str
) -> None:
    seed(mock)
    with pytest.raises(InvalidArgumentError) as info:
        client_for(mock).erase_users(aliases)
    assert says in info.value.message, info.value.message
    assert "nothing was sent" in info.value.message or not aliases
    assert info.value.attempts == 0
    assert mock.log() == []


def test_erase_user_refuses_a_bad_alias_too(mock: Mock) -> None:
    with pytest.raises(InvalidArgumentError, match="alias contains '/'"):
        client_for(mock).erase_user("a/b")
    assert mock.log() == []


def test_an_alias_that_is_not_valid_unicode_refuses_the_run(mock: Mock) -> None:
    client = client_for(mock)
    calls: list[Callable[[], object]] = [
        lambda: client.erase_user("user-\udc80"),
        lambda: client.erase_users(["user-1", "user-\udc80"]),
    ]
    for call in calls:
        with pytest.raises(InvalidArgumentError, match="alias is not valid Unicode") as info:
            call()
        assert info.value.bulk_error == "INVALID_ARGUMENT"
        assert info.value.summary is None
    assert mock.log() == []


@pytest.mark.parametrize(
    ("call", "says"),
    [
        (lambda c: c.erase_users("user-1"), "aliases must be an iterable of str, not a str"),
        (lambda c: c.erase_users(["user-1", 7]), "each alias must be str, not int"),
        (lambda c: c.erase_users(7), "aliases must be an iterable of str, not int"),
        (lambda c: c.erase_user(b"user-1"), "alias must be str, not bytes"),
        (lambda c: c.erase_user(["user-1"]), "alias must be str, not list"),
    ],
    ids=["bare_str", "non_str_item", "not_iterable", "bytes_alias", "list_alias"],
)
def test_wrong_types_are_type_errors(mock: Mock, call: Any, says: str) -> None:
    seed(mock)
    with pytest.raises(TypeError, match=says):
        call(client_for(mock))
    assert mock.log() == []


def test_any_iterable_of_aliases_is_taken(mock: Mock) -> None:
    seed(mock)
    summary = client_for(mock).erase_users(a for a in ("user-2", "user-1", "user-2"))
    assert [u.alias for u in summary.users] == ["user-2", "user-1"], "a repeated alias once"
    assert summary.deleted == 3
    assert mock.devices() == ["x"]


def test_a_dry_run_resolves_and_deletes_nothing(mock: Mock) -> None:
    seed(mock)
    summary = client_for(mock).erase_users(["user-1", "user-2"], dry_run=True)
    assert (summary.dry_run, summary.would_delete, summary.deleted) == (True, 3, 0)
    assert [u.registration_ids for u in summary.users] == [("a1", "b1"), ("c2",)]
    assert all(u.still_bound is None for u in summary.users)
    assert summary.still_bound == ()
    assert summary.is_success
    assert len(mock.devices()) == 4
    assert sent(mock) == ["GET /v4/aliases/user-1", "GET /v4/aliases/user-2"]


def test_backup_and_report_hold_every_user_and_device(mock: Mock, tmp_path: Path) -> None:
    seed(mock)
    backup, report = tmp_path / "backup.jsonl", tmp_path / "report.jsonl"
    summary = client_for(mock).erase_users(
        ["user-1", "user-2", "nobody"], backup=backup, report=str(report)
    )
    assert summary.is_success and summary.deleted == 3
    kept = {line["registration_id"]: line for line in lines(backup)}
    assert sorted(kept) == ["a1", "b1", "c2"]
    assert (kept["a1"]["tags"], kept["a1"]["alias"]) == (["vip"], "user-1")

    written = lines(report)
    assert len(written) == 3 + 3 + 1 + 3 + 1, written
    assert written[:3] == [
        {"alias": "user-1", "registration_ids": ["a1", "b1"]},
        {"alias": "user-2", "registration_ids": ["c2"]},
        {"alias": "nobody", "registration_ids": []},
    ]
    assert sorted(line["registration_id"] for line in written[3:6]) == ["a1", "b1", "c2"]
    assert all(line["outcome"] == "deleted" for line in written[3:6])
    assert written[6]["summary"]["deleted"] == 3
    assert written[6]["summary"] == {k: v for k, v in summary.to_dict().items() if k != "users"}
    assert written[7:10] == [
        {"alias": "user-1", "still_bound": []},
        {"alias": "user-2", "still_bound": []},
        {"alias": "nobody", "still_bound": []},
    ]
    # Last, the erasure's summary: the one returned.
    assert written[10] == written[6]


def test_a_device_still_bound_is_reported(mock: Mock, tmp_path: Path) -> None:
    seed(mock)
    # Before: one device. After: a device bound meanwhile (a new phone).
    mock.script_alias(
        "user-9",
        [
            {"status": 200, "body": '{"registration_ids":["a1"]}'},
            {"status": 200, "body": '{"registration_ids":["new-phone"]}'},
        ],
    )
    report = tmp_path / "report.jsonl"
    summary = client_for(mock).erase_user("user-9", report=report)
    assert summary.deleted == 1
    assert summary.users[0].still_bound == ("new-phone",)
    assert summary.still_bound == (("user-9", "new-phone"),)
    assert summary.is_success is False
    assert lines(report)[-2] == {"alias": "user-9", "still_bound": ["new-phone"]}
    assert lines(report)[-1]["summary"]["deleted"] == 1
    assert summary.to_dict()["users"] == [
        {"alias": "user-9", "registration_ids": ["a1"], "still_bound": ["new-phone"]}
    ]


def test_a_failed_second_lookup_is_the_user_s_verify_error(mock: Mock) -> None:
    seed(mock)
    busy = '{"error":{"code":27000,"message":"busy"}}'
    mock.script_alias(
        "user-9",
        [{"status": 200, "body": '{"registration_ids":["a1"]}'}]
        + [{"status": 500, "body": busy}] * 3,
    )
    summary = client_for(mock).erase_user("user-9")
    (user,) = summary.users
    assert summary.deleted == 1
    assert user.still_bound is None
    error = user.verify_error
    assert type(error) is ServerError
    assert (error.http_status, error.api_code, error.attempts) == (500, 27000, 3)
    assert summary.is_success is False
    assert summary.to_dict()["users"][0]["verify_error"]["kind"] == "SERVER"
    assert repr(user) == (
        "ErasedUser(alias='user-9', registration_ids=('a1',), still_bound=None, "
        f"verify_error={error!r})"
    )
    back = pickle.loads(pickle.dumps(summary))
    assert_same_summary(back, summary)
    assert type(back.users[0].verify_error) is ServerError


def test_a_failed_lookup_raises_its_own_error_and_deletes_nothing(mock: Mock) -> None:
    seed(mock)
    busy = '{"error":{"code":27000,"message":"busy"}}'
    mock.script_alias("user-2", [{"status": 500, "body": busy}] * 3)
    with pytest.raises(ServerError) as info:
        client_for(mock).erase_users(["user-1", "user-2"])
    e = info.value
    assert (e.status, e.http_status, e.api_code, e.attempts, e.message) == (
        "SERVER",
        500,
        27000,
        3,
        "busy",
    )
    assert str(e).startswith('cannot resolve the alias "user-2": '), str(e)
    assert str(e).endswith("nothing was deleted"), str(e)
    assert not any(line.startswith("DELETE") for line in sent(mock))
    assert len(mock.devices()) == 4


def test_the_guard_counts_every_alias_s_devices_together(mock: Mock) -> None:
    seed(mock)
    with pytest.raises(InvalidArgumentError, match="max_deletions"):
        client_for(mock).erase_users(["user-1", "user-2"], max_deletions=2)
    assert not any(line.startswith("DELETE") for line in sent(mock))
    assert len(mock.devices()) == 4


def test_a_journal_resumes_the_same_aliases_and_refuses_others(mock: Mock, tmp_path: Path) -> None:
    seed(mock)
    journal = tmp_path / "erase.journal"
    client = client_for(mock)
    assert client.erase_users(["user-1", "user-2"], journal=journal).deleted == 3
    # A rerun that still sees a deleted id bound does not send it again.
    mock.script_alias("user-1", [{"status": 200, "body": '{"registration_ids":["a1"]}'}])
    again = client.erase_users(["user-1", "user-2"], journal=journal)
    assert (again.already_done, again.deleted, again.is_success) == (1, 0, True)
    with pytest.raises(InvalidArgumentError, match="another input"):
        client.erase_users(["user-2"], journal=journal)


def test_a_report_that_cannot_be_written_is_an_os_error(mock: Mock, tmp_path: Path) -> None:
    seed(mock)
    with pytest.raises(OSError, match="report"):
        client_for(mock).erase_user("user-1", report=tmp_path / "missing" / "report.jsonl")
    assert not any(line.startswith("DELETE") for line in sent(mock))


def test_progress_is_reported_and_its_exception_stops_the_run(mock: Mock) -> None:
    seed(mock)
    seen: list[dict[str, int | float | bool]] = []
    summary = client_for(mock).erase_user("user-1", on_progress=seen.append)
    assert seen and seen[-1]["done"] == 2 and seen[-1]["deleted"] == 2
    assert summary.deleted == 2

    def fail(_: dict[str, int | float | bool]) -> None:
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        client_for(mock).erase_user("user-2", on_progress=fail)


def test_ctrl_c_stops_gracefully_then_raises(mock: Mock, tmp_path: Path) -> None:
    for i in range(200):
        mock.add_device({"registration_id": f"big-{i:03}", "alias": "big"})
    mock.config(latency_ms=20)
    report = tmp_path / "report.jsonl"
    timer = threading.Timer(0.8, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt) as info:
        client_for(mock).erase_user("big", qps=50, report=report)
    timer.join()
    left = len(mock.devices())
    assert 0 < left < 200
    # A user's registration_ids are those bound before; deleted, those gone.
    done = info.value.summary  # type: ignore[attr-defined]
    assert (len(done.users[0].registration_ids), done.deleted) == (200, 200 - left)
    written = lines(report)
    assert written[0]["alias"] == "big" and len(written[0]["registration_ids"]) == 200
    summary = written[-1]["summary"]
    assert summary["interrupted"] is True
    assert summary["deleted"] == 200 - left
    assert not any("still_bound" in line for line in written), "an interrupted run is not verified"


def test_summaries_are_immutable_and_made_by_the_client(mock: Mock) -> None:
    seed(mock)
    summary = client_for(mock).erase_user("user-2")
    for target, name in ((summary, "users"), (summary, "deleted"), (summary.users[0], "alias")):
        with pytest.raises(AttributeError):
            setattr(target, name, None)
    for cls in (EraseSummary, ErasedUser):
        with pytest.raises(TypeError):
            cls()
    assert summary.users is not None and summary.users == summary.users
    assert repr(summary).startswith('EraseSummary({"')
    assert '"users":[{"alias":"user-2"' in repr(summary)
    assert repr(summary.users[0]) == (
        "ErasedUser(alias='user-2', registration_ids=('c2',), still_bound=(), verify_error=None)"
    )
    d = summary.to_dict()
    assert (d["deleted"], d["dry_run"], d["users"][0]["registration_ids"]) == (1, False, ["c2"])


def test_the_secret_is_never_shown(mock: Mock) -> None:
    secret = "s3cr3t-master-value"
    token = base64.b64encode(f"{APP_KEY}:{secret}".encode()).decode()
    # A server that echoes the credentials back in its error body.
    body = f'{{"error": {{"code": 21004, "message": "bad auth {secret} Basic {token}"}}}}'
    mock.add_device({"registration_id": "e1", "alias": "user-echo"})
    mock.script_alias("user-first", [{"status": 401, "body": body}])
    mock.script_alias(
        "user-echo",
        [{"status": 200, "body": '{"registration_ids":["e1"]}'}, {"status": 401, "body": body}],
    )
    client = client_for(mock, secret=secret)
    with pytest.raises(AuthError) as info:
        client.erase_user("user-first")
    # The deletion goes through (a refused one would stop the run before the
    # second lookup); the second lookup echoes the credentials.
    mock.script("e1", [{"status": 200}])
    summary = client.erase_user("user-echo")
    verify_error = summary.users[0].verify_error
    assert type(verify_error) is AuthError
    errors: list[EngageLabError] = [info.value, verify_error]
    shown = [repr(client), repr(summary), repr(summary.users[0]), repr(summary.to_dict())]
    for e in errors:
        shown += [str(e), repr(e), e.message, repr(pickle.loads(pickle.dumps(e)))]
    for text in shown:
        assert secret not in text, text
        assert token not in text, text
    # A pickled summary holds no more than its repr shows.
    pickled = pickle.dumps(summary)
    assert secret.encode() not in pickled and token.encode() not in pickled


def test_an_erasure_stays_within_qps_across_its_lookups_and_deletions(mock: Mock) -> None:
    """The lookups and the deletions shared no pacer: at qps=2, a user with two
    devices cost four requests in half a second, and a server allowing 3 a
    second answered the second lookup 429 (retried: a fifth request)."""
    mock.add_device({"registration_id": "a1", "alias": "user-1"})
    mock.add_device({"registration_id": "b1", "alias": "user-1"})
    mock.config(rate_limit_qps=3)
    summary = client_for(mock).erase_users(["user-1"], qps=2)
    assert summary.is_success
    assert len(mock.log()) == 4, sent(mock)


def test_registration_ids_are_what_the_run_set_out_to_delete(mock: Mock) -> None:
    """A run stopped at its first DELETE (the credentials refused) lists both
    ids and deleted none; the user is not checked (still_bound None)."""
    seed(mock)
    refused = '{"error":{"code":21004,"message":"auth failed"}}'
    mock.script("a1", [{"status": 401, "body": refused}])
    summary = client_for(mock).erase_users(["user-1"], concurrency=1)
    assert summary.stopped is not None
    assert summary.deleted == 0
    assert summary.users[0].registration_ids == ("a1", "b1")
    assert summary.users[0].still_bound is None


@pytest.mark.parametrize(
    ("setting", "says"),
    [
        ({"qps": -1}, "qps must not be negative"),
        ({"concurrency": 0}, "concurrency must be 1 to 1024"),
        ({"stall_timeout": 0}, "stall_timeout must be more than 0"),
    ],
)
def test_a_setting_out_of_range_is_refused_before_the_aliases_are_read(
    mock: Mock, setting: dict[str, Any], says: str
) -> None:
    # As delete_devices does (and the README says of every bulk call): a bad
    # setting is refused before anything is read, so an iterable of aliases
    # that is read once (a generator, a cursor) is not consumed in vain.
    seed(mock)
    read: list[str] = []

    def aliases() -> Any:
        for alias in ("user-1", "user-2"):
            read.append(alias)
            yield alias

    with pytest.raises(InvalidArgumentError, match=says) as caught:
        client_for(mock).erase_users(aliases(), **setting)
    assert caught.value.bulk_error == "INVALID_ARGUMENT"
    assert read == [], "the aliases were read before the setting was refused"
    assert mock.log() == []


def test_an_exception_of_the_aliases_iterable_is_raised_as_it_is(mock: Mock) -> None:
    # The caller's own exception (a failing cursor, Ctrl-C while reading the
    # aliases) is not a refusal of the run: it must not be tagged as one.
    seed(mock)

    def aliases() -> Any:
        yield "user-1"
        raise LookupError("the cursor broke")

    with pytest.raises(LookupError, match="the cursor broke") as caught:
        client_for(mock).erase_users(aliases())
    assert not isinstance(caught.value, EngageLabError)
    assert getattr(caught.value, "bulk_error", None) is None
    assert mock.log() == []
