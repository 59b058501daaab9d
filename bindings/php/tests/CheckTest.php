<?php

// check() against engagelab-mock: the facts of the report, a difference
// from what the library assumes named by its code, a bad device id refused
// before sending, only GETs sent, and the timeout bounding the whole check.

declare(strict_types=1);

namespace EngageLabPush\Tests;

use EngageLabPush\CheckFinding;
use EngageLabPush\Client;
use EngageLabPush\InvalidArgumentException;
use EngageLabPush\TimeoutException;
use EngageLabPush\Tests\Support\Mock;
use PHPUnit\Framework\TestCase;

final class CheckTest extends TestCase
{
    public function testReportsTheAnswersAndNamesDifferences(): void
    {
        $mock = new Mock();
        $mock->addDevice('php-check');
        $client = new Client(Mock::APP_KEY, Mock::MASTER_SECRET, baseUrl: $mock->url);
        $report = $client->check('php-check');
        self::assertTrue($report->credentialsAccepted);
        self::assertSame($mock->url, rtrim($report->baseUrl, '/'));
        self::assertSame(400, $report->unknownDeviceHttpStatus);
        self::assertSame(27002, $report->unknownDeviceApiCode);
        self::assertSame([], $report->findings);
        self::assertNull($report->tlsVersion);
        self::assertNotNull($report->address);
        self::assertNotNull($report->clockSkew);
        self::assertGreaterThan(0.0, $report->rtt);
        self::assertStringContainsString('"kind":"device"', $report->json);
        self::assertIsArray(json_decode($report->json, true, 512, JSON_THROW_ON_ERROR));
        self::assertStringNotContainsString(Mock::MASTER_SECRET, $report->json);

        $mock->call('POST', 'config', ['unknown_device' => ['status' => 404, 'body' => '']]);
        $other = $client->check();
        self::assertSame(404, $other->unknownDeviceHttpStatus);
        self::assertSame(['unknown_device_answer'], array_map(static fn (CheckFinding $f): string => $f->code, $other->findings));
        self::assertNotSame('', $other->findings[0]->message);
        foreach ($mock->log() as $request) {
            self::assertSame('GET', $request->method);
        }

        $mock->reset();
        try {
            $client->check('a b');
            self::fail('a bad id was accepted');
        } catch (InvalidArgumentException) {
            self::assertSame([], $mock->log());
        }
    }

    public function testTheTimeoutBoundsTheWholeCheck(): void
    {
        $mock = new Mock();
        // Six answers of 150 ms take 900 ms; no one of them exceeds 0.4 s.
        $mock->call('POST', 'config', ['latency_ms' => 150]);
        $client = new Client(Mock::APP_KEY, Mock::MASTER_SECRET, baseUrl: $mock->url);
        $start = hrtime(true);
        try {
            $client->check(timeout: 0.4);
            self::fail('the check outlived its deadline');
        } catch (TimeoutException $e) {
            self::assertFalse($e->maybeDeleted);
        }
        self::assertGreaterThanOrEqual(0.399, (hrtime(true) - $start) / 1e9);
        $sent = $mock->log();
        self::assertLessThan(6, count($sent), 'requests sent past the deadline');
        foreach ($sent as $request) {
            self::assertSame('GET', $request->method);
        }
    }
}
