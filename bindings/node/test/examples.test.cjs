'use strict';

// The erasure example runs as a user would run it: node
// examples/erase-users.mjs ALIAS... against engagelab-mock, in an empty
// directory where it leaves its backup, report and journal (0600).

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Mock, CREDENTIALS } = require('./support/mock.cjs');

const EXAMPLE = path.join(__dirname, '..', 'examples', 'erase-users.mjs');

let mock;
test.before(async () => {
  mock = await Mock.start();
});
test.after(() => mock.stop());

function run(args, cwd) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ENGAGELAB_') || k === 'ENGAGELAB_PUSH_LIB'));
  Object.assign(env, {
    ENGAGELAB_APP_KEY: CREDENTIALS.appKey,
    ENGAGELAB_MASTER_SECRET: CREDENTIALS.masterSecret,
    ENGAGELAB_BASE_URL: mock.url,
  });
  return spawnSync(process.execPath, [EXAMPLE, ...args], { cwd, env, encoding: 'utf8', timeout: 60000 });
}

test('examples/erase-users.mjs erases with a backup, a report and a journal', async () => {
  await mock.reset();
  await mock.addDevice({ registration_id: 'node-erase-1', alias: 'user-node' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'el-node-example-'));
  try {
    const done = run(['user-node', 'nobody'], dir);
    assert.equal(done.status, 0, done.stderr);
    assert.match(done.stdout, /user-node: no device bound/);
    assert.match(done.stdout, /nobody: no device bound/);
    assert.match(done.stdout, /deleted 1, failed 0/);
    assert.ok(!(await mock.devices()).includes('node-erase-1'));
    for (const name of ['erased.backup.jsonl', 'erasure.report.jsonl', 'erasure.journal']) {
      assert.equal(fs.statSync(path.join(dir, name)).mode & 0o777, 0o600, name);
    }
    assert.equal(run([], dir).status, 2);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
