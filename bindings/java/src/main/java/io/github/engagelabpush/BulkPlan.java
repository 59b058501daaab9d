package io.github.engagelabpush;

/** What a run is about to do, given to {@link BulkOptions#confirm}. */
public record BulkPlan(long entries, long ids, boolean dryRun) {}
