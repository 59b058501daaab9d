//! The device API over real loopback TCP.

mod common;

use std::time::{Duration, Instant};

use common::{Conn, auth, basic, once, start};
use engagelab_mock::{
    ConfigUpdate, DEFAULT_APP_KEY, Device, MockConfig, MockServer, UnknownDevice,
};
use serde_json::json;

#[test]
fn missing_or_wrong_credentials_give_401() {
    let server = start(&["abc"]);
    let missing = once(&server, "DELETE", "/v4/devices/abc", &[], b"");
    assert_eq!(missing.status, 401);
    assert_eq!(
        missing.json(),
        json!({"error": {"code": 21004, "message": "authentication failed"}})
    );
    let wrong = basic(DEFAULT_APP_KEY, "nope");
    let wrong = once(
        &server,
        "DELETE",
        "/v4/devices/abc",
        &[("Authorization", &wrong)],
        b"",
    );
    assert_eq!(wrong.status, 401);
    let bearer = once(
        &server,
        "GET",
        "/v4/devices/abc",
        &[("Authorization", "Bearer x")],
        b"",
    );
    assert_eq!(bearer.status, 401);
    assert_eq!(server.devices(), vec!["abc"]);
}

#[test]
fn custom_credentials_are_checked() {
    let server = MockServer::start(MockConfig {
        app_key: "k".into(),
        master_secret: "s:with:colons".into(),
        devices: vec![Device::new("d")],
        ..MockConfig::default()
    })
    .unwrap();
    let good = basic("k", "s:with:colons");
    assert_eq!(
        once(
            &server,
            "GET",
            "/v4/devices/d",
            &[("Authorization", &good)],
            b""
        )
        .status,
        200
    );
    assert_eq!(
        once(
            &server,
            "GET",
            "/v4/devices/d",
            &[("Authorization", &auth())],
            b""
        )
        .status,
        401
    );
}

