//! The bulk engine through the C ABI: `el_bulk_options`, `el_bulk_summary`,
//! `el_delete_devices`, `el_delete_devices_from_file`, and the progress,
//! plan and confirm callbacks. `el_erase_users` is in erase.rs.

use std::ffi::{c_char, c_void};
use std::mem::{MaybeUninit, offset_of, size_of};
use std::time::Duration;

use engagelab::{BulkDelete, BulkError, BulkErrorKind, BulkInput, BulkSummary, Error, Progress};

use crate::args;
use crate::cancel::{Runs, el_cancel};
use crate::client::el_client;
use crate::error::el_error;
use crate::panic;
use crate::status::el_status;
use crate::text::elide_middle;

/// The size of `el_bulk_summary.stopped` in bytes, the terminating NUL
/// included.
pub const EL_BULK_STOPPED_LEN: usize = 256;

/// Why a bulk run refused to start or had to stop, as `el_bulk_summary.error`
/// reports it (the core's `BulkErrorKind`). Codes are never reused; a newer
/// library may report a code this header does not name.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum el_bulk_error {
    /// The run was not refused or stopped (failed ids and a cancel are not
    /// errors: see the counts and `interrupted`).
    EL_BULK_OK = 0,
    /// More distinct ids than `max_deletions`: nothing was sent.
    EL_BULK_GUARD = 1,
    /// The confirm callback returned false: nothing was sent.
    EL_BULK_DECLINED = 2,
    /// The journal belongs to another input, or is not a journal: nothing
    /// was sent.
    EL_BULK_JOURNAL_MISMATCH = 3,
    /// A file could not be opened or read before the run started (the
    /// input, the journal, the backup, the report): nothing was sent.
    EL_BULK_IO = 4,
    /// Another run holds the journal: nothing was sent.
    EL_BULK_JOURNAL_BUSY = 5,
    /// A file the run keeps could not be written mid-run (a full disk), or
    /// opened again for an erasure's second pass, or the input's temporary
    /// copy could not be read back: no request was sent after that; the
    /// summary's counts say what was done.
    EL_BULK_WRITE_FAILED = 6,
    /// A setting out of range, a bad alias, an input without one valid id,
    /// or a client refused before sending: nothing was sent.
    EL_BULK_INVALID_ARGUMENT = 7,
    /// An erasure could not resolve an alias (the lookup failed after its
    /// retries): nothing was deleted; `out_error` is the lookup's failure.
    EL_BULK_LOOKUP = 8,
}

impl el_bulk_error {
    fn of(kind: BulkErrorKind) -> el_bulk_error {
        use el_bulk_error::*;
        match kind {
            BulkErrorKind::Guard => EL_BULK_GUARD,
            BulkErrorKind::Declined => EL_BULK_DECLINED,
            BulkErrorKind::JournalMismatch => EL_BULK_JOURNAL_MISMATCH,
            BulkErrorKind::Io => EL_BULK_IO,
            BulkErrorKind::JournalBusy => EL_BULK_JOURNAL_BUSY,
            BulkErrorKind::WriteFailed => EL_BULK_WRITE_FAILED,
            BulkErrorKind::Lookup => EL_BULK_LOOKUP,
            _ => EL_BULK_INVALID_ARGUMENT,
        }
    }
}

/// Where a run stands, handed to the progress callback. Written by the
/// library (`size` is the library's `sizeof(el_bulk_progress)`): read only
/// the fields that lie within `size`. Valid only during the callback.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct el_bulk_progress {
    /// Set by the library: the size of the record it wrote.
    pub size: usize,
    /// Entries with an outcome so far.
    pub done: u64,
    /// Entries of the input (blank and `#` lines not counted).
    pub total: u64,
    /// Devices deleted so far.
    pub deleted: u64,
    /// Ids EngageLab did not know, so far.
    pub not_found: u64,
    /// Ids whose call failed, so far.
    pub failed: u64,
    /// Entries that are not registration ids, so far.
    pub invalid: u64,
    /// Repeated ids, so far.
    pub duplicate: u64,
    /// Ids the journal holds as finished, so far.
    pub already_done: u64,
    /// Dry run: ids that would be deleted, so far.
    pub would_delete: u64,
    /// Rate-limit answers received so far.
    pub rate_limited: u64,
    /// Milliseconds since the run started sending.
    pub elapsed_ms: u64,
    /// Requests in flight right now.
    pub in_flight: u64,
    /// The pacing rate in force, requests per second.
    pub qps: f64,
    /// Whether the run was asked to stop.
    pub interrupted: bool,
}

