//! `Client::check` against engagelab-mock: the facts of the connection (the
//! address, the TLS version), and that it reads without deleting.

use engagelab_mock::{DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET};
use std::io::Write;

use engagelab_mock::{Answer, ConfigUpdate, Device, MockConfig, MockServer, UnknownDevice};
use engagelab_push::{CheckOptions, Client, ErrorKind, ProbeKind};

const SECRET: &str = DEFAULT_MASTER_SECRET;

#[test]
fn over_tls_it_reports_the_version_and_the_address() {
    let mock = MockServer::start(MockConfig {
        tls: true,
        ..MockConfig::default()
    })
    .expect("mock starts");
    mock.add_device(Device::new("dev-1"));
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::File::create(&ca)
        .unwrap()
        .write_all(mock.ca_pem().unwrap().as_bytes())
        .unwrap();
    let client = Client::builder(DEFAULT_APP_KEY, SECRET)
        .base_url(mock.base_url())
        .ca_file(&ca)
        .build()
        .unwrap();
    // A connection already in the pool must still be reported.
    client.get_device("dev-1").unwrap();
    let report = client
        .check(&CheckOptions::new().device("dev-1"))
        .expect("check runs");
    assert_eq!(report.tls_version(), Some("TLS 1.3"), "{report}");
    assert_eq!(report.address().map(|a| a.port()), Some(mock.addr().port()));
    assert!(report.credentials_accepted());
    assert!(report.findings().is_empty(), "{report}");
    let kinds: Vec<ProbeKind> = report.probes().iter().map(|p| p.kind()).collect();
    assert_eq!(
        kinds,
        [
            ProbeKind::UnknownDevice,
            ProbeKind::UnknownAlias,
            ProbeKind::Device
        ]
    );
    assert_eq!(report.rtts().len(), 5);
    for text in [
        format!("{report}"),
        format!("{report:?}"),
        report.to_json().to_string(),
    ] {
        assert!(!text.contains(SECRET), "{text}");
    }
    // Only GETs, and the device is still there.
    assert!(mock.log().iter().all(|r| r.method == "GET"));
    assert_eq!(mock.devices(), ["dev-1"]);
}

#[test]
fn over_plain_http_there_is_no_tls_version() {
    let mock = MockServer::start(MockConfig::default()).expect("mock starts");
    let client = Client::builder(DEFAULT_APP_KEY, SECRET)
        .base_url(mock.base_url())
        .build()
        .unwrap();
    let report = client.check(&CheckOptions::new()).unwrap();
    assert_eq!(report.tls_version(), None);
    assert_eq!(report.address(), Some(mock.addr()));
    let unknown = &report.probes()[0];
    assert_eq!(
        (unknown.http_status(), unknown.api_code()),
        (400, Some(27002))
    );
    assert!(unknown.as_expected());
}

#[test]
fn a_bad_device_id_is_refused_before_anything_is_sent() {
    let mock = MockServer::start(MockConfig::default()).expect("mock starts");
    let client = Client::builder(DEFAULT_APP_KEY, SECRET)
        .base_url(mock.base_url())
        .build()
        .unwrap();
    let e = client
        .check(&CheckOptions::new().device("a b"))
        .unwrap_err();
    assert_eq!(e.kind(), engagelab_push::ErrorKind::InvalidArgument);
    assert!(mock.log().is_empty());
}

#[test]
fn a_cancelled_token_stops_the_check_before_sending() {
    let mock = MockServer::start(MockConfig::default()).expect("mock starts");
    let client = Client::builder(DEFAULT_APP_KEY, SECRET)
        .base_url(mock.base_url())
        .build()
        .unwrap();
    let token = engagelab_push::CancelToken::new();
    token.cancel();
    let options =
        CheckOptions::new().call_options(engagelab_push::CallOptions::new().cancel(token));
    let e = client.check(&options).unwrap_err();
    assert_eq!(e.kind(), engagelab_push::ErrorKind::Cancelled);
    assert!(mock.log().is_empty());
}

