//! Suites side by side. A lane is a child `xtask test SUITE...` that runs its
//! suites in order, with its output in `target/test-logs/LANE.log` and each
//! step's result appended to `LANE.results` as it ends (one JSON object a
//! line). When a lane ends, its log is printed whole and its results join
//! the run's summary, so the output reads as if the suites ran one by one.

use std::fs::{self, File};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use crate::steps::{StepResult, Steps};

/// The environment variable through which a lane's steps report.
pub(crate) const RESULTS_ENV: &str = "XTASK_STEP_RESULTS";

/// A lane running in a child process.
pub(crate) struct Lane {
    name: String,
    child: Child,
    log: PathBuf,
    results: PathBuf,
    started: Instant,
}

fn logs_dir() -> PathBuf {
    crate::clib::target_dir().join("test-logs")
}

/// Starts `suites` in a child xtask, in that order.
pub(crate) fn spawn(name: &str, suites: &[&str]) -> Result<Lane, String> {
    let dir = logs_dir();
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let log = dir.join(format!("{name}.log"));
    let results = dir.join(format!("{name}.results"));
    let _ = fs::remove_file(&results);
    let out = File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    let exe = std::env::current_exe().map_err(|e| format!("the xtask binary: {e}"))?;
    let child = Command::new(exe)
        .current_dir(crate::root())
        .arg("test")
        .args(suites)
        .env(RESULTS_ENV, &results)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("starting lane {name}: {e}"))?;
    println!(
        "==== lane {name} started: {} (log: {})",
        suites.join(", "),
        log.display()
    );
    Ok(Lane {
        name: name.to_owned(),
        child,
        log,
        results,
        started: Instant::now(),
    })
}

impl Lane {
    /// Waits for the lane, prints its log and adds its results to `steps`.
    pub(crate) fn finish(mut self, steps: &mut Steps) {
        let status = self.child.wait();
        let secs = self.started.elapsed().as_secs();
        println!("==== lane {} ended after {secs}s; its output:", self.name);
        let _ = std::io::stdout().flush();
        match fs::read(&self.log) {
            Ok(text) => {
                let _ = std::io::stdout().write_all(&text);
            }
            Err(e) => println!("(no log: {}: {e})", self.log.display()),
        }
        println!("==== lane {}: end of its output", self.name);
        let results: Vec<StepResult> = fs::read_to_string(&self.results)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        let all_ok = results.iter().all(|r| r.ok);
        steps.absorb(results);
        match status {
            Ok(s) if s.success() => {}
            // A lane whose steps all passed but that failed anyway (killed,
            // a panic between steps) must not pass unseen.
            Ok(s) if all_ok => steps.skipped(
                &format!("lane {}", self.name),
                &format!("its process failed ({s}) after its last step"),
            ),
            Ok(_) => {}
            Err(e) => steps.skipped(&format!("lane {}", self.name), &e.to_string()),
        }
    }
}
