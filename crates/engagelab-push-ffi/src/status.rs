//! `el_status_name`. The `el_status` codes themselves are generated from the
//! error model (`status_code.rs`); the tests hold them to the core's.

use std::ffi::{CString, c_char};
use std::sync::OnceLock;

use engagelab::ErrorKind;

use crate::panic;

pub use crate::status_code::el_status;

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
        assert_eq!(el_status::of(ErrorKind::Cancelled), EL_CANCELLED);
        let c: Vec<el_status> = ErrorKind::ALL.iter().map(|k| el_status::of(*k)).collect();
        for (status, kind) in c.iter().zip(ErrorKind::ALL) {
            assert_eq!(*status as u32, kind.code());
            assert_eq!(format!("{status:?}"), format!("EL_{}", kind.name()));
            assert_eq!(name(*status as u32), kind.name());
        }
    }

    #[test]
    fn names_never_null() {
        assert_eq!(name(0), "OK");
        assert_eq!(name(ErrorKind::ALL.len() as u32 + 1), "UNKNOWN");
        assert_eq!(name(u32::MAX), "UNKNOWN");
    }
}
