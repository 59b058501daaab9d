//! Runs every shared scenario of `tests/contract/scenarios/delete_device.json`,
//! `tests/contract/scenarios/get_device.json` and `tests/contract/scenarios/get_alias.json`
//! against a real `engagelab-mock` on loopback, one fresh server per scenario
//! and one test per scenario, named after it:
//!
//!     cargo test -p engagelab-push --test scenarios -- deletes_known_device
//!     cargo test -p engagelab-push --test scenarios -- gets_tags_and_alias
//!     cargo test -p engagelab-push --test scenarios -- resolves_alias_to_its_devices
//!
//! The files are validated against `tests/contract/scenarios/schema.json` once,
//! by `cargo xtask lint` (crates/contract-check/src/contract.rs): this runner reads
//! them as they are.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use engagelab_mock::{Answer, Device as Seed, MockConfig, MockServer};
use engagelab_push::{Client, Device, Error, Platform, Region};
use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;

/// The scenario files, and the fewest scenarios each must hold (a file that
/// lost scenarios fails the run).
const FILES: [(&str, usize); 3] = [
    ("delete_device.json", 40),
    ("get_device.json", 30),
    ("get_alias.json", 40),
];

/// What a successful call returned.
enum Got {
    Deleted,
    Device(Device),
    Ids(Vec<String>),
}

fn load(file: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/contract/scenarios")
        .join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn ms(v: &Value) -> Duration {
    Duration::from_millis(v.as_u64().expect("milliseconds are integers"))
}

/// Builds the client a scenario describes, with the suite's fast backoff.
fn build_client(creds: &Value, settings: &Value, mock_url: &str) -> Result<Client, Error> {
    let s = |k: &str| settings.get(k);
    let text = |k: &str, default: &str| s(k).and_then(Value::as_str).unwrap_or(default).to_owned();
    let mut b = Client::builder(
        text("app_key", creds["app_key"].as_str().unwrap()),
        text("master_secret", creds["master_secret"].as_str().unwrap()),
    );
    if let Some(region) = s("region").and_then(Value::as_str) {
        b = b.region(region.parse::<Region>()?);
    } else {
        b = b.base_url(text("base_url", "{mock}").replace("{mock}", mock_url));
    }
    if let Some(v) = s("timeout_ms") {
        b = b.timeout(ms(v));
    }
    if let Some(v) = s("connect_timeout_ms") {
        b = b.connect_timeout(ms(v));
    }
    if let Some(v) = s("max_retries") {
        b = b.max_retries(v.as_u64().unwrap() as u32);
    }
    let base = s("backoff_base_ms")
        .map(ms)
        .unwrap_or(Duration::from_millis(1));
    let max = s("backoff_max_ms")
        .map(ms)
        .unwrap_or(Duration::from_millis(20));
    b = b.backoff(base, max);
    if let Some(v) = s("max_retry_after_ms") {
        b = b.max_retry_after(ms(v));
    }
    if let Some(v) = s("allow_insecure_http") {
        b = b.allow_insecure_http(v.as_bool().unwrap());
    }
    b.build()
}

fn opt_u64(v: &Value) -> Option<u64> {
    v.as_u64()
}

/// What a check of a scenario's outcome reports: the field, whether it
/// matched, and what was seen instead.
type Check<'a> = &'a mut dyn FnMut(&str, bool, String);

/// Runs one scenario; returns what did not match.
fn run(creds: &Value, sc: &Value) -> Vec<String> {
    let mock = MockServer::start(MockConfig::default()).expect("mock starts");
    let call = sc
        .get("call")
        .and_then(Value::as_str)
        .unwrap_or("delete_device");
    let input = sc
        .get("registration_id")
        .or_else(|| sc.get("alias"))
        .and_then(Value::as_str)
        .unwrap();
    seed(&mock, sc, call, input);
    let started = Instant::now();
    let (result, client_debug) = make_call(creds, sc, call, input, mock.base_url());
    let elapsed = started.elapsed();
    let expect = &sc["expect"];
    let mut bad = Vec::new();
    let check: Check<'_> = &mut |what: &str, ok: bool, detail: String| {
        if !ok {
            bad.push(format!("{what}: {detail}"));
        }
    };
    match &result {
        Ok(got) => check_success(got, expect, input, check),
        Err(e) => check_error(e, expect, check),
    }
    check_no_secret(&result, client_debug, expect, check);
    let log = mock.log();
    check_attempts(&result, &log, sc, expect, check);
    check_requests(&log, expect, check);
    check_devices(&mock, expect, check);
    if let Some(v) = expect.get("min_elapsed_ms") {
        check(
            "min_elapsed_ms",
            elapsed >= ms(v),
            format!("returned after {elapsed:?}"),
        );
    }
    bad
}

