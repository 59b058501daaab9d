<?php

declare(strict_types=1);

namespace EngageLabPush;

/**
 * What a bulk run did: every field of the core's `BulkSummary`
 * (`el_bulk_summary`). `stopped` is why the engine stopped the run early
 * (the credentials refused, the same failure many times in a row, a stall),
 * or null.
 */
final class BulkSummary
{
    /**
     * @param int $entries entries in the input (blank and `#` lines not counted)
     * @param int $ids distinct valid ids in the input (what the guard counted)
     * @param int $notFound ids EngageLab did not know (nothing deleted)
     * @param int $failed ids whose call failed (the report holds every error field)
     * @param int $invalid entries that are not registration ids (never sent)
     * @param int $duplicate repeated ids (sent once)
     * @param int $alreadyDone ids the journal holds as finished by an earlier run (not sent)
     * @param int $wouldDelete dry run: ids that would be deleted
     * @param int $notStarted entries the run never reached because it was interrupted or the engine stopped it
     * @param int $rateLimited rate-limit answers received (each paced and retried)
     * @param float $elapsed seconds from the first request to the end
     */
    public function __construct(
        public readonly int $entries,
        public readonly int $ids,
        public readonly int $deleted,
        public readonly int $notFound,
        public readonly int $failed,
        public readonly int $invalid,
        public readonly int $duplicate,
        public readonly int $alreadyDone,
        public readonly int $wouldDelete,
        public readonly int $notStarted,
        public readonly int $rateLimited,
        public readonly float $elapsed,
        public readonly bool $interrupted,
        public readonly bool $dryRun,
        public readonly ?string $stopped,
    ) {
    }

    /** No id failed, and the run was neither interrupted nor stopped. */
    public function isSuccess(): bool
    {
        return $this->failed === 0 && !$this->interrupted && $this->stopped === null;
    }
}
