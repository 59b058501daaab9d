'use strict';

// Client: the Node face of el_client. Every network call runs on a koffi
// worker thread (libuv's thread pool) through `.async`, never on the event
// loop. Validation, categories, messages, the environment's rules, retries,
// deadlines and redaction are the core's: this file only checks JavaScript
// types and maps C results.

const { C, newError, readError, describeError, localError, newCallOptions } = require('./native.cjs');
const { EngageLabError } = require('./base.cjs');
const { CATEGORIES } = require('./errors.gen.cjs');

const inspect = Symbol.for('nodejs.util.inspect.custom');
const U32_MAX = 0xffff_ffff;

/** The error class of each C status code. */
const BY_CODE = new Map(CATEGORIES.map((c) => [c.code, c]));
const INVALID_ARGUMENT = CATEGORIES.find((c) => c.status === 'INVALID_ARGUMENT');
const CANCELLED = CATEGORIES.find((c) => c.status === 'CANCELLED');

/**
 * The error a failed C call reports, as its category's class: `record` is the
 * el_error the call filled, and the message is the core's sentence for it.
 */
function toError(code, record, cause) {
  const fields = readError(record);
  const category = BY_CODE.get(code);
  const status = category ? category.status : C.el_status_name(code);
  const f = {
    status,
    detail: fields.message,
    httpStatus: fields.httpStatus === 0 ? null : fields.httpStatus,
    apiCode: fields.apiCode === 0n ? null : Number(fields.apiCode),
    attempts: fields.attempts,
    retryAfter: fields.retryAfterMs === 0 ? null : fields.retryAfterMs,
    maybeDeleted: fields.maybeDeleted,
    cause,
  };
  // A code this binding does not know (a newer library) is still a failure.
  const ErrorClass = category ? category.ErrorClass : EngageLabError;
  const error = new ErrorClass(describeError(record), f);
  if (category === CANCELLED && cause !== undefined) {
    // What Node's own APIs give an aborted call, besides the class.
    Object.defineProperty(error, 'code', { value: 'ABORT_ERR', enumerable: true });
  }
  return error;
}

/**
 * An INVALID_ARGUMENT for what C strings cannot carry (the core never sees
 * the string, but describes the error).
 */
function nulError(what) {
  return toError(INVALID_ARGUMENT.code, localError(INVALID_ARGUMENT.code, `${what} contains a NUL character`));
}

function cString(value, what) {
  if (value.includes('\0')) throw nulError(what);
  return value;
}

function typeError(message) {
  const e = new TypeError(message);
  e.code = 'ERR_INVALID_ARG_TYPE';
  return e;
}

function rangeError(message) {
  const e = new RangeError(message);
  e.code = 'ERR_OUT_OF_RANGE';
  return e;
}

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `type ${typeof value}`;
}

function checkString(value, what) {
  if (typeof value !== 'string') throw typeError(`${what} must be a string, got ${describe(value)}`);
}

/** A whole number of milliseconds (or a count) that C can hold. */
function checkInteger(value, what, max) {
  if (typeof value !== 'number') throw typeError(`${what} must be a number, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw rangeError(`${what} must be a whole number from 0 to ${max}, got ${value}`);
  }
}

const OPTION_TYPES = {
  appKey: 'string',
  masterSecret: 'string',
  region: 'string',
  baseUrl: 'string',
  timeout: 'ms',
  connectTimeout: 'ms',
  maxRetries: 'u32',
  backoffBase: 'ms',
  backoffMax: 'ms',
  maxRetryAfter: 'ms',
  userAgent: 'string',
  proxy: 'string',
  caFile: 'string',
  allowInsecureHttp: 'boolean',
};

/**
 * Checks the JavaScript types of the constructor's options (values are the
 * core's); `credentials` says whether appKey and masterSecret must be there
 * (the constructor) or must not (fromEnv, which takes them from the
 * environment).
 */
function checkOptions(options, credentials) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw typeError(`options must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    const kind = OPTION_TYPES[key];
    const value = options[key];
    if (kind === undefined) {
      throw typeError(`options.${key} is not an option; the options are ${Object.keys(OPTION_TYPES).join(', ')}`);
    }
    if (value === undefined) continue;
    const what = `options.${key}`;
    if (kind === 'string') checkString(value, what);
    else if (kind === 'boolean') {
      if (typeof value !== 'boolean') throw typeError(`${what} must be a boolean, got ${describe(value)}`);
    } else checkInteger(value, what, kind === 'u32' ? U32_MAX : Number.MAX_SAFE_INTEGER);
  }
  if (credentials) {
    checkString(options.appKey, 'options.appKey');
    checkString(options.masterSecret, 'options.masterSecret');
  } else {
    for (const key of ['appKey', 'masterSecret']) {
      if (options[key] !== undefined) {
        throw typeError(
          `options.${key} cannot be given to fromEnv, which reads it from the environment; use new Client({ appKey, masterSecret, ... })`,
        );
      }
    }
  }
  if ((options.backoffBase === undefined) !== (options.backoffMax === undefined)) {
    throw typeError('options.backoffBase and options.backoffMax must be given together');
  }
}

