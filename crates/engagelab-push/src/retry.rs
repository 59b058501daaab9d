//! The retry loop: which failures are tried again, how long to wait
//! (exponential backoff with full jitter, the server's hint honoured but
//! clamped), all within one deadline and stopped by a cancel. The clock is a
//! seam, so the loop is tested in memory without sleeping.

use std::time::{Duration, Instant};

use crate::cancel::CancelToken;
use crate::error::{Error, ErrorKind};

/// Retry settings of a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RetryPolicy {
    /// Retries after the first attempt; 0 turns retries off.
    pub max_retries: u32,
    /// The backoff cap before the first retry; it doubles for each later one.
    pub backoff_base: Duration,
    /// The largest backoff cap.
    pub backoff_max: Duration,
    /// The longest server hint (`Retry-After`) that is honoured as given;
    /// longer hints are cut to this.
    pub max_retry_after: Duration,
}

pub use crate::settings::{
    DEFAULT_BACKOFF_BASE, DEFAULT_BACKOFF_MAX, DEFAULT_MAX_RETRIES, DEFAULT_MAX_RETRY_AFTER,
};

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_retries: DEFAULT_MAX_RETRIES,
            backoff_base: DEFAULT_BACKOFF_BASE,
            backoff_max: DEFAULT_BACKOFF_MAX,
            max_retry_after: DEFAULT_MAX_RETRY_AFTER,
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1 for the first retry): a random
    /// time between zero and `min(backoff_max, backoff_base * 2^(retry-1))`,
    /// and at least the server's hint, clamped to `max_retry_after`.
    pub(crate) fn wait(&self, retry: u32, hint: Option<Duration>) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1).min(30));
        let cap = self
            .backoff_base
            .saturating_mul(factor)
            .min(self.backoff_max);
        let nanos = u64::try_from(cap.as_nanos()).unwrap_or(u64::MAX);
        let jittered = Duration::from_nanos(fastrand::u64(0..=nanos));
        match hint {
            Some(hint) => jittered.max(hint.min(self.max_retry_after)),
            None => jittered,
        }
    }
}

/// Why one attempt failed, and what that means for the next.
#[derive(Debug)]
pub(crate) struct Failure {
    /// The error the call reports if this is the last attempt.
    pub error: Error,
    /// The request may have reached the server: an answer was lost after the
    /// request was written.
    pub maybe_deleted: bool,
    /// Retried as the category says, or never (a named exception, such as a
    /// TLS failure that would fail the same way again).
    pub retry: Retry,
    /// The server's hint on when to retry.
    pub hint: Option<Duration>,
}

/// Whether a failure may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// As its category says ([`ErrorKind::retryable`]).
    ByCategory,
    /// Never, whatever its category.
    Never,
}

impl Failure {
    /// A failure before any byte of the request was written.
    pub(crate) fn before_sending(kind: ErrorKind, message: impl Into<String>) -> Failure {
        Failure {
            error: Error::new(kind, message),
            maybe_deleted: false,
            retry: Retry::ByCategory,
            hint: None,
        }
    }

    /// A failure after the request was (or may have been) written, with no
    /// usable answer: the server may have acted on it.
    pub(crate) fn after_sending(kind: ErrorKind, message: impl Into<String>) -> Failure {
        Failure {
            maybe_deleted: true,
            ..Failure::before_sending(kind, message)
        }
    }

    /// A failure the server answered, with its hint on when to retry.
    pub(crate) fn answered(error: Error, hint: Option<Duration>) -> Failure {
        Failure {
            error,
            maybe_deleted: false,
            retry: Retry::ByCategory,
            hint,
        }
    }

    /// The same failure, never retried.
    pub(crate) fn never_retried(mut self) -> Failure {
        self.retry = Retry::Never;
        self
    }

    fn retryable(&self) -> bool {
        self.retry == Retry::ByCategory && self.error.kind().retryable()
    }
}

