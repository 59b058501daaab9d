//! The Java binding's error types (`bindings/java`): the `Status` enum, one
//! exception class per category, and `Exceptions`, which maps a status to its
//! exception. Whole files, each carrying the notice. An exception's message is
//! not generated: it is the core's, from `el_error_describe`.

use std::fmt::Write as _;

use super::{Model, NOTICE, Output, wrap};

const DIR: &str = "bindings/java/src/main/java/io/github/engagelabpush";
const HEADER: &str = "package io.github.engagelabpush;\n";

pub(crate) fn outputs(model: &Model) -> Vec<Output> {
    let mut all = vec![
        Output::File(path("Status"), status(model)),
        Output::File(path("Exceptions"), exceptions(model)),
    ];
    for c in &model.categories {
        all.push(Output::File(path(&c.java), class(c)));
    }
    all
}

/// The path of a generated class. `Output` holds `&'static str` paths; these
/// few strings live as long as the process anyway.
fn path(class: &str) -> &'static str {
    Box::leak(format!("{DIR}/{class}.java").into_boxed_str())
}

/// Text made safe for a Javadoc comment.
pub(crate) fn javadoc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace("*/", "*&#47;")
        .replace('@', "&#64;")
}

fn status(model: &Model) -> String {
    let mut s = format!("// {NOTICE}\n{HEADER}\n");
    s.push_str(concat!(
        "/**\n",
        " * The category of a failed call, as the error model (spec/error-model.toml)\n",
        " * defines it: the same categories and names in every language. Each has its\n",
        " * own {@link EngageLabException} subclass.\n",
        " */\n",
        "public enum Status {\n",
    ));
    for (i, c) in model.categories.iter().enumerate() {
        let doc = format!(
            "{} When: {}. Retried: {}. Sets maybeDeleted: {}. C status code {}.",
            c.doc, c.when, c.retried, c.maybe_deleted, c.code
        );
        let _ = write!(
            s,
            "    /**\n{}     */\n",
            wrap(&javadoc(&doc), 80, "     * ")
        );
        let end = if i + 1 == model.categories.len() {
            ";"
        } else {
            ","
        };
        let _ = writeln!(s, "    {}({}){end}\n", c.name, c.code);
    }
    s.push_str(concat!(
        "    private final int code;\n",
        "\n",
        "    Status(int code) {\n",
        "        this.code = code;\n",
        "    }\n",
        "\n",
        "    /** The category's stable C status code ({@code el_status}). */\n",
        "    public int code() {\n",
        "        return code;\n",
        "    }\n",
        "\n",

        "    /** The category with this C status code, or {@code null} for 0 (success) or a code this\n",
        "     * version does not know. */\n",
        "    static Status fromCode(long code) {\n",
        "        switch ((int) Math.max(Math.min(code, Integer.MAX_VALUE), -1)) {\n",
    ));
    for c in &model.categories {
        let _ = writeln!(
            s,
            "            case {}:\n                return {};",
            c.code, c.name
        );
    }
    s.push_str("            default:\n                return null;\n        }\n    }\n}\n");
    s
}

fn exceptions(model: &Model) -> String {
    let mut s = format!("// {NOTICE}\n{HEADER}\n");
    s.push_str(concat!(
        "/** Maps a category to its exception class. */\n",
        "final class Exceptions {\n",
        "    private Exceptions() {}\n",
        "\n",
        "    /** The exception of this category carrying these details. */\n",
        "    static EngageLabException of(Status status, EngageLabException.Details details) {\n",
        "        switch (status) {\n",
    ));
    for c in &model.categories {
        let _ = writeln!(
            s,
            "            case {}:\n                return new {}(details);",
            c.name, c.java
        );
    }
    s.push_str(concat!(
        "            default:\n",
        "                throw new AssertionError(status);\n",
        "        }\n",
        "    }\n",
        "}\n",
    ));
    s
}

fn class(c: &super::model::Category) -> String {
    let mut s = format!("// {NOTICE}\n{HEADER}\n");
    let doc = format!(
        "{} ({{@link Status#{}}}) When: {}. Retried: {}. Sets maybeDeleted: {}.",
        javadoc(&c.doc),
        c.name,
        javadoc(&c.when),
        javadoc(&c.retried),
        javadoc(&c.maybe_deleted),
    );
    let _ = write!(s, "/**\n{} */\n", wrap(&doc, 80, " * "));
    let _ = writeln!(s, "public class {} extends EngageLabException {{", c.java);
    s.push_str("    private static final long serialVersionUID = 1L;\n\n");
    let _ = writeln!(
        s,
        "    {}(Details details) {{\n        super(Status.{}, details);\n    }}\n}}",
        c.java, c.name
    );
    s
}
