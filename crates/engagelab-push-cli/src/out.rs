//! Standard output. A reader that went away (`| head -1`, a consumer that
//! died) is not a failure of the command: the lines it no longer wants are
//! dropped, and the command goes on to the exit code of what it did.
//! `println!` would panic on the closed pipe instead (Rust ignores SIGPIPE),
//! after a run had deleted devices: exit 1 and an "internal error".

use std::fmt::Display;
use std::io::{ErrorKind, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once standard output failed: later lines are dropped.
static GONE: AtomicBool = AtomicBool::new(false);

/// Writes `text` to standard output as it is; false when standard output is
/// gone (its reader closed it, or it cannot be written: said once on
/// standard error).
pub fn text(text: impl Display) -> bool {
    if GONE.load(Ordering::Relaxed) {
        return false;
    }
    let mut out = std::io::stdout().lock();
    match write!(out, "{text}").and_then(|()| out.flush()) {
        Ok(()) => true,
        Err(e) => {
            GONE.store(true, Ordering::Relaxed);
            if e.kind() != ErrorKind::BrokenPipe {
                err_text(format_args!(
                    "engagelab-push: error: cannot write to standard output: {e}\n"
                ));
            }
            false
        }
    }
}

/// Writes `line` and a newline to standard output; see [`text`].
pub fn line(line: impl Display) -> bool {
    text(format_args!("{line}\n"))
}

/// Writes `text` to standard error; a standard error that cannot be
/// written (its reader closed it, the terminal hung up) drops it.
/// `eprintln!` panics there instead: in the progress callback that stopped
/// a run mid-way, and in the panic hook it aborted the process.
pub fn err_text(text: impl Display) {
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{text}").and_then(|()| err.flush());
}

/// `eprintln!` that never panics: see [`err_text`].
macro_rules! say {
    () => {
        $crate::out::err_text("\n")
    };
    ($($arg:tt)*) => {
        $crate::out::err_text(format_args!("{}\n", format_args!($($arg)*)))
    };
}
