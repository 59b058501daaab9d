//! `engagelab_push.Client`: the Python face of [`engagelab_push::Client`].

use engagelab_push::{
    CheckOptions, Client as Core, ClientBuilder, DEFAULT_BACKOFF_BASE, DEFAULT_BACKOFF_MAX, Region,
};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use crate::aio::{self, Call};
use crate::bulk::{BulkSummary, Settings, refused};
use crate::check::CheckReport;
use crate::convert::{
    Arg, opt_call_seconds, opt_callback, opt_count, opt_flag, opt_path, opt_seconds, opt_string,
    string, strings,
};
use crate::device::Device;
use crate::erase::EraseSummary;
use crate::errors::to_py_err;
use crate::guard::{catch, no_panic};
use crate::interrupt::Interruptible;

/// A client of EngageLab's Push REST API. Thread-safe: share one between
/// threads; each call releases the GIL while it waits on the network.
#[pyclass(frozen, module = "engagelab_push", name = "Client")]
pub(crate) struct Client {
    inner: Core,
}

#[pymethods]
impl Client {
    #[new]
    #[pyo3(signature = (
        app_key,
        master_secret,
        *,
        region = Arg::absent(),
        base_url = Arg::absent(),
        timeout = Arg::absent(),
        connect_timeout = Arg::absent(),
        max_retries = Arg::absent(),
        backoff_base = Arg::absent(),
        backoff_max = Arg::absent(),
        max_retry_after = Arg::absent(),
        user_agent = Arg::absent(),
        proxy = Arg::absent(),
        ca_file = Arg::absent(),
        allow_insecure_http = Arg::absent(),
    ))]
    // setting-defaults:begin
    #[pyo3(
        text_signature = "(app_key, master_secret, *, region='sgp', base_url=None, \
        timeout=30.0, connect_timeout=10.0, max_retries=2, backoff_base=0.2, backoff_max=5.0, \
        max_retry_after=10.0, user_agent=None, proxy=None, ca_file=None, allow_insecure_http=False)"
    )]
    // setting-defaults:end
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        app_key: &Bound<'_, PyAny>,
        master_secret: &Bound<'_, PyAny>,
        region: Arg<'_>,
        base_url: Arg<'_>,
        timeout: Arg<'_>,
        connect_timeout: Arg<'_>,
        max_retries: Arg<'_>,
        backoff_base: Arg<'_>,
        backoff_max: Arg<'_>,
        max_retry_after: Arg<'_>,
        user_agent: Arg<'_>,
        proxy: Arg<'_>,
        ca_file: Arg<'_>,
        allow_insecure_http: Arg<'_>,
    ) -> PyResult<Self> {
        no_panic(|| {
            let mut b: ClientBuilder = Core::builder(
                string("app_key", app_key)?,
                string("master_secret", master_secret)?,
            );
            if let Some(name) = opt_string("region", &region)? {
                let region: Region = name.parse().map_err(|e| to_py_err(py, &e))?;
                b = b.region(region);
            }
            if let Some(url) = opt_string("base_url", &base_url)? {
                b = b.base_url(url);
            }
            if let Some(t) = opt_seconds("timeout", &timeout)? {
                b = b.timeout(t);
            }
            if let Some(t) = opt_seconds("connect_timeout", &connect_timeout)? {
                b = b.connect_timeout(t);
            }
            if let Some(n) = opt_count("max_retries", &max_retries)? {
                b = b.max_retries(n);
            }
            let base = opt_seconds("backoff_base", &backoff_base)?;
            let max = opt_seconds("backoff_max", &backoff_max)?;
            if base.is_some() || max.is_some() {
                b = b.backoff(
                    base.unwrap_or(DEFAULT_BACKOFF_BASE),
                    max.unwrap_or(DEFAULT_BACKOFF_MAX),
                );
            }
            if let Some(t) = opt_seconds("max_retry_after", &max_retry_after)? {
                b = b.max_retry_after(t);
            }
            if let Some(ua) = opt_string("user_agent", &user_agent)? {
                b = b.user_agent(ua);
            }
            if let Some(p) = opt_string("proxy", &proxy)? {
                b = b.proxy(p);
            }
            if let Some(path) = opt_path("ca_file", &ca_file)? {
                b = b.ca_file(path);
            }
            if let Some(allow) = opt_flag("allow_insecure_http", &allow_insecure_http)? {
                b = b.allow_insecure_http(allow);
            }
            // Building may read the CA file: done with the GIL released.
            let built = py.detach(|| catch(|| b.build()));
            built
                .map(|inner| Client { inner })
                .map_err(|e| to_py_err(py, &e))
        })
    }

    /// A client configured from the environment: ENGAGELAB_APP_KEY,
    /// ENGAGELAB_MASTER_SECRET, and optionally ENGAGELAB_REGION or
    /// ENGAGELAB_BASE_URL (not both).
    #[staticmethod]
    fn from_env(py: Python<'_>) -> PyResult<Self> {
        no_panic(|| {
            py.detach(|| catch(Core::from_env))
                .map(|inner| Client { inner })
                .map_err(|e| to_py_err(py, &e))
        })
    }

    /// Deletes one device (DELETE /v4/devices/{registration_id}): its tags,
    /// alias, device information and timezone. Irreversible. Returns None on
    /// success; raises an EngageLabError subclass otherwise. The GIL is
    /// released for the whole call, retries and waits included.
    fn delete_device(&self, py: Python<'_>, registration_id: &Bound<'_, PyAny>) -> PyResult<()> {
        no_panic(|| {
            let id = string("registration_id", registration_id)?;
            let client = &self.inner;
            let call = Interruptible::new(None);
            call.run(py, |options| client.delete_device_with(&id, options))
                .map_err(|e| call.error(py, &e))
        })
    }

    /// Deletes many devices, paced, resumable and reported, with the GIL
    /// released while the engine runs. `ids` is a path (one id per line) or
    /// any iterable of str. Raises InvalidArgumentError when the input holds
    /// more than max_deletions ids, a journal belongs to another input or a
    /// setting is out of range, or another run holds the journal (nothing
    /// sent); OSError for a file that cannot be read, or written mid-run (its
    /// `summary` attribute then says what was done). Ctrl-C stops the run
    /// gracefully (nothing is sent once it was pressed), then raises
    /// KeyboardInterrupt with the run's BulkSummary as its `summary`
    /// attribute. `confirm(plan)` is asked once the guard passed, before
    /// anything is sent: any answer but True ends the run (InvalidArgumentError), an
    /// exception cancels it and is raised.
    #[pyo3(signature = (
        ids, *, qps = Arg::absent(), concurrency = Arg::absent(), journal = Arg::absent(),
        backup = Arg::absent(), report = Arg::absent(), max_deletions = Arg::absent(), dry_run = Arg::absent(), on_progress = None,
        confirm = None, stall_timeout = Arg::absent(),
    ))]
    // setting-defaults:begin
    #[pyo3(
        text_signature = "(self, ids, *, qps=100, concurrency=None, journal=None, backup=None, \
        report=None, max_deletions=1000, dry_run=False, on_progress=None, confirm=None, \
        stall_timeout=300.0)"
    )]
    // setting-defaults:end
    #[allow(clippy::too_many_arguments)]
    fn delete_devices(
        &self,
        py: Python<'_>,
        ids: &Bound<'_, PyAny>,
        qps: Arg<'_>,
        concurrency: Arg<'_>,
        journal: Arg<'_>,
        backup: Arg<'_>,
        report: Arg<'_>,
        max_deletions: Arg<'_>,
        dry_run: Arg<'_>,
        on_progress: Option<Py<PyAny>>,
        confirm: Option<Py<PyAny>>,
        stall_timeout: Arg<'_>,
    ) -> PyResult<BulkSummary> {
        no_panic(|| {
            let mut settings = Settings::new(
                py,
                &qps,
                &concurrency,
                &journal,
                &backup,
                &report,
                &max_deletions,
                &dry_run,
                &stall_timeout,
            )?;
            settings.confirm = opt_callback(py, "confirm", confirm)?;
            let on_progress = opt_callback(py, "on_progress", on_progress)?;
            crate::bulk::delete_devices(py, &self.inner, ids, settings, on_progress)
        })
    }

    /// Erases one user: resolves the alias to the registration ids bound to
    /// it (every platform), deletes them as delete_devices does, then
    /// resolves the alias again to confirm that no device is still bound. An
    /// alias with no device succeeds, having deleted nothing. Takes the
    /// settings of delete_devices; raises as erase_users does.
    #[pyo3(signature = (
        alias, *, qps = Arg::absent(), concurrency = Arg::absent(), journal = Arg::absent(),
        backup = Arg::absent(), report = Arg::absent(), max_deletions = Arg::absent(), dry_run = Arg::absent(), on_progress = None,
        confirm = None, on_resolved = None,
        stall_timeout = Arg::absent(),
    ))]
    // setting-defaults:begin
    #[pyo3(
        text_signature = "(self, alias, *, qps=100, concurrency=None, journal=None, backup=None, \
        report=None, max_deletions=1000, dry_run=False, on_progress=None, confirm=None, \
        on_resolved=None, stall_timeout=300.0)"
    )]
    // setting-defaults:end
    #[allow(clippy::too_many_arguments)]
    fn erase_user(
        &self,
        py: Python<'_>,
        alias: &Bound<'_, PyAny>,
        qps: Arg<'_>,
        concurrency: Arg<'_>,
        journal: Arg<'_>,
        backup: Arg<'_>,
        report: Arg<'_>,
        max_deletions: Arg<'_>,
        dry_run: Arg<'_>,
        on_progress: Option<Py<PyAny>>,
        confirm: Option<Py<PyAny>>,
        on_resolved: Option<Py<PyAny>>,
        stall_timeout: Arg<'_>,
    ) -> PyResult<Py<EraseSummary>> {
        no_panic(|| {
            let alias = string("alias", alias).map_err(|e| refused(py, e))?;
            let mut settings = Settings::new(
                py,
                &qps,
                &concurrency,
                &journal,
                &backup,
                &report,
                &max_deletions,
                &dry_run,
                &stall_timeout,
            )?;
            settings.confirm = opt_callback(py, "confirm", confirm)?;
            settings.on_resolved = opt_callback(py, "on_resolved", on_resolved)?;
            let on_progress = opt_callback(py, "on_progress", on_progress)?;
            crate::erase::erase_users(py, &self.inner, vec![alias], settings, on_progress)
        })
    }

    /// Erases users by alias, as an erasure request asks: each alias is
    /// checked (nothing is sent if one is bad) and resolved, the registration
    /// ids of them all go through one run of delete_devices (its settings:
    /// backup, report, journal, the max_deletions guard counting every
    /// alias's ids, dry run), then each alias is resolved again. `aliases` is
    /// any iterable of str (not a str). Raises InvalidArgumentError for a bad
    /// alias, the guard, a journal of other aliases or a bad setting, and
    /// OSError for a file, as delete_devices does (nothing deleted); a first
    /// lookup that fails raises its own EngageLabError subclass (nothing
    /// deleted). Ctrl-C stops the run gracefully, then raises
    /// KeyboardInterrupt with the EraseSummary as its `summary` attribute.
    /// `confirm` as for delete_devices; `on_resolved(user)` is called per
    /// alias once resolved, before anything is deleted.
    #[pyo3(signature = (
        aliases, *, qps = Arg::absent(), concurrency = Arg::absent(), journal = Arg::absent(),
        backup = Arg::absent(), report = Arg::absent(), max_deletions = Arg::absent(), dry_run = Arg::absent(), on_progress = None,
        confirm = None, on_resolved = None,
        stall_timeout = Arg::absent(),
    ))]
    // setting-defaults:begin
    #[pyo3(
        text_signature = "(self, aliases, *, qps=100, concurrency=None, journal=None, backup=None, \
        report=None, max_deletions=1000, dry_run=False, on_progress=None, confirm=None, \
        on_resolved=None, stall_timeout=300.0)"
    )]
    // setting-defaults:end
    #[allow(clippy::too_many_arguments)]
    fn erase_users(
        &self,
        py: Python<'_>,
        aliases: &Bound<'_, PyAny>,
        qps: Arg<'_>,
        concurrency: Arg<'_>,
        journal: Arg<'_>,
        backup: Arg<'_>,
        report: Arg<'_>,
        max_deletions: Arg<'_>,
        dry_run: Arg<'_>,
        on_progress: Option<Py<PyAny>>,
        confirm: Option<Py<PyAny>>,
        on_resolved: Option<Py<PyAny>>,
        stall_timeout: Arg<'_>,
    ) -> PyResult<Py<EraseSummary>> {
        no_panic(|| {
            // The settings first, as delete_devices checks them before it
            // reads an id: aliases read once (a generator) are not spent on
            // a run refused for a bad setting.
            let mut settings = Settings::new(
                py,
                &qps,
                &concurrency,
                &journal,
                &backup,
                &report,
                &max_deletions,
                &dry_run,
                &stall_timeout,
            )?;
            crate::bulk::check(py, &self.inner, &settings)?;
            let aliases = strings("aliases", "alias", aliases).map_err(|e| refused(py, e))?;
            settings.confirm = opt_callback(py, "confirm", confirm)?;
            settings.on_resolved = opt_callback(py, "on_resolved", on_resolved)?;
            let on_progress = opt_callback(py, "on_progress", on_progress)?;
            crate::erase::erase_users(py, &self.inner, aliases, settings, on_progress)
        })
    }

    /// Queries one device (GET /v4/devices/{registration_id}): its tags and
    /// alias, and the whole answer. Query before deleting. Returns a Device;
    /// raises an EngageLabError subclass otherwise (maybe_deleted is always
    /// False: a GET never deletes). The GIL is released for the whole call,
    /// retries and waits included; Ctrl-C stops it as it stops delete_device.
    fn get_device(&self, py: Python<'_>, registration_id: &Bound<'_, PyAny>) -> PyResult<Device> {
        no_panic(|| {
            let id = string("registration_id", registration_id)?;
            let client = &self.inner;
            let call = Interruptible::new(None);
            call.run(py, |options| client.get_device_with(&id, options))
                .map(Device::new)
                .map_err(|e| call.error(py, &e))
        })
    }

    /// Resolves an alias (the app's user id) to the registration ids bound
    /// to it (GET /v4/aliases/{alias}), in EngageLab's order; [] when no
    /// device is bound. `platforms` (any iterable of 'android', 'ios',
    /// 'hmos'; not a str) narrows the lookup; None or empty means every
    /// platform. Raises InvalidArgumentError for a bad alias or platform
    /// (nothing sent), an EngageLabError subclass otherwise (maybe_deleted is
    /// always False). The GIL is released for the whole call, retries and
    /// waits included; Ctrl-C stops it as it stops delete_device.
    #[pyo3(signature = (alias, platforms = None))]
    fn get_alias(
        &self,
        py: Python<'_>,
        alias: &Bound<'_, PyAny>,
        platforms: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<String>> {
        no_panic(|| {
            let alias = string("alias", alias)?;
            let platforms = crate::convert::platforms(platforms)?;
            let client = &self.inner;
            let call = Interruptible::new(None);
            call.run(py, |options| {
                client.get_alias_with(&alias, &platforms, options)
            })
            .map_err(|e| call.error(py, &e))
        })
    }

    /// Checks the setup with read-only calls before anything is deleted
    /// (it can send no DELETE): GETs a random unknown id check_rounds times (spec/settings.md; the median
    /// is the round trip), a random unknown alias, and `device` if given.
    /// The client's timeout bounds the whole check. Returns a CheckReport;
    /// refused credentials are not an exception (report.credentials_accepted
    /// is False). Raises InvalidArgumentError for a bad device id (nothing
    /// sent), an EngageLabError subclass when a request got no answer
    /// (TimeoutError past the client's timeout). The GIL is released for the whole call; Ctrl-C
    /// stops it as it stops delete_device.
    #[pyo3(signature = (device = None))]
    fn check(&self, py: Python<'_>, device: Option<&Bound<'_, PyAny>>) -> PyResult<CheckReport> {
        no_panic(|| {
            let device = device.map(|d| string("device", d)).transpose()?;
            let client = &self.inner;
            // Run by AsyncClient.check on a thread of its own: its task's
            // cancel stops it (no signal handler runs off the main thread).
            let call = Interruptible::new(crate::aio::bulk_stop());
            call.run(py, |call_options| {
                let mut options = CheckOptions::new().call_options(call_options.clone());
                if let Some(id) = device {
                    options = options.device(id);
                }
                client.check(&options)
            })
            .map(CheckReport::new)
            .map_err(|e| call.error(py, &e))
        })
    }

    /// Starts delete_device on the client's own threads (AsyncClient):
    /// `done(None, None)` or `done(None, exc)` is called once, with the GIL,
    /// on one of them. Raises at once for an argument of the wrong type or a
    /// bad timeout. Private.
    fn _start_delete_device(
        &self,
        py: Python<'_>,
        registration_id: &Bound<'_, PyAny>,
        timeout: Option<Arg<'_>>,
        done: Py<PyAny>,
    ) -> PyResult<Call> {
        no_panic(|| {
            let id = string("registration_id", registration_id)?;
            let (options, call) = aio::options(call_timeout(timeout)?);
            self.inner
                .delete_device_async(&id, &options, move |r| {
                    aio::deliver(done, r, |py, ()| Ok(py.None()));
                })
                .map(|()| call)
                .map_err(|e| to_py_err(py, &e))
        })
    }

    /// Starts get_device as _start_delete_device does: `done(device, None)`
    /// or `done(None, exc)`. Private.
    fn _start_get_device(
        &self,
        py: Python<'_>,
        registration_id: &Bound<'_, PyAny>,
        timeout: Option<Arg<'_>>,
        done: Py<PyAny>,
    ) -> PyResult<Call> {
        no_panic(|| {
            let id = string("registration_id", registration_id)?;
            let (options, call) = aio::options(call_timeout(timeout)?);
            self.inner
                .get_device_async(&id, &options, move |r| {
                    aio::deliver(done, r, |py, d| Ok(Py::new(py, Device::new(d))?.into_any()));
                })
                .map(|()| call)
                .map_err(|e| to_py_err(py, &e))
        })
    }

    /// Starts get_alias as _start_delete_device does: `done(ids, None)` or
    /// `done(None, exc)`. Private.
    fn _start_get_alias(
        &self,
        py: Python<'_>,
        alias: &Bound<'_, PyAny>,
        platforms: Option<&Bound<'_, PyAny>>,
        timeout: Option<Arg<'_>>,
        done: Py<PyAny>,
    ) -> PyResult<Call> {
        no_panic(|| {
            let alias = string("alias", alias)?;
            let platforms = crate::convert::platforms(platforms)?;
            let (options, call) = aio::options(call_timeout(timeout)?);
            self.inner
                .get_alias_async(&alias, &platforms, &options, move |r| {
                    aio::deliver(done, r, |py, ids| {
                        Ok(PyList::new(py, ids)?.into_any().unbind())
                    });
                })
                .map(|()| call)
                .map_err(|e| to_py_err(py, &e))
        })
    }

    /// Runs `self.<method>(*args, **kwargs)` ('delete_devices',
    /// 'erase_user', 'erase_users' or 'check') on a thread of its own, stopped by the returned
    /// handle: `done(summary, None)` or `done(None, exc)` is called once,
    /// with the GIL, on that thread. Private.
    #[pyo3(signature = (method, args, kwargs, done))]
    fn _start_bulk(
        slf: &Bound<'_, Self>,
        method: &str,
        args: Py<PyTuple>,
        kwargs: Option<Py<PyDict>>,
        done: Py<PyAny>,
    ) -> PyResult<Call> {
        no_panic(|| {
            let py = slf.py();
            let method = match method {
                "delete_devices" => "delete_devices",
                "erase_users" => "erase_users",
                "erase_user" => "erase_user",
                "check" => "check",
                other => {
                    return Err(crate::errors::invalid_argument(
                        py,
                        &format!("no bulk call named {other:?}"),
                    ));
                }
            };
            aio::start_bulk(
                py,
                slf.clone().into_any().unbind(),
                method,
                args,
                kwargs,
                done,
            )
        })
    }

    /// The region's short name (e.g. 'sgp'), or None when a base_url was given.
    #[getter]
    fn region(&self) -> PyResult<Option<&'static str>> {
        no_panic(|| Ok(self.inner.region().map(Region::name)))
    }

    /// The base URL calls go to, without a trailing slash.
    #[getter]
    fn base_url(&self) -> PyResult<&str> {
        no_panic(|| Ok(self.inner.base_url()))
    }

    /// The core's description (`Client::describe`): AppKey, region, base
    /// URL, timeout, retries, proxy yes/no; never the Master Secret.
    fn __repr__(&self) -> PyResult<String> {
        no_panic(|| Ok(format!("Client({})", self.inner.describe())))
    }
}

/// A per-call timeout: None is none; else seconds ([`opt_call_seconds`]).
fn call_timeout(timeout: Option<Arg<'_>>) -> PyResult<Option<std::time::Duration>> {
    match timeout {
        Some(t) => opt_call_seconds("timeout", &t),
        None => Ok(None),
    }
}
