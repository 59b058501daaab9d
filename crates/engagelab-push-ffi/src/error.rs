//! `el_error`, the caller-owned record of a failure, and how a failure is
//! written into it.

use std::ffi::c_char;

use engagelab::Error;

use crate::text::{self, elide_middle};

/// The size of `el_error.message` in bytes, the terminating NUL included.
pub const EL_ERROR_MESSAGE_LEN: usize = 256;

/// The details of a failed call, in memory the caller owns (e.g. on the
/// stack). A function taking an `el_error *out_error` writes it when it fails
/// and leaves it untouched when it succeeds; `out_error` may be NULL when the
/// status code is enough.
///
/// Extensible (the libgit2/Win32 way): the caller sets `size` to
/// `sizeof(el_error)` before the call, most simply with
/// `el_error err = EL_ERROR_INIT;`. New fields are only ever appended, and the
/// library writes only the fields that lie wholly within `size` bytes, so a
/// program built against an older header keeps working with a newer library.
/// A `size` too small to hold `status` means nothing is written.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct el_error {
    /// Set by the caller: `sizeof(el_error)` as its header declares it. Never
    /// written by the library.
    pub size: usize,
    /// The status code, equal to the function's return value (an `el_status`).
    pub status: u32,
    /// The HTTP status of the final attempt's response; 0 when no response
    /// arrived.
    pub http_status: u16,
    /// EngageLab's `code` from the error body; 0 when there was none.
    pub api_code: i64,
    /// How many attempts were made (1 + retries): each tried a connection
    /// and, if it opened, sent the request, so a refused connection counts
    /// too. 0 when the call was rejected (or cancelled, or out of time) before
    /// any attempt.
    pub attempts: u32,
    /// For `EL_RATE_LIMITED`, the server's hint (`Retry-After` or
    /// `X-Rate-Limit-Reset`) in milliseconds; 0 when there was none.
    pub retry_after_ms: u32,
    /// What went wrong: EngageLab's message, else a short excerpt of the body,
    /// else a description of the local failure (naming the argument for an
    /// `EL_INVALID_ARGUMENT`). Always NUL-terminated and valid UTF-8; a
    /// longer text keeps its start and its end (where the cause is), joined
    /// by `…`. Never contains the Master Secret or the Authorization header.
    pub message: [c_char; EL_ERROR_MESSAGE_LEN],
    /// Whether an attempt may already have deleted the device although the
    /// call failed (a request was sent and its outcome is unknown). Check the
    /// device before acting on the failure.
    pub maybe_deleted: bool,
}

/// Writes `failure` into `*out`: every field that lies wholly within the
/// `size` the caller set; nothing when `out` is NULL. The status is the core's
/// code for the category.
///
/// # Safety
/// `out` must be NULL or point to memory whose first field `size` is
/// initialised and which is valid for writing `size` bytes.
pub(crate) unsafe fn write(out: *mut el_error, failure: &Error) {
    use std::mem::{MaybeUninit, offset_of, size_of, size_of_val};
    if out.is_null() {
        return;
    }
    // SAFETY: `out` is not NULL and the caller guarantees `size` is readable.
    let size = unsafe { std::ptr::addr_of!((*out).size).read_unaligned() };
    let mut message = [0 as c_char; EL_ERROR_MESSAGE_LEN];
    let text = elide_middle(failure.message(), EL_ERROR_MESSAGE_LEN - 1);
    for (dst, src) in message.iter_mut().zip(text.bytes()) {
        *dst = src as c_char;
    }
    let retry_after_ms = failure.retry_after().map_or(0, |d| {
        // A hint shorter than 1 ms is still a hint: report it as 1, not 0.
        u32::try_from(d.as_millis()).unwrap_or(u32::MAX).max(1)
    });
    // Built in zeroed memory, so that its padding bytes are initialised too.
    let mut record = MaybeUninit::<el_error>::zeroed();
    let r = record.as_mut_ptr();
    // SAFETY: `r` points to a live, aligned el_error; the fields are written
    // in place, leaving the zeroed padding as it is.
    unsafe {
        (*r).size = size;
        (*r).status = crate::status_code::el_status::of(failure.kind()) as u32;
        (*r).http_status = failure.http_status().unwrap_or(0);
        (*r).api_code = failure.api_code().unwrap_or(0);
        (*r).attempts = failure.attempts();
        (*r).retry_after_ms = retry_after_ms;
        (*r).message = message;
        (*r).maybe_deleted = failure.maybe_deleted();
    }
    // SAFETY: every field was written above.
    let record = unsafe { record.assume_init() };
    // The end of each field, in declaration order: write up to the last one
    // that fits wholly within `size`.
    let ends = [
        offset_of!(el_error, status) + size_of::<u32>(),
        offset_of!(el_error, http_status) + size_of::<u16>(),
        offset_of!(el_error, api_code) + size_of::<i64>(),
        offset_of!(el_error, attempts) + size_of::<u32>(),
        offset_of!(el_error, retry_after_ms) + size_of::<u32>(),
        offset_of!(el_error, message) + size_of_val(&record.message),
        offset_of!(el_error, maybe_deleted) + size_of::<bool>(),
    ];
    let Some(len) = ends.iter().copied().filter(|end| *end <= size).max() else {
        return;
    };
    let from = offset_of!(el_error, status);
    // SAFETY: `from..len` lies within both `record` and the `size` bytes the
    // caller guarantees writable at `out`; the two do not overlap.
    unsafe {
        std::ptr::copy_nonoverlapping(
            (&record as *const el_error as *const u8).add(from),
            (out as *mut u8).add(from),
            len - from,
        );
    }
}

