//! Ctrl-C during a call: a cancel token whose check runs Python's signal
//! handlers, so a `KeyboardInterrupt` stops the call within about 20 ms and
//! is raised as it would be anywhere else, its `__cause__` the call's
//! `CancelledError` (attempts, and whether the DELETE may have been made).

use std::sync::{Arc, Mutex};

use engagelab_push::{CallOptions, CancelToken, Error, ErrorKind};
use pyo3::prelude::*;

/// Per-call options whose cancel token fires when a signal handler raises;
/// the exception it raised is kept for [`Interruptible::error`].
pub(crate) struct Interruptible {
    pub options: CallOptions,
    raised: Arc<Mutex<Option<PyErr>>>,
}

impl Interruptible {
    /// The call checks for signals only when it waits (a slice of the wait
    /// passed with nothing to read): a fast call never takes the GIL. Off the
    /// main thread the check is a no-op, as Python runs handlers there only.
    pub(crate) fn new() -> Interruptible {
        let raised: Arc<Mutex<Option<PyErr>>> = Arc::default();
        let slot = raised.clone();
        let token = CancelToken::with_check(move || {
            Python::attach(|py| match py.check_signals() {
                Ok(()) => false,
                Err(e) => {
                    *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                    true
                }
            })
        });
        Interruptible {
            options: CallOptions::new().cancel(token),
            raised,
        }
    }

    /// The exception for a failed call: what a signal handler raised when it
    /// stopped the call, caused by the core's error, else the core's error
    /// mapped to its class.
    pub(crate) fn error(&self, py: Python<'_>, error: &Error) -> PyErr {
        let cancelled = crate::errors::to_py_err(py, error);
        if error.kind() == ErrorKind::Cancelled
            && let Some(raised) = self.raised.lock().unwrap_or_else(|p| p.into_inner()).take()
        {
            raised.set_cause(py, Some(cancelled));
            return raised;
        }
        cancelled
    }
}
