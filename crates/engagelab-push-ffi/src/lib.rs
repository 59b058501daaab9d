//! The C ABI of engagelab-push: `libengagelab_push.{so,a}` and the header
//! `include/engagelab_push.h`, generated from this crate by cbindgen.
//!
//! This layer maps, it never decides: validation, error categories, messages
//! and retries all come from the core crate. It adds only what C needs: NULL
//! and UTF-8 checks on its arguments, a caller-owned error record, opaque
//! handles with `_new`/`_free` pairs, and a panic guard around every body.
//!
//! Conventions (after rustls-ffi):
//! - every symbol is prefixed `el_`; `_free(NULL)` is a no-op;
//! - arguments: the object, then inputs, then outputs;
//! - every fallible call returns a stable status code (`el_status`, never
//!   reused) and writes its outputs only on success (a bulk run's summary
//!   and an erasure also when it was refused or stopped, as their functions
//!   say); `el_error` is written only on failure;
//! - a panic never crosses into C: it becomes `EL_INTERNAL`.
//!
//! This is the only crate of the workspace with `unsafe` code; every block
//! says why it is sound.
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]
// C naming for the C API: `el_client`, `el_error`, `EL_OK`.
#![allow(non_camel_case_types)]

// Declaration order is the header's order.
mod alias;
mod args;
mod background;
mod background_runs;
mod bulk;
mod cancel;
mod check;
mod client;
mod config;
mod describe;
mod device;
mod erase;
mod error;
mod panic;
pub mod settings;
mod status;
mod status_code;
mod text;
mod version;

pub use alias::{
    el_get_alias, el_get_alias_with, el_id_list, el_id_list_count, el_id_list_free, el_id_list_get,
};
pub use background::{
    el_alias_done_fn, el_delete_device_async, el_delete_done_fn, el_device_done_fn,
    el_get_alias_async, el_get_device_async,
};
pub use background_runs::{
    el_bulk_done_fn, el_check_async, el_check_done_fn, el_delete_devices_async,
    el_delete_devices_from_file_async, el_erase_users_async, el_erasure_done_fn,
};
pub use bulk::{
    EL_BULK_STOPPED_LEN, el_bulk_confirm_fn, el_bulk_error, el_bulk_options, el_bulk_plan,
    el_bulk_progress, el_bulk_progress_fn, el_bulk_resolved_fn, el_bulk_summary, el_delete_devices,
    el_delete_devices_from_file,
};
pub use cancel::{
    el_call_options, el_cancel, el_cancel_cancel, el_cancel_check_fn, el_cancel_free,
    el_cancel_is_cancelled, el_cancel_new, el_cancel_new_with_check,
};
pub use check::{
    el_check, el_check_options, el_check_report, el_check_report_address, el_check_report_base_url,
    el_check_report_finding_code, el_check_report_finding_message, el_check_report_free,
    el_check_report_json, el_check_report_summary, el_check_report_tls_version, el_check_summary,
};
pub use client::{
    el_client, el_client_free, el_client_new, el_delete_device, el_delete_device_with,
};
pub use config::{
    el_config, el_config_free, el_config_from_env, el_config_new,
    el_config_set_allow_insecure_http, el_config_set_backoff_ms, el_config_set_base_url,
    el_config_set_ca_file, el_config_set_connect_timeout_ms, el_config_set_max_retries,
    el_config_set_max_retry_after_ms, el_config_set_proxy, el_config_set_region,
    el_config_set_timeout_ms, el_config_set_user_agent,
};
pub use describe::el_client_describe;
pub use device::{
    el_device, el_device_alias, el_device_free, el_device_raw_json, el_device_registration_id,
    el_device_tag, el_device_tag_count, el_get_device, el_get_device_with,
};
pub use erase::{
    el_erase_users, el_erasure, el_erasure_alias, el_erasure_free, el_erasure_is_success,
    el_erasure_registration_ids, el_erasure_still_bound, el_erasure_summary, el_erasure_user_count,
    el_erasure_verify_error,
};
pub use error::{EL_ERROR_MESSAGE_LEN, el_error, el_error_describe};
pub use status::{el_status, el_status_name};

pub use version::{EL_VERSION_MAJOR, EL_VERSION_MINOR, EL_VERSION_PATCH, el_version};
