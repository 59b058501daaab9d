//! One HTTP attempt over a pooled `ureq` agent, and what its failure means for
//! the retry loop.

use std::io::{self, Read};
use std::time::{Duration, Instant};

use ureq::Agent;
use ureq::http::{HeaderMap, Response};
use ureq::tls::{Certificate, RootCerts, TlsConfig};
use ureq::unversioned::transport::{ConnectProxyConnector, Connector as _, RustlsConnector};

use crate::answer;
use crate::call::{self, Trace};
use crate::cancel::CancelToken;
use crate::error::{Error, ErrorKind};
use crate::quota::{Quota, QuotaSink};
use crate::resolver::CachingResolver;
use crate::retry::{Failure, Retry};
use crate::secret::Scrubber;
use crate::tcp::{self, MarkWritten, TcpConnector};
use crate::tls_version::SniffTls;

// A bigger success body of `delete_device` is dropped unread (the connection
// is closed instead of reused).
pub use crate::settings::{MAX_BODY_BYTES, MAX_LIST_BODY_BYTES};

/// Each connection's read buffer, which holds an answer's status line and
/// headers whole (a bigger header block is an `InvalidResponse`); bodies
/// stream through it. ureq's default is 128 KiB per connection, which a
/// bulk run multiplies by its workers.
const INPUT_BUFFER_BYTES: usize = 16 * 1024;
/// Each connection's write buffer: a request's line and headers (its URL
/// and every header are bounded well under this).
const OUTPUT_BUFFER_BYTES: usize = 8 * 1024;

/// The connection settings an agent is built from; kept by the client to
/// build a forked child's own agent.
#[derive(Clone)]
pub(crate) struct AgentSettings {
    pub connect_timeout: Duration,
    pub user_agent: String,
    pub proxy: Option<ureq::Proxy>,
    pub extra_roots: Vec<Certificate<'static>>,
}

/// A pooled agent: never follows redirects, never reads proxy settings from
/// the environment, always verifies certificates, hands back every status,
/// resolves names within the call's deadline and cancel token (cached), and
/// does its socket I/O through this crate's own TCP layer (exact deadlines,
/// cancellation, fork safety).
pub(crate) fn agent(settings: &AgentSettings) -> Agent {
    let roots = if settings.extra_roots.is_empty() {
        RootCerts::WebPki
    } else {
        let mut roots: Vec<Certificate<'static>> = webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .map(|der| Certificate::from_der(der.as_ref()).to_owned())
            .collect();
        roots.extend(settings.extra_roots.iter().cloned());
        RootCerts::from(roots)
    };
    let tls = TlsConfig::builder()
        .root_certs(roots)
        .disable_verification(false)
        .build();
    let config = Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(settings.proxy.clone())
        .timeout_connect(Some(settings.connect_timeout))
        .user_agent(&settings.user_agent)
        .accept("application/json")
        .input_buffer_size(INPUT_BUFFER_BYTES)
        .output_buffer_size(OUTPUT_BUFFER_BYTES)
        .max_response_header_size(INPUT_BUFFER_BYTES)
        .max_idle_connections(64)
        .max_idle_connections_per_host(64)
        .tls_config(tls)
        .build();
    let connector =
        ().chain(ConnectProxyConnector::default())
            .chain(TcpConnector)
            .chain(SniffTls)
            .chain(RustlsConnector::default())
            .chain(MarkWritten {
                proxied: settings.proxy.is_some(),
            });
    Agent::with_parts(config, connector, CachingResolver::default())
}

/// One request: its method and URL, sent with the Authorization header
/// through the agent of the process `pid`.
pub(crate) struct Request<'a> {
    pub agent: &'a Agent,
    pub pid: u32,
    pub method: Method,
    pub url: &'a str,
    pub authorization: &'a str,
    pub scrubber: &'a Scrubber,
}

/// The methods this client sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    /// Deletes: a lost answer may hide a deletion (`maybe_deleted`); the
    /// success body is not read.
    Delete,
    /// Reads: it never deletes, so `maybe_deleted` is always false; the
    /// success body is the answer.
    Get,
    /// Reads a list (an alias's devices, any number of them): as
    /// [`Method::Get`], with the success body read up to
    /// [`MAX_LIST_BODY_BYTES`].
    GetList,
}

impl Method {
    /// Whether a request with this method can delete a device.
    fn may_delete(self) -> bool {
        match self {
            Method::Delete => true,
            Method::Get | Method::GetList => false,
        }
    }
}

