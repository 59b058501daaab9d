//! `engagelab-push delete`: the bulk engine, with a confirmation, progress
//! and an exit code.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use engagelab_push::{BulkErrorKind, BulkInput, BulkSummary, CancelToken, Client, Plan};

use crate::args::DeleteArgs;
use crate::connect;
use crate::fail::{self, Failure};
use crate::progress::{self, Display};

pub fn run(args: DeleteArgs, env: &dyn Fn(&str) -> Option<String>) -> Result<i32, Failure> {
    let stdin_ids = args.from.as_deref().is_some_and(|p| p.as_os_str() == "-");
    if args.ids.is_empty() && args.from.is_none() {
        return Err(Failure::usage(
            "give ids as arguments, or --from FILE (or - for standard input)",
        ));
    }
    let interactive =
        !stdin_ids && std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let must_confirm = !args.yes && !args.dry_run;
    if must_confirm && !interactive {
        return Err(Failure::refused(
            "not on a terminal: add --yes to delete without a confirmation",
        ));
    }
    let client = connect::client(&args.connection, env)?;
    let input = match &args.from {
        Some(_) if stdin_ids => BulkInput::reader(std::io::stdin()),
        Some(path) => BulkInput::file(path.clone()),
        None => BulkInput::ids(args.ids.clone()),
    };

    // Ctrl-C or SIGTERM: stop gracefully; a second one, or one while the
    // prompt waits (nothing sent yet), exits at once.
    let token = CancelToken::new();
    let prompting = Arc::new(AtomicBool::new(false));
    {
        let token = token.clone();
        let prompting = prompting.clone();
        let _ = ctrlc::set_handler(move || {
            if prompting.load(Ordering::SeqCst) || token.is_cancelled() {
                eprintln!();
                std::process::exit(fail::INTERRUPTED);
            }
            token.cancel();
        });
    }

    let mut display = Display::new(args.quiet, std::io::stderr().is_terminal());
    let mut bulk = client
        .bulk_delete()
        .qps(args.qps)
        .max_deletions(args.max_deletions)
        .dry_run(args.dry_run)
        .cancel(token)
        .confirm(|plan: &Plan| !must_confirm || confirm(&client, plan, &prompting));
    if let Some(n) = args.concurrency {
        bulk = bulk.concurrency(n as usize);
    }
    if let Some(p) = &args.journal {
        bulk = bulk.journal(p);
    }
    if let Some(p) = &args.report {
        bulk = bulk.report(p);
    }
    if let Some(p) = &args.backup {
        bulk = bulk.backup(p);
    }
    let result = bulk.on_progress(|p| display.update(p)).run(input);
    display.finish();
    let summary = result.map_err(|e| match e.kind() {
        BulkErrorKind::Guard | BulkErrorKind::Declined => Failure::refused(e.message()),
        _ => Failure::usage(e.message()),
    })?;
    show(&args, &summary);
    Ok(if summary.interrupted {
        fail::INTERRUPTED
    } else if summary.counts.failed > 0 {
        fail::FAILED
    } else {
        fail::OK
    })
}

/// Shows what is about to happen and asks for the AppKey.
fn confirm(client: &Client, plan: &Plan, prompting: &AtomicBool) -> bool {
    prompting.store(true, Ordering::SeqCst);
    eprintln!(
        "About to delete {} device(s) (irreversible).\n  target: {}\n  AppKey: {}",
        plan.ids,
        connect::target(client),
        client.app_key()
    );
    eprint!("Type the AppKey to confirm: ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    let ok =
        std::io::stdin().lock().read_line(&mut answer).is_ok() && answer.trim() == client.app_key();
    prompting.store(false, Ordering::SeqCst);
    if !ok {
        eprintln!("The answer did not match the AppKey.");
    }
    ok
}

fn show(args: &DeleteArgs, s: &BulkSummary) {
    if args.json {
        println!("{}", s.to_json());
    }
    if args.quiet {
        return;
    }
    let what = if s.dry_run { "dry run" } else { "done" };
    let mut line = format!(
        "{what}: {} in {:.1}s ({:.1}/s)",
        progress::counts(&s.counts),
        s.elapsed.as_secs_f64(),
        s.rate()
    );
    if s.rate_limited > 0 {
        line.push_str(&format!(", {} rate-limited answers", s.rate_limited));
    }
    if s.interrupted {
        line.push_str(&format!(
            "; interrupted, {} not started (rerun with the same --journal to resume)",
            s.not_started
        ));
    }
    eprintln!("{line}");
}
