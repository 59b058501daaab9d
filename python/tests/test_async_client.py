"""engagelab_push.AsyncClient against engagelab-mock: the shared scenarios
and the fault matrix through it, cancellation (its time and maybe_deleted),
1,000 concurrent awaits within the thread bound, a per-call timeout while
queued, the bulk calls, close, secrets, and the same basics under uvloop."""

from __future__ import annotations

import asyncio
import base64
import gc
import os
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, TypeVar

import engagelab_push
import pytest
import test_faults
import test_scenarios
from conftest import APP_KEY, SECRET, Mock
from engagelab_push import (
    AsyncClient,
    AuthError,
    BulkSummary,
    Client,
    Device,
    EngageLabError,
    InvalidArgumentError,
    NotFoundError,
)
from test_exceptions import texts_of
from test_faults import proxy_url, toxiproxy  # noqa: F401 - fixtures of the fault matrix

T = TypeVar("T")

# Seconds within which a cancelled call or a timeout settles. It takes a few
# ms on an idle machine; the calls these tests cancel would otherwise end
# after 3 s or more, so the bound leaves a loaded 2-core machine room.
CANCELLED_WITHIN = 1.0
Runner = Callable[[Coroutine[Any, Any, Any]], Any]


def run_uvloop(coro: Coroutine[Any, Any, T]) -> T:
    uvloop = pytest.importorskip("uvloop")
    result: T = uvloop.run(coro)
    return result


RUNNERS: dict[str, Runner] = {"asyncio": asyncio.run, "uvloop": run_uvloop}


@pytest.fixture(params=sorted(RUNNERS))
def run(request: pytest.FixtureRequest) -> Runner:
    """Runs a coroutine to its end on a new event loop: asyncio's, or uvloop's."""
    return RUNNERS[request.param]


def async_client(mock: Mock, max_retries: int = 2, secret: str = SECRET) -> AsyncClient:
    return AsyncClient(
        APP_KEY,
        secret,
        base_url=mock.url,
        backoff_base=0.001,
        backoff_max=0.02,
        max_retries=max_retries,
    )


