//! Python arguments → Rust values, each error naming the argument.
//!
//! Wrong types raise `TypeError`; values of the right type that cannot be
//! represented (a negative or NaN number of seconds, a retry count below 0,
//! a string with lone surrogates) raise `InvalidArgumentError`. Whether a
//! representable value is acceptable is left to the core.

use std::path::PathBuf;
use std::time::Duration;

use engagelab_push::{MAX_DURATION, Platform};
use pyo3::exceptions::{PyTypeError, PyUnicodeEncodeError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyFloat, PyInt, PyString};

use crate::errors::{invalid_argument, named_type_error, to_py_err, type_error};

/// A keyword argument as given, or `absent` when the caller left it out.
/// Unlike `Option<T>`, an explicit `None` is kept, so `timeout=None` is a
/// `TypeError` instead of silently meaning the default.
pub(crate) struct Arg<'py>(Option<Bound<'py, PyAny>>);

impl<'py> Arg<'py> {
    pub(crate) fn absent() -> Self {
        Arg(None)
    }

    /// Whether the argument was left out or given as Python `None`.
    pub(crate) fn is_absent_or_none(&self) -> bool {
        self.given_or_none().is_none()
    }

    /// The argument, or `None` when absent or given as Python `None`.
    fn given_or_none(&self) -> Option<&Bound<'py, PyAny>> {
        self.0.as_ref().filter(|v| !v.is_none())
    }
}

impl<'a, 'py> FromPyObject<'a, 'py> for Arg<'py> {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        Ok(Arg(Some(obj.to_owned())))
    }
}

/// A required `str`.
pub(crate) fn string(name: &str, value: &Bound<'_, PyAny>) -> PyResult<String> {
    let s = value
        .cast::<PyString>()
        .map_err(|_| type_error(name, "str", value))?;
    match s.to_cow() {
        Ok(s) => Ok(s.into_owned()),
        Err(_) => Err(invalid_argument(
            value.py(),
            &format!("{name} is not valid Unicode (it contains a lone surrogate)"),
        )),
    }
}

/// Any iterable of `str`, each item named `each ITEM` in its error. A bare
/// `str` is a `TypeError`: iterating it would give its letters.
pub(crate) fn strings(name: &str, item: &str, value: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    if value.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(format!(
            "{name} must be an iterable of str, not a str (iterating a str \
             would give its letters): wrap a single value in a list"
        )));
    }
    // Bytes would iterate as ints: "each ITEM must be str, not int".
    if value.is_instance_of::<PyBytes>() || value.is_instance_of::<PyByteArray>() {
        return Err(type_error(name, "an iterable of str", value));
    }
    let iter = value
        .try_iter()
        .map_err(|e| named_type_error(e, name, "an iterable of str", value))?;
    let item = format!("each {item}");
    iter.map(|v| string(&item, &v?)).collect()
}

/// The platforms of an alias lookup: `None` is none (every platform), else
/// an iterable of names, each parsed by the core.
pub(crate) fn platforms(value: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<Platform>> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    strings("platforms", "platform", value)?
        .iter()
        .map(|name| name.parse().map_err(|e| to_py_err(value.py(), &e)))
        .collect()
}

/// An optional `str`: absent or `None` gives `None`.
pub(crate) fn opt_string(name: &str, value: &Arg<'_>) -> PyResult<Option<String>> {
    value.given_or_none().map(|v| string(name, v)).transpose()
}

/// An optional path: `str` or `os.PathLike`.
pub(crate) fn opt_path(name: &str, value: &Arg<'_>) -> PyResult<Option<PathBuf>> {
    let Some(v) = value.given_or_none() else {
        return Ok(None);
    };
    fs_path(name, "str or os.PathLike[str]", v).map(Some)
}

/// A file name, `str` or `os.PathLike[str]`, encoded as `os.fsencode` does:
/// a name that is not UTF-8 on disk (`os.listdir` gives it with
/// surrogate escapes) is taken, as a `pathlib.Path` of it is. A `str` that
/// no file name can hold (a lone surrogate that is no escaped byte) is
/// `InvalidArgumentError` naming `name`, not a bare `UnicodeEncodeError`; a
/// wrong type, a PathLike giving bytes included, a `TypeError` naming it
/// ("not P" alone would read as if P were no PathLike).
pub(crate) fn fs_path(name: &str, wanted: &str, v: &Bound<'_, PyAny>) -> PyResult<PathBuf> {
    v.extract::<PathBuf>().map_err(|e| {
        if e.is_instance_of::<PyUnicodeEncodeError>(v.py()) {
            invalid_argument(
                v.py(),
                &format!("{name} is not a valid file name (it contains a lone surrogate)"),
            )
        } else {
            named_type_error(e, name, wanted, v)
        }
    })
}

/// Seconds as `int` or `float` (not `bool`), or `None` when absent. Negative,
/// NaN, infinite and values over the core's [`MAX_DURATION`] (24 hours) raise
/// `InvalidArgumentError` here, before any conversion that could overflow.
pub(crate) fn opt_seconds(name: &str, value: &Arg<'_>) -> PyResult<Option<Duration>> {
    seconds_at_most(name, value, MAX_DURATION)
}

/// [`opt_seconds`] for a bulk run's `stall_timeout`, which the core takes
/// at any length, as every binding passes it: only a number too large for
/// a duration is refused.
pub(crate) fn opt_long_seconds(name: &str, value: &Arg<'_>) -> PyResult<Option<Duration>> {
    seconds_at_most(name, value, Duration::MAX)
}

