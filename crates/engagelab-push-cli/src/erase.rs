//! `engagelab-push erase-user ALIAS... [--from FILE|-]`: erase users by
//! alias. Standard output gets one line per alias as it is resolved
//! (`ALIAS: ID ID...`) and one per alias checked afterwards (`ALIAS: no
//! device bound`, `ALIAS: still bound: ID...`), or with `--json` one JSON
//! object at the end; the rest is as `delete`.

use std::io::{BufRead, BufReader, IsTerminal, Read};

use engagelab_push::{BulkSummary, ErasedUser, Erasure};

use crate::args::EraseArgs;
use crate::connect;
use crate::fail::Failure;
use crate::out;
use crate::progress::Display;
use crate::session::{self, Session};

pub fn run(args: EraseArgs, env: &dyn Fn(&str) -> Option<String>) -> Result<i32, Failure> {
    let stdin_aliases = args.from.as_deref().is_some_and(|p| p.as_os_str() == "-");
    session::refuse_dash(&args.aliases, "aliases")?;
    session::distinct_files(args.from.as_deref(), &args.run, &args.connection)?;
    let aliases = match &args.from {
        Some(_) if stdin_aliases => read_aliases(std::io::stdin(), "standard input")?,
        Some(path) => {
            let file = std::fs::File::open(path).map_err(|e| {
                Failure::usage(format!("cannot open --from {}: {e}", path.display()))
            })?;
            read_aliases(file, &path.display().to_string())?
        }
        None => args.aliases.clone(),
    };
    if aliases.is_empty() {
        return Err(Failure::usage(
            "give aliases as arguments, or --from FILE (or - for standard input) holding some",
        ));
    }
    // The configuration first, as `delete` does.
    let client = connect::client(&args.connection, env)?;
    let session = Session::start(&args.run, stdin_aliases)?;
    let json = args.run.json;
    let mut display = Display::new(args.run.quiet, std::io::stderr().is_terminal());
    let result = session
        .bulk(&client, &args.run)
        .on_resolved(move |u| {
            if !json {
                out::line(resolved(u));
            }
        })
        .on_progress(|p| display.update(p))
        .erase_users(&aliases);
    display.finish();
    let erasure = result.map_err(|e| session::failure(&args.run, &e))?;
    // Stopped while resolving: fewer users than distinct aliases (a run that
    // deleted nothing, its aliases having no device, was interrupted while
    // checking them again, not while resolving them).
    let mut distinct = aliases.clone();
    distinct.sort_unstable();
    distinct.dedup();
    let looking_up = erasure.summary.interrupted
        && erasure.summary.entries == 0
        && erasure.users.len() < distinct.len();
    if json {
        out::line(erasure.to_json());
    } else if looking_up {
        // Stopped before any deletion: no alias was erased, and none is
        // "not checked".
        say!(
            "engagelab-push: interrupted while resolving the aliases ({} of {} resolved): \
             nothing was deleted",
            erasure.users.len(),
            distinct.len()
        );
    } else {
        for user in &erasure.users {
            if let Some(line) = checked(user, &erasure.summary) {
                out::line(line);
            }
        }
    }
    session::show(&args.run, &erasure.summary);
    if !args.run.quiet {
        warn_still_bound(&erasure);
    }
    Ok(session::exit_code(&erasure.summary, !erasure.is_success()))
}

/// The aliases of a file or standard input, one per line: whitespace trimmed,
/// blank lines and `#` lines skipped, a UTF-8 byte-order mark removed, as
/// `delete` reads ids.
fn read_aliases(input: impl Read, name: &str) -> Result<Vec<String>, Failure> {
    let mut aliases = Vec::new();
    for (i, line) in BufReader::new(input).lines().enumerate() {
        let line = line.map_err(|e| Failure::usage(format!("cannot read {name}: {e}")))?;
        let line = if i == 0 {
            line.strip_prefix('\u{feff}').unwrap_or(&line)
        } else {
            &line
        };
        let alias = line.trim();
        if !alias.is_empty() && !alias.starts_with('#') {
            aliases.push(alias.to_owned());
        }
    }
    Ok(aliases)
}

/// `ALIAS: ID ID...`, or `ALIAS: no device`.
fn resolved(u: &ErasedUser) -> String {
    if u.registration_ids.is_empty() {
        format!("{}: no device", u.alias)
    } else {
        format!("{}: {}", u.alias, u.registration_ids.join(" "))
    }
}

/// What the second lookup found; `ALIAS: not checked (interrupted)` when a
/// cancel came first, `ALIAS: not checked (the run stopped)` when the run
/// stopped (a refusal of the credentials, failures in a row, a stall);
/// `None` for a dry run.
fn checked(u: &ErasedUser, s: &BulkSummary) -> Option<String> {
    match (&u.still_bound, &u.verify_error) {
        (Some(ids), _) if ids.is_empty() => Some(format!("{}: no device bound", u.alias)),
        (Some(ids), _) => Some(format!("{}: still bound: {}", u.alias, ids.join(" "))),
        (None, Some(e)) => Some(format!("{}: not checked: {e}", u.alias)),
        (None, None) if s.dry_run => None,
        (None, None) if s.interrupted => Some(format!("{}: not checked (interrupted)", u.alias)),
        (None, None) if s.stopped.is_some() => {
            Some(format!("{}: not checked (the run stopped)", u.alias))
        }
        (None, None) => None,
    }
}

/// Says why devices may still be bound, and what to do.
fn warn_still_bound(erasure: &Erasure) {
    let n = erasure.still_bound().count();
    if n > 0 {
        say!(
            "{n} device(s) still bound after the deletions: EngageLab deletes \
             asynchronously, or the user signed in again. Run the same erase-user \
             command again later: it deletes every device still bound (a device \
             bound since the first lookup is shown and confirmed first)."
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_files_are_read_like_id_files() {
        let text = "\u{feff}user-1\n\n  # a comment\n user-2 \r\nuser-3";
        assert_eq!(
            read_aliases(text.as_bytes(), "t").unwrap(),
            ["user-1", "user-2", "user-3"]
        );
        assert!(read_aliases(&b"\xff\n"[..], "t").is_err());
    }
}
