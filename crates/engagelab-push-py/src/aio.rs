//! The native half of `engagelab_push.AsyncClient`: calls started on the
//! client's own threads (or, for a bulk run, on a thread of its own) whose
//! outcome is handed to a Python callable, and `_Call`, the handle that
//! cancels one.
//!
//! The callable (`done(value, error)`) is called exactly once, with the GIL,
//! on a library thread; `python/engagelab_push/_async.py` passes one that
//! posts the outcome to its event loop.

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use engagelab_push::{CANCEL_GRACE, CallOptions, CancelToken, Error};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::errors::to_py_err;
use crate::guard::no_panic;

thread_local! {
    /// The token of the bulk run started on this thread by [`start_bulk`]:
    /// the run's own token (bulk.rs) also stops when it is cancelled.
    static BULK_STOP: RefCell<Option<CancelToken>> = const { RefCell::new(None) };
}

/// The token that stops a bulk run on this thread, when [`start_bulk`]
/// started it.
pub(crate) fn bulk_stop() -> Option<CancelToken> {
    BULK_STOP.with(|s| s.borrow().clone())
}

/// A call started by `AsyncClient`: `cancel()` stops it (the outcome, a
/// `CancelledError` unless the call had already ended, still goes to its
/// `done`). Private; made by the client only.
#[pyclass(frozen, module = "engagelab_push._engagelab_push", name = "_Call")]
pub(crate) struct Call {
    token: CancelToken,
}

#[pymethods]
impl Call {
    /// Cancels the call; safe to call more than once, and after it ended.
    fn cancel(&self) -> PyResult<()> {
        no_panic(|| {
            self.token.cancel();
            Ok(())
        })
    }
}

/// The options of one call: its cancel token, and its timeout if given.
pub(crate) fn options(timeout: Option<Duration>) -> (CallOptions, Call) {
    let token = CancelToken::new();
    let mut options = CallOptions::new().cancel(token.clone());
    if let Some(t) = timeout {
        options = options.timeout(t);
    }
    (options, Call { token })
}

/// The library threads running Python code for AsyncClient right now, and
/// whether the interpreter is about to finalize.
struct InPython {
    threads: usize,
    /// Set once exit began: the thread running it (the main thread, which
    /// finalizes the interpreter after the `atexit` handlers, so its own
    /// later handlers still run calls and bulk runs as usual).
    closing: Option<ThreadId>,
}

static IN_PYTHON: Mutex<InPython> = Mutex::new(InPython {
    threads: 0,
    closing: None,
});
/// Signalled when the last thread leaves Python.
static LEFT_PYTHON: Condvar = Condvar::new();

fn in_python() -> MutexGuard<'static, InPython> {
    IN_PYTHON.lock().unwrap_or_else(|p| p.into_inner())
}

/// A library thread's leave to run Python code, held while it does (a bulk
/// run holds one from start to end, so interpreter exit waits for it).
pub(crate) struct PythonPass;

impl PythonPass {
    /// None once the interpreter is about to finalize, on any thread but
    /// the one finalizing it: a thread that took the GIL then would be ended
    /// by the interpreter (`pthread_exit`, an unwind through Rust frames that
    /// kills the process).
    pub(crate) fn take() -> Option<PythonPass> {
        let mut state = in_python();
        if state
            .closing
            .is_some_and(|closer| closer != std::thread::current().id())
        {
            return None;
        }
        state.threads += 1;
        Some(PythonPass)
    }
}

impl Drop for PythonPass {
    fn drop(&mut self) {
        let mut state = in_python();
        state.threads -= 1;
        if state.threads == 0 {
            LEFT_PYTHON.notify_all();
        }
    }
}

/// How long interpreter exit waits for library threads still running
/// Python code (a completion being posted, a bulk run): a run stops at the
/// exit, and its requests in flight get [`CANCEL_GRACE`] to finish.
const EXIT_GRACE: Duration = CANCEL_GRACE.saturating_add(Duration::from_secs(2));

