//! `Client.delete_devices` and `engagelab_push.BulkSummary`: the Python face
//! of the core's bulk engine. The engine runs with the GIL released; the
//! GIL is taken only to pull the next id from a Python iterable, to call
//! `on_progress`, and to run signal handlers (Ctrl-C) a few times a second.
//! [`run`] is that one path, shared with `Client.erase_users` (erase.rs).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use engagelab_push::{
    BulkDelete, BulkError, BulkErrorKind, BulkInput, BulkSummary as Core, CancelToken, Client,
    ErasedUser, Error, ErrorKind, Plan, Progress,
};
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyIterator, PyString, PyType};

use crate::aio::PythonPass;
use crate::convert::{Arg, int_or, opt_flag, opt_long_seconds, opt_path};
use crate::errors::named_type_error;
use crate::errors::{to_py_err, to_py_err_saying};
use crate::guard::catch;

/// The first Python exception raised while the engine ran (by the ids'
/// iterator, `on_progress`, or a signal handler); it is raised once the
/// engine has stopped.
pub(crate) type Raised = Arc<Mutex<Option<PyErr>>>;

/// What a bulk deletion did (`Client.delete_devices`); `EraseSummary`
/// extends it. Holds what the core computed, not the core's struct, so that
/// unpickling can make it again.
#[pyclass(frozen, subclass, module = "engagelab_push", name = "BulkSummary")]
pub(crate) struct BulkSummary {
    /// The report's summary line (`BulkSummary::to_json`).
    line: serde_json::Value,
    /// The exact seconds and rate, which the line rounds.
    elapsed: f64,
    rate: f64,
}

/// What pickling keeps of a BulkSummary: the line as JSON text, the exact
/// seconds and rate.
pub(crate) type SummaryState = (String, f64, f64);

impl BulkSummary {
    pub(crate) fn new(core: &Core) -> BulkSummary {
        BulkSummary {
            line: core.to_json(),
            elapsed: core.elapsed.as_secs_f64(),
            rate: core.rate(),
        }
    }

    fn count(&self, key: &str) -> u64 {
        self.line
            .get(key)
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0)
    }

    fn flag(&self, key: &str) -> bool {
        self.line
            .get(key)
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false)
    }

    /// What pickling keeps.
    pub(crate) fn state(&self) -> SummaryState {
        (self.line.to_string(), self.elapsed, self.rate)
    }

    /// The summary `state` describes.
    pub(crate) fn from_state((line, elapsed, rate): SummaryState) -> PyResult<BulkSummary> {
        let line = serde_json::from_str(&line).map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(BulkSummary {
            line,
            elapsed,
            rate,
        })
    }
}

