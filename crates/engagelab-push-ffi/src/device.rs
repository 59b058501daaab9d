//! `el_device` and `el_get_device`: query a device's tags and alias before
//! deleting it.

use std::ffi::{CString, c_char};
use std::ptr::null;

use engagelab::{CallOptions, Device, Error};

use crate::args;
use crate::cancel::{Runs, el_call_options};
use crate::client::el_client;
use crate::error::el_error;
use crate::panic;
use crate::status::el_status;

/// A device as EngageLab reports it (opaque): the tags and alias bound to a
/// registration id, and the whole answer as JSON text. Made by
/// `el_get_device`, read with the `el_device_*` accessors, freed with
/// `el_device_free`.
///
/// Every string it returns is NUL-terminated UTF-8 owned by the device: valid
/// until `el_device_free`, never to be freed or changed by the caller. No tag
/// or alias is ever cut short: an answer with a NUL character in a tag or the
/// alias is refused by `el_get_device` as `EL_INVALID_RESPONSE`.
///
/// Threads: it never changes after `el_get_device` returns it, so a
/// `const el_device *` may be read from many threads at once; free it once,
/// when no thread reads it any more.
pub struct el_device {
    registration_id: CString,
    tags: Vec<CString>,
    alias: Option<CString>,
    raw_json: CString,
}

impl el_device {
    /// The C strings of `device`. The core refuses a NUL in a tag or alias
    /// and keeps JSON text (which has none), so a failure here is a bug.
    pub(crate) fn of(device: &Device) -> Result<el_device, Error> {
        let c = |s: &str| {
            CString::new(s).map_err(|_| Error::internal("a device string holds a NUL byte"))
        };
        Ok(el_device {
            registration_id: c(device.registration_id())?,
            tags: device
                .tags()
                .iter()
                .map(|t| c(t))
                .collect::<Result<_, _>>()?,
            alias: device.alias().map(c).transpose()?,
            raw_json: c(device.raw_json())?,
        })
    }
}

/// Queries one device (`GET /v4/devices/{registration_id}`): the tags and
/// alias bound to it, and the whole answer. Query before deleting: check that
/// the id is the one meant, and keep `el_device_raw_json` as a backup. Blocks
/// until done, at most the config's overall timeout.
///
/// The id is checked and sent as `el_delete_device` does, and the same error
/// model, retries, deadline and redaction apply. Reading is safe to repeat,
/// so a lost answer is retried, and `out_error->maybe_deleted` is always
/// false. A 2xx answer over the 64 KiB body cap, not a JSON object, with
/// `tags` not a list of strings or `alias` not a string, or with a NUL
/// character in a tag or the alias, is `EL_INVALID_RESPONSE` with its HTTP
/// status. An unknown id is `EL_NOT_FOUND` (HTTP 404, or EngageLab's HTTP
/// 400 with code 27002).
///
/// Ownership: on success `*out_device` receives a new device owned by the
/// caller, to be freed with `el_device_free`; on failure it is not written.
/// `registration_id` is only read during the call.
/// Errors: the failure's category with `*out_error` filled when `out_error`
/// is not NULL (untouched on success).
/// NULL: `client`, `registration_id` or `out_device` NULL, or
/// `registration_id` not UTF-8, gives `EL_INVALID_ARGUMENT`; `out_error` may
/// be NULL.
/// Threads: safe to call from many threads at once on the same client.
///
/// # Safety
/// `client` must be NULL or a live client; `registration_id` NULL or a
/// NUL-terminated string; `out_device` NULL or valid for writing a pointer;
/// `out_error` NULL or valid for writing an `el_error`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_get_device(
    client: *const el_client,
    registration_id: *const c_char,
    out_device: *mut *mut el_device,
    out_error: *mut el_error,
) -> el_status {
    // SAFETY: the caller's guarantees are those of `el_get_device_with`, with
    // NULL options.
    unsafe {
        get_device(
            "el_get_device",
            client,
            registration_id,
            null(),
            out_device,
            out_error,
        )
    }
}

