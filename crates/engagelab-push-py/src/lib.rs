//! `engagelab_push._engagelab_push`: the native half of the `engagelab_push`
//! Python package.
//!
//! This crate only maps: Python arguments to a [`engagelab_push::ClientBuilder`],
//! and [`engagelab_push::Error`] to the exception classes defined in
//! `python/engagelab_push/exceptions.py`. Validation, error categories and
//! retries are decided by the core crate.
//!
//! Every entry point runs inside [`guard::no_panic`], so a Rust panic reaches
//! Python as `engagelab_push.InternalError`, never as pyo3's `PanicException`.
#![forbid(unsafe_code)]

mod aio;
mod bulk;
mod check;
mod cli;
mod client;
mod convert;
mod device;
mod erase;
mod errors;
mod guard;
mod interrupt;

use pyo3::prelude::*;

/// The native module; `engagelab_push/__init__.py` re-exports what it needs.
#[pymodule]
mod _engagelab_push {
    #[pymodule_export]
    use crate::client::Client;

    #[pymodule_export]
    use crate::aio::{_at_exit, Call};

    #[pymodule_export]
    use crate::bulk::BulkSummary;

    #[pymodule_export]
    use crate::device::Device;

    #[pymodule_export]
    use crate::check::CheckReport;

    #[pymodule_export]
    use crate::erase::{EraseSummary, ErasedUser};

    /// The version of the Rust crates, single-sourced from Cargo.toml.
    #[pymodule_export]
    #[allow(non_upper_case_globals)]
    const __version__: &str = engagelab_push::VERSION;

    #[pymodule_export]
    use crate::guard::_panic_for_tests;

    #[pymodule_export]
    use crate::cli::_cli_main;
}
