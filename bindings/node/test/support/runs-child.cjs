'use strict';

// Run by test/storm.test.cjs in a child process, so that a crash shows as
// the child's exit signal rather than ending the test file. Starts
// EL_RUNS_COUNT deleteDevices runs of one id each (run-<i>) on a mock the
// parent made slow, then keeps the event loop busy for 2.5 s while their
// completions come: each run waiting for its completion to be relayed holds
// one of koffi's async slots, and koffi ends the process past 256. Prints
// one JSON line: how each run ended.

const url = process.env.EL_RUNS_MOCK_URL;
const count = Number(process.env.EL_RUNS_COUNT);

async function main() {
  const { Client } = require('engagelab-push');
  const client = new Client({ appKey: 'demo-app-key', masterSecret: 'demo-master-secret', baseUrl: url, maxRetries: 0 });
  const runs = Array.from({ length: count }, (_, i) =>
    client.deleteDevices([`run-${i}`]).then(
      (s) => ({ deleted: s.deleted }),
      (e) => ({ error: `${e.name}: ${e.message}` }),
    ),
  );
  await new Promise((r) => setTimeout(r, 300));
  const busyUntil = performance.now() + 2500;
  while (performance.now() < busyUntil);
  const results = await Promise.all(runs);
  client.close();
  process.stdout.write(`${JSON.stringify({ results })}\n`);
}

// `node --test test/` also loads every file under test/ as a test: without
// the parent's environment this file does nothing.
if (url !== undefined) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
