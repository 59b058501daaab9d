//! When to retry and how long to wait: exponential backoff with full jitter,
//! the server's hint honoured but clamped.

use std::time::Duration;

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

/// Retries after the first attempt, by default.
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// The backoff cap before the first retry, by default.
pub const DEFAULT_BACKOFF_BASE: Duration = Duration::from_millis(200);
/// The largest backoff cap, by default.
pub const DEFAULT_BACKOFF_MAX: Duration = Duration::from_secs(5);
/// The longest server hint honoured as given, by default.
pub const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