/// Queries one device, as `el_get_device`, with per-call options: a cancel
/// token (`el_cancel`) that stops the call, and a deadline shorter than the
/// client's timeout. A cancelled call returns `EL_CANCELLED` within about
/// 20 ms, mid-request included.
///
/// Ownership: as `el_get_device`; nothing of `options` is kept after the call
/// returns. NULL: `options` may be NULL (the same as `el_get_device`);
/// `options->cancel` may be NULL.
/// Threads: as `el_get_device`; the cancel token may be cancelled from any
/// thread while the call runs.
///
/// # Safety
/// `client`, `registration_id`, `out_device` and `out_error` as for
/// `el_get_device`; `options` NULL or a readable `el_call_options` whose
/// `size` is set and whose `cancel` is NULL or a live cancel token.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_get_device_with(
    client: *const el_client,
    registration_id: *const c_char,
    options: *const el_call_options,
    out_device: *mut *mut el_device,
    out_error: *mut el_error,
) -> el_status {
    // SAFETY: the caller guarantees what `get_device` requires.
    unsafe {
        get_device(
            "el_get_device_with",
            client,
            registration_id,
            options,
            out_device,
            out_error,
        )
    }
}

/// The body of `el_get_device` and `el_get_device_with`.
///
/// # Safety
/// As `el_get_device_with`.
unsafe fn get_device(
    name: &str,
    client: *const el_client,
    registration_id: *const c_char,
    options: *const el_call_options,
    out_device: *mut *mut el_device,
    out_error: *mut el_error,
) -> el_status {
    let result = panic::catch(name, || {
        // SAFETY: the caller guarantees `client` is NULL or a live client.
        let client = unsafe { args::object(client, "client") }?;
        // SAFETY: the caller guarantees `registration_id` is NULL or a
        // NUL-terminated string that outlives the call.
        let id = unsafe { args::text(registration_id, "registration_id") }?;
        let out = args::out(out_device, "out_device")?;
        // SAFETY: the caller guarantees `options` is NULL or readable, with a
        // NULL or live cancel token.
        let options: CallOptions = unsafe { el_call_options::read(options, Runs::OnCaller) }?;
        let device = el_device::of(&client.client.get_device_with(id, &options)?)?;
        // SAFETY: `out` is not NULL and the caller guarantees it is writable.
        unsafe { out.write(Box::into_raw(Box::new(device))) };
        Ok(())
    });
    // SAFETY: the caller guarantees `out_error` is NULL or writable.
    unsafe { panic::report(out_error, result) }
}

/// The registration id that was queried.
///
/// Ownership: owned by the device; valid until `el_device_free`.
/// NULL: NULL when `device` is NULL.
/// Threads: safe from many threads at once.
///
/// # Safety
/// `device` must be NULL or a live device.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_device_registration_id(device: *const el_device) -> *const c_char {
    // SAFETY: the caller guarantees `device` is NULL or live.
    panic::guard_nullable(|| match unsafe { device.as_ref() } {
        Some(d) => d.registration_id.as_ptr(),
        None => null(),
    })
}

/// The number of tags bound to the device; 0 when it has none (the answer's
/// `tags` missing or null) and when `device` is NULL.
///
/// Threads: safe from many threads at once.
///
/// # Safety
/// `device` must be NULL or a live device.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_device_tag_count(device: *const el_device) -> usize {
    // SAFETY: the caller guarantees `device` is NULL or live.
    panic::guard_size(|| unsafe { device.as_ref() }.map_or(0, |d| d.tags.len()))
}

/// The tag at `index` (from 0, in the order EngageLab gave them).
///
/// Ownership: owned by the device; valid until `el_device_free`.
/// NULL: NULL when `index` is not below `el_device_tag_count` or `device` is
/// NULL.
/// Threads: safe from many threads at once.
///
/// # Safety
/// `device` must be NULL or a live device.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_device_tag(device: *const el_device, index: usize) -> *const c_char {
    panic::guard_nullable(|| {
        // SAFETY: the caller guarantees `device` is NULL or live.
        match unsafe { device.as_ref() }.and_then(|d| d.tags.get(index)) {
            Some(tag) => tag.as_ptr(),
            None => null(),
        }
    })
}

