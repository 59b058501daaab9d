//! `engagelab-mock`: serves the EngageLab device API mock until killed.
//!
//! Prints its base URL as the first line of stdout, then serves; see the crate README.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::{fs, thread};

use engagelab_mock::{Device, MockConfig, MockServer};

const USAGE: &str = "\
usage: engagelab-mock [options]

  --listen ADDR            address to listen on (default 127.0.0.1:0, a free port)
  --device ID              seed a device with this registration id (repeatable)
  --tls                    serve HTTPS with a throwaway CA (needs --ca-out)
  --ca-out PATH            write the CA certificate (PEM) here before printing the URL
  --rate-limit N           allow N device-API requests per second (fixed one-second windows)
  --rate-limit-burst B     with --rate-limit: a leaky bucket with burst B instead of windows
  --rate-limit-headers     send X-Rate-Limit-Limit/-Remaining/-Reset with every answer
  -h, --help               show this help

Prints the base URL (http://127.0.0.1:PORT, or https://localhost:PORT with --tls)
as the first line of stdout, then serves until killed.";

/// What the command line asks for.
struct Args {
    config: MockConfig,
    ca_out: Option<PathBuf>,
}

/// Parses the command line; `Ok(None)` when help was asked for.
fn parse_args() -> Result<Option<Args>, String> {
    use lexopt::prelude::*;
    let mut config = MockConfig::default();
    let mut ca_out = None;
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Long("listen") => {
                let v = text(parser.value())?;
                config.listen = v
                    .parse::<SocketAddr>()
                    .map_err(|e| format!("--listen {v}: {e}"))?;
            }
            Long("device") => {
                let id = text(parser.value())?;
                if id.is_empty() {
                    return Err("--device: the registration id must not be empty".to_owned());
                }
                config.devices.push(Device::new(id));
            }
            Long("tls") => config.tls = true,
            Long("rate-limit") => config.rate_limit_qps = Some(number(parser.value())?),
            Long("rate-limit-burst") => config.rate_limit_burst = Some(number(parser.value())?),
            Long("rate-limit-headers") => config.rate_limit_headers = true,
            Long("ca-out") => ca_out = Some(PathBuf::from(text(parser.value())?)),
            Short('h') | Long("help") => return Ok(None),
            _ => return Err(arg.unexpected().to_string()),
        }
    }
    match (config.tls, &ca_out) {
        (true, None) => Err("--tls needs --ca-out PATH (clients must trust the CA)".to_owned()),
        (false, Some(_)) => Err("--ca-out only makes sense with --tls".to_owned()),
        _ => Ok(Some(Args { config, ca_out })),
    }
}

/// A flag's value as a whole number.
fn number(value: Result<std::ffi::OsString, lexopt::Error>) -> Result<u32, String> {
    let v = text(value)?;
    v.parse().map_err(|e| format!("{v}: {e}"))
}

/// A flag's value as UTF-8 text.
fn text(value: Result<std::ffi::OsString, lexopt::Error>) -> Result<String, String> {
    value
        .map_err(|e| e.to_string())?
        .into_string()
        .map_err(|v| format!("{} is not valid UTF-8", v.to_string_lossy()))
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("engagelab-mock: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let server = match MockServer::start(args.config) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("engagelab-mock: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let (Some(path), Some(pem)) = (&args.ca_out, server.ca_pem())
        && let Err(e) = fs::write(path, pem)
    {
        eprintln!("engagelab-mock: cannot write {}: {e}", path.display());
        return ExitCode::FAILURE;
    }
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{}", server.base_url())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        eprintln!("engagelab-mock: cannot write the URL to stdout");
        return ExitCode::FAILURE;
    }
    drop(stdout);
    loop {
        thread::park();
    }
}
