//! The call's deadline is exact, a cancel stops it mid-request or mid-wait,
//! and `maybe_deleted` is set only when the request may have reached the
//! server: each against a real server on loopback (engagelab-mock, or a raw
//! socket where the mock cannot misbehave that way).
//!
//! The servers answer seconds late, so a call that ends by its deadline or
//! its cancel ends long before them. The bounds sit halfway between: a loaded
//! machine cannot fail them, a deadline or cancel that does not work does.
//! (On an idle machine the overshoot is a few milliseconds; the tests print
//! it.)

use engagelab_mock::{DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use engagelab_mock::{Answer, Device, MockConfig, MockServer};
use engagelab_push::{CallOptions, CancelToken, Client, ErrorKind};

fn client_for(base_url: &str) -> engagelab_push::ClientBuilder {
    Client::builder(DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET)
        .base_url(base_url)
        .backoff(Duration::from_millis(1), Duration::from_millis(5))
}

fn slow_mock(id: &str, delay_ms: u64) -> MockServer {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    mock.add_device(Device::new(id));
    mock.script(id, vec![Answer::status(200).with_delay_ms(delay_ms)]);
    mock
}

#[test]
fn the_deadline_ends_the_call_not_the_answer() {
    let mock = slow_mock("dev-slow", 5_000);
    let client = client_for(mock.base_url())
        .timeout(Duration::from_millis(1_000))
        .max_retries(0)
        .build()
        .unwrap();
    let started = Instant::now();
    let e = client.delete_device("dev-slow").unwrap_err();
    let took = started.elapsed();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(e.maybe_deleted(), "the request was written: {e}");
    assert!(took >= Duration::from_millis(1_000), "{took:?}");
    println!("overshoot: {:?}", took - Duration::from_millis(1_000));
    assert!(took < Duration::from_millis(3_000), "overshoot: {took:?}");
}

#[test]
fn a_per_call_timeout_shortens_the_deadline() {
    let mock = slow_mock("dev-slow", 5_000);
    let client = client_for(mock.base_url()).max_retries(0).build().unwrap();
    let started = Instant::now();
    let options = CallOptions::new().timeout(Duration::from_millis(300));
    let e = client.delete_device_with("dev-slow", &options).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(
        started.elapsed() < Duration::from_millis(2_500),
        "{:?}",
        started.elapsed()
    );
}

/// Waits until `mock` has logged `n` requests (it logs each on arrival,
/// before any scripted delay): the request is on the wire, as a fact.
fn await_requests(mock: &MockServer, n: usize) {
    let started = Instant::now();
    while mock.log().len() < n {
        assert!(started.elapsed() < Duration::from_secs(10), "no request");
        thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn a_cancel_stops_a_call_waiting_for_its_answer() {
    let mock = std::sync::Arc::new(slow_mock("dev-slow", 5_000));
    let client = client_for(mock.base_url()).build().unwrap();
    let token = CancelToken::new();
    let canceller = {
        let token = token.clone();
        let mock = mock.clone();
        thread::spawn(move || {
            await_requests(&mock, 1);
            let at = Instant::now();
            token.cancel();
            at
        })
    };
    let e = client
        .delete_device_with("dev-slow", &CallOptions::new().cancel(token))
        .unwrap_err();
    let returned = Instant::now();
    let cancelled_at = canceller.join().unwrap();
    assert_eq!(e.kind(), ErrorKind::Cancelled, "{e}");
    assert_eq!(e.attempts(), 1, "{e}");
    assert!(e.maybe_deleted(), "the request was written: {e}");
    // The message does not repeat the category's summary.
    assert_eq!(e.to_string().matches("cancelled").count(), 1, "{e}");
    println!("returned {:?} after the cancel", returned - cancelled_at);
    assert!(
        returned - cancelled_at < Duration::from_millis(2_500),
        "{:?}",
        returned - cancelled_at
    );
    assert_eq!(mock.log().len(), 1, "no request after the cancel");
}

#[test]
fn a_cancel_stops_a_backoff_wait() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    mock.script(
        "dev-busy",
        vec![Answer::status(429).with_header("Retry-After", "5"); 3],
    );
    let client = client_for(mock.base_url())
        .max_retry_after(Duration::from_secs(10))
        .build()
        .unwrap();
    let token = CancelToken::new();
    let canceller = {
        let token = token.clone();
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(200));
            token.cancel();
        })
    };
    let started = Instant::now();
    let e = client
        .delete_device_with("dev-busy", &CallOptions::new().cancel(token))
        .unwrap_err();
    canceller.join().unwrap();
    assert_eq!(e.kind(), ErrorKind::Cancelled, "{e}");
    assert_eq!(e.attempts(), 1, "{e}");
    assert!(!e.maybe_deleted(), "the server answered 429: {e}");
    assert_eq!(e.to_string().matches("cancelled").count(), 1, "{e}");
    assert!(
        started.elapsed() < Duration::from_millis(2_500),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_tiny_timeout_sends_nothing_and_deletes_nothing() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    mock.add_device(Device::new("dev-1"));
    let client = client_for(mock.base_url())
        .timeout(Duration::from_nanos(1))
        .build()
        .unwrap();
    let e = client.delete_device("dev-1").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(!e.maybe_deleted(), "{e}");
    assert!(mock.device("dev-1").is_some());
}