/// The alias bound to the device.
///
/// Ownership: owned by the device; valid until `el_device_free`.
/// NULL: NULL when the device has no alias (the answer's `alias` missing or
/// null) or `device` is NULL. An empty alias is `""`, not NULL.
/// Threads: safe from many threads at once.
///
/// # Safety
/// `device` must be NULL or a live device.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_device_alias(device: *const el_device) -> *const c_char {
    panic::guard_nullable(|| {
        // SAFETY: the caller guarantees `device` is NULL or live.
        match unsafe { device.as_ref() }.and_then(|d| d.alias.as_ref()) {
            Some(alias) => alias.as_ptr(),
            None => null(),
        }
    })
}

/// The whole answer, unknown fields included, as JSON text: the body exactly
/// as EngageLab sent it (one JSON object, at most 64 KiB, no NUL byte), so a
/// backup written from it loses nothing.
///
/// Ownership: owned by the device; valid until `el_device_free`.
/// NULL: NULL only when `device` is NULL.
/// Threads: safe from many threads at once.
///
/// # Safety
/// `device` must be NULL or a live device.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_device_raw_json(device: *const el_device) -> *const c_char {
    // SAFETY: the caller guarantees `device` is NULL or live.
    panic::guard_nullable(|| match unsafe { device.as_ref() } {
        Some(d) => d.raw_json.as_ptr(),
        None => null(),
    })
}

/// Frees a device made by `el_get_device`, and every string it returned.
///
/// Ownership: takes `device` back; do not use it or its strings afterwards.
/// NULL: a no-op.
/// Threads: only once no other thread reads `device`.
///
/// # Safety
/// `device` must be NULL or a device from `el_get_device` not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_device_free(device: *mut el_device) {
    panic::guard_void(|| {
        if !device.is_null() {
            // SAFETY: the caller guarantees `device` came from `el_get_device`
            // (Box::into_raw), is freed once and no longer used.
            drop(unsafe { Box::from_raw(device) });
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;
    use std::ptr::null_mut;

    use crate::error::{message_str, tests::filled};
    use crate::status::el_status::*;

    #[test]
    fn null_arguments_are_named_and_accessors_take_null() {
        // SAFETY: NULLs are allowed everywhere here.
        unsafe {
            let (mut out, mut err) = (null_mut(), filled(0));
            let status = el_get_device(null(), c"id".as_ptr(), &mut out, &mut err);
            assert_eq!(status, EL_INVALID_ARGUMENT);
            assert_eq!(message_str(&err), "client is NULL");
            assert!(out.is_null());
            assert_eq!(el_device_tag_count(null()), 0);
            assert!(el_device_tag(null(), 0).is_null());
            assert!(el_device_alias(null()).is_null());
            assert!(el_device_raw_json(null()).is_null());
            assert!(el_device_registration_id(null()).is_null());
            el_device_free(null_mut());
        }
    }

    #[test]
    fn accessors_read_what_the_device_holds() {
        let device = Box::into_raw(Box::new(el_device {
            registration_id: c"id".into(),
            tags: vec![c"a".into(), c"".into()],
            alias: None,
            raw_json: cr#"{"tags":["a",""]}"#.into(),
        }));
        // SAFETY: `device` is live until freed at the end.
        unsafe {
            assert_eq!(el_device_tag_count(device), 2);
            assert_eq!(CStr::from_ptr(el_device_tag(device, 1)), c"");
            assert!(el_device_tag(device, 2).is_null());
            assert!(el_device_tag(device, usize::MAX).is_null());
            assert!(el_device_alias(device).is_null());
            assert_eq!(
                CStr::from_ptr(el_device_raw_json(device)),
                cr#"{"tags":["a",""]}"#
            );
            el_device_free(device);
        }
    }
}
