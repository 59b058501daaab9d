//! Bulk runs that never surprise the operator (issue 21), against
//! engagelab-mock: a cancel before sending sends nothing, a refused secret
//! or a repeated failure stops the run, one run per journal, private files,
//! a crash-safe report, a journal that follows the set of ids, a write
//! failure that says what was sent, erasures that finish re-bound devices,
//! and long alias answers.

use engagelab_mock::{DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET};
use std::path::Path;
use std::sync::mpsc;

use engagelab_mock::{Device, MockConfig, MockServer};
use engagelab_push::{BulkErrorKind, BulkInput, CancelToken, Client, ErrorKind};
use serde_json::Value;

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("dev-{i:05}")).collect()
}

fn mock_with(devices: Vec<Device>) -> MockServer {
    MockServer::start(MockConfig {
        devices,
        ..MockConfig::default()
    })
    .expect("mock starts")
}

fn mock(all: &[String]) -> MockServer {
    mock_with(all.iter().map(Device::new).collect())
}

fn client_with(mock: &MockServer, secret: &str) -> Client {
    Client::builder(DEFAULT_APP_KEY, secret)
        .base_url(mock.base_url())
        .build()
        .expect("client builds")
}

fn client(mock: &MockServer) -> Client {
    client_with(mock, DEFAULT_MASTER_SECRET)
}

fn count(mock: &MockServer, method: &str) -> usize {
    mock.log().iter().filter(|r| r.method == method).count()
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("file")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect()
}

#[test]
fn b1_a_cancel_while_confirming_sends_nothing() {
    let all = ids(300);
    let mock = mock(&all);
    let token = CancelToken::new();
    let stop = token.clone();
    let summary = client(&mock)
        .bulk_delete()
        .qps(500)
        .cancel(token)
        .confirm(move |_| {
            stop.cancel(); // Ctrl-C while the operator was asked
            true
        })
        .run(all)
        .expect("run");
    assert!(summary.interrupted, "{summary:?}");
    assert_eq!(summary.counts.deleted, 0, "{summary:?}");
    assert_eq!(summary.not_started, 300);
    assert_eq!(count(&mock, "DELETE"), 0);
    assert_eq!(mock.devices().len(), 300);
}

#[test]
fn b1_a_cancel_while_counting_sends_nothing() {
    let all = ids(5000);
    let mock = mock(&all);
    let token = CancelToken::new();
    let stop = token.clone();
    let input = all.clone().into_iter().enumerate().map(move |(i, id)| {
        if i == 100 {
            stop.cancel();
        }
        id
    });
    let summary = client(&mock)
        .bulk_delete()
        .qps(500)
        .max_deletions(10_000)
        .cancel(token)
        .run(BulkInput::ids(input))
        .expect("run");
    assert!(summary.interrupted, "{summary:?}");
    assert_eq!(count(&mock, "DELETE"), 0);
}

#[test]
fn b7_a_refused_secret_stops_the_run_at_the_first_answer() {
    let all = ids(50);
    let mock = mock(&all);
    let summary = client_with(&mock, "wrong-secret")
        .bulk_delete()
        .concurrency(1)
        .run(all)
        .expect("run");
    assert_eq!(count(&mock, "DELETE"), 1);
    assert_eq!(summary.counts.failed, 1);
    assert_eq!(summary.not_started, 49);
    assert!(!summary.interrupted);
    assert!(!summary.is_success());
    let why = summary.stopped.as_deref().expect("a reason");
    assert!(
        why.starts_with("EngageLab refused the credentials (HTTP 401"),
        "{why}"
    );
    assert_eq!(why.matches("refused the credentials").count(), 1, "{why}");
    assert!(!why.contains("wrong-secret"), "{why}");
    assert_eq!(summary.to_json()["stopped"], why);
}

