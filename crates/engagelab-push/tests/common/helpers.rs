//! Helpers the integration tests share: a mock with given devices, a client
//! of it with the mock's credentials, what the mock was sent, and JSON-lines
//! files (reports, backups, journals) read back. Used by `bulk.rs`,
//! `erase.rs` and, through `#[path]`, the CLI's `erase_user.rs`.

// Each test crate uses a part of these.
#![allow(dead_code)]

use std::path::Path;

use engagelab_mock::{DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET, Device, MockConfig, MockServer};
use engagelab_push::Client;
use serde_json::Value;

/// A mock holding `devices`, its other settings the defaults.
pub fn mock_with(devices: Vec<Device>) -> MockServer {
    MockServer::start(MockConfig {
        devices,
        ..MockConfig::default()
    })
    .expect("mock starts")
}

/// A client of `mock` with the mock's credentials and default settings.
pub fn client(mock: &MockServer) -> Client {
    Client::builder(DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET)
        .base_url(mock.base_url())
        .build()
        .expect("client builds")
}

/// The mock's log as `METHOD path` lines.
pub fn sent(mock: &MockServer) -> Vec<String> {
    mock.log()
        .into_iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

/// The registration ids the mock was sent a DELETE for, in order.
pub fn deletes(mock: &MockServer) -> Vec<String> {
    mock.log()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.path.trim_start_matches("/v4/devices/").to_owned())
        .collect()
}

/// A JSON-lines file, one value per line.
pub fn json_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("file")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}
