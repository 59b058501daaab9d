//! `el_delete_device_async`, `el_get_device_async` and `el_get_alias_async`:
//! calls that return at once and complete on the library's own threads.

use std::ffi::{c_char, c_void};

use engagelab::{CallOptions, Error, Platform};

use crate::alias::el_id_list;
use crate::args;
use crate::bulk::UserData;
use crate::cancel::{Runs, el_call_options};
use crate::client::el_client;
use crate::device::el_device;
use crate::error::{self, el_error};
use crate::panic;
use crate::status::el_status;

/// Called once when an `el_delete_device_async` call ends, on a thread of the
/// library. `status` is `EL_OK` on success; else `error` points to the
/// failure's record (`maybe_deleted` included), valid only until the
/// callback returns, and NULL on success.
pub type el_delete_done_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, status: el_status, error: *const el_error)>;

/// Called once when an `el_get_device_async` call ends, on a thread of the
/// library. On success `status` is `EL_OK`, `device` a new device the callback
/// owns (free it with `el_device_free`, from any thread, at any time) and
/// `error` NULL; on failure `device` is NULL and `error` as for
/// `el_delete_done_fn`.
pub type el_device_done_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        status: el_status,
        device: *mut el_device,
        error: *const el_error,
    ),
>;

/// Called once when an `el_get_alias_async` call ends, on a thread of the
/// library. On success `status` is `EL_OK`, `ids` a new list the callback
/// owns (free it with `el_id_list_free`) and `error` NULL; on failure `ids` is
/// NULL and `error` as for `el_delete_done_fn`.
pub type el_alias_done_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        status: el_status,
        ids: *mut el_id_list,
        error: *const el_error,
    ),
>;

/// A finished call as a callback receives it: the value on success, the
/// status, and the failure's record.
pub(crate) fn finish<T>(result: Result<T, Error>) -> (Option<T>, el_status, Option<el_error>) {
    match result {
        Ok(value) => (Some(value), el_status::EL_OK, None),
        Err(failure) => {
            // SAFETY: all-zero is a valid el_error (integers, a byte array,
            // false).
            let mut record: el_error = unsafe { std::mem::zeroed() };
            record.size = std::mem::size_of::<el_error>();
            // SAFETY: `record` is a live, writable record whose `size` is set.
            unsafe { error::write(&mut record, &failure) };
            (None, el_status::of(failure.kind()), Some(record))
        }
    }
}

/// The record's address for a callback; NULL for none.
pub(crate) fn error_ptr(record: &Option<el_error>) -> *const el_error {
    record
        .as_ref()
        .map_or(std::ptr::null(), |r| r as *const el_error)
}

/// Starts a delete (`DELETE /v4/devices/{registration_id}`, as
/// `el_delete_device_with` does) and returns at once; `done` is called
/// exactly once, with `user_data`, when it ends.
///
/// The same checks, error model, retries, deadline and redaction apply as to
/// `el_delete_device_with`; a bad id reaches `done` as `EL_INVALID_ARGUMENT`.
/// The deadline counts from this call, time spent waiting for a thread
/// included.
///
/// Threads:
/// - `done` runs on a thread the library owns, never on the caller's thread
///   (not even for an id refused at once). At most `EL_ASYNC_THREADS` calls
///   of one client run at once; later ones wait in order. A waiting call that
///   is cancelled (`options->cancel`) or runs out of time ends within about
///   20 ms, `EL_CANCELLED` or `EL_TIMEOUT`, nothing sent.
/// - Every call this function started (it returned `EL_OK`) calls `done`
///   exactly once; a call it did not start never does.
/// - `done` may call any `el_` function, asynchronous calls and
///   `el_client_free` of this client included; it should return quickly, as
///   its thread runs the next waiting call after it (and the `done` of a
///   waiting call ended by its cancel or deadline runs on the thread that
///   ends the others: while it runs, they end later). It must not unwind
///   (a C++ exception or a `longjmp` out of it is undefined behaviour).
/// - The threads end after `EL_ASYNC_IDLE_MS` without a call, and when the
///   client is freed and its last call has ended (its calls keep it alive
///   until then). After a `fork()` the child's calls run on threads of its
///   own; a `fork()` inside `done` leaves the parent's waiting calls to the
///   parent (the child's copy of the thread ends when `done` returns).
///
/// Ownership: `registration_id` and `options` are only read during this
/// call; the cancel token in `options` may be freed after it returns (the
/// call keeps what it needs) and cancelling it still stops the call.
/// `user_data` is never read or written by the library.
/// Errors: only when the call did not start: `EL_INVALID_ARGUMENT` for a
/// NULL `client`, `registration_id` or `done`, a `registration_id` not UTF-8
/// or bad `options` (a token made by `el_cancel_new_with_check` included);
/// `EL_INTERNAL` when no thread could be started.
/// `*out_error` is filled when `out_error` is not NULL (untouched on
/// success).
///
/// # Safety
/// `client` must be NULL or a live client; `registration_id` NULL or a
/// NUL-terminated string; `options` NULL or a readable `el_call_options` whose
/// `size` is set and whose `cancel` is NULL or a live token; `done`, if
/// called, must be safe to call from any thread with `user_data`;
/// `out_error` NULL or valid for writing an `el_error`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_delete_device_async(
    client: *const el_client,
    registration_id: *const c_char,
    options: *const el_call_options,
    done: el_delete_done_fn,
    user_data: *mut c_void,
    out_error: *mut el_error,
) -> el_status {
    let result = panic::catch("el_delete_device_async", || {
        // SAFETY: the caller guarantees `client` is NULL or a live client.
        let client = unsafe { args::object(client, "client") }?;
        // SAFETY: the caller guarantees a NULL or NUL-terminated string.
        let id = unsafe { args::text(registration_id, "registration_id") }?;
        // SAFETY: the caller guarantees `options` is NULL or readable.
        let options: CallOptions =
            unsafe { el_call_options::read(options, Runs::OnLibraryThreads) }?;
        let done = done.ok_or_else(|| Error::invalid_argument("done is NULL"))?;
        let user = UserData(user_data);
        client
            .client
            .delete_device_async(id, &options, move |result| {
                let user = user;
                let (_, status, failure) = finish(result);
                // SAFETY: the caller guarantees `done` may be called from any
                // thread with `user_data`; the record lives until it returns.
                unsafe { done(user.0, status, error_ptr(&failure)) };
            })
    });
    // SAFETY: the caller guarantees `out_error` is NULL or writable.
    unsafe { panic::report(out_error, result) }
}

