//! `engagelab_push.CheckReport`: the Python face of
//! [`engagelab_push::CheckReport`].

use engagelab_push::{CheckReport as Core, ErrorKind, Region};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};

use crate::guard::no_panic;

/// What Client.check found: where the calls went, whether the credentials
/// were accepted, the round trip, the server's clock and rate-limit headers,
/// each answer and the differences from what the library assumes.
/// Immutable: made by Client.check, never by the caller. Holds no secret.
#[pyclass(frozen, module = "engagelab_push", name = "CheckReport")]
pub(crate) struct CheckReport {
    inner: Core,
}

impl CheckReport {
    pub(crate) fn new(inner: Core) -> CheckReport {
        CheckReport { inner }
    }
}

#[pymethods]
impl CheckReport {
    /// The base URL the calls went to.
    #[getter]
    fn base_url(&self) -> PyResult<&str> {
        no_panic(|| Ok(self.inner.base_url()))
    }

    /// The region's short name, or None when a base_url was given.
    #[getter]
    fn region(&self) -> PyResult<Option<&'static str>> {
        no_panic(|| Ok(self.inner.region().map(Region::name)))
    }

    /// Whether the credentials were accepted: no answer was AUTH, and one came
    /// from EngageLab's API (a success, or an error with its code).
    #[getter]
    fn credentials_accepted(&self) -> PyResult<bool> {
        no_panic(|| Ok(self.inner.credentials_accepted()))
    }

    /// The address the requests went to ('127.0.0.1:443'; the proxy's
    /// through a proxy), or None when unknown.
    #[getter]
    fn address(&self) -> PyResult<Option<String>> {
        no_panic(|| Ok(self.inner.address().map(|a| a.to_string())))
    }

    /// The TLS version negotiated ('TLS 1.3'), or None over plain HTTP.
    #[getter]
    fn tls_version(&self) -> PyResult<Option<&str>> {
        no_panic(|| Ok(self.inner.tls_version()))
    }

    /// The median round trip of 5, in seconds.
    #[getter]
    fn rtt(&self) -> PyResult<f64> {
        no_panic(|| Ok(self.inner.rtt().as_secs_f64()))
    }

    /// The first answer's Date header, or None.
    #[getter]
    fn server_date(&self) -> PyResult<Option<&str>> {
        no_panic(|| Ok(self.inner.server_date()))
    }

    /// The server's clock minus this machine's, in whole seconds, or None
    /// without a readable Date.
    #[getter]
    fn clock_skew_s(&self) -> PyResult<Option<i64>> {
        no_panic(|| Ok(self.inner.clock_skew_s()))
    }

    /// Every X-Rate-Limit-* header seen, name lower-cased: a new dict.
    #[getter]
    fn rate_limit_headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        no_panic(|| {
            let d = PyDict::new(py);
            for (k, v) in self.inner.rate_limit_headers() {
                d.set_item(k, v)?;
            }
            Ok(d)
        })
    }

    /// Each answer as a dict (kind, path, http_status, api_code, message,
    /// classification, expected, as_expected, rtt), unknown id first.
    #[getter]
    fn probes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        no_panic(|| {
            let mut out = Vec::new();
            for p in self.inner.probes() {
                let d = PyDict::new(py);
                d.set_item("kind", p.kind().name())?;
                d.set_item("path", p.path())?;
                d.set_item("http_status", p.http_status())?;
                d.set_item("api_code", p.api_code())?;
                d.set_item("message", p.message())?;
                d.set_item("classification", p.classification().map(ErrorKind::name))?;
                d.set_item("expected", p.kind().expected())?;
                d.set_item("as_expected", p.as_expected())?;
                d.set_item("rtt", p.rtt().as_secs_f64())?;
                out.push(d);
            }
            PyTuple::new(py, out)
        })
    }

    /// The differences from what the library assumes, as (code, message)
    /// pairs; () when the API answered as assumed.
    #[getter]
    fn findings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        no_panic(|| {
            PyTuple::new(
                py,
                self.inner
                    .findings()
                    .iter()
                    .map(|f| (f.code(), f.message())),
            )
        })
    }

    /// Every fact as JSON text, the same as `engagelab-push check --json`.
    fn to_json(&self) -> PyResult<String> {
        no_panic(|| Ok(self.inner.to_json().to_string()))
    }

    /// The report as the CLI prints it.
    fn __str__(&self) -> PyResult<String> {
        no_panic(|| Ok(self.inner.to_string()))
    }

    /// `CheckReport(base_url='…', credentials_accepted=True, findings=N)`.
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        no_panic(|| {
            let url = PyString::new(py, self.inner.base_url()).repr()?;
            Ok(format!(
                "CheckReport(base_url={url}, credentials_accepted={}, findings={})",
                if self.inner.credentials_accepted() {
                    "True"
                } else {
                    "False"
                },
                self.inner.findings().len()
            ))
        })
    }
}
