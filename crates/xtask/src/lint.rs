//! `cargo xtask lint`: rustfmt, clippy with warnings denied, the generated
//! files and the C header up to date, the shared contract (tests/contract)
//! valid against its schemas, ruff (lint and format) on every Python file.

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
        return;
    }
    steps.step("lint: ruff check", || {
        run(at_root(crate::venv::tool("ruff")).args(["check", "."]))
    });
    steps.step("lint: ruff format --check", || {
        run(at_root(crate::venv::tool("ruff")).args(["format", "--check", "."]))
    });
}