/// What a run is about to do, handed to the confirm callback once the input
/// is counted and the guard passed, before any file is opened or request
/// sent. Written by the library (`size` is its `sizeof(el_bulk_plan)`).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct el_bulk_plan {
    /// Set by the library: the size of the record it wrote.
    pub size: usize,
    /// Entries in the input (blank and `#` lines not counted).
    pub entries: u64,
    /// Distinct valid ids, the count the guard checks: what the run deletes,
    /// those a resumed run's journal holds as done included (the journal is
    /// read after the confirmation; they are then skipped, `already_done`).
    pub ids: u64,
    /// Whether it is a dry run.
    pub dry_run: bool,
}

/// The progress callback: called at most every `EL_PROGRESS_INTERVAL_MS`
/// milliseconds and once at the end (not for a run cancelled before it
/// started sending).
pub type el_bulk_progress_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, progress: *const el_bulk_progress)>;

/// The confirm callback: returns true to go on, false to end the run with
/// `EL_BULK_DECLINED` (nothing sent).
pub type el_bulk_confirm_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, plan: *const el_bulk_plan) -> bool>;

/// The resolved callback of `el_erase_users`: called once per alias as soon
/// as it is resolved, before anything is deleted, with the ids bound to it
/// (owned by the library, valid only during the callback).
pub type el_bulk_resolved_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        alias: *const c_char,
        ids: *const crate::alias::el_id_list,
    ),
>;

/// The settings of a bulk run (`el_delete_devices`,
/// `el_delete_devices_from_file`, `el_erase_users`), in memory the caller
/// owns. Zero means the default for every number, NULL none for every
/// pointer.
///
/// Extensible like `el_call_options`: the caller sets `size` to
/// `sizeof(el_bulk_options)` (most simply `el_bulk_options o =
/// EL_BULK_OPTIONS_INIT;`); fields are only ever appended, and the library
/// reads only the fields within `size`.
///
/// Callbacks: every callback runs on the thread that runs the bulk
/// function (the caller's; for an `_async` function, the thread the library
/// started for the run), one at a time, never concurrently with another
/// callback of the run, and always before the function returns (before the
/// `_async` function's `done`). A callback may call
/// `el_cancel_cancel` (on `cancel` or any token) and read anything it was
/// given, but must not call another bulk function with the same journal;
/// it must return normally: no `longjmp` out of it and no C++ exception
/// through it (catch everything inside). The engine's own threads never
/// call back into the caller.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct el_bulk_options {
    /// Set by the caller: `sizeof(el_bulk_options)`.
    pub size: usize,
    /// Requests per second, GET and DELETE together; 0 for the default,
    /// `EL_DEFAULT_QPS` (a fifth of EngageLab's default AppKey quota, which the app's own
    /// pushes share).
    pub qps: u32,
    /// The most requests in flight at once; 0 for the default (`qps`,
    /// between `EL_MIN_DEFAULT_CONCURRENCY` and `EL_MAX_DEFAULT_CONCURRENCY`);
    /// at most `EL_MAX_CONCURRENCY` (more is `EL_INVALID_ARGUMENT`).
    pub concurrency: u32,
    /// The guard: the most distinct valid ids the input may hold; 0 for the
    /// default, `EL_DEFAULT_MAX_DELETIONS`. More, and the run refuses to start (`EL_BULK_GUARD`).
    pub max_deletions: u64,
    /// Validate, dedupe and count, and send no DELETE (with a backup, GETs
    /// are still sent).
    pub dry_run: bool,
    /// The journal that makes the run resumable (created 0600 if missing);
    /// NULL for none.
    pub journal: *const c_char,
    /// The backup file: each device is fetched and appended as a JSON line
    /// before its DELETE (created 0600); NULL for none.
    pub backup: *const c_char,
    /// The report file: one JSON line per entry, then a summary line
    /// (appended to, created 0600); NULL for none.
    pub report: *const c_char,
    /// Called with the run's progress; NULL for none.
    pub on_progress: el_bulk_progress_fn,
    /// Called with the plan once the guard passed; NULL to go on without
    /// asking.
    pub confirm: el_bulk_confirm_fn,
    /// Handed to every callback as is.
    pub user_data: *mut c_void,
    /// A cancel token that stops the run: nothing more is sent once it is
    /// cancelled, and the summary says `interrupted`; NULL for none.
    pub cancel: *const el_cancel,
    /// `el_erase_users` only: called once per alias as it is resolved;
    /// NULL for none.
    pub on_resolved: el_bulk_resolved_fn,
    /// How long, in milliseconds, the run may stay rate-limited (answered
    /// 429, or held by a used-up quota) with no id settled before it stops,
    /// the summary's `stopped` saying why; 0 for the default,
    /// `EL_DEFAULT_STALL_TIMEOUT_MS`.
    /// Appended after `on_resolved`: a caller compiled against an older
    /// header leaves it outside `size` and gets the default.
    pub stall_timeout_ms: u64,
}

