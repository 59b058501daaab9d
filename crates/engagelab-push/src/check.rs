//! `Client::check`: a read-only look at the live API before deleting
//! anything. It proves the credentials and the region, measures the round
//! trip, reads the server's clock and rate-limit headers, and compares how
//! the API answers an unknown id and an unknown alias with what the library
//! assumes.

use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Value, json};

use crate::alias;
use crate::answer;
use crate::cancel::CancelToken;
use crate::client::{Client, device_path};
use crate::device::Device;
use crate::error::{Error, ErrorKind};
use crate::options::CallOptions;
use crate::region::Region;
use crate::tls_version;
use crate::validate;

pub use crate::settings::{CHECK_ROUNDS, MAX_CLOCK_SKEW};

/// What [`Client::check`] probes besides a random unknown id and alias.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    device: Option<String>,
    call: CallOptions,
}

impl CheckOptions {
    /// Probes only a random unknown id and a random unknown alias.
    pub fn new() -> CheckOptions {
        CheckOptions::default()
    }

    /// Also GETs this known device, which must be found.
    pub fn device(mut self, registration_id: impl Into<String>) -> CheckOptions {
        self.device = Some(registration_id.into());
        self
    }

    /// Applies these call options to the check: a
    /// [`CancelToken`](crate::CancelToken) that stops it (`Cancelled`), and a
    /// deadline for the whole check shorter than the client's timeout.
    pub fn call_options(mut self, options: CallOptions) -> CheckOptions {
        self.call = options;
        self
    }
}

/// Which request a [`Probe`] sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProbeKind {
    /// `GET /v4/devices/{id}` of a random id that cannot exist.
    UnknownDevice,
    /// `GET /v4/aliases/{alias}` of a random alias no device has.
    UnknownAlias,
    /// `GET /v4/devices/{id}` of the device given in [`CheckOptions::device`].
    Device,
}

impl ProbeKind {
    /// `unknown_device`, `unknown_alias` or `device`.
    pub fn name(self) -> &'static str {
        match self {
            ProbeKind::UnknownDevice => "unknown_device",
            ProbeKind::UnknownAlias => "unknown_alias",
            ProbeKind::Device => "device",
        }
    }

    /// What the library assumes the answer is.
    pub fn expected(self) -> &'static str {
        match self {
            ProbeKind::UnknownDevice => "HTTP 400 with code 27002 (NOT_FOUND)",
            ProbeKind::UnknownAlias => "HTTP 200 with an empty registration_ids list",
            ProbeKind::Device => "HTTP 200 with the device's tags and alias",
        }
    }
}

/// One answer of the live API, as it came and as the library reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    kind: ProbeKind,
    path: String,
    http_status: u16,
    api_code: Option<i64>,
    message: String,
    classification: Option<ErrorKind>,
    as_expected: bool,
    rtt: Duration,
}

impl Probe {
    /// Which request this was.
    pub fn kind(&self) -> ProbeKind {
        self.kind
    }

    /// The path sent, e.g. `/v4/devices/el-check-…`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The answer's HTTP status.
    pub fn http_status(&self) -> u16 {
        self.http_status
    }

    /// EngageLab's code in the answer's body, if any.
    pub fn api_code(&self) -> Option<i64> {
        self.api_code
    }

    /// EngageLab's message (or what a success answer held), secrets removed.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The error category the library gives this answer; `None` for a usable
    /// success.
    pub fn classification(&self) -> Option<ErrorKind> {
        self.classification
    }

    /// Whether the answer came from EngageLab's API as the library knows
    /// it: a usable success, or an error with a code of EngageLab's own (not
    /// merely its HTTP status repeated, as gateways and frameworks answer).
    /// A busy or rate-limited answer (`SERVER`, `RATE_LIMITED`) does not
    /// count, even with EngageLab's code: the request was not judged.
    fn came_from_the_api(&self) -> bool {
        self.classification.is_none()
            || (!self.unavailable() && answer::has_api_code(self.http_status, self.api_code))
    }

    /// Whether the answer was a busy server's or the rate limit's: it says
    /// nothing of the credentials or of how the API answers the probe.
    fn unavailable(&self) -> bool {
        matches!(
            self.classification,
            Some(ErrorKind::Server | ErrorKind::RateLimited)
        )
    }

    /// Whether the answer is the one the library assumes
    /// ([`ProbeKind::expected`]).
    pub fn as_expected(&self) -> bool {
        self.as_expected
    }