class ViaAsync:
    """The synchronous Client's face over an AsyncClient, each call awaited
    on a new event loop: lets the synchronous suites' runners (scenarios,
    fault matrix) drive AsyncClient with their own checks."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.client = AsyncClient(*args, **kwargs)

    def delete_device(self, registration_id: str) -> None:
        asyncio.run(self.client.delete_device(registration_id))

    def get_device(self, registration_id: str) -> Device:
        return asyncio.run(self.client.get_device(registration_id))

    def get_alias(self, alias: str, platforms: Iterable[str] | None = None) -> list[str]:
        return asyncio.run(self.client.get_alias(alias, platforms))

    def __repr__(self) -> str:
        return repr(self.client)


@pytest.mark.parametrize(
    "scenario", test_scenarios.SCENARIO_LIST, ids=[s["name"] for s in test_scenarios.SCENARIO_LIST]
)
def test_scenario_through_async_client(
    scenario: dict[str, Any], mock: Mock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engagelab_push, "Client", ViaAsync)
    test_scenarios.test_scenario(scenario, mock)


@pytest.mark.parametrize("case", test_faults.CASES, ids=[c["name"] for c in test_faults.CASES])
def test_fault_through_async_client(
    case: dict[str, Any],
    mock: Mock,
    toxiproxy: test_faults.Toxiproxy,  # noqa: F811 - the imported fixture
    proxy_url: str,  # noqa: F811 - the imported fixture
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(test_faults, "Client", ViaAsync)
    test_faults.test_fault(case, mock, toxiproxy, proxy_url)


def test_the_surface_matches_client() -> None:
    import inspect

    assert "AsyncClient" in engagelab_push.__all__
    assert AsyncClient.__module__ == "engagelab_push"
    assert str(inspect.signature(AsyncClient)) == str(inspect.signature(Client))
    for name in ("delete_devices", "erase_user", "erase_users"):
        assert inspect.signature(getattr(AsyncClient, name)) == inspect.signature(
            getattr(Client, name)
        )
    assert list(inspect.signature(AsyncClient.check).parameters) == ["self", "device"]
    c = AsyncClient(APP_KEY, SECRET)
    sync = Client(APP_KEY, SECRET)
    assert repr(c) == "Async" + repr(sync)
    assert (c.region, c.base_url) == (sync.region, sync.base_url)


@pytest.mark.parametrize(
    "kwargs", [{"timeout": -1}, {"timeout": None}, {"region": "nowhere"}, {"max_retries": "2"}]
)
def test_the_constructor_checks_as_client_does(kwargs: dict[str, Any]) -> None:
    with pytest.raises(Exception) as sync:
        Client(APP_KEY, SECRET, **kwargs)
    with pytest.raises(Exception) as aio:
        AsyncClient(APP_KEY, SECRET, **kwargs)
    assert type(aio.value) is type(sync.value)
    assert str(aio.value) == str(sync.value)


def test_from_env(monkeypatch: pytest.MonkeyPatch, mock: Mock) -> None:
    monkeypatch.setenv("ENGAGELAB_APP_KEY", APP_KEY)
    monkeypatch.setenv("ENGAGELAB_MASTER_SECRET", SECRET)
    monkeypatch.delenv("ENGAGELAB_REGION", raising=False)
    monkeypatch.setenv("ENGAGELAB_BASE_URL", mock.url)
    client = AsyncClient.from_env()
    assert type(client) is AsyncClient and client.base_url == mock.url
    assert asyncio.run(client.get_alias("nobody")) == []
    monkeypatch.delenv("ENGAGELAB_APP_KEY")
    with pytest.raises(InvalidArgumentError):
        AsyncClient.from_env()


def test_basic_calls(mock: Mock, run: Runner) -> None:
    mock.add_device({"registration_id": "a-1", "tags": ["t"], "alias": "user-a"})
    mock.add_device({"registration_id": "a-2", "alias": "user-a"})

    async def main() -> None:
        async with async_client(mock) as client:
            device = await client.get_device("a-1")
            assert (device.registration_id, device.tags, device.alias) == ("a-1", ("t",), "user-a")
            assert sorted(await client.get_alias("user-a")) == ["a-1", "a-2"]
            assert await client.get_alias("user-a", platforms=["ios"], timeout=5) == []
            # Longer than any client timeout (at most 24 h): the client's
            # applies, as in every language.
            assert await client.get_alias("user-a", platforms=["ios"], timeout=90_000) == []
            await client.delete_device("a-1")
            with pytest.raises(NotFoundError) as info:
                await client.delete_device("a-1")
            assert (info.value.http_status, info.value.maybe_deleted) == (400, False)
            with pytest.raises(InvalidArgumentError):
                await client.delete_device("")
            with pytest.raises(TypeError):
                await client.get_device(b"bytes")  # type: ignore[arg-type]
            with pytest.raises(InvalidArgumentError):
                await client.get_alias("user-a", ["windows"])
            with pytest.raises(TypeError):
                await client.delete_device("a-2", timeout="1")  # type: ignore[arg-type]
            with pytest.raises(InvalidArgumentError):
                await client.delete_device("a-2", timeout=-1)
        assert client.closed

    run(main())
    assert mock.devices() == ["a-2"]
    assert [r["path"] for r in mock.log()] == [
        "/v4/devices/a-1",
        "/v4/aliases/user-a",
        "/v4/aliases/user-a?platform=ios",
        "/v4/aliases/user-a?platform=ios",
        "/v4/devices/a-1",
        "/v4/devices/a-1",
    ]


def test_completions_arrive_on_the_loop_thread(mock: Mock, run: Runner) -> None:
    mock.add_device("t-1")

    async def main() -> None:
        client = async_client(mock)
        loop_thread = threading.get_ident()
        seen: list[int] = []
        task = asyncio.ensure_future(client.get_device("t-1"))
        task.add_done_callback(lambda _: seen.append(threading.get_ident()))
        await task
        await asyncio.sleep(0)
        assert seen == [loop_thread]

    run(main())


def test_after_close_calls_raise(mock: Mock, run: Runner) -> None:
    async def main() -> None:
        client = async_client(mock)
        await client.close()
        await client.close()
        for call in (
            client.delete_device("x"),
            client.get_device("x"),
            client.get_alias("x"),
            client.delete_devices(["x"]),
        ):
            with pytest.raises(InvalidArgumentError, match="closed"):
                await call

    run(main())
    assert mock.log() == []


# How long a call holding one of the client's threads waits for its answer:
# longer than any test holding them lasts, so that no thread comes free before
# the test cancels its holders (a loaded machine may take seconds to start 64).
HOLD_MS = 60_000


async def wait_for_request(mock: Mock, path: str) -> None:
    """Returns once the mock has logged a request for `path` (it logs on
    arrival, before any scripted delay)."""
    deadline = time.monotonic() + 10
    while not any(r["path"] == path for r in mock.log()):
        assert time.monotonic() < deadline, f"no request for {path}"
        await asyncio.sleep(0.005)


async def cancel_and_time(task: asyncio.Task[Any]) -> tuple[float, BaseException]:
    """Cancels `task`; how long it took to end, and what it raised."""
    started = time.monotonic()
    task.cancel()
    await asyncio.wait({task})
    took = time.monotonic() - started
    assert task.cancelled()
    try:
        task.result()
    except asyncio.CancelledError as e:
        return took, e
    raise AssertionError("the task was not cancelled")


def test_cancel_during_a_slow_delete(
    mock: Mock, run: Runner, caplog: pytest.LogCaptureFixture
) -> None:
    mock.add_device("slow-del")
    mock.script("slow-del", [{"status": 200, "delay_ms": 5000}])

    async def main() -> None:
        client = async_client(mock, max_retries=0)
        task = asyncio.ensure_future(client.delete_device("slow-del"))
        await wait_for_request(mock, "/v4/devices/slow-del")
        took, raised = await cancel_and_time(task)
        assert took < CANCELLED_WITHIN, took
        cause = raised.__cause__
        assert isinstance(cause, engagelab_push.CancelledError), repr(cause)
        # The DELETE was written: EngageLab may have acted on it.
        assert cause.maybe_deleted is True
        assert cause.attempts == 1

    run(main())
    assert len(mock.log()) == 1
    gc.collect()  # a future whose exception nobody read logs it when freed
    assert "never retrieved" not in caplog.text, caplog.text


def test_cancel_of_a_queued_call_says_nothing_was_deleted(mock: Mock) -> None:
    """64 slow GETs hold every thread: a DELETE cancelled while it waits
    for one was never sent, and its cause says so."""
    ids = [f"hold-{i}" for i in range(64)]
    for i in ids:
        mock.script(i, [{"status": 200, "body": "{}", "delay_ms": HOLD_MS}])
    mock.add_device("queued")

    async def main() -> None:
        client = async_client(mock, max_retries=0)
        holders = [asyncio.ensure_future(client.get_device(i)) for i in ids]
        for i in ids:
            await wait_for_request(mock, f"/v4/devices/{i}")
        task = asyncio.ensure_future(client.delete_device("queued"))
        await asyncio.sleep(0)  # the task starts the call, which waits for a thread
        took, raised = await cancel_and_time(task)
        assert took < CANCELLED_WITHIN, took
        cause = raised.__cause__
        assert isinstance(cause, engagelab_push.CancelledError), repr(cause)
        assert (cause.maybe_deleted, cause.attempts) == (False, 0)
        for h in holders:
            h.cancel()
        await asyncio.wait(holders)

    asyncio.run(main())
    assert "queued" in mock.devices()
    assert not any(r["path"] == "/v4/devices/queued" for r in mock.log())


def test_a_cancel_after_the_call_ended_has_no_cause(mock: Mock, run: Runner) -> None:
    mock.add_device("quick")

    async def main() -> None:
        client = async_client(mock)
        loop = asyncio.get_running_loop()
        posted = threading.Event()
        post = loop.call_soon_threadsafe

        def post_and_tell(*args: Any, **kwargs: Any) -> Any:
            handle = post(*args, **kwargs)
            posted.set()
            return handle

        loop.call_soon_threadsafe = post_and_tell  # type: ignore[method-assign,assignment]
        task = asyncio.ensure_future(client.delete_device("quick"))
        await asyncio.sleep(0)  # the task starts the call
        # The loop is held until the outcome was posted to it: the task has
        # not resumed with it when it is cancelled.
        assert posted.wait(10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError) as info:
            await task
        assert info.value.__cause__ is None

    run(main())
    assert "quick" not in mock.devices()


def test_wait_for_timeout_cancels_the_call(mock: Mock) -> None:
    mock.add_device("slow-wf")
    mock.script("slow-wf", [{"status": 200, "delay_ms": 5000}])

    async def main() -> None:
        client = async_client(mock, max_retries=0)
        started = time.monotonic()
        with pytest.raises(asyncio.TimeoutError) as info:
            await asyncio.wait_for(client.delete_device("slow-wf"), 0.2)
        assert time.monotonic() - started < 0.3
        # As the README says: the library's error is the cancel's cause.
        cancelled = info.value.__cause__
        assert isinstance(cancelled, asyncio.CancelledError)
        if sys.version_info >= (3, 11):
            cause = cancelled.__cause__
            assert isinstance(cause, engagelab_push.CancelledError)
            assert cause.maybe_deleted is True

    asyncio.run(main())


def thread_count() -> int:
    return len(os.listdir("/proc/self/task"))


def test_a_thousand_concurrent_awaits_stay_within_the_thread_bound(mock: Mock) -> None:
    n = 1000
    ids = [f"many-{i}" for i in range(n)]
    for i in ids:
        mock.add_device(i)
    mock.config(latency_ms=20)

    async def main() -> tuple[int, int]:
        client = async_client(mock)
        start = thread_count()
        peak = start
        tasks = [asyncio.ensure_future(client.delete_device(i)) for i in ids]
        everything = asyncio.gather(*tasks)
        while not everything.done():
            peak = max(peak, thread_count())
            await asyncio.wait({everything}, timeout=0.002)
        await everything
        return start, peak

    start, peak = asyncio.run(main())
    # At most 64 call threads per client and the one watching waiting calls.
    assert peak <= start + 64 + 1, (start, peak)
    assert peak > start + 8, f"the calls did not run in parallel ({start} -> {peak})"
    assert mock.devices() == []
    assert len(mock.log()) == n


def test_a_timeout_while_queued_settles_at_the_timeout(mock: Mock, run: Runner) -> None:
    ids = [f"busy-{i}" for i in range(64)]
    for i in ids:
        mock.script(i, [{"status": 200, "body": "{}", "delay_ms": HOLD_MS}])
    mock.add_device("late")

    async def main() -> None:
        client = async_client(mock, max_retries=0)
        holders = [asyncio.ensure_future(client.get_device(i)) for i in ids]
        for i in ids:
            await wait_for_request(mock, f"/v4/devices/{i}")
        started = time.monotonic()
        with pytest.raises(engagelab_push.TimeoutError) as info:
            await client.delete_device("late", timeout=0.3)
        took = time.monotonic() - started
        assert 0.3 - 0.01 <= took < 0.3 + CANCELLED_WITHIN, took
        assert (info.value.attempts, info.value.maybe_deleted) == (0, False)
        for h in holders:
            h.cancel()
        await asyncio.wait(holders)

    run(main())
    assert "late" in mock.devices()


def test_secrets_never_shown(mock: Mock) -> None:
    secret = "s3cr3t-master-value"
    token = base64.b64encode(f"{APP_KEY}:{secret}".encode()).decode()
    body = f'{{"error": {{"code": 21004, "message": "bad auth {secret} Basic {token}"}}}}'
    mock.script("dev-echo", [{"status": 401, "body": body}])
    client = async_client(mock, secret=secret)

    async def main() -> list[BaseException]:
        failures: list[BaseException] = []
        try:
            await client.delete_device("dev-echo")
        except AuthError as e:
            failures.append(e)
        for kwargs in (
            {"timeout": -1},
            {"base_url": f"https://user:{secret}@x.example"},
            {"proxy": f"http://u:{secret}@"},
        ):
            try:
                AsyncClient(APP_KEY, secret, **kwargs)
            except EngageLabError as e:
                failures.append(e)
        return failures

    failures = asyncio.run(main())
    assert len(failures) == 4
    for failure in failures:
        for text in [repr(client), *texts_of(Client(APP_KEY, secret), failure)]:
            assert secret not in text
            assert token not in text
        # Tracebacks that show locals (pytest, Sentry): the package's frames
        # keep no argument that holds the secret.
        tb = failure.__traceback__
        while tb is not None:
            if "engagelab_push" in tb.tb_frame.f_code.co_filename:
                assert secret not in repr(tb.tb_frame.f_locals)
            tb = tb.tb_next
    # A half-built client (its constructor raised) has a repr too.
    assert repr(AsyncClient.__new__(AsyncClient)) == "AsyncClient(<not built>)"


def seed(mock: Mock, n: int, prefix: str) -> list[str]:
    ids = [f"{prefix}-{i}" for i in range(n)]
    for i in ids:
        mock.add_device(i)
    return ids


def test_delete_devices_with_progress_on_the_loop(mock: Mock, run: Runner) -> None:
    ids = seed(mock, 20, "bulk")

    async def main() -> BulkSummary:
        client = async_client(mock)
        loop_thread = threading.get_ident()
        threads: set[int] = set()
        plans: list[dict[str, Any]] = []

        def progress(p: dict[str, Any]) -> None:
            threads.add(threading.get_ident())

        def confirm(plan: dict[str, Any]) -> bool:
            threads.add(threading.get_ident())
            plans.append(plan)
            return True

        summary = await client.delete_devices(ids, on_progress=progress, confirm=confirm)
        assert threads == {loop_thread}
        assert plans == [{"entries": 20, "ids": 20, "dry_run": False}]
        return summary

    summary = run(main())
    assert type(summary) is BulkSummary
    assert (summary.deleted, summary.failed, summary.interrupted) == (20, 0, False)
    assert mock.devices() == []


def test_erase_users(mock: Mock) -> None:
    mock.add_device({"registration_id": "e-1", "alias": "user-e"})
    mock.add_device({"registration_id": "e-2", "alias": "user-e"})
    resolved: list[str] = []

    async def main() -> engagelab_push.EraseSummary:
        client = async_client(mock)
        return await client.erase_users(
            ["user-e", "nobody"], on_resolved=lambda u: resolved.append(u.alias)
        )

    summary = asyncio.run(main())
    assert summary.is_success and summary.deleted == 2
    assert resolved == ["user-e", "nobody"]
    assert mock.devices() == []


def test_bulk_errors_are_those_of_client(mock: Mock) -> None:
    ids = seed(mock, 3, "guard")

    async def main() -> None:
        client = async_client(mock)
        with pytest.raises(InvalidArgumentError):
            await client.delete_devices(ids, max_deletions=2)
        with pytest.raises(TypeError):
            await client.delete_devices(ids, qps="fast")  # type: ignore[arg-type]
        with pytest.raises(InvalidArgumentError):
            await client.delete_devices(ids, confirm=lambda plan: False)

        def says_n(plan: object) -> Any:
            return "n"  # what input() returns: truthy, and not a yes

        with pytest.raises(InvalidArgumentError, match="not confirmed"):
            await client.delete_devices(ids, confirm=says_n)
        with pytest.raises(InvalidArgumentError, match="not confirmed"):
            Client(APP_KEY, SECRET, base_url=mock.url).delete_devices(ids, confirm=says_n)

    asyncio.run(main())
    assert mock.log() == []


@pytest.mark.parametrize("name", ["on_progress", "confirm", "on_resolved"])
def test_a_callback_that_is_not_a_plain_function_is_refused(mock: Mock, name: str) -> None:
    mock.add_device({"registration_id": "cb-1", "alias": "user-cb"})

    async def coroutine_function(arg: object) -> bool:
        return True

    async def main() -> None:
        client = async_client(mock)
        not_callable: dict[str, Any] = {name: True}
        with pytest.raises(TypeError, match=f"^{name} must be callable, not bool"):
            await client.erase_users(["user-cb"], **not_callable)
        coroutine: dict[str, Any] = {name: coroutine_function}
        with pytest.raises(TypeError, match=f"^{name} must be a plain function"):
            await client.erase_users(["user-cb"], **coroutine)

    asyncio.run(main())
    assert mock.log() == []


def test_an_exception_in_on_progress_stops_the_run(mock: Mock) -> None:
    ids = seed(mock, 100, "boom")
    mock.config(latency_ms=20)

    class Stop(Exception):
        pass

    def progress(p: dict[str, Any]) -> None:
        if p["done"] >= 1:
            raise Stop

    async def main() -> None:
        client = async_client(mock)
        with pytest.raises(Stop) as info:
            await client.delete_devices(ids, qps=50, on_progress=progress)
        done = info.value.summary  # type: ignore[attr-defined]
        assert isinstance(done, BulkSummary) and done.interrupted
        assert 0 < done.deleted < 100

    asyncio.run(main())


def test_cancelling_a_bulk_run_stops_it(mock: Mock, run: Runner) -> None:
    ids = seed(mock, 200, "stop")
    mock.config(latency_ms=20)

    async def main() -> None:
        client = async_client(mock)
        task = asyncio.ensure_future(client.delete_devices(ids, qps=50))
        deadline = time.monotonic() + 10
        while len(mock.log()) < 5:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.005)
        started = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError) as info:
            await task
        assert time.monotonic() - started < 1.0
        done = info.value.summary  # type: ignore[attr-defined]
        assert isinstance(done, BulkSummary)
        assert done.interrupted and 0 < done.deleted < 200

    run(main())
    sent = len(mock.log())
    left = len(mock.devices())
    assert 0 < left < 200
    # Nothing is sent once the run ended.
    time.sleep(0.2)
    assert len(mock.log()) == sent


def test_check_reports_as_client_does(mock: Mock, run: Runner) -> None:
    mock.add_device("checked")

    async def main() -> None:
        client = async_client(mock)
        report = await client.check("checked")
        assert isinstance(report, engagelab_push.CheckReport)
        assert report.credentials_accepted
        with pytest.raises(InvalidArgumentError):
            await client.check("not an id")
        refused = await async_client(mock, secret="wrong-secret").check()
        assert not refused.credentials_accepted

    run(main())
    assert {e["method"] for e in mock.log()} == {"GET"}
    assert mock.devices() == ["checked"]


def test_cancelling_a_check_stops_it(mock: Mock, run: Runner) -> None:
    mock.config(latency_ms=3000)

    async def main() -> None:
        client = async_client(mock, max_retries=0)
        task = asyncio.ensure_future(client.check())
        deadline = time.monotonic() + 10
        while not mock.log():
            assert time.monotonic() < deadline, "the check sent nothing"
            await asyncio.sleep(0.005)
        took, _ = await cancel_and_time(task)
        assert took < CANCELLED_WITHIN, took

    run(main())
    # The check's later requests were never sent.
    assert len(mock.log()) == 1


def run_python(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Runs `script` with `args` in a Python child process, output captured."""
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_once_interpreter_exit_began_completions_stay_out_of_python(mock: Mock) -> None:
    # atexit runs _at_exit before the interpreter finalizes. A completion
    # that took the GIL after that was ended by the interpreter mid-call,
    # killing the process (SIGSEGV, about 1 run in 150 of the example): from
    # then on a completion calls nothing, and the process ends cleanly.
    import textwrap

    mock.script("late-1", [{"status": 200, "body": "{}", "delay_ms": 300}])
    script = textwrap.dedent(
        """
        import sys, time
        import engagelab_push
        from engagelab_push._engagelab_push import _at_exit

        client = engagelab_push.Client(sys.argv[1], sys.argv[2], base_url=sys.argv[3])
        called = []
        done = lambda value, error: called.append(error)
        client._start_delete_device("late-0", None, done)
        deadline = time.monotonic() + 10
        while not called and time.monotonic() < deadline:
            time.sleep(0.01)
        client._start_delete_device("late-1", None, done)
        _at_exit()
        time.sleep(0.8)
        print(len(called))
        """
    )
    done = run_python(script, APP_KEY, SECRET, mock.url)
    assert done.returncode == 0, done.stderr
    # The first completion reached Python; the one after _at_exit did not.
    assert done.stdout.split() == ["1"], done.stdout + done.stderr
    assert [r["path"] for r in mock.log()] == ["/v4/devices/late-0", "/v4/devices/late-1"]


