package io.github.engagelabpush;

/** Where a run stands, given to {@link BulkOptions#onProgress}; elapsed in milliseconds. */
public record BulkProgress(
        long done,
        long total,
        long deleted,
        long notFound,
        long failed,
        long invalid,
        long duplicate,
        long alreadyDone,
        long wouldDelete,
        long rateLimited,
        long elapsedMs,
        long inFlight,
        double qps,
        boolean interrupted) {}
