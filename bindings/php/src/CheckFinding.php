<?php

declare(strict_types=1);

namespace EngageLabPush;

/** A difference from what the library assumes, found by {@see Client::check()}: a stable code (`clock_skew`, ...) and its sentence. */
final class CheckFinding
{
    public function __construct(
        public readonly string $code,
        public readonly string $message,
    ) {
    }
}
