//! `el_erase_users` and `el_erasure`: erase users by alias through the bulk
//! engine, then read what became of each.

use std::ffi::{CString, c_char};
use std::ptr::null;

use engagelab::{BulkSummary, ErasedUser, Error};

use crate::alias::el_id_list;
use crate::args;
use crate::bulk::{
    Options, el_bulk_error, el_bulk_options, el_bulk_summary, failure, write_summary,
};
use crate::cancel::Runs;
use crate::client::el_client;
use crate::error::el_error;
use crate::panic;
use crate::status::el_status;

/// What an erasure did (opaque): the bulk run's summary and, for each
/// alias, the ids it resolved to and those still bound after the
/// deletions. Made by `el_erase_users`, read with the `el_erasure_*`
/// accessors, freed with `el_erasure_free`.
///
/// Every string and list it returns is owned by it: valid until
/// `el_erasure_free`, never to be freed or changed by the caller.
///
/// Threads: it never changes once returned, so a `const el_erasure *` may
/// be read from many threads at once; free it once, when none reads it.
pub struct el_erasure {
    users: Vec<User>,
    summary: Option<BulkSummary>,
    error: el_bulk_error,
    success: bool,
}

struct User {
    alias: CString,
    ids: el_id_list,
    still_bound: Option<el_id_list>,
    verify_error: Option<Error>,
}

impl User {
    fn of(user: &ErasedUser) -> Result<User, Error> {
        Ok(User {
            alias: CString::new(user.alias.as_str())
                .map_err(|_| Error::internal("an alias holds a NUL byte"))?,
            ids: el_id_list::of(user.registration_ids.clone())?,
            still_bound: user.still_bound.clone().map(el_id_list::of).transpose()?,
            verify_error: user.verify_error.clone(),
        })
    }
}

/// Erases users by alias, as a GDPR or account-deletion request asks, in one
/// call: every alias is checked (nothing is sent if one is bad), then
/// resolved (`GET /v4/aliases/{alias}`, within `qps`); the ids of every
/// alias go through one bulk run configured by `options` (backup, report,
/// journal, guard counting the ids of all aliases together, dry run,
/// confirm, cancel; `on_resolved` is called for each alias once resolved);
/// then, unless it was a dry run or was interrupted, each alias is resolved
/// again: `el_erasure_still_bound` lists any device still bound (a device
/// still bound that the run was to delete is deleted once more and checked
/// again). A repeated alias is erased once; an alias with no device, or one
/// EngageLab does not know, succeeds having deleted nothing. A journal
/// belongs to the set of aliases: rerun with the same aliases and journal to
/// resume.
///
/// Failed deletions, devices still bound and a cancel are not failures:
/// `EL_OK`, and `el_erasure_is_success` says whether everything was
/// deleted and verified. A run that refuses to start or has to stop is
/// reported as by `el_delete_devices` (`el_erasure_summary`'s `error`); a
/// first lookup that fails is its own category (`EL_BULK_LOOKUP`): nothing
/// was deleted.
///
/// Ownership: `*out_erasure` receives a new erasure owned by the caller, to
/// be freed with `el_erasure_free`, on `EL_OK` and on a refused or stopped
/// run (then with no user, its summary's `error` saying why); on a bad
/// argument it is not written. Nothing of `aliases` or `options` is kept.
/// NULL: `client` or `out_erasure` NULL, `aliases` NULL with a count above
/// 0, or a NULL or non-UTF-8 entry gives `EL_INVALID_ARGUMENT` naming it.
/// Threads: as `el_delete_devices`; the lookups, like the callbacks, run
/// on the calling thread.
///
/// # Safety
/// `client` NULL or a live client; `aliases` NULL or `count` readable
/// pointers, each NULL or a NUL-terminated string; `options` NULL or a
/// readable `el_bulk_options` with its `size` set; `out_erasure` NULL or
/// valid for writing a pointer; `out_error` NULL or valid for writing an
/// `el_error`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_erase_users(
    client: *const el_client,
    aliases: *const *const c_char,
    count: usize,
    options: *const el_bulk_options,
    out_erasure: *mut *mut el_erasure,
    out_error: *mut el_error,
) -> el_status {
    let result = panic::catch("el_erase_users", || {
        // SAFETY: the caller guarantees `client` is NULL or a live client.
        let client = unsafe { args::object(client, "client") }?;
        // SAFETY: the caller guarantees `aliases` holds `count` readable
        // pointers, each NULL or a NUL-terminated string.
        let aliases = unsafe { args::texts(aliases, count, "aliases") }?;
        let out = args::out(out_erasure, "out_erasure")?;
        // SAFETY: the caller guarantees what `Options::read` requires.
        let settings = unsafe { Options::read(options, Runs::OnCaller) }?;
        let (erasure, failed) = erase(&client.client, &settings, &aliases)?;
        // SAFETY: `out` is not NULL and the caller guarantees it is writable.
        unsafe { out.write(Box::into_raw(Box::new(erasure))) };
        failed.map_or(Ok(()), Err)
    });
    // SAFETY: the caller guarantees `out_error` is NULL or writable.
    unsafe { panic::report(out_error, result) }
}

