'use strict';

// Run by test/storm.test.cjs in a child process, so that a crash shows as
// the child's exit signal rather than ending the test file. Starts
// EL_STORM_CALLS deleteDevice calls of ids storm-<i> over EL_STORM_CLIENTS
// clients, on a mock the parent made slow: the first MAX_IN_FLIGHT start,
// the rest wait in the binding's queue. Then (EL_STORM_MODE):
// - abort: every call has the same signal, aborted once the mock has the
//   requests of the calls in flight;
// - timeout: every call has the same short per-call timeout, which passes
//   while the event loop is kept busy (as by a long synchronous task), so
//   that every call's deadline is found passed at the same moment.
// Prints one JSON line: the core's error for an already-aborted call and
// for a timeout of 0 (the reference), how each call ended, when abort() was
// called and how long it took, and when each call settled.

const url = process.env.EL_STORM_MOCK_URL;
const count = Number(process.env.EL_STORM_CALLS);
const clients = Number(process.env.EL_STORM_CLIENTS);
const mode = process.env.EL_STORM_MODE;
const TIMEOUT = 200;

function describe(e, signal) {
  return {
    name: e.constructor.name,
    status: e.status,
    code: e.code,
    message: e.message,
    attempts: e.attempts,
    maybeDeleted: e.maybeDeleted,
    causeIsReason: signal !== undefined && e.cause === signal.reason,
  };
}

async function main() {
  const { Client } = require('engagelab-push');
  const { MAX_IN_FLIGHT } = require('../../lib/client.cjs');
  const { callJSON } = require('./mock.cjs');
  const all = Array.from({ length: clients }, () => new Client({ appKey: 'demo-app-key', masterSecret: 'demo-master-secret', baseUrl: url }));
  const aborted = AbortSignal.abort();
  const reference = {
    cancelled: describe(await all[0].deleteDevice('storm-reference', { signal: aborted }).catch((e) => e), aborted),
    timeout: describe(await all[0].deleteDevice('storm-reference', { timeout: 0 }).catch((e) => e)),
  };
  // From the check phase: next come the timers, then the relayed ends of
  // calls (the poll phase).
  await new Promise((r) => setImmediate(r));
  const controller = new AbortController();
  const signal = mode === 'abort' ? controller.signal : undefined;
  const started = performance.now();
  const settledAt = new Array(count);
  const calls = [];
  for (let i = 0; i < count; i++) {
    const options = mode === 'abort' ? { signal } : { timeout: TIMEOUT };
    calls.push(
      all[i % clients].deleteDevice(`storm-${i}`, options).then(
        () => ({ ok: true }),
        (e) => describe(e, signal),
      ).finally(() => (settledAt[i] = performance.now() - started)),
    );
  }
  let abortAt = null;
  let abortMs = null;
  if (mode === 'timeout') {
    const created = performance.now();
    while (performance.now() - created < TIMEOUT + 100);
  } else {
    // The calls in flight have sent their requests (the mock logs a request
    // as it arrives, and answers it seconds later).
    while ((await callJSON('GET', `${url}/__mock/log`)).requests.length < MAX_IN_FLIGHT) {
      await new Promise((r) => setTimeout(r, 10));
    }
    abortAt = performance.now() - started;
    controller.abort();
    abortMs = performance.now() - started - abortAt;
  }
  const results = await Promise.all(calls);
  for (const c of all) c.close();
  process.stdout.write(`${JSON.stringify({ maxInFlight: MAX_IN_FLIGHT, reference, results, settledAt, abortAt, abortMs })}\n`);
}

// `node --test test/` also loads every file under test/ as a test: without
// the parent's environment this file does nothing.
if (url !== undefined) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
