//! Values that must never be printed: the Master Secret and the Authorization
//! header built from it, and the scrubber that removes them from text a server
//! may have echoed.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

/// What `Debug` prints in place of a secret, and what scrubbing leaves where a
/// secret was.
pub(crate) const REDACTED: &str = "** redacted **";

/// A string whose `Debug` never shows its content.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    pub(crate) fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one place that sends it.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// Secrets shorter than this are not scrubbed from text: replacing every `s`
/// of a one-letter test secret would mangle messages and hide nothing real
/// (EngageLab's Master Secrets are 24 characters).
pub(crate) const MIN_SCRUBBED_LEN: usize = 4;

/// The shortest run of a secret's characters that is removed wherever it
/// stands: any substring of a secret this long or longer (a server may quote
/// a secret cut short, `Basic ZGVtby1h...`, with text after it). Runs of 11
/// or fewer characters are kept, so ordinary words are never taken for a
/// piece of a secret; a secret shorter than this is removed whole.
pub(crate) const MIN_SCRUBBED_RUN: usize = 12;

/// The shortest prefix of a secret that is removed when text *ends* with it
/// (where a cut, by the server or by an excerpt, may have left the start of a
/// secret). Shorter prefixes are kept: 3 of 24+ characters give nothing away,
/// and removing them would eat ordinary words that happen to end a message.
pub(crate) const MIN_SCRUBBED_PREFIX: usize = 4;

/// Removes every occurrence of the given secrets from `text` (a server could
/// echo the Authorization header back in an error page), in every form the
/// [`Scrubber`] knows, and a secret's prefix left at the end of the text.
#[cfg(test)]
pub(crate) fn scrub(text: &str, secrets: &[&str]) -> String {
    Scrubber::new(secrets).scrub(text)
}

/// Removes secrets from text, built once from every secret (the Master Secret,
/// the base64 token of the Authorization header, and a proxy's password and
/// Proxy-Authorization token).
///
/// What it finds, anywhere in the text: every run of at least
/// [`MIN_SCRUBBED_RUN`] characters that is a substring of a secret (the whole
/// secret when it is shorter), in any of these forms:
/// - as it is, a `%` of the secret included even where hex digits after it
///   make it read as an escape (`…a%4` then `1…`: both readings are
///   searched);
/// - percent-encoded, wholly or partly, in upper or lower case hex
///   (`Basic%20ZGVt...%3D%3D`);
/// - with `/` escaped as `\/` (JSON as PHP's `json_encode` writes it);
/// - split by whitespace, control or Unicode format characters (CR/LF from
///   header folding or base64 line wrapping, a zero-width space), raw or
///   percent-encoded (`%0D%0A`): these are ignored while matching, as
///   [`crate::answer::excerpt`] would fold or strip them;
///
/// and, at the very end of the text, any prefix of at least
/// [`MIN_SCRUBBED_PREFIX`] bytes of a secret in those forms (a dangling `%`,
/// `%X` or `\` included), which a cut may have left. Each finding is replaced
/// by [`REDACTED`]; findings that overlap or touch are replaced once.
/// Over-redaction is accepted: `ab cd` is removed for the secret `abcd`. Not
/// found: doubly encoded forms (`%2541`), `+` for a space, other JSON escapes
/// (`\u002f`).
#[derive(Clone, Default)]
pub(crate) struct Scrubber {
    /// The secrets as byte patterns of the decoded view of a text.
    patterns: Vec<Vec<u8>>,
    /// What is looked for in the decoded view, by length: every
    /// [`MIN_SCRUBBED_RUN`]-byte window of each pattern, or a shorter pattern
    /// whole.
    windows: BTreeMap<usize, HashSet<Vec<u8>>>,
}

impl fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Scrubber({} patterns, {REDACTED})", self.patterns.len())
    }
}

/// One byte of the decoded view of a text, and the bytes of the text it came
/// from (a whole character, or a whole `%XX`).
#[derive(Clone, Copy)]
struct Unit {
    byte: u8,
    start: usize,
    end: usize,
}

