//! What an HTTP answer means: its error category, EngageLab's code and message
//! from the body, and the server's hint on when to retry.

use std::time::{Duration, SystemTime};

use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind};
use crate::secret::{REDACTED, Scrubber, is_format};

/// The longest message excerpt taken from a body, in bytes.
pub(crate) const MAX_EXCERPT: usize = 200;

/// Whether an error answer carries an error code of EngageLab's own: one
/// is there, and it is not merely the HTTP status repeated, as gateways,
/// proxies and web frameworks answer.
pub(crate) fn has_api_code(status: u16, code: Option<i64>) -> bool {
    code.is_some_and(|code| code != i64::from(status))
}

/// EngageLab's code and message from an error body: the wrapped form
/// `{"error":{"code":..,"message":..}}`, the flat form `{"code":..,"message":..}`,
/// else a short excerpt of the text (HTML, plain text), else a description of
/// the empty body. Nothing is scrubbed: see [`decode_error_body_scrubbed`].
#[cfg(test)]
pub(crate) fn decode_error_body(status: u16, body: &[u8]) -> (Option<i64>, String) {
    decode_error_body_scrubbed(status, body, &Scrubber::default())
}

/// [`decode_error_body`], with the secrets `scrubber` knows removed from the
/// text *before* it is cut to an excerpt (see [`excerpt_scrubbed`]).
pub(crate) fn decode_error_body_scrubbed(
    status: u16,
    body: &[u8],
    scrubber: &Scrubber,
) -> (Option<i64>, String) {
    if let Ok(serde_json::Value::Object(top)) = serde_json::from_slice::<serde_json::Value>(body) {
        let inner = match top.get("error") {
            Some(serde_json::Value::Object(inner)) => inner,
            _ => &top,
        };
        let code = inner.get("code").and_then(|c| match c {
            serde_json::Value::Number(n) => n.as_i64(),
            serde_json::Value::String(s) => s.trim().parse().ok(),
            _ => None,
        });
        let message = match inner.get("message") {
            Some(serde_json::Value::String(m)) => Some(excerpt_scrubbed(m.as_bytes(), scrubber)),
            _ => None,
        };
        if code.is_some() || message.is_some() {
            let message =
                message.unwrap_or_else(|| format!("HTTP {status} with no message in the body"));
            return (code, message);
        }
    }
    let text = excerpt_scrubbed(body, scrubber);
    if text.is_empty() {
        (None, format!("HTTP {status} with an empty body"))
    } else {
        (None, text)
    }
}

/// At most [`MAX_EXCERPT`] bytes of `body` as valid UTF-8 on one line: invalid
/// bytes replaced, control characters and runs of whitespace folded to a
/// space, Unicode format characters (bidi overrides and isolates, zero-width
/// characters, the BOM: see [`crate::secret::is_format`]) stripped so server
/// text cannot reorder or hide what a log shows, cut on a character boundary.
/// Format characters are stripped rather than escaped: an escape would put
/// visible text between the halves of a split secret, hiding it from the
/// scrubber's check of the excerpt's end.
///
/// Nothing is scrubbed: server text that may echo a secret goes through
/// [`excerpt_scrubbed`].
#[cfg(test)]
pub(crate) fn excerpt(body: &[u8]) -> String {
    excerpt_scrubbed(body, &Scrubber::default())
}

/// [`excerpt`] of `body` with secrets removed: the whole body is scrubbed
/// first, then folded and cut, then a secret's prefix the cut left at the
/// end is removed too, so no secret survives in any form the [`Scrubber`]
/// knows, wherever the cut falls. The result stays within [`MAX_EXCERPT`].
pub(crate) fn excerpt_scrubbed(body: &[u8], scrubber: &Scrubber) -> String {
    let text = String::from_utf8_lossy(body);
    let text = scrubber.scrub_whole(&text);
    let mut out = String::with_capacity(MAX_EXCERPT);
    let mut last_space = true;
    let mut cut_at = None;
    for (i, c) in text.char_indices() {
        if is_format(c) {
            continue;
        }
        let c = if c.is_control() || c.is_whitespace() {
            ' '
        } else {
            c
        };
        if c == ' ' && last_space {
            continue;
        }
        if out.len() + c.len_utf8() > MAX_EXCERPT {
            cut_at = Some(i);
            break;
        }
        last_space = c == ' ';
        out.push(c);
    }
    // A cut inside a redaction marker drops the marker's start, which would
    // read as server text ("** r").
    if let Some(i) = cut_at {
        let cut = (1..REDACTED.len())
            .rev()
            .find(|&k| out.ends_with(&REDACTED[..k]) && text[i..].starts_with(&REDACTED[k..]));
        if let Some(k) = cut {
            out.truncate(out.len() - k);
        }
    }
    let out = out.trim_end().to_owned();
    scrubber.scrub_tail(out, MAX_EXCERPT)
}

