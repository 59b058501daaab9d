//! `engagelab_push.Device`: the Python face of [`engagelab_push::Device`].

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use engagelab_push::Device as Core;
use pyo3::prelude::*;
use pyo3::pyclass::CompareOp;
use pyo3::types::{PyString, PyTuple};

use crate::guard::no_panic;

/// A device as EngageLab reports it (GET /v4/devices/{registration_id}):
/// the tags and alias bound to a registration id, and the whole answer.
/// Immutable: made by Client.get_device, never by the caller.
#[pyclass(frozen, module = "engagelab_push", name = "Device")]
pub(crate) struct Device {
    inner: Core,
}

impl Device {
    pub(crate) fn new(inner: Core) -> Device {
        Device { inner }
    }
}

#[pymethods]
impl Device {
    /// The registration id that was queried.
    #[getter]
    fn registration_id(&self) -> PyResult<&str> {
        no_panic(|| Ok(self.inner.registration_id()))
    }

    /// The tags bound to the device, as a tuple of str in the order EngageLab
    /// gave them; () when the answer had none (tags missing or null).
    #[getter]
    fn tags<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        no_panic(|| PyTuple::new(py, self.inner.tags()))
    }

    /// The alias bound to the device; None when the answer had none (alias
    /// missing or null).
    #[getter]
    fn alias(&self) -> PyResult<Option<&str>> {
        no_panic(|| Ok(self.inner.alias()))
    }

    /// The whole answer, unknown fields included, as a new dict on every
    /// access (changing it changes nothing else), decoded from raw_json by
    /// Python's json module, so integers of any size are kept exactly.
    #[getter]
    fn raw<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        no_panic(|| {
            py.import("json")?
                .getattr("loads")?
                .call1((self.inner.raw_json(),))
        })
    }

    /// The answer's body exactly as EngageLab sent it: the JSON text of one
    /// object, for a backup that loses nothing.
    #[getter]
    fn raw_json(&self) -> PyResult<&str> {
        no_panic(|| Ok(self.inner.raw_json()))
    }

    /// Equal when the registration id, the tags, the alias and the raw answer
    /// (as JSON values) are; the raw text's whitespace does not count.
    fn __richcmp__(&self, other: &Bound<'_, PyAny>, op: CompareOp) -> PyResult<Py<PyAny>> {
        no_panic(|| {
            let py = other.py();
            let Ok(other) = other.cast::<Device>() else {
                return Ok(py.NotImplemented());
            };
            let (a, b) = (&self.inner, &other.get().inner);
            let same = a.registration_id() == b.registration_id()
                && a.tags() == b.tags()
                && a.alias() == b.alias()
                && a.raw() == b.raw();
            match op {
                CompareOp::Eq => Ok(same.into_pyobject(py)?.to_owned().into_any().unbind()),
                CompareOp::Ne => Ok((!same).into_pyobject(py)?.to_owned().into_any().unbind()),
                _ => Ok(py.NotImplemented()),
            }
        })
    }

    /// A hash of the registration id, tags and alias (equal devices share
    /// them), so a Device can go in a set or be a dict key.
    fn __hash__(&self) -> PyResult<isize> {
        no_panic(|| {
            let mut h = DefaultHasher::new();
            (
                self.inner.registration_id(),
                self.inner.tags(),
                self.inner.alias(),
            )
                .hash(&mut h);
            Ok(h.finish() as isize)
        })
    }

    /// `Device(registration_id='…', tags=(…), alias=…)`; the raw answer is
    /// left out (see .raw and .raw_json).
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        no_panic(|| {
            let id = PyString::new(py, self.inner.registration_id()).repr()?;
            let tags = PyTuple::new(py, self.inner.tags())?.repr()?;
            let alias = match self.inner.alias() {
                Some(a) => PyString::new(py, a).repr()?.to_string(),
                None => "None".to_owned(),
            };
            Ok(format!(
                "Device(registration_id={id}, tags={tags}, alias={alias})"
            ))
        })
    }
}