impl Scrubber {
    /// A scrubber for `secrets`; those shorter than [`MIN_SCRUBBED_LEN`] are
    /// left out.
    pub(crate) fn new(secrets: &[&str]) -> Scrubber {
        let mut patterns: Vec<Vec<u8>> = Vec::new();
        for secret in secrets.iter().filter(|s| s.len() >= MIN_SCRUBBED_LEN) {
            // As text shows the secret itself: its decoded view, and its
            // literal view (a `%` of the secret may meet hex digits after
            // it in the text, and read as an escape there).
            let decoded: Vec<u8> = units(secret, true).iter().map(|u| u.byte).collect();
            let literal: Vec<u8> = units(secret, false).iter().map(|u| u.byte).collect();
            // As text shows it percent-encoded: decoding gives the secret
            // back, without the characters matching ignores.
            let plain: Vec<u8> = secret
                .chars()
                .filter(|&c| !ignorable(c))
                .flat_map(|c| {
                    let mut buf = [0; 4];
                    c.encode_utf8(&mut buf).as_bytes().to_vec()
                })
                .collect();
            for p in [decoded, literal, plain] {
                if !p.is_empty() && !patterns.contains(&p) {
                    patterns.push(p);
                }
            }
        }
        let mut windows: BTreeMap<usize, HashSet<Vec<u8>>> = BTreeMap::new();
        for p in &patterns {
            let w = p.len().min(MIN_SCRUBBED_RUN);
            windows
                .entry(w)
                .or_default()
                .extend(p.windows(w).map(<[u8]>::to_vec));
        }
        Scrubber { patterns, windows }
    }

    /// `text` with every secret found replaced by [`REDACTED`], and a secret's
    /// prefix at its end too (see [`Scrubber`]).
    pub(crate) fn scrub(&self, text: &str) -> String {
        let whole = self.scrub_whole(text);
        self.scrub_tail(whole, usize::MAX)
    }

    /// `text` with every run of a secret (see [`Scrubber`]) replaced.
    pub(crate) fn scrub_whole(&self, text: &str) -> String {
        if self.windows.is_empty() {
            return text.to_owned();
        }
        let mut spans: Vec<(usize, usize)> = Vec::new();
        // Both readings of a `%` followed by hex digits: an escape, and the
        // characters as they stand.
        for decode in [true, false] {
            let units = units(text, decode);
            let bytes: Vec<u8> = units.iter().map(|u| u.byte).collect();
            for (&w, set) in &self.windows {
                if w > bytes.len() {
                    continue;
                }
                for (s, window) in bytes.windows(w).enumerate() {
                    if set.contains(window) {
                        spans.push((units[s].start, units[s + w - 1].end));
                    }
                }
            }
        }
        if spans.is_empty() {
            return text.to_owned();
        }
        spans.sort_unstable();
        let mut out = String::with_capacity(text.len());
        // The end of the redaction being extended, once there is one.
        let mut open: Option<usize> = None;
        for (start, end) in spans {
            match open {
                Some(at) if start <= at => open = Some(at.max(end)),
                _ => {
                    out.push_str(&text[open.unwrap_or(0)..start]);
                    out.push_str(REDACTED);
                    open = Some(end);
                }
            }
        }
        out.push_str(&text[open.unwrap_or(0)..]);
        out
    }

    /// `text` without a secret's prefix at its end, and at most `max_len`
    /// bytes long after the [`REDACTED`] put in its place.
    pub(crate) fn scrub_tail(&self, mut text: String, max_len: usize) -> String {
        let Some(from) = self.dangling_prefix(&text) else {
            return text;
        };
        text.truncate(from);
        while text.len() + REDACTED.len() > max_len && text.pop().is_some() {}
        text.push_str(REDACTED);
        text
    }

    /// Where a prefix of a secret, at least [`MIN_SCRUBBED_PREFIX`] bytes
    /// long, starts when `text` ends with one.
    fn dangling_prefix(&self, text: &str) -> Option<usize> {
        if self.patterns.is_empty() {
            return None;
        }
        // A cut inside `%XX` leaves `%` or `%X`, and inside `\/` a `\`: it
        // belongs to the prefix.
        let b = text.as_bytes();
        let n = b.len();
        let body_end = if n >= 1 && (b[n - 1] == b'%' || b[n - 1] == b'\\') {
            n - 1
        } else if n >= 2 && b[n - 2] == b'%' && b[n - 1].is_ascii_hexdigit() {
            n - 2
        } else {
            n
        };
        let mut best: Option<usize> = None;
        for decode in [true, false] {
            let units = units(&text[..body_end], decode);
            for p in &self.patterns {
                let longest = (p.len() - 1).min(units.len());
                for len in (MIN_SCRUBBED_PREFIX..=longest).rev() {
                    let tail = &units[units.len() - len..];
                    if tail.iter().zip(p).all(|(u, b)| u.byte == *b) {
                        let start = tail[0].start;
                        best = Some(best.map_or(start, |b: usize| b.min(start)));
                        break;
                    }
                }
            }
        }
        if best.is_none() && body_end < n {
            // A dangling `%` or `\` right after a removed run goes with it;
            // after a shorter prefix, it hides nothing.
            return text[..body_end]
                .ends_with(REDACTED)
                .then(|| body_end - REDACTED.len());
        }
        best
    }
}

