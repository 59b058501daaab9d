'use strict';

// The shipped types compile: `tsc --noEmit` over typed examples in ESM
// (examples/typed.mts) and CommonJS (examples/typed.cts), with the package
// resolved by its own name as a user's project resolves it. The examples use
// @ts-expect-error on wrong calls, so types that accepted anything would fail.

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const path = require('node:path');

test('tsc --noEmit passes over the typed examples', () => {
  const root = path.join(__dirname, '..');
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const out = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], { encoding: 'utf8', cwd: root });
  assert.equal(out.status, 0, `${out.stdout}${out.stderr}`);
});
