//! Scripts, the request log, reset and config, over real loopback TCP.

mod common;

use std::io::Read;
use std::time::{Duration, Instant};

use common::{Conn, auth, control, once, start};
use engagelab_mock::{Answer, Device, MockConfig, MockServer};
use serde_json::json;

#[test]
fn scripted_answers_come_in_order_then_normal_behaviour_resumes() {
    let server = start(&["abc"]);
    let r = control(
        &server,
        "POST",
        "/__mock/script",
        r#"{"registration_id":"abc","responses":[{"status":503,"body":"{\"error\":{\"code\":27000,\"message\":\"busy\"}}"},{"status":502}]}"#,
    );
    assert_eq!((r.status, r.text().as_str()), (200, "{}"));
    server.script("abc", vec![Answer::body(500, "third")]);
    let mut conn = Conn::to(&server);
    let first = conn.authed("DELETE", "/v4/devices/abc");
    assert_eq!(first.status, 503);
    assert_eq!(first.json()["error"]["code"], 27000);
    assert_eq!(
        first.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    let second = conn.authed("DELETE", "/v4/devices/abc");
    assert_eq!(second.status, 502);
    assert!(second.body.is_empty());
    assert_eq!(second.header("content-type"), None);
    assert_eq!(conn.authed("DELETE", "/v4/devices/abc").text(), "third");
    assert_eq!(
        server.devices(),
        vec!["abc"],
        "scripted answers leave the store alone"
    );
    assert_eq!(conn.authed("DELETE", "/v4/devices/abc").status, 200);
    assert!(server.devices().is_empty());
}

#[test]
fn scripts_skip_auth_and_match_the_decoded_id() {
    let server = start(&[]);
    server.script("a/b", vec![Answer::status(204)]);
    let r = once(&server, "POST", "/v4/devices/a%2Fb", &[], b"");
    assert_eq!(r.status, 204);
    assert_eq!(
        once(&server, "POST", "/v4/devices/a%2Fb", &[], b"").status,
        401
    );
}

#[test]
fn drop_closes_without_answering() {
    let server = start(&["abc"]);
    control(
        &server,
        "POST",
        "/__mock/script",
        r#"{"registration_id":"abc","responses":[{"action":"drop"}]}"#,
    );
    let mut conn = Conn::to(&server);
    let auth = auth();
    conn.send(
        "DELETE",
        "/v4/devices/abc",
        &[("Authorization", &auth)],
        b"body",
    );
    assert!(conn.read_to_close().unwrap().is_empty());
    assert_eq!(server.log().len(), 1);
    assert_eq!(server.log()[0].body_size, 4);
    assert_eq!(
        Conn::to(&server).authed("DELETE", "/v4/devices/abc").status,
        200
    );
}

#[test]
fn reset_aborts_the_connection_with_rst() {
    let server = start(&[]);
    control(
        &server,
        "POST",
        "/__mock/script",
        r#"{"registration_id":"r","responses":[{"action":"reset"}]}"#,
    );
    let mut conn = Conn::to(&server);
    conn.send("GET", "/v4/devices/r", &[], b"");
    let err = conn
        .read_to_close()
        .expect_err("a reset, not a clean close");
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset);
    assert_eq!(server.log().len(), 1);
}

#[test]
fn garbage_writes_non_http_and_closes() {
    let server = start(&[]);
    server.script("g", vec![Answer::garbage()]);
    let mut conn = Conn::to(&server);
    conn.send("GET", "/v4/devices/g", &[], b"");
    assert_eq!(conn.read_to_close().unwrap(), b"THIS IS NOT HTTP\r\n\r\n");
}

#[test]
fn body_size_streams_exactly_that_many_bytes() {
    let server = start(&[]);
    control(
        &server,
        "POST",
        "/__mock/script",
        r#"{"registration_id":"big","responses":[{"body_size":30000000},{"body":"abc","body_size":7},{"body":"abcdef","body_size":2}]}"#,
    );
    let mut conn = Conn::to(&server);
    let big = conn.authed("GET", "/v4/devices/big");
    assert_eq!(big.header("content-length"), Some("30000000"));
    assert_eq!(big.body.len(), 30_000_000);
    assert!(big.body.iter().all(|&b| b == b'x'));
    assert_eq!(conn.authed("GET", "/v4/devices/big").text(), "abcabca");
    assert_eq!(conn.authed("GET", "/v4/devices/big").text(), "ab");
}

