"""Client.delete_devices: the core's bulk engine from Python, against
engagelab-mock: pacing under a rate limit, the guard, dry run, duplicates,
invalid ids, the journal, progress, and Ctrl-C."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import APP_KEY, SECRET, Mock
from engagelab_push import BulkSummary, Client, InvalidArgumentError


def seed(mock: Mock, n: int) -> list[str]:
    ids = [f"dev-{i:04}" for i in range(n)]
    for i in ids:
        mock.add_device(i)
    return ids


def client(mock: Mock) -> Client:
    return Client(APP_KEY, SECRET, base_url=mock.url)


def test_a_rate_limited_run_deletes_everything_and_reports_each_id(
    mock: Mock, tmp_path: Path
) -> None:
    ids = seed(mock, 40)
    mock.config(rate_limit_qps=20, latency_ms=10)
    report = tmp_path / "report.jsonl"
    seen: list[dict[str, int | float | bool]] = []
    summary = client(mock).delete_devices(ids, qps=100, report=report, on_progress=seen.append)
    assert isinstance(summary, BulkSummary)
    assert (summary.deleted, summary.failed, summary.interrupted) == (40, 0, False)
    assert summary.rate_limited > 0
    assert mock.devices() == []
    lines = [json.loads(line) for line in report.read_text().splitlines()]
    assert sorted(line["registration_id"] for line in lines[:-1]) == ids
    assert lines[-1]["summary"]["deleted"] == 40
    assert summary.to_dict()["deleted"] == 40
    assert seen and seen[-1]["done"] == 40


def test_a_path_with_duplicates_invalid_ids_and_comments(mock: Mock, tmp_path: Path) -> None:
    seed(mock, 2)
    path = tmp_path / "ids.txt"
    path.write_text("\ufeffdev-0000\n# note\n\ndev-0001\ndev-0000\nnot an id\n", encoding="utf-8")
    summary = client(mock).delete_devices(path)
    assert (summary.deleted, summary.duplicate, summary.invalid) == (2, 1, 1)
    deletes = [r for r in mock.log() if r["method"] == "DELETE"]
    assert len(deletes) == 2


def test_an_open_file_is_read_by_lines_and_a_list_item_taken_exactly(
    mock: Mock, tmp_path: Path
) -> None:
    ids = seed(mock, 4)
    path = tmp_path / "ids.txt"
    path.write_text(f"# stale\n {ids[0]} \n{ids[1]} # note\n\n", encoding="utf-8")
    with open(path, encoding="utf-8") as text:
        summary = client(mock).delete_devices(text)
    assert (summary.entries, summary.deleted) == (2, 2)
    path.write_bytes(f"{ids[2]}\r\n".encode())
    with open(path, "rb") as binary:
        assert client(mock).delete_devices(binary).deleted == 1
    # A list is not lines: an item padded or with a comment is not an id.
    summary = client(mock).delete_devices([ids[3], f" {ids[3]}", f"{ids[3]} # note", ""])
    assert (summary.entries, summary.invalid, summary.deleted) == (4, 3, 1)
    assert mock.devices() == []

    class Lines:
        def readline(self) -> str:
            return ""

        def __iter__(self) -> Iterator[object]:
            return iter(["x\n", 7])

    with pytest.raises(TypeError, match="each line"):
        client(mock).delete_devices(Lines())  # type: ignore[arg-type]


def test_the_guard_refuses_and_sends_nothing(mock: Mock) -> None:
    ids = seed(mock, 5)
    with pytest.raises(InvalidArgumentError, match="max_deletions") as info:
        client(mock).delete_devices(iter(ids), max_deletions=4)
    assert mock.log() == []
    assert info.value.bulk_error == "GUARD"
    assert info.value.summary is None


def test_a_dry_run_sends_no_delete(mock: Mock) -> None:
    ids = seed(mock, 3)
    summary = client(mock).delete_devices(ids, dry_run=True)
    assert (summary.would_delete, summary.deleted, summary.dry_run) == (3, 0, True)
    assert mock.log() == []


def test_a_bad_item_raises_its_own_error_before_anything_is_sent(mock: Mock) -> None:
    seed(mock, 1)
    with pytest.raises(TypeError, match="str"):
        client(mock).delete_devices(["dev-0000", 7])  # type: ignore[list-item]
    assert mock.log() == []


def test_a_journal_skips_finished_ids_and_refuses_another_input(mock: Mock, tmp_path: Path) -> None:
    ids = seed(mock, 6)
    journal = tmp_path / "journal"
    first = client(mock).delete_devices(ids[:3] + ids[:3], journal=journal)
    assert first.deleted == 3
    with pytest.raises(InvalidArgumentError, match="another input"):
        client(mock).delete_devices(ids, journal=journal)
    again = client(mock).delete_devices(ids[:3] + ids[:3], journal=journal)
    assert (again.already_done, again.deleted) == (3, 0)


def test_ctrl_c_stops_gracefully_then_raises(mock: Mock, tmp_path: Path) -> None:
    ids = seed(mock, 200)
    mock.config(latency_ms=20)
    report = tmp_path / "report.jsonl"

    def gen() -> Iterator[str]:
        yield from ids

    timer = threading.Timer(0.8, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt) as info:
        client(mock).delete_devices(gen(), qps=50, report=report)
    timer.join()
    left = len(mock.devices())
    assert 0 < left < 200
    summary = json.loads(report.read_text().splitlines()[-1])["summary"]
    assert summary["interrupted"] is True
    assert summary["deleted"] == 200 - left
    # The exception carries what the run did.
    done = info.value.summary  # type: ignore[attr-defined]
    assert isinstance(done, BulkSummary)
    assert (done.interrupted, done.deleted) == (True, 200 - left)


@pytest.mark.parametrize("given_as", ["iterable", "file"])
def test_ctrl_c_in_python_code_giving_the_ids_raises_with_no_summary(
    mock: Mock, given_as: str
) -> None:
    ids = seed(mock, 3)

    def lines() -> Iterator[str]:
        yield ids[0] + "\n"
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(5)  # a slow source: the KeyboardInterrupt lands here
        yield from (i + "\n" for i in ids[1:])

    class File:
        def readline(self) -> str:
            return ""

        def __iter__(self) -> Iterator[str]:
            return lines()

    source: Any = lines() if given_as == "iterable" else File()
    with pytest.raises(KeyboardInterrupt) as info:
        client(mock).delete_devices(source)
    # The run had not counted its input: nothing was sent, no summary.
    assert "summary" in vars(info.value)
    assert info.value.summary is None  # type: ignore[attr-defined]
    assert mock.log() == []


def test_ctrl_c_while_a_file_is_counted_sends_nothing(mock: Mock, tmp_path: Path) -> None:
    ids = seed(mock, 300)
    fifo = tmp_path / "ids.fifo"
    os.mkfifo(fifo)
    main = threading.get_ident()

    def feed() -> None:
        with open(fifo, "w", encoding="utf-8") as out:
            out.write("\n".join(ids[:150]) + "\n")
            out.flush()
            # Ctrl-C while the engine still reads (counts) the input: the
            # signal is queued for the main thread before the rest is written.
            signal.pthread_kill(main, signal.SIGINT)
            out.write("\n".join(ids[150:]) + "\n")

    writer = threading.Thread(target=feed)
    writer.start()
    with pytest.raises(KeyboardInterrupt) as info:
        client(mock).delete_devices(fifo, qps=500)
    writer.join()
    assert [r for r in mock.log() if r["method"] == "DELETE"] == []
    done = info.value.summary  # type: ignore[attr-defined]
    assert (done.interrupted, done.deleted) == (True, 0)


@pytest.mark.parametrize("name", ["on_progress", "confirm", "on_resolved"])
@pytest.mark.parametrize("value", [True, "yes"])
def test_a_callback_that_is_not_callable_is_refused_before_anything_is_sent(
    mock: Mock, tmp_path: Path, name: str, value: object
) -> None:
    ids = seed(mock, 50)
    mock.add_device({"registration_id": "dev-u", "alias": "user-u"})
    report = tmp_path / "report.jsonl"
    given: dict[str, Any] = {name: value, "report": report}
    calls: list[Callable[[], object]] = [
        lambda: client(mock).erase_user("user-u", **given),
        lambda: client(mock).erase_users(["user-u"], **given),
    ]
    if name != "on_resolved":
        calls.append(lambda: client(mock).delete_devices(ids, **given))
    for call in calls:
        with pytest.raises(TypeError, match=f"^{name} must be callable, not "):
            call()
    assert mock.log() == []
    assert not report.exists()


@pytest.mark.parametrize("name", ["on_progress", "confirm", "on_resolved"])
def test_a_coroutine_function_as_callback_is_refused(mock: Mock, name: str) -> None:
    mock.add_device({"registration_id": "dev-u", "alias": "user-u"})

    async def callback(arg: object) -> bool:
        return True

    given: dict[str, Any] = {name: callback}
    with pytest.raises(TypeError, match=f"^{name} must be a plain function"):
        client(mock).erase_users(["user-u"], **given)
    assert mock.log() == []


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("qps", -1, "qps must not be negative, got -1"),
        ("qps", 2**40, "qps is too large, got 1099511627776"),
        ("qps", 0, "qps must be at least 1"),
        ("concurrency", -1, "concurrency must not be negative, got -1"),
        ("concurrency", 0, "concurrency must be 1 to 1024, got 0"),
        ("concurrency", 2000, "concurrency must be 1 to 1024, got 2000"),
        ("max_deletions", -1, "max_deletions must not be negative, got -1"),
        ("max_deletions", 2**70, "max_deletions is too large, got 1180591620717411303424"),
        ("stall_timeout", -1, "stall_timeout must be a finite, non-negative number"),
        ("stall_timeout", float("nan"), "stall_timeout must be a finite, non-negative number"),
        ("stall_timeout", 1e300, "stall_timeout is too large, got 1e+300"),
        ("stall_timeout", 0, "stall_timeout must be more than 0"),
    ],
)
def test_numbers_out_of_range_refuse_the_run(
    mock: Mock, name: str, value: float, says: str
) -> None:
    # Whether the binding or the core refuses the value, the exception is
    # the same: the refusal's attributes, and a message with no wrong range.
    seed(mock, 1)
    given: dict[str, Any] = {name: value}
    calls: list[Callable[[], object]] = [
        lambda: client(mock).delete_devices(["dev-0000"], **given),
        lambda: client(mock).erase_users(["u"], **given),
    ]
    for call in calls:
        with pytest.raises(InvalidArgumentError, match=re.escape(says)) as info:
            call()
        assert info.value.bulk_error == "INVALID_ARGUMENT"
        assert "summary" in vars(info.value) and info.value.summary is None
    assert mock.log() == []


@pytest.mark.parametrize("name", ["qps", "concurrency", "max_deletions"])
def test_numbers_of_the_wrong_type_raise_type_error(mock: Mock, name: str) -> None:
    for value in ("5", 5.0, True):
        with pytest.raises(TypeError, match=name):
            client(mock).delete_devices(["x"], **{name: value})  # type: ignore[arg-type]
    assert mock.log() == []


@pytest.mark.parametrize("value", [1, "yes", None])
def test_dry_run_of_the_wrong_type_is_a_type_error_naming_it(mock: Mock, value: object) -> None:
    ids = seed(mock, 1)
    given: dict[str, Any] = {"dry_run": value}
    calls: list[Callable[[], object]] = [
        lambda: client(mock).delete_devices(ids, **given),
        lambda: client(mock).erase_user("u", **given),
        lambda: client(mock).erase_users(["u"], **given),
    ]
    for call in calls:
        with pytest.raises(TypeError, match="^dry_run must be a bool, not "):
            call()
    assert mock.log() == []


def test_a_set_resumes_in_another_process_whatever_its_order(mock: Mock, tmp_path: Path) -> None:
    import subprocess
    import sys

    ids = seed(mock, 40)
    journal = tmp_path / "journal"
    script = (
        "import json, sys\n"
        "from engagelab_push import Client\n"
        "c = Client('demo-app-key', 'demo-master-secret', base_url=sys.argv[1])\n"
        "ids = {f'dev-{i:04}' for i in range(40)}\n"
        "s = c.delete_devices(ids, journal=sys.argv[2])\n"
        "print(json.dumps(s.to_dict()))\n"
    )
    results = []
    for seed_value in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed_value)
        done = subprocess.run(
            [sys.executable, "-c", script, mock.url, str(journal)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        results.append(json.loads(done.stdout))
    assert (results[0]["deleted"], results[1]["already_done"]) == (40, 40)
    assert ids and mock.devices() == []


def test_a_full_disk_raises_os_error_with_the_summary(mock: Mock) -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    seed(mock, 100)
    with pytest.raises(OSError, match="stopped: cannot write the report") as info:
        client(mock).delete_devices([f"dev-{i:04}" for i in range(100)], report="/dev/full")
    done = info.value.summary  # type: ignore[attr-defined]
    assert 1 <= done.deleted < 100
    assert done.deleted == 100 - len(mock.devices())


def test_a_refused_secret_stops_the_run(mock: Mock) -> None:
    ids = seed(mock, 30)
    bad = Client(APP_KEY, "wrong-secret", base_url=mock.url)
    summary = bad.delete_devices(ids, concurrency=1)
    assert summary.failed == 1 and summary.not_started == 29
    assert summary.stopped is not None and "refused the credentials" in summary.stopped
    assert summary.to_dict()["stopped"] == summary.stopped


def test_a_backup_holds_every_device_s_tags(mock: Mock, tmp_path: Path) -> None:
    for i in range(5):
        mock._call(
            "POST", "devices", {"registration_id": f"d{i}", "tags": [f"t{i}"], "alias": f"u{i}"}
        )
    backup = tmp_path / "backup.jsonl"
    summary = client(mock).delete_devices([f"d{i}" for i in range(5)], backup=backup)
    assert summary.deleted == 5
    kept = {
        line["registration_id"]: line for line in map(json.loads, backup.read_text().splitlines())
    }
    assert {k: (v["tags"], v["alias"]) for k, v in kept.items()} == {
        f"d{i}": ([f"t{i}"], f"u{i}") for i in range(5)
    }


def test_the_console_script_runs_the_rust_cli(mock: Mock) -> None:
    import subprocess
    import sys

    seed(mock, 2)
    env = {
        "ENGAGELAB_APP_KEY": APP_KEY,
        "ENGAGELAB_MASTER_SECRET": SECRET,
        "ENGAGELAB_BASE_URL": mock.url,
        "PATH": os.environ.get("PATH", ""),
    }
    cmd = [sys.executable, "-m", "engagelab_push._cli", "delete", "dev-0000", "dev-0001"]
    refused = subprocess.run(
        cmd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False
    )
    assert refused.returncode == 3, refused.stderr
    done = subprocess.run(
        [*cmd, "--yes", "--json"], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["deleted"] == 2
    assert mock.devices() == []


def test_ctrl_c_stops_the_console_script_as_it_stops_the_rust_cli(mock: Mock) -> None:
    # The command's handler chains the one installed before it: Python's
    # would have raised KeyboardInterrupt (a traceback, death by SIGINT)
    # once the command returned its exit code.
    import signal
    import subprocess
    import sys
    import time

    ids = seed(mock, 200)
    env = {
        "ENGAGELAB_APP_KEY": APP_KEY,
        "ENGAGELAB_MASTER_SECRET": SECRET,
        "ENGAGELAB_BASE_URL": mock.url,
        "PATH": os.environ.get("PATH", ""),
    }
    cmd = [sys.executable, "-m", "engagelab_push._cli", "delete", *ids, "--yes", "--qps", "20"]
    child = subprocess.Popen(
        cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    # Sent once the run has begun deleting, not before the handler exists.
    deadline = time.monotonic() + 30
    while len(mock.devices()) == 200 and time.monotonic() < deadline:
        time.sleep(0.02)
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=30)
    stderr = err.decode()
    assert child.returncode == 130, stderr
    assert "interrupted" in stderr, stderr
    assert "KeyboardInterrupt" not in stderr and "Traceback" not in stderr, stderr
    assert len(mock.devices()) > 0


@pytest.mark.parametrize("ids", [["dev-1", "dev-\udc80"], iter(["dev-\ud800"])])
def test_a_lone_surrogate_item_is_invalid_argument_naming_it(mock: Mock, ids: Any) -> None:
    # As for delete_device and erase_users: a str that cannot be UTF-8 is an
    # InvalidArgumentError naming the argument, not a bare UnicodeEncodeError.
    mock.add_device("dev-1")
    client = Client(APP_KEY, SECRET, base_url=mock.url)
    with pytest.raises(InvalidArgumentError, match="each id is not valid Unicode"):
        client.delete_devices(ids)
    assert mock.log() == []
    assert mock.devices() == ["dev-1"]


def test_a_lone_surrogate_line_of_an_open_text_file_is_invalid_argument(mock: Mock) -> None:
    client = Client(APP_KEY, SECRET, base_url=mock.url)
    with pytest.raises(InvalidArgumentError, match="each line is not valid Unicode"):
        client.delete_devices(io.StringIO("dev-1\ndev-\udc80\n"))
    assert mock.log() == []


@pytest.mark.parametrize(
    ("ids", "got"),
    [(5, "int"), (None, "NoneType"), (b"dev-1\n", "bytes"), (bytearray(b"dev-1"), "bytearray")],
)
def test_ids_of_the_wrong_type_is_a_type_error_naming_it(mock: Mock, ids: Any, got: str) -> None:
    # Not "'int' object is not iterable", nor, for bytes (iterated as ints),
    # "each id must be str, not int".
    client = Client(APP_KEY, SECRET, base_url=mock.url)
    with pytest.raises(TypeError, match=rf"^ids must be .*, not {got}$"):
        client.delete_devices(ids)
    assert mock.log() == []


def test_aliases_as_bytes_is_a_type_error_naming_them(mock: Mock) -> None:
    client = Client(APP_KEY, SECRET, base_url=mock.url)
    with pytest.raises(TypeError, match=r"^aliases must be an iterable of str, not bytes$"):
        client.erase_users(b"user-1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^platforms must be an iterable of str, not bytes$"):
        client.get_alias("user-1", b"ios")  # type: ignore[arg-type]
    assert mock.log() == []


class _BytesPath:
    def __fspath__(self) -> bytes:
        return b"/nonexistent/ids.txt"


def test_a_pathlike_giving_bytes_is_a_type_error_naming_the_argument(mock: Mock) -> None:
    # Was "'bytes' object is not an instance of 'str'" for ids, and "journal
    # must be str or os.PathLike, not _BytesPath" (it is one) for a file.
    client = Client(APP_KEY, SECRET, base_url=mock.url)
    with pytest.raises(TypeError, match=r"^ids must be .*os\.PathLike\[str\], not _BytesPath$"):
        client.delete_devices(_BytesPath())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^journal must be str or os\.PathLike\[str\], not "):
        client.delete_devices(["dev-1"], journal=_BytesPath())  # type: ignore[arg-type]
    assert mock.log() == []


def test_a_file_like_that_cannot_be_iterated_is_a_type_error_naming_ids(mock: Mock) -> None:
    # An object with readline is taken as an open file and read by iterating
    # it; one that only has readline got Python's bare "'Reader' object is
    # not iterable", which names no argument, unlike every other wrong ids.
    class Reader:
        def readline(self) -> str:
            return ""

    client = Client(APP_KEY, SECRET, base_url=mock.url)
    with pytest.raises(TypeError, match=r"^ids must be .*, not Reader$"):
        client.delete_devices(Reader())  # type: ignore[arg-type]
    assert mock.log() == []


def test_a_file_name_that_is_not_utf8_is_taken_as_a_str_too(mock: Mock, tmp_path: Path) -> None:
    # A Linux file name need not be UTF-8: os.listdir and os.fsdecode give it
    # with surrogate escapes. The ids path and a pathlib.Path of it were
    # taken, but report, journal and backup as a str were refused with
    # "report is not valid Unicode"; and a str no file name can hold was a
    # bare UnicodeEncodeError naming no argument.
    mock.add_device("dev-1")
    client = Client(APP_KEY, SECRET, base_url=mock.url)
    odd = os.fsdecode(os.fsencode(tmp_path) + b"/ids-\xff")
    with open(os.fsencode(odd), "w") as f:
        f.write("dev-1\n")
    files = {
        k: os.fsdecode(os.fsencode(tmp_path) + b"/" + k.encode() + b"-\xfe")
        for k in ("report", "journal", "backup")
    }
    summary = client.delete_devices(odd, **files)  # type: ignore[arg-type]
    assert summary.deleted == 1
    for name in files.values():
        assert os.path.exists(os.fsencode(name))
    for setting in ("ids", "report", "journal", "backup"):
        kwargs: dict[str, Any] = {"ids": ["dev-2"], setting: str(tmp_path / "x\ud800")}
        with pytest.raises(
            InvalidArgumentError, match=f"^invalid argument: {setting} is not a valid file name"
        ):
            client.delete_devices(**kwargs)
    assert [r["method"] for r in mock.log()] == ["GET", "DELETE"]


# An open file was read by iterating it: Python's line iteration builds each
# whole line as one object before the core sees a byte of it, so a file with
# a long line (a binary or compressed file passed by mistake) cost its whole
# size in memory, while the same file as a path is read in bounded memory.
def test_an_open_file_with_a_long_line_is_read_in_bounded_memory(
    mock: Mock, tmp_path: Path
) -> None:
    import tracemalloc

    big = tmp_path / "no-newline.bin"
    with open(big, "wb") as f:
        f.truncate(64 * 1024 * 1024)  # 64 MiB of NULs, no newline (sparse)
    client = Client(APP_KEY, SECRET, base_url=mock.url)
    for ids in (lambda: str(big), lambda: open(big, "rb")):  # noqa: SIM115
        source = ids()
        tracemalloc.start()
        try:
            with pytest.raises(InvalidArgumentError, match="longer than"):
                client.delete_devices(source)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            if not isinstance(source, str):
                source.close()
        assert peak < 8 * 1024 * 1024, f"{type(source).__name__}: peak {peak >> 20} MiB"
    assert mock.log() == []
