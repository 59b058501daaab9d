//! The Python exception classes (a region of `python/engagelab_push/exceptions.py`)
//! and the package's exports (regions of `__init__.py`).

use std::fmt::Write as _;

use super::{Model, NOTICE, Output, wrap};

const EXCEPTIONS: &str = "python/engagelab_push/exceptions.py";
const INIT: &str = "python/engagelab_push/__init__.py";

pub(crate) fn outputs(model: &Model) -> Vec<Output> {
    vec![
        Output::Region(EXCEPTIONS, "all", all(model, "    ")),
        Output::Region(EXCEPTIONS, "classes", classes(model)),
        Output::Region(INIT, "imports", imports(model)),
        Output::Region(INIT, "all", all(model, "    ")),
    ]
}

fn names(model: &Model) -> Vec<&str> {
    let mut names = vec!["EngageLabError"];
    names.extend(model.categories.iter().map(|c| c.python.class.as_str()));
    names
}

fn all(model: &Model, indent: &str) -> String {
    let mut s = format!("{indent}# {NOTICE}\n");
    for name in names(model) {
        let _ = writeln!(s, "{indent}{name:?},");
    }
    s
}

fn imports(model: &Model) -> String {
    let mut sorted = names(model);
    sorted.sort_unstable();
    let mut s = format!("# {NOTICE}\nfrom engagelab_push.exceptions import (\n");
    for name in sorted {
        let _ = writeln!(s, "    {name},");
    }
    s.push_str(")\n");
    s
}

fn classes(model: &Model) -> String {
    let mut s = format!("# {NOTICE}\n");
    for c in &model.categories {
        let bases = match &c.python.also {
            Some(also) => format!("EngageLabError, {also}"),
            None => "EngageLabError".to_owned(),
        };
        let _ = writeln!(s, "\n\nclass {}({bases}):", c.python.class);
        let doc = format!("{} (``{}``)", c.doc, c.name);
        let mut lines = wrap(&doc, 76, "    ");
        // Open and close the docstring on the first and last line.
        lines.replace_range(4..4, "\"\"\"");
        let trimmed = lines.trim_end().to_owned();
        let _ = writeln!(s, "{trimmed}\"\"\"\n");
        let _ = writeln!(s, "    STATUS = {:?}", c.name);
    }
    s.push_str("\n\n#: The exception class of each category, by its name.\n");
    s.push_str("BY_STATUS: dict[str, type[EngageLabError]] = {\n");
    for c in &model.categories {
        let _ = writeln!(s, "    {:?}: {},", c.name, c.python.class);
    }
    s.push_str("}\n");
    s
}