    /// Its round trip.
    pub fn rtt(&self) -> Duration {
        self.rtt
    }
}

/// A difference between the live API and what the library assumes, or a
/// fact that stops the setup from working.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    code: &'static str,
    message: String,
}

impl Finding {
    /// A stable name: `not_the_api`, `api_unavailable`, `credentials_refused`, `auth_answer`,
    /// `unknown_device_answer`, `unknown_device_not_found`,
    /// `unknown_alias_answer`, `device_answer`, `no_date`, `clock_skew`,
    /// `rate_limit_reset`.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The difference in a sentence.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// What [`Client::check`] found: where calls go, whether the credentials
/// work, the round trip, the server's clock and rate-limit headers, each
/// probe's answer and the differences from what the library assumes. Holds
/// no secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    base_url: String,
    region: Option<Region>,
    address: Option<SocketAddr>,
    tls_version: Option<String>,
    rtts: Vec<Duration>,
    server_date: Option<String>,
    clock_skew_s: Option<i64>,
    rate_limit_headers: Vec<(String, String)>,
    probes: Vec<Probe>,
    findings: Vec<Finding>,
}

impl CheckReport {
    /// The base URL the calls went to.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The region, unless a custom base URL was given.
    pub fn region(&self) -> Option<Region> {
        self.region
    }

    /// Whether the credentials were accepted: no answer was `AUTH`, and at
    /// least one came from EngageLab's API (a usable success, or an error
    /// carrying EngageLab's code), so that they were read at all. Answers
    /// from elsewhere only (a wrong base URL's 404, a gateway's 503) prove
    /// nothing: the `not_the_api` finding says so. Nor do busy or
    /// rate-limited answers (`SERVER`, `RATE_LIMITED`), even with EngageLab's
    /// code: the `api_unavailable` finding says so.
    pub fn credentials_accepted(&self) -> bool {
        !self.credentials_refused() && self.probes.iter().any(Probe::came_from_the_api)
    }

    /// Whether an answer was `AUTH`: the credentials (or the region) were
    /// refused.
    pub fn credentials_refused(&self) -> bool {
        self.probes
            .iter()
            .any(|p| p.classification == Some(ErrorKind::Auth))
    }

    /// The address the requests went to (the proxy's, through a proxy).
    pub fn address(&self) -> Option<SocketAddr> {
        self.address
    }

    /// The TLS version negotiated (`TLS 1.3`); `None` over plain HTTP.
    pub fn tls_version(&self) -> Option<&str> {
        self.tls_version.as_deref()
    }

    /// The median of the [`CHECK_ROUNDS`] round trips.
    pub fn rtt(&self) -> Duration {
        let mut sorted = self.rtts.clone();
        sorted.sort();
        sorted.get(sorted.len() / 2).copied().unwrap_or_default()
    }

    /// Every round trip measured (GETs of the unknown id), in order.
    pub fn rtts(&self) -> &[Duration] {
        &self.rtts
    }

    /// The first answer's `Date` header, if any.
    pub fn server_date(&self) -> Option<&str> {
        self.server_date.as_deref()
    }

    /// The server's clock minus this machine's, in whole seconds (the
    /// `Date` header's resolution); `None` without a readable `Date`.
    pub fn clock_skew_s(&self) -> Option<i64> {
        self.clock_skew_s
    }

    /// Every `X-Rate-Limit-*` header seen (name lower-cased, last value).
    pub fn rate_limit_headers(&self) -> &[(String, String)] {
        &self.rate_limit_headers
    }

    /// Each answer, unknown id first.
    pub fn probes(&self) -> &[Probe] {
        &self.probes
    }

