'use strict';

// The bulk engine and user erasure over the C ABI (el_delete_devices_async,
// el_delete_devices_from_file_async, el_erase_users_async). A run starts on
// a thread the library starts for it and holds no libuv pool thread; the
// engine's own threads do the requests. The run's callbacks and then its
// completion are called by the library on the run's thread, and koffi relays
// each to the event loop (the run's thread waits for it): JS callbacks always
// run on the main thread. A run counts against the in-flight limit of calls
// (slots.cjs) and waits for a slot past it; one aborted while it waits is
// ended by the blocking call (el_delete_devices, ...), which its cancelled
// token ends before anything is sent. Nothing here decides anything.

const { koffi, C: NATIVE, lib, newError, copyError, OFF } = require('./native.cjs');
const { toError } = require('./errors.cjs');
const { EngageLabError } = require('./base.cjs');
const { hold, unhold, completions, nextId, complete } = require('./completions.cjs');
const { onAbort } = require('./abort.cjs');
const { submit, finished } = require('./slots.cjs');
const { cString, typeError, describe, checkString, checkCallOptions, BULK_OPTIONS } = require('./arguments.cjs');

const ElBulkProgress = koffi.struct('el_bulk_progress', {
  size: 'size_t',
  done: 'uint64_t',
  total: 'uint64_t',
  deleted: 'uint64_t',
  not_found: 'uint64_t',
  failed: 'uint64_t',
  invalid: 'uint64_t',
  duplicate: 'uint64_t',
  already_done: 'uint64_t',
  would_delete: 'uint64_t',
  rate_limited: 'uint64_t',
  elapsed_ms: 'uint64_t',
  in_flight: 'uint64_t',
  qps: 'double',
  interrupted: 'bool',
});
const ElBulkPlan = koffi.struct('el_bulk_plan', {
  size: 'size_t',
  entries: 'uint64_t',
  ids: 'uint64_t',
  dry_run: 'bool',
});
const ProgressFn = koffi.proto('void el_bulk_progress_fn(void *user_data, const void *progress)');
const ConfirmFn = koffi.proto('bool el_bulk_confirm_fn(void *user_data, const void *plan)');
const ResolvedFn = koffi.proto('void el_bulk_resolved_fn(void *user_data, const char *alias, const void *ids)');
const ElBulkOptions = koffi.struct('el_bulk_options', {
  size: 'size_t',
  qps: 'uint32_t',
  concurrency: 'uint32_t',
  max_deletions: 'uint64_t',
  dry_run: 'bool',
  journal: 'const char *',
  backup: 'const char *',
  report: 'const char *',
  on_progress: 'el_bulk_progress_fn *',
  confirm: 'el_bulk_confirm_fn *',
  user_data: 'void *',
  cancel: 'el_cancel *',
  on_resolved: 'el_bulk_resolved_fn *',
  stall_timeout_ms: 'uint64_t',
});
const ElBulkSummary = koffi.struct('el_bulk_summary', {
  size: 'size_t',
  error: 'uint32_t',
  entries: 'uint64_t',
  ids: 'uint64_t',
  deleted: 'uint64_t',
  not_found: 'uint64_t',
  failed: 'uint64_t',
  invalid: 'uint64_t',
  duplicate: 'uint64_t',
  already_done: 'uint64_t',
  would_delete: 'uint64_t',
  not_started: 'uint64_t',
  rate_limited: 'uint64_t',
  elapsed_ms: 'uint64_t',
  interrupted: 'bool',
  dry_run: 'bool',
  stopped: koffi.array('char', 256, 'String'),
});
koffi.opaque('el_erasure');

// The completions of the runs (el_bulk_done_fn, el_erasure_done_fn): the
// run's id as user_data, the summary and the el_error as addresses read
// during the callback only, the erasure owned by the callback.
const BulkDoneFn = koffi.proto(
  'void el_bulk_done_fn(uintptr_t user_data, uint32_t status, const void *summary, const void *error)',
);
const ErasureDoneFn = koffi.proto(
  'void el_erasure_done_fn(uintptr_t user_data, uint32_t status, el_erasure *erasure, const void *error)',
);

