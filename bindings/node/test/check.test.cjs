'use strict';

// check against engagelab-mock: every fact of the report, a difference from
// what the library assumes named (unknown ids answered 404), a bad device id
// refused before sending, an aborted signal honoured, and only GETs sent.

const test = require('node:test');
const assert = require('node:assert/strict');
const { Mock, CREDENTIALS } = require('./support/mock.cjs');
const { Client, InvalidArgumentError, CancelledError } = require('engagelab-push');

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
