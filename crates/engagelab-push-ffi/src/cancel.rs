//! `el_cancel` (a cancel token) and `el_call_options`, which carry it into a
//! call.

use std::ffi::c_void;
use std::mem::{offset_of, size_of};
use std::time::Duration;

use engagelab::{CallOptions, CancelToken, Error};

use crate::args;
use crate::panic;
use crate::status::el_status;

/// A cancel token (opaque): cancelling it stops every single call that was
/// given it (one device, one alias, a check) within about 20 ms,
/// mid-request included. A bulk run or an erasure given it sends nothing
/// more at once, but returns (`EL_OK`, `interrupted`) only once its
/// requests in flight end, at most `EL_CANCEL_GRACE_MS` later; those
/// requests may still delete their devices. Create with `el_cancel_new`,
/// cancel with `el_cancel_cancel`, free with `el_cancel_free`. Once cancelled
/// it stays cancelled: use a new token for new calls.
///
/// Threads: every function on a token is safe from any thread at any time,
/// except `el_cancel_free`, which must come after the blocking calls using it
/// return (asynchronous calls keep their own share of it).
pub struct el_cancel {
    token: CancelToken,
}

impl el_cancel {
    /// The core's token for a call that runs where `runs` says: a token made
    /// by `el_cancel_new_with_check` is refused for a call on the library's
    /// threads, where its check would run (and could outlive its user data).
    pub(crate) fn token_for(&self, runs: Runs) -> Result<CancelToken, Error> {
        if runs == Runs::OnLibraryThreads && self.token.has_check() {
            return Err(Error::invalid_argument(
                "options->cancel was made by el_cancel_new_with_check, whose check runs only \
                 on the calling thread: an asynchronous call takes a token from el_cancel_new",
            ));
        }
        Ok(self.token.clone())
    }
}

/// Where a call given a cancel token runs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Runs {
    /// A blocking call: on the caller's thread while it waits.
    OnCaller,
    /// An `_async` call: on the library's own threads.
    OnLibraryThreads,
}

/// Per-call options for the `_with` calls, in memory the caller owns.
///
/// Extensible like `el_error`: the caller sets `size` to
/// `sizeof(el_call_options)` (most simply `el_call_options o =
/// EL_CALL_OPTIONS_INIT;`); fields are only ever appended, and the library
/// reads only the fields within `size`, the rest taking their defaults.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct el_call_options {
    /// Set by the caller: `sizeof(el_call_options)`.
    pub size: usize,
    /// A cancel token that stops the call; NULL for none.
    pub cancel: *const el_cancel,
    /// The call's overall deadline in milliseconds when it is earlier than the
    /// client's timeout (the earlier applies). Read as `has_timeout` says.
    pub timeout_ms: u64,
    /// Whether `timeout_ms` is given as is, 0 included: a per-call timeout
    /// of 0 is a deadline already passed, so the call fails with
    /// `EL_TIMEOUT`, `attempts` 0, and sends nothing. When false (or beyond
    /// `size`, from a caller built before this field) a `timeout_ms` of 0
    /// means no per-call timeout, as it always did.
    pub has_timeout: bool,
}

/// The per-call timeout a record gives: `timeout_ms` when `has_timeout`, or
/// when it is not 0 (records that predate `has_timeout`, or leave it false).
pub(crate) fn per_call_timeout(timeout_ms: u64, has_timeout: bool) -> Option<Duration> {
    (has_timeout || timeout_ms > 0).then(|| Duration::from_millis(timeout_ms))
}

