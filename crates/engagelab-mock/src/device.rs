//! The device API: what EngageLab answers on `/v4/...` (devices and aliases), plus scripted
//! answers.

use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use percent_encoding::percent_decode_str;
use serde::Serialize;

use crate::config::PLATFORMS;
use crate::http::{Body, Reply};
use crate::script::{Action, Answer, Target};
use crate::state::State;

const SUCCESS: &[u8] = br#"{"success":true}"#;
const AUTH_FAILED: &[u8] = br#"{"error":{"code":21004,"message":"authentication failed"}}"#;
const METHOD_NOT_ALLOWED: &[u8] = br#"{"error":{"code":21001,"message":"method not allowed"}}"#;
const NOT_FOUND: &[u8] = br#"{"error":{"code":404,"message":"not found"}}"#;
const TOO_MANY_REQUESTS: &[u8] = br#"{"error":{"code":23008,"message":"too many requests"}}"#;
const BAD_PLATFORM: &[u8] =
    br#"{"error":{"code":21003,"message":"platform must be android, ios or hmos"}}"#;

/// What to do with a request outside the control API.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Send this response.
    Reply(Reply),
    /// Close the connection without answering.
    Drop,
    /// Abort the connection with a TCP reset.
    Reset,
    /// Write bytes that are not HTTP, then close.
    Garbage,
}

/// Where a path leads.
#[derive(Debug, PartialEq, Eq)]
enum Route {
    /// `/v4/devices/{id}` with this decoded id.
    Device(String),
    /// `/v4/aliases/{alias}` with this decoded alias.
    Alias(String),
    /// Another path under `/v4/`.
    OtherV4,
    /// Anything else.
    Other,
}

/// Classifies a request path (query already cut).
fn route(path: &str) -> Route {
    let segment = |rest: &str| {
        if rest.is_empty() || rest.contains('/') {
            return None;
        }
        percent_decode_str(rest)
            .decode_utf8()
            .ok()
            .map(|s| s.into_owned())
    };
    if let Some(rest) = path.strip_prefix("/v4/devices/") {
        return segment(rest).map_or(Route::OtherV4, Route::Device);
    }
    if let Some(rest) = path.strip_prefix("/v4/aliases/") {
        return segment(rest).map_or(Route::OtherV4, Route::Alias);
    }
    if path == "/v4" || path.starts_with("/v4/") {
        Route::OtherV4
    } else {
        Route::Other
    }
}

/// Answers a request outside the control API.
///
/// A device path with a queued scripted answer takes it (no auth, latency or rate limit);
/// otherwise: injected latency, then auth on `/v4/`, then the rate limit, then the device API.
/// `generation` is the state's reset count when the request arrived: a request
/// that waited out the latency across a reset is dropped unanswered.
pub(crate) fn answer(
    state: &State,
    method: &str,
    path: &str,
    query: Option<&str>,
    authorized: bool,
    generation: u64,
) -> Outcome {
    let route = route(path);
    let target = match &route {
        Route::Device(id) => Some(Target::Device(id.clone())),
        Route::Alias(alias) => Some(Target::Alias(alias.clone())),
        _ => None,
    };
    if let Some(answer) = target.and_then(|t| state.next_answer(&t)) {
        return scripted(answer);
    }
    match unscripted(state, method, route, query, authorized, generation) {
        Outcome::Reply(mut reply) => {
            reply
                .headers
                .push(("Date".to_owned(), http_date(state.date_offset_s())));
            Outcome::Reply(reply)
        }
        other => other,
    }
}

/// The `Date` header's value: now, moved by `offset_s` seconds, and no earlier
/// than 1970 (HTTP dates cannot say earlier; `httpdate` panics on them, which
/// killed the connection thread after the request had been acted on).
fn http_date(offset_s: i64) -> String {
    let now = SystemTime::now();
    let offset = Duration::from_secs(offset_s.unsigned_abs());
    let when = if offset_s >= 0 {
        now.checked_add(offset)
    } else {
        now.checked_sub(offset)
    };
    httpdate::fmt_http_date(when.unwrap_or(now).max(UNIX_EPOCH))
}

