//! `engagelab-push check` against engagelab-mock in each of its variants:
//! each difference from what the library assumes is named in the output,
//! the exit code says whether the setup works, and no DELETE is ever sent.

use std::process::Output;

use engagelab_mock::{Answer, ConfigUpdate, Device, MockConfig, MockServer, UnknownDevice};
use serde_json::Value;

mod common;
use common::{cli, run, text};

fn mock() -> MockServer {
    MockServer::start(MockConfig {
        devices: vec![Device::new("dev-1").with_alias("alice")],
        ..MockConfig::default()
    })
    .expect("mock starts")
}

/// The output, after checking that the mock saw GETs only and still holds
/// its device.
fn checked(mock: &MockServer, out: Output) -> (i32, String) {
    let log = mock.log();
    assert!(!log.is_empty());
    assert!(
        log.iter().all(|r| r.method == "GET"),
        "only GETs: {:?}",
        log.iter().map(|r| &r.method).collect::<Vec<_>>()
    );
    assert!(mock.device("dev-1").is_some());
    let stdout = text(&out.stdout);
    assert!(!stdout.contains("demo-master-secret"), "{stdout}");
    (out.status.code().unwrap_or(-1), stdout + &text(&out.stderr))
}

#[test]
fn default_mock_works_with_no_difference() {
    let mock = mock();
    let (code, out) = checked(&mock, run(&mock, &["check", "--device", "dev-1"]));
    assert_eq!(code, 0, "{out}");
    for fact in [
        &format!("address:       {}", mock.addr()),
        "TLS:           none (plain HTTP)",
        "credentials:   accepted (HTTP 400, code 27002 to an unknown id)",
        "(median of 5)",
        "from this machine's clock",
        "rate limit:    no X-Rate-Limit-* header",
        "read as NOT_FOUND (as assumed)",
        "0 registration id(s)\"; read as success (as assumed)",
        "no difference from what the library assumes",
        "the setup works",
    ] {
        assert!(out.contains(fact), "{fact:?} missing from:\n{out}");
    }
    // 5 round trips on the unknown id, the alias, the device.
    assert_eq!(mock.log().len(), 7);
}

#[test]
fn an_unknown_id_answered_404_is_named() {
    let mock = mock();
    mock.set_config(ConfigUpdate {
        unknown_device: Some(UnknownDevice {
            status: 404,
            body: r#"{"error":{"code":404,"message":"not found"}}"#.to_owned(),
        }),
        ..ConfigUpdate::default()
    });
    let (code, out) = checked(&mock, run(&mock, &["check"]));
    assert_eq!(code, 0, "still NOT_FOUND, so the setup works: {out}");
    assert!(out.contains("[unknown_device_answer]"), "{out}");
    assert!(out.contains("answered HTTP 404, code 404"), "{out}");
    assert!(out.contains("NOT as assumed"), "{out}");
}

#[test]
fn a_base_url_that_is_not_the_api_checks_no_credentials() {
    let mock = mock();
    // A wrong path prefix: the mock answers 404 without EngageLab's code,
    // before looking at the credentials, as a wrong host or gateway would.
    let wrong = format!("{}/wrong-prefix", mock.base_url());
    let out = cli(&mock, &["check"])
        .env("ENGAGELAB_BASE_URL", &wrong)
        .output()
        .unwrap();
    let (code, out) = checked(&mock, out);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("credentials:   NOT CHECKED"), "{out}");
    assert!(out.contains("[not_the_api]"), "{out}");
    assert!(out.contains("the credentials were not checked"), "{out}");
    assert!(!out.contains("the setup works"), "{out}");
    let json = cli(&mock, &["check", "--json"])
        .env("ENGAGELAB_BASE_URL", &wrong)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        (v["works"].clone(), v["credentials_accepted"].clone()),
        (false.into(), false.into())
    );
}

#[test]
fn an_unknown_id_not_read_as_not_found_is_named() {
    let mock = mock();
    mock.set_config(ConfigUpdate {
        unknown_device: Some(UnknownDevice {
            status: 400,
            body: r#"{"error":{"code":21003,"message":"invalid value"}}"#.to_owned(),
        }),
        ..ConfigUpdate::default()
    });
    let (code, out) = checked(&mock, run(&mock, &["check"]));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("[unknown_device_not_found]"), "{out}");
    assert!(out.contains("read as API"), "{out}");
}

