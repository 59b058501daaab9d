"""The ``engagelab-push`` console script: runs the Rust CLI compiled into the
extension module (crates/engagelab-push-cli), so Python installs the same
command as ``cargo install``, with no second implementation."""

from __future__ import annotations

import sys

from engagelab_push._engagelab_push import _cli_main


def main() -> None:
    """Runs ``engagelab-push`` with this process's arguments and exits with
    its exit code."""
    sys.exit(_cli_main(["engagelab-push", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
