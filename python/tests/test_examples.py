"""The examples run as a user would run them."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from conftest import APP_KEY, REPO, SECRET, Mock

EXAMPLES = REPO / "python" / "examples"


def env_for(mock: Mock) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENGAGELAB_")}
    env.update(
        ENGAGELAB_APP_KEY=APP_KEY,
        ENGAGELAB_MASTER_SECRET=SECRET,
        ENGAGELAB_BASE_URL=mock.url,
    )
    return env


def run(
    script: str, *args: str, env: dict[str, str], cwd: Path = REPO
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        env=env,
        cwd=str(cwd),
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
    assert SECRET not in done.stderr + done.stdout


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


def test_erase_users_example_erases_with_backup_report_and_journal(
    mock: Mock, tmp_path: Path
) -> None:
    mock.add_device({"registration_id": "dev-erase-1", "alias": "user-ex"})
    mock.add_device({"registration_id": "dev-erase-2", "alias": "user-ex"})
    done = run("erase_users.py", "user-ex", "nobody", env=env_for(mock), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "user-ex: no device bound" in done.stdout
    assert "nobody: no device bound" in done.stdout
    assert "deleted 2, failed 0" in done.stdout
    assert not {"dev-erase-1", "dev-erase-2"} & set(mock.devices())
    for name in ("erased.backup.jsonl", "erasure.report.jsonl", "erasure.journal"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name
    assert run("erase_users.py", env=env_for(mock)).returncode == 2


def test_erase_users_example_exits_130_on_ctrl_c(mock: Mock, tmp_path: Path) -> None:
    # Ctrl-C while an alias is being resolved: the example says so and exits
    # 130, as its docstring lists, rather than dying with a traceback.
    import signal
    import time

    mock.script_alias("user-slow", [{"status": 200, "body": "[]", "delay_ms": 30_000}])
    child = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "erase_users.py"), "user-slow"],
        env=env_for(mock),
        cwd=str(tmp_path),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not any(r["path"] == "/v4/aliases/user-slow" for r in mock.log()):
        assert time.monotonic() < deadline and child.poll() is None, "no alias lookup"
        time.sleep(0.02)
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=30)
    assert child.returncode == 130, err
    assert "interrupted: nothing more was sent (deleted 0)" in err, err
    assert "Traceback" not in err, err
