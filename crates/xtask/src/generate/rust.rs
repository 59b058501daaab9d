//! The core's `ErrorKind` and its answer classification:
//! `crates/engagelab-push/src/error_kind.rs`.

use std::fmt::Write as _;

use super::{Model, NOTICE, Output, wrap};

pub(crate) fn outputs(model: &Model) -> Vec<Output> {
    vec![Output::File(
        "crates/engagelab-push/src/error_kind.rs",
        super::rustfmt(&error_kind(model)),
    )]
}

fn error_kind(model: &Model) -> String {
    let cats = &model.categories;
    let mut s = String::new();
    let _ = writeln!(s, "//! The categories of the error model. {NOTICE}");
    s.push_str(
        "
use std::fmt;

/// The category of a failed call. Every language reports the same one: a stable
/// small integer in C (`EL_*`), an exception or error class elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
",
    );
    for c in cats {
        s.push_str(&wrap(&doc_with_answers(c), 100, "    /// "));
        let _ = writeln!(s, "    {},", c.rust);
    }
    s.push_str("}\n\nimpl ErrorKind {\n");
    let _ = writeln!(
        s,
        "    /// Every kind, in the order of the stable C status codes 1..={}.",
        cats.len()
    );
    let _ = writeln!(s, "    pub const ALL: [ErrorKind; {}] = [", cats.len());
    for c in cats {
        let _ = writeln!(s, "        ErrorKind::{},", c.rust);
    }
    s.push_str("    ];\n\n");
    method(
        &mut s,
        "The category's name as every language reports it, e.g. `\"INVALID_ARGUMENT\"`.",
        "pub fn name(self) -> &'static str",
        cats.iter()
            .map(|c| (c.rust.as_str(), format!("{:?}", c.name))),
    );
    method(
        &mut s,
        "The stable status code the C ABI reports for this kind (0 is success).",
        "pub fn code(self) -> u32",
        cats.iter().map(|c| (c.rust.as_str(), c.code.to_string())),
    );
    method(
        &mut s,
        "Whether the retry loop may try again after a failure of this kind (a transport failure may still opt out, e.g. a TLS failure).",
        "pub(crate) fn retryable(self) -> bool",
        cats.iter()
            .map(|c| (c.rust.as_str(), c.retryable.to_string())),
    );
    method(
        &mut s,
        "The opening words of an error's message sentence.",
        "pub(crate) fn summary(self) -> &'static str",
        cats.iter()
            .map(|c| (c.rust.as_str(), format!("{:?}", c.summary))),
    );
    method(
        &mut s,
        "What a person reading the error should do; may be empty.",
        "pub(crate) fn advice(self) -> &'static str",
        cats.iter()
            .map(|c| (c.rust.as_str(), format!("{:?}", c.advice))),
    );
    s.push_str(&classify(model));
    s.push_str(
        "}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
",
    );
    s
}

/// The doc sentence, plus the answers that map to the category.
fn doc_with_answers(c: &super::model::Category) -> String {
    let mut parts = Vec::new();
    let statuses: Vec<String> = c
        .http_statuses
        .iter()
        .map(u16::to_string)
        .chain(c.http_status_ranges.iter().map(|[a, b]| format!("{a}-{b}")))
        .collect();
    if !statuses.is_empty() {
        parts.push(format!("HTTP {}", statuses.join(", ")));
    }
    if !c.api_codes.is_empty() {
        let codes: Vec<String> = c.api_codes.iter().map(i64::to_string).collect();
        let word = if codes.len() == 1 { "code" } else { "codes" };
        parts.push(format!("{word} {}", codes.join(", ")));
    }
    if parts.is_empty() {
        c.doc.clone()
    } else {
        format!("{} ({}.)", c.doc, parts.join("; "))
    }
}

fn method<'a>(
    s: &mut String,
    doc: &str,
    signature: &str,
    arms: impl Iterator<Item = (&'a str, String)>,
) {
    s.push_str(&wrap(doc, 100, "    /// "));
    let _ = writeln!(s, "    {signature} {{\n        match self {{");
    for (variant, value) in arms {
        let _ = writeln!(s, "            ErrorKind::{variant} => {value},");
    }
    s.push_str("        }\n    }\n\n");
}

/// `classify(status, api_code)`: the categories of `[classification] order`
/// tried in turn, then the fallback.
fn classify(model: &Model) -> String {
    let mut s = String::new();
    s.push_str(
        "    /// The category of a non-2xx answer: the first of the error model's\n    \
         /// classification order whose HTTP status or EngageLab code matches.\n    \
         pub(crate) fn of_answer(status: u16, api_code: Option<i64>) -> ErrorKind {\n",
    );
    for name in &model.classification.order {
        let c = model.category(name);
        let mut tests = Vec::new();
        for st in &c.http_statuses {
            tests.push(format!("status == {st}"));
        }
        for [a, b] in &c.http_status_ranges {
            tests.push(format!("({a}..={b}).contains(&status)"));
        }
        for code in &c.api_codes {
            tests.push(format!("api_code == Some({code})"));
        }
        let _ = writeln!(
            s,
            "        if {} {{\n            return ErrorKind::{};\n        }}",
            tests.join(" || "),
            c.rust
        );
    }
    let _ = writeln!(
        s,
        "        ErrorKind::{}\n    }}",
        model.category(&model.classification.fallback).rust
    );
    s
}
