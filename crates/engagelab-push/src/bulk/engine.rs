//! One bulk run: the first pass and the guard, then a producer that reads the
//! input's copy, workers that call EngageLab, and the calling thread that
//! watches for a cancel, sizes the pool and reports progress.

use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::backup::Backup;
use super::error::{BulkError, BulkErrorKind};
use super::files;
use super::input::{self, BulkInput, Entry, IdSet};
use super::journal::Journal;
use super::pacer::Pacer;
use super::report::{BulkSummary, Outcome, Progress, Report, Tally};
use super::{BulkDelete, CANCEL_GRACE, PROGRESS_INTERVAL, Plan};
use crate::cancel::CancelToken;
use crate::client::Client;
use crate::error::{Error, ErrorKind};
use crate::options::CallOptions;
use crate::quota::QuotaSink;
use crate::settings::{
    CANCEL_CHECK_INTERVAL, MAX_CONCURRENCY, MAX_DEFAULT_CONCURRENCY, MAX_LINE_BYTES,
    MAX_REGISTRATION_ID_LEN, MIN_DEFAULT_CONCURRENCY,
};
use crate::validate;

/// How often the calling thread looks at the cancel token (running its
/// check: Ctrl-C in Python and PHP) and the pool: as often as a single call
/// does, so a run sends nothing new later after a Ctrl-C than a call would.
const TICK: Duration = CANCEL_CHECK_INTERVAL;
/// Rate-limit answers one id may get before it counts as failed.
const MAX_RATE_LIMITED_TRIES: u32 = 20;
/// Workers started before any latency is known.
const FIRST_WORKERS: usize = 8;
/// A worker thread's stack: a call's deepest path (a TLS handshake) needs a
/// small fraction of it; the default (2 MiB) times hundreds of workers is
/// address space for nothing.
const WORKER_STACK: usize = 512 * 1024;
pub use crate::settings::MAX_SAME_FAILURES;

/// Refuses settings out of range, before anything is read or sent.
pub(super) fn check_settings(cfg: &BulkDelete<'_>) -> Result<(), BulkError> {
    if cfg.qps == 0 {
        return Err(BulkError::invalid("qps must be at least 1"));
    }
    if cfg.stall_timeout.is_zero() {
        return Err(BulkError::invalid("stall_timeout must be more than 0"));
    }
    if let Some(n) = cfg.concurrency
        && !(1..=MAX_CONCURRENCY).contains(&n)
    {
        return Err(BulkError::invalid(format!(
            "concurrency must be 1 to {MAX_CONCURRENCY}, got {n}"
        )));
    }
    files::distinct(cfg, None)
}

/// Everything the threads of a run share.
struct Shared {
    client: Client,
    pacer: Arc<Pacer>,
    tally: Tally,
    journal: Option<Journal>,
    backup: Option<Backup>,
    report: Option<Report>,
    dry_run: bool,
    /// The caller's token, looked at (without its check) before every
    /// request.
    user: Option<CancelToken>,
    /// Fired by a cancel, a write failure or a stop: no new request starts.
    stop: CancelToken,
    /// Given to every call: fired [`CANCEL_GRACE`] after `stop`.
    hard: CancelToken,
    /// The first write failure, which ends the run with an error.
    failure: OnceLock<BulkError>,
    /// Why the engine stopped the run (see [`BulkSummary::stopped`]).
    stopped: OnceLock<String>,
    /// The last failure's signature and how many times in a row it came.
    streak: Mutex<(Option<Signature>, u32)>,
    /// Each id's outcome, kept for an erasure's second pass.
    outcomes: Option<Outcomes>,
}

/// The outcome of each id a run settled (invalid and duplicate entries
/// aside).
pub(super) type Outcomes = Arc<Mutex<HashMap<String, Outcome>>>;

/// What makes two failures "the same": category, HTTP status, EngageLab code.
type Signature = (ErrorKind, Option<u16>, Option<i64>);

struct Job {
    id: String,
    position: u64,
}

