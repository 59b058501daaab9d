'use strict';

// The fault matrix of tests/contract/faults/matrix.json (format and checks in
// tests/contract/faults/README.md): each case is a named test that deletes a device
// through one toxiproxy proxy in front of the mock, with the case's toxic (if
// any) on it, or with that proxy as the client's CONNECT proxy
// (`node --test --test-name-pattern NAME test/faults.test.cjs`). It needs a
// running toxiproxy server at TOXIPROXY_URL, which `cargo xtask binding node
// test` starts; without it every case is skipped, saying why. `cargo xtask
// lint` checks the matrix against tests/contract/faults/schema.json (no
// unknown key, through_proxy "http" or "https"); this runner reads it as it is.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');
const { Mock, REPO, CREDENTIALS, callJSON } = require('./support/mock.cjs');
const engagelab = require('engagelab-push');

const MATRIX = JSON.parse(fs.readFileSync(path.join(REPO, 'tests', 'contract', 'faults', 'matrix.json'), 'utf8'));
const DEVICE = 'fault-device';
// The API host of a case run through a proxy: never resolved, the proxy is asked for it.
const PROXIED_HOST = 'push.example.invalid';
const TOXIPROXY = process.env.TOXIPROXY_URL?.replace(/\/+$/, '');
const SKIP = TOXIPROXY ? false : 'TOXIPROXY_URL is not set: the fault matrix needs a running toxiproxy server (`cargo xtask binding node test` starts one)';

const toxiproxy = (method, what, body) => callJSON(method, TOXIPROXY + what, body);
const PROXY = `engagelab-node-${process.pid}`;
let mock;
let proxyUrl;
test.before(async () => {
  if (SKIP) return;
  mock = await Mock.start();
  // One proxy in front of the mock for the whole matrix; the cases share it
  // and run one after the other.
  const created = await toxiproxy('POST', '/proxies', { name: PROXY, listen: '127.0.0.1:0', upstream: new URL(mock.url).host });
  proxyUrl = `http://${created.listen}`;
});
test.after(async () => {
  if (SKIP) return;
  await toxiproxy('DELETE', `/proxies/${PROXY}`);
  await mock.stop();
});

/**
 * Prepares one case: the mock reset, seeded and given the case's
 * mock_config, toxiproxy reset with the case's toxic (if any) on the proxy;
 * returns the client that makes the call, through that proxy as its CONNECT
 * proxy when the case says through_proxy. A new kind of case is set up here.
 */
async function setUp(c) {
  const through = c.through_proxy;
  await mock.reset();
  await mock.addDevice(DEVICE);
  await toxiproxy('POST', '/reset');
  if (c.mock_config !== undefined) await mock.config(c.mock_config);
  if (c.toxic !== undefined) await toxiproxy('POST', `/proxies/${PROXY}/toxics`, { ...c.toxic, name: 'fault', toxicity: 1 });
  const s = MATRIX.client;
  // Through a proxy, toxiproxy stands before the mock as a CONNECT proxy.
  const route =
    through === undefined
      ? { baseUrl: proxyUrl }
      : { baseUrl: `${through}://${PROXIED_HOST}`, proxy: proxyUrl, allowInsecureHttp: true };
  return new engagelab.Client({
    ...CREDENTIALS,
    ...route,
    timeout: s.timeout_ms,
    connectTimeout: s.connect_timeout_ms,
    maxRetries: s.max_retries,
    backoffBase: s.backoff_base_ms,
    backoffMax: s.backoff_max_ms,
  });
}

for (const c of MATRIX.cases) {
  test(c.name, { skip: SKIP }, async () => {
    const client = await setUp(c);
    let error;
    const started = performance.now();
    try {
      await client.deleteDevice(DEVICE);
    } catch (e) {
      error = e;
    }
    const took = performance.now() - started;
    client.close();
    // Let the proxy pass on what it still holds before reading the log.
    await toxiproxy('POST', '/reset');
    await sleep(50);
    const seen = (await mock.log()).length;

    if (error !== undefined) assert.ok(error instanceof engagelab.EngageLabError, String(error));
    const wrong = [];
    const status = error?.status ?? 'OK';
    const maybeDeleted = error?.maybeDeleted ?? false;
    const { expect } = c;
    const { timeout_ms: timeout, max_retries: retries } = MATRIX.client;
    if (status !== expect.status) wrong.push(`status ${status}, want ${expect.status}${error ? `: ${error.message}` : ''}`);
    if ('maybe_deleted' in expect && maybeDeleted !== expect.maybe_deleted) {
      wrong.push(`maybe_deleted ${maybeDeleted}, want ${expect.maybe_deleted}`);
    }
    const limit = timeout + MATRIX.deadline_slack_ms;
    if (took > limit) wrong.push(`took ${took.toFixed(0)} ms, past the deadline plus slack (${limit} ms)`);
    if (took < (expect.min_elapsed_ms ?? 0)) wrong.push(`took ${took.toFixed(0)} ms, less than ${expect.min_elapsed_ms} ms`);
    if (seen > 1 + retries) wrong.push(`the server saw ${seen} requests, more than 1 + ${retries}`);
    assert.deepEqual(wrong, []);
  });
}
