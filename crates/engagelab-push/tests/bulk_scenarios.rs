//! Runs every scenario of `tests/contract/scenarios/bulk.json` (the bulk engine and
//! user erasure: `bulk_delete().run(..)`, `erase_users`, with `confirm`,
//! `on_progress` and `on_resolved`) against a real `engagelab-mock` on
//! loopback, one fresh server per scenario and one test per scenario:
//!
//!     cargo test -p engagelab-push --test bulk_scenarios -- bulk_guard_refuses_and_sends_nothing
//!
//! The file is validated against `tests/contract/scenarios/bulk_schema.json`
//! once, by `cargo xtask lint`; this runner reads it as it is.
//! The C, Python, Go, Node.js and Java runners run the same file.

use engagelab_mock::{DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;

use engagelab_mock::{Answer, Device as Seed, MockConfig, MockServer};
use engagelab_push::{
    BulkErrorKind, BulkInput, BulkSummary, CancelToken, Client, ErasedUser, Plan, Progress,
};
use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::{Value, json};

fn load(file: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/contract/scenarios")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

/// The JSON lines of `path` from line `from` on, and its line count.
fn lines(path: &Path, from: usize) -> (Vec<Value>, usize) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    let parsed = all[from.min(all.len())..]
        .iter()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    (parsed, all.len())
}

/// A multiset of strings, as sorted counts.
fn multiset(items: impl IntoIterator<Item = String>) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for i in items {
        *m.entry(i).or_insert(0) += 1;
    }
    m
}

fn summary_json(s: &BulkSummary) -> Value {
    let mut v = s.to_json();
    v["stopped"] = json!(s.stopped.is_some());
    v
}

