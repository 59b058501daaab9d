//! `el_client_describe`: the core's own description of a client, which every
//! binding shows as its `toString`, `repr` or `String()`.

use std::ffi::c_char;

use crate::client::el_client;
use crate::text;

/// Writes the core's description of `client` into `buf`: its AppKey, region
/// (`none` under a custom base URL), base URL, overall timeout, retries and
/// whether a proxy is used, e.g. `app_key="my-app-key", region=sgp,
/// base_url="https://pushapi-sgp.engagelab.com", timeout=30s, max_retries=2,
/// proxy=no`. Never the Master Secret, nor the proxy's URL. Bindings show
/// it instead of rebuilding one from their own copy of the settings.
///
/// Returns the description's length in bytes without the NUL, whatever `len`
/// is (as `snprintf` and `el_error_describe`): if it is `len` or more, the
/// text was cut (on a character boundary) and a buffer of the returned
/// length + 1 holds it whole.
///
/// Ownership: `buf` belongs to the caller. NULL: `client` NULL describes
/// nothing (returns 0, and writes an empty string when `len` > 0); `buf` may
/// be NULL when `len` is 0, to ask for the length.
/// Threads: safe from any thread, while calls run on the client.
///
/// # Safety
/// `client` must be NULL or a live client; `buf` must be valid for writing
/// `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_client_describe(
    client: *const el_client,
    buf: *mut c_char,
    len: usize,
) -> usize {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: the caller guarantees `client` is NULL or a live client.
        let description = unsafe { client.as_ref() }.map(|c| c.client.describe());
        // SAFETY: the caller guarantees `buf` is writable for `len` bytes.
        unsafe { text::write(description.as_deref().unwrap_or(""), buf, len) }
    }))
    .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{el_client_free, el_client_new};
    use crate::config::{el_config_free, el_config_new, el_config_set_region};
    use crate::status::el_status::EL_OK;
    use std::ffi::CStr;
    use std::ptr::{null, null_mut};

    #[test]
    fn the_description_is_the_cores_and_holds_no_secret() {
        // SAFETY: valid strings, writable out pointers, live objects.
        unsafe {
            let mut config = null_mut();
            let status = el_config_new(
                c"app-key-7".as_ptr(),
                c"the-master-secret".as_ptr(),
                &mut config,
                null_mut(),
            );
            assert_eq!(status, EL_OK);
            assert_eq!(
                el_config_set_region(config, c"JPN".as_ptr(), null_mut()),
                EL_OK
            );
            let mut client = null_mut();
            assert_eq!(el_client_new(config, &mut client, null_mut()), EL_OK);
            let n = el_client_describe(client, null_mut(), 0);
            let mut buf = vec![0 as c_char; n + 1];
            assert_eq!(el_client_describe(client, buf.as_mut_ptr(), buf.len()), n);
            let text = CStr::from_ptr(buf.as_ptr()).to_str().unwrap();
            assert_eq!(text, (*client).client.describe());
            assert!(text.contains("region=jpn"), "{text}");
            assert!(text.contains("app_key=\"app-key-7\""), "{text}");
            assert!(!text.contains("the-master-secret"), "{text}");
            let mut small = [0x55 as c_char; 8];
            assert_eq!(el_client_describe(client, small.as_mut_ptr(), 8), n);
            assert_eq!(CStr::from_ptr(small.as_ptr()).to_bytes(), b"app_key");
            assert_eq!(el_client_describe(null(), small.as_mut_ptr(), 8), 0);
            assert_eq!(small[0], 0);
            el_client_free(client);
            el_config_free(config);
        }
    }
}