/// What a bulk run did, in memory the caller owns: every field of the
/// core's `BulkSummary`, and `error`.
///
/// Extensible like `el_error`: the caller sets `size` to
/// `sizeof(el_bulk_summary)` (`el_bulk_summary s = EL_BULK_SUMMARY_INIT;`);
/// fields are only ever appended, and the library writes only the fields
/// that lie wholly within `size`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct el_bulk_summary {
    /// Set by the caller: `sizeof(el_bulk_summary)`. Never written by the
    /// library.
    pub size: usize,
    /// `EL_BULK_OK`, or why the run refused to start or had to stop (an
    /// `el_bulk_error`).
    pub error: u32,
    /// Entries in the input (blank and `#` lines not counted).
    pub entries: u64,
    /// Distinct valid ids in the input (what the guard counted).
    pub ids: u64,
    /// Devices deleted.
    pub deleted: u64,
    /// Ids EngageLab did not know (nothing deleted).
    pub not_found: u64,
    /// Ids whose call failed (the report holds every error field).
    pub failed: u64,
    /// Entries that are not registration ids (never sent).
    pub invalid: u64,
    /// Repeated ids (sent once).
    pub duplicate: u64,
    /// Ids the journal holds as finished by an earlier run (not sent).
    pub already_done: u64,
    /// Dry run: ids that would be deleted.
    pub would_delete: u64,
    /// Entries the run never reached because it was interrupted or the
    /// engine stopped it (`stopped` says why).
    pub not_started: u64,
    /// Rate-limit answers received (each was paced and retried).
    pub rate_limited: u64,
    /// Milliseconds from the first request to the end.
    pub elapsed_ms: u64,
    /// Whether the run was cancelled before its end.
    pub interrupted: bool,
    /// Whether it was a dry run.
    pub dry_run: bool,
    /// Why the engine stopped the run before its end (the credentials
    /// refused, or the same failure many times in a row); "" when it did
    /// not. NUL-terminated UTF-8; a longer text keeps its start and its end,
    /// joined by `…`.
    pub stopped: [c_char; EL_BULK_STOPPED_LEN],
}

/// A `Send` wrapper for the caller's `user_data`, handed back to its
/// callbacks on whatever thread runs them: a bulk function's (the caller's,
/// or the run's own for an `_async` function) or an `_async` call's
/// completion thread.
#[derive(Clone, Copy)]
pub(crate) struct UserData(pub(crate) *mut c_void);
// SAFETY: the library never reads or writes through the pointer; it only
// hands it back to the caller's callbacks, on the threads that `el_bulk_options`
// and every `_async` function document.
unsafe impl Send for UserData {}

