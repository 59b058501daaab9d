//! The rate limiters: a request budget per fixed one-second window (the
//! default), or a leaky bucket with a burst (nginx's `limit_req ... nodelay`).

use std::time::{Duration, Instant};

/// What the limiter says of one request, and the quota left after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Verdict {
    /// Whether the request fits.
    pub admitted: bool,
    /// The requests allowed per window (`X-Rate-Limit-Limit`).
    pub limit: u32,
    /// Requests that would still fit now (`X-Rate-Limit-Remaining`).
    pub remaining: u64,
    /// Whole seconds until the quota is whole again, at least 1
    /// (`X-Rate-Limit-Reset`).
    pub reset_s: u64,
}

/// The limiter of a server: windows and a bucket, the setting in force
/// choosing which counts.
#[derive(Debug, Default)]
pub(crate) struct Limiter {
    window: RateWindow,
    bucket: LeakyBucket,
}

impl Limiter {
    /// Counts one request against `qps`: in fixed windows, or in a leaky
    /// bucket with `burst` when one is given.
    pub fn admit(&mut self, qps: u32, burst: Option<u32>) -> Verdict {
        let now = Instant::now();
        match burst {
            None => self.window.admit(qps, now),
            Some(burst) => self.bucket.admit(qps, burst, now),
        }
    }
}

/// Counts requests in the current one-second window, which starts with its first request.
#[derive(Debug, Default)]
pub(crate) struct RateWindow {
    started: Option<Instant>,
    count: u64,
}

impl RateWindow {
    /// Counts one request; whether it fits within `qps` for the current window.
    fn admit(&mut self, qps: u32, now: Instant) -> Verdict {
        let started = match self.started {
            Some(started) if now.duration_since(started) < Duration::from_secs(1) => started,
            _ => {
                self.count = 0;
                *self.started.insert(now)
            }
        };
        self.count += 1;
        let left = (started + Duration::from_secs(1)).saturating_duration_since(now);
        Verdict {
            admitted: self.count <= u64::from(qps),
            limit: qps,
            remaining: u64::from(qps).saturating_sub(self.count),
            reset_s: ceil_secs(left),
        }
    }
}

/// A leaky bucket draining `qps` requests a second: a request that would
/// take it past `burst` waiting requests is refused (and not counted).
#[derive(Debug, Default)]
pub(crate) struct LeakyBucket {
    /// Requests in the bucket, as of `last`.
    excess: f64,
    last: Option<Instant>,
}

impl LeakyBucket {
    fn admit(&mut self, qps: u32, burst: u32, now: Instant) -> Verdict {
        let rate = f64::from(qps);
        let elapsed = self
            .last
            .map_or(0.0, |l| now.saturating_duration_since(l).as_secs_f64());
        let drained = (self.excess - rate * elapsed).max(0.0);
        let next = drained + 1.0;
        let admitted = qps > 0 && next <= f64::from(burst) + 1.0;
        self.excess = if admitted { next } else { drained };
        self.last = Some(now);
        let room = (f64::from(burst) + 1.0 - self.excess).max(0.0);
        let empty_in = if rate > 0.0 {
            Duration::from_secs_f64(self.excess / rate)
        } else {
            Duration::from_secs(1)
        };
        Verdict {
            admitted,
            limit: qps,
            remaining: room.floor() as u64,
            reset_s: ceil_secs(empty_in),
        }
    }
}

/// Whole seconds, rounded up, at least 1.
fn ceil_secs(d: Duration) -> u64 {
    (d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_per_window() {
        let mut window = RateWindow::default();
        let now = Instant::now();
        assert!(window.admit(2, now).admitted);
        let second = window.admit(2, now);
        assert!(second.admitted);
        assert_eq!((second.remaining, second.reset_s), (0, 1));
        assert!(!window.admit(2, now).admitted);
        assert!(window.admit(2, now + Duration::from_secs(2)).admitted);
        assert!(!RateWindow::default().admit(0, now).admitted);
    }

    #[test]
    fn leaky_bucket_takes_a_burst_then_the_rate() {
        let mut bucket = LeakyBucket::default();
        let t0 = Instant::now();
        // burst 2: three at once, the fourth refused.
        let admitted: Vec<bool> = (0..4).map(|_| bucket.admit(10, 2, t0).admitted).collect();
        assert_eq!(admitted, [true, true, true, false]);
        // 100 ms drains one at 10/s.
        let later = t0 + Duration::from_millis(100);
        assert!(bucket.admit(10, 2, later).admitted);
        let refused = bucket.admit(10, 2, later);
        assert!(!refused.admitted);
        assert_eq!((refused.remaining, refused.limit), (0, 10));
        assert!(!LeakyBucket::default().admit(0, 5, t0).admitted);
    }
}
