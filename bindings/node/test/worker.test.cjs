'use strict';

// The binding in worker threads, used as the README says: a worker lets
// its calls settle (here: aborts them and awaits them) before it is
// terminated or ends. A completion arriving after a worker was torn down
// with a call pending crashes the process (koffi cannot relay it to a
// destroyed environment), so these tests run only the documented pattern.
// This file's main thread never loads the binding: koffi's addon is then
// unloaded each time a worker ends, as in an application that uses the
// binding in workers only. A crash ends this file with SIGSEGV.

const test = require('node:test');
const assert = require('node:assert/strict');
const { Worker } = require('node:worker_threads');
const { Mock, CREDENTIALS } = require('./support/mock.cjs');

let mock;
test.before(async () => {
  mock = await Mock.start();
});
test.after(() => mock.stop());
test.beforeEach(() => mock.reset());

// Starts a slow getDevice; on 'stop', aborts it, awaits it, closes the
// client and reports how it settled. Then it ends by itself, or keeps busy
// (an interval) until terminated.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { Client } = require(workerData.lib);
const client = new Client({ ...workerData.credentials, baseUrl: workerData.url });
const controller = new AbortController();
const call = client.getDevice('in-worker', { signal: controller.signal }).catch((e) => e);
parentPort.once('message', async () => {
  controller.abort();
  const error = await call;
  client.close();
  parentPort.postMessage(error.status);
  if (!workerData.end) setInterval(() => {}, 1000);
});
parentPort.postMessage('started');
`;

function startWorker(end) {
  const lib = require.resolve('engagelab-push');
  const worker = new Worker(WORKER, { eval: true, workerData: { lib, url: mock.url, credentials: CREDENTIALS, end } });
  const next = () => new Promise((resolve) => worker.once('message', resolve));
  return { worker, next };
}

/** Resolves once the mock has logged `count` requests. */
async function requestsLogged(count) {
  while ((await mock.log()).length < count) await new Promise((r) => setTimeout(r, 5));
}

// Makes one call, closes its client and reports how the call settled.
const ONE_CALL = `
const { parentPort, workerData } = require('node:worker_threads');
const { Client } = require(workerData.lib);
const client = new Client({ ...workerData.credentials, baseUrl: workerData.url });
client.getDevice('in-worker').then(() => 'OK', (e) => e.status).then((status) => {
  client.close();
  parentPort.postMessage(status);
});
`;

test('workers that make a call and end by themselves, one after another, leave the process running', async () => {
  const lib = require.resolve('engagelab-push');
  for (let i = 0; i < 20; i++) {
    const worker = new Worker(ONE_CALL, { eval: true, workerData: { lib, url: mock.url, credentials: CREDENTIALS } });
    const status = new Promise((resolve) => worker.once('message', resolve));
    const code = await new Promise((resolve) => worker.once('exit', resolve));
    assert.equal(await status, 'NOT_FOUND');
    assert.equal(code, 0);
  }
  assert.equal((await mock.log()).length, 20);
});

for (const end of ['terminate', 'by itself']) {
  test(`a worker that lets its calls settle can then end (${end})`, async () => {
    await mock.script('in-worker', [{ status: 200, body: '{}', delay_ms: 3000 }]);
    const { worker, next } = startWorker(end === 'by itself');
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    assert.equal(await next(), 'started');
    await requestsLogged(1);
    worker.postMessage('stop');
    assert.equal(await next(), 'CANCELLED');
    if (end === 'terminate') assert.equal(await worker.terminate(), 1);
    else assert.equal(await exited, 0);
    // The process outlives the worker (a crash would end this test file).
    await new Promise((r) => setTimeout(r, 100));
  });
}
