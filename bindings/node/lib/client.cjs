'use strict';

// Client: the Node face of el_client. Every network call runs on a koffi
// worker thread (libuv's thread pool) through `.async`, never on the event
// loop. Validation, categories, messages, the environment's rules, retries,
// deadlines and redaction are the core's: the binding only checks JavaScript
// types (arguments.cjs) and maps C results (errors.cjs, results.cjs).

const { C, CHECK_OPTIONS_SIZE, OPT, newError, localError, newCallOptions, describeClient } = require('./native.cjs');
const { toError, CANCELLED } = require('./errors.cjs');
const {
  typeError,
  describe,
  checkString,
  checkOptions,
  checkCallOptions,
  CALL_OPTIONS,
  ALIAS_OPTIONS,
  CHECK_OPTIONS,
  cString,
  platformList,
} = require('./arguments.cjs');
const { readDevice, readIds, readCheck } = require('./results.cjs');
const bulk = require('./bulk.cjs');

const inspect = Symbol.for('nodejs.util.inspect.custom');

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
  const e = new Error('engagelab-push: the client is closed; create a new Client');
  e.code = 'ERR_ENGAGELAB_CLIENT_CLOSED';
  return e;
}

/** Marks the constructor's argument as an el_client fromEnv built (module-private). */
const BUILT = Symbol('built');

class Client {
  #handle;
  #description;

  /**
   * @param {object} options appKey and masterSecret, and optionally region or
   *   baseUrl, timeout, connectTimeout, backoffBase with backoffMax,
   *   maxRetryAfter (milliseconds), maxRetries, userAgent, proxy, caFile,
   *   allowInsecureHttp.
   */
  constructor(options) {
    let ptr;
    if (options !== null && typeof options === 'object' && options[BUILT] !== undefined) {
      ptr = options[BUILT];
    } else {
      checkOptions(options, true);
      ptr = build(options);
    }
    this.#handle = new Handle(ptr);
    // The core's own description (never the secret); the settings never
    // change once built, so it is read once.
    this.#description = describeClient(ptr);
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
    return new Client({ [BUILT]: ptr });
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
   * always false); an unknown id is a NotFoundError (HTTP 404, or
   * EngageLab's HTTP 400 with code 27002).
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

  /**
   * Resolves an alias (GET /v4/aliases/{alias}), the app's name for its
   * user: the registration ids of the devices bound to it. The first step of
   * erasing a user: delete each id, then resolve the alias again to check
   * that none is left. `platforms` narrows the lookup ('android', 'ios',
   * 'hmos'); none means every platform. The same checks, retries, deadline,
   * signal and errors as getDevice (`maybeDeleted` is always false).
   *
   * Resolves with the ids in the order EngageLab gave them; [] when no device
   * is bound to the alias.
   *
   * @param {string} alias
   * @param {{signal?: AbortSignal, timeout?: number, platforms?: readonly string[]}} [options]
   * @returns {Promise<string[]>}
   */
  getAlias(alias, options) {
    return this.#call(ALIAS, alias, options);
  }

  /**
   * Checks the setup with read-only calls before anything is deleted (it
   * cannot send a DELETE), as `engagelab-push check` does: a random unknown
   * id 5 times (the median is the round trip), a random unknown alias, and
   * `options.device` if given. Refused credentials are not an error: see
   * `credentials_accepted`. Rejects with an InvalidArgumentError for a bad
   * device id (nothing sent), else the error of a request that got no answer;
   * the signal and timeout apply as to every call.
   *
   * Resolves with a frozen object of every fact, as `check --json` prints it:
   * `credentials_accepted`, `base_url`, `address`, `tls_version`, `rtt_ms`,
   * `clock_skew_s`, `rate_limit_headers`, `probes`, `findings`, ...
   *
   * @param {{signal?: AbortSignal, timeout?: number, device?: string}} [options]
   * @returns {Promise<CheckReport>}
   */
  check(options) {
    const device = options !== null && typeof options === 'object' ? options.device : undefined;
    return this.#call(CHECK, device ?? '', options);
  }

  /**
   * Deletes many devices through the core's bulk engine (paced, guarded,
   * journaled, backed up, reported): `ids` an array of strings, or
   * `{ path }` for a file of ids, one per line. See index.d.cts.
   *
   * @returns {Promise<object>} the summary
   */
  deleteDevices(ids, options) {
    return this.#bulk((ptr, checked) => bulk.deleteDevices(ptr, ids, checked), options);
  }

  /**
   * Erases users by alias: resolves, deletes through one bulk run, resolves
   * again. See index.d.cts.
   *
   * @returns {Promise<object>} the erasure
   */
  eraseUsers(aliases, options) {
    return this.#bulk((ptr, checked) => bulk.eraseUsers(ptr, aliases, checked), options);
  }

  /** Runs a bulk call on one worker thread, keeping the native client alive. */
  #bulk(run, options) {
    return new Promise((resolve, reject) => {
      const checked = bulk.checkBulkOptions(options);
      const handle = this.#handle;
      if (handle.closed) throw closedError();
      handle.calls++;
      const done = () => {
        handle.calls--;
        handle.release();
      };
      let running;
      try {
        running = run(handle.ptr, checked);
      } catch (e) {
        done();
        throw e;
      }
      running.then(
        (v) => {
          done();
          resolve(v);
        },
        (e) => {
          done();
          reject(e);
        },
      );
    });
  }

