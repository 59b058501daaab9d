//! Defects a hostile review found: inputs that panicked, hung, read without
//! bound, went to the wrong port, or put secrets or spoofing characters into
//! messages. Each is now refused as `InvalidArgument` or handled.

use engagelab_mock::{DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET};
use std::time::{Duration, Instant};

use base64::Engine as _;
use engagelab_mock::{Answer, Device, MockConfig, MockServer};
use engagelab_push::{Client, ClientBuilder, ErrorKind, MAX_DURATION};

const KEY: &str = DEFAULT_APP_KEY;
const SECRET: &str = DEFAULT_MASTER_SECRET;

fn token() -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:{SECRET}"))
}

fn builder(mock: &MockServer) -> ClientBuilder {
    Client::builder(KEY, SECRET)
        .base_url(mock.base_url())
        .backoff(Duration::from_millis(1), Duration::from_millis(5))
}

/// Builds, and on success calls once: either must end as `InvalidArgument`
/// whose message contains `says`, and nothing may reach the server.
fn refused(mock: &MockServer, b: ClientBuilder, says: &str) {
    let e = b
        .build()
        .and_then(|c| c.delete_device("dev-1"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    assert!(
        e.message().contains(says),
        "want {says:?} in {}",
        e.message()
    );
    assert!(mock.log().is_empty(), "{:?}", mock.log());
}

#[test]
fn socks_proxies_are_refused_when_the_client_is_built() {
    // Before: accepted, then every call panicked (no SOCKS in this ureq build).
    let mock = MockServer::start(MockConfig::default()).unwrap();
    for url in [
        "socks4://127.0.0.1:1080",
        "socks4a://127.0.0.1:1080",
        "socks5://u:p@127.0.0.1:1080",
    ] {
        let e = builder(&mock).proxy(url).build().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(
            e.message().contains("only http:// and https:// proxies"),
            "{}",
            e.message()
        );
        assert!(!e.message().contains("u:p"), "{}", e.message());
    }
}

#[test]
fn durations_over_24_hours_are_refused_by_name() {
    // Before: `timeout(Duration::MAX)` built, then the call panicked on
    // `Instant::now() + timeout`.
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let over = MAX_DURATION + Duration::from_nanos(1);
    refused(&mock, builder(&mock).timeout(Duration::MAX), "timeout");
    refused(
        &mock,
        builder(&mock).timeout(over),
        "timeout must be at most",
    );
    refused(
        &mock,
        builder(&mock).connect_timeout(over),
        "connect_timeout must be at most",
    );
    refused(
        &mock,
        builder(&mock).backoff(Duration::ZERO, Duration::MAX),
        "backoff max",
    );
    refused(
        &mock,
        builder(&mock).backoff(over, over),
        "backoff base must be at most",
    );
    refused(
        &mock,
        builder(&mock).max_retry_after(Duration::MAX),
        "max_retry_after must be at most",
    );
    assert!(builder(&mock).timeout(MAX_DURATION).build().is_ok());
}

#[test]
fn the_largest_retry_after_does_not_overflow() {
    // Before: with `max_retry_after(Duration::MAX)` this header panicked.
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let client = builder(&mock)
        .max_retry_after(MAX_DURATION)
        .timeout(Duration::from_secs(2))
        .max_retries(1)
        .build()
        .unwrap();
    for value in ["18446744073709551615", "99999999999999999999999", "1e300"] {
        mock.script(
            "dev-slow",
            vec![Answer::status(429).with_header("Retry-After", value)],
        );
        let started = Instant::now();
        let e = client.delete_device("dev-slow").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::RateLimited, "{value}: {e}");
        assert!(started.elapsed() < Duration::from_secs(2), "{value}");
        assert!(e.retry_after().unwrap() <= MAX_DURATION, "{value}");
    }
}

#[test]
fn ports_outside_1_to_65535_are_refused() {
    // Before: `http://127.0.0.1:99999` was accepted and the call went to port 80.
    let mock = MockServer::start(MockConfig::default()).unwrap();
    for url in ["http://127.0.0.1:99999", "http://127.0.0.1:0"] {
        refused(
            &mock,
            Client::builder(KEY, SECRET).base_url(url),
            "ports are 1 to 65535",
        );
        refused(&mock, builder(&mock).proxy(url), "ports are 1 to 65535");
    }
}

#[test]
fn oversized_credentials_and_user_agents_are_refused() {
    // Before: a 100 KB Master Secret was sent, giving InvalidResponse with
    // maybe_deleted.
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let huge = "s".repeat(100_000);
    refused(
        &mock,
        Client::builder(KEY, huge.as_str()).base_url(mock.base_url()),
        "master_secret is 100000 bytes",
    );
    refused(
        &mock,
        Client::builder(huge.as_str(), SECRET).base_url(mock.base_url()),
        "app_key is 100000 bytes",
    );
    refused(
        &mock,
        builder(&mock).user_agent(huge.as_str()),
        "user_agent",
    );
}

#[test]
fn ids_with_invisible_or_non_ascii_characters_are_refused() {
    // Before: accepted and sent percent-encoded.
    let mock = MockServer::start(MockConfig::default()).unwrap();
    mock.add_device(Device::new("dev-1"));
    let client = builder(&mock).build().unwrap();
    for (id, says) in [
        ("dev\u{200B}1", "U+200B at byte 3"),
        ("dev\u{202E}1", "U+202E at byte 3"),
        ("\u{FEFF}dev-1", "U+FEFF at byte 0"),
        ("dev 1", "U+0020 at byte 3"),
        ("dev-é", "U+00E9 at byte 4"),
    ] {
        let e = client.delete_device(id).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{id:?}");
        assert!(e.message().contains(says), "{id:?}: {}", e.message());
        assert!(e.message().contains("printable ASCII"), "{}", e.message());
    }
    assert!(mock.log().is_empty());
}

fn assert_no_secret(text: &str) {
    let t = token();
    assert!(!text.contains(SECRET), "secret in {text:?}");
    assert!(!text.contains(&t), "token in {text:?}");
    // Nor any prefix of 8 bytes or more, anywhere.
    assert!(!text.contains(&t[..8]), "token prefix in {text:?}");
    assert!(!text.contains(&SECRET[..8]), "secret prefix in {text:?}");
}

fn error_for_body(body: String) -> engagelab_push::Error {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let client = builder(&mock).max_retries(0).build().unwrap();
    mock.script("dev-echo", vec![Answer::body(400, body)]);
    client.delete_device("dev-echo").unwrap_err()
}

#[test]
fn a_percent_encoded_token_is_scrubbed() {
    let encoded = format!("Basic%20{}", token().replace('=', "%3D"));
    let e = error_for_body(format!("you sent authorization={encoded}&x=1"));
    assert_no_secret(e.message());
    assert!(e.message().contains("** redacted **"), "{}", e.message());
    let e = error_for_body(format!("secret={}", SECRET.replace('-', "%2d")));
    assert!(!e.message().contains("master%2dsecret"), "{}", e.message());
}

#[test]
fn a_token_split_by_crlf_is_scrubbed() {
    let t = token();
    let e = error_for_body(format!("got: Basic {}\r\n {}", &t[..20], &t[20..]));
    assert_no_secret(&e.message().replace(' ', ""));
    let e = error_for_body(format!("got: Basic {}%0D%0A{}", &t[..20], &t[20..]));
    assert_no_secret(e.message());
}

#[test]
fn a_secret_at_the_excerpt_cut_leaves_no_prefix() {
    // The excerpt keeps 200 bytes: put the token and the secret across that cut.
    for at in [170, 180, 190, 195, 196] {
        for secret in [token(), SECRET.to_owned()] {
            let e = error_for_body(format!("{}{secret} and more", "x".repeat(at)));
            let m = e.message();
            assert!(m.len() <= 200 + "** redacted **".len(), "{}", m.len());
            assert_no_secret(m);
            let tail = m.trim_start_matches('x');
            assert!(
                !secret.starts_with(tail) || tail.len() < 4,
                "at {at}: prefix {tail:?} left"
            );
        }
    }
}

#[test]
fn bidi_and_format_characters_from_the_server_are_stripped() {
    let spoof =
        "ok\u{202E}gnp.exe\u{202C} \u{2066}x\u{2069}\u{200E}\u{200F}\u{061C}\u{200B}\u{FEFF}y";
    for body in [
        format!("{{\"code\":27002,\"message\":\"{spoof}\"}}"),
        spoof.to_owned(),
    ] {
        let e = error_for_body(body);
        let m = e.message();
        assert!(
            !m.chars().any(|c| matches!(c,
                '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200B}'..='\u{200F}'
                | '\u{061C}' | '\u{FEFF}')),
            "{m:?}"
        );
        assert!(m.contains("okgnp.exe"), "{m:?}");
    }
}

#[cfg(unix)]
mod ca_file {
    use super::*;
    use std::sync::mpsc;

    fn refused_within_seconds(path: std::path::PathBuf, says: &'static str) {
        // Built on another thread: a FIFO used to block forever.
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let r = Client::builder(KEY, SECRET).ca_file(path).build();
            let _ = tx.send(
                r.map(|_| ())
                    .map_err(|e| (e.kind(), e.message().to_owned())),
            );
        });
        let r = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("building with the ca_file returned");
        let (kind, message) = r.unwrap_err();
        assert_eq!(kind, ErrorKind::InvalidArgument);
        assert!(message.starts_with("ca_file"), "{message}");
        assert!(message.contains(says), "{message}");
    }

    #[test]
    fn dev_zero_is_not_read() {
        refused_within_seconds("/dev/zero".into(), "not a regular file");
    }

    #[test]
    fn a_fifo_is_not_opened() {
        let dir = std::env::temp_dir().join(format!("engagelab-fifo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("ca.pem");
        let _ = std::fs::remove_file(&fifo);
        let status = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !status.is_ok_and(|s| s.success()) {
            eprintln!("mkfifo unavailable; skipped");
            return;
        }
        refused_within_seconds(fifo.clone(), "not a regular file");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_fifo_swapped_in_after_the_check_never_blocks() {
        use std::os::unix::fs::symlink;
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, Ordering};
        // The path is a symlink that another thread keeps pointing at a
        // regular file, then at a FIFO: a check of the path followed by a
        // blocking open() of it used to hang whenever the swap fell between
        // the two.
        let dir = std::env::temp_dir().join(format!("engagelab-swap-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let regular = dir.join("real.pem");
        std::fs::write(&regular, "no certificate here\n").unwrap();
        let fifo = dir.join("fifo");
        let status = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !status.is_ok_and(|s| s.success()) {
            eprintln!("mkfifo unavailable; skipped");
            return;
        }
        let link = dir.join("ca.pem");
        symlink(&regular, &link).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let swapper = {
            let (stop, dir, link) = (stop.clone(), dir.clone(), link.clone());
            let targets = [fifo.clone(), regular.clone()];
            std::thread::spawn(move || {
                let tmp = dir.join("next");
                for i in 0usize.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let _ = std::fs::remove_file(&tmp);
                    symlink(&targets[i % 2], &tmp).unwrap();
                    std::fs::rename(&tmp, &link).unwrap();
                }
            })
        };
        let (tx, rx) = mpsc::channel();
        {
            let link = link.clone();
            std::thread::spawn(move || {
                for _ in 0..50000 {
                    let r = Client::builder(KEY, SECRET).ca_file(&link).build();
                    let r = r
                        .map(|_| ())
                        .map_err(|e| (e.kind(), e.message().to_owned()));
                    if tx.send(r).is_err() {
                        break;
                    }
                }
            });
        }
        let mut refused = [0usize; 2];
        for round in 0..50000 {
            let Ok(r) = rx.recv_timeout(Duration::from_secs(30)) else {
                stop.store(true, Ordering::Relaxed);
                panic!("building with the ca_file blocked (round {round})");
            };
            let (kind, message) = r.unwrap_err();
            assert_eq!(kind, ErrorKind::InvalidArgument, "{message}");
            if message.contains("not a regular file") {
                refused[0] += 1;
            } else {
                assert!(message.contains("contains no PEM certificate"), "{message}");
                refused[1] += 1;
            }
        }
        stop.store(true, Ordering::Relaxed);
        swapper.join().unwrap();
        eprintln!(
            "refused as a FIFO: {}, read and refused: {}",
            refused[0], refused[1]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_file_over_4_mib_is_not_read() {
        let dir = std::env::temp_dir().join(format!("engagelab-big-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let big = dir.join("big.pem");
        let f = std::fs::File::create(&big).unwrap();
        // Sparse: no disk is used.
        f.set_len(engagelab_push::MAX_CA_FILE_BYTES + 1).unwrap();
        drop(f);
        refused_within_seconds(big, "at most 4194304");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