/// Answers a request no script answers: latency, auth, rate limit, routing.
fn unscripted(
    state: &State,
    method: &str,
    route: Route,
    query: Option<&str>,
    authorized: bool,
    generation: u64,
) -> Outcome {
    let (latency_ms, rate_limit) = state.latency_and_rate();
    if latency_ms > 0 {
        thread::sleep(Duration::from_millis(latency_ms));
        // A reset while it waited: the test that sent it is over, and acting
        // now would change the next test's store (and rate-limit window).
        if state.generation() != generation {
            return Outcome::Drop;
        }
    }
    let id = match route {
        Route::Other => return Outcome::Reply(Reply::new(404, NOT_FOUND)),
        _ if !authorized => return Outcome::Reply(Reply::new(401, AUTH_FAILED)),
        route => route,
    };
    let (burst, quota_headers) = state.limiter_kind();
    let verdict = rate_limit.map(|qps| state.admit(qps, burst));
    let with_quota = |mut reply: Reply| {
        if let (true, Some(v)) = (quota_headers, verdict) {
            reply.headers.extend([
                ("X-Rate-Limit-Limit".to_owned(), v.limit.to_string()),
                ("X-Rate-Limit-Remaining".to_owned(), v.remaining.to_string()),
                ("X-Rate-Limit-Reset".to_owned(), v.reset_s.to_string()),
            ]);
        }
        Outcome::Reply(reply)
    };
    if verdict.is_some_and(|v| !v.admitted) {
        let mut reply = Reply::new(429, TOO_MANY_REQUESTS);
        if !quota_headers {
            reply
                .headers
                .push(("X-Rate-Limit-Reset".to_owned(), "1".to_owned()));
        }
        return with_quota(reply);
    }
    let id = match id {
        Route::Device(id) => id,
        Route::Alias(alias) => return with_quota(alias_answer(state, method, &alias, query)),
        _ => return with_quota(Reply::new(404, NOT_FOUND)),
    };
    let reply = match method {
        "DELETE" => {
            if state.remove_device(&id) {
                Reply::new(200, SUCCESS)
            } else {
                unknown(state)
            }
        }
        "GET" => match state.device(&id) {
            Some(device) => Reply::new(200, device_json(&device.tags, device.alias.as_deref())),
            None => unknown(state),
        },
        _ => {
            let mut reply = Reply::new(405, METHOD_NOT_ALLOWED);
            reply
                .headers
                .push(("Allow".to_owned(), "GET, DELETE".to_owned()));
            reply
        }
    };
    with_quota(reply)
}

/// `GET /v4/aliases/{alias}[?platform=a,b]`: the ids bound to the alias, sorted (`[]` for
/// an alias no device has); an unknown platform is a 400.
fn alias_answer(state: &State, method: &str, alias: &str, query: Option<&str>) -> Reply {
    if method != "GET" {
        let mut reply = Reply::new(405, METHOD_NOT_ALLOWED);
        reply.headers.push(("Allow".to_owned(), "GET".to_owned()));
        return reply;
    }
    let wanted = platforms(query);
    let wanted: Vec<&str> = wanted.iter().map(String::as_str).collect();
    if wanted.iter().any(|p| !PLATFORMS.contains(p)) {
        return Reply::new(400, BAD_PLATFORM);
    }
    let ids = state.alias_ids(alias, &wanted);
    #[derive(Serialize)]
    struct View {
        registration_ids: Vec<String>,
    }
    Reply::new(
        200,
        serde_json::to_vec(&View {
            registration_ids: ids,
        })
        .unwrap_or_default(),
    )
}