  /** Checks the arguments of a call and starts it on a worker thread. */
  #call(op, input, options) {
    return new Promise((resolve, reject) => {
      checkString(input, op.input);
      const checked = checkCallOptions(options, op.options);
      const handle = this.#handle;
      if (handle.closed) throw closedError();
      const args = op.args(input, checked);
      handle.calls++;
      const { signal, timeout } = checked;
      if (signal === undefined && timeout === undefined) {
        callPlain(op, handle, args, resolve, reject);
      } else {
        callWith(op, handle, args, signal, timeout, resolve, reject);
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

  /** The core's description (el_client_describe) and whether closed. */
  toJSON() {
    return { description: this.#description, closed: this.#handle.closed };
  }

  /** `Client(<the core's description>)`, with `, closed` once closed. */
  toString() {
    return `Client(${this.#description}${this.#handle.closed ? ', closed' : ''})`;
  }

  [inspect]() {
    return this.toString();
  }
}

/**
 * A call of the C ABI: the name of its string argument and the options it
 * takes, its C arguments from them (`args`), its plain and per-call-options
 * functions, and what a success resolves with, from the out-parameter when
 * it has one.
 */
const DELETE = {
  input: 'registrationId',
  options: CALL_OPTIONS,
  args: (id) => [cString(id, 'registration_id')],
  plain: (ptr, [id], out, err, cb) => C.el_delete_device.async(ptr, id, err, cb),
  with: (ptr, [id], options, out, err, cb) => C.el_delete_device_with.async(ptr, id, options, err, cb),
  result: () => undefined,
};
const GET = {
  input: 'registrationId',
  options: CALL_OPTIONS,
  args: DELETE.args,
  plain: (ptr, [id], out, err, cb) => C.el_get_device.async(ptr, id, out, err, cb),
  with: (ptr, [id], options, out, err, cb) => C.el_get_device_with.async(ptr, id, options, out, err, cb),
  result: (out) => readDevice(out[0]),
};
const ALIAS = {
  input: 'alias',
  options: ALIAS_OPTIONS,
  args: (alias, { platforms }) => [cString(alias, 'alias'), ...platformList(platforms)],
  plain: (ptr, [alias, platforms, count], out, err, cb) =>
    C.el_get_alias.async(ptr, alias, platforms, count, out, err, cb),
  with: (ptr, [alias, platforms, count], options, out, err, cb) =>
    C.el_get_alias_with.async(ptr, alias, platforms, count, options, out, err, cb),
  result: (out) => readIds(out[0]),
};

/** el_check's options record: the device (none for ''), a token and a deadline (given or not). */
function checkRecord(device, cancel, timeoutMs, hasTimeout) {
  return {
    size: CHECK_OPTIONS_SIZE,
    device: device === '' ? null : device,
    cancel,
    timeout_ms: timeoutMs,
    has_timeout: hasTimeout,
  };
}
const CHECK = {
  input: 'options.device',
  options: CHECK_OPTIONS,
  args: (device) => [cString(device, 'device')],
  plain: (ptr, [device], out, err, cb) => C.el_check.async(ptr, checkRecord(device, null, 0, false), out, err, cb),
  with: (ptr, [device], options, out, err, cb) => {
    const cancel = options.readBigUInt64LE(OPT.cancel);
    const timeout = options.readBigUInt64LE(OPT.timeout_ms);
    const given = options.readUInt8(OPT.has_timeout) !== 0;
    return C.el_check.async(ptr, checkRecord(device, cancel === 0n ? null : cancel, timeout, given), out, err, cb);
  },
  result: (out) => readCheck(out[0]),
};

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
function callPlain(op, handle, args, resolve, reject) {
  const err = newError();
  const out = [null];
  submit(() => {
    op.plain(handle.ptr, args, out, err, (ffiError, code) => {
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
function callWith(op, handle, args, signal, timeout, resolve, reject) {
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
    op.with(handle.ptr, args, options, out, err, (ffiError, code) => {
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

module.exports = { Client, MAX_IN_FLIGHT, liveClients: () => live };
