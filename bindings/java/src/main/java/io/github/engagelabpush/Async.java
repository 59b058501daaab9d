package io.github.engagelabpush;

import com.sun.jna.Callback;
import com.sun.jna.CallbackThreadInitializer;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.lang.ref.Reference;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;

/**
 * The asynchronous calls of the C ABI ({@code el_delete_device_async},
 * {@code el_get_device_async}, {@code el_get_alias_async}) as
 * {@link CompletableFuture}s completed on the library's threads.
 *
 * <p>Each started call is a {@link Call} in {@link #PENDING} under a key, the
 * {@code user_data} the C call hands back to one of three static callbacks
 * (one per kind). The callbacks are static fields, so JNA's native stubs are
 * never collected while a call is pending; the key, not a callback object per
 * call, tells the calls apart. Each call has its own cancel token, cancelled
 * by {@link Call#cancel(boolean)} and freed once the call ended; a device or
 * id list given to a callback is copied and freed there. Every native resource
 * of a call is released before its future completes.
 */
final class Async {
    private Async() {}

    /** {@code el_delete_done_fn}: {@code user_data}, status, {@code const el_error *}. */
    interface DeleteDone extends Callback {
        void invoke(long userData, int status, Pointer error);
    }

    /** {@code el_device_done_fn}: {@code user_data}, status, {@code el_device *}, {@code const el_error *}. */
    interface DeviceDone extends Callback {
        void invoke(long userData, int status, long device, Pointer error);
    }

    /** {@code el_alias_done_fn}: {@code user_data}, status, {@code el_id_list *}, {@code const el_error *}. */
    interface AliasDone extends Callback {
        void invoke(long userData, int status, long ids, Pointer error);
    }

    /** The calls started and not yet ended, by the key passed as {@code user_data}. */
    private static final ConcurrentHashMap<Long, Call<?>> PENDING = new ConcurrentHashMap<>();

    private static final AtomicLong NEXT_KEY = new AtomicLong(1);

    static final DeleteDone DELETE_DONE =
            new DeleteDone() {
                @Override
                public void invoke(long userData, int status, Pointer error) {
                    ended(userData, status, 0, error);
                }
            };

    static final DeviceDone DEVICE_DONE =
            new DeviceDone() {
                @Override
                public void invoke(long userData, int status, long device, Pointer error) {
                    ended(userData, status, device, error);
                }
            };

    static final AliasDone ALIAS_DONE =
            new AliasDone() {
                @Override
                public void invoke(long userData, int status, long ids, Pointer error) {
                    ended(userData, status, ids, error);
                }
            };

    /** The Java name of the library's threads while they run callbacks. */
    static final String THREAD_NAME = "engagelab-push-async";

    static {
        // By default JNA attaches a native thread to the JVM for each callback
        // and detaches it afterwards: a java.lang.Thread made and torn down per
        // completed call. The library runs a client's calls on at most
        // EL_ASYNC_THREADS threads it keeps for EL_ASYNC_IDLE_MS, so each stays
        // attached instead (detach false) and JNA detaches it when the native
        // thread exits. Daemon: a thread of the library, kept attached, never
        // holds the JVM open at exit.
        CallbackThreadInitializer threads = new CallbackThreadInitializer(true, false, THREAD_NAME);
        Native.setCallbackThreadInitializer(DELETE_DONE, threads);
        Native.setCallbackThreadInitializer(DEVICE_DONE, threads);
        Native.setCallbackThreadInitializer(ALIAS_DONE, threads);
    }

    /**
     * One kind of asynchronous call: {@code start} makes the C call (the
     * callback and key given) and returns its status; {@code read} copies what
     * a success gave (an {@code el_device} or {@code el_id_list}, 0 for a
     * delete) and frees it; {@code free} frees it uncopied.
     */
    interface Kind<T> {
        int start(long client, byte[] id, byte[] options, long key, byte[] err);

        T read(long result);

        void free(long result);
    }

    static final Kind<Void> DELETE =
            new Kind<>() {
                @Override
                public int start(long client, byte[] id, byte[] options, long key, byte[] err) {
                    return Lib.el_delete_device_async(client, id, options, DELETE_DONE, key, err);
                }

                @Override
                public Void read(long result) {
                    return null;
                }

                @Override
                public void free(long result) {}
            };

    static final Kind<Device> GET = of(
            (client, id, options, key, err) ->
                    Lib.el_get_device_async(client, id, options, DEVICE_DONE, key, err),
            Client::readDevice,
            Lib::el_device_free);

    /** The alias lookup on these platforms (none: every platform), checked as {@link CStrings#array} does. */
    static Kind<List<String>> alias(String[] platforms) {
        Memory names = CStrings.array("platforms", platforms);
        long count = platforms.length;
        return of(
                (client, alias, options, key, err) -> {
                    try {
                        return Lib.el_get_alias_async(
                                client, alias, names, count, options, ALIAS_DONE, key, err);
                    } finally {
                        Reference.reachabilityFence(names);
                    }
                },
                Client::readIds,
                Lib::el_id_list_free);
    }

    /** A C call's start, as {@link Kind#start}. */
    private interface Starter {
        int start(long client, byte[] id, byte[] options, long key, byte[] err);
    }

    /** A freeing of a native result. */
    private interface Free {
        void free(long result);
    }

