<?php

// Every scenario of tests/contract/scenarios/delete_device.json, get_device.json and
// get_alias.json against engagelab-mock, one data set each, named after the
// scenario (`phpunit --filter deletes_known_device`). The same files drive
// every other language's suite, so a PHP mapping that differs from the core's
// decision fails here. `cargo xtask lint` checks the files against
// schema.json; this runner reads them as they are.

declare(strict_types=1);

namespace EngageLabPush\Tests;

use EngageLabPush\Categories;
use EngageLabPush\Client;
use EngageLabPush\Device;
use EngageLabPush\EngageLabException;
use EngageLabPush\Tests\Support\Mock;
use PHPUnit\Framework\TestCase;

final class ScenariosTest extends TestCase
{
    private const FILES = ['delete_device.json', 'get_device.json', 'get_alias.json'];

    private static ?Mock $mock = null;

    public static function tearDownAfterClass(): void
    {
        self::$mock = null;
    }

    /** @return array<string, array{\stdClass}> */
    public static function scenarios(): array
    {
        $dir = Mock::repo() . '/tests/contract/scenarios';
        $out = [];
        foreach (self::FILES as $file) {
            $data = json_decode((string) file_get_contents("{$dir}/{$file}"), false, 512, JSON_THROW_ON_ERROR);
            foreach ($data->scenarios as $s) {
                $s->credentials = $data->credentials;
                $out[$s->name] = [$s];
            }
        }
        return $out;
    }

