//! The error every call reports, with the fields of the error model
//! (`spec/error-model.md`); its categories are [`ErrorKind`].

use std::fmt;
use std::time::Duration;

pub use crate::error_kind::ErrorKind;

/// A failed call, with the fields of the error model. Never contains the
/// Master Secret or the Authorization header.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    http_status: Option<u16>,
    api_code: Option<i64>,
    message: String,
    attempts: u32,
    retry_after: Option<Duration>,
    maybe_deleted: bool,
}

impl Error {
    /// A failure of `kind` with a message; no response, no attempt.
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            http_status: None,
            api_code: None,
            message: message.into(),
            attempts: 0,
            retry_after: None,
            maybe_deleted: false,
        }
    }

    /// An `InvalidArgument` error naming what was wrong; for bindings that
    /// reject a value before it reaches the core (e.g. a C string that is not
    /// UTF-8).
    pub fn invalid_argument(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidArgument, message)
    }

    /// An `Internal` error: a bug caught at a boundary, e.g. a panic caught by a
    /// binding before it could cross into C or Python.
    pub fn internal(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Internal, message)
    }

    /// An error with every field given, for a binding that carries an error
    /// across a boundary (such as C's `el_error`) and needs its sentence back:
    /// `Display` then reads exactly as the original's. The message is taken
    /// as given (it was scrubbed when the error was made).
    pub fn from_parts(
        kind: ErrorKind,
        http_status: Option<u16>,
        api_code: Option<i64>,
        message: impl Into<String>,
        attempts: u32,
        retry_after: Option<Duration>,
        maybe_deleted: bool,
    ) -> Error {
        Error {
            kind,
            http_status,
            api_code,
            message: message.into(),
            attempts,
            retry_after,
            maybe_deleted,
        }
    }

    pub(crate) fn with_http(mut self, status: u16, api_code: Option<i64>) -> Error {
        self.http_status = Some(status);
        self.api_code = api_code;
        self
    }

    pub(crate) fn with_retry_after(mut self, retry_after: Option<Duration>) -> Error {
        self.retry_after = retry_after;
        self
    }

    pub(crate) fn map_message(mut self, f: impl FnOnce(&str) -> String) -> Error {
        self.message = f(&self.message);
        self
    }

    pub(crate) fn with_attempts(mut self, attempts: u32, maybe_deleted: bool) -> Error {
        self.attempts = attempts;
        self.maybe_deleted = maybe_deleted;
        self
    }

    /// The category, decided as `spec/error-model.md` says.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The HTTP status of the final attempt's response; `None` when no response
    /// arrived.
    pub fn http_status(&self) -> Option<u16> {
        self.http_status
    }

    /// EngageLab's `code` from the error body (wrapped or flat form), if any.
    pub fn api_code(&self) -> Option<i64> {
        self.api_code
    }

    /// EngageLab's `message`, else a short excerpt of the body, else a
    /// description of the local failure. Valid UTF-8, at most a few hundred bytes.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// How many attempts were made (1 + retries): each tried a connection and,
    /// if it opened, sent the request, so a refused connection counts too. 0
    /// when the call was rejected (or cancelled, or out of time) before any.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The server's rate-limit hint (`Retry-After` or `X-Rate-Limit-Reset`), for
    /// `RateLimited` errors whose last answer carried one.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// Whether an attempt may already have deleted the device although the call
    /// failed: a request was sent and its outcome is unknown (a read timeout or a
    /// connection lost after sending). Check with
    /// [`Client::get_device`](crate::Client::get_device) before acting on the
    /// failure. Always false for `get_device`, which never deletes.
    pub fn maybe_deleted(&self) -> bool {
        self.maybe_deleted
    }

    /// Every field of the error model as a JSON object (`kind`,
    /// `http_status`, `api_code`, `message`, `attempts`, `retry_after` in
    /// seconds, `maybe_deleted`), as a bulk run's report writes it.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "kind": self.kind().name(),
            "http_status": self.http_status(),
            "api_code": self.api_code(),
            "message": self.message(),
            "attempts": self.attempts(),
            "retry_after": self.retry_after().map(|d| d.as_secs_f64()),
            "maybe_deleted": self.maybe_deleted(),
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.summary())?;
        match (self.http_status, self.api_code) {
            (Some(status), Some(code)) => write!(f, " (HTTP {status}, code {code})")?,
            (Some(status), None) => write!(f, " (HTTP {status})")?,
            (None, Some(code)) => write!(f, " (code {code})")?,
            (None, None) => {}
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        match self.attempts {
            0 | 1 => {}
            n => write!(f, ", after {n} attempts")?,
        }
        if let Some(wait) = self.retry_after {
            write!(f, ", server asks to wait {:.3}s", wait.as_secs_f64())?;
        }
        let advice = self.kind.advice();
        if !advice.is_empty() {
            write!(f, "; {advice}")?;
        }
        if self.maybe_deleted {
            f.write_str("; an earlier attempt may already have deleted the device")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("http_status", &self.http_status)
            .field("api_code", &self.api_code)
            .field("message", &self.message)
            .field("attempts", &self.attempts)
            .field("retry_after", &self.retry_after)
            .field("maybe_deleted", &self.maybe_deleted)
            .finish()
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_and_distinct() {
        let codes: Vec<u32> = ErrorKind::ALL.iter().map(|k| k.code()).collect();
        assert_eq!(
            codes,
            (1..=ErrorKind::ALL.len() as u32).collect::<Vec<u32>>()
        );
    }

    // The tests of the generated `ErrorKind` (error_kind.rs, written by
    // `cargo xtask gen`) live here: that file is rewritten, not edited.

    #[test]
    fn every_kind_displays_as_its_name() {
        for kind in ErrorKind::ALL {
            assert_eq!(kind.to_string(), kind.name());
        }
        assert_eq!(ErrorKind::InvalidArgument.to_string(), "INVALID_ARGUMENT");
    }

    /// The advice of every kind is that of `spec/error-model.toml`, read
    /// here from the table itself: what the person reading the error should
    /// do, empty where there is nothing to do.
    #[test]
    fn every_kind_has_the_advice_of_the_error_model() {
        let table = include_str!("../../../spec/error-model.toml");
        let quoted = |line: &str, key: &str| {
            let rest = line.strip_prefix(key)?.trim_start().strip_prefix('=')?;
            Some(rest.trim().trim_matches('"').to_owned())
        };
        let mut name = None;
        let mut seen = Vec::new();
        for line in table.lines() {
            if let Some(n) = quoted(line, "name") {
                name = Some(n);
            } else if let Some(advice) = quoted(line, "advice") {
                seen.push((name.take().expect("a name before its advice"), advice));
            }
        }
        assert_eq!(seen.len(), ErrorKind::ALL.len());
        for kind in ErrorKind::ALL {
            let (_, advice) = seen
                .iter()
                .find(|(n, _)| n == kind.name())
                .unwrap_or_else(|| panic!("{kind} is not in the table"));
            assert_eq!(kind.advice(), advice, "{kind}");
        }
        assert!(seen.iter().any(|(_, a)| !a.is_empty()));
    }

    /// An error with advice ends with it, after a semicolon.
    #[test]
    fn display_ends_with_the_advice_of_its_kind() {
        let e = Error::new(ErrorKind::RateLimited, "slow").with_http(429, None);
        assert!(
            e.to_string().ends_with("; slow down and retry later"),
            "{e}"
        );
    }

    #[test]
    fn display_is_a_sentence_with_the_facts() {
        let e = Error::new(ErrorKind::Api, "unknown error")
            .with_http(400, Some(27002))
            .with_attempts(3, true);
        let text = e.to_string();
        assert_eq!(
            text,
            "EngageLab rejected the request (HTTP 400, code 27002): unknown error, after 3 attempts; \
             an earlier attempt may already have deleted the device"
        );
    }
}
