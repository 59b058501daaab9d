//! Start-up configuration, devices, and the settings the control API may override.

use std::net::{Ipv4Addr, SocketAddr};

use serde::{Deserialize, Deserializer, Serialize};

/// The AppKey accepted when none is configured.
pub const DEFAULT_APP_KEY: &str = "demo-app-key";
/// The Master Secret accepted when none is configured.
pub const DEFAULT_MASTER_SECRET: &str = "demo-master-secret";
/// The HTTP status of the default answer for an unknown registration id.
pub const DEFAULT_UNKNOWN_STATUS: u16 = 400;
/// The body of the default answer for an unknown registration id.
pub const DEFAULT_UNKNOWN_BODY: &str = r#"{"error":{"code":27002,"message":"unknown error"}}"#;

/// The largest `date_offset_s` accepted, either way (about 100 years).
pub const MAX_DATE_OFFSET_S: u64 = 100 * 365 * 24 * 60 * 60;

/// How a mock server starts: credentials, seed devices and behaviour settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MockConfig {
    /// The AppKey the device API accepts.
    pub app_key: String,
    /// The Master Secret the device API accepts.
    pub master_secret: String,
    /// Devices in the store at start-up and after every reset.
    pub devices: Vec<Device>,
    /// Requests per second allowed on the device API; `None` means unlimited.
    pub rate_limit_qps: Option<u32>,
    /// The rate limit's kind: `None`, fixed one-second windows; `Some(b)`, a
    /// leaky bucket (as nginx's `limit_req ... burst=b nodelay`).
    pub rate_limit_burst: Option<u32>,
    /// Whether device-API answers carry `X-Rate-Limit-Limit`, `-Remaining`
    /// and `-Reset` (as JPush's do) while a rate limit is set.
    pub rate_limit_headers: bool,
    /// Milliseconds to wait before every device-API answer.
    pub latency_ms: u64,
    /// HTTP status answered for an unknown registration id.
    pub unknown_status: u16,
    /// Body answered for an unknown registration id.
    pub unknown_body: String,
    /// Whether to serve HTTPS with a freshly generated certificate.
    pub tls: bool,
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            app_key: DEFAULT_APP_KEY.to_owned(),
            master_secret: DEFAULT_MASTER_SECRET.to_owned(),
            devices: Vec::new(),
            rate_limit_qps: None,
            rate_limit_burst: None,
            rate_limit_headers: false,
            latency_ms: 0,
            unknown_status: DEFAULT_UNKNOWN_STATUS,
            unknown_body: DEFAULT_UNKNOWN_BODY.to_owned(),
            tls: false,
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        }
    }
}

impl MockConfig {
    /// The settings this configuration starts with (and returns to on reset).
    pub fn settings(&self) -> Settings {
        Settings {
            rate_limit_qps: self.rate_limit_qps,
            rate_limit_burst: self.rate_limit_burst,
            rate_limit_headers: self.rate_limit_headers,
            latency_ms: self.latency_ms,
            unknown_device: UnknownDevice {
                status: self.unknown_status,
                body: self.unknown_body.clone(),
            },
            connect: ConnectAnswer::default(),
            date_offset_s: 0,
            idle_timeout_ms: None,
        }
    }
}

/// A device known to the mock: its registration id with the tags and alias bound to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Device {
    /// The registration id (the `{id}` of `/v4/devices/{id}`, decoded).
    pub registration_id: String,
    /// Tags bound to the device.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Alias bound to the device, if any.
    #[serde(default)]
    pub alias: Option<String>,
    /// The device's platform (`android`, `ios` or `hmos`), if known: an alias
    /// lookup narrowed to platforms lists only devices of those platforms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
}

/// The platforms EngageLab's alias lookup can be narrowed to.
pub const PLATFORMS: [&str; 3] = ["android", "ios", "hmos"];

impl Device {
    /// A device with this registration id, no tags and no alias.
    pub fn new(registration_id: impl Into<String>) -> Self {
        Device {
            registration_id: registration_id.into(),
            tags: Vec::new(),
            alias: None,
            platform: None,
        }
    }

    /// This device with these tags.
    pub fn with_tags<I, T>(mut self, tags: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        self.tags = tags.into_iter().map(Into::into).collect();
        self
    }

    /// This device with this alias.
    pub fn with_alias(mut self, alias: impl Into<String>) -> Self {
        self.alias = Some(alias.into());
        self
    }

    /// This device on this platform (`android`, `ios` or `hmos`).
    pub fn with_platform(mut self, platform: impl Into<String>) -> Self {
        self.platform = Some(platform.into());
        self
    }

    /// Why this device cannot be stored, if it cannot.
    pub fn validate(&self) -> Result<(), String> {
        if self.registration_id.is_empty() {
            return Err("registration_id: must not be empty".to_owned());
        }
        if let Some(p) = &self.platform
            && !PLATFORMS.contains(&p.as_str())
        {
            return Err(format!(
                "platform: {p:?} is not one of {}",
                PLATFORMS.join(", ")
            ));
        }
        Ok(())
    }
}

/// The answer given for a registration id that is not in the store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnknownDevice {
    /// HTTP status.
    pub status: u16,
    /// Body; sent with a JSON content type when not empty.
    #[serde(default)]
    pub body: String,
}

