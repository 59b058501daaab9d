//! `cargo xtask bench [--quick]`: what one device delete costs through the
//! Rust core, the C ABI and the Python module, next to the official EngageLab
//! Python SDK, requests, httpx and libcurl, over TLS and plain HTTP on
//! loopback against nginx, with wrk's single-connection limit of that server
//! in the same run.
//!
//! - full (`make bench`): 3 rounds of ~5 s per client (~7 min); writes
//!   BENCHMARKS.md, bench/calls_per_sec.png and the raw results in
//!   bench/results/ (logs in bench/out/);
//! - `--quick` (part of `cargo xtask test`): small N, everything into
//!   target/bench-quick/. It fails only when the harness does not work, not
//!   on the figures.
//!
//! Installs what it needs on a fresh Debian machine (nginx, wrk, libcurl
//! headers, openssl, strip; a venv `.venv-bench` with bench/requirements.txt
//! and this project's module). A client whose artifact cannot be built is
//! skipped with a note; a client that runs and fails fails the run.

mod bulk;
mod clients;
mod footprint;
mod meta;
mod server;
mod setup;

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::{Value, json};

pub(crate) use bulk::run_bulk;

/// What differs between a full and a quick run.
pub(crate) struct Mode {
    pub quick: bool,
    /// Logs, binaries and results.jsonl.
    pub out: PathBuf,
    pub markdown: PathBuf,
    pub png: PathBuf,
    /// The chart's path as BENCHMARKS.md links it.
    pub png_rel: &'static str,
    /// Seconds of timed calls per client.
    pub seconds: f64,
    pub wrk_seconds: u32,
    pub warmup: u32,
    pub import_runs: u32,
    /// Every client runs once per round; the report takes the median round.
    pub rounds: u32,
    pub command: &'static str,
    /// Threads of the threaded runs.
    pub threads: u32,
    /// nginx's worker on CPU 0, wrk and the sequential clients on CPU 1, so
    /// every run crosses cores the same way (left to the scheduler, a client
    /// lands on nginx's core or not from run to run, and on this kind of VM
    /// that alone changes a round trip several-fold). Off with BENCH_PIN=0
    /// or fewer than 2 CPUs.
    pub pin: bool,
}

impl Mode {
    fn new(quick: bool) -> Mode {
        let root = crate::root();
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let pin = cpus >= 2 && std::env::var("BENCH_PIN").map_or(true, |v| v != "0");
        if quick {
            let out = crate::clib::target_dir().join("bench-quick");
            Mode {
                quick,
                markdown: out.join("BENCHMARKS.md"),
                png: out.join("calls_per_sec.png"),
                out,
                png_rel: "calls_per_sec.png",
                seconds: 0.5,
                wrk_seconds: 1,
                warmup: 50,
                import_runs: 5,
                rounds: 1,
                command: "cargo xtask bench --quick",
                threads: 8,
                pin,
            }
        } else {
            Mode {
                quick,
                out: root.join("bench/out"),
                markdown: root.join("BENCHMARKS.md"),
                png: root.join("bench/calls_per_sec.png"),
                png_rel: "bench/calls_per_sec.png",
                seconds: 5.0,
                wrk_seconds: 5,
                warmup: 200,
                import_runs: 21,
                rounds: 3,
                command: "make bench   # = cargo xtask bench",
                threads: 8,
                pin,
            }
        }
    }

    pub(crate) fn duration_text(&self) -> String {
        if self.quick {
            format!("{} s (quick mode)", self.seconds)
        } else {
            format!("{} s", self.seconds)
        }
    }
}

/// results.jsonl, one JSON object a line, and the count of failed
/// measurements.
pub(crate) struct Results {
    file: File,
    pub failures: u32,
}

impl Results {
    fn create(path: &Path) -> Result<Results, String> {
        let file = File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Results { file, failures: 0 })
    }

    pub(crate) fn record(&mut self, row: Value) {
        // A write error here would also lose the report: fail loudly.
        writeln!(self.file, "{row}").expect("writing results.jsonl");
    }

    pub(crate) fn failed(&mut self, row: Value) {
        self.failures += 1;
        self.record(row);
    }
}

pub(crate) fn log(message: impl std::fmt::Display) {
    eprintln!("== bench: {message}");
}

pub(crate) fn run(quick: bool) -> Result<(), String> {
    let started = Instant::now();
    let mode = Mode::new(quick);
    let root = crate::root();
    fs::create_dir_all(&mode.out).map_err(|e| format!("{}: {e}", mode.out.display()))?;
    clean_logs(&mode.out);
    let load_before = fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();

    setup::install_system()?;
    let py = setup::install_python()?;
    let built = setup::build_native(&mode)?;
    let py_module_note = setup::install_py_module(&py, &mode.out);
    let bindings = if quick {
        setup::Bindings::skipped("left out of quick mode")
    } else {
        setup::build_bindings(&mode, &built)
    };
    log(format!("setup done in {} s", started.elapsed().as_secs()));
    let runs_started = Instant::now();

    let mut results = Results::create(&mode.out.join("results.jsonl"))?;
    let server = server::Server::start(&mode, &py)?;
    meta::write(&mode, &py, &load_before)?;
    let clients = clients::Clients {
        mode: &mode,
        py: &py,
        built: &built,
        bindings: &bindings,
        py_module_note: py_module_note.as_deref(),
        server: &server,
    };
    for round in 1..=mode.rounds {
        clients.round(round, &mut results)?;
    }
    log("footprint");
    footprint::measure(&clients, &mut results)?;
    drop(server);
    log(format!(
        "runs done in {} s",
        runs_started.elapsed().as_secs()
    ));

    let mut report_dir = mode.out.clone();
    if !quick {
        // The raw results of the published run are kept beside the harness.
        report_dir = root.join("bench/results");
        fs::create_dir_all(&report_dir).map_err(|e| e.to_string())?;
        for name in ["results.jsonl", "meta.json"] {
            fs::copy(mode.out.join(name), report_dir.join(name)).map_err(|e| e.to_string())?;
        }
    }
    crate::process::run(
        crate::process::at_root(&py)
            .arg("bench/report.py")
            .arg(&report_dir)
            .arg(&mode.markdown)
            .arg(&mode.png),
    )?;
    log(format!(
        "wrote {} and {}",
        mode.markdown.display(),
        mode.png.display()
    ));
    log(format!("total {} s", started.elapsed().as_secs()));
    if results.failures > 0 {
        return Err(format!(
            "{} measurement(s) failed: see the FAILED rows in {} and {}/*.stderr",
            results.failures,
            mode.markdown.display(),
            mode.out.display()
        ));
    }
    Ok(())
}

/// Removes the logs of an earlier run.
fn clean_logs(out: &Path) {
    let Ok(entries) = fs::read_dir(out) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".stderr") || (name.starts_with("wrk-") && name.ends_with(".txt")) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// `{"section": .., ..}` with the fields of `rest` after it.
pub(crate) fn row(section: &str, rest: Value) -> Value {
    let mut row = json!({ "section": section });
    if let (Some(row), Value::Object(rest)) = (row.as_object_mut(), rest) {
        row.extend(rest);
    }
    row
}
