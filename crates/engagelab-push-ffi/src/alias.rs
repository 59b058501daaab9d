//! `el_get_alias` and `el_id_list`: resolve an alias (the app's user) to the
//! registration ids of its devices.

use std::ffi::{CString, c_char};
use std::ptr::null;

use engagelab::{CallOptions, Error, Platform};

use crate::args;
use crate::cancel::{Runs, el_call_options};
use crate::client::el_client;
use crate::error::el_error;
use crate::panic;
use crate::status::el_status;

/// A list of registration ids (opaque), as `el_get_alias` returns them: read
/// with `el_id_list_count` and `el_id_list_get`, freed with one
/// `el_id_list_free`.
///
/// Every string it returns is NUL-terminated UTF-8 owned by the list: valid
/// until `el_id_list_free`, never to be freed or changed by the caller. No id
/// is ever cut short: an answer with a NUL character in an id is refused by
/// `el_get_alias` as `EL_INVALID_RESPONSE`.
///
/// Threads: it never changes after `el_get_alias` returns it, so a
/// `const el_id_list *` may be read from many threads at once; free it once,
/// when no thread reads it any more.
pub struct el_id_list {
    ids: Vec<CString>,
}

impl el_id_list {
    /// The C strings of `ids`. The core refuses an id with a NUL, so a
    /// failure here is a bug.
    pub(crate) fn of(ids: Vec<String>) -> Result<el_id_list, Error> {
        let ids = ids
            .into_iter()
            .map(|id| {
                CString::new(id).map_err(|_| Error::internal("a registration id holds a NUL byte"))
            })
            .collect::<Result<_, _>>()?;
        Ok(el_id_list { ids })
    }
}

/// Resolves an alias (`GET /v4/aliases/{alias}`): the registration ids of the
/// devices the app bound to it, in the order EngageLab gave them; an empty
/// list when no device is bound. An alias is how an app names its user, so
/// this is the first step of erasing a user: delete each id
/// (`el_delete_device`), then resolve the alias again to check that none is
/// still bound. Blocks until done, at most the config's overall timeout.
///
/// `platforms` narrows the lookup: an array of `platform_count` names, each
/// `android`, `ios` or `hmos` (a repeated one is sent once); a count of 0
/// (the array may then be NULL) means every platform. The alias and the
/// platforms are checked before anything is sent
/// (an alias is 1 to `EL_MAX_ALIAS_LEN` bytes with no `/`, no control, whitespace or
/// invisible format character, and not `.` or `..`), and the alias is sent
/// as one escaped path segment. The same error model, retries, deadline and
/// redaction apply as to `el_get_device`; `out_error->maybe_deleted` is
/// always false. A 2xx answer that is not a JSON object with a
/// `registration_ids` list of strings (missing or null included), or with a
/// NUL character in an id, is `EL_INVALID_RESPONSE` with its HTTP status.
///
/// Ownership: on success `*out_ids` receives a new list owned by the caller,
/// to be freed with `el_id_list_free`; on failure it is not written. `alias`
/// and `platforms` (the array and its strings) are only read during the call.
/// Errors: the failure's category with `*out_error` filled when `out_error`
/// is not NULL (untouched on success).
/// NULL: `client`, `alias` or `out_ids` NULL, `platforms` NULL with a count
/// above 0, a NULL entry, or a string not UTF-8 gives `EL_INVALID_ARGUMENT`
/// naming it (`platforms[1] is NULL`); `out_error` may be NULL.
/// Threads: safe to call from many threads at once on the same client.
///
/// # Safety
/// `client` must be NULL or a live client; `alias` NULL or a NUL-terminated
/// string; `platforms` NULL or `platform_count` readable pointers, each NULL
/// or a NUL-terminated string; `out_ids` NULL or valid for writing a
/// pointer; `out_error` NULL or valid for writing an `el_error`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_get_alias(
    client: *const el_client,
    alias: *const c_char,
    platforms: *const *const c_char,
    platform_count: usize,
    out_ids: *mut *mut el_id_list,
    out_error: *mut el_error,
) -> el_status {
    // SAFETY: the caller's guarantees are those of `el_get_alias_with`, with
    // NULL options.
    unsafe {
        get_alias(
            "el_get_alias",
            client,
            alias,
            (platforms, platform_count),
            null(),
            out_ids,
            out_error,
        )
    }
}

/// Resolves an alias, as `el_get_alias`, with per-call options: a cancel
/// token (`el_cancel`) that stops the call, and a deadline shorter than the
/// client's timeout. A cancelled call returns `EL_CANCELLED` within about
/// 20 ms, mid-request included.
///
/// Ownership: as `el_get_alias`; nothing of `options` is kept after the call
/// returns. NULL: `options` may be NULL (the same as `el_get_alias`);
/// `options->cancel` may be NULL.
/// Threads: as `el_get_alias`; the cancel token may be cancelled from any
/// thread while the call runs.
///
/// # Safety
/// `client`, `alias`, `platforms`, `platform_count`, `out_ids` and
/// `out_error` as for `el_get_alias`; `options` NULL or a readable `el_call_options` whose
/// `size` is set and whose `cancel` is NULL or a live cancel token.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_get_alias_with(
    client: *const el_client,
    alias: *const c_char,
    platforms: *const *const c_char,
    platform_count: usize,
    options: *const el_call_options,
    out_ids: *mut *mut el_id_list,
    out_error: *mut el_error,
) -> el_status {
    // SAFETY: the caller guarantees what `get_alias` requires.
    unsafe {
        get_alias(
            "el_get_alias_with",
            client,
            alias,
            (platforms, platform_count),
            options,
            out_ids,
            out_error,
        )
    }
}

