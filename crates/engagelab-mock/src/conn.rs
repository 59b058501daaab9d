//! One accepted connection: read requests, answer them, keep the connection alive.

use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use rustls::{ServerConnection, StreamOwned};

use crate::config::Tunnel;
use crate::control;
use crate::device::{self, Outcome};
use crate::http::{self, Framing, ReadError, Reply, Request};
use crate::log::LoggedRequest;
use crate::state::State;

/// Read buffer per connection.
const READ_BUFFER: usize = 16 * 1024;
/// Write buffer per response.
const WRITE_BUFFER: usize = 16 * 1024;
/// Largest control-API request body accepted.
const MAX_CONTROL_BODY: u64 = 16 * 1024 * 1024;
/// What the `garbage` action writes.
const GARBAGE: &[u8] = b"THIS IS NOT HTTP\r\n\r\n";

/// A byte stream a connection is served over: plain TCP or TLS.
pub(crate) trait Transport: Read + Write {
    /// Closes after a final answer so the client reads it all, even with request bytes unread.
    fn finish(&mut self);
    /// The TCP socket underneath.
    fn socket(&self) -> &TcpStream;
}

impl Transport for TcpStream {
    fn finish(&mut self) {
        let _ = self.shutdown(Shutdown::Write);
        // Reading what the client still sends avoids a reset that could destroy the answer.
        let _ = self.set_read_timeout(Some(Duration::from_millis(500)));
        let mut scratch = [0u8; 4096];
        let mut drained = 0usize;
        while drained < 1 << 20 {
            match self.read(&mut scratch) {
                Ok(0) | Err(_) => break,
                Ok(n) => drained += n,
            }
        }
    }

    fn socket(&self) -> &TcpStream {
        self
    }
}

impl Transport for StreamOwned<ServerConnection, TcpStream> {
    fn finish(&mut self) {
        self.conn.send_close_notify();
        let _ = self.flush();
        self.sock.finish();
    }

    fn socket(&self) -> &TcpStream {
        &self.sock
    }
}

/// What happens to the connection after a request.
enum Next {
    /// Wait for the next request.
    KeepGoing,
    /// Close gracefully.
    Close,
    /// Close at once (the client is gone, or a script says so).
    Abort,
}

/// Serves requests on one connection until it closes.
pub(crate) fn serve<T: Transport>(state: &State, transport: T, connection: u64) {
    let mut reader = BufReader::with_capacity(READ_BUFFER, transport);
    let mut head = Vec::with_capacity(1024);
    loop {
        if let Some(idle) = state.idle_timeout()
            && idle_expired(&mut reader, idle)
        {
            reader.get_mut().finish();
            return;
        }
        let next = match http::read_request(&mut reader, &mut head) {
            Ok(request) => handle(state, &mut reader, request, connection),
            Err(ReadError::Closed | ReadError::Io) => Next::Abort,
            Err(ReadError::Bad(status, message)) => {
                let reply = Reply::error(status, u32::from(status), &message).closing();
                send(&mut reader, &reply, Framing::closing())
            }
        };
        match next {
            Next::KeepGoing => {}
            Next::Close => {
                reader.get_mut().finish();
                return;
            }
            Next::Abort => return,
        }
    }
}

/// Waits up to `idle` for the next request to start; whether the wait ran out
/// with nothing received (then the connection is closed, as a real server's
/// keep-alive timeout does).
fn idle_expired<T: Transport>(reader: &mut BufReader<T>, idle: Duration) -> bool {
    if !reader.buffer().is_empty() {
        return false;
    }
    let _ = reader.get_ref().socket().set_read_timeout(Some(idle));
    let expired = matches!(
        reader.fill_buf(),
        Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut)
    );
    let _ = reader.get_ref().socket().set_read_timeout(None);
    expired
}

impl Framing {
    /// Framing for an answer after which the connection closes.
    fn closing() -> Self {
        Framing {
            head: false,
            http10: false,
            keep_alive: false,
        }
    }
}

