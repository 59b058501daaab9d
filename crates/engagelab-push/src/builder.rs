//! `ClientBuilder`: every setting of a client, checked when the client is built.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::client::Client;
use crate::error::Error;
use crate::region::Region;
use crate::retry::RetryPolicy;
use crate::secret::Secret;
use crate::validate;

pub use crate::settings::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, MAX_DURATION};

/// The default User-Agent: the crate's name and version.
pub const DEFAULT_USER_AGENT: &str = concat!("engagelab-push/", env!("CARGO_PKG_VERSION"));

/// Settings of a [`Client`]; nothing is checked until [`ClientBuilder::build`].
///
/// ```
/// use std::time::Duration;
/// use engagelab_push::{Client, Region};
///
/// let client = Client::builder("my-app-key", "my-master-secret")
///     .region(Region::Frankfurt)
///     .timeout(Duration::from_secs(10))
///     .max_retries(3)
///     .build()?;
/// assert!(!format!("{client:?}").contains("my-master-secret"));
/// # Ok::<(), engagelab_push::Error>(())
/// ```
#[derive(Clone)]
pub struct ClientBuilder {
    pub(crate) app_key: String,
    pub(crate) master_secret: Secret,
    pub(crate) region: Region,
    pub(crate) base_url: Option<String>,
    pub(crate) timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) user_agent: String,
    pub(crate) proxy: Option<Secret>,
    pub(crate) ca_file: Option<PathBuf>,
    pub(crate) allow_insecure_http: bool,
}

impl ClientBuilder {
    pub(crate) fn new(
        app_key: impl Into<String>,
        master_secret: impl Into<String>,
    ) -> ClientBuilder {
        ClientBuilder {
            app_key: app_key.into(),
            master_secret: Secret::new(master_secret),
            region: Region::default(),
            base_url: None,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            retry: RetryPolicy::default(),
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            proxy: None,
            ca_file: None,
            allow_insecure_http: false,
        }
    }

    /// A builder from the environment: `ENGAGELAB_APP_KEY`,
    /// `ENGAGELAB_MASTER_SECRET`, and optionally `ENGAGELAB_REGION`
    /// (a [`Region`] short name) or `ENGAGELAB_BASE_URL` (not both); other
    /// settings may then be changed before [`build`](Self::build).
    ///
    /// # Errors
    /// `InvalidArgument` naming the variable that is missing or wrong. An
    /// `ENGAGELAB_BASE_URL` is checked by [`build`](Self::build) (as
    /// `base_url`), since [`allow_insecure_http`](Self::allow_insecure_http)
    /// may still change its verdict.
    pub fn from_env() -> Result<ClientBuilder, Error> {
        ClientBuilder::from_lookup(|name| std::env::var(name).ok())
    }

