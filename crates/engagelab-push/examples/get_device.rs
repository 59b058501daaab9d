//! Queries the device given as the first argument and prints EngageLab's
//! answer exactly as it came (what a backup keeps), with credentials from the
//! environment (`ENGAGELAB_APP_KEY`, `ENGAGELAB_MASTER_SECRET`, optional
//! `ENGAGELAB_REGION` or `ENGAGELAB_BASE_URL`). Query before deleting.
//!
//! ```sh
//! cargo run -p engagelab-push --example get_device -- 1a0018970a5c4e0b
//! ```

use std::process::ExitCode;

use engagelab_push::Client;

fn main() -> ExitCode {
    let Some(id) = std::env::args().nth(1) else {
        eprintln!("usage: get_device REGISTRATION_ID");
        return ExitCode::from(2);
    };
    match Client::from_env().and_then(|client| client.get_device(&id)) {
        Ok(device) => {
            eprintln!(
                "rust: {id}: {} tags, alias {:?}",
                device.tags().len(),
                device.alias()
            );
            println!("{}", device.raw_json());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("rust: {id} not read ({}): {e}", e.kind());
            ExitCode::FAILURE
        }
    }
}