#[test]
fn a_client_abandoning_a_large_body_does_not_hurt_the_server() {
    let server = start(&["a"]);
    server.script(
        "big",
        vec![Answer::status(200).with_body_size(100_000_000); 3],
    );
    for _ in 0..3 {
        let mut conn = Conn::to(&server);
        conn.send("GET", "/v4/devices/big", &[], b"");
        let mut some = [0u8; 100_000];
        conn.stream().read_exact(&mut some).unwrap();
        drop(conn);
    }
    assert_eq!(Conn::to(&server).authed("GET", "/v4/devices/a").status, 200);
}

#[test]
fn scripted_headers_are_sent_as_given() {
    let server = start(&[]);
    control(
        &server,
        "POST",
        "/__mock/script",
        r#"{"registration_id":"h","responses":[{"status":429,"body":"slow down","headers":{"Retry-After":"2","Content-Type":"text/plain","X-Rate-Limit-Reset":"3"}}]}"#,
    );
    let r = Conn::to(&server).authed("GET", "/v4/devices/h");
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("2"));
    assert_eq!(r.header("x-rate-limit-reset"), Some("3"));
    assert_eq!(r.header("content-type"), Some("text/plain"));
    assert_eq!(r.text(), "slow down");
    let names: Vec<&str> = r.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        &names[..3],
        ["Retry-After", "Content-Type", "X-Rate-Limit-Reset"]
    );
}

#[test]
fn scripted_connection_close_closes() {
    let server = start(&[]);
    server.script(
        "c",
        vec![Answer::body(200, "bye").with_header("Connection", "close")],
    );
    let mut conn = Conn::to(&server);
    assert_eq!(conn.authed("GET", "/v4/devices/c").text(), "bye");
    assert!(conn.read_to_close().unwrap().is_empty());
}

