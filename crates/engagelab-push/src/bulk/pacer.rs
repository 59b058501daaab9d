//! Pacing: a token bucket (GCRA: one slot every `1/rate` seconds, with a
//! small burst) shared by every worker. A rate-limit answer halves the rate
//! and pauses everyone for the server's hint; after a calm spell the rate
//! climbs back to the target in steps.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::cancel::CancelToken;

/// Burst allowance: slots that may be taken at once after an idle spell.
const BURST: Duration = Duration::from_millis(20);
/// The pause after a rate-limit answer that carried no hint.
const DEFAULT_PAUSE: Duration = Duration::from_secs(1);
/// Quiet time after a rate-limit answer before the rate climbs again.
const CALM: Duration = Duration::from_secs(2);
/// Time between two climbs.
const STEP: Duration = Duration::from_millis(500);
/// Factor of each climb.
const CLIMB: f64 = 1.25;
/// Rate-limit answers this close together count as one (they were sent at
/// the same time).
const SAME_STORM: Duration = Duration::from_millis(500);
/// The rate never drops below this (requests per second).
const MIN_RATE: f64 = 1.0;

pub(crate) struct Pacer {
    target: f64,
    state: Mutex<State>,
}

struct State {
    rate: f64,
    /// The theoretical time of the next slot.
    next: Instant,
    /// No slot is given before this (a server's hint).
    paused_until: Instant,
    /// When the rate may climb next.
    next_climb: Instant,
    last_limited: Option<Instant>,
}

impl Pacer {
    pub fn new(qps: f64) -> Pacer {
        let now = Instant::now();
        Pacer {
            target: qps,
            state: Mutex::new(State {
                rate: qps,
                next: now,
                paused_until: now,
                next_climb: now,
                last_limited: None,
            }),
        }
    }

    /// Waits for a slot; false when `cancel` fired first.
    pub fn acquire(&self, cancel: &CancelToken) -> bool {
        let slot = {
            let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            if st.rate < self.target && now >= st.next_climb {
                st.rate = (st.rate * CLIMB).min(self.target);
                st.next_climb = now + STEP;
            }
            let earliest = now.checked_sub(BURST).unwrap_or(now);
            let slot = st.next.max(earliest).max(st.paused_until);
            st.next = slot + Duration::from_secs_f64(1.0 / st.rate);
            slot
        };
        if cancel.is_cancelled() {
            return false;
        }
        slot <= Instant::now() || cancel.sleep_until(slot)
    }

    /// A rate-limit answer arrived: pause for `hint` (or a second) and halve
    /// the rate, once per storm.
    pub fn rate_limited(&self, hint: Option<Duration>) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let pause = hint.unwrap_or(DEFAULT_PAUSE).min(Duration::from_secs(60));
        st.paused_until = st.paused_until.max(now + pause);
        st.next = st.next.max(st.paused_until);
        let new_storm = st.last_limited.is_none_or(|t| now >= t + SAME_STORM);
        if new_storm {
            st.rate = (st.rate / 2.0).max(MIN_RATE);
            st.last_limited = Some(now);
        }
        st.next_climb = st.paused_until + CALM;
    }

    /// The rate in force, requests per second.
    pub fn rate(&self) -> f64 {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_follow_the_rate() {
        let pacer = Pacer::new(200.0);
        let token = CancelToken::new();
        let start = Instant::now();
        for _ in 0..41 {
            assert!(pacer.acquire(&token));
        }
        let took = start.elapsed();
        // 40 intervals of 5 ms, less the small burst.
        assert!(took >= Duration::from_millis(170), "{took:?}");
        assert!(took < Duration::from_millis(600), "{took:?}");
    }

    #[test]
    fn a_rate_limit_pauses_halves_once_per_storm_and_cancel_stops_the_wait() {
        let pacer = Pacer::new(100.0);
        pacer.rate_limited(Some(Duration::from_secs(30)));
        pacer.rate_limited(Some(Duration::from_secs(30)));
        assert_eq!(pacer.rate(), 50.0);
        let token = CancelToken::new();
        let other = token.clone();
        let start = Instant::now();
        let waiter = std::thread::spawn(move || pacer.acquire(&other));
        std::thread::sleep(Duration::from_millis(50));
        token.cancel();
        assert!(!waiter.join().unwrap());
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn the_rate_climbs_back_after_a_calm_spell() {
        let pacer = Pacer::new(100.0);
        pacer.rate_limited(Some(Duration::ZERO));
        assert_eq!(pacer.rate(), 50.0);
        {
            let mut st = pacer.state.lock().unwrap();
            st.next_climb = Instant::now();
        }
        assert!(pacer.acquire(&CancelToken::new()));
        assert_eq!(pacer.rate(), 62.5);
    }
}
