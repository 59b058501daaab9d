//! The timed runs: every client, sequentially and with threads, over TLS and
//! plain HTTP, and wrk's limit of the server, once per round.

use std::ffi::OsString;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use super::server::Server;
use super::setup::{Bindings, Built};
use super::{Mode, Results, log, row};
use crate::process::capture;

/// The sequential clients, in the report's order, and the threaded ones.
const SEQUENTIAL: &[&str] = &[
    "rust",
    "c-abi",
    "py",
    "official",
    "official-sysca",
    "requests",
    "httpx",
    "libcurl",
    "go-binding",
    "go-nethttp",
    "node-binding",
    "node-http",
    "node-fetch",
    "java-binding",
    "java-httpclient",
];
/// The language bindings' clients (and their languages' own HTTP clients):
/// left out of quick mode, whose builds (Go, npm, Maven) and JVM start-ups
/// would take most of its time budget.
pub(crate) const BINDING_CLIENTS: &[&str] = &[
    "go-binding",
    "go-nethttp",
    "node-binding",
    "node-http",
    "node-fetch",
    "java-binding",
    "java-httpclient",
];
/// Warm-up calls of the clients on a JIT (Node, the JVM), at least: 200
/// calls leave the JVM interpreting.
const JIT_WARMUP: u32 = 2000;
const THREADED: &[&str] = &["py", "requests", "official", "rust"];

/// The environment of every client: no proxies, no CA overrides from the
/// machine (requests would let REQUESTS_CA_BUNDLE beat its Session.verify).
const UNSET: &[&str] = &[
    // `cargo run` points it at target/, where a stale library could shadow
    // the one a client is meant to load (JNA searches it first).
    "LD_LIBRARY_PATH",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "http_proxy",
    "https_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

pub(crate) struct Clients<'a> {
    pub mode: &'a Mode,
    pub py: &'a Path,
    pub built: &'a Built,
    pub bindings: &'a Bindings,
    pub py_module_note: Option<&'a str>,
    pub server: &'a Server,
}

