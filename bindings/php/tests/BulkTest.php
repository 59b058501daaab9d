<?php

// What the shared bulk scenarios do not say about the PHP mapping: the
// progress callback, a confirm that refuses, a cancel token, a dry run, the
// guard, a journal resumed, the files created 0600, a callback's exception
// rethrown after the run (never through C), PHP's own TypeError for a bad
// list, and that many runs with callbacks do not grow PHP's memory (the
// trampolines are made once per process).

declare(strict_types=1);

namespace EngageLabPush\Tests;

use EngageLabPush\BulkException;
use EngageLabPush\BulkOptions;
use EngageLabPush\BulkPlan;
use EngageLabPush\BulkProgress;
use EngageLabPush\CancelToken;
use EngageLabPush\Client;
use EngageLabPush\InvalidArgumentException;
use EngageLabPush\Tests\Support\Mock;
use PHPUnit\Framework\TestCase;

final class BulkTest extends TestCase
{
    private Mock $mock;
    private string $dir;

    protected function setUp(): void
    {
        $this->mock = new Mock();
        $this->dir = sys_get_temp_dir() . '/el-php-bulktest-' . bin2hex(random_bytes(6));
        mkdir($this->dir, 0700);
    }

    protected function tearDown(): void
    {
        foreach (array_merge(glob("{$this->dir}/*") ?: [], glob("{$this->dir}/.*") ?: []) as $f) {
            if (is_file($f)) {
                unlink($f);
            }
        }
        @rmdir($this->dir);
    }

    private function client(): Client
    {
        return new Client(Mock::APP_KEY, Mock::MASTER_SECRET, baseUrl: $this->mock->url, backoffBase: 0.001, backoffMax: 0.02);
    }

    /** @param list<string> $ids */
    private function seed(array $ids): void
    {
        foreach ($ids as $id) {
            $this->mock->addDevice($id);
        }
    }

    public function testProgressEndsWithTheFinalCounts(): void
    {
        $this->seed(['p-1', 'p-2', 'p-3']);
        $seen = [];
        $summary = $this->client()->deleteDevices(['p-1', 'p-2', 'p-3', 'p-ghost'], new BulkOptions(
            onProgress: static function (BulkProgress $p) use (&$seen): void {
                $seen[] = $p;
            },
        ));
        self::assertNotEmpty($seen);
        $last = end($seen);
        self::assertSame(4, $last->total);
        self::assertSame(4, $last->done);
        self::assertSame(3, $last->deleted);
        self::assertSame(1, $last->notFound);
        self::assertSame(3, $summary->deleted);
        self::assertSame(1, $summary->notFound);
        self::assertTrue($summary->isSuccess());
        self::assertSame([], $this->mock->devices());
    }

    public function testAConfirmThatRefusesSendsNothing(): void
    {
        $this->seed(['c-1']);
        $plans = [];
        try {
            $this->client()->deleteDevices(['c-1', 'c-1', 'bad id'], new BulkOptions(confirm: static function (BulkPlan $plan) use (&$plans): bool {
                $plans[] = $plan;
                return false;
            }));
            self::fail('no BulkException');
        } catch (BulkException $e) {
            self::assertSame('DECLINED', $e->kind);
            self::assertSame('INVALID_ARGUMENT', $e->getStatus());
            self::assertInstanceOf(InvalidArgumentException::class, $e->getPrevious());
        }
        self::assertCount(1, $plans);
        self::assertSame([3, 1, false], [$plans[0]->entries, $plans[0]->ids, $plans[0]->dryRun]);
        self::assertSame([], $this->mock->log());
        self::assertSame(['c-1'], $this->mock->devices());
    }

    public function testACancelledTokenInterruptsTheRun(): void
    {
        $this->seed(['x-1', 'x-2']);
        $token = new CancelToken();
        $token->cancel();
        $summary = $this->client()->deleteDevices(['x-1', 'x-2'], new BulkOptions(cancel: $token));
        self::assertTrue($summary->interrupted);
        self::assertSame(0, $summary->deleted);
        self::assertFalse($summary->isSuccess());
        self::assertSame([], $this->mock->log());
    }

    public function testADryRunSendsNothing(): void
    {
        $this->seed(['d-1', 'd-2']);
        $summary = $this->client()->deleteDevices(['d-1', 'd-2', 'd-1'], new BulkOptions(dryRun: true));
        self::assertTrue($summary->dryRun);
        self::assertSame(2, $summary->wouldDelete);
        self::assertSame(1, $summary->duplicate);
        self::assertSame([], $this->mock->log());
    }

    public function testTheGuardRefusesWithTheSummary(): void
    {
        $this->seed(['g-1', 'g-2']);
        try {
            $this->client()->deleteDevices(['g-1', 'g-2'], new BulkOptions(maxDeletions: 1));
            self::fail('no BulkException');
        } catch (BulkException $e) {
            self::assertSame('GUARD', $e->kind);
            self::assertSame(0, $e->summary->deleted);
            self::assertStringContainsString('max_deletions', $e->getMessage());
        }
        self::assertSame([], $this->mock->log());
    }