/// Runs one scenario; returns what did not match.
fn run(sc: &Value) -> Vec<String> {
    let mock = MockServer::start(MockConfig::default()).expect("mock starts");
    for seed in sc["devices"].as_array().into_iter().flatten() {
        let device = match seed.as_str() {
            Some(id) => Seed::new(id),
            None => serde_json::from_value(seed.clone()).expect("device seed parses"),
        };
        mock.add_device(device);
    }
    for script in sc["scripts"].as_array().into_iter().flatten() {
        let answers: Vec<Answer> =
            serde_json::from_value(script["responses"].clone()).expect("answers parse");
        match (script["registration_id"].as_str(), script["alias"].as_str()) {
            (Some(id), _) => mock.script(id, answers),
            (_, Some(alias)) => mock.script_alias(alias, answers),
            _ => panic!("a script without registration_id or alias"),
        }
    }
    let client = Client::builder(DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET)
        .base_url(mock.base_url())
        .backoff(
            std::time::Duration::from_millis(1),
            std::time::Duration::from_millis(20),
        )
        .build()
        .expect("client builds");
    let dir = tempfile::tempdir().expect("temp dir");
    let (journal, backup, report) = (
        dir.path().join("journal"),
        dir.path().join("backup.jsonl"),
        dir.path().join("report.jsonl"),
    );
    let (mut report_seen, mut backup_seen) = (0, 0);
    let mut bad = Vec::new();
    let call = sc["call"].as_str().unwrap_or("");
    for (index, r) in sc["runs"].as_array().into_iter().flatten().enumerate() {
        let mut fail = |m: String| bad.push(format!("run {}: {m}", index + 1));
        let expect = &r["expect"];
        let settings = &r["settings"];
        let log_before = mock.log().len();
        let token = CancelToken::new();
        let plans = Mutex::new(Vec::<Plan>::new());
        let resolved = Mutex::new(Vec::<Value>::new());
        let mut b = client.bulk_delete().cancel(token.clone());
        if let Some(n) = settings["qps"].as_u64() {
            b = b.qps(n as u32);
        }
        if let Some(n) = settings["concurrency"].as_u64() {
            b = b.concurrency(n as usize);
        }
        if let Some(n) = settings["max_deletions"].as_u64() {
            b = b.max_deletions(n);
        }
        b = b.dry_run(settings["dry_run"].as_bool().unwrap_or(false));
        if settings["journal"] == json!(true) {
            b = b.journal(&journal);
        }
        if settings["backup"] == json!(true) {
            b = b.backup(&backup);
        }
        if settings["report"] == json!(true) {
            b = b.report(&report);
        }
        let when = r["cancel_when_done"].as_u64();
        let progress_token = token.clone();
        let mut b = b.on_progress(move |p: &Progress| {
            if when.is_some_and(|n| p.done >= n) {
                progress_token.cancel();
            }
        });
        if let Some(how) = r["confirm"].as_str() {
            let (plans, token) = (&plans, token.clone());
            b = b.confirm(move |plan: &Plan| {
                plans.lock().unwrap().push(*plan);
                if how == "cancel" {
                    token.cancel();
                }
                how != "decline"
            });
        }
        let outcome = match call {
            "erase_users" => {
                let aliases: Vec<String> = r["input"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|a| a.as_str().map(str::to_owned))
                    .collect();
                let resolved = &resolved;
                b.on_resolved(move |u: &ErasedUser| {
                    resolved
                        .lock()
                        .unwrap()
                        .push(json!({"alias": u.alias, "registration_ids": u.registration_ids}));
                })
                .erase_users(aliases)
                .map(|e| (e.summary.clone(), Some(e)))
            }
            "delete_devices_from_file" => {
                let path = match r["input"].as_array() {
                    Some(items) => {
                        let path = dir.path().join("input.txt");
                        let text: String = items
                            .iter()
                            .map(|l| format!("{}\n", l.as_str().unwrap_or("")))
                            .collect();
                        std::fs::write(&path, text).expect("input written");
                        path
                    }
                    None => dir.path().join("no-such-file.txt"),
                };
                b.run(BulkInput::file(path)).map(|s| (s, None))
            }
            _ => {
                let ids: Vec<String> = r["input"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|a| a.as_str().map(str::to_owned))
                    .collect();
                b.run(BulkInput::ids(ids)).map(|s| (s, None))
            }
        };
        let want_status = expect["status"].as_str().unwrap_or("OK");
        let want_error = expect["error"].as_str();
        let (summary, erasure) = match outcome {
            Ok(done) => {
                if want_status != "OK" {
                    fail(format!(
                        "expected {want_status} ({want_error:?}), got success"
                    ));
                }
                (Some(done.0), done.1)
            }
            Err(e) => {
                let status = match (e.kind(), e.error()) {
                    (BulkErrorKind::Lookup, Some(cause)) => cause.kind().name(),
                    _ => "INVALID_ARGUMENT",
                };
                if status != want_status || Some(e.kind().name()) != want_error {
                    fail(format!(
                        "expected {want_status} ({want_error:?}), got {status} ({}): {e}",
                        e.kind().name()
                    ));
                }
                for part in expect["message_contains"].as_array().into_iter().flatten() {
                    if !e.message().contains(part.as_str().unwrap_or("")) {
                        fail(format!("message {:?} lacks {part}", e.message()));
                    }
                }
                (e.summary().cloned(), None)
            }
        };
        if let Some(want) = expect.get("plan") {
            let plans = plans.lock().unwrap();
            match plans.as_slice() {
                [p] => {
                    let got = json!({"entries": p.entries, "ids": p.ids, "dry_run": p.dry_run});
                    for (k, v) in want.as_object().into_iter().flatten() {
                        if &got[k] != v {
                            fail(format!("plan.{k}: expected {v}, got {}", got[k]));
                        }
                    }
                }
                other => fail(format!("confirm was called {} times", other.len())),
            }
        }
        if let Some(want) = expect.get("summary") {
            let got = summary.as_ref().map(summary_json).unwrap_or(Value::Null);
            for (k, v) in want.as_object().into_iter().flatten() {
                if &got[k] != v {
                    fail(format!("summary.{k}: expected {v}, got {}", got[k]));
                }
            }
        }
        let (got_report, n) = lines(&report, report_seen);
        report_seen = n;
        if let Some(want) = expect["report"].as_array() {
            let want = multiset(
                want.iter()
                    .map(|l| format!("{} {}", l["registration_id"], l["outcome"])),
            );
            let got = multiset(
                got_report
                    .iter()
                    .filter(|l| l.get("outcome").is_some())
                    .map(|l| format!("{} {}", l["registration_id"], l["outcome"])),
            );
            if want != got {
                fail(format!("report: expected {want:?}, got {got:?}"));
            }
        }
        let (got_backup, n) = lines(&backup, backup_seen);
        backup_seen = n;
        if let Some(want) = expect["backup"].as_array() {
            let want = multiset(want.iter().map(|v| v.to_string()));
            let got = multiset(got_backup.iter().map(|l| l["registration_id"].to_string()));
            if want != got {
                fail(format!("backup: expected {want:?}, got {got:?}"));
            }
        }
        if let Some(want) = expect["requests"].as_array() {
            let want = multiset(
                want.iter()
                    .map(|r| format!("{} {}", r["method"], r["path"])),
            );
            let got = multiset(
                mock.log()[log_before..]
                    .iter()
                    .map(|r| format!("{} {}", json!(r.method), json!(r.path))),
            );
            if want != got {
                fail(format!("requests: expected {want:?}, got {got:?}"));
            }
        }
        if let Some(want) = expect.get("resolved") {
            let got = Value::Array(resolved.lock().unwrap().clone());
            if &got != want {
                fail(format!("resolved: expected {want}, got {got}"));
            }
        }
        if let Some(want) = expect.get("users") {
            let got: Vec<Value> = erasure
                .iter()
                .flat_map(|e| &e.users)
                .map(|u| {
                    json!({"alias": u.alias, "registration_ids": u.registration_ids,
                           "still_bound": u.still_bound})
                })
                .collect();
            if &Value::Array(got.clone()) != want {
                fail(format!("users: expected {want}, got {got:?}"));
            }
        }
        if let Some(want) = expect["is_success"].as_bool()
            && erasure.as_ref().map(|e| e.is_success()) != Some(want)
        {
            fail(format!("is_success: expected {want}"));
        }
        let store: HashSet<String> = mock.devices().into_iter().collect();
        for id in expect["device_remains"].as_array().into_iter().flatten() {
            if !store.contains(id.as_str().unwrap_or("")) {
                fail(format!("{id} should remain"));
            }
        }
        for id in expect["device_gone"].as_array().into_iter().flatten() {
            if store.contains(id.as_str().unwrap_or("")) {
                fail(format!("{id} should be gone"));
            }
        }
    }
    bad
}

fn main() -> ExitCode {
    let mut args = Arguments::from_args();
    args.test_threads.get_or_insert(4);
    let doc = load("bulk.json");
    let mut trials = Vec::new();
    for sc in doc["scenarios"].as_array().expect("scenarios list") {
        let sc = sc.clone();
        let name = sc["name"].as_str().unwrap().to_owned();
        trials.push(Trial::test(name, move || {
            let bad = run(&sc);
            if bad.is_empty() {
                Ok(())
            } else {
                Err(Failed::from(bad.join("\n")))
            }
        }));
    }
    libtest_mimic::run(&args, trials).exit_code()
}
