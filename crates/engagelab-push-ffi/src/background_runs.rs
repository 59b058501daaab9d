//! `el_delete_devices_async`, `el_delete_devices_from_file_async`,
//! `el_erase_users_async` and `el_check_async`: the long calls, each run on
//! a thread the library starts for it, ending in a completion callback.
//!
//! A bulk run or a check lasts seconds to hours and has threads of its own
//! (the engine's), so it gets a thread of its own rather than one of the
//! client's `EL_ASYNC_THREADS`, which are kept for the short calls.

use std::ffi::{c_char, c_void};
use std::mem::size_of;

use engagelab::{BulkInput, Error};

use crate::args;
use crate::background::{error_ptr, finish};
use crate::bulk::{
    Options, UserData, el_bulk_error, el_bulk_options, el_bulk_summary, lossy_texts, write_summary,
};
use crate::cancel::Runs;
use crate::check::{el_check_options, el_check_report};
use crate::client::el_client;
use crate::erase::{el_erasure, erase};
use crate::error::el_error;
use crate::panic;
use crate::status::el_status;

/// Called once when an `el_delete_devices_async` or
/// `el_delete_devices_from_file_async` run ends, on the run's thread.
/// `summary` is always set, as the blocking function would have written it
/// (`size` is the library's `sizeof(el_bulk_summary)`); `status` and `error`
/// are what it would have returned (`error` NULL on `EL_OK`). Both records
/// are valid only until the callback returns.
pub type el_bulk_done_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        status: el_status,
        summary: *const el_bulk_summary,
        error: *const el_error,
    ),
>;

/// Called once when an `el_erase_users_async` run ends, on the run's
/// thread. `erasure` is new and owned by the callback (free it with
/// `el_erasure_free`, from any thread, at any time), set whenever
/// `el_erase_users` would have written it; NULL only for a failure that
/// left none (then `status` is not `EL_OK`). `status` and `error` as for
/// `el_bulk_done_fn`.
pub type el_erasure_done_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        status: el_status,
        erasure: *mut el_erasure,
        error: *const el_error,
    ),
>;

/// Called once when an `el_check_async` call ends, on the call's thread.
/// On success `status` is `EL_OK`, `report` a new report owned by the
/// callback (free it with `el_check_report_free`) and `error` NULL; on
/// failure `report` is NULL and `error` the failure's record, valid only
/// until the callback returns.
pub type el_check_done_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        status: el_status,
        report: *mut el_check_report,
        error: *const el_error,
    ),
>;

/// Runs `job` on a new thread of the library, `name`d; a panic in it is
/// reported to `on_panic` as `EL_INTERNAL`. `Err(Internal)` when no thread
/// could be started: then neither runs.
fn spawn(
    name: &str,
    job: impl FnOnce() + Send + 'static,
    on_panic: impl FnOnce(Error) + Send + 'static,
) -> Result<(), Error> {
    let what = format!("a panic was caught in {name}");
    std::thread::Builder::new()
        .name(name.chars().take(15).collect())
        .spawn(move || {
            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).is_err() {
                on_panic(Error::internal(what));
            }
        })
        .map(|_| ())
        .map_err(|e| Error::internal(format!("no thread could be started for {name}: {e}")))
}

/// The body of the two bulk delete functions: reads the arguments and
/// starts the run on its own thread.
///
/// # Safety
/// As `el_delete_devices_async`; `input` builds the run's input from the
/// caller's arguments during the call.
unsafe fn delete_async(
    name: &'static str,
    client: *const el_client,
    input: impl FnOnce() -> Result<BulkInput, Error>,
    options: *const el_bulk_options,
    done: el_bulk_done_fn,
    user_data: *mut c_void,
    out_error: *mut el_error,
) -> el_status {
    let result = panic::catch(name, || {
        // SAFETY: the caller guarantees `client` is NULL or a live client.
        let client = unsafe { args::object(client, "client") }?.client.clone();
        // SAFETY: the caller guarantees what `Options::read` requires.
        let settings = unsafe { Options::read(options, Runs::OnLibraryThreads) }?;
        let input = input()?;
        let done = done.ok_or_else(|| Error::invalid_argument("done is NULL"))?;
        let user = UserData(user_data);
        let report = move |summary: Option<engagelab::BulkSummary>,
                           kind: el_bulk_error,
                           failed: Option<Error>| {
            let user = user;
            let mut record = summary_record();
            // SAFETY: `record` is a live summary whose `size` is set.
            unsafe { write_summary(&mut record, summary.as_ref(), kind) };
            let (_, status, failure) = finish(failed.map_or(Ok(()), Err));
            // SAFETY: the caller guarantees `done` may be called from any
            // thread with `user_data`; both records live until it returns.
            unsafe { done(user.0, status, &record, error_ptr(&failure)) };
        };
        // `report` is Copy: the job and the panic path each hold one.
        let on_panic = move |e: Error| report(None, el_bulk_error::EL_BULK_OK, Some(e));
        spawn(
            name,
            move || {
                let (summary, kind, failed) = settings.run(&client, input);
                report(summary, kind, failed);
            },
            on_panic,
        )
    });
    // SAFETY: the caller guarantees `out_error` is NULL or writable.
    unsafe { panic::report(out_error, result) }
}