/// The check's timeout bounds the whole check, as any call's bounds its
/// retries: six answers of 150 ms each take 900 ms, over a 400 ms deadline
/// that no single request exceeds.
#[test]
fn the_timeout_bounds_the_whole_check_not_each_request() {
    let mock = MockServer::start(MockConfig {
        latency_ms: 150,
        ..MockConfig::default()
    })
    .expect("mock starts");
    let client = Client::builder(DEFAULT_APP_KEY, SECRET)
        .base_url(mock.base_url())
        .build()
        .unwrap();
    let deadline = std::time::Duration::from_millis(400);
    let options =
        CheckOptions::new().call_options(engagelab_push::CallOptions::new().timeout(deadline));
    let start = std::time::Instant::now();
    let e = client.check(&options).unwrap_err();
    let took = start.elapsed();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(!e.maybe_deleted(), "a check sends no DELETE");
    // It ended at the deadline, not after the six answers.
    assert!(took >= deadline, "ended after {took:?}");
    assert!(
        mock.log().len() < 6,
        "the check went on past its deadline: {} requests",
        mock.log().len()
    );
    assert!(mock.log().iter().all(|r| r.method == "GET"));
    // The client's own timeout bounds a check the same way.
    let client = Client::builder(DEFAULT_APP_KEY, SECRET)
        .base_url(mock.base_url())
        .timeout(deadline)
        .build()
        .unwrap();
    let e = client.check(&CheckOptions::new()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
}

#[test]
fn an_api_as_assumed_is_reported_probe_by_probe() {
    let mock = MockServer::start(MockConfig {
        rate_limit_qps: Some(1000),
        rate_limit_headers: true,
        ..MockConfig::default()
    })
    .expect("mock starts");
    mock.add_device(Device::new("dev-1").with_tags(["vip"]).with_alias("user-1"));
    let client = Client::builder(DEFAULT_APP_KEY, SECRET)
        .base_url(mock.base_url())
        .build()
        .unwrap();
    let report = client.check(&CheckOptions::new().device("dev-1")).unwrap();
    assert_eq!(
        (report.base_url(), report.region()),
        (mock.base_url(), None)
    );
    assert!(report.findings().is_empty(), "{report}");
    let [unknown, alias, device] = report.probes() else {
        panic!("{report}")
    };
    assert!(unknown.path().starts_with("/v4/devices/el-check-"));
    assert_eq!(unknown.classification(), Some(ErrorKind::NotFound));
    assert!(alias.path().starts_with("/v4/aliases/el-check-"));
    let read = |p: &engagelab_push::Probe| {
        (
            p.http_status(),
            p.api_code(),
            p.message().to_owned(),
            p.classification(),
        )
    };
    assert_eq!(
        read(alias),
        (200, None, "0 registration id(s)".into(), None)
    );
    assert_eq!(read(device), (200, None, "1 tag(s), an alias".into(), None));
    assert!(report.probes().iter().all(|p| p.as_expected()));
    let mut rtts = report.rtts().to_vec();
    rtts.sort();
    assert_eq!(report.rtt(), rtts[2]);
    assert!(unknown.rtt() > std::time::Duration::ZERO);
    let names: Vec<&str> = report
        .rate_limit_headers()
        .iter()
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "x-rate-limit-limit",
            "x-rate-limit-remaining",
            "x-rate-limit-reset"
        ]
    );
    let date = report.server_date().expect("the mock sends a Date");
    assert!(httpdate::parse_http_date(date).is_ok(), "{date:?}");
    assert!(report.clock_skew_s().is_some_and(|s| s.abs() <= 2));

    let json = report.to_json();
    assert_eq!(json["base_url"], mock.base_url());
    assert_eq!(json["credentials_accepted"], true);
    assert_eq!(json["rtt_ms"], report.rtt().as_secs_f64() * 1000.0);
    assert_eq!(json["rate_limit_headers"]["x-rate-limit-limit"], "1000");
    assert_eq!(json["probes"][0]["classification"], "NOT_FOUND");
    assert_eq!(json["probes"][1]["kind"], "unknown_alias");
    assert_eq!(
        json["probes"][1]["expected"],
        "HTTP 200 with an empty registration_ids list"
    );
    assert_eq!(json["findings"], serde_json::json!([]));

    let text = report.to_string();
    for line in [
        format!("target:        {}\n", mock.base_url()),
        "credentials:   accepted (HTTP 400, code 27002 to an unknown id)\n".into(),
        "rate limit:    x-rate-limit-limit: 1000, x-rate-limit-remaining: ".into(),
        "device:        GET /v4/devices/dev-1 -> HTTP 200, no code, \"1 tag(s), an alias\"; \
         read as success (as assumed)\n"
            .into(),
        "no difference from what the library assumes\n".into(),
    ] {
        assert!(text.contains(&line), "{line:?} not in\n{text}");
    }
}

