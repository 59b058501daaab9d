//! HTTPS: the throwaway CA lets a rustls client in, and only that CA does.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use engagelab_mock::{Device, MockConfig, MockServer};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

fn tls_server() -> MockServer {
    MockServer::start(MockConfig {
        tls: true,
        devices: vec![Device::new("abc").with_alias("al")],
        ..MockConfig::default()
    })
    .expect("TLS mock starts")
}

fn client(ca_pem: &str) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots
            .add(cert.expect("PEM certificate"))
            .expect("CA accepted");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

/// Sends one `Connection: close` request over TLS; the raw response.
fn get(
    server: &MockServer,
    config: Arc<ClientConfig>,
    name: &str,
    path: &str,
) -> std::io::Result<Vec<u8>> {
    let name = ServerName::try_from(name.to_owned()).unwrap();
    let session = ClientConnection::new(config, name).unwrap();
    let tcp = TcpStream::connect(server.addr())?;
    let mut tls = StreamOwned::new(session, tcp);
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: {}\r\nConnection: close\r\n\r\n",
        common::auth()
    );
    tls.write_all(request.as_bytes())?;
    let mut response = Vec::new();
    tls.read_to_end(&mut response)?;
    Ok(response)
}

#[test]
fn tls_server_exposes_its_ca_and_an_https_url() {
    let server = tls_server();
    let pem = server.ca_pem().expect("CA PEM with TLS");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    let expected = format!("https://localhost:{}", server.addr().port());
    assert_eq!(server.base_url(), expected);
    assert!(common::start(&[]).ca_pem().is_none());
}

#[test]
fn a_client_trusting_the_ca_gets_answers() {
    let server = tls_server();
    let config = client(server.ca_pem().unwrap());
    for name in ["localhost", "127.0.0.1"] {
        let response = get(&server, Arc::clone(&config), name, "/v4/devices/abc").unwrap();
        let text = String::from_utf8(response).unwrap();
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
        assert!(text.ends_with(r#"{"tags":[],"alias":"al"}"#), "{text}");
    }
    assert_eq!(server.log().len(), 2);
}

#[test]
fn a_client_trusting_another_ca_is_refused() {
    let server = tls_server();
    let other = tls_server();
    let config = client(other.ca_pem().unwrap());
    assert!(get(&server, config, "localhost", "/v4/devices/abc").is_err());
    assert!(server.log().is_empty());
}
