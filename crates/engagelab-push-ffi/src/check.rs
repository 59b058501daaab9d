//! `el_check`: the read-only check of the setup (credentials, region, the
//! live API's answers), with `el_check_options`, `el_check_summary` and the
//! `el_check_report` accessors.

use std::ffi::{CString, c_char};
use std::mem::{offset_of, size_of};
use std::ptr::null;

use engagelab::{CallOptions, CheckOptions, CheckReport, Error};

use crate::cancel::{Runs, el_cancel, per_call_timeout};

use crate::args;
use crate::client::el_client;
use crate::error::el_error;
use crate::panic;
use crate::status::el_status;

/// What `el_check` probes besides a random unknown id and alias, in memory
/// the caller owns.
///
/// Extensible like `el_call_options`: the caller sets `size` to
/// `sizeof(el_check_options)` (most simply `el_check_options o =
/// EL_CHECK_OPTIONS_INIT;`); the library reads only the fields within
/// `size`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct el_check_options {
    /// Set by the caller: `sizeof(el_check_options)`.
    pub size: usize,
    /// A registration id known to exist, to GET as well; NULL for none.
    pub device: *const c_char,
    /// A cancel token that stops the check (`EL_CANCELLED`); NULL for none.
    pub cancel: *const el_cancel,
    /// The whole check's deadline in milliseconds when it is earlier than
    /// the client's timeout. Read as `has_timeout` says.
    pub timeout_ms: u64,
    /// Whether `timeout_ms` is given as is, 0 included, as in
    /// `el_call_options`: 0 then fails with `EL_TIMEOUT`, `attempts` 0, and
    /// sends nothing. When false (or beyond `size`) a `timeout_ms` of 0 means
    /// no per-call timeout.
    pub has_timeout: bool,
}

impl el_check_options {
    /// The core's options from a caller's record (NULL: none).
    ///
    /// # Safety
    /// `options` must be NULL or readable for its `size` bytes, with
    /// `device` NULL or a NUL-terminated string and `cancel` NULL or a live
    /// token.
    pub(crate) unsafe fn read(
        options: *const el_check_options,
        runs: Runs,
    ) -> Result<CheckOptions, Error> {
        let mut out = CheckOptions::new();
        if options.is_null() {
            return Ok(out);
        }
        // SAFETY: not NULL, and the caller guarantees `size` is readable.
        let size = unsafe { std::ptr::addr_of!((*options).size).read_unaligned() };
        if size < size_of::<usize>() {
            return Err(Error::invalid_argument(
                "options->size is not set; use EL_CHECK_OPTIONS_INIT",
            ));
        }
        if offset_of!(el_check_options, device) + size_of::<*const c_char>() <= size {
            // SAFETY: the field lies within the `size` readable bytes.
            let device = unsafe { std::ptr::addr_of!((*options).device).read_unaligned() };
            if !device.is_null() {
                // SAFETY: the caller guarantees a NUL-terminated string.
                out = out.device(unsafe { args::text(device, "options->device") }?);
            }
        }
        let mut call = CallOptions::new();
        if offset_of!(el_check_options, cancel) + size_of::<*const el_cancel>() <= size {
            // SAFETY: the field lies within the `size` readable bytes.
            let cancel = unsafe { std::ptr::addr_of!((*options).cancel).read_unaligned() };
            // SAFETY: the caller guarantees `cancel` is NULL or a live token.
            if let Some(cancel) = unsafe { cancel.as_ref() } {
                call = call.cancel(cancel.token_for(runs)?);
            }
        }
        let mut ms = 0;
        if offset_of!(el_check_options, timeout_ms) + size_of::<u64>() <= size {
            // SAFETY: the field lies within the `size` readable bytes.
            ms = unsafe { std::ptr::addr_of!((*options).timeout_ms).read_unaligned() };
        }
        let mut given = false;
        if offset_of!(el_check_options, has_timeout) + size_of::<bool>() <= size {
            // SAFETY: the field lies within the `size` readable bytes; read as
            // a u8 so that any byte a C caller wrote is defined.
            given = unsafe {
                std::ptr::addr_of!((*options).has_timeout)
                    .cast::<u8>()
                    .read_unaligned()
            } != 0;
        }
        if let Some(timeout) = per_call_timeout(ms, given) {
            call = call.timeout(timeout);
        }
        Ok(out.call_options(call))
    }
}