    private static <T> Kind<T> of(Starter starter, LongFunction<T> read, Free free) {
        return new Kind<>() {
            @Override
            public int start(long client, byte[] id, byte[] options, long key, byte[] err) {
                return starter.start(client, id, options, key, err);
            }

            @Override
            public T read(long result) {
                return read.apply(result);
            }

            @Override
            public void free(long result) {
                if (result != 0) {
                    free.free(result);
                }
            }
        };
    }

    /**
     * Starts {@code kind} on the live client {@code client} for the id (or
     * alias) {@code value}, the argument {@code name}. A failure found before
     * the call started (a string C cannot carry, a refusal of the C call) is
     * the returned future's exception, set before this returns.
     */
    static <T> CompletableFuture<T> start(
            long client, String name, String value, long timeoutMs, Kind<T> kind) {
        byte[] id;
        try {
            id = CStrings.of(name, value);
        } catch (EngageLabException e) {
            return CompletableFuture.failedFuture(e);
        }
        long[] out = new long[1];
        int status = Lib.el_cancel_new(out);
        if (status != Lib.EL_OK) {
            return CompletableFuture.failedFuture(Lib.ErrorRecord.toException(
                    status, Lib.ErrorRecord.local(status, "could not create a cancel token")));
        }
        Call<T> call = new Call<>(out[0], kind);
        long key = NEXT_KEY.getAndIncrement();
        PENDING.put(key, call);
        byte[] err = Lib.ErrorRecord.create();
        try {
            status = kind.start(client, id, Lib.CallOptions.create(out[0], timeoutMs), key, err);
        } catch (RuntimeException | Error e) {
            // Not started (JNA failed before C ran): nothing will call back.
            PENDING.remove(key);
            call.freeToken();
            throw e;
        }
        if (status != Lib.EL_OK) {
            // Not started: no callback will come.
            PENDING.remove(key);
            call.freeToken();
            call.completeExceptionally(Lib.ErrorRecord.toException(status, err));
        }
        return call;
    }

    /** Whatever a callback of any kind was given: settles the call of {@code key}. */
    private static void ended(long key, int status, long result, Pointer error) {
        // The library's threads stay attached between calls (detach false):
        // an interrupt an earlier call's stage left set on this thread must
        // not reach this call's stages, as an executor clears it between
        // tasks.
        Thread.interrupted();
        Call<?> call = PENDING.remove(key);
        if (call == null) {
            return; // never: each started call ends once
        }
        call.end(status, result, error);
    }

    /** How many calls are pending: started and not yet ended (for tests). */
    static int pending() {
        return PENDING.size();
    }

    /**
     * One call's future. {@link #cancel(boolean)} also cancels the native call
     * through its token; the token is freed once the call ended, under this
     * object's lock, so no cancel ever reaches a freed token.
     */
    static final class Call<T> extends CompletableFuture<T> {
        private final Kind<T> kind;
        /** The cancel token; 0 once freed. Guarded by this. */
        private long token;
        /** The C status the call ended with, once it ended (for tests). */
        private final CompletableFuture<Integer> ended = new CompletableFuture<>();

        Call(long token, Kind<T> kind) {
            this.token = token;
            this.kind = kind;
        }

        /**
         * Cancels this future (standard {@link CompletableFuture} semantics:
         * {@code mayInterruptIfRunning} makes no difference) and, if that
         * cancelled it, the native call: it then ends within about 20 ms,
         * sending nothing more. A request already written may have acted.
         */
        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            boolean cancelled = super.cancel(mayInterruptIfRunning);
            if (cancelled) {
                cancelToken();
            }
            return cancelled;
        }

        private synchronized void cancelToken() {
            if (token != 0) {
                Lib.el_cancel_cancel(token);
            }
        }

        synchronized void freeToken() {
            Lib.el_cancel_free(token);
            token = 0;
        }

        /** The C status the call ended with, completed on the library's thread (tests). */
        CompletableFuture<Integer> ended() {
            return ended;
        }

        /**
         * Copies and frees what the callback was given, frees the token, then
         * completes the future (a no-op when it was cancelled).
         */
        void end(int status, long result, Pointer error) {
            T value = null;
            Throwable failure = null;
            try {
                if (status == Lib.EL_OK) {
                    if (result == 0 && kind != DELETE) {
                        failure = internal("the library reported success without a result");
                    } else {
                        value = kind.read(result);
                    }
                } else {
                    kind.free(result);
                    failure = failure(status, error);
                }
            } catch (Throwable t) {
                failure = t;
            } finally {
                freeToken();
            }
            ended.complete(status);
            if (failure != null) {
                completeExceptionally(failure);
            } else {
                complete(value);
            }
        }

        /** The exception of a failed call, from the record the callback was given. */
        private static EngageLabException failure(int status, Pointer error) {
            if (error == null) {
                return Lib.ErrorRecord.toException(
                        status, Lib.ErrorRecord.local(status, "the library gave no error record"));
            }
            byte[] record = new byte[Lib.ErrorRecord.SIZE];
            error.read(0, record, 0, record.length);
            return Lib.ErrorRecord.toException(status, record);
        }

        private static EngageLabException internal(String message) {
            int code = Status.INTERNAL.code();
            return Lib.ErrorRecord.toException(code, Lib.ErrorRecord.local(code, message));
        }
    }
}
