//! Running other programs: cargo, compilers, test binaries.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// `cargo`, the one that runs this xtask (so the same toolchain).
pub(crate) fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(crate::root());
    cmd
}

/// `cargo` at a low CPU priority (`nice -n 10`): for builds off a run's
/// critical path, so that the builds the longest lanes wait for get the
/// cores first.
pub(crate) fn cargo_niced() -> Command {
    let mut cmd = Command::new("nice");
    cmd.args(["-n", "10"])
        .arg(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(crate::root());
    cmd
}

/// A command run from the workspace root.
pub(crate) fn at_root(program: impl Into<PathBuf>) -> Command {
    let mut cmd = Command::new(program.into());
    cmd.current_dir(crate::root());
    cmd
}

/// How a command is shown in messages: the program and its arguments.
pub(crate) fn shown(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        s.push(' ');
        s.push_str(&arg.to_string_lossy());
    }
    s
}

/// Runs `cmd` with the terminal as its output; fails unless it exits 0.
pub(crate) fn run(cmd: &mut Command) -> Result<(), String> {
    let status = cmd.status().map_err(|e| format!("{}: {e}", shown(cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", shown(cmd)))
    }
}

/// Runs `cmd` capturing stdout and stderr, whatever its exit status.
pub(crate) fn capture(cmd: &mut Command) -> Result<Output, String> {
    cmd.stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{}: {e}", shown(cmd)))
}

/// Runs `cmd` and returns its stdout, trimmed; fails unless it exits 0
/// (showing its stderr).
pub(crate) fn stdout(cmd: &mut Command) -> Result<String, String> {
    let out = capture(cmd)?;
    if !out.status.success() {
        return Err(format!(
            "`{}` failed ({}): {}",
            shown(cmd),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Runs `cmd` quietly, showing what it printed only when it fails.
pub(crate) fn run_quiet(cmd: &mut Command) -> Result<(), String> {
    let out = capture(cmd)?;
    if out.status.success() {
        return Ok(());
    }
    eprint!("{}", String::from_utf8_lossy(&out.stdout));
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    Err(format!("`{}` failed ({})", shown(cmd), out.status))
}

/// Whether `program` is on the PATH.
pub(crate) fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// Fills `dir` once with `make`, for what the suites fetch or build and
/// keep in `target/`: unless `dir/.done` exists, takes the lock NAME (see
/// [`exclusive`]; another lane may have filled it meanwhile), removes what
/// an interrupted attempt left, runs `make` and marks `dir` done.
pub(crate) fn once(
    name: &str,
    dir: &Path,
    make: impl FnOnce() -> Result<(), String>,
) -> Result<(), String> {
    let done = dir.join(".done");
    if done.exists() {
        return Ok(());
    }
    exclusive(name, || {
        if done.exists() {
            return Ok(());
        }
        let _ = std::fs::remove_dir_all(dir);
        make()?;
        std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::write(&done, ""))
            .map_err(|e| format!("{}: {e}", done.display()))
    })
}

/// Runs `f` holding the lock `target/locks/NAME.lock` (flock), so that
/// lanes running side by side set up a shared tool (the venv, toxiproxy,
/// cbindgen) once: the first builds it, the others wait, then find it.
pub(crate) fn exclusive<T>(name: &str, f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    let dir = crate::clib::target_dir().join("locks");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = dir.join(format!("{name}.lock"));
    let file = std::fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    // rustix's flock: File::lock is newer than the workspace's 1.88.
    rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    // The lock is released when `file` is closed, after `f`.
    f()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    #[test]
    fn exclusive_runs_one_holder_at_a_time() {
        static INSIDE: AtomicBool = AtomicBool::new(false);
        let holder = |_| {
            super::exclusive("xtask-selftest", || {
                assert!(!INSIDE.swap(true, Ordering::SeqCst), "two holders at once");
                std::thread::sleep(Duration::from_millis(50));
                INSIDE.store(false, Ordering::SeqCst);
                Ok(())
            })
        };
        let threads: Vec<_> = (0..4)
            .map(|i| std::thread::spawn(move || holder(i)))
            .collect();
        for t in threads {
            t.join().expect("no panic").expect("locked");
        }
    }
}
