<?php

// The PHP face of the client against engagelab-mock: PHP's own TypeError for
// wrong types, what C cannot carry refused before sending, many sequential
// calls on one kept-alive connection, fromEnv, a per-call timeout, and no
// secret in what PHP shows.

declare(strict_types=1);

namespace EngageLabPush\Tests;

use EngageLabPush\Client;
use EngageLabPush\EngageLabException;
use EngageLabPush\InvalidArgumentException;
use EngageLabPush\NotFoundException;
use EngageLabPush\TimeoutException;
use EngageLabPush\Tests\Support\Mock;
use PHPUnit\Framework\TestCase;

final class ClientTest extends TestCase
{
    private Mock $mock;

    protected function setUp(): void
    {
        $this->mock = new Mock();
    }

    private function client(mixed ...$args): Client
    {
        return new Client(...[Mock::APP_KEY, Mock::MASTER_SECRET, 'baseUrl' => $this->mock->url, 'backoffBase' => 0.001, 'backoffMax' => 0.02, ...$args]);
    }

    public function testWrongTypesAreTypeErrors(): void
    {
        $client = $this->client();
        $calls = [
            static fn () => $client->deleteDevice(null),
            static fn () => $client->deleteDevice(['a']),
            static fn () => $client->deleteDevice(42),
            static fn () => $client->getDevice(new \stdClass()),
            static fn () => $client->getAlias('alice', 'ios'),
            static fn () => $client->getAlias('alice', ['ios', 7]),
            static fn () => $client->deleteDevice('a', timeout: 'soon'),
            static fn () => new Client(Mock::APP_KEY, Mock::MASTER_SECRET, maxRetries: '2'),
            static fn () => new Client(Mock::APP_KEY, null),
        ];
        foreach ($calls as $i => $call) {
            try {
                $call();
                self::fail("call {$i}: no TypeError");
            } catch (\TypeError) {
                self::assertTrue(true);
            }
        }
        self::assertSame([], $this->mock->log());
    }

    public function testWhatCCannotCarryIsRefusedBeforeSending(): void
    {
        $client = $this->client();
        foreach ([
            [static fn () => $client->deleteDevice("dev\0ice"), 'registrationId contains a NUL byte at byte 3'],
            [static fn () => $client->getAlias('alice', ["io\0s"]), 'platforms[0] contains a NUL byte at byte 2'],
            [static fn () => $client->deleteDevice('x', timeout: -1.0), 'timeout must be a finite, non-negative number of seconds, got -1'],
            [static fn () => $client->deleteDevice('x', timeout: INF), 'timeout must be a finite, non-negative number of seconds, got INF'],
            [fn () => $this->client(timeout: NAN), 'timeout must be a finite, non-negative number of seconds, got NAN'],
            [fn () => $this->client(timeout: INF), 'timeout must be a finite, non-negative number of seconds, got INF'],
            [fn () => $this->client(maxRetries: -1), 'maxRetries is out of range'],
        ] as [$call, $text]) {
            try {
                $call();
                self::fail("no exception for {$text}");
            } catch (InvalidArgumentException $e) {
                self::assertStringContainsString($text, $e->getMessage());
                self::assertSame('INVALID_ARGUMENT', $e->getStatus());
                self::assertSame(0, $e->attempts);
            }
        }
        self::assertSame([], $this->mock->log());
    }

    public function testTheCoreValidatesAndNamesTheArgument(): void
    {
        try {
            $this->client()->deleteDevice('a/../b c');
            self::fail('a bad id was accepted');
        } catch (InvalidArgumentException $e) {
            self::assertInstanceOf(EngageLabException::class, $e);
            self::assertInstanceOf(\RuntimeException::class, $e);
            self::assertStringContainsString('registration', $e->getMessage());
            self::assertNull($e->httpStatus);
            self::assertFalse($e->maybeDeleted);
        }
        try {
            new Client('', Mock::MASTER_SECRET);
            self::fail('an empty AppKey was accepted');
        } catch (InvalidArgumentException $e) {
            self::assertStringContainsStringIgnoringCase('app', $e->getMessage());
        }
        self::assertSame([], $this->mock->log());
    }