#[pymethods]
impl BulkSummary {
    /// Devices deleted.
    #[getter]
    fn deleted(&self) -> u64 {
        self.count("deleted")
    }
    /// Ids EngageLab did not know (nothing deleted).
    #[getter]
    fn not_found(&self) -> u64 {
        self.count("not_found")
    }
    /// Ids whose call failed (see the report for every error field).
    #[getter]
    fn failed(&self) -> u64 {
        self.count("failed")
    }
    /// Entries that are not registration ids (never sent).
    #[getter]
    fn invalid(&self) -> u64 {
        self.count("invalid")
    }
    /// Repeated ids (sent once).
    #[getter]
    fn duplicate(&self) -> u64 {
        self.count("duplicate")
    }
    /// Ids the journal holds as finished by an earlier run.
    #[getter]
    fn already_done(&self) -> u64 {
        self.count("already_done")
    }
    /// Dry run: ids that would be deleted.
    #[getter]
    fn would_delete(&self) -> u64 {
        self.count("would_delete")
    }
    /// Entries in the input (blank and '#' lines not counted).
    #[getter]
    fn entries(&self) -> u64 {
        self.count("entries")
    }
    /// Distinct valid ids in the input (what max_deletions was checked against).
    #[getter]
    fn ids(&self) -> u64 {
        self.count("ids")
    }
    /// Entries never reached because the run was interrupted.
    #[getter]
    fn not_started(&self) -> u64 {
        self.count("not_started")
    }
    /// Rate-limit answers received (each was paced and retried).
    #[getter]
    fn rate_limited(&self) -> u64 {
        self.count("rate_limited")
    }
    /// Seconds from the first request to the end.
    #[getter]
    fn elapsed(&self) -> f64 {
        self.elapsed
    }
    /// Deletions (dry run: ids checked) per second.
    #[getter]
    fn rate(&self) -> f64 {
        self.rate
    }
    /// Whether the run was stopped before its end.
    #[getter]
    fn interrupted(&self) -> bool {
        self.flag("interrupted")
    }
    /// Why the engine stopped the run before its end (the credentials
    /// refused, or the same failure many times in a row), or None.
    #[getter]
    fn stopped(&self) -> Option<&str> {
        self.line.get("stopped").and_then(serde_json::Value::as_str)
    }
    /// Whether it was a dry run.
    #[getter]
    fn dry_run(&self) -> bool {
        self.flag("dry_run")
    }
    /// The summary as a dict (the report's summary line).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        json_dict(py, &self.line)
    }
    fn __repr__(&self) -> String {
        format!("BulkSummary({})", self.line)
    }
    /// Pickled as its state, made again by `_restore`.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (SummaryState,))> {
        let restore = slf.py().get_type::<BulkSummary>().getattr("_restore")?;
        Ok((restore, (slf.get().state(),)))
    }
    /// The summary a pickled state describes. Private.
    #[classmethod]
    fn _restore(_cls: &Bound<'_, PyType>, state: SummaryState) -> PyResult<BulkSummary> {
        BulkSummary::from_state(state)
    }
}

fn json_dict<'py>(py: Python<'py>, v: &serde_json::Value) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    if let serde_json::Value::Object(m) = v {
        for (k, v) in m {
            match v {
                serde_json::Value::Bool(b) => d.set_item(k, b)?,
                serde_json::Value::Number(n) if n.is_u64() => d.set_item(k, n.as_u64())?,
                serde_json::Value::Number(n) => d.set_item(k, n.as_f64())?,
                serde_json::Value::Null => d.set_item(k, py.None())?,
                serde_json::Value::String(text) => d.set_item(k, text)?,
                other => d.set_item(k, other.to_string())?,
            }
        }
    }
    Ok(d)
}

fn plan_dict<'py>(py: Python<'py>, plan: &Plan) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("entries", plan.entries)?;
    d.set_item("ids", plan.ids)?;
    d.set_item("dry_run", plan.dry_run)?;
    Ok(d)
}

fn progress_dict<'py>(py: Python<'py>, p: &Progress) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let c = &p.counts;
    d.set_item("done", p.done)?;
    d.set_item("total", p.total)?;
    d.set_item("deleted", c.deleted)?;
    d.set_item("not_found", c.not_found)?;
    d.set_item("failed", c.failed)?;
    d.set_item("invalid", c.invalid)?;
    d.set_item("duplicate", c.duplicate)?;
    d.set_item("already_done", c.already_done)?;
    d.set_item("would_delete", c.would_delete)?;
    d.set_item("rate_limited", p.rate_limited)?;
    d.set_item("elapsed", p.elapsed.as_secs_f64())?;
    d.set_item("qps", p.qps)?;
    d.set_item("in_flight", p.in_flight)?;
    d.set_item("pause", p.pause.as_secs_f64())?;
    d.set_item("pause_reason", p.pause_reason)?;
    d.set_item("interrupted", p.interrupted)?;
    Ok(d)
}

