//! The `engagelab-push` binary under the trials of issue 21, against
//! engagelab-mock: SIGKILL then rerun, a journal in use, a disk that is
//! full, a refused secret and inputs with no valid id.

use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::thread::sleep;
use std::time::{Duration, Instant};

use engagelab_mock::{Device, MockConfig, MockServer};

mod common;
use common::{cli, run, text};

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("dev-{i:05}")).collect()
}

fn mock(n: usize, latency_ms: u64) -> MockServer {
    MockServer::start(MockConfig {
        devices: ids(n).into_iter().map(Device::new).collect(),
        latency_ms,
        ..MockConfig::default()
    })
    .expect("mock starts")
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

/// Polls `done` (state, not time) until it holds, for at most a minute.
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "waited for {what}"
        );
        sleep(Duration::from_millis(5));
    }
}

#[test]
fn sigkill_trials_skip_no_id_and_report_every_deleted_one_in_json_lines() {
    for trial in 0..3 {
        let n = 300;
        let mock = mock(n, 20);
        let dir = tempfile::tempdir().unwrap();
        let file = write_ids(dir.path(), &ids(n));
        let journal = dir.path().join("journal");
        let report = dir.path().join("report.jsonl");
        let args = [
            "delete",
            "--from",
            &file,
            "--yes",
            "--qps",
            "300",
            "--concurrency",
            "8",
            "--journal",
            journal.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ];
        let mut child = cli(&mock, &args).stderr(Stdio::null()).spawn().unwrap();
        let target = n - 30 - 40 * trial;
        wait_for("deletions", || mock.devices().len() <= target);
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        assert!(!mock.devices().is_empty(), "trial {trial}: killed mid-run");

        let out = run(&mock, &args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert!(mock.devices().is_empty());
        // No id skipped: every id got a DELETE.
        assert_eq!(deletes_per_id(&mock).len(), n, "trial {trial}");
        // The report parses as JSON Lines, and every id (all were deleted)
        // has a line saying so: deleted, or not_found when the rerun sent
        // again an id whose answer the kill lost.
        let body = std::fs::read_to_string(&report).unwrap();
        let mut reported: HashMap<String, Vec<String>> = HashMap::new();
        for line in body.lines() {
            let v: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("trial {trial}: {e}: {line:?}"));
            if let Some(id) = v["registration_id"].as_str() {
                reported
                    .entry(id.to_owned())
                    .or_default()
                    .push(v["outcome"].as_str().unwrap().to_owned());
            }
        }
        for id in ids(n) {
            let outcomes = reported.get(&id).cloned().unwrap_or_default();
            assert!(
                outcomes.iter().any(|o| o == "deleted" || o == "not_found"),
                "trial {trial}: {id} was deleted but reported {outcomes:?}"
            );
        }
    }
}

#[test]
fn a_second_run_on_a_journal_in_use_exits_2_naming_the_other_process() {
    let mock = mock(300, 0);
    let dir = tempfile::tempdir().unwrap();
    let file = write_ids(dir.path(), &ids(300));
    let journal = dir.path().join("journal");
    let args = [
        "delete",
        "--from",
        &file,
        "--yes",
        "--qps",
        "5",
        "--journal",
        journal.to_str().unwrap(),
    ];
    let mut first = cli(&mock, &args).stderr(Stdio::null()).spawn().unwrap();
    // The header is written once the lock is held.
    wait_for("the journal", || {
        std::fs::read_to_string(&journal).is_ok_and(|t| t.contains('\n'))
    });
    // The second run has an AppKey of its own, so that its requests, had it
    // sent any, would stand apart from the first run's in the mock's log
    // (the first run goes on sending meanwhile, however long this takes).
    let out = cli(&mock, &args)
        .env("ENGAGELAB_APP_KEY", "second-run")
        .output()
        .expect("binary runs");
    let err = text(&out.stderr);
    first.kill().unwrap();
    first.wait().unwrap();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("in use by another run"), "{err}");
    assert!(err.contains(&format!("process {}", first.id())), "{err}");
    let log = mock.log();
    let firsts = log.first().and_then(|r| r.header("authorization"));
    let others = log
        .iter()
        .filter(|r| r.header("authorization") != firsts)
        .count();
    assert_eq!(others, 0, "the second run sent {others} requests");
}

