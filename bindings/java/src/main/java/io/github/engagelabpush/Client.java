package io.github.engagelabpush;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A client of EngageLab's Push REST API: its settings and a pool of
 * connections, in the Rust core behind the C ABI.
 *
 * <pre>{@code
 * try (Client client = Client.builder(appKey, masterSecret).region(Region.SGP).build()) {
 *     client.deleteDevice("1a0018970a5c4e0b");
 * } catch (NotFoundException e) {
 *     // not known to EngageLab
 * }
 * }</pre>
 *
 * <p><b>Threads.</b> A client is thread-safe: share one between all threads;
 * calls block the calling thread and share the connection pool.
 *
 * <p><b>Interrupts.</b> Interrupting a thread blocked in a call
 * ({@link #deleteDevice}, {@link #getDevice}, {@link #getAlias}) cancels it,
 * mid-request included: it throws {@link CancelledException}
 * within about 20 ms, and the thread's interrupt flag stays set (it is never
 * cleared). A thread that is already interrupted sends nothing and gets
 * {@link CancelledException} at once. Check {@link EngageLabException#maybeDeleted()}:
 * a request may have been written before the cancel.
 *
 * <p><b>Asynchronous calls.</b> {@link #deleteDeviceAsync}, {@link #getDeviceAsync}
 * and {@link #getAliasAsync} return a {@link CompletableFuture} at once and
 * run on the library's own threads (at most {@link Defaults#ASYNC_THREADS} per
 * client); {@code future.cancel} stops the call. A client closed while such
 * calls run lets them finish.
 *
 * <p><b>Lifetime.</b> {@link #close()} frees the native client; it is
 * idempotent and does not wait: calls already running finish normally, and the
 * native client is freed when the last of them returns. Any call after
 * {@code close()} throws {@link IllegalStateException}. A client that becomes
 * unreachable without being closed is freed by a {@link Cleaner}.
 */
public final class Client implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    private final Handle handle;
    private final Cleaner.Cleanable cleanable;
    private final String description;

    /** The per-call timeout of a call given none: the client's applies. */
    static final long NO_TIMEOUT = -1;

    private Client(long pointer) {
        this.handle = new Handle(pointer);
        this.cleanable = CLEANER.register(this, handle);
        // The core's own description; the settings never change afterwards.
        this.description = Lib.describeClient(pointer);
    }

    /** Starts configuring a client with the app's AppKey and Master Secret. */
    public static Builder builder(String appKey, String masterSecret) {
        return new Builder(appKey, masterSecret);
    }

    /**
     * A client configured from the environment, read by the core with its own
     * rules and messages ({@code el_config_from_env}, the Rust core's
     * {@code ClientBuilder::from_env}): {@code ENGAGELAB_APP_KEY},
     * {@code ENGAGELAB_MASTER_SECRET}, and optionally {@code ENGAGELAB_REGION}
     * (a {@link Region#code()}) or {@code ENGAGELAB_BASE_URL} (not
     * both), with the core's rule for empty variables and its default region.
     *
     * @throws InvalidArgumentException naming the variable that is missing or wrong
     */
    public static Client fromEnv() {
        byte[] err = Lib.ErrorRecord.create();
        long[] out = new long[1];
        Builder.check(Lib.el_config_from_env(out, err), err);
        long config = out[0];
        try {
            return Builder.create(config);
        } finally {
            Lib.el_config_free(config);
        }
    }

    /**
     * Deletes one device ({@code DELETE /v4/devices/{registration_id}}): its
     * tags, alias, device information and timezone. Irreversible; EngageLab
     * completes it asynchronously. Blocks until done, at most the client's
     * timeout; transient failures are retried as the error model says.
     *
     * @param registrationId the device's registration id
     * @throws NullPointerException if {@code registrationId} is null
     * @throws IllegalStateException if the client was closed
     * @throws EngageLabException on failure: the subclass of its category, e.g.
     *     {@link NotFoundException}; {@link CancelledException} when the thread
     *     was interrupted (its interrupt flag stays set)
     */
    public void deleteDevice(String registrationId) {
        call("registrationId", registrationId, NO_TIMEOUT, DELETE);
    }

    /**
     * {@link #deleteDevice(String)} with a deadline for this call when it is
     * shorter than the client's timeout (the earlier applies).
     *
     * A zero {@code timeout} is passed to the core, which fails the call
     * with {@link TimeoutException} ({@code attempts()} 0, nothing sent).
     *
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    public void deleteDevice(String registrationId, Duration timeout) {
        call("registrationId", registrationId, perCallMillis(timeout), DELETE);
    }

    /**
     * Queries one device ({@code GET /v4/devices/{registration_id}}): the tags
     * and alias bound to it, and the whole answer. Query before deleting: check
     * that the id is the one meant, and keep {@link Device#rawJson()} as a
     * backup. The id is checked and sent as {@link #deleteDevice(String)} does,
     * and the same errors, retries, deadline and interrupt handling apply;
     * reading is safe to repeat, so {@link EngageLabException#maybeDeleted()}
     * is always false. An unknown id is a {@link NotFoundException} (HTTP
     * 404, or EngageLab's HTTP 400 with code 27002).
     *
     * @param registrationId the device's registration id
     * @return the device, a copy that holds no native memory
     * @throws NullPointerException if {@code registrationId} is null
     * @throws IllegalStateException if the client was closed
     * @throws EngageLabException on failure, as {@link #deleteDevice(String)};
     *     {@link InvalidResponseException} for an answer that is not a device
     */
    public Device getDevice(String registrationId) {
        return call("registrationId", registrationId, NO_TIMEOUT, GET);
    }

    /**
     * {@link #getDevice(String)} with a deadline for this call when it is
     * shorter than the client's timeout (the earlier applies).
     *
     * A zero {@code timeout} is passed to the core, which fails the call
     * with {@link TimeoutException} ({@code attempts()} 0, nothing sent).
     *
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    public Device getDevice(String registrationId, Duration timeout) {
        return call("registrationId", registrationId, perCallMillis(timeout), GET);
    }

    /**
     * Resolves an alias ({@code GET /v4/aliases/{alias}}), the app's name for
     * its user: the registration ids of the devices bound to it. The first
     * step of erasing a user: delete each id, then resolve the alias again to
     * check that none is left. The alias is checked before anything is sent
     * (1 to {@link Defaults#MAX_ALIAS_LEN} bytes of UTF-8, no {@code /}, no control, whitespace or
     * invisible format character, not {@code .} or {@code ..}) and sent as one
     * escaped path segment. The same errors, retries, deadline and interrupt
     * handling apply as to {@link #getDevice(String)};
     * {@link EngageLabException#maybeDeleted()} is always false.
     *
     * @param alias the alias
     * @param platforms the platforms to look on: {@code "android"},
     *     {@code "ios"}, {@code "hmos"} (exactly so, lower case; one given
     *     twice counts once); none means every platform
     * @return the ids in the order EngageLab gave them, unmodifiable; empty
     *     when no device is bound to the alias
     * @throws NullPointerException if {@code alias}, {@code platforms} or one
     *     of its elements is null
     * @throws IllegalStateException if the client was closed
     * @throws EngageLabException on failure, as {@link #getDevice(String)}:
     *     {@link InvalidArgumentException} for a bad alias or platform (nothing
     *     sent); {@link InvalidResponseException} for an answer that is not a
     *     list of registration ids
     */
    public List<String> getAlias(String alias, String... platforms) {
        Objects.requireNonNull(alias, "alias");
        return call("alias", alias, NO_TIMEOUT, lookup(platforms));
    }

    /**
     * {@link #getAlias(String, String...)} with a deadline for this call when
     * it is shorter than the client's timeout (the earlier applies).
     *
     * A zero {@code timeout} is passed to the core, which fails the call
     * with {@link TimeoutException} ({@code attempts()} 0, nothing sent).
     *
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    public List<String> getAlias(String alias, Duration timeout, String... platforms) {
        Objects.requireNonNull(alias, "alias");
        return call("alias", alias, perCallMillis(timeout), lookup(platforms));
    }

    /**
     * {@link #deleteDevice(String)} without blocking: starts the call and
     * returns its future at once. The future completes on a thread of the
     * library (never the caller's, unless it failed before starting), with
     * {@code null} or, exceptionally, the {@link EngageLabException} subclass
     * {@code deleteDevice} would throw (unwrapped: {@code join()} wraps it in a
     * {@code CompletionException}, {@code get()} in an
     * {@code ExecutionException}). At most {@link Defaults#ASYNC_THREADS} calls of a
     * client run at once; later ones wait in order. The client's timeout counts
     * from this call, waiting included.
     *
     * <p>{@code future.cancel(...)} cancels the call: the future is cancelled
     * at once ({@code CancellationException}) and the call stops within about
     * 20 ms, sending nothing more. A request already written may still delete
     * the device (what {@link EngageLabException#maybeDeleted()} would say,
     * which a cancelled future cannot carry): query it with {@link #getDevice}
     * before acting on the cancel. Nothing else stops the call:
     * {@code complete}, {@code completeExceptionally} or {@code orTimeout} on
     * the future do not; use the timeout overload for a deadline.
     *
     * <p>Stages chained on the future without {@code Async} run on the
     * library's thread, which runs the next waiting call only after them:
     * keep them short, or chain with {@code thenApplyAsync(..., executor)}.
     *
     * @param registrationId the device's registration id
     * @return the call's future; failed already when the id holds a character
     *     C cannot carry (a NUL, a lone surrogate: {@link InvalidArgumentException})
     * @throws NullPointerException if {@code registrationId} is null
     * @throws IllegalStateException if the client was closed
     */
    public CompletableFuture<Void> deleteDeviceAsync(String registrationId) {
        return async("registrationId", registrationId, NO_TIMEOUT, Async.DELETE);
    }

    /**
     * {@link #deleteDeviceAsync(String)} with a deadline for this call when it
     * is shorter than the client's timeout (the earlier applies), counted from
     * this call, time spent waiting for a thread included.
     *
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    public CompletableFuture<Void> deleteDeviceAsync(String registrationId, Duration timeout) {
        return async("registrationId", registrationId, perCallMillis(timeout), Async.DELETE);
    }

    /**
     * {@link #getDevice(String)} without blocking, as
     * {@link #deleteDeviceAsync(String)} runs a delete: the future completes
     * on a thread of the library with the {@link Device} (a copy; the native
     * device is freed) or the exception {@code getDevice} would throw;
     * {@code cancel} stops the call.
     *
     * @throws NullPointerException if {@code registrationId} is null
     * @throws IllegalStateException if the client was closed
     */
    public CompletableFuture<Device> getDeviceAsync(String registrationId) {
        return async("registrationId", registrationId, NO_TIMEOUT, Async.GET);
    }

    /**
     * {@link #getDeviceAsync(String)} with a deadline for this call, as
     * {@link #deleteDeviceAsync(String, Duration)}.
     *
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    public CompletableFuture<Device> getDeviceAsync(String registrationId, Duration timeout) {
        return async("registrationId", registrationId, perCallMillis(timeout), Async.GET);
    }

    /**
     * {@link #getAlias(String, String...)} without blocking, as
     * {@link #deleteDeviceAsync(String)} runs a delete: the future completes
     * on a thread of the library with the ids (unmodifiable) or the exception
     * {@code getAlias} would throw; {@code cancel} stops the call. A bad
     * platform fails the future before this returns.
     *
     * @throws NullPointerException if {@code alias}, {@code platforms} or one
     *     of its elements is null
     * @throws IllegalStateException if the client was closed
     */
    public CompletableFuture<List<String>> getAliasAsync(String alias, String... platforms) {
        return aliasAsync(alias, NO_TIMEOUT, platforms);
    }

    /**
     * {@link #getAliasAsync(String, String...)} with a deadline for this call,
     * as {@link #deleteDeviceAsync(String, Duration)}.
     *
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    public CompletableFuture<List<String>> getAliasAsync(String alias, Duration timeout, String... platforms) {
        return aliasAsync(alias, perCallMillis(timeout), platforms);
    }

    private CompletableFuture<List<String>> aliasAsync(String alias, long timeoutMs, String[] platforms) {
        Objects.requireNonNull(alias, "alias");
        Async.Kind<List<String>> kind;
        try {
            kind = Async.alias(platforms);
        } catch (EngageLabException e) {
            return CompletableFuture.failedFuture(e);
        }
        return async("alias", alias, timeoutMs, kind);
    }

    /**
     * Starts {@code kind} for the id (or alias) {@code value}, the argument
     * {@code name}. The native client needs no hold past the start: its
     * asynchronous calls keep it alive until they end.
     */
    private <T> CompletableFuture<T> async(String name, String value, long timeoutMs, Async.Kind<T> kind) {
        Objects.requireNonNull(value, name);
        if (!handle.enter()) {
            throw new IllegalStateException("the client is closed");
        }
        try {
            return Async.start(handle.pointer, name, value, timeoutMs, kind);
        } finally {
            handle.exit();
            Reference.reachabilityFence(this);
        }
    }

    /** A per-call timeout in whole milliseconds, 0 included (the core's to judge). */
    private static long perCallMillis(Duration timeout) {
        return Builder.millis(Builder.nonNegative(timeout, "timeout"));
    }

    /**
     * One call of the C ABI that takes a client, an id (or an alias) and
     * per-call options: {@code invoke} makes it and returns its status,
     * {@code result} reads what a success returned.
     */
    private interface Operation<T> {
        int invoke(long client, byte[] id, byte[] options, long[] out, byte[] err);

        T result(long[] out);
    }

    private static final Operation<Void> DELETE =
            new Operation<>() {
                @Override
                public int invoke(long client, byte[] id, byte[] options, long[] out, byte[] err) {
                    return Lib.el_delete_device_with(client, id, options, err);
                }

                @Override
                public Void result(long[] out) {
                    return null;
                }
            };

    private static final Operation<Device> GET =
            new Operation<>() {
                @Override
                public int invoke(long client, byte[] id, byte[] options, long[] out, byte[] err) {
                    return Lib.el_get_device_with(client, id, options, out, err);
                }

                @Override
                public Device result(long[] out) {
                    return readDevice(out[0]);
                }
            };

    /** The alias lookup on these platforms (none: every platform). */
    private static Operation<List<String>> lookup(String[] platforms) {
        Memory names = CStrings.array("platforms", platforms);
        long count = platforms.length;
        return new Operation<>() {
            @Override
            public int invoke(long client, byte[] alias, byte[] options, long[] out, byte[] err) {
                return Lib.el_get_alias_with(client, alias, names, count, options, out, err);
            }

            @Override
            public List<String> result(long[] out) {
                return readIds(out[0]);
            }
        };
    }

    /**
     * Checks the setup with read-only calls before anything is deleted (it
     * cannot send a DELETE), as {@code engagelab-push check} does: a random
     * unknown id {@link Defaults#CHECK_ROUNDS} times (the median is the round trip) and a random
     * unknown alias. Refused credentials are not an exception: see {@link
     * CheckReport#credentialsAccepted()}. The client's timeout bounds the
     * whole check. Interrupting the thread cancels it.
     *
     * @throws IllegalStateException if the client was closed
     * @throws EngageLabException when a request got no answer
     */
    public CheckReport check() {
        return call("device", "", NO_TIMEOUT, checkOperation(false));
    }

    /**
     * {@link #check()}, also getting {@code device}, a registration id known
     * to exist, which must be found.
     *
     * @throws NullPointerException if {@code device} is null
     * @throws InvalidArgumentException for a bad id, the empty one included (nothing sent)
     */
    public CheckReport check(String device) {
        Objects.requireNonNull(device, "device");
        return call("device", device, NO_TIMEOUT, checkOperation(true));
    }

    /** el_check, given the device ({@code withDevice}: even "", which the core refuses) or none. */
    private static Operation<CheckReport> checkOperation(boolean withDevice) {
        return new Operation<>() {
            @Override
            public int invoke(long client, byte[] device, byte[] options, long[] out, byte[] err) {
                Memory text = null;
                if (withDevice) {
                    text = new Memory(device.length);
                    text.write(0, device, 0, device.length);
                }
                try {
                    long address = text == null ? 0 : Pointer.nativeValue(text);
                    return Lib.el_check(client, Lib.CheckOptions.create(address, options), out, err);
                } finally {
                    Reference.reachabilityFence(text);
                }
            }

            @Override
            public CheckReport result(long[] out) {
                return readCheck(out[0]);
            }
        };
    }

    /** Copies an {@code el_check_report} into a {@link CheckReport} and frees it. */
    private static CheckReport readCheck(long report) {
        try {
            byte[] summary = Lib.CheckSummary.create();
            int status = Lib.el_check_report_summary(report, summary);
            if (status != Lib.EL_OK) {
                throw Lib.ErrorRecord.toException(
                        status, Lib.ErrorRecord.local(status, "could not read the check report"));
            }
            ByteBuffer b = ByteBuffer.wrap(summary).order(ByteOrder.nativeOrder());
            long count = b.getLong(Lib.CheckSummary.OFF_FINDING_COUNT);
            List<CheckReport.Finding> findings = new ArrayList<>();
            for (long i = 0; i < count; i++) {
                findings.add(new CheckReport.Finding(
                        Lib.string(Lib.el_check_report_finding_code(report, i)),
                        Lib.string(Lib.el_check_report_finding_message(report, i))));
            }
            boolean hasSkew = b.get(Lib.CheckSummary.OFF_HAS_CLOCK_SKEW) != 0;
            return new CheckReport(
                    b.get(Lib.CheckSummary.OFF_CREDENTIALS_ACCEPTED) != 0,
                    Lib.string(Lib.el_check_report_base_url(report)),
                    Lib.string(Lib.el_check_report_address(report)),
                    Lib.string(Lib.el_check_report_tls_version(report)),
                    Duration.ofNanos(b.getLong(Lib.CheckSummary.OFF_RTT_US) * 1000),
                    hasSkew ? b.getLong(Lib.CheckSummary.OFF_CLOCK_SKEW_S) : null,
                    Short.toUnsignedInt(b.getShort(Lib.CheckSummary.OFF_UNKNOWN_DEVICE_HTTP_STATUS)),
                    b.getLong(Lib.CheckSummary.OFF_UNKNOWN_DEVICE_API_CODE),
                    findings,
                    Lib.string(Lib.el_check_report_json(report)));
        } finally {
            Lib.el_check_report_free(report);
        }
    }

    /** Copies an {@code el_id_list} into an unmodifiable list and frees it. */
    static List<String> readIds(long ids) {
        try {
            long count = Lib.el_id_list_count(ids);
            List<String> copy = new ArrayList<>((int) count);
            for (long i = 0; i < count; i++) {
                copy.add(Lib.string(Lib.el_id_list_get(ids, i)));
            }
            return List.copyOf(copy);
        } finally {
            Lib.el_id_list_free(ids);
        }
    }

    /** Copies an {@code el_device} into a {@link Device} and frees it. */
    static Device readDevice(long device) {
        try {
            long count = Lib.el_device_tag_count(device);
            List<String> tags = new ArrayList<>((int) count);
            for (long i = 0; i < count; i++) {
                tags.add(Lib.string(Lib.el_device_tag(device, i)));
            }
            return new Device(
                    Lib.string(Lib.el_device_registration_id(device)),
                    tags,
                    Lib.string(Lib.el_device_alias(device)),
                    Lib.string(Lib.el_device_raw_json(device)));
        } finally {
            Lib.el_device_free(device);
        }
    }

    /**
     * Deletes many devices through the core's bulk engine: paced, guarded,
     * optionally journaled (a rerun resumes), backed up and reported. An entry
     * that is not an id is counted invalid, a repeated id duplicate; neither is
     * sent. Failed ids and an interrupt are in the summary, not exceptions;
     * {@code Thread.interrupt()} stops the run (nothing more is sent; the
     * interrupt flag stays set). Callbacks run on this thread.
     *
     * @throws BulkException when the engine refuses the run (the guard, a
     *     declined confirm, a journal of other ids or in use, a file that cannot
     *     be opened: nothing sent) or stops it (a file that cannot be written)
     * @throws InvalidArgumentException when an id holds what a C string
     *     cannot carry (a NUL, a lone surrogate): the whole run is refused,
     *     nothing sent, as in every binding
     * @throws NullPointerException if {@code ids}, one of them or {@code options} is null
     */
    public BulkSummary deleteDevices(List<String> ids, BulkOptions options) {
        Objects.requireNonNull(ids, "ids");
        return bulk(options, pointer -> Bulk.deleteDevices(pointer, ids, options));
    }

    /** {@link #deleteDevices(List, BulkOptions)} over a file of ids, one per line, streamed. */
    public BulkSummary deleteDevices(Path file, BulkOptions options) {
        Objects.requireNonNull(file, "file");
        return bulk(options, pointer -> Bulk.deleteDevicesFromFile(pointer, file, options));
    }

    /**
     * Erases users by alias: each alias checked and resolved, every device
     * deleted through one bulk run (the guard counts them all), each alias
     * resolved again. Devices still bound are in the result
     * ({@link Erasure#isSuccess()} false); {@code Thread.interrupt()} stops it.
     *
     * @throws BulkException as {@link #deleteDevices(List, BulkOptions)}, and
     *     for a first lookup that fails (kind {@code LOOKUP}: nothing deleted)
     * @throws InvalidArgumentException when an alias holds a NUL or a lone
     *     surrogate, as {@link #deleteDevices(List, BulkOptions)}
     */
    public Erasure eraseUsers(List<String> aliases, BulkOptions options) {
        Objects.requireNonNull(aliases, "aliases");
        return bulk(options, pointer -> Bulk.eraseUsers(pointer, aliases, options));
    }

    private <T> T bulk(BulkOptions options, java.util.function.LongFunction<T> run) {
        Objects.requireNonNull(options, "options");
        if (!handle.enter()) {
            throw new IllegalStateException("the client is closed");
        }
        try {
            return run.apply(handle.pointer);
        } finally {
            handle.exit();
            Reference.reachabilityFence(this);
        }
    }

    /** Makes {@code operation} for the id (or alias) {@code value}, the argument named {@code name}. */
    private <T> T call(String name, String value, long timeoutMs, Operation<T> operation) {
        Objects.requireNonNull(value, name);
        if (!handle.enter()) {
            throw new IllegalStateException("the client is closed");
        }
        try {
            byte[] id = CStrings.of(name, value);
            long[] out = new long[1];
            int status = Lib.el_cancel_new(out);
            if (status != Lib.EL_OK) {
                throw Lib.ErrorRecord.toException(
                        status, Lib.ErrorRecord.local(status, "could not create a cancel token"));
            }
            long token = out[0];
            byte[] err = Lib.ErrorRecord.create();
            long[] result = new long[1];
            try {
                Watchdog.Call registered = Watchdog.register(token);
                try {
                    if (Thread.currentThread().isInterrupted()) {
                        // Already interrupted: the core sends nothing and says so.
                        Lib.el_cancel_cancel(token);
                    }
                    status =
                            operation.invoke(
                                    handle.pointer,
                                    id,
                                    Lib.CallOptions.create(token, timeoutMs),
                                    result,
                                    err);
                } finally {
                    Watchdog.unregister(registered);
                }
            } finally {
                Lib.el_cancel_free(token);
            }
            if (status != Lib.EL_OK) {
                throw Lib.ErrorRecord.toException(status, err);
            }
            return operation.result(result);
        } finally {
            handle.exit();
            Reference.reachabilityFence(this);
        }
    }

    /**
     * Frees the native client. Idempotent; does not wait for calls already
     * running (they finish, then the native client is freed).
     */
    @Override
    public void close() {
        cleanable.clean();
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return handle.isClosed();
    }

    /** The version of {@code libengagelab_push} loaded, e.g. {@code "0.1.0"}. */
    public static String libraryVersion() {
        return Lib.version();
    }

    /**
     * The core's description ({@code el_client_describe}: AppKey, region,
     * base URL, timeout, retries, proxy yes/no) and the state; never the
     * Master Secret.
     */
    @Override
    public String toString() {
        return "Client[" + description + (isClosed() ? ", closed]" : "]");
    }

    /**
     * The native client and the count of calls using it. The top bit of
     * {@code state} means closed; the rest counts running calls. The native
     * client is freed exactly once: by {@link #run()} (close or the Cleaner)
     * when no call runs, else by the last call to return.
     */
    private static final class Handle implements Runnable {
        private static final long CLOSED = 1L << 62;

        final long pointer;
        private final AtomicLong state = new AtomicLong();

        Handle(long pointer) {
            this.pointer = pointer;
        }

        boolean enter() {
            while (true) {
                long s = state.get();
                if ((s & CLOSED) != 0) {
                    return false;
                }
                if (state.compareAndSet(s, s + 1)) {
                    return true;
                }
            }
        }

        void exit() {
            if (state.decrementAndGet() == CLOSED) {
                Lib.el_client_free(pointer);
            }
        }

        boolean isClosed() {
            return (state.get() & CLOSED) != 0;
        }

        /** Close: run at most once, by {@link Cleaner.Cleanable#clean()} or the Cleaner. */
        @Override
        public void run() {
            long before = state.getAndAdd(CLOSED);
            if (before == 0) {
                Lib.el_client_free(pointer);
            }
        }
    }

    /**
     * The settings of a client. Settings not given keep the core's defaults
     * (listed in {@link Defaults}): region {@link Defaults#DEFAULT_REGION},
     * User-Agent {@code engagelab-push/VERSION}, no proxy. Null arguments throw
     * {@link NullPointerException}; values Java can hold but the C ABI cannot
     * (negative numbers) throw {@link IllegalArgumentException}; everything
     * else is checked by the core in {@link #build()}. A builder is not
     * thread-safe, and may build any number of clients.
     */
    public static final class Builder {
        private final String appKey;
        private final String masterSecret;
        private String region;
        private String baseUrl;
        private Long timeoutMs;
        private Long connectTimeoutMs;
        private Integer maxRetries;
        private Long backoffBaseMs;
        private Long backoffMaxMs;
        private Long maxRetryAfterMs;
        private String userAgent;
        private String proxy;
        private String caFile;
        private Boolean allowInsecureHttp;

        private Builder(String appKey, String masterSecret) {
            this.appKey = Objects.requireNonNull(appKey, "appKey");
            this.masterSecret = Objects.requireNonNull(masterSecret, "masterSecret");
        }

        /** The data center (default {@link Defaults#DEFAULT_REGION}); a {@link #baseUrl} overrides it. */
        public Builder region(Region region) {
            this.region = Objects.requireNonNull(region, "region").code();
            return this;
        }

        /**
         * The data center by its short name ({@link Region#code()}, any ASCII
         * case); an unknown name is reported by {@link #build()}.
         */
        public Builder region(String region) {
            this.region = Objects.requireNonNull(region, "region");
            return this;
        }

        /**
         * A custom base URL (a proxy, a legacy host, a test server); it overrides
         * the region. Plain {@code http://} is accepted only to loopback (through
         * a proxy, only one on loopback) unless {@link #allowInsecureHttp(boolean)}.
         */
        public Builder baseUrl(String baseUrl) {
            this.baseUrl = Objects.requireNonNull(baseUrl, "baseUrl");
            return this;
        }

        /** The overall deadline of one call, retries and waits included (default {@link Defaults#DEFAULT_TIMEOUT}). */
        public Builder timeout(Duration timeout) {
            this.timeoutMs = millis(nonNegative(timeout, "timeout"));
            return this;
        }

        /** The longest wait for one connection to be set up, TLS included (default {@link Defaults#DEFAULT_CONNECT_TIMEOUT}). */
        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeoutMs = millis(nonNegative(connectTimeout, "connectTimeout"));
            return this;
        }

        /** How many times a transient failure is retried (default {@link Defaults#DEFAULT_MAX_RETRIES}); 0 turns retries off. */
        public Builder maxRetries(int maxRetries) {
            if (maxRetries < 0) {
                throw new IllegalArgumentException("maxRetries must not be negative: " + maxRetries);
            }
            this.maxRetries = maxRetries;
            return this;
        }

        /**
         * The backoff before the first retry, doubled for each later one up to
         * {@code max}, each wait drawn at random below it (default {@link Defaults#DEFAULT_BACKOFF_BASE} and
         * {@link Defaults#DEFAULT_BACKOFF_MAX}).
         */
        public Builder backoff(Duration base, Duration max) {
            long baseMs = millis(nonNegative(base, "base"));
            long maxMs = millis(nonNegative(max, "max"));
            this.backoffBaseMs = baseMs;
            this.backoffMaxMs = maxMs;
            return this;
        }

        /** The longest server hint (Retry-After) waited for as given (default {@link Defaults#DEFAULT_MAX_RETRY_AFTER}). */
        public Builder maxRetryAfter(Duration maxRetryAfter) {
            this.maxRetryAfterMs = millis(nonNegative(maxRetryAfter, "maxRetryAfter"));
            return this;
        }

        /** The User-Agent header (default {@code engagelab-push/VERSION}). */
        public Builder userAgent(String userAgent) {
            this.userAgent = Objects.requireNonNull(userAgent, "userAgent");
            return this;
        }

        /**
         * A proxy URL ({@code http://} or {@code https://}, SOCKS refused; user
         * info allowed and never shown). Without it no proxy is used: the
         * {@code *_PROXY} variables and Java's proxy properties are ignored.
         */
        public Builder proxy(String proxyUrl) {
            this.proxy = Objects.requireNonNull(proxyUrl, "proxyUrl");
            return this;
        }

        /** A PEM file of extra root certificates, trusted beside the built-in Mozilla roots. */
        public Builder caFile(Path pemFile) {
            this.caFile = Objects.requireNonNull(pemFile, "pemFile").toString();
            return this;
        }

        /** Allows plain {@code http://} base URLs to hosts that are not loopback (default false). */
        public Builder allowInsecureHttp(boolean allow) {
            this.allowInsecureHttp = allow;
            return this;
        }

        /**
         * Builds a client, the core checking every setting.
         *
         * @throws InvalidArgumentException naming the setting that is wrong
         */
        public Client build() {
            byte[] err = Lib.ErrorRecord.create();
            long[] out = new long[1];
            check(
                    Lib.el_config_new(
                            CStrings.of("appKey", appKey),
                            CStrings.of("masterSecret", masterSecret),
                            out,
                            err),
                    err);
            long config = out[0];
            try {
                if (region != null) {
                    check(Lib.el_config_set_region(config, CStrings.of("region", region), err), err);
                }
                if (baseUrl != null) {
                    check(Lib.el_config_set_base_url(config, CStrings.of("baseUrl", baseUrl), err), err);
                }
                if (timeoutMs != null) {
                    check(Lib.el_config_set_timeout_ms(config, timeoutMs, err), err);
                }
                if (connectTimeoutMs != null) {
                    check(Lib.el_config_set_connect_timeout_ms(config, connectTimeoutMs, err), err);
                }
                if (maxRetries != null) {
                    check(Lib.el_config_set_max_retries(config, maxRetries, err), err);
                }
                if (backoffBaseMs != null) {
                    check(Lib.el_config_set_backoff_ms(config, backoffBaseMs, backoffMaxMs, err), err);
                }
                if (maxRetryAfterMs != null) {
                    check(Lib.el_config_set_max_retry_after_ms(config, maxRetryAfterMs, err), err);
                }
                if (userAgent != null) {
                    check(
                            Lib.el_config_set_user_agent(
                                    config, CStrings.of("userAgent", userAgent), err),
                            err);
                }
                if (proxy != null) {
                    check(Lib.el_config_set_proxy(config, CStrings.of("proxyUrl", proxy), err), err);
                }
                if (caFile != null) {
                    check(Lib.el_config_set_ca_file(config, CStrings.of("pemFile", caFile), err), err);
                }
                if (allowInsecureHttp != null) {
                    check(Lib.el_config_set_allow_insecure_http(config, allowInsecureHttp, err), err);
                }
                return create(config);
            } finally {
                Lib.el_config_free(config);
            }
        }

        /** The client built from {@code config}, which the caller frees. */
        static Client create(long config) {
            byte[] err = Lib.ErrorRecord.create();
            long[] out = new long[1];
            check(Lib.el_client_new(config, out, err), err);
            return new Client(out[0]);
        }

        static void check(int status, byte[] err) {
            if (status != Lib.EL_OK) {
                throw Lib.ErrorRecord.toException(status, err);
            }
        }

        static Duration nonNegative(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative()) {
                throw new IllegalArgumentException(name + " must not be negative: " + d);
            }
            return d;
        }

        /** Whole milliseconds, rounded up (so 1 ns is 1 ms, not 0), saturating. */
        static long millis(Duration d) {
            try {
                long ms = d.toMillis();
                return d.equals(Duration.ofMillis(ms)) ? ms : Math.addExact(ms, 1);
            } catch (ArithmeticException e) {
                return Long.MAX_VALUE;
            }
        }

        /**
         * The target given, if any, never the credentials, proxy or other
         * secrets (the defaults are the core's: see the built client's
         * {@link Client#toString()}).
         */
        @Override
        public String toString() {
            if (baseUrl != null) {
                return "Client.Builder[custom base URL]";
            }
            return region != null ? "Client.Builder[region=" + region + "]" : "Client.Builder[]";
        }
    }
}