/** Throws the error a failed C call reports. */
function check(code, err) {
  if (code !== 0) throw toError(code, err);
}

/** Builds an el_client from checked options; returns its address. */
function build(options) {
  const err = newError();
  const out = [null];
  check(
    C.el_config_new(cString(options.appKey, 'appKey'), cString(options.masterSecret, 'masterSecret'), out, err),
    err,
  );
  return configure(out[0], options);
}

/**
 * Applies the checked options (all but the credentials) to an el_config,
 * frees it and returns the address of the el_client built from it.
 */
function configure(config, options) {
  const err = newError();
  try {
    const set = (fn, ...args) => check(fn(config, ...args, err), err);
    if (options.region !== undefined) set(C.el_config_set_region, cString(options.region, 'region'));
    if (options.baseUrl !== undefined) set(C.el_config_set_base_url, cString(options.baseUrl, 'baseUrl'));
    if (options.timeout !== undefined) set(C.el_config_set_timeout_ms, options.timeout);
    if (options.connectTimeout !== undefined) set(C.el_config_set_connect_timeout_ms, options.connectTimeout);
    if (options.maxRetries !== undefined) set(C.el_config_set_max_retries, options.maxRetries);
    if (options.backoffBase !== undefined) set(C.el_config_set_backoff_ms, options.backoffBase, options.backoffMax);
    if (options.maxRetryAfter !== undefined) set(C.el_config_set_max_retry_after_ms, options.maxRetryAfter);
    if (options.userAgent !== undefined) set(C.el_config_set_user_agent, cString(options.userAgent, 'userAgent'));
    if (options.proxy !== undefined) set(C.el_config_set_proxy, cString(options.proxy, 'proxy'));
    if (options.caFile !== undefined) set(C.el_config_set_ca_file, cString(options.caFile, 'caFile'));
    if (options.allowInsecureHttp !== undefined) set(C.el_config_set_allow_insecure_http, options.allowInsecureHttp);
    const client = [null];
    check(C.el_client_new(config, client, err), err);
    return client[0];
  } finally {
    C.el_config_free(config);
  }
}

// At most this many calls are handed to koffi at once (koffi throws past its
// max_async_calls, 256 by default, shared by the whole process); the rest
// wait here, in order. koffi runs them on libuv's thread pool
// (UV_THREADPOOL_SIZE threads, 4 by default), one thread per call in flight.
const MAX_IN_FLIGHT = 64;
let inFlight = 0;
const waiting = [];

/** Runs `start` now or once a slot frees; `fail` gets what `start` throws. */
function submit(start, fail) {
  const run = () => {
    try {
      start();
    } catch (e) {
      finished();
      fail(e);
    }
  };
  if (inFlight < MAX_IN_FLIGHT) {
    inFlight++;
    run();
  } else {
    waiting.push(run);
  }
}

function finished() {
  const next = waiting.shift();
  if (next) next();
  else inFlight--;
}

/** How many el_clients are alive (for the tests of the finalizer). */
let live = 0;

/** The native side of a client, shared with the finalizer and pending calls. */
class Handle {
  constructor(ptr) {
    this.ptr = ptr;
    this.closed = false;
    this.calls = 0;
    live++;
  }

  /** Frees the el_client once closed and no call uses it. */
  release() {
    if (this.closed && this.calls === 0 && this.ptr !== null) {
      const ptr = this.ptr;
      this.ptr = null;
      C.el_client_free(ptr);
      live--;
    }
  }
}

const registry = new FinalizationRegistry((handle) => {
  handle.closed = true;
  handle.release();
});

function closedError() {
  const e = new Error('engagelab-push: this Client was closed; create a new Client');
  e.code = 'ERR_ENGAGELAB_CLIENT_CLOSED';
  return e;
}

const CALL_OPTIONS = new Set(['signal', 'timeout']);

/** Marks the constructor's argument as an el_client fromEnv built (module-private). */
const BUILT = Symbol('built');

class Client {
  #handle;
  #shown;