/// The scalar facts of a check, written by `el_check_report_summary` into
/// memory the caller owns.
///
/// Extensible like `el_error`: the caller sets `size` to
/// `sizeof(el_check_summary)` (`el_check_summary s = EL_CHECK_SUMMARY_INIT;`);
/// the library writes only the fields within `size`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct el_check_summary {
    /// Set by the caller: `sizeof(el_check_summary)`.
    pub size: usize,
    /// The median round trip, in microseconds.
    pub rtt_us: u64,
    /// The server's clock minus this machine's, in seconds (when
    /// `has_clock_skew`).
    pub clock_skew_s: i64,
    /// EngageLab's code in the answer to the unknown id; 0 for none.
    pub unknown_device_api_code: i64,
    /// How many differences from what the library assumes were found.
    pub finding_count: usize,
    /// The HTTP status of the answer to the unknown id.
    pub unknown_device_http_status: u16,
    /// Whether the credentials were accepted: no answer was `EL_AUTH`, and one
    /// came from EngageLab's API (a success, or an error with its code that
    /// is not a busy server's or the rate limit's; else the `not_the_api` or
    /// `api_unavailable` finding).
    pub credentials_accepted: bool,
    /// Whether the answers carried a readable `Date`.
    pub has_clock_skew: bool,
}

/// A check's report (opaque), as `el_check` returns it: read with the
/// `el_check_report_` accessors, freed with one `el_check_report_free`.
///
/// Every string it returns is NUL-terminated UTF-8 owned by the report,
/// valid until `el_check_report_free`. It never changes once returned, so a
/// `const el_check_report *` may be read from many threads at once. It holds
/// no secret.
pub struct el_check_report {
    report: CheckReport,
    base_url: CString,
    address: Option<CString>,
    tls_version: Option<CString>,
    json: CString,
    findings: Vec<(CString, CString)>,
}

/// A C string of core text, which never holds a NUL.
fn c(text: &str) -> Result<CString, Error> {
    CString::new(text).map_err(|_| Error::internal("a check report string holds a NUL byte"))
}

impl el_check_report {
    pub(crate) fn of(report: CheckReport) -> Result<el_check_report, Error> {
        Ok(el_check_report {
            base_url: c(report.base_url())?,
            address: report.address().map(|a| c(&a.to_string())).transpose()?,
            tls_version: report.tls_version().map(c).transpose()?,
            json: c(&report.to_json().to_string())?,
            findings: report
                .findings()
                .iter()
                .map(|f| Ok((c(f.code())?, c(f.message())?)))
                .collect::<Result<_, Error>>()?,
            report,
        })
    }
}

