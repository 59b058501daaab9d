'use strict';

// Every scenario of tests/contract/scenarios/bulk.json (client.deleteDevices with ids
// or { path }, client.eraseUsers, and their callbacks) against
// engagelab-mock, one named test each (`cargo xtask lint` checks the file
// against tests/contract/scenarios/bulk_schema.json). A scenario's cancel is
// an AbortSignal aborted from a callback.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const util = require('node:util');
const { Mock, REPO, CREDENTIALS } = require('./support/mock.cjs');
const engagelab = require('engagelab-push');

const FILE = path.join(REPO, 'tests', 'contract', 'scenarios', 'bulk.json');
const DATA = JSON.parse(fs.readFileSync(FILE, 'utf8'));

const SUMMARY_KEYS = {
  entries: 'entries', ids: 'ids', deleted: 'deleted', not_found: 'notFound', failed: 'failed',
  invalid: 'invalid', duplicate: 'duplicate', already_done: 'alreadyDone', would_delete: 'wouldDelete',
  not_started: 'notStarted', rate_limited: 'rateLimited', interrupted: 'interrupted', dry_run: 'dryRun',
};

function jsonLines(file, from) {
  if (!fs.existsSync(file)) return [[], 0];
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  return [lines.slice(from).map((l) => JSON.parse(l)), lines.length];
}

const sorted = (a) => [...a].sort();

let mock;
test.before(async () => {
  mock = await Mock.start();
});
test.after(() => mock.stop());

