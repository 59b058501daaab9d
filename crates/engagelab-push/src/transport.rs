//! One HTTP attempt over a pooled `ureq` agent, and what its failure means for
//! the retry loop.

use std::io::{self, Read};
use std::time::Duration;

use ureq::Agent;
use ureq::http::{HeaderMap, Response};
use ureq::tls::{Certificate, RootCerts, TlsConfig};
use ureq::unversioned::transport::DefaultConnector;

use crate::answer;
use crate::error::{Error, ErrorKind};
use crate::resolver::CachingResolver;
use crate::retry::Failure;

/// The most bytes read from any response body. A bigger error body is an
/// `InvalidResponse`; a bigger success body is dropped unread (the connection
/// is closed instead of reused).
pub const MAX_BODY_BYTES: u64 = 64 * 1024;

/// The connection settings an agent is built from.
pub(crate) struct AgentSettings<'a> {
    pub connect_timeout: Duration,
    pub user_agent: &'a str,
    pub proxy: Option<ureq::Proxy>,
    pub extra_roots: Vec<Certificate<'static>>,
}

/// A pooled agent: never follows redirects, never reads proxy settings from
/// the environment, always verifies certificates, hands back every status,
/// and resolves names without a thread per call.
pub(crate) fn agent(settings: AgentSettings<'_>) -> Agent {
    let roots = if settings.extra_roots.is_empty() {
        RootCerts::WebPki
    } else {
        let mut roots: Vec<Certificate<'static>> = webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .map(|der| Certificate::from_der(der.as_ref()).to_owned())
            .collect();
        roots.extend(settings.extra_roots);
        RootCerts::from(roots)
    };
    let tls = TlsConfig::builder()
        .root_certs(roots)
        .disable_verification(false)
        .build();
    let config = Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(settings.proxy)
        .timeout_connect(Some(settings.connect_timeout))
        .user_agent(settings.user_agent)
        .accept("application/json")
        .max_idle_connections(64)
        .max_idle_connections_per_host(64)
        .tls_config(tls)
        .build();
    Agent::with_parts(config, DefaultConnector::new(), CachingResolver::default())
}

/// Sends one `DELETE url` with the Authorization header, within `budget`.
pub(crate) fn delete(
    agent: &Agent,
    url: &str,
    authorization: &str,
    budget: Duration,
) -> Result<(), Failure> {
    let result = agent
        .delete(url)
        .header("Authorization", authorization)
        .config()
        .timeout_global(Some(budget))
        .build()
        .call();
    match result {
        Ok(response) => answer_of(response),
        Err(e) => Err(failure_of(e)),
    }
}

/// Success for any 2xx; otherwise the failure the answer stands for.
fn answer_of(mut response: Response<ureq::Body>) -> Result<(), Failure> {
    let status = response.status().as_u16();
    if (200..300).contains(&status) {
        // Read what the cap allows so the connection can go back to the pool;
        // whatever the body says, 2xx is success.
        let _ = read_capped(response.body_mut());
        return Ok(());
    }
    if (300..400).contains(&status) {
        let location = response
            .headers()
            .get("location")
            .map(|v| answer::excerpt(v.as_bytes()))
            .unwrap_or_default();
        return Err(unusable(
            status,
            format!(
                "redirect to {location:?} not followed (it would carry the credentials elsewhere)"
            ),
        ));
    }
    let hint = hint_of(response.headers());
    let body = match read_capped(response.body_mut()) {
        Ok(Some(body)) => body,
        Ok(None) => {
            return Err(unusable(
                status,
                format!("HTTP {status} with an error body over the {MAX_BODY_BYTES}-byte cap"),
            ));
        }
        Err(e) => {
            let mut failure = failure_of(e);
            failure.error = failure.error.with_http(status, None);
            return Err(failure);
        }
    };
    let (api_code, message) = answer::decode_error_body(status, &body);
    let kind = ErrorKind::of_answer(status, api_code);
    let retry_after = if kind == ErrorKind::RateLimited {
        hint
    } else {
        None
    };
    let error = Error::new(kind, message)
        .with_http(status, api_code)
        .with_retry_after(retry_after);
    Err(Failure::answered(error, hint))
}

/// An answer whose status is unusable (a redirect, an oversized body): the
/// server said it did not act, and asking again would get the same.
fn unusable(status: u16, message: String) -> Failure {
    Failure::answered(
        Error::new(ErrorKind::InvalidResponse, message).with_http(status, None),
        None,
    )
}

