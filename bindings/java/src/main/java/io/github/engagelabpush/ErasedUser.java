package io.github.engagelabpush;

import java.util.List;

/**
 * One alias of an erasure: the ids bound before (what the run set out to
 * delete, not what it deleted: the summary counts those), those
 * still bound after (null when not checked), and why the second lookup
 * failed (null when it did not).
 */
public record ErasedUser(
        String alias, List<String> registrationIds, List<String> stillBound, EngageLabException verifyError) {}
