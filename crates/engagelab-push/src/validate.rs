//! Checks on everything a caller passes in, made before any request is sent.

use std::net::IpAddr;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use ureq::http::Uri;

use crate::error::Error;
use crate::secret::is_format;

pub use crate::settings::{
    MAX_ALIAS_LEN, MAX_CREDENTIAL_LEN, MAX_REGISTRATION_ID_LEN, MAX_USER_AGENT_LEN,
};
use crate::settings::{REGISTRATION_ID_FIRST_CHAR, REGISTRATION_ID_LAST_CHAR};

/// Bytes left as they are in a path segment: RFC 3986's unreserved characters.
/// Everything else, `/`, `?`, `#` and `%` included, is percent-encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Checks a registration id: not empty, at most [`MAX_REGISTRATION_ID_LEN`]
/// bytes, only printable ASCII without spaces ([`REGISTRATION_ID_FIRST_CHAR`]
/// to [`REGISTRATION_ID_LAST_CHAR`]: EngageLab's ids
/// are ASCII, and anything else, such as a zero-width space or a bidi
/// override, could make two ids look alike in a log), not `.` or `..`.
/// The message names the first offending character and its byte offset.
pub(crate) fn registration_id(id: &str) -> Result<(), Error> {
    if id.is_empty() {
        return Err(Error::invalid_argument("registration_id is empty"));
    }
    if id.len() > MAX_REGISTRATION_ID_LEN {
        return Err(Error::invalid_argument(format!(
            "registration_id is {} bytes long; at most {MAX_REGISTRATION_ID_LEN} are allowed",
            id.len()
        )));
    }
    let allowed = REGISTRATION_ID_FIRST_CHAR..=REGISTRATION_ID_LAST_CHAR;
    if let Some((at, c)) = id.char_indices().find(|(_, c)| !allowed.contains(c)) {
        let what = if c.is_control() {
            "a control character "
        } else if c.is_whitespace() {
            "whitespace "
        } else {
            ""
        };
        return Err(Error::invalid_argument(format!(
            "registration_id contains {what}U+{:04X} at byte {at}; registration ids are printable ASCII without spaces",
            u32::from(c)
        )));
    }
    if id == "." || id == ".." {
        return Err(Error::invalid_argument(
            "registration_id must not be \".\" or \"..\"",
        ));
    }
    Ok(())
}

/// Checks an alias (the app's user id bound to devices): not empty, at most
/// [`MAX_ALIAS_LEN`] bytes, no `/`, no control, whitespace or invisible
/// format character (a bidi override or zero-width space could make two
/// aliases look alike in a log), not `.` or `..`. Other characters, letters
/// of any script and `@!#$&*+=.|` among them, are allowed and sent escaped.
/// The message names the first offending character and its byte offset.
pub(crate) fn alias(alias: &str) -> Result<(), Error> {
    if alias.is_empty() {
        return Err(Error::invalid_argument("alias is empty"));
    }
    if alias.len() > MAX_ALIAS_LEN {
        return Err(Error::invalid_argument(format!(
            "alias is {} bytes long; EngageLab allows at most {MAX_ALIAS_LEN}",
            alias.len()
        )));
    }
    let bad = |c: char| c == '/' || c.is_control() || c.is_whitespace() || is_format(c);
    if let Some((at, c)) = alias.char_indices().find(|(_, c)| bad(*c)) {
        let what = if c == '/' {
            "'/'".to_owned()
        } else if c.is_control() {
            format!("a control character U+{:04X}", u32::from(c))
        } else if c.is_whitespace() {
            format!("whitespace U+{:04X}", u32::from(c))
        } else {
            format!("an invisible format character U+{:04X}", u32::from(c))
        };
        return Err(Error::invalid_argument(format!(
            "alias contains {what} at byte {at}; an alias is one path segment of visible characters"
        )));
    }
    if alias == "." || alias == ".." {
        return Err(Error::invalid_argument("alias must not be \".\" or \"..\""));
    }
    Ok(())
}