impl Clients<'_> {
    /// Why `client` cannot run, if it cannot.
    pub(crate) fn note(&self, client: &str) -> Option<String> {
        match client {
            "rust" => self.built.rust_note.clone(),
            "c-abi" => self.built.ffi_note.clone(),
            "py" => self.py_module_note.map(str::to_owned),
            "official-sysca" => self.server.system_ca.as_ref().err().cloned(),
            "go-binding" | "go-nethttp" => self.bindings.go.as_ref().err().cloned(),
            "node-binding" | "node-http" | "node-fetch" => {
                self.bindings.node.as_ref().err().cloned()
            }
            "java-binding" | "java-httpclient" => self.bindings.java.as_ref().err().cloned(),
            _ => None,
        }
    }

    /// The command line of `client`: AMOUNT (calls, or seconds as `Ns`),
    /// the base URL, the CA file (`-`: none), threads and warm-up calls.
    pub(crate) fn command(
        &self,
        client: &str,
        transport: &str,
        amount: &str,
        threads: u32,
        warmup: u32,
    ) -> Vec<OsString> {
        let (url, mut ca) = self.server.endpoint(transport);
        let bin = &self.built.bin;
        let script = |name: &str| crate::root().join("bench/python").join(name);
        let mut warmup = warmup;
        let mut cmd: Vec<OsString> = match client {
            "rust" => vec![self.built.rust_bin.clone().into()],
            "c-abi" => vec![bin.join("el_bench").into()],
            "libcurl" => vec![bin.join("curl_bench").into()],
            "py" => vec![self.py.into(), script("engagelab_push_client.py").into()],
            "official" => vec![self.py.into(), script("official_sdk.py").into()],
            "official-sysca" => {
                if let Ok(system) = &self.server.system_ca {
                    ca = system.display().to_string();
                }
                // Each call costs tens of ms: a short warm-up is enough.
                warmup = warmup.min(20);
                vec![self.py.into(), script("official_sdk.py").into()]
            }
            "requests" => vec![self.py.into(), script("requests_client.py").into()],
            "httpx" => vec![self.py.into(), script("httpx_client.py").into()],
            "go-binding" | "go-nethttp" => {
                return self.go_command(client, url, &ca, amount);
            }
            "node-binding" | "node-http" | "node-fetch" => {
                warmup = warmup.max(JIT_WARMUP);
                let which = match client {
                    "node-binding" => "engagelab",
                    "node-http" => "http",
                    _ => "fetch",
                };
                vec![
                    "node".into(),
                    crate::root().join("bench/node/delete.mjs").into(),
                    which.into(),
                ]
            }
            "java-binding" | "java-httpclient" => {
                let (java, cp) = self.bindings.java.clone().unwrap_or_default();
                warmup = warmup.max(JIT_WARMUP);
                let which = if client == "java-binding" {
                    "engagelab"
                } else {
                    "httpclient"
                };
                vec![
                    java.into(),
                    "-cp".into(),
                    cp.into(),
                    "io.github.engagelabpush.bench.Bench".into(),
                    which.into(),
                ]
            }
            other => unreachable!("no client {other}"),
        };
        cmd.extend([amount.into(), url.into(), ca.into()]);
        // The C, Node and Java clients take no thread count.
        if !matches!(client, "c-abi" | "libcurl") && !BINDING_CLIENTS.contains(&client) {
            cmd.push(threads.to_string().into());
        }
        cmd.push(warmup.to_string().into());
        cmd
    }

    /// bench/go: flags rather than positions, AMOUNT in seconds
    /// only, its own 100 warm-up calls.
    fn go_command(&self, client: &str, url: &str, ca: &str, amount: &str) -> Vec<OsString> {
        let bin = self.bindings.go.clone().unwrap_or_default();
        let seconds = amount.strip_suffix('s').unwrap_or(amount);
        let impl_ = if client == "go-binding" {
            "binding"
        } else {
            "nethttp"
        };
        let mut cmd: Vec<OsString> = vec![bin.into()];
        for arg in [
            "-impl",
            impl_,
            "-url",
            url,
            "-seconds",
            seconds,
            "-app-key",
            "bench-app-key",
            "-master-secret",
            "bench-master-secret",
        ] {
            cmd.push(arg.into());
        }
        if ca != "-" {
            cmd.extend(["-ca".into(), ca.into()]);
        }
        cmd
    }

    /// A command with the clean environment, pinned to CPU 1 when `pinned`.
    pub(crate) fn process(&self, argv: &[OsString], pinned: bool) -> Command {
        let mut cmd = if pinned && self.mode.pin {
            let mut c = Command::new("taskset");
            c.args(["-c", "1"]).args(argv);
            c
        } else {
            let mut c = Command::new(&argv[0]);
            c.args(&argv[1..]);
            c
        };
        for name in UNSET {
            cmd.env_remove(name);
        }
        cmd.current_dir(&self.mode.out).stdin(Stdio::null());
        cmd
    }

    pub(crate) fn round(&self, round: u32, results: &mut Results) -> Result<(), String> {
        let amount = format!("{}s", self.mode.seconds);
        for transport in ["tls", "plain"] {
            self.wrk(round, transport, results)?;
            for client in SEQUENTIAL {
                if *client == "official-sysca" && transport != "tls" {
                    continue;
                }
                if self.mode.quick && BINDING_CLIENTS.contains(client) {
                    continue;
                }
                let argv = self.command(client, transport, &amount, 1, self.mode.warmup);
                self.run_client(round, "seq", transport, client, &argv, true, results)?;
            }
            for client in THREADED {
                let argv = self.command(
                    client,
                    transport,
                    &amount,
                    self.mode.threads,
                    self.mode.warmup,
                );
                self.run_client(round, "threads", transport, client, &argv, false, results)?;
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn run_client(
        &self,
        round: u32,
        section: &str,
        transport: &str,
        client: &str,
        argv: &[OsString],
        pinned: bool,
        results: &mut Results,
    ) -> Result<(), String> {
        let tag = json!({"transport": transport, "client": client, "round": round});
        let with = |extra: Value| {
            let mut r = row(section, tag.clone());
            if let (Some(r), Value::Object(extra)) = (r.as_object_mut(), extra) {
                r.extend(extra);
            }
            r
        };
        if let Some(note) = self.note(client) {
            log(format!("{section} {transport} {client}: SKIPPED ({note})"));
            results.record(with(json!({ "skipped": note })));
            return Ok(());
        }
        let stderr = self
            .mode
            .out
            .join(format!("{section}-{transport}-{client}-{round}.stderr"));
        let out = capture(&mut self.process(argv, pinned))?;
        fs::write(&stderr, &out.stderr).map_err(|e| e.to_string())?;
        match last_json(&out.stdout)
            .map(normalise)
            .filter(|r| out.status.success() && no_errors(r))
        {
            Some(result) => {
                log(format!(
                    "round {round}: {section} {transport} {client}: {result}"
                ));
                results.record(with(json!({ "result": result })));
            }
            None => {
                let text = String::from_utf8_lossy(&out.stderr);
                let lines: Vec<&str> = text.lines().collect();
                let why: String = lines[lines.len().saturating_sub(3)..]
                    .join(" ")
                    .chars()
                    .take(300)
                    .collect();
                log(format!(
                    "round {round}: {section} {transport} {client}: FAILED: {why}"
                ));
                results.failed(with(json!({ "error": format!("failed: {why}") })));
            }
        }
        Ok(())
    }

    fn wrk(&self, round: u32, transport: &str, results: &mut Results) -> Result<(), String> {
        let (url, _) = self.server.endpoint(transport);
        let argv: Vec<OsString> = vec![
            "wrk".into(),
            "-t1".into(),
            "-c1".into(),
            format!("-d{}s", self.mode.wrk_seconds).into(),
            "--latency".into(),
            "-s".into(),
            crate::root().join("bench/wrk_delete.lua").into(),
            format!("{url}/").into(),
        ];
        let out = capture(&mut self.process(&argv, true))?;
        let report = self.mode.out.join(format!("wrk-{transport}-{round}.txt"));
        fs::write(&report, &out.stdout).map_err(|e| e.to_string())?;
        let tag = json!({"transport": transport, "client": "wrk", "round": round});
        match last_json(&out.stdout).filter(no_errors) {
            Some(result) => {
                log(format!("round {round}: wrk {transport}: {result}"));
                let mut r = row("wrk", tag);
                r["result"] = result;
                results.record(r);
            }
            None => {
                log(format!(
                    "wrk {transport}: FAILED: {}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ));
                let mut r = row("wrk", tag);
                r["error"] = json!("wrk failed");
                results.failed(r);
            }
        }
        Ok(())
    }
}

/// The last line of `stdout` when it is a JSON object.
pub(crate) fn last_json(stdout: &[u8]) -> Option<Value> {
    let text = String::from_utf8_lossy(stdout);
    let line = text.lines().rev().find(|l| !l.trim().is_empty())?;
    serde_json::from_str::<Value>(line)
        .ok()
        .filter(Value::is_object)
}

/// The JSON of the Go and Node clients (`calls_per_sec`, `seconds`,
/// `p50_us`, `rss_mib`) in the harness's fields (`calls_per_s`, `wall_s`,
/// `median_us`, `maxrss_kb`); the mean is wall time / calls there. Other
/// results are returned as they are.
fn normalise(mut result: Value) -> Value {
    let Some(r) = result.as_object_mut() else {
        return result;
    };
    if r.contains_key("calls_per_s") || !r.contains_key("calls_per_sec") {
        return result;
    }
    let num = |r: &serde_json::Map<String, Value>, k: &str| r.get(k).and_then(Value::as_f64);
    let calls = num(r, "calls").unwrap_or(0.0);
    let wall = num(r, "seconds").unwrap_or(0.0);
    let moved = [
        ("calls_per_sec", "calls_per_s"),
        ("seconds", "wall_s"),
        ("p50_us", "median_us"),
    ];
    for (from, to) in moved {
        if let Some(v) = r.remove(from) {
            r.insert(to.to_owned(), v);
        }
    }
    if let Some(mib) = r.remove("rss_mib").and_then(|v| v.as_f64()) {
        r.insert("maxrss_kb".to_owned(), json!((mib * 1024.0).round()));
    }
    if calls > 0.0 {
        let mean = (wall * 1e8 / calls).round() / 100.0;
        r.insert("mean_us".to_owned(), json!(mean));
    }
    r.entry("threads").or_insert(json!(1));
    r.entry("errors").or_insert(json!(0));
    result
}

fn no_errors(result: &Value) -> bool {
    result.get("errors").and_then(Value::as_u64).unwrap_or(0) == 0
}
