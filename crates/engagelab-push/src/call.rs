//! What the transport needs to know about the call running on this thread:
//! its deadline, its cancel token, the calling process, and whether its
//! request was written.
//!
//! ureq runs every request on the calling thread, so a thread-local scope set
//! around one attempt reaches the socket waits below it without threading
//! values through ureq.
//!
//! A call may start on a thread while another call of that thread is
//! suspended inside its cancel check (a Python signal handler, a check that
//! calls the client): the scope is a stack, each attempt keeps its own
//! record, and no borrow of the thread-local is held while user code runs.

use std::cell::Cell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Instant;

use crate::cancel::CancelToken;

/// One attempt's context.
struct Call {
    deadline: Instant,
    pid: u32,
    cancel: Option<CancelToken>,
    written: Cell<bool>,
    cancelled: Cell<bool>,
    peer: Cell<Option<SocketAddr>>,
    tls_version: Cell<Option<u16>>,
}

thread_local! {
    static CURRENT: Cell<Option<Rc<Call>>> = const { Cell::new(None) };
}

/// The attempt running on this thread, if any (the innermost one).
fn current() -> Option<Rc<Call>> {
    CURRENT.with(|c| {
        let call = c.take();
        c.set(call.clone());
        call
    })
}

/// Puts back the attempt a scope replaced, also when the attempt unwinds.
struct Restore(Option<Rc<Call>>);

impl Drop for Restore {
    fn drop(&mut self) {
        let previous = self.0.take();
        CURRENT.with(|c| c.set(previous));
    }
}

/// What an attempt left behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Trace {
    /// Some byte of the request itself (not of a TLS or proxy handshake) was
    /// handed to the socket: the server may have acted on it.
    pub written: bool,
    /// The attempt stopped because its cancel token was cancelled.
    pub cancelled: bool,
    /// The address of the socket the request went to (the proxy's, through
    /// a proxy), when a connection was used.
    pub peer: Option<SocketAddr>,
    /// The TLS protocol version the server chose (`0x0303` is TLS 1.2,
    /// `0x0304` TLS 1.3), when the connection is TLS.
    pub tls_version: Option<u16>,
}

/// Runs `attempt` with its deadline and cancel token visible to the
/// transport, and reports what happened on the wire.
pub(crate) fn scope<T>(
    deadline: Instant,
    cancel: Option<&CancelToken>,
    pid: u32,
    attempt: impl FnOnce() -> T,
) -> (T, Trace) {
    let call = Rc::new(Call {
        deadline,
        pid,
        cancel: cancel.cloned(),
        written: Cell::new(false),
        cancelled: Cell::new(false),
        peer: Cell::new(None),
        tls_version: Cell::new(None),
    });
    let restore = Restore(CURRENT.with(|c| c.replace(Some(call.clone()))));
    let value = attempt();
    drop(restore);
    let trace = Trace {
        written: call.written.get(),
        cancelled: call.cancelled.get(),
        peer: call.peer.get(),
        tls_version: call.tls_version.get(),
    };
    (value, trace)
}

/// The current attempt's deadline, if one runs on this thread.
pub(crate) fn deadline() -> Option<Instant> {
    current().map(|c| c.deadline)
}

/// The id of the process making the current call (read once per call), or
/// of this process when no call runs on this thread.
pub(crate) fn pid() -> u32 {
    current().map_or_else(std::process::id, |c| c.pid)
}

/// Records that request bytes are being handed to the socket.
pub(crate) fn mark_written() {
    if let Some(c) = current() {
        c.written.set(true);
    }
}

/// Records the address of the socket the current attempt's bytes go to.
pub(crate) fn note_peer(peer: SocketAddr) {
    if let Some(c) = current() {
        c.peer.set(Some(peer));
    }
}

/// Records the TLS version of the connection the current attempt uses.
pub(crate) fn note_tls_version(version: u16) {
    if let Some(c) = current() {
        c.tls_version.set(Some(version));
    }
}

/// Whether the current attempt's token is cancelled. `thorough` also runs
/// the token's check (e.g. asking Python about Ctrl-C); without it only the
/// flag is read, which is cheap enough for every wait.
pub(crate) fn cancelled(thorough: bool) -> bool {
    let Some(call) = current() else {
        return false;
    };
    let Some(token) = &call.cancel else {
        return false;
    };
    // The check may run any code, a call on this thread included.
    let yes = if thorough {
        token.is_cancelled()
    } else {
        token.is_flagged()
    };
    if yes {
        call.cancelled.set(true);
    }
    yes
}
