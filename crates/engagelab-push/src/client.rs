//! `Client`: a pooled, thread-safe handle that queries and deletes devices
//! and resolves aliases.

use std::fmt;
use std::sync::{Arc, Mutex, TryLockError};
use std::time::{Duration, Instant};

use base64::Engine as _;

use crate::alias;
use crate::builder::ClientBuilder;
use crate::device::Device;
use crate::error::Error;
use crate::options::CallOptions;
use crate::platform::Platform;
use crate::pool::{Pool, Task};
use crate::region::Region;
use crate::retry::{self, Failure, RetryPolicy, SystemClock};
use crate::secret::{Scrubber, Secret};
use crate::transport::{self, AgentSettings, Method, Request, Success};
use crate::validate;

/// A client of EngageLab's Push REST API.
///
/// Cheap to clone (clones share one connection pool) and safe to use from many
/// threads at once. Calls block the calling thread.
///
/// ```no_run
/// use engagelab_push::{Client, ErrorKind};
///
/// let client = Client::builder("my-app-key", "my-master-secret").build()?;
/// match client.delete_device("1a0018970a5c4e0b") {
///     Ok(()) => println!("deleted"),
///     Err(e) if e.kind() == ErrorKind::NotFound => println!("no such device"),
///     Err(e) => eprintln!("{e}"),
/// }
/// # Ok::<(), engagelab_push::Error>(())
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    /// The agent (and its connection pool) of the process that built the
    /// client.
    agent: ureq::Agent,
    /// That process's id.
    owner: u32,
    /// What a forked child's own agent is built from.
    settings: AgentSettings,
    /// A forked process's own agent, by that process's id. The owner never
    /// touches it: a parent thread mid-call at the moment of a `fork()`
    /// leaves the parent agent's pool locked forever in the child, so a child
    /// never uses the parent's agent, pool, resolver cache or TLS state. It is
    /// only ever taken with `try_lock` (see [`Inner::forked_agent`]): a fork
    /// from a forked process may catch one of its threads holding it.
    forked: Mutex<Option<(u32, ureq::Agent)>>,
    /// The threads of the asynchronous calls made in the owner process.
    pool: Pool,
    /// A forked process's own threads, by that process's id, taken like
    /// [`Inner::forked`] (see [`Inner::pool_for`]).
    forked_pool: Mutex<Option<(u32, Arc<Pool>)>>,
    app_key: String,
    master_secret: Secret,
    /// `Basic base64(app_key:master_secret)`.
    authorization: Secret,
    /// Removes the Master Secret, the token and a proxy's credentials, in
    /// every form, from text shown.
    scrubber: Scrubber,
    /// The Master Secret and its token alone, for device answers: a short
    /// proxy password could also be a tag, which must be kept.
    answer_scrubber: Scrubber,
    region: Option<Region>,
    base_url: String,
    timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
    user_agent: String,
    proxy: Option<String>,
}

impl Client {
    /// Starts configuring a client with the app's AppKey and Master Secret.
    pub fn builder(app_key: impl Into<String>, master_secret: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(app_key, master_secret)
    }

    /// Builds a client from the environment: `ENGAGELAB_APP_KEY`,
    /// `ENGAGELAB_MASTER_SECRET`, and optionally `ENGAGELAB_REGION`
    /// (a [`Region`] short name) or `ENGAGELAB_BASE_URL` (not both).
    ///
    /// # Errors
    /// `InvalidArgument` naming the variable that is missing or wrong.
    pub fn from_env() -> Result<Client, Error> {
        Client::from_lookup(|name| std::env::var(name).ok())
    }

    pub(crate) fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Client, Error> {
        let builder = ClientBuilder::from_lookup(get)?;
        // Only the environment set it, and nothing can allow plain http
        // after: the check `build` makes, said of the variable.
        if let Some(url) = &builder.base_url {
            validate::base_url(url, builder.allow_insecure_http)
                .map_err(|e| crate::builder::from_var("ENGAGELAB_BASE_URL", &e))?;
        }
        builder.build()
    }

