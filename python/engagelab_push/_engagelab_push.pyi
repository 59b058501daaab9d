# Stubs of the native module (crates/engagelab-push-py), checked by
# `python -m mypy.stubtest engagelab_push`.
import os
from collections.abc import Callable, Iterable
from typing import IO, Any, final

from typing_extensions import disjoint_base

from engagelab_push.exceptions import EngageLabError

__all__ = [
    "BulkSummary",
    "CheckReport",
    "Client",
    "Device",
    "EraseSummary",
    "ErasedUser",
    "_Call",
    "__version__",
    "_at_exit",
    "_cli_main",
    "_panic_for_tests",
]

__version__: str

def _cli_main(argv: list[str]) -> int:
    """Private: runs the `engagelab-push` command line (program name first)
    compiled into this module and returns its exit code."""

def _panic_for_tests(detached: bool) -> None:
    """Private, for the test suite: panics in Rust (with the GIL released when
    `detached`) to prove the panic arrives as InternalError."""

@final
class Client:
    """A client of EngageLab's Push REST API. Thread-safe: share one between
    threads; each call releases the GIL while it waits on the network."""

    def __new__(
        cls,
        app_key: str,
        master_secret: str,
        *,
        # setting-defaults:begin
        region: str | None = "sgp",
        base_url: str | None = None,
        timeout: float = 30.0,
        connect_timeout: float = 10.0,
        max_retries: int = 2,
        backoff_base: float = 0.2,
        backoff_max: float = 5.0,
        max_retry_after: float = 10.0,
        user_agent: str | None = None,
        proxy: str | None = None,
        ca_file: str | os.PathLike[str] | None = None,
        allow_insecure_http: bool = False,
        # setting-defaults:end
    ) -> Client: ...
    @staticmethod
    def from_env() -> Client:
        """A client configured from ENGAGELAB_APP_KEY, ENGAGELAB_MASTER_SECRET,
        and optionally ENGAGELAB_REGION or ENGAGELAB_BASE_URL (not both)."""
    def delete_device(self, registration_id: str) -> None:
        """Deletes one device: its tags, alias, device information and
        timezone. Irreversible. Raises an EngageLabError subclass on failure."""
    def delete_devices(
        self,
        ids: str | os.PathLike[str] | IO[str] | IO[bytes] | Iterable[str],
        *,
        # setting-defaults:begin
        qps: int = 100,
        concurrency: int | None = None,
        journal: str | os.PathLike[str] | None = None,
        backup: str | os.PathLike[str] | None = None,
        report: str | os.PathLike[str] | None = None,
        max_deletions: int = 1000,
        dry_run: bool = False,
        on_progress: Callable[[dict[str, Any]], object] | None = None,
        confirm: Callable[[dict[str, int | bool]], object] | None = None,
        stall_timeout: float = 300.0,
        # setting-defaults:end
    ) -> BulkSummary:
        """Deletes many devices, paced, resumable and reported, with the GIL
        released while the engine runs. `ids` is a path or an open file
        (text or binary), one id per line (trimmed; blank and # lines and
        `ID # note` comments skipped), or any other iterable of str, each
        item one entry taken exactly (a padded item is invalid). Raises InvalidArgumentError when the input holds
        more than max_deletions ids or not one valid id, a journal belongs to
        another set of ids or is in use by another run, or a setting is out of
        range (a negative or huge qps, concurrency or max_deletions included;
        a wrong type is a TypeError): nothing sent. OSError for a file that
        cannot be read, or written mid-run: the run stops, and the exception's
        `summary` (a BulkSummary) says what was sent. Each of these
        exceptions has `bulk_error`, the kind ("GUARD", "DECLINED",
        "JOURNAL_MISMATCH", "IO", "JOURNAL_BUSY", "WRITE_FAILED",
        "INVALID_ARGUMENT", "LOOKUP"), and `summary` (None when nothing was
        sent). Ctrl-C stops the run
        gracefully, and nothing more is sent once it is seen (it is looked
        for as often as during a single call), even while the
        input is still being read (a FIFO or a device whose read blocks holds
        Ctrl-C until the read returns); then KeyboardInterrupt is raised with the
        run's BulkSummary as its `summary` attribute (None when Ctrl-C landed
        in Python code giving the ids, before they were counted: nothing
        sent). The first answer
        refusing the credentials, the same failure max_same_failures times in a row (spec/settings.md), or a run
        rate-limited with no device deleted for stall_timeout seconds stops
        the run: see BulkSummary.stopped. Every request, retries included,
        is paced to qps; on_progress's dict also holds `pause` (seconds the
        workers still wait) and `pause_reason` (why, or None). `confirm(plan)`, when given, is
        called once the input is counted and the guard passed, before any
        file is opened or request sent, with {"entries", "ids", "dry_run"}: any
        answer but True ends the run (InvalidArgumentError, nothing sent); an
        exception it raises cancels the run (nothing sent) and is raised with
        the run's BulkSummary as its `summary`. Callbacks run on the calling
        thread, one at a time; one that is not callable, or is a coroutine
        function, raises TypeError before anything is read or sent."""
    def get_device(self, registration_id: str) -> Device:
        """Queries one device: its tags and alias, and the whole answer. Query
        before deleting. Raises an EngageLabError subclass on failure
        (maybe_deleted is always False: a GET never deletes)."""
    def check(self, device: str | None = None) -> CheckReport:
        """Checks the setup with read-only calls before anything is deleted
        (it can send no DELETE): a random unknown id check_rounds times (spec/settings.md), a random
        unknown alias, and `device` if given. The client's timeout bounds the
        whole check. Refused credentials are not an exception: see
        CheckReport.credentials_accepted. Raises InvalidArgumentError for a
        bad device id (nothing sent), an EngageLabError subclass when a
        request got no answer (TimeoutError past the client's timeout)."""
    def get_alias(self, alias: str, platforms: Iterable[str] | None = None) -> list[str]:
        """Resolves an alias (the app's user id) to the registration ids bound
        to it, in EngageLab's order; [] when no device is bound. `platforms`
        (any iterable of 'android', 'ios', 'hmos'; not a str) narrows the
        lookup; None or empty means every platform. Raises
        InvalidArgumentError for a bad alias or platform (nothing sent), an
        EngageLabError subclass otherwise."""
    def erase_user(
        self,
        alias: str,
        *,
        # setting-defaults:begin
        qps: int = 100,
        concurrency: int | None = None,
        journal: str | os.PathLike[str] | None = None,
        backup: str | os.PathLike[str] | None = None,
        report: str | os.PathLike[str] | None = None,
        max_deletions: int = 1000,
        dry_run: bool = False,
        on_progress: Callable[[dict[str, Any]], object] | None = None,
        confirm: Callable[[dict[str, int | bool]], object] | None = None,
        on_resolved: Callable[[ErasedUser], object] | None = None,
        stall_timeout: float = 300.0,
        # setting-defaults:end
    ) -> EraseSummary:
        """Erases one user: resolves the alias to its registration ids, deletes
        them as delete_devices does, then resolves the alias again to confirm
        that no device is still bound. Raises as erase_users does."""
    def erase_users(
        self,
        aliases: Iterable[str],
        *,
        # setting-defaults:begin
        qps: int = 100,
        concurrency: int | None = None,
        journal: str | os.PathLike[str] | None = None,
        backup: str | os.PathLike[str] | None = None,
        report: str | os.PathLike[str] | None = None,
        max_deletions: int = 1000,
        dry_run: bool = False,
        on_progress: Callable[[dict[str, Any]], object] | None = None,
        confirm: Callable[[dict[str, int | bool]], object] | None = None,
        on_resolved: Callable[[ErasedUser], object] | None = None,
        stall_timeout: float = 300.0,
        # setting-defaults:end
    ) -> EraseSummary:
        """Erases users by alias: each alias checked and resolved, their
        registration ids deleted by one run of delete_devices (its settings;
        the guard counts every alias's ids), then each alias resolved again.
        `aliases` is any iterable of str (not a str). Raises
        InvalidArgumentError for a bad alias, the guard, a journal of other
        aliases or a bad setting, OSError for a file, and a first lookup's own
        EngageLabError subclass when it fails (nothing deleted). A device
        still bound after the deletions that the run was to delete is deleted
        once more, journal or not, and its alias resolved again. Ctrl-C stops
        the run gracefully, then raises KeyboardInterrupt with the
        EraseSummary as its `summary` attribute. `confirm` as for
        delete_devices (the plan counts every alias's ids); `on_resolved(user)`
        is called once per alias as soon as it is resolved, before anything
        is deleted (an ErasedUser whose still_bound is None); an exception it
        raises cancels the run (nothing deleted) and is raised."""
    @property
    def region(self) -> str | None:
        """The region's short name (e.g. 'sgp'), or None when a base_url was given."""
    @property
    def base_url(self) -> str:
        """The base URL calls go to, without a trailing slash."""
    # Private: the native half of AsyncClient (engagelab_push/_async.py).
    def _start_delete_device(
        self,
        registration_id: str,
        timeout: float | None,
        done: Callable[[None, EngageLabError | None], object],
    ) -> _Call: ...
    def _start_get_device(
        self,
        registration_id: str,
        timeout: float | None,
        done: Callable[[Device | None, EngageLabError | None], object],
    ) -> _Call: ...
    def _start_get_alias(
        self,
        alias: str,
        platforms: Iterable[str] | None,
        timeout: float | None,
        done: Callable[[list[str] | None, EngageLabError | None], object],
    ) -> _Call: ...
    def _start_bulk(
        self,
        method: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any] | None,
        done: Callable[[Any, BaseException | None], object],
    ) -> _Call: ...

