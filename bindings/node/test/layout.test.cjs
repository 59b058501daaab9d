'use strict';

// The binding's view of the C structs and status codes matches the header:
// el_error and el_call_options are compared with what a C compiler lays out
// from include/engagelab_push.h, and every generated class with the library's
// own el_status_name.

const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { REPO } = require('./support/mock.cjs');
const native = require('../lib/native.cjs');
const { CATEGORIES } = require('../lib/errors.gen.cjs');

const PROGRAM = `
#include <stddef.h>
#include <stdio.h>
#include "engagelab_push.h"
#define F(s, f) printf("\\"%s.%s\\": %zu,\\n", #s, #f, offsetof(s, f))
int main(void) {
  printf("{\\n");
  F(el_error, size); F(el_error, status); F(el_error, http_status); F(el_error, api_code);
  F(el_error, attempts); F(el_error, retry_after_ms); F(el_error, message); F(el_error, maybe_deleted);
  F(el_call_options, size); F(el_call_options, cancel); F(el_call_options, timeout_ms);
  F(el_call_options, has_timeout);
  printf("\\"el_error\\": %zu, \\"el_call_options\\": %zu, \\"EL_OK\\": %d, \\"EL_CANCELLED\\": %d\\n}\\n",
         sizeof(el_error), sizeof(el_call_options), (int)EL_OK, (int)EL_CANCELLED);
  return 0;
}
`;

function compiled() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'el-layout-'));
  try {
    fs.writeFileSync(path.join(dir, 'layout.c'), PROGRAM);
    const exe = path.join(dir, 'layout');
    execFileSync(process.env.CC || 'cc', ['-std=c99', '-I', path.join(REPO, 'include'), '-o', exe, path.join(dir, 'layout.c')]);
    return JSON.parse(execFileSync(exe, { encoding: 'utf8' }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('el_error and el_call_options match the C compiler', () => {
  const c = compiled();
  assert.equal(native.ERROR_SIZE, c.el_error);
  assert.equal(native.OPTIONS_SIZE, c.el_call_options);
  for (const [field, offset] of Object.entries(native.OFF)) assert.equal(offset, c[`el_error.${field}`], field);
  for (const [field, offset] of Object.entries(native.OPT)) assert.equal(offset, c[`el_call_options.${field}`], field);
  assert.equal(CATEGORIES.at(-1).code, c.EL_CANCELLED);
});

test('el_error has the x86_64 layout the binding documents', () => {
  if (process.arch !== 'x64') return;
  assert.deepEqual(native.OFF, {
    size: 0,
    status: 8,
    http_status: 12,
    api_code: 16,
    attempts: 24,
    retry_after_ms: 28,
    message: 32,
    maybe_deleted: 288,
  });
  assert.equal(native.ERROR_SIZE, 296);
});

test('every generated class has the name the library gives its code', () => {
  assert.equal(native.C.el_status_name(0), 'OK');
  for (const c of CATEGORIES) {
    assert.equal(native.C.el_status_name(c.code), c.status, c.ErrorClass.name);
    assert.equal(c.ErrorClass.STATUS, c.status);
    assert.equal(c.ErrorClass.CODE, c.code);
  }
  assert.equal(native.C.el_status_name(CATEGORIES.length + 1), 'UNKNOWN');
});

test('the loaded library is the one this package version expects, pinned against unloading', () => {
  assert.match(native.C.el_version(), /^0\.\d+\.\d+$/);
  assert.equal(native.pinned, true);
});