    /// The differences from what the library assumes; empty when the API
    /// answered as assumed.
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// The report as one JSON object (the CLI's `--json`).
    pub fn to_json(&self) -> Value {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        json!({
            "base_url": self.base_url,
            "region": self.region.map(Region::name),
            "credentials_accepted": self.credentials_accepted(),
            "address": self.address.map(|a| a.to_string()),
            "tls_version": self.tls_version,
            "rtt_ms": ms(self.rtt()),
            "rtts_ms": self.rtts.iter().map(|d| ms(*d)).collect::<Vec<_>>(),
            "server_date": self.server_date,
            "clock_skew_s": self.clock_skew_s,
            "rate_limit_headers": self.rate_limit_headers.iter()
                .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                .collect::<serde_json::Map<_, _>>(),
            "probes": self.probes.iter().map(|p| json!({
                "kind": p.kind.name(),
                "path": p.path,
                "http_status": p.http_status,
                "api_code": p.api_code,
                "message": p.message,
                "classification": p.classification.map(ErrorKind::name),
                "expected": p.kind.expected(),
                "as_expected": p.as_expected,
                "rtt_ms": ms(p.rtt),
            })).collect::<Vec<_>>(),
            "findings": self.findings.iter().map(|f| json!({
                "code": f.code,
                "message": f.message,
            })).collect::<Vec<_>>(),
        })
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.region {
            Some(r) => writeln!(f, "target:        region {} ({})", r.name(), self.base_url)?,
            None => writeln!(f, "target:        {}", self.base_url)?,
        }
        match self.address {
            Some(a) => writeln!(f, "address:       {a}")?,
            None => writeln!(f, "address:       unknown")?,
        }
        match &self.tls_version {
            Some(v) => writeln!(f, "TLS:           {v}")?,
            None => writeln!(f, "TLS:           none (plain HTTP)")?,
        }
        let first = &self.probes[0];
        let seen = status_text(first.http_status, first.api_code);
        if self.credentials_accepted() {
            writeln!(f, "credentials:   accepted ({seen} to an unknown id)")?;
        } else if !self.credentials_refused() {
            writeln!(
                f,
                "credentials:   NOT CHECKED (no answer came from EngageLab's API; {seen} to an \
                 unknown id)"
            )?;
        } else if let Some(p) = self
            .probes
            .iter()
            .find(|p| p.classification == Some(ErrorKind::Auth))
        {
            let seen = status_text(p.http_status, p.api_code);
            writeln!(f, "credentials:   REFUSED ({seen}: {})", p.message)?;
        }
        writeln!(
            f,
            "round trip:    {:.1} ms (median of {})",
            self.rtt().as_secs_f64() * 1000.0,
            self.rtts.len()
        )?;
        match (&self.server_date, self.clock_skew_s) {
            (Some(date), Some(skew)) => writeln!(
                f,
                "server clock:  {date} ({skew:+} s from this machine's clock)"
            )?,
            (Some(date), None) => writeln!(f, "server clock:  {date} (not a readable date)")?,
            _ => writeln!(f, "server clock:  no Date header")?,
        }
        if self.rate_limit_headers.is_empty() {
            writeln!(f, "rate limit:    no X-Rate-Limit-* header")?;
        } else {
            let all: Vec<String> = self
                .rate_limit_headers
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect();
            writeln!(f, "rate limit:    {}", all.join(", "))?;
        }
        for p in &self.probes {
            let label = match p.kind {
                ProbeKind::UnknownDevice => "unknown id:   ",
                ProbeKind::UnknownAlias => "unknown alias:",
                ProbeKind::Device => "device:       ",
            };
            let class = p.classification.map_or("success", ErrorKind::name);
            let verdict = if p.as_expected {
                "as assumed"
            } else {
                "NOT as assumed"
            };
            writeln!(
                f,
                "{label} GET {} -> {}, {:?}; read as {class} ({verdict})",
                p.path,
                status_text(p.http_status, p.api_code),
                p.message
            )?;
        }
        if self.findings.is_empty() {
            writeln!(f, "no difference from what the library assumes")?;
        } else {
            writeln!(f, "differences from what the library assumes:")?;
            for finding in &self.findings {
                writeln!(f, "  - [{}] {}", finding.code, finding.message)?;
            }
        }
        Ok(())
    }
}

fn status_text(status: u16, code: Option<i64>) -> String {
    match code {
        Some(c) => format!("HTTP {status}, code {c}"),
        None => format!("HTTP {status}, no code"),
    }
}

/// One answer read: the probe, and what its 2xx body held.
struct Seen {
    probe: Probe,
    body: Option<Vec<u8>>,
}

/// What the rounds gathered besides the probes.
#[derive(Default)]
struct Facts {
    address: Option<SocketAddr>,
    tls_version: Option<u16>,
    server_date: Option<String>,
    clock_skew_s: Option<i64>,
    rate_limit_headers: Vec<(String, String)>,
}

