//! `CancelToken`: stops a call from another thread, or from a check the call
//! runs while it waits (Python's Ctrl-C).

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

pub use crate::settings::CANCEL_CHECK_INTERVAL;

/// A cancellation flag shared between a call and whoever may stop it.
///
/// Cheap to clone; clones share the flag. Once cancelled it stays cancelled.
/// A call given a cancelled token sends nothing more and returns an error of
/// kind [`Cancelled`](crate::ErrorKind::Cancelled) within
/// [`CANCEL_CHECK_INTERVAL`]; if a request was already written, the error's
/// `maybe_deleted` says so.
///
/// ```
/// use engagelab_push::CancelToken;
/// let token = CancelToken::new();
/// let other = token.clone();
/// other.cancel();
/// assert!(token.is_cancelled());
/// ```
#[derive(Clone, Default)]
pub struct CancelToken {
    inner: Arc<Inner>,
}

type Check = Box<dyn Fn() -> bool + Send + Sync>;

#[derive(Default)]
struct Inner {
    cancelled: AtomicBool,
    check: Option<Check>,
    lock: Mutex<()>,
    wake: Condvar,
}

impl CancelToken {
    /// A token that is cancelled by [`cancel`](Self::cancel).
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    /// A token that is also cancelled as soon as `check` returns true. A call
    /// runs `check` on its own thread at least every
    /// [`CANCEL_CHECK_INTERVAL`] while it waits (e.g. to ask the Python
    /// interpreter whether Ctrl-C was pressed).
    pub fn with_check(check: impl Fn() -> bool + Send + Sync + 'static) -> CancelToken {
        CancelToken {
            inner: Arc::new(Inner {
                check: Some(Box::new(check)),
                ..Inner::default()
            }),
        }
    }

    /// Whether the token was made by [`with_check`](Self::with_check).
    pub fn has_check(&self) -> bool {
        self.inner.check.is_some()
    }

    /// Cancels every call using this token (or a clone). Safe from any thread.
    pub fn cancel(&self) {
        self.inner.cancelled.store(true, Ordering::SeqCst);
        let _guard = self.inner.lock.lock();
        self.inner.wake.notify_all();
    }

    /// Whether the token was cancelled (runs the check of
    /// [`with_check`](Self::with_check), if any).
    pub fn is_cancelled(&self) -> bool {
        if self.inner.cancelled.load(Ordering::SeqCst) {
            return true;
        }
        if let Some(check) = &self.inner.check
            && check()
        {
            self.inner.cancelled.store(true, Ordering::SeqCst);
            return true;
        }
        false
    }

    /// Whether [`cancel`](Self::cancel) was called or a check already fired,
    /// without running the check.
    pub(crate) fn is_flagged(&self) -> bool {
        self.inner.cancelled.load(Ordering::SeqCst)
    }

    /// Sleeps until `until`, or until cancelled; returns false when cancelled.
    /// The check runs with no lock held: it may run any code, a call using
    /// this very token included, and [`cancel`](Self::cancel) never waits
    /// for it.
    pub(crate) fn sleep_until(&self, until: Instant) -> bool {
        loop {
            if self.is_cancelled() {
                return false;
            }
            let now = Instant::now();
            if now >= until {
                return true;
            }
            let slice = (until - now).min(CANCEL_CHECK_INTERVAL);
            let guard = self.inner.lock.lock().unwrap_or_else(|p| p.into_inner());
            // A cancel since the check has notified already: look again,
            // under the lock its notification takes.
            if self.is_flagged() {
                return false;
            }
            drop(self.inner.wake.wait_timeout(guard, slice));
        }
    }
}

impl fmt::Debug for CancelToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelToken")
            .field("cancelled", &self.inner.cancelled.load(Ordering::SeqCst))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::thread;
    use std::time::Duration;

    #[test]
    fn a_cancel_wakes_a_sleeper_at_once() {
        let token = CancelToken::new();
        let other = token.clone();
        let start = Instant::now();
        let sleeper =
            thread::spawn(move || other.sleep_until(Instant::now() + Duration::from_secs(10)));
        thread::sleep(Duration::from_millis(30));
        token.cancel();
        assert!(!sleeper.join().unwrap());
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn a_check_cancels_within_the_interval() {
        let flag = Arc::new(AtomicBool::new(false));
        let seen = flag.clone();
        let token = CancelToken::with_check(move || seen.load(Ordering::SeqCst));
        assert!(!token.is_cancelled());
        assert!(token.sleep_until(Instant::now() + Duration::from_millis(5)));
        flag.store(true, Ordering::SeqCst);
        assert!(!token.sleep_until(Instant::now() + Duration::from_secs(10)));
        assert!(token.is_cancelled());
    }
}
