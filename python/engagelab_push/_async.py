"""``engagelab_push.AsyncClient``: the calls of :class:`Client` as awaitables
for asyncio (and uvloop), run on the client's own native threads.

Each call is started at once on one of the client's threads (at most 64 per
client; calls beyond wait in order); its outcome comes back on that thread,
which takes the GIL only to post it to the awaiting event loop with
``loop.call_soon_threadsafe``. Neither the loop's executor nor any Python
thread is used. A bulk run (``delete_devices``, ``erase_users``) runs the
blocking bulk engine on a native thread of its own, its callbacks posted to
the event loop.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import inspect
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, overload

from engagelab_push._engagelab_push import CheckReport, Client, Device, _at_exit, _Call
from engagelab_push.exceptions import CancelledError as _Cancelled
from engagelab_push.exceptions import InvalidArgumentError

if TYPE_CHECKING:
    from collections.abc import Coroutine

    from typing_extensions import Concatenate, ParamSpec, Protocol, Self

    _P = ParamSpec("_P")
    _R = TypeVar("_R")

__all__ = ["AsyncClient"]

#: Seconds a cancelled call is waited for, once its cancel token is
#: cancelled, so that the CancelledError can say whether it may have deleted
#: (the library ends a cancelled call within about 20 ms).
CANCEL_GRACE = 0.06

#: Seconds a cancelled bulk run is waited for, so that its summary can be
#: attached to the CancelledError.
BULK_CANCEL_GRACE = 2.0

# Before the interpreter finalizes, completions stop entering Python and
# those already in it are waited for (the native _at_exit says why).
atexit.register(_at_exit)


if TYPE_CHECKING:

    def _init_like(
        ctor: Callable[_P, Client],
    ) -> Callable[[Callable[..., None]], Callable[Concatenate[AsyncClient, _P], None]]: ...

    class _AsyncMethod(Protocol[_P, _R]):
        """A method of AsyncClient taking the arguments of a Client method
        and returning a coroutine of its result."""

        def __call__(
            _, self: AsyncClient, *args: _P.args, **kwargs: _P.kwargs
        ) -> Coroutine[Any, Any, _R]: ...
        @overload
        def __get__(_, obj: None, owner: type[AsyncClient]) -> _AsyncMethod[_P, _R]: ...
        @overload
        def __get__(
            _, obj: AsyncClient, owner: type[AsyncClient]
        ) -> Callable[_P, Coroutine[Any, Any, _R]]: ...

    def _awaitable_like(
        sync: Callable[Concatenate[Client, _P], _R],
    ) -> Callable[[Callable[..., Any]], _AsyncMethod[_P, _R]]: ...

else:

    def _init_like(ctor):
        """The decorated __init__ takes the arguments of `ctor` (for type
        checkers, and for inspect.signature)."""
        try:
            params = inspect.signature(ctor).parameters.values()
        except ValueError:
            # Python 3.9 gives a class of the stable ABI no signature: the
            # __init__ keeps its own, (*args, **kwargs).
            return lambda f: f
        # The instance is positional-only, as Concatenate makes it for type
        # checkers; its name is never shown (inspect.signature(AsyncClient)
        # leaves it out).
        first = inspect.Parameter("_", inspect.Parameter.POSITIONAL_ONLY)
        return _with_signature([first, *params])

    def _awaitable_like(sync):
        """The decorated function, which returns a coroutine, takes the
        arguments of `sync` (for type checkers, and for inspect.signature)."""
        return _with_signature(list(inspect.signature(sync).parameters.values()))

    def _with_signature(params):
        def decorate(f):
            f.__signature__ = inspect.Signature(params)
            return f

        return decorate


def _settle(fut: asyncio.Future[Any], value: object, error: BaseException | None) -> None:
    """Gives the awaiting future its outcome, on its loop."""
    if fut.done():
        return
    if error is None:
        fut.set_result(value)
    else:
        fut.set_exception(error)


def _poster(
    loop: asyncio.AbstractEventLoop, fut: asyncio.Future[Any]
) -> Callable[[object, BaseException | None], None]:
    """The `done(value, error)` a library thread calls with the outcome: it
    posts the outcome to `loop`; a closed loop has nobody to tell."""

    def done(value: object, error: BaseException | None) -> None:
        try:
            loop.call_soon_threadsafe(_settle, fut, value, error)
        except RuntimeError:
            pass  # the loop is closed: nothing awaits the outcome any more

    return done


async def _wait_ended(fut: asyncio.Future[Any], grace: float) -> bool:
    """Waits up to `grace` seconds for `fut`, through further cancels;
    whether it ended."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    while not fut.done():
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        try:
            await asyncio.wait({fut}, timeout=remaining)
        except asyncio.CancelledError:
            continue  # cancelled again: the first cancel is being served
    return fut.done()


