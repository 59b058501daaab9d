// How the Node host fares while this package's calls are in flight, for the
// "Calls in flight" section of BENCHMARKS.md:
//
//   node bench/node/responsive.mjs ROUNDS
//
// Runs itself again with UV_THREADPOOL_SIZE=4 (libuv reads it at start-up),
// starts engagelab-mock (ENGAGELAB_MOCK_BIN, or target/debug/engagelab-mock)
// and, ROUNDS times:
// - puts 64 calls in flight (deleteDevice, getDevice and getAlias in turn)
//   that the mock answers after 1 s, and 200 ms later times a
//   fs.promises.readFile of a 13-byte file, which needs a libuv pool thread;
// - with 0, 4, 16 and 64 such calls pending, starts a deleteDevice aborted by
//   its AbortSignal at 100 ms and a getDevice with { timeout: 300 }, both on
//   ids answered after 3 s, and times how late each settles.
// Prints one JSON line: read_ms (one figure per round), abort_late_ms and
// timeout_late_ms (for each count pending, one figure per round).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const rounds = Number(process.argv[2] ?? '5');
if (process.env.UV_THREADPOOL_SIZE !== '4') {
  const again = spawnSync(process.execPath, [fileURLToPath(import.meta.url), String(rounds)], {
    stdio: 'inherit',
    env: { ...process.env, UV_THREADPOOL_SIZE: '4' },
  });
  process.exit(again.status ?? 1);
}

const require = createRequire(import.meta.url);
const { Mock, CREDENTIALS } = require('../../bindings/node/test/support/mock.cjs');
const { Client } = await import('../../bindings/node/lib/index.mjs');

const IN_FLIGHT = 64;
const SLOW_MS = 1000;
const PENDING = [0, 4, 16, 64];

/** Scripts `count` slow answers and starts the calls; resolves with their promises. */
async function slowCalls(mock, client, count, tag) {
  const calls = [];
  for (let i = 0; i < count; i++) {
    const id = `${tag}-${i}`;
    const slow = [{ status: 200, body: '{"registration_ids":[]}', delay_ms: SLOW_MS }];
    if (i % 3 === 2) await mock.scriptAlias(id, slow);
    else await mock.script(id, slow);
  }
  for (let i = 0; i < count; i++) {
    const id = `${tag}-${i}`;
    const kind = i % 3;
    calls.push(kind === 0 ? client.deleteDevice(id) : kind === 1 ? client.getDevice(id) : client.getAlias(id));
  }
  return calls;
}

/** Resolves with how long after `started` the promise settled. */
const settled = (promise, started) =>
  promise.then(
    () => performance.now() - started,
    () => performance.now() - started,
  );

const mock = await Mock.start();
const client = new Client({ ...CREDENTIALS, baseUrl: mock.url, maxRetries: 0, timeout: 30_000 });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'el-bench-responsive-'));
const file = path.join(dir, 'small.txt');
fs.writeFileSync(file, 'a small file\n');
const out = { read_ms: [], abort_late_ms: {}, timeout_late_ms: {} };
for (const n of PENDING) {
  out.abort_late_ms[n] = [];
  out.timeout_late_ms[n] = [];
}
try {
  for (let r = 0; r < rounds; r++) {
    await mock.reset();
    const calls = await slowCalls(mock, client, IN_FLIGHT, `read-${r}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const readStarted = performance.now();
    await fs.promises.readFile(file, 'utf8');
    out.read_ms.push(performance.now() - readStarted);
    await Promise.allSettled(calls);

    for (const n of PENDING) {
      await mock.reset();
      const pending = await slowCalls(mock, client, n, `pending-${r}-${n}`);
      await mock.script('abort-me', [{ status: 200, delay_ms: 3000 }]);
      await mock.script('time-me-out', [{ status: 200, body: '{}', delay_ms: 3000 }]);
      const controller = new AbortController();
      const started = performance.now();
      const aborted = settled(client.deleteDevice('abort-me', { signal: controller.signal }), started);
      const timedOut = settled(client.getDevice('time-me-out', { timeout: 300 }), started);
      setTimeout(() => controller.abort(), 100);
      out.abort_late_ms[n].push((await aborted) - 100);
      out.timeout_late_ms[n].push((await timedOut) - 300);
      await Promise.allSettled(pending);
    }
  }
} finally {
  client.close();
  await mock.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(`${JSON.stringify(out)}\n`);
