//! The `engagelab-push` command: delete EngageLab devices safely from a
//! shell. The same code runs as the Rust binary and as the Python package's
//! console script; see the crate's README.
#![forbid(unsafe_code)]

#[macro_use]
mod out;

mod args;
mod check;
mod connect;
mod delete;
mod erase;
mod fail;
mod get;
mod progress;
mod session;
mod stdin;

use std::ffi::OsString;
use std::panic::{AssertUnwindSafe, catch_unwind};

use clap::Parser;

pub use fail::{FAILED, INTERRUPTED, OK, REFUSED, USAGE, WRITE_FAILED};

/// Runs the command line `args` (the program name first) with the process's
/// environment, and returns the exit code: 0 every id deleted or not found
/// (erasing users: and no device still bound), 1 some failed or the run
/// stopped on a failure every id would get, 2 a usage or configuration error
/// (nothing sent), 3 the guard or the confirmation refused, 4 stopped because
/// a file could not be written, 130 interrupted. Errors are one line on standard
/// error; a panic is reported in one line too, never with a backtrace.
pub fn main_with(args: impl IntoIterator<Item = OsString>) -> i32 {
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        say!("engagelab-push: internal error{place} (a bug; please report it)");
    }));
    let args: Vec<OsString> = args.into_iter().collect();
    match catch_unwind(AssertUnwindSafe(|| run(args))) {
        Ok(code) => code,
        Err(_) => FAILED,
    }
}

/// Clap's error in one line: its first line, and the indented lines right
/// after it, which name what is missing ("the following required arguments
/// were not provided:" then "  <ID>..."); not the usage and tips after a
/// blank line.
fn one_line(e: &clap::Error) -> String {
    // No subcommand: clap shows the whole help, whose first line is the
    // description, not what is wrong.
    if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        return "a command is required: delete, get, erase-user or check".to_owned();
    }
    let text = e.render().to_string();
    let mut lines = text.lines();
    let first = lines.next().unwrap_or("bad arguments");
    let mut line = first.strip_prefix("error: ").unwrap_or(first).to_owned();
    for more in lines.take_while(|l| l.starts_with(' ') && !l.trim().is_empty()) {
        line.push(' ');
        line.push_str(more.trim());
    }
    line
}

/// The environment variables the commands read.
const ENV_VARIABLES: [&str; 5] = [
    "ENGAGELAB_APP_KEY",
    "ENGAGELAB_MASTER_SECRET",
    "ENGAGELAB_REGION",
    "ENGAGELAB_BASE_URL",
    "ENGAGELAB_CHECK_REGION_URLS",
];

fn run(args: Vec<OsString>) -> i32 {
    let cli = match args::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return OK;
        }
        Err(e) => {
            say!("engagelab-push: error: {} (see --help)", one_line(&e));
            return USAGE;
        }
    };
    // A variable set to bytes that are not UTF-8 is refused, not taken as
    // unset: an unreadable ENGAGELAB_BASE_URL must not send a run to the
    // default region, nor an unreadable secret read as missing.
    for name in ENV_VARIABLES {
        if let Err(std::env::VarError::NotUnicode(_)) = std::env::var(name) {
            say!("engagelab-push: error: {name} is not valid UTF-8");
            return USAGE;
        }
    }
    let env = |name: &str| std::env::var(name).ok();
    let result = match cli.command {
        args::Command::Delete(a) => delete::run(a, &env),
        args::Command::Get(a) => get::run(a, &env),
        args::Command::EraseUser(a) => erase::run(a, &env),
        args::Command::Check(a) => check::run(a, &env),
    };
    match result {
        Ok(code) => code,
        Err(f) => {
            say!("engagelab-push: error: {}", f.message);
            f.code
        }
    }
}