/// The body of a 2xx answer to `call` (e.g. `"GET /v4/devices"`) as a JSON
/// object, with its text: it must be UTF-8 JSON whose top level is an
/// object. Otherwise [`invalid_json`].
pub(crate) fn json_object<'a>(
    call: &str,
    status: u16,
    body: &'a [u8],
) -> Result<(Map<String, Value>, &'a str), Error> {
    let text = std::str::from_utf8(body).map_err(|e| {
        invalid_json(
            call,
            status,
            &format!("is not UTF-8 (at byte {})", e.valid_up_to()),
        )
    })?;
    let value: Value = serde_json::from_str(text).map_err(|e| {
        invalid_json(
            call,
            status,
            &format!("is not JSON (line {}, column {})", e.line(), e.column()),
        )
    })?;
    match value {
        Value::Object(map) => Ok((map, text)),
        other => Err(invalid_json(
            call,
            status,
            &format!("is JSON {}, not an object", type_name(&other)),
        )),
    }
}

/// `InvalidResponse` with the answer's HTTP status: "the HTTP 200 answer to
/// `call` `what`". The message names what is wrong but never quotes the body.
pub(crate) fn invalid_json(call: &str, status: u16, what: &str) -> Error {
    Error::new(
        ErrorKind::InvalidResponse,
        format!("the HTTP {status} answer to {call} {what}"),
    )
    .with_http(status, None)
}

/// A JSON value's type, as a message names it: `null`, `a string`, ...
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The longest retry hint taken from a server: longer hints are cut to it,
/// so no header value makes the arithmetic on it overflow.
pub(crate) const MAX_HINT: Duration = Duration::from_secs(24 * 60 * 60);

/// The server's retry hint: `Retry-After` (seconds or an HTTP date), else
/// `X-Rate-Limit-Reset` (seconds to wait, or a Unix time when it is that
/// large). Every hint is cut to [`MAX_HINT`]; no value overflows.
pub(crate) fn retry_hint(
    retry_after: Option<&str>,
    rate_limit_reset: Option<&str>,
) -> Option<Duration> {
    retry_hint_uncapped(retry_after, rate_limit_reset).map(|d| d.min(MAX_HINT))
}