/// Erases `aliases` with `settings` (the body of `el_erase_users` and
/// `el_erase_users_async`): the erasure (also for a refused or stopped run)
/// and the failure of a refused or stopped run; `Err` only when no erasure
/// could be built.
pub(crate) fn erase(
    client: &engagelab::Client,
    settings: &Options,
    aliases: &[impl AsRef<str>],
) -> Result<(el_erasure, Option<Error>), Error> {
    let mut run = settings.configure(client);
    if let Some(f) = settings.on_resolved {
        let user = settings.user_data;
        run = run.on_resolved(move |u: &ErasedUser| {
            let user = user;
            let (Ok(alias), Ok(ids)) = (
                CString::new(u.alias.as_str()),
                el_id_list::of(u.registration_ids.clone()),
            ) else {
                return;
            };
            // SAFETY: the caller's callback, given its own user data and
            // strings that live for the call.
            unsafe { f(user.0, alias.as_ptr(), &ids) };
        });
    }
    let (erasure, failed) = match run.erase_users(aliases.iter().map(AsRef::as_ref)) {
        Ok(e) => {
            let users = e.users.iter().map(User::of).collect::<Result<_, _>>()?;
            let erasure = el_erasure {
                users,
                success: e.is_success(),
                summary: Some(e.summary),
                error: el_bulk_error::EL_BULK_OK,
            };
            (erasure, None)
        }
        Err(e) => {
            let erasure = el_erasure {
                users: Vec::new(),
                summary: e.summary().cloned(),
                error: crate::bulk::error_of(&e),
                success: false,
            };
            (erasure, Some(failure(&e)))
        }
    };
    Ok((erasure, failed))
}

/// Writes the erasure's summary (the bulk run over every user's devices,
/// and `error`) into `*out_summary`, every field within its `size`.
///
/// NULL: `erasure` or `out_summary` NULL, or an `out_summary->size` not
/// set, gives `EL_INVALID_ARGUMENT`. Threads: safe from many threads at once.
///
/// # Safety
/// `erasure` NULL or a live erasure; `out_summary` NULL or writable for its
/// `size`, which the caller set.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_erasure_summary(
    erasure: *const el_erasure,
    out_summary: *mut el_bulk_summary,
) -> el_status {
    let result = panic::catch("el_erasure_summary", || {
        // SAFETY: the caller guarantees `erasure` is NULL or live.
        let erasure = unsafe { args::object(erasure, "erasure") }?;
        let out = args::out(out_summary, "out_summary")?;
        // SAFETY: not NULL, and the caller guarantees `size` is readable.
        unsafe { crate::bulk::summary_size_set(out) }?;
        // SAFETY: the caller guarantees `out` is writable for its size.
        unsafe { write_summary(out, erasure.summary.as_ref(), erasure.error) };
        Ok(())
    });
    // SAFETY: NULL is a valid `out_error`.
    unsafe { panic::report(std::ptr::null_mut(), result) }
}

/// Whether the erasure is complete: every device was deleted (or already
/// gone), the run was neither interrupted nor stopped, and, unless it was a
/// dry run, every alias was resolved again with no device still bound.
/// NULL: false. Threads: safe from many threads at once.
///
/// # Safety
/// `erasure` must be NULL or a live erasure.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_erasure_is_success(erasure: *const el_erasure) -> bool {
    // SAFETY: the caller guarantees `erasure` is NULL or live.
    let erasure = unsafe { erasure.as_ref() };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        erasure.is_some_and(|e| e.success)
    }))
    .unwrap_or(false)
}

/// The number of users (distinct aliases, in the order given); 0 when
/// `erasure` is NULL. Threads: safe from many threads at once.
///
/// # Safety
/// `erasure` must be NULL or a live erasure.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_erasure_user_count(erasure: *const el_erasure) -> usize {
    // SAFETY: the caller guarantees `erasure` is NULL or live.
    panic::guard_size(|| unsafe { erasure.as_ref() }.map_or(0, |e| e.users.len()))
}