  /**
   * @param {object} options appKey and masterSecret, and optionally region or
   *   baseUrl, timeout, connectTimeout, backoffBase with backoffMax,
   *   maxRetryAfter (milliseconds), maxRetries, userAgent, proxy, caFile,
   *   allowInsecureHttp.
   */
  constructor(options) {
    let ptr;
    let shown;
    if (options !== null && typeof options === 'object' && options[BUILT] !== undefined) {
      ({ ptr, shown } = options[BUILT]);
    } else {
      checkOptions(options, true);
      ptr = build(options);
      shown = options;
    }
    this.#handle = new Handle(ptr);
    // Only what a person needs to tell clients apart: never the secret.
    this.#shown = {
      appKey: shown.appKey,
      ...(shown.baseUrl !== undefined ? { baseUrl: shown.baseUrl } : { region: shown.region ?? 'sgp' }),
    };
    registry.register(this, this.#handle, this.#handle);
  }

  /**
   * A client from ENGAGELAB_APP_KEY, ENGAGELAB_MASTER_SECRET and optionally
   * ENGAGELAB_REGION or ENGAGELAB_BASE_URL (not both), read by the core with
   * its own rules and messages (el_config_from_env, the Rust core's
   * ClientBuilder::from_env); `overrides` adds or replaces the other options
   * (the credentials come from the environment only).
   */
  static fromEnv(overrides = {}) {
    if (overrides === null || typeof overrides !== 'object' || Array.isArray(overrides)) {
      throw typeError(`overrides must be an object, got ${describe(overrides)}`);
    }
    checkOptions(overrides, false);
    const err = newError();
    const out = [null];
    check(C.el_config_from_env(out, err), err);
    const ptr = configure(out[0], overrides);
    // What inspect and toJSON show: the AppKey and target the core has just
    // accepted from the environment (it refused a region together with a
    // base URL), unless an override replaces the target.
    const env = (name) => process.env[name] || undefined;
    const shown = {
      appKey: env('ENGAGELAB_APP_KEY'),
      region: overrides.region ?? env('ENGAGELAB_REGION'),
      baseUrl: overrides.baseUrl ?? env('ENGAGELAB_BASE_URL'),
    };
    return new Client({ [BUILT]: { ptr, shown } });
  }

  /**
   * Deletes one device (DELETE /v4/devices/{registrationId}). Irreversible.
   * Resolves with undefined; rejects with an EngageLabError subclass, a
   * TypeError for a wrong argument type, or an Error with code
   * ERR_ENGAGELAB_CLIENT_CLOSED after close().
   *
   * @param {string} registrationId
   * @param {{signal?: AbortSignal, timeout?: number}} [options]
   * @returns {Promise<void>}
   */
  deleteDevice(registrationId, options) {
    return this.#call(DELETE, registrationId, options);
  }

  /**
   * Queries one device (GET /v4/devices/{registrationId}): the tags and alias
   * bound to it, and the whole answer. Query before deleting: check that the
   * id is the one meant, and keep `rawJson` as a backup. The same checks,
   * retries, deadline, signal and errors as deleteDevice (`maybeDeleted` is
   * always false); an unknown id is what EngageLab answers for it (ApiError
   * with HTTP 400 and code 27002, or NotFoundError).
   *
   * Resolves with a frozen Device: `registrationId`, `tags` (a frozen array,
   * empty when none), `alias` (a string, or null when none), `raw` (the
   * answer as a frozen object) and `rawJson` (the answer exactly as
   * received).
   *
   * @param {string} registrationId
   * @param {{signal?: AbortSignal, timeout?: number}} [options]
   * @returns {Promise<Device>}
   */
  getDevice(registrationId, options) {
    return this.#call(GET, registrationId, options);
  }

  /** Checks the arguments of a call and starts it on a worker thread. */
  #call(op, registrationId, options) {
    return new Promise((resolve, reject) => {
      if (typeof registrationId !== 'string') {
        throw typeError(`registrationId must be a string, got ${describe(registrationId)}`);
      }
      let signal;
      let timeout;
      if (options !== undefined) {
        if (options === null || typeof options !== 'object') {
          throw typeError(`options must be an object, got ${describe(options)}`);
        }
        for (const key of Object.keys(options)) {
          if (!CALL_OPTIONS.has(key)) throw typeError(`options.${key} is not an option; the options are signal, timeout`);
        }
        signal = options.signal;
        timeout = options.timeout;
        if (signal !== undefined && !(signal instanceof AbortSignal)) {
          throw typeError(`options.signal must be an AbortSignal, got ${describe(signal)}`);
        }
        if (timeout !== undefined) checkInteger(timeout, 'options.timeout', Number.MAX_SAFE_INTEGER);
      }
      const handle = this.#handle;
      if (handle.closed) throw closedError();
      const id = cString(registrationId, 'registration_id');
      handle.calls++;
      if (signal === undefined && timeout === undefined) {
        callPlain(op, handle, id, resolve, reject);
      } else {
        callWith(op, handle, id, signal, timeout, resolve, reject);
      }
    });
  }

  /**
   * Stops accepting calls and frees the native client once the calls in
   * flight have finished. Idempotent.
   */
  close() {
    const handle = this.#handle;
    if (handle.closed) return;
    handle.closed = true;
    registry.unregister(handle);
    handle.release();
  }

  /** Whether close() was called. */
  get closed() {
    return this.#handle.closed;
  }

  [Symbol.dispose ?? Symbol.for('nodejs.dispose')]() {
    this.close();
  }

  toJSON() {
    return { ...this.#shown, closed: this.#handle.closed };
  }

  [inspect](depth, options, inspectFn) {
    const body = (inspectFn ?? JSON.stringify)(this.toJSON(), options);
    return `Client ${body}`;
  }
}

