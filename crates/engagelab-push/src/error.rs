//! The one error model every binding reports (see `shared/spec/error-model.md`).

use std::fmt;
use std::time::Duration;

/// The category of a failed call. Bindings map it one-to-one: a stable small
/// integer in C (`EL_*`), an exception class in Python.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Rejected before any request was sent: a bad registration id, credential,
    /// base URL or setting.
    InvalidArgument,
    /// EngageLab refused the credentials (HTTP 401/403, or codes 21004, 27001,
    /// 21008, 21038, 23009).
    Auth,
    /// EngageLab does not know the registration id for this AppKey (HTTP 404 or
    /// code 20101).
    NotFound,
    /// Throttled (HTTP 429 or code 23008) and retries are spent.
    RateLimited,
    /// EngageLab failed (HTTP 5xx, or codes 27000 / 21030) and retries are spent.
    Server,
    /// Any other non-2xx answer, e.g. HTTP 400 with code 27002.
    Api,
    /// The overall deadline, or a connect or read timeout, passed.
    Timeout,
    /// The connection could not be made or was lost: refused, reset, DNS, TLS
    /// or proxy failure.
    Network,
    /// An answer that is not usable: not HTTP, a redirect (never followed), or
    /// an error body over the size cap.
    InvalidResponse,
    /// A bug caught at a boundary.
    Internal,
}

impl ErrorKind {
    /// Every kind, in the order of the stable C status codes 1..=10.
    pub const ALL: [ErrorKind; 10] = [
        ErrorKind::InvalidArgument,
        ErrorKind::Auth,
        ErrorKind::NotFound,
        ErrorKind::RateLimited,
        ErrorKind::Server,
        ErrorKind::Api,
        ErrorKind::Timeout,
        ErrorKind::Network,
        ErrorKind::InvalidResponse,
        ErrorKind::Internal,
    ];

    /// The category's name as the error model spells it, e.g. `"INVALID_ARGUMENT"`.
    /// Every binding reports this same name.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "INVALID_ARGUMENT",
            ErrorKind::Auth => "AUTH",
            ErrorKind::NotFound => "NOT_FOUND",
            ErrorKind::RateLimited => "RATE_LIMITED",
            ErrorKind::Server => "SERVER",
            ErrorKind::Api => "API",
            ErrorKind::Timeout => "TIMEOUT",
            ErrorKind::Network => "NETWORK",
            ErrorKind::InvalidResponse => "INVALID_RESPONSE",
            ErrorKind::Internal => "INTERNAL",
        }
    }

    /// The stable status code the C ABI reports for this kind (1..=10; 0 is success).
    pub fn code(self) -> u32 {
        match self {
            ErrorKind::InvalidArgument => 1,
            ErrorKind::Auth => 2,
            ErrorKind::NotFound => 3,
            ErrorKind::RateLimited => 4,
            ErrorKind::Server => 5,
            ErrorKind::Api => 6,
            ErrorKind::Timeout => 7,
            ErrorKind::Network => 8,
            ErrorKind::InvalidResponse => 9,
            ErrorKind::Internal => 10,
        }
    }

    /// Whether the error model retries this kind (decided per answer; some
    /// `Network` and `Timeout` failures are retried, `Auth`, `NotFound`, `Api`,
    /// `InvalidResponse` and `InvalidArgument` never).
    pub(crate) fn retryable(self) -> bool {
        matches!(
            self,
            ErrorKind::RateLimited | ErrorKind::Server | ErrorKind::Timeout | ErrorKind::Network
        )
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

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

    /// The category, decided as `shared/spec/error-model.md` says.
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

    /// How many requests were sent (1 + retries); 0 when rejected before sending.
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
    /// connection lost after sending). Check with a `GET` before acting on the
    /// failure.
    pub fn maybe_deleted(&self) -> bool {
        self.maybe_deleted
    }

    fn advice(&self) -> &'static str {
        match self.kind {
            ErrorKind::InvalidArgument => "",
            ErrorKind::Auth => {
                "; check the AppKey and Master Secret, and that the client targets the app's data center"
            }
            ErrorKind::NotFound => {
                "; check the registration id, and that it belongs to this AppKey and data center"
            }
            ErrorKind::RateLimited => "; slow down and retry later",
            ErrorKind::Server => "; EngageLab failed, retry later",
            ErrorKind::Api => "",
            ErrorKind::Timeout => "; raise the timeout or retry later",
            ErrorKind::Network => "; check the network, proxy and base URL",
            ErrorKind::InvalidResponse => "; check the base URL and any proxy in between",
            ErrorKind::Internal => "; this is a bug in engagelab-push, please report it",
        }
    }

    fn summary(&self) -> &'static str {
        match self.kind {
            ErrorKind::InvalidArgument => "invalid argument",
            ErrorKind::Auth => "EngageLab refused the credentials",
            ErrorKind::NotFound => "EngageLab does not know this registration id",
            ErrorKind::RateLimited => "EngageLab is rate limiting this AppKey",
            ErrorKind::Server => "EngageLab had a server error",
            ErrorKind::Api => "EngageLab rejected the request",
            ErrorKind::Timeout => "no answer in time",
            ErrorKind::Network => "could not reach EngageLab",
            ErrorKind::InvalidResponse => "EngageLab's answer was unusable",
            ErrorKind::Internal => "internal error",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.summary())?;
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
        f.write_str(self.advice())?;
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
        assert_eq!(codes, (1..=10).collect::<Vec<u32>>());
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