#[test]
fn rate_limit_headers_are_reported_with_their_values() {
    let mock = mock();
    mock.script(
        "dev-1",
        vec![
            Answer::body(200, r#"{"tags":[],"alias":"alice"}"#)
                .with_header("X-Rate-Limit-Limit", "500")
                .with_header("X-Rate-Limit-Remaining", "499")
                .with_header("X-Rate-Limit-Reset", "soon"),
        ],
    );
    let (code, out) = checked(&mock, run(&mock, &["check", "--device", "dev-1"]));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(
            "rate limit:    x-rate-limit-limit: 500, x-rate-limit-remaining: 499, \
             x-rate-limit-reset: soon"
        ),
        "{out}"
    );
    assert!(out.contains("[rate_limit_reset]"), "{out}");
    assert!(out.contains("\"0 tag(s), an alias\""), "{out}");
    assert!(
        !out.contains("alice"),
        "the user's alias is not shown: {out}"
    );
}

#[test]
fn a_skewed_server_clock_is_named() {
    let mock = mock();
    mock.set_config(ConfigUpdate {
        date_offset_s: Some(3600),
        ..ConfigUpdate::default()
    });
    let (code, out) = checked(&mock, run(&mock, &["check"]));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("[clock_skew]"), "{out}");
    assert!(out.contains("s ahead of this machine's"), "{out}");
}

#[test]
fn refused_credentials_exit_1_and_say_so() {
    let mock = mock();
    let out = cli(&mock, &["check"])
        .env("ENGAGELAB_MASTER_SECRET", "not-the-secret")
        .output()
        .unwrap();
    let (code, out) = checked(&mock, out);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("credentials:   REFUSED (HTTP 401, code 21004"),
        "{out}"
    );
    assert_eq!(out.matches("[credentials_refused]").count(), 1, "{out}");
    assert!(
        out.contains("the credentials or the region are refused"),
        "{out}"
    );
    assert!(!out.contains("not-the-secret"), "{out}");
}

#[test]
fn a_known_device_not_found_exits_1() {
    let mock = mock();
    let (code, out) = checked(&mock, run(&mock, &["check", "--device", "gone"]));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("[device_answer]"), "{out}");
}

#[test]
fn usage_errors_exit_2_and_send_nothing() {
    let mock = mock();
    for (args, var) in [
        (&["check", "--bogus"][..], None),
        (&["check", "--device", "a b"][..], None),
        (
            &["check", "--all-regions"][..],
            Some("mars=http://127.0.0.1:1"),
        ),
        (&["check", "--all-regions"][..], Some("sgp")),
    ] {
        let mut c = cli(&mock, args);
        if let Some(v) = var {
            c.env("ENGAGELAB_CHECK_REGION_URLS", v);
        }
        let out = c.output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?} {var:?}: {out:?}");
    }
    assert!(mock.log().is_empty(), "{:?}", mock.log());
}

#[test]
fn json_output_holds_every_fact() {
    let mock = mock();
    let (code, out) = checked(&mock, run(&mock, &["check", "--json", "--device", "dev-1"]));
    assert_eq!(code, 0, "{out}");
    let v: Value = serde_json::from_str(out.trim()).expect("one JSON object");
    assert_eq!(v["works"], true);
    assert_eq!(v["credentials_accepted"], true);
    assert_eq!(v["base_url"], mock.base_url());
    assert_eq!(v["address"], mock.addr().to_string());
    assert_eq!(v["tls_version"], Value::Null);
    assert_eq!(v["rtts_ms"].as_array().unwrap().len(), 5);
    assert!(v["rtt_ms"].as_f64().unwrap() > 0.0);
    assert!(v["clock_skew_s"].as_i64().unwrap().abs() <= 30);
    assert_eq!(v["findings"], Value::Array(vec![]));
    let probes = v["probes"].as_array().unwrap();
    assert_eq!(probes.len(), 3);
    assert_eq!(probes[0]["kind"], "unknown_device");
    assert_eq!(probes[0]["http_status"], 400);
    assert_eq!(probes[0]["api_code"], 27002);
    assert_eq!(probes[0]["classification"], "NOT_FOUND");
    assert_eq!(probes[1]["kind"], "unknown_alias");
    assert_eq!(probes[1]["http_status"], 200);
    assert_eq!(probes[2]["kind"], "device");
    assert_eq!(probes[2]["as_expected"], true);
}

#[test]
fn all_regions_says_which_region_accepts_the_credentials() {
    let ours = mock();
    let theirs = MockServer::start(MockConfig {
        app_key: "another-app-key".to_owned(),
        ..MockConfig::default()
    })
    .expect("mock starts");
    let urls = ["sgp", "usva", "defra", "hk", "jpn", "bra"]
        .iter()
        .map(|r| {
            let url = if *r == "hk" {
                ours.base_url()
            } else {
                theirs.base_url()
            };
            format!("{r}={url}")
        })
        .collect::<Vec<_>>()
        .join(",");
    let out = cli(&ours, &["check", "--all-regions"])
        .env("ENGAGELAB_CHECK_REGION_URLS", &urls)
        .output()
        .unwrap();
    let (code, out) = checked(&ours, out);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("accepted by: hk\n"), "{out}");
    assert_eq!(out.matches("credentials refused").count(), 5, "{out}");
    assert!(theirs.log().iter().all(|r| r.method == "GET"));

    let out = cli(&ours, &["check", "--all-regions", "--json"])
        .env("ENGAGELAB_CHECK_REGION_URLS", &urls)
        .output()
        .unwrap();
    let (_, out) = checked(&ours, out);
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    let regions = v["regions"].as_array().unwrap();
    assert_eq!(regions.len(), 6);
    let accepted: Vec<&str> = regions
        .iter()
        .filter(|r| r["credentials_accepted"] == true)
        .map(|r| r["region"].as_str().unwrap())
        .collect();
    assert_eq!(accepted, ["hk"]);
}