class _Outcome:
    """The outcome of one call, as its library thread posts it to the loop:
    kept, and given to every future waiting for it (the task's, and after a
    cancel the one the cancel waits on). Awaiting the task's future directly,
    rather than a shielded copy, saves a future and two callbacks a call."""

    __slots__ = ("got", "waiting")

    def __init__(self, fut: asyncio.Future[Any]) -> None:
        self.got: tuple[object, BaseException | None] | None = None
        self.waiting = [fut]

    def settle(self, value: object, error: BaseException | None) -> None:
        self.got = (value, error)
        for fut in self.waiting:
            _settle(fut, value, error)

    async def cancel_cause(self, deletes: bool) -> BaseException | None:
        """The __cause__ of the CancelledError of a call cancelled while it
        ran: the library's CancelledError (its maybe_deleted exact), or None
        when the call had ended otherwise."""
        if self.got is None:
            ended: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            # Its outcome is read from self.got: mark an exception retrieved,
            # or asyncio logs "Future exception was never retrieved".
            ended.add_done_callback(lambda f: f.cancelled() or f.exception())
            self.waiting.append(ended)
            await _wait_ended(ended, CANCEL_GRACE)
        if self.got is None:
            text = (
                f"the call was cancelled and had not ended {CANCEL_GRACE * 1000:.0f} ms later: "
                "whether it deleted the device is unknown"
                if deletes
                else f"the call was cancelled and had not ended {CANCEL_GRACE * 1000:.0f} ms later"
            )
            return _Cancelled(text, maybe_deleted=deletes)
        error = self.got[1]
        return error if isinstance(error, _Cancelled) else None