/// Starts a query of one device (`GET /v4/devices/{registration_id}`, as
/// `el_get_device_with` does) and returns at once; `done` is called exactly
/// once, with `user_data`, when it ends, and owns the device it is given.
///
/// Threads, ownership, errors: as `el_delete_device_async`.
///
/// # Safety
/// As `el_delete_device_async`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_get_device_async(
    client: *const el_client,
    registration_id: *const c_char,
    options: *const el_call_options,
    done: el_device_done_fn,
    user_data: *mut c_void,
    out_error: *mut el_error,
) -> el_status {
    let result = panic::catch("el_get_device_async", || {
        // SAFETY: the caller guarantees `client` is NULL or a live client.
        let client = unsafe { args::object(client, "client") }?;
        // SAFETY: the caller guarantees a NULL or NUL-terminated string.
        let id = unsafe { args::text(registration_id, "registration_id") }?;
        // SAFETY: the caller guarantees `options` is NULL or readable.
        let options: CallOptions =
            unsafe { el_call_options::read(options, Runs::OnLibraryThreads) }?;
        let done = done.ok_or_else(|| Error::invalid_argument("done is NULL"))?;
        let user = UserData(user_data);
        client.client.get_device_async(id, &options, move |result| {
            let user = user;
            let (device, status, failure) = finish(result.and_then(|d| el_device::of(&d)));
            let device = device.map_or(std::ptr::null_mut(), |d| Box::into_raw(Box::new(d)));
            // SAFETY: as in `el_delete_device_async`; the device passes to
            // the callback.
            unsafe { done(user.0, status, device, error_ptr(&failure)) };
        })
    });
    // SAFETY: the caller guarantees `out_error` is NULL or writable.
    unsafe { panic::report(out_error, result) }
}

/// Starts resolving an alias (`GET /v4/aliases/{alias}`, as
/// `el_get_alias_with` does, `platforms` included) and returns at once;
/// `done` is called exactly once, with `user_data`, when it ends, and owns
/// the list it is given.
///
/// Threads, ownership, errors: as `el_delete_device_async`; `alias` and
/// `platforms` are only read during this call, and a NULL `alias`, or bad
/// `platforms` as `el_get_alias` names them, is refused here, at once.
///
/// # Safety
/// As `el_delete_device_async`, with `alias` for `registration_id`, and
/// `platforms` NULL or `platform_count` readable pointers, each NULL or a
/// NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_get_alias_async(
    client: *const el_client,
    alias: *const c_char,
    platforms: *const *const c_char,
    platform_count: usize,
    options: *const el_call_options,
    done: el_alias_done_fn,
    user_data: *mut c_void,
    out_error: *mut el_error,
) -> el_status {
    let result = panic::catch("el_get_alias_async", || {
        // SAFETY: the caller guarantees `client` is NULL or a live client.
        let client = unsafe { args::object(client, "client") }?;
        // SAFETY: the caller guarantees a NULL or NUL-terminated string.
        let alias = unsafe { args::text(alias, "alias") }?;
        // SAFETY: the caller guarantees `platform_count` readable pointers.
        let platforms = unsafe { args::texts(platforms, platform_count, "platforms") }?
            .into_iter()
            .map(str::parse)
            .collect::<Result<Vec<Platform>, _>>()?;
        // SAFETY: the caller guarantees `options` is NULL or readable.
        let options: CallOptions =
            unsafe { el_call_options::read(options, Runs::OnLibraryThreads) }?;
        let done = done.ok_or_else(|| Error::invalid_argument("done is NULL"))?;
        let user = UserData(user_data);
        client
            .client
            .get_alias_async(alias, &platforms, &options, move |result| {
                let user = user;
                let (ids, status, failure) = finish(result.and_then(el_id_list::of));
                let ids = ids.map_or(std::ptr::null_mut(), |l| Box::into_raw(Box::new(l)));
                // SAFETY: as in `el_delete_device_async`; the list passes to
                // the callback.
                unsafe { done(user.0, status, ids, error_ptr(&failure)) };
            })
    });
    // SAFETY: the caller guarantees `out_error` is NULL or writable.
    unsafe { panic::report(out_error, result) }
}
