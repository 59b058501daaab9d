//! `el_config`: the settings of a client, built into one by `el_client_new`.

use std::ffi::c_char;
use std::time::Duration;

use engagelab::{Client, ClientBuilder, Error, Region};

use crate::args;
use crate::error::el_error;
use crate::panic;
use crate::status::el_status;

/// The settings of a client (opaque). Create with `el_config_new`, change with
/// the `el_config_set_*` functions, turn into clients with `el_client_new`
/// (as many as wanted), free with `el_config_free`.
///
/// Setters check only what C must (NULL, UTF-8); everything else is checked by
/// `el_client_new`, which reports it with a full `el_error`.
///
/// Threads: a config may be used from one thread at a time while it is being
/// changed; once no setter runs, any number of threads may call
/// `el_client_new` on it at once.
pub struct el_config {
    builder: ClientBuilder,
    /// The region name as given, parsed by the core in `el_client_new`, so that
    /// an unknown name is reported there with the core's message.
    region: Option<String>,
}

impl el_config {
    /// Applies one builder setting; the config changes only if `f` returns.
    fn update(&mut self, f: impl FnOnce(ClientBuilder) -> ClientBuilder) {
        self.builder = f(self.builder.clone());
    }

    /// Builds a client from these settings; every check is the core's.
    pub(crate) fn build(&self) -> Result<Client, Error> {
        let mut builder = self.builder.clone();
        if let Some(name) = &self.region {
            builder = builder.region(name.parse::<Region>()?);
        }
        builder.build()
    }
}

/// Milliseconds as a duration.
fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

/// Runs a builder setter on `config`, reporting a NULL config or a panic.
///
/// # Safety
/// `config` must be NULL or a live config that no other thread uses;
/// `out_error` NULL or valid for writing an `el_error`.
unsafe fn set(
    config: *mut el_config,
    out_error: *mut el_error,
    apply: impl FnOnce(ClientBuilder) -> ClientBuilder,
) -> el_status {
    let result = panic::catch("a setter", || {
        // SAFETY: the caller guarantees `config` is NULL or a live config
        // that no other thread uses.
        let config = unsafe { args::object_mut(config, "config") }?;
        config.update(apply);
        Ok(())
    });
    // SAFETY: the caller guarantees `out_error` is NULL or writable.
    unsafe { panic::report(out_error, result) }
}

/// Runs a setter taking a C string `value` named `name`, reporting a NULL
/// config or value, a value that is not UTF-8, or a panic.
///
/// # Safety
/// `config` must be NULL or a live config that no other thread uses; `value`
/// NULL or a NUL-terminated string; `out_error` NULL or valid for writing an
/// `el_error`.
unsafe fn set_text(
    config: *mut el_config,
    value: *const c_char,
    name: &str,
    out_error: *mut el_error,
    apply: impl FnOnce(&mut el_config, &str),
) -> el_status {
    let result = panic::catch("a setter", || {
        // SAFETY: the caller guarantees `config` is NULL or a live config
        // that no other thread uses.
        let config = unsafe { args::object_mut(config, "config") }?;
        // SAFETY: the caller guarantees `value` is NULL or NUL-terminated.
        let value = unsafe { args::text(value, name) }?;
        apply(config, value);
        Ok(())
    });
    // SAFETY: the caller guarantees `out_error` is NULL or writable.
    unsafe { panic::report(out_error, result) }
}

