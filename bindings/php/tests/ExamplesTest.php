<?php

// The examples run as a user runs them, with the credentials in the
// environment, against engagelab-mock: erase_users.php erases two users
// (backup, report and journal written 0600 in its directory) and fails for
// a user still bound; delete_device.php deletes one device.

declare(strict_types=1);

namespace EngageLabPush\Tests;

use EngageLabPush\Tests\Support\Mock;
use PHPUnit\Framework\TestCase;

final class ExamplesTest extends TestCase
{
    private Mock $mock;
    private string $dir;

    protected function setUp(): void
    {
        $this->mock = new Mock();
        $this->dir = sys_get_temp_dir() . '/el-php-example-' . bin2hex(random_bytes(6));
        mkdir($this->dir, 0700);
    }

    protected function tearDown(): void
    {
        foreach (glob("{$this->dir}/*") ?: [] as $f) {
            unlink($f);
        }
        @rmdir($this->dir);
    }

    /**
     * @param list<string> $args
     * @return array{int, string, string} exit status, stdout, stderr
     */
    private function example(string $example, array $args): array
    {
        $env = array_filter(getenv(), static fn (string $k): bool => !str_starts_with($k, 'ENGAGELAB_'), ARRAY_FILTER_USE_KEY) + [
            'ENGAGELAB_APP_KEY' => Mock::APP_KEY,
            'ENGAGELAB_MASTER_SECRET' => Mock::MASTER_SECRET,
            'ENGAGELAB_BASE_URL' => $this->mock->url,
        ];
        if (($lib = getenv('ENGAGELAB_PUSH_LIBRARY')) !== false) {
            $env['ENGAGELAB_PUSH_LIBRARY'] = $lib;
        }
        $process = proc_open(
            [PHP_BINARY, '-d', 'ffi.enable=1', dirname(__DIR__) . "/examples/{$example}", ...$args],
            [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']],
            $pipes,
            $this->dir,
            $env,
        );
        self::assertIsResource($process);
        $out = (string) stream_get_contents($pipes[1]);
        $err = (string) stream_get_contents($pipes[2]);
        return [proc_close($process), $out, $err];
    }

    public function testEraseUsersErasesAndVerifies(): void
    {
        foreach ([['ex-1', 'ex-alice'], ['ex-2', 'ex-alice'], ['ex-3', 'ex-bob'], ['ex-keep', null]] as [$id, $alias]) {
            $this->mock->addDevice(['registration_id' => $id, 'alias' => $alias]);
        }
        [$code, $out, $err] = $this->example('erase_users.php', ['ex-alice', 'ex-bob']);
        self::assertSame(0, $code, $out . $err);
        self::assertStringContainsString('ex-alice: no device bound (2 deleted)', $out);
        self::assertStringContainsString('ex-bob: no device bound (1 deleted)', $out);
        self::assertStringContainsString('deleted 3, not found 0, failed 0', $out);
        self::assertStringNotContainsString(Mock::MASTER_SECRET, $out . $err);
        self::assertSame(['ex-keep'], $this->mock->devices());
        foreach (['erasure.journal', 'erased.backup.jsonl', 'erasure.report.jsonl'] as $f) {
            clearstatcache();
            self::assertFileExists("{$this->dir}/{$f}");
            self::assertSame('600', decoct(fileperms("{$this->dir}/{$f}") & 0777), $f);
        }
        $backup = array_map(static fn (string $l) => json_decode($l)->registration_id, file("{$this->dir}/erased.backup.jsonl", FILE_IGNORE_NEW_LINES));
        sort($backup);
        self::assertSame(['ex-1', 'ex-2', 'ex-3'], $backup);
    }

    public function testEraseUsersFailsForAUserStillBound(): void
    {
        $this->mock->addDevice(['registration_id' => 'sb-1', 'alias' => 'ex-carol']);
        // The second lookup still finds a device: a new one bound meanwhile.
        $this->mock->scriptAlias('ex-carol', [
            ['status' => 200, 'body' => '{"registration_ids":["sb-1"]}'],
            ['status' => 200, 'body' => '{"registration_ids":["sb-new"]}'],
        ]);
        [$code, $out, $err] = $this->example('erase_users.php', ['ex-carol']);
        self::assertSame(1, $code, $out . $err);
        self::assertStringContainsString('ex-carol: still bound: sb-new', $out);
    }

    public function testUsageAndDeleteDevice(): void
    {
        [$code, , $err] = $this->example('erase_users.php', []);
        self::assertSame(2, $code);
        self::assertStringContainsString('usage', $err);
        $this->mock->addDevice('ex-device');
        [$code, $out] = $this->example('delete_device.php', ['ex-device']);
        self::assertSame(0, $code);
        self::assertStringContainsString('deleted ex-device', $out);
        self::assertSame([], $this->mock->devices());
    }
}