/// Runs `cfg` over `input`; a journal is tied to `fingerprint` when given
/// (an erasure's aliases), else to the input's own. With `resend`, ids the
/// journal holds as finished are sent again (an erasure's devices found
/// still bound). `preamble` (an erasure's aliases and their ids) opens the
/// report, written once the run is confirmed. Each id's outcome goes into
/// `outcomes` when given. `pacer`, when given, is the one the caller's own
/// requests (an erasure's lookups) take their slots from, so that they and
/// the run's deletions together stay within `qps`.
pub(super) fn run(
    cfg: &mut BulkDelete<'_>,
    input: BulkInput,
    fingerprint: Option<String>,
    resend: bool,
    preamble: &[Value],
    outcomes: Option<Outcomes>,
    pacer: Option<Arc<Pacer>>,
) -> Result<BulkSummary, BulkError> {
    check_settings(cfg)?;
    if let BulkInput::File(path) = &input {
        files::distinct(cfg, Some(path))?;
    }
    let user_cancel = cfg.cancel.clone();
    let cancelled = || user_cancel.as_ref().is_some_and(CancelToken::is_cancelled);
    let dry_run = cfg.dry_run;
    let not_yet = |c: &input::Counted| not_sent(c.entries, c.unique_valid, dry_run);

    let mut seen = IdSet::default();
    let valid = |id: &str| validate::registration_id(id).is_ok();
    let Some(mut counted) = input::count(input, valid, &mut seen, &cancelled)? else {
        return Ok(not_sent(0, 0, dry_run));
    };
    seen.clear();
    guard(cfg, &counted, fingerprint.is_some())?;
    if cancelled() {
        return Ok(not_yet(&counted));
    }
    confirm(cfg, &counted)?;
    if cancelled() {
        return Ok(not_yet(&counted));
    }
    let outputs = open_outputs(cfg, &counted, fingerprint.as_deref(), resend, preamble)?;
    if cancelled() {
        return Ok(not_yet(&counted));
    }

    let shared = Shared {
        client: cfg.client.clone(),
        pacer: pacer.unwrap_or_else(|| Arc::new(Pacer::new(f64::from(cfg.qps)))),
        tally: Tally::default(),
        journal: outputs.journal,
        backup: outputs.backup,
        report: outputs.report,
        dry_run: cfg.dry_run,
        user: user_cancel.clone(),
        stop: CancelToken::new(),
        hard: CancelToken::new(),
        failure: OnceLock::new(),
        stopped: OnceLock::new(),
        streak: Mutex::new((None, 0)),
        outcomes,
    };
    let start = Instant::now();
    let spool = counted.spool.entries()?;
    let interrupted = drive(
        cfg,
        &shared,
        spool,
        outputs.finished,
        counted.entries,
        start,
    );
    finish(cfg, &shared, &counted, start, interrupted)
}

/// Refuses an input over `max_deletions`, or one with entries and not one
/// valid id (unless the ids are an erasure's, `from_aliases`).
fn guard(
    cfg: &BulkDelete<'_>,
    counted: &input::Counted,
    from_aliases: bool,
) -> Result<(), BulkError> {
    if counted.unique_valid > cfg.max_deletions {
        return Err(BulkError::new(
            BulkErrorKind::Guard,
            format!(
                "the input holds {}, more than max_deletions ({}); nothing was sent",
                plural(counted.unique_valid, "id", "ids"),
                cfg.max_deletions
            ),
        ));
    }
    if counted.entries > 0 && counted.unique_valid == 0 && !from_aliases {
        let first = counted
            .first_invalid
            .as_ref()
            .map(|(position, why)| format!("the first, at position {position}: {why}; "))
            .unwrap_or_default();
        return Err(BulkError::invalid(format!(
            "the input holds {} and not one registration id ({first}is it UTF-8 or \
             ASCII text, one id per line?); nothing was sent",
            plural(counted.entries, "entry", "entries")
        )));
    }
    Ok(())
}

/// Asks the caller's confirmation, if any, with the run's plan.
fn confirm(cfg: &mut BulkDelete<'_>, counted: &input::Counted) -> Result<(), BulkError> {
    if let Some(confirm) = cfg.confirm.take() {
        let plan = Plan {
            entries: counted.entries,
            ids: counted.unique_valid,
            dry_run: cfg.dry_run,
        };
        if !confirm(&plan) {
            return Err(BulkError::new(
                BulkErrorKind::Declined,
                "the run was not confirmed; nothing was sent",
            ));
        }
    }
    Ok(())
}