/// The error a record describes, reading only the fields within its `size`
/// (a missing field reads as none); `None` for a status this library does not
/// define.
///
/// # Safety
/// `err` must point to a record whose `size` is initialised and which is
/// readable for `size` bytes.
unsafe fn read(err: *const el_error) -> Option<Error> {
    use std::mem::{offset_of, size_of};
    // SAFETY: the caller guarantees `size` is readable.
    let size = unsafe { std::ptr::addr_of!((*err).size).read_unaligned() };
    let has = |offset: usize, len: usize| offset + len <= size;
    macro_rules! field {
        ($name:ident, $ty:ty) => {
            if has(offset_of!(el_error, $name), size_of::<$ty>()) {
                // SAFETY: the field lies within the caller's `size` bytes.
                Some(unsafe {
                    std::ptr::addr_of!((*err).$name)
                        .cast::<$ty>()
                        .read_unaligned()
                })
            } else {
                None
            }
        };
    }
    let status: u32 = field!(status, u32)?;
    let kind = engagelab::ErrorKind::ALL
        .into_iter()
        .find(|k| k.code() == status)?;
    let message = field!(message, [c_char; EL_ERROR_MESSAGE_LEN])
        .map(|m| {
            let bytes: Vec<u8> = m
                .iter()
                .take_while(|c| **c != 0)
                .map(|c| *c as u8)
                .collect();
            String::from_utf8_lossy(&bytes).into_owned()
        })
        .unwrap_or_default();
    Some(Error::from_parts(
        kind,
        field!(http_status, u16).filter(|s| *s != 0),
        field!(api_code, i64).filter(|c| *c != 0),
        message,
        field!(attempts, u32).unwrap_or(0),
        field!(retry_after_ms, u32)
            .filter(|ms| *ms != 0)
            .map(|ms| std::time::Duration::from_millis(u64::from(ms))),
        field!(maybe_deleted, u8).is_some_and(|b| b != 0),
    ))
}

/// Writes the sentence that describes a failure into `buf`: what happened,
/// the HTTP status and code, the message, the attempts, the server's hint,
/// what to do, and whether the device may already be deleted — the same text
/// as the Rust core's error and Python's `str(exc)`. Bindings show it instead
/// of composing their own.
///
/// Returns the sentence's length in bytes without the NUL, whatever `len` is
/// (as `snprintf`): if it is `len` or more, the text was cut (on a character
/// boundary) and a buffer of the returned length + 1 holds it whole.
///
/// Ownership: `buf` belongs to the caller. NULL: `err` NULL describes nothing
/// (returns 0); `buf` may be NULL when `len` is 0, to ask for the length. A
/// record with a status this library does not define gets a fixed sentence. Threads: safe from any thread.
///
/// # Safety
/// `err` must be NULL or a record written by this library (or with `size`
/// set and readable for `size` bytes); `buf` must be valid for writing `len`
/// bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_error_describe(
    err: *const el_error,
    buf: *mut c_char,
    len: usize,
) -> usize {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: the caller guarantees `err` is NULL or a readable record.
        let text = unsafe { err.as_ref() }.map(|_| {
            // SAFETY: as above, and `err` is not NULL.
            match unsafe { read(err) } {
                Some(error) => error.to_string(),
                None => String::from("a failure of a category this library does not know"),
            }
        });
        // SAFETY: the caller guarantees `buf` is writable for `len` bytes.
        unsafe { text::write(text.as_deref().unwrap_or(""), buf, len) }
    }))
    .unwrap_or(0)
}

