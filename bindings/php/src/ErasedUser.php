<?php

declare(strict_types=1);

namespace EngageLabPush;

/**
 * One alias of an erasure: the ids bound to it before (what the run
 * deleted), those still bound after (null when not checked: a dry run, an
 * interrupted run, a failed second lookup), and why that lookup failed.
 */
final class ErasedUser
{
    /**
     * @param list<string> $registrationIds
     * @param ?list<string> $stillBound
     */
    public function __construct(
        public readonly string $alias,
        public readonly array $registrationIds,
        public readonly ?array $stillBound,
        public readonly ?EngageLabException $verifyError,
    ) {
    }
}