def _at_exit() -> None:
    """Registered with atexit by AsyncClient's module: completions stop
    entering Python, and those in it are waited for. Private."""

@final
class _Call:
    """A call started by AsyncClient. Private; made by the client only."""

    def cancel(self) -> None:
        """Cancels the call; safe to call more than once, and after it ended."""

@disjoint_base
class BulkSummary:
    """What a bulk deletion did (`Client.delete_devices`); `EraseSummary`
    extends it. Made by the client, never by the caller; pickles."""

    @property
    def deleted(self) -> int:
        """Devices deleted."""
    @property
    def not_found(self) -> int:
        """Ids EngageLab did not know (nothing deleted)."""
    @property
    def failed(self) -> int:
        """Ids whose call failed (see the report for every error field)."""
    @property
    def invalid(self) -> int:
        """Entries that are not registration ids (never sent)."""
    @property
    def duplicate(self) -> int:
        """Repeated ids (sent once)."""
    @property
    def already_done(self) -> int:
        """Ids the journal holds as finished by an earlier run."""
    @property
    def would_delete(self) -> int:
        """Dry run: ids that would be deleted."""
    @property
    def entries(self) -> int:
        """Entries in the input (blank and '#' lines not counted)."""
    @property
    def ids(self) -> int:
        """Distinct valid ids in the input (what max_deletions was checked against)."""
    @property
    def not_started(self) -> int:
        """Entries never reached because the run was interrupted."""
    @property
    def rate_limited(self) -> int:
        """Rate-limit answers received (each was paced and retried)."""
    @property
    def elapsed(self) -> float:
        """Seconds from the first request to the end."""
    @property
    def rate(self) -> float:
        """Deletions (dry run: ids checked) per second."""
    @property
    def interrupted(self) -> bool:
        """Whether the run was stopped before its end (Ctrl-C, on_progress)."""
    @property
    def stopped(self) -> str | None:
        """Why the engine stopped the run before its end (the credentials
        refused, or the same failure max_same_failures times in a row (spec/settings.md)), or None."""
    @property
    def dry_run(self) -> bool:
        """Whether it was a dry run."""
    def to_dict(self) -> dict[str, int | float | bool | str | None]:
        """The summary as a dict (the report's summary line)."""

