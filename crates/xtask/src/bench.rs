//! `cargo xtask bench [--quick|--bulk]`: installs and builds what the
//! benchmarks need (system packages, `.venv-bench`, the release library, the
//! core's `bench_sequential` example, the wheel, the bindings), then hands
//! their paths to the one harness, `bench/run.py` (which writes
//! BENCHMARKS.md through bench/report.py). Full (`make bench`): 3 rounds of
//! ~5 s per client; `--quick` (part of `cargo xtask test`): small N, the
//! bindings left out, everything into target/bench-quick/; `--bulk`: the
//! bulk-deletion benchmark (bench/bulk.py) on the release CLI and mock.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::apt::{self, Package};
use crate::process::run as exec;
use crate::process::{at_root, cargo};

const PACKAGES: &[Package] = &[
    Package::program("nginx", "nginx"),
    Package::program("wrk", "wrk"),
    Package::dpkg("libcurl4-openssl-dev"),
    Package::program("openssl", "openssl"),
    Package::program("binutils", "strip"),
    Package::program("strace", "strace"),
];

fn log(message: &str) {
    eprintln!("== bench: {message}");
}

pub(crate) fn run(quick: bool) -> Result<(), String> {
    apt::ensure(
        PACKAGES,
        "the benchmark's server (nginx), load generator (wrk), libcurl client, throwaway CA \
         (openssl), size measurements (strip) and system-call counts (strace)",
    )?;
    let py = bench_venv()?;
    let out = out_dir(quick);
    fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut art = artifacts(quick, &out)?;
    log("the release wheel (maturin build --release --zig), installed by bench/run.py");
    match crate::dist::host_wheel("bench") {
        Ok(wheel) => art["wheel"] = json!(wheel),
        Err(e) => art["notes"]["py"] = json!(format!("the wheel did not build: {e}")),
    }
    harness(&py, &out, &art, &[])
}

pub(crate) fn run_bulk() -> Result<(), String> {
    log("building the release CLI and mock");
    exec(cargo().args([
        "build",
        "--release",
        "-p",
        "engagelab-push-cli",
        "-p",
        "engagelab-mock",
    ]))?;
    crate::toxiproxy::install()?;
    crate::venv::ensure()?;
    crate::venv::install_package()?;
    let out = out_dir(false);
    fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let art = artifacts(false, &out)?;
    harness(&crate::venv::python(), &out, &art, &["--bulk"])
}

/// `bench --in-flight`: bench/in_flight.py, the asynchronous calls of every
/// language with 1 and 64 calls in flight, and how the host fares meanwhile,
/// through bench/run.py.
pub(crate) fn run_in_flight() -> Result<(), String> {
    apt::ensure(
        PACKAGES,
        "the benchmark's server (nginx) and throwaway CA (openssl)",
    )?;
    let py = bench_venv()?;
    log("building the release mock (the host-responsiveness runs)");
    exec(cargo().args(["build", "--release", "-p", "engagelab-mock"]))?;
    let out = out_dir(false);
    fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut art = artifacts(false, &out)?;
    match crate::dist::host_wheel("bench") {
        Ok(wheel) => art["wheel"] = json!(wheel),
        Err(e) => art["notes"]["py"] = json!(format!("the wheel did not build: {e}")),
    }
    harness(&py, &out, &art, &["--in-flight"])
}

/// Logs, binaries and results.jsonl: target/bench-quick, or bench/out.
fn out_dir(quick: bool) -> PathBuf {
    if quick {
        crate::clib::target_dir().join("bench-quick")
    } else {
        crate::root().join("bench/out")
    }
}

/// Writes `art` beside the run's logs and runs bench/run.py on it.
fn harness(py: &Path, out: &Path, art: &Value, flags: &[&str]) -> Result<(), String> {
    let path = out.join("artifacts.json");
    fs::write(&path, art.to_string()).map_err(|e| format!("{}: {e}", path.display()))?;
    exec(at_root(py).arg("bench/run.py").args(flags).arg(&path))
}