fn seconds_at_most(name: &str, value: &Arg<'_>, max: Duration) -> PyResult<Option<Duration>> {
    let Some(v) = &value.0 else {
        return Ok(None);
    };
    let is_number = (v.is_instance_of::<PyFloat>() || v.is_instance_of::<PyInt>())
        && !v.is_instance_of::<PyBool>();
    if !is_number {
        return Err(type_error(name, "a number of seconds (int or float)", v));
    }
    let secs: Option<f64> = v.extract::<f64>().ok();
    let bad = || bad_seconds(name, v, max);
    match secs {
        Some(s) if s.is_finite() && (0.0..=max.as_secs_f64()).contains(&s) => {
            match Duration::try_from_secs_f64(s) {
                Ok(duration) => Ok(Some(duration.min(max))),
                Err(_) => Err(bad()),
            }
        }
        _ => Err(bad()),
    }
}

/// [`opt_seconds`] for a per-call timeout, which counts only when earlier
/// than the client's (at most [`MAX_DURATION`]): a finite number over it is
/// taken as it, as every binding passes such a timeout to the core.
pub(crate) fn opt_call_seconds(name: &str, value: &Arg<'_>) -> PyResult<Option<Duration>> {
    let over_max = value
        .0
        .as_ref()
        .filter(|v| !v.is_instance_of::<PyBool>())
        .and_then(|v| v.extract::<f64>().ok())
        .is_some_and(|s| s.is_finite() && s > MAX_DURATION.as_secs_f64());
    if over_max {
        Ok(Some(MAX_DURATION))
    } else {
        opt_seconds(name, value)
    }
}

fn bad_seconds(name: &str, v: &Bound<'_, PyAny>, max: Duration) -> PyErr {
    let shown = v.repr().map(|r| r.to_string()).unwrap_or_default();
    let shown: String = shown.chars().take(40).collect();
    if max != MAX_DURATION {
        // No limit but a duration's largest: a finite number over it.
        let too_large =
            v.gt(max.as_secs_f64()).unwrap_or(false) && !v.eq(f64::INFINITY).unwrap_or(true);
        if too_large {
            return invalid_argument(v.py(), &format!("{name} is too large, got {shown}"));
        }
    }
    let most = if max == MAX_DURATION {
        format!(", at most {} (24 hours)", max.as_secs_f64())
    } else {
        String::new()
    };
    invalid_argument(
        v.py(),
        &format!("{name} must be a finite, non-negative number of seconds{most}, got {shown}"),
    )
}

/// A count as `int` (not `bool`) in `0..=u32::MAX`, or `None` when absent.
pub(crate) fn opt_count(name: &str, value: &Arg<'_>) -> PyResult<Option<u32>> {
    let Some(v) = &value.0 else {
        return Ok(None);
    };
    if !v.is_instance_of::<PyInt>() || v.is_instance_of::<PyBool>() {
        return Err(type_error(name, "an int", v));
    }
    v.extract::<u32>().map(Some).map_err(|_| {
        let shown = v.repr().map(|r| r.to_string()).unwrap_or_default();
        let shown: String = shown.chars().take(40).collect();
        invalid_argument(
            v.py(),
            &format!("{name} must be between 0 and {}, got {shown}", u32::MAX),
        )
    })
}

/// A whole number of type `T` as `int` (not `bool`): `default` when absent
/// (and when `None` is given, if `none_ok`). A value `T` cannot hold (a
/// negative one, a huge one) raises `InvalidArgumentError`; whether one it
/// can hold is acceptable (e.g. `qps=0`) is the core's to say.
pub(crate) fn int_or<'py, T>(name: &str, value: &Arg<'py>, default: T, none_ok: bool) -> PyResult<T>
where
    T: for<'a> FromPyObject<'a, 'py>,
{
    let Some(v) = &value.0 else {
        return Ok(default);
    };
    if none_ok && v.is_none() {
        return Ok(default);
    }
    if !v.is_instance_of::<PyInt>() || v.is_instance_of::<PyBool>() {
        return Err(type_error(name, "an int", v));
    }
    v.extract::<T>().map_err(|_| {
        let shown = v.repr().map(|r| r.to_string()).unwrap_or_default();
        let shown: String = shown.chars().take(40).collect();
        let why = if v.lt(0).unwrap_or(false) {
            "must not be negative"
        } else {
            "is too large"
        };
        invalid_argument(v.py(), &format!("{name} {why}, got {shown}"))
    })
}

/// An optional callback of a bulk run: `None`, or a callable that is not a
/// coroutine function (the run calls it without an event loop, so the
/// coroutine it returned would never run).
pub(crate) fn opt_callback(
    py: Python<'_>,
    name: &str,
    value: Option<Py<PyAny>>,
) -> PyResult<Option<Py<PyAny>>> {
    let Some(f) = value else {
        return Ok(None);
    };
    let bound = f.bind(py);
    if !bound.is_callable() {
        return Err(type_error(name, "callable", bound));
    }
    let is_coroutine = py
        .import("inspect")?
        .getattr("iscoroutinefunction")?
        .call1((bound,))?
        .is_truthy()?;
    if is_coroutine {
        return Err(PyTypeError::new_err(format!(
            "{name} must be a plain function, not a coroutine function (async def)"
        )));
    }
    Ok(Some(f))
}

/// A `bool`, or `None` when absent.
pub(crate) fn opt_flag(name: &str, value: &Arg<'_>) -> PyResult<Option<bool>> {
    let Some(v) = &value.0 else {
        return Ok(None);
    };
    v.cast::<PyBool>()
        .map(|b| Some(b.is_true()))
        .map_err(|_| type_error(name, "a bool", v))
}
