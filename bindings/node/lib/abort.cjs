'use strict';

// One 'abort' listener per AbortSignal for every call and run that waits on
// it, so that a signal shared by many pending calls stays far from Node's
// limit of listeners per EventTarget (a MaxListenersExceededWarning past 10).
// Node 20 offers a library no listener that does not count:
// events.addAbortListener adds an ordinary one, and a signal from
// AbortSignal.any, which would not count, is kept while its source lives.

/** For each signal waited on: its listener and the callbacks it calls. */
const bySignal = new WeakMap();

/**
 * Calls `callback` once when `signal` (not aborted yet) aborts. Returns a
 * function that stops waiting; the signal's listener goes with the last.
 */
function onAbort(signal, callback) {
  let waiting = bySignal.get(signal);
  if (waiting === undefined) {
    const callbacks = new Set();
    const listener = () => {
      bySignal.delete(signal);
      for (const call of callbacks) call();
    };
    waiting = { callbacks, listener };
    bySignal.set(signal, waiting);
    signal.addEventListener('abort', listener, { once: true });
  }
  // Its own function: the same callback given twice waits twice.
  const entry = () => callback();
  waiting.callbacks.add(entry);
  return () => {
    if (!waiting.callbacks.delete(entry) || waiting.callbacks.size > 0) return;
    if (bySignal.get(signal) === waiting) {
      bySignal.delete(signal);
      signal.removeEventListener('abort', waiting.listener);
    }
  };
}

module.exports = { onAbort };
