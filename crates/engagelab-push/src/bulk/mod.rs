//! Bulk deletion: many ids, paced, resumable, backed up, reported.
//!
//! [`Client::bulk_delete`] configures a run; [`BulkDelete::run`] does it and
//! returns a [`BulkSummary`]. See [`BulkDelete`] for what a run guarantees.
//! [`BulkDelete::erase_users`] (and [`Client::erase_user`]) erase users by
//! alias through the same run.

mod aimd;
mod backup;
mod engine;
mod erase;
mod error;
mod files;
mod input;
mod journal;
mod pacer;
mod report;
mod synced;

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::cancel::CancelToken;
use crate::client::Client;

pub use engine::MAX_SAME_FAILURES;
pub use erase::{ErasedUser, Erasure};
pub use error::{BulkError, BulkErrorKind};
pub use files::same_file;
pub use input::BulkInput;
pub use input::MAX_LINE_BYTES;
pub use report::{BulkSummary, Counts, Outcome, Progress};

pub use crate::settings::{
    CANCEL_GRACE, DEFAULT_MAX_DELETIONS, DEFAULT_QPS, DEFAULT_STALL_TIMEOUT, MAX_CONCURRENCY,
    PROGRESS_INTERVAL,
};

type ProgressFn<'a> = Box<dyn FnMut(&Progress) + Send + 'a>;
type ConfirmFn<'a> = Box<dyn FnOnce(&Plan) -> bool + Send + 'a>;
type ResolvedFn<'a> = Box<dyn FnMut(&ErasedUser) + Send + 'a>;

/// What a run is about to do, once the input is counted and the guard
/// passed; handed to the [`confirm`](BulkDelete::confirm) callback.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Plan {
    /// Entries in the input (blank and `#` lines not counted).
    pub entries: u64,
    /// Distinct valid ids, the count the guard checks: what the run deletes,
    /// those a resumed run's journal holds as done included (the journal is
    /// read after the confirmation; they are then skipped, `already_done`).
    pub ids: u64,
    /// Whether it is a dry run.
    pub dry_run: bool,
}

