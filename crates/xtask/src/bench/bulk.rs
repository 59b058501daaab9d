//! `cargo xtask bench --bulk`: the bulk-deletion benchmark (bench/bulk.py)
//! on release builds of the CLI, the mock and the Python module, behind
//! toxiproxy; then BENCHMARKS.md rebuilt from bench/results/ (the loopback
//! figures of the last full run, the bulk figures of this one).

use crate::process::{at_root, cargo, run};

pub(crate) fn run_bulk() -> Result<(), String> {
    let root = crate::root();
    super::log("building the release CLI and mock");
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
    let py = crate::venv::python();
    run(at_root(&py)
        .arg("bench/bulk.py")
        .arg(root.join("bench/results"))
        .arg(root.join("bench/bulk_deletions.svg")))?;
    run(at_root(&py)
        .arg("bench/report.py")
        .arg(root.join("bench/results"))
        .arg(root.join("BENCHMARKS.md"))
        .arg(root.join("bench/calls_per_sec.png")))
}