/// A registration id or alias as one percent-encoded path segment: `a/../b`
/// becomes `a%2F..%2Fb`, so no id can reach another endpoint.
pub(crate) fn path_segment(text: &str) -> String {
    utf8_percent_encode(text, SEGMENT).to_string()
}

/// Checks the AppKey or Master Secret (`what` names which): not empty, at most
/// [`MAX_CREDENTIAL_LEN`] bytes, no control characters (a CR or LF would split
/// the header); the AppKey also without `:`, which Basic authentication uses
/// as separator.
pub(crate) fn credential(what: &str, value: &str) -> Result<(), Error> {
    if value.is_empty() {
        return Err(Error::invalid_argument(format!("{what} is empty")));
    }
    if value.len() > MAX_CREDENTIAL_LEN {
        return Err(Error::invalid_argument(format!(
            "{what} is {} bytes long; at most {MAX_CREDENTIAL_LEN} are allowed",
            value.len()
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid_argument(format!(
            "{what} contains a control character (CR, LF, ...)"
        )));
    }
    if what == "app_key" && value.contains(':') {
        return Err(Error::invalid_argument("app_key contains ':'"));
    }
    Ok(())
}

/// Checks a User-Agent: not empty, printable, at most [`MAX_USER_AGENT_LEN`]
/// bytes.
pub(crate) fn user_agent(value: &str) -> Result<(), Error> {
    if value.is_empty() || value.len() > MAX_USER_AGENT_LEN || value.chars().any(char::is_control) {
        return Err(Error::invalid_argument(format!(
            "user_agent must be 1 to {MAX_USER_AGENT_LEN} bytes of printable text"
        )));
    }
    Ok(())
}

/// Checks a base URL and returns it without trailing slashes.
///
/// Accepted: `https://host[:port][/prefix]`, and `http://` only to a loopback
/// host (`localhost`, `127.0.0.0/8`, `::1`) unless `allow_insecure_http`.
/// Refused: other schemes, user info (credentials in a URL leak), a query or
/// fragment, a port outside 1–65535 (an unparsable port would otherwise be
/// dropped and the default port used).
pub(crate) fn base_url(url: &str, allow_insecure_http: bool) -> Result<String, Error> {
    let shown = shown_url(url);
    let bad = |why: &str| Error::invalid_argument(format!("base_url {shown:?} {why}"));
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(bad("contains whitespace or control characters"));
    }
    let uri: Uri = url.parse().map_err(|_| bad("is not a valid URL"))?;
    let scheme = uri.scheme_str().map(str::to_ascii_lowercase);
    let authority = uri
        .authority()
        .ok_or_else(|| bad("has no host (expected https://host)"))?;
    if authority.as_str().contains('@') {
        return Err(bad(
            "must not contain user info; credentials go in app_key and master_secret",
        ));
    }
    if uri.query().is_some() || url.contains('#') {
        return Err(bad("must not contain a query or fragment"));
    }
    if authority.host().is_empty() {
        return Err(bad("has no host"));
    }
    if let Err(why) = port(authority.as_str()) {
        return Err(bad(&why));
    }
    match scheme.as_deref() {
        Some("https") => {}
        Some("http") if allow_insecure_http || is_loopback(authority.host()) => {}
        Some("http") => {
            return Err(bad(
                "uses plain http to a host that is not loopback; use https, or allow_insecure_http",
            ));
        }
        _ => return Err(bad("must start with https:// (or http:// for loopback)")),
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// Refuses a plain-http base URL (accepted because its host is loopback)
/// reached through a proxy that is not: the proxy resolves the host itself, so
/// the request, Authorization header included, would cross the network in
/// clear and land on the proxy host's own loopback. `allow_insecure_http`
/// allows it, as it allows plain http anywhere.
pub(crate) fn plain_http_through_proxy(
    base_url: &str,
    proxy: &ureq::Proxy,
    allow_insecure_http: bool,
) -> Result<(), Error> {
    let plain = base_url
        .get(..7)
        .is_some_and(|s| s.eq_ignore_ascii_case("http://"));
    if plain && !allow_insecure_http && !is_loopback(proxy.host()) {
        return Err(Error::invalid_argument(format!(
            "base_url {:?} uses plain http through a proxy that is not loopback (the request \
             would cross the network in clear); use https, or allow_insecure_http",
            shown_url(base_url)
        )));
    }
    Ok(())
}

/// Checks a proxy URL: `http://` or `https://` with a host and, if given, a
/// port in 1–65535. SOCKS proxies (`socks4://`, `socks4a://`, `socks5://`)
/// are refused: this build of the HTTP stack cannot speak SOCKS, and would
/// fail on every call instead.
pub(crate) fn proxy(url: &str) -> Result<ureq::Proxy, Error> {
    let bad = |why: &str| {
        Error::invalid_argument(format!(
            "proxy {why} (expected http://host:port or https://host:port)"
        ))
    };
    if url.is_empty() || url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(bad("is not a valid proxy URL"));
    }
    let uri: Uri = url.parse().map_err(|_| bad("is not a valid proxy URL"))?;
    match uri.scheme_str().map(str::to_ascii_lowercase).as_deref() {
        Some("http" | "https") => {}
        Some("socks4" | "socks4a" | "socks5" | "socks5h") => {
            return Err(bad(
                "uses SOCKS, which is not supported; only http:// and https:// proxies are",
            ));
        }
        _ => return Err(bad("is not a valid proxy URL")),
    }
    let authority = uri
        .authority()
        .ok_or_else(|| bad("is not a valid proxy URL"))?;
    if authority.host().is_empty() {
        return Err(bad("has no host"));
    }
    port(authority.as_str()).map_err(|why| bad(&why))?;
    ureq::Proxy::new(url).map_err(|_| bad("is not a valid proxy URL"))
}

/// Checks the port of an authority (`[user@]host[:port]`), if one is given:
/// digits only, 1–65535.
fn port(authority: &str) -> Result<(), String> {
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let after_host = match host_port.rfind(']') {
        Some(end) => &host_port[end + 1..],
        None => host_port,
    };
    let Some((_, port)) = after_host.rsplit_once(':') else {
        return Ok(());
    };
    match port.parse::<u16>() {
        Ok(1..) if port.bytes().all(|b| b.is_ascii_digit()) => Ok(()),
        _ => {
            let shown: String = port.chars().take(12).collect();
            Err(format!("has port {shown:?}; ports are 1 to 65535"))
        }
    }
}

/// The proxy URL without any user info, for display.
pub(crate) fn proxy_for_display(url: &str) -> String {
    match url.parse::<Uri>() {
        Ok(uri) => {
            let scheme = uri.scheme_str().unwrap_or("http");
            let host = uri.host().unwrap_or("?");
            match uri.port_u16() {
                Some(port) => format!("{scheme}://{host}:{port}"),
                None => format!("{scheme}://{host}"),
            }
        }
        Err(_) => "<invalid>".to_owned(),
    }
}

/// A URL or path as it may be shown: at most 80 characters, and never one
/// that may carry credentials (user info).
pub(crate) fn shown_url(url: &str) -> String {
    if url.contains('@') {
        "<with user info>".to_owned()
    } else {
        url.chars().take(80).collect()
    }
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked() {
        assert!(registration_id("1a0018970a5c4e0b").is_ok());
        assert!(registration_id("a/../../tags/vip").is_ok());
        for (bad, says) in [
            ("", "empty"),
            ("a\nb", "control character U+000A at byte 1"),
            ("a\u{7f}", "control character"),
            (" a", "whitespace"),
            ("..", "\"..\""),
        ] {
            let e = registration_id(bad).unwrap_err();
            assert!(e.message().contains(says), "{bad:?}: {}", e.message());
        }
        let long = "x".repeat(MAX_REGISTRATION_ID_LEN + 1);
        assert!(
            registration_id(&long)
                .unwrap_err()
                .message()
                .contains("257 bytes")
        );
        assert!(registration_id(&long[1..]).is_ok());
    }

    #[test]
    fn ids_become_one_segment() {
        assert_eq!(path_segment("a/../../tags/vip"), "a%2F..%2F..%2Ftags%2Fvip");
        assert_eq!(path_segment("a?b#c%d e"), "a%3Fb%23c%25d%20e");
        assert_eq!(path_segment("Az09-_.~"), "Az09-_.~");
        assert_eq!(path_segment("é"), "%C3%A9");
    }

    #[test]
    fn credentials_are_checked() {
        assert!(credential("app_key", "k").is_ok());
        assert!(credential("master_secret", "a:b").is_ok());
        assert!(credential("app_key", "a:b").is_err());
        assert!(
            credential("master_secret", "")
                .unwrap_err()
                .message()
                .contains("master_secret is empty")
        );
        assert!(credential("master_secret", "x\r\nX-Evil: 1").is_err());
    }

    #[test]
    fn base_urls_are_checked() {
        assert_eq!(
            base_url("https://h.example/", false).unwrap(),
            "https://h.example"
        );
        assert_eq!(
            base_url("https://h.example/proxy//", false).unwrap(),
            "https://h.example/proxy"
        );
        assert!(base_url("http://127.0.0.1:8080", false).is_ok());
        assert!(base_url("http://127.9.9.9:8080", false).is_ok());
        assert!(base_url("http://[::1]:8080", false).is_ok());
        assert!(base_url("http://localhost:1", false).is_ok());
        assert!(base_url("http://h.example", true).is_ok());
        // Each refusal names the URL (never its user info) and says why.
        for (bad, why) in [
            (
                "http://h.example",
                "plain http to a host that is not loopback",
            ),
            ("ftp://h.example", "must start with https://"),
            ("h.example", "must start with https://"),
            ("https://", "not a valid URL"),
            ("https://user:pw@h.example", "must not contain user info"),
            ("https://h.example/?q=1", "query or fragment"),
            ("https://h.example/#f", "query or fragment"),
            ("https://h example", "whitespace"),
            ("https://h.example/a b", "whitespace"),
            ("", "not a valid URL"),
        ] {
            let e = base_url(bad, false).unwrap_err();
            let shown = if bad.contains('@') {
                "<with user info>"
            } else {
                bad
            };
            assert!(
                e.message().starts_with(&format!("base_url {shown:?} ")),
                "{bad}: {}",
                e.message()
            );
            assert!(e.message().contains(why), "{bad}: {}", e.message());
            assert!(!e.message().contains("pw@"), "{}", e.message());
        }
    }

    #[test]
    fn user_agents_are_checked_at_their_bounds() {
        assert!(user_agent(&"a".repeat(MAX_USER_AGENT_LEN)).is_ok());
        assert!(user_agent(&"a".repeat(MAX_USER_AGENT_LEN + 1)).is_err());
        assert!(user_agent("").is_err());
        assert!(user_agent("a\nb").is_err());
    }

    #[test]
    fn proxies_are_checked_and_shown_without_user_info() {
        assert!(proxy("http://127.0.0.1:3128").is_ok());
        for socks in [
            "socks5://127.0.0.1:1080",
            "socks4://127.0.0.1:1080",
            "SOCKS4A://127.0.0.1:1080",
        ] {
            let e = proxy(socks).unwrap_err();
            assert!(e.message().contains("SOCKS"), "{}", e.message());
            assert!(e.message().contains("only http:// and https://"));
        }
        assert!(proxy("ftp://x").is_err());
        assert!(proxy("").is_err());
        // Whitespace or a control character is refused.
        for bad in ["http://p x:3128", "http://p\u{7f}x:3128"] {
            let e = proxy(bad).unwrap_err();
            assert!(
                e.message().starts_with("proxy is not a valid proxy URL"),
                "{}",
                e.message()
            );
        }
        assert_eq!(
            proxy_for_display("http://u:secret@p.example:3128"),
            "http://p.example:3128"
        );
    }

    #[test]
    fn ids_are_printable_ascii_and_the_character_is_named() {
        for (bad, says) in [
            ("ab\u{200B}c", "U+200B at byte 2"),
            ("abc\u{202E}d", "U+202E at byte 3"),
            ("\u{FEFF}abc", "U+FEFF at byte 0"),
            ("a b", "whitespace U+0020 at byte 1"),
            ("a\u{A0}b", "U+00A0 at byte 1"),
            ("设备-1", "U+8BBE at byte 0"),
        ] {
            let e = registration_id(bad).unwrap_err();
            assert!(e.message().contains(says), "{bad:?}: {}", e.message());
            assert!(e.message().contains("printable ASCII"), "{}", e.message());
        }
        assert!(registration_id("!~AZaz09%/?#").is_ok());
    }

    #[test]
    fn ports_outside_1_to_65535_are_refused() {
        for bad in [
            "http://127.0.0.1:99999",
            "http://127.0.0.1:0",
            "http://127.0.0.1:65536",
            "https://h.example:+80",
            "http://[::1]:70000",
        ] {
            let e = base_url(bad, false).unwrap_err();
            assert!(
                e.message().contains("ports are 1 to 65535"),
                "{bad}: {}",
                e.message()
            );
            let e = proxy(bad).unwrap_err();
            assert!(e.message().starts_with("proxy"), "{bad}: {}", e.message());
        }
        assert!(base_url("http://127.0.0.1:65535", false).is_ok());
        assert!(base_url("http://[::1]:1", false).is_ok());
        assert!(proxy("http://u:p@127.0.0.1:65535").is_ok());
        let e = proxy("http://u:p@127.0.0.1:99999").unwrap_err();
        assert!(e.message().contains("65535"), "{}", e.message());
    }

    #[test]
    fn long_credentials_are_refused() {
        let long = "s".repeat(MAX_CREDENTIAL_LEN + 1);
        let e = credential("master_secret", &long).unwrap_err();
        assert!(
            e.message().contains("master_secret is 257 bytes"),
            "{}",
            e.message()
        );
        assert!(credential("app_key", &long[1..]).is_ok());
        assert!(user_agent(&"u".repeat(MAX_USER_AGENT_LEN + 1)).is_err());
    }

    #[test]
    fn aliases_are_checked_and_the_character_is_named() {
        for good in [
            "user-42",
            "用户42",
            "a@b.c|d+e=f#g$h&i*j!",
            "x".repeat(40).as_str(),
        ] {
            assert!(alias(good).is_ok(), "{good:?}");
        }
        for (bad, says) in [
            ("", "alias is empty"),
            ("a/b", "'/' at byte 1"),
            ("a\nb", "control character U+000A at byte 1"),
            ("a\u{7}", "control character U+0007 at byte 1"),
            ("a b", "whitespace U+0020 at byte 1"),
            ("\u{3000}a", "whitespace U+3000 at byte 0"),
            ("ab\u{200B}", "format character U+200B at byte 2"),
            ("\u{202E}ab", "format character U+202E at byte 0"),
            ("..", "\"..\""),
            (".", "\".\""),
        ] {
            let e = alias(bad).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument);
            assert!(e.message().contains(says), "{bad:?}: {}", e.message());
        }
        let e = alias(&"x".repeat(41)).unwrap_err();
        assert!(e.message().contains("41 bytes"), "{}", e.message());
        // 14 three-byte characters: 42 bytes, though only 14 characters.
        let e = alias(&"用".repeat(14)).unwrap_err();
        assert!(e.message().contains("42 bytes"), "{}", e.message());
        assert_eq!(path_segment("用户?#%"), "%E7%94%A8%E6%88%B7%3F%23%25");
    }

    #[test]
    fn proxy_characters_the_uri_parser_takes_are_still_refused() {
        // Non-ASCII whitespace and C1 controls pass http::Uri in a path.
        for bad in [
            "http://p.example:3128/\u{a0}",
            "http://p.example:3128/a\u{3000}b",
            "http://p.example:3128/\u{80}",
        ] {
            let e = proxy(bad).unwrap_err();
            assert!(
                e.message().starts_with("proxy is not a valid proxy URL"),
                "{bad:?}: {}",
                e.message()
            );
        }
    }

    #[test]
    fn an_ipv6_host_ending_in_double_colon_without_a_port_is_taken() {
        assert_eq!(
            base_url("https://[2001:db8::]", false).unwrap(),
            "https://[2001:db8::]"
        );
        assert!(proxy("http://[2001:db8::]").is_ok());
    }
}