#[test]
fn delete_known_then_unknown() {
    let server = start(&["abc", "other"]);
    let mut conn = Conn::to(&server);
    let ok = conn.authed("DELETE", "/v4/devices/abc");
    assert_eq!(ok.status, 200);
    assert_eq!(
        ok.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(ok.body, br#"{"success":true}"#);
    assert_eq!(server.devices(), vec!["other"]);
    let again = conn.authed("DELETE", "/v4/devices/abc");
    assert_eq!(again.status, 400);
    assert_eq!(
        again.json(),
        json!({"error": {"code": 27002, "message": "unknown error"}})
    );
}

#[test]
fn get_shows_tags_and_alias() {
    let server = start(&["plain"]);
    server.add_device(Device::new("rich").with_tags(["t1", "t2"]).with_alias("a1"));
    let mut conn = Conn::to(&server);
    let rich = conn.authed("GET", "/v4/devices/rich");
    assert_eq!(rich.status, 200);
    assert_eq!(rich.body, br#"{"tags":["t1","t2"],"alias":"a1"}"#);
    let plain = conn.authed("GET", "/v4/devices/plain");
    assert_eq!(plain.json(), json!({"tags": [], "alias": null}));
    assert_eq!(conn.authed("GET", "/v4/devices/nobody").status, 400);
    assert_eq!(
        server.devices(),
        vec!["plain", "rich"],
        "GET removes nothing"
    );
}

#[test]
fn other_methods_give_405() {
    let server = start(&["abc"]);
    let mut conn = Conn::to(&server);
    for method in ["POST", "PUT", "PATCH"] {
        let r = conn.authed(method, "/v4/devices/abc");
        assert_eq!(r.status, 405, "{method}");
        assert_eq!(
            r.json(),
            json!({"error": {"code": 21001, "message": "method not allowed"}})
        );
    }
    assert_eq!(server.devices(), vec!["abc"]);
}

#[test]
fn other_paths_give_json_404() {
    let server = start(&["a"]);
    let mut conn = Conn::to(&server);
    for target in [
        "/",
        "/v4/devices/a/b",
        "/v4/devices/",
        "/v4/other",
        "/v3/devices/a",
    ] {
        let r = conn.authed("GET", target);
        assert_eq!(r.status, 404, "{target}");
        assert_eq!(
            r.json(),
            json!({"error": {"code": 404, "message": "not found"}})
        );
    }
}

#[test]
fn ids_are_one_percent_decoded_segment() {
    let server = start(&[]);
    server.add_device(Device::new("a/b"));
    server.add_device(Device::new("x/../../tags/vip"));
    server.add_device(Device::new("é ü"));
    let mut conn = Conn::to(&server);
    assert_eq!(conn.authed("DELETE", "/v4/devices/a%2Fb").status, 200);
    assert_eq!(
        conn.authed("DELETE", "/v4/devices/x/../../tags/vip").status,
        404
    );
    assert_eq!(
        conn.authed("DELETE", "/v4/devices/x%2F..%2F..%2Ftags%2Fvip")
            .status,
        200
    );
    assert_eq!(
        conn.authed("DELETE", "/v4/devices/%C3%A9%20%C3%BC?x=1")
            .status,
        200
    );
    assert!(server.devices().is_empty());
}

#[test]
fn absolute_form_targets_use_their_path() {
    let server = start(&["abc"]);
    let target = format!("http://{}/v4/devices/abc", server.addr());
    let r = Conn::to(&server).authed("DELETE", &target);
    assert_eq!(r.status, 200);
    assert_eq!(server.log()[0].path, target, "the log keeps the raw target");
}

#[test]
fn request_bodies_are_read_and_measured() {
    let server = start(&["abc"]);
    let mut conn = Conn::to(&server);
    let auth = auth();
    let r = conn.request(
        "DELETE",
        "/v4/devices/abc",
        &[("Authorization", &auth)],
        b"0123456789",
    );
    assert_eq!(r.status, 200);
    // The body was consumed: the next request on the connection parses.
    assert_eq!(conn.authed("GET", "/v4/devices/abc").status, 400);
    let log = server.log();
    assert_eq!(log[0].body_size, 10);
    assert_eq!(log[1].body_size, 0);
    assert_eq!(log[0].connection, log[1].connection);
}

#[test]
fn chunked_bodies_get_400_and_close() {
    let server = start(&["abc"]);
    let mut conn = Conn::to(&server);
    conn.send_raw(
        format!(
            "DELETE /v4/devices/abc HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            auth()
        )
        .as_bytes(),
    );
    let r = conn.read_response(false).unwrap();
    assert_eq!(r.status, 400);
    assert_eq!(r.header("connection"), Some("close"));
    assert!(conn.read_to_close().unwrap().is_empty());
    assert_eq!(server.devices(), vec!["abc"]);
}

#[test]
fn connection_close_and_http10_close_after_the_answer() {
    let server = start(&["a", "b"]);
    let mut conn = Conn::to(&server);
    let auth = auth();
    let r = conn.request(
        "GET",
        "/v4/devices/a",
        &[("Authorization", &auth), ("Connection", "close")],
        b"",
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("connection"), Some("close"));
    assert!(conn.read_to_close().unwrap().is_empty());

    let mut conn = Conn::to(&server);
    conn.send_raw(
        format!("GET /v4/devices/b HTTP/1.0\r\nAuthorization: {auth}\r\n\r\n").as_bytes(),
    );
    let r = conn.read_response(false).unwrap();
    assert_eq!(r.status, 200);
    assert!(r.header("content-length").is_some());
    assert!(conn.read_to_close().unwrap().is_empty());

    let mut conn = Conn::to(&server);
    for _ in 0..2 {
        conn.send_raw(
            format!("GET /v4/devices/b HTTP/1.0\r\nConnection: keep-alive\r\nAuthorization: {auth}\r\n\r\n")
                .as_bytes(),
        );
        let r = conn.read_response(false).unwrap();
        assert_eq!(r.header("connection"), Some("keep-alive"));
    }
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let server = start(&["a"]);
    let mut conn = Conn::to(&server);
    let auth = auth();
    let one = format!("GET /v4/devices/a HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\n\r\n");
    let two = format!("DELETE /v4/devices/a HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\n\r\n");
    conn.send_raw(format!("{one}{two}{one}").as_bytes());
    let statuses: Vec<u16> = (0..3)
        .map(|_| conn.read_response(false).unwrap().status)
        .collect();
    assert_eq!(statuses, [200, 200, 400]);
}

#[test]
fn expect_continue_gets_100_first() {
    let server = start(&["a"]);
    let mut conn = Conn::to(&server);
    conn.send_raw(
        format!(
            "DELETE /v4/devices/a HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n",
            auth()
        )
        .as_bytes(),
    );
    assert_eq!(conn.read_response(true).unwrap().status, 100);
    conn.send_raw(b"abc");
    assert_eq!(conn.read_response(false).unwrap().status, 200);
}

#[test]
fn head_gets_no_body() {
    let server = start(&["a"]);
    let mut conn = Conn::to(&server);
    let auth = auth();
    let r = conn.request("HEAD", "/v4/devices/a", &[("Authorization", &auth)], b"");
    assert_eq!(r.status, 405);
    assert!(r.header("content-length").is_some());
    assert_eq!(
        conn.authed("GET", "/v4/devices/a").status,
        200,
        "no stray body bytes"
    );
}

#[test]
fn malformed_requests_get_400_and_close() {
    let server = start(&[]);
    let mut conn = Conn::to(&server);
    conn.send_raw(b"GET /\x01 HTTP/1.1\r\n\r\n");
    let r = conn.read_response(false).unwrap();
    assert_eq!(r.status, 400);
    assert!(conn.read_to_close().unwrap().is_empty());

    let mut conn = Conn::to(&server);
    conn.send_raw(b"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n");
    assert_eq!(conn.read_response(false).unwrap().status, 400);

    let mut conn = Conn::to(&server);
    let huge = format!("GET / HTTP/1.1\r\nX-Big: {}\r\n\r\n", "a".repeat(70_000));
    conn.send_raw(huge.as_bytes());
    assert_eq!(conn.read_response(false).unwrap().status, 431);
    assert!(server.log().is_empty());
}

#[test]
fn unknown_device_answer_is_configurable() {
    let server = MockServer::start(MockConfig {
        unknown_status: 404,
        unknown_body: r#"{"error":{"code":20101,"message":"bad id"}}"#.into(),
        ..MockConfig::default()
    })
    .unwrap();
    let r = Conn::to(&server).authed("DELETE", "/v4/devices/nobody");
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"]["code"], 20101);
    server.set_config(ConfigUpdate {
        unknown_device: Some(UnknownDevice {
            status: 410,
            body: String::new(),
        }),
        ..ConfigUpdate::default()
    });
    let r = Conn::to(&server).authed("GET", "/v4/devices/nobody");
    assert_eq!(r.status, 410);
    assert!(r.body.is_empty());
    assert_eq!(
        r.header("content-type"),
        None,
        "no content type for an empty body"
    );
    server.reset();
    assert_eq!(
        Conn::to(&server).authed("GET", "/v4/devices/nobody").status,
        404
    );
}

#[test]
fn rate_limit_answers_429_with_reset_header() {
    let server = MockServer::start(MockConfig {
        rate_limit_qps: Some(3),
        devices: vec![Device::new("a")],
        ..MockConfig::default()
    })
    .unwrap();
    let mut conn = Conn::to(&server);
    let statuses: Vec<u16> = (0..5)
        .map(|_| conn.authed("GET", "/v4/devices/a").status)
        .collect();
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    let r = conn.authed("GET", "/v4/devices/a");
    assert_eq!(r.status, 429);
    assert_eq!(r.header("x-rate-limit-reset"), Some("1"));
    assert_eq!(
        r.json(),
        json!({"error": {"code": 23008, "message": "too many requests"}})
    );
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(
        conn.authed("GET", "/v4/devices/a").status,
        200,
        "a new window"
    );
}

#[test]
fn latency_is_added_before_answers() {
    let server = MockServer::start(MockConfig {
        latency_ms: 150,
        ..MockConfig::default()
    })
    .unwrap();
    let started = Instant::now();
    assert_eq!(Conn::to(&server).authed("GET", "/v4/devices/a").status, 400);
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[test]
fn connections_left_open_are_closed_when_the_server_drops() {
    let server = start(&["a"]);
    let mut conn = Conn::to(&server);
    assert_eq!(conn.authed("GET", "/v4/devices/a").status, 200);
    drop(server);
    assert!(conn.read_to_close().unwrap_or_default().is_empty());
}

#[test]
fn connect_opens_a_tunnel_to_the_mock_itself() {
    let server = common::start(&["via-proxy"]);
    let mut conn = common::Conn::to(&server);
    conn.send_raw(
        b"CONNECT push.example.invalid:80 HTTP/1.1\r\nHost: push.example.invalid:80\r\n\r\n",
    );
    let mut line = String::new();
    let mut rest = String::new();
    {
        use std::io::BufRead;
        let reader = conn.reader();
        reader.read_line(&mut line).unwrap();
        reader.read_line(&mut rest).unwrap();
    }
    assert!(line.starts_with("HTTP/1.1 200"), "{line}");
    assert_eq!(rest, "\r\n");
    let answer = conn.authed("DELETE", "/v4/devices/via-proxy");
    assert_eq!(answer.status, 200);
    let log = server.log();
    assert_eq!(log[0].method, "CONNECT");
    assert_eq!(log[0].path, "push.example.invalid:80");
    assert_eq!(log[1].connection, log[0].connection);
    assert!(server.devices().is_empty());
}

#[test]
fn connect_answers_as_configured() {
    let server = common::start(&["via-proxy"]);
    let connect =
        b"CONNECT push.example.invalid:443 HTTP/1.1\r\nHost: push.example.invalid:443\r\n\r\n";
    let configure = |body: &str| {
        assert_eq!(
            common::control(&server, "POST", "/__mock/config", body).status,
            200
        );
    };

    configure(r#"{"connect": {"status": 407}}"#);
    let mut conn = common::Conn::to(&server);
    conn.send_raw(connect);
    let text = String::from_utf8(conn.read_to_close().unwrap()).unwrap();
    assert!(text.starts_with("HTTP/1.1 407 "), "{text}");

    configure(r#"{"connect": {"then": "close"}}"#);
    let mut conn = common::Conn::to(&server);
    conn.send_raw(connect);
    let text = String::from_utf8(conn.read_to_close().unwrap()).unwrap();
    assert_eq!(text, "HTTP/1.1 200 Connection established\r\n\r\n");

    configure(r#"{"connect": {"then": "stall"}}"#);
    let mut conn = common::Conn::to(&server);
    conn.send_raw(connect);
    conn.send_raw(b"\x16\x03\x01 a TLS ClientHello, never answered");
    conn.stream()
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut head = [0u8; 39];
    std::io::Read::read_exact(conn.reader(), &mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 200 Connection established\r\n\r\n");
    let mut more = [0u8; 1];
    let err = std::io::Read::read(conn.reader(), &mut more).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock, "{err}");

    assert_eq!(server.log().len(), 3);
    assert!(server.log().iter().all(|r| r.method == "CONNECT"));
    assert_eq!(
        common::control(
            &server,
            "POST",
            "/__mock/config",
            r#"{"connect": {"status": 99}}"#
        )
        .status,
        400
    );
}

#[test]
fn leaky_bucket_with_quota_headers() {
    let server = MockServer::start(MockConfig {
        rate_limit_qps: Some(1),
        rate_limit_burst: Some(2),
        rate_limit_headers: true,
        devices: vec![Device::new("a")],
        ..MockConfig::default()
    })
    .unwrap();
    let mut conn = Conn::to(&server);
    // A burst of 2 on top of the one request the rate allows: three at once
    // (a 1/s bucket drains too slowly for this loop to matter).
    let answers: Vec<_> = (0..4)
        .map(|_| conn.authed("GET", "/v4/devices/a"))
        .collect();
    let statuses: Vec<u16> = answers.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 200, 200, 429]);
    let first = &answers[0];
    assert_eq!(first.header("x-rate-limit-limit"), Some("1"));
    assert_eq!(first.header("x-rate-limit-remaining"), Some("2"));
    assert_eq!(first.header("x-rate-limit-reset"), Some("1"));
    let refused = &answers[3];
    assert_eq!(refused.header("x-rate-limit-remaining"), Some("0"));
    assert_eq!(refused.header("x-rate-limit-reset"), Some("3"));
    // Back to fixed windows through the control API, headers still on.
    server.set_config(serde_json::from_str(r#"{"rate_limit_burst":null}"#).unwrap());
    let r = conn.authed("GET", "/v4/devices/a");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-rate-limit-remaining"), Some("0"));
}
