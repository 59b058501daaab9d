//! Erasing users by alias against engagelab-mock: the lookup, the deletions
//! through the bulk engine, the second lookup, and everything a run takes
//! (dry run, guard, backup, report, journal, confirmation).

use engagelab_mock::{DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET};
use std::sync::{Arc, Mutex};

use engagelab_mock::{Answer, Device, MockServer};
use engagelab_push::{BulkErrorKind, Client, ErrorKind};
use serde_json::{Value, json};

mod common {
    pub mod helpers;
}
use common::helpers::{client, json_lines as lines, mock_with, sent};

/// `user-1` has two devices (android, ios), `user-2` one, `x` none bound.
fn mock() -> MockServer {
    mock_with(vec![
        Device::new("a1")
            .with_alias("user-1")
            .with_platform("android")
            .with_tags(["vip"]),
        Device::new("b1").with_alias("user-1").with_platform("ios"),
        Device::new("c2").with_alias("user-2").with_platform("hmos"),
        Device::new("x"),
    ])
}

/// The DELETE lines of the mock's log, sorted.
fn deletes(mock: &MockServer) -> Vec<String> {
    let mut lines: Vec<String> = sent(mock)
        .into_iter()
        .filter(|l| l.starts_with("DELETE"))
        .collect();
    lines.sort();
    lines
}

#[test]
fn erasing_a_user_deletes_every_device_of_the_alias_and_checks_again() {
    let mock = mock();
    let erasure = client(&mock).erase_user("user-1").expect("erase");
    assert_eq!(erasure.users.len(), 1);
    let user = &erasure.users[0];
    assert_eq!(user.alias, "user-1");
    assert_eq!(user.registration_ids, ["a1", "b1"]);
    assert_eq!(user.still_bound.as_deref(), Some(&[][..]));
    assert!(user.is_verified());
    assert_eq!(erasure.summary.counts.deleted, 2);
    assert!(erasure.is_success(), "{erasure:?}");
    assert_eq!(mock.devices(), ["c2", "x"]);
    let log = sent(&mock);
    assert_eq!(
        log.first().map(String::as_str),
        Some("GET /v4/aliases/user-1")
    );
    assert_eq!(
        log.last().map(String::as_str),
        Some("GET /v4/aliases/user-1")
    );
    assert_eq!(
        deletes(&mock),
        ["DELETE /v4/devices/a1", "DELETE /v4/devices/b1"]
    );
    assert_eq!(log.len(), 4);
}

#[test]
fn an_unknown_alias_succeeds_with_nothing_deleted() {
    let mock = mock();
    // EngageLab's answer for an unknown alias is undocumented: an empty list
    // (the mock's), or NOT_FOUND with an error code of EngageLab's (a 404
    // with 20101, a 400 with 27002) mean no device.
    let e20101 = r#"{"error":{"code":20101,"message":"invalid alias"}}"#;
    mock.script_alias("gone-404", vec![Answer::body(404, e20101); 2]);
    let e27002 = r#"{"error":{"code":27002,"message":"unknown error"}}"#;
    mock.script_alias("gone-27002", vec![Answer::body(400, e27002); 2]);
    for alias in ["nobody", "gone-404", "gone-27002"] {
        let erasure = client(&mock).erase_user(alias).expect("erase");
        let user = &erasure.users[0];
        assert!(user.registration_ids.is_empty(), "{alias}");
        assert_eq!(user.still_bound.as_deref(), Some(&[][..]), "{alias}");
        assert_eq!(erasure.summary.ids, 0);
        assert_eq!(erasure.summary.counts.total(), 0);
        assert!(erasure.is_success(), "{alias}: {erasure:?}");
    }
    assert!(
        sent(&mock)
            .iter()
            .all(|l| l.starts_with("GET /v4/aliases/"))
    );
    assert_eq!(mock.devices().len(), 4);
}