/// Time as the retry loop sees it.
pub(crate) trait Clock {
    /// Now.
    fn now(&self) -> Instant;
    /// Waits until `until`; false when `cancel` stopped the wait.
    fn sleep_until(&self, until: Instant, cancel: Option<&CancelToken>) -> bool;
}

/// The real clock.
pub(crate) struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn sleep_until(&self, until: Instant, cancel: Option<&CancelToken>) -> bool {
        match cancel {
            Some(token) => token.sleep_until(until),
            None => {
                std::thread::sleep(until.saturating_duration_since(Instant::now()));
                true
            }
        }
    }
}

/// Runs `attempt` until it succeeds, fails for good, the deadline leaves no
/// room for another try, or `cancel` stops it. `attempt` gets the time left.
/// The error counts the attempts and says whether any may have acted.
pub(crate) fn run<T>(
    policy: &RetryPolicy,
    clock: &dyn Clock,
    deadline: Instant,
    cancel: Option<&CancelToken>,
    mut attempt: impl FnMut(Duration) -> Result<T, Failure>,
) -> Result<T, Error> {
    let mut attempts = 0u32;
    let mut maybe_deleted = false;
    let finish = |error: Error, attempts: u32, maybe_deleted: bool| {
        Err(error.with_attempts(attempts, maybe_deleted))
    };
    loop {
        if cancel.is_some_and(CancelToken::is_cancelled) {
            return finish(cancelled(attempts), attempts, maybe_deleted);
        }
        let budget = deadline.saturating_duration_since(clock.now());
        if budget.is_zero() {
            let error = Error::new(
                ErrorKind::Timeout,
                "the deadline passed before a request could be sent",
            );
            return finish(error, attempts, maybe_deleted);
        }
        attempts += 1;
        let failure = match attempt(budget) {
            Ok(value) => return Ok(value),
            Err(failure) => failure,
        };
        maybe_deleted |= failure.maybe_deleted;
        if failure.retryable() && attempts <= policy.max_retries {
            let wait = policy.wait(attempts, failure.hint);
            if let Some(until) = clock.now().checked_add(wait)
                && until < deadline
            {
                if !clock.sleep_until(until, cancel) {
                    return finish(cancelled(attempts), attempts, maybe_deleted);
                }
                continue;
            }
        }
        return finish(failure.error, attempts, maybe_deleted);
    }
}