fn retry_hint_uncapped(
    retry_after: Option<&str>,
    rate_limit_reset: Option<&str>,
) -> Option<Duration> {
    let until = |when: SystemTime| {
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO)
    };
    if let Some(value) = retry_after.map(str::trim) {
        if let Ok(secs) = value.parse::<u64>() {
            return Some(Duration::from_secs(secs.min(MAX_HINT.as_secs())));
        }
        if value.bytes().all(|b| b.is_ascii_digit()) && !value.is_empty() {
            // More digits than a u64 holds.
            return Some(MAX_HINT);
        }
        if let Ok(secs) = value.parse::<f64>()
            && secs.is_finite()
            && secs >= 0.0
        {
            return Duration::try_from_secs_f64(secs.min(MAX_HINT.as_secs_f64())).ok();
        }
        if let Ok(when) = httpdate::parse_http_date(value) {
            return Some(until(when));
        }
    }
    let reset = rate_limit_reset?.trim().parse::<u64>().ok()?;
    // Values past 2001-09-09 are Unix times, smaller ones are seconds to wait.
    if reset >= 1_000_000_000 {
        match SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(reset)) {
            Some(when) => Some(until(when)),
            None => Some(MAX_HINT),
        }
    } else {
        Some(Duration::from_secs(reset))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify(status: u16, api_code: Option<i64>) -> ErrorKind {
        ErrorKind::of_answer(status, api_code)
    }

    #[test]
    fn classification_follows_the_error_model_order() {
        assert_eq!(classify(401, None), ErrorKind::Auth);
        assert_eq!(classify(403, Some(20101)), ErrorKind::Auth);
        assert_eq!(classify(400, Some(21004)), ErrorKind::Auth);
        assert_eq!(classify(400, Some(23009)), ErrorKind::Auth);
        assert_eq!(classify(404, None), ErrorKind::NotFound);
        assert_eq!(classify(400, Some(20101)), ErrorKind::NotFound);
        assert_eq!(classify(429, None), ErrorKind::RateLimited);
        assert_eq!(classify(400, Some(23008)), ErrorKind::RateLimited);
        assert_eq!(classify(503, Some(23008)), ErrorKind::RateLimited);
        assert_eq!(classify(502, None), ErrorKind::Server);
        assert_eq!(classify(400, Some(27000)), ErrorKind::Server);
        assert_eq!(classify(400, Some(21030)), ErrorKind::Server);
        assert_eq!(classify(400, Some(27002)), ErrorKind::NotFound);
        assert_eq!(classify(400, Some(27003)), ErrorKind::Api);
        assert_eq!(classify(418, None), ErrorKind::Api);
    }

    #[test]
    fn bodies_in_every_form() {
        let wrapped = br#"{"error":{"code":27002,"message":"unknown error"}}"#;
        assert_eq!(
            decode_error_body(400, wrapped),
            (Some(27002), "unknown error".into())
        );
        let flat = br#"{"code":"21003","message":"invalid value"}"#;
        assert_eq!(
            decode_error_body(400, flat),
            (Some(21003), "invalid value".into())
        );
        let html = b"<html>\n<body>502   Bad\tGateway</body></html>";
        assert_eq!(
            decode_error_body(502, html),
            (None, "<html> <body>502 Bad Gateway</body></html>".into())
        );
        assert_eq!(
            decode_error_body(503, b""),
            (None, "HTTP 503 with an empty body".into())
        );
        assert_eq!(decode_error_body(400, b"[1,2]"), (None, "[1,2]".into()));
        let code_only = br#"{"error":{"code":21004}}"#;
        assert_eq!(decode_error_body(401, code_only).0, Some(21004));
    }

    #[test]
    fn a_cut_inside_a_redaction_marker_drops_the_marker() {
        let scrubber = Scrubber::new(&["S3CRET-canary-7f3a"]);
        for before in 180..MAX_EXCERPT {
            let body = format!("{} S3CRET-canary-7f3a and more", "x".repeat(before));
            let e = excerpt_scrubbed(body.as_bytes(), &scrubber);
            let partial = (1..REDACTED.len()).any(|k| e.ends_with(&REDACTED[..k]));
            assert!(
                e.ends_with(REDACTED) || !partial,
                "{before}: {:?}",
                &e[e.len().saturating_sub(20)..]
            );
        }
    }

    #[test]
    fn excerpts_are_short_valid_utf8() {
        let long = "é".repeat(1000);
        let e = excerpt(long.as_bytes());
        assert!(e.len() <= MAX_EXCERPT && e.chars().all(|c| c == 'é'));
        let broken = [b'a', 0xff, 0xfe, b'b'];
        assert_eq!(excerpt(&broken), "a\u{fffd}\u{fffd}b");
        // Control characters (an escape sequence for a terminal) and every
        // kind of whitespace become one space.
        assert_eq!(excerpt(b"a\x1b[2Jb\x01 c"), "a [2Jb c");
        assert_eq!(excerpt("a\u{2003}\u{a0}b".as_bytes()), "a b");
        // A body exactly as long as an excerpt is kept whole.
        let full = "x".repeat(MAX_EXCERPT);
        assert_eq!(excerpt(full.as_bytes()), full);
        assert_eq!(excerpt(format!("{full}y").as_bytes()).len(), MAX_EXCERPT);
    }

    #[test]
    fn retry_hints() {
        assert_eq!(retry_hint(Some("3"), None), Some(Duration::from_secs(3)));
        assert_eq!(
            retry_hint(Some("0.5"), None),
            Some(Duration::from_millis(500))
        );
        assert_eq!(retry_hint(None, Some("2")), Some(Duration::from_secs(2)));
        assert_eq!(
            retry_hint(Some("Wed, 21 Oct 2015 07:28:00 GMT"), None),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_hint(None, Some("1000000000")), Some(Duration::ZERO));
        assert_eq!(retry_hint(Some("soon"), None), None);
        assert_eq!(retry_hint(None, None), None);
        // An empty header is no hint; a huge one is cut to a day.
        assert_eq!(retry_hint(Some(""), None), None);
        assert_eq!(
            retry_hint(Some("99999999999999999999999"), None),
            Some(Duration::from_secs(86_400))
        );
        assert_eq!(
            retry_hint(None, Some("99999")),
            Some(Duration::from_secs(86_400))
        );
    }

    #[test]
    fn a_retry_after_of_no_usable_duration_gives_way_to_the_rate_limit_reset() {
        for value in ["-1", "-0.5", "inf", "-inf", "NaN", "soon"] {
            assert_eq!(retry_hint(Some(value), None), None, "{value}");
            assert_eq!(
                retry_hint(Some(value), Some("2")),
                Some(Duration::from_secs(2)),
                "{value}"
            );
        }
    }

    #[test]
    fn a_time_in_the_future_is_a_hint_of_the_time_until_it() {
        let later = SystemTime::now() + Duration::from_secs(100);
        let unix = later.duration_since(SystemTime::UNIX_EPOCH).unwrap();
        for hint in [
            retry_hint(Some(&httpdate::fmt_http_date(later)), None),
            retry_hint(None, Some(&unix.as_secs().to_string())),
        ] {
            let hint = hint.expect("a hint");
            assert!(
                hint > Duration::from_secs(90) && hint <= Duration::from_secs(100),
                "{hint:?}"
            );
        }
    }
}
