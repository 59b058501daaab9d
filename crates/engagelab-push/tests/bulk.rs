//! The bulk engine against engagelab-mock: pacing under rate limits and
//! latency, the guard, dry runs, duplicates, invalid ids, the journal and
//! cancellation.

use std::time::{Duration, Instant};

use engagelab_mock::{Device, MockConfig, MockServer};
use engagelab_push::{BulkErrorKind, BulkInput, CancelToken};
use serde_json::Value;

mod common {
    pub mod helpers;
}
use common::helpers::{client, deletes, json_lines as report_lines};

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("dev-{i:05}")).collect()
}

fn mock(devices: &[String], rate_limit_qps: Option<u32>, latency_ms: u64) -> MockServer {
    MockServer::start(MockConfig {
        devices: devices.iter().map(Device::new).collect(),
        rate_limit_qps,
        latency_ms,
        ..MockConfig::default()
    })
    .expect("mock starts")
}

#[test]
fn a_429_storm_slows_the_run_down_and_every_device_is_still_deleted() {
    let all = ids(60);
    let mock = mock(&all, Some(20), 20);
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.jsonl");
    let summary = client(&mock)
        .bulk_delete()
        .qps(200)
        .report(&report)
        .run(all.clone())
        .expect("run");
    assert_eq!(summary.counts.deleted, 60, "{summary:?}");
    assert_eq!(summary.counts.failed, 0);
    assert!(
        summary.rate_limited > 0,
        "the mock limits to 20/s: {summary:?}"
    );
    assert!(summary.is_success());
    assert!(mock.devices().is_empty());
    let mut sent = deletes(&mock);
    let attempts = sent.len();
    sent.sort();
    sent.dedup();
    assert_eq!(sent.len(), 60);
    // Pacing backs off: far fewer 429s than a blind 200/s would earn.
    assert!(
        (attempts - 60) < 60,
        "{attempts} DELETEs for 60 devices at a 20/s limit"
    );
    let lines = report_lines(&report);
    assert_eq!(lines.len(), 61);
    assert!(lines[..60].iter().all(|l| l["outcome"] == "deleted"));
    let s = &lines[60]["summary"];
    assert_eq!(s["deleted"], 60);
    assert_eq!(s["interrupted"], false);
    assert!(s["rate_per_s"].as_f64().unwrap() > 0.0);
}