/// Creates a config with the app's AppKey and Master Secret and default
/// settings: region `EL_DEFAULT_REGION`, overall timeout
/// `EL_DEFAULT_TIMEOUT_MS`, connect timeout `EL_DEFAULT_CONNECT_TIMEOUT_MS`,
/// `EL_DEFAULT_MAX_RETRIES` retries, backoff `EL_DEFAULT_BACKOFF_BASE_MS` to
/// `EL_DEFAULT_BACKOFF_MAX_MS`, server hints honoured up to
/// `EL_DEFAULT_MAX_RETRY_AFTER_MS`, User-Agent `engagelab-push/VERSION`, no
/// proxy.
///
/// The credentials are copied and checked only by `el_client_new` (so an empty
/// or malformed one is reported there, with a message).
///
/// Ownership: on success `*out_config` receives a new config owned by the
/// caller, to be freed with `el_config_free`. On failure `*out_config` is not
/// written. The strings are copied; the caller keeps them.
/// NULL: any NULL argument gives `EL_INVALID_ARGUMENT`, as does a string that
/// is not UTF-8.
/// Threads: safe to call from any thread.
///
/// # Safety
/// `app_key` and `master_secret` must be NULL or NUL-terminated strings;
/// `out_config` must be NULL or valid for writing a pointer; `out_error` NULL
/// or valid for writing an `el_error`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_config_new(
    app_key: *const c_char,
    master_secret: *const c_char,
    out_config: *mut *mut el_config,
    out_error: *mut el_error,
) -> el_status {
    let result = panic::catch("el_config_new", || {
        // SAFETY: the caller guarantees both are NULL or NUL-terminated strings.
        let app_key = unsafe { args::text(app_key, "app_key") }?;
        // SAFETY: as above.
        let master_secret = unsafe { args::text(master_secret, "master_secret") }?;
        let out = args::out(out_config, "out_config")?;
        let config = Box::new(el_config {
            builder: Client::builder(app_key, master_secret),
            region: None,
        });
        // SAFETY: `out` is not NULL and the caller guarantees it is writable.
        unsafe { out.write(Box::into_raw(config)) };
        Ok(())
    });
    // SAFETY: the caller guarantees `out_error` is NULL or writable.
    unsafe { panic::report(out_error, result) }
}

/// Creates a config from the environment, as the Rust core's
/// `ClientBuilder::from_env`: `ENGAGELAB_APP_KEY`, `ENGAGELAB_MASTER_SECRET`,
/// and optionally `ENGAGELAB_REGION` (one of `EL_REGIONS`) or
/// `ENGAGELAB_BASE_URL` (not both). Other settings may then be changed with
/// the setters before `el_client_new`.
///
/// Ownership: on success `*out_config` receives a new config owned by the
/// caller, to be freed with `el_config_free`; on failure it is not written.
/// NULL: `out_config` NULL gives `EL_INVALID_ARGUMENT`. A missing or wrong
/// variable gives `EL_INVALID_ARGUMENT` naming it, in `*out_error` (which may
/// be NULL).
/// Threads: reads the environment; do not call it while another thread
/// changes the environment.
///
/// # Safety
/// `out_config` must be NULL or valid for writing a pointer; `out_error` NULL
/// or valid for writing an `el_error`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_config_from_env(
    out_config: *mut *mut el_config,
    out_error: *mut el_error,
) -> el_status {
    let result = panic::catch("el_config_from_env", || {
        let out = args::out(out_config, "out_config")?;
        let config = Box::new(el_config {
            builder: ClientBuilder::from_env()?,
            region: None,
        });
        // SAFETY: `out` is not NULL and the caller guarantees it is writable.
        unsafe { out.write(Box::into_raw(config)) };
        Ok(())
    });
    // SAFETY: the caller guarantees `out_error` is NULL or writable.
    unsafe { panic::report(out_error, result) }
}

/// Sets the data center by its short name, one of `EL_REGIONS` (default
/// `EL_DEFAULT_REGION`), ignoring ASCII case. A base URL, if set,
/// overrides it. An unknown name is reported by `el_client_new`.
///
/// Ownership: the string is copied. NULL: `config` or `region` NULL, or
/// `region` not UTF-8, gives `EL_INVALID_ARGUMENT`
/// (described in `*out_error`, which may be NULL) and changes nothing.
/// Threads: not while another thread uses `config`.
///
/// # Safety
/// `config` must be NULL or a live config; `region` NULL or a NUL-terminated string;
/// `out_error` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_config_set_region(
    config: *mut el_config,
    region: *const c_char,
    out_error: *mut el_error,
) -> el_status {
    // SAFETY: forwarded from this function's # Safety section.
    unsafe {
        set_text(config, region, "region", out_error, |c, v| {
            c.region = Some(v.to_owned())
        })
    }
}

/// Sets a custom base URL (a proxy, a legacy host, a test server), e.g.
/// `"https://push.api.engagelab.cc"`; it overrides the region. Plain
/// `http://` is accepted only to loopback (through a proxy, only one on
/// loopback) unless `el_config_set_allow_insecure_http`. Checked by `el_client_new`.
///
/// Ownership: the string is copied. NULL: `config` or `base_url` NULL, or
/// `base_url` not UTF-8, gives `EL_INVALID_ARGUMENT`
/// (described in `*out_error`, which may be NULL) and changes nothing.
/// Threads: not while another thread uses `config`.
///
/// # Safety
/// `config` must be NULL or a live config; `base_url` NULL or a NUL-terminated string;
/// `out_error` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_config_set_base_url(
    config: *mut el_config,
    base_url: *const c_char,
    out_error: *mut el_error,
) -> el_status {
    // SAFETY: forwarded from this function's # Safety section.
    unsafe {
        set_text(config, base_url, "base_url", out_error, |c, v| {
            c.update(|b| b.base_url(v))
        })
    }
}

