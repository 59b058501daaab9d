//! The `engagelab-mock` binary: URL on the first line, flags, exit codes.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_engagelab-mock");

/// Kills the child when dropped, so a failing test leaves no server behind.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary; its first stdout line.
fn spawn(args: &[&str]) -> (Running, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    (Running(child), line.trim_end().to_owned())
}

/// One `Connection: close` request to `host:port`; the raw response.
fn raw(host_port: &str, request: &str) -> String {
    let mut stream = TcpStream::connect(host_port).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn prints_its_url_first_and_serves_seeded_devices() {
    let (_child, url) = spawn(&["--device", "d1", "--device", "d2"]);
    let host_port = url
        .strip_prefix("http://127.0.0.1:")
        .map(|p| format!("127.0.0.1:{p}"));
    let host_port = host_port.unwrap_or_else(|| panic!("unexpected first line {url:?}"));
    let list = raw(
        &host_port,
        "GET /__mock/devices HTTP/1.1\r\nConnection: close\r\n\r\n",
    );
    assert!(
        list.ends_with(r#"{"registration_ids":["d1","d2"]}"#),
        "{list}"
    );
    // The demo credentials: base64("demo-app-key:demo-master-secret").
    let delete = raw(
        &host_port,
        "DELETE /v4/devices/d1 HTTP/1.1\r\nAuthorization: Basic ZGVtby1hcHAta2V5OmRlbW8tbWFzdGVyLXNlY3JldA==\r\nConnection: close\r\n\r\n",
    );
    assert!(delete.starts_with("HTTP/1.1 200 "), "{delete}");
}

#[test]
fn tls_writes_the_ca_before_printing_the_url() {
    let dir = std::env::temp_dir().join(format!("engagelab-mock-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("ca.pem");
    let (_child, url) = spawn(&[
        "--tls",
        "--ca-out",
        ca.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
    ]);
    assert!(url.starts_with("https://localhost:"), "{url}");
    let pem = std::fs::read_to_string(&ca).unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_flags_exit_2_with_usage() {
    for args in [
        &["--bogus"][..],
        &["--device", ""],
        &["--listen", "nowhere"],
        &["--tls"],
        &["--ca-out", "ca.pem"],
    ] {
        let out = Command::new(BIN).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("usage: engagelab-mock"),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn help_goes_to_stdout() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("--ca-out"));
}
