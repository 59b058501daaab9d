//! toxiproxy, the fault injector of the fault matrix (tests/contract/faults): the
//! server (v2.5.0, a Go module) installed into `.tools/bin/toxiproxy-server`,
//! where the Rust and Python runners find it, and started on a free port for
//! the C, Go, Node, Java and PHP runners (`TOXIPROXY_URL`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::run;

/// The module `go install` fetches.
const MODULE: &str = "github.com/Shopify/toxiproxy/v2/cmd/server@v2.5.0";

/// Where the server is installed.
pub(crate) fn binary() -> PathBuf {
    crate::root().join(".tools/bin/toxiproxy-server")
}

/// Installs the server when it is missing, saying so; its path.
pub(crate) fn install() -> Result<PathBuf, String> {
    crate::process::exclusive("toxiproxy", install_unlocked)
}

fn install_unlocked() -> Result<PathBuf, String> {
    let bin = binary();
    if bin.exists() {
        return Ok(bin);
    }
    println!("toxiproxy: installing {MODULE} into .tools/bin (go install), for the fault matrix");
    let gobin = crate::root().join(".tools/go-bin");
    run(Command::new("go")
        .args(["install", MODULE])
        .env("GOBIN", &gobin)
        .env("GOFLAGS", "-mod=mod"))?;
    std::fs::create_dir_all(bin.parent().expect("has a parent")).map_err(|e| e.to_string())?;
    std::fs::rename(gobin.join("server"), &bin).map_err(|e| format!("{}: {e}", bin.display()))?;
    Ok(bin)
}

/// A running toxiproxy server, stopped when dropped.
pub(crate) struct Toxiproxy {
    child: Child,
    url: String,
}

impl Toxiproxy {
    /// Installs (if needed) and starts the server on a free loopback port,
    /// waiting until its API answers.
    pub(crate) fn start() -> Result<Toxiproxy, String> {
        let bin = install()?;
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let child = Command::new(&bin)
            .args(["-host", "127.0.0.1", "-port", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("{}: {e}", bin.display()))?;
        let server = Toxiproxy {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let started = Instant::now();
        while !answers(port) {
            if started.elapsed() > Duration::from_secs(10) {
                return Err("toxiproxy did not start within 10 s".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(server)
    }

    /// Its API's base URL.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }
}

/// Whether `GET /version` answers on `port`.
fn answers(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let mut answer = String::new();
    write!(stream, "GET /version HTTP/1.0\r\n\r\n").is_ok()
        && stream.read_to_string(&mut answer).is_ok()
        && answer.starts_with("HTTP/1.")
}

impl Drop for Toxiproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
