"""A validator for the subset of JSON Schema that tests/contract/scenarios/schema.json uses,
and the check of each scenario's input for its call, which the schema cannot say.

The keywords are `type`, `properties`, `required`, `additionalProperties`
(false or a schema), `items`, `enum`, `$ref` to `#/$defs/...` and `minimum`. Any
other keyword in the schema is reported, so a rule the validator would skip
cannot be added silently. The Rust (crates/engagelab-push/tests/common/schema.rs)
and C (tests/c/schema_check.c) runners carry the same validator.
"""

from __future__ import annotations

import json
import re
from typing import Any

KEYWORDS = {
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "$ref",
    "minimum",
}
ANNOTATIONS = {"$schema", "$id", "$comment", "title", "description", "$defs"}


def validate(schema: dict[str, Any], instance: Any) -> list[str]:
    """Every violation of `schema` by `instance`, as "$.path.to.key: what"."""
    errors: list[str] = []
    _check(schema, schema, instance, "$", errors)
    return errors


def file_problems(schema: dict[str, Any], doc: Any) -> list[str]:
    """The violations of a scenario file, each naming its scenario, and duplicate names."""
    scenarios = doc.get("scenarios") if isinstance(doc, dict) else None
    scenarios = scenarios if isinstance(scenarios, list) else []

    def named(error: str) -> str:
        m = re.match(r"\$\.scenarios\[(\d+)\]", error)
        if m is None:
            return error
        scenario = scenarios[int(m.group(1))]
        name = scenario.get("name") if isinstance(scenario, dict) else None
        return f'scenario "{name if isinstance(name, str) else "?"}": {error}'

    problems = [named(e) for e in validate(schema, doc)]
    seen = set()
    for scenario in scenarios:
        name = scenario.get("name") if isinstance(scenario, dict) else None
        if isinstance(name, str):
            if name in seen:
                problems.append(f'scenario "{name}": the name is used twice')
            seen.add(name)
        if isinstance(scenario, dict):
            shown = name if isinstance(name, str) else "?"
            problems += [f'scenario "{shown}": {p}' for p in input_problems(scenario)]
    return problems


def input_problems(scenario: dict[str, Any]) -> list[str]:
    """What is wrong with a scenario's input for its call, which the schema
    cannot say: `registration_id` for the device calls, `alias` (and
    `platforms`) for `get_alias`, never both."""
    problems: list[str] = []
    if scenario.get("call") == "get_alias":
        if "alias" not in scenario:
            problems.append("input: a get_alias scenario needs alias")
        if "registration_id" in scenario:
            problems.append("input: a get_alias scenario takes no registration_id")
    else:
        if "registration_id" not in scenario:
            problems.append("input: a device scenario needs registration_id")
        problems += [
            f"input: {key} is for get_alias scenarios only"
            for key in ("alias", "platforms")
            if key in scenario
        ]
    return problems


def _type_name(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int) or (isinstance(v, float) and v.is_integer()):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object" if isinstance(v, dict) else type(v).__name__


def _json(v: Any) -> str:
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


def _check(root: dict[str, Any], schema: Any, v: Any, path: str, errors: list[str]) -> None:
    if not isinstance(schema, dict):
        errors.append(f"{path}: the schema here is not an object")
        return
    for key in schema:
        if key not in KEYWORDS and key not in ANNOTATIONS:
            errors.append(f'{path}: schema keyword "{key}" is not supported')
    if "$ref" in schema:
        ref = schema["$ref"]
        name = (
            ref[len("#/$defs/") :] if isinstance(ref, str) and ref.startswith("#/$defs/") else None
        )
        if name is not None and name in root.get("$defs", {}):
            _check(root, root["$defs"][name], v, path, errors)
        else:
            errors.append(f"{path}: cannot resolve $ref {ref}")
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        got = _type_name(v)
        if not any(t == got or (t == "number" and got == "integer") for t in types):
            errors.append(f"{path}: expected {' or '.join(types)}, got {got}")
            return
    if "enum" in schema and not any(
        _type_name(a) == _type_name(v) and a == v for a in schema["enum"]
    ):
        errors.append(f"{path}: {_json(v)} is not one of {_json(schema['enum'])}")
    minimum = schema.get("minimum")
    if minimum is not None and _type_name(v) in ("integer", "number") and v < minimum:
        errors.append(f"{path}: {_json(v)} is less than the minimum {minimum:g}")
    if "items" in schema and isinstance(v, list):
        for i, item in enumerate(v):
            _check(root, schema["items"], item, f"{path}[{i}]", errors)
    if not isinstance(v, dict):
        return
    for name in schema.get("required", []):
        if name not in v:
            errors.append(f'{path}: missing required key "{name}"')
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties")
    for key, value in v.items():
        child = f"{path}.{key}"
        if key in properties:
            _check(root, properties[key], value, child, errors)
        elif extra is False:
            errors.append(f"{child}: unknown key")
        elif isinstance(extra, dict):
            _check(root, extra, value, child, errors)
