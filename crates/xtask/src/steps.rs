//! Named steps with a result each, and the summary the test runs end with:
//! one `ok`/`FAIL` line per step with its time and the CPU time its
//! programs used, the five slowest steps, the five that used the most CPU
//! and the total time, then `N passed, N failed`.

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
    /// CPU seconds (user and system) of this process and the programs it
    /// ran and waited for during the step.
    #[serde(default)]
    pub(crate) cpu: u64,
}

/// The CPU seconds used so far by this process and its waited-for
/// children: utime, stime, cutime and cstime of /proc/self/stat, in clock
/// ticks of 1/100 s (USER_HZ, 100 on every Linux target). 0 where there is
/// no /proc.
fn cpu_secs() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // The fields after the command name, which is in parentheses and may
    // hold spaces: state is field 3, utime 14 .. cstime 17.
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
        return 0.0;
    };
    let ticks: u64 = rest
        .split_whitespace()
        .skip(11)
        .take(4)
        .filter_map(|f| f.parse::<u64>().ok())
        .sum();
    ticks as f64 / 100.0
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
        let cpu_start = cpu_secs();
        let result = f();
        let secs = start.elapsed().as_secs();
        let cpu = (cpu_secs() - cpu_start).round() as u64;
        let ok = match result {
            Ok(()) => {
                println!("---- ok    {name} ({secs}s, cpu {cpu}s)");
                true
            }
            Err(e) => {
                println!("---- FAIL  {name} ({secs}s, cpu {cpu}s): {e}");
                false
            }
        };
        self.record(name, ok, secs, cpu);
        ok
    }

    /// Keeps a result and, in a lane (see test/lanes.rs), reports it to the
    /// parent at once.
    fn record(&mut self, name: &str, ok: bool, secs: u64, cpu: u64) {
        let result = StepResult {
            name: name.to_owned(),
            ok,
            secs,
            cpu,
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
        self.record(name, false, 0, 0);
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
            println!("  {mark}  {} ({}s, cpu {}s)", r.name, r.secs, r.cpu);
        }
        let mut slowest: Vec<&StepResult> = self.results.iter().collect();
        slowest.sort_by_key(|r| std::cmp::Reverse(r.secs));
        println!("  the five slowest steps (lanes run side by side):");
        for r in slowest.iter().take(5) {
            println!("    {:>4}s  {}", r.secs, r.name);
        }
        // On two cores the lanes share the CPU: what a step costs the run is
        // its CPU time more than its wall time.
        slowest.sort_by_key(|r| std::cmp::Reverse(r.cpu));
        println!("  the five steps that used the most CPU:");
        for r in slowest.iter().take(5) {
            println!("    {:>4}s  {}", r.cpu, r.name);
        }
        let cpu: u64 = self.results.iter().map(|r| r.cpu).sum();
        println!("  CPU time of every step: {}m{:02}s", cpu / 60, cpu % 60);
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
