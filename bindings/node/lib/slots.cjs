'use strict';

// The in-flight limit every call and bulk run of this module shares. Each
// holds one of koffi's async slots (max_async_calls, 256 by default, shared
// by the whole process) while a callback of its, or its completion, waits
// to be relayed to the event loop, and koffi ends the process past the
// limit. A call has at most one relay pending (its completion), and so has
// a bulk run (its callbacks and its completion come one after another from
// its one thread). At most MAX_IN_FLIGHT run at once, leaving the rest of
// the slots to the host's own use of koffi; the others wait here, in order,
// holding no slot. The library itself runs at most 64 calls per client at
// once (EL_ASYNC_THREADS; a check and a bulk run have a thread of their
// own) and queues the rest, honouring their cancel token and deadline.

const MAX_IN_FLIGHT = 192;
let inFlight = 0;
/** What waits for a slot, in the order it came. */
const waiting = new Set();

/**
 * Runs `start` now or once a slot frees; `fail` gets what `start` throws.
 * Returns null when it started at once, else a function that takes it out
 * of the queue if it still waits and says whether it did. Whatever started
 * calls finished() once its last relay has run.
 */
function submit(start, fail) {
  const entry = () => {
    try {
      start();
    } catch (e) {
      finished();
      fail(e);
    }
  };
  if (inFlight < MAX_IN_FLIGHT) {
    inFlight++;
    entry();
    return null;
  }
  waiting.add(entry);
  return () => waiting.delete(entry);
}

/** Gives the slot of what ended to the first one waiting, if any. */
function finished() {
  const next = waiting.values().next();
  if (next.done) {
    inFlight--;
    return;
  }
  waiting.delete(next.value);
  next.value();
}

module.exports = { MAX_IN_FLIGHT, submit, finished };
