//! The library's own TCP layer under ureq: non-blocking sockets, waited on
//! with `poll()` against the call's exact deadline and its cancel token, with
//! no timeout `setsockopt` or liveness probe per call, and fork-safe pooling.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Instant;

use rustix::net::{AddressFamily, SocketFlags, SocketType};
use ureq::Timeout;
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, Transport,
};

use crate::call;
use crate::wait::{For, Waited, wait};

/// The error a cancelled wait returns to ureq; recognised by
/// [`is_cancelled`] when the failure is classified.
#[derive(Debug)]
struct Cancelled;

impl fmt::Display for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the call was cancelled")
    }
}

impl std::error::Error for Cancelled {}

/// The error of a wait the call's cancel token stopped.
pub(crate) fn cancelled() -> ureq::Error {
    ureq::Error::Io(io::Error::other(Cancelled))
}

/// Whether an I/O error is a cancelled wait of this module.
pub(crate) fn is_cancelled(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<Cancelled>())
}

/// The earlier of ureq's next timeout and the call's deadline.
pub(crate) fn until(timeout: NextTimeout) -> Option<Instant> {
    let ureq_until = timeout
        .not_zero()
        .and_then(|after| Instant::now().checked_add(*after));
    match (ureq_until, call::deadline()) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Opens plain TCP connections (the first link of every chain but a
/// CONNECT proxy's).
#[derive(Debug, Default)]
pub(crate) struct TcpConnector;

impl<In: Transport> Connector<In> for TcpConnector {
    type Out = Either<In, TcpTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        if let Some(transport) = chained {
            return Ok(Some(Either::A(transport)));
        }
        let until = until(details.timeout);
        let mut last = None;
        let count = details.addrs.len();
        for (i, addr) in details.addrs.iter().enumerate() {
            match connect(*addr, share(until, count - i)) {
                Ok(stream) => {
                    let buffers = LazyBuffers::new(
                        details.config.input_buffer_size(),
                        details.config.output_buffer_size(),
                    );
                    return Ok(Some(Either::B(TcpTransport {
                        stream,
                        peer: *addr,
                        buffers,
                        pid: call::pid(),
                        probed: false,
                    })));
                }
                // This address's share ran out: the next one gets its turn,
                // unless the whole connect time is gone.
                Err(e @ ureq::Error::Timeout(_)) => {
                    if until.is_some_and(|until| Instant::now() >= until) {
                        return Err(e);
                    }
                    last = Some(e);
                }
                // Cancelled: no other address gets a turn.
                Err(ureq::Error::Io(e)) if is_cancelled(&e) => return Err(ureq::Error::Io(e)),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or(ureq::Error::ConnectionFailed))
    }
}

/// The end of one address's connect attempt when `left` addresses (this one
/// included) share the time until `until`: a geometric series as curl's and
/// ureq's own connector (this address half of what it leaves the others,
/// the last one all that is left), so an address that never answers cannot
/// use up the time of the next ones. At least 10 ms each.
fn share(until: Option<Instant>, left: usize) -> Option<Instant> {
    let until = until?;
    let now = Instant::now();
    let rest = until.saturating_duration_since(now);
    if left <= 1 {
        return Some(until);
    }
    let k = i32::try_from(left).unwrap_or(i32::MAX).min(30);
    let part = 2f64.powi(k - 1) / (2f64.powi(k) - 1.0);
    let mine = rest
        .mul_f64(part)
        .max(std::time::Duration::from_millis(10))
        .min(rest);
    Some(now + mine)
}

/// One non-blocking connect, waited on until `until`.
fn connect(addr: SocketAddr, until: Option<Instant>) -> Result<TcpStream, ureq::Error> {
    let family = match addr {
        SocketAddr::V4(_) => AddressFamily::INET,
        SocketAddr::V6(_) => AddressFamily::INET6,
    };
    let fd = rustix::net::socket_with(
        family,
        SocketType::STREAM,
        SocketFlags::NONBLOCK | SocketFlags::CLOEXEC,
        None,
    )
    .map_err(io::Error::from)?;
    match rustix::net::connect(&fd, &addr) {
        Ok(()) => {}
        Err(rustix::io::Errno::INPROGRESS) => {
            match wait(&fd, For::Write, until)? {
                Waited::Ready => {}
                Waited::TimedOut => return Err(ureq::Error::Timeout(Timeout::Connect)),
                Waited::Cancelled => return Err(cancelled()),
            }
            if let Err(errno) = rustix::net::sockopt::socket_error(&fd).map_err(io::Error::from)? {
                return Err(ureq::Error::Io(errno.into()));
            }
        }
        Err(errno) => return Err(ureq::Error::Io(errno.into())),
    }
    let stream = TcpStream::from(fd);
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// A connected, non-blocking TCP stream.
pub(crate) struct TcpTransport {
    stream: TcpStream,
    /// The address it was connected to.
    peer: SocketAddr,
    buffers: LazyBuffers,
    /// The process that opened it: after a `fork()`, the child never uses it.
    pid: u32,
    /// Whether `is_open` was asked since the last read or write.
    probed: bool,
}

impl Transport for TcpTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.probed = false;
        call::note_peer(self.peer);
        let until = until(timeout);
        let mut output = &self.buffers.output()[..amount];
        while !output.is_empty() {
            match (&self.stream).write(output) {
                Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero).into()),
                Ok(n) => output = &output[n..],
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    match wait(&self.stream, For::Write, until)? {
                        Waited::Ready => {}
                        Waited::TimedOut => return Err(ureq::Error::Timeout(timeout.reason)),
                        Waited::Cancelled => return Err(cancelled()),
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.probed = false;
        let until = until(timeout);
        loop {
            match wait(&self.stream, For::Read, until)? {
                Waited::Ready => {}
                Waited::TimedOut => return Err(ureq::Error::Timeout(timeout.reason)),
                Waited::Cancelled => return Err(cancelled()),
            }
            let input = self.buffers.input_append_buf();
            match (&self.stream).read(input) {
                Ok(n) => {
                    self.buffers.input_appended(n);
                    return Ok(n > 0);
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    fn is_open(&mut self) -> bool {
        // ureq asks twice per call: when the connection goes back to the pool
        // right after its answer was read (by the process that read it), and
        // when it is taken out again. Only the second can meet a fork or a
        // close, so only it probes; the first costs no system call.
        //
        // A pooled connection is reused only by the process that opened it,
        // and only while the server has sent nothing (neither a close nor
        // bytes nobody asked for). A forked child has its own agent and pool
        // (client.rs), so this is a second guard, at no system call: the
        // call's process id was read once when the call began. Dropping a
        // connection in a forked child closes the child's descriptor only: no
        // shutdown, no TLS close, so the parent's connection is untouched.
        if !self.probed {
            self.probed = true;
            return true;
        }
        self.pid == call::pid() && !crate::wait::readable_now(&self.stream)
    }
}

impl fmt::Debug for TcpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpTransport")
            .field("peer", &self.stream.peer_addr().ok())
            .finish()
    }
}

/// The outermost link of the chain: marks the call's request as written when
/// ureq hands request bytes to the origin's connection (TLS and proxy
/// handshakes have finished by then), so `maybe_deleted` is exact.
///
/// ureq runs the whole chain a second time for a CONNECT proxy's own
/// connection, with the proxy removed from that run's settings; the transport
/// of that run carries the CONNECT and, once tunnelled, the origin's TLS
/// handshake, so it never marks.
#[derive(Debug, Default)]
pub(crate) struct MarkWritten {
    /// Whether the client goes through a proxy.
    pub proxied: bool,
}

impl<In: Transport> Connector<In> for MarkWritten {
    type Out = Marked<In>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        // The proxy's own connection is the one built without the proxy.
        let marks = !self.proxied || details.config.proxy().is_some();
        Ok(chained.map(|inner| Marked { inner, marks }))
    }
}

/// A transport whose writes mark the call's request as written (when it is
/// the origin's).
#[derive(Debug)]
pub(crate) struct Marked<T> {
    inner: T,
    marks: bool,
}

impl<T: Transport> Transport for Marked<T> {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        if amount > 0 && self.marks {
            call::mark_written();
        }
        self.inner.transmit_output(amount, timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.inner.await_input(timeout)
    }

    fn is_open(&mut self) -> bool {
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}