/// Sets the overall deadline of one call, retries and waits included, in
/// milliseconds (default `EL_DEFAULT_TIMEOUT_MS`). 0 is reported by `el_client_new`.
///
/// NULL: `config` NULL gives `EL_INVALID_ARGUMENT`, described in `*out_error`
/// (which may be NULL).
/// Threads: not while another thread uses `config`.
///
/// # Safety
/// `config` must be NULL or a live config; `out_error` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_config_set_timeout_ms(
    config: *mut el_config,
    timeout_ms: u64,
    out_error: *mut el_error,
) -> el_status {
    // SAFETY: forwarded from this function's # Safety section.
    unsafe { set(config, out_error, |b| b.timeout(ms(timeout_ms))) }
}

/// Sets the longest wait for one connection to be set up, TLS included, in
/// milliseconds (default `EL_DEFAULT_CONNECT_TIMEOUT_MS`). 0 is reported by `el_client_new`.
///
/// NULL: `config` NULL gives `EL_INVALID_ARGUMENT`, described in `*out_error`
/// (which may be NULL).
/// Threads: not while another thread uses `config`.
///
/// # Safety
/// `config` must be NULL or a live config; `out_error` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_config_set_connect_timeout_ms(
    config: *mut el_config,
    timeout_ms: u64,
    out_error: *mut el_error,
) -> el_status {
    // SAFETY: forwarded from this function's # Safety section.
    unsafe { set(config, out_error, |b| b.connect_timeout(ms(timeout_ms))) }
}

/// Sets how many times a failure the error model calls transient (rate
/// limiting, server errors, some connection failures and timeouts) is retried
/// after the first attempt (default `EL_DEFAULT_MAX_RETRIES`); 0 turns retries off.
///
/// NULL: `config` NULL gives `EL_INVALID_ARGUMENT`, described in `*out_error`
/// (which may be NULL).
/// Threads: not while another thread uses `config`.
///
/// # Safety
/// `config` must be NULL or a live config; `out_error` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_config_set_max_retries(
    config: *mut el_config,
    max_retries: u32,
    out_error: *mut el_error,
) -> el_status {
    // SAFETY: forwarded from this function's # Safety section.
    unsafe { set(config, out_error, |b| b.max_retries(max_retries)) }
}

/// Sets the backoff before the first retry (`base_ms`), doubled for each later
/// one up to `max_ms`, each wait drawn at random below it (defaults
/// `EL_DEFAULT_BACKOFF_BASE_MS` and `EL_DEFAULT_BACKOFF_MAX_MS`). `base_ms > max_ms` is reported by `el_client_new`.
///
/// NULL: `config` NULL gives `EL_INVALID_ARGUMENT`, described in `*out_error`
/// (which may be NULL).
/// Threads: not while another thread uses `config`.
///
/// # Safety
/// `config` must be NULL or a live config; `out_error` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_config_set_backoff_ms(
    config: *mut el_config,
    base_ms: u64,
    max_ms: u64,
    out_error: *mut el_error,
) -> el_status {
    // SAFETY: forwarded from this function's # Safety section.
    unsafe { set(config, out_error, |b| b.backoff(ms(base_ms), ms(max_ms))) }
}

/// Sets the longest server hint (`Retry-After`, `X-Rate-Limit-Reset`) waited
/// for as given, in milliseconds; longer hints are cut to it (default
/// `EL_DEFAULT_MAX_RETRY_AFTER_MS`).
/// Waits never pass the overall deadline.
///
/// NULL: `config` NULL gives `EL_INVALID_ARGUMENT`, described in `*out_error`
/// (which may be NULL).
/// Threads: not while another thread uses `config`.
///
/// # Safety
/// `config` must be NULL or a live config; `out_error` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_config_set_max_retry_after_ms(
    config: *mut el_config,
    max_retry_after_ms: u64,
    out_error: *mut el_error,
) -> el_status {
    // SAFETY: forwarded from this function's # Safety section.
    unsafe {
        set(config, out_error, |b| {
            b.max_retry_after(ms(max_retry_after_ms))
        })
    }
}

