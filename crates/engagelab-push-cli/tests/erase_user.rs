//! `engagelab-push erase-user`, run as a child process against
//! engagelab-mock: users erased from a file with a report and a backup,
//! unknown and bad aliases, a dry run, devices still bound, a failed lookup.

use engagelab_mock::{Answer, Device, MockServer};
use serde_json::{Value, json};

mod common;
use common::{cli, run, text};
// The core's test helpers, shared rather than copied.
#[path = "../../engagelab-push/tests/common/helpers.rs"]
mod helpers;
use helpers::{deletes, json_lines as lines, mock_with};

/// `user-1` has two devices, `user-2` one, `user-3` one; `x` has no alias.
fn mock() -> MockServer {
    mock_with(vec![
        Device::new("a1")
            .with_alias("user-1")
            .with_platform("android")
            .with_tags(["vip"]),
        Device::new("b1").with_alias("user-1").with_platform("ios"),
        Device::new("c2").with_alias("user-2").with_platform("ios"),
        Device::new("d3").with_alias("user-3"),
        Device::new("x"),
    ])
}

/// How many DELETEs the mock was sent.
fn delete_count(mock: &MockServer) -> usize {
    deletes(mock).len()
}

#[test]
fn erases_two_users_from_a_file_with_a_report_and_a_backup() {
    let mock = mock();
    let dir = tempfile::tempdir().unwrap();
    let from = dir.path().join("erasure-requests.txt");
    std::fs::write(&from, "# GDPR requests of the week\nuser-1\n\n user-2 \n").unwrap();
    let (report, backup) = (dir.path().join("report.jsonl"), dir.path().join("b.jsonl"));
    let out = run(
        &mock,
        &[
            "erase-user",
            "--from",
            from.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
            "--backup",
            backup.to_str().unwrap(),
            "--yes",
        ],
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            "user-1: a1 b1",
            "user-2: c2",
            "user-1: no device bound",
            "user-2: no device bound",
        ]
    );
    assert!(stderr.contains("deleted 3"), "{stderr}");
    assert_eq!(mock.devices(), ["d3", "x"]);

    let report = lines(&report);
    assert_eq!(report.len(), 2 + 3 + 1 + 2 + 1, "{report:#?}");
    assert_eq!(
        report[0],
        json!({"alias": "user-1", "registration_ids": ["a1", "b1"]})
    );
    assert_eq!(
        report[1],
        json!({"alias": "user-2", "registration_ids": ["c2"]})
    );
    let mut deleted: Vec<&str> = report[2..5]
        .iter()
        .map(|l| {
            assert_eq!(l["outcome"], "deleted", "{l}");
            l["registration_id"].as_str().unwrap()
        })
        .collect();
    deleted.sort();
    assert_eq!(deleted, ["a1", "b1", "c2"]);
    assert_eq!(report[5]["summary"]["deleted"], 3);
    assert_eq!(report[5]["summary"]["failed"], 0);
    assert_eq!(report[6], json!({"alias": "user-1", "still_bound": []}));
    assert_eq!(report[7], json!({"alias": "user-2", "still_bound": []}));
    // Last, the erasure's summary (one pass: the run's).
    assert_eq!(report[8], report[5]);
    let kept = lines(&backup);
    assert_eq!(kept.len(), 3);
    assert!(
        kept.iter()
            .any(|d| d["registration_id"] == "a1" && d["tags"] == json!(["vip"]))
    );
}

#[test]
fn an_unknown_alias_succeeds_and_says_no_device() {
    let mock = mock();
    let out = run(&mock, &["erase-user", "nobody", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).lines().collect::<Vec<_>>(),
        ["nobody: no device", "nobody: no device bound"]
    );
    assert_eq!(delete_count(&mock), 0);
}

