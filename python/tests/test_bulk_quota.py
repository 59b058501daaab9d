"""Client.delete_devices at an exhausted quota, against engagelab-mock: a run
rate-limited with no deletion for stall_timeout stops, saying why, and
progress shows the rate-limited count and the pause in force."""

from __future__ import annotations

import pytest
from conftest import APP_KEY, SECRET, Mock
from engagelab_push import Client, InvalidArgumentError


def test_a_stalled_run_stops_and_progress_shows_the_pause(mock: Mock) -> None:
    ids = [f"dev-{i:04}" for i in range(3)]
    for i in ids:
        mock.add_device(i)
    mock.config(rate_limit_qps=0)
    seen: list[dict[str, object]] = []
    summary = Client(APP_KEY, SECRET, base_url=mock.url).delete_devices(
        ids, qps=50, stall_timeout=1, on_progress=seen.append
    )
    assert summary.deleted == 0
    assert summary.rate_limited > 0
    assert summary.stopped is not None and "rate-limited with no device deleted" in summary.stopped
    assert all("pause" in p and "pause_reason" in p for p in seen)
    assert seen[-1]["rate_limited"] == summary.rate_limited
    assert len(mock.devices()) == 3


@pytest.mark.parametrize("value", [-1, 0, float("nan"), float("inf"), 1e300, "5"])
def test_a_bad_stall_timeout_is_refused(mock: Mock, value: object) -> None:
    client = Client(APP_KEY, SECRET, base_url=mock.url)
    with pytest.raises((InvalidArgumentError, TypeError)):
        client.delete_devices(["dev-0000"], stall_timeout=value)  # type: ignore[arg-type]
    assert mock.log() == []


def test_a_stall_timeout_over_a_day_is_taken_as_in_every_binding(mock: Mock) -> None:
    mock.add_device("dev-long")
    client = Client(APP_KEY, SECRET, base_url=mock.url)
    summary = client.delete_devices(["dev-long"], stall_timeout=3 * 86400)
    assert summary.deleted == 1