    public function testManySequentialCallsShareOneConnection(): void
    {
        $ids = [];
        for ($i = 0; $i < 200; $i++) {
            $ids[] = "seq-{$i}";
            $this->mock->addDevice("seq-{$i}");
        }
        $client = $this->client();
        foreach ($ids as $id) {
            self::assertSame($id, $client->getDevice($id)->registrationId);
            $client->deleteDevice($id);
            try {
                $client->deleteDevice($id);
                self::fail("{$id} deleted twice");
            } catch (NotFoundException $e) {
                self::assertSame(1, $e->attempts);
            }
        }
        $log = $this->mock->log();
        self::assertCount(600, $log);
        self::assertCount(1, array_unique(array_map(static fn ($r) => $r->connection, $log)), 'a new connection per call');
        self::assertSame([], array_values(array_intersect($ids, $this->mock->devices())));
    }

    public function testFromEnv(): void
    {
        $this->mock->addDevice('env-device');
        $saved = array_map('getenv', ['ENGAGELAB_APP_KEY', 'ENGAGELAB_MASTER_SECRET', 'ENGAGELAB_BASE_URL', 'ENGAGELAB_REGION']);
        try {
            putenv('ENGAGELAB_REGION');
            putenv('ENGAGELAB_APP_KEY=' . Mock::APP_KEY);
            putenv('ENGAGELAB_MASTER_SECRET=' . Mock::MASTER_SECRET);
            putenv('ENGAGELAB_BASE_URL=' . $this->mock->url);
            $client = Client::fromEnv(maxRetries: 0);
            $client->deleteDevice('env-device');
            self::assertNotContains('env-device', $this->mock->devices());
            self::assertStringNotContainsString(Mock::MASTER_SECRET, print_r($client, true));
            // The core's description: the region shown, never the secret; an
            // empty variable is unset by the core's rule.
            putenv('ENGAGELAB_BASE_URL=');
            putenv('ENGAGELAB_REGION=bra');
            $shown = print_r(Client::fromEnv(), true);
            self::assertStringContainsString('region=bra, base_url="https://pushapi-bra.engagelab.com"', $shown);
            self::assertStringNotContainsString(Mock::MASTER_SECRET, $shown);
            // One of the two backoff settings alone is refused, saying so.
            try {
                Client::fromEnv(backoffMax: 1.0);
                self::fail('backoffMax alone, yet a client');
            } catch (InvalidArgumentException $e) {
                self::assertSame('backoffBase and backoffMax must be given together: only backoffMax was', $e->getMessage());
            }
            putenv('ENGAGELAB_REGION');
            putenv('ENGAGELAB_MASTER_SECRET');
            try {
                Client::fromEnv();
                self::fail('no secret, yet a client');
            } catch (InvalidArgumentException $e) {
                self::assertStringContainsString('ENGAGELAB_MASTER_SECRET', $e->getMessage());
            }
        } finally {
            foreach (['ENGAGELAB_APP_KEY', 'ENGAGELAB_MASTER_SECRET', 'ENGAGELAB_BASE_URL', 'ENGAGELAB_REGION'] as $i => $name) {
                putenv($saved[$i] === false ? $name : "{$name}={$saved[$i]}");
            }
        }
    }

    public function testPerCallTimeout(): void
    {
        $this->mock->addDevice('slow');
        // The wrong outcome is an answer after 30 s; the call must give up long before.
        $this->mock->script('slow', [['status' => 200, 'body' => '{}', 'delay_ms' => 30000]]);
        $client = $this->client(maxRetries: 0);
        $started = hrtime(true);
        try {
            $client->deleteDevice('slow', timeout: 0.3);
            self::fail('no timeout');
        } catch (TimeoutException $e) {
            self::assertSame('TIMEOUT', $e->getStatus());
            self::assertTrue($e->maybeDeleted, 'the request was sent');
            self::assertSame(1, $e->attempts);
        }
        self::assertLessThan(20.0, (hrtime(true) - $started) / 1e9);
    }