/// A zeroed summary whose `size` is the library's.
fn summary_record() -> el_bulk_summary {
    // SAFETY: all-zero is a valid el_bulk_summary (integers, booleans, a
    // byte array).
    let mut record: el_bulk_summary = unsafe { std::mem::zeroed() };
    record.size = size_of::<el_bulk_summary>();
    record
}

/// Starts `el_delete_devices` on a thread of its own and returns at once;
/// `done` is called exactly once, with `user_data`, when the run ends.
///
/// The run is the blocking function's in every way (checks, guard,
/// journal, files, pacing, summary, errors); only where it runs differs.
/// `ids` and `options` (its paths included) are copied during this call;
/// its `cancel` token may be freed after it returns, and cancelling it
/// still stops the run.
///
/// Threads:
/// - The run, its callbacks (`on_progress`, `confirm`) and then `done` run
///   on one thread the library starts for this run, never on the caller's,
///   one at a time. The thread ends after `done` returns.
/// - Every run this function started (it returned `EL_OK`) calls `done`
///   exactly once, a refused run included (`EL_INVALID_ARGUMENT`, with
///   `summary->error` saying why); a run it did not start never does.
/// - `done` and the callbacks may call any `el_` function, `el_client_free`
///   of this client included (the run keeps the client alive until it
///   ends). They must not unwind (a C++ exception or a `longjmp` out of
///   them is undefined behaviour).
///
/// Errors: only when the run did not start: `EL_INVALID_ARGUMENT` for a
/// NULL `client` or `done`, `ids` NULL with a count above 0, a NULL entry, or
/// bad `options` (a token made by `el_cancel_new_with_check` included);
/// `EL_INTERNAL` when no thread could be started. `*out_error` is filled
/// when `out_error` is not NULL.
///
/// # Safety
/// `client` NULL or a live client; `ids` NULL or `count` readable pointers,
/// each NULL or a NUL-terminated string; `options` NULL or a readable
/// `el_bulk_options` with its `size` set; `done`, if called, must be safe to
/// call from any thread with `user_data`, and so must the callbacks in
/// `options` with its `user_data`; `out_error` NULL or valid for writing an
/// `el_error`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_delete_devices_async(
    client: *const el_client,
    ids: *const *const c_char,
    count: usize,
    options: *const el_bulk_options,
    done: el_bulk_done_fn,
    user_data: *mut c_void,
    out_error: *mut el_error,
) -> el_status {
    let input = move || {
        // SAFETY: the caller guarantees `ids` holds `count` readable
        // pointers, each NULL or a NUL-terminated string.
        let ids = unsafe { lossy_texts(ids, count, "ids") }?;
        Ok(BulkInput::ids(ids))
    };
    // SAFETY: the caller guarantees what `delete_async` requires.
    unsafe {
        delete_async(
            "el_delete_devices_async",
            client,
            input,
            options,
            done,
            user_data,
            out_error,
        )
    }
}

/// Starts `el_delete_devices_from_file` on a thread of its own and returns
/// at once; `done` is called exactly once, with `user_data`, when the run
/// ends. The file is opened and read by the run, on its thread: a file that
/// cannot be read reaches `done` (`EL_BULK_IO`).
///
/// Threads, ownership, errors: as `el_delete_devices_async` (`path` NULL or
/// not UTF-8 is refused here, at once).
///
/// # Safety
/// As `el_delete_devices_async`, with `path` NULL or a NUL-terminated
/// string for `ids` and `count`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_delete_devices_from_file_async(
    client: *const el_client,
    path: *const c_char,
    options: *const el_bulk_options,
    done: el_bulk_done_fn,
    user_data: *mut c_void,
    out_error: *mut el_error,
) -> el_status {
    let input = move || {
        // SAFETY: the caller guarantees `path` is NULL or a NUL-terminated
        // string.
        let path = unsafe { args::text(path, "path") }?;
        Ok(BulkInput::file(path))
    };
    // SAFETY: the caller guarantees what `delete_async` requires.
    unsafe {
        delete_async(
            "el_delete_devices_from_file_async",
            client,
            input,
            options,
            done,
            user_data,
            out_error,
        )
    }
}