/// A 2xx answer.
#[derive(Debug)]
pub(crate) struct Success {
    /// Its HTTP status.
    pub status: u16,
    /// Its body, read up to [`MAX_BODY_BYTES`], for a method that reads it
    /// ([`Method::Get`]); empty for [`Method::Delete`], whose body is drained
    /// and dropped.
    pub body: Vec<u8>,
}

/// Sends `request` once, before `deadline` and until `cancel`: success for
/// any 2xx, else the failure, with whether the request was written (which
/// only counts as `maybe_deleted` for a method that may delete).
pub(crate) fn attempt(
    request: &Request<'_>,
    deadline: Instant,
    cancel: Option<&CancelToken>,
    quota: Option<&QuotaSink>,
) -> Result<Success, Failure> {
    let (result, trace) = call::scope(deadline, cancel, request.pid, || {
        let builder = match request.method {
            Method::Delete => request.agent.delete(request.url),
            Method::Get | Method::GetList => request.agent.get(request.url),
        };
        match builder
            .header("Authorization", request.authorization)
            .call()
        {
            Ok(response) => {
                if let Some(q) = quota.and_then(|_| Quota::of_headers(response.headers()))
                    && let Some(sink) = quota
                {
                    (sink.0)(q);
                }
                answer_of(response, request.method, request.scrubber)
            }
            Err(e) => Err(Fault::Transport(e)),
        }
    });
    let may_delete = request.method.may_delete();
    result.map_err(|fault| {
        let mut failure = failure_of_fault(fault, trace, request.scrubber);
        failure.maybe_deleted &= may_delete;
        failure
    })
}

/// One answer to a GET, whatever its status, with what the connection and
/// the headers say about the server (for [`crate::Client::check`]).
#[derive(Debug)]
pub(crate) struct Observed {
    /// The HTTP status.
    pub status: u16,
    /// The `Date` header and every `X-Rate-Limit-*` header, names lower-cased,
    /// values cut to a short excerpt.
    pub headers: Vec<(String, String)>,
    /// The body, read up to [`MAX_BODY_BYTES`]; `None` when it was longer.
    pub body: Option<Vec<u8>>,
    /// The address the request went to (the proxy's, through a proxy).
    pub peer: Option<std::net::SocketAddr>,
    /// The TLS version the server chose, when TLS.
    pub tls_version: Option<u16>,
}

/// Sends one GET of `url` (there is no way to send another method through
/// it) and hands back the answer, any status, with its facts; only a
/// transport failure (no answer) is an error. Never retried.
pub(crate) fn observe_get(
    agent: &Agent,
    pid: u32,
    url: &str,
    authorization: &str,
    scrubber: &Scrubber,
    deadline: Instant,
    cancel: Option<&CancelToken>,
) -> Result<Observed, Failure> {
    let (result, trace) = call::scope(deadline, cancel, pid, || {
        let mut response = agent
            .get(url)
            .header("Authorization", authorization)
            .call()?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .filter(|(name, _)| {
                let name = name.as_str();
                name == "date" || name.starts_with("x-rate-limit-")
            })
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    answer::excerpt_scrubbed(value.as_bytes(), scrubber),
                )
            })
            .collect();
        let body = read_capped(response.body_mut())?;
        Ok((status, headers, body))
    });
    match result {
        Ok((status, headers, body)) => Ok(Observed {
            status,
            headers,
            body,
            peer: trace.peer,
            tls_version: trace.tls_version,
        }),
        Err(e) => {
            let mut failure = failure_of(e, trace, scrubber);
            failure.maybe_deleted = false;
            Err(failure)
        }
    }
}

/// The failure a fault stands for.
fn failure_of_fault(fault: Fault, trace: Trace, scrubber: &Scrubber) -> Failure {
    match fault {
        Fault::Answer(failure) => failure,
        Fault::Transport(e) => failure_of(e, trace, scrubber),
        Fault::Body(status, e) => {
            // The server answered this status; only reading its body failed.
            let mut failure = failure_of(e, trace, scrubber);
            failure.error = failure.error.with_http(status, None);
            failure.maybe_deleted = maybe_deleted_by_status(status);
            failure
        }
    }
}

/// What went wrong inside one attempt, before it is classified.
enum Fault {
    /// An answer that is a failure.
    Answer(Failure),
    /// No usable answer.
    Transport(ureq::Error),
    /// An answer with this status whose body could not be read.
    Body(u16, ureq::Error),
}

/// Whether an answer of this status may hide a deletion: a gateway's 502 or
/// 504 may have forwarded the request and lost the answer.
fn maybe_deleted_by_status(status: u16) -> bool {
    matches!(status, 502 | 504)
}

