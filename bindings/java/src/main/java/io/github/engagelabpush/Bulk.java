package io.github.engagelabpush;

import com.sun.jna.Callback;
import com.sun.jna.CallbackReference;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The bulk calls of the C ABI ({@code el_delete_devices},
 * {@code el_delete_devices_from_file}, {@code el_erase_users}): the
 * {@code el_bulk_options} record in native memory (it holds pointers), the
 * callbacks as JNA callbacks, the {@code el_bulk_summary} record as a
 * {@code byte[]}. Layouts are x86_64 System V, as the header declares them.
 */
final class Bulk {
    private Bulk() {}

    static {
        Native.register(Bulk.class, Lib.LIBRARY);
    }

    static native int el_delete_devices(
            long client, Pointer ids, long count, Pointer options, byte[] summary, byte[] err);

    static native int el_delete_devices_from_file(
            long client, byte[] path, Pointer options, byte[] summary, byte[] err);

    static native int el_erase_users(
            long client, Pointer aliases, long count, Pointer options, long[] outErasure, byte[] err);

    static native int el_erasure_summary(long erasure, byte[] summary);

    static native byte el_erasure_is_success(long erasure);

    static native long el_erasure_user_count(long erasure);

    static native Pointer el_erasure_alias(long erasure, long index);

    static native long el_erasure_registration_ids(long erasure, long index);

    static native long el_erasure_still_bound(long erasure, long index);

    static native byte el_erasure_verify_error(long erasure, long index, byte[] err);

    static native void el_erasure_free(long erasure);

    // el_bulk_options
    static final int OPTIONS_SIZE = 104;
    // el_bulk_summary
    static final int SUMMARY_SIZE = 376;
    static final int OFF_STOPPED = 114;
    static final int STOPPED_LEN = 256;

    /** el_bulk_progress_fn. */
    public interface ProgressFn extends Callback {
        void invoke(Pointer user, Pointer progress);
    }

    /** el_bulk_confirm_fn: C bool, one byte. */
    public interface ConfirmFn extends Callback {
        byte invoke(Pointer user, Pointer plan);
    }

    /** el_bulk_resolved_fn. */
    public interface ResolvedFn extends Callback {
        void invoke(Pointer user, Pointer alias, Pointer ids);
    }

    /** The native options of one run and the first exception of a callback. */
    static final class Run {
        final Memory options = new Memory(OPTIONS_SIZE);
        final List<Object> keep = new ArrayList<>();
        /** The first exception a callback threw, checked ones included. */
        Throwable thrown;
        final long token;

        Run(BulkOptions o, long token) {
            this.token = token;
            options.clear();
            options.setLong(0, OPTIONS_SIZE);
            options.setInt(8, o.qps);
            options.setInt(12, o.concurrency);
            options.setLong(16, o.maxDeletions);
            options.setLong(96, o.stallTimeoutMillis);
            options.setByte(24, (byte) (o.dryRun ? 1 : 0));
            options.setPointer(32, path("journal", o.journal));
            options.setPointer(40, path("backup", o.backup));
            options.setPointer(48, path("report", o.report));
            if (o.onProgress != null) {
                ProgressFn f =
                        (user, p) ->
                                guarded(
                                        () ->
                                                o.onProgress.accept(
                                                        new BulkProgress(
                                                                p.getLong(8),
                                                                p.getLong(16),
                                                                p.getLong(24),
                                                                p.getLong(32),
                                                                p.getLong(40),
                                                                p.getLong(48),
                                                                p.getLong(56),
                                                                p.getLong(64),
                                                                p.getLong(72),
                                                                p.getLong(80),
                                                                p.getLong(88),
                                                                p.getLong(96),
                                                                p.getDouble(104),
                                                                p.getByte(112) != 0)));
                options.setPointer(56, callback(f));
            }
            if (o.confirm != null) {
                ConfirmFn f =
                        (user, p) -> {
                            boolean[] yes = {false};
                            guarded(
                                    () ->
                                            yes[0] =
                                                    o.confirm.test(
                                                            new BulkPlan(
                                                                    p.getLong(8),
                                                                    p.getLong(16),
                                                                    p.getByte(24) != 0)));
                            return (byte) (yes[0] ? 1 : 0);
                        };
                options.setPointer(64, callback(f));
            }
            options.setLong(80, token);
            if (o.onResolved != null) {
                ResolvedFn f =
                        (user, alias, ids) ->
                                guarded(() -> o.onResolved.accept(Lib.string(alias), ids(Pointer.nativeValue(ids))));
                options.setPointer(88, callback(f));
            }
        }