const C = {
  el_delete_devices_async: lib.func(
    'uint32_t el_delete_devices_async(const el_client *client, const char **ids, size_t count, const el_bulk_options *options, el_bulk_done_fn *done, uintptr_t user_data, void *out_error)',
  ),
  el_delete_devices_from_file_async: lib.func(
    'uint32_t el_delete_devices_from_file_async(const el_client *client, const char *path, const el_bulk_options *options, el_bulk_done_fn *done, uintptr_t user_data, void *out_error)',
  ),
  el_erase_users_async: lib.func(
    'uint32_t el_erase_users_async(const el_client *client, const char **aliases, size_t count, const el_bulk_options *options, el_erasure_done_fn *done, uintptr_t user_data, void *out_error)',
  ),
  el_delete_devices: lib.func(
    'uint32_t el_delete_devices(const el_client *client, const char **ids, size_t count, const el_bulk_options *options, _Inout_ el_bulk_summary *out_summary, void *out_error)',
  ),
  el_delete_devices_from_file: lib.func(
    'uint32_t el_delete_devices_from_file(const el_client *client, const char *path, const el_bulk_options *options, _Inout_ el_bulk_summary *out_summary, void *out_error)',
  ),
  el_erase_users: lib.func(
    'uint32_t el_erase_users(const el_client *client, const char **aliases, size_t count, const el_bulk_options *options, _Out_ el_erasure **out_erasure, void *out_error)',
  ),
  el_erasure_summary: lib.func('uint32_t el_erasure_summary(const el_erasure *erasure, _Inout_ el_bulk_summary *out_summary)'),
  el_erasure_is_success: lib.func('bool el_erasure_is_success(const el_erasure *erasure)'),
  el_erasure_user_count: lib.func('size_t el_erasure_user_count(const el_erasure *erasure)'),
  el_erasure_alias: lib.func('const char *el_erasure_alias(const el_erasure *erasure, size_t index)'),
  el_erasure_registration_ids: lib.func('const el_id_list *el_erasure_registration_ids(const el_erasure *erasure, size_t index)'),
  el_erasure_still_bound: lib.func('const el_id_list *el_erasure_still_bound(const el_erasure *erasure, size_t index)'),
  el_erasure_verify_error: lib.func('bool el_erasure_verify_error(const el_erasure *erasure, size_t index, void *out_error)'),
  el_erasure_free: lib.func('void el_erasure_free(el_erasure *erasure)'),
};

// One registered callback per kind for the life of the process, as in
// client.cjs: a run is told apart by its id.
const DONE = {
  bulk: koffi.register(
    (id, status, summary, error) => complete(id, status, summary, error, null),
    koffi.pointer(BulkDoneFn),
  ),
  erasure: koffi.register(
    (id, status, erasure, error) => complete(id, status, erasure, error, C.el_erasure_free),
    koffi.pointer(ErasureDoneFn),
  ),
};

/** The names of el_bulk_error, by code. */
const BULK_ERRORS = ['', 'GUARD', 'DECLINED', 'JOURNAL_MISMATCH', 'IO', 'JOURNAL_BUSY', 'WRITE_FAILED', 'INVALID_ARGUMENT', 'LOOKUP'];

/** A frozen summary from a decoded el_bulk_summary. */
function summaryOf(s) {
  return Object.freeze({
    entries: Number(s.entries),
    ids: Number(s.ids),
    deleted: Number(s.deleted),
    notFound: Number(s.not_found),
    failed: Number(s.failed),
    invalid: Number(s.invalid),
    duplicate: Number(s.duplicate),
    alreadyDone: Number(s.already_done),
    wouldDelete: Number(s.would_delete),
    notStarted: Number(s.not_started),
    rateLimited: Number(s.rate_limited),
    elapsed: Number(s.elapsed_ms),
    interrupted: s.interrupted,
    dryRun: s.dry_run,
    stopped: s.stopped === '' ? null : s.stopped,
  });
}

function idsOf(list) {
  const ids = [];
  const count = Number(NATIVE.el_id_list_count(list));
  for (let i = 0; i < count; i++) ids.push(NATIVE.el_id_list_get(list, i));
  return ids;
}

function emptySummary() {
  return { size: koffi.sizeof(ElBulkSummary) };
}