#[test]
fn a_full_disk_mid_run_exits_4_with_the_summary_of_what_was_sent() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let n = 200;
    let mock = mock(n, 0);
    let dir = tempfile::tempdir().unwrap();
    let file = write_ids(dir.path(), &ids(n));
    let out = run(
        &mock,
        &[
            "delete",
            "--from",
            &file,
            "--yes",
            "--qps",
            "200",
            "--report",
            "/dev/full",
            "--json",
        ],
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(
        err.contains("error: stopped: cannot write the report"),
        "{err}"
    );
    let deleted = (n - mock.devices().len()) as u64;
    assert!((1..n as u64).contains(&deleted), "{deleted}");
    assert!(err.contains(&format!("deleted {deleted}")), "{err}");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("--json summary");
    assert_eq!(summary["deleted"], deleted);
}

#[test]
fn a_refused_secret_stops_the_run_at_once_with_exit_1() {
    let n = 200;
    let mock = mock(n, 0);
    let dir = tempfile::tempdir().unwrap();
    let file = write_ids(dir.path(), &ids(n));
    let out = cli(&mock, &["delete", "--from", &file, "--yes"])
        .env("ENGAGELAB_MASTER_SECRET", "wrong-secret")
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("stopped"), "{err}");
    assert!(err.contains("refused the credentials"), "{err}");
    assert!(!err.contains("wrong-secret"), "{err}");
    let sent: usize = deletes_per_id(&mock).values().sum();
    assert!(sent < 10, "{sent} DELETEs with a refused secret");
    // --quiet hides the counts, not why the run stopped.
    let out = cli(&mock, &["delete", "--from", &file, "--yes", "--quiet"])
        .env("ENGAGELAB_MASTER_SECRET", "wrong-secret")
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with("engagelab-push: stopped: EngageLab refused the credentials"),
        "{err}"
    );
    assert!(!err.contains("deleted"), "{err}");
}

