'use strict';

// The C ABI of libengagelab_push (include/engagelab_push.h), loaded with koffi.
// Nothing here decides anything: it declares the functions and the layout of
// the two caller-allocated structs, el_error and el_call_options.

const fs = require('node:fs');
const path = require('node:path');
const koffi = require('koffi');
const { SONAME, PREBUILDS, isMusl, platformKey, shipped } = require('./prebuild.cjs');

const musl = isMusl();
/** prebuilds/KEY/ this process takes its library from (prebuild.cjs). */
const KEY = platformKey(process.platform, process.arch, musl);

/** Where the library is looked for, in order. */
function candidates() {
  const list = [];
  const given = process.env.ENGAGELAB_PUSH_LIB;
  if (given) {
    let isDir = false;
    try {
      isDir = fs.statSync(given).isDirectory();
    } catch {
      // Reported by koffi.load below, naming the path.
    }
    list.push(isDir ? path.join(given, SONAME) : given);
    return list;
  }
  list.push(path.join(PREBUILDS, KEY, SONAME));
  return list;
}

function load() {
  const tried = [];
  for (const file of candidates()) {
    if (!process.env.ENGAGELAB_PUSH_LIB && !fs.existsSync(file)) {
      tried.push(`${file} (missing)`);
      continue;
    }
    try {
      return { lib: koffi.load(file), file };
    } catch (e) {
      tried.push(`${file} (${e.message})`);
    }
  }
  const ships = shipped();
  throw new Error(
    `engagelab-push: cannot load the native library ${SONAME} for ${KEY}; ` +
      `tried: ${tried.join('; ')}. This package ships it for ${ships.length ? ships.join(', ') : 'no platform'}; ` +
      'elsewhere set ENGAGELAB_PUSH_LIB to the path of a libengagelab_push.so built with `cargo xtask lib --release`.',
  );
}

const { lib, file } = load();

// Keep the library, and koffi's own addon, mapped until the process ends.
// koffi dlcloses the library when Node tears the environment down, but
// threads that ran library code (the library's own threads of the _async
// calls and runs) exit after that and run the library's thread-local
// destructors: with the code unmapped, that is a segfault at exit. Node
// unloads koffi.node when the last environment that loaded it ends (a
// worker's, when the main thread never loaded it), while the library's
// thread that relayed a completion may still be returning through koffi's
// code: a segfault too. RTLD_NODELETE on an already loaded object
// (RTLD_NOLOAD) makes every later dlclose leave it in place.
// musl never unloads a library (its dlclose does nothing), so there both
// are kept already, and there is no libc.so.6 or libdl.so.2 to ask.
const RTLD_NOW = 0x2;
const RTLD_NOLOAD = 0x4;
const RTLD_NODELETE = 0x1000;

/** The path of koffi's addon as this process mapped it (/proc/self/maps), or null. */
function koffiAddon() {
  let maps = '';
  try {
    maps = fs.readFileSync('/proc/self/maps', 'utf8');
  } catch {
    return null;
  }
  const line = maps.split('\n').find((l) => l.endsWith('/koffi.node'));
  return line === undefined ? null : line.slice(line.indexOf('/'));
}

let pinned = musl;
if (process.platform === 'linux' && !musl) {
  const addon = koffiAddon();
  for (const name of ['libc.so.6', 'libdl.so.2']) {
    try {
      const dl = koffi.load(name);
      const dlopen = dl.func('void *dlopen(const char *file, int mode)');
      const pin = (object) => dlopen(object, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE) !== null;
      pinned = pin(file) && addon !== null && pin(addon);
      if (pinned) break;
    } catch {
      // Try the next name; an unpinned library still works until exit.
    }
  }
}

koffi.opaque('el_config');
koffi.opaque('el_client');
koffi.opaque('el_cancel');
koffi.opaque('el_device');
koffi.opaque('el_id_list');
koffi.opaque('el_check_report');

// The completions of the _async calls (el_delete_done_fn, el_device_done_fn,
// el_alias_done_fn, el_check_done_fn; bulk.cjs declares the bulk runs').
// user_data travels as an integer (a call's id, completions.cjs), the
// el_error as an address read during the callback only.
const DeleteDoneFn = koffi.proto('void el_delete_done_fn(uintptr_t user_data, uint32_t status, const void *error)');
const DeviceDoneFn = koffi.proto(
  'void el_device_done_fn(uintptr_t user_data, uint32_t status, el_device *device, const void *error)',
);
const AliasDoneFn = koffi.proto(
  'void el_alias_done_fn(uintptr_t user_data, uint32_t status, el_id_list *ids, const void *error)',
);
const CheckDoneFn = koffi.proto(
  'void el_check_done_fn(uintptr_t user_data, uint32_t status, el_check_report *report, const void *error)',
);

