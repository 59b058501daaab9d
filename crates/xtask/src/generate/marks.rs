//! The settings' marks, which keep hand-written text in step with
//! `spec/settings.toml`:
//! - inline: `<!-- setting:KEY -->VALUE<!-- /setting -->` (or
//!   `setting:KEY:ms`, `:s`), in Markdown and in doc comments that render it
//!   as HTML (Rustdoc, JSDoc);
//! - defaults regions, between lines holding `setting-defaults:begin` and
//!   `setting-defaults:end`: each `KEY=VALUE`, `KEY: TYPE = VALUE` or
//!   `$KEY = VALUE` there gets the table's value (signatures, stubs).

use std::fmt::Write as _;

use super::settings::{Setting, Settings};

/// The value a mark `KEY[:UNIT]` stands for.
fn mark_value(t: &Settings, mark: &str) -> Result<String, String> {
    let (key, unit) = mark.split_once(':').unwrap_or((mark, ""));
    match (key, unit) {
        ("region", "") => return Ok(t.default_region().to_owned()),
        ("regions", "") => return Ok(t.region_names(" ")),
        ("regions", "comma") => return Ok(t.region_names(", ")),
        _ => {}
    }
    let x = t
        .get(key)
        .ok_or_else(|| format!("unknown setting {key:?}"))?;
    match unit {
        "" => Ok(x.human()),
        "ms" if x.is_duration() => Ok(x.number().to_string()),
        "s" if x.is_duration() => Ok((x.number() / 1000).to_string()),
        _ => Err(format!("{key}: unknown unit {unit:?}")),
    }
}

/// `text` with every inline mark's value and every defaults region's values
/// set from the table.
pub(crate) fn apply_marks(t: &Settings, text: &str) -> Result<String, String> {
    const OPEN: &str = "<!-- setting:";
    const CLOSE: &str = "<!-- /setting -->";
    let mut out = String::new();
    let mut rest = text;
    let mut found = false;
    while let Some(at) = rest.find(OPEN) {
        let after = &rest[at + OPEN.len()..];
        let end = after.find(" -->").ok_or("an unclosed setting mark")?;
        let value = mark_value(t, &after[..end])?;
        let body = &after[end + 4..];
        let close = body
            .find(CLOSE)
            .ok_or("a setting mark without <!-- /setting -->")?;
        out.push_str(&rest[..at + OPEN.len() + end + 4]);
        out.push_str(&value);
        out.push_str(CLOSE);
        rest = &body[close + CLOSE.len()..];
        found = true;
    }
    out.push_str(rest);
    let mut lines = Vec::new();
    let mut inside = false;
    for line in out.split_inclusive('\n') {
        if line.contains("setting-defaults:end") {
            inside = false;
        }
        lines.push(if inside {
            defaults(t, line)
        } else {
            line.to_owned()
        });
        if line.contains("setting-defaults:begin") {
            inside = true;
            found = true;
        }
    }
    if !found {
        return Err("holds no setting mark".into());
    }
    Ok(lines.concat())
}

/// One line with each `KEY = VALUE` (`KEY: TYPE = VALUE`) set from the table.
fn defaults(t: &Settings, line: &str) -> String {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = String::new();
    let mut i = 0;
    while i < line.len() {
        let rest = &line[i..];
        let start_ok = !line[..i].ends_with(word);
        let key_len = rest.find(|c: char| !word(c)).unwrap_or(rest.len());
        let key = &rest[..key_len];
        let value = match key {
            "region" => Some(t.default_region().to_owned()),
            _ => t.get(key).map(Setting::script),
        };
        let Some(value) = value.filter(|_| start_ok && key_len > 0) else {
            let step = rest.chars().next().map_or(1, char::len_utf8);
            out.push_str(&rest[..step]);
            i += step;
            continue;
        };
        let tail = &rest[key_len..];
        let stop = tail.find([',', ')', '\n']).unwrap_or(tail.len());
        let Some(eq) = tail[..stop]
            .find('=')
            .filter(|_| tail.starts_with([' ', '=', ':']))
        else {
            out.push_str(key);
            i += key_len;
            continue;
        };
        let old = tail[eq + 1..stop].trim_start();
        let pad = &tail[eq + 1..stop][..tail[eq + 1..stop].len() - old.len()];
        // The value ends at a space or a closing backtick, so prose such as
        // "`KEY=VALUE` does ..." keeps its words.
        let old_trimmed = &old[..old.find([' ', '\t', '`']).unwrap_or(old.len())];
        let new = match old_trimmed.chars().next() {
            Some(q @ ('\'' | '"')) => format!("{q}{value}{q}"),
            _ => value,
        };
        let _ = write!(out, "{key}{}{pad}{new}", &tail[..=eq]);
        i += key_len + eq + 1 + pad.len() + old_trimmed.len();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Settings {
        Settings::load(&crate::root().join("spec/settings.toml")).unwrap()
    }

    #[test]
    fn marks_and_defaults_regions_take_the_tables_values() {
        let t = table();
        let text = "a <!-- setting:timeout -->9 s<!-- /setting --> \
                    <!-- setting:timeout:ms -->1<!-- /setting -->\n\
                    # setting-defaults:begin\n(x, qps=7, region='zz', timeout: float = 1.0)\n\
                    float $stall_timeout = 3.0,\n`qps=7` is one\n# setting-defaults:end\nqps=7\n";
        let qps = t.get("qps").unwrap().script();
        let timeout = t.get("timeout").unwrap();
        let want = format!(
            "a <!-- setting:timeout -->{}<!-- /setting --> \
             <!-- setting:timeout:ms -->{}<!-- /setting -->\n\
             # setting-defaults:begin\n(x, qps={qps}, region='{}', timeout: float = {})\n\
             float $stall_timeout = {},\n`qps={qps}` is one\n# setting-defaults:end\nqps=7\n",
            timeout.human(),
            timeout.number(),
            t.default_region(),
            timeout.script(),
            t.get("stall_timeout").unwrap().script(),
        );
        assert_eq!(apply_marks(&t, text).unwrap(), want);
        assert!(apply_marks(&t, "nothing marked\n").is_err());
        assert!(apply_marks(&t, "<!-- setting:nope -->1<!-- /setting -->").is_err());
    }
}