impl Client {
    /// Checks the setup with read-only calls before anything is deleted:
    /// GETs a random registration id that cannot exist [`CHECK_ROUNDS`]
    /// times (the median is the round trip), a random alias no device has,
    /// and the device of [`CheckOptions::device`] if given. It reports the
    /// answers as they came (HTTP status, EngageLab's code and message, the
    /// library's category), the address and TLS version, the server's
    /// `Date` against the local clock, every `X-Rate-Limit-*` header, and the
    /// differences from what the library assumes as [`Finding`]s.
    ///
    /// It can send no DELETE. Each request is sent once (no retry), and the
    /// client's timeout (or the shorter one of [`CheckOptions::call_options`])
    /// bounds the whole check, as it bounds any call with its retries. A
    /// refused credential is not an error: the report says so
    /// ([`CheckReport::credentials_accepted`]).
    ///
    /// # Errors
    /// `InvalidArgument` for a bad [`CheckOptions::device`] (nothing sent);
    /// the failure of a request that got no answer (`Network`, `Timeout`,
    /// `InvalidResponse`); `Timeout` when the deadline passed between two
    /// requests; `Cancelled` when the token of
    /// [`CheckOptions::call_options`] was cancelled.
    pub fn check(&self, options: &CheckOptions) -> Result<CheckReport, Error> {
        let deadline = self.deadline_from_now(&options.call);
        let cancel = options.call.cancel.as_ref();
        let unknown_id = format!("el-check-{:016x}", fastrand::u64(..));
        let unknown_alias = format!("el-check-{:016x}", fastrand::u64(..));
        let device = match &options.device {
            Some(id) => Some((id.clone(), device_path(id)?)),
            None => None,
        };
        let mut facts = Facts::default();
        let device_probe_path = device_path(&unknown_id)?;
        let mut rtts = Vec::with_capacity(CHECK_ROUNDS);
        let mut probes = Vec::new();
        for round in 0..CHECK_ROUNDS {
            let seen = self.probe(
                ProbeKind::UnknownDevice,
                &device_probe_path,
                deadline,
                cancel,
                &mut facts,
            )?;
            rtts.push(seen.probe.rtt);
            if round == 0 {
                probes.push(seen);
            }
        }
        validate::alias(&unknown_alias)?;
        let alias_path = format!("/v4/aliases/{}", validate::path_segment(&unknown_alias));
        probes.push(self.probe(
            ProbeKind::UnknownAlias,
            &alias_path,
            deadline,
            cancel,
            &mut facts,
        )?);
        if let Some((id, path)) = &device {
            let mut seen = self.probe(ProbeKind::Device, path, deadline, cancel, &mut facts)?;
            if let Some(body) = &seen.body {
                // The device's tags and alias are the user's data: only
                // counted, never shown.
                match Device::from_answer(id, seen.probe.http_status, body) {
                    Ok(d) => {
                        seen.probe.message = format!(
                            "{} tag(s), {}",
                            d.tags().len(),
                            if d.alias().is_some() {
                                "an alias"
                            } else {
                                "no alias"
                            }
                        );
                    }
                    Err(e) => {
                        seen.probe.classification = Some(e.kind());
                        seen.probe.message = e.message().to_owned();
                    }
                }
            }
            probes.push(seen);
        }
        let mut findings = Vec::new();
        // A refusal is the verdict (AUTH): "the credentials were not checked"
        // would contradict it. A refusal without EngageLab's code says
        // where else it may come from (`auth_answer`).
        let refused = probes
            .iter()
            .any(|s| s.probe.classification == Some(ErrorKind::Auth));
        let busy = probes.iter().map(|s| &s.probe).find(|p| p.unavailable());
        if let Some(p) = busy {
            findings.push(Finding {
                code: "api_unavailable",
                message: format!(
                    "GET {} answered {} ({}): the API was busy or limiting, so that probe \
                     judged nothing; retry the check later",
                    p.path,
                    status_text(p.http_status, p.api_code),
                    p.classification.map_or("", ErrorKind::name)
                ),
            });
        }
        if !refused && busy.is_none() && !probes.iter().any(|s| s.probe.came_from_the_api()) {
            let first = &probes[0].probe;
            findings.push(Finding {
                code: "not_the_api",
                message: format!(
                    "no answer came from EngageLab's API (a success, or an error with \
                     EngageLab's code): GET {} answered {}, so the credentials were not \
                     checked; check the base URL and any proxy in between",
                    first.path,
                    status_text(first.http_status, first.api_code)
                ),
            });
        }
        for seen in &mut probes {
            judge(seen, &mut findings);
        }
        // Every probe refused says the same: once is enough.
        let mut codes = Vec::new();
        findings.retain(|f| {
            let first = !codes.contains(&f.code);
            codes.push(f.code);
            first
        });
        clock_findings(&facts, &mut findings);
        if let Some((_, v)) = facts
            .rate_limit_headers
            .iter()
            .find(|(k, _)| k == "x-rate-limit-reset")
            && v.trim().parse::<u64>().is_err()
        {
            findings.push(Finding {
                code: "rate_limit_reset",
                message: format!(
                    "X-Rate-Limit-Reset is {v:?}, not the whole number of seconds to wait \
                     (or Unix time) the library assumes; the library ignores it"
                ),
            });
        }
        Ok(CheckReport {
            base_url: self.base_url().to_owned(),
            region: self.region(),
            address: facts.address,
            tls_version: facts.tls_version.map(tls_version::name),
            rtts,
            server_date: facts.server_date,
            clock_skew_s: facts.clock_skew_s,
            rate_limit_headers: facts.rate_limit_headers,
            probes: probes.into_iter().map(|s| s.probe).collect(),
            findings,
        })
    }