    pub(crate) fn from_builder(b: ClientBuilder) -> Result<Client, Error> {
        let (region, base_url) = match &b.base_url {
            Some(url) => (None, validate::base_url(url, b.allow_insecure_http)?),
            None => (Some(b.region), b.region.base_url().to_owned()),
        };
        let proxy = match &b.proxy {
            Some(url) => Some(validate::proxy(url.expose())?),
            None => None,
        };
        if let Some(p) = &proxy {
            validate::plain_http_through_proxy(&base_url, p, b.allow_insecure_http)?;
        }
        let extra_roots = match &b.ca_file {
            Some(path) => crate::ca_file::load(path)?,
            None => Vec::new(),
        };
        let token = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            b.app_key,
            b.master_secret.expose()
        ));
        let own = [b.master_secret.expose(), token.as_str()];
        // What a proxy could echo back: its password and the token of its
        // Proxy-Authorization header (ureq's, from the decoded user info).
        let proxy_secrets: Vec<String> = match &proxy {
            Some(p) if p.username().is_some() || p.password().is_some() => {
                let (user, password) = (p.username().unwrap_or(""), p.password().unwrap_or(""));
                let engine = base64::engine::general_purpose::STANDARD;
                vec![
                    password.to_owned(),
                    engine.encode(format!("{user}:{password}")),
                ]
            }
            _ => Vec::new(),
        };
        let all: Vec<&str> = own
            .into_iter()
            .chain(proxy_secrets.iter().map(String::as_str))
            .collect();
        let settings = AgentSettings {
            connect_timeout: b.connect_timeout,
            user_agent: b.user_agent.clone(),
            proxy,
            extra_roots,
        };
        Ok(Client {
            inner: Arc::new(Inner {
                agent: transport::agent(&settings),
                owner: std::process::id(),
                settings,
                forked: Mutex::new(None),
                pool: Pool::new(),
                forked_pool: Mutex::new(None),
                authorization: Secret::new(format!("Basic {token}")),
                scrubber: Scrubber::new(&all),
                answer_scrubber: Scrubber::new(&own),
                region,
                base_url,
                timeout: b.timeout,
                connect_timeout: b.connect_timeout,
                retry: b.retry,
                proxy: b
                    .proxy
                    .as_ref()
                    .map(|p| validate::proxy_for_display(p.expose())),
                user_agent: b.user_agent,
                app_key: b.app_key,
                master_secret: b.master_secret,
            }),
        })
    }

    /// The base URL calls go to, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The region, unless a custom base URL was given.
    pub fn region(&self) -> Option<Region> {
        self.inner.region
    }

    /// The AppKey (not a secret; the Master Secret is never exposed).
    pub fn app_key(&self) -> &str {
        &self.inner.app_key
    }

    /// The overall deadline of one call, counted from its start, retries and
    /// waits included (a call's own shorter timeout applies instead).
    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// Deletes one device (`DELETE /v4/devices/{registration_id}`): its tags,
    /// alias, device information and timezone. Irreversible; EngageLab completes
    /// it asynchronously. Any 2xx answer is success.
    ///
    /// The id is checked before anything is sent and sent as one escaped path
    /// segment. Transient failures (rate limiting, server errors, connection
    /// failures, timeouts) are retried with backoff within the overall deadline;
    /// when a failed call may nevertheless have deleted the device,
    /// [`Error::maybe_deleted`] says so.
    ///
    /// # Errors
    /// An [`Error`] whose [`kind`](Error::kind) is decided as the error model
    /// says: `InvalidArgument` (nothing sent), `Auth`, `NotFound`,
    /// `RateLimited`, `Server`, `Api`, `Timeout`, `Network`, `InvalidResponse`.
    pub fn delete_device(&self, registration_id: &str) -> Result<(), Error> {
        self.delete_device_with(registration_id, &CallOptions::new())
    }

    /// [`delete_device`](Self::delete_device) with per-call options: a
    /// [`CancelToken`](crate::CancelToken) that stops the call, and a deadline
    /// shorter than the client's timeout.
    ///
    /// # Errors
    /// As [`delete_device`](Self::delete_device), plus `Cancelled` when the
    /// token was cancelled before the call completed.
    pub fn delete_device_with(
        &self,
        registration_id: &str,
        options: &CallOptions,
    ) -> Result<(), Error> {
        let path = device_path(registration_id)?;
        self.call(Method::Delete, &path, options, |_| Ok(()))
    }

    /// Queries one device (`GET /v4/devices/{registration_id}`): the tags and
    /// alias bound to it, and the whole answer, unknown fields included (see
    /// [`Device`]). Query before deleting: check that the id is the one meant,
    /// and keep [`Device::raw_json`] as a backup.
    ///
    /// The id is checked and sent as [`delete_device`](Self::delete_device)
    /// does, and the same error model, retries, deadline and redaction apply.
    /// Reading is safe to repeat, so a lost answer is retried like any
    /// transient failure, and [`Error::maybe_deleted`] is always false. The
    /// answer's body is read up to [`MAX_BODY_BYTES`](crate::MAX_BODY_BYTES).
    ///
    /// # Errors
    /// As [`delete_device`](Self::delete_device); an unknown id is
    /// `NotFound` (HTTP 404, or EngageLab's HTTP 400 with code 27002). A 2xx
    /// answer whose body is over the cap, not a JSON object, has
    /// a `tags` that is not a list of strings or an `alias` that is not a
    /// string, or a NUL character in a tag or the alias, is `InvalidResponse`
    /// with the answer's HTTP status, and is not retried.
    pub fn get_device(&self, registration_id: &str) -> Result<Device, Error> {
        self.get_device_with(registration_id, &CallOptions::new())
    }

    /// [`get_device`](Self::get_device) with per-call options: a
    /// [`CancelToken`](crate::CancelToken) that stops the call, and a deadline
    /// shorter than the client's timeout.
    ///
    /// # Errors
    /// As [`get_device`](Self::get_device), plus `Cancelled` when the token
    /// was cancelled before the call completed.
    pub fn get_device_with(
        &self,
        registration_id: &str,
        options: &CallOptions,
    ) -> Result<Device, Error> {
        let path = device_path(registration_id)?;
        self.call(Method::Get, &path, options, |success| {
            Device::from_answer(registration_id, success.status, &success.body)
                .and_then(|d| d.scrubbed(&self.inner.answer_scrubber, success.status))
                // A 2xx the client cannot use: asking again would get the same.
                .map_err(|e| Failure::answered(e, None))
        })
    }

    /// Resolves an alias (`GET /v4/aliases/{alias}`): the registration ids of
    /// the devices the app bound to it, in the order EngageLab gave them;
    /// empty when no device is bound. An alias is how an app names its user,
    /// so this is the first step of erasing a user
    /// ([`erase_user`](Self::erase_user)).
    ///
    /// `platforms` narrows the lookup (`?platform=android,ios`); empty means
    /// every platform. The alias is checked before anything is sent (at most
    /// [`MAX_ALIAS_LEN`](crate::MAX_ALIAS_LEN) bytes, no `/`, no control,
    /// whitespace or invisible format character) and sent as one escaped path
    /// segment. The same error model, retries, deadline and redaction apply
    /// as to [`get_device`](Self::get_device); [`Error::maybe_deleted`] is
    /// always false.
    ///
    /// ```no_run
    /// use engagelab_push::{Client, Platform};
    ///
    /// let client = Client::from_env()?;
    /// let ids = client.get_alias("user-42", &[Platform::Android, Platform::Ios])?;
    /// println!("user-42 has {} device(s): {ids:?}", ids.len());
    /// # Ok::<(), engagelab_push::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`get_device`](Self::get_device): `InvalidArgument` for a bad alias
    /// (nothing sent), the answer's category otherwise. A 2xx answer that is
    /// not a JSON object with a `registration_ids` list of strings (missing
    /// or `null` included), or whose id holds a NUL character, is
    /// `InvalidResponse` and is not retried. An alias may be bound to any
    /// number of devices: the answer is read up to
    /// [`MAX_LIST_BODY_BYTES`](crate::MAX_LIST_BODY_BYTES) (16 MiB, about
    /// 250,000 ids), not the 64 KiB of other bodies.
    pub fn get_alias(&self, alias: &str, platforms: &[Platform]) -> Result<Vec<String>, Error> {
        self.get_alias_with(alias, platforms, &CallOptions::new())
    }

    /// [`get_alias`](Self::get_alias) with per-call options: a
    /// [`CancelToken`](crate::CancelToken) that stops the call, and a deadline
    /// shorter than the client's timeout.
    ///
    /// # Errors
    /// As [`get_alias`](Self::get_alias), plus `Cancelled` when the token was
    /// cancelled before the call completed.
    pub fn get_alias_with(
        &self,
        alias: &str,
        platforms: &[Platform],
        options: &CallOptions,
    ) -> Result<Vec<String>, Error> {
        validate::alias(alias)?;
        let mut path = format!("/v4/aliases/{}", validate::path_segment(alias));
        if let Some(query) = Platform::query(platforms) {
            path.push_str("?platform=");
            path.push_str(&query);
        }
        self.call(Method::GetList, &path, options, |success| {
            alias::registration_ids_from_answer(success.status, &success.body)
                .map_err(|e| Failure::answered(e, None))
        })
    }

    /// One call on `path` (already checked and escaped): the deadline, and
    /// the retry loop around single attempts; `decode` turns a 2xx answer
    /// into the call's value, or into a failure the loop treats like any other.
    fn call<T>(
        &self,
        method: Method,
        path: &str,
        options: &CallOptions,
        decode: impl Fn(Success) -> Result<T, Failure>,
    ) -> Result<T, Error> {
        let inner = &*self.inner;
        let pid = std::process::id();
        let agent = inner.agent_for(pid);
        let agent = &*agent;
        let url = format!("{}{path}", inner.base_url);
        let deadline = inner.deadline(options);
        let cancel = options.cancel.as_ref();
        let request = Request {
            agent,
            pid,
            method,
            url: &url,
            authorization: inner.authorization.expose(),
            scrubber: &inner.scrubber,
        };
        retry::run(&inner.retry, &SystemClock, deadline, cancel, |_budget| {
            transport::attempt(&request, deadline, cancel, options.quota.as_ref())
                .map_err(|f| options.shape(f))
                .and_then(&decode)
        })
        .map_err(|e| self.scrubbed(e))
    }

    /// The client's retry settings (the bulk engine retries through its
    /// pacer with them).
    pub(crate) fn retry_policy(&self) -> RetryPolicy {
        self.inner.retry
    }

    /// One GET of `path` (already checked and escaped), never retried:
    /// whatever the server answered, or the failure when nothing came. Only
    /// a GET can be sent this way (see [`transport::observe_get`]). It must
    /// be sent by `deadline`, the whole check's.
    pub(crate) fn observe(
        &self,
        path: &str,
        deadline: Instant,
        cancel: Option<&crate::CancelToken>,
    ) -> Result<transport::Observed, Error> {
        let inner = &*self.inner;
        let pid = std::process::id();
        let agent = inner.agent_for(pid);
        let agent = &*agent;
        let url = format!("{}{path}", inner.base_url);
        if cancel.is_some_and(crate::CancelToken::is_cancelled) {
            return Err(crate::retry::cancelled(0));
        }
        if deadline <= Instant::now() {
            // A per-call timeout of 0, as in `call`, or the check's deadline
            // passed after its last answer: nothing more is sent.
            return Err(Error::new(
                crate::ErrorKind::Timeout,
                "the deadline passed before a request could be sent",
            ));
        }
        transport::observe_get(
            agent,
            pid,
            &url,
            inner.authorization.expose(),
            &inner.scrubber,
            deadline,
            cancel,
        )
        .map_err(|f| self.scrubbed(f.error.with_attempts(1, false)))
    }

    /// When a call started now with `options` must end.
    pub(crate) fn deadline_from_now(&self, options: &CallOptions) -> Instant {
        self.inner.deadline(options)
    }

    /// Queues an asynchronous call on the threads of this process.
    pub(crate) fn submit(&self, task: Box<dyn Task>) -> Result<(), Error> {
        let inner = &*self.inner;
        let pid = std::process::id();
        if pid == inner.owner {
            return inner.pool.submit(task);
        }
        match inner.forked_pool(pid) {
            Some(pool) => pool.submit(task),
            None => {
                // The slot stayed locked (a fork from a forked process caught
                // a thread holding it): the call gets threads of its own,
                // which end once idle. The pool is never dropped, as that
                // would wait for the call.
                let pool = Pool::new();
                let submitted = pool.submit(task);
                std::mem::forget(pool);
                submitted
            }
        }
    }

    /// The scrubber of this client's secrets.
    pub(crate) fn scrubber(&self) -> &Scrubber {
        &self.inner.scrubber
    }

    /// The error with the secrets scrubbed from its message.
    fn scrubbed(&self, error: Error) -> Error {
        let inner = &*self.inner;
        error.map_message(|m| inner.scrubber.scrub(m))
    }
}

