//! `Client.erase_users`, `engagelab_push.EraseSummary` and
//! `engagelab_push.ErasedUser`: the Python face of the core's erasure of
//! users by alias, run on the bulk path of bulk.rs.

use engagelab_push::{Client, ErasedUser as CoreUser, Erasure};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};

use crate::bulk::{BulkSummary, Raised, Settings, run};
use crate::errors::to_py_err;
use crate::guard::no_panic;

/// One user of an erasure: the alias, the devices bound to it before, and
/// those still bound after. Immutable: made by Client.erase_users.
#[pyclass(frozen, module = "engagelab_push", name = "ErasedUser")]
pub(crate) struct ErasedUser {
    inner: CoreUser,
}

#[pymethods]
impl ErasedUser {
    /// The alias, as given.
    #[getter]
    fn alias(&self) -> PyResult<&str> {
        no_panic(|| Ok(self.inner.alias.as_str()))
    }

    /// The registration ids bound to the alias before the erasure, in
    /// EngageLab's order: what the run deleted. () for an alias with no
    /// device, or one EngageLab does not know.
    #[getter]
    fn registration_ids<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        no_panic(|| PyTuple::new(py, &self.inner.registration_ids))
    }

    /// The registration ids still bound when the alias was resolved again
    /// after the deletions: () when the erasure is complete; None when it was
    /// not checked (a dry run, an interrupted run, or a failed lookup: see
    /// verify_error).
    #[getter]
    fn still_bound<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        no_panic(|| {
            self.inner
                .still_bound
                .as_ref()
                .map(|ids| PyTuple::new(py, ids))
                .transpose()
        })
    }

    /// Why the second lookup failed: the EngageLabError subclass of its
    /// category, or None.
    #[getter]
    fn verify_error(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        no_panic(|| {
            Ok(self
                .inner
                .verify_error
                .as_ref()
                .map(|e| to_py_err(py, e).into_value(py).into_any()))
        })
    }

    /// `ErasedUser(alias='…', registration_ids=(…), still_bound=(…) or None,
    /// verify_error=… or None)`.
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        no_panic(|| {
            let alias = PyString::new(py, &self.inner.alias).repr()?;
            let ids = self.registration_ids(py)?.repr()?;
            let bound = match self.still_bound(py)? {
                Some(t) => t.repr()?.to_string(),
                None => "None".to_owned(),
            };
            let error = match self.verify_error(py)? {
                Some(e) => e.bind(py).repr()?.to_string(),
                None => "None".to_owned(),
            };
            Ok(format!(
                "ErasedUser(alias={alias}, registration_ids={ids}, still_bound={bound}, \
                 verify_error={error})"
            ))
        })
    }
}

/// What an erasure did (`Client.erase_users`): the bulk run over the users'
/// devices (the BulkSummary fields), and each user.
#[pyclass(frozen, extends = BulkSummary, module = "engagelab_push", name = "EraseSummary")]
pub(crate) struct EraseSummary {
    erasure: Erasure,
    users: Py<PyTuple>,
}

#[pymethods]
impl EraseSummary {
    /// Each alias, in the order given (a repeated alias once), as ErasedUser.
    #[getter]
    fn users(&self, py: Python<'_>) -> PyResult<Py<PyTuple>> {
        no_panic(|| Ok(self.users.clone_ref(py)))
    }

    /// The registration ids still bound after the erasure, as (alias, id)
    /// pairs.
    #[getter]
    fn still_bound<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        no_panic(|| {
            let pairs: Vec<(&str, &str)> = self.erasure.still_bound().collect();
            PyTuple::new(py, pairs)
        })
    }

    /// True when every device was deleted (or was already gone), the run was
    /// not interrupted, and, unless it was a dry run, every alias was
    /// resolved again with no device still bound.
    #[getter]
    fn is_success(&self) -> PyResult<bool> {
        no_panic(|| Ok(self.erasure.is_success()))
    }

    /// The summary as a dict (the report's summary line) with `users`: one
    /// dict per user (alias, registration_ids, still_bound, and verify_error
    /// after a failed second lookup).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        no_panic(|| {
            py.import("json")?
                .getattr("loads")?
                .call1((self.erasure.to_json().to_string(),))?
                .cast_into::<PyDict>()
                .map_err(PyErr::from)
        })
    }

    fn __repr__(&self) -> PyResult<String> {
        no_panic(|| Ok(format!("EraseSummary({})", self.erasure.to_json())))
    }
}

/// The ErasedUser object of a core user, for `on_resolved`.
pub(crate) fn user_object(py: Python<'_>, user: &CoreUser) -> PyResult<Py<ErasedUser>> {
    Py::new(
        py,
        ErasedUser {
            inner: user.clone(),
        },
    )
}

/// Erases the users `aliases` names with `settings`, on the bulk path.
pub(crate) fn erase_users(
    py: Python<'_>,
    client: &Client,
    aliases: Vec<String>,
    settings: Settings,
    on_progress: Option<Py<PyAny>>,
) -> PyResult<Py<EraseSummary>> {
    let raised = Raised::default();
    let erasure = run(
        py,
        client,
        settings,
        on_progress,
        raised,
        move |b| b.erase_users(aliases),
        |py, e: &Erasure| Ok(summary(py, e.clone())?.into_any()),
    )?;
    summary(py, erasure)
}

/// The EraseSummary of an erasure.
fn summary(py: Python<'_>, erasure: Erasure) -> PyResult<Py<EraseSummary>> {
    let users = erasure
        .users
        .iter()
        .map(|u| Py::new(py, ErasedUser { inner: u.clone() }))
        .collect::<PyResult<Vec<_>>>()?;
    let users = PyTuple::new(py, users)?.unbind();
    let base = BulkSummary::new(erasure.summary.clone());
    Py::new(
        py,
        PyClassInitializer::from(base).add_subclass(EraseSummary { erasure, users }),
    )
}