/// The message of a written record, for tests.
#[cfg(test)]
pub(crate) fn message_str(e: &el_error) -> String {
    // SAFETY: `write` always NUL-terminates the message.
    let c = unsafe { std::ffi::CStr::from_ptr(e.message.as_ptr()) };
    c.to_str().expect("messages are UTF-8").to_owned()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A record with every byte set to `byte` (but a valid `size` and
    /// `maybe_deleted`), to see what a call writes.
    pub(crate) fn filled(byte: u8) -> el_error {
        let mut e = std::mem::MaybeUninit::<el_error>::uninit();
        // SAFETY: every bit pattern of `byte` repeated is a valid el_error
        // except for `maybe_deleted`, which is reset right after.
        unsafe {
            std::ptr::write_bytes(e.as_mut_ptr(), byte, 1);
            std::ptr::addr_of_mut!((*e.as_mut_ptr()).maybe_deleted).write(false);
            std::ptr::addr_of_mut!((*e.as_mut_ptr()).size).write(std::mem::size_of::<el_error>());
            e.assume_init()
        }
    }

    #[test]
    fn describe_gives_the_cores_sentence_and_its_length() {
        let error = Error::from_parts(
            engagelab::ErrorKind::Api,
            Some(400),
            Some(27002),
            "unknown error",
            3,
            None,
            true,
        );
        let mut out = filled(0);
        // SAFETY: `out` is writable.
        unsafe { write(&mut out, &error) };
        let want = error.to_string();
        let mut buf = [0 as c_char; 512];
        // SAFETY: `out` is a written record; `buf` is writable for its length.
        let n = unsafe { el_error_describe(&out, buf.as_mut_ptr(), buf.len()) };
        assert_eq!(n, want.len());
        // SAFETY: el_error_describe NUL-terminates.
        let got = unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) };
        assert_eq!(got.to_str().unwrap(), want);
        // A short buffer: cut, NUL-terminated, full length returned.
        let mut small = [0x55 as c_char; 8];
        // SAFETY: as above.
        let n = unsafe { el_error_describe(&out, small.as_mut_ptr(), small.len()) };
        assert_eq!(n, want.len());
        assert_eq!(small[7], 0);
        // SAFETY: NULL record and NULL buffer with length 0 are allowed.
        let none = unsafe { el_error_describe(std::ptr::null(), std::ptr::null_mut(), 0) };
        assert_eq!(none, 0);
        // SAFETY: asking for the length only.
        let needed = unsafe { el_error_describe(&out, std::ptr::null_mut(), 0) };
        assert_eq!(needed, want.len());
    }

    #[test]
    fn only_fields_within_size_are_written() {
        use std::mem::offset_of;
        let failure = Error::invalid_argument("x");
        // An older caller whose record ends before `maybe_deleted`.
        let mut out = filled(0xAA);
        out.size = offset_of!(el_error, maybe_deleted);
        out.maybe_deleted = true;
        // SAFETY: `out` is writable for its whole size.
        unsafe { write(&mut out, &failure) };
        assert_eq!(out.status, 1);
        assert_eq!(message_str(&out), "x");
        assert!(out.maybe_deleted, "a field past `size` was written");
        // Too small to hold the status: nothing is written.
        let mut out = filled(0xAA);
        out.size = 4;
        // SAFETY: as above.
        unsafe { write(&mut out, &failure) };
        assert_eq!((out.size, out.status), (4, 0xAAAA_AAAA));
    }

    #[test]
    fn long_messages_fill_the_buffer_and_stay_utf8() {
        let mut out = filled(0xAA);
        let long = "é".repeat(300);
        // SAFETY: `out` is writable.
        unsafe { write(&mut out, &Error::invalid_argument(long)) };
        let msg = message_str(&out);
        // 63 two-byte characters, the ellipsis, then the last 63: 255 bytes.
        assert_eq!(msg, format!("{}…{}", "é".repeat(63), "é".repeat(63)));
        assert_eq!(out.status, 1);
        assert_eq!((out.http_status, out.api_code, out.attempts), (0, 0, 0));
        assert!(!out.maybe_deleted);
    }
}
