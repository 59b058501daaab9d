//! `Client::check` against engagelab-mock: the facts of the connection (the
//! address, the TLS version), and that it reads without deleting.

use engagelab_mock::{DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET};
use std::io::Write;

use engagelab_mock::{Device, MockConfig, MockServer};
use engagelab_push::{CheckOptions, Client, ProbeKind};

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
