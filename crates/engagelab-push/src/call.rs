//! What the transport needs to know about the call running on this thread:
//! its deadline, its cancel token, the calling process, and whether its
//! request was written.
//!
//! ureq runs every request on the calling thread, so a thread-local scope set
//! around one attempt reaches the socket waits below it without threading
//! values through ureq.

use std::cell::{Cell, RefCell};
use std::time::Instant;

use crate::cancel::CancelToken;

/// One attempt's context.
struct Call {
    deadline: Instant,
    pid: u32,
    cancel: Option<CancelToken>,
    written: Cell<bool>,
    cancelled: Cell<bool>,
}

thread_local! {
    static CURRENT: RefCell<Option<Call>> = const { RefCell::new(None) };
}

/// What an attempt left behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Trace {
    /// Some byte of the request itself (not of a TLS or proxy handshake) was
    /// handed to the socket: the server may have acted on it.
    pub written: bool,
    /// The attempt stopped because its cancel token was cancelled.
    pub cancelled: bool,
}

/// Runs `attempt` with its deadline and cancel token visible to the
/// transport, and reports what happened on the wire.
pub(crate) fn scope<T>(
    deadline: Instant,
    cancel: Option<&CancelToken>,
    pid: u32,
    attempt: impl FnOnce() -> T,
) -> (T, Trace) {
    let call = Call {
        deadline,
        pid,
        cancel: cancel.cloned(),
        written: Cell::new(false),
        cancelled: Cell::new(false),
    };
    let previous = CURRENT.with(|c| c.replace(Some(call)));
    let value = attempt();
    let call = CURRENT.with(|c| c.replace(previous));
    let trace = call.map_or(
        Trace {
            written: false,
            cancelled: false,
        },
        |c| Trace {
            written: c.written.get(),
            cancelled: c.cancelled.get(),
        },
    );
    (value, trace)
}

/// The current attempt's deadline, if one runs on this thread.
pub(crate) fn deadline() -> Option<Instant> {
    CURRENT.with(|c| c.borrow().as_ref().map(|c| c.deadline))
}

/// The id of the process making the current call (read once per call), or
/// of this process when no call runs on this thread.
pub(crate) fn pid() -> u32 {
    CURRENT
        .with(|c| c.borrow().as_ref().map(|c| c.pid))
        .unwrap_or_else(std::process::id)
}

/// Records that request bytes are being handed to the socket.
pub(crate) fn mark_written() {
    CURRENT.with(|c| {
        if let Some(c) = c.borrow().as_ref() {
            c.written.set(true);
        }
    });
}

/// Whether the current attempt's token is cancelled. `thorough` also runs
/// the token's check (e.g. asking Python about Ctrl-C); without it only the
/// flag is read, which is cheap enough for every wait.
pub(crate) fn cancelled(thorough: bool) -> bool {
    CURRENT.with(|c| {
        let c = c.borrow();
        let Some(c) = c.as_ref() else {
            return false;
        };
        let Some(token) = &c.cancel else {
            return false;
        };
        let yes = if thorough {
            token.is_cancelled()
        } else {
            token.is_flagged()
        };
        if yes {
            c.cancelled.set(true);
        }
        yes
    })
}
