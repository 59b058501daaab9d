//! `engagelab-push delete`: the bulk engine, with a confirmation, progress
//! and an exit code.

use std::io::IsTerminal;

use engagelab_push::BulkInput;

use crate::args::DeleteArgs;
use crate::connect;
use crate::fail::Failure;
use crate::out;
use crate::progress::Display;
use crate::session::{self, Session};
use crate::stdin::UntilCancelled;

pub fn run(args: DeleteArgs, env: &dyn Fn(&str) -> Option<String>) -> Result<i32, Failure> {
    let stdin_ids = args.from.as_deref().is_some_and(|p| p.as_os_str() == "-");
    if args.ids.is_empty() && args.from.is_none() {
        return Err(Failure::usage(
            "give ids as arguments, or --from FILE (or - for standard input)",
        ));
    }
    session::refuse_dash(&args.ids, "ids")?;
    session::distinct_files(args.from.as_deref(), &args.run, &args.connection)?;
    // The configuration first: a missing credential is a usage error (exit
    // 2) whether or not a confirmation could be asked.
    let client = connect::client(&args.connection, env)?;
    let session = Session::start(&args.run, stdin_ids)?;
    let input = match &args.from {
        Some(_) if stdin_ids => BulkInput::reader(UntilCancelled::new(session.token())),
        Some(path) => BulkInput::file(path.clone()),
        None => BulkInput::ids(args.ids.clone()),
    };
    let mut display = Display::new(args.run.quiet, std::io::stderr().is_terminal());
    let result = session
        .bulk(&client, &args.run)
        .on_progress(|p| display.update(p))
        .run(input);
    display.finish();
    let summary = result.map_err(|e| session::failure(&args.run, &e))?;
    if args.run.json {
        out::line(summary.to_json());
    }
    session::show(&args.run, &summary);
    Ok(session::exit_code(&summary, false))
}