#[test]
fn a_per_call_timeout_of_zero_is_a_timeout_that_sends_nothing() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    mock.add_device(Device::new("dev-1"));
    let client = client_for(mock.base_url()).build().unwrap();
    let zero = CallOptions::new().timeout(Duration::ZERO);
    let errors = [
        client.delete_device_with("dev-1", &zero).unwrap_err(),
        client.get_device_with("dev-1", &zero).unwrap_err(),
        client.get_alias_with("user-1", &[], &zero).unwrap_err(),
        client
            .check(&engagelab_push::CheckOptions::new().call_options(zero.clone()))
            .unwrap_err(),
    ];
    for e in errors {
        assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
        assert_eq!(e.attempts(), 0, "{e}");
        assert!(!e.maybe_deleted(), "{e}");
    }
    assert!(mock.log().is_empty(), "{:?}", mock.log());
    assert!(mock.device("dev-1").is_some());
}

/// A server that accepts and then does `behave` with each connection.
fn raw_server(behave: fn(TcpStream)) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || behave(stream));
        }
    });
    format!("{addr}")
}

/// Reads one request head.
fn read_head(stream: &mut TcpStream) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
        head.push(byte[0]);
    }
}

#[test]
fn a_tls_server_that_never_handshakes_deleted_nothing() {
    let addr = raw_server(|stream| {
        thread::sleep(Duration::from_secs(5));
        drop(stream);
    });
    // The overall deadline, not the connect timeout, ends the handshake.
    let client = client_for(&format!("https://{addr}"))
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let e = client.delete_device("dev-1").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(!e.maybe_deleted(), "no request can have left: {e}");
}