    public function testAJournalResumesAndTheFilesAre0600(): void
    {
        $this->seed(['j-1', 'j-2']);
        $o = new BulkOptions(journal: "{$this->dir}/journal", backup: "{$this->dir}/backup.jsonl", report: "{$this->dir}/report.jsonl");
        $first = $this->client()->deleteDevices(['j-1', 'j-2'], $o);
        self::assertSame(2, $first->deleted);
        $sent = count($this->mock->log());
        $again = $this->client()->deleteDevicesFromFile($this->idsFile(['j-2', 'j-1']), $o);
        self::assertSame(2, $again->alreadyDone);
        self::assertSame(0, $again->deleted);
        self::assertCount($sent, $this->mock->log(), 'the second run sent nothing');
        foreach (['journal', 'backup.jsonl', 'report.jsonl'] as $f) {
            clearstatcache();
            self::assertSame('600', decoct(fileperms("{$this->dir}/{$f}") & 0777), $f);
        }
    }

    /** @param list<string> $ids */
    private function idsFile(array $ids): string
    {
        $path = "{$this->dir}/ids.txt";
        file_put_contents($path, implode("\n", $ids) . "\n");
        return $path;
    }

    public function testACallbacksExceptionStopsTheRunAndIsRethrown(): void
    {
        $this->seed(['t-1']);
        try {
            $this->client()->deleteDevices(['t-1'], new BulkOptions(confirm: static function (): bool {
                throw new \DomainException('no');
            }));
            self::fail('no exception');
        } catch (\DomainException $e) {
            self::assertSame('no', $e->getMessage());
        }
        self::assertSame([], $this->mock->log());
        self::assertSame(['t-1'], $this->mock->devices());
        // A progress callback that throws: the run stops, the exception comes out.
        try {
            $this->client()->deleteDevices(['t-1'], new BulkOptions(onProgress: static function (): void {
                throw new \LogicException('from progress');
            }));
            self::fail('no exception');
        } catch (\LogicException $e) {
            self::assertSame('from progress', $e->getMessage());
        }
    }

    public function testBadListsAreTypeErrorsAndBadNumbersRefused(): void
    {
        $client = $this->client();
        foreach ([static fn () => $client->deleteDevices(['a', 7]), static fn () => $client->eraseUsers([null])] as $i => $call) {
            try {
                $call();
                self::fail("call {$i}: no TypeError");
            } catch (\TypeError) {
                self::assertTrue(true);
            }
        }
        foreach ([['qps' => 0], ['concurrency' => -1], ['maxDeletions' => 0], ['stallTimeout' => 0.0]] as $bad) {
            try {
                new BulkOptions(...$bad);
                self::fail('accepted ' . json_encode($bad));
            } catch (InvalidArgumentException) {
                self::assertTrue(true);
            }
        }
        try {
            $client->deleteDevices(["nul\0id"]);
            self::fail('a NUL byte was accepted');
        } catch (InvalidArgumentException $e) {
            self::assertStringContainsString('NUL', $e->getMessage());
        }
        self::assertSame([], $this->mock->log());
    }

    public function testRunsWhoseCallbackThrowsAreFreed(): void
    {
        // PHPUnit keeps exception arguments (phpunit.xml.dist), as
        // php.ini-development does: the exception's trace then holds the
        // run and its 2,000 ids, which used to stay reachable from the run
        // token's check forever (some 150 KB a run; about 30 MB here).
        $ids = array_map(static fn (int $i): string => sprintf('thrown-%05d-%s', $i, str_repeat('x', 40)), range(1, 2000));
        $client = $this->client();
        $o = new BulkOptions(maxDeletions: 5000, dryRun: true, confirm: static function (): bool {
            throw new \DomainException('from confirm');
        });
        $run = static function () use ($client, $ids, $o): void {
            try {
                $client->deleteDevices($ids, $o);
                self::fail('no exception');
            } catch (\DomainException $e) {
                self::assertSame('from confirm', $e->getMessage());
            }
        };
        for ($i = 0; $i < 10; $i++) {
            $run();
        }
        gc_collect_cycles();
        $before = memory_get_usage();
        for ($i = 0; $i < 200; $i++) {
            $run();
        }
        gc_collect_cycles();
        self::assertLessThan(1024 * 1024, memory_get_usage() - $before, 'the runs whose callback threw were kept');
        self::assertSame([], $this->mock->log());
    }

