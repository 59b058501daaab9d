'use strict';

// The scenario runner's schema check (support/schema.cjs) bites: each case
// changes one thing in a copy of a real file and expects exactly that one
// problem, naming the scenario and the key's path. So does the input check
// beside it (a get_alias scenario needs alias, a device scenario
// registration_id, and neither takes the other's).

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { REPO } = require('./support/mock.cjs');
const { fileProblems, validate } = require('./support/schema.cjs');

const SCENARIOS = path.join(REPO, 'tests', 'contract', 'scenarios', 'delete_device.json');
const GET_SCENARIOS = path.join(REPO, 'tests', 'contract', 'scenarios', 'get_device.json');
const ALIAS_SCENARIOS = path.join(REPO, 'tests', 'contract', 'scenarios', 'get_alias.json');
const SCHEMA = path.join(REPO, 'tests', 'contract', 'scenarios', 'schema.json');
const load = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));
const REAL = load(SCENARIOS);
const FIRST = REAL.scenarios[0].name;
const REAL_GET = load(GET_SCENARIOS);
const FIRST_GET = REAL_GET.scenarios[0].name;
const REAL_ALIAS = load(ALIAS_SCENARIOS);

test('the real file passes', () => {
  assert.deepEqual(fileProblems(load(SCHEMA), REAL), []);
});

test('the real get_device file passes', () => {
  assert.deepEqual(fileProblems(load(SCHEMA), REAL_GET), []);
});

test('the real get_alias file passes', () => {
  assert.deepEqual(fileProblems(load(SCHEMA), REAL_ALIAS), []);
});

const set = (keys, value) => (doc) => {
  let target = doc;
  for (const k of keys.slice(0, -1)) target = target[k];
  target[keys.at(-1)] = value;
};

const CASES = [
  ['unknown_expect_key', set(['scenarios', 0, 'expect', 'no_such_field'], 1), '$.scenarios[0].expect.no_such_field: unknown key'],
  ['unknown_client_key', set(['scenarios', 0, 'client'], { timeout: 5 }), '$.scenarios[0].client.timeout: unknown key'],
  ['unknown_scenario_key', set(['scenarios', 0, 'expected'], {}), '$.scenarios[0].expected: unknown key'],
  ['unknown_request_key', set(['scenarios', 0, 'expect', 'requests', 0, 'query'], ''), '$.scenarios[0].expect.requests[0].query: unknown key'],
  ['unknown_script_key', set(['scenarios', 0, 'script'], [{ code: 200 }]), '$.scenarios[0].script[0].code: unknown key'],
  ['unknown_top_level_key', set(['scenario'], []), '$.scenario: unknown key'],
  ['wrong_type', set(['scenarios', 0, 'expect', 'attempts'], '1'), '$.scenarios[0].expect.attempts: expected integer, got string'],
  ['bool_is_not_integer', set(['scenarios', 0, 'expect', 'attempts'], true), '$.scenarios[0].expect.attempts: expected integer, got boolean'],
  ['fraction_is_not_integer', set(['scenarios', 0, 'expect', 'attempts'], 1.5), '$.scenarios[0].expect.attempts: expected integer, got number'],
  ['missing_required_key', (doc) => delete doc.scenarios[0].expect.status, '$.scenarios[0].expect: missing required key "status"'],
  ['unknown_status', set(['scenarios', 0, 'expect', 'status'], 'MAYBE'), '$.scenarios[0].expect.status: "MAYBE" is not one of'],
  ['below_minimum', set(['scenarios', 0, 'expect', 'attempts'], -1), '$.scenarios[0].expect.attempts: -1 is less than the minimum 0'],
  ['duplicate_name', set(['scenarios', 1, 'name'], FIRST), null],
];

for (const [name, change, want] of CASES) {
  test(`rejects ${name}`, () => {
    const doc = structuredClone(REAL);
    change(doc);
    const problems = fileProblems(load(SCHEMA), doc);
    const expected =
      want === null
        ? `scenario "${FIRST}": the name is used twice`
        : want.startsWith('$.scenarios[0]')
          ? `scenario "${FIRST}": ${want}`
          : want;
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.ok(problems[0].startsWith(expected), `${problems[0]}\n  does not start with\n${expected}`);
  });
}