/// Starts `el_erase_users` on a thread of its own and returns at once;
/// `done` is called exactly once, with `user_data`, when the erasure ends,
/// and owns the erasure it is given.
///
/// The erasure is the blocking function's in every way; its lookups, its
/// callbacks (`on_resolved`, `on_progress`, `confirm`) and then `done` run
/// on the thread the library starts for it. `aliases` and `options` are
/// copied during this call.
///
/// Threads, errors: as `el_delete_devices_async` (a NULL or non-UTF-8
/// alias is refused here, at once).
///
/// # Safety
/// As `el_delete_devices_async`, with `aliases` for `ids`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_erase_users_async(
    client: *const el_client,
    aliases: *const *const c_char,
    count: usize,
    options: *const el_bulk_options,
    done: el_erasure_done_fn,
    user_data: *mut c_void,
    out_error: *mut el_error,
) -> el_status {
    let result = panic::catch("el_erase_users_async", || {
        // SAFETY: the caller guarantees `client` is NULL or a live client.
        let client = unsafe { args::object(client, "client") }?.client.clone();
        // SAFETY: the caller guarantees `aliases` holds `count` readable
        // pointers, each NULL or a NUL-terminated string.
        let aliases: Vec<String> = unsafe { args::texts(aliases, count, "aliases") }?
            .into_iter()
            .map(str::to_owned)
            .collect();
        // SAFETY: the caller guarantees what `Options::read` requires.
        let settings = unsafe { Options::read(options, Runs::OnLibraryThreads) }?;
        let done = done.ok_or_else(|| Error::invalid_argument("done is NULL"))?;
        let user = UserData(user_data);
        let report = move |erasure: Option<el_erasure>, failed: Option<Error>| {
            let user = user;
            let (_, status, failure) = finish(failed.map_or(Ok(()), Err));
            let erasure = erasure.map_or(std::ptr::null_mut(), |e| Box::into_raw(Box::new(e)));
            // SAFETY: as in `el_delete_devices_async`; the erasure passes to
            // the callback.
            unsafe { done(user.0, status, erasure, error_ptr(&failure)) };
        };
        let on_panic = move |e: Error| report(None, Some(e));
        spawn(
            "el_erase_users_async",
            move || match erase(&client, &settings, &aliases) {
                Ok((erasure, failed)) => report(Some(erasure), failed),
                Err(e) => report(None, Some(e)),
            },
            on_panic,
        )
    });
    // SAFETY: the caller guarantees `out_error` is NULL or writable.
    unsafe { panic::report(out_error, result) }
}

/// Starts `el_check` on a thread of its own and returns at once; `done` is
/// called exactly once, with `user_data`, when it ends, and owns the report
/// it is given.
///
/// The check is the blocking function's in every way (read-only requests,
/// the whole check within the config's timeout or the shorter
/// `options->timeout_ms`; `options->cancel` ends it within
/// about 20 ms); `options` is copied during this call, and its `cancel`
/// token may be freed after it returns.
///
/// Threads, errors: as `el_delete_devices_async`; a bad `options->device`
/// reaches `done` as `EL_INVALID_ARGUMENT`, nothing sent.
///
/// # Safety
/// `client` NULL or a live client; `options` NULL or a readable
/// `el_check_options` whose `size` is set and whose `cancel` is NULL or a
/// live token; `done`, if called, must be safe to call from any thread with
/// `user_data`; `out_error` NULL or valid for writing an `el_error`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_check_async(
    client: *const el_client,
    options: *const el_check_options,
    done: el_check_done_fn,
    user_data: *mut c_void,
    out_error: *mut el_error,
) -> el_status {
    let result = panic::catch("el_check_async", || {
        // SAFETY: the caller guarantees `client` is NULL or a live client.
        let client = unsafe { args::object(client, "client") }?.client.clone();
        // SAFETY: the caller guarantees `options` is NULL or readable.
        let options = unsafe { el_check_options::read(options, Runs::OnLibraryThreads) }?;
        let done = done.ok_or_else(|| Error::invalid_argument("done is NULL"))?;
        let user = UserData(user_data);
        let report = move |result: Result<el_check_report, Error>| {
            let user = user;
            let (report, status, failure) = finish(result);
            let report = report.map_or(std::ptr::null_mut(), |r| Box::into_raw(Box::new(r)));
            // SAFETY: as in `el_delete_devices_async`; the report passes to
            // the callback.
            unsafe { done(user.0, status, report, error_ptr(&failure)) };
        };
        let on_panic = move |e: Error| report(Err(e));
        spawn(
            "el_check_async",
            move || report(client.check(&options).and_then(el_check_report::of)),
            on_panic,
        )
    });
    // SAFETY: the caller guarantees `out_error` is NULL or writable.
    unsafe { panic::report(out_error, result) }
}
