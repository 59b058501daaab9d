'use strict';

// Many calls waiting behind the in-flight limit (MAX_IN_FLIGHT), over several
// clients, ended together by one signal or by one per-call timeout: the
// process survives (koffi has 256 async slots per process; a waiting call
// ended at once must not take one), each waiting call ends with the core's
// own error for a cancelled or timed-out call, nothing is sent for it, and
// ending it takes no time. Run in a child process (support/storm-child.cjs),
// so that a crash fails the test with the child's signal.

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const path = require('node:path');
const { Mock } = require('./support/mock.cjs');

const CHILD = path.join(__dirname, 'support', 'storm-child.cjs');
const CALLS = 1000;
const CLIENTS = 16;
// The mock answers this late: no call is answered before it is ended (the
// test waits for none), and one that sent a request would block for it.
const LATENCY_MS = 5000;
/** Far more than ending every waiting call takes, far less than one request. */
const QUICK_MS = 1000;

let mock;
test.before(async () => {
  mock = await Mock.start();
});
test.after(() => mock.stop());
test.beforeEach(async () => {
  await mock.reset();
  await mock.config({ latency_ms: LATENCY_MS });
});

/** Runs storm-child.cjs in `mode`; resolves with its report. */
function runChild(mode) {
  return spawnChild(CHILD, {
    EL_STORM_MOCK_URL: mock.url,
    EL_STORM_CALLS: String(CALLS),
    EL_STORM_CLIENTS: String(CLIENTS),
    EL_STORM_MODE: mode,
  });
}

/** Runs the script `file` with `vars` added to the environment; resolves with its report. */
function spawnChild(file, vars) {
  const env = { ...process.env, ...vars };
  const child = spawn(process.execPath, [file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(killer);
      if (code !== 0 || out === '') reject(new Error(`${path.basename(file)} exited ${code ?? signal}: ${err}${out}`));
      else resolve(JSON.parse(out.trim().split('\n')[0]));
    });
  });
}

/** Checks that the mock received no request of a call that was waiting. */
async function nothingSentForWaiting(maxInFlight) {
  const sent = new Set((await mock.log()).map((r) => r.path));
  for (let i = maxInFlight; i < CALLS; i++) assert.ok(!sent.has(`/v4/devices/storm-${i}`), `waiting call ${i} sent a request`);
}

test('a signal aborting hundreds of waiting calls over several clients ends each at once with the core’s error', { timeout: 60_000 }, async () => {
  const { maxInFlight, reference, results, settledAt, abortAt, abortMs } = await runChild('abort');
  assert.ok(CALLS - maxInFlight > 256, 'more waiting calls than koffi has async slots');
  assert.equal(reference.cancelled.name, 'CancelledError');
  for (let i = 0; i < CALLS; i++) {
    const r = results[i];
    assert.equal(r.name, 'CancelledError', `call ${i}: ${JSON.stringify(r)}`);
    assert.equal(r.causeIsReason, true);
    if (i >= maxInFlight) assert.deepEqual(r, reference.cancelled, `waiting call ${i}`);
  }
  // abort() ends every waiting call through the blocking C call: one that
  // sent a request would have held it for the mock's latency.
  console.log(`aborted at ${abortAt.toFixed(0)} ms; abort() ended ${CALLS - maxInFlight} waiting calls in ${abortMs.toFixed(1)} ms, ${(abortMs / (CALLS - maxInFlight)).toFixed(2)} ms each`);
  assert.ok(abortMs < QUICK_MS, `abort() took ${abortMs} ms`);
  assert.ok(Math.max(...settledAt) < LATENCY_MS, 'a call was answered');
  await nothingSentForWaiting(maxInFlight);
});

test('a per-call timeout passing on hundreds of waiting calls over several clients ends each at once with the core’s error', { timeout: 60_000 }, async () => {
  const { maxInFlight, reference, results, settledAt } = await runChild('timeout');
  assert.equal(reference.timeout.name, 'TimeoutError');
  assert.equal(reference.timeout.attempts, 0);
  for (let i = 0; i < maxInFlight; i++) assert.equal(results[i].name, 'TimeoutError', `call ${i} in flight`);
  const waiting = settledAt.slice(maxInFlight);
  for (let i = maxInFlight; i < CALLS; i++) assert.deepEqual(results[i], reference.timeout, `waiting call ${i}`);
  // Their deadlines were found passed together: ended in the same moment,
  // before the library relayed the end of any call in flight.
  const spread = Math.max(...waiting) - Math.min(...waiting);
  console.log(`${waiting.length} waiting calls timed out within ${spread.toFixed(1)} ms`);
  assert.ok(spread < QUICK_MS, `the waiting calls ended over ${spread} ms`);
  assert.ok(Math.max(...waiting) < Math.min(...settledAt.slice(0, maxInFlight)), 'a waiting call ended after a call in flight');
  await nothingSentForWaiting(maxInFlight);
});

test('hundreds of bulk runs ending while the event loop is busy wait their turn and the process survives', { timeout: 60_000 }, async () => {
  // More runs than koffi has async slots: past the in-flight limit they wait
  // for a slot, as calls do, instead of each holding one while its
  // completion waits for the busy loop (koffi ended the process at 257).
  const runs = 300;
  for (let i = 0; i < runs; i++) await mock.addDevice(`run-${i}`);
  await mock.config({ latency_ms: 1000 });
  const { results } = await spawnChild(path.join(__dirname, 'support', 'runs-child.cjs'), {
    EL_RUNS_MOCK_URL: mock.url,
    EL_RUNS_COUNT: String(runs),
  });
  assert.deepEqual(results, Array.from({ length: runs }, () => ({ deleted: 1 })));
  assert.deepEqual(await mock.devices(), []);
});
