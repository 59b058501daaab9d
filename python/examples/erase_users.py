"""Erases users by alias: `python erase_users.py ALIAS...`.

Every device bound to them is backed up, deleted through the bulk engine and
checked again, with a report and a journal in the current directory.
Credentials come from the environment (see `Client.from_env`). Ctrl-C stops
the run: nothing more is sent.

Exit status: 0 every device deleted and no alias bound any more, 1 otherwise,
2 usage or configuration error, 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import sys

import engagelab_push


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(f"usage: {argv[0]} ALIAS...", file=sys.stderr)
        return 2
    try:
        client = engagelab_push.Client.from_env()
    except engagelab_push.EngageLabError as e:
        print(f"configuration: {e}", file=sys.stderr)
        return 2
    try:
        erasure = client.erase_users(
            argv[1:],
            backup="erased.backup.jsonl",
            report="erasure.report.jsonl",
            journal="erasure.journal",
        )
    except OSError as e:
        # A file that could not be opened (nothing sent), or written mid-run:
        # then `summary` says what was deleted.
        done = getattr(e, "summary", None)
        if getattr(e, "bulk_error", None) == "WRITE_FAILED" and done is not None:
            print(f"stopped after deleting {done.deleted}: {e}", file=sys.stderr)
        else:
            print(f"nothing erased: {e}", file=sys.stderr)
        return 1
    except engagelab_push.EngageLabError as e:
        print(f"nothing erased ({e.status}): {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as e:
        # The run stopped gracefully: `summary` says what it deleted first.
        done = getattr(e, "summary", None)
        deleted = done.deleted if done is not None else 0
        print(f"interrupted: nothing more was sent (deleted {deleted})", file=sys.stderr)
        return 130
    for user in erasure.users:
        if user.still_bound is None:
            print(f"{user.alias}: not checked")
        elif not user.still_bound:
            print(f"{user.alias}: no device bound")
        else:
            print(f"{user.alias}: still bound: {' '.join(user.still_bound)}")
    print(f"deleted {erasure.deleted}, failed {erasure.failed}")
    return 0 if erasure.is_success else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
