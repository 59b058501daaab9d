//! The checks C arguments need before the core sees them: NULL pointers and
//! strings that are not UTF-8 are `EL_INVALID_ARGUMENT`, naming the argument.

use std::ffi::{CStr, c_char};

use engagelab::Error;

/// The UTF-8 text of the NUL-terminated string `ptr`, argument `name`.
///
/// # Safety
/// `ptr` must be NULL or point to a NUL-terminated string that stays valid and
/// unmodified for `'a`.
pub(crate) unsafe fn text<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, Error> {
    if ptr.is_null() {
        return Err(Error::invalid_argument(format!("{name} is NULL")));
    }
    // SAFETY: `ptr` is not NULL, and the caller guarantees it is a valid
    // NUL-terminated string for 'a.
    let c = unsafe { CStr::from_ptr(ptr) };
    c.to_str().map_err(|e| {
        Error::invalid_argument(format!(
            "{name} is not valid UTF-8 (at byte {})",
            e.valid_up_to()
        ))
    })
}

/// The UTF-8 texts of an array of `count` NUL-terminated strings, argument
/// `name`: NULL with a count of 0 is no text; a NULL array with a count, or
/// a NULL entry, is `EL_INVALID_ARGUMENT` naming it (`platforms[1] is NULL`).
///
/// # Safety
/// `ptr` must be NULL or point to `count` readable pointers, each NULL or a
/// NUL-terminated string, all valid and unmodified for `'a`.
pub(crate) unsafe fn texts<'a>(
    ptr: *const *const c_char,
    count: usize,
    name: &str,
) -> Result<Vec<&'a str>, Error> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if ptr.is_null() {
        return Err(Error::invalid_argument(format!(
            "{name} is NULL but its count is {count}"
        )));
    }
    // SAFETY: not NULL, and the caller guarantees `count` readable pointers.
    let entries = unsafe { std::slice::from_raw_parts(ptr, count) };
    entries
        .iter()
        .enumerate()
        // SAFETY: the caller guarantees each entry is NULL or a valid string.
        .map(|(i, p)| unsafe { text(*p, &format!("{name}[{i}]")) })
        .collect()
}

/// The object behind the pointer `ptr`, argument `name`.
///
/// # Safety
/// `ptr` must be NULL or point to a live `T` that is not mutated for `'a`.
pub(crate) unsafe fn object<'a, T>(ptr: *const T, name: &str) -> Result<&'a T, Error> {
    // SAFETY: the caller guarantees that a non-NULL `ptr` points to a live T.
    unsafe { ptr.as_ref() }.ok_or_else(|| Error::invalid_argument(format!("{name} is NULL")))
}

/// The object behind the pointer `ptr`, argument `name`, for changing it.
///
/// # Safety
/// `ptr` must be NULL or point to a live `T` that nothing else accesses for `'a`.
pub(crate) unsafe fn object_mut<'a, T>(ptr: *mut T, name: &str) -> Result<&'a mut T, Error> {
    // SAFETY: the caller guarantees that a non-NULL `ptr` points to a live T
    // with no other access for 'a.
    unsafe { ptr.as_mut() }.ok_or_else(|| Error::invalid_argument(format!("{name} is NULL")))
}

/// Checks that the output pointer `ptr`, argument `name`, is not NULL.
pub(crate) fn out<T>(ptr: *mut T, name: &str) -> Result<*mut T, Error> {
    if ptr.is_null() {
        Err(Error::invalid_argument(format!("{name} is NULL")))
    } else {
        Ok(ptr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ptr::null;

    #[test]
    fn arrays_of_texts_name_the_bad_entry() {
        let bad_utf8 = [b'a', 0xff, 0];
        let entries = [c"ios".as_ptr(), null(), bad_utf8.as_ptr().cast()];
        // SAFETY: every pointer is NULL or a NUL-terminated string that
        // outlives the calls, and the counts are within the array.
        unsafe {
            assert_eq!(texts(null(), 0, "platforms").unwrap(), Vec::<&str>::new());
            assert_eq!(texts(entries.as_ptr(), 1, "platforms").unwrap(), ["ios"]);
            let e = texts(null(), 2, "platforms").unwrap_err();
            assert_eq!(e.message(), "platforms is NULL but its count is 2");
            let e = texts(entries.as_ptr(), 2, "platforms").unwrap_err();
            assert_eq!(e.message(), "platforms[1] is NULL");
            let e = texts(entries[2..].as_ptr(), 1, "platforms").unwrap_err();
            assert_eq!(e.message(), "platforms[0] is not valid UTF-8 (at byte 1)");
        }
    }
}
