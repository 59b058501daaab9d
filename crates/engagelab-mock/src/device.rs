//! The device API: what EngageLab answers on `/v4/...`, plus scripted answers.

use std::thread;
use std::time::Duration;

use percent_encoding::percent_decode_str;
use serde::Serialize;

use crate::http::{Body, Reply};
use crate::script::{Action, Answer};
use crate::state::State;

const SUCCESS: &[u8] = br#"{"success":true}"#;
const AUTH_FAILED: &[u8] = br#"{"error":{"code":21004,"message":"authentication failed"}}"#;
const METHOD_NOT_ALLOWED: &[u8] = br#"{"error":{"code":21001,"message":"method not allowed"}}"#;
const NOT_FOUND: &[u8] = br#"{"error":{"code":404,"message":"not found"}}"#;
const TOO_MANY_REQUESTS: &[u8] = br#"{"error":{"code":23008,"message":"too many requests"}}"#;

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
    /// Another path under `/v4/`.
    OtherV4,
    /// Anything else.
    Other,
}

/// Classifies a request path (query already cut).
fn route(path: &str) -> Route {
    if let Some(rest) = path.strip_prefix("/v4/devices/") {
        if rest.is_empty() || rest.contains('/') {
            return Route::OtherV4;
        }
        return match percent_decode_str(rest).decode_utf8() {
            Ok(id) => Route::Device(id.into_owned()),
            Err(_) => Route::OtherV4,
        };
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
pub(crate) fn answer(state: &State, method: &str, path: &str, authorized: bool) -> Outcome {
    let route = route(path);
    if let Route::Device(id) = &route
        && let Some(answer) = state.next_answer(id)
    {
        return scripted(answer);
    }
    let (latency_ms, rate_limit) = state.latency_and_rate();
    if latency_ms > 0 {
        thread::sleep(Duration::from_millis(latency_ms));
    }
    let id = match route {
        Route::Other => return Outcome::Reply(Reply::new(404, NOT_FOUND)),
        _ if !authorized => return Outcome::Reply(Reply::new(401, AUTH_FAILED)),
        route => route,
    };
    if let Some(qps) = rate_limit
        && !state.admit(qps)
    {
        let mut reply = Reply::new(429, TOO_MANY_REQUESTS);
        reply
            .headers
            .push(("X-Rate-Limit-Reset".to_owned(), "1".to_owned()));
        return Outcome::Reply(reply);
    }
    let Route::Device(id) = id else {
        return Outcome::Reply(Reply::new(404, NOT_FOUND));
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
    Outcome::Reply(reply)
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
