"""Leak check: 40,000 calls on one client stay flat in native memory, Python
objects and the resident set.

The calls cycle through every path that allocates in the extension: a Device
and its fresh `.raw` dict, an alias's id list, a NotFoundError from the
server, an InvalidArgumentError raised before sending, and a Client built and
dropped. After a warm-up, three measures are sampled after each of 8
segments:
- the bytes glibc's malloc has in use (mallinfo2: uordblks + hblkhd), which
  the Rust side's objects are made of, so a value the extension forgets to
  drop adds its bytes on every call;
- the blocks Python's own allocator has handed out (sys.getallocatedblocks),
  so an object whose reference the extension never releases adds at least
  one block per call;
- the resident set, with a looser limit, for anything kept elsewhere.

Each measure's growth per call is the Theil-Sen slope over the samples (the
median of the slopes between every pair), so warm-up and a one-off jump (an
arena or a dict growing once) are never taken for a leak.
"""

from __future__ import annotations

import ctypes
import gc
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import APP_KEY, SECRET, Mock, client_for
from engagelab_push import Client, InvalidArgumentError, NotFoundError

WARM_UP = 5_000
SEGMENTS = 8
PER_SEGMENT = 5_000
# Flat runs measure 0-2 B/call; forgetting one device (about 100 B) or one
# Python object per call is well above.
MALLOC_LIMIT = 16.0
# Python's blocks: a flat run measures 0; one leaked object per 5 calls is 0.2.
BLOCKS_LIMIT = 0.05
# The resident set also moves with pymalloc's arenas and the allocator's
# trimming, so its limit is looser.
RSS_LIMIT = 150.0


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def _mallinfo2() -> Callable[[], _MallInfo2] | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
        func = libc.mallinfo2
    except (OSError, AttributeError):
        return None
    func.restype = _MallInfo2
    func.argtypes = []
    return func


MALLINFO2 = _mallinfo2()


def malloc_in_use() -> int:
    """Bytes in use from glibc's malloc: small blocks and mmap'd ones."""
    assert MALLINFO2 is not None
    m = MALLINFO2()
    return int(m.uordblks) + int(m.hblkhd)


def rss() -> int:
    """This process's resident set, in bytes."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096


def theil_sen(ys: list[int]) -> float:
    """The Theil-Sen slope of `ys` over 0, 1, 2, ...: per step."""
    slopes = sorted(
        (ys[j] - ys[i]) / (j - i) for i in range(len(ys)) for j in range(i + 1, len(ys))
    )
    mid = len(slopes) // 2
    return slopes[mid] if len(slopes) % 2 else (slopes[mid - 1] + slopes[mid]) / 2


def one_call(client: Client, n: int) -> None:
    """Call `n` of the cycle; every path frees what it allocated."""
    kind = n % 5
    if kind == 0:
        device = client.get_device("leak-device")
        assert device.raw["alias"] == "leaker"
    elif kind == 1:
        assert client.get_alias("leaker") == ["leak-device"]
    elif kind == 2:
        with pytest.raises(NotFoundError):
            client.delete_device(f"no-such-{n % 64}")
    elif kind == 3:
        with pytest.raises(InvalidArgumentError):
            client.delete_device("bad id")
    else:
        Client(APP_KEY, SECRET, base_url="http://127.0.0.1:9", max_retries=0)


@pytest.mark.skipif(MALLINFO2 is None, reason="needs glibc's mallinfo2 (glibc >= 2.33)")
def test_40k_calls_stay_flat(mock: Mock) -> None:
    mock.add_device({"registration_id": "leak-device", "tags": ["a", "b"], "alias": "leaker"})
    client = client_for(mock, max_retries=0)
    done = 0

    def segment(count: int) -> None:
        nonlocal done
        for _ in range(count):
            one_call(client, done)
            done += 1

    heap: list[int] = []
    blocks: list[int] = []
    resident: list[int] = []

    def sample() -> None:
        gc.collect()
        heap.append(malloc_in_use())
        blocks.append(sys.getallocatedblocks())
        resident.append(rss())

    segment(WARM_UP)
    sample()
    for _ in range(SEGMENTS):
        segment(PER_SEGMENT)
        sample()

    per_call = {
        "malloc's bytes in use": (theil_sen(heap) / PER_SEGMENT, MALLOC_LIMIT, heap),
        "Python's allocated blocks": (theil_sen(blocks) / PER_SEGMENT, BLOCKS_LIMIT, blocks),
        "RSS bytes": (theil_sen(resident) / PER_SEGMENT, RSS_LIMIT, resident),
    }
    for label, (slope, _, samples) in per_call.items():
        print(f"{label}: {samples}: {slope:.3f} per call")
    grew = {
        label: f"{slope:.3f} per call (limit {limit}), samples {samples}"
        for label, (slope, limit, samples) in per_call.items()
        if slope >= limit
    }
    assert not grew, f"grew steadily over {SEGMENTS * PER_SEGMENT} calls: {grew}"
