//! HTTP/1.1 framing: reading requests (with `httparse`) and writing responses.

use std::borrow::Cow;
use std::io::{self, BufRead, Write};

/// Largest request head (request line plus headers) accepted, in bytes.
const MAX_HEAD: usize = 64 * 1024;
/// Most headers accepted in one request.
const MAX_HEADERS: usize = 100;
/// Bytes written per write call when streaming a repeated body.
const STREAM_CHUNK: usize = 64 * 1024;

/// A request head, owned.
#[derive(Debug)]
pub(crate) struct Request {
    /// The method, as sent.
    pub method: String,
    /// The raw request target, as sent.
    pub target: String,
    /// Whether the request is HTTP/1.0.
    pub http10: bool,
    /// Header names (lower-cased) and values, in order.
    pub headers: Vec<(String, String)>,
    /// Declared body length (0 when absent).
    pub content_length: u64,
    /// Whether a `Transfer-Encoding` header was sent.
    pub transfer_encoding: bool,
    /// Whether the client wants the connection kept open after the answer.
    pub keep_alive: bool,
    /// Whether the client waits for `100 Continue` before sending its body.
    pub expect_continue: bool,
}

impl Request {
    /// The value of the first header with this lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Why no request could be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The client closed the connection between requests.
    Closed,
    /// The connection failed or closed mid-request.
    Io,
    /// The request is malformed: answer with this status and message, then close.
    Bad(u16, String),
}

/// Reads one request head from `reader`, leaving any body (and pipelined requests) unread.
pub(crate) fn read_request<R: BufRead>(
    reader: &mut R,
    head: &mut Vec<u8>,
) -> Result<Request, ReadError> {
    head.clear();
    loop {
        let chunk_len = {
            let chunk = match reader.fill_buf() {
                Ok(chunk) => chunk,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return Err(ReadError::Io),
            };
            if chunk.is_empty() {
                return Err(if head.is_empty() {
                    ReadError::Closed
                } else {
                    ReadError::Io
                });
            }
            head.extend_from_slice(chunk);
            chunk.len()
        };
        let before = head.len() - chunk_len;
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut parsed = httparse::Request::new(&mut headers);
        match parsed.parse(head) {
            Ok(httparse::Status::Complete(len)) if len > MAX_HEAD => {
                return Err(ReadError::Bad(431, "request head too large".to_owned()));
            }
            Ok(httparse::Status::Complete(len)) => {
                reader.consume(len - before);
                return build(&parsed);
            }
            Ok(httparse::Status::Partial) => {
                reader.consume(chunk_len);
                if head.len() > MAX_HEAD {
                    return Err(ReadError::Bad(431, "request head too large".to_owned()));
                }
            }
            Err(httparse::Error::TooManyHeaders) => {
                return Err(ReadError::Bad(431, "too many request headers".to_owned()));
            }
            Err(e) => return Err(ReadError::Bad(400, format!("malformed request: {e}"))),
        }
    }
}

/// Turns a parsed head into an owned [`Request`], checking its body framing.
fn build(parsed: &httparse::Request<'_, '_>) -> Result<Request, ReadError> {
    let method = parsed.method.unwrap_or_default().to_owned();
    let target = parsed.path.unwrap_or_default().to_owned();
    let http10 = parsed.version == Some(0);
    let mut headers = Vec::with_capacity(parsed.headers.len());
    let mut content_length: Option<u64> = None;
    let mut transfer_encoding = false;
    let mut close = false;
    let mut keep_alive_token = false;
    let mut expect_continue = false;
    for h in parsed.headers.iter() {
        let name = h.name.to_ascii_lowercase();
        let value = String::from_utf8_lossy(h.value).into_owned();
        match name.as_str() {
            "content-length" => {
                let v = value.trim();
                let n = if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
                    v.parse::<u64>().ok()
                } else {
                    None
                };
                match (n, content_length) {
                    (None, _) => {
                        return Err(ReadError::Bad(400, "invalid Content-Length".to_owned()));
                    }
                    (Some(n), Some(prev)) if n != prev => {
                        return Err(ReadError::Bad(400, "conflicting Content-Length".to_owned()));
                    }
                    (Some(n), _) => content_length = Some(n),
                }
            }
            "transfer-encoding" => transfer_encoding = true,
            "connection" => {
                for token in value.split(',') {
                    let token = token.trim();
                    close |= token.eq_ignore_ascii_case("close");
                    keep_alive_token |= token.eq_ignore_ascii_case("keep-alive");
                }
            }
            "expect" => expect_continue = value.trim().eq_ignore_ascii_case("100-continue"),
            _ => {}
        }
        headers.push((name, value));
    }
    let keep_alive = !close && (!http10 || keep_alive_token);
    Ok(Request {
        method,
        target,
        http10,
        headers,
        content_length: content_length.unwrap_or(0),
        transfer_encoding,
        keep_alive,
        expect_continue,
    })
}

