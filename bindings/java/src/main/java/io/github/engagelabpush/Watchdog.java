package io.github.engagelabpush;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Turns {@link Thread#interrupt()} into {@code el_cancel_cancel}. A thread
 * blocked in a native call cannot see its interrupt, so each call registers
 * its thread and cancel token here, and one shared daemon thread looks at the
 * registered threads every {@value #POLL_MS} ms while any call runs, cancelling
 * the token of each one that was interrupted. The core then ends the call with
 * {@code EL_CANCELLED} within about 20 ms. When no call has run for a second the
 * daemon parks until the next one registers.
 */
final class Watchdog {
    private Watchdog() {}

    static final long POLL_MS = 10;
    private static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** One running call. */
    static final class Call {
        final Thread thread;
        final long token;
        /** Set (under the lock) once the native call returned: the token must not be cancelled. */
        private boolean done;

        Call(Thread thread, long token) {
            this.thread = thread;
            this.token = token;
        }

        synchronized void cancelIfRunning() {
            if (!done) {
                Lib.el_cancel_cancel(token);
            }
        }

        synchronized void finish() {
            done = true;
        }
    }

    private static final Set<Call> CALLS = ConcurrentHashMap.newKeySet();
    private static volatile boolean sleeping;
    private static volatile Thread thread;

    static Call register(long token) {
        Call call = new Call(Thread.currentThread(), token);
        CALLS.add(call);
        Thread daemon = thread;
        if (daemon == null) {
            try {
                daemon = start();
            } catch (Throwable e) {
                // The thread could not start ("unable to create native
                // thread", a SecurityException): the call fails and its token
                // is freed, so it must not stay registered for a watchdog
                // started later to cancel.
                unregister(call);
                throw e;
            }
        }
        if (sleeping) {
            LockSupport.unpark(daemon);
        }
        return call;
    }

    /** Marks the call returned (no cancel can reach its token afterwards) and forgets it. */
    static void unregister(Call call) {
        call.finish();
        CALLS.remove(call);
    }

    private static synchronized Thread start() {
        if (thread == null) {
            Thread t = new Thread(Watchdog::run, "engagelab-push-interrupt-watchdog");
            t.setDaemon(true);
            t.start();
            thread = t;
        }
        return thread;
    }

    private static void run() {
        long lastBusy = System.nanoTime();
        while (true) {
            Thread.interrupted(); // nobody should interrupt this thread; never spin if one does
            if (CALLS.isEmpty()) {
                if (System.nanoTime() - lastBusy > IDLE_NANOS) {
                    sleeping = true;
                    // Re-check after announcing the sleep: a call registered in
                    // between either is seen here or sees `sleeping` and unparks.
                    if (CALLS.isEmpty()) {
                        LockSupport.park(Watchdog.class);
                    }
                    sleeping = false;
                    lastBusy = System.nanoTime();
                    continue;
                }
            } else {
                lastBusy = System.nanoTime();
                try {
                    for (Call call : CALLS) {
                        if (call.thread.isInterrupted()) {
                            call.cancelIfRunning();
                        }
                    }
                } catch (Throwable e) {
                    // An OutOfMemoryError while the heap is full (the loop
                    // allocates its iterator): never let it end this thread,
                    // or no interrupt would cancel a call again. Look again
                    // at the next poll.
                }
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(POLL_MS));
        }
    }
}
