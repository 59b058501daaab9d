//! Ctrl-C during a call: a cancel token whose check runs Python's signal
//! handlers, so a `KeyboardInterrupt` stops the call within about 20 ms and
//! is raised as it would be anywhere else, its `__cause__` the call's
//! `CancelledError` (attempts, and whether the DELETE may have been made).

use std::sync::{Arc, Mutex};

use engagelab_push::{CallOptions, CancelToken, Error, ErrorKind};
use pyo3::prelude::*;

use crate::aio::PythonPass;
use crate::guard::catch;

/// Per-call options whose cancel token fires when a signal handler raises;
/// the exception it raised is kept for [`Interruptible::error`].
pub(crate) struct Interruptible {
    pub options: CallOptions,
    raised: Arc<Mutex<Option<PyErr>>>,
    token: CancelToken,
    /// Held for the call, so interpreter exit waits for it (aio.rs); None
    /// once exit began on another thread.
    pass: Option<PythonPass>,
}

impl Interruptible {
    /// The call checks for signals only when it waits (a slice of the wait
    /// passed with nothing to read): a fast call never takes the GIL. Off the
    /// main thread the check is a no-op, as Python runs handlers there only.
    /// `also` (an AsyncClient task's handle) stops the call too. Once
    /// interpreter exit began the check stops the call instead of taking the
    /// GIL.
    pub(crate) fn new(also: Option<CancelToken>) -> Interruptible {
        let raised: Arc<Mutex<Option<PyErr>>> = Arc::default();
        let slot = raised.clone();
        let token = CancelToken::with_check(move || {
            if also.as_ref().is_some_and(CancelToken::is_cancelled) {
                return true;
            }
            let Some(_pass) = PythonPass::take() else {
                return true;
            };
            Python::attach(|py| match py.check_signals() {
                Ok(()) => false,
                Err(e) => {
                    *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                    true
                }
            })
        });
        Interruptible {
            options: CallOptions::new().cancel(token.clone()),
            raised,
            token,
            pass: PythonPass::take(),
        }
    }

    /// Runs `call` with the GIL released. Once interpreter exit began (on
    /// another thread) the GIL is kept, as the interpreter could finalize
    /// under a thread without it: the call, cancelled before it starts,
    /// ends at once with the core's `CANCELLED`, nothing sent.
    pub(crate) fn run<T: Send>(
        &self,
        py: Python<'_>,
        call: impl FnOnce(&CallOptions) -> Result<T, Error> + Send,
    ) -> Result<T, Error> {
        let options = &self.options;
        if self.pass.is_some() {
            return py.detach(|| catch(|| call(options)));
        }
        self.token.cancel();
        catch(|| call(options))
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
