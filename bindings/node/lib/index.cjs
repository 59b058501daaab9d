'use strict';

// engagelab-push: a client for EngageLab's Push REST API over the Rust core's
// C ABI (libengagelab_push), loaded with koffi.

const { EngageLabError } = require('./base.cjs');
const errors = require('./errors.gen.cjs');
const { Client } = require('./client.cjs');
const native = require('./native.cjs');

/** The version of the native library actually loaded, e.g. "0.1.0". */
function nativeVersion() {
  return native.C.el_version();
}

const exported = { Client, EngageLabError, nativeVersion };
for (const c of errors.CATEGORIES) exported[c.ErrorClass.name] = c.ErrorClass;

module.exports = exported;