/// The values of every `platform=` parameter of the query, percent-decoded and split at
/// commas: `platform=android,ios` is `["android", "ios"]`; an empty value is `[""]`.
fn platforms(query: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    for pair in query.into_iter().flat_map(|q| q.split('&')) {
        if let Some(value) = pair.strip_prefix("platform=") {
            let value = percent_decode_str(value).decode_utf8_lossy();
            out.extend(value.split(',').map(str::to_owned));
        }
    }
    out
}

/// The configured answer for an unknown registration id.
fn unknown(state: &State) -> Reply {
    let (status, body) = state.unknown_device();
    Reply::new(status, body.into_bytes())
}

/// `{"tags":[...],"alias":...}`.
fn device_json(tags: &[String], alias: Option<&str>) -> Vec<u8> {
    #[derive(Serialize)]
    struct View<'a> {
        tags: &'a [String],
        alias: Option<&'a str>,
    }
    serde_json::to_vec(&View { tags, alias }).unwrap_or_default()
}

/// Carries out a scripted answer.
fn scripted(answer: Answer) -> Outcome {
    if answer.delay_ms > 0 {
        thread::sleep(Duration::from_millis(answer.delay_ms));
    }
    match answer.action {
        Action::Drop => Outcome::Drop,
        Action::Reset => Outcome::Reset,
        Action::Garbage => Outcome::Garbage,
        Action::Respond => {
            let close = answer.headers.iter().any(|(n, v)| {
                n.eq_ignore_ascii_case("connection")
                    && v.split(',').any(|t| t.trim().eq_ignore_ascii_case("close"))
            });
            let pattern = answer.body.into_bytes();
            let body = match answer.body_size {
                Some(size) => Body::Repeat { pattern, size },
                None => Body::Bytes(pattern.into()),
            };
            Outcome::Reply(Reply {
                status: answer.status,
                headers: answer.headers,
                body,
                close,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(route("/v4/devices/abc"), Route::Device("abc".into()));
        assert_eq!(route("/v4/devices/a%2Fb"), Route::Device("a/b".into()));
        assert_eq!(
            route("/v4/devices/%E2%9C%93"),
            Route::Device("\u{2713}".into())
        );
        assert_eq!(route("/v4/devices/a+b"), Route::Device("a+b".into()));
        assert_eq!(route("/v4/devices/x/../../tags/vip"), Route::OtherV4);
        assert_eq!(route("/v4/devices/"), Route::OtherV4);
        assert_eq!(route("/v4/devices/%FF"), Route::OtherV4);
        assert_eq!(route("/v4/devices"), Route::OtherV4);
        assert_eq!(route("/v4"), Route::OtherV4);
        assert_eq!(route("/"), Route::Other);
        assert_eq!(route("/v40/devices/x"), Route::Other);
        assert_eq!(route("/v4/aliases/u%2F1"), Route::Alias("u/1".into()));
        assert_eq!(
            route("/v4/aliases/%E7%94%A8"),
            Route::Alias("\u{7528}".into())
        );
        assert_eq!(route("/v4/aliases/a/b"), Route::OtherV4);
        assert_eq!(route("/v4/aliases/"), Route::OtherV4);
    }

    #[test]
    fn platform_queries() {
        assert_eq!(platforms(None), Vec::<String>::new());
        assert_eq!(platforms(Some("platform=android,ios")), ["android", "ios"]);
        assert_eq!(platforms(Some("x=1&platform=hmos")), ["hmos"]);
        assert_eq!(
            platforms(Some("platform=android%2Cios")),
            ["android", "ios"]
        );
        assert_eq!(platforms(Some("platform=")), [""]);
    }

    #[test]
    fn device_json_shape() {
        assert_eq!(
            device_json(&["t".into()], Some("a")),
            br#"{"tags":["t"],"alias":"a"}"#
        );
        assert_eq!(device_json(&[], None), br#"{"tags":[],"alias":null}"#);
    }
}
