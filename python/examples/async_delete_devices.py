"""Deletes devices concurrently with AsyncClient:
`python async_delete_devices.py REGISTRATION_ID...`.

Credentials come from the environment (see `AsyncClient.from_env`), as for
delete_device.py. Exit status: 0 all deleted, 1 a call failed, 2 usage or
configuration error.
"""

from __future__ import annotations

import asyncio
import sys

import engagelab_push


async def delete_one(client: engagelab_push.AsyncClient, registration_id: str) -> bool:
    try:
        await client.delete_device(registration_id, timeout=30)
    except engagelab_push.EngageLabError as e:
        print(f"{registration_id} not deleted ({e.status}): {e}", file=sys.stderr)
        if e.maybe_deleted:
            print("check before retrying: an attempt may already have deleted it", file=sys.stderr)
        return False
    print(f"deleted {registration_id}")
    return True


async def main(ids: list[str]) -> int:
    try:
        client = engagelab_push.AsyncClient.from_env()
    except engagelab_push.EngageLabError as e:
        print(f"configuration: {e}", file=sys.stderr)
        return 2
    async with client:
        done = await asyncio.gather(*(delete_one(client, i) for i in ids))
    return 0 if all(done) else 1


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(f"usage: {sys.argv[0]} REGISTRATION_ID...", file=sys.stderr)
        sys.exit(2)
    sys.exit(asyncio.run(main(sys.argv[1:])))