#[test]
fn requests_overlap_to_hold_the_rate_at_the_observed_latency() {
    let all = ids(100);
    let mock = mock(&all, None, 100);
    let start = Instant::now();
    let summary = client(&mock).bulk_delete().qps(200).run(all).expect("run");
    assert_eq!(summary.counts.deleted, 100);
    // Sequentially this takes 10 s; at 200/s about 0.5 s.
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn the_guard_refuses_before_sending_anything() {
    let all = ids(5);
    let mock = mock(&all, None, 0);
    let e = client(&mock)
        .bulk_delete()
        .max_deletions(4)
        .run(all)
        .unwrap_err();
    assert_eq!(e.kind(), BulkErrorKind::Guard);
    assert!(e.message().contains("5 ids"), "{e}");
    assert!(mock.log().is_empty());
    assert_eq!(mock.devices().len(), 5);
}

#[test]
fn duplicates_comments_and_invalid_ids_are_counted_and_never_sent_twice() {
    let all = ids(3);
    let mock = mock(&all, None, 0);
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.jsonl");
    let text = format!(
        "\u{feff}{a}\n\n# a comment\n  {b}  \r\n{a}\nnot valid\ndévice\n{c}\n{b}\ngone\n",
        a = all[0],
        b = all[1],
        c = all[2]
    );
    let summary = client(&mock)
        .bulk_delete()
        .max_deletions(4)
        .report(&report)
        .run(BulkInput::reader(std::io::Cursor::new(text.into_bytes())))
        .expect("run");
    let c = summary.counts;
    assert_eq!(
        (c.deleted, c.not_found, c.duplicate, c.invalid, c.failed),
        (3, 1, 2, 2, 0),
        "{summary:?}"
    );
    assert_eq!((summary.entries, summary.ids), (8, 4));
    let mut sent = deletes(&mock);
    sent.sort();
    assert_eq!(sent, ["dev-00000", "dev-00001", "dev-00002", "gone"]);
    let lines = report_lines(&report);
    let invalid: Vec<&Value> = lines.iter().filter(|l| l["outcome"] == "invalid").collect();
    assert_eq!(invalid[0]["registration_id"], "not valid");
    assert_eq!(invalid[0]["position"], 6);
    assert_eq!(invalid[0]["error"]["kind"], "INVALID_ARGUMENT");
    let gone = lines
        .iter()
        .find(|l| l["registration_id"] == "gone")
        .unwrap();
    assert_eq!(gone["outcome"], "not_found");
}

#[test]
fn a_line_longer_than_the_limit_is_one_invalid_entry_never_cut_into_an_id() {
    let seeded: Vec<String> = ["i", "id-5", "id-7", "ok"].map(String::from).to_vec();
    let mock = mock(&seeded, None, 0);
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.jsonl");
    let long = [
        // Cut at 1 KiB, then trimmed, these were sent as "id-5" and "i".
        format!("{}id-5678", " ".repeat(1020)),
        format!("{}id-5c", " ".repeat(1023)),
        format!("id-7{}id-8", " ".repeat(1020)),
        format!("id-7 # {}", "c".repeat(2000)),
        format!("{}id-5", " ".repeat(5000)),
    ];
    let text = format!("{}\n# {}\nok\n", long.join("\n"), "c".repeat(2000));
    let summary = client(&mock)
        .bulk_delete()
        .report(&report)
        .run(BulkInput::reader(std::io::Cursor::new(text.into_bytes())))
        .expect("run");
    let c = summary.counts;
    assert_eq!(
        (summary.entries, summary.ids, c.invalid, c.deleted),
        (6, 1, 5, 1),
        "{summary:?}"
    );
    assert_eq!(deletes(&mock), ["ok"]);
    let invalid: Vec<Value> = report_lines(&report)
        .into_iter()
        .filter(|l| l["outcome"] == "invalid")
        .collect();
    assert_eq!(invalid.len(), 5);
    assert_eq!(invalid[0]["position"], 1);
    assert_eq!(
        invalid[0]["error"]["message"],
        "line 1 is longer than 1024 bytes; a registration id is at most 256"
    );
}

#[test]
fn each_item_of_a_list_is_taken_exactly_as_a_single_call_takes_an_id() {
    let all = ids(4);
    let mock = mock(&all, None, 0);
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.jsonl");
    let items = vec![
        String::new(),
        format!(" {}", all[0]),
        format!("{} # note", all[1]),
        format!("#{}", all[2]),
        all[3].clone(),
    ];
    let summary = client(&mock)
        .bulk_delete()
        .report(&report)
        .run(items)
        .expect("run");
    let c = summary.counts;
    // "#id" is an id (a single call sends it too, escaped), which the server does not know.
    assert_eq!(
        (summary.entries, c.invalid, c.not_found, c.deleted),
        (5, 3, 1, 1),
        "{summary:?}"
    );
    let mut sent = deletes(&mock);
    sent.sort();
    assert_eq!(sent, [format!("%23{}", all[2]), all[3].clone()]);
    assert_eq!(mock.devices().len(), 3);
    let invalid: Vec<Value> = report_lines(&report)
        .into_iter()
        .filter(|l| l["outcome"] == "invalid")
        .collect();
    assert_eq!(invalid[1]["registration_id"], format!(" {}", all[0]));
    assert_eq!(invalid[1]["position"], 2);
}

#[test]
fn a_dry_run_sends_no_delete() {
    let all = ids(10);
    let mock = mock(&all, None, 0);
    let summary = client(&mock)
        .bulk_delete()
        .dry_run(true)
        .run(all)
        .expect("run");
    assert_eq!(summary.counts.would_delete, 10);
    assert_eq!(summary.counts.deleted, 0);
    assert!(summary.dry_run);
    assert!(mock.log().is_empty());
    assert_eq!(mock.devices().len(), 10);
}

#[test]
fn a_not_found_after_a_lost_answer_says_the_device_may_have_been_deleted() {
    use engagelab_mock::Answer;
    let mock = mock(&["md-1".to_string()], None, 0);
    // The first DELETE's answer comes too late (the attempt times out after
    // sending); the retry finds the id unknown, as it would had the first
    // deleted it.
    mock.script(
        "md-1",
        vec![
            Answer::status(200).with_delay_ms(1500),
            Answer::body(400, r#"{"code":27002,"message":"unknown error"}"#),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.jsonl");
    let summary = engagelab_push::Client::builder(
        engagelab_mock::DEFAULT_APP_KEY,
        engagelab_mock::DEFAULT_MASTER_SECRET,
    )
    .base_url(mock.base_url())
    .timeout(Duration::from_millis(300))
    .backoff(Duration::from_millis(1), Duration::from_millis(5))
    .build()
    .unwrap()
    .bulk_delete()
    .report(&report)
    .run(vec!["md-1"])
    .expect("run");
    assert_eq!(summary.counts.not_found, 1, "{summary:?}");
    assert_eq!(deletes(&mock).len(), 2);
    let line = report_lines(&report).remove(0);
    assert_eq!(line["outcome"], "not_found");
    assert_eq!(line["error"]["kind"], "NOT_FOUND");
    assert_eq!(line["error"]["maybe_deleted"], true, "{line}");
    assert_eq!(line["error"]["attempts"], 2);
}

#[test]
fn an_id_rate_limited_to_failure_after_a_lost_answer_keeps_maybe_deleted_and_every_attempt() {
    use engagelab_mock::Answer;
    let mock = mock(&["rl-1".to_string()], None, 0);
    // The first DELETE's answer is lost (it may have deleted the device);
    // every later attempt is rate-limited until the id counts as failed.
    let mut script = vec![Answer::drop_connection()];
    script.extend((0..20).map(|_| Answer::status(429).with_header("Retry-After", "0")));
    mock.script("rl-1", script);
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.jsonl");
    let summary = engagelab_push::Client::builder(
        engagelab_mock::DEFAULT_APP_KEY,
        engagelab_mock::DEFAULT_MASTER_SECRET,
    )
    .base_url(mock.base_url())
    .backoff(Duration::from_millis(1), Duration::from_millis(5))
    .build()
    .unwrap()
    .bulk_delete()
    .report(&report)
    .run(vec!["rl-1"])
    .expect("run");
    assert_eq!(summary.counts.failed, 1, "{summary:?}");
    let sent = deletes(&mock).len() as u64;
    assert_eq!(sent, 21);
    let line = report_lines(&report).remove(0);
    assert_eq!(line["outcome"], "failed");
    assert_eq!(line["error"]["kind"], "RATE_LIMITED");
    assert_eq!(line["error"]["maybe_deleted"], true, "{line}");
    assert_eq!(line["error"]["attempts"].as_u64(), Some(sent), "{line}");
}

#[test]
fn a_failure_keeps_every_error_field_and_a_rerun_tries_it_again() {
    let all = ids(3);
    let mock = mock(&all, None, 0);
    mock.script(
        &all[1],
        vec![engagelab_mock::Answer::body(
            400,
            r#"{"error":{"code":21003,"message":"no"}}"#,
        )],
    );
    let dir = tempfile::tempdir().unwrap();
    let (report, journal) = (dir.path().join("r.jsonl"), dir.path().join("j"));
    let run = || {
        client(&mock)
            .bulk_delete()
            .journal(&journal)
            .report(&report)
            .run(all.clone())
            .expect("run")
    };
    let first = run();
    assert_eq!((first.counts.deleted, first.counts.failed), (2, 1));
    assert!(!first.is_success());
    let failed = report_lines(&report)
        .into_iter()
        .find(|l| l["outcome"] == "failed")
        .unwrap();
    let e = &failed["error"];
    assert_eq!(failed["registration_id"], all[1].as_str());
    assert_eq!(
        (e["kind"].as_str(), e["http_status"].as_u64()),
        (Some("API"), Some(400))
    );
    assert_eq!(
        (e["api_code"].as_i64(), e["attempts"].as_u64()),
        (Some(21003), Some(1))
    );
    assert_eq!(e["maybe_deleted"], false);
    assert!(e.get("retry_after").is_some() && e.get("message").is_some());

    let second = run();
    assert_eq!((second.counts.already_done, second.counts.deleted), (2, 1));
    assert!(mock.devices().is_empty());
}

#[test]
fn a_journal_resumes_after_a_cancel_and_refuses_another_input() {
    let all = ids(200);
    let mock = mock(&all, None, 30);
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal");
    let token = CancelToken::new();
    let stopper = token.clone();
    let client = client(&mock);
    let start = Instant::now();
    let first = client
        .bulk_delete()
        .qps(100)
        .journal(&journal)
        .cancel(token)
        .on_progress(move |p| {
            if p.counts.deleted >= 30 {
                stopper.cancel();
            }
        })
        .run(all.clone())
        .expect("first run");
    assert!(first.interrupted);
    assert!(first.not_started > 0, "{first:?}");
    assert!(start.elapsed() < Duration::from_secs(5));
    let deleted_first = first.counts.deleted;
    assert_eq!(deleted_first as usize, 200 - mock.devices().len());

    let second = client
        .bulk_delete()
        .qps(500)
        .journal(&journal)
        .run(all.clone())
        .expect("second run");
    assert!(!second.interrupted);
    assert_eq!(second.counts.already_done, deleted_first);
    assert_eq!(second.counts.deleted + deleted_first, 200);
    assert!(mock.devices().is_empty());
    // Nothing finished was sent twice.
    assert_eq!(deletes(&mock).len(), 200);

    let mut other = all.clone();
    other.push("one-more".into());
    let e = client
        .bulk_delete()
        .journal(&journal)
        .run(other)
        .unwrap_err();
    assert_eq!(e.kind(), BulkErrorKind::JournalMismatch);
}

#[test]
fn bad_settings_and_a_missing_input_are_refused() {
    let mock = mock(&[], None, 0);
    let c = client(&mock);
    let e = c.bulk_delete().qps(0).run(ids(1)).unwrap_err();
    assert_eq!(e.kind(), BulkErrorKind::InvalidArgument);
    // A concurrency whose queue the process cannot allocate aborted it.
    for n in [0, engagelab_push::MAX_CONCURRENCY + 1, u32::MAX as usize] {
        let e = c.bulk_delete().concurrency(n).run(ids(1)).unwrap_err();
        assert_eq!(e.kind(), BulkErrorKind::InvalidArgument, "{n}: {e}");
        assert!(e.message().contains("concurrency must be 1 to 1024"), "{e}");
    }
    let e = c
        .bulk_delete()
        .stall_timeout(std::time::Duration::ZERO)
        .run(ids(1))
        .unwrap_err();
    assert_eq!(e.kind(), BulkErrorKind::InvalidArgument, "{e}");
    let e = c
        .bulk_delete()
        .run(BulkInput::file("/nonexistent/ids.txt"))
        .unwrap_err();
    assert_eq!(e.kind(), BulkErrorKind::Io);
    assert!(e.message().contains("/nonexistent/ids.txt"), "{e}");
    assert!(mock.log().is_empty());
}

#[test]
fn a_backup_holds_every_device_s_tags_before_it_is_deleted() {
    let all = ids(30);
    let mock = MockServer::start(MockConfig {
        devices: all
            .iter()
            .enumerate()
            .map(|(i, id)| {
                Device::new(id)
                    .with_tags([format!("t{i}"), "vip".to_owned()])
                    .with_alias(format!("user-{i}"))
            })
            .collect(),
        rate_limit_qps: Some(25),
        latency_ms: 10,
        ..MockConfig::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("backup.jsonl");
    let mut input = all.clone();
    input.push("never-there".into());
    let summary = client(&mock)
        .bulk_delete()
        .qps(100)
        .backup(&backup)
        .run(input)
        .expect("run");
    assert_eq!((summary.counts.deleted, summary.counts.not_found), (30, 1));
    assert!(mock.devices().is_empty());
    let lines = report_lines(&backup);
    assert_eq!(lines.len(), 30);
    for line in &lines {
        let id = line["registration_id"].as_str().unwrap();
        let i: usize = id.trim_start_matches("dev-").parse().unwrap();
        assert_eq!(line["tags"], serde_json::json!([format!("t{i}"), "vip"]));
        assert_eq!(line["alias"], format!("user-{i}"));
        assert_eq!(line["raw"]["tags"], line["tags"]);
        assert!(line["fetched_at"].as_str().unwrap().ends_with('Z'));
    }
    // Not found on GET: never deleted.
    assert!(!deletes(&mock).iter().any(|p| p == "never-there"));
    // Every DELETE came after its device's GET.
    let log = mock.log();
    for id in &all {
        let path = format!("/v4/devices/{id}");
        let get = log
            .iter()
            .rposition(|r| r.method == "GET" && r.path == path);
        let del = log
            .iter()
            .position(|r| r.method == "DELETE" && r.path == path);
        assert!(get.unwrap() < del.unwrap(), "{id}");
    }
}

#[test]
fn a_dry_run_with_a_backup_sends_gets_only() {
    let all = ids(5);
    let mock = mock(&all, None, 0);
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("backup.jsonl");
    let summary = client(&mock)
        .bulk_delete()
        .dry_run(true)
        .backup(&backup)
        .run(all)
        .expect("run");
    assert_eq!(summary.counts.would_delete, 5);
    assert_eq!(report_lines(&backup).len(), 5);
    let log = mock.log();
    assert_eq!(log.len(), 5);
    assert!(log.iter().all(|r| r.method == "GET"));
}

#[test]
fn a_progress_callback_that_panics_stops_the_run() {
    let all = ids(40);
    let mock = mock(&all, None, 0);
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        client(&mock)
            .bulk_delete()
            .qps(10)
            .on_progress(|_| panic!("the caller's progress callback failed"))
            .run(all.clone())
    }));
    assert!(run.is_err(), "the panic reaches the caller");
    // The first progress report comes after a quarter second, at 10 ids a
    // second: a run that went on would delete all 40 in about 4 s.
    let sent = deletes(&mock).len();
    assert!(sent < 20, "{sent} DELETEs sent after the caller panicked");
}

#[test]
fn a_cancel_check_that_panics_stops_the_run() {
    let all = ids(40);
    let mock = mock(&all, None, 0);
    let started = Instant::now();
    let check = CancelToken::with_check(move || {
        assert!(
            started.elapsed() < Duration::from_millis(300),
            "the caller's cancel check failed"
        );
        false
    });
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        client(&mock)
            .bulk_delete()
            .qps(10)
            .cancel(check)
            .run(all.clone())
    }));
    assert!(run.is_err(), "the panic reaches the caller");
    let sent = deletes(&mock).len();
    assert!(sent < 20, "{sent} DELETEs sent after the caller panicked");
}

