<?php

declare(strict_types=1);

namespace EngageLabPush;

/**
 * A bulk run the engine refused to start (nothing sent) or had to stop
 * (`WRITE_FAILED`: {@see $summary} says what was done). `getPrevious()` is
 * the {@see EngageLabException} of the failure's category (an
 * InvalidArgumentException, or a failed lookup's own), whose message this
 * one carries.
 */
final class BulkException extends \RuntimeException
{
    /** Why the run was refused or stopped, by `el_bulk_error` code. */
    public const KINDS = [
        1 => 'GUARD',
        2 => 'DECLINED',
        3 => 'JOURNAL_MISMATCH',
        4 => 'IO',
        5 => 'JOURNAL_BUSY',
        6 => 'WRITE_FAILED',
        7 => 'INVALID_ARGUMENT',
        8 => 'LOOKUP',
    ];

    /**
     * @param string $kind GUARD, DECLINED, JOURNAL_MISMATCH, IO, JOURNAL_BUSY, WRITE_FAILED, INVALID_ARGUMENT, LOOKUP (UNKNOWN for a newer library's code)
     * @param BulkSummary $summary what the run did (zeros when nothing was sent)
     */
    public function __construct(
        public readonly string $kind,
        public readonly BulkSummary $summary,
        EngageLabException $cause,
    ) {
        parent::__construct($cause->getMessage(), 0, $cause);
    }

    /** The category of the failure (`INVALID_ARGUMENT`, or a lookup's). */
    public function getStatus(): string
    {
        $cause = $this->getPrevious();
        return $cause instanceof EngageLabException ? $cause->getStatus() : 'INTERNAL';
    }
}
