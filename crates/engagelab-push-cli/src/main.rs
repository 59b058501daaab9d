//! `engagelab-push`: see the crate's README.
#![forbid(unsafe_code)]

fn main() {
    std::process::exit(engagelab_push_cli::main_with(std::env::args_os()));
}