/// Registered with `atexit` (engagelab_push/_async.py), so it runs before
/// the interpreter finalizes: from then on a completion skips Python (its
/// outcome has no loop left to go to), a bulk run still going stops as if
/// cancelled (its callbacks skipped, its report and journal complete), and
/// the threads still in Python code are waited for, with the GIL released,
/// up to EXIT_GRACE. Without it, a completion posted as the program ended
/// could find the interpreter gone once its socket write to the loop
/// returned, and the process died with SIGSEGV at exit (about 1 run in 150
/// of an example); a run in a background thread did too, at its next look
/// at Ctrl-C. Private.
#[pyfunction]
pub(crate) fn _at_exit(py: Python<'_>) {
    py.detach(|| {
        let mut state = in_python();
        state.closing = Some(std::thread::current().id());
        let deadline = Instant::now() + EXIT_GRACE;
        while state.threads > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            state = LEFT_PYTHON
                .wait_timeout(state, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    });
}

/// Calls `done(value, error)` with the GIL: the value as `to_value` makes it,
/// or the error's exception. A Python exception raised by `done` (or by the
/// conversion) has nowhere to go but `sys.unraisablehook`; a panic stops
/// here.
pub(crate) fn deliver<T>(
    done: Py<PyAny>,
    result: Result<T, Error>,
    to_value: impl FnOnce(Python<'_>, T) -> PyResult<Py<PyAny>>,
) {
    // After interpreter exit began: nothing to tell (`done` is dropped
    // without the GIL, its reference released by pyo3 later, or never).
    let Some(_pass) = PythonPass::take() else {
        return;
    };
    let _ = catch_unwind(AssertUnwindSafe(|| {
        Python::attach(|py| {
            let args = match result {
                Ok(value) => to_value(py, value).map(|v| (v, py.None())),
                Err(e) => Ok((py.None(), to_py_err(py, &e).into_value(py).into_any())),
            };
            let called = args.and_then(|args| done.call1(py, args));
            if let Err(e) = called {
                e.write_unraisable(py, Some(done.bind(py)));
            }
            drop(done);
        });
    }));
}

/// Runs `client.<method>(*args, **kwargs)` (the synchronous bulk call,
/// which releases the GIL while its engine runs) on a new thread, stopped by
/// the returned handle; its return value or exception goes to `done`.
///
/// # Errors
/// `InternalError` when the thread could not be started (`done` is then
/// never called).
pub(crate) fn start_bulk(
    py: Python<'_>,
    client: Py<PyAny>,
    method: &'static str,
    args: Py<PyTuple>,
    kwargs: Option<Py<PyDict>>,
    done: Py<PyAny>,
) -> PyResult<Call> {
    let token = CancelToken::new();
    let stop = token.clone();
    let body = move || {
        // A run started as the interpreter exits does not start.
        let Some(_pass) = PythonPass::take() else {
            return;
        };
        BULK_STOP.with(|s| *s.borrow_mut() = Some(stop));
        let slot = std::sync::Mutex::new(Some(done));
        let ran = catch_unwind(AssertUnwindSafe(|| {
            Python::attach(|py| {
                let kwargs = kwargs.as_ref().map(|k| k.bind(py));
                let result = client.bind(py).call_method(method, args.bind(py), kwargs);
                let (value, error) = match result {
                    Ok(v) => (v.unbind(), py.None()),
                    Err(e) => (py.None(), e.into_value(py).into_any()),
                };
                let done = slot.lock().unwrap_or_else(|p| p.into_inner()).take();
                if let Some(done) = done
                    && let Err(e) = done.call1(py, (value, error))
                {
                    e.write_unraisable(py, Some(done.bind(py)));
                }
            });
        }));
        // A panic before `done` was called: it still gets an outcome.
        if ran.is_err() {
            let done = slot.lock().unwrap_or_else(|p| p.into_inner()).take();
            if let Some(done) = done {
                deliver::<()>(
                    done,
                    Err(Error::internal("a Rust panic was caught in a bulk run")),
                    |py, ()| Ok(py.None()),
                );
            }
        }
    };
    std::thread::Builder::new()
        .name("engagelab-bulk".to_owned())
        .spawn(body)
        .map(|_| Call { token })
        .map_err(|e| {
            to_py_err(
                py,
                &Error::internal(format!("could not start a thread for the run: {e}")),
            )
        })
}
