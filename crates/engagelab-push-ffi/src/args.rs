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
