'use strict';

// Calls hold no libuv pool thread: deleteDevice, getDevice and getAlias
// start on the library's own threads (el_*_async), and check and the bulk
// runs (deleteDevices, eraseUsers) each on a thread the library starts for
// it (el_check_async, el_delete_devices_async, ...); all complete through a
// registered callback, so libuv's pool (UV_THREADPOOL_SIZE, 4 by default,
// shared with fs, dns.lookup, crypto and zlib) stays free however many calls
// are in flight, and a signal or a per-call timeout takes effect on time
// however many calls are pending.

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Mock, CREDENTIALS } = require('./support/mock.cjs');
const { Client, CancelledError, TimeoutError } = require('engagelab-push');

const CHILD = path.join(__dirname, 'support', 'pool-child.cjs');

let mock;
let base;
test.before(async () => {
  mock = await Mock.start();
  base = { ...CREDENTIALS, baseUrl: mock.url };
});
test.after(() => mock.stop());
test.beforeEach(() => mock.reset());

/** Scripts `count` calls of pool-child.cjs to answer after `delayMs`. */
async function scriptSlow(count, delayMs) {
  const scripts = [];
  for (let i = 0; i < count; i++) {
    const kind = i % 3;
    if (kind === 0) scripts.push(mock.script(`pool-${i}`, [{ status: 200, delay_ms: delayMs }]));
    else if (kind === 1) {
      scripts.push(mock.script(`pool-${i}`, [{ status: 200, body: '{"tags":["t"],"alias":null}', delay_ms: delayMs }]));
    } else {
      scripts.push(mock.scriptAlias(`pool-user-${i}`, [{ status: 200, body: '{"registration_ids":["r"]}', delay_ms: delayMs }]));
    }
  }
  await Promise.all(scripts);
}

/**
 * Scripts the runs of pool-child.cjs's `runs` mode and writes its files of
 * ids into `dir`: every id a deleteDevices run deletes, every alias
 * eraseUsers resolves and the id bound to it answer after `delayMs`; every
 * other answer (check's GETs, the erasure's second lookup) after
 * `latencyMs`, so a check takes 6 of them.
 */
async function scriptSlowRuns(count, delayMs, latencyMs, dir) {
  const scripts = [mock.config({ latency_ms: latencyMs })];
  const slowDelete = (id) => scripts.push(mock.script(id, [{ status: 200, delay_ms: delayMs }]));
  for (let i = 0; i < count; i++) {
    const kind = i % 4;
    if (kind === 0) {
      slowDelete(`pool-bulk-${i}-a`);
      slowDelete(`pool-bulk-${i}-b`);
    } else if (kind === 1) {
      const ids = [`pool-file-${i}-a`, `pool-file-${i}-b`];
      ids.forEach(slowDelete);
      fs.writeFileSync(path.join(dir, `ids-${i}.txt`), ids.map((id) => `${id}\n`).join(''));
    } else if (kind === 2) {
      const body = JSON.stringify({ registration_ids: [`pool-erased-${i}`] });
      scripts.push(mock.scriptAlias(`pool-erase-${i}`, [{ status: 200, body, delay_ms: delayMs }]));
      slowDelete(`pool-erased-${i}`);
    }
  }
  await Promise.all(scripts);
}

/**
 * Runs pool-child.cjs with UV_THREADPOOL_SIZE=4 (`extra`: more of its
 * environment); resolves with its report, and how long it took to exit
 * after printing it (null: it was killed).
 */
function runChild(count, file, extra = {}) {
  const env = {
    ...process.env,
    UV_THREADPOOL_SIZE: '4',
    EL_POOL_MOCK_URL: mock.url,
    EL_POOL_CALLS: String(count),
    EL_POOL_FILE: file,
    ...extra,
  };
  const child = spawn(process.execPath, [CHILD], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let printedAt = null;
  child.stdout.on('data', (d) => {
    out += d;
    if (printedAt === null && out.includes('\n')) printedAt = performance.now();
  });
  child.stderr.on('data', (d) => (err += d));
  // A child that does not end by itself (a handle left ref'd) is killed.
  const killer = setTimeout(() => child.kill('SIGKILL'), 40_000);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(killer);
      if (code !== 0 || out === '') {
        reject(new Error(`pool-child exited ${code ?? signal}: ${err}${out}`));
        return;
      }
      resolve({
        report: JSON.parse(out.trim().split('\n')[0]),
        exitMs: signal === null ? performance.now() - printedAt : null,
        stderr: err,
      });
    });
  });
}

// The checks below are orderings, not durations: on a loaded machine a small
// read may take 100 ms, but never the seconds a held pool would make it wait.

