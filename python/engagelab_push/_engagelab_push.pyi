# Stubs of the native module (crates/engagelab-push-py), checked by
# `python -m mypy.stubtest engagelab_push`.
import os
from typing import final

__all__ = ["Client", "__version__", "_panic_for_tests"]

__version__: str

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
    ) -> Client: ...
    @staticmethod
    def from_env() -> Client:
        """A client configured from ENGAGELAB_APP_KEY, ENGAGELAB_MASTER_SECRET,
        and optionally ENGAGELAB_REGION or ENGAGELAB_BASE_URL (not both)."""
    def delete_device(self, registration_id: str) -> None:
        """Deletes one device: its tags, alias, device information and
        timezone. Irreversible. Raises an EngageLabError subclass on failure."""
    @property
    def region(self) -> str | None:
        """The region's short name (e.g. 'sgp'), or None when a base_url was given."""
    @property
    def base_url(self) -> str:
        """The base URL calls go to, without a trailing slash."""
