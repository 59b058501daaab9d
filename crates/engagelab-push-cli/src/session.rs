//! What `delete` and `erase-user` share: the confirmation rule, Ctrl-C, the
//! bulk run configured from the safety flags, the summary line and the exit
//! code.

use std::io::{BufRead, IsTerminal};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use engagelab_push::{
    BulkDelete, BulkError, BulkErrorKind, BulkSummary, CancelToken, Client, Plan,
};

use crate::args::{Connection, RunArgs};
use crate::connect;
use crate::fail::{self, Failure};
use crate::out;
use crate::progress;

/// A bulk run about to start: whether it must be confirmed, and the token
/// Ctrl-C and SIGTERM cancel.
pub struct Session {
    must_confirm: bool,
    token: CancelToken,
    prompting: Arc<AtomicBool>,
}

impl Session {
    /// Checks that a run that must be confirmed can be (a terminal, and
    /// standard input not used for the input), and installs the Ctrl-C
    /// handler: the first stops the run gracefully; a second one, or one
    /// while the prompt waits (nothing sent yet), exits at once.
    pub fn start(run: &RunArgs, input_on_stdin: bool) -> Result<Session, Failure> {
        let interactive =
            !input_on_stdin && std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
        let must_confirm = !run.yes && !run.dry_run;
        if must_confirm && !interactive {
            return Err(Failure::refused(if input_on_stdin {
                "the input is standard input, which cannot also answer a confirmation: \
                 add --yes to delete without one"
            } else {
                "not on a terminal: add --yes to delete without a confirmation"
            }));
        }
        let token = CancelToken::new();
        let prompting = Arc::new(AtomicBool::new(false));
        {
            let token = token.clone();
            let prompting = prompting.clone();
            on_interrupt(move || {
                if prompting.load(Ordering::SeqCst) || token.is_cancelled() {
                    say!();
                    std::process::exit(fail::INTERRUPTED);
                }
                token.cancel();
            });
        }
        Ok(Session {
            must_confirm,
            token,
            prompting,
        })
    }

    /// The token a Ctrl-C cancels.
    pub fn token(&self) -> CancelToken {
        self.token.clone()
    }

    /// The bulk run the flags describe, confirmed by typing the AppKey when
    /// it must be.
    pub fn bulk<'a>(&'a self, client: &'a Client, run: &RunArgs) -> BulkDelete<'a> {
        let mut bulk = client
            .bulk_delete()
            .qps(run.qps)
            .max_deletions(run.max_deletions)
            .dry_run(run.dry_run)
            .stall_timeout(std::time::Duration::from_secs(run.stall_timeout))
            .cancel(self.token.clone())
            .confirm(|plan: &Plan| !self.must_confirm || confirm(client, plan, &self.prompting));
        if let Some(n) = run.concurrency {
            bulk = bulk.concurrency(n as usize);
        }
        if let Some(p) = &run.journal {
            bulk = bulk.journal(p);
        }
        if let Some(p) = &run.report {
            bulk = bulk.report(p);
        }
        if let Some(p) = &run.backup {
            bulk = bulk.backup(p);
        }
        bulk
    }
}

/// Runs `handler` on a thread of its own at each Ctrl-C (SIGINT), SIGTERM
/// and hangup (SIGHUP). A hangup ignored when the command started (`nohup`)
/// stays ignored: the operator asked the run to outlive the session.
fn on_interrupt(handler: impl Fn() + Send + 'static) {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut wanted = vec![SIGINT, SIGTERM];
    if !ignored_at_start(SIGHUP) {
        wanted.push(SIGHUP);
    }
    // Without the handler a signal ends the process at once: as safe as a
    // crash (each journal line is on disk before the next id), less tidy.
    if let Ok(mut signals) = signal_hook::iterator::Signals::new(wanted) {
        std::thread::spawn(move || {
            for _ in signals.forever() {
                handler();
            }
        });
    }
}

/// Whether `signal` was ignored (`SIG_IGN`) when the process started: the
/// `SigIgn` mask of /proc/self/status (Linux); false where there is none.
fn ignored_at_start(signal: i32) -> bool {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return false;
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix("SigIgn:"))
        .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
        .is_some_and(|mask| signal >= 1 && mask & (1 << (signal - 1)) != 0)
}

