//! The rate controller of a bulk run: **AIMD with a remembered ceiling**,
//! as TCP congestion control (additive increase, multiplicative decrease,
//! once per round trip), with the rate where limiting began kept as CUBIC
//! keeps `W_max`.
//!
//! - Below any limit, the rate is the target and never moves.
//! - A rate-limit answer to a request sent after the last decrease starts an
//!   episode: the rate where it began becomes the ceiling and the rate drops
//!   by [`DECREASE`] (a small step, not a halving). Answers to requests sent
//!   before that decrease belong to the same episode and change nothing.
//! - The rate climbs back quickly, closing part of the gap every [`STEP`],
//!   to a plateau just under the ceiling, holds it, and only then probes
//!   above it slowly (the limit may have grown: the quota is shared). Each
//!   episode at the same ceiling doubles the hold, up to [`MAX_HOLD`].
//! - A limit the server states (`X-Rate-Limit-Limit`) caps the rate at once,
//!   a little under it, before any rate-limit answer.
//!
//! Time is passed in, so the controller runs in virtual time in tests.

use std::time::{Duration, Instant};

/// The share the rate drops by at the start of an episode.
pub(crate) const DECREASE: f64 = 0.05;
/// An episode this soon after the last one doubles the decrease (up to a
/// half): the limit is well under the rate.
const STORM: Duration = Duration::from_secs(1);
/// The largest decrease.
const MAX_DECREASE: f64 = 0.5;
/// The plateau's margin under the ceiling (or a stated limit).
pub(crate) const MARGIN: f64 = 0.01;
/// Time between two climbs.
pub(crate) const STEP: Duration = Duration::from_millis(200);
/// The share of the gap to the plateau each climb closes.
const APPROACH: f64 = 0.3;
/// Each probe above the plateau adds this share of the ceiling.
const PROBE: f64 = 0.001;
/// The first hold at the plateau before probing.
const FIRST_HOLD: Duration = Duration::from_secs(2);
/// The longest hold at the plateau before probing.
pub(crate) const MAX_HOLD: Duration = Duration::from_secs(32);
/// Two ceilings this close (as a share) are the same limit.
const SAME_CEILING: f64 = 0.03;
/// The rate never drops below this (requests per second).
pub(crate) const MIN_RATE: f64 = 1.0;

/// AIMD with a remembered ceiling; see the module's documentation.
#[derive(Debug, Clone)]
pub(crate) struct Aimd {
    /// The rate asked for: never exceeded.
    target: f64,
    rate: f64,
    /// The rate where limiting last began.
    ceiling: Option<f64>,
    /// The limit the server stated.
    stated: Option<f64>,
    /// When the rate last dropped; answers to requests sent before it are
    /// of the same episode.
    decreased_at: Option<Instant>,
    /// When the rate may climb next.
    next_step: Instant,
    /// When the plateau was reached (the hold runs from there).
    plateau_since: Option<Instant>,
    hold: Duration,
    /// The share of the last decrease.
    decrease: f64,
}

impl Aimd {
    pub(crate) fn new(target: f64, now: Instant) -> Aimd {
        let target = target.max(MIN_RATE);
        Aimd {
            target,
            rate: target,
            ceiling: None,
            stated: None,
            decreased_at: None,
            next_step: now,
            plateau_since: None,
            hold: FIRST_HOLD,
            decrease: DECREASE,
        }
    }

    /// The rate in force, requests per second.
    pub(crate) fn rate(&self) -> f64 {
        self.rate
    }

    /// The highest rate allowed: the target, under a stated limit.
    fn cap(&self) -> f64 {
        match self.stated {
            Some(limit) => self.target.min(limit * (1.0 - MARGIN)).max(MIN_RATE),
            None => self.target,
        }
    }