/// The settings read from a caller's `el_bulk_options`, its paths copied.
pub(crate) struct Options {
    qps: u32,
    concurrency: u32,
    max_deletions: u64,
    dry_run: bool,
    journal: Option<String>,
    backup: Option<String>,
    report: Option<String>,
    on_progress: el_bulk_progress_fn,
    confirm: el_bulk_confirm_fn,
    pub(crate) user_data: UserData,
    cancel: Option<engagelab::CancelToken>,
    pub(crate) on_resolved: el_bulk_resolved_fn,
    stall_timeout_ms: u64,
}

impl Options {
    /// Reads `options` (NULL: every default), only the fields within its
    /// `size`.
    ///
    /// # Safety
    /// `options` must be NULL or readable for its `size` bytes, its paths
    /// NULL or NUL-terminated strings, its cancel NULL or a live token.
    pub(crate) unsafe fn read(
        options: *const el_bulk_options,
        runs: Runs,
    ) -> Result<Options, Error> {
        let mut out = Options {
            qps: 0,
            concurrency: 0,
            max_deletions: 0,
            dry_run: false,
            journal: None,
            backup: None,
            report: None,
            on_progress: None,
            confirm: None,
            user_data: UserData(std::ptr::null_mut()),
            cancel: None,
            on_resolved: None,
            stall_timeout_ms: 0,
        };
        if options.is_null() {
            return Ok(out);
        }
        // SAFETY: not NULL, and the caller guarantees `size` is readable.
        let size = unsafe { std::ptr::addr_of!((*options).size).read_unaligned() };
        if size < size_of::<usize>() {
            return Err(Error::invalid_argument(
                "options->size is not set; use EL_BULK_OPTIONS_INIT",
            ));
        }
        macro_rules! field {
            ($name:ident, $ty:ty) => {
                if offset_of!(el_bulk_options, $name) + size_of::<$ty>() <= size {
                    // SAFETY: the field lies within the caller's `size`
                    // readable bytes.
                    Some(unsafe {
                        std::ptr::addr_of!((*options).$name)
                            .cast::<$ty>()
                            .read_unaligned()
                    })
                } else {
                    None
                }
            };
        }
        let path = |p: Option<*const c_char>, name: &str| -> Result<Option<String>, Error> {
            match p {
                Some(p) if !p.is_null() => {
                    // SAFETY: the caller guarantees a non-NULL path is a
                    // NUL-terminated string.
                    Ok(Some(unsafe { args::text(p, name) }?.to_owned()))
                }
                _ => Ok(None),
            }
        };
        out.qps = field!(qps, u32).unwrap_or(0);
        out.concurrency = field!(concurrency, u32).unwrap_or(0);
        out.max_deletions = field!(max_deletions, u64).unwrap_or(0);
        out.dry_run = field!(dry_run, u8).is_some_and(|b| b != 0);
        out.journal = path(field!(journal, *const c_char), "options->journal")?;
        out.backup = path(field!(backup, *const c_char), "options->backup")?;
        out.report = path(field!(report, *const c_char), "options->report")?;
        out.on_progress = field!(on_progress, el_bulk_progress_fn).flatten();
        out.confirm = field!(confirm, el_bulk_confirm_fn).flatten();
        out.user_data = UserData(field!(user_data, *mut c_void).unwrap_or(std::ptr::null_mut()));
        if let Some(cancel) = field!(cancel, *const el_cancel) {
            // SAFETY: the caller guarantees `cancel` is NULL or a live token.
            out.cancel = unsafe { cancel.as_ref() }
                .map(|c| c.token_for(runs))
                .transpose()?;
        }
        out.on_resolved = field!(on_resolved, el_bulk_resolved_fn).flatten();
        out.stall_timeout_ms = field!(stall_timeout_ms, u64).unwrap_or(0);
        Ok(out)
    }

