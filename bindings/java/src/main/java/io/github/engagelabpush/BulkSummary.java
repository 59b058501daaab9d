package io.github.engagelabpush;

/**
 * What a bulk run did: every field of the core's {@code BulkSummary};
 * {@code stopped} is why the engine stopped the run early, or null.
 */
public record BulkSummary(
        long entries,
        long ids,
        long deleted,
        long notFound,
        long failed,
        long invalid,
        long duplicate,
        long alreadyDone,
        long wouldDelete,
        long notStarted,
        long rateLimited,
        long elapsedMs,
        boolean interrupted,
        boolean dryRun,
        String stopped) {

    /** No id failed, and the run was neither interrupted nor stopped. */
    public boolean isSuccess() {
        return failed == 0 && !interrupted && stopped == null;
    }
}
