"""Name resolution inside the call's deadline, and Ctrl-C during it, against
a DNS server that never answers.

Each case runs a child Python inside a private mount namespace (`unshare -m`)
whose /etc/resolv.conf names a black-hole DNS server this test binds on a
loopback address (and whose /etc/nsswitch.conf says `hosts: files dns`).
The test checks the child's result and that the query reached the server.
Needs root and `unshare`; skipped with the reason otherwise."""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

HANG = "dns-hang.engagelab.test"

CHILD = r"""
import os, signal, sys, threading, time
from engagelab_push import Client, EngageLabError

case, host = sys.argv[1], sys.argv[2]
timeout = 30.0 if case == "interrupt" else 1.0
client = Client("demo-app-key", "demo-master-secret", base_url=f"http://{host}:8080",
                allow_insecure_http=True, timeout=timeout, max_retries=2)
sent = []

def interrupt():
    time.sleep(0.5)
    sent.append(time.monotonic())
    os.kill(os.getpid(), signal.SIGINT)

if case == "interrupt":
    threading.Thread(target=interrupt, daemon=True).start()
started = time.monotonic()
try:
    client.delete_device("dns-device")
    print("the call succeeded")
except KeyboardInterrupt:
    print(f"interrupted {time.monotonic() - sent[0]:.3f} s after SIGINT")
except EngageLabError as e:
    took = time.monotonic() - started
    print(f"{e.status} maybe_deleted={e.maybe_deleted} after {took:.3f} s")
"""


class BlackHole:
    """A DNS server on port 53 of a loopback address of its own that reads
    queries and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for _ in range(20):
            self.ip = f"127.53.{random.randrange(256)}.{random.randrange(2, 255)}"
            try:
                self.sock.bind((self.ip, 53))
                break
            except OSError:
                continue
        else:
            raise OSError("no loopback address with a free port 53")
        self.sock.settimeout(0.1)
        self.queries: list[bytes] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._listen, daemon=True)
        self.thread.start()

    def _listen(self) -> None:
        while not self.stopped.is_set():
            try:
                self.queries.append(self.sock.recv(1500))
            except socket.timeout:
                continue
            except OSError:
                return

    def asked_for(self, name: str) -> bool:
        label = name.split(".")[0].encode()
        return any(label in q for q in self.queries)

    def close(self) -> None:
        self.stopped.set()
        self.thread.join()
        self.sock.close()


@pytest.fixture
def black_hole() -> Iterator[BlackHole]:
    if os.geteuid() != 0:
        pytest.skip("not root: a private mount namespace needs root")
    if shutil.which("unshare") is None:
        pytest.skip("`unshare` (util-linux) is not installed")
    hole = BlackHole()
    try:
        yield hole
    finally:
        hole.close()


def run_child(hole: BlackHole, tmp_path: Path, case: str) -> str:
    resolv = tmp_path / "resolv.conf"
    resolv.write_text(f"nameserver {hole.ip}\noptions timeout:5 attempts:1\n")
    nsswitch = tmp_path / "nsswitch.conf"
    nsswitch.write_text("hosts: files dns\n")
    script = (
        'mount --bind "$1" /etc/resolv.conf && mount --bind "$2" /etc/nsswitch.conf '
        '&& shift 2 && exec "$@"'
    )
    out = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh"]
        + [str(resolv), str(nsswitch), sys.executable, "-c", CHILD, case, HANG],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert hole.asked_for(HANG), f"no query for {HANG} reached the DNS server: {out.stdout}"
    print(out.stdout)
    return out.stdout.strip()


def test_a_hung_lookup_ends_at_the_deadline(black_hole: BlackHole, tmp_path: Path) -> None:
    # Deadline 1 s, retries on; the resolver's own timeout is 5 s.
    result = run_child(black_hole, tmp_path, "deadline")
    words = result.split()
    assert words[:2] == ["TIMEOUT", "maybe_deleted=False"], result
    assert 0.95 <= float(words[3]) < 2.0, result


def test_ctrl_c_interrupts_a_hung_lookup(black_hole: BlackHole, tmp_path: Path) -> None:
    # SIGINT 0.5 s into a lookup that would last 5 s, deadline 30 s.
    result = run_child(black_hole, tmp_path, "interrupt")
    assert result.startswith("interrupted "), result
    assert float(result.split()[1]) < 1.0, result