/// `/v4/devices/{registration_id}`, once the id is checked.
pub(crate) fn device_path(registration_id: &str) -> Result<String, Error> {
    validate::registration_id(registration_id)?;
    Ok(format!(
        "/v4/devices/{}",
        validate::path_segment(registration_id)
    ))
}

/// How many times a forked process tries the lock of its agent's slot,
/// yielding between tries, before it gives up on the slot for one call. A
/// thread holds it only to compare a process id and clone or store an agent,
/// so a live holder lets go within a few tries; one that held it at a
/// `fork()` never does in the new process.
const SLOT_TRIES: usize = 64;

impl Inner {
    /// The agent for calls made in process `pid`: the client's own, or in a
    /// forked child the child's (see [`Inner::forked_agent`]).
    fn agent_for(&self, pid: u32) -> std::borrow::Cow<'_, ureq::Agent> {
        if pid == self.owner {
            std::borrow::Cow::Borrowed(&self.agent)
        } else {
            std::borrow::Cow::Owned(self.forked_agent(pid))
        }
    }

    /// When a call made now with `options` must end: its own timeout, capped
    /// by the client's.
    fn deadline(&self, options: &CallOptions) -> Instant {
        let timeout = options
            .timeout
            .map_or(self.timeout, |t| t.min(self.timeout));
        Instant::now() + timeout
    }

    /// The agent of the forked process `pid`: built on its first call there
    /// and kept in the slot for its next calls. Never waits on the slot's
    /// lock: when it stays taken (a thread held it when this process was
    /// forked from another forked one), the call gets an agent of its own.
    fn forked_agent(&self, pid: u32) -> ureq::Agent {
        if let Some(agent) = self.with_slot(|slot| match slot {
            Some((owner, agent)) if *owner == pid => Some(agent.clone()),
            _ => None,
        }) {
            return agent;
        }
        // Built outside the lock: building takes a while.
        let built = transport::agent(&self.settings);
        self.with_slot(|slot| match slot {
            Some((owner, agent)) if *owner == pid => Some(agent.clone()),
            _ => {
                // The agent of the process this one was forked from is never
                // dropped here: its pool may hold state its threads were
                // changing at the fork.
                if let Some(inherited) = slot.replace((pid, built.clone())) {
                    std::mem::forget(inherited);
                }
                Some(built.clone())
            }
        })
        .unwrap_or(built)
    }

    /// The threads of asynchronous calls in the forked process `pid`, made on
    /// its first such call; `None` when the slot's lock stays taken.
    fn forked_pool(&self, pid: u32) -> Option<Arc<Pool>> {
        for _ in 0..SLOT_TRIES {
            let mut slot = match self.forked_pool.try_lock() {
                Ok(slot) => slot,
                Err(TryLockError::Poisoned(p)) => p.into_inner(),
                Err(TryLockError::WouldBlock) => {
                    std::thread::yield_now();
                    continue;
                }
            };
            if let Some((owner, pool)) = &*slot
                && *owner == pid
            {
                return Some(pool.clone());
            }
            let pool = Arc::new(Pool::new());
            // The pool of the process this one was forked from is never
            // dropped here: its threads are gone and its lock may be held.
            if let Some(inherited) = slot.replace((pid, pool.clone())) {
                std::mem::forget(inherited);
            }
            return Some(pool);
        }
        None
    }

    /// `f` on the forked agent's slot if its lock can be taken within
    /// [`SLOT_TRIES`] tries; `None` otherwise.
    fn with_slot<T>(
        &self,
        f: impl FnOnce(&mut Option<(u32, ureq::Agent)>) -> Option<T>,
    ) -> Option<T> {
        for _ in 0..SLOT_TRIES {
            match self.forked.try_lock() {
                Ok(mut slot) => return f(&mut slot),
                Err(TryLockError::Poisoned(p)) => return f(&mut p.into_inner()),
                Err(TryLockError::WouldBlock) => std::thread::yield_now(),
            }
        }
        None
    }
}

