//! `Client.erase_users`, `engagelab_push.EraseSummary` and
//! `engagelab_push.ErasedUser`: the Python face of the core's erasure of
//! users by alias, run on the bulk path of bulk.rs.

use engagelab_push::{Client, ErasedUser as CoreUser, Erasure};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple, PyType};

use crate::bulk::{BulkSummary, Raised, Settings, SummaryState, run};
use crate::errors::to_py_err;
use crate::guard::no_panic;

/// One user of an erasure: the alias, the devices bound to it before, and
/// those still bound after. Immutable: made by Client.erase_users.
#[pyclass(frozen, module = "engagelab_push", name = "ErasedUser")]
pub(crate) struct ErasedUser {
    alias: String,
    registration_ids: Vec<String>,
    still_bound: Option<Vec<String>>,
    /// The second lookup's exception, made once.
    verify_error: Option<Py<PyAny>>,
}

/// What pickling keeps of an ErasedUser: every field.
type UserState = (String, Vec<String>, Option<Vec<String>>, Option<Py<PyAny>>);

impl ErasedUser {
    fn new(py: Python<'_>, user: &CoreUser) -> ErasedUser {
        ErasedUser {
            alias: user.alias.clone(),
            registration_ids: user.registration_ids.clone(),
            still_bound: user.still_bound.clone(),
            verify_error: user
                .verify_error
                .as_ref()
                .map(|e| to_py_err(py, e).into_value(py).into_any()),
        }
    }
}

#[pymethods]
impl ErasedUser {
    /// The alias, as given.
    #[getter]
    fn alias(&self) -> &str {
        &self.alias
    }

    /// The registration ids bound to the alias before the erasure, in
    /// EngageLab's order: those the run was to delete (the summary's
    /// `deleted` counts those it did). () for an alias with no device, or
    /// one EngageLab does not know.
    #[getter]
    fn registration_ids<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        no_panic(|| PyTuple::new(py, &self.registration_ids))
    }

    /// The registration ids still bound when the alias was resolved again
    /// after the deletions: () when the erasure is complete; None when it was
    /// not checked (a dry run, an interrupted or stopped run, or a failed lookup: see
    /// verify_error).
    #[getter]
    fn still_bound<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        no_panic(|| {
            self.still_bound
                .as_ref()
                .map(|ids| PyTuple::new(py, ids))
                .transpose()
        })
    }

    /// Why the second lookup failed: the EngageLabError subclass of its
    /// category, or None.
    #[getter]
    fn verify_error(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.verify_error.as_ref().map(|e| e.clone_ref(py))
    }

    /// `ErasedUser(alias='…', registration_ids=(…), still_bound=(…) or None,
    /// verify_error=… or None)`.
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        no_panic(|| {
            let alias = PyString::new(py, &self.alias).repr()?;
            let ids = self.registration_ids(py)?.repr()?;
            let bound = match self.still_bound(py)? {
                Some(t) => t.repr()?.to_string(),
                None => "None".to_owned(),
            };
            let error = match &self.verify_error {
                Some(e) => e.bind(py).repr()?.to_string(),
                None => "None".to_owned(),
            };
            Ok(format!(
                "ErasedUser(alias={alias}, registration_ids={ids}, still_bound={bound}, \
                 verify_error={error})"
            ))
        })
    }

    /// Pickled as its fields, made again by `_restore`.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, UserState)> {
        let py = slf.py();
        let user = slf.get();
        let state = (
            user.alias.clone(),
            user.registration_ids.clone(),
            user.still_bound.clone(),
            user.verify_error.as_ref().map(|e| e.clone_ref(py)),
        );
        Ok((py.get_type::<ErasedUser>().getattr("_restore")?, state))
    }

    /// The user a pickled state describes. Private.
    #[classmethod]
    fn _restore(
        _cls: &Bound<'_, PyType>,
        alias: String,
        registration_ids: Vec<String>,
        still_bound: Option<Vec<String>>,
        verify_error: Option<Py<PyAny>>,
    ) -> ErasedUser {
        ErasedUser {
            alias,
            registration_ids,
            still_bound,
            verify_error,
        }
    }
}

