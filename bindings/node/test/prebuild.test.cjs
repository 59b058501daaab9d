'use strict';

// Which prebuild a process takes (lib/prebuild.cjs): the platform key from
// the C library the process has mapped, the folder native.cjs loaded, and
// the error naming the key and what the package ships when it has none.

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { SONAME, libcInMaps, isMusl, platformKey, shipped } = require('../lib/prebuild.cjs');

const ROOT = path.join(__dirname, '..');

test('the C library is read from the mapped files', () => {
  const line = (file) => `7f1c2d000000-7f1c2d028000 r--p 00000000 08:01 1234   ${file}\n`;
  assert.equal(libcInMaps(line('/lib/ld-musl-x86_64.so.1')), 'musl');
  assert.equal(libcInMaps(line('/usr/bin/node') + line('/lib/ld-musl-aarch64.so.1')), 'musl');
  assert.equal(libcInMaps(line('/usr/lib/x86_64-linux-gnu/libc.so.6')), 'glibc');
  // glibc before 2.34 maps libc-2.N.so; qemu shows the sysroot's path.
  assert.equal(libcInMaps(line('/lib64/libc-2.17.so')), 'glibc');
  assert.equal(libcInMaps(line('/usr/aarch64-linux-gnu/lib/libc.so.6')), 'glibc');
  assert.equal(libcInMaps(line('/home/me/libc.so.6.bak') + line('/usr/bin/node')), undefined);
  assert.equal(libcInMaps(''), undefined);
});

test('the platform key names the CPU and, on musl, the C library', () => {
  assert.equal(platformKey('linux', 'x64', false), 'linux-x64');
  assert.equal(platformKey('linux', 'arm64', false), 'linux-arm64');
  assert.equal(platformKey('linux', 'x64', true), 'linux-x64-musl');
  assert.equal(platformKey('linux', 'arm64', true), 'linux-arm64-musl');
});

test('the mapped libc agrees with what the process report says', { skip: process.platform !== 'linux' }, () => {
  assert.equal(isMusl(), !process.report.getReport().header.glibcVersionRuntime);
});

const GIVEN = process.env.ENGAGELAB_PUSH_LIB ? 'ENGAGELAB_PUSH_LIB is set' : false;
test('the library is loaded from prebuilds/KEY of this process', { skip: GIVEN }, () => {
  const native = require('../lib/native.cjs');
  assert.equal(native.file, path.join(ROOT, 'prebuilds', platformKey(), SONAME));
});

test('without a prebuild for this process, the error names its key and what ships', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'engagelab-prebuild-'));
  try {
    fs.cpSync(path.join(ROOT, 'lib'), path.join(work, 'lib'), { recursive: true });
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(work, 'node_modules'));
    const other = platformKey() === 'linux-arm64-musl' ? 'linux-x64' : 'linux-arm64-musl';
    fs.mkdirSync(path.join(work, 'prebuilds', other), { recursive: true });
    fs.writeFileSync(path.join(work, 'prebuilds', other, SONAME), '');
    assert.deepEqual(shipped(path.join(work, 'prebuilds')), [other]);
    const env = { ...process.env };
    delete env.ENGAGELAB_PUSH_LIB;
    const run = spawnSync(process.execPath, ['-e', "require('./lib/native.cjs')"], { cwd: work, env, encoding: 'utf8' });
    assert.notEqual(run.status, 0);
    assert.ok(run.stderr.includes(`for ${platformKey()}; tried: `), run.stderr);
    assert.ok(run.stderr.includes(`This package ships it for ${other};`), run.stderr);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});