/**
 * A call of the C ABI: its plain and per-call-options functions, and what a
 * success resolves with, from the out-parameter when it has one.
 */
const DELETE = {
  plain: (ptr, id, out, err, cb) => C.el_delete_device.async(ptr, id, err, cb),
  with: (ptr, id, options, out, err, cb) => C.el_delete_device_with.async(ptr, id, options, err, cb),
  result: () => undefined,
};
const GET = {
  plain: (ptr, id, out, err, cb) => C.el_get_device.async(ptr, id, out, err, cb),
  with: (ptr, id, options, out, err, cb) => C.el_get_device_with.async(ptr, id, options, out, err, cb),
  result: (out) => readDevice(out[0]),
};

/** Deep-freezes a value parsed from JSON. */
function freeze(value) {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) freeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * Copies an el_device into a frozen plain object and frees it: nothing of
 * the native device outlives this call.
 */
function readDevice(device) {
  try {
    const count = Number(C.el_device_tag_count(device));
    const tags = [];
    for (let i = 0; i < count; i++) tags.push(C.el_device_tag(device, i));
    const rawJson = C.el_device_raw_json(device);
    return Object.freeze({
      registrationId: C.el_device_registration_id(device),
      tags: Object.freeze(tags),
      alias: C.el_device_alias(device) ?? null,
      // The core checked it is one JSON object.
      raw: freeze(JSON.parse(rawJson)),
      rawJson,
    });
  } finally {
    C.el_device_free(device);
  }
}

/** Settles a finished call: its result, or the error its el_error describes. */
function settle(op, out, ffiError, code, err, cause, resolve, reject) {
  if (ffiError) reject(ffiError);
  else if (code !== 0) reject(toError(code, err, cause));
  else {
    try {
      resolve(op.result(out));
    } catch (e) {
      reject(e);
    }
  }
}

/** The plain call (no token, no options) on a worker thread. */
function callPlain(op, handle, id, resolve, reject) {
  const err = newError();
  const out = [null];
  submit(() => {
    op.plain(handle.ptr, id, out, err, (ffiError, code) => {
      finished();
      handle.calls--;
      handle.release();
      settle(op, out, ffiError, code, err, undefined, resolve, reject);
    });
  }, (e) => {
    handle.calls--;
    handle.release();
    reject(e);
  });
}

/** The call with options on a worker thread, with a cancel token tied to the signal. */
function callWith(op, handle, id, signal, timeout, resolve, reject) {
  const tokenOut = [null];
  const made = C.el_cancel_new(tokenOut);
  if (made !== 0) {
    handle.calls--;
    handle.release();
    reject(toError(made, localError(made, 'could not create a cancel token')));
    return;
  }
  const token = tokenOut[0];
  const onAbort = () => C.el_cancel_cancel(token);
  // An already-aborted signal cancels the token before the call: the core
  // then returns CANCELLED without sending anything.
  if (signal !== undefined) {
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  }
  const options = newCallOptions(token, timeout);
  const err = newError();
  const out = [null];
  submit(() => {
    op.with(handle.ptr, id, options, out, err, (ffiError, code) => {
      finished();
      if (signal !== undefined) signal.removeEventListener('abort', onAbort);
      // Only now, with the call returned, may the token go.
      C.el_cancel_free(token);
      handle.calls--;
      handle.release();
      const cause = code === CANCELLED.code && signal?.aborted ? signal.reason : undefined;
      settle(op, out, ffiError, code, err, cause, resolve, reject);
    });
  }, (e) => {
    if (signal !== undefined) signal.removeEventListener('abort', onAbort);
    C.el_cancel_free(token);
    handle.calls--;
    handle.release();
    reject(e);
  });
}

module.exports = { Client, toError, MAX_IN_FLIGHT, liveClients: () => live };