/// The alias of user `index`, as given. NULL when `index` is not below
/// `el_erasure_user_count` or `erasure` is NULL. Owned by the erasure.
///
/// # Safety
/// `erasure` must be NULL or a live erasure.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_erasure_alias(
    erasure: *const el_erasure,
    index: usize,
) -> *const c_char {
    panic::guard_nullable(|| {
        // SAFETY: the caller guarantees `erasure` is NULL or live.
        match unsafe { erasure.as_ref() }.and_then(|e| e.users.get(index)) {
            Some(u) => u.alias.as_ptr(),
            None => null(),
        }
    })
}

/// The registration ids bound to user `index`'s alias before the erasure,
/// in EngageLab's order: what the run set out to delete, not what it
/// deleted (a stopped or interrupted run, or a failed deletion, leaves some:
/// `el_erasure_summary` counts those deleted, the report names each); an
/// empty list for an alias with no device. Read with `el_id_list_count` and `el_id_list_get`;
/// owned by the erasure (never `el_id_list_free` it). NULL when `index` is
/// out of range or `erasure` is NULL.
///
/// # Safety
/// `erasure` must be NULL or a live erasure.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_erasure_registration_ids(
    erasure: *const el_erasure,
    index: usize,
) -> *const el_id_list {
    let ids = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: the caller guarantees `erasure` is NULL or live.
        match unsafe { erasure.as_ref() }.and_then(|e| e.users.get(index)) {
            Some(u) => &u.ids as *const el_id_list,
            None => null(),
        }
    }));
    ids.unwrap_or(null())
}

/// The registration ids still bound to user `index`'s alias when it was
/// resolved again after the deletions: an empty list when the erasure of
/// that user is complete. NULL when it was not checked (a dry run, an
/// interrupted or stopped run, or a failed lookup: see `el_erasure_verify_error`), or
/// when `index` is out of range. Owned by the erasure.
///
/// # Safety
/// `erasure` must be NULL or a live erasure.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_erasure_still_bound(
    erasure: *const el_erasure,
    index: usize,
) -> *const el_id_list {
    let ids = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: the caller guarantees `erasure` is NULL or live.
        match unsafe { erasure.as_ref() }.and_then(|e| e.users.get(index)) {
            Some(User {
                still_bound: Some(ids),
                ..
            }) => ids as *const el_id_list,
            _ => null(),
        }
    }));
    ids.unwrap_or(null())
}

/// Whether the second lookup of user `index` failed; if so, and `out_error`
/// is not NULL, writes that failure into `*out_error` (within its `size`).
/// False for an index out of range or a NULL `erasure`.
///
/// # Safety
/// `erasure` NULL or a live erasure; `out_error` NULL or valid for writing
/// an `el_error` with its `size` set.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_erasure_verify_error(
    erasure: *const el_erasure,
    index: usize,
    out_error: *mut el_error,
) -> bool {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: the caller guarantees `erasure` is NULL or live.
        let user = unsafe { erasure.as_ref() }.and_then(|e| e.users.get(index));
        match user.and_then(|u| u.verify_error.as_ref()) {
            Some(e) => {
                // SAFETY: the caller guarantees `out_error` is NULL or writable.
                unsafe { crate::error::write(out_error, e) };
                true
            }
            None => false,
        }
    }))
    .unwrap_or(false)
}

/// Frees an erasure made by `el_erase_users`, and every string and list it
/// returned. NULL: a no-op. Threads: only once no other thread reads it.
///
/// # Safety
/// `erasure` must be NULL or an erasure from `el_erase_users` not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_erasure_free(erasure: *mut el_erasure) {
    panic::guard_void(|| {
        if !erasure.is_null() {
            // SAFETY: the caller guarantees it came from `el_erase_users`
            // (Box::into_raw), is freed once and no longer used.
            drop(unsafe { Box::from_raw(erasure) });
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ptr::null_mut;

    use crate::error::{message_str, tests::filled};
    use crate::status::el_status::*;

    #[test]
    fn null_arguments_and_accessors() {
        // SAFETY: NULLs are allowed everywhere here.
        unsafe {
            let (mut out, mut err) = (null_mut(), filled(0));
            let st = el_erase_users(null(), null(), 0, null(), &mut out, &mut err);
            assert_eq!(st, EL_INVALID_ARGUMENT);
            assert_eq!(message_str(&err), "client is NULL");
            assert!(out.is_null());
            assert_eq!(el_erasure_user_count(null()), 0);
            assert!(el_erasure_alias(null(), 0).is_null());
            assert!(el_erasure_registration_ids(null(), 0).is_null());
            assert!(el_erasure_still_bound(null(), 0).is_null());
            assert!(!el_erasure_verify_error(null(), 0, null_mut()));
            assert!(!el_erasure_is_success(null()));
            assert_eq!(el_erasure_summary(null(), null_mut()), EL_INVALID_ARGUMENT);
            el_erasure_free(null_mut());
        }
    }
}
