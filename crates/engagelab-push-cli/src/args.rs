//! The command line, as clap parses it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Delete EngageLab devices safely: paced, resumable, backed up, reported.
///
/// Credentials come from the environment only: ENGAGELAB_APP_KEY and
/// ENGAGELAB_MASTER_SECRET (or --master-secret-file), never from a flag.
#[derive(Debug, Parser)]
#[command(name = "engagelab-push", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Delete devices: ids as arguments, or one per line from `--from FILE`
    /// or `--from -` (standard input).
    Delete(DeleteArgs),
    /// Print each device (tags, alias, the whole answer) as one JSON line.
    Get(GetArgs),
    /// Erase users by alias: resolve each alias to its devices, delete them,
    /// then check that no device is still bound.
    EraseUser(EraseArgs),
    /// Check the setup before deleting anything: read-only calls that prove
    /// the credentials and the region, and show how the live API answers an
    /// unknown id and an unknown alias (exit 0 works, 1 refused, 2 usage).
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Also GET this known device; it must be found.
    #[arg(long, value_name = "ID")]
    pub device: Option<String>,
    /// Also measure the round trip to each of the six regions with the same
    /// credentials, and say which accepts them.
    #[arg(long)]
    pub all_regions: bool,
    /// Print the report as one JSON object on standard output.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub connection: Connection,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    /// Registration ids to query.
    #[arg(value_name = "ID", required = true)]
    pub ids: Vec<String>,
    #[command(flatten)]
    pub connection: Connection,
}

/// Where to connect and with which secret.
#[derive(Debug, Args)]
pub struct Connection {
    // The help names the regions and the default from the settings table.
    #[arg(long, value_name = "R", conflicts_with = "base_url", help = format!(
        "Data center: {} (default: ENGAGELAB_REGION, else {})",
        engagelab_push::settings::REGION_NAMES.replace(", ", " "),
        engagelab_push::Region::default().name()
    ))]
    pub region: Option<String>,
    /// A custom base URL (default: ENGAGELAB_BASE_URL).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Extra root certificates (PEM), trusted beside the built-in roots.
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// An http:// or https:// proxy.
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    #[arg(long, value_name = "SECS", allow_negative_numbers = true, help = format!(
        "Overall deadline of one call, retries included, in seconds (default {}); \
         in delete and erase-user, of each attempt (the run retries at its own pace)",
        engagelab_push::DEFAULT_TIMEOUT.as_secs()
    ))]
    pub timeout: Option<f64>,
    /// Read the Master Secret from this file (first line) instead of
    /// ENGAGELAB_MASTER_SECRET.
    #[arg(long, value_name = "FILE")]
    pub master_secret_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// Registration ids to delete.
    #[arg(value_name = "ID", conflicts_with = "from")]
    pub ids: Vec<String>,
    /// Read ids from FILE, one per line; `-` reads standard input.
    #[arg(long, value_name = "FILE|-")]
    pub from: Option<PathBuf>,
    #[command(flatten)]
    pub run: RunArgs,
    #[command(flatten)]
    pub connection: Connection,
}

#[derive(Debug, Args)]
pub struct EraseArgs {
    /// Aliases (the app's user ids) to erase.
    #[arg(value_name = "ALIAS", conflicts_with = "from")]
    pub aliases: Vec<String>,
    /// Read aliases from FILE, one per line; `-` reads standard input.
    #[arg(long, value_name = "FILE|-")]
    pub from: Option<PathBuf>,
    #[command(flatten)]
    pub run: RunArgs,
    #[command(flatten)]
    pub connection: Connection,
}

/// The safety flags of a bulk run, shared by `delete` and `erase-user`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Requests per second; keep room for the app's own pushes.
    #[arg(long, value_name = "N", default_value_t = engagelab_push::DEFAULT_QPS, allow_negative_numbers = true,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub qps: u32,
    /// Most requests in flight at once (default: enough for the rate).
    #[arg(long, value_name = "N", allow_negative_numbers = true,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub concurrency: Option<u32>,
    /// Journal file: makes the run resumable; rerun with the same file.
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// Back up each device (GET) to this JSON Lines file before deleting it.
    #[arg(long, value_name = "FILE")]
    pub backup: Option<PathBuf>,
    /// Append one JSON line per id, then a summary, to this file.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Refuse to start when the input holds more ids than this.
    #[arg(long, value_name = "N", default_value_t = engagelab_push::DEFAULT_MAX_DELETIONS,
          allow_negative_numbers = true)]
    pub max_deletions: u64,
    /// Stop when the run stays rate-limited with no device deleted for this
    /// many seconds (the quota is taken by other traffic).
    #[arg(long, value_name = "SECS", default_value_t = engagelab_push::DEFAULT_STALL_TIMEOUT.as_secs(),
          allow_negative_numbers = true,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub stall_timeout: u64,
    /// Validate, dedupe and count; send no DELETE.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation (required off a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// No progress and no summary text (errors, and why a run stopped, are
    /// still shown).
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Print the summary as JSON on standard output.
    #[arg(long)]
    pub json: bool,
}