/// The files a run writes, and the ids its journal holds as finished.
struct Outputs {
    journal: Option<Journal>,
    /// Ids not to send again (none with `resend`).
    finished: Option<IdSet>,
    backup: Option<Backup>,
    report: Option<Report>,
}

/// Opens the journal (tied to `fingerprint`, else the input's), the backup
/// and the report the run was given, the report starting with `preamble`.
fn open_outputs(
    cfg: &BulkDelete<'_>,
    counted: &input::Counted,
    fingerprint: Option<&str>,
    resend: bool,
    preamble: &[Value],
) -> Result<Outputs, BulkError> {
    let (journal, finished) = match &cfg.journal {
        Some(path) => {
            let (j, f) = Journal::open(
                path,
                fingerprint.unwrap_or(&counted.fingerprint),
                counted.unique_valid,
                !cfg.dry_run,
            )?;
            (j, (!resend).then_some(f.ids))
        }
        None => (None, None),
    };
    let backup = match &cfg.backup {
        Some(path) => Some(Backup::open(path).map_err(|e| {
            BulkError::io(format!("cannot open the backup {}", path.display()), &e)
        })?),
        None => None,
    };
    let report = match &cfg.report {
        Some(path) => {
            let report = Report::open(path, journal.is_some()).map_err(|e| {
                BulkError::io(format!("cannot open the report {}", path.display()), &e)
            })?;
            for line in preamble {
                report.write(line).map_err(|e| {
                    BulkError::io(format!("cannot write the report {}", path.display()), &e)
                })?;
            }
            Some(report)
        }
        None => None,
    };
    Ok(Outputs {
        journal,
        finished,
        backup,
        report,
    })
}

/// Runs the producer and the workers until both are done, the calling
/// thread watching for a cancel or a stall, sizing the pool and reporting
/// progress. Returns whether the caller's cancel interrupted the run.
fn drive(
    cfg: &mut BulkDelete<'_>,
    shared: &Shared,
    spool: input::SpoolReader<'_>,
    finished: Option<IdSet>,
    entries: u64,
    start: Instant,
) -> bool {
    let cap = cfg.concurrency.unwrap_or_else(|| {
        (cfg.qps as usize).clamp(MIN_DEFAULT_CONCURRENCY, MAX_DEFAULT_CONCURRENCY)
    });
    let user_cancel = cfg.cancel.clone();
    let cancelled = || user_cancel.as_ref().is_some_and(CancelToken::is_cancelled);
    let on_progress = &mut cfg.on_progress;
    let stall_timeout = cfg.stall_timeout;
    let (tx, rx) = sync_channel::<Job>(cap.max(FIRST_WORKERS) * 2);
    let rx = Mutex::new(rx);
    let rx = &rx;
    let mut interrupted = false;
    let mut panicked = None;

    thread::scope(|s| {
        let producer = s.spawn(move || produce(shared, spool, finished, tx));
        let mut workers = Vec::new();
        while workers.len() < FIRST_WORKERS.min(cap) {
            workers.push(spawn_worker(s, move || work(shared, rx)));
        }
        let mut stopped_at: Option<Instant> = None;
        let mut last_progress = Instant::now();
        let mut stall = Stall::new(shared);
        loop {
            if stopped_at.is_none()
                && let Some(why) = stall.check(shared, stall_timeout)
            {
                shared.halt(why);
            }
            // The token's check is the caller's code, as is `on_progress`.
            let cancel_seen = stopped_at.is_none()
                && panic::catch_unwind(AssertUnwindSafe(cancelled)).unwrap_or_else(|payload| {
                    panicked.get_or_insert(payload);
                    true
                });
            if stopped_at.is_none() && (cancel_seen || shared.stop.is_flagged()) {
                interrupted |= shared.failure.get().is_none() && shared.stopped.get().is_none();
                shared.stop.cancel();
                stopped_at = Some(Instant::now());
            }
            if stopped_at.is_some_and(|t| t.elapsed() >= CANCEL_GRACE) {
                shared.hard.cancel();
            }
            if producer.is_finished() && workers.iter().all(|w| w.is_finished()) {
                break;
            }
            if stopped_at.is_none() {
                let latency = shared.tally.mean_latency().as_secs_f64();
                let needed = (shared.pacer.rate() * latency * 1.25).ceil() as usize + 2;
                while workers.len() < needed.min(cap) {
                    workers.push(spawn_worker(s, move || work(shared, rx)));
                }
            }
            if let Some(f) = on_progress.as_mut()
                && panicked.is_none()
                && last_progress.elapsed() >= PROGRESS_INTERVAL
            {
                let now = progress(shared, entries, start, stopped_at.is_some());
                // The caller's code failed: no request is sent after it, and
                // its panic goes on once the workers are done (as a panic of
                // the token's check, above, does).
                if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| f(&now))) {
                    shared.stop.cancel();
                    panicked = Some(payload);
                }
                last_progress = Instant::now();
            }
            thread::sleep(TICK);
        }
        let _ = producer.join();
    });
    if let Some(payload) = panicked {
        panic::resume_unwind(payload);
    }
    interrupted
}