    pub(crate) fn from_lookup(
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<ClientBuilder, Error> {
        let get = |name: &str| get(name).filter(|v| !v.is_empty());
        let required = |name: &str| {
            get(name).ok_or_else(|| Error::invalid_argument(format!("{name} is not set")))
        };
        let (app_key, master_secret) = (
            required("ENGAGELAB_APP_KEY")?,
            required("ENGAGELAB_MASTER_SECRET")?,
        );
        validate::credential("app_key", &app_key).map_err(|e| from_var("ENGAGELAB_APP_KEY", &e))?;
        validate::credential("master_secret", &master_secret)
            .map_err(|e| from_var("ENGAGELAB_MASTER_SECRET", &e))?;
        let mut builder = Client::builder(app_key, master_secret);
        match (get("ENGAGELAB_REGION"), get("ENGAGELAB_BASE_URL")) {
            (Some(_), Some(_)) => {
                return Err(Error::invalid_argument(
                    "set ENGAGELAB_REGION or ENGAGELAB_BASE_URL, not both",
                ));
            }
            (Some(region), None) => {
                let region: Region = region
                    .parse()
                    .map_err(|e: Error| from_var("ENGAGELAB_REGION", &e))?;
                builder = builder.region(region);
            }
            (None, Some(url)) => builder = builder.base_url(url),
            (None, None) => {}
        }
        Ok(builder)
    }

    /// The data center to call (default [`Region::default`]). A [`base_url`](Self::base_url)
    /// overrides it.
    pub fn region(mut self, region: Region) -> Self {
        self.region = region;
        self
    }

    /// A custom base URL (a proxy, a legacy host, a test server), e.g.
    /// `https://push.api.engagelab.cc`. Overrides the region. Plain `http://`
    /// is accepted only to loopback, and through a [`proxy`](Self::proxy) only
    /// when the proxy is on loopback too, unless
    /// [`allow_insecure_http`](Self::allow_insecure_http).
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// One overall deadline per call, retries and waits included (default
    /// [`DEFAULT_TIMEOUT`];
    /// more than zero, at most [`MAX_DURATION`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The longest wait for one connection to be set up, TLS included (default
    /// [`DEFAULT_CONNECT_TIMEOUT`]; more than zero, at most [`MAX_DURATION`]).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Retries after the first attempt for failures the error model retries
    /// (default [`DEFAULT_MAX_RETRIES`](crate::DEFAULT_MAX_RETRIES)); 0 turns
    /// retries off.
    pub fn max_retries(mut self, max_retries: u32) -> Self {
        self.retry.max_retries = max_retries;
        self
    }

    /// The backoff before the first retry, doubled for each later one up to
    /// `max`, each wait drawn at random below it (defaults
    /// [`DEFAULT_BACKOFF_BASE`](crate::DEFAULT_BACKOFF_BASE) and
    /// [`DEFAULT_BACKOFF_MAX`](crate::DEFAULT_BACKOFF_MAX);
    /// `base` at most `max`, both at most [`MAX_DURATION`]).
    pub fn backoff(mut self, base: Duration, max: Duration) -> Self {
        self.retry.backoff_base = base;
        self.retry.backoff_max = max;
        self
    }

    /// The longest server hint (`Retry-After`, `X-Rate-Limit-Reset`) waited for
    /// as given; longer hints are cut to it (default
    /// [`DEFAULT_MAX_RETRY_AFTER`](crate::DEFAULT_MAX_RETRY_AFTER)). Waits never pass the
    /// overall deadline: when one would, the call fails with the last error.
    /// At most [`MAX_DURATION`].
    pub fn max_retry_after(mut self, max: Duration) -> Self {
        self.retry.max_retry_after = max;
        self
    }

    /// The User-Agent header (default `engagelab-push/VERSION`; printable, at
    /// most [`MAX_USER_AGENT_LEN`](crate::MAX_USER_AGENT_LEN) bytes).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// A proxy URL: `http://host:port` or `https://host:port` (user info
    /// allowed; the port, if given, 1–65535). SOCKS proxies (`socks4://`,
    /// `socks4a://`, `socks5://`) are not supported and are refused by
    /// [`build`](Self::build) as `InvalidArgument`.
    /// Without it no proxy is used: `HTTP_PROXY`, `HTTPS_PROXY` and `ALL_PROXY`
    /// are deliberately ignored, so credentials only go where configured.
    pub fn proxy(mut self, proxy_url: impl Into<String>) -> Self {
        self.proxy = Some(Secret::new(proxy_url));
        self
    }

    /// A PEM file of extra root certificates, trusted beside the built-in
    /// Mozilla roots (a corporate proxy's CA, a test server's CA). It must be a
    /// regular file of at most [`MAX_CA_FILE_BYTES`](crate::MAX_CA_FILE_BYTES);
    /// a device, FIFO or bigger file is refused, never read.
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_file = Some(path.into());
        self
    }

    /// Allows plain `http://` base URLs to hosts that are not loopback, or
    /// through a proxy that is not (default false). Credentials then travel
    /// unencrypted.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Checks every setting and builds the client.
    ///
    /// # Errors
    /// `InvalidArgument`, naming the setting, for an empty, malformed or too
    /// long (over [`MAX_CREDENTIAL_LEN`](crate::MAX_CREDENTIAL_LEN) bytes)
    /// AppKey or Master Secret, a bad base URL, proxy (SOCKS included),
    /// User-Agent or CA file, a zero timeout, or any duration over
    /// [`MAX_DURATION`].
    pub fn build(self) -> Result<Client, Error> {
        validate::credential("app_key", &self.app_key)?;
        validate::credential("master_secret", self.master_secret.expose())?;
        validate::user_agent(&self.user_agent)?;
        for (name, value) in [
            ("timeout", self.timeout),
            ("connect_timeout", self.connect_timeout),
            ("backoff base", self.retry.backoff_base),
            ("backoff max", self.retry.backoff_max),
            ("max_retry_after", self.retry.max_retry_after),
        ] {
            if value > MAX_DURATION {
                return Err(Error::invalid_argument(format!(
                    "{name} must be at most {} s, got {value:?}",
                    MAX_DURATION.as_secs()
                )));
            }
        }
        if self.timeout.is_zero() {
            return Err(Error::invalid_argument("timeout must be greater than zero"));
        }
        if self.connect_timeout.is_zero() {
            return Err(Error::invalid_argument(
                "connect_timeout must be greater than zero",
            ));
        }
        if self.retry.backoff_base > self.retry.backoff_max {
            return Err(Error::invalid_argument(
                "backoff base must not be greater than the backoff maximum",
            ));
        }
        Client::from_builder(self)
    }
}

/// `error` (a value's) said of the environment variable `name` it came from.
pub(crate) fn from_var(name: &str, error: &Error) -> Error {
    Error::invalid_argument(format!("{name}: {}", error.message()))
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("app_key", &self.app_key)
            .field("master_secret", &self.master_secret)
            .field("region", &self.region)
            .field(
                "base_url",
                &self.base_url.as_deref().map(validate::shown_url),
            )
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("retry", &self.retry)
            .field("user_agent", &self.user_agent)
            .field(
                "proxy",
                &self
                    .proxy
                    .as_ref()
                    .map(|p| validate::proxy_for_display(p.expose())),
            )
            .field("ca_file", &self.ca_file)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .finish()
    }
}
