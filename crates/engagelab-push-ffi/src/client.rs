//! `el_client` and `el_delete_device`.

use std::ffi::c_char;

use engagelab::{CallOptions, Client};

use crate::args;
use crate::cancel::{Runs, el_call_options};
use crate::config::el_config;
use crate::error::el_error;
use crate::panic;
use crate::status::el_status;

/// A client of EngageLab's Push REST API (opaque): a pool of connections and
/// the settings it was built with. Create with `el_client_new`, free with
/// `el_client_free`.
///
/// Threads: a `const el_client *` is safe to use from many threads at once;
/// calls block the calling thread and share the connection pool. Free it only
/// once no call is running.
pub struct el_client {
    pub(crate) client: Client,
}

/// Builds a client from `config`, checking every setting (the credentials, the
/// region name, base URL, proxy, User-Agent, CA file, timeouts, backoff).
/// `config` is not changed and may be freed or reused afterwards.
///
/// Ownership: on success `*out_client` receives a new client owned by the
/// caller, to be freed with `el_client_free`; on failure it is not written.
/// Errors: `EL_INVALID_ARGUMENT`, naming the setting or argument, with
/// `*out_error` filled when `out_error` is not NULL (untouched on success).
/// NULL: `config` or `out_client` NULL gives `EL_INVALID_ARGUMENT`;
/// `out_error` may be NULL.
/// Threads: safe from any thread; many threads may build from one config at
/// once as long as none changes it.
///
/// # Safety
/// `config` must be NULL or a live config; `out_client` NULL or valid for
/// writing a pointer; `out_error` NULL or valid for writing an `el_error`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_client_new(
    config: *const el_config,
    out_client: *mut *mut el_client,
    out_error: *mut el_error,
) -> el_status {
    let result = panic::catch("el_client_new", || {
        // SAFETY: the caller guarantees `config` is NULL or a live config.
        let config = unsafe { args::object(config, "config") }?;
        let out = args::out(out_client, "out_client")?;
        let client = Box::new(el_client {
            client: config.build()?,
        });
        // SAFETY: `out` is not NULL and the caller guarantees it is writable.
        unsafe { out.write(Box::into_raw(client)) };
        Ok(())
    });
    // SAFETY: the caller guarantees `out_error` is NULL or writable.
    unsafe { panic::report(out_error, result) }
}

/// Frees a client made by `el_client_new`, closing its connections.
///
/// Ownership: takes `client` back; do not use it afterwards.
/// NULL: a no-op.
/// Threads: only once no other thread uses `client`.
///
/// # Safety
/// `client` must be NULL or a client from `el_client_new` not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_client_free(client: *mut el_client) {
    panic::guard_void(|| {
        if !client.is_null() {
            // SAFETY: the caller guarantees `client` came from `el_client_new`
            // (Box::into_raw), is freed once and no longer used.
            drop(unsafe { Box::from_raw(client) });
        }
    });
}

/// The client's overall timeout in milliseconds: the deadline of one call,
/// counted from its start, retries and waits included, unless the call's own
/// `timeout_ms` is shorter. A binding that holds calls back before starting
/// them (Node.js and Go, past their in-flight limits) counts that wait
/// against it.
///
/// NULL: `client` NULL gives 0.
/// Threads: safe from any thread, while calls run on the client.
///
/// # Safety
/// `client` must be NULL or a live client.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_client_timeout_ms(client: *const el_client) -> u64 {
    // SAFETY: the caller guarantees `client` is NULL or a live client.
    unsafe { client.as_ref() }.map_or(0, |c| {
        u64::try_from(c.client.timeout().as_millis()).unwrap_or(u64::MAX)
    })
}

/// Deletes one device (`DELETE /v4/devices/{registration_id}`): its tags,
/// alias, device information and timezone. Irreversible; EngageLab completes
/// it asynchronously. Blocks until done, at most the config's overall timeout.
///
/// The id is checked before anything is sent (1 to
/// `EL_MAX_REGISTRATION_ID_LEN` bytes of printable ASCII without spaces,
/// and not `.` or `..`) and sent as one escaped path segment. Transient
/// failures are retried with backoff within the overall deadline. When a
/// failed call may nevertheless have deleted the device,
/// `out_error->maybe_deleted` is true.
///
/// Returns `EL_OK`, or the failure's category (`EL_INVALID_ARGUMENT`,
/// `EL_AUTH`, `EL_NOT_FOUND`, `EL_RATE_LIMITED`, `EL_SERVER`, `EL_API`,
/// `EL_TIMEOUT`, `EL_NETWORK`, `EL_INVALID_RESPONSE`, `EL_INTERNAL`) with
/// `*out_error` filled when `out_error` is not NULL (untouched on success).
///
/// Ownership: `registration_id` is only read during the call.
/// NULL: `client` or `registration_id` NULL, or `registration_id` not UTF-8,
/// gives `EL_INVALID_ARGUMENT`; `out_error` may be NULL.
/// Threads: safe to call from many threads at once on the same client.
///
/// # Safety
/// `client` must be NULL or a live client; `registration_id` NULL or a
/// NUL-terminated string; `out_error` NULL or valid for writing an `el_error`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_delete_device(
    client: *const el_client,
    registration_id: *const c_char,
    out_error: *mut el_error,
) -> el_status {
    let result = panic::catch("el_delete_device", || {
        // SAFETY: the caller guarantees `client` is NULL or a live client.
        let client = unsafe { args::object(client, "client") }?;
        // SAFETY: the caller guarantees `registration_id` is NULL or a
        // NUL-terminated string that outlives the call.
        let id = unsafe { args::text(registration_id, "registration_id") }?;
        client.client.delete_device_with(id, &CallOptions::new())?;
        Ok(())
    });
    // SAFETY: the caller guarantees `out_error` is NULL or writable.
    unsafe { panic::report(out_error, result) }
}