    public function testAnErasureWhoseCallbackThrowsIsFreed(): void
    {
        // An erasure holds every id resolved: 200 here, some 12 KB a run when
        // it is not freed (the callback's exception used to skip
        // el_erasure_free: about 3.6 MB over these 300 runs; freed, ~0).
        for ($i = 0; $i < 200; $i++) {
            $this->mock->addDevice(['registration_id' => "er-{$i}", 'alias' => 'er-alice']);
        }
        $client = $this->client();
        $o = new BulkOptions(dryRun: true, onResolved: static function (): void {
            throw new \DomainException('from onResolved');
        });
        $run = static function () use ($client, $o): void {
            try {
                $client->eraseUsers(['er-alice'], $o);
                self::fail('no exception');
            } catch (\DomainException $e) {
                self::assertSame('from onResolved', $e->getMessage());
            }
        };
        $rss = static fn (): int => (int) explode(' ', (string) file_get_contents('/proc/self/statm'))[1] * 4096;
        for ($i = 0; $i < 30; $i++) {
            $run();
        }
        $before = $rss();
        for ($i = 0; $i < 300; $i++) {
            $run();
        }
        self::assertLessThan(1024 * 1024, $rss() - $before, 'RSS grew: the erasures were not freed');
        self::assertCount(200, $this->mock->devices());
    }

    public function testARunAbandonedByAFatalErrorStopsAtShutdown(): void
    {
        // max_execution_time reached inside a callback (PHP-FPM's default is
        // 30 s) is a fatal error there: PHP unwinds past the library and the
        // run goes on deleting with nobody waiting, under PHP-FPM after the
        // request ended. A child PHP burns 0.1 s of CPU in each onProgress
        // (every 250 ms at most) under a 1 s limit, in a run of 200 ids at
        // 10/s: 20 s, long enough for the limit on a loaded machine; its
        // shutdown function (registered after the binding's)
        // counts the devices left (once a request in flight at the cancel has
        // ended), then again 1.5 s later: the run must have
        // stopped (it used to delete them all meanwhile).
        $ids = array_map(static fn (int $i): string => "fatal-{$i}", range(1, 200));
        $this->seed($ids);
        $code = strtr(<<<'PHP'
            $url = URL;
            $count = static fn (): int => count(json_decode((string) file_get_contents("{$url}/__mock/devices"))->registration_ids);
            $cpu = static function (): float {
                $r = getrusage();
                return $r['ru_utime.tv_sec'] + $r['ru_utime.tv_usec'] / 1e6 + $r['ru_stime.tv_sec'] + $r['ru_stime.tv_usec'] / 1e6;
            };
            $client = new EngageLabPush\Client(APP, SECRET, baseUrl: $url);
            $registered = false;
            set_time_limit(1);
            $client->deleteDevices(IDS, new EngageLabPush\BulkOptions(qps: 10, onProgress: static function () use ($cpu, $count, &$registered): void {
                if (!$registered) {
                    $registered = true;
                    register_shutdown_function(static function () use ($count): void {
                        // A request in flight when the run was cancelled
                        // still ends: counted only after it.
                        usleep(300_000);
                        $left = $count();
                        usleep(1_500_000);
                        echo "left {$left} then {$count()}\n";
                    });
                }
                for ($t = $cpu(); $cpu() - $t < 0.1;);
            }));
            echo "the run returned\n";
            PHP, [
            'APP' => var_export(Mock::APP_KEY, true),
            'SECRET' => var_export(Mock::MASTER_SECRET, true),
            'URL' => var_export($this->mock->url, true),
            'IDS' => var_export($ids, true),
        ]);
        $process = proc_open([PHP_BINARY, '-d', 'ffi.enable=1', '-d', 'display_errors=stderr'], [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        self::assertIsResource($process);
        fwrite($pipes[0], '<?php require ' . var_export(__DIR__ . '/bootstrap.php', true) . ";\n" . $code);
        fclose($pipes[0]);
        $out = (string) stream_get_contents($pipes[1]);
        $err = (string) stream_get_contents($pipes[2]);
        proc_close($process);
        self::assertStringContainsString('Maximum execution time', $err, $out . $err);
        self::assertMatchesRegularExpression('/^left (\d+) then \1$/m', $out, 'the abandoned run went on deleting: ' . $out);
        self::assertNotSame([], $this->mock->devices());
    }

    public function testManyRunsWithCallbacksKeepMemoryFlat(): void
    {
        $client = $this->client();
        $o = new BulkOptions(
            dryRun: true,
            onProgress: static function (BulkProgress $p): void {
            },
            confirm: static fn (BulkPlan $p): bool => true,
            cancel: new CancelToken(),
        );
        $run = static fn () => $client->deleteDevices(['m-1', 'm-2'], $o);
        for ($i = 0; $i < 10; $i++) {
            $run();
        }
        $before = memory_get_usage();
        for ($i = 0; $i < 100; $i++) {
            $run();
        }
        // FFI keeps each closure it converts: one per run would be ~150 bytes x 3 x 100.
        self::assertLessThan(15000, memory_get_usage() - $before);
    }
}
