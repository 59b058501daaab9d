"""Deletes one device: `python delete_device.py REGISTRATION_ID`.

Credentials come from the environment (see `Client.from_env`):
ENGAGELAB_APP_KEY, ENGAGELAB_MASTER_SECRET, and optionally ENGAGELAB_REGION
(a region's short name) or ENGAGELAB_BASE_URL.

Exit status: 0 deleted, 1 the call failed, 2 usage or configuration error.
"""

from __future__ import annotations

import sys

import engagelab_push


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(f"usage: {argv[0]} REGISTRATION_ID", file=sys.stderr)
        return 2
    try:
        client = engagelab_push.Client.from_env()
    except engagelab_push.EngageLabError as e:
        print(f"configuration: {e}", file=sys.stderr)
        return 2
    try:
        client.delete_device(argv[1])
    except engagelab_push.EngageLabError as e:
        print(f"python: {argv[1]} not deleted ({e.status}): {e}", file=sys.stderr)
        if e.maybe_deleted:
            print("check before retrying: an attempt may already have deleted it", file=sys.stderr)
        return 1
    print(f"python: deleted {argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
