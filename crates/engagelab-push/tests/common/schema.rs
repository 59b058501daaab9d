//! A validator for the subset of JSON Schema that `tests/contract/scenarios/schema.json`
//! uses: `type`, `properties`, `required`, `additionalProperties` (false or a
//! schema), `items`, `enum`, `$ref` to `#/$defs/...` and `minimum`. Any other
//! keyword in the schema is reported, so a rule the validator would skip cannot
//! be added silently. The C (`tests/c/schema_check.c`) and Python
//! (`python/tests/schema_check.py`) runners carry the same validator.

use serde_json::Value;

const KEYWORDS: [&str; 8] = [
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "$ref",
    "minimum",
];
const ANNOTATIONS: [&str; 6] = [
    "$schema",
    "$id",
    "$comment",
    "title",
    "description",
    "$defs",
];

/// Every violation of `schema` by `instance`, as `"$.path.to.key: what"`.
pub fn validate(schema: &Value, instance: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    check(schema, schema, instance, "$", &mut errors);
    errors
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(n) if n.as_f64().is_some_and(|f| f.fract() == 0.0) => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn check(root: &Value, schema: &Value, v: &Value, path: &str, errors: &mut Vec<String>) {
    let Some(schema) = schema.as_object() else {
        errors.push(format!("{path}: the schema here is not an object"));
        return;
    };
    for key in schema.keys() {
        if !KEYWORDS.contains(&key.as_str()) && !ANNOTATIONS.contains(&key.as_str()) {
            errors.push(format!("{path}: schema keyword {key:?} is not supported"));
        }
    }
    if let Some(r) = schema.get("$ref") {
        let target = r.as_str().and_then(|r| r.strip_prefix("#/$defs/"));
        match target.and_then(|name| root.get("$defs")?.get(name)) {
            Some(def) => check(root, def, v, path, errors),
            None => errors.push(format!("{path}: cannot resolve $ref {r}")),
        }
    }
    if let Some(t) = schema.get("type") {
        let types: Vec<&str> = match t {
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            t => t.as_str().into_iter().collect(),
        };
        let got = type_name(v);
        if !types
            .iter()
            .any(|&t| t == got || (t == "number" && got == "integer"))
        {
            let want = types.join(" or ");
            errors.push(format!("{path}: expected {want}, got {got}"));
            return;
        }
    }
    if let Some(Value::Array(allowed)) = schema.get("enum")
        && !allowed.contains(v)
    {
        let allowed = Value::Array(allowed.clone());
        errors.push(format!("{path}: {v} is not one of {allowed}"));
    }
    if let (Some(min), Some(n)) = (schema.get("minimum").and_then(Value::as_f64), v.as_f64())
        && n < min
    {
        errors.push(format!("{path}: {v} is less than the minimum {min}"));
    }
    if let (Some(items), Value::Array(a)) = (schema.get("items"), v) {
        for (i, item) in a.iter().enumerate() {
            check(root, items, item, &format!("{path}[{i}]"), errors);
        }
    }
    let Value::Object(object) = v else { return };
    let required = schema.get("required").and_then(Value::as_array);
    for name in required.into_iter().flatten().filter_map(Value::as_str) {
        if !object.contains_key(name) {
            errors.push(format!("{path}: missing required key {name:?}"));
        }
    }
    let properties = schema.get("properties").and_then(Value::as_object);
    for (key, value) in object {
        let child = format!("{path}.{key}");
        match (
            properties.and_then(|p| p.get(key)),
            schema.get("additionalProperties"),
        ) {
            (Some(s), _) => check(root, s, value, &child, errors),
            (None, Some(Value::Bool(false))) => errors.push(format!("{child}: unknown key")),
            (None, Some(s @ Value::Object(_))) => check(root, s, value, &child, errors),
            (None, _) => {}
        }
    }
}