/// The run's summary, its last progress report and the report file's
/// summary line; the run's first failure, if any, instead.
fn finish(
    cfg: &mut BulkDelete<'_>,
    shared: &Shared,
    counted: &input::Counted,
    start: Instant,
    interrupted: bool,
) -> Result<BulkSummary, BulkError> {
    let entries = counted.entries;
    let counts = shared.tally.counts();
    let summary = BulkSummary {
        entries,
        ids: counted.unique_valid,
        counts,
        not_started: entries.saturating_sub(counts.total()),
        rate_limited: shared.tally.rate_limited.load(Ordering::Relaxed),
        elapsed: start.elapsed(),
        interrupted,
        stopped: shared.stopped.get().cloned(),
        dry_run: cfg.dry_run,
    };
    if let Some(f) = cfg.on_progress.as_mut() {
        f(&progress(shared, entries, start, interrupted));
    }
    if let Some(r) = &shared.report
        && let Err(e) = r.summary(&summary)
    {
        let _ = shared
            .failure
            .set(BulkError::mid_run("cannot write the report", &e));
    }
    match shared.failure.get() {
        Some(e) if e.kind() == BulkErrorKind::WriteFailed => Err(e.clone().with_summary(summary)),
        Some(e) => Err(e.clone()),
        None => Ok(summary),
    }
}

/// The summary of a run cancelled before it sent anything.
fn not_sent(entries: u64, ids: u64, dry_run: bool) -> BulkSummary {
    BulkSummary {
        entries,
        ids,
        counts: Default::default(),
        not_started: entries,
        rate_limited: 0,
        elapsed: Duration::ZERO,
        interrupted: true,
        stopped: None,
        dry_run,
    }
}

fn progress(shared: &Shared, total: u64, start: Instant, interrupted: bool) -> Progress {
    let counts = shared.tally.counts();
    let pause = shared.pacer.pause();
    Progress {
        done: counts.total(),
        total,
        counts,
        rate_limited: shared.tally.rate_limited.load(Ordering::Relaxed),
        elapsed: start.elapsed(),
        qps: shared.pacer.rate(),
        in_flight: shared.tally.in_flight.load(Ordering::Relaxed),
        pause: pause.map_or(Duration::ZERO, |p| p.0),
        pause_reason: pause.map(|p| p.1.text()),
        interrupted,
    }
}

/// Watches for a run that stays rate-limited with no id settled.
struct Stall {
    /// Ids settled (deleted, not found, would delete) at the last look.
    settled: u64,
    /// Since when none was.
    since: Instant,
    /// Rate-limit answers at that time.
    limited: u64,
}

impl Stall {
    fn new(shared: &Shared) -> Stall {
        Stall {
            settled: 0,
            since: Instant::now(),
            limited: shared.tally.rate_limited.load(Ordering::Relaxed),
        }
    }

