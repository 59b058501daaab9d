//! `engagelab-push check`: read-only calls that prove the credentials and
//! the region and show how the live API answers, before anything is
//! deleted. Exit 0 the setup works, 1 the credentials or region are refused
//! (or not checked: nothing answered, or nothing from EngageLab's API), or
//! the known device was not found, 2 usage.

use engagelab_push::{CheckOptions, CheckReport, ErrorKind, Region};
use serde_json::{Value, json};

use crate::args::CheckArgs;
use crate::connect;
use crate::fail::{self, Failure};
use crate::out;

/// Points `--all-regions` at other base URLs: `sgp=URL,usva=URL,...`. For
/// tests, which must stay on loopback; a region not named keeps its own URL.
pub const REGION_URLS_VAR: &str = "ENGAGELAB_CHECK_REGION_URLS";

pub fn run(args: CheckArgs, env: &dyn Fn(&str) -> Option<String>) -> Result<i32, Failure> {
    let client = connect::client(&args.connection, env)?;
    let regions = if args.all_regions {
        Some(region_urls(env)?)
    } else {
        None
    };
    let mut options = CheckOptions::new();
    if let Some(id) = &args.device {
        options = options.device(id);
    }
    let report = client.check(&options).map_err(|e| {
        if e.kind() == ErrorKind::InvalidArgument {
            Failure::usage(e.to_string())
        } else {
            let message = format!("{}: {e}", connect::target(&client));
            if args.json {
                // A script reading the JSON still gets an object, saying
                // no answer came: the line standard error shows, and the
                // error's fields as a report writes them.
                out::line(json!({
                    "works": false,
                    "credentials_accepted": false,
                    "message": message,
                    "error": e.to_json(),
                }));
            }
            Failure::failed(message)
        }
    })?;
    let regions = match regions {
        Some(urls) => {
            let base = connect::settings(&args.connection, env)?;
            Some(
                urls.into_iter()
                    .map(|(region, url)| {
                        let b = match &url {
                            Some(url) => base.clone().base_url(url),
                            None => base.clone().region(region),
                        };
                        let outcome = b
                            .build()
                            .and_then(|c| c.check(&CheckOptions::new()))
                            .map_err(|e| e.to_string());
                        (region, url, outcome)
                    })
                    .collect::<Vec<_>>(),
            )
        }
        None => None,
    };
    let device_found = report
        .probes()
        .iter()
        .all(|p| p.kind() != engagelab_push::ProbeKind::Device || p.classification().is_none());
    let works = report.credentials_accepted() && device_found;
    if args.json {
        let mut report_json = report.to_json();
        report_json["works"] = Value::from(works);
        if let Some(regions) = &regions {
            report_json["regions"] = regions
                .iter()
                .map(|(region, url, outcome)| {
                    let base_url = url.clone().unwrap_or_else(|| region.base_url().to_owned());
                    match outcome {
                        Ok(r) => json!({
                            "region": region.name(),
                            "base_url": base_url,
                            "rtt_ms": r.rtt().as_secs_f64() * 1000.0,
                            "credentials_accepted": r.credentials_accepted(),
                            "credentials_refused": r.credentials_refused(),
                            "error": null,
                        }),
                        Err(e) => json!({
                            "region": region.name(),
                            "base_url": base_url,
                            "rtt_ms": null,
                            "credentials_accepted": false,
                            "credentials_refused": false,
                            "error": e,
                        }),
                    }
                })
                .collect();
        }
        out::line(&report_json);
    } else {
        out::text(&report);
        if let Some(regions) = &regions {
            print_regions(regions);
        }
        if works {
            out::line("the setup works");
        } else if report.credentials_refused() {
            out::line("the credentials or the region are refused");
        } else if report
            .findings()
            .iter()
            .any(|f| f.code() == "api_unavailable")
        {
            out::line(
                "the credentials were not checked: the API was busy or limiting; retry later",
            );
        } else if !report.credentials_accepted() {
            out::line("the credentials were not checked: no answer came from EngageLab's API");
        } else {
            out::line("the device given with --device is not usable here");
        }
    }
    Ok(if works { fail::OK } else { fail::FAILED })
}

type RegionOutcome = (Region, Option<String>, Result<CheckReport, String>);

fn print_regions(regions: &[RegionOutcome]) {
    out::line("regions (the same credentials):");
    let mut accepted = Vec::new();
    for (region, url, outcome) in regions {
        let base_url = url.as_deref().unwrap_or(region.base_url());
        let what = match outcome {
            Ok(r) if r.credentials_accepted() => {
                accepted.push(region.name());
                format!(
                    "{:.1} ms, credentials accepted",
                    r.rtt().as_secs_f64() * 1000.0
                )
            }
            Ok(r) if r.credentials_refused() => format!(
                "{:.1} ms, credentials refused",
                r.rtt().as_secs_f64() * 1000.0
            ),
            // An answer from elsewhere (a wrong URL's 404, a gateway's 503)
            // read no credentials: it refused nothing.
            Ok(r) => format!(
                "{:.1} ms, credentials not checked (no answer came from EngageLab's API)",
                r.rtt().as_secs_f64() * 1000.0
            ),
            Err(e) => format!("no answer: {e}"),
        };
        out::line(format_args!("  {:<6} {base_url}  {what}", region.name()));
    }
    match accepted.as_slice() {
        [] => out::line("no region accepts these credentials"),
        names => out::line(format_args!("accepted by: {}", names.join(", "))),
    };
}

/// Each region with the base URL [`REGION_URLS_VAR`] gives it, if any.
fn region_urls(
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<(Region, Option<String>)>, Failure> {
    let mut urls: Vec<(Region, Option<String>)> = Region::ALL.iter().map(|r| (*r, None)).collect();
    let Some(spec) = env(REGION_URLS_VAR).filter(|v| !v.is_empty()) else {
        return Ok(urls);
    };
    for pair in spec.split(',') {
        let (name, url) = pair.split_once('=').ok_or_else(|| {
            Failure::usage(format!("{REGION_URLS_VAR}: {pair:?} is not REGION=URL"))
        })?;
        let region: Region = name.trim().parse().map_err(|e: engagelab_push::Error| {
            Failure::usage(format!("{REGION_URLS_VAR}: {}", e.message()))
        })?;
        if let Some(slot) = urls.iter_mut().find(|(r, _)| *r == region) {
            slot.1 = Some(url.trim().to_owned());
        }
    }
    Ok(urls)
}