#[test]
fn an_id_cancelled_while_paced_after_a_lost_answer_is_reported_maybe_deleted() {
    use engagelab_mock::Answer;
    let mock = mock(&["pc-1".to_string()], None, 0);
    // The first DELETE's answer is lost (it may have deleted the device);
    // the retry is rate-limited with a long hint, and the run is cancelled
    // while it waits.
    mock.script(
        "pc-1",
        vec![
            Answer::drop_connection(),
            Answer::status(429).with_header("Retry-After", "30"),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.jsonl");
    let stop = CancelToken::new();
    let canceller = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(800));
            stop.cancel();
        })
    };
    let started = Instant::now();
    let summary = engagelab_push::Client::builder(
        engagelab_mock::DEFAULT_APP_KEY,
        engagelab_mock::DEFAULT_MASTER_SECRET,
    )
    .base_url(mock.base_url())
    .backoff(Duration::from_millis(1), Duration::from_millis(5))
    .build()
    .unwrap()
    .bulk_delete()
    .report(&report)
    .cancel(stop)
    .run(vec!["pc-1"])
    .expect("run");
    canceller.join().unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(summary.interrupted, "{summary:?}");
    assert_eq!(deletes(&mock).len(), 2);
    let lines = report_lines(&report);
    let line = lines
        .iter()
        .find(|l| l.get("registration_id").is_some())
        .unwrap_or_else(|| panic!("no line for the id: {lines:?}"));
    assert_eq!(line["outcome"], "failed", "{line}");
    assert_eq!(line["error"]["maybe_deleted"], true, "{line}");
    assert_eq!(line["error"]["attempts"], 2, "{line}");
}