#[test]
fn b7_the_same_failure_twenty_times_in_a_row_stops_the_run() {
    let mock = MockServer::start(MockConfig {
        unknown_status: 400,
        unknown_body: r#"{"error":{"code":21003,"message":"invalid value"}}"#.into(),
        ..MockConfig::default()
    })
    .unwrap();
    let summary = client(&mock)
        .bulk_delete()
        .concurrency(1)
        .run(ids(100))
        .expect("run");
    assert_eq!(count(&mock, "DELETE"), 20);
    assert_eq!(summary.counts.failed, 20);
    let why = summary.stopped.as_deref().expect("a reason");
    assert!(why.contains("20 times in a row"), "{why}");
}

#[test]
fn b2_a_second_run_on_a_journal_in_use_refuses_and_sends_nothing() {
    let all = ids(40);
    let mock = mock(&all);
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal");
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    std::thread::scope(|s| {
        // Owned here, so that a failed assertion below drops it and the
        // first run's callback stops waiting: the test fails, never hangs.
        let release_tx = release_tx;
        let first = s.spawn(|| {
            let mut once = Some((started_tx, release_rx));
            client(&mock)
                .bulk_delete()
                .qps(20)
                .journal(&journal)
                .on_progress(move |_| {
                    if let Some((started, release)) = once.take() {
                        started.send(()).unwrap();
                        release.recv().unwrap();
                    }
                })
                .run(ids(40))
        });
        started_rx.recv().unwrap();
        // The first run's workers go on sending meanwhile: the second run's
        // requests are told apart by their User-Agent.
        let second = Client::builder(DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET)
            .base_url(mock.base_url())
            .user_agent("second-run")
            .build()
            .expect("client builds")
            .bulk_delete()
            .journal(&journal)
            .run(ids(40));
        let sent_meanwhile = mock
            .log()
            .iter()
            .filter(|r| r.header("user-agent") == Some("second-run"))
            .count();
        release_tx.send(()).unwrap();
        let summary = first.join().unwrap().expect("first run");
        assert_eq!(summary.counts.deleted, 40);
        let e = second.expect_err("the journal is in use");
        assert_eq!(e.kind(), BulkErrorKind::JournalBusy, "{e}");
        assert!(e.message().contains("in use by another run"), "{e}");
        assert!(
            e.message()
                .contains(&format!("process {}", std::process::id())),
            "{e}"
        );
        assert_eq!(sent_meanwhile, 0);
    });
    // Once the first run ended, the journal is free again.
    let again = client(&mock)
        .bulk_delete()
        .journal(&journal)
        .run(ids(40))
        .expect("rerun");
    assert_eq!(again.counts.already_done, 40);
}

#[cfg(unix)]
#[test]
fn b9_backup_report_and_journal_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let all = ids(3);
    let mock = mock(&all);
    let dir = tempfile::tempdir().unwrap();
    let (j, b, r) = (
        dir.path().join("j"),
        dir.path().join("b.jsonl"),
        dir.path().join("r.jsonl"),
    );
    client(&mock)
        .bulk_delete()
        .journal(&j)
        .backup(&b)
        .report(&r)
        .run(all)
        .expect("run");
    for path in [&j, &b, &r] {
        let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", path.display());
    }
}

#[test]
fn b3_a_torn_last_line_of_the_report_or_backup_is_cut_so_each_stays_json_lines() {
    let all = ids(3);
    let mock = mock(&all);
    let dir = tempfile::tempdir().unwrap();
    let (report, backup) = (dir.path().join("r.jsonl"), dir.path().join("b.jsonl"));
    let torn = "{\"registration_id\":\"x\",\"outcome\":\"deleted\"}\n{\"regis";
    std::fs::write(&report, torn).unwrap();
    std::fs::write(&backup, torn).unwrap();
    client(&mock)
        .bulk_delete()
        .report(&report)
        .backup(&backup)
        .run(all)
        .expect("run");
    let got = lines(&report);
    assert_eq!(got.len(), 1 + 3 + 1);
    assert_eq!(got[1]["outcome"], "deleted");
    let kept = lines(&backup);
    assert_eq!(kept.len(), 1 + 3);
    let mut backed_up: Vec<&str> = kept[1..]
        .iter()
        .map(|l| l["registration_id"].as_str().unwrap())
        .collect();
    backed_up.sort_unstable();
    assert_eq!(backed_up, ids(3));
    // A file that is not this tool's (notes named by mistake) loses nothing:
    // the run is refused before anything is sent.
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "a\nimportant").unwrap();
    let e = client(&mock)
        .bulk_delete()
        .report(&notes)
        .run(vec!["dev-00000"])
        .expect_err("refused");
    assert_eq!(e.kind(), BulkErrorKind::Io);
    assert!(
        e.message().contains("not one of this tool's JSON lines"),
        "{e}"
    );
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "a\nimportant");
    assert_eq!(count(&mock, "DELETE"), 3);
}

