//! The `engagelab-push` binary, run as a child process against
//! engagelab-mock: exit codes, non-terminal output, SIGINT, and resume after
//! a real SIGKILL.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use engagelab_mock::{Answer, Device, MockConfig, MockServer};

mod common;
use common::{cli, run, text};

fn mock(n: usize, latency_ms: u64) -> MockServer {
    MockServer::start(MockConfig {
        devices: ids(n).into_iter().map(Device::new).collect(),
        latency_ms,
        ..MockConfig::default()
    })
    .expect("mock starts")
}

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("dev-{i:05}")).collect()
}

fn write_ids(dir: &Path, ids: &[String]) -> String {
    let path = dir.join("ids.txt");
    std::fs::write(&path, ids.join("\n")).unwrap();
    path.to_str().unwrap().to_owned()
}

fn deletes_per_id(mock: &MockServer) -> HashMap<String, usize> {
    let mut n = HashMap::new();
    for r in mock.log() {
        if r.method == "DELETE" {
            *n.entry(r.path.trim_start_matches("/v4/devices/").to_owned())
                .or_insert(0) += 1;
        }
    }
    n
}

/// Waits until `child` has its handler for signal number `number` (the
/// `SigCgt` mask of /proc/PID/status): a signal sent before would end it by
/// the default action instead.
fn wait_handled(child: &Child, number: u32) {
    let status = format!("/proc/{}/status", child.id());
    let start = Instant::now();
    loop {
        let caught = std::fs::read_to_string(&status)
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("SigCgt:"))
                    .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
            })
            .is_some_and(|mask| mask & (1 << (number - 1)) != 0);
        if caught {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no handler for signal {number} after 30 s"
        );
        sleep(Duration::from_millis(10));
    }
}

/// `command` run with SIGHUP, SIGINT and SIGTERM at their default actions
/// (GNU env's --default-signal): a test run under nohup, or in the
/// background of a shell, hands its children those signals ignored, and the
/// command rightly leaves an ignored hangup ignored.
fn with_default_signals(command: Command) -> Command {
    let mut wrapped = Command::new("env");
    wrapped
        .arg("--default-signal=HUP,INT,TERM")
        .arg(command.get_program())
        .args(command.get_args())
        .env_clear()
        .envs(command.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))));
    wrapped
}

fn signal(child: &Child, name: &str) {
    let ok = Command::new("kill")
        .args([format!("-{name}"), child.id().to_string()])
        .status()
        .expect("kill runs")
        .success();
    assert!(ok);
}

