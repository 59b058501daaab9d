//! Erases the users named as arguments (their aliases): every device bound to
//! them is backed up, deleted through the bulk engine and checked again, with
//! a report and a journal in the current directory. Credentials come from the
//! environment, as in `delete_device`.
//!
//! ```sh
//! cargo run -p engagelab-push --example erase_users -- user-42 user-43
//! ```

use std::process::ExitCode;

use engagelab_push::{BulkErrorKind, Client};

fn main() -> ExitCode {
    let aliases: Vec<String> = std::env::args().skip(1).collect();
    if aliases.is_empty() {
        eprintln!("usage: erase_users ALIAS...");
        return ExitCode::from(2);
    }
    let erasure = Client::from_env()
        .map_err(|e| format!("nothing erased: {e}"))
        .and_then(|client| {
            client
                .bulk_delete()
                .backup("erased.backup.jsonl")
                .report("erasure.report.jsonl")
                .journal("erasure.journal")
                .erase_users(&aliases)
                // Only a run stopped mid-way (a file it could not write) has
                // deleted anything; every other failure sent no DELETE.
                .map_err(|e| match (e.kind(), e.summary()) {
                    (BulkErrorKind::WriteFailed, Some(done)) => {
                        format!("stopped after deleting {}: {e}", done.counts.deleted)
                    }
                    _ => format!("nothing erased: {e}"),
                })
        });
    let erasure = match erasure {
        Ok(erasure) => erasure,
        Err(e) => {
            eprintln!("rust: {e}");
            return ExitCode::FAILURE;
        }
    };
    for user in &erasure.users {
        match &user.still_bound {
            Some(bound) if bound.is_empty() => println!("{}: no device bound", user.alias),
            Some(bound) => println!("{}: still bound: {}", user.alias, bound.join(" ")),
            None => println!("{}: not checked", user.alias),
        }
    }
    let s = &erasure.summary;
    println!("deleted {}, failed {}", s.counts.deleted, s.counts.failed);
    if erasure.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
