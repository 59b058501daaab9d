"""The schema check the scenario runner uses (schema_check.py) bites.

Each test changes one thing in a copy of a real scenario file and expects
exactly one problem, naming the scenario and the offending key's path; the
input check (a scenario's input for its call) bites the same way.
"""

from __future__ import annotations

import copy
import json
from typing import Any, Callable

import pytest
from conftest import ALIAS_SCENARIOS, GET_SCENARIOS, SCENARIOS, SCHEMA
from schema_check import file_problems, input_problems, validate


def load(path: Any) -> dict[str, Any]:
    with path.open(encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data


REAL = load(SCENARIOS)
FIRST = REAL["scenarios"][0]["name"]
REAL_GET = load(GET_SCENARIOS)
FIRST_GET = REAL_GET["scenarios"][0]["name"]
REAL_ALIAS = load(ALIAS_SCENARIOS)
FIRST_ALIAS = REAL_ALIAS["scenarios"][0]["name"]


def test_real_file_passes() -> None:
    assert file_problems(load(SCHEMA), REAL) == []


def test_real_get_file_passes() -> None:
    assert file_problems(load(SCHEMA), REAL_GET) == []


def test_real_alias_file_passes() -> None:
    assert file_problems(load(SCHEMA), REAL_ALIAS) == []


def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        target: Any = doc
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return change


def _drop_status(doc: dict[str, Any]) -> None:
    del doc["scenarios"][0]["expect"]["status"]


CASES = [
    (
        "unknown_expect_key",
        _set(["scenarios", 0, "expect", "no_such_field"], 1),
        "$.scenarios[0].expect.no_such_field: unknown key",
    ),
    (
        "unknown_client_key",
        _set(["scenarios", 0, "client"], {"timeout": 5}),
        "$.scenarios[0].client.timeout: unknown key",
    ),
    (
        "unknown_scenario_key",
        _set(["scenarios", 0, "expected"], {}),
        "$.scenarios[0].expected: unknown key",
    ),
    (
        "unknown_request_key",
        _set(["scenarios", 0, "expect", "requests", 0, "query"], ""),
        "$.scenarios[0].expect.requests[0].query: unknown key",
    ),
    (
        "unknown_script_key",
        _set(["scenarios", 0, "script"], [{"code": 200}]),
        "$.scenarios[0].script[0].code: unknown key",
    ),
    ("unknown_top_level_key", _set(["scenario"], []), "$.scenario: unknown key"),
    (
        "wrong_type",
        _set(["scenarios", 0, "expect", "attempts"], "1"),
        "$.scenarios[0].expect.attempts: expected integer, got string",
    ),
    (
        "bool_is_not_integer",
        _set(["scenarios", 0, "expect", "attempts"], True),
        "$.scenarios[0].expect.attempts: expected integer, got boolean",
    ),
    ("missing_required_key", _drop_status, '$.scenarios[0].expect: missing required key "status"'),
    (
        "unknown_status",
        _set(["scenarios", 0, "expect", "status"], "MAYBE"),
        '$.scenarios[0].expect.status: "MAYBE" is not one of',
    ),
    (
        "below_minimum",
        _set(["scenarios", 0, "expect", "attempts"], -1),
        "$.scenarios[0].expect.attempts: -1 is less than the minimum 0",
    ),
]


# Changes to the first scenario of get_device.json (a device seed with tags,
# an expected device).
GET_CASES = [
    (
        "unknown_call",
        _set(["scenarios", 0, "call"], "get_devices"),
        '$.scenarios[0].call: "get_devices" is not one of',
    ),
    (
        "unknown_device_key",
        _set(["scenarios", 0, "expect", "device", "tag"], []),
        "$.scenarios[0].expect.device.tag: unknown key",
    ),
    (
        "unknown_device_seed_key",
        _set(["scenarios", 0, "devices", 0, "extra"], {}),
        "$.scenarios[0].devices[0].extra: unknown key",
    ),
    (
        "device_seed_wrong_type",
        _set(["scenarios", 0, "devices", 0], 7),
        "$.scenarios[0].devices[0]: expected string or object, got integer",
    ),
    (
        "device_alias_wrong_type",
        _set(["scenarios", 0, "expect", "device", "alias"], 1),
        "$.scenarios[0].expect.device.alias: expected string or null, got integer",
    ),
]


@pytest.mark.parametrize("change,want", [c[1:] for c in GET_CASES], ids=[c[0] for c in GET_CASES])
def test_rejects_in_get_file(change: Callable[[dict[str, Any]], None], want: str) -> None:
    doc = copy.deepcopy(REAL_GET)
    change(doc)
    problems = file_problems(load(SCHEMA), doc)
    named = f'scenario "{FIRST_GET}": {want}'
    assert len(problems) == 1 and problems[0].startswith(named), problems


# Changes to the first scenario of get_alias.json (devices seeded with
# platforms, expected registration ids), and to its input.
ALIAS_CASES = [
    (
        "unknown_seed_platform",
        _set(["scenarios", 0, "devices", 0, "platform"], "web"),
        '$.scenarios[0].devices[0].platform: "web" is not one of',
    ),
    (
        "registration_ids_wrong_type",
        _set(["scenarios", 0, "expect", "registration_ids"], "a"),
        "$.scenarios[0].expect.registration_ids: expected array, got string",
    ),
    (
        "platforms_item_wrong_type",
        _set(["scenarios", 0, "platforms"], [1]),
        "$.scenarios[0].platforms[0]: expected string, got integer",
    ),
    (
        "alias_scenario_with_registration_id",
        _set(["scenarios", 0, "registration_id"], "r"),
        "input: a get_alias scenario takes no registration_id",
    ),
]


@pytest.mark.parametrize(
    "change,want", [c[1:] for c in ALIAS_CASES], ids=[c[0] for c in ALIAS_CASES]
)
def test_rejects_in_alias_file(change: Callable[[dict[str, Any]], None], want: str) -> None:
    doc = copy.deepcopy(REAL_ALIAS)
    change(doc)
    problems = file_problems(load(SCHEMA), doc)
    named = f'scenario "{FIRST_ALIAS}": {want}'
    assert len(problems) == 1 and problems[0].startswith(named), problems


INPUT_CASES = [
    ("alias_scenario_without_alias", {"call": "get_alias"}, "needs alias"),
    (
        "alias_scenario_with_registration_id",
        {"call": "get_alias", "alias": "a", "registration_id": "r"},
        "takes no registration_id",
    ),
    (
        "device_scenario_with_platforms",
        {"registration_id": "r", "platforms": []},
        "platforms is for get_alias",
    ),
    (
        "device_scenario_with_alias",
        {"call": "get_device", "registration_id": "r", "alias": "a"},
        "alias is for get_alias",
    ),
    ("device_scenario_without_registration_id", {"call": "get_device"}, "needs registration_id"),
]


@pytest.mark.parametrize(
    "scenario,want", [c[1:] for c in INPUT_CASES], ids=[c[0] for c in INPUT_CASES]
)
def test_input_check(scenario: dict[str, Any], want: str) -> None:
    problems = input_problems(scenario)
    assert len(problems) == 1 and want in problems[0], problems


def test_input_check_passes_each_call_s_own_input() -> None:
    assert input_problems({"call": "get_alias", "alias": "a", "platforms": ["ios"]}) == []
    assert input_problems({"registration_id": "r"}) == []
    assert input_problems({"call": "get_device", "registration_id": "r"}) == []


@pytest.mark.parametrize("change,want", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rejects(change: Callable[[dict[str, Any]], None], want: str) -> None:
    doc = copy.deepcopy(REAL)
    change(doc)
    problems = file_problems(load(SCHEMA), doc)
    named = f'scenario "{FIRST}": {want}' if want.startswith("$.scenarios[0]") else want
    assert len(problems) == 1 and problems[0].startswith(named), problems


def test_rejects_unsupported_schema_keyword() -> None:
    schema = load(SCHEMA)
    schema["$defs"]["scenario"]["properties"]["name"]["pattern"] = "^[a-z_]+$"
    errors = validate(schema, REAL)
    assert errors[0] == '$.scenarios[0].name: schema keyword "pattern" is not supported', errors


def test_every_object_schema_is_closed() -> None:
    """Every object of the format sets additionalProperties (false, or a value schema for maps)."""
    open_objects: list[str] = []

    def walk(node: Any, at: str) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object" and "additionalProperties" not in node:
                open_objects.append(at)
            for key, value in node.items():
                walk(value, f"{at}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{at}/{i}")

    walk(load(SCHEMA), "#")
    assert open_objects == []
