//! `contract-check [ROOT]`: validates `ROOT/tests/contract` (ROOT: the
//! workspace, by default) as `cargo xtask lint` does; exits 1 listing every
//! problem.

mod contract;

use std::path::PathBuf;

/// The workspace this crate is in.
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn main() {
    let root = std::env::args_os().nth(1).map_or_else(root, PathBuf::from);
    match contract::check(&root) {
        Ok(()) => println!("tests/contract: every file valid against its schema"),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
