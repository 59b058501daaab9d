//! Name resolution inside the call's deadline and cancel token, against a
//! DNS server that never answers.
//!
//! Each case runs in a child process of this binary, inside a private mount
//! namespace (`unshare -m`) where `/etc/resolv.conf` names a black-hole DNS
//! server this process binds on a loopback address (and `/etc/nsswitch.conf`
//! says `hosts: files dns`). The parent checks the child passed and that the
//! query really reached the server. Needs root and `unshare`; without them
//! every case is reported as ignored, saying why.

use engagelab_mock::{DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET};
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::process::{Command, ExitCode};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use engagelab_mock::{MockConfig, MockServer};
use engagelab_push::{CallOptions, CancelToken, Client, ErrorKind};
use libtest_mimic::{Arguments, Failed, Trial};

/// Set in the child that runs one case inside the namespace.
const CHILD: &str = "ENGAGELAB_PUSH_DNS_CHILD";

/// A name no file knows, so the lookup goes to the DNS server.
const HANG: &str = "dns-hang.engagelab.test";

/// The call's deadline in every timed case.
const DEADLINE: Duration = Duration::from_secs(1);

/// How far past its deadline a call may return on a busy machine; without
/// the fix it returns after the resolver's own 5 s timeout.
const SLACK: Duration = Duration::from_millis(1000);

/// Runs `call`, checks it failed with `kind` and `maybe_deleted` false,
/// within `limit`; returns how long it took.
fn expect_failure(
    kind: ErrorKind,
    limit: Duration,
    call: impl FnOnce() -> Result<(), engagelab_push::Error>,
) -> Result<Duration, Failed> {
    let started = Instant::now();
    let result = call();
    let elapsed = started.elapsed();
    let Err(e) = result else {
        return Err("the call succeeded".into());
    };
    if e.kind() != kind {
        return Err(format!("{:?}, want {kind:?}: {e}", e.kind()).into());
    }
    if e.maybe_deleted() {
        return Err(format!("maybe_deleted is true: {e}").into());
    }
    if elapsed > limit {
        return Err(format!("took {elapsed:?}, more than {limit:?}: {e}").into());
    }
    eprintln!("{kind:?} after {elapsed:?}: {e}");
    Ok(elapsed)
}

fn client(base_url: &str, retries: u32) -> engagelab_push::ClientBuilder {
    Client::builder(DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET)
        .base_url(base_url)
        .allow_insecure_http(true)
        .timeout(DEADLINE)
        .max_retries(retries)
        .backoff(Duration::from_millis(1), Duration::from_millis(10))
}

fn deadline_case(retries: u32) -> Result<(), Failed> {
    let c = client(&format!("http://{HANG}:8080"), retries)
        .build()
        .map_err(|e| e.to_string())?;
    let elapsed = expect_failure(ErrorKind::Timeout, DEADLINE + SLACK, || {
        c.delete_device("dns-device")
    })?;
    if elapsed < DEADLINE - Duration::from_millis(50) {
        return Err(format!("returned after {elapsed:?}, before the deadline").into());
    }
    Ok(())
}

fn retries_off() -> Result<(), Failed> {
    deadline_case(0)
}

fn retries_on() -> Result<(), Failed> {
    deadline_case(2)
}

fn proxy_host() -> Result<(), Failed> {
    let mock = MockServer::start(MockConfig::default()).map_err(|e| e.to_string())?;
    let c = client(mock.base_url(), 2)
        .proxy(format!("http://{HANG}:3128"))
        .build()
        .map_err(|e| e.to_string())?;
    expect_failure(ErrorKind::Timeout, DEADLINE + SLACK, || {
        c.delete_device("dns-device")
    })?;
    if !mock.log().is_empty() {
        return Err("the request reached the server".into());
    }
    Ok(())
}

fn cancel_mid_lookup() -> Result<(), Failed> {
    let c = client(&format!("http://{HANG}:8080"), 2)
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let token = CancelToken::new();
    let canceller = {
        let token = token.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            token.cancel();
            Instant::now()
        })
    };
    let options = CallOptions::new().cancel(token);
    let result = expect_failure(ErrorKind::Cancelled, Duration::from_secs(30), || {
        c.delete_device_with("dns-device", &options)
    });
    let cancelled_at = canceller.join().map_err(|_| "canceller panicked")?;
    result?;
    let late = cancelled_at.elapsed();
    if late > SLACK {
        return Err(format!("returned {late:?} after the cancel").into());
    }
    Ok(())
}

/// Threads of this process named `engagelab-dns`.
fn resolver_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|tasks| {
            tasks
                .flatten()
                .filter(|t| {
                    std::fs::read_to_string(t.path().join("comm"))
                        .is_ok_and(|name| name.trim() == "engagelab-dns")
                })
                .count()
        })
        .unwrap_or(0)
}

