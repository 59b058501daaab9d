//! Outcomes, the counts kept while a run goes, the report file (JSON Lines)
//! and the summary a run returns.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use super::synced::SyncedLog;
use crate::error::Error;

/// What became of one entry of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Outcome {
    /// The device was deleted (a 2xx answer).
    Deleted,
    /// EngageLab does not know the id (`NOT_FOUND`: HTTP 404, or its HTTP
    /// 400 with code 27002); to DELETE or, with a backup, to GET. Nothing
    /// was deleted by this answer; a retried DELETE's earlier attempt may
    /// have deleted it.
    NotFound,
    /// The call failed; the report line holds every field of the error.
    Failed,
    /// Not a registration id; never sent.
    Invalid,
    /// An id seen earlier in the input; not sent again.
    Duplicate,
    /// The journal records this id as finished by an earlier run; not sent.
    AlreadyDone,
    /// Dry run only: the id would be deleted (no DELETE was sent).
    WouldDelete,
}

impl Outcome {
    /// The name used in the report: `deleted`, `not_found`, `failed`,
    /// `invalid`, `duplicate`, `already_done`, `would_delete`.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Deleted => "deleted",
            Outcome::NotFound => "not_found",
            Outcome::Failed => "failed",
            Outcome::Invalid => "invalid",
            Outcome::Duplicate => "duplicate",
            Outcome::AlreadyDone => "already_done",
            Outcome::WouldDelete => "would_delete",
        }
    }

    const ALL: [Outcome; 7] = [
        Outcome::Deleted,
        Outcome::NotFound,
        Outcome::Failed,
        Outcome::Invalid,
        Outcome::Duplicate,
        Outcome::AlreadyDone,
        Outcome::WouldDelete,
    ];

    fn index(self) -> usize {
        Outcome::ALL.iter().position(|o| *o == self).unwrap_or(0)
    }
}

/// Counts per outcome, as a run goes or at its end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Counts {
    /// Devices deleted.
    pub deleted: u64,
    /// Ids EngageLab did not know.
    pub not_found: u64,
    /// Ids whose call failed.
    pub failed: u64,
    /// Entries that are not registration ids.
    pub invalid: u64,
    /// Repeated ids.
    pub duplicate: u64,
    /// Ids the journal holds as finished.
    pub already_done: u64,
    /// Dry run: ids that would be deleted.
    pub would_delete: u64,
}

impl Counts {
    /// The count of one outcome.
    pub(crate) fn slot(&mut self, outcome: Outcome) -> &mut u64 {
        match outcome {
            Outcome::Deleted => &mut self.deleted,
            Outcome::NotFound => &mut self.not_found,
            Outcome::Failed => &mut self.failed,
            Outcome::Invalid => &mut self.invalid,
            Outcome::Duplicate => &mut self.duplicate,
            Outcome::AlreadyDone => &mut self.already_done,
            Outcome::WouldDelete => &mut self.would_delete,
        }
    }

    /// Entries with an outcome so far.
    pub fn total(&self) -> u64 {
        self.deleted
            + self.not_found
            + self.failed
            + self.invalid
            + self.duplicate
            + self.already_done
            + self.would_delete
    }

    fn json(&self) -> Value {
        json!({
            "deleted": self.deleted,
            "not_found": self.not_found,
            "failed": self.failed,
            "invalid": self.invalid,
            "duplicate": self.duplicate,
            "already_done": self.already_done,
            "would_delete": self.would_delete,
        })
    }
}

/// Where a run stands; handed to the progress callback.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Progress {
    /// Entries with an outcome so far.
    pub done: u64,
    /// Entries of the input (blank and `#` lines not counted).
    pub total: u64,
    /// Counts per outcome so far.
    pub counts: Counts,
    /// Rate-limit answers received so far.
    pub rate_limited: u64,
    /// Time since the run started sending.
    pub elapsed: Duration,
    /// The pacing rate in force, requests per second.
    pub qps: f64,
    /// Requests in flight right now.
    pub in_flight: u64,
    /// How long the workers still wait before the next request, when the
    /// pacer holds them (after a rate-limit answer, or a used-up quota).
    pub pause: Duration,
    /// Why they wait, when they do.
    pub pause_reason: Option<&'static str>,
    /// Whether the run was asked to stop.
    pub interrupted: bool,
}