    /// A run of `client` configured with these settings and callbacks.
    pub(crate) fn configure(&self, client: &engagelab::Client) -> BulkDelete<'static> {
        let mut b = client.bulk_delete().dry_run(self.dry_run);
        if self.qps > 0 {
            b = b.qps(self.qps);
        }
        if self.concurrency > 0 {
            b = b.concurrency(self.concurrency as usize);
        }
        if self.max_deletions > 0 {
            b = b.max_deletions(self.max_deletions);
        }
        if self.stall_timeout_ms > 0 {
            b = b.stall_timeout(Duration::from_millis(self.stall_timeout_ms));
        }
        if let Some(p) = &self.journal {
            b = b.journal(p);
        }
        if let Some(p) = &self.backup {
            b = b.backup(p);
        }
        if let Some(p) = &self.report {
            b = b.report(p);
        }
        if let Some(token) = &self.cancel {
            b = b.cancel(token.clone());
        }
        let user = self.user_data;
        if let Some(f) = self.on_progress {
            b = b.on_progress(move |p: &Progress| {
                let user = user;
                let record = progress(p);
                // SAFETY: the caller's callback, given its own user data and
                // a record that lives for the call.
                unsafe { f(user.0, &record) };
            });
        }
        if let Some(f) = self.confirm {
            b = b.confirm(move |plan: &engagelab::Plan| {
                let user = user;
                let record = el_bulk_plan {
                    size: size_of::<el_bulk_plan>(),
                    entries: plan.entries,
                    ids: plan.ids,
                    dry_run: plan.dry_run,
                };
                // SAFETY: as for the progress callback.
                unsafe { f(user.0, &record) }
            });
        }
        b
    }
}

impl Options {
    /// Runs a bulk delete of `input` with these settings: the summary (none
    /// for a run refused before it had one), its `el_bulk_error`, and the
    /// failure of a refused or stopped run.
    pub(crate) fn run(
        &self,
        client: &engagelab::Client,
        input: BulkInput,
    ) -> (Option<BulkSummary>, el_bulk_error, Option<Error>) {
        match self.configure(client).run(input) {
            Ok(summary) => (Some(summary), el_bulk_error::EL_BULK_OK, None),
            Err(e) => (
                e.summary().cloned(),
                el_bulk_error::of(e.kind()),
                Some(failure(&e)),
            ),
        }
    }
}

fn progress(p: &Progress) -> el_bulk_progress {
    el_bulk_progress {
        size: size_of::<el_bulk_progress>(),
        done: p.done,
        total: p.total,
        deleted: p.counts.deleted,
        not_found: p.counts.not_found,
        failed: p.counts.failed,
        invalid: p.counts.invalid,
        duplicate: p.counts.duplicate,
        already_done: p.counts.already_done,
        would_delete: p.counts.would_delete,
        rate_limited: p.rate_limited,
        elapsed_ms: u64::try_from(p.elapsed.as_millis()).unwrap_or(u64::MAX),
        in_flight: p.in_flight,
        qps: p.qps,
        interrupted: p.interrupted,
    }
}

/// Writes `summary` (or zeros) and `error` into `*out`: every field that
/// lies wholly within the `size` the caller set.
///
/// # Safety
/// `out` must be NULL or point to memory whose `size` is initialised and
/// which is writable for `size` bytes.
pub(crate) unsafe fn write_summary(
    out: *mut el_bulk_summary,
    summary: Option<&BulkSummary>,
    error: el_bulk_error,
) {
    if out.is_null() {
        return;
    }
    // SAFETY: not NULL, and the caller guarantees `size` is readable.
    let size = unsafe { std::ptr::addr_of!((*out).size).read_unaligned() };
    let mut record = MaybeUninit::<el_bulk_summary>::zeroed();
    let r = record.as_mut_ptr();
    // SAFETY: `r` points to a live, aligned, zeroed record; fields are
    // written in place.
    unsafe {
        (*r).size = size;
        (*r).error = error as u32;
        if let Some(s) = summary {
            (*r).entries = s.entries;
            (*r).ids = s.ids;
            (*r).deleted = s.counts.deleted;
            (*r).not_found = s.counts.not_found;
            (*r).failed = s.counts.failed;
            (*r).invalid = s.counts.invalid;
            (*r).duplicate = s.counts.duplicate;
            (*r).already_done = s.counts.already_done;
            (*r).would_delete = s.counts.would_delete;
            (*r).not_started = s.not_started;
            (*r).rate_limited = s.rate_limited;
            (*r).elapsed_ms = u64::try_from(s.elapsed.as_millis()).unwrap_or(u64::MAX);
            (*r).interrupted = s.interrupted;
            (*r).dry_run = s.dry_run;
            let text = elide_middle(s.stopped.as_deref().unwrap_or(""), EL_BULK_STOPPED_LEN - 1);
            for (dst, src) in (*r).stopped.iter_mut().zip(text.bytes()) {
                *dst = src as c_char;
            }
        }
    }
    // SAFETY: zeroed is a valid el_bulk_summary, and every write kept it so.
    let record = unsafe { record.assume_init() };
    macro_rules! end {
        ($name:ident) => {
            offset_of!(el_bulk_summary, $name) + std::mem::size_of_val(&record.$name)
        };
    }
    let ends = [
        end!(error),
        end!(entries),
        end!(ids),
        end!(deleted),
        end!(not_found),
        end!(failed),
        end!(invalid),
        end!(duplicate),
        end!(already_done),
        end!(would_delete),
        end!(not_started),
        end!(rate_limited),
        end!(elapsed_ms),
        end!(interrupted),
        end!(dry_run),
        end!(stopped),
    ];
    let Some(len) = ends.iter().copied().filter(|e| *e <= size).max() else {
        return;
    };
    let from = offset_of!(el_bulk_summary, error);
    // SAFETY: `from..len` lies within both `record` and the `size` bytes the
    // caller guarantees writable at `out`; they do not overlap.
    unsafe {
        std::ptr::copy_nonoverlapping(
            (&record as *const el_bulk_summary as *const u8).add(from),
            (out as *mut u8).add(from),
            len - from,
        );
    }
}

