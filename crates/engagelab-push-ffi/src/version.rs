//! The library's version: the `EL_VERSION_*` macros and `el_version`.

use std::ffi::{CString, c_char};
use std::sync::OnceLock;

use crate::panic;

/// The major version of this library, as in Cargo.toml (checked by the tests).
pub const EL_VERSION_MAJOR: u32 = 0;
/// The minor version of this library, as in Cargo.toml (checked by the tests).
pub const EL_VERSION_MINOR: u32 = 1;
/// The patch version of this library, as in Cargo.toml (checked by the tests).
pub const EL_VERSION_PATCH: u32 = 0;

/// The library's version, e.g. `"0.1.0"`: the version of the library actually
/// linked, which may differ from the `EL_VERSION_*` macros of the header a
/// program was compiled with.
///
/// Ownership: the string is static; never free or modify it.
/// NULL: never returns NULL.
/// Threads: safe to call from any thread at any time.
#[unsafe(no_mangle)]
pub extern "C" fn el_version() -> *const c_char {
    static VERSION: OnceLock<CString> = OnceLock::new();
    panic::guard_ptr(c"", || {
        VERSION
            .get_or_init(|| CString::new(engagelab::VERSION).unwrap_or_default())
            .as_ptr()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn version_macros_match_cargo_toml_and_the_core() {
        let parse = |s: &str| s.parse::<u32>().unwrap();
        assert_eq!(EL_VERSION_MAJOR, parse(env!("CARGO_PKG_VERSION_MAJOR")));
        assert_eq!(EL_VERSION_MINOR, parse(env!("CARGO_PKG_VERSION_MINOR")));
        assert_eq!(EL_VERSION_PATCH, parse(env!("CARGO_PKG_VERSION_PATCH")));
        // SAFETY: el_version returns a static NUL-terminated string.
        let v = unsafe { CStr::from_ptr(el_version()) }.to_str().unwrap();
        assert_eq!(v, engagelab::VERSION);
        assert_eq!(
            v,
            format!("{EL_VERSION_MAJOR}.{EL_VERSION_MINOR}.{EL_VERSION_PATCH}")
        );
    }
}
