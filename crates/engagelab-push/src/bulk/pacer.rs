//! Pacing: slots one every `1/rate` seconds (GCRA, with a small burst),
//! shared by every worker, at the rate [`Aimd`] sets; short pauses after a
//! rate-limit answer; and the server's quota headers, when it sends them,
//! read before any rate-limit answer.
//!
//! A pause after a rate-limit answer is only as long as the hint requires:
//! a hint of a second or less (a per-second window, or none at all) is an
//! upper bound, so the first pause of an episode is [`SHORT_PAUSE`] and each
//! further episode close behind it doubles it, up to the hint; a longer
//! hint is honoured in full.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::aimd::Aimd;
use crate::cancel::CancelToken;
pub(crate) use crate::quota::Quota;
use crate::retry::{Clock, SystemClock};

/// Burst allowance: slots that may be taken at once after an idle spell.
const BURST: Duration = Duration::from_millis(20);
/// The first pause of an episode with a hint of a second or less.
pub(crate) const SHORT_PAUSE: Duration = Duration::from_millis(20);
/// Hints up to this long are upper bounds; longer ones are honoured.
pub(crate) const COARSE_HINT: Duration = Duration::from_secs(1);
/// An episode this soon after the last pause ended doubles the next pause.
const STORM_GAP: Duration = Duration::from_secs(1);

/// Why the workers wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PauseReason {
    /// A rate-limit answer (its hint, or a short pause).
    RateLimited,
    /// The server said the quota's window is used up
    /// (`X-Rate-Limit-Remaining: 0`) until it resets.
    QuotaUsedUp,
}

impl PauseReason {
    pub(crate) fn text(self) -> &'static str {
        match self {
            PauseReason::RateLimited => {
                "EngageLab answered 429 (rate limited) and asked to wait (Retry-After / X-Rate-Limit-Reset)"
            }
            PauseReason::QuotaUsedUp => {
                "EngageLab said the AppKey's quota is used up until its window resets (X-Rate-Limit-Remaining: 0)"
            }
        }
    }
}

pub(crate) struct Pacer {
    clock: Arc<dyn Clock + Send + Sync>,
    state: Mutex<State>,
}

struct State {
    aimd: Aimd,
    /// The theoretical time of the next slot.
    next: Instant,
    /// No slot is given before this.
    paused_until: Instant,
    reason: Option<PauseReason>,
    /// Counts pauses, so a worker that slept through the start of one
    /// takes a new slot.
    pauses: u64,
    /// The pause an episode with a coarse hint gets.
    short: Duration,
    /// The longest `Reset` seen: the quota's window.
    window: Duration,
}

impl Pacer {
    pub fn new(qps: f64) -> Pacer {
        Pacer::with_clock(qps, Arc::new(SystemClock))
    }

    pub(crate) fn with_clock(qps: f64, clock: Arc<dyn Clock + Send + Sync>) -> Pacer {
        let now = clock.now();
        Pacer {
            clock,
            state: Mutex::new(State {
                aimd: Aimd::new(qps, now),
                next: now,
                paused_until: now,
                reason: None,
                pauses: 0,
                short: SHORT_PAUSE,
                window: Duration::from_secs(1),
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for a slot; the time it was given, or `None` when `cancel`
    /// fired first.
    pub fn acquire(&self, cancel: &CancelToken) -> Option<Instant> {
        loop {
            let (slot, pauses) = {
                let mut st = self.state();
                let now = self.clock.now();
                st.aimd.tick(now);
                let earliest = now.checked_sub(BURST).unwrap_or(now);
                let slot = st.next.max(earliest).max(st.paused_until);
                st.next = slot + Duration::from_secs_f64(1.0 / st.aimd.rate());
                (slot, st.pauses)
            };
            if cancel.is_cancelled() {
                return None;
            }
            if slot > self.clock.now() && !self.clock.sleep_until(slot, Some(cancel)) {
                return None;
            }
            let st = self.state();
            if st.pauses == pauses || st.paused_until <= slot {
                return Some(self.clock.now());
            }
        }
    }

    /// A rate-limit answer to a request sent at `sent`, with the server's
    /// hint.
    pub fn rate_limited(&self, sent: Instant, hint: Option<Duration>) {
        let mut st = self.state();
        let now = self.clock.now();
        let episode = st.aimd.limited(sent, now);
        let pause = match hint {
            Some(h) if h > COARSE_HINT => Some(h),
            _ if episode => {
                let storm = now < st.paused_until + STORM_GAP && st.pauses > 0;
                st.short = if storm {
                    (st.short * 2).min(COARSE_HINT)
                } else {
                    SHORT_PAUSE
                };
                Some(st.short.min(hint.unwrap_or(COARSE_HINT)))
            }
            _ => None,
        };
        if let Some(p) = pause {
            st.pause(now + p, PauseReason::RateLimited);
        }
    }

    /// The quota headers of an answer: a stated limit caps the rate, a
    /// used-up window pauses until it resets.
    pub fn quota(&self, q: Quota) {
        let mut st = self.state();
        let now = self.clock.now();
        if let Some(reset) = q.reset {
            let secs = Duration::from_secs(reset.as_secs() + u64::from(reset.subsec_nanos() > 0));
            st.window = st.window.max(secs).min(Duration::from_secs(3600));
        }
        if let Some(limit) = q.limit {
            let window = st.window.as_secs_f64();
            st.aimd.stated_limit(limit as f64 / window);
        }
        if q.remaining == Some(0)
            && let Some(reset) = q.reset
        {
            // A reset of a second or less is an upper bound, as a hint is.
            let pause = if reset > COARSE_HINT {
                reset
            } else {
                reset.min(SHORT_PAUSE)
            };
            st.pause(now + pause, PauseReason::QuotaUsedUp);
        }
    }

    /// The rate in force, requests per second.
    pub fn rate(&self) -> f64 {
        self.state().aimd.rate()
    }

    /// The pause in force: how long it has left and why.
    pub fn pause(&self) -> Option<(Duration, PauseReason)> {
        let st = self.state();
        let left = st.paused_until.saturating_duration_since(self.clock.now());
        match st.reason {
            Some(r) if !left.is_zero() => Some((left, r)),
            _ => None,
        }
    }
}

impl State {
    fn pause(&mut self, until: Instant, reason: PauseReason) {
        if until > self.paused_until {
            self.paused_until = until;
            self.reason = Some(reason);
            self.pauses += 1;
            self.next = self.next.max(until);
        }
    }
}

#[cfg(test)]
mod tests;