fn hint_of(headers: &HeaderMap) -> Option<Duration> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    answer::retry_hint(text("retry-after"), text("x-rate-limit-reset"))
}

/// The body, or `None` when it is longer than [`MAX_BODY_BYTES`].
fn read_capped(body: &mut ureq::Body) -> Result<Option<Vec<u8>>, ureq::Error> {
    if body
        .content_length()
        .is_some_and(|len| len > MAX_BODY_BYTES)
    {
        return Ok(None);
    }
    let mut buf = Vec::new();
    body.as_reader()
        .take(MAX_BODY_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(ureq::Error::Io)?;
    if buf.len() as u64 > MAX_BODY_BYTES {
        return Ok(None);
    }
    Ok(Some(buf))
}

/// What a transport error means: its category, whether the request may have
/// been acted on, and whether another attempt is allowed.
fn failure_of(error: ureq::Error) -> Failure {
    use ureq::Timeout as T;
    match error {
        ureq::Error::Timeout(stage) => {
            let (sent, what) = match stage {
                T::Resolve => (false, "resolving the host timed out"),
                T::Connect => (false, "connecting timed out"),
                T::Global | T::PerCall => (true, "the deadline passed before an answer came"),
                _ => (true, "the answer did not come in time"),
            };
            if sent {
                Failure::after_sending(ErrorKind::Timeout, what)
            } else {
                Failure::before_sending(ErrorKind::Timeout, what)
            }
        }
        ureq::Error::HostNotFound => {
            Failure::before_sending(ErrorKind::Network, "the host name could not be resolved")
        }
        ureq::Error::ConnectionFailed => {
            Failure::before_sending(ErrorKind::Network, "the connection could not be made")
        }
        ureq::Error::ConnectProxyFailed(why) => Failure::before_sending(
            ErrorKind::Network,
            format!(
                "the proxy refused the tunnel: {}",
                answer::excerpt(why.as_bytes())
            ),
        )
        .never_retried(),
        ureq::Error::Io(e) => io_failure(&e),
        ureq::Error::Tls(why) => {
            Failure::before_sending(ErrorKind::Network, format!("TLS failed: {why}"))
                .never_retried()
        }
        ureq::Error::Rustls(e) => Failure::before_sending(
            ErrorKind::Network,
            format!("TLS failed: {}", answer::excerpt(e.to_string().as_bytes())),
        )
        .never_retried(),
        ureq::Error::Protocol(e) => Failure::after_sending(
            ErrorKind::InvalidResponse,
            format!(
                "the answer is not usable HTTP ({})",
                answer::excerpt(e.to_string().as_bytes())
            ),
        ),
        ureq::Error::LargeResponseHeader(..) => Failure::after_sending(
            ErrorKind::InvalidResponse,
            "the answer's headers are too large",
        ),
        ureq::Error::BodyStalled => {
            Failure::after_sending(ErrorKind::Timeout, "the answer stalled")
        }
        other => Failure::after_sending(
            ErrorKind::Network,
            answer::excerpt(other.to_string().as_bytes()),
        )
        .never_retried(),
    }
}

fn io_failure(e: &io::Error) -> Failure {
    use io::ErrorKind as K;
    if let Some(tls) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        // A certificate or handshake failure: nothing was sent, and trying
        // again would meet the same certificate.
        return Failure::before_sending(
            ErrorKind::Network,
            format!(
                "TLS failed: {}",
                answer::excerpt(tls.to_string().as_bytes())
            ),
        )
        .never_retried();
    }
    match e.kind() {
        K::ConnectionRefused => {
            Failure::before_sending(ErrorKind::Network, "the connection was refused")
        }
        K::AddrNotAvailable | K::NetworkUnreachable | K::HostUnreachable | K::NetworkDown => {
            Failure::before_sending(ErrorKind::Network, format!("the host is unreachable ({e})"))
        }
        K::TimedOut | K::WouldBlock => {
            Failure::after_sending(ErrorKind::Timeout, "the answer did not come in time")
        }
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => {
            Failure::after_sending(
                ErrorKind::Network,
                "the connection was closed before an answer came",
            )
        }
        _ => Failure::after_sending(
            ErrorKind::Network,
            format!(
                "the connection failed ({})",
                answer::excerpt(e.to_string().as_bytes())
            ),
        ),
    }
}
