"""The examples run as a user would run them."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import REPO, Mock

EXAMPLES = REPO / "python" / "examples"


def env_for(mock: Mock) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENGAGELAB_")}
    env.update(
        ENGAGELAB_APP_KEY="demo-app-key",
        ENGAGELAB_MASTER_SECRET="demo-master-secret",
        ENGAGELAB_BASE_URL=mock.url,
    )
    return env


def run(script: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        env=env,
        cwd=str(REPO),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,  # the tests check the exit status themselves
    )


def test_delete_device_example_deletes(mock: Mock) -> None:
    mock.add_device("dev-demo")
    done = run("delete_device.py", "dev-demo", env=env_for(mock))
    assert done.returncode == 0, done.stderr
    assert "deleted dev-demo" in done.stdout
    assert "dev-demo" not in mock.devices()


def test_delete_device_example_reports_failure(mock: Mock) -> None:
    done = run("delete_device.py", "dev-unknown", env=env_for(mock))
    assert done.returncode == 1
    assert "(NOT_FOUND)" in done.stderr and "27002" in done.stderr
    assert "demo-master-secret" not in done.stderr + done.stdout


def test_delete_device_example_usage_and_config(mock: Mock) -> None:
    assert run("delete_device.py", env=env_for(mock)).returncode == 2
    env = env_for(mock)
    del env["ENGAGELAB_APP_KEY"]
    done = run("delete_device.py", "dev-1", env=env)
    assert done.returncode == 2 and "ENGAGELAB_APP_KEY" in done.stderr


def test_typed_usage_example_runs(mock: Mock) -> None:
    done = run("typed_usage.py", env=env_for(mock))
    assert done.returncode == 0, done.stderr
    assert "timeout" in done.stdout
