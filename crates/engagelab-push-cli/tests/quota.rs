//! `engagelab-push delete` at an exhausted quota, against engagelab-mock: a
//! long pause is announced with its reason, and a run that stays
//! rate-limited with no deletion stops, exit 1, saying why.

use engagelab_mock::{Answer, Device, MockConfig, MockServer};

mod common;
use common::{run, text};

#[test]
fn a_long_pause_is_announced_and_a_stalled_run_stops_with_exit_1() {
    let mock = MockServer::start(MockConfig {
        devices: vec![Device::new("dev-00001")],
        ..MockConfig::default()
    })
    .expect("mock starts");
    let mut limited = Answer::status(429);
    limited.headers = vec![("Retry-After".to_owned(), "3600".to_owned())];
    mock.script("dev-00001", vec![limited]);
    let out = run(
        &mock,
        &[
            "delete",
            "dev-00001",
            "--yes",
            "--stall-timeout",
            "1",
            "--json",
        ],
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("paused for 3599 s") || err.contains("paused for 3600 s"),
        "{err}"
    );
    assert!(err.contains("Retry-After"), "{err}");
    assert!(
        err.contains("rate-limited with no device deleted for 1 s"),
        "{err}"
    );
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["deleted"], 0);
    assert_eq!(s["rate_limited"], 1);
    assert!(s["stopped"].as_str().unwrap().contains("rate-limited"));
    assert_eq!(mock.devices(), ["dev-00001"]);
}