@final
class EraseSummary(BulkSummary):
    """What an erasure did (`Client.erase_users`): the bulk run over the users'
    devices (the BulkSummary fields), and each user."""

    @property
    def users(self) -> tuple[ErasedUser, ...]:
        """Each alias, in the order given (a repeated alias once)."""
    @property
    def still_bound(self) -> tuple[tuple[str, str], ...]:
        """The registration ids still bound after the erasure, as (alias, id) pairs."""
    @property
    def is_success(self) -> bool:
        """True when every device was deleted (or was already gone), the run was
        not interrupted, and, unless it was a dry run, every alias was resolved
        again with no device still bound."""
    def to_dict(self) -> dict[str, Any]:
        """The summary as a dict (the report's summary line) with `users`: one
        dict per user."""

@final
class ErasedUser:
    """One user of an erasure: the alias, the devices bound to it before, and
    those still bound after. Immutable: made by Client.erase_users."""

    @property
    def alias(self) -> str:
        """The alias, as given."""
    @property
    def registration_ids(self) -> tuple[str, ...]:
        """The registration ids bound to the alias before the erasure: those the
        run set out to delete (the summary's `deleted` counts those it did). ()
        for an alias with no device or one EngageLab does not know."""
    @property
    def still_bound(self) -> tuple[str, ...] | None:
        """The ids still bound when the alias was resolved again: () when the
        erasure is complete; None when not checked (dry run, interrupted or stopped run,
        failed lookup)."""
    @property
    def verify_error(self) -> EngageLabError | None:
        """Why the second lookup failed, or None."""

