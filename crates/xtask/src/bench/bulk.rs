//! `cargo xtask bench --bulk`: the bulk-deletion benchmark (bench/bulk.py)
//! on release builds of the CLI, the mock, the Python module and every
//! language's bulk client over the C ABI (C, C++, Go, Node.js, Java), behind
//! toxiproxy; then BENCHMARKS.md rebuilt from bench/results/ (the loopback
//! figures of the last full run, the bulk figures of this one).

use std::ffi::OsString;
use std::fs;

use serde_json::{Map, Value, json};

use super::{Mode, log, setup};
use crate::process::{at_root, cargo, run};

pub(crate) fn run_bulk() -> Result<(), String> {
    let root = crate::root();
    log("building the release CLI and mock");
    run(cargo().args([
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
    let clients = root.join("target/bench-bulk-clients.json");
    let commands = language_clients()?;
    fs::write(&clients, commands.to_string()).map_err(|e| format!("{}: {e}", clients.display()))?;
    let py = crate::venv::python();
    run(at_root(&py)
        .arg("bench/bulk.py")
        .arg(root.join("bench/results"))
        .arg(root.join("bench/bulk_deletions.svg"))
        .arg(&clients))?;
    run(at_root(&py)
        .arg("bench/report.py")
        .arg(root.join("bench/results"))
        .arg(root.join("BENCHMARKS.md"))
        .arg(root.join("bench/calls_per_sec.png")))
}

/// The command of each language's bulk client (each takes IDS_FILE QPS
/// REPORT after it), or the reason it cannot run: `{"c": [...], "go": "why"}`.
fn language_clients() -> Result<Value, String> {
    let mode = Mode::new(false);
    let bin = mode.out.join("bin");
    fs::create_dir_all(&bin).map_err(|e| format!("{}: {e}", bin.display()))?;
    log("cargo xtask lib --release; cc bench/c/el_bulk.c; c++ bench/c/el_bulk.cpp");
    let lib = crate::clib::build(true)?;
    let mut out = Map::new();
    for (name, compiler, source, std) in [
        ("c", "cc", "bench/c/el_bulk.c", "-std=c99"),
        ("cpp", "c++", "bench/c/el_bulk.cpp", "-std=c++17"),
    ] {
        let exe = bin.join(format!("el_bulk_{name}"));
        run(at_root(compiler)
            .args([
                "-O2",
                std,
                "-Wall",
                "-Wextra",
                "-Werror",
                "-Iinclude",
                source,
            ])
            .arg(format!("-L{}", lib.display()))
            .arg(format!("-Wl,-rpath,{}", lib.display()))
            .args(["-lengagelab_push", "-o"])
            .arg(&exe))?;
        out.insert(name.into(), json!([exe]));
    }
    let built = setup::Built {
        bin: bin.clone(),
        rust_bin: Default::default(),
        lib_dir: Some(lib),
        rust_note: None,
        ffi_note: None,
    };
    let bindings = setup::build_bindings(&mode, &built);
    let entry = |r: Result<Vec<OsString>, String>| match r {
        Ok(argv) => json!(argv.iter().map(|a| a.to_string_lossy()).collect::<Vec<_>>()),
        Err(why) => json!(why),
    };
    out.insert(
        "go".into(),
        entry(
            bindings
                .go
                .map(|b| vec![b.with_file_name("go_bulk").into()]),
        ),
    );
    out.insert(
        "node".into(),
        entry(bindings.node.map(|()| {
            vec![
                "node".into(),
                crate::root().join("bench/node/bulk.mjs").into(),
            ]
        })),
    );
    out.insert(
        "java".into(),
        entry(bindings.java.map(|(java, cp)| {
            let class = "io.github.engagelabpush.bench.BulkBench";
            vec![java.into(), "-cp".into(), cp.into(), class.into()]
        })),
    );
    Ok(Value::Object(out))
}