    public function testAPerCallTimeoutOfZeroIsTheCoresTimeout(): void
    {
        $this->mock->addDevice('zero');
        $client = $this->client();
        try {
            $client->deleteDevice('zero', timeout: 0.0);
            self::fail('no timeout');
        } catch (TimeoutException $e) {
            self::assertSame(0, $e->attempts);
            self::assertFalse($e->maybeDeleted);
        }
        self::assertSame([], $this->mock->log());
        self::assertContains('zero', $this->mock->devices());
    }

    public function testNothingShowsTheSecret(): void
    {
        $client = new Client(Mock::APP_KEY, 'wrong-secret-0123456789', baseUrl: $this->mock->url, maxRetries: 0);
        try {
            $client->deleteDevice('any');
            self::fail('accepted a wrong secret');
        } catch (EngageLabException $e) {
            self::assertSame('AUTH', $e->getStatus());
            ob_start();
            var_dump($client, $e);
            $shown = (string) ob_get_clean() . print_r($client, true) . $e;
            self::assertStringNotContainsString('wrong-secret-0123456789', $shown);
        }
    }

    /**
     * Runs `$code` (after the package's autoloader) in a child PHP, so that
     * a crash there fails this test instead of ending PHPUnit.
     *
     * @return array{int, string} exit status, stdout and stderr
     */
    private static function child(string $code): array
    {
        $env = getenv();
        $process = proc_open(
            [PHP_BINARY, '-d', 'ffi.enable=1'],
            [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['redirect', 1]],
            $pipes,
            null,
            $env,
        );
        self::assertIsResource($process);
        fwrite($pipes[0], '<?php require ' . var_export(__DIR__ . '/bootstrap.php', true) . ";\n" . $code);
        fclose($pipes[0]);
        $out = (string) stream_get_contents($pipes[1]);
        return [proc_close($process), $out];
    }

    public function testAnExplicitDestructFreesOnceAndLaterCallsThrow(): void
    {
        $this->mock->addDevice('dtor-device');
        // __destruct() is a public method: a script may call it to let the
        // client go at once. PHP still runs it again when the object goes,
        // and a call in between must not reach freed memory (each of these
        // was a segmentation fault, exit status 139).
        [$code, $out] = self::child(strtr(<<<'PHP'
            $client = new EngageLabPush\Client(APP, SECRET, baseUrl: URL);
            $client->__destruct();
            foreach ([
                'deleteDevice' => fn () => $client->deleteDevice('dtor-device'),
                'getDevice' => fn () => $client->getDevice('dtor-device'),
                'getAlias' => fn () => $client->getAlias('nobody'),
                'deleteDevices' => fn () => $client->deleteDevices(['dtor-device']),
            ] as $name => $call) {
                try {
                    $call();
                    echo "{$name}: no exception\n";
                } catch (\LogicException $e) {
                    echo "{$name}: ", $e->getMessage(), "\n";
                }
            }
            unset($client);
            $token = new EngageLabPush\CancelToken();
            $token->__destruct();
            try {
                $token->cancel();
            } catch (\LogicException $e) {
                echo 'cancel: ', $e->getMessage(), "\n";
            }
            unset($token);
            echo "done\n";
            PHP, [
            'APP' => var_export(Mock::APP_KEY, true),
            'SECRET' => var_export(Mock::MASTER_SECRET, true),
            'URL' => var_export($this->mock->url, true),
        ]));
        self::assertSame(0, $code, $out);
        self::assertStringContainsString('deleteDevice: this EngageLabPush\Client was destroyed', $out);
        self::assertStringContainsString('getDevice: this EngageLabPush\Client was destroyed', $out);
        self::assertStringContainsString('getAlias: this EngageLabPush\Client was destroyed', $out);
        self::assertStringContainsString('deleteDevices: this EngageLabPush\Client was destroyed', $out);
        self::assertStringContainsString('cancel: this EngageLabPush\CancelToken was destroyed', $out);
        self::assertStringEndsWith("done\n", $out);
        self::assertSame([], $this->mock->log());
        self::assertContains('dtor-device', $this->mock->devices());
    }

    public function testAClientIsNeitherClonedNorSerialized(): void
    {
        $client = $this->client();
        $this->expectException(\LogicException::class);
        serialize($client);
    }
}