/// Reads the body of `request`, answers it, and says what becomes of the connection.
fn handle<T: Transport>(
    state: &State,
    reader: &mut BufReader<T>,
    request: Request,
    connection: u64,
) -> Next {
    let control = http::path_of(&request.target).starts_with(control::PREFIX);
    let framing = Framing {
        head: request.method == "HEAD",
        http10: request.http10,
        keep_alive: request.keep_alive,
    };
    if request.transfer_encoding {
        if !control {
            state.record(logged(&request, request.headers.clone(), 0, connection));
        }
        let reply = Reply::error(
            400,
            400,
            "Transfer-Encoding is not supported; send a Content-Length",
        )
        .closing();
        return send(reader, &reply, framing);
    }
    if request.expect_continue && request.content_length > 0 {
        let sock = reader.get_mut();
        if sock
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .and_then(|()| sock.flush())
            .is_err()
        {
            return Next::Abort;
        }
    }
    if request.method == "CONNECT" && !control {
        return tunnel(state, reader, request, connection);
    }
    if control {
        if request.content_length > MAX_CONTROL_BODY {
            let reply = Reply::error(413, 413, "control request body too large").closing();
            return send(reader, &reply, framing);
        }
        let mut body = Vec::new();
        let read = reader
            .by_ref()
            .take(request.content_length)
            .read_to_end(&mut body);
        if read.is_err() || body.len() as u64 != request.content_length {
            return Next::Abort;
        }
        let path = http::path_of(&request.target);
        let reply = control::answer(state, &request.method, path, &body);
        return send(reader, &reply, framing);
    }
    if http::discard_body(reader, request.content_length).is_err() {
        return Next::Abort;
    }
    let authorized = state.authorized(request.header("authorization"));
    let mut request = request;
    let headers = std::mem::take(&mut request.headers);
    let generation = state.generation();
    state.record(logged(
        &request,
        headers,
        request.content_length,
        connection,
    ));
    let path = http::path_of(&request.target);
    let query = http::query_of(&request.target);
    match device::answer(state, &request.method, path, query, authorized, generation) {
        Outcome::Reply(reply) => send(reader, &reply, framing),
        Outcome::Drop => Next::Abort,
        Outcome::Reset => {
            // A zero linger time makes closing send RST instead of FIN.
            let _ =
                socket2::SockRef::from(reader.get_ref().socket()).set_linger(Some(Duration::ZERO));
            Next::Abort
        }
        Outcome::Garbage => {
            let sock = reader.get_mut();
            match sock.write_all(GARBAGE).and_then(|()| sock.flush()) {
                Ok(()) => Next::Close,
                Err(_) => Next::Abort,
            }
        }
    }
}

/// Acts as an HTTP proxy that tunnels to this very server: logs the `CONNECT`
/// and answers it as the settings say (by default 200, then serves what
/// follows on the connection as plain requests).
fn tunnel<T: Transport>(
    state: &State,
    reader: &mut BufReader<T>,
    mut request: Request,
    connection: u64,
) -> Next {
    let headers = std::mem::take(&mut request.headers);
    state.record(logged(&request, headers, 0, connection));
    let answer = state.settings().connect;
    let sock = reader.get_mut();
    if answer.status != 200 {
        let head = format!(
            "HTTP/1.1 {} Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            answer.status
        );
        let _ = sock.write_all(head.as_bytes()).and_then(|()| sock.flush());
        return Next::Close;
    }
    if sock
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .and_then(|()| sock.flush())
        .is_err()
    {
        return Next::Abort;
    }
    match answer.then {
        Tunnel::Serve => Next::KeepGoing,
        Tunnel::Close => Next::Close,
        Tunnel::Stall => {
            let mut sink = [0u8; 4096];
            while matches!(reader.read(&mut sink), Ok(n) if n > 0) {}
            Next::Close
        }
    }
}

/// The log entry for `request`.
fn logged(
    request: &Request,
    headers: Vec<(String, String)>,
    body_size: u64,
    connection: u64,
) -> LoggedRequest {
    LoggedRequest {
        method: request.method.clone(),
        path: request.target.clone(),
        headers,
        body_size,
        connection,
    }
}

/// Sends `reply` and says whether the connection stays open.
fn send<T: Transport>(reader: &mut BufReader<T>, reply: &Reply, mut framing: Framing) -> Next {
    framing.keep_alive &= !reply.close;
    let mut out = BufWriter::with_capacity(WRITE_BUFFER, reader.get_mut());
    match http::write_reply(&mut out, reply, framing) {
        Ok(()) if framing.keep_alive => Next::KeepGoing,
        Ok(()) => Next::Close,
        Err(_) => Next::Abort,
    }
}