// The keys get_device.json added bite too: each change is to its first
// scenario (a device seed with tags, an expected device).
const GET_CASES = [
  ['unknown_call', set(['scenarios', 0, 'call'], 'get_devices'), '$.scenarios[0].call: "get_devices" is not one of'],
  ['unknown_device_key', set(['scenarios', 0, 'expect', 'device', 'tag'], []), '$.scenarios[0].expect.device.tag: unknown key'],
  ['unknown_device_seed_key', set(['scenarios', 0, 'devices', 0, 'extra'], {}), '$.scenarios[0].devices[0].extra: unknown key'],
  ['device_seed_wrong_type', set(['scenarios', 0, 'devices', 0], 7), '$.scenarios[0].devices[0]: expected string or object, got integer'],
  ['device_alias_wrong_type', set(['scenarios', 0, 'expect', 'device', 'alias'], 1), '$.scenarios[0].expect.device.alias: expected string or null, got integer'],
  ['unknown_expect_key', set(['scenarios', 0, 'expect', 'no_such_field'], 1), '$.scenarios[0].expect.no_such_field: unknown key'],
];

for (const [name, change, want] of GET_CASES) {
  test(`rejects in get_device.json ${name}`, () => {
    const doc = structuredClone(REAL_GET);
    change(doc);
    const problems = fileProblems(load(SCHEMA), doc);
    const expected = `scenario "${FIRST_GET}": ${want}`;
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.ok(problems[0].startsWith(expected), `${problems[0]}\n  does not start with\n${expected}`);
  });
}

// The keys get_alias.json added bite too, and so does the input check: each
// change is to the first scenario of the file named (for get_alias.json, one
// that seeds devices with platforms and expects registration ids).
const ALIAS_CASES = [
  ['get_alias.json', 'unknown_seed_platform', set(['scenarios', 0, 'devices', 0, 'platform'], 'web'), '$.scenarios[0].devices[0].platform: "web" is not one of'],
  ['get_alias.json', 'registration_ids_of_wrong_type', set(['scenarios', 0, 'expect', 'registration_ids'], 'a'), '$.scenarios[0].expect.registration_ids: expected array, got string'],
  ['get_alias.json', 'platforms_of_wrong_type', set(['scenarios', 0, 'platforms'], [1]), '$.scenarios[0].platforms[0]: expected string, got integer'],
  ['get_alias.json', 'unknown_expect_key', set(['scenarios', 0, 'expect', 'no_such_field'], 1), '$.scenarios[0].expect.no_such_field: unknown key'],
  ['get_alias.json', 'alias_scenario_without_alias', (doc) => delete doc.scenarios[0].alias, 'input: a get_alias scenario needs alias'],
  ['get_alias.json', 'alias_scenario_with_registration_id', set(['scenarios', 0, 'registration_id'], 'r'), 'input: a get_alias scenario takes no registration_id'],
  ['delete_device.json', 'device_scenario_without_registration_id', (doc) => delete doc.scenarios[0].registration_id, 'input: a device scenario needs registration_id'],
  ['delete_device.json', 'device_scenario_with_alias', set(['scenarios', 0, 'alias'], 'a'), 'input: alias is for get_alias scenarios only'],
  ['get_device.json', 'device_scenario_with_platforms', set(['scenarios', 0, 'platforms'], []), 'input: platforms is for get_alias scenarios only'],
];

const REALS = { 'delete_device.json': REAL, 'get_device.json': REAL_GET, 'get_alias.json': REAL_ALIAS };

for (const [file, name, change, want] of ALIAS_CASES) {
  test(`rejects in ${file} ${name}`, () => {
    const real = REALS[file];
    const doc = structuredClone(real);
    change(doc);
    const problems = fileProblems(load(SCHEMA), doc);
    const expected = `scenario "${real.scenarios[0].name}": ${want}`;
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.ok(problems[0].startsWith(expected), `${problems[0]}\n  does not start with\n${expected}`);
  });
}

test('rejects a schema keyword it does not implement', () => {
  const schema = load(SCHEMA);
  schema.$defs.scenario.properties.name.pattern = '^[a-z_]+$';
  const errors = validate(schema, REAL);
  assert.equal(errors[0], '$.scenarios[0].name: schema keyword "pattern" is not supported');
});

test('every object schema is closed', () => {
  const open = [];
  const walk = (node, at) => {
    if (Array.isArray(node)) node.forEach((v, i) => walk(v, `${at}/${i}`));
    else if (node !== null && typeof node === 'object') {
      if (node.type === 'object' && !('additionalProperties' in node)) open.push(at);
      for (const [k, v] of Object.entries(node)) walk(v, `${at}/${k}`);
    }
  };
  walk(load(SCHEMA), '#');
  assert.deepEqual(open, []);
});
