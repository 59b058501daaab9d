<?php

// Ctrl-C under the CLI: CancelToken::onSignal() arms a token from a pcntl
// handler that the library runs while a call waits, so a SIGINT during a
// call stops it within about 20 ms (CancelledException for one call, an
// interrupted summary for a bulk run), and calls after it fail at once.
// Each case runs in a child process (pcntl_fork), which the signal is sent
// to, so PHPUnit's own process keeps its handlers; the parent checks what
// the child reports.

declare(strict_types=1);

namespace EngageLabPush\Tests;

use EngageLabPush\BulkOptions;
use EngageLabPush\CancelToken;
use EngageLabPush\CancelledException;
use EngageLabPush\Client;
use EngageLabPush\Tests\Support\Mock;
use PHPUnit\Framework\TestCase;

/**
 * @requires extension pcntl
 * @requires extension posix
 */
final class InterruptTest extends TestCase
{
    /**
     * Runs $body in a child given SIGINT after $afterMs; its JSON result.
     *
     * @param \Closure(): array<string, mixed> $body
     * @return array<string, mixed>
     */
    private static function interrupted(\Closure $body, int $afterMs, bool $async): array
    {
        $result = tempnam(sys_get_temp_dir(), 'el-php-int-');
        $pid = pcntl_fork();
        self::assertNotSame(-1, $pid);
        if ($pid === 0) {
            $out = ['error' => 'did not finish'];
            try {
                pcntl_async_signals($async);
                CancelToken::onSignal();
                $killer = pcntl_fork();
                if ($killer === 0) {
                    usleep($afterMs * 1000);
                    posix_kill(posix_getppid(), SIGINT);
                    posix_kill(getmypid(), SIGKILL);
                }
                $out = $body();
                pcntl_waitpid($killer, $status);
            } catch (\Throwable $e) {
                $out = ['error' => $e::class . ': ' . $e->getMessage()];
            }
            file_put_contents($result, json_encode($out));
            posix_kill(getmypid(), SIGKILL);
        }
        pcntl_waitpid($pid, $status);
        $out = json_decode((string) file_get_contents($result), true);
        unlink($result);
        return $out;
    }

    /** @return array<string, array{bool}> */
    public static function modes(): array
    {
        return ['pcntl_async_signals on' => [true], 'pcntl_async_signals off' => [false]];
    }

    /** @dataProvider modes */
    public function testSigintDuringACallCancelsIt(bool $async): void
    {
        $mock = new Mock();
        $mock->addDevice('int-slow');
        $mock->script('int-slow', [['status' => 200, 'body' => '{}', 'delay_ms' => 10000]]);
        $url = $mock->url;
        $out = self::interrupted(static function () use ($url): array {
            $client = new Client(Mock::APP_KEY, Mock::MASTER_SECRET, baseUrl: $url);
            $started = hrtime(true);
            $first = $later = 'none';
            try {
                $client->deleteDevice('int-slow');
            } catch (CancelledException $e) {
                $first = $e->getStatus();
            }
            $ms = intdiv(hrtime(true) - $started, 1_000_000);
            try {
                $client->getAlias('anyone');
            } catch (CancelledException $e) {
                $later = $e->attempts === 0 ? 'at once' : 'sent';
            }
            return ['first' => $first, 'ms' => $ms, 'later' => $later];
        }, 300, $async);
        self::assertSame('CANCELLED', $out['first'] ?? $out['error']);
        // The answer would come after 10 s: the call stopped long before.
        self::assertLessThan(8000, $out['ms']);
        self::assertSame('at once', $out['later']);
        self::assertSame(1, count(array_filter($mock->log(), static fn ($r) => $r->method === 'DELETE')));
    }

    public function testSigintDuringABulkRunInterruptsIt(): void
    {
        $mock = new Mock();
        foreach (['ib-1', 'ib-2', 'ib-3'] as $id) {
            $mock->addDevice($id);
        }
        $mock->script('ib-2', [['status' => 200, 'body' => '{"success":true}', 'delay_ms' => 10000]]);
        $url = $mock->url;
        $out = self::interrupted(static function () use ($url): array {
            $client = new Client(Mock::APP_KEY, Mock::MASTER_SECRET, baseUrl: $url);
            $s = $client->deleteDevices(['ib-1', 'ib-2', 'ib-3'], new BulkOptions(concurrency: 1));
            return ['interrupted' => $s->interrupted, 'notStarted' => $s->notStarted];
        }, 500, true);
        self::assertTrue($out['interrupted'] ?? false, json_encode($out));
        self::assertSame(1, $out['notStarted']);
        self::assertContains('ib-3', $mock->devices());
    }
}