test('with UV_THREADPOOL_SIZE=4 and 64 slow calls in flight, fs.promises.readFile is not held up', { timeout: 120_000 }, async () => {
  const COUNT = 64;
  const DELAY = 2000;
  await scriptSlow(COUNT, DELAY);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'el-node-pool-'));
  const file = path.join(dir, 'small.txt');
  fs.writeFileSync(file, 'a small file\n');
  try {
    const { report, exitMs, stderr } = await runChild(COUNT, file);
    console.log(
      `readFile ${report.readMs.toFixed(1)} ms with ${COUNT} calls in flight, ended at ${report.readEndedAt.toFixed(0)} ms; ` +
        `the calls settled from ${report.firstSettledAt.toFixed(0)} to ${report.callsMs.toFixed(0)} ms; ` +
        `the child exited ${exitMs?.toFixed(0)} ms after them`,
    );
    assert.equal(stderr, '');
    assert.deepEqual(report.rejected, []);
    assert.equal(report.fulfilled, COUNT);
    assert.equal(report.bytes, 13);
    // Had each call held one of the 4 pool threads, the read would wait for
    // one of them to end: it ended while every call still waited.
    assert.ok(
      report.readEndedAt < report.firstSettledAt,
      `the read ended at ${report.readEndedAt.toFixed(0)} ms, a call settled at ${report.firstSettledAt.toFixed(0)} ms`,
    );
    // All 64 at once, not 4 at a time (16 rounds of DELAY).
    assert.ok(report.callsMs < 2 * DELAY, `64 calls of ${DELAY} ms took ${report.callsMs.toFixed(0)} ms`);
    // Nothing left ref'd once the calls are done: the child ends by itself.
    assert.notEqual(exitMs, null, 'the child did not exit by itself');
    assert.ok(exitMs < 5000, `the child exited ${exitMs.toFixed(0)} ms after its calls`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// 4 of each kind (deleteDevices on ids and on a file, eraseUsers, check): any
// one of them holding a pool thread would hold all 4.
test('with UV_THREADPOOL_SIZE=4 and 16 slow bulk runs and checks in flight, fs.promises.readFile is not held up', { timeout: 120_000 }, async () => {
  const COUNT = 16;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'el-node-pool-'));
  const file = path.join(dir, 'small.txt');
  fs.writeFileSync(file, 'a small file\n');
  try {
    await scriptSlowRuns(COUNT, 2000, 400, dir);
    const { report, exitMs, stderr } = await runChild(COUNT, file, { EL_POOL_MODE: 'runs', EL_POOL_DIR: dir });
    console.log(
      `readFile ${report.readMs.toFixed(1)} ms with ${COUNT} runs in flight, ended at ${report.readEndedAt.toFixed(0)} ms; ` +
        `the runs settled from ${report.firstSettledAt.toFixed(0)} to ${report.callsMs.toFixed(0)} ms; ` +
        `the child exited ${exitMs?.toFixed(0)} ms after them; ` +
        `callbacks ${JSON.stringify(report.callbacks)}`,
    );
    assert.equal(stderr, '');
    assert.deepEqual(report.rejected, []);
    assert.equal(report.fulfilled, COUNT);
    assert.equal(report.bytes, 13);
    const want = [];
    for (let i = 0; i < COUNT; i++) {
      const kind = i % 4;
      if (kind === 0) want.push({ kind: 'deleteDevices', deleted: 2 });
      else if (kind === 1) want.push({ kind: 'deleteDevices({ path })', deleted: 2 });
      else if (kind === 2) want.push({ kind: 'eraseUsers', deleted: 1, ids: [[`pool-erased-${i}`]] });
      else want.push({ kind: 'check', credentialsAccepted: true });
    }
    assert.deepEqual(report.values, want);
    // Every callback was relayed from the runs' threads to the event loop:
    // one confirm per bulk run, one resolved alias per erasure.
    assert.equal(report.callbacks.confirm, 12);
    assert.equal(report.callbacks.resolved, 4);
    assert.ok(report.callbacks.progress > 0);
    // Runs of 2 to 4.4 s: had each held one of the 4 pool threads, the read
    // would wait for one of them to end; it ended while every run went on.
    assert.ok(
      report.readEndedAt < report.firstSettledAt,
      `the read ended at ${report.readEndedAt.toFixed(0)} ms, a run settled at ${report.firstSettledAt.toFixed(0)} ms`,
    );
    // All at once, not 4 at a time: every deleteDevices run had started
    // (and asked to confirm) before the first run ended.
    assert.ok(
      report.callbacks.lastStartConfirmAt < report.firstSettledAt,
      `the last deleteDevices run started at ${report.callbacks.lastStartConfirmAt.toFixed(0)} ms, ` +
        `a run settled at ${report.firstSettledAt.toFixed(0)} ms`,
    );
    // Nothing left ref'd once the runs are done: the child ends by itself.
    assert.notEqual(exitMs, null, 'the child did not exit by itself');
    assert.ok(exitMs < 5000, `the child exited ${exitMs.toFixed(0)} ms after its runs`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** Resolves with how long after `started` the promise settled, and how. */
function settleTime(promise, started) {
  return promise.then(
    (value) => ({ ms: performance.now() - started, value }),
    (error) => ({ ms: performance.now() - started, error }),
  );
}

// A run's signal is wired to its cancel token whatever else is in flight.
// When each run held one of the 4 pool threads, 8 held runs of 2 s kept this
// one from starting for 4 s.
for (const pending of [0, 8]) {
  test(`with ${pending} slow bulk runs in flight, an abort at 600 ms interrupts a running deleteDevices promptly`, { timeout: 60_000 }, async () => {
    const client = new Client(base);
    const slow = [];
    for (let i = 0; i < pending; i++) {
      await mock.script(`pool-held-${i}`, [{ status: 200, delay_ms: 2000 }]);
      slow.push(client.deleteDevices([`pool-held-${i}`]));
    }
    // Unknown ids, answered at once (NotFound), paced at 10 a second: 50
    // take 5 s. Progress is reported every 250 ms.
    const ids = Array.from({ length: 50 }, (_, i) => `pool-paced-${i}`);
    const controller = new AbortController();
    const progress = [];
    const started = performance.now();
    const timer = setTimeout(() => controller.abort(), 600);
    const run = client.deleteDevices(ids, {
      qps: 10,
      concurrency: 1,
      signal: controller.signal,
      onProgress: (p) => progress.push({ ms: performance.now() - started, done: p.done }),
    });
    const r = await settleTime(run, started);
    clearTimeout(timer);
    const before = progress.filter((p) => p.ms < 600 && p.done > 0).length;
    console.log(`${pending} runs pending: the abort settled at ${r.ms.toFixed(0)} ms; ${before} progress reports before it`);
    assert.equal(r.error, undefined, String(r.error));
    // It was running (ids settled) before the abort, and it ended soon after.
    // Had the abort not reached it, the run would go on for 5 s; the bound
    // leaves a loaded machine room.
    assert.ok(r.ms >= 595 && r.ms < 2000, `aborted at 600 ms, settled at ${r.ms.toFixed(0)} ms`);
    assert.ok(before >= 1, `progress before the abort: ${JSON.stringify(progress)}`);
    const s = r.value;
    assert.equal(s.interrupted, true);
    assert.ok(s.notStarted > 0 && s.notStarted < 50, `notStarted ${s.notStarted}`);
    assert.equal(s.notFound + s.notStarted, 50);
    const held = await Promise.allSettled(slow);
    assert.deepEqual(held.filter((h) => h.status === 'rejected'), []);
    client.close();
  });
}

for (const pending of [0, 4, 16, 64]) {
  test(`with ${pending} slow calls pending, an abort at 100 ms and a timeout of 300 ms settle on time`, { timeout: 60_000 }, async () => {
    const client = new Client({ ...base, timeout: 30_000 });
    await scriptSlow(pending, 2000);
    await mock.script('abort-me', [{ status: 200, delay_ms: 3000 }]);
    await mock.script('time-me-out', [{ status: 200, delay_ms: 3000 }]);
    const slow = [];
    for (let i = 0; i < pending; i++) {
      const kind = i % 3;
      if (kind === 0) slow.push(client.deleteDevice(`pool-${i}`));
      else if (kind === 1) slow.push(client.getDevice(`pool-${i}`));
      else slow.push(client.getAlias(`pool-user-${i}`));
    }
    const controller = new AbortController();
    const started = performance.now();
    const aborted = settleTime(client.deleteDevice('abort-me', { signal: controller.signal }), started);
    const timedOut = settleTime(client.getDevice('time-me-out', { timeout: 300 }), started);
    const timer = setTimeout(() => controller.abort(), 100);
    const a = await aborted;
    const t = await timedOut;
    clearTimeout(timer);
    console.log(`${pending} pending: the abort settled at ${a.ms.toFixed(0)} ms, the timeout at ${t.ms.toFixed(0)} ms`);
    assert.ok(a.error instanceof CancelledError, String(a.error ?? a.value));
    assert.equal(a.error.cause, controller.signal.reason);
    assert.ok(t.error instanceof TimeoutError, String(t.error ?? t.value));
    // A few ms late on an idle machine. Had the calls waited for the pending
    // ones (2 s) or for their answers (3 s), they would settle seconds late:
    // the bounds leave a loaded machine room short of that.
    assert.ok(a.ms >= 95 && a.ms < 1000, `aborted at 100 ms, settled at ${a.ms.toFixed(0)} ms`);
    assert.ok(t.ms >= 295 && t.ms < 1200, `timeout of 300 ms, settled at ${t.ms.toFixed(0)} ms`);
    const results = await Promise.allSettled(slow);
    assert.deepEqual(results.filter((r) => r.status === 'rejected'), []);
    client.close();
  });
}
