//! The one validation of the shared contract (`tests/contract`), run by
//! `cargo xtask lint` through this crate's program: every JSON file there is checked against its JSON
//! Schema with the `jsonschema` crate, every object schema must be closed (so
//! an unknown key is refused), and test names are unique, which a schema
//! cannot say. The runners in every language read the files without
//! validating them.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use serde_json::Value;

/// Every data file under `tests/contract`, with its schema and the group its
/// test names must be unique in (the device scenarios share one test
/// namespace in each runner).
const FILES: [(&str, &str, &str); 5] = [
    (
        "scenarios/delete_device.json",
        "scenarios/schema.json",
        "device",
    ),
    (
        "scenarios/get_device.json",
        "scenarios/schema.json",
        "device",
    ),
    (
        "scenarios/get_alias.json",
        "scenarios/schema.json",
        "device",
    ),
    ("scenarios/bulk.json", "scenarios/bulk_schema.json", "bulk"),
    ("faults/matrix.json", "faults/schema.json", "faults"),
];

/// Checks the whole of `tests/contract` under `root`; the error lists every
/// problem, one a line.
pub(crate) fn check(root: &Path) -> Result<(), String> {
    let dir = root.join("tests/contract");
    let mut problems = unlisted(&dir);
    let mut names: HashMap<&str, HashSet<String>> = HashMap::new();
    for (file, schema_file, group) in FILES {
        let loaded = load(&dir.join(schema_file)).and_then(|schema| {
            let doc = load(&dir.join(file))?;
            Ok((schema, doc))
        });
        let (schema, doc) = match loaded {
            Ok(both) => both,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        for p in problems_of(&schema, &doc, names.entry(group).or_default()) {
            problems.push(format!("tests/contract/{file}: {p}"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} problem(s) in tests/contract:\n  {}",
            problems.len(),
            problems.join("\n  ")
        ))
    }
}

/// What is wrong with `doc` against `schema`: the schema itself (not valid
/// JSON Schema, or an object schema left open), each violation with its JSON
/// pointer and the scenario or case it is in, and names already in `seen`.
pub(crate) fn problems_of(schema: &Value, doc: &Value, seen: &mut HashSet<String>) -> Vec<String> {
    let mut problems = Vec::new();
    open_objects(schema, "#", &mut problems);
    let validator = match jsonschema::draft202012::new(schema) {
        Ok(v) => v,
        Err(e) => {
            problems.push(format!("the schema is not valid JSON Schema: {e}"));
            return problems;
        }
    };
    for error in validator.iter_errors(doc) {
        let at = error.instance_path().to_string();
        let within = owner(doc, &at).map_or(String::new(), |name| format!("{name:?} "));
        let at = if at.is_empty() { "/" } else { &at };
        problems.push(format!("{within}at {at}: {error}"));
    }
    for item in entries(doc) {
        if let Some(name) = item.get("name").and_then(Value::as_str)
            && !seen.insert(name.to_owned())
        {
            problems.push(format!("{name:?}: the name is used twice"));
        }
    }
    problems
}

/// The scenarios (or the fault matrix's cases) of a file.
fn entries(doc: &Value) -> &[Value] {
    ["scenarios", "cases"]
        .iter()
        .find_map(|k| doc.get(k)?.as_array())
        .map_or(&[], Vec::as_slice)
}

/// The name of the scenario or case that the JSON pointer `at` is inside.
fn owner<'a>(doc: &'a Value, at: &str) -> Option<&'a str> {
    let mut parts = at.strip_prefix('/')?.split('/');
    let list = parts.next()?;
    let index: usize = parts.next()?.parse().ok()?;
    doc.get(list)?.get(index)?.get("name")?.as_str()
}

/// Collects the object schemas that leave `additionalProperties` unset:
/// every object of the contract says which keys it takes.
fn open_objects(schema: &Value, at: &str, open: &mut Vec<String>) {
    match schema {
        Value::Object(o) => {
            let object = match o.get("type") {
                Some(Value::String(t)) => t == "object",
                Some(Value::Array(ts)) => ts.iter().any(|t| t == "object"),
                _ => false,
            };
            if object && !o.contains_key("additionalProperties") {
                open.push(format!(
                    "schema {at}: an object schema without additionalProperties"
                ));
            }
            for (k, v) in o {
                open_objects(v, &format!("{at}/{k}"), open);
            }
        }
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, v)| open_objects(v, &format!("{at}/{i}"), open)),
        _ => {}
    }
}

