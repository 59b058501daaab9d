//! `cargo xtask lint`: rustfmt, clippy with warnings denied, the generated
//! files and the C header up to date, the shared contract (tests/contract)
//! valid against its schemas, ruff (lint and format) on every Python file,
//! BENCHMARKS.md rebuilt from the committed results.

use crate::process::{at_root, cargo, run};
use crate::steps::Steps;

/// Runs every check as a step of `steps`.
pub(crate) fn run_all(steps: &mut Steps) {
    steps.step("lint: cargo fmt --check", || {
        run(cargo().args(["fmt", "--all", "--", "--check"]))
    });
    steps.step("lint: cargo clippy -D warnings", || {
        // Off the critical path: the lint lane ends minutes before the others.
        run(crate::process::cargo_niced().args([
            "clippy",
            "--quiet",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    });
    steps.step("lint: generated files up to date (gen --check)", || {
        crate::generate::run(true)
    });
    steps.step("lint: C header up to date (header --check)", || {
        crate::header::check(&crate::header::committed())
    });
    steps.step("lint: tests/contract against its schemas", || {
        // crates/contract-check: jsonschema stays out of xtask's build. It
        // comes from the debug workspace build the other suites share: a
        // `-p contract-check` build would compile its dependencies again,
        // with fewer features.
        crate::clib::build_debug_workspace()?;
        let checker = crate::clib::target_dir().join("debug/contract-check");
        run(at_root(checker).arg(crate::root()))
    });
    if !steps.step("lint: Python dev tools in .venv", crate::venv::ensure) {
        steps.skipped("lint: ruff check", "no .venv");
        steps.skipped("lint: ruff format --check", "no .venv");
        steps.skipped("lint: BENCHMARKS.md current", "no .venv");
        return;
    }
    steps.step("lint: ruff check", || {
        run(at_root(crate::venv::tool("ruff")).args(["check", "."]))
    });
    steps.step("lint: ruff format --check", || {
        run(at_root(crate::venv::tool("ruff")).args(["format", "--check", "."]))
    });
    steps.step("lint: BENCHMARKS.md current", benchmarks_current);
}

/// BENCHMARKS.md is bench/report.py's page for bench/results and
/// bench/notes.md: rebuilt into target/ (without the chart when the venv
/// has no matplotlib), it must be the committed file.
fn benchmarks_current() -> Result<(), String> {
    let out = crate::clib::target_dir().join("xtask-tmp/lint-benchmarks");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let page = out.join("BENCHMARKS.md");
    run(at_root(crate::venv::python())
        .arg("bench/report.py")
        .arg("bench/results")
        .arg(&page)
        .arg(out.join("calls_per_sec.png")))?;
    let read = |p: &std::path::Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    if read(&page)? != read(&crate::root().join("BENCHMARKS.md"))? {
        return Err(
            "BENCHMARKS.md is not what bench/report.py makes of bench/results and \
                    bench/notes.md: run `python bench/report.py bench/results BENCHMARKS.md \
                    bench/calls_per_sec.png`"
                .into(),
        );
    }
    Ok(())
}
