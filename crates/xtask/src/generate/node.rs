//! The Node error classes (`bindings/node/lib/errors.gen.cjs`), their types
//! (`errors.gen.d.cts`) and the ESM re-exports (a region of `index.mjs`). An
//! error's message is not generated: it is the core's, from
//! `el_error_describe`.

use std::fmt::Write as _;

use super::{Model, NOTICE, Output, wrap};

const CLASSES: &str = "bindings/node/lib/errors.gen.cjs";
const TYPES: &str = "bindings/node/lib/errors.gen.d.cts";
const ESM: &str = "bindings/node/lib/index.mjs";

pub(crate) fn outputs(model: &Model) -> Vec<Output> {
    vec![
        Output::File(CLASSES, classes(model)),
        Output::File(TYPES, types(model)),
        Output::Region(ESM, "exports", esm(model)),
    ]
}

/// A JavaScript string literal (JSON's quoting is valid JavaScript).
fn js(s: &str) -> String {
    serde_json::to_string(s).expect("a string serialises")
}

fn doc_comment(model_doc: &str, name: &str) -> String {
    let text = format!("{model_doc} (`{name}`)");
    format!("/**\n{} */\n", wrap(&text, 80, " * "))
}

fn classes(model: &Model) -> String {
    let mut s = format!(
        "// {NOTICE}\n\
         // One class per category of the error model; the core decides the\n\
         // category, the binding only picks the class by the status code.\n\
         'use strict';\n\n\
         const {{ EngageLabError }} = require('./base.cjs');\n"
    );
    for c in &model.categories {
        let _ = write!(s, "\n{}", doc_comment(&c.doc, &c.name));
        let _ = writeln!(s, "class {} extends EngageLabError {{}}", c.node);
    }
    s.push_str(
        "\n/** Every category, in the order of its C status code (`el_status`). */\n\
         const CATEGORIES = Object.freeze([\n",
    );
    for c in &model.categories {
        let _ = writeln!(
            s,
            "  Object.freeze({{ code: {}, status: {}, ErrorClass: {} }}),",
            c.code,
            js(&c.name),
            c.node
        );
    }
    s.push_str("]);\n\nfor (const c of CATEGORIES) {\n");
    s.push_str("  EngageLabError.defineCategory(c);\n}\n\nmodule.exports = {\n");
    for c in &model.categories {
        let _ = writeln!(s, "  {},", c.node);
    }
    s.push_str("  CATEGORIES,\n};\n");
    s
}

fn types(model: &Model) -> String {
    let mut s = format!("// {NOTICE}\n\nimport {{ EngageLabError }} from './base.cjs';\n\n");
    s.push_str("/** The category of a failed call, as every language reports it. */\nexport type Status =\n");
    let names: Vec<String> = model
        .categories
        .iter()
        .map(|c| format!("  | {}", js(&c.name)))
        .collect();
    let _ = writeln!(s, "{};", names.join("\n"));
    for c in &model.categories {
        let _ = write!(s, "\n{}", doc_comment(&c.doc, &c.name));
        let _ = writeln!(
            s,
            "export declare class {} extends EngageLabError {{\n  static readonly STATUS: {name};\n  static readonly CODE: {};\n  readonly status: {name};\n}}",
            c.node,
            c.code,
            name = js(&c.name),
        );
    }
    s
}

fn esm(model: &Model) -> String {
    let mut s = format!("// {NOTICE}\nexport const {{\n");
    for c in &model.categories {
        let _ = writeln!(s, "  {},", c.node);
    }
    s.push_str("} = cjs;\n");
    s
}
