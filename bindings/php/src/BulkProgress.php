<?php

declare(strict_types=1);

namespace EngageLabPush;

/** Where a bulk run stands, as the progress callback is given it (`el_bulk_progress`). */
final class BulkProgress
{
    /**
     * @param int $done entries with an outcome so far
     * @param int $total entries of the input (blank and `#` lines not counted)
     * @param float $elapsed seconds since the run started sending
     * @param float $qps the pacing rate in force
     * @param bool $interrupted whether the run was asked to stop
     */
    public function __construct(
        public readonly int $done,
        public readonly int $total,
        public readonly int $deleted,
        public readonly int $notFound,
        public readonly int $failed,
        public readonly int $invalid,
        public readonly int $duplicate,
        public readonly int $alreadyDone,
        public readonly int $wouldDelete,
        public readonly int $rateLimited,
        public readonly float $elapsed,
        public readonly int $inFlight,
        public readonly float $qps,
        public readonly bool $interrupted,
    ) {
    }
}