/// The body of `el_get_alias` and `el_get_alias_with`.
///
/// # Safety
/// As `el_get_alias_with`.
unsafe fn get_alias(
    name: &str,
    client: *const el_client,
    alias: *const c_char,
    (platforms, platform_count): (*const *const c_char, usize),
    options: *const el_call_options,
    out_ids: *mut *mut el_id_list,
    out_error: *mut el_error,
) -> el_status {
    let result = panic::catch(name, || {
        // SAFETY: the caller guarantees `client` is NULL or a live client.
        let client = unsafe { args::object(client, "client") }?;
        // SAFETY: the caller guarantees `alias` is NULL or a NUL-terminated
        // string that outlives the call.
        let alias = unsafe { args::text(alias, "alias") }?;
        // SAFETY: the caller guarantees `platforms` is NULL or
        // `platform_count` readable entries, each NULL or a NUL-terminated
        // string that outlives the call.
        let platforms = unsafe { args::texts(platforms, platform_count, "platforms") }?
            .into_iter()
            .map(str::parse)
            .collect::<Result<Vec<Platform>, _>>()?;
        let out = args::out(out_ids, "out_ids")?;
        // SAFETY: the caller guarantees `options` is NULL or readable, with a
        // NULL or live cancel token.
        let options: CallOptions = unsafe { el_call_options::read(options, Runs::OnCaller) }?;
        let ids = client.client.get_alias_with(alias, &platforms, &options)?;
        let list = el_id_list::of(ids)?;
        // SAFETY: `out` is not NULL and the caller guarantees it is writable.
        unsafe { out.write(Box::into_raw(Box::new(list))) };
        Ok(())
    });
    // SAFETY: the caller guarantees `out_error` is NULL or writable.
    unsafe { panic::report(out_error, result) }
}

/// The number of registration ids in the list; 0 when it is empty and when
/// `ids` is NULL.
///
/// Threads: safe from many threads at once.
///
/// # Safety
/// `ids` must be NULL or a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_id_list_count(ids: *const el_id_list) -> usize {
    // SAFETY: the caller guarantees `ids` is NULL or live.
    panic::guard_size(|| unsafe { ids.as_ref() }.map_or(0, |l| l.ids.len()))
}

/// The registration id at `index` (from 0, in the order EngageLab gave them).
///
/// Ownership: owned by the list; valid until `el_id_list_free`.
/// NULL: NULL when `index` is not below `el_id_list_count` or `ids` is NULL.
/// Threads: safe from many threads at once.
///
/// # Safety
/// `ids` must be NULL or a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_id_list_get(ids: *const el_id_list, index: usize) -> *const c_char {
    panic::guard_nullable(|| {
        // SAFETY: the caller guarantees `ids` is NULL or live.
        match unsafe { ids.as_ref() }.and_then(|l| l.ids.get(index)) {
            Some(id) => id.as_ptr(),
            None => null(),
        }
    })
}

/// Frees a list made by `el_get_alias`, and every string it returned.
///
/// Ownership: takes `ids` back; do not use it or its strings afterwards.
/// NULL: a no-op.
/// Threads: only once no other thread reads `ids`.
///
/// # Safety
/// `ids` must be NULL or a list from `el_get_alias` not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_id_list_free(ids: *mut el_id_list) {
    panic::guard_void(|| {
        if !ids.is_null() {
            // SAFETY: the caller guarantees `ids` came from `el_get_alias`
            // (Box::into_raw), is freed once and no longer used.
            drop(unsafe { Box::from_raw(ids) });
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
            let status = el_get_alias(null(), c"u".as_ptr(), null(), 0, &mut out, &mut err);
            assert_eq!(status, EL_INVALID_ARGUMENT);
            assert_eq!(message_str(&err), "client is NULL");
            assert!(out.is_null());
            assert_eq!(el_id_list_count(null()), 0);
            assert!(el_id_list_get(null(), 0).is_null());
            el_id_list_free(null_mut());
        }
    }

    #[test]
    fn accessors_read_what_the_list_holds() {
        let list = Box::into_raw(Box::new(
            el_id_list::of(vec!["a".into(), "".into()]).unwrap(),
        ));
        // SAFETY: `list` is live until freed at the end.
        unsafe {
            assert_eq!(el_id_list_count(list), 2);
            assert_eq!(CStr::from_ptr(el_id_list_get(list, 0)), c"a");
            assert_eq!(CStr::from_ptr(el_id_list_get(list, 1)), c"");
            assert!(el_id_list_get(list, 2).is_null());
            assert!(el_id_list_get(list, usize::MAX).is_null());
            el_id_list_free(list);
        }
    }
}