/// The settings of one bulk call (`delete_devices`, `erase_users`),
/// already converted.
pub(crate) struct Settings {
    qps: u32,
    concurrency: Option<usize>,
    journal: Option<PathBuf>,
    backup: Option<PathBuf>,
    report: Option<PathBuf>,
    max_deletions: u64,
    dry_run: bool,
    stall_timeout: Option<std::time::Duration>,
    /// `confirm(plan: dict) -> bool`, called once the guard passed.
    pub(crate) confirm: Option<Py<PyAny>>,
    /// `on_resolved(user: ErasedUser)`, called per alias of an erasure.
    pub(crate) on_resolved: Option<Py<PyAny>>,
}

impl Settings {
    /// The keyword arguments every bulk call takes, each path `str` or
    /// `os.PathLike`. A value out of range refuses the run as the core's
    /// refusals do ([`refused`]).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        py: Python<'_>,
        qps: &Arg<'_>,
        concurrency: &Arg<'_>,
        journal: &Arg<'_>,
        backup: &Arg<'_>,
        report: &Arg<'_>,
        max_deletions: &Arg<'_>,
        dry_run: &Arg<'_>,
        stall_timeout: &Arg<'_>,
    ) -> PyResult<Settings> {
        let settings = || {
            let concurrency = match int_or::<usize>("concurrency", concurrency, 0, true)? {
                0 if concurrency.is_absent_or_none() => None,
                n => Some(n),
            };
            Ok(Settings {
                qps: int_or("qps", qps, engagelab_push::DEFAULT_QPS, false)?,
                concurrency,
                journal: opt_path("journal", journal)?,
                backup: opt_path("backup", backup)?,
                report: opt_path("report", report)?,
                max_deletions: int_or(
                    "max_deletions",
                    max_deletions,
                    engagelab_push::DEFAULT_MAX_DELETIONS,
                    false,
                )?,
                dry_run: opt_flag("dry_run", dry_run)?.unwrap_or(false),
                stall_timeout: opt_long_seconds("stall_timeout", stall_timeout)?,
                confirm: None,
                on_resolved: None,
            })
        };
        settings().map_err(|e| refused(py, e))
    }
}

/// A run of `client` with the plain settings (not the callbacks).
fn configured(client: &Client, settings: &Settings) -> BulkDelete<'static> {
    let mut b = client
        .bulk_delete()
        .qps(settings.qps)
        .max_deletions(settings.max_deletions)
        .dry_run(settings.dry_run);
    if let Some(n) = settings.concurrency {
        b = b.concurrency(n);
    }
    if let Some(t) = settings.stall_timeout {
        b = b.stall_timeout(t);
    }
    if let Some(p) = &settings.journal {
        b = b.journal(p.clone());
    }
    if let Some(p) = &settings.report {
        b = b.report(p.clone());
    }
    if let Some(p) = &settings.backup {
        b = b.backup(p.clone());
    }
    b
}

/// Refuses `settings` as the run would, before its input is read (an
/// erasure collects the caller's aliases before it starts): raised as the
/// run's own refusal.
pub(crate) fn check(py: Python<'_>, client: &Client, settings: &Settings) -> PyResult<()> {
    configured(client, settings)
        .check_settings()
        .map_err(|e| bulk_error(py, &e))
}

/// An argument of a bulk call the binding refused: an `InvalidArgumentError`
/// gets the attributes of the core's refusals (`bulk_error`
/// `"INVALID_ARGUMENT"`, `summary` None: nothing was sent); anything else (a
/// `TypeError`, or what the caller's own iterable of aliases raised: a
/// broken cursor, Ctrl-C) stays as it is.
pub(crate) fn refused(py: Python<'_>, e: PyErr) -> PyErr {
    let invalid = crate::errors::class_for(py, ErrorKind::InvalidArgument)
        .is_ok_and(|class| e.value(py).is_instance(&class).unwrap_or(false));
    if !invalid {
        return e;
    }
    with_run(py, e, BulkErrorKind::InvalidArgument, None)
}

/// Why an input stops being read once interpreter exit began.
const EXITING: &str = "the Python interpreter is exiting";