#[test]
fn bad_aliases_are_usage_errors_and_nothing_is_sent() {
    let mock = mock();
    let long = "a".repeat(41);
    for (alias, says) in [
        ("", "alias is empty"),
        (long.as_str(), "41 bytes"),
        ("user/1", "'/'"),
        ("user\u{7}1", "control character U+0007"),
    ] {
        let out = run(&mock, &["erase-user", "user-1", alias, "--yes"]);
        assert_eq!(out.status.code(), Some(2), "{alias:?}");
        let err = text(&out.stderr);
        assert!(
            err.contains("alias 2") && err.contains(says),
            "{alias:?}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    let out = run(&mock, &["erase-user", "--yes"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("give aliases"));
    assert!(mock.log().is_empty());
}

#[test]
fn a_dry_run_shows_what_would_be_deleted_and_deletes_nothing() {
    let mock = mock();
    let out = run(
        &mock,
        &["erase-user", "user-1", "user-3", "--dry-run", "--json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let erasure: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(erasure["dry_run"], true);
    assert_eq!(erasure["would_delete"], 3);
    assert_eq!(
        erasure["users"],
        json!([
            {"alias": "user-1", "registration_ids": ["a1", "b1"], "still_bound": null},
            {"alias": "user-3", "registration_ids": ["d3"], "still_bound": null},
        ])
    );
    assert_eq!(delete_count(&mock), 0);
    assert_eq!(mock.devices().len(), 5);
}

#[test]
fn a_device_still_bound_is_reported_with_exit_1() {
    let mock = mock();
    // Still listed after the deletion, and again after it was deleted once
    // more (EngageLab deletes asynchronously).
    mock.script_alias(
        "user-9",
        vec![Answer::body(200, r#"{"registration_ids":["a1"]}"#); 3],
    );
    let out = run(&mock, &["erase-user", "user-9", "--yes"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("user-9: still bound: a1"));
    assert!(text(&out.stderr).contains("asynchronously"));
    assert_eq!(delete_count(&mock), 2, "deleted, then deleted once more");
    // The advice leads to completion: the same command again.
    let out = run(&mock, &["erase-user", "user-9", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn a_failed_lookup_deletes_nothing_and_exits_1() {
    let mock = mock();
    let refused = r#"{"error":{"code":21004,"message":"authentication failed"}}"#;
    mock.script_alias("user-2", vec![Answer::body(401, refused)]);
    let out = run(&mock, &["erase-user", "user-1", "user-2", "--yes"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("cannot resolve the alias \"user-2\""), "{err}");
    assert!(err.contains("nothing was deleted"), "{err}");
    assert_eq!(delete_count(&mock), 0);
}

#[test]
fn off_a_terminal_yes_is_required_and_the_guard_counts_every_user() {
    let mock = mock();
    let out = run(&mock, &["erase-user", "user-1"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("--yes"));
    let out = cli(
        &mock,
        &[
            "erase-user",
            "user-1",
            "user-2",
            "--max-deletions",
            "2",
            "--yes",
        ],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("more than max_deletions"));
    assert_eq!(delete_count(&mock), 0);
}

/// `--from` names a file of its own, as `delete`'s does: the aliases file
/// (a GDPR request list) given again as the report, backup or journal is
/// refused, exit 2, before any request, and left as it was. It was not:
/// the report's lines were appended to the list of aliases, and the same
/// command run again then refused its own input.
#[test]
fn the_aliases_file_given_again_as_the_report_backup_or_journal_is_refused() {
    for role in ["--report", "--backup", "--journal"] {
        let mock = mock();
        let dir = tempfile::tempdir().unwrap();
        let from = dir.path().join("requests.txt");
        std::fs::write(&from, "user-1\n").unwrap();
        let from = from.to_str().unwrap();
        let same = format!("{}/./requests.txt", dir.path().display());
        let out = run(&mock, &["erase-user", "--from", from, role, &same, "--yes"]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{role}: {err}");
        assert!(err.contains("same file"), "{role}: {err}");
        assert_eq!(std::fs::read_to_string(from).unwrap(), "user-1\n", "{role}");
        assert!(mock.log().is_empty(), "{role}: nothing is sent");
    }
}

/// A run stopped by the engine (here EngageLab refusing the credentials at
/// the first DELETE) checks no alias again: every user is "not checked",
/// as after an interruption. The text output said nothing of them: after
/// `user-1: a1 b1` at resolution, not one line per alias says it was not
/// erased.
#[test]
fn a_stopped_run_says_each_alias_was_not_checked() {
    let mock = mock();
    let refused = r#"{"error":{"code":21004,"message":"authentication failed"}}"#;
    mock.script("a1", vec![Answer::body(401, refused)]);
    let out = run(
        &mock,
        &["erase-user", "user-1", "--yes", "--concurrency", "1"],
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("stopped"), "{stderr}");
    assert!(
        stdout.lines().any(|l| l.starts_with("user-1: not checked")),
        "no line says user-1 was not checked:\n{stdout}{stderr}"
    );
}

/// Ctrl-C while the aliases are checked again, when none had a device (so
/// the run deleted nothing and its summary counts no entry): the command
/// said "interrupted while resolving the aliases (1 of 1 resolved)", the
/// wrong phase, and gave no `not checked (interrupted)` line for the alias.
#[test]
fn ctrl_c_during_the_check_of_aliases_without_devices_says_not_checked() {
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    let mock = mock();
    let none = r#"{"registration_ids":[]}"#;
    mock.script_alias(
        "nobody",
        vec![
            Answer::body(200, none),
            Answer::body(200, none).with_delay_ms(5000),
        ],
    );
    let command = cli(&mock, &["erase-user", "nobody", "--yes"]);
    // SIGINT at its default action, even under nohup (see cli.rs).
    let mut wrapped = std::process::Command::new("env");
    wrapped
        .arg("--default-signal=INT")
        .arg(command.get_program())
        .args(command.get_args())
        .env_clear()
        .envs(command.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = wrapped.spawn().unwrap();
    let start = Instant::now();
    while mock.log().len() < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no second lookup"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(200));
    let ok = std::process::Command::new("kill")
        .args(["-INT".to_owned(), child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(130), "{stdout}{stderr}");
    assert!(!stderr.contains("while resolving"), "{stderr}");
    assert!(
        stdout.contains("nobody: not checked (interrupted)"),
        "{stdout}{stderr}"
    );
}
