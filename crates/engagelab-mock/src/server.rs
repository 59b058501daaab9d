//! The mock server: listening socket, accept thread, and the API tests use in-process.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use rustls::{ServerConfig, ServerConnection, StreamOwned};

use crate::config::{ConfigUpdate, Device, MockConfig, Settings, check_status};
use crate::conn;
use crate::log::LoggedRequest;
use crate::script::{Answer, Target};
use crate::state::State;
use crate::tls;

/// Stack size of connection threads.
const CONN_STACK: usize = 512 * 1024;

/// What the accept thread and the connection threads share.
struct Shared {
    state: State,
    stopping: AtomicBool,
    /// Open connections by id, so that stopping the server can close them.
    open: Mutex<HashMap<u64, TcpStream>>,
}

impl Shared {
    fn open(&self) -> MutexGuard<'_, HashMap<u64, TcpStream>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running mock of EngageLab's device API; stops when dropped.
pub struct MockServer {
    shared: Arc<Shared>,
    addr: SocketAddr,
    base_url: String,
    ca_pem: Option<String>,
    accept: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl MockServer {
    /// Binds `config.listen` and serves on a background thread; returns once listening.
    pub fn start(config: MockConfig) -> io::Result<MockServer> {
        check_status(config.unknown_status).map_err(|e| {
            io::Error::new(io::ErrorKind::InvalidInput, format!("unknown_status: {e}"))
        })?;
        if let Some(device) = config.devices.iter().find(|d| d.validate().is_err()) {
            let problem = device.validate().err().unwrap_or_default();
            return Err(io::Error::new(io::ErrorKind::InvalidInput, problem));
        }
        let tls = if config.tls {
            Some(tls::generate()?)
        } else {
            None
        };
        let listener = TcpListener::bind(config.listen)?;
        let addr = listener.local_addr()?;
        let base_url = base_url(addr, tls.is_some());
        let shared = Arc::new(Shared {
            state: State::new(&config),
            stopping: AtomicBool::new(false),
            open: Mutex::new(HashMap::new()),
        });
        let tls_config = tls.as_ref().map(|t| Arc::clone(&t.config));
        let accept_shared = Arc::clone(&shared);
        let accept = thread::Builder::new()
            .name("engagelab-mock-accept".to_owned())
            .spawn(move || accept_loop(&accept_shared, &listener, tls_config))?;
        Ok(MockServer {
            shared,
            addr,
            base_url,
            ca_pem: tls.map(|t| t.ca_pem),
            accept: Some(accept),
        })
    }

    /// The URL clients use: `http://127.0.0.1:PORT`, or `https://localhost:PORT` with TLS.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The PEM of the CA that signed the server certificate, when serving TLS.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// Back to the start: seed devices, start-up settings, no scripts, empty log.
    /// Connection ids keep counting.
    pub fn reset(&self) {
        self.shared.state.reset();
    }

    /// Adds a device, replacing any with the same registration id.
    pub fn add_device(&self, device: Device) {
        self.shared.state.add_device(device);
    }

    /// The device with this registration id, if it is in the store.
    pub fn device(&self, registration_id: &str) -> Option<Device> {
        self.shared.state.device(registration_id)
    }

    /// All registration ids in the store, sorted.
    pub fn devices(&self) -> Vec<String> {
        self.shared.state.devices()
    }

    /// Queues answers for requests to `/v4/devices/{registration_id}` (the decoded id).
    pub fn script(&self, registration_id: &str, answers: Vec<Answer>) {
        self.shared
            .state
            .script(Target::Device(registration_id.to_owned()), answers);
    }

    /// Queues answers for requests to `/v4/aliases/{alias}` (the decoded alias).
    pub fn script_alias(&self, alias: &str, answers: Vec<Answer>) {
        self.shared
            .state
            .script(Target::Alias(alias.to_owned()), answers);
    }

    /// The requests received outside the control API, oldest first.
    pub fn log(&self) -> Vec<LoggedRequest> {
        self.shared.state.log()
    }

    /// Overrides settings until the next reset.
    pub fn set_config(&self, update: ConfigUpdate) {
        self.shared.state.set_config(&update);
    }

    /// The settings in force.
    pub fn settings(&self) -> Settings {
        self.shared.state.settings()
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        let wake = match self.addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => {
                SocketAddr::from((Ipv4Addr::LOCALHOST, self.addr.port()))
            }
            IpAddr::V6(ip) if ip.is_unspecified() => {
                SocketAddr::from((Ipv6Addr::LOCALHOST, self.addr.port()))
            }
            _ => self.addr,
        };
        let woken = TcpStream::connect_timeout(&wake, Duration::from_secs(1)).is_ok();
        if let Some(accept) = self.accept.take()
            && woken
        {
            let _ = accept.join();
        }
        for stream in self.shared.open().values() {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

/// The URL clients use to reach a server listening on `addr`.
///
/// With TLS the host is `localhost` (which the certificate names) whenever that reaches the
/// server; otherwise the address itself (the certificate also names `127.0.0.1` and `::1`).
fn base_url(addr: SocketAddr, tls: bool) -> String {
    let port = addr.port();
    match (tls, addr.ip()) {
        (true, ip) if ip.is_unspecified() || ip == IpAddr::V4(Ipv4Addr::LOCALHOST) => {
            format!("https://localhost:{port}")
        }
        (true, _) => format!("https://{addr}"),
        (false, IpAddr::V4(ip)) if ip.is_unspecified() => format!("http://127.0.0.1:{port}"),
        (false, IpAddr::V6(ip)) if ip.is_unspecified() => format!("http://[::1]:{port}"),
        (false, _) => format!("http://{addr}"),
    }
}

/// Accepts connections until the server stops, serving each on its own thread.
fn accept_loop(shared: &Arc<Shared>, listener: &TcpListener, tls: Option<Arc<ServerConfig>>) {
    let ids = AtomicU64::new(1);
    loop {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(e) => {
                if shared.stopping.load(Ordering::SeqCst) {
                    return;
                }
                if e.kind() != io::ErrorKind::Interrupted {
                    // Out of descriptors or similar: back off instead of spinning.
                    eprintln!("engagelab-mock: accept failed: {e}");
                    thread::sleep(Duration::from_millis(20));
                }
                continue;
            }
        };
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let id = ids.fetch_add(1, Ordering::Relaxed);
        let _ = stream.set_nodelay(true);
        if let Ok(copy) = stream.try_clone() {
            shared.open().insert(id, copy);
        }
        let conn_shared = Arc::clone(shared);
        let tls = tls.clone();
        let spawned = thread::Builder::new()
            .name(format!("engagelab-mock-conn-{id}"))
            .stack_size(CONN_STACK)
            .spawn(move || {
                let _open = Open {
                    shared: &conn_shared,
                    id,
                };
                run_connection(&conn_shared.state, stream, tls, id);
            });
        if let Err(e) = spawned {
            eprintln!("engagelab-mock: cannot start a connection thread: {e}");
            shared.open().remove(&id);
        }
    }
}

/// An open connection's entry in [`Shared::open`], removed when its thread ends,
/// even by a panic: the entry holds a clone of the socket, so a left-over entry
/// kept the connection open (the client waited for an answer or a close that
/// never came) and its descriptor leaked.
struct Open<'a> {
    shared: &'a Shared,
    id: u64,
}

impl Drop for Open<'_> {
    fn drop(&mut self) {
        self.shared.open().remove(&self.id);
    }
}

/// Serves one accepted connection, over TLS when configured.
fn run_connection(state: &State, stream: TcpStream, tls: Option<Arc<ServerConfig>>, id: u64) {
    match tls {
        None => conn::serve(state, stream, id),
        Some(config) => match ServerConnection::new(config) {
            Ok(session) => conn::serve(state, StreamOwned::new(session, stream), id),
            Err(e) => eprintln!("engagelab-mock: TLS session failed: {e}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_connection_thread_still_closes_its_connection() {
        use std::io::Read;
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        client
            .set_read_timeout(Some(Duration::from_secs(3)))
            .unwrap();
        let (stream, _) = listener.accept().unwrap();
        let shared = Arc::new(Shared {
            state: State::new(&MockConfig::default()),
            stopping: AtomicBool::new(false),
            open: Mutex::new(HashMap::new()),
        });
        shared.open().insert(7, stream.try_clone().unwrap());
        let thread_shared = Arc::clone(&shared);
        let joined = thread::spawn(move || {
            let _open = Open {
                shared: &thread_shared,
                id: 7,
            };
            let _stream = stream;
            panic!("a bug while answering");
        })
        .join();
        assert!(joined.is_err());
        assert!(shared.open().is_empty(), "the entry outlived its thread");
        let mut rest = Vec::new();
        assert_eq!(
            client.read_to_end(&mut rest).unwrap(),
            0,
            "the client sees a close"
        );
    }

    #[test]
    fn base_urls() {
        let at = |s: &str| s.parse::<SocketAddr>().unwrap();
        assert_eq!(base_url(at("127.0.0.1:80"), false), "http://127.0.0.1:80");
        assert_eq!(base_url(at("0.0.0.0:80"), false), "http://127.0.0.1:80");
        assert_eq!(base_url(at("[::]:80"), false), "http://[::1]:80");
        assert_eq!(base_url(at("[::1]:80"), false), "http://[::1]:80");
        assert_eq!(base_url(at("127.0.0.1:443"), true), "https://localhost:443");
        assert_eq!(base_url(at("0.0.0.0:443"), true), "https://localhost:443");
        assert_eq!(base_url(at("[::1]:443"), true), "https://[::1]:443");
    }
}