class _Relay:
    """Runs the callbacks of one bulk run on the event loop: `on_progress`
    posted, `confirm` and `on_resolved` awaited by the run's thread. An
    exception of `on_progress` stops the run and is raised once it ended."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.raised: BaseException | None = None
        self.call: _Call | None = None

    def progress(self, fn: Callable[[Any], object]) -> Callable[[Any], None]:
        def run(arg: Any) -> None:
            if self.raised is not None:
                return
            try:
                fn(arg)
            except BaseException as e:  # noqa: BLE001 - raised once the run ended
                self.raised = e
                if self.call is not None:
                    self.call.cancel()

        def post(arg: Any) -> None:
            try:
                self.loop.call_soon_threadsafe(run, arg)
            except RuntimeError:
                pass  # the loop is closed

        return post

    def blocking(self, fn: Callable[[Any], object]) -> Callable[[Any], object]:
        def call(arg: Any) -> object:
            answer: concurrent.futures.Future[object] = concurrent.futures.Future()

            def run() -> None:
                try:
                    answer.set_result(fn(arg))
                except BaseException as e:  # noqa: BLE001 - handed to the run's thread
                    answer.set_exception(e)

            self.loop.call_soon_threadsafe(run)
            while True:
                try:
                    return answer.result(timeout=0.05)
                except concurrent.futures.TimeoutError:
                    if self.loop.is_closed():
                        raise RuntimeError("the event loop closed during the run") from None

        return call


class AsyncClient:
    """A client of EngageLab's Push REST API for asyncio (uvloop included):
    the calls of :class:`Client` as awaitables. It takes the arguments of
    Client, checks them the same way and raises the same exceptions.

    Each call runs on one of the client's own native threads: at most 64
    per client at once, later calls wait in order (a waiting call's timeout
    counts from the call, and it ends within about 20 ms of its deadline or
    cancel). The outcome is posted to the awaiting event loop; no executor and
    no Python thread is used. Use one AsyncClient for the whole application,
    from any number of tasks (and event loops).

    Cancelling the awaiting task cancels the call: the task ends within about
    100 ms with ``asyncio.CancelledError``, whose ``__cause__`` is the
    library's :class:`engagelab_push.CancelledError` carrying the exact
    ``maybe_deleted`` (whether the DELETE may have reached EngageLab). When the
    call had already ended before the cancel reached it (success or another
    failure), the CancelledError has no ``__cause__``: its outcome is not
    reported. ``asyncio.wait_for`` and ``asyncio.timeout`` raise TimeoutError
    whose ``__cause__`` is that asyncio.CancelledError.

    ``async with AsyncClient(...) as client:`` closes it on exit; after
    :meth:`close`, every call raises InvalidArgumentError.
    """

    @_init_like(Client)
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._closed = False
        try:
            self._client = Client(*args, **kwargs)
        except BaseException:
            # The arguments hold the Master Secret: a traceback that shows
            # this frame's locals (pytest, Sentry) must not find them there.
            args, kwargs = (), {}
            raise

    @staticmethod
    def from_env() -> AsyncClient:
        """A client configured from the environment, as Client.from_env:
        ENGAGELAB_APP_KEY, ENGAGELAB_MASTER_SECRET, and optionally
        ENGAGELAB_REGION or ENGAGELAB_BASE_URL (not both)."""
        client = AsyncClient.__new__(AsyncClient)
        client._client = Client.from_env()
        client._closed = False
        return client

    def _native(self) -> Client:
        if self._closed:
            raise InvalidArgumentError("this AsyncClient is closed: make a new one")
        return self._client

    async def _call(self, start: Callable[[Callable[..., None]], _Call], deletes: bool) -> Any:
        """Starts a call and awaits its outcome; on cancel, cancels it and
        waits briefly for the outcome that says whether it may have deleted."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Any] = loop.create_future()
        outcome = _Outcome(fut)

        def done(value: object, error: BaseException | None) -> None:
            try:
                loop.call_soon_threadsafe(outcome.settle, value, error)
            except RuntimeError:
                pass  # the loop is closed: nothing awaits the outcome any more

        call = start(done)
        try:
            return await fut
        except asyncio.CancelledError as cancelled:
            if not fut.cancelled():
                raise  # the outcome had come: the call ended before the cancel
            call.cancel()
            cause = await outcome.cancel_cause(deletes)
            if cause is None:
                raise
            raise cancelled from cause

    async def delete_device(self, registration_id: str, *, timeout: float | None = None) -> None:
        """Deletes one device, as Client.delete_device (irreversible).
        `timeout` (seconds) bounds this call, time spent waiting for a thread
        included, when earlier than the client's. Raises an EngageLabError
        subclass on failure; see the class for cancellation."""
        client = self._native()
        await self._call(
            lambda done: client._start_delete_device(registration_id, timeout, done), True
        )

    async def get_device(self, registration_id: str, *, timeout: float | None = None) -> Device:
        """Queries one device, as Client.get_device; `timeout` as for
        delete_device."""
        client = self._native()
        device: Device = await self._call(
            lambda done: client._start_get_device(registration_id, timeout, done), False
        )
        return device

    async def get_alias(
        self, alias: str, platforms: Iterable[str] | None = None, *, timeout: float | None = None
    ) -> list[str]:
        """Resolves an alias to the registration ids bound to it, as
        Client.get_alias; `timeout` as for delete_device."""
        client = self._native()
        ids: list[str] = await self._call(
            lambda done: client._start_get_alias(alias, platforms, timeout, done), False
        )
        return ids

    async def _bulk(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Runs a bulk call on a native thread of its own, its callbacks on
        this event loop; cancelling the task stops the run."""
        client = self._native()
        loop = asyncio.get_running_loop()
        relay = _Relay(loop)
        kwargs = dict(kwargs)
        for name, relayed in (
            ("on_progress", relay.progress),
            ("confirm", relay.blocking),
            ("on_resolved", relay.blocking),
        ):
            fn = kwargs.get(name)
            # Anything else goes as given, for the native call to refuse.
            if callable(fn) and not inspect.iscoroutinefunction(fn):
                kwargs[name] = relayed(fn)
        fut: asyncio.Future[Any] = loop.create_future()
        relay.call = client._start_bulk(method, args, kwargs, _poster(loop, fut))
        try:
            summary = await asyncio.shield(fut)
        except asyncio.CancelledError as cancelled:
            relay.call.cancel()
            if await _wait_ended(fut, BULK_CANCEL_GRACE) and not fut.cancelled():
                error = fut.exception()
                done = getattr(error, "summary", None) if error is not None else fut.result()
                if done is not None:
                    cancelled.summary = done  # type: ignore[attr-defined]
            raise
        except BaseException as error:
            if relay.raised is not None:
                if getattr(error, "summary", None) is not None:
                    relay.raised.summary = error.summary  # type: ignore[attr-defined]
                raise relay.raised from None
            raise
        if relay.raised is not None:
            relay.raised.summary = summary  # type: ignore[attr-defined]
            raise relay.raised
        return summary

    @_awaitable_like(Client.delete_devices)
    def delete_devices(self, *args: Any, **kwargs: Any) -> Any:
        """Deletes many devices, as Client.delete_devices (same arguments,
        same result and exceptions), on a native thread of its own.
        `on_progress`, `confirm` and `on_resolved` run on the event loop
        (plain functions, not coroutine functions; `confirm` may not block
        it); an iterable of ids is read on the run's thread. Cancelling the
        awaiting task stops the run gracefully (nothing more is sent once the
        cancel is seen, as soon as a single call would see it),
        then raises asyncio.CancelledError with the run's BulkSummary as its
        `summary` attribute (when the run ended within 2 s)."""
        return self._bulk("delete_devices", args, kwargs)

    @_awaitable_like(Client.erase_user)
    def erase_user(self, *args: Any, **kwargs: Any) -> Any:
        """Erases one user, as Client.erase_user; runs as delete_devices."""
        return self._bulk("erase_user", args, kwargs)

    @_awaitable_like(Client.erase_users)
    def erase_users(self, *args: Any, **kwargs: Any) -> Any:
        """Erases users by alias, as Client.erase_users; runs as
        delete_devices (the summary is an EraseSummary)."""
        return self._bulk("erase_users", args, kwargs)

    async def check(self, device: str | None = None) -> CheckReport:
        """Checks the setup with read-only calls, as Client.check (same
        argument, report and exceptions), on a native thread of its own.
        Cancelling the awaiting task stops it (within about 20 ms, nothing
        deleted in any case: it sends no DELETE) and raises
        asyncio.CancelledError."""
        client = self._native()
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[CheckReport] = loop.create_future()
        call = client._start_bulk("check", (device,), None, _poster(loop, fut))
        try:
            return await asyncio.shield(fut)
        except asyncio.CancelledError:
            call.cancel()
            if await _wait_ended(fut, BULK_CANCEL_GRACE) and not fut.cancelled():
                fut.exception()  # retrieved: the check's own CancelledError
            raise

    async def close(self) -> None:
        """Closes the client: every later call raises InvalidArgumentError.
        Calls already started go on to their end. Idempotent. The client's
        threads end on their own once idle."""
        self._closed = True

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def closed(self) -> bool:
        """Whether close() was called."""
        return self._closed

    @property
    def region(self) -> str | None:
        """The region's short name (e.g. 'sgp'), or None when a base_url was given."""
        return self._client.region

    @property
    def base_url(self) -> str:
        """The base URL calls go to, without a trailing slash."""
        return self._client.base_url

    def __repr__(self) -> str:
        """As Client's: AppKey, region, base URL, timeout, retries, proxy
        yes/no; never the Master Secret."""
        client = getattr(self, "_client", None)
        return "AsyncClient(<not built>)" if client is None else "Async" + repr(client)
