"""A typed use of the package: `mypy --strict` must accept it as it is."""

from __future__ import annotations

import os
import pickle
import threading
from pathlib import Path

import engagelab_push
from engagelab_push import (
    Client,
    EngageLabError,
    InvalidArgumentError,
    NotFoundError,
    RateLimitedError,
    TimeoutError,
)


def make_client(base_url: str | None = None, ca_file: Path | None = None) -> Client:
    return Client(
        "my-app-key",
        "my-master-secret",
        region="sgp",
        base_url=base_url,
        timeout=10.0,
        connect_timeout=3,
        max_retries=2,
        backoff_base=0.2,
        backoff_max=5.0,
        max_retry_after=10.0,
        user_agent="my-app/1.0",
        proxy=None,
        ca_file=ca_file,
        allow_insecure_http=False,
    )


def delete(client: Client, registration_id: str) -> bool:
    """True when deleted, False when EngageLab does not know the id."""
    try:
        client.delete_device(registration_id)
        return True
    except NotFoundError:
        return False
    except RateLimitedError as e:
        wait: float | None = e.retry_after
        raise RuntimeError(f"rate limited, retry after {wait}s") from e
    except TimeoutError as e:
        maybe: bool = e.maybe_deleted
        raise RuntimeError(f"timed out (maybe deleted: {maybe})") from e
    except EngageLabError as e:
        status: str = e.status
        http_status: int | None = e.http_status
        api_code: int | None = e.api_code
        attempts: int = e.attempts
        message: str = e.message
        raise RuntimeError(f"{status} {http_status} {api_code} {attempts}: {message}") from e


def describe(client: Client) -> str:
    region: str | None = client.region
    base_url: str = client.base_url
    return f"{region or 'custom'} {base_url} {client!r}"


def delete_in_threads(client: Client, ids: list[str]) -> None:
    threads = [threading.Thread(target=delete, args=(client, i)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def round_trip(e: InvalidArgumentError) -> InvalidArgumentError:
    back = pickle.loads(pickle.dumps(e))
    assert isinstance(back, InvalidArgumentError)
    return back


def main() -> None:
    version: str = engagelab_push.__version__
    print(version)
    client = Client.from_env() if "ENGAGELAB_APP_KEY" in os.environ else make_client()
    print(describe(client))
    try:
        Client("k", "s", timeout=-1.0)
    except InvalidArgumentError as e:
        print(round_trip(e).message)


if __name__ == "__main__":
    main()
