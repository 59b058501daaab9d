package io.github.engagelabpush;

import java.nio.file.Path;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The settings of {@link Client#deleteDevices(List, BulkOptions)},
 * {@link Client#deleteDevices(Path, BulkOptions)} and
 * {@link Client#eraseUsers(List, BulkOptions)}; an unset number takes the
 * core's default. A mutable builder: each setter returns {@code this}.
 *
 * <p>Callbacks run on the thread that called, one at a time, before the call
 * returns. An exception a callback throws stops the run (nothing more is
 * sent; a confirm that throws says no) and is rethrown once the run ended,
 * as it is: a checked exception too (thrown from Kotlin, say).
 */
public final class BulkOptions {
    int qps;
    int concurrency;
    long maxDeletions;
    long stallTimeoutMillis;
    boolean dryRun;
    Path journal;
    Path backup;
    Path report;
    Consumer<BulkProgress> onProgress;
    Predicate<BulkPlan> confirm;
    BiConsumer<String, List<String>> onResolved;

    /** Requests per second, GET and DELETE together (default {@link Defaults#DEFAULT_QPS}). */
    public BulkOptions qps(int qps) {
        this.qps = positive("qps", qps);
        return this;
    }

    /** The most requests in flight (default: qps, between {@link Defaults#MIN_DEFAULT_CONCURRENCY} and {@link Defaults#MAX_DEFAULT_CONCURRENCY}). */
    public BulkOptions concurrency(int concurrency) {
        this.concurrency = positive("concurrency", concurrency);
        return this;
    }

    /** The guard (default {@link Defaults#DEFAULT_MAX_DELETIONS}): more distinct ids and nothing is sent. */
    public BulkOptions maxDeletions(long maxDeletions) {
        if (maxDeletions < 1) {
            throw new IllegalArgumentException("maxDeletions must be at least 1");
        }
        this.maxDeletions = maxDeletions;
        return this;
    }

    /**
     * How long the run may stay rate-limited with no id settled before it
     * stops, {@link BulkSummary#stopped()} saying why (default {@link Defaults#DEFAULT_STALL_TIMEOUT};
     * rounded up to a millisecond). Any length is taken, as the core takes it;
     * one beyond {@code Long.MAX_VALUE} milliseconds counts as that.
     *
     * @throws NullPointerException if {@code stallTimeout} is null
     * @throws IllegalArgumentException if it is zero or negative
     */
    public BulkOptions stallTimeout(java.time.Duration stallTimeout) {
        java.util.Objects.requireNonNull(stallTimeout, "stallTimeout");
        if (stallTimeout.isNegative() || stallTimeout.isZero()) {
            throw new IllegalArgumentException("stallTimeout must be positive: " + stallTimeout);
        }
        this.stallTimeoutMillis = Client.Builder.millis(stallTimeout);
        return this;
    }

    /** Validate, dedupe and count; send no DELETE. */
    public BulkOptions dryRun(boolean dryRun) {
        this.dryRun = dryRun;
        return this;
    }

    /** The journal that makes the run resumable (created 0600). */
    public BulkOptions journal(Path journal) {
        this.journal = journal;
        return this;
    }

    /** The backup: each device (GET) before its DELETE (created 0600). */
    public BulkOptions backup(Path backup) {
        this.backup = backup;
        return this;
    }

    /** The report: one JSON line per entry and a summary (created 0600). */
    public BulkOptions report(Path report) {
        this.report = report;
        return this;
    }

    /**
     * Called at most every {@link Defaults#PROGRESS_INTERVAL} and once at the end (not for
     * a run cancelled before it started sending).
     */
    public BulkOptions onProgress(Consumer<BulkProgress> onProgress) {
        this.onProgress = onProgress;
        return this;
    }

    /** Asked once the guard passed, before anything is sent; false ends the run (DECLINED). */
    public BulkOptions confirm(Predicate<BulkPlan> confirm) {
        this.confirm = confirm;
        return this;
    }

    /** eraseUsers only: each alias and its registration ids, once resolved. */
    public BulkOptions onResolved(BiConsumer<String, List<String>> onResolved) {
        this.onResolved = onResolved;
        return this;
    }

    private static int positive(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be at least 1");
        }
        return value;
    }
}