/**
 * The error of a failed run: the category's class; for a run the engine
 * refused or stopped, with `bulkError` (its kind: GUARD, IO, ...) and
 * `summary` (what was done) set on it.
 */
function failure(code, err, summary) {
  const e = toError(code, err);
  const kind = BULK_ERRORS[summary.error];
  if (summary.error !== 0) {
    Object.defineProperty(e, 'bulkError', { value: kind ?? `UNKNOWN(${summary.error})`, enumerable: true });
    Object.defineProperty(e, 'summary', { value: summaryOf(summary), enumerable: true });
  }
  return e;
}

/**
 * Checks the JavaScript types of the bulk options, as the other calls'
 * (arguments.cjs); returns them, {} when none were given.
 */
function checkBulkOptions(options) {
  const checked = checkCallOptions(options, BULK_OPTIONS);
  for (const key of ['journal', 'backup', 'report']) {
    if (checked[key] !== undefined) cString(checked[key], key);
  }
  return checked;
}

/**
 * Starts a run of `kind` with the C options of `opts`, once a slot is free
 * (slots.cjs): `kind.start(options, id, err)` starts it (an _async function
 * given the run's id as user_data, returning its status), and
 * `kind.finish(code, result, record)` gives what the promise resolves with
 * or throws what it rejects with, from the run's result (`kind.decode` of
 * what its completion got) and its el_error record. It runs in the run's
 * completion, on the event loop while the run's thread waits. The signal
 * cancels the run's token; a run still waiting for a slot when it aborts
 * is ended at once by `kind.now(options, err)` (the blocking call, which
 * the cancelled token ends before anything is read or sent: the core's own
 * summary of a run cancelled before it started), taking no slot. The
 * callbacks are registered for the run and unregistered once it has ended.
 * A callback that throws, or returns a promise that rejects, cancels the
 * run, and its exception rejects the promise once the run has ended (and
 * the promises its callbacks returned have settled), with what the run did
 * as its `summary`.
 * A run that did not start rejects with its error at once.
 */
