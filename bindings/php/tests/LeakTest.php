<?php

// 100k calls on one client keep RSS flat: after a warm-up, RSS is sampled at
// the end of each of several segments and the growth over the later segments
// is judged, so allocator warm-up and the first connection do not count. The
// calls cover every path that frees native memory: a device (el_device_free),
// an id list (el_id_list_free) and errors (el_error_describe's buffers).

declare(strict_types=1);

namespace EngageLabPush\Tests;

use EngageLabPush\Client;
use EngageLabPush\NotFoundException;
use EngageLabPush\Tests\Support\Mock;
use PHPUnit\Framework\TestCase;

final class LeakTest extends TestCase
{
    private const WARM_UP = 10_000;
    private const SEGMENTS = 3;
    private const PER_SEGMENT = 30_000;
    /** A leak of a one-id list (el_id_list_free removed) grows RSS by about 1.9 MiB over the 60k calls judged; a clean run by 0. */
    private const MAX_GROWTH = 512 * 1024;

    private static function rss(): int
    {
        $statm = explode(' ', (string) file_get_contents('/proc/self/statm'));
        return (int) $statm[1] * 4096;
    }

    public function testRssStaysFlatOver100kCalls(): void
    {
        $mock = new Mock();
        $mock->addDevice(['registration_id' => 'leak-device', 'tags' => ['a', 'b'], 'alias' => 'leaker']);
        $client = new Client(Mock::APP_KEY, Mock::MASTER_SECRET, baseUrl: $mock->url, maxRetries: 0);
        $round = static function (int $i) use ($client): void {
            switch ($i % 3) {
                case 0:
                    $client->getDevice('leak-device');
                    break;
                case 1:
                    $client->getAlias('leaker');
                    break;
                default:
                    try {
                        $client->deleteDevice('no-such-device');
                    } catch (NotFoundException) {
                    }
            }
        };
        for ($i = 0; $i < self::WARM_UP; $i++) {
            $round($i);
        }
        $samples = [self::rss()];
        for ($s = 0; $s < self::SEGMENTS; $s++) {
            for ($i = 0; $i < self::PER_SEGMENT; $i++) {
                $round($i);
            }
            $samples[] = self::rss();
        }
        // The first measured segment may still settle; judge the later ones.
        $growth = end($samples) - $samples[1];
        self::assertLessThan(
            self::MAX_GROWTH,
            $growth,
            'RSS grew by ' . $growth . ' bytes over ' . ((self::SEGMENTS - 1) * self::PER_SEGMENT) . ' calls; samples: ' . implode(', ', $samples),
        );
    }
}