/** el_error, as the header declares it. */
const ElError = koffi.struct('el_error', {
  size: 'size_t',
  status: 'uint32_t',
  http_status: 'uint16_t',
  api_code: 'int64_t',
  attempts: 'uint32_t',
  retry_after_ms: 'uint32_t',
  message: koffi.array('char', 256, 'String'),
  maybe_deleted: 'bool',
});

/** el_call_options, as the header declares it. */
const ElCallOptions = koffi.struct('el_call_options', {
  size: 'size_t',
  cancel: 'el_cancel *',
  timeout_ms: 'uint64_t',
  has_timeout: 'bool',
});

/** el_check_options, as the header declares it; passed as an object. */
const ElCheckOptions = koffi.struct('el_check_options', {
  size: 'size_t',
  device: 'const char *',
  cancel: 'el_cancel *',
  timeout_ms: 'uint64_t',
  has_timeout: 'bool',
});
const CHECK_OPTIONS_SIZE = koffi.sizeof(ElCheckOptions);

const ERROR_SIZE = koffi.sizeof(ElError);
const OFF = {
  size: koffi.offsetof(ElError, 'size'),
  status: koffi.offsetof(ElError, 'status'),
  http_status: koffi.offsetof(ElError, 'http_status'),
  api_code: koffi.offsetof(ElError, 'api_code'),
  attempts: koffi.offsetof(ElError, 'attempts'),
  retry_after_ms: koffi.offsetof(ElError, 'retry_after_ms'),
  message: koffi.offsetof(ElError, 'message'),
  maybe_deleted: koffi.offsetof(ElError, 'maybe_deleted'),
};
const MESSAGE_LEN = 256;
const OPTIONS_SIZE = koffi.sizeof(ElCallOptions);
const OPT = {
  size: koffi.offsetof(ElCallOptions, 'size'),
  cancel: koffi.offsetof(ElCallOptions, 'cancel'),
  timeout_ms: koffi.offsetof(ElCallOptions, 'timeout_ms'),
  has_timeout: koffi.offsetof(ElCallOptions, 'has_timeout'),
};

