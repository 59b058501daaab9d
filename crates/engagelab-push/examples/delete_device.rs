//! Deletes the device given as the first argument, with credentials from the
//! environment (`ENGAGELAB_APP_KEY`, `ENGAGELAB_MASTER_SECRET`, optional
//! `ENGAGELAB_REGION` or `ENGAGELAB_BASE_URL`).
//!
//! ```sh
//! cargo run -p engagelab-push --example delete_device -- 1a0018970a5c4e0b
//! ```

use std::process::ExitCode;

use engagelab_push::Client;

fn main() -> ExitCode {
    let Some(id) = std::env::args().nth(1) else {
        eprintln!("usage: delete_device REGISTRATION_ID");
        return ExitCode::from(2);
    };
    let result = Client::from_env().and_then(|client| client.delete_device(&id));
    match result {
        Ok(()) => {
            println!("rust: deleted {id}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("rust: {id} not deleted ({}): {e}", e.kind());
            if e.maybe_deleted() {
                eprintln!("rust: check before retrying: an attempt may already have deleted it");
            }
            ExitCode::FAILURE
        }
    }
}