/// What a run did. Also written, as `{"summary":{...}}`, as the last line
/// of the report.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BulkSummary {
    /// Entries in the input (blank and `#` lines not counted).
    pub entries: u64,
    /// Distinct valid ids in the input (what the guard counted).
    pub ids: u64,
    /// Counts per outcome.
    pub counts: Counts,
    /// Entries the run never reached because it was interrupted or the
    /// engine stopped it (`stopped` says why).
    pub not_started: u64,
    /// Rate-limit answers received (each was paced and retried).
    pub rate_limited: u64,
    /// Time from the first request to the end.
    pub elapsed: Duration,
    /// Whether the run was cancelled before its end.
    pub interrupted: bool,
    /// Why the engine stopped the run before its end, when it did: the
    /// credentials were refused (`AUTH`), the same non-retryable failure
    /// came back for many ids in a row (sending more would only repeat it),
    /// or the run stayed rate-limited with no id settled for the
    /// [`stall_timeout`](super::BulkDelete::stall_timeout).
    pub stopped: Option<String>,
    /// Whether it was a dry run.
    pub dry_run: bool,
}

impl BulkSummary {
    /// Deletions (or, in a dry run, ids checked) per second of `elapsed`.
    pub fn rate(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        let n = if self.dry_run {
            self.counts.would_delete + self.counts.not_found
        } else {
            self.counts.deleted + self.counts.not_found
        };
        if secs > 0.0 { n as f64 / secs } else { 0.0 }
    }

    /// True when no id failed and the run was neither interrupted nor
    /// stopped: every id was deleted, not found, invalid, a duplicate, or
    /// already done.
    pub fn is_success(&self) -> bool {
        self.counts.failed == 0 && !self.interrupted && self.stopped.is_none()
    }

    /// The summary as a JSON object (the report's last line, the CLI's
    /// `--json`).
    pub fn to_json(&self) -> Value {
        let mut v = self.counts.json();
        if let Value::Object(m) = &mut v {
            m.insert("entries".into(), json!(self.entries));
            m.insert("ids".into(), json!(self.ids));
            m.insert("not_started".into(), json!(self.not_started));
            m.insert("rate_limited".into(), json!(self.rate_limited));
            m.insert(
                "elapsed_s".into(),
                json!((self.elapsed.as_secs_f64() * 1000.0).round() / 1000.0),
            );
            m.insert(
                "rate_per_s".into(),
                json!((self.rate() * 10.0).round() / 10.0),
            );
            m.insert("interrupted".into(), json!(self.interrupted));
            m.insert("stopped".into(), json!(self.stopped));
            m.insert("dry_run".into(), json!(self.dry_run));
        }
        v
    }
}

/// Counters shared by every thread of a run.
#[derive(Default)]
pub(crate) struct Tally {
    by_outcome: [AtomicU64; 7],
    pub rate_limited: AtomicU64,
    pub in_flight: AtomicU64,
    /// Mean latency of recent requests, microseconds (moving average).
    latency_us: AtomicU64,
}

impl Tally {
    pub fn add(&self, outcome: Outcome) {
        self.by_outcome[outcome.index()].fetch_add(1, Ordering::Relaxed);
    }

    pub fn counts(&self) -> Counts {
        let n = |o: Outcome| self.by_outcome[o.index()].load(Ordering::Relaxed);
        Counts {
            deleted: n(Outcome::Deleted),
            not_found: n(Outcome::NotFound),
            failed: n(Outcome::Failed),
            invalid: n(Outcome::Invalid),
            duplicate: n(Outcome::Duplicate),
            already_done: n(Outcome::AlreadyDone),
            would_delete: n(Outcome::WouldDelete),
        }
    }

