//! Named steps with a result each, and the summary the test runs end with:
//! one `ok`/`FAIL` line per step with its time, then `N passed, N failed`.

use std::time::Instant;

/// The results of the steps run so far.
#[derive(Default)]
pub(crate) struct Steps {
    results: Vec<(String, bool, u64)>,
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
        self.results.push((name.to_owned(), ok, secs));
        ok
    }

    /// Records a step that could not run because an earlier one failed.
    pub(crate) fn skipped(&mut self, name: &str, why: &str) {
        println!("---- FAIL  {name}: not run, {why}");
        self.results.push((name.to_owned(), false, 0));
    }

    pub(crate) fn failed(&self) -> usize {
        self.results.iter().filter(|(_, ok, _)| !ok).count()
    }

    /// Prints every step's result, then `N passed, N failed` as the last
    /// line; fails when any step failed.
    pub(crate) fn finish(&self, what: &str, start: Instant) -> Result<(), String> {
        println!("==== {what}: summary ({}s)", start.elapsed().as_secs());
        for (name, ok, secs) in &self.results {
            let mark = if *ok { "ok  " } else { "FAIL" };
            println!("  {mark}  {name} ({secs}s)");
        }
        let failed = self.failed();
        println!("{} passed, {failed} failed", self.results.len() - failed);
        if failed == 0 {
            Ok(())
        } else {
            Err(format!("{what}: {failed} step(s) failed"))
        }
    }
}
