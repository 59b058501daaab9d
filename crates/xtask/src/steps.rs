//! Named steps with a result each, and the summary the test runs end with:
//! one `ok`/`FAIL` line per step with its time, the five slowest steps and
//! the total time, then `N passed, N failed`.

use std::io::Write;
use std::time::Instant;

/// The most a whole `cargo xtask test` run should take on the project's
/// 2-core machine; the summary shows the run against it.
const BUDGET_SECS: u64 = 600;

/// One step's result.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct StepResult {
    pub(crate) name: String,
    pub(crate) ok: bool,
    pub(crate) secs: u64,
}

/// The results of the steps run so far.
#[derive(Default)]
pub(crate) struct Steps {
    results: Vec<StepResult>,
}

impl Steps {
    pub(crate) fn new() -> Steps {
        Steps::default()
    }

    /// Runs one step, printing its name first and its result after; returns
    /// whether it passed.
    pub(crate) fn step(&mut self, name: &str, f: impl FnOnce() -> Result<(), String>) -> bool {
        println!("==== {name}");
        let start = Instant::now();
        let result = f();
        let secs = start.elapsed().as_secs();
        let ok = match result {
            Ok(()) => {
                println!("---- ok    {name} ({secs}s)");
                true
            }
            Err(e) => {
                println!("---- FAIL  {name} ({secs}s): {e}");
                false
            }
        };
        self.record(name, ok, secs);
        ok
    }

    /// Keeps a result and, in a lane (see test/lanes.rs), reports it to the
    /// parent at once.
    fn record(&mut self, name: &str, ok: bool, secs: u64) {
        let result = StepResult {
            name: name.to_owned(),
            ok,
            secs,
        };
        if let Some(path) = std::env::var_os(crate::test::lanes::RESULTS_ENV) {
            let line = serde_json::to_string(&result).expect("a step result serializes");
            let written = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .and_then(|mut f| writeln!(f, "{line}"));
            if let Err(e) = written {
                println!("xtask: cannot report a step's result to {path:?}: {e}");
            }
        }
        self.results.push(result);
    }

    /// Adds the results of steps run elsewhere (a lane).
    pub(crate) fn absorb(&mut self, results: Vec<StepResult>) {
        self.results.extend(results);
    }

    /// Records a step that could not run because an earlier one failed.
    pub(crate) fn skipped(&mut self, name: &str, why: &str) {
        println!("---- FAIL  {name}: not run, {why}");
        self.record(name, false, 0);
    }

    pub(crate) fn failed(&self) -> usize {
        self.results.iter().filter(|r| !r.ok).count()
    }

    /// Prints every step's result, then `N passed, N failed` as the last
    /// line; fails when any step failed.
    pub(crate) fn finish(&self, what: &str, start: Instant) -> Result<(), String> {
        println!("==== {what}: summary ({}s)", start.elapsed().as_secs());
        for r in &self.results {
            let mark = if r.ok { "ok  " } else { "FAIL" };
            println!("  {mark}  {} ({}s)", r.name, r.secs);
        }
        let mut slowest: Vec<&StepResult> = self.results.iter().collect();
        slowest.sort_by_key(|r| std::cmp::Reverse(r.secs));
        println!("  the five slowest steps (lanes run side by side):");
        for r in slowest.iter().take(5) {
            println!("    {:>4}s  {}", r.secs, r.name);
        }
        let total = start.elapsed().as_secs();
        println!(
            "  total: {}m{:02}s (budget {}m)",
            total / 60,
            total % 60,
            BUDGET_SECS / 60
        );
        let failed = self.failed();
        println!("{} passed, {failed} failed", self.results.len() - failed);
        if failed == 0 {
            Ok(())
        } else {
            Err(format!("{what}: {failed} step(s) failed"))
        }
    }
}
