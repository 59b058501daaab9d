"""The exceptions ``engagelab_push`` raises: one class per category of the
error model, all deriving from :class:`EngageLabError`.

The native module raises these classes; the category is decided by the Rust
core, never here. Every exception carries the error model's fields as
attributes and survives ``pickle`` with them.
"""

from __future__ import annotations

import builtins
from typing import Any, ClassVar, Optional

__all__ = [
    "EngageLabError",
    "InvalidArgumentError",
    "AuthError",
    "NotFoundError",
    "RateLimitedError",
    "ServerError",
    "ApiError",
    "TimeoutError",
    "NetworkError",
    "InvalidResponseError",
    "InternalError",
]


class EngageLabError(Exception):
    """A failed call. ``str(exc)`` is a sentence a person can act on.

    Attributes:
        status: the category's name, e.g. ``"API"`` or ``"NOT_FOUND"``.
        http_status: the HTTP status of the last response, or ``None`` when no
            response arrived.
        api_code: EngageLab's ``code`` from the error body, or ``None``.
        message: EngageLab's ``message``, else a short excerpt of the body,
            else a description of the local failure. Never contains the
            Master Secret.
        attempts: how many requests were sent (1 + retries); 0 when the call
            was rejected before sending.
        retry_after: the server's rate-limit hint in seconds, or ``None``.
        maybe_deleted: whether an attempt may already have deleted the device
            although the call failed (check before acting on the failure).
    """

    #: The category every instance of this class reports.
    STATUS: ClassVar[str] = ""

    status: str
    http_status: Optional[int]
    api_code: Optional[int]
    message: str
    attempts: int
    retry_after: Optional[float]
    maybe_deleted: bool

    def __init__(
        self,
        text: str = "",
        *,
        status: Optional[str] = None,
        message: Optional[str] = None,
        http_status: Optional[int] = None,
        api_code: Optional[int] = None,
        attempts: int = 0,
        retry_after: Optional[float] = None,
        maybe_deleted: bool = False,
    ) -> None:
        super().__init__(text)
        self.status = status if status is not None else type(self).STATUS
        self.message = message if message is not None else text
        self.http_status = http_status
        self.api_code = api_code
        self.attempts = attempts
        self.retry_after = retry_after
        self.maybe_deleted = maybe_deleted

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{name}={getattr(self, name)!r}"
            for name in (
                "status",
                "http_status",
                "api_code",
                "attempts",
                "retry_after",
                "maybe_deleted",
                "message",
            )
        )
        return f"{type(self).__name__}({fields})"

    def __reduce__(self) -> tuple[Any, ...]:
        # (class, positional args, state): unpickling calls cls(text), then
        # BaseException.__setstate__ restores every attribute from the state.
        return (type(self), self.args[:1], dict(self.__dict__))

class InvalidArgumentError(EngageLabError, ValueError):
    """Rejected before any request was sent: a bad registration id,
    credential, base URL or setting (``INVALID_ARGUMENT``)."""

    STATUS = "INVALID_ARGUMENT"


class AuthError(EngageLabError):
    """EngageLab refused the credentials (``AUTH``)."""

    STATUS = "AUTH"


class NotFoundError(EngageLabError):
    """EngageLab does not know the registration id for this AppKey
    (``NOT_FOUND``)."""

    STATUS = "NOT_FOUND"


class RateLimitedError(EngageLabError):
    """Throttled and retries are spent (``RATE_LIMITED``); see
    ``retry_after``."""

    STATUS = "RATE_LIMITED"


class ServerError(EngageLabError):
    """EngageLab failed and retries are spent (``SERVER``)."""

    STATUS = "SERVER"


class ApiError(EngageLabError):
    """Any other non-2xx answer, e.g. HTTP 400 with code 27002 (``API``)."""

    STATUS = "API"


class TimeoutError(EngageLabError, builtins.TimeoutError):
    """The overall deadline, or a connect or read timeout, passed
    (``TIMEOUT``)."""

    STATUS = "TIMEOUT"


class NetworkError(EngageLabError, ConnectionError):
    """The connection could not be made or was lost (``NETWORK``)."""

    STATUS = "NETWORK"


class InvalidResponseError(EngageLabError):
    """An unusable answer: not HTTP, a redirect (never followed), or an error
    body over the size cap (``INVALID_RESPONSE``)."""

    STATUS = "INVALID_RESPONSE"


class InternalError(EngageLabError):
    """A bug caught at the boundary, e.g. a Rust panic (``INTERNAL``)."""

    STATUS = "INTERNAL"
