"""The ``engagelab-push`` console script: runs the Rust CLI compiled into the
extension module (crates/engagelab-push-cli), so Python installs the same
command as ``cargo install``, with no second implementation."""

from __future__ import annotations

import signal
import sys

from engagelab_push._engagelab_push import _cli_main


def main() -> None:
    """Runs ``engagelab-push`` with this process's arguments and exits with
    its exit code."""
    # The command handles Ctrl-C itself (a run stops gracefully) and calls
    # the handler installed before its own: Python's would then raise
    # KeyboardInterrupt once the command has returned its exit code.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.exit(_cli_main(["engagelab-push", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