    /// One GET of `path` sent by `deadline`, read as the library reads it,
    /// its facts gathered.
    fn probe(
        &self,
        kind: ProbeKind,
        path: &str,
        deadline: Instant,
        cancel: Option<&CancelToken>,
        facts: &mut Facts,
    ) -> Result<Seen, Error> {
        let start = Instant::now();
        let observed = self.observe(path, deadline, cancel)?;
        let rtt = start.elapsed();
        let now = SystemTime::now();
        facts.address = observed.peer.or(facts.address);
        facts.tls_version = observed.tls_version.or(facts.tls_version);
        for (name, value) in observed.headers {
            if name == "date" {
                if facts.server_date.is_none() {
                    facts.clock_skew_s = httpdate::parse_http_date(&value).ok().map(|date| {
                        match date.duration_since(now) {
                            Ok(ahead) => i64::try_from(ahead.as_secs()).unwrap_or(i64::MAX),
                            Err(behind) => {
                                -i64::try_from(behind.duration().as_secs()).unwrap_or(i64::MAX)
                            }
                        }
                    });
                    facts.server_date = Some(value);
                }
            } else if let Some(slot) = facts
                .rate_limit_headers
                .iter_mut()
                .find(|(k, _)| *k == name)
            {
                slot.1 = value;
            } else {
                facts.rate_limit_headers.push((name, value));
            }
        }
        let status = observed.status;
        let scrubber = self.scrubber();
        let (api_code, message, classification, body) = match observed.body {
            None => (
                None,
                format!(
                    "HTTP {status} with a body over the {}-byte cap",
                    crate::MAX_BODY_BYTES
                ),
                Some(ErrorKind::InvalidResponse),
                None,
            ),
            Some(body) if (200..300).contains(&status) => match kind {
                ProbeKind::UnknownAlias => {
                    match alias::registration_ids_from_answer(status, &body) {
                        Ok(ids) => (
                            None,
                            format!("{} registration id(s)", ids.len()),
                            None,
                            Some(body),
                        ),
                        Err(e) => (None, e.message().to_owned(), Some(e.kind()), Some(body)),
                    }
                }
                // A device's answer is a JSON object of its tags and alias:
                // any other 2xx body (a web page answering every path) is not
                // EngageLab's, so it proves nothing of the credentials.
                _ => match Device::from_answer("", status, &body) {
                    Ok(_) => (
                        None,
                        answer::excerpt_scrubbed(&body, scrubber),
                        None,
                        Some(body),
                    ),
                    Err(e) => (None, e.message().to_owned(), Some(e.kind()), Some(body)),
                },
            },
            Some(body) => {
                let (code, message) = answer::decode_error_body_scrubbed(status, &body, scrubber);
                let class = if (300..400).contains(&status) {
                    ErrorKind::InvalidResponse
                } else {
                    ErrorKind::of_answer(status, code)
                };
                (code, message, Some(class), None)
            }
        };
        Ok(Seen {
            probe: Probe {
                kind,
                path: path.to_owned(),
                http_status: status,
                api_code,
                message,
                classification,
                as_expected: true,
                rtt,
            },
            body,
        })
    }
}