// el_error and el_call_options travel as Buffers the binding owns ('void *'),
// so a successful call costs no struct conversion; they are decoded with the
// offsets above, which test/layout.test.cjs checks against a C compiler.
const C = {
  el_version: lib.func('const char *el_version(void)'),
  el_status_name: lib.func('const char *el_status_name(uint32_t status)'),
  el_config_new: lib.func(
    'uint32_t el_config_new(const char *app_key, const char *master_secret, _Out_ el_config **out_config, void *out_error)',
  ),
  el_config_from_env: lib.func('uint32_t el_config_from_env(_Out_ el_config **out_config, void *out_error)'),
  el_config_free: lib.func('void el_config_free(el_config *config)'),
  el_config_set_region: lib.func('uint32_t el_config_set_region(el_config *config, const char *region, void *out_error)'),
  el_config_set_base_url: lib.func(
    'uint32_t el_config_set_base_url(el_config *config, const char *base_url, void *out_error)',
  ),
  el_config_set_timeout_ms: lib.func(
    'uint32_t el_config_set_timeout_ms(el_config *config, uint64_t timeout_ms, void *out_error)',
  ),
  el_config_set_connect_timeout_ms: lib.func(
    'uint32_t el_config_set_connect_timeout_ms(el_config *config, uint64_t timeout_ms, void *out_error)',
  ),
  el_config_set_max_retries: lib.func(
    'uint32_t el_config_set_max_retries(el_config *config, uint32_t max_retries, void *out_error)',
  ),
  el_config_set_backoff_ms: lib.func(
    'uint32_t el_config_set_backoff_ms(el_config *config, uint64_t base_ms, uint64_t max_ms, void *out_error)',
  ),
  el_config_set_max_retry_after_ms: lib.func(
    'uint32_t el_config_set_max_retry_after_ms(el_config *config, uint64_t max_retry_after_ms, void *out_error)',
  ),
  el_config_set_user_agent: lib.func(
    'uint32_t el_config_set_user_agent(el_config *config, const char *user_agent, void *out_error)',
  ),
  el_config_set_proxy: lib.func('uint32_t el_config_set_proxy(el_config *config, const char *proxy_url, void *out_error)'),
  el_config_set_ca_file: lib.func('uint32_t el_config_set_ca_file(el_config *config, const char *pem_path, void *out_error)'),
  el_config_set_allow_insecure_http: lib.func(
    'uint32_t el_config_set_allow_insecure_http(el_config *config, bool allow, void *out_error)',
  ),
  el_client_new: lib.func('uint32_t el_client_new(const el_config *config, _Out_ el_client **out_client, void *out_error)'),
  el_client_free: lib.func('void el_client_free(el_client *client)'),
  el_delete_device: lib.func(
    'uint32_t el_delete_device(const el_client *client, const char *registration_id, void *out_error)',
  ),
  el_delete_device_with: lib.func(
    'uint32_t el_delete_device_with(const el_client *client, const char *registration_id, const void *options, void *out_error)',
  ),
  el_get_device: lib.func(
    'uint32_t el_get_device(const el_client *client, const char *registration_id, _Out_ el_device **out_device, void *out_error)',
  ),
  el_get_device_with: lib.func(
    'uint32_t el_get_device_with(const el_client *client, const char *registration_id, const void *options, _Out_ el_device **out_device, void *out_error)',
  ),
  el_device_registration_id: lib.func('const char *el_device_registration_id(const el_device *device)'),
  el_device_tag_count: lib.func('size_t el_device_tag_count(const el_device *device)'),
  el_device_tag: lib.func('const char *el_device_tag(const el_device *device, size_t index)'),
  el_device_alias: lib.func('const char *el_device_alias(const el_device *device)'),
  el_device_raw_json: lib.func('const char *el_device_raw_json(const el_device *device)'),
  el_device_free: lib.func('void el_device_free(el_device *device)'),
  el_get_alias: lib.func(
    'uint32_t el_get_alias(const el_client *client, const char *alias, const char **platforms, size_t platform_count, _Out_ el_id_list **out_ids, void *out_error)',
  ),
  el_get_alias_with: lib.func(
    'uint32_t el_get_alias_with(const el_client *client, const char *alias, const char **platforms, size_t platform_count, const void *options, _Out_ el_id_list **out_ids, void *out_error)',
  ),
  el_id_list_count: lib.func('size_t el_id_list_count(const el_id_list *ids)'),
  el_id_list_get: lib.func('const char *el_id_list_get(const el_id_list *ids, size_t index)'),
  el_id_list_free: lib.func('void el_id_list_free(el_id_list *ids)'),
  el_delete_device_async: lib.func(
    'uint32_t el_delete_device_async(const el_client *client, const char *registration_id, const void *options, el_delete_done_fn *done, uintptr_t user_data, void *out_error)',
  ),
  el_get_device_async: lib.func(
    'uint32_t el_get_device_async(const el_client *client, const char *registration_id, const void *options, el_device_done_fn *done, uintptr_t user_data, void *out_error)',
  ),
  el_get_alias_async: lib.func(
    'uint32_t el_get_alias_async(const el_client *client, const char *alias, const char **platforms, size_t platform_count, const void *options, el_alias_done_fn *done, uintptr_t user_data, void *out_error)',
  ),
  el_check: lib.func(
    'uint32_t el_check(const el_client *client, const el_check_options *options, _Out_ el_check_report **out_report, void *out_error)',
  ),
  el_check_async: lib.func(
    'uint32_t el_check_async(const el_client *client, const el_check_options *options, el_check_done_fn *done, uintptr_t user_data, void *out_error)',
  ),
  el_check_report_json: lib.func('const char *el_check_report_json(const el_check_report *report)'),
  el_check_report_free: lib.func('void el_check_report_free(el_check_report *report)'),
  el_cancel_new: lib.func('uint32_t el_cancel_new(_Out_ el_cancel **out_cancel)'),
  el_cancel_cancel: lib.func('void el_cancel_cancel(const el_cancel *cancel)'),
  el_cancel_is_cancelled: lib.func('bool el_cancel_is_cancelled(const el_cancel *cancel)'),
  el_cancel_free: lib.func('void el_cancel_free(el_cancel *cancel)'),
  el_error_describe: lib.func('size_t el_error_describe(const void *err, void *buf, size_t len)'),
  el_client_describe: lib.func('size_t el_client_describe(const el_client *client, void *buf, size_t len)'),
  el_client_timeout_ms: lib.func('uint64_t el_client_timeout_ms(const el_client *client)'),
};

/** A fresh el_error with its size set, as EL_ERROR_INIT does. */
function newError() {
  const buf = Buffer.alloc(ERROR_SIZE);
  buf.writeBigUInt64LE(BigInt(ERROR_SIZE), OFF.size);
  return buf;
}

