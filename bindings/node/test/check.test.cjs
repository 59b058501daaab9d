'use strict';

// check against engagelab-mock: every fact of the report, a difference from
// what the library assumes named (unknown ids answered 404), a bad device id
// refused before sending, an aborted signal honoured, only GETs sent, and the
// timeout bounding the whole check.

const test = require('node:test');
const assert = require('node:assert/strict');
const { Mock, CREDENTIALS } = require('./support/mock.cjs');
const { Client, InvalidArgumentError, CancelledError, TimeoutError } = require('engagelab-push');

let mock;
test.before(async () => {
  mock = await Mock.start();
});
test.after(() => mock.stop());

test('check reports the answers, names differences and sends only GETs', async () => {
  await mock.reset();
  await mock.addDevice({ registration_id: 'node-check' });
  const client = new Client({ ...CREDENTIALS, baseUrl: mock.url });
  try {
    const report = await client.check({ device: 'node-check' });
    assert.equal(report.credentials_accepted, true);
    assert.equal(report.base_url, mock.url);
    assert.equal(report.tls_version, null);
    assert.deepEqual(report.findings, []);
    assert.deepEqual(report.probes.map((p) => p.kind), ['unknown_device', 'unknown_alias', 'device']);
    assert.equal(report.probes[0].api_code, 27002);
    assert.ok(Object.isFrozen(report));

    await mock.config({ unknown_device: { status: 404, body: '' } });
    const other = await client.check({ timeout: 10_000 });
    assert.deepEqual(other.findings.map((f) => f.code), ['unknown_device_answer']);
    assert.ok((await mock.log()).every((r) => r.method === 'GET'));

    await mock.reset();
    await assert.rejects(client.check({ device: 'a b' }), InvalidArgumentError);
    // An empty id is a bad one, not "no device": an unset variable must not skip the probe.
    await assert.rejects(client.check({ device: '' }), (e) => e instanceof InvalidArgumentError && /empty/.test(e.message));
    await assert.rejects(client.check({ device: null }), TypeError);
    const aborted = new AbortController();
    aborted.abort();
    await assert.rejects(client.check({ signal: aborted.signal }), CancelledError);
    await assert.rejects(client.check({ device: 7 }), TypeError);
    assert.deepEqual(await mock.log(), []);
  } finally {
    client.close();
  }
});

test("a check's timeout bounds the whole check, as any call's does", async () => {
  await mock.reset();
  // Six answers of 150 ms take 900 ms; no one of them exceeds 400 ms.
  await mock.config({ latency_ms: 150 });
  const client = new Client({ ...CREDENTIALS, baseUrl: mock.url });
  try {
    const start = performance.now();
    await assert.rejects(client.check({ timeout: 400 }), (e) => e instanceof TimeoutError && e.maybeDeleted === false);
    assert.ok(performance.now() - start >= 399, 'it ended at its deadline, not before');
    const sent = await mock.log();
    assert.ok(sent.length < 6, `${sent.length} requests sent past the deadline`);
    assert.ok(sent.every((r) => r.method === 'GET'));
  } finally {
    client.close();
    await mock.reset();
  }
});
