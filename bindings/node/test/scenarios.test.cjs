'use strict';

// Every scenario of tests/scenarios/delete_device.json, run against
// engagelab-mock, one named test each (`node --test --test-name-pattern NAME`).
// The same file drives the Rust, C and Python suites, so a Node mapping that
// differs from the core's decision fails here. The file is first checked
// against tests/scenarios/schema.json: any problem stops the run before a
// single scenario starts.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');
const { Mock, REPO } = require('./support/mock.cjs');
const { fileProblems } = require('./support/schema.cjs');
const engagelab = require('engagelab-push');
const { CATEGORIES } = require('../lib/errors.gen.cjs');

const SCENARIOS = path.join(REPO, 'tests', 'scenarios', 'delete_device.json');
const SCHEMA = path.join(REPO, 'tests', 'scenarios', 'schema.json');
const DATA = JSON.parse(fs.readFileSync(SCENARIOS, 'utf8'));
const PROBLEMS = fileProblems(JSON.parse(fs.readFileSync(SCHEMA, 'utf8')), DATA);
if (PROBLEMS.length > 0) {
  throw new Error(`${SCENARIOS} does not match ${SCHEMA}; nothing was run:\n  ${PROBLEMS.join('\n  ')}`);
}

/** The class each category must arrive as. */
const CLASSES = new Map(CATEGORIES.map((c) => [c.status, c.ErrorClass]));
/** The fields of `expect` that describe an error: a success has none of them. */
const ERROR_ONLY = ['http_status', 'api_code', 'maybe_deleted', 'retry_after_ms', 'message_contains'];
/** Scenario `client` settings → Client options (both in milliseconds). */
const SETTINGS = {
  app_key: 'appKey',
  master_secret: 'masterSecret',
  region: 'region',
  base_url: 'baseUrl',
  timeout_ms: 'timeout',
  connect_timeout_ms: 'connectTimeout',
  max_retries: 'maxRetries',
  backoff_base_ms: 'backoffBase',
  backoff_max_ms: 'backoffMax',
  max_retry_after_ms: 'maxRetryAfter',
  allow_insecure_http: 'allowInsecureHttp',
};

function clientOptions(settings, mockUrl) {
  const options = {
    appKey: DATA.credentials.app_key,
    masterSecret: DATA.credentials.master_secret,
    baseUrl: mockUrl,
    // Fast backoff unless the scenario tests the backoff itself.
    backoffBase: 1,
    backoffMax: 20,
  };
  for (const [key, value] of Object.entries(settings)) {
    const option = SETTINGS[key];
    assert.ok(option, `client.${key}: no Client option maps it`);
    options[option] = key === 'base_url' ? value.replaceAll('{mock}', mockUrl) : value;
  }
  return options;
}

function checkRequests(expected, log) {
  assert.equal(log.length, expected.length, `requests sent: ${JSON.stringify(log.map((r) => [r.method, r.path]))}`);
  expected.forEach((want, i) => {
    const got = log[i];
    assert.equal(got.method, want.method);
    assert.equal(got.path, want.path);
    const headers = new Map(got.headers.map(([n, v]) => [n.toLowerCase(), v]));
    for (const [name, value] of Object.entries(want.headers ?? {})) {
      assert.equal(headers.get(name.toLowerCase()), value, `header ${name}`);
    }
    if ('body_size' in want) assert.equal(got.body_size, want.body_size);
  });
}

let mock;
test.before(async () => {
  mock = await Mock.start();
});
test.after(async () => {
  await mock.stop();
});

for (const scenario of DATA.scenarios) {
  test(scenario.name, async () => {
    const expect = scenario.expect;
    await mock.reset();
    for (const device of scenario.devices ?? []) await mock.addDevice(device);
    if (scenario.script) await mock.script(scenario.script_id ?? scenario.registration_id, scenario.script);

    const options = clientOptions(scenario.client ?? {}, mock.url);
    let client;
    let error;
    const started = performance.now();
    try {
      client = new engagelab.Client(options);
      await client.deleteDevice(scenario.registration_id);
    } catch (e) {
      error = e;
    }
    const elapsed = performance.now() - started;
    client?.close();
    const log = await mock.log();

    if (expect.status === 'OK') {
      assert.equal(error, undefined, `expected success, got ${util.inspect(error)}`);
      for (const field of ERROR_ONLY) assert.ok(!(field in expect), `${field}: given for a success, which has no error`);
      if ('attempts' in expect) assert.equal(log.length, expect.attempts);
      if ('attempts_at_least' in expect) assert.ok(log.length >= expect.attempts_at_least);
    } else {
      assert.ok(error !== undefined, 'expected an error, the call succeeded');
      assert.ok(error instanceof engagelab.EngageLabError, util.inspect(error));
      const ErrorClass = CLASSES.get(expect.status);
      assert.ok(ErrorClass, `no error class for ${expect.status}`);
      assert.equal(Object.getPrototypeOf(error), ErrorClass.prototype, util.inspect(error));
      assert.equal(error.name, ErrorClass.name);
      assert.equal(error.status, expect.status);
      if ('http_status' in expect) assert.equal(error.httpStatus, expect.http_status);
      if ('api_code' in expect) assert.equal(error.apiCode, expect.api_code);
      if ('attempts' in expect) assert.equal(error.attempts, expect.attempts);
      if ('attempts_at_least' in expect) assert.ok(error.attempts >= expect.attempts_at_least, `${error.attempts} attempts`);
      if ('maybe_deleted' in expect) assert.equal(error.maybeDeleted, expect.maybe_deleted);
      if ('retry_after_ms' in expect) {
        if (expect.retry_after_ms === null) assert.equal(error.retryAfter, null);
        else assert.ok(Math.abs(error.retryAfter - expect.retry_after_ms) <= 1, `retryAfter ${error.retryAfter}`);
      }
      for (const text of expect.message_contains ?? []) assert.ok(error.detail.includes(text), error.detail);
      // The sentence always carries the core's message.
      assert.ok(error.message.includes(error.detail), error.message);
    }

    const shown = client === undefined ? [] : [util.inspect(client), JSON.stringify(client), String(client)];
    if (error !== undefined) {
      shown.push(error.message, error.detail, String(error), error.stack, util.inspect(error), JSON.stringify(error));
    }
    for (const secret of expect.message_excludes ?? []) {
      for (const text of shown) assert.ok(!text.includes(secret), `a secret shows in ${text}`);
    }

    if (expect.requests) checkRequests(expect.requests, log);
    if (expect.device_remains || expect.device_gone) {
      const devices = await mock.devices();
      for (const d of expect.device_remains ?? []) assert.ok(devices.includes(d), `${d} should remain`);
      for (const d of expect.device_gone ?? []) assert.ok(!devices.includes(d), `${d} should be gone`);
    }
    if ('min_elapsed_ms' in expect) assert.ok(elapsed >= expect.min_elapsed_ms, `returned after ${elapsed} ms`);
  });
}
