"""A client for EngageLab's Push REST API, built to delete devices exactly and
safely: ``DELETE /v4/devices/{registration_id}``.

    >>> import engagelab_push
    >>> client = engagelab_push.Client("my-app-key", "my-master-secret", region="sgp")
    >>> client.delete_device("1a0018970a5c4e0b")  # doctest: +SKIP

Every failure raises a subclass of :class:`EngageLabError`. The behaviour
(validation, error categories, retries, timeouts) lives in the Rust core
shared with the C binding; this package only maps it to Python.
"""

from __future__ import annotations

# The exceptions must be importable before the native module raises them.
from engagelab_push.exceptions import (
    ApiError,
    AuthError,
    EngageLabError,
    InternalError,
    InvalidArgumentError,
    InvalidResponseError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TimeoutError,
)
from engagelab_push._engagelab_push import Client, __version__

__all__ = [
    "Client",
    "__version__",
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