/// A bare 404 (no error code, or the status repeated as one) is what a
/// wrong base URL or a proxy answers, not EngageLab's word that the alias is
/// unknown: read as "no device", the erasure would say users were erased
/// whose devices were never looked up.
#[test]
fn a_bare_404_is_not_an_unknown_alias() {
    let mock = mock();
    let repeated = r#"{"error":{"code":404,"message":"Not Found"}}"#;
    for answer in [
        Answer::status(404),
        Answer::body(404, "<html>Not Found</html>"),
        Answer::body(404, repeated),
    ] {
        mock.script_alias("user-2", vec![answer]);
        let e = client(&mock)
            .bulk_delete()
            .erase_users(&["user-1", "user-2"])
            .unwrap_err();
        assert_eq!(e.kind(), BulkErrorKind::Lookup, "{e}");
        let says = e.to_string();
        assert!(says.contains("\"user-2\""), "{says}");
        assert!(says.contains("check the base URL"), "{says}");
        assert!(says.contains("nothing was deleted"), "{says}");
        assert_eq!(mock.devices().len(), 4, "nothing deleted");
    }
    assert!(sent(&mock).iter().all(|l| l.starts_with("GET ")));

    // The same answer to the second lookup leaves the erasure unconfirmed.
    mock.script_alias(
        "user-1",
        vec![
            Answer::body(200, r#"{"registration_ids":["a1","b1"]}"#),
            Answer::status(404),
        ],
    );
    let erasure = client(&mock).erase_user("user-1").expect("erase");
    let user = &erasure.users[0];
    assert_eq!(erasure.summary.counts.deleted, 2);
    assert_eq!(user.still_bound, None);
    let verify = user
        .verify_error
        .as_ref()
        .expect("the second lookup failed");
    assert_eq!(verify.kind(), ErrorKind::NotFound);
    assert!(!erasure.is_success(), "{erasure:?}");
}

#[test]
fn bad_aliases_are_refused_before_anything_is_sent() {
    let mock = mock();
    let long = "a".repeat(41);
    for (aliases, says) in [
        (vec![""], "alias 1 (\"\"): alias is empty"),
        (vec![long.as_str()], "41 bytes"),
        (vec!["user/1"], "'/' at byte 4"),
        (vec!["user\n1"], "control character U+000A"),
        (
            vec!["user-1", "user 2"],
            "alias 2 (\"user 2\"): alias contains whitespace",
        ),
        (vec![], "no alias to erase"),
    ] {
        let e = client(&mock)
            .bulk_delete()
            .erase_users(&aliases)
            .expect_err("refused");
        assert_eq!(e.kind(), BulkErrorKind::InvalidArgument, "{aliases:?}");
        assert!(e.message().contains(says), "{aliases:?}: {}", e.message());
        if !aliases.is_empty() {
            let cause = e.error().expect("the alias's error");
            assert_eq!(cause.kind(), ErrorKind::InvalidArgument);
        }
    }
    assert!(mock.log().is_empty(), "{:?}", sent(&mock));
}

#[test]
fn a_dry_run_resolves_and_deletes_nothing() {
    let mock = mock();
    let erasure = client(&mock)
        .bulk_delete()
        .dry_run(true)
        .erase_users(["user-1", "user-2"])
        .expect("dry run");
    assert!(erasure.summary.dry_run);
    assert_eq!(erasure.summary.counts.would_delete, 3);
    assert_eq!(erasure.users[1].registration_ids, ["c2"]);
    assert!(erasure.users.iter().all(|u| u.still_bound.is_none()));
    assert!(erasure.is_success());
    assert_eq!(mock.devices().len(), 4);
    assert_eq!(
        sent(&mock),
        ["GET /v4/aliases/user-1", "GET /v4/aliases/user-2"]
    );
}

#[test]
fn backup_and_report_cover_every_user_and_device() {
    let mock = mock();
    let dir = tempfile::tempdir().unwrap();
    let (backup, report) = (dir.path().join("b.jsonl"), dir.path().join("r.jsonl"));
    let erasure = client(&mock)
        .bulk_delete()
        .backup(&backup)
        .report(&report)
        .erase_users(["user-1", "user-2", "user-1", "nobody"])
        .expect("erase");
    assert_eq!(erasure.users.len(), 3, "a repeated alias is erased once");
    assert!(erasure.is_success());
    let mut kept: Vec<Value> = lines(&backup);
    kept.sort_by_key(|l| l["registration_id"].as_str().unwrap().to_owned());
    assert_eq!(kept.len(), 3);
    assert_eq!(kept[0]["registration_id"], "a1");
    assert_eq!(kept[0]["tags"], json!(["vip"]));
    assert_eq!(kept[0]["alias"], "user-1");

    let report = lines(&report);
    assert_eq!(report.len(), 3 + 3 + 1 + 3 + 1, "{report:#?}");
    assert_eq!(
        report[..3],
        [
            json!({"alias": "user-1", "registration_ids": ["a1", "b1"]}),
            json!({"alias": "user-2", "registration_ids": ["c2"]}),
            json!({"alias": "nobody", "registration_ids": []}),
        ]
    );
    assert!(report[3..6].iter().all(|l| l["outcome"] == "deleted"));
    assert_eq!(report[6]["summary"]["deleted"], 3);
    assert_eq!(
        report[7..10],
        [
            json!({"alias": "user-1", "still_bound": []}),
            json!({"alias": "user-2", "still_bound": []}),
            json!({"alias": "nobody", "still_bound": []}),
        ]
    );
    assert_eq!(report[10], json!({"summary": erasure.summary.to_json()}));
    assert_eq!(
        erasure.to_json()["users"][0]["registration_ids"],
        json!(["a1", "b1"])
    );
}

#[test]
fn a_device_still_bound_after_the_deletions_is_reported() {
    let mock = mock();
    // Before: one device. After: a device bound meanwhile (the user signed
    // in again on a new phone).
    mock.script_alias(
        "user-9",
        vec![
            Answer::body(200, r#"{"registration_ids":["a1"]}"#),
            Answer::body(200, r#"{"registration_ids":["new-phone"]}"#),
        ],
    );
    let erasure = client(&mock).erase_user("user-9").expect("erase");
    assert_eq!(erasure.summary.counts.deleted, 1);
    assert_eq!(
        erasure.users[0].still_bound.as_deref(),
        Some(&["new-phone".to_owned()][..])
    );
    assert_eq!(
        erasure.still_bound().collect::<Vec<_>>(),
        [("user-9", "new-phone")]
    );
    assert!(!erasure.is_success());
}

#[test]
fn a_device_still_bound_that_the_run_deleted_is_deleted_once_more() {
    let mock = mock();
    // EngageLab still lists the device after its deletion, then no more.
    let a1 = Answer::body(200, r#"{"registration_ids":["a1"]}"#);
    let none = Answer::body(200, r#"{"registration_ids":[]}"#);
    mock.script_alias("user-9", vec![a1.clone(), a1, none]);
    let erasure = client(&mock).erase_user("user-9").expect("erase");
    assert_eq!(deletes(&mock), ["DELETE /v4/devices/a1"; 2]);
    assert_eq!(erasure.users[0].still_bound.as_deref(), Some(&[][..]));
    assert!(erasure.is_success(), "{erasure:?}");
    // Deleted by the first DELETE, not found by the second: one device,
    // counted once, as deleted.
    let c = erasure.summary.counts;
    assert_eq!((c.deleted, c.not_found, c.total()), (1, 0, 1), "{c:?}");
}

/// A device whose deletion failed, still bound at the second lookup and
/// deleted by the second pass, counts once, by its last outcome: the
/// erasure is complete and a success, not "1 failed" beside 2 deleted.
#[test]
fn a_device_the_second_pass_deletes_counts_once_by_its_last_outcome() {
    let mock = mock();
    let refused = Answer::body(400, r#"{"error":{"code":21003,"message":"bad"}}"#);
    mock.script("b1", vec![refused]);
    let erasure = client(&mock).erase_user("user-1").expect("erase");
    assert_eq!(
        deletes(&mock),
        [
            "DELETE /v4/devices/a1",
            "DELETE /v4/devices/b1",
            "DELETE /v4/devices/b1"
        ]
    );
    let c = erasure.summary.counts;
    assert_eq!((c.deleted, c.failed, c.total()), (2, 0, 2), "{c:?}");
    assert_eq!(erasure.summary.entries, 2);
    assert_eq!(erasure.users[0].still_bound.as_deref(), Some(&[][..]));
    assert!(erasure.is_success(), "{erasure:?}");
    assert_eq!(mock.devices(), ["c2", "x"]);
}

/// The report of an erasure that took two passes ends with the erasure's
/// summary, both passes counted, as returned: each pass's own summary line
/// counts that pass alone (the second: one id, deleted).
#[test]
fn the_report_ends_with_the_erasures_summary_both_passes_counted() {
    let mock = mock();
    let refused = Answer::body(400, r#"{"error":{"code":21003,"message":"bad"}}"#);
    mock.script("b1", vec![refused]);
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.jsonl");
    let erasure = client(&mock)
        .bulk_delete()
        .report(&report)
        .erase_users(["user-1"])
        .expect("erase");
    let c = erasure.summary.counts;
    assert_eq!((c.deleted, c.failed, c.total()), (2, 0, 2), "{c:?}");
    let report = lines(&report);
    let summaries: Vec<&Value> = report
        .iter()
        .filter(|l| l.get("summary").is_some())
        .collect();
    assert_eq!(summaries.len(), 3, "{report:#?}");
    assert_eq!(
        (
            summaries[0]["summary"]["deleted"].as_u64(),
            summaries[0]["summary"]["failed"].as_u64()
        ),
        (Some(1), Some(1)),
        "the first pass: {report:#?}"
    );
    assert_eq!(
        summaries[1]["summary"]["deleted"], 1,
        "the second pass: {report:#?}"
    );
    assert_eq!(
        report.last(),
        Some(&json!({"summary": erasure.summary.to_json()})),
        "{report:#?}"
    );
    assert_eq!(erasure.users[0].still_bound.as_deref(), Some(&[][..]));
    assert!(erasure.is_success(), "{erasure:?}");
    assert_eq!(mock.devices(), ["c2", "x"]);
}

/// A second pass that cannot start (the folder of its report is gone) after
/// the first pass deleted: `WriteFailed` with what the first pass did, never
/// a kind that says nothing was sent.
#[test]
fn a_second_pass_that_cannot_start_is_write_failed_with_what_the_first_did() {
    use std::time::{Duration, Instant};
    let mock = mock();
    // Still bound at the second lookup, which answers after 1 s.
    let a1 = Answer::body(200, r#"{"registration_ids":["a1"]}"#);
    mock.script_alias("user-9", vec![a1.clone(), a1.with_delay_ms(1000)]);
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("reports");
    std::fs::create_dir(&folder).unwrap();
    let report = folder.join("r.jsonl");
    let remover = {
        let (folder, report) = (folder.clone(), report.clone());
        std::thread::spawn(move || {
            // The first pass's summary line: the second lookup has begun.
            let deadline = Instant::now() + Duration::from_secs(20);
            while !std::fs::read_to_string(&report)
                .unwrap_or_default()
                .contains("\"summary\"")
            {
                assert!(Instant::now() < deadline, "the first pass never ended");
                std::thread::sleep(Duration::from_millis(5));
            }
            std::fs::remove_dir_all(&folder).unwrap();
        })
    };
    let e = client(&mock)
        .bulk_delete()
        .report(&report)
        .erase_users(["user-9"])
        .expect_err("the second pass cannot open its report");
    remover.join().unwrap();
    assert_eq!(e.kind(), BulkErrorKind::WriteFailed, "{e}");
    assert!(e.message().contains("cannot open the report"), "{e}");
    let done = e.summary().expect("what the first pass did");
    assert_eq!(done.counts.deleted, 1, "{done:?}");
    assert_eq!(deletes(&mock), ["DELETE /v4/devices/a1"]);
}

#[test]
fn a_cancel_during_the_first_lookup_interrupts_the_erasure() {
    let mock = mock();
    let slow = Answer::body(200, r#"{"registration_ids":["a1"]}"#).with_delay_ms(5000);
    mock.script_alias("user-9", vec![slow]);
    let token = engagelab_push::CancelToken::new();
    let later = token.clone();
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(200));
        later.cancel();
    });
    let erasure = client(&mock)
        .bulk_delete()
        .cancel(token)
        .erase_users(["user-9"])
        .expect("an interrupted erasure, not an error");
    assert!(erasure.summary.interrupted);
    assert!(erasure.users.is_empty());
    assert_eq!(mock.devices().len(), 4);
}

#[test]
fn a_cancel_or_a_failure_of_the_second_lookup_leaves_the_user_unverified() {
    let mock = mock();
    let bad = Answer::body(400, r#"{"error":{"code":21003,"message":"bad"}}"#);
    mock.script_alias(
        "user-1",
        vec![Answer::body(200, r#"{"registration_ids":["a1"]}"#), bad],
    );
    let erasure = client(&mock).erase_user("user-1").expect("erase");
    let user = &erasure.users[0];
    assert_eq!(user.still_bound, None);
    assert_eq!(
        user.verify_error.as_ref().map(|e| e.kind()),
        Some(ErrorKind::Api)
    );
    assert!(!erasure.summary.interrupted && !erasure.is_success());

    let slow = Answer::body(200, r#"{"registration_ids":[]}"#).with_delay_ms(5000);
    mock.script_alias(
        "user-2",
        vec![Answer::body(200, r#"{"registration_ids":["c2"]}"#), slow],
    );
    let token = engagelab_push::CancelToken::new();
    let cancel = token.clone();
    let erasure = client(&mock)
        .bulk_delete()
        .cancel(token)
        .on_progress(move |p| {
            if p.done == 1 {
                // Once the deletion is done: the second lookup is next.
                let cancel = cancel.clone();
                std::thread::spawn(move || {
                    std::thread::sleep(std::time::Duration::from_millis(300));
                    cancel.cancel();
                });
            }
        })
        .erase_users(["user-2"])
        .expect("erase");
    assert_eq!(erasure.summary.counts.deleted, 1);
    assert!(erasure.summary.interrupted);
    assert_eq!(erasure.users[0].still_bound, None);
    assert!(erasure.users[0].verify_error.is_none());
}

#[test]
fn a_failed_lookup_stops_the_erasure_before_anything_is_deleted() {
    let mock = mock();
    let busy = r#"{"error":{"code":27000,"message":"busy"}}"#;
    mock.script_alias("user-2", vec![Answer::body(500, busy); 3]);
    let client = Client::builder(DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET)
        .base_url(mock.base_url())
        .backoff(
            std::time::Duration::from_millis(1),
            std::time::Duration::from_millis(5),
        )
        .build()
        .unwrap();
    let e = client
        .bulk_delete()
        .erase_users(["user-1", "user-2"])
        .expect_err("lookup fails");
    assert_eq!(e.kind(), BulkErrorKind::Lookup);
    assert!(e.message().contains("\"user-2\""), "{}", e.message());
    assert!(
        e.message().contains("nothing was deleted"),
        "{}",
        e.message()
    );
    let cause = e.error().expect("the lookup's error");
    assert_eq!((cause.kind(), cause.attempts()), (ErrorKind::Server, 3));
    assert!(!sent(&mock).iter().any(|l| l.starts_with("DELETE")));
    assert_eq!(mock.devices().len(), 4);
}

#[test]
fn the_guard_counts_the_devices_of_every_alias_together() {
    let mock = mock();
    let e = client(&mock)
        .bulk_delete()
        .max_deletions(2)
        .erase_users(["user-1", "user-2"])
        .expect_err("guarded");
    assert_eq!(e.kind(), BulkErrorKind::Guard);
    assert!(!sent(&mock).iter().any(|l| l.starts_with("DELETE")));
}

#[test]
fn resolutions_are_shown_before_the_confirmation_which_may_decline() {
    let mock = mock();
    let shown = Arc::new(Mutex::new(Vec::new()));
    let seen = shown.clone();
    let plans = Arc::new(Mutex::new(Vec::new()));
    let planned = plans.clone();
    let e = client(&mock)
        .bulk_delete()
        .on_resolved(move |u| {
            assert!(u.still_bound.is_none());
            seen.lock()
                .unwrap()
                .push((u.alias.clone(), u.registration_ids.len()));
        })
        .confirm(move |plan| {
            planned.lock().unwrap().push(plan.ids);
            false
        })
        .erase_users(["user-1", "user-2"])
        .expect_err("declined");
    assert_eq!(e.kind(), BulkErrorKind::Declined);
    assert_eq!(
        *shown.lock().unwrap(),
        [("user-1".to_owned(), 2), ("user-2".to_owned(), 1)]
    );
    assert_eq!(*plans.lock().unwrap(), [3]);
    assert_eq!(mock.devices().len(), 4);
}

#[test]
fn an_erasure_refused_before_deleting_writes_no_report() {
    // The guard or a declined confirmation stops the erasure before any
    // file is opened, as it does a bulk run: its report holds nothing.
    let mock = mock();
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.jsonl");
    let guarded = client(&mock)
        .bulk_delete()
        .report(&report)
        .max_deletions(2)
        .erase_users(["user-1", "user-2"])
        .expect_err("guarded");
    assert_eq!(guarded.kind(), BulkErrorKind::Guard);
    let declined = client(&mock)
        .bulk_delete()
        .report(&report)
        .confirm(|_| false)
        .erase_users(["user-1", "user-2"])
        .expect_err("declined");
    assert_eq!(declined.kind(), BulkErrorKind::Declined);
    assert!(!report.exists(), "{:?}", std::fs::read_to_string(&report));
    assert_eq!(mock.devices().len(), 4);

    // Confirmed, the report opens with each alias's ids, then the run's.
    client(&mock)
        .bulk_delete()
        .report(&report)
        .confirm(|_| true)
        .erase_users(["user-1", "user-2"])
        .expect("erased");
    let written = lines(&report);
    assert_eq!(
        written[..2],
        [
            json!({"alias": "user-1", "registration_ids": ["a1", "b1"]}),
            json!({"alias": "user-2", "registration_ids": ["c2"]}),
        ]
    );
    assert!(
        written[2].get("registration_id").is_some(),
        "{}",
        written[2]
    );
}

#[test]
fn a_journal_resumes_the_same_aliases_and_refuses_others() {
    let mock = mock();
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("erase.journal");
    let run = |aliases: &[&str]| {
        client(&mock)
            .bulk_delete()
            .journal(&journal)
            .erase_users(aliases)
    };
    let first = run(&["user-1", "user-2"]).expect("first run");
    assert_eq!(first.summary.counts.deleted, 3);
    // EngageLab deletes asynchronously: a rerun may still see a deleted id
    // bound. The journal knows it is done, so the first pass does not send
    // it again (listed at the first lookup only: one still listed after the
    // first pass is sent once more, see the test below).
    mock.script_alias(
        "user-1",
        vec![Answer::body(200, r#"{"registration_ids":["a1"]}"#)],
    );
    let before = mock.log().len();
    let again = run(&["user-1", "user-2"]).expect("rerun");
    assert_eq!(again.summary.counts.already_done, 1);
    assert_eq!(again.summary.counts.deleted, 0);
    assert!(again.is_success());
    assert!(
        !sent(&mock)[before..]
            .iter()
            .any(|l| l.starts_with("DELETE")),
        "{:?}",
        &sent(&mock)[before..]
    );
    let e = run(&["user-2"]).expect_err("another list of aliases");
    assert_eq!(e.kind(), BulkErrorKind::JournalMismatch);
}

#[test]
fn a_second_pass_stopped_by_a_refusal_is_not_checked_again() {
    let mock = mock();
    // The device outlives its first deletion; its second is refused.
    let a1 = Answer::body(200, r#"{"registration_ids":["a1"]}"#);
    let none = Answer::body(200, r#"{"registration_ids":[]}"#);
    mock.script_alias("user-9", vec![a1.clone(), a1, none]);
    let refused = Answer::body(401, r#"{"error":{"code":21004,"message":"auth failed"}}"#);
    mock.script("a1", vec![Answer::body(200, "{}"), refused]);
    let erasure = client(&mock).erase_user("user-9").expect("erase");
    assert!(erasure.summary.stopped.is_some(), "{erasure:?}");
    // Still bound as last seen: the refusal proves nothing was erased.
    let a1 = ["a1".to_owned()];
    assert_eq!(erasure.users[0].still_bound.as_deref(), Some(&a1[..]));
    assert!(!erasure.is_success());
    let lookups = sent(&mock).iter().filter(|l| l.starts_with("GET")).count();
    assert_eq!(lookups, 2);
}

/// EngageLab deletes asynchronously: a rerun soon after may see a device the
/// first run deleted still listed, at its first lookup and at its second.
/// `ErasedUser::still_bound` and Python's README said "a rerun with the same
/// journal sends no id twice"; step 4 sends it once more ("journal or not",
/// as the top-level README and `erase_users` say): the first pass skips it,
/// the second sends it.
#[test]
fn a_rerun_with_the_same_journal_resends_an_id_still_listed_after_its_first_pass() {
    let mock = mock();
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("erase.journal");
    let run = || {
        client(&mock)
            .bulk_delete()
            .journal(&journal)
            .erase_users(["user-1"])
    };
    let first = run().expect("first run");
    assert_eq!(first.summary.counts.deleted, 2);
    assert_eq!(deletes(&mock).len(), 2);
    // Still listed at both lookups of the rerun, then gone.
    let a1 = Answer::body(200, r#"{"registration_ids":["a1"]}"#);
    let none = Answer::body(200, r#"{"registration_ids":[]}"#);
    mock.script_alias("user-1", vec![a1.clone(), a1, none]);
    let again = run().expect("rerun");
    assert_eq!(
        deletes(&mock),
        [
            "DELETE /v4/devices/a1",
            "DELETE /v4/devices/a1",
            "DELETE /v4/devices/b1"
        ],
        "the first pass skips a1 (the journal holds it as done), the second sends it"
    );
    assert!(again.is_success(), "{again:?}");
}

/// `registration_ids` is what the run set out to delete, not what it deleted
/// (as the C header, C++, Go and Java docs said): a run stopped at its first
/// DELETE lists both ids and deleted none.
#[test]
fn registration_ids_are_what_the_run_set_out_to_delete_not_what_it_deleted() {
    let mock = mock();
    let refused = Answer::body(401, r#"{"error":{"code":21004,"message":"auth failed"}}"#);
    mock.script("a1", vec![refused]);
    let erasure = client(&mock)
        .bulk_delete()
        .concurrency(1)
        .erase_users(["user-1"])
        .expect("erase");
    assert!(erasure.summary.stopped.is_some(), "{erasure:?}");
    assert_eq!(erasure.summary.counts.deleted, 0);
    assert_eq!(erasure.users[0].registration_ids, ["a1", "b1"]);
    assert_eq!(erasure.users[0].still_bound, None);
    assert_eq!(mock.devices(), ["a1", "b1", "c2", "x"]);
}

/// `erase_users` paces its lookups "within qps", and the run its deletions,
/// but each phase has a pacer of its own: the first DELETE goes out right
/// after the last lookup, and the second lookup right after the last DELETE.
/// With `qps(2)` an erasure of one user with two devices sends four requests
/// in about half a second, and a server allowing 3 a second (EngageLab limits
/// per AppKey) answers one 429.
#[test]
fn an_erasure_stays_within_qps_across_its_lookups_and_deletions() {
    use engagelab_mock::MockConfig;
    let mock = MockServer::start(MockConfig {
        devices: vec![
            Device::new("a1").with_alias("user-1"),
            Device::new("b1").with_alias("user-1"),
        ],
        rate_limit_qps: Some(3),
        ..MockConfig::default()
    })
    .expect("mock");
    let started = std::time::Instant::now();
    let erasure = client(&mock)
        .bulk_delete()
        .qps(2)
        .erase_users(["user-1"])
        .expect("erase");
    let took = started.elapsed();
    assert!(erasure.is_success(), "{erasure:?}");
    // Two lookups and two deletions, at 2 a second: no answer 429, so no
    // request sent twice.
    assert_eq!(
        sent(&mock).len(),
        4,
        "{:?} in {took:?}; rate-limited deletions: {}",
        sent(&mock),
        erasure.summary.rate_limited
    );
}