        private Pointer callback(Callback f) {
            keep.add(f);
            return CallbackReference.getFunctionPointer(f);
        }

        private Pointer path(String name, Path path) {
            if (path == null) {
                return null;
            }
            byte[] bytes = CStrings.of(name, path.toString());
            Memory m = new Memory(bytes.length);
            m.write(0, bytes, 0, bytes.length);
            keep.add(m);
            return m;
        }

        private void guarded(Runnable body) {
            try {
                body.run();
                if (Thread.currentThread().isInterrupted()) {
                    // The callback interrupted its own thread: stop now, not
                    // at the watchdog's next look.
                    Lib.el_cancel_cancel(token);
                }
            } catch (Throwable e) {
                // Throwable, not RuntimeException and Error: Kotlin, Scala or
                // a sneaky throw can raise a checked exception here, which JNA
                // would only log, the run going on.
                if (thrown == null) {
                    thrown = e;
                }
                Lib.el_cancel_cancel(token);
            }
        }

        void rethrow() {
            if (thrown != null) {
                throw Bulk.<RuntimeException>sneaky(thrown);
            }
        }
    }

    /** Throws {@code t} as it is, checked or not (the compiler sees a {@code T}). */
    @SuppressWarnings("unchecked")
    private static <T extends Throwable> T sneaky(Throwable t) throws T {
        throw (T) t;
    }

    /** The ids of an el_id_list the library owns (not freed). */
    static List<String> ids(long list) {
        long count = Lib.el_id_list_count(list);
        List<String> out = new ArrayList<>((int) count);
        for (long i = 0; i < count; i++) {
            out.add(Lib.string(Lib.el_id_list_get(list, i)));
        }
        return List.copyOf(out);
    }

    static byte[] newSummary() {
        byte[] s = new byte[SUMMARY_SIZE];
        ByteBuffer.wrap(s).order(ByteOrder.nativeOrder()).putLong(0, SUMMARY_SIZE);
        return s;
    }

    static BulkSummary summary(byte[] record) {
        ByteBuffer b = ByteBuffer.wrap(record).order(ByteOrder.nativeOrder());
        int end = OFF_STOPPED;
        while (end < OFF_STOPPED + STOPPED_LEN && record[end] != 0) {
            end++;
        }
        String stopped = end == OFF_STOPPED ? null : new String(record, OFF_STOPPED, end - OFF_STOPPED, StandardCharsets.UTF_8);
        return new BulkSummary(
                b.getLong(16),
                b.getLong(24),
                b.getLong(32),
                b.getLong(40),
                b.getLong(48),
                b.getLong(56),
                b.getLong(64),
                b.getLong(72),
                b.getLong(80),
                b.getLong(88),
                b.getLong(96),
                b.getLong(104),
                record[112] != 0,
                record[113] != 0,
                stopped);
    }

    static int errorKind(byte[] summary) {
        return ByteBuffer.wrap(summary).order(ByteOrder.nativeOrder()).getInt(8);
    }

    /** The exception of a failed run: BulkException when the engine refused or stopped it. */
    static RuntimeException failure(int status, byte[] err, byte[] summary) {
        EngageLabException cause = Lib.ErrorRecord.toException(status, err);
        int kind = errorKind(summary);
        if (kind == 0) {
            return cause;
        }
        BulkException.Kind[] kinds = BulkException.Kind.values();
        BulkException.Kind k = kind >= 1 && kind <= 8 ? kinds[kind - 1] : BulkException.Kind.UNKNOWN;
        return new BulkException(k, summary(summary), cause);
    }

    /** An operation of one run, given the native options. */
    interface Call {
        int invoke(Pointer options, byte[] err);
    }