    /// Why the run must stop, once it has been rate-limited with no id
    /// settled for `timeout`.
    fn check(&mut self, shared: &Shared, timeout: Duration) -> Option<String> {
        let c = shared.tally.counts();
        let settled = c.deleted + c.not_found + c.would_delete;
        let limited = shared.tally.rate_limited.load(Ordering::Relaxed);
        if settled != self.settled {
            *self = Stall {
                settled,
                since: Instant::now(),
                limited,
            };
            return None;
        }
        let held = shared.pacer.pause();
        if (limited == self.limited && held.is_none()) || self.since.elapsed() < timeout {
            return None;
        }
        let reason = held.map_or("", |p| p.1.text());
        Some(format!(
            "rate-limited with no device deleted for {} ({} rate-limited answers since the \
             last deletion{}{reason}); the AppKey's quota is taken, likely by other traffic: try \
             again later or with a lower qps",
            if timeout < Duration::from_secs(1) {
                format!("{} ms", timeout.as_millis())
            } else {
                format!("{} s", timeout.as_secs())
            },
            limited - self.limited,
            if reason.is_empty() { "" } else { "; " },
        ))
    }
}

/// Starts a worker with a [`WORKER_STACK`] stack (the default one if that
/// fails).
fn spawn_worker<'s, 'e>(
    s: &'s thread::Scope<'s, 'e>,
    f: impl FnOnce() + Send + Copy + 's,
) -> thread::ScopedJoinHandle<'s, ()> {
    thread::Builder::new()
        .name("bulk-worker".into())
        .stack_size(WORKER_STACK)
        .spawn_scoped(s, f)
        .unwrap_or_else(|_| s.spawn(f))
}

/// Reads the input's copy, settles what needs no request, and hands the
/// rest to the workers. A copy that cannot be read back stops the run
/// (ids already handed over are not sent).
fn produce(
    shared: &Shared,
    entries: input::SpoolReader<'_>,
    finished: Option<IdSet>,
    tx: std::sync::mpsc::SyncSender<Job>,
) {
    for entry in entries {
        if shared.halted() {
            break;
        }
        let Entry {
            position,
            text,
            duplicate,
            too_long,
        } = match entry {
            Ok(entry) => entry,
            Err(e) => {
                shared.fail(e);
                break;
            }
        };
        if too_long {
            let e = Error::invalid_argument(format!(
                "line {position} is longer than {MAX_LINE_BYTES} bytes; a registration id is at \
                 most {MAX_REGISTRATION_ID_LEN}"
            ));
            shared.record(&text, position, Outcome::Invalid, Some(&e));
        } else if let Err(e) = validate::registration_id(&text) {
            shared.record(&text, position, Outcome::Invalid, Some(&e));
        } else if duplicate {
            shared.record(&text, position, Outcome::Duplicate, None);
        } else if finished.as_ref().is_some_and(|f| f.contains(&text)) {
            shared.record(&text, position, Outcome::AlreadyDone, None);
        } else if tx.send(Job { id: text, position }).is_err() {
            break;
        }
    }
}

/// One worker: takes ids until the input ends; after a stop it only drains.
fn work(shared: &Shared, rx: &Mutex<Receiver<Job>>) {
    loop {
        let job = match rx.lock().unwrap_or_else(|p| p.into_inner()).recv() {
            Ok(job) => job,
            Err(_) => return,
        };
        if shared.halted() {
            continue;
        }
        if let Some((outcome, error)) = shared.settle(&job.id) {
            shared.record(&job.id, job.position, outcome, error.as_ref());
        }
    }
}

impl Shared {
    /// Whether no new request may start: the run was stopped, or the
    /// caller's token fired (seen here at once, before the calling thread's
    /// next look).
    fn halted(&self) -> bool {
        self.stop.is_flagged() || self.user.as_ref().is_some_and(CancelToken::is_flagged)
    }

    /// What becomes of one id; `None` when the run stopped before its first
    /// request (it is sent again by a rerun).
    fn settle(&self, id: &str) -> Option<(Outcome, Option<Error>)> {
        if let Some(backup) = &self.backup {
            match self.call(|c, o| c.get_device_with(id, o))? {
                Ok(device) => {
                    if let Err(e) = backup.keep(&device) {
                        self.fail(BulkError::mid_run("cannot write the backup", &e));
                        return None;
                    }
                }
                Err(e) if is_not_found(&e) => return Some((Outcome::NotFound, None)),
                Err(e) => return Some((Outcome::Failed, Some(e))),
            }
        }
        if self.dry_run {
            return Some((Outcome::WouldDelete, None));
        }
        match self.call(|c, o| c.delete_device_with(id, o))? {
            Ok(()) => Some((Outcome::Deleted, None)),
            // After a lost answer the first attempt may have deleted it: the
            // report keeps the error, `maybe_deleted` set.
            Err(e) if is_not_found(&e) => Some((Outcome::NotFound, e.maybe_deleted().then_some(e))),
            Err(e) => Some((Outcome::Failed, Some(e))),
        }
    }