/// Checks the setup with read-only calls before anything is deleted: GETs a
/// random registration id that cannot exist 5 times (the median is the round
/// trip), a random alias no device has, and `options->device` if given; it
/// can send no DELETE. The report says whether the credentials were
/// accepted, the address, TLS version, round trip, the server's clock and
/// rate-limit headers, each answer, and the differences from what the
/// library assumes (`el_check_report_json` has every fact). Refused
/// credentials are not a failure: see `el_check_summary.credentials_accepted`.
/// Blocks until done, within the config's timeout (or the shorter
/// `options->timeout_ms`) for the whole check; past it, `EL_TIMEOUT`.
///
/// Ownership: on success `*out_report` receives a report owned by the
/// caller, to be freed with `el_check_report_free`; on failure it is not
/// written. Errors: `EL_INVALID_ARGUMENT` for a bad `options->device`
/// (nothing sent); the failure of a request that got no answer
/// (`EL_NETWORK`, `EL_TIMEOUT`, `EL_INVALID_RESPONSE`), with `*out_error`
/// filled when it is not NULL; `EL_CANCELLED` when `options->cancel` was
/// cancelled (within about 20 ms, mid-request included). NULL: `client` or
/// `out_report` NULL is
/// `EL_INVALID_ARGUMENT`; `options` and `out_error` may be NULL.
/// Threads: safe to call from many threads at once on the same client.
///
/// # Safety
/// `client` NULL or a live client; `options` NULL or a readable
/// `el_check_options` whose `size` is set and whose `cancel` is NULL or a
/// live token; `out_report` NULL or writable;
/// `out_error` NULL or valid for writing an `el_error`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_check(
    client: *const el_client,
    options: *const el_check_options,
    out_report: *mut *mut el_check_report,
    out_error: *mut el_error,
) -> el_status {
    let result = panic::catch("el_check", || {
        // SAFETY: the caller guarantees `client` is NULL or a live client.
        let client = unsafe { args::object(client, "client") }?;
        // SAFETY: the caller guarantees `options` is NULL or readable.
        let options = unsafe { el_check_options::read(options, Runs::OnCaller) }?;
        let out = args::out(out_report, "out_report")?;
        let report = el_check_report::of(client.client.check(&options)?)?;
        // SAFETY: `out` is not NULL and the caller guarantees it is writable.
        unsafe { out.write(Box::into_raw(Box::new(report))) };
        Ok(())
    });
    // SAFETY: the caller guarantees `out_error` is NULL or writable.
    unsafe { panic::report(out_error, result) }
}

/// Writes the report's scalar facts into `*out_summary`, only the fields
/// within its `size`.
///
/// Errors: `EL_INVALID_ARGUMENT` when `report` or `out_summary` is NULL or
/// `out_summary->size` is not set (nothing written).
/// Threads: safe from many threads at once.
///
/// # Safety
/// `report` NULL or a live report; `out_summary` NULL or writable for its
/// `size` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_check_report_summary(
    report: *const el_check_report,
    out_summary: *mut el_check_summary,
) -> el_status {
    let result = panic::catch("el_check_report_summary", || {
        // SAFETY: the caller guarantees `report` is NULL or live.
        let report = &unsafe { args::object(report, "report") }?.report;
        let out = args::out(out_summary, "out_summary")?;
        // SAFETY: not NULL, and the caller guarantees `size` is readable.
        let size = unsafe { std::ptr::addr_of!((*out).size).read_unaligned() };
        if size < size_of::<usize>() {
            return Err(Error::invalid_argument(
                "out_summary->size is not set; use EL_CHECK_SUMMARY_INIT",
            ));
        }
        let unknown = &report.probes()[0];
        macro_rules! put {
            ($field:ident, $ty:ty, $value:expr) => {
                if offset_of!(el_check_summary, $field) + size_of::<$ty>() <= size {
                    let value: $ty = $value;
                    // SAFETY: the field lies within the `size` writable bytes.
                    unsafe { std::ptr::addr_of_mut!((*out).$field).write_unaligned(value) };
                }
            };
        }
        put!(
            rtt_us,
            u64,
            u64::try_from(report.rtt().as_micros()).unwrap_or(u64::MAX)
        );
        put!(clock_skew_s, i64, report.clock_skew_s().unwrap_or(0));
        put!(
            unknown_device_api_code,
            i64,
            unknown.api_code().unwrap_or(0)
        );
        put!(finding_count, usize, report.findings().len());
        put!(unknown_device_http_status, u16, unknown.http_status());
        put!(credentials_accepted, bool, report.credentials_accepted());
        put!(has_clock_skew, bool, report.clock_skew_s().is_some());
        Ok(())
    });
    // SAFETY: NULL is a valid `out_error`.
    unsafe { panic::report(std::ptr::null_mut(), result) }
}

/// The report's strings, NULL for a NULL report.
///
/// # Safety
/// `report` NULL or live.
unsafe fn string(
    report: *const el_check_report,
    pick: impl FnOnce(&el_check_report) -> Option<&CString>,
) -> *const c_char {
    panic::guard_nullable(|| {
        // SAFETY: the caller guarantees `report` is NULL or live.
        match unsafe { report.as_ref() }.and_then(pick) {
            Some(s) => s.as_ptr(),
            None => null(),
        }
    })
}

