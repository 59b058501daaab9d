//! `cargo xtask test`: every test of the project, in dependency order — lint,
//! the Rust workspace, the declared MSRV, the C suites, the Python suite, the
//! release artifacts (`cargo xtask dist` and what users do with them), the
//! benchmark harness in quick mode, then every language binding's tests.
//! Each step prints its result; the run ends with one line per step and
//! `N passed, N failed`.

mod c;
mod dist;
mod msrv;
mod python;

use std::time::Instant;

use crate::process::cargo;
use crate::steps::Steps;

/// The suites, in the order `cargo xtask test` runs them.
pub(crate) const SUITES: &[&str] = &[
    "lint", "rust", "msrv", "c", "python", "dist", "bench", "bindings",
];

/// Runs every suite, or only those named.
pub(crate) fn run(only: &[&str]) -> Result<(), String> {
    if let Some(unknown) = only.iter().find(|s| !SUITES.contains(s)) {
        return Err(format!(
            "no suite {unknown:?}; the suites are {}",
            SUITES.join(", ")
        ));
    }
    let start = Instant::now();
    let mut steps = Steps::new();
    for suite in SUITES
        .iter()
        .filter(|s| only.is_empty() || only.contains(s))
    {
        match *suite {
            "lint" => crate::lint::run_all(&mut steps),
            "rust" => {
                // The fault matrix's runners (Rust, Python, C) find it there.
                steps.step("rust: toxiproxy installed (fault matrix)", || {
                    crate::toxiproxy::install().map(|_| ())
                });
                steps.step("rust: cargo test --workspace", || {
                    crate::process::run(cargo().args(["test", "--workspace"]))
                });
            }
            "msrv" => msrv_suite(&mut steps),
            "c" => c::run_suite(&mut steps),
            "python" => python::run_suite(&mut steps),
            "dist" => dist::run_suite(&mut steps),
            "bench" => {
                steps.step("bench: harness in quick mode", || crate::bench::run(true));
            }
            _ => bindings(&mut steps),
        }
    }
    steps.finish("test", start)
}

fn msrv_suite(steps: &mut Steps) {
    let mut toolchain = String::new();
    let installed = steps.step("msrv: rustup toolchain install", || {
        toolchain = msrv::install()?;
        Ok(())
    });
    let name = "msrv: cargo +MSRV test -p engagelab-push";
    if installed {
        steps.step(&name.replace("MSRV", &toolchain), || {
            msrv::test_core(&toolchain)
        });
    } else {
        steps.skipped(name, "the toolchain is not installed");
    }
}

/// Every binding known to `bindings/mod.rs`, through its `test` function.
fn bindings(steps: &mut Steps) {
    let known = crate::bindings::known();
    if known.is_empty() {
        println!("==== bindings: none yet");
        return;
    }
    let mut env = None;
    if !steps.step("bindings: release library and mock", || {
        env = Some(crate::bindings::Env::build()?);
        Ok(())
    }) {
        return;
    }
    let env = env.expect("built");
    for (name, test, _) in known {
        steps.step(&format!("binding {name}: test"), || test(&env));
    }
}