fn one_lookup_per_name() -> Result<(), Failed> {
    // Calls that time out on a stuck name share its one lookup.
    let c = client(&format!("http://{HANG}:8080"), 0)
        .timeout(Duration::from_millis(50))
        .build()
        .map_err(|e| e.to_string())?;
    for _ in 0..20 {
        expect_failure(ErrorKind::Timeout, Duration::from_secs(5), || {
            c.delete_device("dns-device")
        })?;
    }
    let threads = resolver_threads();
    if threads != 1 {
        return Err(format!("{threads} resolver threads after 20 calls, want 1").into());
    }
    Ok(())
}

type Case = fn() -> Result<(), Failed>;

const CASES: [(&str, Case); 5] = [
    (
        "dns_hang_retries_off_times_out_at_the_deadline",
        retries_off,
    ),
    ("dns_hang_retries_on_times_out_at_the_deadline", retries_on),
    (
        "dns_hang_of_the_proxy_times_out_at_the_deadline",
        proxy_host,
    ),
    ("dns_hang_is_cancelled_mid_lookup", cancel_mid_lookup),
    ("dns_hang_shares_one_lookup_per_name", one_lookup_per_name),
];

/// A DNS server on a loopback address that reads queries and never answers.
struct BlackHole {
    socket: UdpSocket,
    queries: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl BlackHole {
    /// Binds port 53 of a loopback address of its own (a fixed port on a
    /// random address, so parallel runs do not meet).
    fn bind() -> std::io::Result<BlackHole> {
        let mut last = None;
        for _ in 0..20 {
            // RandomState is seeded afresh per instance: a random address
            // for each test of this binary and each attempt.
            let n = std::hash::BuildHasher::hash_one(
                &std::collections::hash_map::RandomState::new(),
                std::process::id(),
            );
            let ip = Ipv4Addr::new(127, 53, (n >> 8) as u8, (n as u8).max(2));
            match UdpSocket::bind(SocketAddr::from((ip, 53))) {
                Ok(socket) => {
                    return Ok(BlackHole {
                        socket,
                        queries: Arc::default(),
                    });
                }
                Err(e) => last = Some(e),
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        Err(last.unwrap())
    }

    fn ip(&self) -> String {
        self.socket.local_addr().unwrap().ip().to_string()
    }

    /// Reads (and never answers) every query that arrives.
    fn listen(&self) {
        let socket = self.socket.try_clone().unwrap();
        let queries = self.queries.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 1500];
            while let Ok(n) = socket.recv(&mut buf) {
                queries.lock().unwrap().push(buf[..n].to_vec());
            }
        });
    }

    /// Whether a query for `name` arrived.
    fn asked_for(&self, name: &str) -> bool {
        // A query's name is a sequence of length-prefixed labels.
        let label = name.split('.').next().unwrap().as_bytes();
        self.queries
            .lock()
            .unwrap()
            .iter()
            .any(|q| q.windows(label.len()).any(|w| w == label))
    }
}

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

/// Runs case `name` in a child inside a mount namespace whose resolver is a
/// black hole.
fn run_in_namespace(name: &str) -> Result<(), Failed> {
    let hole = BlackHole::bind().map_err(|e| format!("cannot bind a DNS port: {e}"))?;
    hole.listen();
    let dir = std::env::temp_dir().join(format!("engagelab-dns-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let resolv = dir.join("resolv.conf");
    let nsswitch = dir.join("nsswitch.conf");
    std::fs::write(
        &resolv,
        format!("nameserver {}\noptions timeout:5 attempts:1\n", hole.ip()),
    )
    .map_err(|e| e.to_string())?;
    std::fs::write(&nsswitch, "hosts: files dns\n").map_err(|e| e.to_string())?;
    let out = Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c"])
        .arg(
            "mount --bind \"$1\" /etc/resolv.conf && mount --bind \"$2\" /etc/nsswitch.conf \
             && shift 2 && exec \"$@\"",
        )
        .arg("sh")
        .arg(&resolv)
        .arg(&nsswitch)
        .arg(std::env::current_exe().map_err(|e| e.to_string())?)
        .args(["--exact", name, "--test-threads", "1", "--nocapture"])
        .env(CHILD, "1")
        .output()
        .map_err(|e| format!("unshare: {e}"))?;
    let _ = std::fs::remove_dir_all(&dir);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success() {
        return Err(format!("the case failed in the namespace:\n{text}").into());
    }
    if !text.contains("1 passed") {
        return Err(format!("the child ran no case:\n{text}").into());
    }
    if !hole.asked_for(HANG) {
        return Err(format!("no query for {HANG} reached the DNS server:\n{text}").into());
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = Arguments::from_args();
    let child = std::env::var_os(CHILD).is_some();
    let unavailable = if child { None } else { unavailable() };
    if let Some(why) = &unavailable {
        eprintln!("dns: cases ignored: {why}");
    }
    let trials = CASES
        .iter()
        .map(|&(name, case)| {
            if child {
                Trial::test(name, case)
            } else {
                Trial::test(name, move || run_in_namespace(name))
                    .with_ignored_flag(unavailable.is_some())
            }
        })
        .collect();
    libtest_mimic::run(&args, trials).exit_code()
}