/// Compares one answer with what the library assumes, marking the probe and
/// adding findings.
fn judge(seen: &mut Seen, findings: &mut Vec<Finding>) {
    let p = &mut seen.probe;
    let got = format!(
        "{} ({:?})",
        status_text(p.http_status, p.api_code),
        p.message
    );
    let mut add = |code: &'static str, message: String| {
        findings.push(Finding { code, message });
    };
    if p.classification == Some(ErrorKind::Auth) {
        p.as_expected = false;
        add(
            "credentials_refused",
            format!(
                "the credentials were refused: GET {} answered {got}; an AppKey belongs \
                 to one data centre, so check the region as well as the Master Secret",
                p.path
            ),
        );
        if (p.http_status, p.api_code) != (401, Some(21004)) {
            add(
                "auth_answer",
                format!(
                    "the refusal came as {got}, where the library assumes HTTP 401 with \
                     code 21004; it reads any 401 or 403 as AUTH all the same{}",
                    if answer::has_api_code(p.http_status, p.api_code) {
                        ""
                    } else {
                        "; without EngageLab's code it may come from a proxy or gateway in \
                         between, so check the base URL and any proxy as well"
                    }
                ),
            );
        }
        return;
    }
    if p.unavailable() {
        // Busy or limiting: no lasting difference (`api_unavailable` says so).
        p.as_expected = false;
        return;
    }
    match p.kind {
        ProbeKind::UnknownDevice => {
            if p.classification != Some(ErrorKind::NotFound) {
                p.as_expected = false;
                let class = p.classification.map_or("success", ErrorKind::name);
                // `delete_device` reads any 2xx as deleted, whatever its body.
                let counted = if p.classification.is_some() && !(200..300).contains(&p.http_status)
                {
                    "failures"
                } else {
                    "deleted"
                };
                add(
                    "unknown_device_not_found",
                    format!(
                        "an unknown registration id answered {got}, which the library reads \
                         as {class}, not NOT_FOUND: deleting ids that are already gone would \
                         count them as {counted}"
                    ),
                );
            } else if (p.http_status, p.api_code) != (400, Some(27002)) {
                p.as_expected = false;
                add(
                    "unknown_device_answer",
                    format!(
                        "an unknown registration id answered {got}, where the library assumes \
                         HTTP 400 with code 27002; it is NOT_FOUND all the same"
                    ),
                );
            }
        }
        ProbeKind::UnknownAlias => {
            let empty = seen.body.as_ref().is_some_and(|body| {
                alias::registration_ids_from_answer(p.http_status, body)
                    .is_ok_and(|ids| ids.is_empty())
            });
            if !empty {
                p.as_expected = false;
                let reading = match p.classification {
                    Some(ErrorKind::NotFound) => "get_alias reports NOT_FOUND and erase-user \
                                                  reads it as no device bound"
                        .to_owned(),
                    Some(kind) => format!("get_alias reports {}", kind.name()),
                    None => "get_alias returns those ids".to_owned(),
                };
                add(
                    "unknown_alias_answer",
                    format!(
                        "an unknown alias answered {got}, where the library assumes HTTP 200 \
                         with an empty registration_ids list; {reading}"
                    ),
                );
            }
        }
        ProbeKind::Device => {
            if p.classification.is_some() {
                p.as_expected = false;
                let class = p.classification.map_or("success", ErrorKind::name);
                add(
                    "device_answer",
                    format!(
                        "the device answered {got}, read as {class}: it is not usable with \
                         these credentials here (check the region and the id)"
                    ),
                );
            }
        }
    }
}