    pub fn latency(&self, took: Duration) {
        let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        let old = self.latency_us.load(Ordering::Relaxed);
        let new = if old == 0 { us } else { (old * 7 + us) / 8 };
        self.latency_us.store(new, Ordering::Relaxed);
    }

    pub fn mean_latency(&self) -> Duration {
        Duration::from_micros(self.latency_us.load(Ordering::Relaxed))
    }
}

/// The longest entry text quoted in a report line (invalid entries can be
/// anything).
const MAX_QUOTED: usize = 300;

/// The report file: one JSON line per entry, appended; a summary line ends
/// each run. Each line is written whole, in one `write`, the moment its
/// outcome is known; with a journal, it is on disk before the journal's line
/// for the same id, so a journaled id always has its report line.
pub(crate) struct Report {
    log: SyncedLog,
    /// Whether each line is fsync'd (a run with a journal).
    sync: bool,
}

impl Report {
    /// Opens (or creates, 0600) the report; a last line cut short by a crash
    /// or a full disk is cut off first, so the file stays JSON Lines (a whole
    /// JSON object missing only its newline is kept and ended).
    /// A pipe or a terminal is written, never synced.
    pub fn open(path: &Path, sync: bool) -> std::io::Result<Report> {
        Ok(Report {
            log: SyncedLog::open(path)?,
            sync,
        })
    }

    pub fn line(
        &self,
        id: &str,
        position: u64,
        outcome: Outcome,
        error: Option<&Error>,
    ) -> std::io::Result<()> {
        let id: String = if id.len() > MAX_QUOTED {
            id.chars().take(MAX_QUOTED).collect()
        } else {
            id.to_owned()
        };
        let mut v = json!({"registration_id": id, "outcome": outcome.name(), "position": position});
        if let (Some(e), Value::Object(m)) = (error, &mut v) {
            m.insert("error".into(), e.to_json());
        }
        self.write(&v)
    }

    /// Appends the summary line, on disk when it returns.
    pub fn summary(&self, summary: &BulkSummary) -> std::io::Result<()> {
        self.log
            .append(format!("{}\n", json!({"summary": summary.to_json()})).as_bytes())
    }

    /// Appends one JSON line, in one write.
    pub fn write(&self, v: &Value) -> std::io::Result<()> {
        let line = format!("{v}\n");
        if self.sync {
            self.log.append(line.as_bytes())
        } else {
            self.log.write(line.as_bytes())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(counts: Counts, elapsed: Duration, dry_run: bool) -> BulkSummary {
        BulkSummary {
            entries: counts.total(),
            ids: 0,
            counts,
            not_started: 0,
            rate_limited: 0,
            elapsed,
            interrupted: false,
            stopped: None,
            dry_run,
        }
    }

    #[test]
    fn the_total_counts_every_outcome() {
        let counts = Counts {
            deleted: 1,
            not_found: 2,
            failed: 4,
            invalid: 8,
            duplicate: 16,
            already_done: 32,
            would_delete: 64,
        };
        assert_eq!(counts.total(), 127);
    }

    #[test]
    fn the_rate_is_ids_deleted_or_not_found_per_second() {
        let counts = Counts {
            deleted: 6,
            not_found: 2,
            failed: 5,
            would_delete: 10,
            ..Counts::default()
        };
        let two_s = Duration::from_secs(2);
        assert_eq!(summary(counts, two_s, false).rate(), 4.0);
        assert_eq!(summary(counts, two_s, true).rate(), 6.0);
        assert_eq!(summary(counts, Duration::ZERO, false).rate(), 0.0);
    }

    #[test]
    fn a_long_entry_is_quoted_cut_short() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report");
        let report = Report::open(&path, false).unwrap();
        report
            .line(&"x".repeat(1000), 7, Outcome::Invalid, None)
            .unwrap();
        report.line("dev-1", 8, Outcome::Deleted, None).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["registration_id"], "x".repeat(MAX_QUOTED));
        assert_eq!(
            (&lines[0]["outcome"], &lines[0]["position"]),
            (&json!("invalid"), &json!(7))
        );
        assert_eq!(lines[1]["registration_id"], "dev-1");
    }