    /// One paced call, tried again after each rate-limit answer and, as
    /// the client's retry settings say, after each retryable failure: every
    /// attempt takes a slot of the pacer. `None` when the run stopped before
    /// the first attempt; stopped later, the last attempt's error. Nothing
    /// is sent once the run is halted. The error returned counts every
    /// attempt, rate-limited ones included, and is `maybe_deleted` when any
    /// attempt was.
    fn call<T>(
        &self,
        f: impl Fn(&Client, &CallOptions) -> Result<T, Error>,
    ) -> Option<Result<T, Error>> {
        let pacer = Arc::clone(&self.pacer);
        let options = CallOptions::new()
            .cancel(self.hard.clone())
            .without_retries()
            .on_quota(QuotaSink(Arc::new(move |q| pacer.quota(q))));
        let policy = self.client.retry_policy();
        let mut limited = 0;
        // Attempts the client's retry settings count (rate-limited ones are
        // paced instead), and all attempts made.
        let mut attempts = 0;
        let mut made = 0;
        let mut maybe_deleted = false;
        let mut last: Option<Error> = None;
        // Stopped between attempts: an id already sent is reported with what
        // its attempts did (one may have deleted it), never as not started.
        let stopped = |last: Option<Error>, made, maybe_deleted| {
            last.map(|e: Error| Err(e.with_attempts(made, maybe_deleted)))
        };
        loop {
            if self.halted() {
                return stopped(last, made, maybe_deleted);
            }
            let Some(started) = self.pacer.acquire(&self.stop) else {
                return stopped(last, made, maybe_deleted);
            };
            if self.halted() {
                return stopped(last, made, maybe_deleted);
            }
            self.tally.in_flight.fetch_add(1, Ordering::Relaxed);
            let result = f(&self.client, &options);
            self.tally.latency(started.elapsed());
            self.tally.in_flight.fetch_sub(1, Ordering::Relaxed);
            let e = match result {
                Err(e) => e,
                ok => return Some(ok),
            };
            made += 1;
            maybe_deleted |= e.maybe_deleted();
            if e.kind() == ErrorKind::RateLimited {
                self.tally.rate_limited.fetch_add(1, Ordering::Relaxed);
                limited += 1;
                if limited >= MAX_RATE_LIMITED_TRIES {
                    return Some(Err(e.with_attempts(made, maybe_deleted)));
                }
                self.pacer.rate_limited(started, e.retry_after());
                last = Some(e);
                continue;
            }
            attempts += 1;
            if !e.kind().retryable() || attempts > policy.max_retries {
                return Some(Err(e.with_attempts(made, maybe_deleted)));
            }
            let wait = policy.wait(attempts, e.retry_after());
            if !self.stop.sleep_until(Instant::now() + wait) {
                return Some(Err(e.with_attempts(made, maybe_deleted)));
            }
            last = Some(e);
        }
    }

    /// The report first, then the journal (on disk before the worker moves
    /// on: a journaled id always has its report line), then the counts; a
    /// failure may stop the run (see [`Shared::watch`]).
    fn record(&self, id: &str, position: u64, outcome: Outcome, error: Option<&Error>) {
        if let Some(r) = &self.report
            && let Err(e) = r.line(id, position, outcome, error)
        {
            self.fail(BulkError::mid_run("cannot write the report", &e));
        }
        if let Some(j) = &self.journal
            && matches!(outcome, Outcome::Deleted | Outcome::NotFound)
            && let Err(e) = j.finish(id, outcome == Outcome::Deleted)
        {
            self.fail(BulkError::mid_run("cannot write the journal", &e));
        }
        if let Some(all) = &self.outcomes
            && !matches!(outcome, Outcome::Invalid | Outcome::Duplicate)
        {
            all.lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(id.to_owned(), outcome);
        }
        self.tally.add(outcome);
        self.watch(outcome, error);
    }