    /** @dataProvider scenarios */
    public function testScenario(\stdClass $scenario): void
    {
        $mock = self::$mock ??= new Mock();
        $expect = $scenario->expect;
        $call = $scenario->call ?? 'delete_device';
        self::assertContains($call, ['delete_device', 'get_device', 'get_alias']);
        $mock->reset();
        foreach ($scenario->devices ?? [] as $device) {
            $mock->addDevice($device);
        }
        if (isset($scenario->script)) {
            if ($call === 'get_alias') {
                $mock->scriptAlias($scenario->script_id ?? $scenario->alias, $scenario->script);
            } else {
                $mock->script($scenario->script_id ?? $scenario->registration_id, $scenario->script);
            }
        }

        $settings = $scenario->client ?? new \stdClass();
        $args = [
            'appKey' => $settings->app_key ?? $scenario->credentials->app_key,
            'masterSecret' => $settings->master_secret ?? $scenario->credentials->master_secret,
            'baseUrl' => isset($settings->base_url) ? str_replace('{mock}', $mock->url, $settings->base_url) : $mock->url,
            // Fast backoff unless the scenario tests the backoff itself.
            'backoffBase' => ($settings->backoff_base_ms ?? 1) / 1000,
            'backoffMax' => ($settings->backoff_max_ms ?? 20) / 1000,
        ];
        $map = [
            'region' => 'region', 'timeout_ms' => 'timeout', 'connect_timeout_ms' => 'connectTimeout',
            'max_retries' => 'maxRetries', 'max_retry_after_ms' => 'maxRetryAfter', 'allow_insecure_http' => 'allowInsecureHttp',
        ];
        foreach (get_object_vars($settings) as $key => $value) {
            if (in_array($key, ['app_key', 'master_secret', 'base_url', 'backoff_base_ms', 'backoff_max_ms'], true)) {
                continue;
            }
            self::assertArrayHasKey($key, $map, "client.{$key}: no Client argument maps it");
            $args[$map[$key]] = str_ends_with($key, '_ms') ? $value / 1000 : $value;
        }

        $client = null;
        $error = null;
        $result = null;
        $started = hrtime(true);
        try {
            $client = new Client(...$args);
            $result = match ($call) {
                'get_device' => $client->getDevice($scenario->registration_id),
                'get_alias' => $client->getAlias($scenario->alias, $scenario->platforms ?? []),
                default => $client->deleteDevice($scenario->registration_id),
            };
        } catch (EngageLabException $e) {
            $error = $e;
        }
        $elapsedMs = (hrtime(true) - $started) / 1e6;
        $log = $mock->log();

        if ($expect->status === 'OK') {
            self::assertNull($error, 'expected success, got ' . $error?->getMessage());
            if (isset($expect->attempts)) {
                self::assertCount($expect->attempts, $log);
            }
            if (isset($expect->attempts_at_least)) {
                self::assertGreaterThanOrEqual($expect->attempts_at_least, count($log));
            }
            if ($call === 'get_device') {
                self::assertInstanceOf(Device::class, $result);
                self::assertSame($scenario->registration_id, $result->registrationId);
                foreach (get_object_vars($expect->device ?? new \stdClass()) as $key => $want) {
                    match ($key) {
                        'tags' => self::assertSame($want, $result->tags),
                        'alias' => self::assertSame($want, $result->alias),
                        'raw' => self::assertEquals(json_decode(json_encode($want), true), $result->raw),
                        'raw_json' => self::assertSame($want, $result->rawJson),
                        default => self::fail("expect.device.{$key}: this runner does not check it"),
                    };
                }
            }
            if ($call === 'get_alias') {
                self::assertIsArray($result);
                self::assertTrue(array_is_list($result));
                if (property_exists($expect, 'registration_ids')) {
                    self::assertSame($expect->registration_ids, $result);
                }
            }
        } else {
            self::assertNotNull($error, 'expected an error, the call succeeded');
            $class = null;
            foreach (Categories::BY_CODE as [$name, $c]) {
                if ($name === $expect->status) {
                    $class = $c;
                }
            }
            self::assertNotNull($class, "no class for {$expect->status}");
            self::assertSame($class, $error::class, $error->getMessage());
            self::assertSame($expect->status, $error->getStatus());
            if (property_exists($expect, 'http_status')) {
                self::assertSame($expect->http_status, $error->httpStatus);
            }
            if (property_exists($expect, 'api_code')) {
                self::assertSame($expect->api_code, $error->apiCode);
            }
            if (isset($expect->attempts)) {
                self::assertSame($expect->attempts, $error->attempts);
            }
            if (isset($expect->attempts_at_least)) {
                self::assertGreaterThanOrEqual($expect->attempts_at_least, $error->attempts);
            }
            if (property_exists($expect, 'maybe_deleted')) {
                self::assertSame($expect->maybe_deleted, $error->maybeDeleted);
            }
            if (property_exists($expect, 'retry_after_ms')) {
                if ($expect->retry_after_ms === null) {
                    self::assertNull($error->retryAfter);
                } else {
                    self::assertEqualsWithDelta($expect->retry_after_ms / 1000, $error->retryAfter, 0.001);
                }
            }
            foreach ($expect->message_contains ?? [] as $text) {
                self::assertStringContainsString($text, $error->getMessage());
            }
        }

        $shown = [];
        if ($client !== null) {
            $shown[] = print_r($client, true);
            $shown[] = var_export($client, true);
            ob_start();
            var_dump($client);
            $shown[] = (string) ob_get_clean();
        }
        if ($error !== null) {
            $shown[] = $error->getMessage();
            $shown[] = (string) $error;
            $shown[] = print_r(get_object_vars($error), true);
            // The arguments of the binding's own frames (the test's frames hold the scenario).
            foreach ($error->getTrace() as $frame) {
                $class = $frame['class'] ?? '';
                if (str_starts_with($class, 'EngageLabPush\\') && !str_starts_with($class, 'EngageLabPush\\Tests\\')) {
                    $shown[] = print_r($frame['args'] ?? [], true);
                }
            }
        }
        foreach ($expect->message_excludes ?? [] as $secret) {
            foreach ($shown as $text) {
                self::assertStringNotContainsString($secret, $text);
            }
        }

        if (isset($expect->requests)) {
            self::assertSame(count($expect->requests), count($log), (string) json_encode($log));
            foreach ($expect->requests as $i => $want) {
                self::assertSame($want->method, $log[$i]->method);
                self::assertSame($want->path, $log[$i]->path);
                $headers = [];
                foreach ($log[$i]->headers as [$n, $v]) {
                    $headers[strtolower($n)] = $v;
                }
                foreach (get_object_vars($want->headers ?? new \stdClass()) as $n => $v) {
                    self::assertSame($v, $headers[strtolower($n)] ?? null, "header {$n}");
                }
                if (property_exists($want, 'body_size')) {
                    self::assertSame($want->body_size, $log[$i]->body_size);
                }
            }
        }
        if (isset($expect->device_remains) || isset($expect->device_gone)) {
            $devices = $mock->devices();
            foreach ($expect->device_remains ?? [] as $d) {
                self::assertContains($d, $devices, "{$d} should remain");
            }
            foreach ($expect->device_gone ?? [] as $d) {
                self::assertNotContains($d, $devices, "{$d} should be gone");
            }
        }
        if (isset($expect->min_elapsed_ms)) {
            self::assertGreaterThanOrEqual($expect->min_elapsed_ms, $elapsedMs);
        }
    }
}