/// A region whose host answered, but not as EngageLab's API (a wrong path:
/// 404 before the credentials are read), did not refuse the credentials: it
/// did not check them. `--all-regions` used to print "credentials refused"
/// for it, sending the operator after the Master Secret.
#[test]
fn all_regions_does_not_call_an_unchecked_region_refused() {
    let ours = mock();
    let urls = ["sgp", "usva", "defra", "hk", "jpn", "bra"]
        .iter()
        .map(|r| {
            let url = if *r == "hk" {
                ours.base_url().to_owned()
            } else {
                format!("{}/not-the-api", ours.base_url())
            };
            format!("{r}={url}")
        })
        .collect::<Vec<_>>()
        .join(",");
    let out = cli(&ours, &["check", "--all-regions"])
        .env("ENGAGELAB_CHECK_REGION_URLS", &urls)
        .output()
        .unwrap();
    let (code, out) = checked(&ours, out);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("accepted by: hk\n"), "{out}");
    assert_eq!(out.matches("credentials refused").count(), 0, "{out}");
    assert_eq!(out.matches("credentials not checked").count(), 5, "{out}");

    let out = cli(&ours, &["check", "--all-regions", "--json"])
        .env("ENGAGELAB_CHECK_REGION_URLS", &urls)
        .output()
        .unwrap();
    let (_, out) = checked(&ours, out);
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    for r in v["regions"].as_array().unwrap() {
        assert_eq!(r["credentials_refused"], false, "{r}");
    }
}

/// With `--json`, a check that got no answer at all (nothing listens) still
/// prints one JSON object saying so, for a script that reads it; exit 1.
#[test]
fn json_output_when_no_answer_came_says_so() {
    let mock = mock();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let out = cli(&mock, &["check", "--json", "--timeout", "2"])
        .env("ENGAGELAB_BASE_URL", &url)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let v: Value = serde_json::from_str(stdout.trim()).expect(&stdout);
    assert_eq!(v["works"], false);
    assert_eq!(v["credentials_accepted"], false);
    assert_eq!(v["error"]["kind"], "NETWORK", "{v}");
    // The core's error fields, as a report writes them; the line standard
    // error shows, naming the target, beside them.
    assert!(v["error"]["attempts"].as_u64().unwrap() >= 1, "{v}");
    assert_eq!(v["error"]["maybe_deleted"], false, "{v}");
    assert!(v["message"].as_str().unwrap().contains(&url), "{v}");
    assert!(text(&out.stderr).contains("error:"));
    assert!(mock.log().is_empty());
}

/// A loopback server answering every request with `status` and `body`
/// (JSON); returns its base URL.
fn answering_everything(status: u16, body: &'static str) -> String {
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut writer = stream;
                loop {
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                    }
                    let answer = format!(
                        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n\
                         Content-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if writer.write_all(answer.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    url
}

/// An API that answers every probe 503 (code 27000) or 429 (code 23008)
/// judged nothing: the check says so (`api_unavailable`, retry later) and
/// exits 1, never "the setup works", and files no lasting difference.
#[test]
fn a_check_answered_only_by_server_errors_does_not_say_the_setup_works() {
    let mock = mock();
    for (status, body) in [
        (503, r#"{"error":{"code":27000,"message":"busy"}}"#),
        (
            429,
            r#"{"error":{"code":23008,"message":"too many requests"}}"#,
        ),
    ] {
        let out = cli(&mock, &["check"])
            .env("ENGAGELAB_BASE_URL", answering_everything(status, body))
            .output()
            .unwrap();
        let all = text(&out.stdout) + &text(&out.stderr);
        assert!(!all.contains("the setup works"), "{status}: {all}");
        assert_eq!(out.status.code(), Some(1), "{status}: {all}");
        assert!(all.contains("[api_unavailable]"), "{status}: {all}");
        assert!(
            all.contains("busy or limiting; retry later"),
            "{status}: {all}"
        );
        assert!(!all.contains("unknown_device_not_found"), "{status}: {all}");
        assert!(!all.contains("[not_the_api]"), "{status}: {all}");
    }
}
