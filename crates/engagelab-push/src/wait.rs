//! Waiting on a socket with `poll()`: against an exact deadline, in slices
//! short enough to notice a cancel.

use std::io;
use std::os::fd::AsFd;
use std::time::Instant;

use rustix::event::{PollFd, PollFlags, Timespec, poll};

use crate::call;
use crate::cancel::CANCEL_CHECK_INTERVAL;

/// How a wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Waited {
    /// The socket is ready (or has an error or hang-up to report).
    Ready,
    /// `until` passed first.
    TimedOut,
    /// The call's cancel token was cancelled first.
    Cancelled,
}

/// What to wait for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum For {
    Read,
    Write,
}

/// Waits until `fd` is ready for `what`, `until` passes (None: never) or the
/// call is cancelled. The first slice is as long as allowed, so a ready
/// socket costs one `poll()`; the cancel check that may run code (Python's
/// signal check) runs only after a slice that found nothing.
pub(crate) fn wait(fd: impl AsFd, what: For, until: Option<Instant>) -> io::Result<Waited> {
    let events = match what {
        For::Read => PollFlags::IN,
        For::Write => PollFlags::OUT,
    };
    loop {
        if call::cancelled(false) {
            return Ok(Waited::Cancelled);
        }
        let slice = match until {
            Some(until) => {
                let now = Instant::now();
                if now >= until {
                    return Ok(Waited::TimedOut);
                }
                (until - now).min(CANCEL_CHECK_INTERVAL)
            }
            None => CANCEL_CHECK_INTERVAL,
        };
        let timeout = Timespec {
            tv_sec: slice.as_secs() as _,
            tv_nsec: slice.subsec_nanos() as _,
        };
        let mut fds = [PollFd::new(&fd, events)];
        match poll(&mut fds, Some(&timeout)) {
            Ok(0) => {
                if call::cancelled(true) {
                    return Ok(Waited::Cancelled);
                }
            }
            Ok(_) => return Ok(Waited::Ready),
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// Whether `fd` has something to read right now (data, end of file or an
/// error), without waiting.
pub(crate) fn readable_now(fd: impl AsFd) -> bool {
    let mut fds = [PollFd::new(&fd, PollFlags::IN)];
    let zero = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    !matches!(poll(&mut fds, Some(&zero)), Ok(0))
}
