'use strict';

// Run by test/threadpool.test.cjs in a child process whose environment sets
// UV_THREADPOOL_SIZE (libuv reads it once, at startup). Starts COUNT slow
// calls (deleteDevice, getDevice and getAlias in turn, on ids and aliases
// the parent scripted to answer after a delay), lets them get under way,
// then times a small fs.promises.readFile, which needs a libuv pool thread.
// Prints one JSON line: how long the read took, when the calls settled and
// how. Once the read is done, nothing but the pending calls holds the event
// loop open (a promise does not): the line is printed only if they do. It
// does not call process.exit: the parent checks that it ends by itself once
// its calls have finished.

const fs = require('node:fs');

const url = process.env.EL_POOL_MOCK_URL;
const count = Number(process.env.EL_POOL_CALLS);
const file = process.env.EL_POOL_FILE;

async function main() {
  const { Client } = require('engagelab-push');
  const client = new Client({ appKey: 'demo-app-key', masterSecret: 'demo-master-secret', baseUrl: url });
  const started = performance.now();
  const calls = [];
  for (let i = 0; i < count; i++) {
    const kind = i % 3;
    if (kind === 0) calls.push(client.deleteDevice(`pool-${i}`));
    else if (kind === 1) calls.push(client.getDevice(`pool-${i}`));
    else calls.push(client.getAlias(`pool-user-${i}`));
  }
  const settled = Promise.allSettled(calls).then((r) => ({ results: r, at: performance.now() - started }));
  // Let the calls get under way (their requests are sent within a few ms).
  await new Promise((r) => setTimeout(r, 200));
  const readStarted = performance.now();
  const text = await fs.promises.readFile(file, 'utf8');
  const readMs = performance.now() - readStarted;
  const { results, at } = await settled;
  client.close();
  const rejected = results.filter((r) => r.status === 'rejected').map((r) => String(r.reason));
  process.stdout.write(
    `${JSON.stringify({ readMs, bytes: text.length, callsMs: at, fulfilled: results.length - rejected.length, rejected })}\n`,
  );
}

// `node --test test/` also loads every file under test/ as a test: without
// the parent's environment this file does nothing.
if (url !== undefined) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