/// Characters matching skips: whitespace, control and Unicode format
/// characters, which excerpts fold to a space or strip.
pub(crate) fn ignorable(c: char) -> bool {
    c.is_control() || c.is_whitespace() || is_format(c)
}

/// Unicode format characters (general category Cf) and the other invisible
/// characters that can reorder or hide text: bidi embeddings, overrides and
/// isolates (U+202A–U+202E, U+2066–U+2069), marks (U+200E, U+200F, U+061C),
/// zero-width characters, the BOM, tags.
pub(crate) fn is_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061C}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// The decoded view of `text`: `%XX` decoded to its byte (when `decode`),
/// `\/` to `/`, every other character as its UTF-8 bytes, ignorable
/// characters (and decoded ASCII control bytes and spaces) left out.
fn units(text: &str, decode: bool) -> Vec<Unit> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if decode
            && b[i] == b'%'
            && let Some((byte, end)) = escape_at(text, i)
        {
            if byte > b' ' && byte != 0x7f {
                out.push(Unit {
                    byte,
                    start: i,
                    end,
                });
            }
            i = end;
            continue;
        }
        if b[i] == b'\\' && b.get(i + 1) == Some(&b'/') {
            out.push(Unit {
                byte: b'/',
                start: i,
                end: i + 2,
            });
            i += 2;
            continue;
        }
        let c = text[i..].chars().next().unwrap_or('\u{FFFD}');
        let n = c.len_utf8();
        if !ignorable(c) {
            for &byte in &b[i..i + n] {
                out.push(Unit {
                    byte,
                    start: i,
                    end: i + n,
                });
            }
        }
        i += n;
    }
    out
}

