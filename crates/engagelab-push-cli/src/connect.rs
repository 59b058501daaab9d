//! The client: credentials from the environment or a file, never argv.

use std::path::Path;
use std::time::Duration;

use engagelab_push::{Client, ClientBuilder, Region};

use crate::args::Connection;
use crate::fail::Failure;

/// Builds the client from the environment and the connection flags.
pub fn client(c: &Connection, env: &dyn Fn(&str) -> Option<String>) -> Result<Client, Failure> {
    let b = targeted(settings(c, env)?, c, env)?;
    b.build().map_err(|e| Failure::usage(e.to_string()))
}

/// The builder with the credentials and every connection setting but the
/// region or base URL.
pub fn settings(
    c: &Connection,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ClientBuilder, Failure> {
    let get = |name: &str| env(name).filter(|v| !v.is_empty());
    let app_key =
        get("ENGAGELAB_APP_KEY").ok_or_else(|| Failure::usage("ENGAGELAB_APP_KEY is not set"))?;
    let secret = match &c.master_secret_file {
        Some(path) => read_secret(path)?,
        None => get("ENGAGELAB_MASTER_SECRET").ok_or_else(|| {
            Failure::usage("ENGAGELAB_MASTER_SECRET is not set (or use --master-secret-file)")
        })?,
    };
    let mut b = Client::builder(app_key, secret);
    if let Some(pem) = &c.ca_file {
        b = b.ca_file(pem);
    }
    if let Some(p) = &c.proxy {
        b = b.proxy(p);
    }
    if let Some(t) = c.timeout {
        if !(t.is_finite() && t > 0.0 && t <= 86_400.0) {
            return Err(Failure::usage(
                "--timeout must be more than 0 and at most 86400 seconds",
            ));
        }
        b = b.timeout(Duration::from_secs_f64(t));
    }
    Ok(b)
}

/// `b` aimed at the region or base URL of the flags, else of the environment.
fn targeted(
    mut b: ClientBuilder,
    c: &Connection,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ClientBuilder, Failure> {
    let get = |name: &str| env(name).filter(|v| !v.is_empty());
    // A flag wins over the environment; the two variables must not both be set.
    let (region, base_url) = match (&c.region, &c.base_url) {
        (Some(r), _) => (Some(r.clone()), None),
        (None, Some(u)) => (None, Some(u.clone())),
        (None, None) => match (get("ENGAGELAB_REGION"), get("ENGAGELAB_BASE_URL")) {
            (Some(_), Some(_)) => {
                return Err(Failure::usage(
                    "set ENGAGELAB_REGION or ENGAGELAB_BASE_URL, not both",
                ));
            }
            pair => pair,
        },
    };
    if let Some(r) = region {
        let r: Region = r.parse().map_err(|e: engagelab_push::Error| {
            Failure::usage(format!("region: {}", e.message()))
        })?;
        b = b.region(r);
    }
    if let Some(url) = base_url {
        b = b.base_url(url);
    }
    Ok(b)
}

fn read_secret(path: &Path) -> Result<String, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::usage(format!(
            "cannot read --master-secret-file {}: {e}",
            path.display()
        ))
    })?;
    // A byte-order mark (a file saved by Notepad) is no part of the secret.
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let secret = text.lines().next().unwrap_or("").trim().to_owned();
    if secret.is_empty() {
        return Err(Failure::usage(format!(
            "--master-secret-file {} is empty",
            path.display()
        )));
    }
    Ok(secret)
}

/// Where calls go, for the confirmation prompt: the region's name or the
/// base URL.
pub fn target(client: &Client) -> String {
    match client.region() {
        Some(r) => format!("region {} ({})", r.name(), client.base_url()),
        None => client.base_url().to_owned(),
    }
}