#[test]
fn answers_unlike_the_assumed_ones_are_findings() {
    let mock = MockServer::start(MockConfig::default()).expect("mock starts");
    mock.set_config(ConfigUpdate {
        unknown_device: Some(UnknownDevice {
            status: 404,
            body: String::new(),
        }),
        date_offset_s: Some(-3600),
        ..ConfigUpdate::default()
    });
    let client = Client::builder(DEFAULT_APP_KEY, SECRET)
        .base_url(mock.base_url())
        .build()
        .unwrap();
    let report = client.check(&CheckOptions::new()).unwrap();
    let codes: Vec<&str> = report.findings().iter().map(|f| f.code()).collect();
    assert_eq!(codes, ["unknown_device_answer", "clock_skew"], "{report}");
    assert!(!report.probes()[0].as_expected());
    assert!(
        report.findings()[1]
            .message()
            .contains("s behind this machine's")
    );
    let skew = report.clock_skew_s().unwrap();
    assert!((-3602..=-3598).contains(&skew), "{skew}");
    let text = report.to_string();
    assert!(
        text.contains(&format!("({skew} s from this machine's clock)")),
        "{text}"
    );
    assert!(
        text.contains("differences from what the library assumes:\n  - [unknown_device_answer] ")
    );

    mock.set_config(ConfigUpdate {
        date_offset_s: Some(3600),
        ..ConfigUpdate::default()
    });
    let report = client.check(&CheckOptions::new()).unwrap();
    let skew = report.clock_skew_s().unwrap();
    assert!((3598..=3602).contains(&skew), "{skew}");
    assert!(report.to_string().contains(&format!("(+{skew} s from")));
    let clock = report.findings().iter().find(|f| f.code() == "clock_skew");
    assert!(
        clock.is_some_and(|f| f.message().contains("s ahead of this machine's")),
        "{report}"
    );
}

#[test]
fn refused_credentials_are_one_finding_not_an_error() {
    let mock = MockServer::start(MockConfig::default()).expect("mock starts");
    mock.add_device(Device::new("dev-1"));
    let client = Client::builder(DEFAULT_APP_KEY, "not-the-secret")
        .base_url(mock.base_url())
        .build()
        .unwrap();
    let report = client.check(&CheckOptions::new().device("dev-1")).unwrap();
    assert!(!report.credentials_accepted());
    let codes: Vec<&str> = report.findings().iter().map(|f| f.code()).collect();
    assert_eq!(codes, ["credentials_refused"], "{report}");
    assert!(report.probes().iter().all(|p| !p.as_expected()));
    assert!(
        report
            .to_string()
            .contains("credentials:   REFUSED (HTTP 401, code 21004: authentication failed)\n")
    );
    assert_eq!(report.to_json()["credentials_accepted"], false);
}

#[test]
fn a_device_not_found_and_a_reset_that_is_not_seconds_are_findings() {
    let mock = MockServer::start(MockConfig::default()).expect("mock starts");
    let gone = Answer::status(404).with_header("X-Rate-Limit-Reset", "soon");
    mock.script("dev-gone", vec![gone]);
    let client = Client::builder(DEFAULT_APP_KEY, SECRET)
        .base_url(mock.base_url())
        .build()
        .unwrap();
    let report = client
        .check(&CheckOptions::new().device("dev-gone"))
        .unwrap();
    let codes: Vec<&str> = report.findings().iter().map(|f| f.code()).collect();
    assert_eq!(codes, ["device_answer", "rate_limit_reset"], "{report}");
    assert!(report.findings()[1].message().contains("is \"soon\", not"));
    assert_eq!(
        report.rate_limit_headers(),
        [("x-rate-limit-reset".to_owned(), "soon".to_owned())]
    );
    assert!(!report.probes()[2].as_expected());
}

