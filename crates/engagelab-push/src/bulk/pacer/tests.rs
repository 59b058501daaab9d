//! The pacer against simulated limiters, in virtual time: requests go out in
//! the pacer's slots, reach the limiter after half a round trip (with some
//! jitter) and its answer comes back after the other half.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::*;

/// A clock that only moves when told to, or when a worker sleeps.
struct VirtualClock(Mutex<Instant>);

impl VirtualClock {
    fn set(&self, t: Instant) {
        let mut now = self.0.lock().unwrap();
        *now = (*now).max(t);
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> Instant {
        *self.0.lock().unwrap()
    }

    fn sleep_until(&self, until: Instant, cancel: Option<&CancelToken>) -> bool {
        if cancel.is_some_and(CancelToken::is_flagged) {
            return false;
        }
        self.set(until);
        true
    }
}

/// A server's limiter.
enum Limiter {
    /// The mock's: `limit` requests per one-second window, which starts
    /// with its first request; a refusal says `X-Rate-Limit-Reset: 1`.
    Windows {
        limit: u64,
        start: Option<Instant>,
        count: u64,
    },
    /// nginx's `limit_req` (`nodelay`): a leaky bucket draining at `rate`,
    /// refusing a request that would take it past `burst`; no hint.
    Leaky {
        rate: f64,
        burst: f64,
        excess: f64,
        last: Option<Instant>,
    },
}

/// What the limiter answered.
struct Verdict {
    ok: bool,
    hint: Option<Duration>,
    quota: Option<Quota>,
}

impl Limiter {
    fn windows(limit: u64) -> Limiter {
        Limiter::Windows {
            limit,
            start: None,
            count: 0,
        }
    }

    fn leaky(rate: f64, burst: f64) -> Limiter {
        Limiter::Leaky {
            rate,
            burst,
            excess: 0.0,
            last: None,
        }
    }

