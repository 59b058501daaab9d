//! A client for EngageLab's Push REST API, built to delete devices exactly and
//! safely: `DELETE /v4/devices/{registration_id}`, and to query them first:
//! `GET /v4/devices/{registration_id}` ([`Client::get_device`]). A user is
//! erased by alias: `GET /v4/aliases/{alias}` ([`Client::get_alias`]) finds
//! the user's devices, and [`Client::erase_user`] deletes them and checks.
//!
//! Deleting a device is irreversible: it removes the device's tags, alias,
//! device information and timezone, and it only receives messages again once
//! the app's SDK re-initialises. Before deleting, query the tags and alias bound
//! to the id ([`Client::get_device`]), check the audience, and never delete all
//! users.
//!
//! ```no_run
//! use engagelab_push::{Client, ErrorKind, Region};
//!
//! let client = Client::builder("my-app-key", "my-master-secret")
//!     .region(Region::Singapore)
//!     .build()?;
//! if let Err(e) = client.delete_device("1a0018970a5c4e0b") {
//!     eprintln!("{e}");
//!     if e.maybe_deleted() {
//!         eprintln!("an earlier attempt may already have deleted it");
//!     }
//!     assert_ne!(e.kind(), ErrorKind::Internal);
//! }
//! # Ok::<(), engagelab_push::Error>(())
//! ```
//!
//! What the client guarantees:
//! - the id is checked and sent as one escaped path segment, so no id reaches
//!   another endpoint;
//! - connections are pooled and kept alive; redirects are never followed;
//!   certificates are always verified; proxies only when configured;
//! - bodies are read up to [`MAX_BODY_BYTES`]; one overall deadline covers
//!   every attempt and wait;
//! - only failures the error model calls transient are retried;
//! - neither the Master Secret nor the Authorization header appears in any
//!   `Debug` output or error.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod alias;
mod answer;
mod background;
mod builder;
mod bulk;
mod ca_file;
mod call;
mod cancel;
mod check;
mod client;
mod device;
mod error;
mod error_kind;
mod options;
mod platform;
mod pool;
mod quota;
mod region;
mod resolver;
mod retry;
mod secret;
pub mod settings;
mod tcp;
mod tls_version;
mod transport;
mod validate;
mod wait;

#[cfg(test)]
mod proptests;

// The crate README's example (the crates.io page) compiles: a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctest;

pub use builder::{
    ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, DEFAULT_USER_AGENT, MAX_DURATION,
};
pub use bulk::{
    BulkDelete, BulkError, BulkErrorKind, BulkInput, BulkSummary, CANCEL_GRACE, Counts,
    DEFAULT_MAX_DELETIONS, DEFAULT_QPS, DEFAULT_STALL_TIMEOUT, ErasedUser, Erasure,
    MAX_CONCURRENCY, MAX_LINE_BYTES, MAX_SAME_FAILURES, Outcome, PROGRESS_INTERVAL, Plan, Progress,
    same_file,
};
pub use ca_file::MAX_CA_FILE_BYTES;
pub use cancel::{CANCEL_CHECK_INTERVAL, CancelToken};
pub use check::{CheckOptions, CheckReport, Finding, Probe, ProbeKind};
pub use client::Client;
pub use device::Device;
pub use error::{Error, ErrorKind};
pub use options::CallOptions;
pub use platform::Platform;
pub use retry::{
    DEFAULT_BACKOFF_BASE, DEFAULT_BACKOFF_MAX, DEFAULT_MAX_RETRIES, DEFAULT_MAX_RETRY_AFTER,
};
pub use settings::Region;
pub use transport::{MAX_BODY_BYTES, MAX_LIST_BODY_BYTES};
pub use validate::{
    MAX_ALIAS_LEN, MAX_CREDENTIAL_LEN, MAX_REGISTRATION_ID_LEN, MAX_USER_AGENT_LEN,
};

/// This crate's version, e.g. `"0.1.0"`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