    /// Stops the run on an answer every other id would get too: the
    /// credentials refused (`AUTH`, at the first), or the same
    /// non-retryable failure [`MAX_SAME_FAILURES`] times in a row.
    fn watch(&self, outcome: Outcome, error: Option<&Error>) {
        let mut streak = self.streak.lock().unwrap_or_else(|p| p.into_inner());
        let Some(e) = error.filter(|_| outcome == Outcome::Failed) else {
            if matches!(
                outcome,
                Outcome::Deleted | Outcome::NotFound | Outcome::WouldDelete
            ) {
                *streak = (None, 0);
            }
            return;
        };
        if e.kind() == ErrorKind::Auth {
            self.halt(e.to_string());
            return;
        }
        if e.kind().retryable() || e.kind() == ErrorKind::Cancelled {
            *streak = (None, 0);
            return;
        }
        let signature = (e.kind(), e.http_status(), e.api_code());
        if streak.0 == Some(signature) {
            streak.1 += 1;
        } else {
            *streak = (Some(signature), 1);
        }
        if streak.1 >= MAX_SAME_FAILURES {
            self.halt(format!(
                "the same failure {MAX_SAME_FAILURES} times in a row: {e}"
            ));
        }
    }

    /// Stops the run, saying why.
    fn halt(&self, why: String) {
        let _ = self.stopped.set(why);
        self.stop.cancel();
    }

    fn fail(&self, error: BulkError) {
        let _ = self.failure.set(error);
        self.stop.cancel();
    }
}

/// EngageLab's answer for an id (or alias) it does not know; the error model
/// decides (`NOT_FOUND`, which a 400 with code 27002 is too).
pub(super) fn is_not_found(e: &Error) -> bool {
    e.kind() == ErrorKind::NotFound
}

/// `n` and the word for it: "1 entry", "3 entries".
fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bulk::input::FAIL_SPOOL_AFTER;
    use engagelab_mock::{DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET, Device, MockConfig, MockServer};

    /// A disk that fails while the run reads its copy of the input back
    /// stops the run as a file it writes would: `WriteFailed`, with what was
    /// sent, and no id sent after it.
    #[test]
    fn an_input_copy_that_cannot_be_read_back_stops_the_run_with_its_summary() {
        let ids: Vec<String> = (0..600).map(|i| format!("dev-{i:05}")).collect();
        let mock = MockServer::start(MockConfig {
            devices: ids.iter().map(Device::new).collect(),
            ..MockConfig::default()
        })
        .expect("mock starts");
        let client = Client::builder(DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET)
            .base_url(mock.base_url())
            .build()
            .expect("client builds");
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("report.jsonl");
        // Lines of the copy take 14 to 16 bytes: about 260 ids are read at
        // once and queued (the queue holds twice `concurrency`); at 20 per
        // second, sending them all would take 13 s.
        FAIL_SPOOL_AFTER.set(Some(4_000));
        let result = client
            .bulk_delete()
            .qps(20)
            .concurrency(200)
            .max_deletions(1_000)
            .report(&report)
            .run(ids.clone());
        FAIL_SPOOL_AFTER.set(None);
        let e = result.expect_err("the copy fails part-way");
        assert_eq!(e.kind(), BulkErrorKind::WriteFailed, "{e}");
        assert_eq!(
            e.message(),
            "stopped: cannot read the input's temporary copy: injected read failure"
        );
        let summary = e.summary().expect("what was sent");
        let deleted = (600 - mock.devices().len()) as u64;
        let sent = mock.log().iter().filter(|r| r.method == "DELETE").count() as u64;
        assert_eq!((summary.counts.deleted, sent), (deleted, deleted));
        // The queued ids are dropped: only those already paced are sent.
        assert!(deleted < 60, "{deleted} sent after the failure");
        assert_eq!(summary.not_started, 600 - deleted);
        let text = std::fs::read_to_string(&report).unwrap();
        let last: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
        assert_eq!(last["summary"]["deleted"], deleted);
    }
}