    /**
     * Runs {@code call} with the options of {@code o}: a cancel token the
     * thread's interrupt cancels (through the watchdog), the callbacks
     * registered for the run. Returns the status; {@code err} is filled on
     * failure. A callback's exception is rethrown.
     */
    static int run(BulkOptions o, byte[] err, Call call) {
        long[] out = new long[1];
        int status = Lib.el_cancel_new(out);
        if (status != Lib.EL_OK) {
            throw Lib.ErrorRecord.toException(status, Lib.ErrorRecord.local(status, "could not create a cancel token"));
        }
        long token = out[0];
        try {
            Run run = new Run(o, token);
            Watchdog.Call registered = Watchdog.register(token);
            try {
                if (Thread.currentThread().isInterrupted()) {
                    Lib.el_cancel_cancel(token);
                }
                status = call.invoke(run.options, err);
            } finally {
                Watchdog.unregister(registered);
            }
            run.rethrow();
            java.lang.ref.Reference.reachabilityFence(run);
            return status;
        } finally {
            Lib.el_cancel_free(token);
        }
    }

    static BulkSummary deleteDevices(long client, List<String> ids, BulkOptions o) {
        String[] array = ids.toArray(new String[0]);
        Memory c = CStrings.array("ids", array);
        byte[] summary = newSummary();
        byte[] err = Lib.ErrorRecord.create();
        int status = run(o, err, (options, e) -> el_delete_devices(client, c, array.length, options, summary, e));
        java.lang.ref.Reference.reachabilityFence(c);
        if (status != Lib.EL_OK) {
            throw failure(status, err, summary);
        }
        return summary(summary);
    }

    static BulkSummary deleteDevicesFromFile(long client, Path path, BulkOptions o) {
        byte[] file = CStrings.of("path", path.toString());
        byte[] summary = newSummary();
        byte[] err = Lib.ErrorRecord.create();
        int status = run(o, err, (options, e) -> el_delete_devices_from_file(client, file, options, summary, e));
        if (status != Lib.EL_OK) {
            throw failure(status, err, summary);
        }
        return summary(summary);
    }

    static Erasure eraseUsers(long client, List<String> aliases, BulkOptions o) {
        String[] array = aliases.toArray(new String[0]);
        Memory c = CStrings.array("aliases", array);
        long[] out = new long[1];
        byte[] err = Lib.ErrorRecord.create();
        int status;
        try {
            status = run(o, err, (options, e) -> el_erase_users(client, c, array.length, options, out, e));
        } catch (Throwable e) {
            // A callback's exception (checked ones too), rethrown once the
            // run ended: the core still handed back an erasure (the run was
            // cancelled or declined), which is the caller's to free.
            if (out[0] != 0) {
                el_erasure_free(out[0]);
            }
            throw e;
        } finally {
            java.lang.ref.Reference.reachabilityFence(c);
        }
        long erasure = out[0];
        try {
            byte[] summary = newSummary();
            if (erasure != 0) {
                el_erasure_summary(erasure, summary);
            }
            if (status != Lib.EL_OK) {
                throw failure(status, err, summary);
            }
            List<ErasedUser> users = new ArrayList<>();
            long count = el_erasure_user_count(erasure);
            for (long i = 0; i < count; i++) {
                long bound = el_erasure_still_bound(erasure, i);
                byte[] verify = Lib.ErrorRecord.create();
                EngageLabException verifyError = null;
                if (el_erasure_verify_error(erasure, i, verify) != 0) {
                    int code = ByteBuffer.wrap(verify).order(ByteOrder.nativeOrder()).getInt(Lib.ErrorRecord.OFF_STATUS);
                    verifyError = Lib.ErrorRecord.toException(code, verify);
                }
                users.add(
                        new ErasedUser(
                                Lib.string(el_erasure_alias(erasure, i)),
                                ids(el_erasure_registration_ids(erasure, i)),
                                bound == 0 ? null : ids(bound),
                                verifyError));
            }
            return new Erasure(summary(summary), List.copyOf(users), el_erasure_is_success(erasure) != 0);
        } finally {
            if (erasure != 0) {
                el_erasure_free(erasure);
            }
        }
    }
}
