'use strict';

// Client: the Node face of el_client. deleteDevice, getDevice, getAlias and
// check start on the library's own threads (el_*_async) and complete through
// a callback registered once with koffi, which relays it to the event loop;
// so do the bulk runs (bulk.cjs), each on a thread the library starts for it.
// No call holds a libuv pool thread or blocks the event loop.
// Validation, categories, messages, the environment's rules, retries,
// deadlines and redaction are the core's: the binding only checks JavaScript
// types (arguments.cjs) and maps C results (errors.cjs, results.cjs).

const {
  koffi,
  C,
  CHECK_OPTIONS_SIZE,
  OPT,
  DeleteDoneFn,
  DeviceDoneFn,
  AliasDoneFn,
  CheckDoneFn,
  newError,
  copyError,
  localError,
  newCallOptions,
  describeClient,
} = require('./native.cjs');
const { toError, CANCELLED } = require('./errors.cjs');
const {
  checkString,
  checkObject,
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
const { onAbort } = require('./abort.cjs');
const { hold, unhold, completions, nextId, complete } = require('./completions.cjs');
const { MAX_IN_FLIGHT, submit, finished } = require('./slots.cjs');

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

/** setTimeout's longest delay: a longer one fires at once. */
const MAX_DELAY = 0x7fff_ffff;

// The completions of the _async calls: one registered callback per kind for
// the life of the process, told apart by the call's id, its user_data
// (completions.cjs).
const DONE = {
  delete: koffi.register((id, status, error) => complete(id, status, null, error, null), koffi.pointer(DeleteDoneFn)),
  device: koffi.register(
    (id, status, device, error) => complete(id, status, device, error, C.el_device_free),
    koffi.pointer(DeviceDoneFn),
  ),
  alias: koffi.register(
    (id, status, ids, error) => complete(id, status, ids, error, C.el_id_list_free),
    koffi.pointer(AliasDoneFn),
  ),
  check: koffi.register(
    (id, status, report, error) => complete(id, status, report, error, C.el_check_report_free),
    koffi.pointer(CheckDoneFn),
  ),
};

/** How many el_clients are alive (for the tests of the finalizer). */
let live = 0;

/** The native side of a client, shared with the finalizer and pending calls. */
class Handle {
  constructor(ptr) {
    this.ptr = ptr;
    this.closed = false;
    this.calls = 0;
    /** The core's overall timeout of a call, in ms: a call waiting here counts its wait against it. */
    this.timeout = Number(C.el_client_timeout_ms(ptr));
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
    checkObject(overrides, 'overrides');
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
    // An empty device is a bad id (the core says so), not "no device".
    return device === undefined ? this.#call(CHECK_NO_DEVICE, '', options) : this.#call(CHECK, device, options);
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

  /** Runs a bulk call (on a thread of the library's), keeping the native client alive. */
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

  /** Checks the arguments of a call and starts it on the library's threads. */
  #call(op, input, options) {
    return new Promise((resolve, reject) => {
      checkString(input, op.input);
      const checked = checkCallOptions(options, op.options);
      const handle = this.#handle;
      if (handle.closed) throw closedError();
      const args = op.args(input, checked);
      handle.calls++;
      const { signal, timeout } = checked;
      callAsync(op, handle, args, signal, timeout, resolve, reject);
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
 * takes, its C arguments from them (`args`), its _async function (`start`:
 * options NULL or an el_call_options, the call's id as user_data), its
 * blocking function (`now`, for a call the core ends at once: its value in
 * `out[0]`) and what a success resolves with, from the value it returned
 * (freed).
 */
const DELETE = {
  input: 'registrationId',
  options: CALL_OPTIONS,
  args: (id) => [cString(id, 'registration_id')],
  start: (ptr, [id], options, user, err) => C.el_delete_device_async(ptr, id, options, DONE.delete, user, err),
  now: (ptr, [id], options, out, err) => C.el_delete_device_with(ptr, id, options, err),
  result: () => undefined,
};
const GET = {
  input: 'registrationId',
  options: CALL_OPTIONS,
  args: DELETE.args,
  start: (ptr, [id], options, user, err) => C.el_get_device_async(ptr, id, options, DONE.device, user, err),
  now: (ptr, [id], options, out, err) => C.el_get_device_with(ptr, id, options, out, err),
  result: (device) => readDevice(device),
};
const ALIAS = {
  input: 'alias',
  options: ALIAS_OPTIONS,
  args: (alias, { platforms }) => [cString(alias, 'alias'), ...platformList(platforms)],
  start: (ptr, [alias, platforms, count], options, user, err) =>
    C.el_get_alias_async(ptr, alias, platforms, count, options, DONE.alias, user, err),
  now: (ptr, [alias, platforms, count], options, out, err) =>
    C.el_get_alias_with(ptr, alias, platforms, count, options, out, err),
  result: (ids) => readIds(ids),
};

/**
 * el_check's options record from an el_call_options (NULL: none): the device
 * (none for null), the token and the deadline (given or not).
 */
function checkRecord(device, options) {
  const cancel = options === null ? 0n : options.readBigUInt64LE(OPT.cancel);
  return {
    size: CHECK_OPTIONS_SIZE,
    device,
    cancel: cancel === 0n ? null : cancel,
    timeout_ms: options === null ? 0 : options.readBigUInt64LE(OPT.timeout_ms),
    has_timeout: options === null ? false : options.readUInt8(OPT.has_timeout) !== 0,
  };
}
const CHECK = {
  input: 'options.device',
  options: CHECK_OPTIONS,
  args: (device) => [cString(device, 'device')],
  start: (ptr, [device], options, user, err) =>
    C.el_check_async(ptr, checkRecord(device, options), DONE.check, user, err),
  now: (ptr, [device], options, out, err) => C.el_check(ptr, checkRecord(device, options), out, err),
  result: (report) => readCheck(report),
};
/** check without a device. */
const CHECK_NO_DEVICE = { ...CHECK, args: () => [null] };

/**
 * An _async call (deleteDevice, getDevice, getAlias, check): a cancel token
 * tied to the signal when there is one, the per-call timeout, and a
 * completion that settles the promise on the event loop. The library's
 * threads run it; it waits here only past MAX_IN_FLIGHT. A waiting call whose
 * signal aborts or whose deadline passes leaves the queue and is ended by
 * the blocking call, its token cancelled or its timeout 0: the core then
 * fails it at once, with its own error and nothing sent, so it takes no
 * koffi slot and blocks nothing.
 */
function callAsync(op, handle, args, signal, timeout, resolve, reject) {
  let token = null;
  let unlisten;
  if (signal !== undefined) {
    const tokenOut = [null];
    const made = C.el_cancel_new(tokenOut);
    if (made !== 0) {
      handle.calls--;
      handle.release();
      reject(toError(made, localError(made, 'could not create a cancel token')));
      return;
    }
    token = tokenOut[0];
  }
  let dequeue = null;
  let timer;
  let queuedAt;
  // The deadline counts from the call, time waiting here included: the
  // per-call timeout or the client's, the earlier (as the core reckons it).
  const limit = Math.min(timeout ?? Infinity, handle.timeout);
  /** The timeout left, given as the call's own once it waited here. */
  const left = () =>
    queuedAt === undefined ? timeout : Math.max(0, limit - Math.floor(performance.now() - queuedAt));
  const callOptions = (ms) => (token === null && ms === undefined ? null : newCallOptions(token, ms));
  // The listener is added before the call starts, so an abort in between
  // still reaches the token; an already-aborted signal cancels the token
  // before the call: the core then ends it CANCELLED, nothing sent.
  if (signal?.aborted) C.el_cancel_cancel(token);
  else if (signal !== undefined) {
    unlisten = onAbort(signal, () => {
      C.el_cancel_cancel(token);
      endWaiting(left());
    });
  }
  let id = 0;
  const cleanUp = () => {
    if (timer !== undefined) clearTimeout(timer);
    unlisten?.();
    // Only now, with the call ended, may the token go.
    if (token !== null) C.el_cancel_free(token);
    handle.calls--;
    handle.release();
    unhold();
  };
  const fail = (e) => {
    completions.delete(id);
    cleanUp();
    reject(e);
  };
  /**
   * Settles the promise with how the call ended: `result` its value on
   * success (freed here), `record()` the el_error of a failure.
   */
  const settle = (code, result, record) => {
    let settled;
    try {
      if (code === 0) settled = { value: op.result(result) };
      else {
        const cause = code === CANCELLED.code && signal?.aborted ? signal.reason : undefined;
        settled = { error: toError(code, record(), cause) };
      }
    } catch (e) {
      settled = { error: e };
    }
    cleanUp();
    if ('error' in settled) reject(settled.error);
    else resolve(settled.value);
  };
  /** Ends the call at once through the blocking call if it still waits here. */
  const endWaiting = (ms) => {
    if (dequeue === null || !dequeue()) return;
    dequeue = null;
    const err = newError();
    const out = [null];
    let code;
    try {
      code = op.now(handle.ptr, args, callOptions(ms), out, err);
    } catch (e) {
      fail(e);
      return;
    }
    settle(code, out[0], () => err);
  };
  hold();
  dequeue = submit(() => {
    dequeue = null;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    const options = callOptions(left());
    id = nextId();
    // Runs on the event loop while the library's thread waits: the el_error
    // is read now, the result copied and freed now.
    completions.set(id, (code, result, error) => {
      finished();
      settle(code, result, () => copyError(error));
    });
    const err = newError();
    // Not started (a refused argument, no thread): `done` is never called.
    const code = op.start(handle.ptr, args, options, id, err);
    if (code !== 0) {
      finished();
      fail(toError(code, err));
    }
  }, fail);
  if (dequeue !== null) {
    // Waiting here, past MAX_IN_FLIGHT: ended at once if its signal has
    // aborted already, else when it aborts or its deadline passes.
    queuedAt = performance.now();
    if (signal?.aborted) endWaiting(left());
    else if (limit <= MAX_DELAY) {
      timer = setTimeout(() => endWaiting(0), limit);
    }
  }
}

module.exports = { Client, MAX_IN_FLIGHT, liveClients: () => live };
