//! The PHP binding's generated files (`bindings/php`): one exception class
//! per category of the error model (named as Java's are), `Categories`,
//! which maps a C status code to its name and class, and the declarations
//! PHP's `FFI::cdef` reads: `include/engagelab_push.h` with its preprocessor
//! lines evaluated away (the C branch taken, integer macros substituted),
//! because `FFI::cdef` takes no preprocessor lines. An exception's message is
//! not generated: it is the core's, from `el_error_describe`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{Model, NOTICE, Output, wrap};

const DIR: &str = "bindings/php/src";
/// The PHP-ready declarations, beside the package's sources.
pub(crate) const DECLARATIONS: &str = "bindings/php/include/engagelab_push.ffi.h";

pub(crate) fn outputs(model: &Model) -> Vec<Output> {
    let mut all = vec![Output::File(path("Categories"), categories(model))];
    for c in &model.categories {
        all.push(Output::File(path(&c.java), class(c)));
    }
    let header = crate::header::committed();
    let declarations = std::fs::read_to_string(&header)
        .map_err(|e| format!("{}: {e}", header.display()))
        .and_then(|text| php_declarations(&text));
    match declarations {
        Ok(text) => all.push(Output::File(DECLARATIONS, text)),
        // Shown as a stale file whose text says why.
        Err(e) => all.push(Output::File(DECLARATIONS, format!("/* error: {e} */\n"))),
    }
    all
}

/// The path of a generated class; `Output` holds `&'static str` paths, and
/// these few strings live as long as the process anyway.
fn path(class: &str) -> &'static str {
    Box::leak(format!("{DIR}/{class}.php").into_boxed_str())
}

/// Text made safe inside a PHP doc comment.
pub(crate) fn phpdoc(text: &str) -> String {
    text.replace("*/", "*\\/")
}

fn class(c: &super::model::Category) -> String {
    let doc = format!(
        "{} When: {}. Retried: {}. Sets maybeDeleted: {}. Status {} (C status code {}).",
        c.doc, c.when, c.retried, c.maybe_deleted, c.name, c.code
    );
    format!(
        "<?php\n\n// {NOTICE}\n\ndeclare(strict_types=1);\n\nnamespace EngageLabPush;\n\n/**\n{} */\nfinal class {} extends EngageLabException\n{{\n    public const STATUS = '{}';\n    public const CODE = {};\n}}\n",
        wrap(&phpdoc(&doc), 80, " * "),
        c.java,
        c.name,
        c.code
    )
}

fn categories(model: &Model) -> String {
    let mut s = format!(
        "<?php\n\n// {NOTICE}\n\ndeclare(strict_types=1);\n\nnamespace EngageLabPush;\n\n\
         /**\n * Every category of the error model by its C status code (`el_status`): its\n\
         \x20* name and its exception class. The core decides the category; the binding\n\
         \x20* only picks the class here.\n */\nfinal class Categories\n{{\n\
         \x20   /** @var array<int, array{{0: string, 1: class-string<EngageLabException>}}> */\n\
         \x20   public const BY_CODE = [\n"
    );
    for c in &model.categories {
        let _ = writeln!(
            s,
            "        {} => ['{}', {}::class],",
            c.code, c.name, c.java
        );
    }
    s.push_str("    ];\n}\n");
    s
}