/// Success for any 2xx (with its body when `method` reads it); otherwise the
/// failure the answer stands for.
fn answer_of(
    mut response: Response<ureq::Body>,
    method: Method,
    scrubber: &Scrubber,
) -> Result<Success, Fault> {
    let status = response.status().as_u16();
    if (200..300).contains(&status) {
        return match method {
            Method::Delete => {
                // Read what the cap allows so the connection can go back to
                // the pool; whatever the body says, 2xx is success.
                let _ = read_capped(response.body_mut());
                Ok(Success {
                    status,
                    body: Vec::new(),
                })
            }
            Method::Get => match read_capped(response.body_mut()) {
                Ok(Some(body)) => Ok(Success { status, body }),
                Ok(None) => Err(Fault::Answer(unusable(
                    status,
                    format!("HTTP {status} with a body over the {MAX_BODY_BYTES}-byte cap"),
                ))),
                Err(e) => Err(Fault::Body(status, e)),
            },
            Method::GetList => match read_capped_to(response.body_mut(), MAX_LIST_BODY_BYTES) {
                Ok(Some(body)) => Ok(Success { status, body }),
                Ok(None) => Err(Fault::Answer(unusable(
                    status,
                    format!(
                        "HTTP {status} with a list over the {MAX_LIST_BODY_BYTES}-byte cap \
                         (more devices than this library reads in one answer)"
                    ),
                ))),
                // The answer came but was cut short: a lost answer, retried
                // by its category (reading is safe to repeat).
                Err(e) => Err(Fault::Body(status, e)),
            },
        };
    }
    if (300..400).contains(&status) {
        let location = response
            .headers()
            .get("location")
            .map(|v| answer::excerpt_scrubbed(v.as_bytes(), scrubber))
            .unwrap_or_default();
        return Err(Fault::Answer(unusable(
            status,
            format!(
                "redirect to {location:?} not followed (it would carry the credentials elsewhere)"
            ),
        )));
    }
    let retry_after = header_text(response.headers(), "retry-after");
    let reset = header_text(response.headers(), "x-rate-limit-reset");
    let body = match read_capped(response.body_mut()) {
        Ok(Some(body)) => body,
        Ok(None) => {
            // Unusable, but still the status it is: a gateway's 502 or 504
            // (whose page may be any size) may have forwarded the request.
            let mut failure = unusable(
                status,
                format!("HTTP {status} with an error body over the {MAX_BODY_BYTES}-byte cap"),
            );
            failure.maybe_deleted = maybe_deleted_by_status(status);
            return Err(Fault::Answer(failure));
        }
        Err(e) => return Err(Fault::Body(status, e)),
    };
    let (api_code, message) = answer::decode_error_body_scrubbed(status, &body, scrubber);
    let kind = ErrorKind::of_answer(status, api_code);
    // X-Rate-Limit-Reset comes with every answer (the quota window's end):
    // a hint only when the answer is the rate limit's. Retry-After is one
    // whatever the status (a 503's, say).
    let rate_limited = kind == ErrorKind::RateLimited;
    let hint = answer::retry_hint(
        retry_after.as_deref(),
        reset.as_deref().filter(|_| rate_limited),
    );
    let retry_after = if rate_limited { hint } else { None };
    let error = Error::new(kind, message)
        .with_http(status, api_code)
        .with_retry_after(retry_after);
    let mut failure = Failure::answered(error, hint);
    failure.maybe_deleted = maybe_deleted_by_status(status);
    Err(Fault::Answer(failure))
}

/// An answer whose status is unusable (a redirect, an oversized body): the
/// server said it did not act, and asking again would get the same.
fn unusable(status: u16, message: String) -> Failure {
    Failure::answered(
        Error::new(ErrorKind::InvalidResponse, message).with_http(status, None),
        None,
    )
}

/// A header's value, when it is text.
fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The body, or `None` when it is longer than [`MAX_BODY_BYTES`].
fn read_capped(body: &mut ureq::Body) -> Result<Option<Vec<u8>>, ureq::Error> {
    read_capped_to(body, MAX_BODY_BYTES)
}

/// The body, or `None` when it is longer than `cap`.
fn read_capped_to(body: &mut ureq::Body, cap: u64) -> Result<Option<Vec<u8>>, ureq::Error> {
    if body.content_length().is_some_and(|len| len > cap) {
        return Ok(None);
    }
    let mut buf = Vec::new();
    body.as_reader()
        .take(cap + 1)
        .read_to_end(&mut buf)
        .map_err(ureq::Error::Io)?;
    if buf.len() as u64 > cap {
        return Ok(None);
    }
    Ok(Some(buf))
}