fn clock_findings(facts: &Facts, findings: &mut Vec<Finding>) {
    match (&facts.server_date, facts.clock_skew_s) {
        (None, _) => findings.push(Finding {
            code: "no_date",
            message: "the answers carry no Date header: the server's clock cannot be compared"
                .to_owned(),
        }),
        (Some(date), None) => findings.push(Finding {
            code: "no_date",
            message: format!("the Date header {date:?} is not an HTTP date"),
        }),
        (Some(date), Some(skew)) if skew.unsigned_abs() > MAX_CLOCK_SKEW.as_secs() => {
            let way = if skew > 0 { "ahead of" } else { "behind" };
            findings.push(Finding {
                code: "clock_skew",
                message: format!(
                    "the server's clock is {} s {way} this machine's (Date: {date}); an \
                     X-Rate-Limit-Reset given as a Unix time would be misread by as much",
                    skew.unsigned_abs()
                ),
            });
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(kind: ProbeKind, status: u16, code: Option<i64>, body: Option<&str>) -> Seen {
        let classification = match (status, body) {
            (200..=299, _) => None,
            _ => Some(ErrorKind::of_answer(status, code)),
        };
        Seen {
            probe: Probe {
                kind,
                path: "/v4/x".to_owned(),
                http_status: status,
                api_code: code,
                message: "m".to_owned(),
                classification,
                as_expected: true,
                rtt: Duration::ZERO,
            },
            body: body.map(|b| b.as_bytes().to_vec()),
        }
    }

    fn codes(mut s: Seen) -> (Vec<&'static str>, bool) {
        let mut findings = Vec::new();
        judge(&mut s, &mut findings);
        (
            findings.iter().map(|f| f.code).collect(),
            s.probe.as_expected,
        )
    }

    #[test]
    fn unknown_alias_answers_other_than_an_empty_list_are_named() {
        let empty = seen(
            ProbeKind::UnknownAlias,
            200,
            None,
            Some(r#"{"registration_ids":[]}"#),
        );
        assert_eq!(codes(empty), (vec![], true));
        for other in [
            seen(ProbeKind::UnknownAlias, 400, Some(27002), None),
            seen(ProbeKind::UnknownAlias, 404, None, None),
            seen(
                ProbeKind::UnknownAlias,
                200,
                None,
                Some(r#"{"registration_ids":["x"]}"#),
            ),
            seen(ProbeKind::UnknownAlias, 200, None, Some("[]")),
        ] {
            assert_eq!(codes(other), (vec!["unknown_alias_answer"], false));
        }
    }

    fn report(region: Option<Region>, date: Option<&str>, skew: Option<i64>) -> CheckReport {
        CheckReport {
            base_url: "https://api.test".to_owned(),
            region,
            address: None,
            tls_version: None,
            rtts: vec![Duration::from_millis(7)],
            server_date: date.map(str::to_owned),
            clock_skew_s: skew,
            rate_limit_headers: Vec::new(),
            probes: vec![seen(ProbeKind::UnknownDevice, 400, Some(27002), None).probe],
            findings: Vec::new(),
        }
    }

    #[test]
    fn the_text_names_the_region_and_a_date_it_cannot_read() {
        let r = report(Some(Region::Singapore), Some("soon"), None);
        assert_eq!(r.region(), Some(Region::Singapore));
        let text = r.to_string();
        assert!(
            text.starts_with("target:        region sgp (https://api.test)\n"),
            "{text}"
        );
        assert!(
            text.contains("server clock:  soon (not a readable date)\n"),
            "{text}"
        );
        let text = report(None, None, None).to_string();
        assert!(text.contains("server clock:  no Date header\n"), "{text}");
    }

    #[test]
    fn a_missing_or_unreadable_date_and_a_skew_past_the_limit_are_findings() {
        let limit = i64::try_from(MAX_CLOCK_SKEW.as_secs()).unwrap();
        let found = |date: Option<&str>, skew: Option<i64>| {
            let facts = Facts {
                server_date: date.map(str::to_owned),
                clock_skew_s: skew,
                ..Facts::default()
            };
            let mut findings = Vec::new();
            clock_findings(&facts, &mut findings);
            findings
                .iter()
                .map(|f| format!("{}: {}", f.code, f.message))
                .collect::<Vec<_>>()
        };
        let date = Some("Thu, 01 Jan 2099 00:00:00 GMT");
        assert!(found(date, Some(limit)).is_empty());
        assert!(found(date, Some(-limit)).is_empty());
        assert!(found(date, Some(limit + 1))[0].starts_with("clock_skew: "));
        assert!(found(date, Some(-limit - 1))[0].contains(" s behind this machine's"));
        let none = found(None, None);
        assert!(
            none[0].starts_with("no_date: the answers carry no Date"),
            "{none:?}"
        );
        let unreadable = found(Some("soon"), None);
        assert!(unreadable[0].starts_with("no_date: the Date header \"soon\" is not"));
    }

    #[test]
    fn a_refusal_unlike_the_assumed_401_is_named_too() {
        let usual = seen(ProbeKind::UnknownDevice, 401, Some(21004), None);
        assert_eq!(codes(usual), (vec!["credentials_refused"], false));
        let bare = seen(ProbeKind::UnknownDevice, 403, None, None);
        assert_eq!(
            codes(bare),
            (vec!["credentials_refused", "auth_answer"], false)
        );
    }
}