@pytest.mark.parametrize("kind", ["AsyncClient", "Client"])
def test_a_bulk_run_in_a_background_thread_stops_at_interpreter_exit(
    mock: Mock, tmp_path: Any, kind: str
) -> None:
    # A run still going in a daemon thread when the program ended kept
    # taking the GIL (its look at Ctrl-C, its progress callback) after exit
    # had waited 5 s for it: the process died with SIGSEGV. Now exit stops
    # the run, which writes its summary, and the process ends cleanly.
    import json
    import textwrap

    ids = [f"exit-{i:02d}" for i in range(40)]
    for i in ids:
        mock.add_device(i)
    report = tmp_path / "report.jsonl"
    script = textwrap.dedent(
        """
        import asyncio, sys, threading
        import engagelab_push

        app_key, secret, url, report, kind = sys.argv[1:6]
        ids = [f"exit-{i:02d}" for i in range(40)]
        started = threading.Event()

        def progress(p):
            if p["done"] > 0:
                started.set()

        def run():
            settings = dict(qps=2, report=report, on_progress=progress)
            if kind == "Client":
                client = engagelab_push.Client(app_key, secret, base_url=url)
                client.delete_devices(ids, **settings)
                return
            client = engagelab_push.AsyncClient(app_key, secret, base_url=url)
            asyncio.run(client.delete_devices(ids, **settings))

        threading.Thread(target=run, daemon=True).start()
        assert started.wait(30), "the run never started"
        print("exiting", flush=True)
        """
    )
    done = run_python(script, APP_KEY, SECRET, mock.url, str(report), kind)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["exiting"], done.stdout + done.stderr
    # At 2 a second the run would take 20 s: it stopped at the exit, and its
    # report says so, every id sent reported.
    sent = [r for r in mock.log() if r["method"] == "DELETE"]
    assert 1 <= len(sent) < 20, len(sent)
    lines = [json.loads(line) for line in report.read_text().splitlines()]
    summary = lines[-1]["summary"]
    assert summary["interrupted"] is True, summary
    assert summary["deleted"] == len(sent) == len(lines) - 1, lines


