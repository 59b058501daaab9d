//! The C++ API's categories: regions of `include/engagelab_push.hpp`.
//!
//! - `status`: `enum class engagelab::Status` (its values are the C
//!   `el_status` codes); `what()` is not generated: it is the core's own
//!   sentence, from `el_error_describe`;
//! - `classes`: one exception class per category, derived from
//!   `engagelab::Error`, and `Error::raise()`, which throws an error as its
//!   category's class.
//!
//! The C++ names are the Rust ones: the `Status` enumerator is the Rust
//! `ErrorKind` variant, the class is that name + `Error` (`NotFoundError`).

use std::fmt::Write as _;

use super::{Model, NOTICE, Output, wrap};

const HEADER: &str = "include/engagelab_push.hpp";

pub(crate) fn outputs(model: &Model) -> Vec<Output> {
    vec![
        Output::Region(HEADER, "status", status(model)),
        Output::Region(HEADER, "classes", classes(model)),
    ]
}

fn status(model: &Model) -> String {
    let mut s = format!("// {NOTICE}\n\n");
    s.push_str(
        "/// The category of a failure, as the error model defines it. The values are\n\
         /// the C `el_status` codes; an `Error` from a newer library may hold a value\n\
         /// that is not listed here (treat it as a failure, see `status_name`).\n\
         enum class Status : std::uint32_t {\n",
    );
    for c in &model.categories {
        s.push_str(&wrap(
            &format!("{} When: {}.", c.doc, c.when),
            86,
            "    /// ",
        ));
        let _ = writeln!(s, "    {} = EL_{},", c.rust, c.name);
    }
    s.push_str("};\n");
    s
}

fn classes(model: &Model) -> String {
    let mut s = format!("// {NOTICE}\n");
    for c in &model.categories {
        let class = format!("{}Error", c.rust);
        let _ = writeln!(s);
        s.push_str(&wrap(&format!("{} (`{}`)", c.doc, c.name), 86, "/// "));
        let _ = writeln!(
            s,
            "class {class} : public Error {{\n public:\n    explicit {class}(Error error) : Error(std::move(error)) {{}}\n}};"
        );
    }
    s.push_str("\ninline void Error::raise() const {\n    switch (status()) {\n");
    for c in &model.categories {
        let _ = writeln!(
            s,
            "    case Status::{}:\n        throw {}Error(*this);",
            c.rust, c.rust
        );
    }
    s.push_str("    }\n    throw *this;\n}\n");
    s
}