    /// A rate-limit answer to a request sent at `sent`; true when it starts
    /// an episode (the rate dropped).
    pub(crate) fn limited(&mut self, sent: Instant, now: Instant) -> bool {
        if self.decreased_at.is_some_and(|d| sent < d) {
            return false;
        }
        let began = self.rate;
        if let Some(c) = self.ceiling {
            if (began - c).abs() <= c * SAME_CEILING {
                self.hold = (self.hold * 2).min(MAX_HOLD);
            } else {
                self.hold = FIRST_HOLD;
            }
        }
        self.decrease = match self.decreased_at {
            Some(d) if now < d + STORM => (self.decrease * 2.0).min(MAX_DECREASE),
            _ => DECREASE,
        };
        self.ceiling = Some(began);
        self.rate = (began * (1.0 - self.decrease)).max(MIN_RATE);
        self.decreased_at = Some(now);
        self.next_step = now + STEP;
        self.plateau_since = None;
        true
    }

    /// The server stated its limit (requests per second).
    pub(crate) fn stated_limit(&mut self, limit: f64) {
        if limit.is_finite() && limit > 0.0 {
            self.stated = Some(limit);
            self.rate = self.rate.min(self.cap());
        }
    }

    /// Climbs when a step is due: towards the plateau under the ceiling,
    /// then, after the hold, slowly past it up to the cap.
    pub(crate) fn tick(&mut self, now: Instant) {
        if now < self.next_step {
            return;
        }
        self.next_step = now + STEP;
        let cap = self.cap();
        if self.rate >= cap {
            self.rate = cap;
            return;
        }
        let Some(ceiling) = self.ceiling else {
            self.rate = cap;
            return;
        };
        let plateau = (ceiling * (1.0 - MARGIN)).min(cap);
        if self.rate < plateau {
            let gap = plateau - self.rate;
            self.rate = if gap <= ceiling * PROBE {
                plateau
            } else {
                self.rate + gap * APPROACH
            };
            return;
        }
        let since = *self.plateau_since.get_or_insert(now);
        if now >= since + self.hold {
            self.rate = (self.rate + ceiling * PROBE).min(cap);
            if self.rate > ceiling {
                // Past the old ceiling without limiting: the limit grew.
                self.ceiling = Some(self.rate);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_episode_drops_a_little_once_and_climbs_back_under_the_ceiling() {
        let t0 = Instant::now();
        let mut c = Aimd::new(500.0, t0);
        assert!(c.limited(t0, t0 + Duration::from_millis(100)));
        assert!((c.rate() - 475.0).abs() < 1e-9);
        // Answers to requests sent before the decrease: the same episode.
        assert!(!c.limited(
            t0 + Duration::from_millis(50),
            t0 + Duration::from_millis(150)
        ));
        assert!((c.rate() - 475.0).abs() < 1e-9);
        let mut now = t0 + Duration::from_millis(100);
        let mut steps = 0;
        while c.rate() < 495.0 - 1e-9 {
            now += STEP;
            c.tick(now);
            steps += 1;
        }
        // Back at the plateau within a couple of seconds, and no further.
        assert!(steps <= 12, "{steps}");
        assert!((c.rate() - 495.0).abs() < 1e-9, "{}", c.rate());
        // The hold: no probing for FIRST_HOLD at the plateau.
        now += FIRST_HOLD / 2;
        c.tick(now);
        assert!((c.rate() - 495.0).abs() < 1e-9, "{}", c.rate());
        for _ in 0..40 {
            now += STEP;
            c.tick(now);
        }
        assert!(c.rate() > 495.0 && c.rate() <= 500.0, "{}", c.rate());
    }

    #[test]
    fn a_stated_limit_caps_the_rate_and_the_target_is_never_passed() {
        let t0 = Instant::now();
        let mut c = Aimd::new(1000.0, t0);
        c.stated_limit(200.0);
        assert!((c.rate() - 198.0).abs() < 1e-9);
        c.tick(t0 + Duration::from_secs(100));
        assert!((c.rate() - 198.0).abs() < 1e-9);
        let mut low = Aimd::new(50.0, t0);
        low.stated_limit(200.0);
        assert_eq!(low.rate(), 50.0);
    }
}