def test_a_call_in_a_background_thread_at_interpreter_exit_ends_cleanly(mock: Mock) -> None:
    # A synchronous call waiting in a daemon thread when the program ended
    # took the GIL again (at its next look at Ctrl-C, or at its end) on a
    # finalizing interpreter: SIGSEGV. Exit now cancels it and waits for it.
    import textwrap

    mock.script("exit-slow", [{"status": 200, "body": "{}", "delay_ms": 3000}])
    waiting = textwrap.dedent(
        """
        import sys, threading
        import engagelab_push

        client = engagelab_push.Client(sys.argv[1], sys.argv[2], base_url=sys.argv[3])
        sent = threading.Event()

        def call():
            sent.set()
            client.get_device("exit-slow")

        threading.Thread(target=call, daemon=True).start()
        assert sent.wait(30)
        print("exiting", flush=True)
        """
    )
    done = run_python(waiting, APP_KEY, SECRET, mock.url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["exiting"], done.stdout + done.stderr
    # A call started on another thread once exit began keeps the GIL and is
    # refused at once, nothing sent: releasing the GIL could let the
    # interpreter finalize under it.
    late = textwrap.dedent(
        """
        import sys, threading
        import engagelab_push
        from engagelab_push._engagelab_push import _at_exit

        client = engagelab_push.Client(sys.argv[1], sys.argv[2], base_url=sys.argv[3])
        _at_exit()
        got = []

        def call():
            try:
                client.delete_device("exit-late")
            except engagelab_push.EngageLabError as e:
                got.append((type(e).__name__, e.attempts, e.maybe_deleted))
            try:
                client.delete_devices(["exit-late"])
            except OSError as e:
                got.append(str(e))

        thread = threading.Thread(target=call)
        thread.start()
        thread.join()
        print(got)
        """
    )
    mock.add_device("exit-late")
    done = run_python(late, APP_KEY, SECRET, mock.url)
    assert done.returncode == 0, done.stderr
    refused = "cannot read the input: the Python interpreter is exiting"
    assert done.stdout.strip() == f"[('CancelledError', 0, False), {refused!r}]", (
        done.stdout + done.stderr
    )
    assert "exit-late" in mock.devices()
    assert not any(r["path"] == "/v4/devices/exit-late" for r in mock.log())


def test_a_bulk_run_in_a_later_exit_handler_runs_whole(mock: Mock) -> None:
    # Exit handlers run on the thread that then finalizes the interpreter:
    # one registered before engagelab_push's own, so run after it, still
    # runs its calls and bulk runs as usual.
    import textwrap

    for i in range(3):
        mock.add_device(f"at-exit-{i}")
    script = textwrap.dedent(
        """
        import sys
        import engagelab_push
        from engagelab_push._engagelab_push import _at_exit

        client = engagelab_push.Client(sys.argv[1], sys.argv[2], base_url=sys.argv[3])
        _at_exit()
        summary = client.delete_devices([f"at-exit-{i}" for i in range(3)])
        print(summary.deleted, summary.interrupted)
        """
    )
    done = run_python(script, APP_KEY, SECRET, mock.url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["3", "False"], done.stdout + done.stderr
    assert mock.devices() == []


def test_an_outcome_after_the_loop_closed_is_dropped(mock: Mock) -> None:
    mock.script("orphan", [{"status": 200, "body": "{}", "delay_ms": 200}])
    client = async_client(mock, max_retries=0)
    raised: list[object] = []
    previous = sys.unraisablehook
    sys.unraisablehook = raised.append
    try:
        loop = asyncio.new_event_loop()
        loop.set_exception_handler(lambda *_: None)  # "Task was destroyed but it is pending"
        loop.create_task(client.get_device("orphan"))
        loop.run_until_complete(wait_for_request(mock, "/v4/devices/orphan"))
        loop.close()
        # The library thread holds the loop until it has called back (and
        # been refused: the loop is closed); then the loop is freed.
        gone = weakref.ref(loop)
        del loop
        deadline = time.monotonic() + 10
        while gone() is not None:
            assert time.monotonic() < deadline, "the completion never ran"
            gc.collect()
            time.sleep(0.01)
        assert asyncio.run(client.get_alias("nobody")) == []
    finally:
        sys.unraisablehook = previous
    assert raised == []


def test_the_async_example_deletes(mock: Mock) -> None:
    from test_examples import env_for
    from test_examples import run as run_example

    mock.add_device("ex-1")
    mock.add_device("ex-2")
    done = run_example("async_delete_devices.py", "ex-1", "ex-2", "ex-unknown", env=env_for(mock))
    assert done.returncode == 1, done.stderr
    assert "deleted ex-1" in done.stdout and "deleted ex-2" in done.stdout
    assert "ex-unknown not deleted (NOT_FOUND)" in done.stderr
    assert SECRET not in done.stdout + done.stderr
    assert mock.devices() == []
