//! Exit codes, and the one-line error that goes with a non-zero one.

/// Every id was deleted or not found (or, dry run, checked).
pub const OK: i32 = 0;
/// Some ids failed, or the run stopped on a failure every id would get (the
/// credentials refused, the same failure many times in a row); erasing
/// users, also an alias that could not be resolved or a device still bound.
pub const FAILED: i32 = 1;
/// A usage or configuration error: nothing was sent.
pub const USAGE: i32 = 2;
/// The guard or the confirmation refused: nothing was sent.
pub const REFUSED: i32 = 3;
/// Stopped because a file the run keeps (backup, report, journal) could not
/// be written: the summary says what was sent before.
pub const WRITE_FAILED: i32 = 4;
/// Interrupted (Ctrl-C, SIGTERM).
pub const INTERRUPTED: i32 = 130;

/// Why the command stops, and its exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: i32,
    pub message: String,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure {
            code: USAGE,
            message: message.into(),
        }
    }

    pub fn failed(message: impl Into<String>) -> Failure {
        Failure {
            code: FAILED,
            message: message.into(),
        }
    }

    pub fn refused(message: impl Into<String>) -> Failure {
        Failure {
            code: REFUSED,
            message: message.into(),
        }
    }
}