    #[test]
    fn the_latency_is_a_moving_average_of_recent_requests() {
        let tally = Tally::default();
        tally.latency(Duration::from_micros(800));
        assert_eq!(tally.mean_latency(), Duration::from_micros(800));
        tally.latency(Duration::from_micros(1600));
        assert_eq!(tally.mean_latency(), Duration::from_micros(900));
    }

    /// Counts with a different number in each field, in `Outcome::ALL`'s
    /// order: a count put in the wrong field shows.
    const EACH_ITS_OWN: Counts = Counts {
        deleted: 1,
        not_found: 2,
        failed: 3,
        invalid: 4,
        duplicate: 5,
        already_done: 6,
        would_delete: 7,
    };

    /// Every outcome is counted under its own name, by the shared tally and
    /// by a summary's counts alike.
    #[test]
    fn each_outcome_is_counted_in_its_own_slot() {
        let tally = Tally::default();
        let mut counts = Counts::default();
        for (i, outcome) in Outcome::ALL.into_iter().enumerate() {
            for _ in 0..=i {
                tally.add(outcome);
                *counts.slot(outcome) += 1;
            }
        }
        let want = EACH_ITS_OWN;
        assert_eq!(tally.counts(), want);
        assert_eq!(counts, want);
    }

    /// A run succeeds only when no id failed and it was neither interrupted
    /// nor stopped.
    #[test]
    fn success_needs_no_failure_no_interruption_and_no_stop() {
        let clean = summary(
            Counts {
                deleted: 3,
                invalid: 1,
                ..Counts::default()
            },
            Duration::from_secs(1),
            false,
        );
        assert!(clean.is_success());
        let mut failed = clean.clone();
        failed.counts.failed = 1;
        assert!(!failed.is_success());
        let mut interrupted = clean.clone();
        interrupted.interrupted = true;
        assert!(!interrupted.is_success());
        let mut stopped = clean.clone();
        stopped.stopped = Some("AUTH".into());
        assert!(!stopped.is_success());
    }

    /// The summary line holds every count and every field of the summary.
    #[test]
    fn the_summary_line_holds_every_count_and_field() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report");
        let report = Report::open(&path, true).unwrap();
        let mut s = summary(EACH_ITS_OWN, Duration::from_millis(1500), false);
        s.ids = 9;
        s.not_started = 10;
        s.rate_limited = 11;
        s.interrupted = true;
        s.stopped = Some("AUTH".into());
        report.summary(&s).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let line: Value = serde_json::from_str(text.trim_end()).unwrap();
        assert_eq!(
            line,
            json!({"summary": {
                "deleted": 1, "not_found": 2, "failed": 3, "invalid": 4,
                "duplicate": 5, "already_done": 6, "would_delete": 7,
                "entries": 28, "ids": 9, "not_started": 10, "rate_limited": 11,
                "elapsed_s": 1.5, "rate_per_s": 2.0, "interrupted": true,
                "stopped": "AUTH", "dry_run": false,
            }})
        );
    }

    /// A failed entry's line holds every field of its error.
    #[test]
    fn a_failed_entry_carries_every_field_of_its_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report");
        let report = Report::open(&path, false).unwrap();
        let e = Error::from_parts(
            crate::ErrorKind::RateLimited,
            Some(429),
            Some(23008),
            "slow down",
            3,
            Some(Duration::from_millis(2500)),
            true,
        );
        report.line("dev-9", 4, Outcome::Failed, Some(&e)).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let line: Value = serde_json::from_str(text.trim_end()).unwrap();
        assert_eq!(line["outcome"], "failed");
        assert_eq!(
            line["error"],
            json!({
                "kind": "RATE_LIMITED", "http_status": 429, "api_code": 23008,
                "message": "slow down", "attempts": 3, "retry_after": 2.5,
                "maybe_deleted": true,
            })
        );
    }
}