/// Reads and throws away `len` body bytes; fails if the connection ends first.
pub(crate) fn discard_body<R: BufRead>(reader: &mut R, len: u64) -> io::Result<()> {
    let mut left = len;
    while left > 0 {
        let available = match reader.fill_buf() {
            Ok(buf) => buf.len(),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let take = usize::try_from(left).map_or(available, |l| l.min(available));
        reader.consume(take);
        left -= take as u64;
    }
    Ok(())
}

/// The path part of a request target: absolute-form reduced to its path, query and fragment cut.
pub(crate) fn path_of(target: &str) -> &str {
    let mut path = target;
    if !path.starts_with('/')
        && let Some(i) = path.find("://")
    {
        let scheme = &path[..i];
        if !scheme.is_empty()
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        {
            let rest = &path[i + 3..];
            path = rest.find(['/', '?', '#']).map_or("/", |j| &rest[j..]);
            if !path.starts_with('/') {
                path = "/";
            }
        }
    }
    path.find(['?', '#']).map_or(path, |j| &path[..j])
}

/// The query of a request target (after `?`, before any `#`), if it has one.
pub(crate) fn query_of(target: &str) -> Option<&str> {
    let before_fragment = target.split('#').next().unwrap_or(target);
    before_fragment.split_once('?').map(|(_, q)| q)
}

/// A response body.
#[derive(Debug)]
pub(crate) enum Body {
    /// These bytes.
    Bytes(Cow<'static, [u8]>),
    /// `pattern` repeated and cut to exactly `size` bytes (`x` when the pattern is empty).
    Repeat {
        /// The bytes repeated.
        pattern: Vec<u8>,
        /// The total length.
        size: u64,
    },
}

impl Body {
    /// The body's length in bytes.
    fn len(&self) -> u64 {
        match self {
            Body::Bytes(b) => b.len() as u64,
            Body::Repeat { size, .. } => *size,
        }
    }
}

/// A response to send.
#[derive(Debug)]
pub(crate) struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Headers sent as given, after the status line.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Body,
    /// Whether to close the connection after this response.
    pub close: bool,
}

/// The content type of JSON bodies.
pub(crate) const JSON: &str = "application/json; charset=utf-8";

impl Reply {
    /// A response with a fixed body and no extra headers.
    pub fn new(status: u16, body: impl Into<Cow<'static, [u8]>>) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: Body::Bytes(body.into()),
            close: false,
        }
    }

    /// An EngageLab-style error: `{"error":{"code":..,"message":..}}`.
    pub fn error(status: u16, code: u32, message: &str) -> Self {
        let body = serde_json::json!({"error": {"code": code, "message": message}});
        Reply::new(status, body.to_string().into_bytes())
    }

    /// This response, then close the connection.
    pub fn closing(mut self) -> Self {
        self.close = true;
        self
    }
}

/// How the request being answered frames the response.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Framing {
    /// The request was HEAD: send no body.
    pub head: bool,
    /// The request was HTTP/1.0.
    pub http10: bool,
    /// The connection stays open after this response.
    pub keep_alive: bool,
}

