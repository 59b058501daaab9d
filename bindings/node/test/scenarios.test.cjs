'use strict';

// Every scenario of tests/contract/scenarios/delete_device.json, get_device.json and
// get_alias.json, run against engagelab-mock, one named test each (`node
// --test --test-name-pattern NAME`). The same files drive the Rust, C and
// Python suites, so a Node mapping that differs from the core's decision
// fails here. `cargo xtask lint` checks the files against
// tests/contract/scenarios/schema.json; this runner reads them as they are.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');
const { Mock, REPO } = require('./support/mock.cjs');
const engagelab = require('engagelab-push');
const { CATEGORIES } = require('../lib/errors.gen.cjs');

const FILES = ['delete_device.json', 'get_device.json', 'get_alias.json'].map((f) => path.join(REPO, 'tests', 'contract', 'scenarios', f));
const DATAS = FILES.map((file) => JSON.parse(fs.readFileSync(file, 'utf8')));

/** The class each category must arrive as. */
const CLASSES = new Map(CATEGORIES.map((c) => [c.status, c.ErrorClass]));
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

function clientOptions(data, settings, mockUrl) {
  const options = {
    appKey: data.credentials.app_key,
    masterSecret: data.credentials.master_secret,
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

/** A device getDevice returned: its id, every expect.device field given, and frozen. */
function checkDevice(scenario, device) {
  assert.ok(device !== null && typeof device === 'object', util.inspect(device));
  assert.ok(Object.isFrozen(device) && Object.isFrozen(device.tags) && Object.isFrozen(device.raw), 'the device is not frozen');
  assert.deepEqual(Object.keys(device).sort(), ['alias', 'raw', 'rawJson', 'registrationId', 'tags']);
  assert.equal(device.registrationId, scenario.registration_id);
  for (const [key, want] of Object.entries(scenario.expect.device ?? {})) {
    if (key === 'tags') assert.deepEqual([...device.tags], want, 'tags');
    else if (key === 'alias') assert.equal(device.alias, want, 'alias');
    else if (key === 'raw') assert.deepEqual(device.raw, want, 'raw');
    else if (key === 'raw_json') assert.equal(device.rawJson, want, 'raw_json');
    else assert.fail(`expect.device.${key}: this runner does not check it`);
  }
}

/** The ids getAlias returned: exactly expect.registration_ids, in order, when given. */
function checkIds(scenario, ids) {
  assert.ok(Array.isArray(ids) && ids.every((id) => typeof id === 'string'), util.inspect(ids));
  if ('registration_ids' in scenario.expect) assert.deepEqual(ids, scenario.expect.registration_ids, 'registration_ids');
}

const CALLS = ['delete_device', 'get_device', 'get_alias'];

for (const [data, scenario] of DATAS.flatMap((d) => d.scenarios.map((s) => [d, s]))) {
  test(scenario.name, async () => {
    const expect = scenario.expect;
    const call = scenario.call ?? 'delete_device';
    assert.ok(CALLS.includes(call), `call ${call}: this runner does not make it`);
    await mock.reset();
    for (const device of scenario.devices ?? []) await mock.addDevice(device);
    if (scenario.script) {
      if (call === 'get_alias') await mock.scriptAlias(scenario.script_id ?? scenario.alias, scenario.script);
      else await mock.script(scenario.script_id ?? scenario.registration_id, scenario.script);
    }

    const options = clientOptions(data, scenario.client ?? {}, mock.url);
    let client;
    let error;
    let device;
    let ids;
    const started = performance.now();
    try {
      client = new engagelab.Client(options);
      if (call === 'get_device') device = await client.getDevice(scenario.registration_id);
      else if (call === 'get_alias') {
        const platforms = scenario.platforms === undefined ? undefined : { platforms: scenario.platforms };
        ids = await client.getAlias(scenario.alias, platforms);
      } else await client.deleteDevice(scenario.registration_id);
    } catch (e) {
      error = e;
    }
    const elapsed = performance.now() - started;
    client?.close();
    const log = await mock.log();

    if (expect.status === 'OK') {
      assert.equal(error, undefined, `expected success, got ${util.inspect(error)}`);
      if ('attempts' in expect) assert.equal(log.length, expect.attempts);
      if ('attempts_at_least' in expect) assert.ok(log.length >= expect.attempts_at_least);
      if (call === 'get_device') checkDevice(scenario, device);
      if (call === 'get_alias') checkIds(scenario, ids);
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
