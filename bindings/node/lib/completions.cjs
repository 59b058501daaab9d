'use strict';

// The completions of the C ABI's _async calls, shared by client.cjs (the
// single calls and check) and bulk.cjs (the bulk runs). Each kind of
// completion has one callback registered with koffi for the life of the
// process (a registered callback must outlive every call given it); a call
// is told apart by its id, passed as user_data, and koffi relays the
// completion from the library's thread to the event loop, the library's
// thread waiting for it.

// A started _async call is not a libuv handle, and koffi's relay of its
// completion is unref'd: while any is pending, this timer holds the event
// loop open (as a libuv work request would), and it is unref'd once
// none is, so a script whose calls have all finished exits by itself.
let pendingCalls = 0;
let keepAlive = null;
function hold() {
  if (pendingCalls++ > 0) return;
  if (keepAlive === null) keepAlive = setInterval(() => {}, 0x7fffffff);
  else keepAlive.ref();
}
function unhold() {
  if (--pendingCalls === 0) keepAlive.unref();
}

/** What settles each started call, by its id. */
const completions = new Map();
let lastId = 0;

function nextId() {
  do lastId = lastId >= 0x7fffffff ? 1 : lastId + 1;
  while (completions.has(lastId));
  return lastId;
}

/**
 * Runs the completion of call `id` on the event loop, while the library's
 * thread waits: `result` and `error` (addresses) are valid only now, unless
 * `result` is owned by the completion. Nothing may throw back into koffi; an
 * owned result nobody waits for is given to `free` (null: not owned).
 */
function complete(id, status, result, error, free) {
  const settle = completions.get(Number(id));
  if (settle === undefined) {
    if (result !== null && free !== null) free(result);
    return;
  }
  completions.delete(Number(id));
  try {
    settle(status, result, error);
  } catch {
    // settle catches what it calls; nothing is left to report it to.
  }
}

module.exports = { hold, unhold, completions, nextId, complete };