/// The `el_bulk_error` of a refused or stopped run.
pub(crate) fn error_of(e: &BulkError) -> el_bulk_error {
    el_bulk_error::of(e.kind())
}

/// The failure a refused or stopped run is reported as: its lookup's error
/// for `EL_BULK_LOOKUP` (with the run's sentence), else
/// `EL_INVALID_ARGUMENT` with the run's message (`el_bulk_summary.error`
/// says which kind).
pub(crate) fn failure(e: &BulkError) -> Error {
    match (e.kind(), e.error()) {
        (BulkErrorKind::Lookup, Some(cause)) => Error::from_parts(
            cause.kind(),
            cause.http_status(),
            cause.api_code(),
            // The run's sentence holds the lookup's whole text, whose
            // category, attempts and advice the error adds again: the
            // lookup's own message stands in for it.
            e.message().replacen(&cause.to_string(), cause.message(), 1),
            cause.attempts(),
            cause.retry_after(),
            false,
        ),
        _ => Error::invalid_argument(e.message()),
    }
}

/// Refuses a summary record whose `size` the caller did not set (too small
/// for `size` and `error`), as every function writing one does.
///
/// # Safety
/// `out` is not NULL and its `size` is readable.
pub(crate) unsafe fn summary_size_set(out: *const el_bulk_summary) -> Result<(), Error> {
    // SAFETY: the caller guarantees `size` is readable.
    let size = unsafe { std::ptr::addr_of!((*out).size).read_unaligned() };
    if size < size_of::<usize>() + size_of::<u32>() {
        return Err(Error::invalid_argument(
            "out_summary->size is not set; use EL_BULK_SUMMARY_INIT",
        ));
    }
    Ok(())
}

/// The body of the two delete functions: reads the arguments, runs, writes
/// the summary (also for a refused or stopped run) and the failure.
///
/// # Safety
/// As `el_delete_devices`; `input` builds the run's input from the
/// caller's arguments.
unsafe fn delete(
    name: &str,
    client: *const el_client,
    input: impl FnOnce() -> Result<BulkInput, Error>,
    options: *const el_bulk_options,
    out_summary: *mut el_bulk_summary,
    out_error: *mut el_error,
) -> el_status {
    let result = panic::catch(name, || {
        // SAFETY: the caller guarantees `client` is NULL or a live client.
        let client = unsafe { args::object(client, "client") }?;
        let out = args::out(out_summary, "out_summary")?;
        // SAFETY: the caller guarantees `out_summary` has its size set.
        unsafe { summary_size_set(out) }?;
        // SAFETY: the caller guarantees what `Options::read` requires.
        let settings = unsafe { Options::read(options, Runs::OnCaller) }?;
        let (summary, kind, failed) = settings.run(&client.client, input()?);
        // SAFETY: `out` is writable for its size.
        unsafe { write_summary(out, summary.as_ref(), kind) };
        failed.map_or(Ok(()), Err)
    });
    // SAFETY: the caller guarantees `out_error` is NULL or writable.
    unsafe { panic::report(out_error, result) }
}

