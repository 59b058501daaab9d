//! Values that must never be printed: the Master Secret and the Authorization
//! header built from it.

use std::fmt;

/// What `Debug` prints in place of a secret.
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

/// Removes every occurrence of the given secrets from `text` (a server could
/// echo the Authorization header back in an error page).
pub(crate) fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for secret in secrets.iter().filter(|s| s.len() >= MIN_SCRUBBED_LEN) {
        if out.contains(secret) {
            out = out.replace(secret, REDACTED);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), REDACTED);
        assert_eq!(s.expose(), "hunter2");
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
}
