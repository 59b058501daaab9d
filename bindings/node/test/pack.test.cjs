'use strict';

// The package as users get it: `npm pack` makes a tarball holding the native
// library for linux-x64; installed into an empty project in a temp folder
// (koffi comes from the npm registry), its example deletes a device on
// engagelab-mock with no cargo or rustc on the PATH and no ENGAGELAB_PUSH_LIB.

const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Mock, CREDENTIALS } = require('./support/mock.cjs');

const ROOT = path.join(__dirname, '..');
const LIB = 'prebuilds/linux-x64/libengagelab_push.so.0';

/** PATH without any directory that holds cargo or rustc. */
function pathWithoutRust() {
  return (process.env.PATH || '')
    .split(path.delimiter)
    .filter((dir) => dir && !['cargo', 'rustc'].some((tool) => fs.existsSync(path.join(dir, tool))))
    .join(path.delimiter);
}

test('npm pack, install into an empty project, run against the mock without Rust', { timeout: 300_000 }, async (t) => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'engagelab-node-pack-'));
  t.after(() => fs.rmSync(work, { recursive: true, force: true }));

  // prepack copies the library from ENGAGELAB_LIB_DIR into prebuilds/.
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }),
  )[0];
  const files = packed.files.map((f) => f.path);
  assert.ok(files.includes(LIB), `the tarball lacks ${LIB}: ${files.join(', ')}`);
  for (const f of ['lib/index.cjs', 'lib/index.mjs', 'lib/index.d.cts', 'lib/index.d.mts', 'lib/errors.gen.cjs', 'package.json']) {
    assert.ok(files.includes(f), `the tarball lacks ${f}`);
  }
  assert.ok(!files.some((f) => f.startsWith('test/') || f.startsWith('node_modules/')), files.join(', '));
  const tarball = path.join(work, packed.filename);

  const project = path.join(work, 'project');
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'user-project', version: '1.0.0', private: true }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: project, stdio: 'inherit' });
  const installed = path.join(project, 'node_modules', 'engagelab-push');
  assert.ok(fs.statSync(path.join(installed, LIB)).size > 100_000);

  fs.copyFileSync(path.join(ROOT, 'examples', 'delete-device.mjs'), path.join(project, 'delete-device.mjs'));
  fs.writeFileSync(
    path.join(project, 'check.cjs'),
    "const e = require('engagelab-push'); const n = require('engagelab-push/package.json');\n" +
      'console.log(JSON.stringify({ version: e.nativeVersion(), pkg: n.version }));\n',
  );

  const mock = await Mock.start(['--device', 'packed-device']);
  t.after(() => mock.stop());
  const env = { ...process.env, PATH: pathWithoutRust() };
  for (const k of ['ENGAGELAB_PUSH_LIB', 'ENGAGELAB_LIB_DIR', 'ENGAGELAB_REGION', 'LD_LIBRARY_PATH', 'NODE_PATH']) delete env[k];
  Object.assign(env, {
    ENGAGELAB_APP_KEY: CREDENTIALS.appKey,
    ENGAGELAB_MASTER_SECRET: CREDENTIALS.masterSecret,
    ENGAGELAB_BASE_URL: mock.url,
  });
  const which = spawnSync('/bin/sh', ['-c', 'command -v cargo || command -v rustc'], { env, encoding: 'utf8' });
  assert.ok(which.status !== 0 && which.stdout === '', `Rust is still on the PATH: ${which.stdout}`);

  const check = spawnSync(process.execPath, ['check.cjs'], { cwd: project, env, encoding: 'utf8' });
  assert.equal(check.status, 0, check.stderr);
  assert.match(JSON.parse(check.stdout).version, /^0\./);

  const run = spawnSync(process.execPath, ['delete-device.mjs', 'packed-device'], { cwd: project, env, encoding: 'utf8' });
  assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
  assert.equal(run.stdout.trim(), 'deleted packed-device');
  assert.deepEqual(await mock.devices(), []);

  const again = spawnSync(process.execPath, ['delete-device.mjs', 'packed-device'], { cwd: project, env, encoding: 'utf8' });
  assert.equal(again.status, 1);
  assert.match(again.stderr, /no such device: packed-device/);
});