/// `header` (cbindgen's C header) as declarations `FFI::cdef` accepts: no
/// comments, no preprocessor lines (conditionals evaluated for C before C23,
/// includes dropped, integer macros substituted where they are used, other
/// macros dropped). A conditional it does not know is an error, so a new one
/// in the header is decided here, not guessed.
pub(crate) fn php_declarations(header: &str) -> Result<String, String> {
    let text = strip_comments(header);
    let mut keep: Vec<bool> = Vec::new(); // per open conditional: its branch is taken
    let mut macros: BTreeMap<String, String> = BTreeMap::new();
    let mut lines = Vec::new();
    let mut continued = false;
    for line in text.lines() {
        if continued {
            continued = line.trim_end().ends_with('\\');
            continue;
        }
        let trimmed = line.trim();
        let active = keep.iter().all(|k| *k);
        if let Some(directive) = trimmed.strip_prefix('#') {
            continued = trimmed.ends_with('\\');
            let directive = directive.trim();
            let (word, rest) = directive
                .split_once(char::is_whitespace)
                .map_or((directive, ""), |(w, r)| (w, r.trim()));
            match word {
                "ifndef" | "ifdef" | "if" => keep.push(condition(word, rest)?),
                "else" => {
                    let last = keep.last_mut().ok_or("#else without #if")?;
                    *last = !*last;
                }
                "endif" => {
                    keep.pop().ok_or("#endif without #if")?;
                }
                "define" if active => {
                    let (name, value) = rest
                        .split_once(char::is_whitespace)
                        .map_or((rest, ""), |(n, v)| (n, v.trim()));
                    if !value.is_empty() && value.chars().all(|c| c.is_ascii_digit()) {
                        macros.insert(name.to_owned(), value.to_owned());
                    }
                }
                "define" | "include" => {}
                other => return Err(format!("unknown preprocessor line #{other} {rest}")),
            }
            continue;
        }
        if active {
            lines.push(line.trim_end().to_owned());
        }
    }
    if !keep.is_empty() {
        return Err("an #if without its #endif".into());
    }
    let mut out = format!(
        "/* {NOTICE}\n * (From include/engagelab_push.h, for PHP's FFI::cdef and FFI::load.) */\n"
    );
    // One blank line between top-level declarations, none inside them.
    let mut previous = String::new();
    for line in lines.iter().filter(|l| !l.trim().is_empty()) {
        if !line.starts_with(char::is_whitespace) && previous.ends_with(';') {
            out.push('\n');
        }
        let _ = writeln!(out, "{}", substitute(line, &macros));
        previous = line.clone();
    }
    Ok(out.trim_end().to_owned() + "\n")
}

/// Whether a conditional's branch is taken, for C before C23, outside the
/// header's own include guard.
fn condition(word: &str, rest: &str) -> Result<bool, String> {
    match (word, rest) {
        ("ifdef", "__cplusplus") => Ok(false),
        ("ifndef", "__cplusplus") => Ok(true),
        ("ifndef", "ENGAGELAB_PUSH_H") => Ok(true),
        ("if", "defined(__cplusplus) || __STDC_VERSION__ >= 202311L") => Ok(false),
        ("if", "__STDC_VERSION__ >= 202311L") => Ok(false),
        _ => Err(format!(
            "#{word} {rest}: a condition crates/xtask/src/generate/php.rs does not know"
        )),
    }
}

/// `text` without C comments (`/* */` and `//`); string literals are kept.
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match (c, chars.peek()) {
            ('"', _) => {
                in_string = true;
                out.push(c);
            }
            ('/', Some('*')) => {
                chars.next();
                let mut last = ' ';
                for n in chars.by_ref() {
                    if n == '\n' {
                        out.push('\n');
                    }
                    if last == '*' && n == '/' {
                        break;
                    }
                    last = n;
                }
            }
            ('/', Some('/')) => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// `line` with each whole-word use of a macro replaced by its value.
fn substitute(line: &str, macros: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(line.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        out.push_str(
            macros
                .get(word.as_str())
                .map_or(word.as_str(), String::as_str),
        );
        word.clear();
    };
    for c in line.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::php_declarations;

    #[test]
    fn the_header_becomes_declarations_without_preprocessor_lines() {
        let header = std::fs::read_to_string(crate::header::committed()).unwrap();
        let out = php_declarations(&header).unwrap();
        assert!(
            !out.lines().any(|l| l.trim_start().starts_with('#')),
            "{out}"
        );
        assert!(out.contains("char message[256];"), "{out}");
        assert!(out.contains("typedef uint32_t el_status;"), "{out}");
        assert!(out.contains("el_status el_delete_device("), "{out}");
        assert!(!out.contains("extern \"C\""), "{out}");
        assert!(
            !out.contains(": uint32_t"),
            "the C23 enum base is C's only: {out}"
        );
    }

    #[test]
    fn an_unknown_condition_is_refused() {
        let err = php_declarations("#if FOO\nint x;\n#endif\n").unwrap_err();
        assert!(err.contains("#if FOO"), "{err}");
        assert!(php_declarations("#ifdef __cplusplus\n").is_err());
    }

    #[test]
    fn macros_and_comments_are_resolved() {
        let out = php_declarations(
            "/* a */\n#define N 8\n#define INIT { .size = 1 }\n#define M \\\n  2\nchar b[N]; // c\n",
        )
        .unwrap();
        assert!(out.ends_with("char b[8];\n"), "{out}");
        assert!(!out.contains("INIT") && !out.contains('2'), "{out}");
    }
}