#[test]
fn a_base_url_that_is_not_the_api_leaves_the_credentials_unchecked() {
    let mock = MockServer::start(MockConfig::default()).expect("mock starts");
    // A wrong path prefix: the mock answers 404 with its status as the code,
    // before reading the credentials, as a wrong host or a gateway would.
    let client = Client::builder(DEFAULT_APP_KEY, SECRET)
        .base_url(format!("{}/wrong-prefix", mock.base_url()))
        .build()
        .unwrap();
    let report = client.check(&CheckOptions::new()).unwrap();
    assert_eq!(report.probes()[0].api_code(), Some(404), "{report}");
    assert!(!report.credentials_accepted(), "{report}");
    assert!(!report.credentials_refused(), "{report}");
    assert_eq!(report.findings()[0].code(), "not_the_api", "{report}");
    assert!(report.to_string().contains("credentials:   NOT CHECKED ("));
}

/// A server that answers every request with HTTP 200 and a web page, as a
/// wrong base URL often does (a website, a single-page app's catch-all, a
/// captive portal); returns its base URL.
fn a_website_answering_200_to_everything() -> String {
    a_server_answering_everything(
        200,
        "text/html",
        "<html><body>Welcome to our site</body></html>",
    )
}

/// A loopback server answering every request with `status`, `content_type`
/// and `body`; returns its base URL.
fn a_server_answering_everything(
    status: u16,
    content_type: &'static str,
    body: &'static str,
) -> String {
    use std::io::{BufRead, BufReader};
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
                    // The request head, then an answer; keep-alive.
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
                        "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
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

#[test]
fn a_website_answering_200_to_everything_does_not_accept_the_credentials() {
    // A wrong base URL whose host answers 200 with a web page to every path:
    // nothing there read the credentials, and no answer was EngageLab's.
    // It used to count as "credentials accepted" (the CLI: "the setup
    // works", exit 0), since the unknown id's 2xx was taken as a usable
    // success whatever its body held.
    let client = Client::builder(DEFAULT_APP_KEY, SECRET)
        .base_url(a_website_answering_200_to_everything())
        .build()
        .unwrap();
    let report = client.check(&CheckOptions::new()).unwrap();
    assert_eq!(report.probes()[0].http_status(), 200, "{report}");
    assert!(!report.credentials_accepted(), "{report}");
    assert!(!report.credentials_refused(), "{report}");
    assert_eq!(report.findings()[0].code(), "not_the_api", "{report}");
    assert_eq!(report.to_json()["credentials_accepted"], false);
    assert!(
        report.to_string().contains("credentials:   NOT CHECKED ("),
        "{report}"
    );
}

#[test]
fn a_bare_403_is_one_verdict_not_two_that_contradict() {
    // A 403 with no EngageLab code (a WAF, a proxy's ACL) is AUTH by the
    // error model, so the report says REFUSED; it used to add not_the_api
    // as well, "the credentials were not checked", in the same report.
    let client = Client::builder(DEFAULT_APP_KEY, SECRET)
        .base_url(a_server_answering_everything(
            403,
            "text/plain",
            "Forbidden",
        ))
        .build()
        .unwrap();
    let report = client.check(&CheckOptions::new()).unwrap();
    assert!(report.credentials_refused(), "{report}");
    assert!(!report.credentials_accepted(), "{report}");
    let codes: Vec<&str> = report.findings().iter().map(|f| f.code()).collect();
    assert!(!codes.contains(&"not_the_api"), "{report}");
    assert_eq!(
        codes[..2],
        ["credentials_refused", "auth_answer"],
        "{report}"
    );
    assert!(
        report.findings()[1].message().contains("proxy or gateway"),
        "{report}"
    );
}
