//! A host name with several addresses: one that never answers a connect (a
//! dead server still in DNS, a black-holed route) must not use up the whole
//! connect time, so the next address gets its turn, as curl and ureq's own
//! connector do.
//!
//! The name is given two loopback addresses in `/etc/hosts`, inside a
//! private mount namespace (`unshare -m`) in a child process of this binary.
//! Needs root and `unshare`; without them the test says why and passes.

use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use engagelab_mock::{DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET, Device, MockConfig, MockServer};
use engagelab_push::Client;
use socket2::{Domain, Socket, Type};

/// Set in the child that runs inside the namespace.
const CHILD: &str = "ENGAGELAB_PUSH_ADDRESSES_CHILD";

/// The name with two addresses. getaddrinfo sorts 127.0.0.1 first (the
/// longest prefix shared with the source address), so that one is dead.
const NAME: &str = "two-addresses.engagelab.test";

/// Why the namespace cannot be had here, if it cannot.
fn unavailable() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let euid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1));
    if euid != Some("0") {
        return Some("not root: a private mount namespace needs root".into());
    }
    if Command::new("unshare").arg("--help").output().is_err() {
        return Some("`unshare` (util-linux) is not installed".into());
    }
    None
}

/// A listener on `127.0.0.1:0` whose accept queue is full: further connects
/// to it get no SYN-ACK and wait, as to a dead host.
fn dead_listener() -> (Socket, Vec<Socket>) {
    let listener = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    listener
        .bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .unwrap();
    listener.listen(0).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..4 {
        let s = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        if s.connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            fillers.push(s);
        }
    }
    (listener, fillers)
}

fn in_the_namespace() {
    let (dead, _fillers) = dead_listener();
    let port = dead.local_addr().unwrap().as_socket().unwrap().port();
    let mock = MockServer::start(MockConfig {
        listen: SocketAddr::from(([127, 0, 0, 2], port)),
        devices: vec![Device::new("dev-two")],
        ..MockConfig::default()
    })
    .unwrap();
    let client = Client::builder(DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET)
        .base_url(format!("http://{NAME}:{port}"))
        .allow_insecure_http(true)
        .connect_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(6))
        .build()
        .unwrap();
    let started = Instant::now();
    let result = client.get_device("dev-two");
    let took = started.elapsed();
    eprintln!("took {took:?}: {result:?}");
    assert!(
        result.is_ok(),
        "the second address was never tried: {}",
        result.unwrap_err()
    );
    assert_eq!(mock.log().len(), 1);
}

#[test]
fn a_dead_first_address_leaves_the_next_one_its_turn() {
    if std::env::var_os(CHILD).is_some() {
        return in_the_namespace();
    }
    if let Some(why) = unavailable() {
        eprintln!("addresses: case skipped: {why}");
        return;
    }
    let hosts = std::env::temp_dir().join(format!("engagelab-hosts-{}", std::process::id()));
    std::fs::write(
        &hosts,
        format!("127.0.0.1 localhost\n127.0.0.1 {NAME}\n127.0.0.2 {NAME}\n"),
    )
    .unwrap();
    let out = Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c"])
        .arg("mount --bind \"$1\" /etc/hosts && shift && exec \"$@\"")
        .arg("sh")
        .arg(&hosts)
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_dead_first_address_leaves_the_next_one_its_turn",
            "--test-threads",
            "1",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&hosts);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.contains("1 passed"),
        "in the namespace:\n{text}"
    );
}
