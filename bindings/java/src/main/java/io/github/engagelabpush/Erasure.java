package io.github.engagelabpush;

import java.util.List;

/**
 * What {@link Client#eraseUsers} did: the bulk run's summary, each user, and
 * whether every device was deleted and (unless a dry run) none is still bound.
 */
public record Erasure(BulkSummary summary, List<ErasedUser> users, boolean isSuccess) {}
