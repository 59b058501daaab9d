//! `_cli_main`: the `engagelab-push` console script of the Python package
//! runs the Rust CLI compiled into this module, not a second implementation.

use std::ffi::OsString;

use pyo3::prelude::*;

/// Runs the `engagelab-push` command line `argv` (program name first) with
/// the GIL released and returns its exit code. Private; the console script
/// `engagelab_push._cli:main` calls it.
#[pyfunction]
pub(crate) fn _cli_main(py: Python<'_>, argv: Vec<String>) -> i32 {
    let args: Vec<OsString> = argv.into_iter().map(OsString::from).collect();
    py.detach(|| engagelab_push_cli::main_with(args))
}