/// Deletes many devices through the bulk engine: paced under `qps`, guarded
/// by `max_deletions`, with an optional journal (resumable), backup and
/// report, a confirm callback and a cancel token (see `el_bulk_options`).
/// Blocks until the run ends. For each entry: an entry that is not a
/// registration id is `invalid`, a repeated id `duplicate` (neither is
/// sent); an id the journal holds as finished `already_done`; the others are
/// (backed up, then) deleted: `deleted`, `not_found` or `failed`.
///
/// `ids` is an array of `count` NUL-terminated strings, copied before the
/// run starts (a string not UTF-8 is an `invalid` entry). For a list too
/// long to hold in memory, use `el_delete_devices_from_file`.
///
/// Failed ids and a cancel are not failures: the call returns `EL_OK` and
/// the summary counts them (`failed`, `interrupted`, `stopped`). A run that
/// refuses to start (the guard, a declined confirm, a journal of another
/// input or held by another run, a file that cannot be opened, a setting
/// out of range) sends nothing and returns `EL_INVALID_ARGUMENT`; a file
/// that cannot be written mid-run stops it (`EL_INVALID_ARGUMENT` too). In
/// both cases `out_summary->error` says which (`EL_BULK_GUARD`, ...),
/// `out_error` holds the core's message, and for `EL_BULK_WRITE_FAILED` the
/// counts say what was done.
///
/// Ownership: `*out_summary` belongs to the caller, who sets its `size`; it
/// is written on `EL_OK` and on a refused or stopped run (then `error` is
/// not `EL_BULK_OK`), not on a bad argument. Nothing of `ids` or `options`
/// is kept after the call.
/// Errors: as above, with `*out_error` filled when not NULL.
/// NULL: `client` or `out_summary` NULL, `ids` NULL with a count above 0,
/// or a NULL entry gives `EL_INVALID_ARGUMENT` naming it; `options` may be
/// NULL (every default).
/// Threads: blocks the calling thread; the engine runs its requests on its
/// own threads, and every callback runs on the calling thread (see
/// `el_bulk_options`). Many runs may share one client at once, each with
/// its own journal.
///
/// # Safety
/// `client` NULL or a live client; `ids` NULL or `count` readable pointers,
/// each NULL or a NUL-terminated string; `options` NULL or a readable
/// `el_bulk_options` with its `size` set; `out_summary` NULL or writable
/// for its `size`; `out_error` NULL or valid for writing an `el_error`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_delete_devices(
    client: *const el_client,
    ids: *const *const c_char,
    count: usize,
    options: *const el_bulk_options,
    out_summary: *mut el_bulk_summary,
    out_error: *mut el_error,
) -> el_status {
    let input = move || {
        // SAFETY: the caller guarantees `ids` holds `count` readable
        // pointers, each NULL or a NUL-terminated string.
        let ids = unsafe { lossy_texts(ids, count, "ids") }?;
        Ok(BulkInput::ids(ids))
    };
    // SAFETY: the caller guarantees what `delete` requires.
    unsafe {
        delete(
            "el_delete_devices",
            client,
            input,
            options,
            out_summary,
            out_error,
        )
    }
}