#[test]
fn b3_a_file_given_for_two_roles_is_refused_before_anything_is_sent() {
    let all = ids(2);
    let mock = mock(&all);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("ids.txt");
    std::fs::write(&input, all.join("\n")).unwrap();
    let link = dir.path().join("link.txt");
    std::os::unix::fs::symlink(&input, &link).unwrap();
    let report = dir.path().join("r.jsonl");
    // The report over its own input: the next run would read report lines as ids.
    let e = client(&mock)
        .bulk_delete()
        .report(&link)
        .run(BulkInput::file(&input))
        .expect_err("refused");
    assert_eq!(e.kind(), BulkErrorKind::InvalidArgument);
    assert!(
        e.message()
            .starts_with("the input and the report are the same file"),
        "{e}"
    );
    let e = client(&mock)
        .bulk_delete()
        .journal(&report)
        .report(dir.path().join(".").join("r.jsonl"))
        .run(all.clone())
        .expect_err("refused");
    assert!(
        e.message()
            .starts_with("the journal and the report are the same file"),
        "{e}"
    );
    assert!(mock.log().is_empty());
    assert_eq!(std::fs::read_to_string(&input).unwrap(), all.join("\n"));
    assert!(!report.exists());
}

#[test]
fn b6_a_journal_resumes_the_same_ids_in_another_order_and_refuses_others() {
    let all = ids(30);
    let mock = mock(&all);
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j");
    let first = client(&mock)
        .bulk_delete()
        .journal(&journal)
        .run(all.clone())
        .expect("run");
    assert_eq!(first.counts.deleted, 30);
    let mut shuffled = all.clone();
    shuffled.reverse();
    shuffled.swap(3, 17);
    let again = client(&mock)
        .bulk_delete()
        .journal(&journal)
        .run(shuffled)
        .expect("the same ids in another order");
    assert_eq!(again.counts.already_done, 30);
    assert_eq!(count(&mock, "DELETE"), 30);
    let e = client(&mock)
        .bulk_delete()
        .journal(&journal)
        .run(all[1..].to_vec())
        .expect_err("another set of ids");
    assert_eq!(e.kind(), BulkErrorKind::JournalMismatch);
}

#[test]
fn b4_a_report_that_cannot_be_written_stops_the_run_with_its_summary() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let all = ids(200);
    let mock = mock(&all);
    let e = client(&mock)
        .bulk_delete()
        .qps(200)
        .report("/dev/full")
        .run(all)
        .expect_err("the disk is full");
    assert_eq!(e.kind(), BulkErrorKind::WriteFailed, "{e}");
    assert!(
        e.message().starts_with("stopped: cannot write the report"),
        "{e}"
    );
    let summary = e.summary().expect("what was sent");
    let deleted = 200 - mock.devices().len() as u64;
    assert!((1..200).contains(&deleted), "{deleted}");
    assert_eq!(summary.counts.deleted, deleted);
}

