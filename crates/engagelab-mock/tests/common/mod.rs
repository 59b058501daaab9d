//! Raw-TCP HTTP helpers shared by the integration tests.
#![allow(dead_code)]

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use engagelab_mock::{DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET, Device, MockConfig, MockServer};

/// `Authorization` value for the default credentials.
pub fn auth() -> String {
    basic(DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET)
}

/// `Authorization` value for these credentials.
pub fn basic(key: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{key}:{secret}")))
}

/// A mock on a free loopback port, seeded with these ids.
pub fn start(devices: &[&str]) -> MockServer {
    MockServer::start(MockConfig {
        devices: devices.iter().map(|d| Device::new(*d)).collect(),
        ..MockConfig::default()
    })
    .expect("mock starts")
}

/// A parsed response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

/// One client connection.
pub struct Conn {
    reader: BufReader<TcpStream>,
}

impl Conn {
    pub fn open(addr: SocketAddr) -> Conn {
        let stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        Conn {
            reader: BufReader::new(stream),
        }
    }

    pub fn to(server: &MockServer) -> Conn {
        Conn::open(server.addr())
    }

    pub fn reader(&mut self) -> &mut BufReader<TcpStream> {
        &mut self.reader
    }

    pub fn stream(&mut self) -> &mut TcpStream {
        self.reader.get_mut()
    }

    /// Writes raw bytes.
    pub fn send_raw(&mut self, raw: &[u8]) {
        self.reader.get_mut().write_all(raw).expect("write");
    }

    /// Sends an HTTP/1.1 request with a Host header, these headers and body.
    pub fn send(&mut self, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) {
        let mut raw = format!("{method} {target} HTTP/1.1\r\nHost: mock\r\n");
        for (n, v) in headers {
            raw.push_str(&format!("{n}: {v}\r\n"));
        }
        if !body.is_empty() {
            raw.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        raw.push_str("\r\n");
        let mut bytes = raw.into_bytes();
        bytes.extend_from_slice(body);
        self.send_raw(&bytes);
    }

    /// Sends a request and reads its response.
    pub fn request(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        self.send(method, target, headers, body);
        self.read_response(method == "HEAD").expect("response")
    }

    /// A device-API request with the default credentials.
    pub fn authed(&mut self, method: &str, target: &str) -> Response {
        let auth = auth();
        self.request(method, target, &[("Authorization", &auth)], b"")
    }

    /// Reads one response head (and its Content-Length body unless `head_only`).
    pub fn read_response(&mut self, head_only: bool) -> io::Result<Response> {
        let mut head = Vec::new();
        loop {
            let mut line = Vec::new();
            let n = self.reader.read_until(b'\n', &mut line)?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            head.extend_from_slice(&line);
            if line == b"\r\n" {
                break;
            }
        }
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut parsed = httparse::Response::new(&mut headers);
        match parsed.parse(&head) {
            Ok(httparse::Status::Complete(_)) => {}
            other => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "not an HTTP response: {other:?}: {:?}",
                        String::from_utf8_lossy(&head)
                    ),
                ));
            }
        }
        let headers: Vec<(String, String)> = parsed
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_owned(),
                    String::from_utf8_lossy(h.value).into_owned(),
                )
            })
            .collect();
        let mut response = Response {
            status: parsed.code.unwrap_or(0),
            headers,
            body: Vec::new(),
        };
        if !head_only && response.status != 100 {
            let len: usize = response
                .header("content-length")
                .expect("content-length")
                .parse()
                .expect("numeric content-length");
            response.body = vec![0; len];
            self.reader.read_exact(&mut response.body)?;
        }
        Ok(response)
    }

    /// Reads until the server closes; the bytes read.
    pub fn read_to_close(&mut self) -> io::Result<Vec<u8>> {
        let mut rest = Vec::new();
        self.reader.read_to_end(&mut rest)?;
        Ok(rest)
    }
}

/// One request on a fresh connection.
pub fn once(
    server: &MockServer,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    Conn::to(server).request(method, target, headers, body)
}

/// A control-API call with a JSON body; the response.
pub fn control(server: &MockServer, method: &str, path: &str, body: &str) -> Response {
    once(server, method, path, &[], body.as_bytes())
}
