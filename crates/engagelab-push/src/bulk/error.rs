//! Why a bulk run did not start, or stopped before its end.

use std::fmt;
use std::io;

use super::report::BulkSummary;
use crate::error::Error;

/// What kind of problem stopped a bulk run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BulkErrorKind {
    /// The input holds more ids than `max_deletions`: nothing was sent.
    Guard,
    /// The [`confirm`](super::BulkDelete::confirm) callback said no: nothing
    /// was sent.
    Declined,
    /// The journal belongs to another input, or is not a journal: nothing
    /// was sent.
    JournalMismatch,
    /// A file could not be opened or read before the run started (the
    /// input, the journal, the backup, the report): nothing was sent.
    Io,
    /// Another run holds the journal (each journal serves one run at a
    /// time): nothing was sent.
    JournalBusy,
    /// A file the run keeps (the backup, the report, the journal) could not
    /// be written mid-run, e.g. on a full disk, or opened again for an
    /// erasure's second pass, or the input's temporary copy could not be
    /// read back: no request was sent after that, those in flight finished,
    /// and [`BulkError::summary`] says what was done.
    WriteFailed,
    /// A setting is out of range (e.g. `qps` 0), an alias is bad, or the
    /// client was refused before sending: its [`Error`], if any, is
    /// [`source`](std::error::Error::source).
    InvalidArgument,
    /// An erasure could not resolve an alias to its devices (the lookup
    /// failed after its retries): nothing was deleted. The lookup's
    /// [`Error`] is [`source`](std::error::Error::source).
    Lookup,
}

impl BulkErrorKind {
    /// The kind's name in every binding, as `el_bulk_error` spells it:
    /// `"GUARD"`, `"DECLINED"`, `"JOURNAL_MISMATCH"`, ...
    pub fn name(self) -> &'static str {
        match self {
            BulkErrorKind::Guard => "GUARD",
            BulkErrorKind::Declined => "DECLINED",
            BulkErrorKind::JournalMismatch => "JOURNAL_MISMATCH",
            BulkErrorKind::Io => "IO",
            BulkErrorKind::JournalBusy => "JOURNAL_BUSY",
            BulkErrorKind::WriteFailed => "WRITE_FAILED",
            BulkErrorKind::InvalidArgument => "INVALID_ARGUMENT",
            BulkErrorKind::Lookup => "LOOKUP",
        }
    }
}

/// A bulk run that refused to start or had to stop. A run that merely had
/// failed deletions, or was cancelled, is not an error: its
/// [`BulkSummary`](super::BulkSummary) says so.
#[derive(Debug, Clone)]
pub struct BulkError {
    kind: BulkErrorKind,
    message: String,
    source: Option<Error>,
    summary: Option<Box<BulkSummary>>,
}

impl BulkError {
    pub(crate) fn new(kind: BulkErrorKind, message: impl Into<String>) -> BulkError {
        BulkError {
            kind,
            message: message.into(),
            source: None,
            summary: None,
        }
    }

    pub(crate) fn with_source(
        kind: BulkErrorKind,
        message: impl Into<String>,
        source: Error,
    ) -> BulkError {
        BulkError {
            kind,
            message: message.into(),
            source: Some(source),
            summary: None,
        }
    }

    pub(crate) fn io(what: impl Into<String>, error: &io::Error) -> BulkError {
        BulkError::new(BulkErrorKind::Io, format!("{}: {error}", what.into()))
    }

    /// A file that failed mid-run: the run stops ([`BulkErrorKind::WriteFailed`]).
    pub(crate) fn mid_run(what: impl Into<String>, error: &io::Error) -> BulkError {
        BulkError::new(
            BulkErrorKind::WriteFailed,
            format!("stopped: {}: {error}", what.into()),
        )
    }

    pub(crate) fn with_summary(mut self, summary: BulkSummary) -> BulkError {
        self.summary = Some(Box::new(summary));
        self
    }

    pub(crate) fn invalid(message: impl Into<String>) -> BulkError {
        BulkError::new(BulkErrorKind::InvalidArgument, message)
    }

    /// The kind of problem.
    pub fn kind(&self) -> BulkErrorKind {
        self.kind
    }

    /// One line saying what happened, naming the file or setting concerned.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// What the run did before it stopped: set for
    /// [`BulkErrorKind::WriteFailed`], when requests were sent.
    pub fn summary(&self) -> Option<&BulkSummary> {
        self.summary.as_deref()
    }

    /// The call's error behind this one, if any (a failed lookup, a bad
    /// alias, a client refused before sending).
    pub fn error(&self) -> Option<&Error> {
        self.source.as_ref()
    }
}

impl From<Error> for BulkError {
    fn from(error: Error) -> BulkError {
        BulkError {
            kind: BulkErrorKind::InvalidArgument,
            message: error.to_string(),
            source: Some(error),
            summary: None,
        }
    }
}

impl fmt::Display for BulkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for BulkError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_ref().map(|e| e as _)
    }
}
