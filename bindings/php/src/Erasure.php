<?php

declare(strict_types=1);

namespace EngageLabPush;

/**
 * What {@see Client::eraseUsers()} did: the bulk run's summary, each user
 * (distinct aliases, in the order given), and whether every device was
 * deleted and (unless a dry run) none is still bound.
 */
final class Erasure
{
    /** @param list<ErasedUser> $users */
    public function __construct(
        public readonly BulkSummary $summary,
        public readonly array $users,
        public readonly bool $isSuccess,
    ) {
    }
}