#[test]
fn exit_0_when_every_id_is_deleted_or_not_found_with_a_json_summary() {
    let mock = mock(3, 0);
    let out = run(
        &mock,
        &[
            "delete",
            "dev-00000",
            "dev-00001",
            "dev-00002",
            "gone",
            "--yes",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    assert_eq!(summary["deleted"], 3);
    assert_eq!(summary["not_found"], 1);
    assert!(mock.devices().is_empty());
    let err = text(&out.stderr);
    assert!(err.contains("deleted 3"), "{err}");
    assert!(
        !err.contains('\u{1b}'),
        "no terminal escapes off a terminal: {err:?}"
    );
}

#[test]
fn exit_1_when_some_fail() {
    let mock = mock(2, 0);
    mock.script(
        "dev-00001",
        vec![Answer::body(
            403,
            r#"{"error":{"code":21004,"message":"no"}}"#,
        )],
    );
    let out = run(&mock, &["delete", "dev-00000", "dev-00001", "--yes"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("failed 1"));
}

#[test]
fn exit_2_for_usage_and_configuration_errors_in_one_line() {
    let mock = mock(1, 0);
    for (args, says) in [
        (vec!["delete", "--bogus"], "--bogus"),
        (
            vec!["delete", "--yes", "--from", "/nonexistent/ids"],
            "/nonexistent/ids",
        ),
        (vec!["delete", "--yes", "--qps", "0", "x"], "--qps"),
        (vec!["delete", "--yes"], "--from"),
        (vec!["delete", "x", "--yes", "--region", "mars"], "mars"),
        // Standard input is `--from -`: a `-` among the arguments is not
        // sent as an id (or alias) of its own.
        (vec!["delete", "--yes", "x", "-"], "--from -"),
        (vec!["erase-user", "--yes", "-"], "--from -"),
    ] {
        let out = run(&mock, &args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with("engagelab-push: error: ") && err.contains(says),
            "{err}"
        );
    }
    // A missing secret is a configuration error (2), with or without --yes
    // (off a terminal, a missing --yes alone is a refusal, 3).
    for args in [
        &["delete", "x", "--yes"][..],
        &["delete", "x"],
        &["erase-user", "u"],
    ] {
        let out = cli(&mock, args)
            .env_remove("ENGAGELAB_MASTER_SECRET")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(text(&out.stderr).contains("ENGAGELAB_MASTER_SECRET"));
    }
    // Not UTF-8: refused by name, never taken as unset (the base URL would
    // fall back to the default region, the secret be "not set").
    use std::os::unix::ffi::OsStrExt;
    let bytes = std::ffi::OsStr::from_bytes(b"http://127.0.0.1:1/\xff");
    for name in ["ENGAGELAB_BASE_URL", "ENGAGELAB_MASTER_SECRET"] {
        let out = cli(&mock, &["get", "x"]).env(name, bytes).output().unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert_eq!(
            err,
            format!("engagelab-push: error: {name} is not valid UTF-8\n")
        );
    }
    assert!(mock.log().is_empty());
}

#[test]
fn the_master_secret_can_come_from_a_file_and_is_never_shown() {
    let mock = mock(1, 0);
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "demo-master-secret\n").unwrap();
    let out = cli(
        &mock,
        &[
            "delete",
            "dev-00000",
            "--yes",
            "--master-secret-file",
            secret.to_str().unwrap(),
        ],
    )
    .env_remove("ENGAGELAB_MASTER_SECRET")
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("demo-master-secret"));
    assert!(!text(&out.stdout).contains("demo-master-secret"));
}

#[test]
fn exit_3_when_the_guard_or_the_missing_confirmation_refuses() {
    let mock = mock(5, 0);
    let dir = tempfile::tempdir().unwrap();
    let file = write_ids(dir.path(), &ids(5));
    let out = run(
        &mock,
        &["delete", "--from", &file, "--yes", "--max-deletions", "4"],
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("more than max_deletions"));
    // Off a terminal, --yes is required.
    let out = run(&mock, &["delete", "--from", &file]);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("--yes"));
    assert!(mock.log().is_empty());
    assert_eq!(mock.devices().len(), 5);
}

#[test]
fn a_dry_run_needs_no_confirmation_and_sends_nothing() {
    let mock = mock(4, 0);
    let out = cli(&mock, &["delete", "--from", "-", "--dry-run", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin
                .take()
                .unwrap()
                .write_all(b"dev-00000\ndev-00001\ndev-00001\n# x\n")?;
            c.wait_with_output()
        })
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (s["would_delete"].as_u64(), s["duplicate"].as_u64()),
        (Some(2), Some(1))
    );
    assert!(mock.log().is_empty());
}