@final
class Device:
    """A device as EngageLab reports it (GET /v4/devices/{registration_id}):
    the tags and alias bound to a registration id, and the whole answer.
    Immutable: made by Client.get_device, never by the caller."""

    @property
    def registration_id(self) -> str:
        """The registration id that was queried."""
    @property
    def tags(self) -> tuple[str, ...]:
        """The tags, in EngageLab's order; () when the answer had none."""
    @property
    def alias(self) -> str | None:
        """The alias; None when the answer had none (missing or null)."""
    @property
    def raw(self) -> dict[str, Any]:
        """The whole answer, unknown fields included: a new dict on every access."""
    @property
    def raw_json(self) -> str:
        """The answer's body exactly as EngageLab sent it (JSON text of one object)."""
    def __eq__(self, value: object, /) -> bool: ...
    def __ne__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class CheckReport:
    """What Client.check found: where the calls went, whether the credentials
    were accepted, the round trip, the server's clock and rate-limit headers,
    each answer and the differences from what the library assumes.
    Immutable: made by Client.check, never by the caller."""

    @property
    def base_url(self) -> str:
        """The base URL the calls went to."""
    @property
    def region(self) -> str | None:
        """The region's short name, or None when a base_url was given."""
    @property
    def credentials_accepted(self) -> bool:
        """Whether the credentials were accepted: no answer was AUTH, and one
        came from EngageLab's API (a success, or an error with its code that is
        not a busy server's or the rate limit's; else the not_the_api or
        api_unavailable finding)."""
    @property
    def address(self) -> str | None:
        """The address the requests went to (the proxy's through a proxy)."""
    @property
    def tls_version(self) -> str | None:
        """The TLS version negotiated ('TLS 1.3'), or None over plain HTTP."""
    @property
    def rtt(self) -> float:
        """The median round trip of 5, in seconds."""
    @property
    def server_date(self) -> str | None:
        """The first answer's Date header, or None."""
    @property
    def clock_skew_s(self) -> int | None:
        """The server's clock minus this machine's, in whole seconds."""
    @property
    def rate_limit_headers(self) -> dict[str, str]:
        """Every X-Rate-Limit-* header seen, name lower-cased: a new dict."""
    @property
    def probes(self) -> tuple[dict[str, Any], ...]:
        """Each answer as a dict (kind, path, http_status, api_code, message,
        classification, expected, as_expected, rtt), unknown id first."""
    @property
    def findings(self) -> tuple[tuple[str, str], ...]:
        """The differences from what the library assumes, as (code, message)."""
    def to_json(self) -> str:
        """Every fact as JSON text, the same as `engagelab-push check --json`."""