/// The base URL the calls went to. Owned by the report. NULL: NULL for a
/// NULL report. Threads: safe from many threads at once.
///
/// # Safety
/// `report` must be NULL or a live report.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_check_report_base_url(report: *const el_check_report) -> *const c_char {
    // SAFETY: as the caller guarantees.
    unsafe { string(report, |r| Some(&r.base_url)) }
}

/// The address the requests went to (`127.0.0.1:443`; the proxy's through
/// a proxy). Owned by the report. NULL: when unknown, or a NULL report.
/// Threads: safe from many threads at once.
///
/// # Safety
/// `report` must be NULL or a live report.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_check_report_address(report: *const el_check_report) -> *const c_char {
    // SAFETY: as the caller guarantees.
    unsafe { string(report, |r| r.address.as_ref()) }
}

/// The TLS version negotiated (`TLS 1.3`). Owned by the report. NULL: over
/// plain HTTP, or a NULL report. Threads: safe from many threads at once.
///
/// # Safety
/// `report` must be NULL or a live report.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_check_report_tls_version(
    report: *const el_check_report,
) -> *const c_char {
    // SAFETY: as the caller guarantees.
    unsafe { string(report, |r| r.tls_version.as_ref()) }
}

/// The whole report as one JSON object, the same as `engagelab-push check
/// --json` prints (probes, headers, findings). Owned by the report. NULL:
/// for a NULL report. Threads: safe from many threads at once.
///
/// # Safety
/// `report` must be NULL or a live report.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_check_report_json(report: *const el_check_report) -> *const c_char {
    // SAFETY: as the caller guarantees.
    unsafe { string(report, |r| Some(&r.json)) }
}

/// The stable name of finding `index` (`unknown_device_answer`,
/// `clock_skew`, ...), from 0 below `finding_count`. Owned by the report.
/// NULL: an index out of range or a NULL report. Threads: safe from many
/// threads at once.
///
/// # Safety
/// `report` must be NULL or a live report.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_check_report_finding_code(
    report: *const el_check_report,
    index: usize,
) -> *const c_char {
    // SAFETY: as the caller guarantees.
    unsafe { string(report, |r| r.findings.get(index).map(|f| &f.0)) }
}

/// The sentence of finding `index`. Owned by the report. NULL: an index out
/// of range or a NULL report. Threads: safe from many threads at once.
///
/// # Safety
/// `report` must be NULL or a live report.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_check_report_finding_message(
    report: *const el_check_report,
    index: usize,
) -> *const c_char {
    // SAFETY: as the caller guarantees.
    unsafe { string(report, |r| r.findings.get(index).map(|f| &f.1)) }
}

/// Frees a report made by `el_check`, and every string it returned.
///
/// Ownership: takes `report` back. NULL: a no-op. Threads: only once no
/// other thread reads it.
///
/// # Safety
/// `report` must be NULL or a report from `el_check` not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_check_report_free(report: *mut el_check_report) {
    panic::guard_void(|| {
        if !report.is_null() {
            // SAFETY: the caller guarantees it came from `el_check`
            // (Box::into_raw), is freed once and no longer used.
            drop(unsafe { Box::from_raw(report) });
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ptr::null_mut;

    use crate::error::{message_str, tests::filled};
    use crate::status::el_status::*;

    #[test]
    fn null_arguments_are_named_and_accessors_take_null() {
        // SAFETY: NULLs are allowed everywhere here.
        unsafe {
            let (mut out, mut err) = (null_mut(), filled(0));
            assert_eq!(
                el_check(null(), null(), &mut out, &mut err),
                EL_INVALID_ARGUMENT
            );
            assert_eq!(message_str(&err), "client is NULL");
            assert!(out.is_null());
            assert!(el_check_report_json(null()).is_null());
            assert!(el_check_report_finding_code(null(), 0).is_null());
            assert_eq!(
                el_check_report_summary(null(), null_mut()),
                EL_INVALID_ARGUMENT
            );
            el_check_report_free(null_mut());
        }
    }
}
