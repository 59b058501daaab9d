//! Progress on standard error: a bar on a terminal, a plain line every few
//! seconds otherwise.

use std::time::{Duration, Instant};

use engagelab_push::{Counts, Progress};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Time between two plain progress lines.
const PLAIN_EVERY: Duration = Duration::from_secs(5);
/// A pause longer than this is announced, with its reason.
const LONG_PAUSE: Duration = Duration::from_secs(60);

pub struct Display {
    kind: Kind,
    /// When the last long pause announced ends, roughly.
    announced_until: Option<Instant>,
}

enum Kind {
    Quiet,
    Bar(ProgressBar),
    Plain { last: Instant },
}

impl Display {
    pub fn new(quiet: bool, terminal: bool) -> Display {
        let kind = if quiet {
            Kind::Quiet
        } else if terminal {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{bar:30} {pos}/{len} {per_sec} ETA {eta} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            Kind::Bar(bar)
        } else {
            Kind::Plain {
                last: Instant::now(),
            }
        };
        Display {
            kind,
            announced_until: None,
        }
    }

    pub fn update(&mut self, p: &Progress) {
        if !matches!(self.kind, Kind::Quiet) {
            self.announce(p);
        }
        match &mut self.kind {
            Kind::Quiet => {}
            Kind::Bar(bar) => {
                bar.set_length(p.total);
                bar.set_position(p.done);
                bar.set_message(format!("{}{}", counts(&p.counts), limited(p)));
            }
            Kind::Plain { last } => {
                if last.elapsed() >= PLAIN_EVERY {
                    *last = Instant::now();
                    let secs = p.elapsed.as_secs_f64();
                    let rate = if secs > 0.0 {
                        p.done as f64 / secs
                    } else {
                        0.0
                    };
                    say!(
                        "progress: {} of {} ({rate:.0}/s) {}{}",
                        p.done,
                        p.total,
                        counts(&p.counts),
                        limited(p)
                    );
                }
            }
        }
    }

    /// Prints a pause longer than [`LONG_PAUSE`] once, with its reason.
    fn announce(&mut self, p: &Progress) {
        let Some(reason) = p.pause_reason.filter(|_| p.pause > LONG_PAUSE) else {
            return;
        };
        let now = Instant::now();
        if self.announced_until.is_some_and(|t| now < t) {
            return;
        }
        self.announced_until = Some(now + p.pause);
        let line = format!("paused for {} s: {reason}", p.pause.as_secs());
        match &self.kind {
            Kind::Bar(bar) => bar.println(line),
            _ => say!("{line}"),
        }
    }

    pub fn finish(&self) {
        if let Kind::Bar(bar) = &self.kind {
            bar.finish_and_clear();
        }
    }
}

/// `, rate-limited 12, paused 0.8 s` while the run is rate-limited or held;
/// empty otherwise.
fn limited(p: &Progress) -> String {
    let mut s = String::new();
    if p.rate_limited > 0 {
        s.push_str(&format!(", rate-limited {}", p.rate_limited));
    }
    if p.pause_reason.is_some() && !p.pause.is_zero() {
        s.push_str(&format!(", paused {:.1} s", p.pause.as_secs_f64()));
    }
    s
}

/// `deleted 5, not found 1, failed 0, ...`, leaving out zero counts except
/// deleted and failed.
pub fn counts(c: &Counts) -> String {
    let mut parts = vec![
        format!("deleted {}", c.deleted),
        format!("failed {}", c.failed),
    ];
    for (name, n) in [
        ("not found", c.not_found),
        ("invalid", c.invalid),
        ("duplicate", c.duplicate),
        ("already done", c.already_done),
        ("would delete", c.would_delete),
    ] {
        if n > 0 {
            parts.push(format!("{name} {n}"));
        }
    }
    parts.join(", ")
}
