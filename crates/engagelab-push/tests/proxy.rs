//! Proxies are used only when configured: the environment is ignored.

use engagelab_mock::{DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET};
use engagelab_mock::{Device, MockConfig, MockServer};
use engagelab_push::{Client, ErrorKind};

#[test]
fn a_configured_proxy_carries_the_request() {
    // The mock answers CONNECT like an HTTP proxy and tunnels to itself.
    let proxy = MockServer::start(MockConfig::default()).unwrap();
    proxy.add_device(Device::new("dev-p"));
    let client = Client::builder(DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET)
        .base_url("http://push.example.invalid")
        .allow_insecure_http(true)
        .proxy(proxy.base_url())
        .build()
        .unwrap();
    client
        .delete_device("dev-p")
        .expect("deleted through the proxy");
    let log = proxy.log();
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(
        (log[0].method.as_str(), log[0].path.as_str()),
        ("CONNECT", "push.example.invalid:80")
    );
    assert_eq!(
        (log[1].method.as_str(), log[1].path.as_str()),
        ("DELETE", "/v4/devices/dev-p")
    );
    assert_eq!(log[1].connection, log[0].connection);
    assert!(proxy.devices().is_empty());
}

/// Set in the child process that runs the environment test.
const CHILD: &str = "ENGAGELAB_PUSH_PROXY_ENV_CHILD";

#[test]
fn proxy_environment_variables_are_ignored() {
    // Proxy variables pointing at a dead port are given to a child run of this
    // very test (setting them here would race with other tests).
    if std::env::var_os(CHILD).is_none() {
        let mut child = std::process::Command::new(std::env::current_exe().unwrap());
        child
            .args(["--exact", "proxy_environment_variables_are_ignored"])
            .env(CHILD, "1");
        for var in [
            "HTTP_PROXY",
            "http_proxy",
            "HTTPS_PROXY",
            "https_proxy",
            "ALL_PROXY",
            "all_proxy",
        ] {
            child.env(var, "http://127.0.0.1:1");
        }
        child.env_remove("NO_PROXY").env_remove("no_proxy");
        let out = child.output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "child failed:\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains("1 passed"), "the child ran no test:\n{text}");
        return;
    }
    assert_eq!(
        std::env::var("HTTP_PROXY").as_deref(),
        Ok("http://127.0.0.1:1")
    );
    let mock = MockServer::start(MockConfig::default()).unwrap();
    mock.add_device(Device::new("dev-env"));
    let client = Client::builder(DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET)
        .base_url(mock.base_url())
        .build()
        .unwrap();
    client
        .delete_device("dev-env")
        .expect("direct, not through the env proxy");
    assert_eq!(mock.log()[0].path, "/v4/devices/dev-env");
}

// ---------------------------------------------------------------------------
// maybe_deleted through a CONNECT proxy, phase by phase. The origin is the
// mock over HTTPS, so the tunnel carries a TLS handshake before the request.

mod phases {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::{SocketAddr, TcpListener, TcpStream};
    use std::path::PathBuf;
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    use engagelab_mock::{Answer, Device, MockConfig, MockServer};
    use engagelab_push::{Client, Error, ErrorKind};

    /// What the test proxy does with a CONNECT.
    #[derive(Clone, Copy)]
    enum Mode {
        /// Answer this status and close.
        Refuse(u16),
        /// Close without answering.
        Close,
        /// Read the CONNECT and never answer.
        Stall,
        /// Answer 200, then close (the TLS handshake meets an EOF).
        TunnelThenClose,
        /// Answer 200, then read and never answer (the TLS handshake stalls).
        TunnelThenStall,
        /// Answer 200 and relay bytes to the origin.
        Forward(SocketAddr),
    }

    /// A CONNECT proxy on a loopback port; counts the CONNECTs it read.
    struct Proxy {
        url: String,
        connects: Arc<Mutex<u32>>,
    }

    impl Proxy {
        fn start(mode: Mode) -> Proxy {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            let connects = Arc::new(Mutex::new(0));
            let counted = connects.clone();
            std::thread::spawn(move || {
                for stream in listener.incoming().flatten() {
                    let counted = counted.clone();
                    std::thread::spawn(move || serve(stream, mode, &counted));
                }
            });
            Proxy { url, connects }
        }

        fn connects(&self) -> u32 {
            *self.connects.lock().unwrap()
        }
    }

