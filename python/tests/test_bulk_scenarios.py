"""Every scenario of tests/contract/scenarios/bulk.json, run against engagelab-mock:
Client.delete_devices (a list, or a path) and Client.erase_users with their
callbacks (on_progress, confirm, on_resolved).

The same file drives the Rust, C, Go, Node.js and Java suites; `cargo xtask
lint` checks it against tests/contract/scenarios/bulk_schema.json. Python
maps a refused run as it always has: an input or file problem (IO,
WRITE_FAILED) is OSError, a failed lookup its own EngageLabError subclass,
every other refusal InvalidArgumentError. Python has no cancel token: a
scenario's cancel is an exception raised by the callback, which cancels the
run and is raised with the run's summary.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import engagelab_push
import pytest
from conftest import REPO, Mock, client_for

BULK = REPO / "tests" / "contract" / "scenarios" / "bulk.json"

with BULK.open(encoding="utf-8") as _f:
    _DATA: dict[str, Any] = json.load(_f)
SCENARIOS: list[dict[str, Any]] = _DATA["scenarios"]
_NAMES = [s["name"] for s in SCENARIOS]

#: The summary fields of the contract, as BulkSummary attributes.
COUNTS = (
    "entries",
    "ids",
    "deleted",
    "not_found",
    "failed",
    "invalid",
    "duplicate",
    "already_done",
    "would_delete",
    "not_started",
    "rate_limited",
)


class Stop(Exception):
    """Raised by a callback to cancel the run."""


def lines(path: Path, start: int) -> tuple[list[dict[str, Any]], int]:
    """The JSON lines of `path` from line `start` on, and its line count."""
    if not path.exists():
        return [], 0
    text = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in text[start:] if line.strip()], len(text)


def check_summary(want: dict[str, Any], summary: Any) -> None:
    for key, value in want.items():
        got = summary.stopped is not None if key == "stopped" else getattr(summary, key)
        assert got == value, f"summary.{key}: expected {value}, got {got}"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=_NAMES)
def test_bulk_scenario(scenario: dict[str, Any], mock: Mock, tmp_path: Path) -> None:
    for seed in scenario.get("devices", []):
        mock.add_device(seed)
    for script in scenario.get("scripts", []):
        mock._call("POST", "script", script)
    client = client_for(mock)
    journal, backup, report = (
        tmp_path / "journal",
        tmp_path / "backup.jsonl",
        tmp_path / "report.jsonl",
    )
    seen = {"report": 0, "backup": 0}
    for index, run in enumerate(scenario["runs"], 1):
        expect = run["expect"]
        settings = run.get("settings", {})
        kwargs: dict[str, Any] = {
            key: settings[key]
            for key in ("qps", "concurrency", "max_deletions", "dry_run")
            if key in settings
        }
        for key, path in (("journal", journal), ("backup", backup), ("report", report)):
            if settings.get(key):
                kwargs[key] = path
        plans: list[dict[str, Any]] = []
        resolved: list[dict[str, Any]] = []
        when = run.get("cancel_when_done")

        def on_progress(p: dict[str, Any], when: int | None = when) -> None:
            if when is not None and p["done"] >= when:
                raise Stop

        kwargs["on_progress"] = on_progress
        if "confirm" in run:

            def confirm(
                plan: dict[str, Any], how: str = run["confirm"], plans: list[Any] = plans
            ) -> bool:
                plans.append(plan)
                if how == "cancel":
                    raise Stop
                return how == "accept"

            kwargs["confirm"] = confirm
        call = scenario["call"]
        if call == "erase_users":

            def on_resolved(user: Any, resolved: list[Any] = resolved) -> None:
                resolved.append(
                    {"alias": user.alias, "registration_ids": list(user.registration_ids)}
                )

            kwargs["on_resolved"] = on_resolved
        log_before = len(mock.log())

        summary: Any = None
        raised: BaseException | None = None
        try:
            if call == "erase_users":
                summary = client.erase_users(run["input"], **kwargs)
            elif call == "delete_devices_from_file":
                source = tmp_path / "input.txt"
                if "input" in run:
                    source.write_text(
                        "".join(line + "\n" for line in run["input"]), encoding="utf-8"
                    )
                else:
                    source = tmp_path / "no-such-file.txt"
                summary = client.delete_devices(source, **kwargs)
            else:
                summary = client.delete_devices(run["input"], **kwargs)
        except Stop as e:
            summary = e.summary  # type: ignore[attr-defined]
        except (engagelab_push.EngageLabError, OSError) as e:
            raised = e

        where = f"run {index}"
        error = expect.get("error")
        if expect["status"] == "OK":
            assert raised is None, f"{where}: expected success, got {raised!r}"
        else:
            assert raised is not None, (
                f"{where}: expected {expect['status']} ({error}), got {summary!r}"
            )
            if error in ("IO", "WRITE_FAILED"):
                assert isinstance(raised, OSError) and not isinstance(
                    raised, engagelab_push.EngageLabError
                ), f"{where}: {error} must be OSError, got {raised!r}"
            else:
                assert isinstance(raised, engagelab_push.EngageLabError), f"{where}: {raised!r}"
                assert raised.status == expect["status"], f"{where}: {raised.status}"
            if error is not None:
                got = getattr(raised, "bulk_error", None)
                assert got == error, f"{where}: bulk_error {got!r} != {error!r}"
            for part in expect.get("message_contains", []):
                assert part in str(raised), f"{where}: {str(raised)!r} lacks {part!r}"
        if "plan" in expect:
            assert len(plans) == 1, f"{where}: confirm was called {len(plans)} times"
            for key, value in expect["plan"].items():
                assert plans[0][key] == value, f"{where}: plan.{key}: {plans[0][key]} != {value}"
        if "summary" in expect:
            check_summary(expect["summary"], summary)
        got_report, seen["report"] = lines(report, seen["report"])
        if "report" in expect:
            want = Counter((r["registration_id"], r["outcome"]) for r in expect["report"])
            got = Counter(
                (r["registration_id"], r["outcome"]) for r in got_report if "outcome" in r
            )
            assert got == want, f"{where}: report: expected {want}, got {got}"
        got_backup, seen["backup"] = lines(backup, seen["backup"])
        if "backup" in expect:
            assert Counter(b["registration_id"] for b in got_backup) == Counter(expect["backup"]), (
                where
            )
        if "requests" in expect:
            got_requests = Counter((r["method"], r["path"]) for r in mock.log()[log_before:])
            want_requests = Counter((r["method"], r["path"]) for r in expect["requests"])
            assert got_requests == want_requests, (
                f"{where}: requests: {got_requests} != {want_requests}"
            )
        if "resolved" in expect:
            assert resolved == expect["resolved"], f"{where}: resolved: {resolved}"
        if "users" in expect:
            users = [
                {
                    "alias": u.alias,
                    "registration_ids": list(u.registration_ids),
                    "still_bound": None if u.still_bound is None else list(u.still_bound),
                }
                for u in summary.users
            ]
            assert users == expect["users"], f"{where}: users: {users}"
        if "is_success" in expect:
            assert summary.is_success == expect["is_success"], where
        store = set(mock.devices())
        for device in expect.get("device_remains", []):
            assert device in store, f"{where}: {device} should remain"
        for device in expect.get("device_gone", []):
            assert device not in store, f"{where}: {device} should be gone"
