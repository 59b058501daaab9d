<?php

// The fault matrix of tests/contract/faults/matrix.json (format and checks in
// tests/contract/faults/README.md): one data set per case, named after it,
// deleting a device through one toxiproxy proxy in front of the mock, with
// the case's toxic (if any) on it, or with that proxy as the client's
// CONNECT proxy. It needs a running toxiproxy server at TOXIPROXY_URL, which
// `cargo xtask binding php test` starts; without it the matrix is skipped,
// saying why.

declare(strict_types=1);

namespace EngageLabPush\Tests;

use EngageLabPush\Client;
use EngageLabPush\EngageLabException;
use EngageLabPush\Tests\Support\Mock;
use PHPUnit\Framework\TestCase;

final class FaultsTest extends TestCase
{
    private const DEVICE = 'fault-device';
    /** The API host of a case run through a proxy: never resolved, the proxy is asked for it. */
    private const PROXIED_HOST = 'push.example.invalid';

    private static ?Mock $mock = null;
    private static ?string $proxy = null;
    private static ?string $proxyUrl = null;

    /** The matrix, validated against its schema by `cargo xtask lint`. */
    private static function matrix(): \stdClass
    {
        $m = json_decode((string) file_get_contents(Mock::repo() . '/tests/contract/faults/matrix.json'), false, 512, JSON_THROW_ON_ERROR);
        return $m;
    }

    /** @return array<string, array{\stdClass}> */
    public static function cases(): array
    {
        $out = [];
        foreach (self::matrix()->cases as $c) {
            $out[$c->name] = [$c];
        }
        return $out;
    }

    /** toxiproxy's API, with no proxy from the environment (PHP's http wrapper reads none). */
    private static function toxiproxy(string $method, string $path, mixed $body = null): mixed
    {
        $context = stream_context_create(['http' => [
            'method' => $method,
            'header' => "Content-Type: application/json\r\nConnection: close\r\n",
            'content' => $body === null ? '' : json_encode($body, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES),
            'ignore_errors' => true,
            'timeout' => 30,
        ]]);
        $text = file_get_contents(rtrim((string) getenv('TOXIPROXY_URL'), '/') . $path, false, $context);
        $status = $http_response_header[0] ?? '';
        if ($text === false || !preg_match('#^HTTP/\S+ 2\d\d#', $status)) {
            throw new \RuntimeException("toxiproxy {$method} {$path}: {$status} {$text}");
        }
        return $text === '' ? null : json_decode($text, false, 512, JSON_THROW_ON_ERROR);
    }

    public static function tearDownAfterClass(): void
    {
        if (self::$proxy !== null) {
            self::toxiproxy('DELETE', '/proxies/' . self::$proxy);
            self::$proxy = null;
        }
        self::$mock = null;
    }

    /**
     * Prepares one case (the mock reset, seeded and given the case's
     * mock_config; toxiproxy reset with the case's toxic) and returns the
     * client that makes the call. A new kind of case is set up here.
     */
    private static function setUpCase(\stdClass $matrix, \stdClass $c): Client
    {
        $mock = self::$mock ??= new Mock();
        if (self::$proxy === null) {
            self::$proxy = 'engagelab-php-' . getmypid();
            $proxy = self::toxiproxy('POST', '/proxies', [
                'name' => self::$proxy,
                'listen' => '127.0.0.1:0',
                'upstream' => preg_replace('#^http://#', '', $mock->url),
            ]);
            self::$proxyUrl = 'http://' . $proxy->listen;
        }
        $mock->reset();
        $mock->addDevice(self::DEVICE);
        self::toxiproxy('POST', '/reset');
        if (isset($c->mock_config)) {
            $mock->call('POST', 'config', $c->mock_config);
        }
        if (isset($c->toxic)) {
            $toxic = clone $c->toxic;
            $toxic->name = 'fault';
            $toxic->toxicity = 1.0;
            self::toxiproxy('POST', '/proxies/' . self::$proxy . '/toxics', $toxic);
        }
        $s = $matrix->client;
        $settings = [
            'timeout' => $s->timeout_ms / 1000,
            'connectTimeout' => $s->connect_timeout_ms / 1000,
            'maxRetries' => $s->max_retries,
            'backoffBase' => $s->backoff_base_ms / 1000,
            'backoffMax' => $s->backoff_max_ms / 1000,
        ];
        // Through a proxy, toxiproxy stands before the mock as a CONNECT proxy.
        $through = $c->through_proxy ?? null;
        $where = $through === null
            ? ['baseUrl' => self::$proxyUrl]
            : ['baseUrl' => "{$through}://" . self::PROXIED_HOST, 'proxy' => self::$proxyUrl, 'allowInsecureHttp' => true];
        return new Client(Mock::APP_KEY, Mock::MASTER_SECRET, ...$where, ...$settings);
    }

    /** @dataProvider cases */
    public function testFault(\stdClass $c): void
    {
        if ((string) getenv('TOXIPROXY_URL') === '') {
            self::markTestSkipped('TOXIPROXY_URL is not set: the fault matrix needs a running toxiproxy server (`cargo xtask binding php test` starts one)');
        }
        $matrix = self::matrix();
        $client = self::setUpCase($matrix, $c);
        $error = null;
        $started = hrtime(true);
        try {
            $client->deleteDevice(self::DEVICE);
        } catch (EngageLabException $e) {
            $error = $e;
        }
        $tookMs = intdiv(hrtime(true) - $started, 1_000_000);
        // Let the proxy pass on what it still holds before reading the log.
        self::toxiproxy('POST', '/reset');
        usleep(50_000);
        $seen = count(self::$mock->log());

        $expect = $c->expect;
        $s = $matrix->client;
        $wrong = [];
        $status = $error === null ? 'OK' : $error->getStatus();
        $maybeDeleted = $error !== null && $error->maybeDeleted;
        if ($status !== $expect->status) {
            $wrong[] = "status {$status}, want {$expect->status}" . ($error === null ? '' : ': ' . $error->getMessage());
        }
        if (isset($expect->maybe_deleted) && $expect->maybe_deleted !== $maybeDeleted) {
            $wrong[] = 'maybe_deleted ' . var_export($maybeDeleted, true) . ', want ' . var_export($expect->maybe_deleted, true);
        }
        $limit = $s->timeout_ms + $matrix->deadline_slack_ms;
        if ($tookMs > $limit) {
            $wrong[] = "took {$tookMs} ms, past the deadline plus slack ({$limit} ms)";
        }
        if (isset($expect->min_elapsed_ms) && $tookMs < $expect->min_elapsed_ms) {
            $wrong[] = "took {$tookMs} ms, less than {$expect->min_elapsed_ms} ms";
        }
        if ($seen > 1 + $s->max_retries) {
            $wrong[] = "the server saw {$seen} requests, more than 1 + {$s->max_retries}";
        }
        self::assertSame([], $wrong, $c->name);
    }
}
