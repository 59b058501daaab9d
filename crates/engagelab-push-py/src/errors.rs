//! [`engagelab_push::Error`] → the exception classes of
//! `engagelab_push/exceptions.py`, one per [`ErrorKind`].

use engagelab_push::{Error, ErrorKind};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyType};

/// The exception class of a category: `BY_STATUS[name]` of
/// `engagelab_push.exceptions` (generated from the error model), looked up
/// once; the base class for a category this package does not know.
pub(crate) fn class_for(py: Python<'_>, kind: ErrorKind) -> PyResult<Bound<'_, PyType>> {
    static BY_STATUS: PyOnceLock<Py<PyDict>> = PyOnceLock::new();
    let by_status = BY_STATUS.get_or_try_init(py, || {
        let module = py.import("engagelab_push.exceptions")?;
        Ok::<_, PyErr>(module.getattr("BY_STATUS")?.cast_into::<PyDict>()?.unbind())
    })?;
    match by_status.bind(py).get_item(kind.name())? {
        Some(class) => Ok(class.cast_into::<PyType>()?),
        None => Ok(py
            .import("engagelab_push.exceptions")?
            .getattr("EngageLabError")?
            .cast_into::<PyType>()?),
    }
}

/// The Python exception for a core error: `str(exc)` is the error's `Display`
/// sentence, every field of the error model an attribute.
pub(crate) fn to_py_err(py: Python<'_>, error: &Error) -> PyErr {
    to_py_err_saying(py, error, &error.to_string())
}

/// As [`to_py_err`], with `str(exc)` the given sentence: a bulk run's
/// message that names what the error stopped.
pub(crate) fn to_py_err_saying(py: Python<'_>, error: &Error, text: &str) -> PyErr {
    build(py, error, text).unwrap_or_else(|e| e)
}

fn build(py: Python<'_>, error: &Error, text: &str) -> PyResult<PyErr> {
    let kwargs = PyDict::new(py);
    kwargs.set_item("status", error.kind().name())?;
    kwargs.set_item("message", error.message())?;
    kwargs.set_item("http_status", error.http_status())?;
    kwargs.set_item("api_code", error.api_code())?;
    kwargs.set_item("attempts", error.attempts())?;
    kwargs.set_item("retry_after", error.retry_after().map(|d| d.as_secs_f64()))?;
    kwargs.set_item("maybe_deleted", error.maybe_deleted())?;
    let exc = class_for(py, error.kind())?.call((text,), Some(&kwargs))?;
    Ok(PyErr::from_value(exc))
}

/// `TypeError: NAME must be WANTED, not TYPE`.
pub(crate) fn type_error(name: &str, wanted: &str, got: &Bound<'_, PyAny>) -> PyErr {
    let got = got
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".to_owned());
    PyTypeError::new_err(format!("{name} must be {wanted}, not {got}"))
}

/// `e`, unless it is a `TypeError`: then [`type_error`] naming `name`, since
/// Python's own ("'int' object is not iterable") names no argument.
pub(crate) fn named_type_error(
    e: PyErr,
    name: &str,
    wanted: &str,
    got: &Bound<'_, PyAny>,
) -> PyErr {
    if e.is_instance_of::<PyTypeError>(got.py()) {
        type_error(name, wanted, got)
    } else {
        e
    }
}

/// `InvalidArgumentError` for a value the binding cannot even hand to the
/// core (e.g. a negative number of seconds), built by the core like any other.
pub(crate) fn invalid_argument(py: Python<'_>, message: &str) -> PyErr {
    to_py_err(py, &Error::invalid_argument(message))
}