/// A bulk deletion run, configured step by step; made by
/// [`Client::bulk_delete`], started by [`run`](Self::run).
///
/// What a run does with each entry of the input, in order: skips blank and
/// `#` lines; reports an entry that is not a registration id as `invalid`
/// and a repeated id as `duplicate` (neither is sent); reports an id that
/// the journal holds as finished as `already_done`; with a backup, GETs the
/// device and appends it to the backup file (a device GET does not find is
/// `not_found` and is not deleted); then DELETEs it: `deleted`,
/// `not_found` or `failed`.
///
/// - **Guard.** The input is read once, first, and counted: more distinct
///   valid ids than [`max_deletions`](Self::max_deletions) and the run
///   refuses to start ([`BulkErrorKind::Guard`]); nothing is sent.
/// - **Pacing.** At most [`qps`](Self::qps) requests per second (GET and
///   DELETE alike, retries included), from one shared token bucket. Below
///   the server's limit the run holds `qps` and is never rate-limited. At
///   the limit, a rate-limit answer lowers the rate by 5% (once per round
///   trip), pauses briefly (a hint of a second or less is an upper bound;
///   a longer `Retry-After` is honoured in full), and the rate climbs back
///   to just under where limiting began, probing past it only after a calm
///   spell (AIMD with a remembered ceiling). The id is tried again. When
///   answers carry `X-Rate-Limit-Limit`/`-Remaining`/`-Reset`, the rate
///   stays under the stated limit and a used-up window pauses the run until
///   it resets, before any rate-limit answer.
/// - **Retries.** The client's retry settings apply, but each retry of a
///   server error or a lost connection goes through the pacer too.
/// - **Concurrency.** Worker threads share the client's one connection
///   pool; there are as many as keep `qps` going at the observed latency, at
///   most [`concurrency`](Self::concurrency).
/// - **Journal.** Each finished id is on disk before its worker takes the
///   next one, so a crash (even SIGKILL) loses nothing and a rerun with the
///   same journal and input resends at most the ids that were in flight. A
///   journal belongs to the set of ids it was started with, in any order,
///   and refuses another ([`BulkErrorKind::JournalMismatch`]); a run locks
///   its journal, and a second run on it refuses to start
///   ([`BulkErrorKind::JournalBusy`]). Failed ids are not recorded: a rerun
///   tries them again.
/// - **Report.** Each line is written whole, in one `write`, as soon as its
///   outcome is known (with a journal, on disk before the journal's line):
///   a crash leaves every journaled id reported, and a torn last line is cut
///   off when the report is opened again.
/// - **Files** the run creates (journal, backup, report) are private to
///   their owner (0600): the backup holds users' tags and aliases. When one
///   cannot be written mid-run, no request is sent after that and the run
///   ends with [`BulkErrorKind::WriteFailed`], carrying the summary.
/// - **Stops.** The first `AUTH` failure, the same non-retryable failure
///   [`MAX_SAME_FAILURES`] times in a row, or a run rate-limited with no id
///   settled for the [`stall_timeout`](Self::stall_timeout) stops the run:
///   the summary's [`stopped`](BulkSummary::stopped) says why.
/// - **Input.** An input with entries but not one valid id refuses to start
///   ([`BulkErrorKind::InvalidArgument`]).
/// - **Memory** stays flat: ids are streamed, and only a set of 64-bit
///   hashes of the ids grows with the input, about 9 to 18 bytes per id:
///   while the input is counted (the copy it is read back from marks the
///   duplicates), and, when a journal is resumed, its finished ids. Each
///   worker costs tens of KiB: a small stack and its connection's buffers
///   (16 KiB to read, 8 KiB to write).
/// - **Cancellation.** Once the [`cancel`](Self::cancel) token fired, no
///   request is sent, whatever the phase (counting, confirming, starting):
///   a run cancelled before sending returns at once, `interrupted`, having
///   sent nothing. Workers look at the token before every request; those in
///   flight finish (or are cancelled after [`CANCEL_GRACE`]); the summary
///   says `interrupted`. An id stopped between its attempts (a retry, a
///   rate-limit pause) is `failed` with its last error, `maybe_deleted`
///   when an attempt may have deleted it.
///
/// ```no_run
/// use engagelab_push::{BulkInput, Client, CancelToken};
///
/// let client = Client::from_env()?;
/// let stop = CancelToken::new();
/// let summary = client
///     .bulk_delete()
///     .qps(100)
///     .journal("erasure.journal")
///     .report("erasure.report.jsonl")
///     .max_deletions(5000)
///     .cancel(stop.clone())
///     .on_progress(|p| eprintln!("{} of {}", p.done, p.total))
///     .run(BulkInput::file("erasure-queue.txt"))?;
/// println!("{} deleted, {} failed", summary.counts.deleted, summary.counts.failed);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct BulkDelete<'a> {
    client: Client,
    qps: u32,
    concurrency: Option<usize>,
    journal: Option<PathBuf>,
    backup: Option<PathBuf>,
    report: Option<PathBuf>,
    max_deletions: u64,
    dry_run: bool,
    stall_timeout: Duration,
    on_progress: Option<ProgressFn<'a>>,
    confirm: Option<ConfirmFn<'a>>,
    on_resolved: Option<ResolvedFn<'a>>,
    cancel: Option<CancelToken>,
}

impl Client {
    /// Starts configuring a bulk deletion with this client (and its
    /// connection pool); see [`BulkDelete`].
    pub fn bulk_delete(&self) -> BulkDelete<'static> {
        BulkDelete {
            client: self.clone(),
            qps: DEFAULT_QPS,
            concurrency: None,
            journal: None,
            backup: None,
            report: None,
            max_deletions: DEFAULT_MAX_DELETIONS,
            dry_run: false,
            stall_timeout: DEFAULT_STALL_TIMEOUT,
            on_progress: None,
            confirm: None,
            on_resolved: None,
            cancel: None,
        }
    }
}

impl<'a> BulkDelete<'a> {
    /// Requests per second, GET and DELETE together (default
    /// [`DEFAULT_QPS`]; at least 1). Up to the AppKey's quota, less what the
    /// app's pushes need.
    pub fn qps(mut self, qps: u32) -> Self {
        self.qps = qps;
        self
    }

