//! `cargo xtask`: the project's tooling, in Rust rather than shell.
//!
//! `cargo xtask gen [--check]` writes (or checks) every file generated from
//! `spec/error-model.toml`.

mod bindings;
mod clib;
mod generate;

use std::path::PathBuf;
use std::process::ExitCode;

/// The workspace root (this crate lives in `crates/xtask`).
pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root exists")
}

const USAGE: &str = "usage: cargo xtask <command>

commands:
  gen [--check]   write the files generated from spec/error-model.toml
                  (--check: fail if any is stale instead of writing)
  lib [--release] build the C library into target/PROFILE/lib/ as it ships:
                  libengagelab_push.so.VERSION, its SONAME and dev links, .a
  binding LANG test|demo
                  run a language binding's tests or demo (bindings/LANG)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["gen"] => generate::run(false),
        ["gen", "--check"] => generate::run(true),
        ["lib"] => clib::build(false).map(|dir| println!("{}", dir.display())),
        ["binding", language, action] => bindings::main(language, action),
        ["lib", "--release"] => clib::build(true).map(|dir| println!("{}", dir.display())),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
