//! The C ABI's status codes: `crates/engagelab-push-ffi/src/status_code.rs`,
//! which cbindgen turns into the header's `el_status`.

use std::fmt::Write as _;

use super::{Model, NOTICE, Output, rustfmt, wrap};

pub(crate) fn outputs(model: &Model) -> Vec<Output> {
    vec![Output::File(
        "crates/engagelab-push-ffi/src/status_code.rs",
        rustfmt(&status_code(model)),
    )]
}

fn status_code(model: &Model) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "//! The `el_status` codes. {NOTICE}");
    s.push_str(
        "
/// The status code every fallible `el_` function returns: `EL_OK` (0) on
/// success, else the category of the failure as the error model defines it.
/// Codes are stable and never reused; new ones may be added in a minor
/// release, so treat an unknown code as a failure.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum el_status {
    /// Success.
    EL_OK = 0,
",
    );
    for c in &model.categories {
        s.push_str(&wrap(
            &format!("{} When: {}.", c.doc, c.when),
            90,
            "    /// ",
        ));
        let _ = writeln!(s, "    EL_{} = {},", c.name, c.code);
    }
    s.push_str("}\n\nimpl el_status {\n    /// The status of a core error kind.\n    pub(crate) fn of(kind: engagelab::ErrorKind) -> el_status {\n        match kind {\n");
    for c in &model.categories {
        let _ = writeln!(
            s,
            "            engagelab::ErrorKind::{} => el_status::EL_{},",
            c.rust, c.name
        );
    }
    s.push_str("            _ => el_status::EL_INTERNAL,\n        }\n    }\n}\n");
    s
}