/// How the mock, standing in for an HTTP proxy, answers a `CONNECT`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectAnswer {
    /// The status answered; anything but 200 is sent with an empty body, and
    /// the connection is closed.
    #[serde(default = "ok_status")]
    pub status: u16,
    /// What follows a 200.
    #[serde(default)]
    pub then: Tunnel,
}

impl Default for ConnectAnswer {
    fn default() -> Self {
        ConnectAnswer {
            status: 200,
            then: Tunnel::Serve,
        }
    }
}

fn ok_status() -> u16 {
    200
}

/// What the mock does on a tunnel it opened with a 200.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tunnel {
    /// Serve what follows as plain HTTP requests (the default).
    #[default]
    Serve,
    /// Close the connection at once (a TLS handshake in the tunnel meets an EOF).
    Close,
    /// Read and discard what follows, never answering (a TLS handshake in the
    /// tunnel stalls), until the client closes.
    Stall,
}

/// The behaviour settings in force: start-up values plus control-API overrides.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Settings {
    /// Requests per second allowed on the device API; `None` means unlimited.
    pub rate_limit_qps: Option<u32>,
    /// `None`: fixed one-second windows; `Some(b)`: a leaky bucket with burst `b`.
    pub rate_limit_burst: Option<u32>,
    /// Whether answers carry the `X-Rate-Limit-*` headers.
    pub rate_limit_headers: bool,
    /// Milliseconds to wait before every device-API answer.
    pub latency_ms: u64,
    /// The answer for an unknown registration id.
    pub unknown_device: UnknownDevice,
    /// The answer to a `CONNECT`.
    pub connect: ConnectAnswer,
    /// Seconds added to the real time in the `Date` header of device-API
    /// answers: a server clock ahead (positive) or behind (negative).
    pub date_offset_s: i64,
    /// Milliseconds a kept-alive connection may wait for its next request
    /// before the mock closes it, as a real server's keep-alive timeout does;
    /// `None` (the default) keeps idle connections open.
    pub idle_timeout_ms: Option<u64>,
}

/// Overrides of the settings in force, kept until the next reset; `None` fields keep their value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigUpdate {
    /// New rate limit: `Some(None)` (JSON `null`) removes the limit.
    #[serde(default, deserialize_with = "present")]
    pub rate_limit_qps: Option<Option<u32>>,
    /// New limiter kind: `Some(None)` (JSON `null`), fixed windows;
    /// `Some(Some(b))`, a leaky bucket with burst `b`.
    #[serde(default, deserialize_with = "present")]
    pub rate_limit_burst: Option<Option<u32>>,
    /// Whether answers carry the `X-Rate-Limit-*` headers.
    #[serde(default)]
    pub rate_limit_headers: Option<bool>,
    /// New injected latency in milliseconds.
    #[serde(default)]
    pub latency_ms: Option<u64>,
    /// New answer for an unknown registration id.
    #[serde(default)]
    pub unknown_device: Option<UnknownDevice>,
    /// New answer to a `CONNECT`.
    #[serde(default)]
    pub connect: Option<ConnectAnswer>,
    /// New offset of the `Date` header from the real time, in seconds.
    #[serde(default)]
    pub date_offset_s: Option<i64>,
    /// New keep-alive timeout: `Some(None)` (JSON `null`) keeps idle
    /// connections open.
    #[serde(default, deserialize_with = "present")]
    pub idle_timeout_ms: Option<Option<u64>>,
}

impl ConfigUpdate {
    /// Why this update cannot be applied, if it cannot.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(unknown) = &self.unknown_device {
            check_status(unknown.status).map_err(|e| format!("unknown_device.status: {e}"))?;
        }
        if let Some(connect) = &self.connect {
            check_status(connect.status).map_err(|e| format!("connect.status: {e}"))?;
        }
        if let Some(offset) = self.date_offset_s
            && offset.unsigned_abs() > MAX_DATE_OFFSET_S
        {
            return Err(format!(
                "date_offset_s: {offset} is more than {MAX_DATE_OFFSET_S} seconds away"
            ));
        }
        Ok(())
    }

    /// Applies this update to `settings`.
    pub fn apply_to(&self, settings: &mut Settings) {
        if let Some(qps) = self.rate_limit_qps {
            settings.rate_limit_qps = qps;
        }
        if let Some(burst) = self.rate_limit_burst {
            settings.rate_limit_burst = burst;
        }
        if let Some(headers) = self.rate_limit_headers {
            settings.rate_limit_headers = headers;
        }
        if let Some(latency) = self.latency_ms {
            settings.latency_ms = latency;
        }
        if let Some(unknown) = &self.unknown_device {
            settings.unknown_device = unknown.clone();
        }
        if let Some(connect) = &self.connect {
            settings.connect = connect.clone();
        }
        if let Some(offset) = self.date_offset_s {
            settings.date_offset_s = offset;
        }
        if let Some(idle) = self.idle_timeout_ms {
            settings.idle_timeout_ms = idle;
        }
    }
}

/// Tells a present field (even `null`) from an absent one.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Whether `status` can be sent as a three-digit HTTP status.
pub(crate) fn check_status(status: u16) -> Result<(), String> {
    if (100..=999).contains(&status) {
        Ok(())
    } else {
        Err(format!("{status} is not between 100 and 999"))
    }
}