function runBulk(opts, kind) {
  return new Promise((resolve, reject) => {
    const tokenOut = [null];
    const made = NATIVE.el_cancel_new(tokenOut);
    if (made !== 0) throw new EngageLabError('could not create a cancel token', { status: 'INTERNAL' });
    const token = tokenOut[0];
    let thrown;
    let ended = false;
    const stop = (e) => {
      if (thrown === undefined) thrown = e;
      if (!ended) NATIVE.el_cancel_cancel(token);
    };
    // The promises the callbacks returned (an async onProgress, ...): the run
    // settles once they have, and one that rejects is a callback that threw.
    const pending = new Set();
    const guard = (fn, fallback) => (...args) => {
      try {
        const r = fn(...args);
        if (r !== null && (typeof r === 'object' || typeof r === 'function') && typeof r.then === 'function') {
          const p = Promise.resolve(r).then(undefined, stop);
          pending.add(p);
          p.then(() => pending.delete(p));
        }
        return r;
      } catch (e) {
        stop(e);
        return fallback;
      }
    };
    const registered = [];
    const register = (fn, proto) => {
      const ptr = koffi.register(fn, koffi.pointer(proto));
      registered.push(ptr);
      return ptr;
    };
    const options = {
      size: koffi.sizeof(ElBulkOptions),
      qps: opts.qps ?? 0,
      concurrency: opts.concurrency ?? 0,
      max_deletions: opts.maxDeletions ?? 0,
      dry_run: opts.dryRun ?? false,
      journal: opts.journal ?? null,
      backup: opts.backup ?? null,
      report: opts.report ?? null,
      on_progress: null,
      confirm: null,
      user_data: null,
      cancel: token,
      on_resolved: null,
      stall_timeout_ms: opts.stallTimeout ?? 0,
    };
    // The callbacks are registered with koffi only once the run starts (or is
    // ended while it waits): koffi has 8192 registered callbacks for the
    // whole process, and thousands of runs may wait for a slot here.
    // Taken now, as the other options are: the caller may change its object later.
    const { onProgress, confirm, onResolved } = opts;
    const arm = () => {
      if (onProgress) {
        const f = onProgress;
        options.on_progress = register(
          guard((_, p) => {
            const r = koffi.decode(p, ElBulkProgress);
            return f(
              Object.freeze({
                done: Number(r.done),
                total: Number(r.total),
                deleted: Number(r.deleted),
                notFound: Number(r.not_found),
                failed: Number(r.failed),
                invalid: Number(r.invalid),
                duplicate: Number(r.duplicate),
                alreadyDone: Number(r.already_done),
                wouldDelete: Number(r.would_delete),
                rateLimited: Number(r.rate_limited),
                elapsed: Number(r.elapsed_ms),
                inFlight: Number(r.in_flight),
                qps: r.qps,
                interrupted: r.interrupted,
              }),
            );
          }, undefined),
          ProgressFn,
        );
      }
      if (confirm) {
        const f = confirm;
        const ask = guard((_, p) => {
          const r = koffi.decode(p, ElBulkPlan);
          return f(Object.freeze({ entries: Number(r.entries), ids: Number(r.ids), dryRun: r.dry_run }));
        }, false);
        // Only true confirms: a truthy 'n' must not delete, nor a promise.
        options.confirm = register((...args) => ask(...args) === true, ConfirmFn);
      }
      if (onResolved) {
        const f = onResolved;
        options.on_resolved = register(
          guard((_, alias, ids) => f(alias, idsOf(ids)), undefined),
          ResolvedFn,
        );
      }
    };
    const signal = opts.signal;
    let dequeue = null;
    let unlisten;
    // Only once the run has ended (its callbacks are never called after its
    // completion) may the callbacks and the token go.
    const cleanup = () => {
      ended = true;
      unlisten?.();
      for (const ptr of registered) koffi.unregister(ptr);
      NATIVE.el_cancel_free(token);
      unhold();
    };
    const settle = (code, result, record) => {
      let settled;
      try {
        settled = { value: kind.finish(code, result, record) };
      } catch (e) {
        settled = { error: e };
      }
      cleanup();
      const end = () => {
        if (thrown !== undefined) {
          let e = thrown;
          try {
            e = withSummary(thrown, settled);
          } catch {
            // A Proxy, a getter that throws: the exception as it is.
          }
          reject(e);
        } else if ('error' in settled) reject(settled.error);
        else resolve(settled.value);
      };
      if (pending.size === 0) end();
      else Promise.allSettled([...pending]).then(end);
    };
    const fail = (e) => {
      cleanup();
      reject(e);
    };
    /** Ends the run at once through the blocking call if it still waits for a slot. */
    const endWaiting = () => {
      if (dequeue === null || !dequeue()) return;
      dequeue = null;
      const err = newError();
      let ended;
      try {
        arm();
        ended = kind.now(options, err);
      } catch (e) {
        fail(e);
        return;
      }
      settle(ended[0], ended[1], err);
    };
    if (signal?.aborted) NATIVE.el_cancel_cancel(token);
    else if (signal !== undefined) {
      unlisten = onAbort(signal, () => {
        NATIVE.el_cancel_cancel(token);
        endWaiting();
      });
    }
    hold();
    dequeue = submit(() => {
      dequeue = null;
      const id = nextId();
      completions.set(id, (code, result, error) => {
        finished();
        let read;
        try {
          // The el_error is there on a failure only.
          read = [kind.decode(result), code === 0 ? null : copyError(error)];
        } catch (e) {
          fail(e);
          return;
        }
        settle(code, ...read);
      });
      const err = newError();
      let code;
      try {
        arm();
        code = kind.start(options, id, err);
      } catch (e) {
        completions.delete(id);
        throw e;
      }
      // Not started (a refused argument, no thread): the completion is never called.
      if (code !== 0) {
        completions.delete(id);
        finished();
        fail(toError(code, err));
      }
    }, fail);
    if (dequeue !== null && signal?.aborted) endWaiting();
  });
}

/**
 * A callback's exception with what the run did (`summary`: what the run
 * resolves with, or its error's summary), when it is an object that takes it.
 */
function withSummary(thrown, settled) {
  const summary = 'value' in settled ? settled.value : settled.error?.summary;
  if (summary !== undefined && thrown !== null && typeof thrown === 'object' && Object.isExtensible(thrown)) {
    // One whose `summary` cannot be redefined (the error of another run,
    // rethrown) keeps its own: defineProperty would throw, and the run's
    // promise would never settle.
    const own = Object.getOwnPropertyDescriptor(thrown, 'summary');
    if (own === undefined || own.configurable) {
      Object.defineProperty(thrown, 'summary', { value: summary, enumerable: true, configurable: true });
    }
  }
  return thrown;
}

