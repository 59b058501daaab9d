//! Panics stop at the boundary: they become `engagelab_push.InternalError`.

use std::panic::{AssertUnwindSafe, catch_unwind};

use engagelab_push::Error;
use pyo3::prelude::*;

use crate::errors::to_py_err;

/// Runs `f`, turning a panic into the core's `Internal` error.
///
/// Used both around whole entry points and inside `py.detach`, so a panic
/// never unwinds through pyo3 or into Python.
pub(crate) fn catch<T>(f: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| Err(panic_error()))
}

/// Runs an entry point's body: a panic becomes `InternalError`.
pub(crate) fn no_panic<T>(f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(_) => {
            let error = panic_error();
            Python::attach(|py| Err(to_py_err(py, &error)))
        }
    }
}

/// The core's `Internal` error for a caught panic. The panic's payload is left
/// out, as in the C layer: it could quote anything, a secret included.
fn panic_error() -> Error {
    Error::internal("a Rust panic was caught at the Python boundary")
}

/// Panics, with the GIL released or held: lets the tests prove that a panic
/// becomes `InternalError`. Private; not part of the API.
#[pyfunction]
pub(crate) fn _panic_for_tests(py: Python<'_>, detached: bool) -> PyResult<()> {
    no_panic(|| {
        if detached {
            py.detach(|| catch(|| -> Result<(), Error> { panic!("test panic, GIL released") }))
                .map_err(|e| to_py_err(py, &e))
        } else {
            panic!("test panic, GIL held")
        }
    })
}