#[test]
fn delay_ms_waits_before_answering() {
    let server = start(&[]);
    control(
        &server,
        "POST",
        "/__mock/script",
        r#"{"registration_id":"d","responses":[{"delay_ms":200,"status":201}]}"#,
    );
    let started = Instant::now();
    assert_eq!(Conn::to(&server).authed("GET", "/v4/devices/d").status, 201);
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[test]
fn the_log_keeps_raw_paths_headers_and_connection_ids() {
    let server = start(&["a%2Fb"]);
    let mut conn = Conn::to(&server);
    let auth = auth();
    conn.request(
        "DELETE",
        "/v4/devices/a%2Fb",
        &[("Authorization", &auth), ("X-Trace", "1")],
        b"",
    );
    conn.request(
        "GET",
        "/v4/devices/a%2Fb?x=%20",
        &[("Accept", "application/json")],
        b"",
    );
    control(&server, "GET", "/__mock/devices", "");
    Conn::to(&server).request("PUT", "/nowhere", &[], b"12");

    let r = control(&server, "GET", "/__mock/log", "");
    assert_eq!(r.status, 200);
    let log = r.json();
    let requests = log["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 3, "control requests are not logged: {log}");
    assert_eq!(
        requests[0],
        json!({
            "method": "DELETE",
            "path": "/v4/devices/a%2Fb",
            "headers": [["host", "mock"], ["authorization", auth], ["x-trace", "1"]],
            "body_size": 0,
            "connection": requests[0]["connection"],
        })
    );
    assert_eq!(requests[1]["path"], "/v4/devices/a%2Fb?x=%20");
    assert_eq!(
        requests[1]["connection"], requests[0]["connection"],
        "keep-alive reuses"
    );
    assert_eq!(requests[2]["body_size"], 2);
    assert_ne!(requests[2]["connection"], requests[0]["connection"]);
    let first = requests[0]["connection"].as_u64().unwrap();
    assert!(first >= 1);

    let typed = server.log();
    assert_eq!(typed[0].header("X-Trace"), Some("1"));
    assert_eq!(typed[2].method, "PUT");
}

#[test]
fn reset_restores_the_start() {
    let server = MockServer::start(MockConfig {
        devices: vec![Device::new("seed")],
        latency_ms: 0,
        ..MockConfig::default()
    })
    .unwrap();
    let mut conn = Conn::to(&server);
    assert_eq!(conn.authed("DELETE", "/v4/devices/seed").status, 200);
    control(
        &server,
        "POST",
        "/__mock/devices",
        r#"{"registration_id":"extra"}"#,
    );
    control(
        &server,
        "POST",
        "/__mock/script",
        r#"{"registration_id":"seed","responses":[{"status":500}]}"#,
    );
    control(
        &server,
        "POST",
        "/__mock/config",
        r#"{"latency_ms":5000,"rate_limit_qps":0}"#,
    );
    let before = server.log()[0].connection;

    let r = control(&server, "POST", "/__mock/reset", "");
    assert_eq!((r.status, r.text().as_str()), (200, "{}"));
    assert_eq!(server.devices(), vec!["seed"]);
    assert!(server.log().is_empty());
    assert_eq!(server.settings(), MockConfig::default().settings());
    let started = Instant::now();
    assert_eq!(
        conn.authed("GET", "/v4/devices/seed").status,
        200,
        "no script, no limit"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(
        server.log()[0].connection,
        before,
        "the kept-alive connection keeps its id"
    );
    Conn::to(&server).authed("GET", "/v4/devices/seed");
    assert!(
        server.log()[1].connection > before,
        "ids keep counting after reset"
    );
}

#[test]
fn devices_are_added_and_listed_over_http() {
    let server = start(&["b"]);
    let r = control(
        &server,
        "POST",
        "/__mock/devices",
        r#"{"registration_id":"a","tags":["t"],"alias":"x"}"#,
    );
    assert_eq!(r.status, 200);
    control(
        &server,
        "POST",
        "/__mock/devices",
        r#"{"registration_id":"a","tags":["u"]}"#,
    );
    let list = control(&server, "GET", "/__mock/devices", "");
    assert_eq!(list.json(), json!({"registration_ids": ["a", "b"]}));
    let a = Conn::to(&server).authed("GET", "/v4/devices/a");
    assert_eq!(a.json(), json!({"tags": ["u"], "alias": null}), "replaced");
}

#[test]
fn config_over_http_overrides_until_reset() {
    let server = start(&["a"]);
    let r = control(
        &server,
        "POST",
        "/__mock/config",
        r#"{"rate_limit_qps":1,"unknown_device":{"status":404,"body":"{\"code\":20101}"}}"#,
    );
    assert_eq!(r.status, 200);
    let mut conn = Conn::to(&server);
    assert_eq!(conn.authed("GET", "/v4/devices/nobody").status, 404);
    assert_eq!(conn.authed("GET", "/v4/devices/a").status, 429);
    control(
        &server,
        "POST",
        "/__mock/config",
        r#"{"rate_limit_qps":null}"#,
    );
    assert_eq!(conn.authed("GET", "/v4/devices/a").status, 200);
    let settings = control(&server, "GET", "/__mock/config", "").json();
    assert_eq!(settings["rate_limit_qps"], json!(null));
    assert_eq!(settings["unknown_device"]["status"], 404);
}

#[test]
fn bad_control_requests_say_what_is_wrong() {
    let server = start(&[]);
    let cases = [
        (
            "/__mock/script",
            r#"{"registration_id":"a","responses":[{"bodysize":1}]}"#,
            "bodysize",
        ),
        (
            "/__mock/script",
            r#"{"registration_id":"a","responses":[{"status":42}]}"#,
            "responses[0].status",
        ),
        (
            "/__mock/script",
            r#"{"registration_id":"a","responses":[{"action":"explode"}]}"#,
            "explode",
        ),
        (
            "/__mock/script",
            r#"{"registration_id":"a","responses":[{"headers":{"X":"a\r\nb"}}]}"#,
            "CR",
        ),
        ("/__mock/script", r#"{"responses":[]}"#, "registration_id"),
        (
            "/__mock/script",
            r#"{"registration_id":"a","alias":"u","responses":[]}"#,
            "exactly one of registration_id and alias",
        ),
        (
            "/__mock/devices",
            r#"{"registration_id":"a","platform":"web"}"#,
            "platform",
        ),
        (
            "/__mock/devices",
            r#"{"registration_id":""}"#,
            "registration_id",
        ),
        ("/__mock/devices", "", "empty"),
        ("/__mock/devices", "{", "invalid JSON"),
        ("/__mock/config", r#"{"latency_ms":-1}"#, "latency_ms"),
        (
            "/__mock/config",
            r#"{"unknown_device":{"status":1000}}"#,
            "unknown_device.status",
        ),
    ];
    for (path, body, needle) in cases {
        let r = control(&server, "POST", path, body);
        assert_eq!(r.status, 400, "{path} {body}");
        let message = r.json()["error"]["message"].as_str().unwrap().to_owned();
        assert!(
            message.contains(needle),
            "{message:?} should name {needle:?}"
        );
    }
    assert_eq!(control(&server, "DELETE", "/__mock/log", "").status, 405);
    assert_eq!(control(&server, "GET", "/__mock/nothing", "").status, 404);
}

#[test]
fn many_connections_at_once() {
    let server = start(&["a"]);
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let addr = server.addr();
            std::thread::spawn(move || {
                let mut conn = Conn::open(addr);
                (0..200).all(|_| conn.authed("GET", "/v4/devices/a").status == 200)
            })
        })
        .collect();
    for t in threads {
        assert!(t.join().unwrap());
    }
    assert_eq!(server.log().len(), 3200);
}

#[test]
fn date_offset_moves_the_date_header_until_reset() {
    let server = start(&["a"]);
    let skew = |conn: &mut Conn| {
        let r = conn.authed("GET", "/v4/devices/a");
        let date = httpdate::parse_http_date(r.header("date").expect("a Date header")).unwrap();
        let now = std::time::SystemTime::now();
        match date.duration_since(now) {
            Ok(ahead) => ahead.as_secs() as i64,
            Err(behind) => -(behind.duration().as_secs() as i64),
        }
    };
    let mut conn = Conn::to(&server);
    assert!(skew(&mut conn).abs() < 600, "no offset by default");
    let r = control(
        &server,
        "POST",
        "/__mock/config",
        r#"{"date_offset_s":-7200}"#,
    );
    assert_eq!(r.status, 200);
    // Far beyond any scheduling delay of a loaded machine, and signed.
    assert!((-7800..-6600).contains(&skew(&mut conn)));
    assert_eq!(
        control(&server, "GET", "/__mock/config", "").json()["date_offset_s"],
        -7200
    );
    let bad = control(
        &server,
        "POST",
        "/__mock/config",
        r#"{"date_offset_s":9999999999999}"#,
    );
    assert_eq!(bad.status, 400);
    assert!(bad.text().contains("date_offset_s"), "{}", bad.text());
    control(&server, "POST", "/__mock/reset", "");
    assert!(skew(&mut conn).abs() < 600);
}

#[test]
fn a_date_offset_before_1970_still_answers() {
    // The README allows "at most about 100 years either way", but a clock moved
    // before 1970 made httpdate panic in the connection thread: the device
    // was already deleted, no answer was sent, and the connection stayed open
    // (the client hung until its own timeout).
    let server = start(&["a", "b"]);
    let r = control(
        &server,
        "POST",
        "/__mock/config",
        r#"{"date_offset_s":-3000000000}"#,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let mut conn = Conn::to(&server);
    conn.stream()
        .set_read_timeout(Some(std::time::Duration::from_secs(3)))
        .unwrap();
    let r = conn.authed("GET", "/v4/devices/a");
    assert_eq!(r.status, 200, "{}", r.text());
    let date = httpdate::parse_http_date(r.header("date").expect("a Date header")).unwrap();
    assert_eq!(
        date,
        std::time::UNIX_EPOCH,
        "clamped to the earliest HTTP date"
    );
    let r = conn.authed("DELETE", "/v4/devices/b");
    assert_eq!(r.status, 200, "{}", r.text());
}

#[test]
fn idle_timeout_closes_a_kept_alive_connection_that_waits() {
    let server = start(&["a"]);
    let r = control(
        &server,
        "POST",
        "/__mock/config",
        r#"{"idle_timeout_ms":500}"#,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let mut conn = Conn::to(&server);
    assert_eq!(conn.authed("GET", "/v4/devices/a").status, 200);
    // Within the timeout the connection serves the next request.
    std::thread::sleep(Duration::from_millis(30));
    assert_eq!(conn.authed("GET", "/v4/devices/a").status, 200);
    let waited = Instant::now();
    assert!(
        conn.read_to_close().unwrap().is_empty(),
        "a close, no answer"
    );
    let took = waited.elapsed();
    assert!(
        (Duration::from_millis(300)..Duration::from_secs(3)).contains(&took),
        "{took:?}"
    );
    assert_eq!(
        control(&server, "GET", "/__mock/config", "").json()["idle_timeout_ms"],
        500
    );
    control(
        &server,
        "POST",
        "/__mock/config",
        r#"{"idle_timeout_ms":null}"#,
    );
    let mut conn = Conn::to(&server);
    conn.stream()
        .set_read_timeout(Some(Duration::from_millis(400)))
        .unwrap();
    let mut byte = [0u8; 1];
    assert!(
        conn.stream().read(&mut byte).is_err(),
        "kept open by default"
    );
}

#[test]
fn a_request_still_waiting_out_the_latency_does_not_act_after_a_reset() {
    // The bindings' suites share one mock and reset it between tests; a
    // DELETE that a timed-out test left waiting out latency_ms must not
    // delete the next test's freshly seeded device.
    let server = start(&["shared"]);
    server.set_config(engagelab_mock::ConfigUpdate {
        latency_ms: Some(600),
        ..Default::default()
    });
    let mut stale = Conn::to(&server);
    let auth = auth();
    stale.send(
        "DELETE",
        "/v4/devices/shared",
        &[("Authorization", &auth)],
        b"",
    );
    let sent = Instant::now();
    while server.log().is_empty() && sent.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(5));
    }
    server.reset();
    std::thread::sleep(Duration::from_millis(900));
    assert_eq!(
        server.devices(),
        ["shared"],
        "the next test's device survives"
    );
    assert!(server.log().is_empty());
    drop(stale);
}