/// What a transport error means: its category and message, whether the
/// request may have been acted on (it was written: `trace`), and whether the
/// category's retry rule applies.
fn failure_of(error: ureq::Error, trace: Trace, scrubber: &Scrubber) -> Failure {
    let (kind, message, retry) = classify(error, trace, scrubber);
    let kind = if trace.cancelled {
        ErrorKind::Cancelled
    } else {
        kind
    };
    let failure = if trace.written {
        Failure::after_sending(kind, message)
    } else {
        Failure::before_sending(kind, message)
    };
    match retry {
        Retry::ByCategory => failure,
        Retry::Never => failure.never_retried(),
    }
}

/// The category, message and retry rule of a transport error.
fn classify(error: ureq::Error, trace: Trace, scrubber: &Scrubber) -> (ErrorKind, String, Retry) {
    use ErrorKind::{InvalidResponse, Network, Timeout};
    use Retry::{ByCategory, Never};
    let text =
        |e: &dyn std::fmt::Display| answer::excerpt_scrubbed(e.to_string().as_bytes(), scrubber);
    match error {
        ureq::Error::Timeout(stage) => {
            let what = match stage {
                _ if trace.written => "the deadline passed before an answer came",
                ureq::Timeout::Resolve => "resolving the host timed out",
                ureq::Timeout::Connect => "connecting timed out",
                _ => "the deadline passed before the request could be sent",
            };
            (Timeout, what.into(), ByCategory)
        }
        ureq::Error::HostNotFound => (
            Network,
            "the host name could not be resolved".into(),
            ByCategory,
        ),
        ureq::Error::ConnectionFailed => (
            Network,
            "the connection could not be made".into(),
            ByCategory,
        ),
        ureq::Error::ConnectProxyFailed(why) => (
            Network,
            format!(
                "the proxy refused the tunnel: {}",
                answer::excerpt_scrubbed(why.as_bytes(), scrubber)
            ),
            Never,
        ),
        ureq::Error::Io(e) => match e.get_ref().is_some_and(|inner| inner.is::<ureq::Error>()) {
            // A body reader hands ureq's own error back inside an io::Error:
            // classify the same fault the same way wherever it happens.
            true => match e.into_inner().map(|inner| inner.downcast::<ureq::Error>()) {
                Some(Ok(inner)) => classify(*inner, trace, scrubber),
                _ => (Network, "the connection failed".into(), ByCategory),
            },
            false => io_classify(&e, scrubber),
        },
        ureq::Error::Tls(why) => (Network, format!("TLS failed: {why}"), Never),
        ureq::Error::Rustls(e) => (Network, format!("TLS failed: {}", text(&e)), Never),
        ureq::Error::Protocol(e) => (
            InvalidResponse,
            format!("the answer is not usable HTTP ({})", text(&e)),
            Never,
        ),
        ureq::Error::LargeResponseHeader(..) => (
            InvalidResponse,
            "the answer's headers are too large".into(),
            Never,
        ),
        ureq::Error::BodyStalled => (Timeout, "the answer stalled".into(), ByCategory),
        other => (Network, text(&other), Never),
    }
}

fn io_classify(e: &io::Error, scrubber: &Scrubber) -> (ErrorKind, String, Retry) {
    use ErrorKind::{Cancelled, Network, Timeout};
    use Retry::{ByCategory, Never};
    use io::ErrorKind as K;
    if tcp::is_cancelled(e) {
        return (Cancelled, "stopped mid-request".into(), Never);
    }
    if let Some(tls) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        // A certificate or handshake failure: trying again would meet the
        // same certificate.
        let why = answer::excerpt_scrubbed(tls.to_string().as_bytes(), scrubber);
        return (Network, format!("TLS failed: {why}"), Never);
    }
    let message = match e.kind() {
        K::ConnectionRefused => "the connection was refused".to_owned(),
        K::AddrNotAvailable | K::NetworkUnreachable | K::HostUnreachable | K::NetworkDown => {
            format!("the host is unreachable ({e})")
        }
        K::TimedOut | K::WouldBlock => {
            return (
                Timeout,
                "the answer did not come in time".into(),
                ByCategory,
            );
        }
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => {
            "the connection was closed before an answer came".to_owned()
        }
        _ => format!(
            "the connection failed ({})",
            answer::excerpt_scrubbed(e.to_string().as_bytes(), scrubber)
        ),
    };
    (Network, message, ByCategory)
}
