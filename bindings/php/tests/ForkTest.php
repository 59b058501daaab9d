<?php

// Fork safety: a client made and used (its connection pooled) before
// pcntl_fork() works in the child, which opens its own connection and never
// touches the parent's; the parent's stays usable. The PHP-FPM and
// preforking-worker case.

declare(strict_types=1);

namespace EngageLabPush\Tests;

use EngageLabPush\Client;
use EngageLabPush\Tests\Support\Mock;
use PHPUnit\Framework\TestCase;

/** @requires extension pcntl */
final class ForkTest extends TestCase
{
    public function testAClientUsedBeforeAForkWorksInParentAndChildren(): void
    {
        $mock = new Mock();
        $children = 4;
        $mock->addDevice('parent-before');
        $mock->addDevice('parent-after');
        for ($i = 0; $i < $children; $i++) {
            $mock->addDevice("child-{$i}");
        }
        $client = new Client(Mock::APP_KEY, Mock::MASTER_SECRET, baseUrl: $mock->url, backoffBase: 0.001, backoffMax: 0.02);
        $client->deleteDevice('parent-before');
        $results = [];
        $pids = [];
        for ($i = 0; $i < $children; $i++) {
            $results[$i] = tempnam(sys_get_temp_dir(), 'engagelab-fork-');
            $pid = pcntl_fork();
            self::assertNotSame(-1, $pid, 'fork failed');
            if ($pid === 0) {
                // The child: report through its file, then end without running
                // PHPUnit's (or the mock's) shutdown code.
                try {
                    $client->deleteDevice("child-{$i}");
                    $client->getAlias('nobody');
                    $outcome = 'ok';
                } catch (\Throwable $e) {
                    $outcome = get_class($e) . ': ' . $e->getMessage();
                }
                file_put_contents($results[$i], $outcome);
                posix_kill(posix_getpid(), SIGKILL);
            }
            $pids[] = $pid;
        }
        foreach ($pids as $pid) {
            pcntl_waitpid($pid, $status);
        }
        foreach ($results as $i => $file) {
            self::assertSame('ok', file_get_contents($file), "child {$i}");
            unlink($file);
        }
        $client->deleteDevice('parent-after');
        $left = $mock->devices();
        foreach (['parent-before', 'parent-after', 'child-0', 'child-3'] as $gone) {
            self::assertNotContains($gone, $left);
        }
        $log = $mock->log();
        $connections = array_map(static fn ($r) => $r->connection, $log);
        // The parent's connection serves its calls before and after; each
        // child has one of its own.
        self::assertSame($connections[0], end($connections), 'the parent lost its pooled connection');
        self::assertCount($children + 1, array_unique($connections));
    }
}
