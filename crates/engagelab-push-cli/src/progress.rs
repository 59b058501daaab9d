//! Progress on standard error: a bar on a terminal, a plain line every few
//! seconds otherwise.

use std::time::{Duration, Instant};

use engagelab_push::{Counts, Progress};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Time between two plain progress lines.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

pub enum Display {
    Quiet,
    Bar(ProgressBar),
    Plain { last: Instant },
}

impl Display {
    pub fn new(quiet: bool, terminal: bool) -> Display {
        if quiet {
            Display::Quiet
        } else if terminal {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{bar:30} {pos}/{len} {per_sec} ETA {eta} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            Display::Bar(bar)
        } else {
            Display::Plain {
                last: Instant::now(),
            }
        }
    }

    pub fn update(&mut self, p: &Progress) {
        match self {
            Display::Quiet => {}
            Display::Bar(bar) => {
                bar.set_length(p.total);
                bar.set_position(p.done);
                bar.set_message(counts(&p.counts));
            }
            Display::Plain { last } => {
                if last.elapsed() >= PLAIN_EVERY {
                    *last = Instant::now();
                    let secs = p.elapsed.as_secs_f64();
                    let rate = if secs > 0.0 {
                        p.done as f64 / secs
                    } else {
                        0.0
                    };
                    eprintln!(
                        "progress: {} of {} ({rate:.0}/s) {}",
                        p.done,
                        p.total,
                        counts(&p.counts)
                    );
                }
            }
        }
    }

    pub fn finish(&self) {
        if let Display::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
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
