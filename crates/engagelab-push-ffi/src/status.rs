//! Status codes: `el_status` and `el_status_name`. The codes and names come
//! from the core's `ErrorKind::code()` and `ErrorKind::name()`; this enum only
//! gives C its constants, and the tests hold it to the core.

use std::ffi::{CString, c_char};
use std::sync::OnceLock;

use engagelab::ErrorKind;

use crate::panic;

/// The status code every fallible `el_` function returns: `EL_OK` (0) on
/// success, else the category of the failure as the error model defines it.
/// Codes are stable and never reused; new ones may be added, so treat an
/// unknown code as a failure. Functions return it as `uint32_t`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum el_status {
    /// Success.
    EL_OK = 0,
    /// Rejected before any request was sent: a NULL pointer, a string that is
    /// not UTF-8, a bad registration id, credential, base URL or setting.
    EL_INVALID_ARGUMENT = 1,
    /// EngageLab refused the credentials (HTTP 401/403, or codes 21004, 27001,
    /// 21008, 21038, 23009).
    EL_AUTH = 2,
    /// EngageLab does not know the registration id for this AppKey (HTTP 404
    /// or code 20101).
    EL_NOT_FOUND = 3,
    /// Throttled (HTTP 429 or code 23008) and retries are spent.
    EL_RATE_LIMITED = 4,
    /// EngageLab failed (HTTP 5xx, or codes 27000 / 21030) and retries are spent.
    EL_SERVER = 5,
    /// Any other non-2xx answer, e.g. HTTP 400 with code 27002.
    EL_API = 6,
    /// The overall deadline, or a connect or read timeout, passed.
    EL_TIMEOUT = 7,
    /// The connection could not be made or was lost: refused, reset, DNS, TLS
    /// or proxy failure.
    EL_NETWORK = 8,
    /// An answer that is not usable: not HTTP, a redirect (never followed), or
    /// an error body over the size cap.
    EL_INVALID_RESPONSE = 9,
    /// A bug caught at the boundary (a Rust panic never crosses into C).
    EL_INTERNAL = 10,
}

/// The name of a status code: `"OK"`, or the error model's category name
/// (`"INVALID_ARGUMENT"`, `"AUTH"`, ..., `"INTERNAL"`), or `"UNKNOWN"` for a
/// code this version does not define.
///
/// Ownership: the string is static; never free or modify it.
/// NULL: never returns NULL, for any `status`.
/// Threads: safe to call from any thread at any time.
#[unsafe(no_mangle)]
pub extern "C" fn el_status_name(status: u32) -> *const c_char {
    static NAMES: OnceLock<Vec<(u32, CString)>> = OnceLock::new();
    panic::guard_ptr(c"UNKNOWN", || {
        if status == el_status::EL_OK as u32 {
            return c"OK".as_ptr();
        }
        let names = NAMES.get_or_init(|| {
            ErrorKind::ALL
                .iter()
                .map(|k| (k.code(), CString::new(k.name()).unwrap_or_default()))
                .collect()
        });
        names
            .iter()
            .find(|(code, _)| *code == status)
            .map_or(c"UNKNOWN".as_ptr(), |(_, name)| name.as_ptr())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    fn name(status: u32) -> &'static str {
        // SAFETY: el_status_name returns a static NUL-terminated string.
        unsafe { CStr::from_ptr(el_status_name(status)) }
            .to_str()
            .unwrap()
    }

    #[test]
    fn the_enum_is_the_cores_codes() {
        use el_status::*;
        let c = [
            EL_INVALID_ARGUMENT,
            EL_AUTH,
            EL_NOT_FOUND,
            EL_RATE_LIMITED,
            EL_SERVER,
            EL_API,
            EL_TIMEOUT,
            EL_NETWORK,
            EL_INVALID_RESPONSE,
            EL_INTERNAL,
        ];
        assert_eq!(c.len(), ErrorKind::ALL.len());
        for (status, kind) in c.iter().zip(ErrorKind::ALL) {
            assert_eq!(*status as u32, kind.code());
            assert_eq!(format!("{status:?}"), format!("EL_{}", kind.name()));
            assert_eq!(name(*status as u32), kind.name());
        }
    }

    #[test]
    fn names_never_null() {
        assert_eq!(name(0), "OK");
        assert_eq!(name(11), "UNKNOWN");
        assert_eq!(name(u32::MAX), "UNKNOWN");
    }
}