/// Deletes one device, as `el_delete_device`, with per-call options:
/// a cancel token (`el_cancel`) that stops the call, and a deadline shorter
/// than the client's timeout. A cancelled call returns `EL_CANCELLED` within
/// about 20 ms, mid-request included; `maybe_deleted` says whether a request
/// had been written.
///
/// Ownership: nothing is kept after the call returns. NULL: `options` may be
/// NULL (the same as `el_delete_device`); `options->cancel` may be NULL.
/// Threads: as `el_delete_device`; the cancel token may be cancelled from any
/// thread while the call runs.
///
/// # Safety
/// `client`, `registration_id` and `out_error` as for `el_delete_device`;
/// `options` NULL or a readable `el_call_options` whose `size` is set and
/// whose `cancel` is NULL or a live cancel token.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_delete_device_with(
    client: *const el_client,
    registration_id: *const c_char,
    options: *const el_call_options,
    out_error: *mut el_error,
) -> el_status {
    let result = panic::catch("el_delete_device_with", || {
        // SAFETY: the caller guarantees `client` is NULL or a live client.
        let client = unsafe { args::object(client, "client") }?;
        // SAFETY: the caller guarantees `registration_id` is NULL or a
        // NUL-terminated string that outlives the call.
        let id = unsafe { args::text(registration_id, "registration_id") }?;
        // SAFETY: the caller guarantees `options` is NULL or readable, with a
        // NULL or live cancel token.
        let options = unsafe { el_call_options::read(options, Runs::OnCaller) }?;
        client.client.delete_device_with(id, &options)?;
        Ok(())
    });
    // SAFETY: the caller guarantees `out_error` is NULL or writable.
    unsafe { panic::report(out_error, result) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{el_config_free, el_config_new, el_config_set_region};
    use crate::error::{message_str, tests::filled};
    use crate::status::el_status::*;
    use std::ptr::{null, null_mut};

    fn config() -> *mut el_config {
        let mut config = null_mut();
        // SAFETY: valid strings and a writable out pointer.
        let status =
            unsafe { el_config_new(c"k".as_ptr(), c"s".as_ptr(), &mut config, null_mut()) };
        assert_eq!(status, EL_OK);
        config
    }

    #[test]
    fn an_unknown_region_is_reported_by_el_client_new_with_the_cores_message() {
        let config = config();
        // SAFETY: `config` is live; the strings are valid.
        unsafe {
            assert_eq!(
                el_config_set_region(config, c"mars".as_ptr(), null_mut()),
                EL_OK
            );
            let (mut client, mut err) = (null_mut(), filled(0));
            let status = el_client_new(config, &mut client, &mut err);
            assert_eq!(status, EL_INVALID_ARGUMENT);
            assert!(client.is_null());
            assert!(
                message_str(&err).contains("\"mars\""),
                "{}",
                message_str(&err)
            );
            assert_eq!(
                el_config_set_region(config, c"HK".as_ptr(), null_mut()),
                EL_OK
            );
            assert_eq!(el_client_new(config, &mut client, null_mut()), EL_OK);
            el_client_free(client);
            el_config_free(config);
        }
    }

    #[test]
    fn null_arguments_are_named() {
        let config = config();
        // SAFETY: NULLs are allowed; the rest is valid.
        unsafe {
            let (mut client, mut err) = (null_mut(), filled(0));
            assert_eq!(
                el_client_new(null(), &mut client, &mut err),
                EL_INVALID_ARGUMENT
            );
            assert_eq!(message_str(&err), "config is NULL");
            assert_eq!(
                el_client_new(config, null_mut(), &mut err),
                EL_INVALID_ARGUMENT
            );
            assert_eq!(message_str(&err), "out_client is NULL");
            assert_eq!(el_client_new(config, &mut client, &mut err), EL_OK);
            let status = el_delete_device(client, null(), &mut err);
            assert_eq!(status, EL_INVALID_ARGUMENT);
            assert_eq!(message_str(&err), "registration_id is NULL");
            let status = el_delete_device(client, c"bad\xffid".as_ptr(), &mut err);
            assert_eq!(status, EL_INVALID_ARGUMENT);
            assert_eq!(
                message_str(&err),
                "registration_id is not valid UTF-8 (at byte 3)"
            );
            assert_eq!(err.attempts, 0);
            el_client_free(client);
            el_config_free(config);
            el_client_free(null_mut());
            el_config_free(null_mut());
        }
    }
}
