//! `cargo xtask test`: every test of the project — lint, the Rust workspace,
//! the declared MSRV, the C suites, the Python suite, the release artifacts
//! (`cargo xtask dist` and what users do with them), the benchmark harness in
//! quick mode and every language binding's tests — in lanes side by side
//! (lanes.rs). Each step prints its result; the run ends with one line per
//! step, the slowest steps, the total time and `N passed, N failed`.

mod c;
mod dist;
pub(crate) mod lanes;
mod msrv;
mod musl_python;
mod python;
mod targets;

use std::time::Instant;

use crate::process::cargo;
use crate::steps::Steps;

/// The suites, in the order `cargo xtask test` runs them.
pub(crate) const SUITES: &[&str] = &[
    "lint",
    "rust",
    "msrv",
    "c",
    "sanitizers",
    "python",
    "dist",
    "bench",
    "go",
    "java",
    "node",
    "php",
];

/// Suites run only when named: `targets` builds and runs every target's
/// artifacts (about 20 minutes of CPU, beyond the 10 minutes `make test`
/// has), before a release (`make dist-check`).
const ON_REQUEST: &[&str] = &["targets"];

/// A name for every binding's suite at once.
const BINDINGS: &[&str] = &["go", "java", "node", "php"];

/// How a whole run is laid out on two cores: these lanes run side by side
/// from the start, each running its suites in order; a tool several use is
/// set up once, by the first to need it. Most steps either compile or wait
/// (on timers, sockets, registries); seven lanes keep both cores busy through
/// the waits, and the suites' tests hold on a machine that busy. The three
/// bindings wait for the same release library, then share two lanes of about
/// equal length.
const LANES: &[(&str, &[&str])] = &[
    // The MSRV check after lint: clippy waits on the debug build's lock
    // most of its time, so this lane ends minutes before the others.
    ("lint", &["lint", "msrv"]),
    ("rust", &["rust"]),
    // PHP after the C suites: off the java lane, the longest (the Java
    // suite runs twice, and its leak check four times 40,000 calls).
    ("c", &["c", "php"]),
    ("sanitizers", &["sanitizers"]),
    // dist after the Python suite: two maturin builds into target/zig at
    // once race on the staged extension (one renames it from under the other).
    ("python", &["python", "dist"]),
    ("go", &["node", "go"]),
    // The harness's quick mode leaves the bindings' clients out, so it
    // shares no build tree with the binding suites.
    ("java", &["java", "bench"]),
];

/// Runs every suite, or only those named. A run of more than one lane's
/// suites runs the lanes side by side (see [`LANES`]); a lane itself, or a
/// run of one lane's suites, runs them in order here.
pub(crate) fn run(only: &[&str]) -> Result<(), String> {
    // `bindings` names every binding's suite.
    let only: Vec<&str> = only
        .iter()
        .flat_map(|s| match *s {
            "bindings" => BINDINGS.to_vec(),
            s => vec![s],
        })
        .collect();
    let only = only.as_slice();
    if let Some(unknown) = only
        .iter()
        .find(|s| !SUITES.contains(s) && !ON_REQUEST.contains(s))
    {
        return Err(format!(
            "no suite {unknown:?}; the suites are {} (bindings: all four), and {} on request",
            SUITES.join(", "),
            ON_REQUEST.join(", ")
        ));
    }
    let start = Instant::now();
    let mut steps = Steps::new();
    let wanted = |suite: &str| only.is_empty() || only.contains(&suite);
    let in_lane = std::env::var_os(lanes::RESULTS_ENV).is_some();
    let lanes_wanted: Vec<(&str, Vec<&str>)> = LANES
        .iter()
        .map(|(name, suites)| {
            (
                *name,
                suites.iter().copied().filter(|s| wanted(s)).collect(),
            )
        })
        .filter(|(_, suites): &(&str, Vec<&str>)| !suites.is_empty())
        .collect();
    if in_lane || lanes_wanted.len() < 2 {
        // In the order given (a lane's), or the suites' own.
        let order = if only.is_empty() { SUITES } else { only };
        for suite in order {
            run_suite(suite, &mut steps);
        }
        return steps.finish("test", start);
    }
    // What several lanes use (the Python tools' venv, toxiproxy, cbindgen)
    // is set up by the first lane that needs it, under a lock the others
    // wait on (process::exclusive), while the lanes that do not need it yet
    // compile.
    let mut running = Vec::new();
    for (name, suites) in &lanes_wanted {
        match lanes::spawn(name, suites) {
            Ok(lane) => running.push(lane),
            Err(e) => steps.skipped(&format!("lane {name}"), &e),
        }
    }
    for lane in running {
        lane.finish(&mut steps);
    }
    steps.finish("test", start)
}

fn run_suite(suite: &str, steps: &mut Steps) {
    match suite {
        "lint" => crate::lint::run_all(steps),
        "rust" => {
            // The fault matrix's runners (Rust, Python, C) find it there.
            steps.step("rust: toxiproxy installed (fault matrix)", || {
                crate::toxiproxy::install().map(|_| ())
            });
            steps.step("rust: cargo test --workspace", || {
                crate::process::run(cargo().args(["test", "--workspace"]))
            });
        }
        "msrv" => msrv_suite(steps),
        "c" => c::run_suite(steps),
        "sanitizers" => c::run_sanitizers(steps),
        "python" => python::run_suite(steps),
        "dist" => dist::run_suite(steps),
        "targets" => targets::run_suite(steps),
        "bench" => {
            steps.step("bench: harness in quick mode", || crate::bench::run(true));
        }
        binding => bindings(steps, binding),
    }
}

fn msrv_suite(steps: &mut Steps) {
    let mut toolchain = String::new();
    let installed = steps.step("msrv: rustup toolchain install", || {
        toolchain = msrv::install()?;
        Ok(())
    });
    let name = "msrv: cargo +MSRV check --lib --bins (core, C ABI, Python module, CLI)";
    if installed {
        steps.step(&name.replace("MSRV", &toolchain), || {
            msrv::check(&toolchain)
        });
    } else {
        steps.skipped(name, "the toolchain is not installed");
    }
}

/// One binding known to `bindings/mod.rs`, through its `test` function.
fn bindings(steps: &mut Steps, name: &str) {
    let Some((_, test, _)) = crate::bindings::known().iter().find(|(n, _, _)| *n == name) else {
        return steps.skipped(&format!("binding {name}"), "no such binding");
    };
    let mut env = None;
    if !steps.step(&format!("binding {name}: release library and mock"), || {
        env = Some(crate::bindings::Env::build()?);
        Ok(())
    }) {
        return;
    }
    let env = env.expect("built");
    steps.step(&format!("binding {name}: test"), || test(&env));
}

#[cfg(test)]
mod tests {
    use super::{LANES, SUITES};

    #[test]
    fn every_suite_is_in_exactly_one_lane() {
        for suite in SUITES {
            let lanes = LANES.iter().filter(|(_, s)| s.contains(suite)).count();
            assert_eq!(lanes, 1, "{suite} is in {lanes} lanes");
        }
        for (name, suites) in LANES {
            for suite in *suites {
                assert!(SUITES.contains(suite), "lane {name}: no suite {suite}");
            }
        }
    }
}