/// JSON files under `dir` that are neither a listed data file nor a schema:
/// a new file needs its schema (and a line in `FILES`) to be checked.
fn unlisted(dir: &Path) -> Vec<String> {
    let known: BTreeSet<&str> = FILES.iter().flat_map(|(f, s, _)| [*f, *s]).collect();
    let mut found = Vec::new();
    walk(dir, dir, &mut found);
    found
        .into_iter()
        .filter(|rel| !known.contains(rel.as_str()))
        .map(|rel| format!("tests/contract/{rel}: no schema is known for this file (crates/contract-check/src/contract.rs)"))
        .collect()
}

fn walk(base: &Path, dir: &Path, found: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(base, &path, found);
        } else if path.extension().is_some_and(|e| e == "json")
            && let Ok(rel) = path.strip_prefix(base)
        {
            found.push(rel.to_string_lossy().into_owned());
        }
    }
}

fn load(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    //! The check bites: copies of the real files with one thing wrong are
    //! refused with exactly that one problem, and the real tree passes.

    use super::*;
    use serde_json::json;

    fn real(file: &str) -> Value {
        load(&crate::root().join("tests/contract").join(file)).unwrap()
    }

    /// The one problem of `doc` against `schema`, failing on none or several.
    fn one_problem(schema: &str, doc: &Value) -> String {
        let problems = problems_of(&real(schema), doc, &mut HashSet::new());
        match problems.as_slice() {
            [one] => one.clone(),
            _ => panic!("want exactly one problem, got {problems:?}"),
        }
    }

    /// `file` with `change` applied to its first scenario: the one problem
    /// must name that scenario and contain every part of `want`.
    fn refused(file: &str, change: impl FnOnce(&mut Value), want: &[&str]) {
        let mut doc = real(file);
        change(&mut doc["scenarios"][0]);
        let name = doc["scenarios"][0]["name"].as_str().unwrap().to_owned();
        let problem = one_problem("scenarios/schema.json", &doc);
        assert!(
            problem.starts_with(&format!("{name:?} at /scenarios/0")),
            "{problem}"
        );
        for part in want {
            assert!(problem.contains(part), "{problem:?} lacks {part:?}");
        }
    }

    #[test]
    fn the_real_tree_passes() {
        check(&crate::root()).unwrap();
    }

    #[test]
    fn unknown_keys_are_refused() {
        let file = "scenarios/delete_device.json";
        refused(
            file,
            |s| s["expect"]["no_such_field"] = 1.into(),
            &["/expect", "no_such_field"],
        );
        refused(
            file,
            |s| s["client"] = json!({"timeout": 5}),
            &["/client", "timeout"],
        );
        refused(file, |s| s["expected"] = json!({}), &["expected"]);
        refused(
            file,
            |s| s["script"] = json!([{"code": 200}]),
            &["/script/0", "code"],
        );
        refused(
            file,
            |s| s["expect"]["requests"][0]["query"] = "".into(),
            &["/expect/requests/0", "query"],
        );
        refused(
            "scenarios/get_device.json",
            |s| s["expect"]["device"]["tag"] = json!([]),
            &["/expect/device", "tag"],
        );
        refused(
            "scenarios/get_device.json",
            |s| s["devices"][0]["extra"] = json!({}),
            &["/devices/0"],
        );
        let mut doc = real(file);
        doc["scenario"] = json!([]);
        let problem = one_problem("scenarios/schema.json", &doc);
        assert!(
            problem.starts_with("at /:") && problem.contains("scenario"),
            "{problem}"
        );
    }

    #[test]
    fn wrong_types_and_values_are_refused() {
        let file = "scenarios/delete_device.json";
        refused(
            file,
            |s| s["expect"]["attempts"] = "1".into(),
            &["/expect/attempts", "integer"],
        );
        refused(
            file,
            |s| s["expect"]["status"] = "MAYBE".into(),
            &["/expect/status", "MAYBE"],
        );
        refused(
            file,
            |s| s["call"] = "get_devices".into(),
            &["/call", "get_devices"],
        );
        refused(file, |s| s["name"] = "Not Snake".into(), &["/name"]);
        refused(
            file,
            |s| {
                s["expect"].as_object_mut().unwrap().remove("status");
            },
            &["/expect", "status"],
        );
        refused(
            "scenarios/get_alias.json",
            |s| s["devices"][0]["platform"] = "web".into(),
            &["/devices/0/platform", "web"],
        );
        refused(
            "scenarios/get_alias.json",
            |s| s["platforms"] = json!([1]),
            &["/platforms/0", "string"],
        );
    }

    #[test]
    fn a_call_takes_its_own_input_and_expectations() {
        refused(
            "scenarios/get_alias.json",
            |s| {
                s.as_object_mut().unwrap().remove("alias");
            },
            &["alias"],
        );
        refused(
            "scenarios/get_alias.json",
            |s| s["registration_id"] = "r".into(),
            &["/registration_id"],
        );
        let file = "scenarios/delete_device.json";
        refused(file, |s| s["platforms"] = json!([]), &["/platforms"]);
        refused(
            file,
            |s| {
                s.as_object_mut().unwrap().remove("registration_id");
            },
            &["registration_id"],
        );
        refused(
            file,
            |s| s["expect"]["device"] = json!({}),
            &["/expect/device"],
        );
        refused(
            "scenarios/get_device.json",
            |s| s["expect"]["registration_ids"] = json!([]),
            &["/expect/registration_ids"],
        );
    }

    #[test]
    fn expectations_fit_the_outcome() {
        let ok = |s: &mut Value| s["expect"] = json!({"status": "OK"});
        let file = "scenarios/delete_device.json";
        refused(
            file,
            |s| {
                ok(s);
                s["expect"]["http_status"] = 404.into();
            },
            &["/expect/http_status"],
        );
        refused(
            "scenarios/get_device.json",
            |s| s["expect"]["status"] = "NOT_FOUND".into(),
            &["/expect/device"],
        );
    }

    #[test]
    fn duplicate_names_are_refused() {
        let mut doc = real("scenarios/delete_device.json");
        let copy = doc["scenarios"][0].clone();
        doc["scenarios"].as_array_mut().unwrap().push(copy);
        let problem = one_problem("scenarios/schema.json", &doc);
        assert!(problem.ends_with("the name is used twice"), "{problem}");
    }

    #[test]
    fn the_bulk_file_and_the_fault_matrix_are_closed_too() {
        let mut bulk = real("scenarios/bulk.json");
        bulk["scenarios"][0]["runs"][0]["expect"]["sumary"] = json!({});
        let problem = one_problem("scenarios/bulk_schema.json", &bulk);
        assert!(
            problem.contains("/runs/0/expect") && problem.contains("sumary"),
            "{problem}"
        );
        let mut matrix = real("faults/matrix.json");
        matrix["cases"][0]["expect"]["maybe"] = true.into();
        let problem = one_problem("faults/schema.json", &matrix);
        assert!(
            problem.contains("/cases/0/expect") && problem.contains("maybe"),
            "{problem}"
        );
        let mut matrix = real("faults/matrix.json");
        matrix["cases"][0]["through_proxy"] = "socks".into();
        let problem = one_problem("faults/schema.json", &matrix);
        assert!(problem.contains("/cases/0/through_proxy"), "{problem}");
    }

    #[test]
    fn a_file_without_a_schema_is_refused() {
        let root = std::env::temp_dir().join(format!("xtask-contract-{}", std::process::id()));
        let dir = root.join("tests/contract/scenarios");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("new_call.json"), "{}").unwrap();
        let result = check(&root);
        std::fs::remove_dir_all(&root).unwrap();
        let error = result.unwrap_err();
        assert!(
            error.contains("tests/contract/scenarios/new_call.json: no schema is known"),
            "{error}"
        );
    }

    #[test]
    fn an_open_object_schema_is_refused() {
        let mut schema = real("scenarios/schema.json");
        schema["$defs"]["client"]
            .as_object_mut()
            .unwrap()
            .remove("additionalProperties");
        let problems = problems_of(
            &schema,
            &real("scenarios/delete_device.json"),
            &mut HashSet::new(),
        );
        assert_eq!(
            problems,
            ["schema #/$defs/client: an object schema without additionalProperties"]
        );
    }
}