/// Sets the User-Agent header (default `engagelab-push/VERSION`). Checked by
/// `el_client_new` (1 to 256 bytes of printable text).
///
/// Ownership: the string is copied. NULL: `config` or `user_agent` NULL, or
/// `user_agent` not UTF-8, gives `EL_INVALID_ARGUMENT`
/// (described in `*out_error`, which may be NULL) and changes nothing.
/// Threads: not while another thread uses `config`.
///
/// # Safety
/// `config` must be NULL or a live config; `user_agent` NULL or a NUL-terminated string;
/// `out_error` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_config_set_user_agent(
    config: *mut el_config,
    user_agent: *const c_char,
    out_error: *mut el_error,
) -> el_status {
    // SAFETY: forwarded from this function's # Safety section.
    unsafe {
        set_text(config, user_agent, "user_agent", out_error, |c, v| {
            c.update(|b| b.user_agent(v))
        })
    }
}

/// Sets a proxy URL (`http://` or `https://`; SOCKS is refused; user info
/// allowed, and never shown in messages). Without it no proxy is used:
/// `HTTP_PROXY`, `HTTPS_PROXY` and `ALL_PROXY` are deliberately ignored.
/// Checked by `el_client_new`.
///
/// Ownership: the string is copied. NULL: `config` or `proxy_url` NULL, or
/// `proxy_url` not UTF-8, gives `EL_INVALID_ARGUMENT`
/// (described in `*out_error`, which may be NULL) and changes nothing.
/// Threads: not while another thread uses `config`.
///
/// # Safety
/// `config` must be NULL or a live config; `proxy_url` NULL or a NUL-terminated string;
/// `out_error` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_config_set_proxy(
    config: *mut el_config,
    proxy_url: *const c_char,
    out_error: *mut el_error,
) -> el_status {
    // SAFETY: forwarded from this function's # Safety section.
    unsafe {
        set_text(config, proxy_url, "proxy_url", out_error, |c, v| {
            c.update(|b| b.proxy(v))
        })
    }
}

/// Sets a PEM file of extra root certificates, trusted beside the built-in
/// Mozilla roots (a corporate proxy's CA, a test server's CA). The file is
/// read by `el_client_new`, which reports a missing or malformed one.
///
/// Ownership: the path is copied. NULL: `config` or `pem_path` NULL, or
/// `pem_path` not UTF-8, gives `EL_INVALID_ARGUMENT`
/// (described in `*out_error`, which may be NULL) and changes nothing.
/// Threads: not while another thread uses `config`.
///
/// # Safety
/// `config` must be NULL or a live config; `pem_path` NULL or a NUL-terminated string;
/// `out_error` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_config_set_ca_file(
    config: *mut el_config,
    pem_path: *const c_char,
    out_error: *mut el_error,
) -> el_status {
    // SAFETY: forwarded from this function's # Safety section.
    unsafe {
        set_text(config, pem_path, "pem_path", out_error, |c, v| {
            c.update(|b| b.ca_file(v))
        })
    }
}

/// Allows (`true`) plain `http://` base URLs to hosts that are not loopback,
/// or through a proxy that is not (default `false`). Credentials then travel unencrypted.
///
/// NULL: `config` NULL gives `EL_INVALID_ARGUMENT`, described in `*out_error`
/// (which may be NULL).
/// Threads: not while another thread uses `config`.
///
/// # Safety
/// `config` must be NULL or a live config; `out_error` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_config_set_allow_insecure_http(
    config: *mut el_config,
    allow: bool,
    out_error: *mut el_error,
) -> el_status {
    // SAFETY: forwarded from this function's # Safety section.
    unsafe { set(config, out_error, |b| b.allow_insecure_http(allow)) }
}

/// Frees a config made by `el_config_new`. Clients built from it stay valid.
///
/// Ownership: takes `config` back; do not use it afterwards.
/// NULL: a no-op.
/// Threads: not while another thread uses `config`.
///
/// # Safety
/// `config` must be NULL or a config from `el_config_new` not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn el_config_free(config: *mut el_config) {
    panic::guard_void(|| {
        if !config.is_null() {
            // SAFETY: the caller guarantees `config` came from `el_config_new`
            // (Box::into_raw) and is freed only once.
            drop(unsafe { Box::from_raw(config) });
        }
    });
}
