//! [`engagelab_push::Error`] → the exception classes of
//! `engagelab_push/exceptions.py`, one per [`ErrorKind`].

use engagelab_push::{Error, ErrorKind};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyType};

/// The classes defined in Python, looked up once.
mod py {
    pyo3::import_exception!(engagelab_push.exceptions, EngageLabError);
    pyo3::import_exception!(engagelab_push.exceptions, InvalidArgumentError);
    pyo3::import_exception!(engagelab_push.exceptions, AuthError);
    pyo3::import_exception!(engagelab_push.exceptions, NotFoundError);
    pyo3::import_exception!(engagelab_push.exceptions, RateLimitedError);
    pyo3::import_exception!(engagelab_push.exceptions, ServerError);
    pyo3::import_exception!(engagelab_push.exceptions, ApiError);
    pyo3::import_exception!(engagelab_push.exceptions, TimeoutError);
    pyo3::import_exception!(engagelab_push.exceptions, NetworkError);
    pyo3::import_exception!(engagelab_push.exceptions, InvalidResponseError);
    pyo3::import_exception!(engagelab_push.exceptions, InternalError);
}

/// The exception class for a category.
fn class_for(py: Python<'_>, kind: ErrorKind) -> Bound<'_, PyType> {
    use pyo3::PyTypeInfo;
    match kind {
        ErrorKind::InvalidArgument => py::InvalidArgumentError::type_object(py),
        ErrorKind::Auth => py::AuthError::type_object(py),
        ErrorKind::NotFound => py::NotFoundError::type_object(py),
        ErrorKind::RateLimited => py::RateLimitedError::type_object(py),
        ErrorKind::Server => py::ServerError::type_object(py),
        ErrorKind::Api => py::ApiError::type_object(py),
        ErrorKind::Timeout => py::TimeoutError::type_object(py),
        ErrorKind::Network => py::NetworkError::type_object(py),
        ErrorKind::InvalidResponse => py::InvalidResponseError::type_object(py),
        ErrorKind::Internal => py::InternalError::type_object(py),
        // A category added to the core later: the base class, with its name.
        _ => py::EngageLabError::type_object(py),
    }
}

/// The Python exception for a core error: `str(exc)` is the error's `Display`
/// sentence, every field of the error model an attribute.
pub(crate) fn to_py_err(py: Python<'_>, error: &Error) -> PyErr {
    build(py, error).unwrap_or_else(|e| e)
}

fn build(py: Python<'_>, error: &Error) -> PyResult<PyErr> {
    let kwargs = PyDict::new(py);
    kwargs.set_item("status", error.kind().name())?;
    kwargs.set_item("message", error.message())?;
    kwargs.set_item("http_status", error.http_status())?;
    kwargs.set_item("api_code", error.api_code())?;
    kwargs.set_item("attempts", error.attempts())?;
    kwargs.set_item("retry_after", error.retry_after().map(|d| d.as_secs_f64()))?;
    kwargs.set_item("maybe_deleted", error.maybe_deleted())?;
    let exc = class_for(py, error.kind()).call((error.to_string(),), Some(&kwargs))?;
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

/// `InvalidArgumentError` for a value the binding cannot even hand to the
/// core (e.g. a negative number of seconds), built by the core like any other.
pub(crate) fn invalid_argument(py: Python<'_>, message: &str) -> PyErr {
    to_py_err(py, &Error::invalid_argument(message))
}
