//! engagelab-mock as a child process: built, started on a free port, its
//! base URL read from the first line of its stdout (the binary's contract,
//! see crates/engagelab-mock/README.md), killed when dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The mock's default credentials (`engagelab_mock::DEFAULT_APP_KEY` and
/// `DEFAULT_MASTER_SECRET`; xtask does not link the mock, it runs it).
pub(crate) const APP_KEY: &str = "demo-app-key";
/// See [`APP_KEY`].
pub(crate) const MASTER_SECRET: &str = "demo-master-secret";

pub(crate) struct Mock {
    child: Child,
    url: String,
}

/// `target/debug/engagelab-mock`, built first (with the workspace, see
/// `clib::build_debug_workspace`).
pub(crate) fn binary() -> Result<PathBuf, String> {
    crate::clib::build_debug_workspace()?;
    Ok(crate::clib::target_dir().join("debug/engagelab-mock"))
}

impl Mock {
    /// Builds and starts the mock with `--device ID` for each of `devices`,
    /// listening on 127.0.0.1 with a port of the system's choice.
    pub(crate) fn start(devices: &[&str]) -> Result<Mock, String> {
        let flags: Vec<&str> = devices.iter().flat_map(|id| ["--device", id]).collect();
        Mock::spawn(&binary()?, &flags)
    }

    /// Starts the mock at `bin`, already built, with these command-line flags
    /// (on 127.0.0.1 with a port of the system's choice unless they say).
    pub(crate) fn spawn(bin: &Path, flags: &[&str]) -> Result<Mock, String> {
        let mut cmd = Command::new(bin);
        cmd.args(["--listen", "127.0.0.1:0"]).args(flags);
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{}: {e}", bin.display()))?;
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout is piped");
        // The URL line is flushed at start-up; EOF means the mock died.
        let read = BufReader::new(stdout).read_line(&mut line);
        let url = line.trim().to_owned();
        let mut mock = Mock { child, url };
        if read.is_err() || !mock.url.starts_with("http") {
            // Dropping `mock` stops it.
            return Err(format!("engagelab-mock did not start (read {line:?})"));
        }
        mock.url = mock.url.trim_end_matches('/').to_owned();
        Ok(mock)
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// The registration ids in its store, sorted (`GET /__mock/devices`).
    pub(crate) fn devices(&self) -> Result<Vec<String>, String> {
        #[derive(serde::Deserialize)]
        struct Devices {
            registration_ids: Vec<String>,
        }
        let body = self.get("/__mock/devices")?;
        let devices: Devices =
            serde_json::from_str(&body).map_err(|e| format!("/__mock/devices: {e}: {body}"))?;
        Ok(devices.registration_ids)
    }

    /// A GET to the control API over a one-request HTTP/1.0 connection.
    fn get(&self, path: &str) -> Result<String, String> {
        let host = self.url.trim_start_matches("http://");
        let fail = |e: std::io::Error| format!("GET {}{path}: {e}", self.url);
        let mut stream = TcpStream::connect(host).map_err(fail)?;
        write!(stream, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n").map_err(fail)?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).map_err(fail)?;
        let (head, body) = answer
            .split_once("\r\n\r\n")
            .ok_or_else(|| format!("GET {path}: not HTTP: {answer:?}"))?;
        if !head.starts_with("HTTP/1.1 200") && !head.starts_with("HTTP/1.0 200") {
            return Err(format!("GET {path}: {}", head.lines().next().unwrap_or("")));
        }
        Ok(body.to_owned())
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
