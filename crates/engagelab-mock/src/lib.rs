//! A mock of EngageLab's Push device API, for tests and benchmarks.
//!
//! [`MockServer`] is a real HTTP/1.1 server (optionally HTTPS) on a loopback port that
//! answers `/v4/devices/{registration_id}` and `/v4/aliases/{alias}` like EngageLab, and
//! offers a control API under `/__mock/` to seed devices, script answers and read the
//! request log. The
//! `engagelab-mock` binary serves the same thing for tests written in other languages.
//!
//! ```
//! use engagelab_mock::{Answer, Device, MockConfig, MockServer};
//!
//! let server = MockServer::start(MockConfig {
//!     devices: vec![Device::new("abc").with_tags(["vip"])],
//!     ..MockConfig::default()
//! })?;
//! // The next two requests to /v4/devices/flaky fail, then normal behaviour resumes.
//! server.script("flaky", vec![Answer::status(503), Answer::drop_connection()]);
//! assert!(server.base_url().starts_with("http://127.0.0.1:"));
//! assert_eq!(server.devices(), ["abc"]);
//! assert!(server.log().is_empty());
//! # Ok::<(), std::io::Error>(())
//! ```
#![deny(missing_docs)]

mod config;
mod conn;
mod control;
mod device;
mod http;
mod log;
mod rate;
mod script;
mod server;
mod state;
mod store;
mod tls;

pub use config::{
    ConfigUpdate, ConnectAnswer, DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET, DEFAULT_UNKNOWN_BODY,
    DEFAULT_UNKNOWN_STATUS, Device, MockConfig, PLATFORMS, Settings, Tunnel, UnknownDevice,
};
pub use log::{LOG_CAPACITY, LoggedRequest};
pub use script::{Action, Answer};
pub use server::MockServer;
