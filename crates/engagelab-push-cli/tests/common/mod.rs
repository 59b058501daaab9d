//! Running the `engagelab-push` binary against engagelab-mock.

use engagelab_mock::{DEFAULT_APP_KEY, DEFAULT_MASTER_SECRET};
use std::process::{Command, Output, Stdio};

use engagelab_mock::MockServer;

/// The binary with the mock's credentials in its environment, stdin closed.
pub fn cli(mock: &MockServer, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_engagelab-push"));
    c.args(args)
        .env_clear()
        .env("ENGAGELAB_APP_KEY", DEFAULT_APP_KEY)
        .env("ENGAGELAB_MASTER_SECRET", DEFAULT_MASTER_SECRET)
        .env("ENGAGELAB_BASE_URL", mock.base_url())
        .stdin(Stdio::null());
    c
}

/// Runs the binary to its end.
pub fn run(mock: &MockServer, args: &[&str]) -> Output {
    cli(mock, args).output().expect("binary runs")
}

/// Output bytes as text.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
