'use strict';

// A validator for the subset of JSON Schema that tests/contract/scenarios/schema.json
// uses: type, properties, required, additionalProperties (false or a schema),
// items, enum, $ref to #/$defs/..., minimum. Any other keyword in the schema is
// reported, so a rule this validator would skip cannot be added silently. It
// follows python/tests/schema_check.py, tests/c/schema_check.c and
// crates/engagelab-push/tests/common/schema.rs rule for rule. Beside the
// schema, fileProblems checks what it cannot say (step 2 of the runner
// contract, tests/contract/scenarios/README.md): unique names, and each scenario's
// input for its call, as crates/engagelab-push/tests/contract/scenarios.rs does.

const KEYWORDS = new Set(['type', 'properties', 'required', 'additionalProperties', 'items', 'enum', '$ref', 'minimum']);
const ANNOTATIONS = new Set(['$schema', '$id', '$comment', 'title', 'description', '$defs']);

function typeName(v) {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'string') return 'string';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? 'object' : typeof v;
}

function isObject(v) {
  return typeName(v) === 'object';
}

function json(v) {
  return JSON.stringify(v);
}

/** The same value, as JSON sees it. */
function same(a, b) {
  return typeName(a) === typeName(b) && json(a) === json(b);
}

function check(root, schema, v, at, errors) {
  if (!isObject(schema)) {
    errors.push(`${at}: the schema here is not an object`);
    return;
  }
  for (const key of Object.keys(schema)) {
    if (!KEYWORDS.has(key) && !ANNOTATIONS.has(key)) errors.push(`${at}: schema keyword "${key}" is not supported`);
  }
  if ('$ref' in schema) {
    const ref = schema.$ref;
    const name = typeof ref === 'string' && ref.startsWith('#/$defs/') ? ref.slice('#/$defs/'.length) : null;
    const defs = isObject(root.$defs) ? root.$defs : {};
    if (name !== null && Object.hasOwn(defs, name)) check(root, defs[name], v, at, errors);
    else errors.push(`${at}: cannot resolve $ref ${ref}`);
  }
  if ('type' in schema) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    const got = typeName(v);
    if (!types.some((t) => t === got || (t === 'number' && got === 'integer'))) {
      errors.push(`${at}: expected ${types.join(' or ')}, got ${got}`);
      return;
    }
  }
  if ('enum' in schema && !schema.enum.some((a) => same(a, v))) {
    errors.push(`${at}: ${json(v)} is not one of ${json(schema.enum)}`);
  }
  if (schema.minimum !== undefined && schema.minimum !== null && typeof v === 'number' && v < schema.minimum) {
    errors.push(`${at}: ${json(v)} is less than the minimum ${schema.minimum}`);
  }
  if ('items' in schema && Array.isArray(v)) {
    v.forEach((item, i) => check(root, schema.items, item, `${at}[${i}]`, errors));
  }
  if (!isObject(v)) return;
  for (const name of schema.required ?? []) {
    if (!Object.hasOwn(v, name)) errors.push(`${at}: missing required key "${name}"`);
  }
  const properties = schema.properties ?? {};
  const extra = schema.additionalProperties;
  for (const [key, value] of Object.entries(v)) {
    const child = `${at}.${key}`;
    if (Object.hasOwn(properties, key)) check(root, properties[key], value, child, errors);
    else if (extra === false) errors.push(`${child}: unknown key`);
    else if (isObject(extra)) check(root, extra, value, child, errors);
  }
}

/** Every violation of `schema` by `instance`, as "$.path.to.key: what". */
function validate(schema, instance) {
  const errors = [];
  check(schema, schema, instance, '$', errors);
  return errors;
}

/**
 * What is wrong with a scenario's input for its call, which the schema cannot
 * say: registration_id for the device calls, alias (and platforms) for
 * get_alias, never both.
 */
function inputProblems(scenario) {
  const has = (key) => Object.hasOwn(scenario, key);
  const bad = [];
  if (scenario.call === 'get_alias') {
    if (!has('alias')) bad.push('input: a get_alias scenario needs alias');
    if (has('registration_id')) bad.push('input: a get_alias scenario takes no registration_id');
  } else {
    if (!has('registration_id')) bad.push('input: a device scenario needs registration_id');
    for (const key of ['alias', 'platforms']) if (has(key)) bad.push(`input: ${key} is for get_alias scenarios only`);
  }
  return bad;
}

/**
 * The violations of a scenario file, each naming its scenario, duplicate
 * names and inputs that do not fit their call.
 */
function fileProblems(schema, doc) {
  const scenarios = isObject(doc) && Array.isArray(doc.scenarios) ? doc.scenarios : [];
  const named = (error) => {
    const m = /^\$\.scenarios\[(\d+)\]/.exec(error);
    if (!m) return error;
    const s = scenarios[Number(m[1])];
    const name = isObject(s) && typeof s.name === 'string' ? s.name : '?';
    return `scenario "${name}": ${error}`;
  };
  const problems = validate(schema, doc).map(named);
  const seen = new Set();
  for (const s of scenarios) {
    const name = isObject(s) ? s.name : undefined;
    if (typeof name === 'string') {
      if (seen.has(name)) problems.push(`scenario "${name}": the name is used twice`);
      seen.add(name);
    }
    if (isObject(s)) {
      for (const p of inputProblems(s)) problems.push(`scenario "${typeof name === 'string' ? name : '?'}": ${p}`);
    }
  }
  return problems;
}

module.exports = { validate, fileProblems, inputProblems, typeName };