    fn serve(stream: TcpStream, mode: Mode, connects: &Mutex<u32>) {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut line = String::new();
        // The CONNECT's head, up to its empty line.
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) if line == "\r\n" => break,
                Ok(_) => {}
            }
        }
        *connects.lock().unwrap() += 1;
        let mut out = stream;
        let established = b"HTTP/1.1 200 Connection established\r\n\r\n";
        let hold = |mut reader: BufReader<TcpStream>| {
            let mut sink = [0u8; 4096];
            while matches!(reader.read(&mut sink), Ok(n) if n > 0) {}
        };
        match mode {
            Mode::Refuse(status) => {
                let _ = write!(
                    out,
                    "HTTP/1.1 {status} Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
            }
            Mode::Close => {}
            Mode::Stall => hold(reader),
            Mode::TunnelThenClose => {
                let _ = out.write_all(established);
            }
            Mode::TunnelThenStall => {
                let _ = out.write_all(established);
                hold(reader);
            }
            Mode::Forward(origin) => {
                let Ok(upstream) = TcpStream::connect(origin) else {
                    return;
                };
                let _ = out.write_all(established);
                let mut up_write = upstream.try_clone().unwrap();
                let mut down_read = upstream;
                let pending = reader.buffer().to_vec();
                let _ = up_write.write_all(&pending);
                let mut reader = reader.into_inner();
                let up = std::thread::spawn(move || {
                    let _ = std::io::copy(&mut reader, &mut up_write);
                    let _ = up_write.shutdown(std::net::Shutdown::Write);
                });
                let _ = std::io::copy(&mut down_read, &mut out);
                let _ = out.shutdown(std::net::Shutdown::Both);
                let _ = up.join();
            }
        }
    }

    const DEADLINE: Duration = Duration::from_millis(1000);

    /// The mock over HTTPS with `dev-x`, and a file with its CA.
    fn tls_origin(name: &str) -> (MockServer, PathBuf) {
        let mock = MockServer::start(MockConfig {
            tls: true,
            ..MockConfig::default()
        })
        .unwrap();
        mock.add_device(Device::new("dev-x"));
        let dir = std::env::temp_dir().join(format!(
            "engagelab-push-proxy-{}-{name}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let ca = dir.join("ca.pem");
        std::fs::write(&ca, mock.ca_pem().unwrap()).unwrap();
        (mock, ca)
    }

    /// Deletes `dev-x` of `origin` through `proxy`, retries on.
    fn delete(origin: &MockServer, ca: &PathBuf, proxy: &Proxy) -> (Result<(), Error>, Duration) {
        let client = Client::builder(super::DEFAULT_APP_KEY, super::DEFAULT_MASTER_SECRET)
            .base_url(origin.base_url())
            .ca_file(ca)
            .proxy(&proxy.url)
            .timeout(DEADLINE)
            .max_retries(2)
            .backoff(Duration::from_millis(1), Duration::from_millis(10))
            .build()
            .unwrap();
        let started = Instant::now();
        let result = client.delete_device("dev-x");
        (result, started.elapsed())
    }

    /// A failure before the request reached the origin: `kind`, never
    /// maybe_deleted, within the deadline, and the origin saw nothing.
    fn check_before_sending(mode: Mode, name: &str, kind: ErrorKind) {
        let (origin, ca) = tls_origin(name);
        let proxy = Proxy::start(mode);
        let (result, elapsed) = delete(&origin, &ca, &proxy);
        let e = result.expect_err("fails");
        assert_eq!(e.kind(), kind, "{e:?}");
        assert!(!e.maybe_deleted(), "no request was written: {e:?}");
        assert!(proxy.connects() >= 1, "the proxy saw no CONNECT");
        assert!(elapsed < DEADLINE * 3, "took {elapsed:?}");
        assert!(origin.log().is_empty(), "{:?}", origin.log());
        assert_eq!(origin.devices(), vec!["dev-x".to_owned()]);
    }

    #[test]
    fn connect_refused_403_is_not_maybe_deleted() {
        check_before_sending(Mode::Refuse(403), "403", ErrorKind::Network);
    }

    #[test]
    fn connect_refused_407_is_not_maybe_deleted() {
        check_before_sending(Mode::Refuse(407), "407", ErrorKind::Network);
    }

    #[test]
    fn connect_closed_is_not_maybe_deleted() {
        check_before_sending(Mode::Close, "closed", ErrorKind::Network);
    }

    #[test]
    fn connect_stalled_is_not_maybe_deleted() {
        check_before_sending(Mode::Stall, "stalled", ErrorKind::Timeout);
    }

    #[test]
    fn tunnel_then_tls_eof_is_not_maybe_deleted() {
        check_before_sending(Mode::TunnelThenClose, "tls-eof", ErrorKind::Network);
    }

    #[test]
    fn tunnel_then_tls_stall_is_not_maybe_deleted() {
        check_before_sending(Mode::TunnelThenStall, "tls-stall", ErrorKind::Timeout);
    }

    #[test]
    fn a_request_written_through_the_tunnel_and_its_answer_lost_is_maybe_deleted() {
        let (origin, ca) = tls_origin("lost");
        origin.script("dev-x", vec![Answer::drop_connection(); 3]);
        let proxy = Proxy::start(Mode::Forward(origin.addr()));
        let (result, _) = delete(&origin, &ca, &proxy);
        let e = result.expect_err("the answer is lost");
        assert_eq!(e.kind(), ErrorKind::Network, "{e:?}");
        assert!(e.maybe_deleted(), "the DELETE reached the origin: {e:?}");
        assert!(origin.log().iter().all(|r| r.method == "DELETE"));
        assert!(!origin.log().is_empty());
    }

    #[test]
    fn a_tunnelled_tls_delete_succeeds() {
        let (origin, ca) = tls_origin("ok");
        let proxy = Proxy::start(Mode::Forward(origin.addr()));
        let (result, _) = delete(&origin, &ca, &proxy);
        result.expect("deleted through the tunnel");
        assert!(origin.devices().is_empty());
        assert_eq!(proxy.connects(), 1);
    }
}

/// An `https://` proxy: the CONNECT travels inside TLS to the proxy, which
/// must not count as the request either.
#[test]
fn a_tls_proxy_refusing_the_connect_is_not_maybe_deleted() {
    use engagelab_mock::{ConfigUpdate, ConnectAnswer, Tunnel};
    let proxy = MockServer::start(MockConfig {
        tls: true,
        ..MockConfig::default()
    })
    .unwrap();
    proxy.add_device(Device::new("dev-tp"));
    let dir = std::env::temp_dir().join(format!("engagelab-push-tls-proxy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, proxy.ca_pem().unwrap()).unwrap();
    let client = Client::builder(DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET)
        .base_url("http://push.example.invalid")
        .allow_insecure_http(true)
        .proxy(proxy.base_url())
        .ca_file(&ca)
        .build()
        .unwrap();

    proxy.set_config(ConfigUpdate {
        connect: Some(ConnectAnswer {
            status: 407,
            then: Tunnel::Serve,
        }),
        ..ConfigUpdate::default()
    });
    let e = client.delete_device("dev-tp").unwrap_err();
    assert_eq!(e.kind(), engagelab_push::ErrorKind::Network, "{e:?}");
    assert!(!e.maybe_deleted(), "{e:?}");
    assert_eq!(proxy.devices(), vec!["dev-tp".to_owned()]);

    proxy.set_config(ConfigUpdate {
        connect: Some(ConnectAnswer::default()),
        ..ConfigUpdate::default()
    });
    client
        .delete_device("dev-tp")
        .expect("deleted through the TLS proxy");
    assert!(proxy.devices().is_empty());
}

/// Plain `http://` is allowed without `allow_insecure_http` only because a
/// loopback base URL never leaves this machine; through a proxy elsewhere the
/// name is resolved by the proxy, and the request, Authorization header in
/// clear, would cross the network to land on the proxy host's own loopback.
/// `build` refuses that, naming `base_url`; a proxy on loopback (as in the
/// other tests here) or `allow_insecure_http` is accepted.
#[test]
fn a_loopback_http_base_url_through_a_proxy_elsewhere_needs_allow_insecure_http() {
    let build = |proxy: &str, allow: bool| {
        Client::builder(DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET)
            .base_url("http://127.0.0.1:1")
            .proxy(proxy)
            .allow_insecure_http(allow)
            .build()
    };
    for proxy in ["http://192.0.2.1:3128", "https://proxy.example:3128"] {
        let e = build(proxy, false).expect_err("plain http through a remote proxy");
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.to_string().contains("base_url"), "{e}");
        assert!(e.to_string().contains("allow_insecure_http"), "{e}");
        build(proxy, true).expect("allowed with allow_insecure_http");
    }
    for proxy in [
        "http://127.0.0.1:3128",
        "http://localhost:3128",
        "http://[::1]:3128",
    ] {
        build(proxy, false).expect("a proxy on loopback keeps the request on this machine");
    }
    Client::builder(DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET)
        .base_url("https://127.0.0.1:1")
        .proxy("http://192.0.2.1:3128")
        .build()
        .expect("https through any proxy");
}