impl el_call_options {
    /// The core's options from a caller's record (NULL: none).
    ///
    /// # Safety
    /// `options` must be NULL or readable for its `size` bytes, with `cancel`
    /// NULL or a live token.
    pub(crate) unsafe fn read(
        options: *const el_call_options,
        runs: Runs,
    ) -> Result<CallOptions, Error> {
        let mut out = CallOptions::new();
        if options.is_null() {
            return Ok(out);
        }
        // SAFETY: `options` is not NULL and the caller guarantees `size` is
        // readable.
        let size = unsafe { std::ptr::addr_of!((*options).size).read_unaligned() };
        let has = |offset: usize, len: usize| offset + len <= size;
        if size < size_of::<usize>() {
            return Err(Error::invalid_argument(
                "options->size is not set; use EL_CALL_OPTIONS_INIT",
            ));
        }
        if has(
            offset_of!(el_call_options, cancel),
            size_of::<*const el_cancel>(),
        ) {
            // SAFETY: the field lies within the `size` readable bytes.
            let cancel = unsafe { std::ptr::addr_of!((*options).cancel).read_unaligned() };
            // SAFETY: the caller guarantees `cancel` is NULL or a live token.
            if let Some(cancel) = unsafe { cancel.as_ref() } {
                out = out.cancel(cancel.token_for(runs)?);
            }
        }
        let mut ms = 0;
        if has(offset_of!(el_call_options, timeout_ms), size_of::<u64>()) {
            // SAFETY: the field lies within the `size` readable bytes.
            ms = unsafe { std::ptr::addr_of!((*options).timeout_ms).read_unaligned() };
        }
        let mut given = false;
        if has(offset_of!(el_call_options, has_timeout), size_of::<bool>()) {
            // SAFETY: the field lies within the `size` readable bytes; the
            // byte is read as a u8 so that any value a C caller wrote is
            // defined (non-zero is true).
            given = unsafe {
                std::ptr::addr_of!((*options).has_timeout)
                    .cast::<u8>()
                    .read_unaligned()
            } != 0;
        }
        if let Some(timeout) = per_call_timeout(ms, given) {
            out = out.timeout(timeout);
        }
        Ok(out)
    }
}

/// Creates a cancel token, not cancelled.
///
/// Ownership: on success `*out_cancel` receives a token owned by the caller,
/// to be freed with `el_cancel_free`. NULL: `out_cancel` NULL gives
/// `EL_INVALID_ARGUMENT`. Threads: safe from any thread.
///
/// # Safety
/// `out_cancel` must be NULL or valid for writing a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_cancel_new(out_cancel: *mut *mut el_cancel) -> el_status {
    let result = panic::catch("el_cancel_new", || {
        let out = args::out(out_cancel, "out_cancel")?;
        let cancel = Box::new(el_cancel {
            token: CancelToken::new(),
        });
        // SAFETY: `out` is not NULL and the caller guarantees it is writable.
        unsafe { out.write(Box::into_raw(cancel)) };
        Ok(())
    });
    // SAFETY: NULL is a valid `out_error`.
    unsafe { panic::report(std::ptr::null_mut(), result) }
}

/// The check of a token made by `el_cancel_new_with_check`: returns true to
/// cancel the token. Given the `user_data` of `el_cancel_new_with_check`.
pub type el_cancel_check_fn = Option<unsafe extern "C" fn(user_data: *mut c_void) -> bool>;

/// The caller's user data, handed back to its check as is.
#[derive(Clone, Copy)]
struct CheckData(*mut c_void);

// SAFETY: the pointer is only handed back to the caller's check; the caller
// guarantees (see `el_cancel_new_with_check`) that its check may run on the
// threads it calls from.
unsafe impl Send for CheckData {}
// SAFETY: as above.
unsafe impl Sync for CheckData {}

/// Creates a cancel token, not cancelled, that also becomes cancelled as
/// soon as `check(user_data)` returns true. A call given the token runs the
/// check on the thread that made the call, only while it waits (about every
/// 20 ms; a call that never waits never runs it), never on the library's
/// own threads: a bulk run runs it on its calling thread too, and an
/// asynchronous call (`_async`) refuses the token (`EL_INVALID_ARGUMENT`,
/// not started), as it has no waiting thread to run it on. This is how
/// a language whose signal handlers run only on its own thread (PHP's
/// `pcntl_signal`, Python's) stops a call on Ctrl-C: the check runs them.
///
/// The check must return normally (no `longjmp`, no C++ exception), may
/// call `el_cancel_cancel`, and must not start another call given this
/// token. `el_cancel_is_cancelled` runs it too, on its caller's thread.
///
/// Ownership: as `el_cancel_new`; `user_data` is not owned and must stay
/// valid until `el_cancel_free`. NULL: `out_cancel` or `check` NULL gives
/// `EL_INVALID_ARGUMENT`. Threads: the token may be used and cancelled from
/// any thread, as any token; the check runs only as said above.
///
/// # Safety
/// `out_cancel` must be NULL or valid for writing a pointer; `check` must be
/// safe to call with `user_data` on every thread that calls a function
/// given the token, until `el_cancel_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_cancel_new_with_check(
    check: el_cancel_check_fn,
    user_data: *mut c_void,
    out_cancel: *mut *mut el_cancel,
) -> el_status {
    let result = panic::catch("el_cancel_new_with_check", || {
        let out = args::out(out_cancel, "out_cancel")?;
        let Some(check) = check else {
            return Err(Error::invalid_argument("check is NULL"));
        };
        let data = CheckData(user_data);
        let token = CancelToken::with_check(move || {
            let data = data;
            // SAFETY: the caller guarantees the check may run here with its
            // user data (see # Safety).
            unsafe { check(data.0) }
        });
        let cancel = Box::new(el_cancel { token });
        // SAFETY: `out` is not NULL and the caller guarantees it is writable.
        unsafe { out.write(Box::into_raw(cancel)) };
        Ok(())
    });
    // SAFETY: NULL is a valid `out_error`.
    unsafe { panic::report(std::ptr::null_mut(), result) }
}

