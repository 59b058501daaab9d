//! `cargo xtask test`: every test of the project, in dependency order — lint,
//! the Rust workspace, the declared MSRV, the C suites, the Python suite, the
//! release artifacts (`cargo xtask dist` and what users do with them), the
//! benchmark harness in quick mode, then every language binding's tests.
//! Each step prints its result; the run ends with one line per step and
//! `N passed, N failed`.

mod c;
mod dist;
pub(crate) mod lanes;
mod msrv;
mod python;

use std::time::Instant;

use crate::process::cargo;
use crate::steps::Steps;

/// The suites, in the order `cargo xtask test` runs them.
pub(crate) const SUITES: &[&str] = &[
    "lint", "rust", "msrv", "c", "python", "dist", "bench", "bindings",
];

/// How a whole run is laid out on two cores: `lint` first and alone (it
/// builds what the rest checks), then these lanes side by side, each running
/// its suites in order. A lane pairs suites that mostly compute with suites
/// that mostly wait (on timers, sockets and registries), so that neither
/// core idles and no timing test shares a core with two builds.
const LANES: &[(&str, &[&str])] = &[
    ("rust", &["rust", "c"]),
    ("python", &["python", "dist", "msrv"]),
    ("bindings", &["bindings", "bench"]),
];

/// Runs every suite, or only those named. A run of more than one lane's
/// suites runs the lanes side by side (see [`LANES`]); a lane itself, or a
/// run of one lane's suites, runs them in order here.
pub(crate) fn run(only: &[&str]) -> Result<(), String> {
    if let Some(unknown) = only.iter().find(|s| !SUITES.contains(s)) {
        return Err(format!(
            "no suite {unknown:?}; the suites are {}",
            SUITES.join(", ")
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
        for suite in SUITES.iter().filter(|s| wanted(s)) {
            run_suite(suite, &mut steps);
        }
        return steps.finish("test", start);
    }
    if wanted("lint") {
        run_suite("lint", &mut steps);
    }
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
        "python" => python::run_suite(steps),
        "dist" => dist::run_suite(steps),
        "bench" => {
            steps.step("bench: harness in quick mode", || crate::bench::run(true));
        }
        _ => bindings(steps),
    }
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

#[cfg(test)]
mod tests {
    use super::{LANES, SUITES};

    #[test]
    fn every_suite_but_lint_is_in_exactly_one_lane() {
        for suite in SUITES.iter().filter(|s| **s != "lint") {
            let lanes = LANES.iter().filter(|(_, s)| s.contains(suite)).count();
            assert_eq!(lanes, 1, "{suite} is in {lanes} lanes");
        }
        for (name, suites) in LANES {
            for suite in *suites {
                assert!(SUITES.contains(suite), "lane {name}: no suite {suite}");
                assert_ne!(*suite, "lint", "lint runs before the lanes");
            }
        }
    }
}