/// The error of a call stopped by its cancel token after `attempts`.
pub(crate) fn cancelled(attempts: u32) -> Error {
    // The kind's summary already says "the call was cancelled".
    let message = if attempts == 0 {
        "no request was sent"
    } else {
        "it stopped before an answer came"
    };
    Error::new(ErrorKind::Cancelled, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::{Cell, RefCell};

    #[test]
    fn waits_stay_under_the_doubling_cap() {
        let p = RetryPolicy {
            max_retries: 5,
            backoff_base: Duration::from_millis(100),
            backoff_max: Duration::from_millis(350),
            max_retry_after: Duration::from_secs(2),
        };
        for _ in 0..200 {
            assert!(p.wait(1, None) <= Duration::from_millis(100));
            assert!(p.wait(2, None) <= Duration::from_millis(200));
            assert!(p.wait(3, None) <= Duration::from_millis(350));
            assert!(p.wait(40, None) <= Duration::from_millis(350));
        }
        // Full jitter: not always the cap.
        assert!((0..50).any(|_| p.wait(3, None) < Duration::from_millis(300)));
    }

    #[test]
    fn hints_are_honoured_and_clamped() {
        let p = RetryPolicy::default();
        assert!(p.wait(1, Some(Duration::from_secs(1))) >= Duration::from_secs(1));
        assert_eq!(
            p.wait(1, Some(Duration::from_secs(3600))),
            p.max_retry_after
        );
    }

    /// A clock that only moves when the loop sleeps, recording each sleep.
    struct FakeClock {
        start: Instant,
        now: Cell<Instant>,
        sleeps: RefCell<Vec<Duration>>,
        cancel_after_sleeps: Option<usize>,
    }

    impl FakeClock {
        fn new() -> FakeClock {
            let start = Instant::now();
            FakeClock {
                start,
                now: Cell::new(start),
                sleeps: RefCell::default(),
                cancel_after_sleeps: None,
            }
        }
        fn advance(&self, d: Duration) {
            self.now.set(self.now.get() + d);
        }
    }

    impl Clock for FakeClock {
        fn now(&self) -> Instant {
            self.now.get()
        }
        fn sleep_until(&self, until: Instant, cancel: Option<&CancelToken>) -> bool {
            self.sleeps.borrow_mut().push(until - self.now.get());
            self.now.set(until);
            if self.cancel_after_sleeps == Some(self.sleeps.borrow().len()) {
                if let Some(token) = cancel {
                    token.cancel();
                }
                return false;
            }
            true
        }
    }

    fn policy(max_retries: u32) -> RetryPolicy {
        RetryPolicy {
            max_retries,
            backoff_base: Duration::from_millis(100),
            backoff_max: Duration::from_secs(1),
            max_retry_after: Duration::from_secs(5),
        }
    }

    fn server_error() -> Failure {
        Failure::answered(
            Error::new(ErrorKind::Server, "boom").with_http(503, None),
            None,
        )
    }

    #[test]
    fn retryable_failures_are_retried_up_to_max_retries() {
        let clock = FakeClock::new();
        let deadline = clock.start + Duration::from_secs(30);
        let mut calls = 0;
        let e = run(&policy(2), &clock, deadline, None, |_| -> Result<(), _> {
            calls += 1;
            Err(server_error())
        })
        .unwrap_err();
        assert_eq!((calls, e.attempts(), e.kind()), (3, 3, ErrorKind::Server));
        assert_eq!(clock.sleeps.borrow().len(), 2);
        assert!(!e.maybe_deleted());
    }

    #[test]
    fn final_failures_and_named_exceptions_are_not_retried() {
        let clock = FakeClock::new();
        let deadline = clock.start + Duration::from_secs(30);
        for failure in [
            || Failure::answered(Error::new(ErrorKind::NotFound, "no"), None),
            || Failure::before_sending(ErrorKind::Network, "TLS failed").never_retried(),
        ] {
            let mut calls = 0;
            let e = run(&policy(5), &clock, deadline, None, |_| -> Result<(), _> {
                calls += 1;
                Err(failure())
            })
            .unwrap_err();
            assert_eq!((calls, e.attempts()), (1, 1));
        }
        assert!(clock.sleeps.borrow().is_empty());
    }

    #[test]
    fn maybe_deleted_sticks_once_any_attempt_may_have_acted() {
        let clock = FakeClock::new();
        let deadline = clock.start + Duration::from_secs(30);
        let mut calls = 0;
        let e = run(&policy(2), &clock, deadline, None, |_| -> Result<(), _> {
            calls += 1;
            match calls {
                1 => Err(Failure::after_sending(ErrorKind::Timeout, "lost")),
                _ => Err(Failure::answered(
                    Error::new(ErrorKind::NotFound, "27002").with_http(400, Some(27002)),
                    None,
                )),
            }
        })
        .unwrap_err();
        assert_eq!(
            (e.kind(), e.attempts(), e.maybe_deleted()),
            (ErrorKind::NotFound, 2, true)
        );
    }

    #[test]
    fn maybe_deleted_holds_when_every_attempt_may_have_acted() {
        let clock = FakeClock::new();
        let deadline = clock.start + Duration::from_secs(30);
        for max_retries in [1, 2, 3] {
            let e = run(
                &policy(max_retries),
                &clock,
                deadline,
                None,
                |_| -> Result<(), _> { Err(Failure::after_sending(ErrorKind::Timeout, "lost")) },
            )
            .unwrap_err();
            assert_eq!(
                (e.kind(), e.attempts(), e.maybe_deleted()),
                (ErrorKind::Timeout, max_retries + 1, true)
            );
        }
    }

    #[test]
    fn no_wait_may_pass_the_deadline_and_no_attempt_starts_after_it() {
        let clock = FakeClock::new();
        let deadline = clock.start + Duration::from_millis(500);
        let hint = Some(Duration::from_secs(2));
        let mut budgets = Vec::new();
        let e = run(
            &policy(5),
            &clock,
            deadline,
            None,
            |budget| -> Result<(), _> {
                budgets.push(budget);
                clock.advance(Duration::from_millis(100));
                Err(Failure::answered(
                    Error::new(ErrorKind::RateLimited, "slow"),
                    hint,
                ))
            },
        )
        .unwrap_err();
        // The 2 s hint does not fit in the 400 ms left: fail now, not later.
        assert_eq!((e.kind(), e.attempts()), (ErrorKind::RateLimited, 1));
        assert_eq!(budgets, [Duration::from_millis(500)]);
        assert!(clock.sleeps.borrow().is_empty());
        assert!(clock.now() <= deadline);
    }

    #[test]
    fn each_attempt_gets_the_time_left() {
        let clock = FakeClock::new();
        let deadline = clock.start + Duration::from_secs(10);
        let mut budgets = Vec::new();
        let _ = run(
            &policy(2),
            &clock,
            deadline,
            None,
            |budget| -> Result<(), _> {
                budgets.push(budget);
                clock.advance(Duration::from_secs(1));
                Err(server_error())
            },
        );
        let slept: Duration = clock.sleeps.borrow().iter().sum();
        assert_eq!(budgets[0], Duration::from_secs(10));
        assert_eq!(budgets[2], Duration::from_secs(8) - slept);
    }

    #[test]
    fn a_cancel_during_backoff_stops_the_loop() {
        let mut clock = FakeClock::new();
        clock.cancel_after_sleeps = Some(1);
        let token = CancelToken::new();
        let deadline = clock.start + Duration::from_secs(30);
        let mut calls = 0;
        let e = run(
            &policy(5),
            &clock,
            deadline,
            Some(&token),
            |_| -> Result<(), _> {
                calls += 1;
                Err(Failure::after_sending(ErrorKind::Network, "reset"))
            },
        )
        .unwrap_err();
        assert_eq!(
            (e.kind(), calls, e.attempts(), e.maybe_deleted()),
            (ErrorKind::Cancelled, 1, 1, true)
        );
        assert!(
            e.message().contains("it stopped before an answer came"),
            "{e}"
        );
    }

    #[test]
    fn a_cancelled_token_sends_nothing() {
        let clock = FakeClock::new();
        let token = CancelToken::new();
        token.cancel();
        let e = run(
            &policy(2),
            &clock,
            clock.start + Duration::from_secs(1),
            Some(&token),
            |_| -> Result<(), Failure> { panic!("no attempt may start") },
        )
        .unwrap_err();
        assert_eq!(
            (e.kind(), e.attempts(), e.maybe_deleted()),
            (ErrorKind::Cancelled, 0, false)
        );
        assert!(e.message().contains("no request was sent"), "{e}");
    }

    #[test]
    fn a_wait_ending_exactly_at_the_deadline_is_not_taken() {
        let clock = FakeClock::new();
        // The 2 s hint is over the 100 ms backoff cap, so the wait is exactly
        // the hint: it would end exactly at the deadline, leaving no time.
        let deadline = clock.start + Duration::from_secs(2);
        let mut calls = 0;
        let e = run(&policy(5), &clock, deadline, None, |_| -> Result<(), _> {
            calls += 1;
            Err(Failure::answered(
                Error::new(ErrorKind::RateLimited, "slow"),
                Some(Duration::from_secs(2)),
            ))
        })
        .unwrap_err();
        assert_eq!(
            (e.kind(), e.attempts(), calls),
            (ErrorKind::RateLimited, 1, 1),
            "{e}"
        );
        assert!(clock.sleeps.borrow().is_empty());
    }
}