/// The release library and the Rust client, and (not in quick mode) the
/// Go, Node and Java bindings made ready; what failed is a note that skips
/// its clients.
fn artifacts(quick: bool, out: &Path) -> Result<Value, String> {
    let mut notes = serde_json::Map::new();
    // Quick mode checks the harness, not figures: its Rust client is the
    // debug build's (the test suites build it anyway), and the release
    // build is the library alone, as the other suites want it.
    let (lib, profile) = if quick {
        log("cargo xtask lib --release; the core's examples from the debug workspace build");
        let examples = crate::clib::build_debug_workspace();
        (examples.and_then(|()| crate::clib::build(true)), "debug")
    } else {
        log("cargo xtask lib --release (with the core's examples, bench_sequential among them)");
        (crate::clib::build_with_examples(), "release")
    };
    let lib = lib
        .map_err(|e| {
            let why = format!("building the library and the Rust client failed: {e}");
            notes.insert("rust".into(), json!(why));
            notes.insert("c-abi".into(), json!(why));
        })
        .ok();
    let mut java = Value::Null;
    if quick {
        for lang in ["go", "node", "java", "php"] {
            notes.insert(lang.into(), json!("left out of quick mode"));
        }
    } else if let Some(lib_dir) = &lib {
        let env = crate::bindings::Env {
            root: crate::root(),
            lib_dir: lib_dir.clone(),
            mock_bin: PathBuf::new(), // the bench clients never start the mock
        };
        let logged = |name: &str, result: Result<(), String>| {
            result.map_err(|e| {
                let path = out.join(format!("build-{name}.log"));
                let _ = fs::write(&path, &e);
                notes_entry(name, &path)
            })
        };
        log(
            "bindings/go: library copied in; bindings/node: npm ci; bindings/java: mvn package; \
             bindings/php: library copied in",
        );
        let go = on_path(&["go"])
            .and_then(|()| logged("go", crate::bindings::go::prepare(&env).map(|_| ())));
        let node = on_path(&["node", "npm"])
            .and_then(|()| logged("node", crate::bindings::node::prepare(&env)));
        let jdk = crate::bindings::java::jdk17();
        let bin = |name: &str| {
            jdk.as_ref()
                .map_or_else(|| PathBuf::from(name), |h| h.join("bin").join(name))
        };
        let tools = on_path(&["mvn"]).and_then(|()| {
            if jdk.is_some() {
                Ok(())
            } else {
                on_path(&["javac"])
            }
        });
        let mvn = tools.and_then(|()| {
            let args = ["package", "-DskipTests"];
            logged(
                "java",
                exec(&mut crate::bindings::java::mvn(&env, jdk.as_deref(), &args)),
            )
        });
        if mvn.is_ok() {
            // bench/run.py puts target/classes and target/lib/*.jar on the class path.
            java = json!([
                bin("java"),
                bin("javac"),
                env.root.join("bindings/java/target")
            ]);
        }
        // bindings/php with the library copied in, php-cli and php-curl
        // (bench/php/el_bench.php, curl_bench.php).
        let php = logged("php", crate::bindings::php::prepare(&env));
        for (lang, result) in [("go", go), ("node", node), ("java", mvn), ("php", php)] {
            if let Err(why) = result {
                notes.insert(lang.into(), json!(why));
            }
        }
    }
    Ok(json!({
        "quick": quick,
        "out": out,
        "lib_dir": lib,
        "rust_bin": crate::clib::target_dir().join(profile).join("examples/bench_sequential"),
        "notes": notes,
        "java": java,
    }))
}

fn notes_entry(name: &str, log: &Path) -> String {
    format!("building the {name} binding failed (see {})", log.display())
}

/// Ok when every program is on the PATH.
fn on_path(programs: &[&str]) -> Result<(), String> {
    match programs.iter().find(|p| !crate::process::on_path(p)) {
        Some(missing) => Err(format!("`{missing}` is not on the PATH")),
        None => Ok(()),
    }
}

/// `.venv-bench` with bench/requirements.txt (reinstalled when it changed).
fn bench_venv() -> Result<PathBuf, String> {
    let venv = crate::root().join(".venv-bench");
    let py = venv.join("bin/python");
    if !py.is_file() {
        log("creating .venv-bench");
        crate::venv::create(&venv)?;
    }
    let requirements = crate::root().join("bench/requirements.txt");
    let stamp = venv.join(".bench-requirements");
    let wanted = fs::read(&requirements).map_err(|e| format!("{}: {e}", requirements.display()))?;
    if fs::read(&stamp).ok() != Some(wanted.clone()) {
        log("pip install -r bench/requirements.txt");
        exec(
            at_root(&py)
                .args(crate::venv::PIP_INSTALL)
                .arg("-r")
                .arg(&requirements),
        )?;
        fs::write(&stamp, wanted).map_err(|e| format!("{}: {e}", stamp.display()))?;
    }
    Ok(py)
}