/// Cancels the token: every single call given it stops within about 20 ms
/// with `EL_CANCELLED`, and calls given it later return `EL_CANCELLED` at
/// once. A bulk run or an erasure given it sends no further request and
/// returns `EL_OK` with `interrupted` set once its requests in flight end,
/// at most `EL_CANCEL_GRACE_MS` after the cancel (see `el_cancel`).
///
/// NULL: a no-op. Threads: safe from any thread, while calls run. Only
/// stores a flag and wakes sleeping calls.
///
/// # Safety
/// `cancel` must be NULL or a live token.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_cancel_cancel(cancel: *const el_cancel) {
    panic::guard_void(|| {
        // SAFETY: the caller guarantees `cancel` is NULL or a live token.
        if let Some(cancel) = unsafe { cancel.as_ref() } {
            cancel.token.cancel();
        }
    });
}

/// Whether the token was cancelled. NULL: false. Threads: safe from any thread.
///
/// # Safety
/// `cancel` must be NULL or a live token.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_cancel_is_cancelled(cancel: *const el_cancel) -> bool {
    // SAFETY: the caller guarantees `cancel` is NULL or a live token.
    let cancel = unsafe { cancel.as_ref() };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        cancel.is_some_and(|c| c.token.is_cancelled())
    }))
    .unwrap_or(false)
}

/// Frees a token made by `el_cancel_new`.
///
/// Ownership: takes `cancel` back; do not use it afterwards. NULL: a no-op.
/// Threads: only once no blocking call that was given it is still running.
/// An asynchronous call (`el_delete_device_async` and the like) keeps what it
/// needs of the token: free it any time after the call started; a call still
/// waiting or running is then no longer cancelled through it.
///
/// # Safety
/// `cancel` must be NULL or a token from `el_cancel_new` not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_cancel_free(cancel: *mut el_cancel) {
    panic::guard_void(|| {
        if !cancel.is_null() {
            // SAFETY: the caller guarantees `cancel` came from `el_cancel_new`
            // (Box::into_raw) and is freed only once.
            drop(unsafe { Box::from_raw(cancel) });
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The per-call timeout the core got, as its `Debug` shows it.
    fn read(options: &el_call_options) -> Option<Duration> {
        // SAFETY: a live record whose `size` is at most its own size.
        let out = unsafe { el_call_options::read(options, Runs::OnCaller) }.unwrap();
        let shown = format!("{out:?}");
        [None, Some(Duration::ZERO), Some(Duration::from_millis(250))]
            .into_iter()
            .find(|t| shown.contains(&format!("timeout: {t:?},")))
            .unwrap_or_else(|| panic!("{shown}"))
    }

    #[test]
    fn has_timeout_tells_a_timeout_of_zero_from_none() {
        let mut o = el_call_options {
            size: size_of::<el_call_options>(),
            cancel: std::ptr::null(),
            timeout_ms: 0,
            has_timeout: false,
        };
        assert_eq!(read(&o), None);
        o.has_timeout = true;
        assert_eq!(read(&o), Some(Duration::ZERO));
        o.timeout_ms = 250;
        assert_eq!(read(&o), Some(Duration::from_millis(250)));
        o.has_timeout = false;
        assert_eq!(read(&o), Some(Duration::from_millis(250)));
        // A caller built before `has_timeout`: its size stops short of it.
        o.size = offset_of!(el_call_options, has_timeout);
        o.has_timeout = true;
        o.timeout_ms = 0;
        assert_eq!(read(&o), None);
    }
}
