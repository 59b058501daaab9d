<?php

declare(strict_types=1);

namespace EngageLabPush;

/**
 * A device as `getDevice` returns it: its tags and alias, and the whole
 * answer (`raw`, decoded; `rawJson`, exactly as received) to keep as a backup
 * before deleting it.
 */
final class Device
{
    /**
     * @param list<string> $tags
     * @param array<mixed> $raw
     */
    public function __construct(
        public readonly string $registrationId,
        public readonly array $tags,
        public readonly ?string $alias,
        public readonly array $raw,
        public readonly string $rawJson,
    ) {
    }
}