/// What an erasure did (`Client.erase_users`): the bulk run over the users'
/// devices (the BulkSummary fields), and each user. Holds what the core
/// computed, as BulkSummary does.
#[pyclass(frozen, extends = BulkSummary, module = "engagelab_push", name = "EraseSummary")]
pub(crate) struct EraseSummary {
    /// The erasure as JSON text (`Erasure::to_json`).
    json: String,
    users: Py<PyTuple>,
    still_bound: Vec<(String, String)>,
    is_success: bool,
}

/// What pickling keeps of an EraseSummary: the BulkSummary's state, then
/// every field.
type EraseState = (
    SummaryState,
    String,
    Py<PyTuple>,
    Vec<(String, String)>,
    bool,
);

#[pymethods]
impl EraseSummary {
    /// Each alias, in the order given (a repeated alias once), as ErasedUser.
    #[getter]
    fn users(&self, py: Python<'_>) -> Py<PyTuple> {
        self.users.clone_ref(py)
    }

    /// The registration ids still bound after the erasure, as (alias, id)
    /// pairs.
    #[getter]
    fn still_bound<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        no_panic(|| PyTuple::new(py, &self.still_bound))
    }

    /// True when every device was deleted (or was already gone), the run was
    /// not interrupted, and, unless it was a dry run, every alias was
    /// resolved again with no device still bound.
    #[getter]
    fn is_success(&self) -> bool {
        self.is_success
    }

    /// The summary as a dict (the report's summary line) with `users`: one
    /// dict per user (alias, registration_ids, still_bound, and verify_error
    /// after a failed second lookup).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        no_panic(|| {
            py.import("json")?
                .getattr("loads")?
                .call1((&self.json,))?
                .cast_into::<PyDict>()
                .map_err(PyErr::from)
        })
    }

    fn __repr__(&self) -> String {
        format!("EraseSummary({})", self.json)
    }

    /// Pickled as its state, made again by `_restore`.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, EraseState)> {
        let py = slf.py();
        let erasure = slf.get();
        let state = (
            slf.as_super().get().state(),
            erasure.json.clone(),
            erasure.users.clone_ref(py),
            erasure.still_bound.clone(),
            erasure.is_success,
        );
        Ok((py.get_type::<EraseSummary>().getattr("_restore")?, state))
    }

    /// The summary a pickled state describes. Private.
    #[classmethod]
    fn _restore(
        cls: &Bound<'_, PyType>,
        base: SummaryState,
        json: String,
        users: Py<PyTuple>,
        still_bound: Vec<(String, String)>,
        is_success: bool,
    ) -> PyResult<Py<EraseSummary>> {
        let erasure = EraseSummary {
            json,
            users,
            still_bound,
            is_success,
        };
        let base = BulkSummary::from_state(base)?;
        Py::new(
            cls.py(),
            PyClassInitializer::from(base).add_subclass(erasure),
        )
    }
}

/// The ErasedUser object of a core user, for `on_resolved`.
pub(crate) fn user_object(py: Python<'_>, user: &CoreUser) -> PyResult<Py<ErasedUser>> {
    Py::new(py, ErasedUser::new(py, user))
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
        |py, e: &Erasure| Ok(summary(py, e)?.into_any()),
    )?;
    summary(py, &erasure)
}

/// The EraseSummary of an erasure.
fn summary(py: Python<'_>, erasure: &Erasure) -> PyResult<Py<EraseSummary>> {
    let users = erasure
        .users
        .iter()
        .map(|u| user_object(py, u))
        .collect::<PyResult<Vec<_>>>()?;
    let summary = EraseSummary {
        json: erasure.to_json().to_string(),
        users: PyTuple::new(py, users)?.unbind(),
        still_bound: erasure
            .still_bound()
            .map(|(alias, id)| (alias.to_owned(), id.to_owned()))
            .collect(),
        is_success: erasure.is_success(),
    };
    let base = BulkSummary::new(&erasure.summary);
    Py::new(py, PyClassInitializer::from(base).add_subclass(summary))
}
