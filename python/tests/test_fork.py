"""Fork safety: a client used before fork() never shares a pooled connection
with the child, with or without calls in flight on other threads; the
parent's connections stay usable."""

from __future__ import annotations

import os
import sys
import threading
from typing import Callable

import pytest
from conftest import APP_KEY, SECRET, Mock
from engagelab_push import Client, NotFoundError

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")


def child(work: Callable[[], None]) -> int:
    """Runs `work` in a forked child; its exit status (0: every check held)."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            work()
            code = 0
        except BaseException as e:  # noqa: BLE001 - reported by the exit status
            print(f"child failed: {e!r}", file=sys.stderr)
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def connections(mock: Mock, path_part: str) -> list[int]:
    return [r["connection"] for r in mock.log() if path_part in r["path"]]


def test_the_child_opens_its_own_connection_and_gets_its_own_answers(mock: Mock) -> None:
    for i in range(20):
        mock.add_device(f"parent-{i}")
    client = Client(APP_KEY, SECRET, base_url=mock.url)
    client.delete_device("parent-0")  # a pooled connection now exists

    def in_child() -> None:
        for i in range(20):
            # Unknown ids: every answer must be the child's own 400/27002 (NOT_FOUND),
            # never a success meant for the parent.
            with pytest.raises(NotFoundError):
                client.delete_device(f"unknown-{i}")

    status = child(in_child)
    assert status == 0
    for i in range(1, 20):
        client.delete_device(f"parent-{i}")  # the parent's pool still works
    parent = set(connections(mock, "parent-"))
    kid = set(connections(mock, "unknown-"))
    assert kid and parent, (kid, parent)
    assert not kid & parent, f"the child used a parent connection: {kid & parent}"


def test_fork_with_calls_in_flight_on_other_threads(mock: Mock) -> None:
    n = 200
    for i in range(n):
        mock.add_device(f"bg-{i}")
    client = Client(APP_KEY, SECRET, base_url=mock.url)
    errors: list[BaseException] = []

    def background() -> None:
        try:
            for i in range(n):
                client.delete_device(f"bg-{i}")
        except BaseException as e:  # noqa: BLE001 - the main thread asserts on it
            errors.append(e)

    threads = [threading.Thread(target=background) for _ in range(1)]
    for t in threads:
        t.start()

    def in_child() -> None:
        for i in range(20):
            with pytest.raises(NotFoundError):
                client.delete_device(f"unknown-{i}")

    statuses = [child(in_child) for _ in range(3)]
    for t in threads:
        t.join()
    assert statuses == [0, 0, 0]
    assert not errors, errors
    bg = set(connections(mock, "bg-"))
    kid = set(connections(mock, "unknown-"))
    assert not kid & bg, f"a child used a parent connection: {kid & bg}"
