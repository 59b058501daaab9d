//! HTTPS: certificates are always verified; `ca_file` adds roots beside the defaults.

use engagelab_mock::{DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET};
use std::io::Write;

use engagelab_mock::{Device, MockConfig, MockServer};
use engagelab_push::{Client, ErrorKind};

fn tls_mock() -> MockServer {
    let mock = MockServer::start(MockConfig {
        tls: true,
        ..MockConfig::default()
    })
    .expect("mock starts");
    mock.add_device(Device::new("dev-tls"));
    mock
}

#[test]
fn ca_file_lets_the_client_trust_a_private_ca() {
    let mock = tls_mock();
    assert!(mock.base_url().starts_with("https://"));
    let dir = std::env::temp_dir().join(format!("engagelab-push-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("ca.pem");
    std::fs::File::create(&ca)
        .unwrap()
        .write_all(mock.ca_pem().unwrap().as_bytes())
        .unwrap();
    let client = Client::builder(DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET)
        .base_url(mock.base_url())
        .ca_file(&ca)
        .build()
        .expect("client builds");
    client.delete_device("dev-tls").expect("deleted over TLS");
    assert!(mock.devices().is_empty());
}

#[test]
fn an_unknown_ca_is_refused_and_not_retried() {
    let mock = tls_mock();
    let client = Client::builder(DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET)
        .base_url(mock.base_url())
        .build()
        .unwrap();
    let e = client.delete_device("dev-tls").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network, "{e}");
    assert_eq!(
        e.attempts(),
        1,
        "a certificate failure is not retried: {e:?}"
    );
    assert!(e.message().contains("TLS"), "{}", e.message());
    assert!(!e.maybe_deleted());
    assert_eq!(mock.devices(), vec!["dev-tls".to_owned()]);
}

#[test]
fn a_bad_ca_file_is_an_invalid_argument() {
    let missing = Client::builder("k", "s")
        .ca_file("/nonexistent/ca.pem")
        .build()
        .unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::InvalidArgument);
    assert!(
        missing.message().contains("ca_file"),
        "{}",
        missing.message()
    );

    let not_pem =
        std::env::temp_dir().join(format!("engagelab-push-notpem-{}", std::process::id()));
    std::fs::write(&not_pem, "hello").unwrap();
    let e = Client::builder("k", "s")
        .ca_file(&not_pem)
        .build()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(
        e.message().contains("no PEM certificate"),
        "{}",
        e.message()
    );
}

#[test]
fn a_ca_file_whose_certificate_is_not_a_certificate_is_an_invalid_argument() {
    // Valid PEM framing around bytes that are no X.509 certificate (a
    // truncated copy, a key pasted under the wrong label): rustls would drop
    // it silently when the first call builds its root store, and every call
    // would then fail with an unknown-issuer TLS error that names no file.
    let path =
        std::env::temp_dir().join(format!("engagelab-push-badder-{}.pem", std::process::id()));
    std::fs::write(
        &path,
        "-----BEGIN CERTIFICATE-----\nSGVsbG8sIHdvcmxkIQ==\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let built = Client::builder("k", "s").ca_file(&path).build();
    let _ = std::fs::remove_file(&path);
    let e = built.expect_err("a CA file holding no usable certificate must be refused at build");
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    assert!(e.message().starts_with("ca_file"), "{}", e.message());
}