#[test]
fn an_input_with_no_valid_id_exits_2_and_comments_after_ids_are_read() {
    let mock = mock(2, 0);
    let dir = tempfile::tempdir().unwrap();
    let utf16: Vec<u8> = "dev-00000\r\ndev-00001\r\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    for (name, bytes) in [
        ("utf16.txt", [&[0xff, 0xfe][..], &utf16].concat()),
        ("latin1.txt", b"caf\xe9\n\xe9t\xe9\n".to_vec()),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let out = run(
            &mock,
            &["delete", "--from", path.to_str().unwrap(), "--yes"],
        );
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains("nothing was sent"), "{name}: {err}");
    }
    assert!(deletes_per_id(&mock).is_empty());
    let path = dir.path().join("commented.txt");
    std::fs::write(&path, "dev-00000 # old phone\rdev-00001\t# tablet\r").unwrap();
    let out = run(
        &mock,
        &["delete", "--from", path.to_str().unwrap(), "--yes"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(mock.devices().is_empty());
}

#[test]
fn ctrl_c_during_erase_user_s_checks_exits_130_and_names_each_unchecked_alias() {
    use engagelab_mock::Answer;
    let mock = MockServer::start(MockConfig {
        devices: vec![
            Device::new("a1").with_alias("user-1"),
            Device::new("b2").with_alias("user-2"),
        ],
        ..MockConfig::default()
    })
    .unwrap();
    // The second lookup of user-1 (the check after the deletions) hangs.
    mock.script_alias(
        "user-1",
        vec![
            Answer::body(200, r#"{"registration_ids":["a1"]}"#),
            Answer::body(200, r#"{"registration_ids":[]}"#).with_delay_ms(30_000),
        ],
    );
    let child = cli(&mock, &["erase-user", "user-1", "user-2", "--yes"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lookups = || {
        mock.log()
            .iter()
            .filter(|r| r.path.starts_with("/v4/aliases/user-1"))
            .count()
    };
    wait_for("the check of user-1", || lookups() == 2);
    let ok = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(130), "{stdout}{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    for alias in ["user-1", "user-2"] {
        assert!(
            stdout.contains(&format!("{alias}: not checked (interrupted)")),
            "{stdout}"
        );
    }
}

/// A backup or report file that exists and ends with a whole JSON object
/// and no newline (what Python's `json.dump`, `JSON.stringify` or a
/// `"\n".join` writes) is kept, given its newline: it was once taken for a
/// line torn by a crash and cut off, emptying a previous backup, the only
/// copy of deleted users' tags and aliases. A torn line of this tool's own
/// never parses (it is cut before its closing `}`).
#[test]

fn an_existing_backup_ending_with_a_whole_json_line_without_newline_is_kept() {
    let mock = mock(1, 0);
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("backup.json");
    let before = r#"{"registration_id":"old-device","tags":["vip"],"alias":"bob"}"#;
    std::fs::write(&backup, before).unwrap();
    let out = run(
        &mock,
        &[
            "delete",
            "dev-00000",
            "--yes",
            "--backup",
            backup.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let after = std::fs::read_to_string(&backup).unwrap();
    assert!(
        after.starts_with(&format!("{before}\n")),
        "the earlier backup was cut off: {after}"
    );
    assert_eq!(after.lines().count(), 2, "{after}");
}

/// With a journal the report is fsync'd after each line; a pipe or a
/// terminal has nothing to sync (fsync fails there with EINVAL), so
/// `--report /dev/stdout` or a process substitution (`--report >(gzip >
/// r.gz)`) gets every line and the run goes on. It once stopped after its
/// first deletion: exit 4, "stopped: cannot write the report: invalid input
/// parameter".
#[test]

fn a_report_on_a_pipe_with_a_journal_is_written_not_stopped() {
    let mock = mock(3, 0);
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal");
    let out = run(
        &mock,
        &[
            "delete",
            "dev-00000",
            "dev-00001",
            "dev-00002",
            "--yes",
            "--journal",
            journal.to_str().unwrap(),
            "--report",
            "/dev/stdout",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).lines().count(),
        4,
        "3 ids and the summary"
    );
    assert!(mock.devices().is_empty());
}

/// Ctrl-C while erase-user still resolves its aliases: nothing was deleted,
/// and the command says so rather than naming the resolved aliases "not
/// checked", as if they had been erased.
#[test]
fn ctrl_c_while_erase_user_resolves_its_aliases_says_nothing_was_deleted() {
    use engagelab_mock::Answer;
    let mock = MockServer::start(MockConfig {
        devices: vec![
            Device::new("a1").with_alias("user-1"),
            Device::new("b2").with_alias("user-2"),
        ],
        ..MockConfig::default()
    })
    .unwrap();
    // The first lookup of user-2 hangs.
    mock.script_alias(
        "user-2",
        vec![Answer::body(200, r#"{"registration_ids":["b2"]}"#).with_delay_ms(30_000)],
    );
    let child = cli(&mock, &["erase-user", "user-1", "user-2", "--yes"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("the lookup of user-2", || {
        mock.log()
            .iter()
            .any(|r| r.path.starts_with("/v4/aliases/user-2"))
    });
    let ok = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(130), "{stdout}{stderr}");
    assert!(
        stderr.contains(
            "interrupted while resolving the aliases (1 of 2 resolved): nothing was deleted"
        ),
        "{stderr}"
    );
    assert!(!stdout.contains("not checked"), "{stdout}");
    assert!(mock.log().iter().all(|r| r.method == "GET"));
}