impl Client {
    /// The client's own description, for the bindings' `toString`, `repr`
    /// and `String()`: the AppKey, region, base URL, overall timeout, retries
    /// and whether a proxy is used. Never the Master Secret, nor the proxy's
    /// URL (which may carry user info).
    ///
    /// ```
    /// let client = engagelab_push::Client::builder("my-app-key", "s").build()?;
    /// assert_eq!(
    ///     client.describe(),
    ///     "app_key=\"my-app-key\", region=sgp, \
    ///      base_url=\"https://pushapi-sgp.engagelab.com\", timeout=30s, \
    ///      max_retries=2, proxy=no"
    /// );
    /// # Ok::<(), engagelab_push::Error>(())
    /// ```
    pub fn describe(&self) -> String {
        let inner = &*self.inner;
        let region = inner.region.map_or("none", Region::name);
        format!(
            "app_key={:?}, region={region}, base_url={:?}, timeout={:?}, max_retries={}, proxy={}",
            inner.app_key,
            inner.base_url,
            inner.timeout,
            inner.retry.max_retries,
            if inner.proxy.is_some() { "yes" } else { "no" },
        )
    }
}

/// `Client(` + [`Client::describe`] + `)`.
impl fmt::Display for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Client({})", self.describe())
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        f.debug_struct("Client")
            .field("app_key", &inner.app_key)
            .field("master_secret", &inner.master_secret)
            .field("region", &inner.region)
            .field("base_url", &inner.base_url)
            .field("timeout", &inner.timeout)
            .field("connect_timeout", &inner.connect_timeout)
            .field("retry", &inner.retry)
            .field("user_agent", &inner.user_agent)
            .field("proxy", &inner.proxy)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn the_description_shows_the_settings_and_never_the_secret() {
        let c = Client::builder("app-key-1", "the-master-secret")
            .region(Region::HongKong)
            .proxy("http://user:proxy-password@127.0.0.1:3128")
            .max_retries(4)
            .build()
            .unwrap();
        let d = c.to_string();
        assert_eq!(
            d,
            "Client(app_key=\"app-key-1\", region=hk, \
             base_url=\"https://pushapi-hk.engagelab.com\", timeout=30s, \
             max_retries=4, proxy=yes)"
        );
        for secret in ["the-master-secret", "proxy-password", "user"] {
            assert!(!d.contains(secret), "{d}");
        }
        let c = Client::builder("k", "s")
            .base_url("http://127.0.0.1:9")
            .timeout(Duration::from_millis(1500))
            .build()
            .unwrap();
        assert_eq!(
            c.describe(),
            "app_key=\"k\", region=none, base_url=\"http://127.0.0.1:9\", \
             timeout=1.5s, max_retries=2, proxy=no"
        );
    }

    #[test]
    fn from_env_reads_the_documented_variables() {
        let c = Client::from_lookup(env(&[
            ("ENGAGELAB_APP_KEY", "k"),
            ("ENGAGELAB_MASTER_SECRET", "s"),
            ("ENGAGELAB_REGION", "defra"),
        ]))
        .unwrap();
        assert_eq!(c.region(), Some(Region::Frankfurt));
        assert_eq!(c.base_url(), "https://pushapi-defra.engagelab.com");

        let c = Client::from_lookup(env(&[
            ("ENGAGELAB_APP_KEY", "k"),
            ("ENGAGELAB_MASTER_SECRET", "s"),
            ("ENGAGELAB_BASE_URL", "http://127.0.0.1:9/"),
        ]))
        .unwrap();
        assert_eq!((c.region(), c.base_url()), (None, "http://127.0.0.1:9"));

        let c = Client::from_lookup(env(&[
            ("ENGAGELAB_APP_KEY", "k"),
            ("ENGAGELAB_MASTER_SECRET", "s"),
        ]))
        .unwrap();
        assert_eq!(c.region(), Some(Region::Singapore));
    }

    #[test]
    fn from_env_names_what_is_wrong() {
        for (vars, says) in [
            (
                &[("ENGAGELAB_MASTER_SECRET", "s")][..],
                "ENGAGELAB_APP_KEY is not set",
            ),
            (
                &[("ENGAGELAB_APP_KEY", "k")][..],
                "ENGAGELAB_MASTER_SECRET is not set",
            ),
            (
                &[
                    ("ENGAGELAB_APP_KEY", "k"),
                    ("ENGAGELAB_MASTER_SECRET", "s"),
                    ("ENGAGELAB_REGION", "mars"),
                ][..],
                "ENGAGELAB_REGION",
            ),
            (
                &[
                    ("ENGAGELAB_APP_KEY", "k"),
                    ("ENGAGELAB_MASTER_SECRET", "s"),
                    ("ENGAGELAB_REGION", "hk"),
                    ("ENGAGELAB_BASE_URL", "https://x.example"),
                ][..],
                "not both",
            ),
            (
                &[
                    ("ENGAGELAB_APP_KEY", "k:1"),
                    ("ENGAGELAB_MASTER_SECRET", "s"),
                ][..],
                "ENGAGELAB_APP_KEY: app_key contains ':'",
            ),
            (
                &[
                    ("ENGAGELAB_APP_KEY", "k"),
                    ("ENGAGELAB_MASTER_SECRET", "s\r\nX-Evil: 1"),
                ][..],
                "ENGAGELAB_MASTER_SECRET: master_secret contains a control character",
            ),
            (
                &[
                    ("ENGAGELAB_APP_KEY", "k"),
                    ("ENGAGELAB_MASTER_SECRET", "s"),
                    ("ENGAGELAB_BASE_URL", "ftp://push.example"),
                ][..],
                "ENGAGELAB_BASE_URL: base_url \"ftp://push.example\" must start with https://",
            ),
            (
                &[
                    ("ENGAGELAB_APP_KEY", "k"),
                    ("ENGAGELAB_MASTER_SECRET", "s"),
                    ("ENGAGELAB_BASE_URL", "http://push.example"),
                ][..],
                "ENGAGELAB_BASE_URL: base_url \"http://push.example\" uses plain http",
            ),
        ] {
            let vars: &'static [(&'static str, &'static str)] =
                Box::leak(vars.to_vec().into_boxed_slice());
            let e = Client::from_lookup(env(vars)).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
            assert!(e.message().contains(says), "{}", e.message());
        }
    }
}
