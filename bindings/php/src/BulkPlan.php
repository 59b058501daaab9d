<?php

declare(strict_types=1);

namespace EngageLabPush;

/** What a bulk run is about to do, as the confirm callback is given it (`el_bulk_plan`). */
final class BulkPlan
{
    /**
     * @param int $entries entries in the input (blank and `#` lines not counted)
     * @param int $ids distinct valid ids, the count the guard checks (ids a resumed run's journal holds as done included: they are skipped)
     */
    public function __construct(
        public readonly int $entries,
        public readonly int $ids,
        public readonly bool $dryRun,
    ) {
    }
}
