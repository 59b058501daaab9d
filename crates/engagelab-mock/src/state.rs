//! The mock's shared state and the operations the library, the binary and the control API share.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, RwLock};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::config::{ConfigUpdate, Device, MockConfig, Settings};
use crate::log::{LoggedRequest, RequestLog};
use crate::rate::{Limiter, Verdict};
use crate::script::{Answer, Target};
use crate::store::Store;

/// Everything the connections of one server share.
#[derive(Debug)]
pub(crate) struct State {
    /// `app_key:master_secret`, the decoded Basic credentials accepted.
    credentials: Vec<u8>,
    /// `Basic base64(credentials)`, the usual spelling of a correct header.
    expected_header: String,
    seed: Vec<Device>,
    initial: Settings,
    settings: RwLock<Settings>,
    store: Mutex<Store>,
    scripts: Mutex<HashMap<Target, VecDeque<Answer>>>,
    rate: Mutex<Limiter>,
    log: Mutex<RequestLog>,
    /// How many resets there were: a request that waited across one does not act.
    generation: AtomicU64,
}

/// Locks a mutex, going on with the data when another thread panicked while holding it.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl State {
    /// The state a server configured with `config` starts with.
    pub fn new(config: &MockConfig) -> Self {
        let settings = config.settings();
        let credentials = format!("{}:{}", config.app_key, config.master_secret).into_bytes();
        State {
            expected_header: format!("Basic {}", STANDARD.encode(&credentials)),
            credentials,
            seed: config.devices.clone(),
            initial: settings.clone(),
            settings: RwLock::new(settings),
            store: Mutex::new(Store::seeded(&config.devices)),
            scripts: Mutex::new(HashMap::new()),
            rate: Mutex::new(Limiter::default()),
            log: Mutex::new(RequestLog::default()),
            generation: AtomicU64::new(0),
        }
    }

    /// Back to the start: seed devices, start-up settings, no scripts, empty log.
    pub fn reset(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        *lock(&self.store) = Store::seeded(&self.seed);
        lock(&self.scripts).clear();
        *self.settings.write().unwrap_or_else(|e| e.into_inner()) = self.initial.clone();
        *lock(&self.rate) = Limiter::default();
        lock(&self.log).clear();
    }

    /// How many resets there have been.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Adds a device, replacing any with the same registration id.
    pub fn add_device(&self, device: Device) {
        lock(&self.store).put(device);
    }

    /// The device with this registration id.
    pub fn device(&self, registration_id: &str) -> Option<Device> {
        lock(&self.store).get(registration_id).cloned()
    }

    /// Removes a device; whether it was there.
    pub fn remove_device(&self, registration_id: &str) -> bool {
        lock(&self.store).remove(registration_id)
    }

    /// All registration ids in the store, sorted.
    pub fn devices(&self) -> Vec<String> {
        lock(&self.store).ids()
    }

    /// Queues answers for requests to this (decoded) device or alias path.
    pub fn script(&self, target: Target, answers: Vec<Answer>) {
        if answers.is_empty() {
            return;
        }
        lock(&self.scripts)
            .entry(target)
            .or_default()
            .extend(answers);
    }

    /// Takes the next scripted answer for this device or alias path, if one is queued.
    pub fn next_answer(&self, target: &Target) -> Option<Answer> {
        let mut scripts = lock(&self.scripts);
        if scripts.is_empty() {
            return None;
        }
        let queue = scripts.get_mut(target)?;
        let answer = queue.pop_front();
        if queue.is_empty() {
            scripts.remove(target);
        }
        answer
    }

    /// The registration ids of the devices bound to `alias`, sorted; only those of
    /// `platforms` when some are given.
    pub fn alias_ids(&self, alias: &str, platforms: &[&str]) -> Vec<String> {
        lock(&self.store).bound_to(alias, platforms)
    }

    /// Appends a request to the log.
    pub fn record(&self, request: LoggedRequest) {
        lock(&self.log).push(request);
    }

    /// The logged requests, oldest first.
    pub fn log(&self) -> Vec<LoggedRequest> {
        lock(&self.log).snapshot()
    }

    /// The settings in force.
    pub fn settings(&self) -> Settings {
        self.settings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The injected latency and the rate limit in force.
    pub fn latency_and_rate(&self) -> (u64, Option<u32>) {
        let s = self.settings.read().unwrap_or_else(|e| e.into_inner());
        (s.latency_ms, s.rate_limit_qps)
    }

    /// The limiter's kind in force: its burst (a leaky bucket) or `None`
    /// (fixed windows), and whether answers carry the quota headers.
    pub fn limiter_kind(&self) -> (Option<u32>, bool) {
        let s = self.settings.read().unwrap_or_else(|e| e.into_inner());
        (s.rate_limit_burst, s.rate_limit_headers)
    }

    /// The `Date` header's offset from the real time, in seconds.
    pub fn date_offset_s(&self) -> i64 {
        self.settings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .date_offset_s
    }

    /// The keep-alive timeout in force.
    pub fn idle_timeout(&self) -> Option<std::time::Duration> {
        self.settings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .idle_timeout_ms
            .map(|ms| std::time::Duration::from_millis(ms.max(1)))
    }

    /// The status and body of the unknown-device answer in force.
    pub fn unknown_device(&self) -> (u16, String) {
        let s = self.settings.read().unwrap_or_else(|e| e.into_inner());
        (s.unknown_device.status, s.unknown_device.body.clone())
    }

    /// Overrides settings until the next reset; a new rate limit (or limiter
    /// kind) starts a new window and an empty bucket.
    pub fn set_config(&self, update: &ConfigUpdate) {
        update.apply_to(&mut self.settings.write().unwrap_or_else(|e| e.into_inner()));
        if update.rate_limit_qps.is_some() || update.rate_limit_burst.is_some() {
            *lock(&self.rate) = Limiter::default();
        }
    }

    /// Counts a request against the rate limit (a leaky bucket with
    /// `burst`, or fixed windows); whether it is allowed, and the quota left.
    pub fn admit(&self, qps: u32, burst: Option<u32>) -> Verdict {
        lock(&self.rate).admit(qps, burst)
    }

    /// Whether an `Authorization` header value carries the configured credentials.
    pub fn authorized(&self, authorization: Option<&str>) -> bool {
        let Some(value) = authorization else {
            return false;
        };
        if value == self.expected_header {
            return true;
        }
        let value = value.trim();
        let Some((scheme, token)) = value.split_once(' ') else {
            return false;
        };
        if !scheme.eq_ignore_ascii_case("basic") {
            return false;
        }
        match STANDARD.decode(token.trim()) {
            Ok(decoded) => decoded == self.credentials,
            Err(_) => false,
        }
    }
}
