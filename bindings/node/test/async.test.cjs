'use strict';

// Calls never block the event loop, many run at once on one client, and an
// AbortSignal cancels a call: before it starts (nothing is sent) and in
// flight (through the core's cancel token, before the answer). getAlias runs the
// same way as deleteDevice.

const test = require('node:test');
const assert = require('node:assert/strict');
const { getEventListeners } = require('node:events');
const { Mock, CREDENTIALS } = require('./support/mock.cjs');
const { Client, CancelledError, TimeoutError, EngageLabError } = require('engagelab-push');
const { MAX_IN_FLIGHT } = require('../lib/client.cjs');

let mock;
let base;
test.before(async () => {
  mock = await Mock.start();
  base = { ...CREDENTIALS, baseUrl: mock.url };
});
test.after(() => mock.stop());
test.beforeEach(() => mock.reset());

/** Resolves once the mock has logged `count` requests. */
async function requestsLogged(count) {
  for (;;) {
    if ((await mock.log()).length >= count) return;
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('a 10 ms timer keeps firing during a 2-second answer', async () => {
  const client = new Client(base);
  await mock.script('slow', [{ status: 200, delay_ms: 2000 }]);
  const ticks = [];
  const timer = setInterval(() => ticks.push(performance.now()), 10);
  const started = performance.now();
  await client.deleteDevice('slow');
  const elapsed = performance.now() - started;
  clearInterval(timer);
  client.close();
  assert.ok(elapsed >= 1900, `the call took ${elapsed} ms: the answer was not slow`);
  let gap = ticks[0] - started;
  for (let i = 1; i < ticks.length; i++) gap = Math.max(gap, ticks[i] - ticks[i - 1]);
  // 200 ticks on an idle machine; a blocked loop gives 0 or 1 and a 2 s gap.
  // The bounds sit far from both, so a busy machine cannot fail them.
  assert.ok(ticks.length >= 20, `only ${ticks.length} ticks in ${elapsed} ms`);
  assert.ok(gap < 1000, `the loop stalled for ${gap} ms`);
});

test('a 10 ms timer keeps firing during a 2-second alias lookup', async () => {
  const client = new Client(base);
  await mock.scriptAlias('slow-user', [{ status: 200, body: '{"registration_ids":["s-1","s-2"]}', delay_ms: 2000 }]);
  const ticks = [];
  const timer = setInterval(() => ticks.push(performance.now()), 10);
  const started = performance.now();
  const ids = await client.getAlias('slow-user', { platforms: ['ios'] });
  const elapsed = performance.now() - started;
  clearInterval(timer);
  client.close();
  assert.deepEqual(ids, ['s-1', 's-2']);
  assert.ok(elapsed >= 1900, `the call took ${elapsed} ms: the answer was not slow`);
  let gap = ticks[0] - started;
  for (let i = 1; i < ticks.length; i++) gap = Math.max(gap, ticks[i] - ticks[i - 1]);
  assert.ok(ticks.length >= 20, `only ${ticks.length} ticks in ${elapsed} ms`);
  assert.ok(gap < 1000, `the loop stalled for ${gap} ms`);
});

test('many concurrent deleteDevice promises on one client all succeed', async () => {
  const client = new Client(base);
  // More than koffi's own limit of queued async calls (256) and our MAX_IN_FLIGHT.
  const count = 300;
  assert.ok(count > MAX_IN_FLIGHT);
  const ids = Array.from({ length: count }, (_, i) => `dev-${i}`);
  for (const id of ids) await mock.addDevice(id);
  const results = await Promise.allSettled(ids.map((id) => client.deleteDevice(id)));
  const failed = results.filter((r) => r.status === 'rejected');
  assert.deepEqual(failed, []);
  assert.deepEqual(await mock.devices(), []);
  const log = await mock.log();
  assert.equal(log.length, count);
  assert.deepEqual(new Set(log.map((r) => r.path)), new Set(ids.map((id) => `/v4/devices/${id}`)));
  client.close();
});

test('slow calls run in parallel, not one after another', async () => {
  const client = new Client(base);
  const ids = Array.from({ length: 4 }, (_, i) => `slow-${i}`);
  for (const id of ids) await mock.script(id, [{ status: 200, delay_ms: 700 }]);
  const started = performance.now();
  await Promise.all(ids.map((id) => client.deleteDevice(id)));
  const elapsed = performance.now() - started;
  client.close();
  // One after another would take 2.8 s.
  assert.ok(elapsed < 2000, `4 calls of 700 ms took ${elapsed} ms`);
});

test('an already-aborted signal rejects with CancelledError and sends nothing', async () => {
  const client = new Client(base);
  await mock.addDevice('keep');
  const reason = new Error('user gave up');
  const error = await client.deleteDevice('keep', { signal: AbortSignal.abort(reason) }).catch((e) => e);
  assert.ok(error instanceof CancelledError, String(error));
  assert.ok(error instanceof EngageLabError);
  assert.equal(error.status, 'CANCELLED');
  assert.equal(error.cause, reason);
  assert.equal(error.code, 'ABORT_ERR');
  assert.equal(error.attempts, 0);
  assert.equal(error.maybeDeleted, false);
  assert.deepEqual(await mock.log(), []);
  assert.deepEqual(await mock.devices(), ['keep']);
  client.close();
});

test('aborting a call in flight rejects before the answer', async () => {
  const client = new Client(base);
  await mock.script('slow', [{ status: 200, delay_ms: 3000 }]);
  const controller = new AbortController();
  const call = client.deleteDevice('slow', { signal: controller.signal });
  let settled = false;
  call.catch(() => {}).finally(() => (settled = true));
  await requestsLogged(1);
  assert.equal(settled, false);
  const aborted = performance.now();
  controller.abort();
  const error = await call.catch((e) => e);
  const late = performance.now() - aborted;
  assert.ok(error instanceof CancelledError, String(error));
  assert.equal(error.cause, controller.signal.reason);
  assert.equal(error.cause.name, 'AbortError');
  assert.equal(error.maybeDeleted, true, 'the request was written and its answer never came');
  console.log(`rejected ${late.toFixed(1)} ms after the abort`);
  // The answer was due 3 s after the request: rejecting well before it
  // means the abort stopped the call, on however busy a machine.
  assert.ok(late < 1000, `rejected ${late.toFixed(0)} ms after the abort`);
  client.close();
});

test('aborting a getAlias in flight rejects before the answer; an aborted signal sends nothing', async () => {
  const client = new Client(base);
  await mock.scriptAlias('slow-user', [{ status: 200, body: '{"registration_ids":["s-1"]}', delay_ms: 3000 }]);
  const controller = new AbortController();
  const call = client.getAlias('slow-user', { signal: controller.signal, platforms: ['android', 'ios'] });
  let settled = false;
  call.catch(() => {}).finally(() => (settled = true));
  await requestsLogged(1);
  assert.equal(settled, false);
  const aborted = performance.now();
  controller.abort();
  const error = await call.catch((e) => e);
  const late = performance.now() - aborted;
  assert.ok(error instanceof CancelledError, String(error));
  assert.equal(error.cause, controller.signal.reason);
  assert.equal(error.cause.name, 'AbortError');
  assert.equal(error.code, 'ABORT_ERR');
  assert.equal(error.attempts, 1);
  assert.equal(error.maybeDeleted, false, 'a lookup deletes nothing');
  console.log(`getAlias rejected ${late.toFixed(1)} ms after the abort`);
  // The answer was due 3 s after the request: rejecting well before it
  // means the abort stopped the call, on however busy a machine.
  assert.ok(late < 1000, `rejected ${late.toFixed(0)} ms after the abort`);
  assert.deepEqual(getEventListeners(controller.signal, 'abort'), []);

  const reason = new Error('user gave up');
  const early = await client.getAlias('slow-user', { signal: AbortSignal.abort(reason) }).catch((e) => e);
  assert.ok(early instanceof CancelledError, String(early));
  assert.equal(early.cause, reason);
  assert.equal(early.attempts, 0);
  assert.equal((await mock.log()).length, 1);
  client.close();
});

test('a per-call timeout shorter than the client’s applies', async () => {
  const client = new Client({ ...base, timeout: 30_000 });
  await mock.script('slow', [{ status: 200, delay_ms: 3000 }]);
  const started = performance.now();
  const error = await client.deleteDevice('slow', { timeout: 300 }).catch((e) => e);
  const elapsed = performance.now() - started;
  assert.ok(error instanceof TimeoutError, String(error));
  assert.ok(elapsed >= 290 && elapsed < 2000, `timed out after ${elapsed} ms`); // the answer: 3 s
  client.close();
});

test('a finished call leaves no listener on its signal, and a late abort is harmless', async () => {
  const client = new Client(base);
  await mock.addDevice('dev');
  const controller = new AbortController();
  await client.deleteDevice('dev', { signal: controller.signal });
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  controller.abort();
  const error = await client.deleteDevice('dev', { signal: AbortSignal.timeout(60_000) }).catch((e) => e);
  assert.equal(error.status, 'NOT_FOUND');
  client.close();
});

test('calls queued behind the in-flight limit honour their signal and deadline', async () => {
  const client = new Client(base);
  const slow = Array.from({ length: MAX_IN_FLIGHT }, (_, i) => `hold-${i}`);
  for (const id of slow) await mock.script(id, [{ status: 200, delay_ms: 500 }]);
  // They fill the in-flight limit (the library runs 64 of them at a time).
  let firstHeldSettled;
  const holding = slow.map((id) => client.deleteDevice(id).finally(() => (firstHeldSettled ??= performance.now())));
  const controller = new AbortController();
  const signal = controller.signal;
  await mock.addDevice('queued');
  await mock.scriptAlias('queued-user', [{ status: 200, body: '{"registration_ids":["q-1"]}' }]);
  const aborted = [
    client.deleteDevice('queued', { signal }),
    client.getDevice('queued', { signal, timeout: 60_000 }),
    client.getAlias('queued-user', { signal, platforms: ['ios'] }),
    client.check({ signal }),
  ];
  let timedOutAt;
  const timedOut = client.getDevice('queued', { timeout: 50 }).finally(() => (timedOutAt = performance.now()));
  // Longer than setTimeout can wait: the deadline cannot pass while queued.
  const farDeadline = client.getAlias('queued-user', { timeout: 2 ** 31 });
  controller.abort();
  const errors = await Promise.all(aborted.map((p) => p.catch((e) => e)));
  const reference = await client.deleteDevice('queued', { signal: AbortSignal.abort() }).catch((e) => e);
  for (const error of errors) {
    assert.ok(error instanceof CancelledError, String(error));
    assert.equal(error.message, reference.message);
    assert.equal(error.cause, signal.reason);
    assert.equal(error.code, 'ABORT_ERR');
    assert.equal(error.attempts, 0);
    assert.equal(error.maybeDeleted, false);
  }
  const timeout = await timedOut.catch((e) => e);
  assert.ok(timeout instanceof TimeoutError, String(timeout));
  assert.equal(timeout.attempts, 0);
  assert.equal(timeout.message, (await client.getDevice('queued', { timeout: 0 }).catch((e) => e)).message);
  assert.deepEqual(getEventListeners(signal, 'abort'), []);
  await Promise.all(holding);
  // Ended by its deadline, not by a slot freed by the first calls held (500 ms).
  assert.ok(timedOutAt < firstHeldSettled, 'the queued call ended after a call ahead of it');
  assert.deepEqual(await farDeadline, ['q-1']);
  // Nothing was sent for the calls ended while queued.
  const sent = (await mock.log()).map((r) => `${r.method} ${r.path.split('?')[0]}`);
  assert.deepEqual(sent.filter((r) => !r.startsWith('DELETE /v4/devices/hold-')), ['GET /v4/aliases/queued-user']);
  assert.ok((await mock.devices()).includes('queued'));
  client.close();
});

test('a call queued behind the in-flight limit ends at its client’s timeout, counted from the call', async () => {
  const busy = new Client(base);
  const slow = Array.from({ length: MAX_IN_FLIGHT }, (_, i) => `hold-${i}`);
  for (const id of slow) await mock.script(id, [{ status: 200, delay_ms: 1000 }]);
  await mock.addDevice('queued');
  let firstHeldSettled;
  const holding = slow.map((id) => busy.deleteDevice(id).finally(() => (firstHeldSettled ??= performance.now())));
  // Its own client's timeout, no per-call one: it waits behind the calls of
  // another client, and its deadline passes before any of them ends.
  const client = new Client({ ...base, timeout: 200, maxRetries: 0 });
  let settled;
  const error = await client
    .deleteDevice('queued')
    .finally(() => (settled = performance.now()))
    .catch((e) => e);
  assert.ok(error instanceof TimeoutError, String(error));
  assert.equal(error.attempts, 0);
  await Promise.all(holding);
  assert.ok(settled < firstHeldSettled, 'the queued call outlived its deadline');
  assert.ok(!(await mock.log()).some((r) => r.path === '/v4/devices/queued'), 'the queued call was sent');
  assert.ok((await mock.devices()).includes('queued'));
  busy.close();
  client.close();
});

test('bulk runs wait behind the in-flight limit, and one aborted while it waits ends at once with the core’s summary', async () => {
  const client = new Client(base);
  const slow = Array.from({ length: MAX_IN_FLIGHT }, (_, i) => `hold-${i}`);
  for (const id of slow) await mock.script(id, [{ status: 200, delay_ms: 500 }]);
  for (const id of ['waiting', 'later', 'erased']) await mock.addDevice(id);
  await mock.scriptAlias('later-user', [{ status: 200, body: '{"registration_ids":["erased"]}' }]);
  let firstHeldSettled;
  const holding = slow.map((id) => client.deleteDevice(id).finally(() => (firstHeldSettled ??= performance.now())));
  const controller = new AbortController();
  const signal = controller.signal;
  const ended = [];
  const aborted = [
    client.deleteDevices(['waiting'], { signal, dryRun: true }),
    client.deleteDevices({ path: __filename }, { signal }),
    client.eraseUsers(['waiting-user'], { signal }),
  ].map((p) => p.finally(() => ended.push(performance.now())));
  let laterSettled;
  const later = [client.deleteDevices(['later']), client.eraseUsers(['later-user'])].map((p) =>
    p.finally(() => (laterSettled = performance.now())),
  );
  controller.abort();
  const [dry, fromFile, erasure] = await Promise.all(aborted);
  // The core's own summaries of runs cancelled before they started.
  const cancelled = AbortSignal.abort();
  assert.deepEqual(dry, await client.deleteDevices(['waiting'], { signal: cancelled, dryRun: true }));
  assert.deepEqual(fromFile, await client.deleteDevices({ path: __filename }, { signal: cancelled }));
  assert.deepEqual(erasure, await client.eraseUsers(['waiting-user'], { signal: cancelled }));
  assert.equal(dry.interrupted, true);
  assert.equal(erasure.users.length, 0);
  await Promise.all(holding);
  // Ended while every call ahead of them still waited for its answer.
  assert.ok(Math.max(...ended) < firstHeldSettled, 'an aborted run waited for a slot');
  const [summary, erased] = await Promise.all(later);
  // The runs not aborted started once a call ahead of them had ended.
  assert.ok(laterSettled > firstHeldSettled, 'a run did not wait for a slot');
  assert.equal(summary.deleted, 1);
  assert.deepEqual(erased.users.map((u) => u.registrationIds), [['erased']]);
  // Nothing was sent for the runs ended while waiting.
  const sent = (await mock.log()).map((r) => `${r.method} ${r.path.split('?')[0]}`);
  assert.deepEqual(sent.filter((r) => !r.startsWith('DELETE /v4/devices/hold-')).sort(), [
    'DELETE /v4/devices/erased',
    'DELETE /v4/devices/later',
    'GET /v4/aliases/later-user',
    'GET /v4/aliases/later-user',
  ]);
  assert.ok((await mock.devices()).includes('waiting'));
  client.close();
});

test('a run waiting for a slot deletes the ids it was called with, not what its array holds later', async () => {
  const client = new Client(base);
  const slow = Array.from({ length: MAX_IN_FLIGHT }, (_, i) => `hold-${i}`);
  for (const id of slow) await mock.script(id, [{ status: 200, delay_ms: 300 }]);
  for (const id of ['meant-1', 'meant-2', 'victim-1', 'victim-2']) await mock.addDevice(id);
  await mock.addDevice({ registration_id: 'meant-user-dev', alias: 'meant-user' });
  await mock.addDevice({ registration_id: 'victim-user-dev', alias: 'victim-user' });
  const holding = slow.map((id) => client.deleteDevice(id));
  const batch = ['meant-1', 'meant-2'];
  const aliases = ['meant-user'];
  const runs = [client.deleteDevices(batch), client.eraseUsers(aliases)];
  // The caller reuses its arrays once the calls returned, as it may with a
  // run that started at once: a NUL even slips past the check, cut short in C.
  batch[0] = 'victim-1';
  batch[1] = 'victim-2\0tail';
  aliases[0] = 'victim-user';
  await Promise.all(holding);
  const [summary, erasure] = await Promise.all(runs);
  assert.equal(summary.deleted, 2);
  assert.deepEqual(erasure.users.map((u) => u.alias), ['meant-user']);
  const left = await mock.devices();
  for (const id of ['victim-1', 'victim-2', 'victim-user-dev']) assert.ok(left.includes(id), `${id} was deleted`);
  for (const id of ['meant-1', 'meant-2', 'meant-user-dev']) assert.ok(!left.includes(id), `${id} was not deleted`);
  client.close();
});

test('thousands of runs with callbacks may wait for a slot: koffi’s 8192 registered callbacks are not spent by waiting runs', async () => {
  const client = new Client(base);
  // Three callbacks a run: past 8192 / 3 runs registered at once, koffi
  // refuses with "Too many callbacks are in use".
  const runs = 3000;
  const callbacks = { onProgress: () => {}, confirm: () => true, onResolved: () => {} };
  const settled = await Promise.allSettled(
    Array.from({ length: runs }, (_, i) => client.deleteDevices([`wait-${i}`], { dryRun: true, ...callbacks })),
  );
  const failed = settled.filter((r) => r.status === 'rejected').map((r) => String(r.reason));
  assert.deepEqual(failed.slice(0, 3), [], `${failed.length} of ${runs} runs rejected`);
  assert.ok(settled.every((r) => r.value.wouldDelete === 1));
  assert.deepEqual(await mock.log(), []);
  client.close();
});

test('one signal shared by 50 calls and 2 runs adds one listener and no MaxListenersExceededWarning', async () => {
  const warnings = [];
  const onWarning = (w) => warnings.push(w);
  process.on('warning', onWarning);
  const client = new Client(base);
  await mock.config({ latency_ms: 3000 });
  const controller = new AbortController();
  const signal = controller.signal;
  const calls = Array.from({ length: 50 }, (_, i) => client.deleteDevice(`shared-${i}`, { signal }));
  const runs = [client.deleteDevices(['shared-run'], { signal }), client.eraseUsers(['shared-user'], { signal })];
  await requestsLogged(50);
  const listeners = getEventListeners(signal, 'abort').length;
  controller.abort();
  const settled = await Promise.allSettled(calls);
  const [summary, erasure] = await Promise.all(runs);
  await new Promise((r) => setImmediate(r));
  process.off('warning', onWarning);
  assert.deepEqual(warnings.map((w) => w.name), []);
  assert.equal(listeners, 1);
  for (const r of settled) {
    assert.ok(r.reason instanceof CancelledError, String(r.reason));
    assert.equal(r.reason.cause, signal.reason);
  }
  assert.equal(summary.interrupted, true);
  assert.equal(erasure.interrupted, true);
  assert.deepEqual(getEventListeners(signal, 'abort'), []);
  client.close();
});
