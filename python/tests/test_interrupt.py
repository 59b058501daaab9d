"""Ctrl-C: a KeyboardInterrupt stops a call at once (about 20 ms on an idle
machine), while it waits for an answer and while it waits to retry."""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Callable

import engagelab_push
import pytest
from conftest import APP_KEY, SECRET, Mock
from engagelab_push import Client


class Interrupter(threading.Thread):
    """Sends SIGINT once the mock has logged a request (it logs on arrival,
    before any scripted delay: the call is then in flight, as a fact rather
    than after a sleep), and notes when."""

    def __init__(self, mock: Mock) -> None:
        super().__init__()
        self.mock = mock
        self.sent_at = 0.0
        self.start()

    def run(self) -> None:
        deadline = time.monotonic() + 10
        while not self.mock.log() and time.monotonic() < deadline:
            time.sleep(0.005)
        self.sent_at = time.monotonic()
        os.kill(os.getpid(), signal.SIGINT)


# The answers are due 5 s after the request: a call that stops well before
# that was stopped by Ctrl-C, on however busy a machine.
LIMIT = 2.5


def test_ctrl_c_stops_a_call_waiting_for_its_answer(mock: Mock) -> None:
    mock.add_device("dev-slow")
    mock.script("dev-slow", [{"status": 200, "delay_ms": 5000}])
    client = Client(APP_KEY, SECRET, base_url=mock.url, max_retries=0)
    interrupter = Interrupter(mock)
    with pytest.raises(KeyboardInterrupt) as info:
        client.delete_device("dev-slow")
    returned = time.monotonic()
    interrupter.join()
    assert returned - interrupter.sent_at < LIMIT, returned - interrupter.sent_at
    assert len(mock.log()) == 1
    # What was done is not lost: the DELETE was written, so it may have been made.
    cause = info.value.__cause__
    assert isinstance(cause, engagelab_push.CancelledError), repr(cause)
    assert (cause.attempts, cause.maybe_deleted) == (1, True)


def test_ctrl_c_stops_a_backoff_wait(mock: Mock) -> None:
    mock.script("dev-busy", [{"status": 429, "headers": {"Retry-After": "5"}}] * 3)
    client = Client(APP_KEY, SECRET, base_url=mock.url, max_retry_after=10.0)
    interrupter = Interrupter(mock)
    with pytest.raises(KeyboardInterrupt) as info:
        client.delete_device("dev-busy")
    returned = time.monotonic()
    interrupter.join()
    assert returned - interrupter.sent_at < LIMIT, returned - interrupter.sent_at
    assert len(mock.log()) == 1, "no retry after the interrupt"
    cause = info.value.__cause__
    assert isinstance(cause, engagelab_push.CancelledError), repr(cause)
    assert cause.maybe_deleted is False, "the server answered 429"


def test_a_signal_whose_handler_does_not_raise_lets_the_call_finish(mock: Mock) -> None:
    mock.add_device("dev-slow")
    mock.script("dev-slow", [{"status": 200, "delay_ms": 500}])
    seen = []
    previous = signal.signal(signal.SIGUSR1, lambda *_: seen.append(True))
    try:
        timer = threading.Timer(0.1, lambda: os.kill(os.getpid(), signal.SIGUSR1))
        timer.start()
        client = Client(APP_KEY, SECRET, base_url=mock.url)
        client.delete_device("dev-slow")
        timer.join()
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert seen == [True]


def once_the_slow_delete_waits(mock: Mock, act: Callable[[], None]) -> Callable[..., None]:
    """A SIGALRM handler that runs `act` once, the first time it finds the
    DELETE of dev-slow in the mock's log (the call then waits), and stops the
    timer. CPython may run a pending handler inside the handler itself, at
    any bytecode boundary of `mock.log()`: a handler already running makes
    the inner one return at once, so `act` cannot run twice."""
    state = {"busy": False, "done": False}

    def handler(*_: object) -> None:
        if state["busy"] or state["done"]:
            return
        state["busy"] = True
        try:
            if any(r["path"] == "/v4/devices/dev-slow" for r in mock.log()):
                state["done"] = True
                signal.setitimer(signal.ITIMER_REAL, 0)
                act()
        finally:
            state["busy"] = False

    return handler


def test_a_call_from_a_signal_handler_while_a_call_waits(mock: Mock) -> None:
    # Before: both calls raised InternalError ("RefCell already borrowed")
    # and the waiting DELETE said maybe_deleted=False, attempts=0.
    mock.add_device("dev-slow")
    mock.add_device("dev-other")
    mock.script("dev-slow", [{"status": 200, "delay_ms": 5000}])
    client = Client(APP_KEY, SECRET, base_url=mock.url, max_retries=0, timeout=1.0)
    nested: list[object] = []

    def nested_call() -> None:
        nested.append("started")
        try:
            client.delete_device("dev-other")
            nested.append("deleted")
        except Exception as e:  # noqa: BLE001 - recorded for the assertion
            nested.append(e)

    previous = signal.signal(signal.SIGALRM, once_the_slow_delete_waits(mock, nested_call))
    signal.setitimer(signal.ITIMER_REAL, 0.05, 0.05)
    try:
        with pytest.raises(engagelab_push.TimeoutError) as raised:
            client.delete_device("dev-slow")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert nested == ["started", "deleted"]
    # The server read the DELETE and never answered: it may have acted.
    assert raised.value.maybe_deleted is True
    assert raised.value.attempts == 1
    assert "dev-other" not in mock.devices()


def test_a_call_interrupted_after_a_nested_call_says_it_may_have_deleted(mock: Mock) -> None:
    # The handler makes a call, then raises: the nested call fails with its
    # own error, and the handler's exception stops the waiting call.
    mock.add_device("dev-slow")
    mock.script("dev-slow", [{"status": 200, "delay_ms": 5000}])
    client = Client(APP_KEY, SECRET, base_url=mock.url, max_retries=0)
    nested: list[object] = []

    class Stop(Exception):
        pass

    def nested_call() -> None:
        nested.append("started")
        try:
            client.get_device("dev-unknown")
        except Exception as e:  # noqa: BLE001 - recorded for the assertion
            nested.append(e)
        raise Stop

    previous = signal.signal(signal.SIGALRM, once_the_slow_delete_waits(mock, nested_call))
    signal.setitimer(signal.ITIMER_REAL, 0.05, 0.05)
    try:
        with pytest.raises(Stop):
            client.delete_device("dev-slow")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert len(nested) == 2, nested
    assert not isinstance(nested[1], engagelab_push.InternalError), nested[1]
    assert isinstance(nested[1], engagelab_push.EngageLabError), nested[1]