/// Seeds the mock with the scenario's devices and scripted answers.
fn seed(mock: &MockServer, sc: &Value, call: &str, input: &str) {
    for seed in sc["devices"].as_array().into_iter().flatten() {
        // A bare id, or an object with the mock's own fields.
        let device = match seed.as_str() {
            Some(id) => Seed::new(id),
            None => serde_json::from_value(seed.clone()).expect("device seed parses"),
        };
        mock.add_device(device);
    }
    if let Some(script) = sc.get("script") {
        let answers: Vec<Answer> =
            serde_json::from_value(script.clone()).expect("script answers parse");
        let key = sc.get("script_id").and_then(Value::as_str).unwrap_or(input);
        match call {
            "get_alias" => mock.script_alias(key, answers),
            _ => mock.script(key, answers),
        }
    }
}

/// Builds the scenario's client and makes its call: the outcome, and the
/// client's `Debug` and `Display` (to look for secrets in).
fn make_call(
    creds: &Value,
    sc: &Value,
    call: &str,
    input: &str,
    mock_url: &str,
) -> (Result<Got, Error>, String) {
    let platforms: Vec<&str> = sc["platforms"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let null = Value::Null;
    let settings = sc.get("client").unwrap_or(&null);
    let mut client_debug = String::new();
    let result: Result<Got, Error> = build_client(creds, settings, mock_url).and_then(|c| {
        client_debug = format!("{c:?} {c}");
        match call {
            "get_device" => c.get_device(input).map(Got::Device),
            "get_alias" => {
                let platforms = platforms
                    .iter()
                    .map(|p| p.parse::<Platform>())
                    .collect::<Result<Vec<_>, _>>()?;
                c.get_alias(input, &platforms).map(Got::Ids)
            }
            _ => c.delete_device(input).map(|()| Got::Deleted),
        }
    });
    (result, client_debug)
}

/// Checks a success against `expect`.
fn check_success(got: &Got, expect: &Value, input: &str, check: Check<'_>) {
    let want_status = expect["status"].as_str().unwrap();
    check(
        "status",
        want_status == "OK",
        format!("got OK, want {want_status}"),
    );
    if let Got::Device(device) = got {
        check(
            "device registration_id",
            device.registration_id() == input,
            format!("got {:?}", device.registration_id()),
        );
    }
    // The schema keeps device to get_device and registration_ids to
    // get_alias, and both to a success.
    if let (Some(want), Got::Device(device)) = (expect.get("device"), got) {
        check_device(device, want, check);
    }
    if let (Some(want), Got::Ids(ids)) = (expect.get("registration_ids"), got) {
        let want = strings(want);
        check(
            "registration_ids",
            *ids == want,
            format!("got {ids:?}, want {want:?}"),
        );
    }
}

/// Checks an error against `expect`.
fn check_error(e: &Error, expect: &Value, check: Check<'_>) {
    let want_status = expect["status"].as_str().unwrap();
    let got = e.kind().name();
    check(
        "status",
        got == want_status,
        format!("got {got} ({e}), want {want_status}"),
    );
    if let Some(v) = expect.get("http_status") {
        let want = opt_u64(v);
        check(
            "http_status",
            e.http_status().map(u64::from) == want,
            format!("got {:?}, want {want:?}", e.http_status()),
        );
    }
    if let Some(v) = expect.get("api_code") {
        let want = v.as_i64();
        check(
            "api_code",
            e.api_code() == want,
            format!("got {:?}, want {want:?}", e.api_code()),
        );
    }
    if let Some(v) = expect.get("maybe_deleted") {
        let want = v.as_bool().unwrap();
        check(
            "maybe_deleted",
            e.maybe_deleted() == want,
            format!("got {}, want {want}", e.maybe_deleted()),
        );
    }
    if let Some(v) = expect.get("retry_after_ms") {
        let got = e.retry_after().map(|d| d.as_millis() as u64);
        let want = opt_u64(v);
        // A hint counted down from a date may lose a little; seconds hints are exact.
        check(
            "retry_after_ms",
            got == want,
            format!("got {got:?}, want {want:?}"),
        );
    }
    for s in expect["message_contains"].as_array().into_iter().flatten() {
        let s = s.as_str().unwrap();
        check(
            "message_contains",
            e.message().contains(s),
            format!("{s:?} not in {:?}", e.message()),
        );
    }
}

/// Checks that no text shown (the client's `Debug`, the error's texts)
/// holds what `expect.message_excludes` lists.
fn check_no_secret(
    result: &Result<Got, Error>,
    client_debug: String,
    expect: &Value,
    check: Check<'_>,
) {
    // Secrets must show nowhere: not in the client's Debug, nor in any text of
    // the error if there is one.
    let mut texts = vec![client_debug];
    if let Err(e) = result {
        texts.extend([e.message().to_owned(), e.to_string(), format!("{e:?}")]);
    }
    for s in expect["message_excludes"].as_array().into_iter().flatten() {
        let s = s.as_str().unwrap();
        for t in &texts {
            check(
                "message_excludes",
                !t.contains(s),
                format!("{s:?} shown in {t:?}"),
            );
        }
    }
}

/// Checks the attempts the call reported, or the server saw.
fn check_attempts(
    result: &Result<Got, Error>,
    log: &[engagelab_mock::LoggedRequest],
    sc: &Value,
    expect: &Value,
    check: Check<'_>,
) {
    let attempts = match result {
        Ok(_) => None,
        Err(e) => Some(e.attempts()),
    };
    if let Some(v) = expect.get("attempts") {
        let want = v.as_u64().unwrap() as usize;
        match attempts {
            Some(got) => check(
                "attempts",
                got as usize == want,
                format!("got {got}, want {want}"),
            ),
            None => check(
                "attempts",
                log.len() == want,
                format!("server saw {}, want {want}", log.len()),
            ),
        }
        if sc["client"]
            .get("base_url")
            .and_then(Value::as_str)
            .is_none_or(|u| u.contains("{mock}"))
        {
            check(
                "requests seen",
                log.len() == want,
                format!("server saw {}, want {want}", log.len()),
            );
        }
    }
    if let Some(v) = expect.get("attempts_at_least") {
        let want = v.as_u64().unwrap() as u32;
        let got = attempts.unwrap_or(log.len() as u32);
        check(
            "attempts_at_least",
            got >= want,
            format!("got {got}, want at least {want}"),
        );
    }
}

/// Checks the requests the server saw against `expect.requests`.
fn check_requests(log: &[engagelab_mock::LoggedRequest], expect: &Value, check: Check<'_>) {
    if let Some(reqs) = expect.get("requests").and_then(Value::as_array) {
        check(
            "requests",
            log.len() == reqs.len(),
            format!("server saw {} requests, want {}", log.len(), reqs.len()),
        );
        for (got, want) in log.iter().zip(reqs) {
            check(
                "request method",
                got.method == want["method"].as_str().unwrap(),
                format!("got {}", got.method),
            );
            check(
                "request path",
                got.path == want["path"].as_str().unwrap(),
                format!("got {}, want {}", got.path, want["path"]),
            );
            if let Some(headers) = want.get("headers").and_then(Value::as_object) {
                for (name, value) in headers {
                    let have = got.header(name);
                    check(
                        "request header",
                        have == value.as_str(),
                        format!("{name}: got {have:?}, want {value}"),
                    );
                }
            }
            if let Some(size) = want.get("body_size").and_then(Value::as_u64) {
                check(
                    "request body_size",
                    got.body_size == size,
                    format!("got {}", got.body_size),
                );
            }
        }
    }
}

/// Checks which devices remain on the mock.
fn check_devices(mock: &MockServer, expect: &Value, check: Check<'_>) {
    let devices = mock.devices();
    for id in expect["device_remains"].as_array().into_iter().flatten() {
        check(
            "device_remains",
            devices.iter().any(|d| d == id.as_str().unwrap()),
            format!("{id} is gone"),
        );
    }
    for id in expect["device_gone"].as_array().into_iter().flatten() {
        check(
            "device_gone",
            !devices.iter().any(|d| d == id.as_str().unwrap()),
            format!("{id} is still there"),
        );
    }
}

/// Checks the device a `get_device` returned against `expect.device`.
/// A JSON array of strings, as `&str`s.
fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect()
}