#[test]
fn a_connect_cut_by_the_overall_deadline_deleted_nothing() {
    // A listener whose accept queue is full: further SYNs go unanswered.
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket
        .bind(&std::net::SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .unwrap();
    socket.listen(0).unwrap();
    let addr = socket.local_addr().unwrap().as_socket().unwrap();
    let _fillers: Vec<TcpStream> = (0..4)
        .filter_map(|_| TcpStream::connect_timeout(&addr, Duration::from_millis(200)).ok())
        .collect();
    let client = client_for(&format!("http://{addr}"))
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let started = Instant::now();
    let e = client.delete_device("dev-1").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(!e.maybe_deleted(), "no request can have left: {e}");
    assert!(
        started.elapsed() < Duration::from_millis(2_500),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_tls_server_that_resets_during_the_handshake_deleted_nothing() {
    let addr = raw_server(|stream| {
        let socket = socket2::Socket::from(stream);
        let _ = socket.set_linger(Some(Duration::ZERO));
        let mut buf = [0u8; 16];
        let _ = (&socket).read(&mut buf);
        drop(socket); // RST
    });
    let client = client_for(&format!("https://{addr}")).build().unwrap();
    let e = client.delete_device("dev-1").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network, "{e}");
    assert!(!e.maybe_deleted(), "no request can have left: {e}");
}

#[test]
fn an_error_body_that_stops_short_is_a_timeout_with_its_status() {
    let addr = raw_server(|mut stream| {
        read_head(&mut stream);
        let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 100\r\n\r\nshort");
        thread::sleep(Duration::from_secs(5));
    });
    let client = client_for(&format!("http://{addr}"))
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let e = client.delete_device("dev-1").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert_eq!(e.http_status(), Some(400), "{e}");
}

#[test]
fn a_bad_chunk_in_an_error_body_is_an_invalid_response_and_not_retried() {
    let addr = raw_server(|mut stream| {
        read_head(&mut stream);
        let _ = stream.write_all(
            b"HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\nxx\r\n0\r\n\r\n",
        );
        thread::sleep(Duration::from_millis(500));
    });
    let client = client_for(&format!("http://{addr}")).build().unwrap();
    let e = client.delete_device("dev-1").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{e}");
    assert_eq!(e.attempts(), 1, "not retried: {e}");
    assert_eq!(e.http_status(), Some(400), "{e}");
}

#[test]
fn a_gateway_timeout_may_hide_a_deletion() {
    let mock = MockServer::start(MockConfig::default()).unwrap();
    mock.script("dev-gw", vec![Answer::status(504); 1]);
    let client = client_for(mock.base_url()).max_retries(0).build().unwrap();
    let e = client.delete_device("dev-gw").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server, "{e}");
    assert!(e.maybe_deleted(), "{e}");
    mock.script("dev-503", vec![Answer::status(503); 1]);
    let e = client.delete_device("dev-503").unwrap_err();
    assert!(!e.maybe_deleted(), "a 503 did not act: {e}");
}

#[test]
fn a_gateway_timeout_with_a_large_body_may_still_hide_a_deletion() {
    // A gateway's 502/504 page may forward the request and lose its answer,
    // whatever the size of the page it sends back: a body over the 64 KiB
    // cap changes how the answer is
    // reported, not whether the device may be gone.
    let mock = MockServer::start(MockConfig::default()).unwrap();
    let client = client_for(mock.base_url()).max_retries(0).build().unwrap();
    for status in [502, 504] {
        let id = format!("dev-gw-big-{status}");
        mock.script(
            &id,
            vec![Answer::body(status, "<html>gateway</html>").with_body_size(200_000)],
        );
        let e = client.delete_device(&id).unwrap_err();
        assert_eq!(e.http_status(), Some(status), "{e}");
        assert!(e.maybe_deleted(), "HTTP {status} with a large body: {e}");
    }
}

/// A cancel token whose check, the first time it runs once `mock` has read
/// the request for `path` (so inside the waiting call, as a Python signal
/// handler runs), makes `nested` on the calling thread, then answers `cancel`;
/// what `nested` returned is kept.
fn reentrant_token<T: Send + 'static>(
    mock: &std::sync::Arc<MockServer>,
    path: &'static str,
    nested: impl Fn() -> T + Send + Sync + 'static,
    cancel: bool,
) -> (CancelToken, std::sync::Arc<std::sync::Mutex<Vec<T>>>) {
    use std::sync::{Arc, Mutex};
    let results: Arc<Mutex<Vec<T>>> = Arc::default();
    let kept = results.clone();
    let mock = mock.clone();
    let token = CancelToken::with_check(move || {
        if !mock.log().iter().any(|r| r.path == path) {
            return false;
        }
        let mut results = kept.lock().unwrap();
        if results.is_empty() {
            results.push(nested());
        }
        cancel
    });
    (token, results)
}

#[test]
fn a_call_from_inside_a_waiting_call_on_the_same_thread_works() {
    // Before: the nested call panicked ("RefCell already borrowed").
    let mock = std::sync::Arc::new(slow_mock("dev-slow", 1_000));
    mock.add_device(Device::new("dev-other"));
    let client = client_for(mock.base_url()).max_retries(0).build().unwrap();
    let inner = client.clone();
    let (token, nested) = reentrant_token(
        &mock,
        "/v4/devices/dev-slow",
        move || inner.delete_device("dev-other"),
        false,
    );
    let outer = client.delete_device_with("dev-slow", &CallOptions::new().cancel(token));
    assert!(outer.is_ok(), "{outer:?}");
    let nested = nested.lock().unwrap();
    assert_eq!(nested.len(), 1, "the check ran while the call waited");
    assert!(nested[0].is_ok(), "{:?}", nested[0]);
    let mut deleted: Vec<String> = mock.log().iter().map(|r| r.path.clone()).collect();
    deleted.sort();
    assert_eq!(deleted, ["/v4/devices/dev-other", "/v4/devices/dev-slow"]);
}