/**
 * A delete run: `start` and `now` (see runBulk) given the client and the C
 * options, with the rest of their arguments in `args`.
 */
function deleteRun(start, now, args) {
  return {
    start: (options, id, err) => start(...args, options, DONE.bulk, id, err),
    now: (options, err) => {
      const summary = emptySummary();
      return [now(...args, options, summary, err), summary];
    },
    decode: (summary) => koffi.decode(summary, ElBulkSummary),
    finish: (code, s, record) => {
      if (code !== 0) throw failure(code, record, s);
      return summaryOf(s);
    },
  };
}

/**
 * A copy of the array of ids or aliases, each checked: a run that waits for
 * a slot reads its strings only when it starts, and the caller may have
 * reused its array by then (a copy made now is what was checked). Every
 * index is checked, holes included (C would get a NULL), and a NUL is
 * refused: it would cut a string short in C, and another device would be
 * deleted, another user erased.
 */
function copyStrings(array, what) {
  const copy = new Array(array.length);
  for (let i = 0; i < copy.length; i++) {
    const value = array[i];
    checkString(value, `${what}[${i}]`);
    copy[i] = cString(value, `${what}[${i}]`);
  }
  return copy;
}

/** client.deleteDevices(ids | {path}, options): see index.d.cts. */
function deleteDevices(ptr, input, opts) {
  if (Array.isArray(input)) {
    const ids = copyStrings(input, 'ids');
    return runBulk(opts, deleteRun(C.el_delete_devices_async, C.el_delete_devices, [ptr, ids, ids.length]));
  }
  if (input !== null && typeof input === 'object' && typeof input.path === 'string') {
    cString(input.path, 'path');
    return runBulk(
      opts,
      deleteRun(C.el_delete_devices_from_file_async, C.el_delete_devices_from_file, [ptr, input.path]),
    );
  }
  throw typeError(`ids must be an array of strings or { path: string }, got ${describe(input)}`);
}

/** client.eraseUsers(aliases, options): see index.d.cts. */
function eraseUsers(ptr, aliases, opts) {
  if (!Array.isArray(aliases)) throw typeError(`aliases must be an array of strings, got ${describe(aliases)}`);
  aliases = copyStrings(aliases, 'aliases');
  return runBulk(opts, {
    start: (options, id, err) =>
      C.el_erase_users_async(ptr, aliases, aliases.length, options, DONE.erasure, id, err),
    now: (options, err) => {
      const out = [null];
      return [C.el_erase_users(ptr, aliases, aliases.length, options, out, err), out[0]];
    },
    decode: (erasure) => erasure,
    finish: finishErasure,
  });
}

/** What an erasure resolves with, or its error; frees the erasure. */
function finishErasure(code, erasure, record) {
  try {
    const summary = emptySummary();
    if (erasure !== null) C.el_erasure_summary(erasure, summary);
    else summary.error = 0;
    if (code !== 0) throw failure(code, record, summary);
    const users = [];
    const count = Number(C.el_erasure_user_count(erasure));
    for (let i = 0; i < count; i++) {
      const bound = C.el_erasure_still_bound(erasure, i);
      const verify = newError();
      const failed = C.el_erasure_verify_error(erasure, i, verify);
      users.push(Object.freeze({
        alias: C.el_erasure_alias(erasure, i),
        registrationIds: Object.freeze(idsOf(C.el_erasure_registration_ids(erasure, i))),
        stillBound: bound === null ? null : Object.freeze(idsOf(bound)),
        verifyError: failed ? toError(verify.readUInt32LE(OFF.status), verify) : null,
      }));
    }
    return Object.freeze({
      ...summaryOf(summary),
      users: Object.freeze(users),
      isSuccess: C.el_erasure_is_success(erasure),
    });
  } finally {
    if (erasure !== null) C.el_erasure_free(erasure);
  }
}

module.exports = { deleteDevices, eraseUsers, checkBulkOptions, BULK_ERRORS };