/// Deletes the devices listed in a file, one id per line, as
/// `el_delete_devices` does: the file is streamed, never held in memory.
/// Lines: `\n`, `\r\n` or a lone `\r`; blank lines, `#` lines and comments
/// after an id (`ID # note`) are skipped; a file with entries but not one
/// valid id is refused (`EL_BULK_INVALID_ARGUMENT`), one that cannot be
/// read is `EL_BULK_IO`; nothing is sent then.
///
/// Ownership, errors, NULL (`path` NULL or not UTF-8 gives
/// `EL_INVALID_ARGUMENT`) and threads: as `el_delete_devices`.
///
/// # Safety
/// `client`, `options`, `out_summary`, `out_error` as for
/// `el_delete_devices`; `path` NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_delete_devices_from_file(
    client: *const el_client,
    path: *const c_char,
    options: *const el_bulk_options,
    out_summary: *mut el_bulk_summary,
    out_error: *mut el_error,
) -> el_status {
    let input = move || {
        // SAFETY: the caller guarantees `path` is NULL or a NUL-terminated
        // string.
        let path = unsafe { args::text(path, "path") }?;
        Ok(BulkInput::file(path))
    };
    // SAFETY: the caller guarantees what `delete` requires.
    unsafe {
        delete(
            "el_delete_devices_from_file",
            client,
            input,
            options,
            out_summary,
            out_error,
        )
    }
}

/// The texts of an array of `count` NUL-terminated strings, a string not
/// UTF-8 replaced lossily (the engine reports it invalid); a NULL array
/// with a count or a NULL entry is `EL_INVALID_ARGUMENT` naming it.
///
/// # Safety
/// As [`args::texts`].
pub(crate) unsafe fn lossy_texts(
    ptr: *const *const c_char,
    count: usize,
    name: &str,
) -> Result<Vec<String>, Error> {
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
        .map(|(i, p)| {
            if p.is_null() {
                return Err(Error::invalid_argument(format!("{name}[{i}] is NULL")));
            }
            // SAFETY: the caller guarantees a NUL-terminated string.
            let c = unsafe { std::ffi::CStr::from_ptr(*p) };
            Ok(c.to_string_lossy().into_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ptr::{null, null_mut};

    use crate::error::{message_str, tests::filled};
    use crate::status::el_status::*;

    fn summary() -> el_bulk_summary {
        // SAFETY: zeroed is a valid summary.
        let mut s: el_bulk_summary = unsafe { std::mem::zeroed() };
        s.size = size_of::<el_bulk_summary>();
        s
    }

    #[test]
    fn null_arguments_are_named() {
        // SAFETY: NULLs are allowed here.
        unsafe {
            let (mut s, mut err) = (summary(), filled(0));
            let st = el_delete_devices(null(), null(), 0, null(), &mut s, &mut err);
            assert_eq!(st, EL_INVALID_ARGUMENT);
            assert_eq!(message_str(&err), "client is NULL");
            let st = el_delete_devices_from_file(null(), null(), null(), null_mut(), &mut err);
            assert_eq!(st, EL_INVALID_ARGUMENT);
        }
    }

    #[test]
    fn only_fields_within_size_are_written() {
        let mut s = summary();
        s.size = offset_of!(el_bulk_summary, stopped);
        s.deleted = 7;
        s.stopped[0] = 0x55;
        // SAFETY: `s` is writable for its size.
        unsafe { write_summary(&mut s, None, el_bulk_error::EL_BULK_GUARD) };
        assert_eq!(s.error, el_bulk_error::EL_BULK_GUARD as u32);
        assert_eq!(s.deleted, 0);
        assert_eq!(s.stopped[0], 0x55, "a field past `size` was written");
        let mut s = summary();
        s.size = size_of::<usize>() + 2;
        s.error = 9;
        // SAFETY: as above.
        unsafe { write_summary(&mut s, None, el_bulk_error::EL_BULK_GUARD) };
        assert_eq!(s.error, 9, "too small to hold `error`: nothing is written");
    }

    #[test]
    fn lossy_texts_name_null_entries() {
        let bad = [b'a', 0xff, 0];
        let entries = [c"x".as_ptr(), bad.as_ptr().cast(), null()];
        // SAFETY: every pointer is NULL or a NUL-terminated string.
        unsafe {
            assert_eq!(
                lossy_texts(entries.as_ptr(), 2, "ids").unwrap(),
                ["x", "a\u{fffd}"]
            );
            let e = lossy_texts(entries.as_ptr(), 3, "ids").unwrap_err();
            assert_eq!(e.message(), "ids[2] is NULL");
            let e = lossy_texts(null(), 1, "ids").unwrap_err();
            assert_eq!(e.message(), "ids is NULL but its count is 1");
        }
    }
}