/// Writes `reply` to `out` (buffered by the caller) and flushes it.
///
/// Adds `Content-Type` (JSON) when the reply has a body and names none, `Content-Length`
/// unless the reply names a length or transfer coding, and `Connection` as needed.
pub(crate) fn write_reply<W: Write>(
    out: &mut W,
    reply: &Reply,
    framing: Framing,
) -> io::Result<()> {
    let named = |name: &str| {
        reply
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    write!(
        out,
        "HTTP/1.1 {} {}\r\n",
        reply.status,
        reason(reply.status)
    )?;
    for (name, value) in &reply.headers {
        write!(out, "{name}: {value}\r\n")?;
    }
    let len = reply.body.len();
    if len > 0 && !named("content-type") {
        write!(out, "Content-Type: {JSON}\r\n")?;
    }
    if !named("content-length") && !named("transfer-encoding") {
        write!(out, "Content-Length: {len}\r\n")?;
    }
    if !named("connection") {
        if !framing.keep_alive {
            out.write_all(b"Connection: close\r\n")?;
        } else if framing.http10 {
            out.write_all(b"Connection: keep-alive\r\n")?;
        }
    }
    out.write_all(b"\r\n")?;
    if !framing.head {
        match &reply.body {
            Body::Bytes(bytes) => out.write_all(bytes)?,
            Body::Repeat { pattern, size } => write_repeated(out, pattern, *size)?,
        }
    }
    out.flush()
}

/// Writes `pattern` repeated and cut to `size` bytes, a chunk at a time.
fn write_repeated<W: Write>(out: &mut W, pattern: &[u8], size: u64) -> io::Result<()> {
    let pattern: &[u8] = if pattern.is_empty() { b"x" } else { pattern };
    let copies = (STREAM_CHUNK / pattern.len()).max(1);
    let chunk = pattern.repeat(copies);
    let mut left = size;
    while left > 0 {
        let n = usize::try_from(left).map_or(chunk.len(), |l| l.min(chunk.len()));
        out.write_all(&chunk[..n])?;
        left -= n as u64;
    }
    Ok(())
}

/// The reason phrase for a status.
fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        413 => "Content Too Large",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_of_handles_forms() {
        assert_eq!(path_of("/v4/devices/x"), "/v4/devices/x");
        assert_eq!(path_of("/v4/devices/x?a=1"), "/v4/devices/x");
        assert_eq!(path_of("http://h:1/v4/devices/x"), "/v4/devices/x");
        assert_eq!(path_of("HTTPS://h/v4/devices/x#f"), "/v4/devices/x");
        assert_eq!(path_of("http://h"), "/");
        assert_eq!(path_of("http://h?q"), "/");
        assert_eq!(path_of("*"), "*");
        assert_eq!(path_of("h:443"), "h:443");
        assert_eq!(
            query_of("/v4/aliases/a?platform=ios#f"),
            Some("platform=ios")
        );
        assert_eq!(query_of("/v4/aliases/a#f?x"), None);
        assert_eq!(query_of("/v4/aliases/a"), None);
    }

    #[test]
    fn repeated_body_is_exact() {
        let mut out = Vec::new();
        write_repeated(&mut out, b"abc", 7).unwrap();
        assert_eq!(out, b"abcabca");
        let mut out = Vec::new();
        write_repeated(&mut out, b"", 3).unwrap();
        assert_eq!(out, b"xxx");
        let mut out = Vec::new();
        write_repeated(&mut out, b"0123456789", 200_003).unwrap();
        assert_eq!(out.len(), 200_003);
        assert!(out.chunks(10).all(|c| b"0123456789".starts_with(c)));
    }

    #[test]
    fn pipelined_requests_stay_in_the_reader() {
        let raw =
            b"GET /a HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhiGET /b HTTP/1.0\r\n\r\n";
        let mut reader = io::BufReader::with_capacity(8, &raw[..]);
        let mut head = Vec::new();
        let first = read_request(&mut reader, &mut head).unwrap();
        assert_eq!(first.target, "/a");
        assert_eq!(first.content_length, 2);
        discard_body(&mut reader, 2).unwrap();
        let second = read_request(&mut reader, &mut head).unwrap();
        assert_eq!(second.target, "/b");
        assert!(second.http10 && !second.keep_alive);
        assert!(matches!(
            read_request(&mut reader, &mut head),
            Err(ReadError::Closed)
        ));
    }
}