    fn admit(&mut self, t: Instant) -> Verdict {
        match self {
            Limiter::Windows {
                limit,
                start,
                count,
            } => {
                if start.is_none_or(|s| t >= s + Duration::from_secs(1)) {
                    *start = Some(t);
                    *count = 0;
                }
                *count += 1;
                let ok = *count <= *limit;
                let reset = (start.unwrap() + Duration::from_secs(1)).saturating_duration_since(t);
                Verdict {
                    ok,
                    hint: (!ok).then_some(Duration::from_secs(1)),
                    quota: Some(Quota {
                        limit: Some(*limit),
                        remaining: Some(limit.saturating_sub(*count)),
                        reset: Some(Duration::from_secs(
                            reset.as_secs() + u64::from(reset.subsec_nanos() > 0),
                        )),
                    }),
                }
            }
            Limiter::Leaky {
                rate,
                burst,
                excess,
                last,
            } => {
                let elapsed = last.map_or(0.0, |l| t.saturating_duration_since(l).as_secs_f64());
                let next = (*excess - *rate * elapsed).max(0.0) + 1.0;
                let ok = next <= *burst + 1.0;
                if ok {
                    *excess = next;
                    *last = Some(t);
                }
                Verdict {
                    ok,
                    hint: None,
                    quota: None,
                }
            }
        }
    }
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    /// A request sent at `.0` reaches the server.
    Arrive(Instant),
    /// Its answer, back at the client.
    Answer(Instant, bool, Option<Duration>, Option<QuotaKey>),
}

/// `Quota` in a form the event queue can order.
type QuotaKey = (Option<u64>, Option<u64>, Option<Duration>);

struct Run {
    /// Deletions per second over the run.
    rate: f64,
    /// Requests answered 429, as a share of all requests.
    limited_share: f64,
}

/// Runs `qps` against `limiter` for `seconds` of virtual time, 100 ms
/// round trip plus up to 10 ms of jitter each way; with `headers`, the quota
/// headers are passed to the pacer.
fn simulate(mut limiter: Limiter, qps: f64, seconds: u64, headers: bool) -> Run {
    let t0 = Instant::now();
    let clock = Arc::new(VirtualClock(Mutex::new(t0)));
    let pacer = Pacer::with_clock(qps, clock.clone());
    let token = CancelToken::new();
    let mut rng = fastrand::Rng::with_seed(23);
    let mut leg = move || Duration::from_millis(50) + Duration::from_micros(rng.u64(0..10_000));
    let mut events: BinaryHeap<Reverse<(Instant, u64, Event)>> = BinaryHeap::new();
    let mut seq = 0u64;
    let (mut ok, mut limited, mut sent) = (0u64, 0u64, 0u64);
    let end = t0 + Duration::from_secs(seconds);
    loop {
        let slot = {
            let st = pacer.state();
            let now = clock.now();
            st.next
                .max(now.checked_sub(BURST).unwrap_or(now))
                .max(st.paused_until)
        };
        let due = events.peek().map(|Reverse((t, _, _))| *t);
        match due {
            Some(t) if t <= slot => {
                let Reverse((t, _, event)) = events.pop().unwrap();
                clock.set(t);
                match event {
                    Event::Arrive(at) => {
                        let v = limiter.admit(t);
                        let q = v.quota.map(|q| (q.limit, q.remaining, q.reset));
                        seq += 1;
                        events.push(Reverse((
                            t + leg(),
                            seq,
                            Event::Answer(at, v.ok, v.hint, q),
                        )));
                    }
                    Event::Answer(at, answered_ok, hint, q) => {
                        if let (true, Some((limit, remaining, reset))) = (headers, q) {
                            pacer.quota(Quota {
                                limit,
                                remaining,
                                reset,
                            });
                        }
                        if answered_ok {
                            ok += 1;
                        } else {
                            limited += 1;
                            pacer.rate_limited(at, hint);
                        }
                    }
                }
            }
            _ => {
                if slot >= end {
                    break;
                }
                let at = pacer.acquire(&token).unwrap();
                sent += 1;
                seq += 1;
                events.push(Reverse((at + leg(), seq, Event::Arrive(at))));
            }
        }
    }
    Run {
        rate: ok as f64 / seconds as f64,
        limited_share: limited as f64 / sent as f64,
    }
}

const LIMIT: u64 = 500;

fn at_the_limit(limiter: Limiter, headers: bool) {
    let run = simulate(limiter, LIMIT as f64, 60, headers);
    assert!(run.rate >= 0.95 * LIMIT as f64, "{:.1}/s", run.rate);
    assert!(run.limited_share <= 0.01, "{:.4}", run.limited_share);
}

fn below_the_limit(limiter: Limiter, headers: bool) {
    let qps = 0.8 * LIMIT as f64;
    let run = simulate(limiter, qps, 60, headers);
    assert!(run.rate >= 0.97 * qps, "{:.1}/s", run.rate);
    assert_eq!(run.limited_share, 0.0);
}

#[test]
fn fixed_windows_at_the_limit() {
    at_the_limit(Limiter::windows(LIMIT), false);
}

#[test]
fn fixed_windows_below_the_limit() {
    below_the_limit(Limiter::windows(LIMIT), false);
}

#[test]
fn leaky_bucket_at_the_limit() {
    at_the_limit(Limiter::leaky(LIMIT as f64, 25.0), false);
}

#[test]
fn leaky_bucket_below_the_limit() {
    below_the_limit(Limiter::leaky(LIMIT as f64, 25.0), false);
}

#[test]
fn above_the_limit_the_rate_settles_under_it() {
    for limiter in [Limiter::windows(LIMIT), Limiter::leaky(LIMIT as f64, 25.0)] {
        let run = simulate(limiter, 2.0 * LIMIT as f64, 60, false);
        assert!(run.rate >= 0.9 * LIMIT as f64, "{:.1}/s", run.rate);
        // Mostly the first second's, before any answer came back.
        assert!(run.limited_share <= 0.04, "{:.4}", run.limited_share);
    }
}

#[test]
fn stated_quota_paces_before_any_rate_limit_answer() {
    // Twice the limit asked for: the first answers state it, and the rate
    // drops under it before a window overflows.
    let run = simulate(Limiter::windows(LIMIT), 2.0 * LIMIT as f64, 30, true);
    assert!(run.rate >= 0.95 * LIMIT as f64, "{:.1}/s", run.rate);
    assert!(run.limited_share <= 0.005, "{:.4}", run.limited_share);
}

#[test]
fn a_used_up_quota_pauses_until_its_reset() {
    let t0 = Instant::now();
    let clock = Arc::new(VirtualClock(Mutex::new(t0)));
    let pacer = Pacer::with_clock(100.0, clock.clone());
    pacer.quota(Quota {
        limit: None,
        remaining: Some(0),
        reset: Some(Duration::from_secs(3)),
    });
    assert_eq!(
        pacer.pause(),
        Some((Duration::from_secs(3), PauseReason::QuotaUsedUp))
    );
    let at = pacer.acquire(&CancelToken::new()).unwrap();
    assert_eq!(at, t0 + Duration::from_secs(3));
}

#[test]
fn a_long_hint_is_honoured_a_coarse_one_is_a_short_pause() {
    let t0 = Instant::now();
    let clock = Arc::new(VirtualClock(Mutex::new(t0)));
    let pacer = Pacer::with_clock(100.0, clock.clone());
    pacer.rate_limited(t0, Some(Duration::from_secs(1)));
    assert_eq!(pacer.pause(), Some((SHORT_PAUSE, PauseReason::RateLimited)));
    pacer.rate_limited(t0, Some(Duration::from_secs(90)));
    assert_eq!(pacer.pause().map(|p| p.0), Some(Duration::from_secs(90)));
    // A cancel stops the wait.
    let token = CancelToken::new();
    token.cancel();
    assert_eq!(pacer.acquire(&token), None);
}

/// A virtual clock that runs a hook (once) when a worker goes to sleep: what
/// other workers do while one waits for its slot.
struct HookClock {
    now: Mutex<Instant>,
    hook: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl Clock for HookClock {
    fn now(&self) -> Instant {
        *self.now.lock().unwrap()
    }

    fn sleep_until(&self, until: Instant, _cancel: Option<&CancelToken>) -> bool {
        let hook = self.hook.lock().unwrap().take();
        if let Some(hook) = hook {
            hook();
        }
        let mut now = self.now.lock().unwrap();
        *now = (*now).max(until);
        true
    }
}

/// A pacer at one request a second on a hook clock, its first slot taken.
fn one_per_second(t0: Instant) -> (Arc<HookClock>, Arc<Pacer>) {
    let clock = Arc::new(HookClock {
        now: Mutex::new(t0),
        hook: Mutex::new(None),
    });
    let pacer = Arc::new(Pacer::with_clock(1.0, clock.clone()));
    assert_eq!(pacer.acquire(&CancelToken::new()), Some(t0));
    (clock, pacer)
}

#[test]
fn a_pause_that_starts_while_a_worker_sleeps_holds_it_until_the_pause_ends() {
    let t0 = Instant::now();
    let (clock, pacer) = one_per_second(t0);
    let other = pacer.clone();
    *clock.hook.lock().unwrap() = Some(Box::new(move || {
        other.rate_limited(t0, Some(Duration::from_secs(5)));
    }));
    // Its slot was t0 + 1 s; the pause, begun meanwhile, lasts to t0 + 5 s.
    assert_eq!(
        pacer.acquire(&CancelToken::new()),
        Some(t0 + Duration::from_secs(5))
    );
}

#[test]
fn a_pause_that_ends_before_a_sleeping_worker_s_slot_keeps_that_slot() {
    let t0 = Instant::now();
    let (clock, pacer) = one_per_second(t0);
    let other = pacer.clone();
    *clock.hook.lock().unwrap() = Some(Box::new(move || {
        other.quota(Quota {
            limit: None,
            remaining: Some(0),
            reset: Some(Duration::from_millis(500)),
        });
    }));
    // The pause (to t0 + 20 ms) is over before the slot at t0 + 1 s.
    assert_eq!(
        pacer.acquire(&CancelToken::new()),
        Some(t0 + Duration::from_secs(1))
    );
}

#[test]
fn episodes_close_behind_each_other_double_the_short_pause_a_calm_resets_it() {
    let t0 = Instant::now();
    let clock = Arc::new(VirtualClock(Mutex::new(t0)));
    let pacer = Pacer::with_clock(100.0, clock.clone());
    let limited_now = |want: Duration| {
        let now = clock.now();
        pacer.rate_limited(now, None);
        assert_eq!(pacer.pause(), Some((want, PauseReason::RateLimited)));
        now + want
    };
    let mut end = limited_now(SHORT_PAUSE);
    for want in [2 * SHORT_PAUSE, 4 * SHORT_PAUSE] {
        clock.set(end + Duration::from_millis(100));
        end = limited_now(want);
    }
    // An episode a whole STORM_GAP after the last pause ended is a new storm.
    clock.set(end + STORM_GAP);
    limited_now(SHORT_PAUSE);
    // An answer to a request sent before the episode began changes nothing.
    pacer.rate_limited(t0, None);
    assert_eq!(pacer.pause(), Some((SHORT_PAUSE, PauseReason::RateLimited)));
}

#[test]
fn a_used_up_quota_with_a_reset_of_a_second_or_less_is_a_short_pause() {
    for reset in [Duration::from_secs(1), Duration::from_millis(400)] {
        let clock = Arc::new(VirtualClock(Mutex::new(Instant::now())));
        let pacer = Pacer::with_clock(100.0, clock);
        pacer.quota(Quota {
            limit: None,
            remaining: Some(0),
            reset: Some(reset),
        });
        assert_eq!(pacer.pause(), Some((SHORT_PAUSE, PauseReason::QuotaUsedUp)));
    }
}

#[test]
fn a_stated_limit_is_per_window_of_whole_seconds() {
    // 300 requests a window: a window of 2.5 s counts as 3 s, so 100/s,
    // taken a little under.
    for reset in [Duration::from_millis(2500), Duration::from_secs(3)] {
        let clock = Arc::new(VirtualClock(Mutex::new(Instant::now())));
        let pacer = Pacer::with_clock(1000.0, clock);
        pacer.quota(Quota {
            limit: Some(300),
            remaining: Some(299),
            reset: Some(reset),
        });
        let want = 100.0 * (1.0 - super::super::aimd::MARGIN);
        assert!(
            (pacer.rate() - want).abs() < 1e-9,
            "{reset:?}: {}",
            pacer.rate()
        );
        assert_eq!(pacer.pause(), None);
    }
}

#[test]
fn a_pause_that_ended_is_no_longer_reported() {
    let t0 = Instant::now();
    let clock = Arc::new(VirtualClock(Mutex::new(t0)));
    let pacer = Pacer::with_clock(100.0, clock.clone());
    pacer.rate_limited(t0, Some(Duration::from_secs(2)));
    clock.set(t0 + Duration::from_secs(2));
    assert_eq!(pacer.pause(), None);
}

#[test]
fn a_pause_keeps_its_reason_unless_a_later_one_outlasts_it() {
    let t0 = Instant::now();
    let clock = Arc::new(VirtualClock(Mutex::new(t0)));
    let pacer = Pacer::with_clock(100.0, clock);
    pacer.rate_limited(t0, Some(Duration::from_secs(90)));
    let quota = |secs| Quota {
        limit: None,
        remaining: Some(0),
        reset: Some(Duration::from_secs(secs)),
    };
    pacer.quota(quota(90));
    assert_eq!(
        pacer.pause(),
        Some((Duration::from_secs(90), PauseReason::RateLimited))
    );
    pacer.quota(quota(91));
    assert_eq!(
        pacer.pause(),
        Some((Duration::from_secs(91), PauseReason::QuotaUsedUp))
    );
}

#[test]
fn each_pause_reason_names_its_cause() {
    assert!(PauseReason::RateLimited.text().contains("429"));
    assert!(
        PauseReason::QuotaUsedUp
            .text()
            .contains("X-Rate-Limit-Remaining: 0")
    );
}
