//! The quota headers an answer may carry (`X-Rate-Limit-Limit`,
//! `-Remaining`, `-Reset`, as JPush sends them), and the hook through which
//! a call hands them to its caller (the bulk engine's pacer).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ureq::http::HeaderMap;

use crate::answer;

/// The quota headers of one answer (`X-Rate-Limit-Limit`, `-Remaining`,
/// `-Reset`), as JPush sends them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Quota {
    /// Requests allowed per window.
    pub limit: Option<u64>,
    /// Requests left in the current window.
    pub remaining: Option<u64>,
    /// Time until the window resets.
    pub reset: Option<Duration>,
}

impl Quota {
    /// The quota headers, from their texts; `None` when none is there.
    pub(crate) fn of(
        limit: Option<&str>,
        remaining: Option<&str>,
        reset: Option<&str>,
    ) -> Option<Quota> {
        let number = |v: Option<&str>| v.and_then(|v| v.trim().parse::<u64>().ok());
        let q = Quota {
            limit: number(limit),
            remaining: number(remaining),
            reset: reset.and_then(|r| answer::retry_hint(None, Some(r))),
        };
        (q != Quota::default()).then_some(q)
    }

    /// The quota headers of an answer, if it has any.
    pub(crate) fn of_headers(headers: &HeaderMap) -> Option<Quota> {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        Quota::of(
            text("x-rate-limit-limit"),
            text("x-rate-limit-remaining"),
            text("x-rate-limit-reset"),
        )
    }
}

/// Called with the quota headers of every answer that carries them.
#[derive(Clone)]
pub(crate) struct QuotaSink(pub Arc<dyn Fn(Quota) + Send + Sync>);

impl fmt::Debug for QuotaSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("QuotaSink")
    }
}