for (const sc of DATA.scenarios) {
  test(sc.name, async () => {
    await mock.reset();
    for (const seed of sc.devices ?? []) await mock.addDevice(seed);
    for (const script of sc.scripts ?? []) await mock.call('POST', 'script', script);
    const client = new engagelab.Client({ ...CREDENTIALS, baseUrl: mock.url, backoffBase: 1, backoffMax: 20 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'el-bulk-'));
    const files = { journal: path.join(dir, 'journal'), backup: path.join(dir, 'backup.jsonl'), report: path.join(dir, 'report.jsonl') };
    const seen = { report: 0, backup: 0 };
    try {
      for (const [index, run] of sc.runs.entries()) {
        const where = `run ${index + 1}`;
        const expect = run.expect;
        const settings = run.settings ?? {};
        const controller = new AbortController();
        const options = { signal: controller.signal };
        if (settings.qps !== undefined) options.qps = settings.qps;
        if (settings.concurrency !== undefined) options.concurrency = settings.concurrency;
        if (settings.max_deletions !== undefined) options.maxDeletions = settings.max_deletions;
        if (settings.dry_run) options.dryRun = true;
        for (const key of ['journal', 'backup', 'report']) if (settings[key]) options[key] = files[key];
        const when = run.cancel_when_done;
        options.onProgress = (p) => {
          if (when !== undefined && p.done >= when) controller.abort();
        };
        const plans = [];
        if (run.confirm !== undefined) {
          options.confirm = (plan) => {
            plans.push(plan);
            if (run.confirm === 'cancel') controller.abort();
            return run.confirm !== 'decline';
          };
        }
        const resolved = [];
        if (sc.call === 'erase_users') {
          options.onResolved = (alias, ids) => resolved.push({ alias, registration_ids: ids });
        }
        const before = (await mock.log()).length;
        let result;
        let error;
        try {
          if (sc.call === 'erase_users') result = await client.eraseUsers(run.input, options);
          else if (sc.call === 'delete_devices_from_file') {
            let file = path.join(dir, 'no-such-file.txt');
            if (run.input !== undefined) {
              file = path.join(dir, 'input.txt');
              fs.writeFileSync(file, run.input.map((l) => `${l}\n`).join(''));
            }
            result = await client.deleteDevices({ path: file }, options);
          } else result = await client.deleteDevices(run.input, options);
        } catch (e) {
          error = e;
        }
        if (expect.status === 'OK') assert.equal(error, undefined, `${where}: ${error}`);
        else {
          assert.ok(error instanceof engagelab.EngageLabError, `${where}: expected ${expect.status}, got ${error ?? 'success'}`);
          assert.equal(error.status, expect.status, where);
          assert.equal(error.bulkError, expect.error, where);
          for (const part of expect.message_contains ?? []) assert.ok(error.message.includes(part), `${where}: ${error.message}`);
        }
        const summary = result ?? error?.summary;
        if (expect.plan !== undefined) {
          assert.equal(plans.length, 1, `${where}: confirm calls`);
          assert.deepEqual({ entries: plans[0].entries, ids: plans[0].ids, dry_run: plans[0].dryRun },
            { entries: plans[0].entries, ids: plans[0].ids, dry_run: plans[0].dryRun, ...expect.plan }, where);
        }
        for (const [key, want] of Object.entries(expect.summary ?? {})) {
          const got = key === 'stopped' ? summary.stopped !== null : summary[SUMMARY_KEYS[key]];
          assert.equal(got, want, `${where}: summary.${key}`);
        }
        const [report, reportCount] = jsonLines(files.report, seen.report);
        seen.report = reportCount;
        if (expect.report !== undefined) {
          assert.deepEqual(
            sorted(report.filter((l) => l.outcome !== undefined).map((l) => `${l.registration_id} ${l.outcome}`)),
            sorted(expect.report.map((l) => `${l.registration_id} ${l.outcome}`)), `${where}: report`);
        }
        const [backup, backupCount] = jsonLines(files.backup, seen.backup);
        seen.backup = backupCount;
        if (expect.backup !== undefined) {
          assert.deepEqual(sorted(backup.map((b) => b.registration_id)), sorted(expect.backup), `${where}: backup`);
        }
        if (expect.requests !== undefined) {
          const log = (await mock.log()).slice(before);
          assert.deepEqual(sorted(log.map((r) => `${r.method} ${r.path}`)),
            sorted(expect.requests.map((r) => `${r.method} ${r.path}`)), `${where}: requests`);
        }
        if (expect.resolved !== undefined) assert.deepEqual(resolved, expect.resolved, `${where}: resolved`);
        if (expect.users !== undefined) {
          assert.deepEqual(result.users.map((u) => ({ alias: u.alias, registration_ids: [...u.registrationIds],
            still_bound: u.stillBound === null ? null : [...u.stillBound] })), expect.users, `${where}: users`);
        }
        if (expect.is_success !== undefined) assert.equal(result.isSuccess, expect.is_success, where);
        const store = new Set(await mock.devices());
        for (const id of expect.device_remains ?? []) assert.ok(store.has(id), `${where}: ${id} should remain`);
        for (const id of expect.device_gone ?? []) assert.ok(!store.has(id), `${where}: ${id} should be gone`);
      }
    } finally {
      client.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('only true confirms a run: a truthy answer declines it, nothing sent', async () => {
  await mock.reset();
  await mock.addDevice('confirm-1');
  const client = new engagelab.Client({ ...CREDENTIALS, baseUrl: mock.url });
  try {
    await assert.rejects(
      client.deleteDevices(['confirm-1'], { confirm: () => 'n' }),
      (e) => e instanceof engagelab.EngageLabError && e.bulkError === 'DECLINED',
    );
    assert.deepEqual(await mock.log(), []);
  } finally {
    client.close();
  }
});

test('the error of a run the engine refused shows its bulkError and summary in toJSON', async () => {
  await mock.reset();
  const client = new engagelab.Client({ ...CREDENTIALS, baseUrl: mock.url });
  try {
    const error = await client.deleteDevices(['guard-1', 'guard-2'], { maxDeletions: 1 }).catch((e) => e);
    assert.ok(error instanceof engagelab.EngageLabError, String(error));
    assert.equal(error.bulkError, 'GUARD');
    const json = JSON.parse(JSON.stringify(error));
    assert.equal(json.bulkError, 'GUARD');
    // What console.error(e) shows says why too, not only the category.
    const shown = util.inspect(error);
    assert.match(shown, /bulkError: 'GUARD'/);
    assert.match(shown, /summary: \{/);
    assert.deepEqual(json.summary, { ...error.summary });
    assert.equal(json.summary.deleted, 0);
    assert.deepEqual(await mock.log(), []);
    // A single call's error has neither.
    const single = (await client.deleteDevice('guard-1').catch((e) => e)).toJSON();
    assert.equal(single.status, 'NOT_FOUND');
    assert.ok(!('bulkError' in single) && !('summary' in single), JSON.stringify(single));
  } finally {
    client.close();
  }
});

test('a callback that throws cancels the run and rejects with its exception', async () => {
  await mock.reset();
  await mock.addDevice('throw-1');
  const client = new engagelab.Client({ ...CREDENTIALS, baseUrl: mock.url });
  try {
    await assert.rejects(
      client.deleteDevices(['throw-1'], { confirm: () => { throw new RangeError('no'); } }),
      (e) => e instanceof RangeError && e.message === 'no',
    );
    assert.equal((await mock.log()).length, 0);
  } finally {
    client.close();
  }
});

test('a progress callback that throws mid-run rejects with its exception and what the run did', async () => {
  await mock.reset();
  const ids = Array.from({ length: 40 }, (_, i) => `mid-${i}`);
  for (const id of ids) await mock.addDevice(id);
  const client = new engagelab.Client({ ...CREDENTIALS, baseUrl: mock.url });
  try {
    let calls = 0;
    const onProgress = () => {
      calls += 1;
      // The second report comes about 500 ms into a run of 2 s.
      if (calls === 2) throw new Error('stop here');
    };
    const err = await client.deleteDevices(ids, { qps: 20, concurrency: 1, onProgress }).catch((e) => e);
    const left = (await mock.devices()).length;
    assert.equal(err.message, 'stop here');
    assert.equal(err.summary.interrupted, true);
    assert.ok(left > 0 && left < 40, `left ${left}`);
    assert.equal(err.summary.deleted, 40 - left);
    await mock.addDevice({ registration_id: 'alias-dev-1', alias: 'user-7' });
    const refused = await client.eraseUsers(['user-7'], { confirm: () => { throw new TypeError('erase no'); } }).catch((e) => e);
    assert.equal(refused.message, 'erase no');
    // The confirm's exception declined the run: the summary says nothing was sent.
    assert.equal(refused.summary.deleted, 0);
    assert.ok((await mock.devices()).includes('alias-dev-1'));
  } finally {
    client.close();
  }
});

test('an async callback whose promise rejects stops the run and rejects with its reason, never an unhandled rejection', async () => {
  await mock.reset();
  const ids = Array.from({ length: 40 }, (_, i) => `async-${i}`);
  for (const id of ids) await mock.addDevice(id);
  await mock.addDevice({ registration_id: 'async-alias-dev', alias: 'async-user' });
  const client = new engagelab.Client({ ...CREDENTIALS, baseUrl: mock.url });
  // Without the binding's handling, Node ends the process at the first one.
  const unhandled = [];
  const onUnhandled = (reason) => unhandled.push(reason);
  const listeners = process.listeners('unhandledRejection');
  process.removeAllListeners('unhandledRejection');
  process.on('unhandledRejection', onUnhandled);
  try {
    let calls = 0;
    // What an onProgress that awaits a write looks like when the write fails.
    const onProgress = async () => {
      calls += 1;
      await new Promise((r) => setTimeout(r, 5));
      if (calls === 2) throw new Error('progress store down');
    };
    const err = await client.deleteDevices(ids, { qps: 20, concurrency: 1, onProgress }).catch((e) => e);
    assert.ok(err instanceof Error, `resolved: ${JSON.stringify(err)}`);
    assert.equal(err.message, 'progress store down');
    assert.equal(err.summary.interrupted, true);
    const left = (await mock.devices()).length - 1;
    assert.ok(left > 0, 'the run went on to the end after the rejection');
    assert.equal(err.summary.deleted, 40 - left);
    // One that rejects after the last report: still the run's rejection.
    await mock.addDevice('async-late');
    const late = await client
      .deleteDevices(['async-late'], { onProgress: async (p) => { await null; if (p.done === p.total) throw new RangeError('late'); } })
      .catch((e) => e);
    assert.ok(late instanceof RangeError, String(late));
    assert.equal(late.summary.deleted, 1);
    // An async confirm that rejects: the run is declined and rejects with its reason.
    const declined = await client
      .eraseUsers(['async-user'], { confirm: async () => { throw new TypeError('confirm store down'); } })
      .catch((e) => e);
    assert.ok(declined instanceof TypeError, String(declined));
    assert.equal(declined.message, 'confirm store down');
    assert.ok((await mock.devices()).includes('async-alias-dev'));
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(unhandled, []);
  } finally {
    process.removeListener('unhandledRejection', onUnhandled);
    for (const l of listeners) process.on('unhandledRejection', l);
    client.close();
  }
});

test('a callback that throws the error of another run (its summary fixed already) still settles the run', async () => {
  await mock.reset();
  await mock.addDevice('rethrow-1');
  const client = new engagelab.Client({ ...CREDENTIALS, baseUrl: mock.url });
  try {
    const guard = await client.deleteDevices(['rethrow-1', 'rethrow-2'], { maxDeletions: 1 }).catch((e) => e);
    assert.equal(guard.bulkError, 'GUARD');
    let timer;
    const hung = new Promise((resolve) => {
      timer = setTimeout(() => resolve('never settled'), 5000);
    });
    const run = client.deleteDevices(['rethrow-1'], { confirm: () => { throw guard; } }).then(
      (s) => ({ resolved: s }),
      (e) => e,
    );
    const got = await Promise.race([run, hung]);
    clearTimeout(timer);
    assert.equal(got, guard);
    // Its own summary stays: the GUARD run's, not this one's.
    assert.equal(got.summary.deleted, 0);
    assert.ok((await mock.devices()).includes('rethrow-1'));
  } finally {
    client.close();
  }
});

test('stallTimeout reaches the engine: a run held at a quota of 0 stops after it', async () => {
  await mock.reset();
  await mock.addDevice('stall-1');
  await mock.config({ rate_limit_qps: 0 });
  const client = new engagelab.Client({ ...CREDENTIALS, baseUrl: mock.url });
  try {
    await assert.rejects(client.deleteDevices(['stall-1'], { stallTimeout: -1 }), RangeError);
    const s = await client.deleteDevices(['stall-1'], { qps: 50, stallTimeout: 300 });
    assert.match(s.stopped, /rate-limited with no device deleted for 300 ms /);
    assert.equal(s.deleted, 0);
    assert.ok(s.rateLimited > 0);
  } finally {
    client.close();
  }
});
