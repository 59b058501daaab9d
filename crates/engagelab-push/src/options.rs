//! `CallOptions`: what one call may add to the client's settings.

use std::time::Duration;

use crate::cancel::CancelToken;
use crate::quota::QuotaSink;
use crate::retry::Failure;

/// Per-call options for the `_with` variants of the client's calls.
///
/// ```
/// use std::time::Duration;
/// use engagelab_push::{CallOptions, CancelToken};
///
/// let token = CancelToken::new();
/// let options = CallOptions::new()
///     .cancel(token.clone())
///     .timeout(Duration::from_secs(2));
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    pub(crate) cancel: Option<CancelToken>,
    pub(crate) timeout: Option<Duration>,
    /// Whether no failure is retried inside the call: the bulk engine
    /// retries through its pacer, so every request counts against its rate.
    pub(crate) no_retry: bool,
    /// Handed the quota headers of every answer that has them.
    pub(crate) quota: Option<QuotaSink>,
}

impl CallOptions {
    /// No options: the client's settings apply.
    pub fn new() -> CallOptions {
        CallOptions::default()
    }

    /// A token that stops the call when cancelled.
    pub fn cancel(mut self, token: CancelToken) -> CallOptions {
        self.cancel = Some(token);
        self
    }

    /// The call's overall deadline, when it is earlier than the client's
    /// timeout (the earlier of the two applies).
    ///
    /// `Duration::ZERO` is a deadline that has already passed: the call
    /// fails with `Timeout`, [`attempts`](crate::Error::attempts) 0, and
    /// sends nothing. (No per-call timeout is the absence of this option, not
    /// zero.) Every binding passes its per-call timeout here unchanged, so
    /// this is the one rule for 0.
    pub fn timeout(mut self, timeout: Duration) -> CallOptions {
        self.timeout = Some(timeout);
        self
    }

    /// Hands every failure straight back to the caller: no retry inside the
    /// call.
    pub(crate) fn without_retries(mut self) -> CallOptions {
        self.no_retry = true;
        self
    }

    /// Hands the quota headers of every answer to `sink`.
    pub(crate) fn on_quota(mut self, sink: QuotaSink) -> CallOptions {
        self.quota = Some(sink);
        self
    }

    /// One attempt's failure as these options want the retry loop to see it.
    pub(crate) fn shape(&self, failure: Failure) -> Failure {
        if self.no_retry {
            failure.never_retried()
        } else {
            failure
        }
    }
}