/// The byte of the `%XX` escape at `at` and where it ends. Format
/// characters between its three characters are skipped: an excerpt strips
/// them, and a reader does not see them, so `%\u{200B}50` reads as `%50`.
fn escape_at(text: &str, at: usize) -> Option<(u8, usize)> {
    let mut digits = text[at + 1..]
        .char_indices()
        .filter(|&(_, c)| !is_format(c))
        .take(2);
    let (_, hi) = digits.next()?;
    let (j, lo) = digits.next()?;
    let byte = hex(u8::try_from(hi).ok()?)? * 16 + hex(u8::try_from(lo).ok()?)?;
    Some((byte, at + 1 + j + 1))
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), REDACTED);
        assert_eq!(s.expose(), "hunter2");
        let scrubber = format!("{:?}", Scrubber::new(&["hunter2-is-the-secret"]));
        assert!(
            scrubber.starts_with("Scrubber(") && !scrubber.contains("hunter2"),
            "{scrubber}"
        );
    }

    #[test]
    fn scrub_removes_every_occurrence() {
        let text = "echo: Basic abcd and abcd again; key s3cret";
        let out = scrub(text, &["abcd", "s3cret", ""]);
        assert!(!out.contains("abcd") && !out.contains("s3cret"), "{out}");
        assert_eq!(
            scrub("the connection was refused", &["s"]),
            "the connection was refused"
        );
    }

    const TOKEN: &str = "ZGVtby1hcHAta2V5OmRlbW8tbWFzdGVyLXNlY3JldA==";

    #[test]
    fn a_percent_of_the_secret_is_found_where_the_text_makes_it_an_escape() {
        // The secret ends with `%0`; the text goes on with `0`, so `%00`
        // reads as an escape (a NUL, which the decoded view skips), while a
        // reader sees the secret's last 13 characters.
        let secret = "A!aAaa!a0aAA00!aa0AA!!0A00aA0!A%0";
        for text in [
            "!!0A00aA0!A%00",
            "!!0A00aA0!A%0\u{FE00}0",
            "x=!!0A00aA0!A%41",
        ] {
            let out = scrub(text, &[secret]);
            assert!(!out.contains("0A00aA0!A"), "{text:?} gave {out:?}");
        }
    }

    #[test]
    fn percent_encoded_forms_are_removed() {
        for text in [
            "auth=Basic%20ZGVtby1hcHAta2V5OmRlbW8tbWFzdGVyLXNlY3JldA%3D%3D&x=1",
            "auth=Basic%20ZGVtby1hcHAta2V5OmRlbW8tbWFzdGVyLXNlY3JldA%3d%3d",
            "%5A%47%56%74by1hcHAta2V5OmRlbW8tbWFzdGVyLXNlY3JldA==",
        ] {
            let out = scrub(text, &[TOKEN]);
            assert!(!out.contains("ZGVtby1hcHAta2V5OmRlbW8tbWFzdGVy"), "{out}");
            assert!(out.contains(REDACTED), "{out}");
        }
        let out = scrub("secret: demo%2Dmaster%2Dsecret.", &["demo-master-secret"]);
        assert_eq!(out, format!("secret: {REDACTED}."));
        // An invisible character inside an escape does not hide it.
        let out = scrub("got %\u{200B}50a55word here", &["Pa55word"]);
        assert_eq!(out, format!("got {REDACTED} here"));
        let out = scrub(
            "%6\u{2060}4emo-mast%\u{FEFF}65r-secret",
            &["demo-master-secret"],
        );
        assert_eq!(out, REDACTED);
        // Other text between `%` and two hex digits is no escape.
        assert_eq!(scrub("50% 50a55word", &["Pa55word"]), "50% 50a55word");
    }

    #[test]
    fn split_forms_are_removed() {
        for text in [
            "ZGVtby1hcHAta2V5\r\nOmRlbW8tbWFzdGVyLXNlY3JldA==",
            "ZGVtby1hcHAta2V5%0D%0AOmRlbW8tbWFzdGVyLXNlY3JldA==",
            "ZGVtby1hcHAta2V5\u{200B}OmRlbW8tbWFzdGVy LXNlY3JldA==",
            "ZGVtby1hcHAta2V5%20OmRlbW8tbWFzdGVy%09LXNlY3JldA==",
        ] {
            let out = scrub(text, &[TOKEN]);
            assert_eq!(out, REDACTED, "{text:?}");
        }
    }

    /// A 24-character Master Secret, as EngageLab issues them.
    const MASTER: &str = "b7c2e19fa04d4e5c8a1f3d6e";

    #[test]
    fn a_truncated_credential_with_text_after_it_is_removed() {
        let s = Scrubber::new(&[MASTER, TOKEN]);
        let out = s.scrub(&format!("Basic {}... was refused", &TOKEN[..40]));
        assert_eq!(out, format!("Basic {REDACTED}... was refused"));
        let out = s.scrub(&format!("master secret {}... rejected", &MASTER[..20]));
        assert_eq!(out, format!("master secret {REDACTED}... rejected"));
        // Any 12 characters from inside a secret, not only its start.
        let out = s.scrub(&format!("x {} y", &MASTER[5..17]));
        assert_eq!(out, format!("x {REDACTED} y"));
        let out = s.scrub(&format!("x {}%3D y", &TOKEN[30..43]));
        assert_eq!(out, format!("x {REDACTED} y"));
        // 11 characters are kept: ordinary words are never runs of a secret.
        let out = s.scrub(&format!("x {} y", &MASTER[5..16]));
        assert_eq!(out, format!("x {} y", &MASTER[5..16]));
    }

    #[test]
    fn a_text_that_is_only_a_secret_is_removed_and_the_text_between_two_is_kept() {
        // A short secret has one window, as long as the text itself.
        assert_eq!(scrub("s3cret", &["s3cret"]), REDACTED);
        let s = Scrubber::new(&[MASTER, TOKEN]);
        assert_eq!(s.scrub(MASTER), REDACTED);
        assert_eq!(
            s.scrub(&format!("{MASTER} then {TOKEN}.")),
            format!("{REDACTED} then {REDACTED}.")
        );
    }

    #[test]
    fn a_json_escaped_slash_is_seen_through() {
        let token = "YWJj/ZGVm+Z2hp/amts/bW5vcA==";
        let s = Scrubber::new(&[token]);
        let escaped = token.replace('/', "\\/");
        assert_eq!(
            s.scrub(&format!("got {escaped} back")),
            format!("got {REDACTED} back")
        );
        let cut = &escaped[..escaped.find("\\/").unwrap() + 1];
        assert_eq!(s.scrub(&format!("got {cut}")), format!("got {REDACTED}"));
        // An escaped slash that ends the secret ends the removed run.
        let s = Scrubber::new(&["YWJjZGVmZ2hpamtsbW5vcA/"]);
        assert_eq!(
            s.scrub("got YWJjZGVmZ2hpamtsbW5vcA\\/ back"),
            format!("got {REDACTED} back")
        );
    }

    #[test]
    fn a_prefix_at_the_end_is_removed() {
        let s = Scrubber::new(&[TOKEN]);
        assert_eq!(s.scrub("got ZGVtby1hcHAta2"), format!("got {REDACTED}"));
        assert_eq!(s.scrub("got ZGVtby1hcHAta2%3"), format!("got {REDACTED}"));
        assert_eq!(s.scrub("got ZGV"), "got ZGV");
        assert_eq!(s.scrub("ZGVtby1h in the middle"), "ZGVtby1h in the middle");
        let cut = s.scrub_tail("x".repeat(20) + "ZGVtby1h", 20);
        assert_eq!(cut, "x".repeat(6) + REDACTED);
    }
}
