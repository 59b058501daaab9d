//! A server that never completes the TCP handshake: the connect timeout fires,
//! the failure is retried, and nothing can have been deleted.

use engagelab_mock::{DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use engagelab_push::{Client, ErrorKind};
use socket2::{Domain, Socket, Type};

/// A listener whose accept queue is full: further SYNs go unanswered.
fn unresponsive_listener() -> (Socket, SocketAddr, Vec<TcpStream>) {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket
        .bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .unwrap();
    socket.listen(0).unwrap();
    let addr = socket.local_addr().unwrap().as_socket().unwrap();
    // Fill the queue; these connections are never accepted.
    let mut fillers = Vec::new();
    for _ in 0..4 {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(s) => fillers.push(s),
            Err(_) => break,
        }
    }
    (socket, addr, fillers)
}

#[test]
fn connect_timeout_is_a_retried_timeout_that_deleted_nothing() {
    let (_listener, addr, _fillers) = unresponsive_listener();
    let client = Client::builder(DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET)
        .base_url(format!("http://{addr}"))
        .connect_timeout(Duration::from_millis(300))
        .timeout(Duration::from_secs(10))
        .max_retries(1)
        .backoff(Duration::from_millis(1), Duration::from_millis(5))
        .build()
        .unwrap();
    let started = Instant::now();
    let e = client.delete_device("dev-1").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert_eq!(e.attempts(), 2, "{e}");
    assert!(!e.maybe_deleted(), "nothing was sent: {e}");
    assert!(e.message().contains("connect"), "{}", e.message());
    assert!(
        started.elapsed() >= Duration::from_millis(550),
        "{:?}",
        started.elapsed()
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}