#[test]
fn b8_an_input_with_no_valid_id_is_refused_and_cr_endings_are_read() {
    let all = ids(3);
    let mock = mock(&all);
    let dir = tempfile::tempdir().unwrap();
    let latin1 = dir.path().join("latin1.txt");
    std::fs::write(&latin1, b"caf\xe9-1\ncaf\xe9-2\n").unwrap();
    let e = client(&mock)
        .bulk_delete()
        .run(BulkInput::file(&latin1))
        .expect_err("no valid id");
    assert_eq!(e.kind(), BulkErrorKind::InvalidArgument, "{e}");
    assert!(
        e.message()
            .contains("holds 2 entries and not one registration id"),
        "{e}"
    );
    let one = client(&mock)
        .bulk_delete()
        .run(vec!["not an id"])
        .expect_err("no valid id");
    assert!(one.message().contains("holds 1 entry and"), "{one}");
    // The first invalid entry is named by position and fault, never shown.
    assert!(
        one.message().contains(
            "the first, at position 1: registration_id contains whitespace U+0020 at byte 3"
        ),
        "{one}"
    );
    assert!(!one.message().contains("not an id"), "{one}");
    let utf16: Vec<u8> = "\u{feff}dev-00000\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let path = dir.path().join("utf16.txt");
    std::fs::write(&path, utf16).unwrap();
    let e = client(&mock)
        .bulk_delete()
        .run(BulkInput::file(&path))
        .expect_err("UTF-16");
    assert!(e.message().contains("UTF-16"), "{e}");
    assert_eq!(count(&mock, "DELETE"), 0);

    let cr = dir.path().join("cr.txt");
    std::fs::write(&cr, "dev-00000\rdev-00001 # a note\rdev-00002").unwrap();
    let summary = client(&mock)
        .bulk_delete()
        .run(BulkInput::file(&cr))
        .expect("run");
    assert_eq!(summary.counts.deleted, 3, "{summary:?}");
}

#[test]
fn b5_an_erasure_rerun_deletes_a_device_bound_again_after_it() {
    let mock = mock_with(vec![Device::new("a1").with_alias("user-1")]);
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j");
    let erase = || {
        client(&mock)
            .bulk_delete()
            .journal(&journal)
            .erase_users(["user-1"])
            .expect("erase")
    };
    assert!(erase().is_success());
    // The user signs in again on the same device: the same id, bound again.
    mock.add_device(Device::new("a1").with_alias("user-1"));
    let again = erase();
    assert!(again.is_success(), "{:?}", again.to_json());
    assert!(mock.devices().is_empty());
    assert_eq!(again.users[0].still_bound.as_deref(), Some(&[][..]));
}

#[test]
fn b10_a_cancel_during_the_verification_marks_the_erasure_interrupted() {
    let mock = mock_with(vec![
        Device::new("a1").with_alias("user-1"),
        Device::new("b2").with_alias("user-2"),
    ]);
    let token = CancelToken::new();
    let stop = token.clone();
    let erasure = client(&mock)
        .bulk_delete()
        .cancel(token)
        .on_progress(move |p| {
            if p.done == p.total && p.total > 0 {
                stop.cancel(); // Ctrl-C once the deletions are done
            }
        })
        .erase_users(["user-1", "user-2"])
        .expect("erase");
    assert_eq!(erasure.summary.counts.deleted, 2);
    assert!(erasure.summary.interrupted, "{:?}", erasure.to_json());
    assert!(erasure.users.iter().all(|u| u.still_bound.is_none()));
}

#[test]
fn b12_an_alias_bound_to_thousands_of_devices_resolves() {
    let devices: Vec<Device> = (0..6000)
        .map(|i| Device::new(format!("device-of-a-big-alias-{i:06}")).with_alias("crowd"))
        .collect();
    let mock = mock_with(devices);
    let got = client(&mock).get_alias("crowd", &[]).expect("resolves");
    assert_eq!(got.len(), 6000);
}

#[test]
fn b13_a_27002_is_not_found_for_single_calls_and_bulk_alike() {
    let mock = mock(&ids(1));
    let e = client(&mock).delete_device("gone").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert_eq!((e.http_status(), e.api_code()), (Some(400), Some(27002)));
    let summary = client(&mock)
        .bulk_delete()
        .run(vec!["gone", "dev-00000"])
        .unwrap();
    assert_eq!((summary.counts.not_found, summary.counts.deleted), (1, 1));
}