    /// The most requests in flight at once (default: `qps`, between
    /// [`MIN_DEFAULT_CONCURRENCY`](crate::settings::MIN_DEFAULT_CONCURRENCY) and
    /// [`MAX_DEFAULT_CONCURRENCY`](crate::settings::MAX_DEFAULT_CONCURRENCY),
    /// enough for a second of latency; 1 to [`MAX_CONCURRENCY`]).
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = Some(concurrency);
        self
    }

    /// The journal file that makes the run resumable; created if missing.
    pub fn journal(mut self, path: impl Into<PathBuf>) -> Self {
        self.journal = Some(path.into());
        self
    }

    /// The backup file: each device is fetched (GET) and appended as a JSON
    /// line `{"registration_id","tags","alias","raw","fetched_at"}`, on disk
    /// before its DELETE is sent. A device GET does not find is `not_found`
    /// and is not deleted; one GET fails for is `failed` and is not deleted.
    pub fn backup(mut self, path: impl Into<PathBuf>) -> Self {
        self.backup = Some(path.into());
        self
    }

    /// The report file: one JSON line per entry, then a summary line.
    /// Appended to, so reruns add to it.
    pub fn report(mut self, path: impl Into<PathBuf>) -> Self {
        self.report = Some(path.into());
        self
    }

    /// The guard: the most distinct valid ids the input may hold (default
    /// [`DEFAULT_MAX_DELETIONS`]).
    pub fn max_deletions(mut self, max: u64) -> Self {
        self.max_deletions = max;
        self
    }

    /// Validate, dedupe and count, and send no DELETE (with a backup, GETs
    /// are still sent). Valid ids are reported as `would_delete`; the
    /// journal is read but not written.
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// How long the run may stay rate-limited (answered 429, or held by a
    /// used-up quota) with no id settled before it stops, its summary's
    /// [`stopped`](BulkSummary::stopped) saying why (default
    /// [`DEFAULT_STALL_TIMEOUT`]; more than 0).
    pub fn stall_timeout(mut self, timeout: Duration) -> Self {
        self.stall_timeout = timeout;
        self
    }

    /// Called on the thread that runs [`run`](Self::run), at most every
    /// [`PROGRESS_INTERVAL`] and once at the end; a run cancelled before it
    /// started sending ends without a call (its summary says so). A panic in it stops the
    /// run as a cancel does (no request is sent after it; those in flight
    /// finish), then goes on from `run` once the workers are done.
    pub fn on_progress<'b>(self, f: impl FnMut(&Progress) + Send + 'b) -> BulkDelete<'b>
    where
        'a: 'b,
    {
        BulkDelete {
            client: self.client,
            qps: self.qps,
            concurrency: self.concurrency,
            journal: self.journal,
            backup: self.backup,
            report: self.report,
            max_deletions: self.max_deletions,
            dry_run: self.dry_run,
            stall_timeout: self.stall_timeout,
            on_progress: Some(Box::new(f)),
            confirm: self.confirm,
            on_resolved: self.on_resolved,
            cancel: self.cancel,
        }
    }

    /// Called once the input is counted and the guard passed, before any
    /// file is opened or request sent; returning false ends the run with
    /// [`BulkErrorKind::Declined`] (e.g. an operator who did not confirm).
    pub fn confirm(mut self, f: impl FnOnce(&Plan) -> bool + Send + 'a) -> Self {
        self.confirm = Some(Box::new(f));
        self
    }

    /// A token that stops the run when cancelled (from any thread, or by the
    /// token's check, which runs on the thread that called `run`). A panic in
    /// the check stops the run as a cancel does, then goes on from `run` once
    /// the workers are done.
    pub fn cancel(mut self, token: CancelToken) -> Self {
        self.cancel = Some(token);
        self
    }

    /// Runs the deletion and returns what it did.
    ///
    /// # Errors
    /// [`BulkError`] when the run refuses to start (the guard, a journal of
    /// another input or in use, an input without a valid id, a setting out
    /// of range, a file that cannot be opened; nothing is sent then) or must
    /// stop (a file that cannot be written: [`BulkErrorKind::WriteFailed`],
    /// with the summary).
    /// Failed deletions and cancellation are not errors: see
    /// [`BulkSummary`].
    pub fn run(mut self, input: impl Into<BulkInput>) -> Result<BulkSummary, BulkError> {
        engine::run(&mut self, input.into(), None, false, &[], None, None)
    }

    /// The checks of the settings that [`run`](Self::run) and
    /// [`erase_users`](Self::erase_users) make before reading their input
    /// (`qps`, `concurrency`, `stall_timeout`, and a journal, report and
    /// backup that are distinct files), for a caller that must collect its
    /// input first (another language's iterable, read once): a bad setting
    /// is then refused before the input is consumed.
    pub fn check_settings(&self) -> Result<(), BulkError> {
        engine::check_settings(self)
    }
}

impl fmt::Debug for BulkDelete<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkDelete")
            .field("client", &self.client)
            .field("qps", &self.qps)
            .field("concurrency", &self.concurrency)
            .field("journal", &self.journal)
            .field("backup", &self.backup)
            .field("report", &self.report)
            .field("max_deletions", &self.max_deletions)
            .field("dry_run", &self.dry_run)
            .field("stall_timeout", &self.stall_timeout)
            .finish_non_exhaustive()
    }
}