/// `ids` as the engine's input: a path (`str` or `os.PathLike`) is a file of
/// ids, and so is an open file (anything with `readline`, text or binary:
/// its lines follow the file rules); any other iterable yields ids, each
/// taken exactly, pulled one by one with the GIL.
fn input(ids: &Bound<'_, PyAny>, raised: &Raised) -> PyResult<BulkInput> {
    if ids.is_instance_of::<PyString>() || ids.hasattr("__fspath__")? {
        // A PathLike whose __fspath__ gives bytes: a TypeError naming `ids`.
        let path = crate::convert::fs_path("ids", "a str path or an os.PathLike[str]", ids)?;
        return Ok(BulkInput::file(path));
    }
    const WANTED: &str = "a path (str or os.PathLike), an open file or an iterable of str";
    if ids.hasattr("readline")? {
        // Read by iterating it: a file-like object that cannot be iterated is
        // a TypeError naming `ids`, not Python's bare "'X' object is not
        // iterable".
        let iter = ids
            .try_iter()
            .map_err(|e| named_type_error(e, "ids", WANTED, ids))?;
        // An io.IOBase (every file open() gives, sys.stdin, gzip...) is read
        // in chunks of at most CHUNK: a long line (a binary file passed by
        // mistake) is never held whole; the core joins the chunks.
        let io_base = ids.py().import("io")?.getattr("IOBase")?;
        let readline = if ids.is_instance(&io_base)? {
            Some(ids.getattr("readline")?.unbind())
        } else {
            None
        };
        return Ok(BulkInput::reader(Lines {
            iter: iter.unbind(),
            readline,
            raised: raised.clone(),
            line: Vec::new(),
            at: 0,
        }));
    }
    // Bytes would iterate as ints ("each id must be str, not int"), and an
    // object that is no iterable would say only "'int' object is not
    // iterable": both are a TypeError naming `ids`.
    if ids.is_instance_of::<PyBytes>() || ids.is_instance_of::<PyByteArray>() {
        return Err(crate::errors::type_error("ids", WANTED, ids));
    }
    let iter: Py<PyIterator> = ids
        .try_iter()
        .map_err(|e| named_type_error(e, "ids", WANTED, ids))?
        .unbind();
    let raised = raised.clone();
    let items = std::iter::from_fn(move || {
        let Some(_pass) = PythonPass::take() else {
            return Some(Err(EXITING.to_owned()));
        };
        Python::attach(|py| match iter.bind(py).clone().next() {
            None => None,
            // A lone surrogate is an InvalidArgumentError naming the id, as
            // for delete_device, not a bare UnicodeEncodeError.
            Some(Ok(item)) => {
                Some(crate::convert::string("each id", &item).map_err(|e| keep(&raised, e)))
            }
            Some(Err(e)) => Some(Err(keep(&raised, e))),
        })
    });
    Ok(BulkInput::TryIds(Box::new(items)))
}

/// The most an open file's `readline` is asked for at once (characters or
/// bytes).
const CHUNK: usize = 64 * 1024;

/// An open Python file read as bytes with the GIL, line by line (an
/// `io.IOBase`: in chunks of at most [`CHUNK`], a long line in pieces):
/// `str` as UTF-8, `bytes` as they are.
struct Lines {
    iter: Py<PyIterator>,
    /// The file's `readline`, called with [`CHUNK`], for an `io.IOBase`.
    readline: Option<Py<PyAny>>,
    raised: Raised,
    line: Vec<u8>,
    at: usize,
}

