'use strict';

// Run by test/threadpool.test.cjs in a child process whose environment sets
// UV_THREADPOOL_SIZE (libuv reads it once, at startup). Starts COUNT slow
// calls, lets them get under way, then times a small fs.promises.readFile,
// which needs a libuv pool thread. The calls (EL_POOL_MODE):
// - calls (the default): deleteDevice, getDevice and getAlias in turn, on
//   ids and aliases the parent scripted to answer after a delay;
// - runs: deleteDevices on two ids, deleteDevices on a file of ids
//   (ids-<i>.txt in EL_POOL_DIR), eraseUsers of one alias, and check() in
//   turn, on ids, aliases and a mock the parent made slow; the runs have
//   callbacks, so koffi relays calls from the runs' threads meanwhile.
// Prints one JSON line, times in ms since the calls were started: when the
// read ended (and how long it took), when the first and the last call
// settled, and how (for runs, what each resolved with, in short, and when
// the last deleteDevices run asked to confirm, which it does as it starts).
// Once the read is done, nothing but the pending calls holds the event loop open (a promise does
// not): the line is printed only if they do. It does not call process.exit:
// the parent checks that it ends by itself once its calls have finished.

const fs = require('node:fs');
const path = require('node:path');

const url = process.env.EL_POOL_MOCK_URL;
const count = Number(process.env.EL_POOL_CALLS);
const file = process.env.EL_POOL_FILE;
const mode = process.env.EL_POOL_MODE ?? 'calls';
const dir = process.env.EL_POOL_DIR;

/** Call `i` of a `calls` child. */
function call(client, i) {
  const kind = i % 3;
  if (kind === 0) return client.deleteDevice(`pool-${i}`);
  if (kind === 1) return client.getDevice(`pool-${i}`);
  return client.getAlias(`pool-user-${i}`);
}

/**
 * Run `i` of a `runs` child, resolving with what it did, in short; counts
 * its callbacks in `callbacks`, timing its confirm from `started`.
 */
async function run(client, i, callbacks, started) {
  const kind = i % 4;
  const options = {
    confirm: () => {
      callbacks.confirm++;
      // A deleteDevices run asks at its start; an erasure once it resolved.
      if (kind !== 2) callbacks.lastStartConfirmAt = performance.now() - started;
      return true;
    },
    onProgress: () => callbacks.progress++,
  };
  if (kind === 0) {
    const s = await client.deleteDevices([`pool-bulk-${i}-a`, `pool-bulk-${i}-b`], options);
    return { kind: 'deleteDevices', deleted: s.deleted };
  }
  if (kind === 1) {
    const s = await client.deleteDevices({ path: path.join(dir, `ids-${i}.txt`) }, options);
    return { kind: 'deleteDevices({ path })', deleted: s.deleted };
  }
  if (kind === 2) {
    options.onResolved = () => callbacks.resolved++;
    const e = await client.eraseUsers([`pool-erase-${i}`], options);
    return { kind: 'eraseUsers', deleted: e.deleted, ids: e.users.map((u) => [...u.registrationIds]) };
  }
  const r = await client.check();
  return { kind: 'check', credentialsAccepted: r.credentials_accepted };
}

async function main() {
  const { Client } = require('engagelab-push');
  const client = new Client({ appKey: 'demo-app-key', masterSecret: 'demo-master-secret', baseUrl: url });
  const started = performance.now();
  const calls = [];
  const callbacks = { confirm: 0, progress: 0, resolved: 0, lastStartConfirmAt: null };
  let firstSettledAt = null;
  const noteSettled = () => {
    if (firstSettledAt === null) firstSettledAt = performance.now() - started;
  };
  for (let i = 0; i < count; i++) {
    const c = mode === 'runs' ? run(client, i, callbacks, started) : call(client, i);
    c.then(noteSettled, noteSettled);
    calls.push(c);
  }
  const settled = Promise.allSettled(calls).then((r) => ({ results: r, at: performance.now() - started }));
  // Let the calls get under way (their requests are sent within a few ms).
  await new Promise((r) => setTimeout(r, 200));
  const readStarted = performance.now();
  const text = await fs.promises.readFile(file, 'utf8');
  const readEnded = performance.now();
  const { results, at } = await settled;
  client.close();
  const rejected = results.filter((r) => r.status === 'rejected').map((r) => String(r.reason));
  const report = {
    readMs: readEnded - readStarted,
    readEndedAt: readEnded - started,
    firstSettledAt,
    callsMs: at,
    bytes: text.length,
    fulfilled: results.length - rejected.length,
    rejected,
  };
  if (mode === 'runs') {
    report.values = results.map((r) => r.value ?? null);
    report.callbacks = callbacks;
  }
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

// `node --test test/` also loads every file under test/ as a test: without
// the parent's environment this file does nothing.
if (url !== undefined) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