/** The fields of a filled el_error. */
function readError(buf) {
  const raw = buf.subarray(OFF.message, OFF.message + MESSAGE_LEN);
  const nul = raw.indexOf(0);
  return {
    status: buf.readUInt32LE(OFF.status),
    httpStatus: buf.readUInt16LE(OFF.http_status),
    apiCode: buf.readBigInt64LE(OFF.api_code),
    attempts: buf.readUInt32LE(OFF.attempts),
    retryAfterMs: buf.readUInt32LE(OFF.retry_after_ms),
    message: raw.toString('utf8', 0, nul < 0 ? MESSAGE_LEN : nul),
    maybeDeleted: buf.readUInt8(OFF.maybe_deleted) !== 0,
  };
}

// koffi.decode(address, 'uint8_t', n) makes a new array type on every call,
// and koffi keeps every type it made: the types are made once per size here
// (the library's el_error has one size, so there is one).
const ERROR_BYTES = new Map();
function errorBytes(size) {
  let type = ERROR_BYTES.get(size);
  if (type === undefined) {
    type = koffi.array('uint8_t', size, 'Typed');
    ERROR_BYTES.set(size, type);
  }
  return type;
}

/**
 * A copy, in a Buffer like newError's, of the el_error at `address` (a
 * completion's record, valid only during the callback): the bytes within
 * both the library's `size` and this binding's.
 */
function copyError(address) {
  const buf = Buffer.alloc(ERROR_SIZE);
  const size = Math.min(Number(koffi.decode(address, 'size_t')), ERROR_SIZE);
  buf.set(koffi.decode(address, errorBytes(size)));
  // The size el_error_describe may read: no more than this Buffer holds.
  buf.writeBigUInt64LE(BigInt(size), OFF.size);
  return buf;
}

/**
 * The core's sentence for a filled el_error (el_error_describe): what the
 * error's `message` shows.
 */
function describeError(buf) {
  // The core's sentence fits in 512 bytes; a longer one is asked for again
  // with the length el_error_describe reported.
  let out = Buffer.alloc(512);
  for (;;) {
    const n = Number(C.el_error_describe(buf, out, out.length));
    if (n < out.length) return out.toString('utf8', 0, n);
    out = Buffer.alloc(n + 1);
  }
}

/**
 * The core's description of a live el_client (el_client_describe, with
 * el_error_describe's buffer convention): what inspect and toJSON show.
 */
function describeClient(client) {
  let out = Buffer.alloc(256);
  for (;;) {
    const n = Number(C.el_client_describe(client, out, out.length));
    if (n < out.length) return out.toString('utf8', 0, n);
    out = Buffer.alloc(n + 1);
  }
}

/**
 * An el_error the binding fills itself, for a failure it finds before
 * calling C (a NUL in a string): described by the core like any other.
 */
function localError(status, message) {
  const buf = newError();
  buf.writeUInt32LE(status, OFF.status);
  // At most MESSAGE_LEN - 1 bytes, cut on a character boundary, then the NUL.
  let bytes = Buffer.from(message, 'utf8');
  if (bytes.length > MESSAGE_LEN - 1) {
    let cut = MESSAGE_LEN - 1;
    while (cut > 0 && (bytes[cut] & 0xc0) === 0x80) cut--;
    bytes = bytes.subarray(0, cut);
  }
  bytes.copy(buf, OFF.message);
  return buf;
}

/**
 * An el_call_options holding a cancel token (a BigInt address) and a
 * deadline: given (0 included, the core's to judge) or undefined for none.
 */
function newCallOptions(cancel, timeoutMs) {
  const buf = Buffer.alloc(OPTIONS_SIZE);
  buf.writeBigUInt64LE(BigInt(OPTIONS_SIZE), OPT.size);
  buf.writeBigUInt64LE(cancel ?? 0n, OPT.cancel);
  if (timeoutMs !== undefined) {
    buf.writeBigUInt64LE(BigInt(timeoutMs), OPT.timeout_ms);
    buf.writeUInt8(1, OPT.has_timeout);
  }
  return buf;
}

module.exports = {
  koffi,
  lib,
  pinned,
  C,
  CHECK_OPTIONS_SIZE,
  file,
  ElError,
  ElCallOptions,
  ERROR_SIZE,
  OPTIONS_SIZE,
  OFF,
  OPT,
  DeleteDoneFn,
  DeviceDoneFn,
  AliasDoneFn,
  CheckDoneFn,
  newError,
  copyError,
  readError,
  describeError,
  describeClient,
  localError,
  newCallOptions,
};