impl std::io::Read for Lines {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.line.len() {
            let Some(_pass) = PythonPass::take() else {
                return Err(std::io::Error::other(EXITING));
            };
            let next = Python::attach(|py| {
                let item = match &self.readline {
                    Some(readline) => {
                        let chunk = readline.bind(py).call1((CHUNK,))?;
                        if chunk.len()? == 0 {
                            return Ok(None);
                        }
                        chunk
                    }
                    None => match self.iter.bind(py).clone().next() {
                        None => return Ok(None),
                        Some(item) => item?,
                    },
                };
                if let Ok(b) = item.cast::<PyBytes>() {
                    return Ok(Some(b.as_bytes().to_vec()));
                }
                if !item.is_instance_of::<PyString>() {
                    return Err(crate::errors::type_error(
                        "each line",
                        "str or bytes",
                        &item,
                    ));
                }
                Ok(Some(
                    crate::convert::string("each line", &item)?.into_bytes(),
                ))
            });
            match next {
                Ok(None) => return Ok(0),
                Ok(Some(line)) => (self.line, self.at) = (line, 0),
                Err(e) => return Err(std::io::Error::other(keep(&self.raised, e))),
            }
        }
        let n = out.len().min(self.line.len() - self.at);
        out[..n].copy_from_slice(&self.line[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Stores the first exception and returns a short text for the engine.
fn keep(raised: &Raised, e: PyErr) -> String {
    let mut slot = raised.lock().unwrap_or_else(|p| p.into_inner());
    if slot.is_none() {
        *slot = Some(e);
    }
    "a Python exception".to_owned()
}

pub(crate) fn delete_devices(
    py: Python<'_>,
    client: &Client,
    ids: &Bound<'_, PyAny>,
    settings: Settings,
    on_progress: Option<Py<PyAny>>,
) -> PyResult<BulkSummary> {
    let raised: Raised = Arc::default();
    let input = input(ids, &raised)?;
    let summary = run(
        py,
        client,
        settings,
        on_progress,
        raised,
        move |b| b.run(input),
        |py, s| Ok(Py::new(py, BulkSummary::new(s))?.into_any()),
    )?;
    Ok(BulkSummary::new(&summary))
}

/// Configures a run from `settings`, then calls `go` with the GIL released:
/// Ctrl-C and an exception of `on_progress` (or of the ids' iterator, kept in
/// `raised`) stop the run, and are raised once it has stopped, with what the
/// run did (`summarize`) as their `summary` attribute, None when it ended
/// before it counted its input (nothing sent); a refused run raises as
/// [`bulk_error`] maps it.
pub(crate) fn run<T: Send>(
    py: Python<'_>,
    client: &Client,
    settings: Settings,
    on_progress: Option<Py<PyAny>>,
    raised: Raised,
    go: impl FnOnce(BulkDelete<'static>) -> Result<T, BulkError> + Send,
    summarize: impl FnOnce(Python<'_>, &T) -> PyResult<Py<PyAny>>,
) -> PyResult<T> {
    // Held to the end: interpreter exit waits for the run (a run in a
    // background thread), which stops at it, every callback below skipping
    // Python from then on (aio.rs).
    let pass = PythonPass::take();
    // Runs on the calling (main) thread only: the engine checks its token
    // there, so Ctrl-C reaches Python's handlers within a tick.
    let signals = raised.clone();
    // An AsyncClient's run (aio.rs) is also stopped by its handle.
    let handle = crate::aio::bulk_stop();
    let token = CancelToken::with_check(move || {
        if handle.as_ref().is_some_and(CancelToken::is_cancelled) {
            return true;
        }
        let Some(_pass) = PythonPass::take() else {
            return true;
        };
        Python::attach(|py| match py.check_signals() {
            Ok(()) => false,
            Err(e) => {
                keep(&signals, e);
                true
            }
        })
    });
    let stopper = token.clone();
    let exiting = token.clone();
    let progress_raised = raised.clone();
    let mut b = configured(client, &settings).cancel(token);
    if let Some(f) = settings.confirm {
        let (raised, stopper) = (raised.clone(), stopper.clone());
        b = b.confirm(move |plan: &Plan| {
            let Some(_pass) = PythonPass::take() else {
                return false;
            };
            Python::attach(|py| {
                let asked = plan_dict(py, plan)
                    .and_then(|d| f.call1(py, (d,)))
                    // Only True confirms: "n" from input() is truthy.
                    .map(|answer| answer.extract::<bool>(py).unwrap_or(false));
                match asked {
                    Ok(yes) => yes,
                    // Raised: the run is cancelled (nothing sent), then the
                    // exception raised with its summary.
                    Err(e) => {
                        keep(&raised, e);
                        stopper.cancel();
                        true
                    }
                }
            })
        });
    }
    if let Some(f) = settings.on_resolved {
        let (raised, stopper) = (raised.clone(), stopper.clone());
        b = b.on_resolved(move |user: &ErasedUser| {
            let Some(_pass) = PythonPass::take() else {
                return;
            };
            Python::attach(|py| {
                let result = crate::erase::user_object(py, user).and_then(|u| f.call1(py, (u,)));
                if let Err(e) = result {
                    keep(&raised, e);
                    stopper.cancel();
                }
            });
        });
    }
    let b = b.on_progress(move |p: &Progress| {
        let Some(f) = &on_progress else { return };
        let Some(_pass) = PythonPass::take() else {
            return;
        };
        Python::attach(|py| {
            let result = progress_dict(py, p).and_then(|d| f.call1(py, (d,)));
            if let Err(e) = result {
                keep(&progress_raised, e);
                stopper.cancel();
            }
        });
    });
    let result = if pass.is_some() {
        py.detach(|| catch(|| Ok(go(b))))
    } else {
        // Exit began on another thread: the GIL is kept, as for a single call
        // (interrupt.rs), and the run, cancelled before it starts, sends
        // nothing.
        exiting.cancel();
        catch(|| Ok(go(b)))
    };
    if let Some(e) = raised.lock().unwrap_or_else(|p| p.into_inner()).take() {
        let summary = match &result {
            Ok(Ok(done)) => Some(summarize(py, done)?),
            Ok(Err(bulk)) => bulk
                .summary()
                .map(|s| Py::new(py, BulkSummary::new(s)).map(Py::into_any))
                .transpose()?,
            Err(_) => None,
        };
        // An exception that takes no attribute is raised as it is.
        let _ = e.value(py).setattr("summary", summary);
        return Err(e);
    }
    match result {
        Ok(Ok(done)) => Ok(done),
        Ok(Err(e)) => Err(bulk_error(py, &e)),
        Err(e) => Err(to_py_err(py, &e)),
    }
}

/// A file problem is `OSError`; a failed alias lookup the lookup's own
/// exception class (its fields, the run's sentence); anything else that
/// refused the run (the guard, a journal of another input or in use, a bad
/// setting or alias) `InvalidArgumentError`. Each has the kind as its
/// `bulk_error` (`"GUARD"`, ...) and what the run did as its `summary` (a
/// BulkSummary once requests were sent, else `None`).
fn bulk_error(py: Python<'_>, e: &BulkError) -> PyErr {
    let err = match (e.kind(), e.error()) {
        (BulkErrorKind::WriteFailed | BulkErrorKind::Io, _) => {
            PyOSError::new_err(e.message().to_owned())
        }
        (BulkErrorKind::Lookup, Some(cause)) => to_py_err_saying(py, cause, e.message()),
        _ => to_py_err(py, &Error::invalid_argument(e.message())),
    };
    with_run(py, err, e.kind(), e.summary())
}

/// `err` with the run's `bulk_error` (the kind's name) and `summary`
/// attributes.
fn with_run(py: Python<'_>, err: PyErr, kind: BulkErrorKind, summary: Option<&Core>) -> PyErr {
    let summary = summary.and_then(|s| Py::new(py, BulkSummary::new(s)).ok());
    let value = err.value(py);
    // Attributes of an exception instance: setting them fails only on
    // memory exhaustion, and the exception is still the right one.
    let _ = value.setattr("bulk_error", kind.name());
    let _ = value.setattr("summary", summary);
    err
}