#[test]
fn a_call_cancelled_after_a_nested_call_still_says_it_may_have_deleted() {
    // The waiting DELETE was read by the server: whatever ran inside it, its
    // error says it may have deleted the device, after one attempt.
    let mock = std::sync::Arc::new(slow_mock("dev-slow", 5_000));
    let client = client_for(mock.base_url()).max_retries(0).build().unwrap();
    let inner = client.clone();
    let (token, nested) = reentrant_token(
        &mock,
        "/v4/devices/dev-slow",
        move || inner.get_device("dev-unknown"),
        true,
    );
    let e = client
        .delete_device_with("dev-slow", &CallOptions::new().cancel(token))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Cancelled, "{e}");
    assert!(e.maybe_deleted(), "{e:?}");
    assert_eq!(e.attempts(), 1, "{e:?}");
    let nested = nested.lock().unwrap();
    let n = nested[0].as_ref().unwrap_err();
    assert_ne!(n.kind(), ErrorKind::Internal, "{n:?}");
    assert!(!n.maybe_deleted(), "{n:?}");
}

#[test]
fn a_call_from_a_check_during_a_backoff_wait_may_use_the_same_token() {
    // Before: the waiting call held its token's lock while the check ran, so
    // a nested call that waited on the same token blocked forever.
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, OnceLock, mpsc};
    let mock = Arc::new(MockServer::start(MockConfig::default()).unwrap());
    mock.add_device(Device::new("dev-busy"));
    mock.add_device(Device::new("dev-nested"));
    let busy = || Answer::status(429).with_header("Retry-After", "1");
    mock.script("dev-busy", vec![busy(), Answer::status(200)]);
    mock.script("dev-nested", vec![busy(), Answer::status(200)]);
    let client = client_for(mock.base_url())
        .max_retries(1)
        .max_retry_after(Duration::from_millis(300))
        .build()
        .unwrap();
    let token_slot: Arc<OnceLock<CancelToken>> = Arc::default();
    let nested: Arc<OnceLock<Result<(), engagelab_push::Error>>> = Arc::default();
    let inside = Arc::new(AtomicBool::new(false));
    let token = {
        let (client, token_slot, nested, inside, mock) = (
            client.clone(),
            token_slot.clone(),
            nested.clone(),
            inside.clone(),
            mock.clone(),
        );
        CancelToken::with_check(move || {
            // The first check once the first attempt was answered: the call
            // waits to retry.
            let answered = || mock.log().iter().any(|r| r.path == "/v4/devices/dev-busy");
            if nested.get().is_none() && answered() && !inside.swap(true, Ordering::SeqCst) {
                let same = token_slot.get().unwrap().clone();
                let r = client.delete_device_with("dev-nested", &CallOptions::new().cancel(same));
                let _ = nested.set(r);
            }
            false
        })
    };
    let _ = token_slot.set(token.clone());
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(client.delete_device_with("dev-busy", &CallOptions::new().cancel(token)));
    });
    let outer = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the calls returned");
    assert!(outer.is_ok(), "{outer:?}");
    let nested = nested.get().expect("the nested call ran");
    assert!(nested.is_ok(), "{nested:?}");
}

#[test]
fn a_quota_reset_header_on_a_server_error_is_not_a_retry_hint() {
    // EngageLab (as JPush) sends X-Rate-Limit-Limit/-Remaining/-Reset with
    // every answer: on a 5xx with quota left, the Reset is when the quota
    // window ends, not when to retry. Waiting for it turns a transient 500
    // into seconds of delay (up to max_retry_after, 10 s by default) on
    // every retry.
    let mock = MockServer::start(MockConfig::default()).unwrap();
    mock.add_device(Device::new("dev-quota"));
    mock.script(
        "dev-quota",
        vec![
            Answer::status(500)
                .with_header("X-Rate-Limit-Limit", "600")
                .with_header("X-Rate-Limit-Remaining", "599")
                .with_header("X-Rate-Limit-Reset", "5"),
        ],
    );
    let client = client_for(mock.base_url())
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let started = Instant::now();
    client
        .delete_device("dev-quota")
        .expect("the retry succeeds");
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(2),
        "waited {took:?}: the quota window's reset was taken as a retry hint"
    );
}