#[test]
fn sigint_stops_gracefully_with_exit_130_and_a_summary_and_plain_progress_lines() {
    let mock = mock(400, 0);
    let dir = tempfile::tempdir().unwrap();
    let file = write_ids(dir.path(), &ids(400));
    let report = dir.path().join("report.jsonl");
    let child = cli(
        &mock,
        &[
            "delete",
            "--from",
            &file,
            "--yes",
            "--qps",
            "10",
            "--report",
            report.to_str().unwrap(),
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    // A plain progress line comes every 5 s off a terminal.
    sleep(Duration::from_millis(5800));
    signal(&child, "INT");
    let out = child.wait_with_output().unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("progress: "), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    let report = std::fs::read_to_string(&report).unwrap();
    let last: serde_json::Value = serde_json::from_str(report.lines().last().unwrap()).unwrap();
    assert_eq!(last["summary"]["interrupted"], true);
    let deleted = 400 - mock.devices().len() as u64;
    assert_eq!(last["summary"]["deleted"], deleted);
    assert!(
        (40..=120).contains(&deleted),
        "about 10/s for 6 s: {deleted}"
    );
}

#[test]
fn a_rerun_after_sigkill_finishes_and_resends_at_most_the_ids_in_flight() {
    let n = 300;
    let mock = mock(n, 40);
    let dir = tempfile::tempdir().unwrap();
    let file = write_ids(dir.path(), &ids(n));
    let journal = dir.path().join("journal");
    let journal = journal.to_str().unwrap();
    let args = [
        "delete",
        "--from",
        &file,
        "--yes",
        "--qps",
        "100",
        "--concurrency",
        "8",
        "--journal",
        journal,
    ];
    let mut child = cli(&mock, &args).stderr(Stdio::null()).spawn().unwrap();
    let start = Instant::now();
    while mock.devices().len() > n - 60 && start.elapsed() < Duration::from_secs(20) {
        sleep(Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let left = mock.devices().len();
    assert!(left > 0 && left < n, "killed mid-run: {left} left");

    let out = run(
        &mock,
        &[
            "delete",
            "--from",
            &file,
            "--yes",
            "--qps",
            "500",
            "--journal",
            journal,
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(mock.devices().is_empty());
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let done_before = s["already_done"].as_u64().unwrap();
    assert!(done_before > 0);
    assert_eq!(
        done_before + s["deleted"].as_u64().unwrap() + s["not_found"].as_u64().unwrap(),
        n as u64
    );
    let sent = deletes_per_id(&mock);
    assert_eq!(sent.len(), n);
    let twice = sent.values().filter(|c| **c > 1).count();
    assert!(
        twice <= 8,
        "{twice} ids were sent twice; at most the 8 in flight may be"
    );
    assert!(sent.values().all(|c| *c <= 2));
}

#[test]
fn get_prints_one_json_line_per_device_and_delete_backs_up_first() {
    let mock = MockServer::start(MockConfig {
        devices: vec![
            Device::new("a").with_tags(["vip"]).with_alias("alice"),
            Device::new("b"),
        ],
        ..MockConfig::default()
    })
    .unwrap();
    let out = run(&mock, &["get", "a", "b", "zz"]);
    assert_eq!(out.status.code(), Some(1), "zz is unknown");
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["tags"], serde_json::json!(["vip"]));
    assert_eq!(lines[0]["alias"], "alice");
    assert_eq!(lines[1]["alias"], serde_json::Value::Null);
    assert_eq!(text(&out.stderr).lines().count(), 1);

    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("backup.jsonl");
    let out = run(
        &mock,
        &[
            "delete",
            "a",
            "b",
            "--yes",
            "--backup",
            backup.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let kept = std::fs::read_to_string(&backup).unwrap();
    assert_eq!(kept.lines().count(), 2);
    assert!(kept.contains(r#""tags":["vip"]"#), "{kept}");
    assert!(mock.devices().is_empty());
}

/// Standard output closed by its reader (`| head -1`, a consumer that died):
/// no command reports an "internal error" (a panic of `println!`), a run
/// still ends with the exit code of what it did and its summary on standard
/// error, and `erase-user` still erases (nothing is lost but the lines).
#[test]
fn a_closed_standard_output_is_no_internal_error_and_keeps_the_exit_code() {
    let mock = MockServer::start(MockConfig {
        devices: vec![
            Device::new("a"),
            Device::new("b"),
            Device::new("u1").with_alias("alice"),
        ],
        ..MockConfig::default()
    })
    .unwrap();
    let closed_stdout = || {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader); // every write gets EPIPE
        writer
    };
    for (args, code, deleted) in [
        (&["get", "a", "b"][..], 0, None),
        (&["check"], 0, None),
        (&["delete", "a", "--yes", "--json"], 0, Some("a")),
        (&["erase-user", "alice", "--yes"], 0, Some("u1")),
        (&["delete", "b", "--yes", "--dry-run"], 0, None),
    ] {
        let out = cli(&mock, args)
            .stdout(closed_stdout())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert!(!err.contains("internal error"), "{args:?}: {err}");
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        if let Some(id) = deleted {
            assert!(!mock.devices().contains(&id.to_owned()), "{args:?}: {err}");
            assert!(err.contains("done: deleted 1"), "{args:?}: {err}");
        }
    }
}

/// The Master Secret's file named again as the input, report, backup or
/// journal is refused, exit 2, nothing sent: as the input, its first line
/// (the secret) was sent as a registration id in a DELETE's URL and written
/// to the report in clear; as an output, the run appended to it.
#[test]
fn the_master_secret_file_given_for_another_role_is_refused() {
    let mock = mock(1, 0);
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "demo-master-secret\n").unwrap();
    let secret = secret.to_str().unwrap();
    let report = dir.path().join("report.jsonl");
    let report = report.to_str().unwrap();
    for (command, role) in [
        ("delete", "--from"),
        ("delete", "--report"),
        ("delete", "--backup"),
        ("delete", "--journal"),
        ("erase-user", "--from"),
        ("erase-user", "--report"),
    ] {
        let mut args = vec![
            command,
            "--yes",
            "--master-secret-file",
            secret,
            role,
            secret,
        ];
        if role != "--from" {
            args.push(if command == "delete" {
                "dev-00000"
            } else {
                "user"
            });
        }
        if role != "--report" {
            args.extend(["--report", report]);
        }
        let out = cli(&mock, &args)
            .env_remove("ENGAGELAB_MASTER_SECRET")
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("same file"), "{args:?}: {err}");
        assert!(!err.contains("demo-master-secret"), "{args:?}: {err}");
        assert!(mock.log().is_empty(), "{args:?}: nothing is sent");
        assert_eq!(
            std::fs::read_to_string(secret).unwrap(),
            "demo-master-secret\n"
        );
        assert!(!Path::new(report).exists(), "{args:?}");
    }
}

/// A missing required argument is named in the one error line: clap puts
/// it on the lines after "the following required arguments were not
/// provided:", which the one line left out.
#[test]
fn a_missing_required_argument_is_named_in_the_one_error_line() {
    let mock = mock(1, 0);
    let out = run(&mock, &["get"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("<ID>"), "{err}");
    // No command at all: the one line says so (not the help's first line).
    let out = run(&mock, &[]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("a command is required"), "{err}");
    assert!(mock.log().is_empty());
}

/// SIGTERM (a supervisor) and SIGHUP (a hangup, no nohup) stop a run as
/// Ctrl-C does: the summary says interrupted, exit 130, and how to go on:
/// with a journal, rerun with it; without, a rerun sends every id again.
#[test]
fn sigterm_and_sighup_interrupt_a_run_as_ctrl_c_does() {
    for (name, journaled) in [("TERM", false), ("HUP", true)] {
        let mock = mock(400, 0);
        let dir = tempfile::tempdir().unwrap();
        let file = write_ids(dir.path(), &ids(400));
        let journal = dir.path().join("journal");
        let mut args = vec!["delete", "--from", &file, "--yes", "--qps", "20"];
        if journaled {
            args.extend(["--journal", journal.to_str().unwrap()]);
        }
        let child = with_default_signals(cli(&mock, &args))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_handled(&child, if name == "TERM" { 15 } else { 1 });
        sleep(Duration::from_millis(300));
        signal(&child, name);
        let out = child.wait_with_output().unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(130), "SIG{name}: {err}");
        assert!(err.contains("interrupted"), "SIG{name}: {err}");
        let hint = if journaled {
            "rerun with the same --journal to resume"
        } else {
            "no --journal: a rerun sends every id again"
        };
        assert!(err.contains(hint), "SIG{name}: {err}");
        assert!(!mock.devices().is_empty(), "SIG{name}: the run went on");
    }
}

/// A run under `nohup` outlives a hangup (logging out sends SIGHUP to the
/// shell's jobs): the command handles SIGHUP only when it was not ignored
/// at start. The ctrlc handler once took SIGHUP along with SIGTERM,
/// overriding nohup's SIG_IGN: "interrupted", exit 130.
#[test]
fn a_run_under_nohup_outlives_a_hangup() {
    let mock = mock(400, 0);
    let dir = tempfile::tempdir().unwrap();
    let file = write_ids(dir.path(), &ids(400));
    let bin = env!("CARGO_BIN_EXE_engagelab-push");
    // The environment `cli` gives the binary, but run under nohup.
    let env = cli(&mock, &[]);
    let mut child = Command::new("nohup")
        .args([bin, "delete", "--from", &file, "--yes", "--qps", "20"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Once the command's own handlers are in place, nohup has run it.
    wait_handled(&child, 2);
    sleep(Duration::from_millis(300));
    signal(&child, "HUP");
    sleep(Duration::from_millis(1500));
    let still_running = child.try_wait().unwrap().is_none();
    if still_running {
        signal(&child, "INT");
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        still_running,
        "a hangup stopped the nohup'd run: {}",
        text(&out.stderr)
    );
}

/// SIGINT or SIGTERM while `--from -` waits for more of standard input (a
/// slow producer, `kafkacat | engagelab-push`) ends the command at once,
/// exit 130, nothing sent. The core looks for a cancel between lines, so
/// the command once waited for the producer's next line or its end, and a
/// supervisor's SIGKILL followed its SIGTERM.
#[test]
fn sigint_while_standard_input_waits_ends_the_command_promptly() {
    let mock = mock(3, 0);
    let mut child = cli(&mock, &["delete", "--from", "-", "--yes"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    use std::io::Write;
    stdin.write_all(b"dev-00000\ndev-00001\n").unwrap();
    wait_handled(&child, 2);
    sleep(Duration::from_millis(300));
    signal(&child, "INT");
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() && start.elapsed() < Duration::from_secs(10) {
        sleep(Duration::from_millis(20));
    }
    let ended = child.try_wait().unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(mock.log().is_empty(), "nothing is sent");
    assert_eq!(
        ended.and_then(|s| s.code()),
        Some(130),
        "still running 10 s after SIGINT: {}",
        text(&out.stderr)
    );
}

/// Standard error closed by its reader (`2>&1 | head -1`, a log shipper
/// that died) or gone (a terminal hung up): eprintln! panicked there. In
/// the progress callback that stopped the run mid-way (the library stops a
/// run whose callback panics), and the panic hook's own eprintln! then
/// panicked again: SIGABRT. Now lines that cannot be written are dropped
/// and the run ends as it would have.
#[test]
fn a_closed_standard_error_neither_stops_the_run_nor_aborts() {
    let mock = mock(60, 0);
    let dir = tempfile::tempdir().unwrap();
    let file = write_ids(dir.path(), &ids(60));
    let report = dir.path().join("report.jsonl");
    let closed = || {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader); // every write gets EPIPE
        writer
    };
    // 60 ids at 10/s: a plain progress line is due after 5 s.
    let status = cli(
        &mock,
        &[
            "delete",
            "--from",
            &file,
            "--yes",
            "--qps",
            "10",
            "--report",
            report.to_str().unwrap(),
        ],
    )
    .stdout(Stdio::null())
    .stderr(closed())
    .status()
    .unwrap();
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert!(mock.devices().is_empty(), "{} left", mock.devices().len());
    let report = std::fs::read_to_string(&report).unwrap();
    assert!(report.lines().last().unwrap().contains("summary"));
    // An error line to a closed standard error: its exit code, no abort.
    let status = cli(&mock, &["get", "zz"])
        .stderr(closed())
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1), "{status:?}");
}

/// A Master Secret file saved with a byte-order mark (Notepad) and CRLF is
/// read as its secret, as an ids file is: the mark was kept as part of the
/// secret, and EngageLab refused the credentials with no hint why.
#[test]
fn a_master_secret_file_with_a_byte_order_mark_is_read_as_its_secret() {
    let mock = mock(1, 0);
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "\u{feff}demo-master-secret\r\n").unwrap();
    let out = cli(
        &mock,
        &[
            "get",
            "dev-00000",
            "--master-secret-file",
            secret.to_str().unwrap(),
        ],
    )
    .env_remove("ENGAGELAB_MASTER_SECRET")
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

/// A negative number given to a numeric flag is named with its flag: clap
/// took `-1` for a flag of its own ("unexpected argument '-1' found"),
/// naming neither `--timeout` nor what is wrong with it.
#[test]
fn a_negative_number_for_a_numeric_flag_names_the_flag() {
    let mock = mock(1, 0);
    for flag in [
        "--timeout",
        "--qps",
        "--concurrency",
        "--max-deletions",
        "--stall-timeout",
    ] {
        let out = run(&mock, &["delete", "dev-00000", "--yes", flag, "-1"]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag}: {err}");
        assert_eq!(err.lines().count(), 1, "{flag}: {err}");
        assert!(err.contains(flag), "{flag}: {err}");
    }
    let out = run(&mock, &["get", "dev-00000", "--timeout", "-1"]);
    assert!(
        text(&out.stderr).contains("--timeout"),
        "{}",
        text(&out.stderr)
    );
    assert!(mock.log().is_empty());
}

/// One file named through two hard links is one file: the check that
/// --from, --journal, --backup and --report are distinct compared resolved
/// paths only, so `--report` a hard link of the input appended the report
/// to the ids (the next run read its JSON lines as entries).
#[test]
fn an_input_and_a_report_that_are_hard_links_of_one_file_are_refused() {
    let mock = mock(1, 0);
    let dir = tempfile::tempdir().unwrap();
    let from = dir.path().join("ids.txt");
    std::fs::write(&from, "dev-00000\n").unwrap();
    let link = dir.path().join("report.jsonl");
    std::fs::hard_link(&from, &link).unwrap();
    for command in ["delete", "erase-user"] {
        let out = run(
            &mock,
            &[
                command,
                "--from",
                from.to_str().unwrap(),
                "--report",
                link.to_str().unwrap(),
                "--yes",
            ],
        );
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{command}: {err}");
        assert!(err.contains("same file"), "{command}: {err}");
        assert_eq!(std::fs::read_to_string(&from).unwrap(), "dev-00000\n");
    }
    assert!(mock.log().is_empty());
}
