//! The rate limiter: a request budget per fixed one-second window.

use std::time::{Duration, Instant};

/// Counts requests in the current one-second window, which starts with its first request.
#[derive(Debug, Default)]
pub(crate) struct RateWindow {
    started: Option<Instant>,
    count: u64,
}

impl RateWindow {
    /// Counts one request; whether it fits within `qps` for the current window.
    pub fn admit(&mut self, qps: u32) -> bool {
        let now = Instant::now();
        match self.started {
            Some(started) if now.duration_since(started) < Duration::from_secs(1) => {}
            _ => {
                self.started = Some(now);
                self.count = 0;
            }
        }
        self.count += 1;
        self.count <= u64::from(qps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_per_window() {
        let mut window = RateWindow::default();
        assert!(window.admit(2));
        assert!(window.admit(2));
        assert!(!window.admit(2));
        window.started = Some(Instant::now() - Duration::from_secs(2));
        assert!(window.admit(2));
        assert!(!RateWindow::default().admit(0));
    }
}
