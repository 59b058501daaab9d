//! The alias API (`GET /v4/aliases/{alias}`) over real loopback TCP.

mod common;

use common::{Conn, auth, control, once};
use engagelab_mock::{Answer, Device, MockConfig, MockServer};
use serde_json::json;

/// Two devices of `u1` (android and ios), one of `u2`, one with no platform.
fn seeded() -> MockServer {
    MockServer::start(MockConfig {
        devices: vec![
            Device::new("b1").with_alias("u1").with_platform("ios"),
            Device::new("a1").with_alias("u1").with_platform("android"),
            Device::new("c2").with_alias("u2").with_platform("hmos"),
            Device::new("d3").with_alias("u3"),
            Device::new("e0"),
        ],
        ..MockConfig::default()
    })
    .expect("mock starts")
}

fn get(server: &MockServer, target: &str) -> common::Response {
    once(server, "GET", target, &[("Authorization", &auth())], b"")
}

#[test]
fn an_alias_resolves_to_its_devices_sorted() {
    let server = seeded();
    let r = get(&server, "/v4/aliases/u1");
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({"registration_ids": ["a1", "b1"]}));
    assert_eq!(
        get(&server, "/v4/aliases/u3").json(),
        json!({"registration_ids": ["d3"]})
    );
}

#[test]
fn the_platform_query_narrows_the_lookup() {
    let server = seeded();
    let ids = |target: &str| get(&server, target).json()["registration_ids"].clone();
    assert_eq!(ids("/v4/aliases/u1?platform=android"), json!(["a1"]));
    assert_eq!(
        ids("/v4/aliases/u1?platform=ios,android"),
        json!(["a1", "b1"])
    );
    assert_eq!(ids("/v4/aliases/u1?platform=hmos"), json!([]));
    // A device of no known platform is listed only when no platform is asked.
    assert_eq!(ids("/v4/aliases/u3?platform=android,ios,hmos"), json!([]));
    let bad = get(&server, "/v4/aliases/u1?platform=web");
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["error"]["code"], 21003);
    assert_eq!(get(&server, "/v4/aliases/u1?platform=").status, 400);
}

#[test]
fn an_unknown_alias_has_no_devices() {
    let server = seeded();
    let r = get(&server, "/v4/aliases/nobody");
    assert_eq!((r.status, r.json()), (200, json!({"registration_ids": []})));
}

#[test]
fn the_alias_is_one_decoded_segment_and_needs_auth() {
    let server = seeded();
    server.add_device(Device::new("x").with_alias("a/b 用"));
    assert_eq!(
        get(&server, "/v4/aliases/a%2Fb%20%E7%94%A8").json(),
        json!({"registration_ids": ["x"]})
    );
    assert_eq!(get(&server, "/v4/aliases/a/b").status, 404);
    assert_eq!(once(&server, "GET", "/v4/aliases/u1", &[], b"").status, 401);
    let delete = once(
        &server,
        "DELETE",
        "/v4/aliases/u1",
        &[("Authorization", &auth())],
        b"",
    );
    assert_eq!((delete.status, delete.header("allow")), (405, Some("GET")));
}

#[test]
fn deleting_a_device_unbinds_it_at_once() {
    let server = seeded();
    let r = once(
        &server,
        "DELETE",
        "/v4/devices/a1",
        &[("Authorization", &auth())],
        b"",
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        get(&server, "/v4/aliases/u1").json(),
        json!({"registration_ids": ["b1"]})
    );
}

#[test]
fn alias_scripts_are_queued_apart_from_device_scripts() {
    let server = seeded();
    server.script_alias("u1", vec![Answer::status(503)]);
    let over_http = control(
        &server,
        "POST",
        "/__mock/script",
        r#"{"alias":"u1","responses":[{"status":200,"body":"{\"registration_ids\":[\"zz\"]}"}]}"#,
    );
    assert_eq!(over_http.status, 200);
    // A device scripted under the same text is another queue.
    server.script("u1", vec![Answer::status(418)]);
    let mut conn = Conn::to(&server);
    let first = conn.request("GET", "/v4/aliases/u1", &[], b"");
    assert_eq!(first.status, 503, "scripted answers skip auth");
    let second = conn.request("GET", "/v4/aliases/u1", &[], b"");
    assert_eq!(second.json(), json!({"registration_ids": ["zz"]}));
    assert_eq!(
        get(&server, "/v4/aliases/u1").json(),
        json!({"registration_ids": ["a1", "b1"]}),
        "normal behaviour resumes"
    );
    assert_eq!(get(&server, "/v4/devices/u1").status, 418);
}
