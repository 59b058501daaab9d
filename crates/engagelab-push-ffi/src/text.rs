//! Core text handed to C: cut to a size on a character boundary, and copied
//! into a caller's buffer the `snprintf` way (`el_error_describe`,
//! `el_client_describe`).

use std::borrow::Cow;
use std::ffi::c_char;

/// The longest prefix of `s` that fits in `max` bytes, cut on a character
/// boundary and before any NUL (a C string ends at the first NUL).
pub(crate) fn truncate_utf8(s: &str, max: usize) -> &str {
    let s = s.split('\0').next().unwrap_or_default();
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// `s` (up to any NUL) when it fits in `max` bytes; else its start and its
/// end joined by `…`, each cut on a character boundary, together at most
/// `max` bytes. The start says what failed and the end why: the core puts a
/// failure's cause last ("cannot open the journal PATH: No such file or
/// directory"), so a long path must not push the cause out.
pub(crate) fn elide_middle(s: &str, max: usize) -> Cow<'_, str> {
    const MARK: &str = "…";
    let s = s.split('\0').next().unwrap_or_default();
    if s.len() <= max {
        return Cow::Borrowed(s);
    }
    if max < MARK.len() {
        return Cow::Borrowed(truncate_utf8(s, max));
    }
    let room = max - MARK.len();
    let head = truncate_utf8(s, room - room / 2);
    let mut tail = s.len() - room / 2;
    while !s.is_char_boundary(tail) {
        tail += 1;
    }
    Cow::Owned(format!("{head}{MARK}{}", &s[tail..]))
}

/// Copies `text` into `buf` as a NUL-terminated string, cut to fit `len`
/// bytes, and returns the length of the whole text (as `snprintf`). Nothing
/// is written when `buf` is NULL or `len` is 0.
///
/// # Safety
/// `buf` must be NULL or valid for writing `len` bytes.
pub(crate) unsafe fn write(text: &str, buf: *mut c_char, len: usize) -> usize {
    if !buf.is_null() && len > 0 {
        let cut = truncate_utf8(text, len - 1);
        // SAFETY: `cut` is at most `len - 1` bytes and `buf` is writable for
        // `len` bytes; a Rust string never overlaps a caller's buffer.
        unsafe {
            std::ptr::copy_nonoverlapping(cut.as_ptr().cast::<c_char>(), buf, cut.len());
            buf.add(cut.len()).write(0);
        }
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elision_keeps_start_and_end() {
        assert_eq!(elide_middle("short", 5), "short");
        assert_eq!(elide_middle("a\0b", 10), "a");
        assert_eq!(elide_middle("abcdefghij", 9), "abc…hij");
        assert_eq!(elide_middle("abcdefghij", 2), "ab");
        let long = format!("cannot open {}: No such file", "é".repeat(200));
        let out = elide_middle(&long, 255);
        assert!(out.len() <= 255, "{}", out.len());
        assert!(out.starts_with("cannot open é"));
        assert!(out.ends_with("é: No such file"));
        assert_eq!(out.matches('…').count(), 1);
    }

    #[test]
    fn truncation_keeps_whole_characters() {
        assert_eq!(truncate_utf8("héllo", 2), "h");
        assert_eq!(truncate_utf8("héllo", 3), "hé");
        assert_eq!(truncate_utf8("a\0b", 10), "a");
        assert_eq!(truncate_utf8("€€", 5), "€");
        assert_eq!(truncate_utf8("", 5), "");
    }

    #[test]
    fn a_short_buffer_gets_a_cut_string_and_the_whole_length() {
        let mut buf = [0x55 as c_char; 4];
        // SAFETY: `buf` is writable for its length.
        let n = unsafe { write("héllo", buf.as_mut_ptr(), buf.len()) };
        assert_eq!(n, 6);
        // SAFETY: `write` NUL-terminated it.
        let got = unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) };
        assert_eq!(got.to_str().unwrap(), "hé");
        // SAFETY: NULL with 0 asks for the length only.
        assert_eq!(unsafe { write("abc", std::ptr::null_mut(), 0) }, 3);
    }
}