fn check_device(device: &Device, want: &Value, check: Check<'_>) {
    if let Some(tags) = want.get("tags") {
        let tags = strings(tags);
        check(
            "device tags",
            device.tags() == tags.as_slice(),
            format!("got {:?}, want {tags:?}", device.tags()),
        );
    }
    if let Some(alias) = want.get("alias") {
        check(
            "device alias",
            device.alias() == alias.as_str(),
            format!("got {:?}, want {alias}", device.alias()),
        );
    }
    if let Some(raw) = want.get("raw") {
        let got = Value::Object(device.raw().clone());
        check("device raw", &got == raw, format!("got {got}, want {raw}"));
    }
    if let Some(raw_json) = want.get("raw_json").and_then(Value::as_str) {
        check(
            "device raw_json",
            device.raw_json() == raw_json,
            format!("got {:?}, want {raw_json:?}", device.raw_json()),
        );
    }
}

/// A failing test's message from what did not match.
fn outcome(bad: Vec<String>) -> Result<(), Failed> {
    if bad.is_empty() {
        Ok(())
    } else {
        Err(format!("{} mismatches:\n{}", bad.len(), bad.join("\n")).into())
    }
}

fn main() -> ExitCode {
    let mut args = Arguments::from_args();
    // Scenarios are independent (one server each) and mostly wait: run a few at once.
    args.test_threads.get_or_insert(4);
    let docs: Vec<Value> = FILES.iter().map(|(file, _)| load(file)).collect();
    let mut trials = Vec::new();
    for ((file, fewest), doc) in FILES.iter().zip(&docs) {
        let all = doc["scenarios"].as_array().expect("scenarios list");
        if all.len() < *fewest {
            eprintln!(
                "tests/contract/scenarios/{file} lost scenarios: {} left",
                all.len()
            );
            return ExitCode::FAILURE;
        }
        for sc in all {
            let creds = doc["credentials"].clone();
            let sc = sc.clone();
            let name = sc["name"].as_str().unwrap().to_owned();
            trials.push(Trial::test(name, move || outcome(run(&creds, &sc))));
        }
    }
    libtest_mimic::run(&args, trials).exit_code()
}