/// Shows what is about to happen and asks for the AppKey.
fn confirm(client: &Client, plan: &Plan, prompting: &AtomicBool) -> bool {
    prompting.store(true, Ordering::SeqCst);
    say!(
        "About to delete {} device(s) (irreversible).\n  target: {}\n  AppKey: {}",
        plan.ids,
        connect::target(client),
        client.app_key()
    );
    crate::out::err_text("Type the AppKey to confirm: ");
    let mut answer = String::new();
    let ok =
        std::io::stdin().lock().read_line(&mut answer).is_ok() && answer.trim() == client.app_key();
    prompting.store(false, Ordering::SeqCst);
    if !ok {
        say!("The answer did not match the AppKey.");
    }
    ok
}

/// A run that refused to start or had to stop: the guard and a declined
/// confirmation are exit 3, a failed alias lookup exit 1, a file that could
/// not be written mid-run exit 4 (its summary shown first, as `--json` too),
/// anything else 2.
pub fn failure(run: &RunArgs, e: &BulkError) -> Failure {
    match e.kind() {
        BulkErrorKind::Guard | BulkErrorKind::Declined => Failure::refused(e.message()),
        BulkErrorKind::Lookup => Failure::failed(e.message()),
        BulkErrorKind::WriteFailed => {
            if let Some(summary) = e.summary() {
                if run.json {
                    out::line(summary.to_json());
                }
                show(run, summary);
            }
            Failure {
                code: fail::WRITE_FAILED,
                message: e.message().to_owned(),
            }
        }
        _ => Failure::usage(e.message()),
    }
}

/// The summary line on standard error (unless quiet: then only why the run
/// stopped, if it did).
pub fn show(run: &RunArgs, s: &BulkSummary) {
    if run.quiet {
        // Quiet hides the counts, not why the run stopped.
        if let Some(why) = &s.stopped {
            say!("engagelab-push: stopped: {why}");
        }
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
    if let Some(why) = &s.stopped {
        line.push_str(&format!("; stopped, {} not started: {why}", s.not_started));
    }
    if s.interrupted {
        // Without a journal nothing says which ids are done: a rerun sends
        // each again (those deleted are then not found).
        let hint = if run.journal.is_some() {
            "rerun with the same --journal to resume"
        } else {
            "no --journal: a rerun sends every id again"
        };
        line.push_str(&format!(
            "; interrupted, {} not started ({hint})",
            s.not_started
        ));
    }
    say!("{line}");
}

/// 130 interrupted, 1 when anything failed or the run stopped, else 0.
pub fn exit_code(s: &BulkSummary, failed: bool) -> i32 {
    if s.interrupted {
        fail::INTERRUPTED
    } else if failed || s.counts.failed > 0 || s.stopped.is_some() {
        fail::FAILED
    } else {
        fail::OK
    }
}

/// Refuses `-` among the `what` given as arguments: standard input is
/// `--from -`, and `-` as an argument would be sent as an id or alias of its
/// own, reported "not found", and exit 0 with none of the input read.
pub fn refuse_dash(args: &[String], what: &str) -> Result<(), Failure> {
    if args.iter().any(|a| a == "-") {
        return Err(Failure::usage(format!(
            "`-` among the {what}: to read them from standard input, give --from -; nothing was sent"
        )));
    }
    Ok(())
}

/// Refuses a run that names one file for two roles (`--from`, the Master
/// Secret's, and the files the run writes), by whatever paths (symbolic or
/// hard links included): a report or backup appended to the input would be
/// read back as its entries by the next run, and the secret's file read as
/// the input would send the secret as an id. An erasure's aliases file and
/// the secret's are read here, not by the library, so all are checked here
/// (with the library's own test of one file). Standard input (`-`) is no
/// file.
pub fn distinct_files(
    from: Option<&Path>,
    run: &RunArgs,
    connection: &Connection,
) -> Result<(), Failure> {
    let named = [
        (
            "--master-secret-file",
            connection.master_secret_file.as_deref(),
        ),
        ("--from", from.filter(|p| p.as_os_str() != "-")),
        ("--journal", run.journal.as_deref()),
        ("--backup", run.backup.as_deref()),
        ("--report", run.report.as_deref()),
    ];
    let files: Vec<(&str, &Path)> = named
        .into_iter()
        .filter_map(|(flag, path)| path.map(|p| (flag, p)))
        .collect();
    for (i, (flag, path)) in files.iter().enumerate() {
        if let Some((first, _)) = files[..i]
            .iter()
            .find(|(_, other)| engagelab_push::same_file(other, path))
        {
            return Err(Failure::usage(format!(
                "{first} and {flag} are the same file ({}): give each its own; nothing was sent",
                path.display()
            )));
        }
    }
    Ok(())
}
