//! The panic guard every exported body runs in: a Rust panic never crosses
//! into C (rustls-ffi `librustls/src/panic.rs`).

use std::ffi::{CStr, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::error::{self, el_error};
use crate::status_code::el_status;
use engagelab::Error;

/// Runs `body`, turning a panic into an `Internal` failure.
///
/// `name` is the exported function's name, for the message of a caught panic.
/// The panic's payload is deliberately left out of the message: it could
/// contain anything, and the message must never contain a secret.
pub(crate) fn catch(name: &str, body: impl FnOnce() -> Result<(), Error>) -> Result<(), Error> {
    // AssertUnwindSafe: after a panic nothing `body` touched is observed
    // half-updated; setters replace their state only once the new one is built.
    catch_unwind(AssertUnwindSafe(body))
        .unwrap_or_else(|_| Err(Error::internal(format!("a panic was caught in {name}"))))
}

/// The status code of `result`, its failure written to `out_error`.
///
/// # Safety
/// `out_error` must be NULL or valid for writing an `el_error`.
pub(crate) unsafe fn report(out_error: *mut el_error, result: Result<(), Error>) -> el_status {
    match result {
        Ok(()) => el_status::EL_OK,
        Err(failure) => {
            // SAFETY: the caller guarantees `out_error` is NULL or writable.
            unsafe { error::write(out_error, &failure) };
            el_status::of(failure.kind())
        }
    }
}

/// Runs `body`, a function without an error channel, and returns its result,
/// or `on_panic` if it panicked.
pub(crate) fn guard_ptr(
    on_panic: &'static CStr,
    body: impl FnOnce() -> *const c_char,
) -> *const c_char {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(on_panic.as_ptr())
}

/// Runs `body`, an accessor whose NULL means "none", and returns its result,
/// or NULL if it panicked.
pub(crate) fn guard_nullable(body: impl FnOnce() -> *const c_char) -> *const c_char {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(std::ptr::null())
}

/// Runs `body`, an accessor returning a count, and returns its result, or 0
/// if it panicked.
pub(crate) fn guard_size(body: impl FnOnce() -> usize) -> usize {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(0)
}

/// Runs `body`, a function without a result (the `_free` functions); a panic
/// is swallowed, as there is nowhere to report it.
pub(crate) fn guard_void(body: impl FnOnce()) {
    let _ = catch_unwind(AssertUnwindSafe(body));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_el_internal() {
        // The caller sets `size` (the library reads it to know what it may
        // write): an uninitialised record would make the test depend on
        // whatever the stack held.
        let mut out = error::tests::filled(0);
        // SAFETY: `out` is writable, its size set.
        let status = unsafe { report(&mut out, catch("el_test", || panic!("secret-in-payload"))) };
        assert_eq!(status, el_status::EL_INTERNAL);
        assert_eq!(out.status, el_status::EL_INTERNAL as u32);
        let msg = error::message_str(&out);
        assert!(msg.contains("el_test"), "{msg}");
        assert!(!msg.contains("secret-in-payload"), "{msg}");
    }

    #[test]
    fn success_leaves_out_error_alone() {
        let mut out = error::tests::filled(0x55);
        // SAFETY: `out` is writable.
        let status = unsafe { report(&mut out, catch("el_test", || Ok(()))) };
        assert_eq!(status, el_status::EL_OK);
        assert_eq!(out.status, 0x5555_5555);
    }

    #[test]
    fn a_null_out_error_is_allowed() {
        // SAFETY: NULL is allowed.
        let status = unsafe {
            report(
                std::ptr::null_mut(),
                Err(Error::invalid_argument("x is NULL")),
            )
        };
        assert_eq!(status, el_status::EL_INVALID_ARGUMENT);
        assert_eq!(
            guard_ptr(c"fallback", || panic!("boom")),
            c"fallback".as_ptr()
        );
        guard_void(|| panic!("swallowed"));
        assert!(guard_nullable(|| panic!("boom")).is_null());
        assert_eq!(guard_size(|| panic!("boom")), 0);
    }
}
