<?php

// Every scenario of tests/contract/scenarios/bulk.json (deleteDevices with a
// list or a file, eraseUsers, and their callbacks) against engagelab-mock,
// one data set each, named after the scenario (`phpunit --filter
// bulk_guard_refuses_and_sends_nothing`), after checking the file against
// bulk_schema.json. A scenario's cancel is a CancelToken cancelled from a
// callback, as a PHP user's would be.

declare(strict_types=1);

namespace EngageLabPush\Tests;

use EngageLabPush\BulkException;
use EngageLabPush\BulkOptions;
use EngageLabPush\BulkPlan;
use EngageLabPush\BulkProgress;
use EngageLabPush\BulkSummary;
use EngageLabPush\CancelToken;
use EngageLabPush\Client;
use EngageLabPush\EngageLabException;
use EngageLabPush\Erasure;
use EngageLabPush\Tests\Support\Mock;
use PHPUnit\Framework\TestCase;

final class BulkScenariosTest extends TestCase
{
    private static ?Mock $mock = null;

    public static function tearDownAfterClass(): void
    {
        self::$mock = null;
    }

    /** @return array<string, array{\stdClass}> */
    public static function scenarios(): array
    {
        // Validated once, against bulk_schema.json, by `cargo xtask lint`.
        $dir = Mock::repo() . '/tests/contract/scenarios';
        $data = json_decode((string) file_get_contents("{$dir}/bulk.json"), false, 512, JSON_THROW_ON_ERROR);
        $out = [];
        foreach ($data->scenarios ?? [] as $s) {
            $out[$s->name] = [$s];
        }
        return $out;
    }

    /** @return list<\stdClass> the JSON lines of $file from line $from on; $count becomes its line count */
    private static function lines(string $file, int $from, int &$count): array
    {
        if (!is_file($file)) {
            $count = 0;
            return [];
        }
        $all = file($file, FILE_IGNORE_NEW_LINES) ?: [];
        $count = count($all);
        $out = [];
        foreach (array_slice($all, $from) as $line) {
            if (trim($line) !== '') {
                $out[] = json_decode($line, false, 512, JSON_THROW_ON_ERROR);
            }
        }
        return $out;
    }

    /** @param list<string> $l */
    private static function sorted(array $l): array
    {
        sort($l);
        return $l;
    }

    /** @dataProvider scenarios */
    public function testScenario(\stdClass $sc): void
    {
        $mock = self::$mock ??= new Mock();
        $mock->reset();
        foreach ($sc->devices ?? [] as $device) {
            $mock->addDevice($device);
        }
        foreach ($sc->scripts ?? [] as $script) {
            $mock->call('POST', 'script', $script);
        }
        $dir = sys_get_temp_dir() . '/el-php-bulk-' . bin2hex(random_bytes(6));
        mkdir($dir, 0700);
        $journal = "{$dir}/journal";
        $backup = "{$dir}/backup.jsonl";
        $report = "{$dir}/report.jsonl";
        $reportSeen = 0;
        $backupSeen = 0;
        try {
            $client = new Client(Mock::APP_KEY, Mock::MASTER_SECRET, baseUrl: $mock->url, backoffBase: 0.001, backoffMax: 0.02);
            foreach ($sc->runs as $index => $r) {
                $where = 'run ' . ($index + 1);
                $expect = $r->expect;
                $settings = $r->settings ?? new \stdClass();
                $cancel = new CancelToken();
                $when = $r->cancel_when_done ?? 0;
                $plans = [];
                $resolved = [];
                $how = $r->confirm ?? null;
                $options = new BulkOptions(
                    qps: $settings->qps ?? null,
                    concurrency: $settings->concurrency ?? null,
                    maxDeletions: $settings->max_deletions ?? null,
                    dryRun: $settings->dry_run ?? false,
                    journal: ($settings->journal ?? false) ? $journal : null,
                    backup: ($settings->backup ?? false) ? $backup : null,
                    report: ($settings->report ?? false) ? $report : null,
                    onProgress: $when > 0 ? static function (BulkProgress $p) use ($when, $cancel): void {
                        if ($p->done >= $when) {
                            $cancel->cancel();
                        }
                    } : null,
                    confirm: $how === null ? null : static function (BulkPlan $plan) use (&$plans, $how, $cancel): bool {
                        $plans[] = $plan;
                        if ($how === 'cancel') {
                            $cancel->cancel();
                        }
                        return $how !== 'decline';
                    },
                    onResolved: static function (string $alias, array $ids) use (&$resolved): void {
                        $resolved[] = ['alias' => $alias, 'registration_ids' => $ids];
                    },
                    cancel: $cancel,
                );
                $before = count($mock->log());
                $summary = null;
                $erasure = null;
                $failure = null;
                try {
                    switch ($sc->call) {
                        case 'erase_users':
                            $erasure = $client->eraseUsers($r->input, $options);
                            $summary = $erasure->summary;
                            break;
                        case 'delete_devices_from_file':
                            $input = "{$dir}/no-such-file.txt";
                            if (isset($r->input)) {
                                $input = "{$dir}/input.txt";
                                file_put_contents($input, implode("\n", $r->input) . "\n");
                            }
                            $summary = $client->deleteDevicesFromFile($input, $options);
                            break;
                        default:
                            $summary = $client->deleteDevices($r->input, $options);
                    }
                } catch (BulkException | EngageLabException $e) {
                    $failure = $e;
                }
                $status = 'OK';
                $kind = null;
                if ($failure instanceof BulkException) {
                    $status = $failure->getStatus();
                    $kind = $failure->kind;
                    $summary = $failure->summary;
                    self::assertInstanceOf(EngageLabException::class, $failure->getPrevious());
                } elseif ($failure instanceof EngageLabException) {
                    $status = $failure->getStatus();
                }
                self::assertSame($expect->status, $status, "{$where}: " . ($failure?->getMessage() ?? ''));
                self::assertSame($expect->error ?? null, $kind, $where);
                foreach ($expect->message_contains ?? [] as $part) {
                    self::assertStringContainsString($part, $failure?->getMessage() ?? '', $where);
                }
                if (isset($expect->plan)) {
                    self::assertCount(1, $plans, "{$where}: confirm calls");
                    $want = $expect->plan;
                    $got = ['entries' => $plans[0]->entries, 'ids' => $plans[0]->ids, 'dry_run' => $plans[0]->dryRun];
                    foreach (get_object_vars($want) as $k => $v) {
                        self::assertSame($v, $got[$k], "{$where}: plan.{$k}");
                    }
                }
                if (isset($expect->summary)) {
                    self::assertInstanceOf(BulkSummary::class, $summary, $where);
                    $got = [
                        'entries' => $summary->entries,
                        'ids' => $summary->ids,
                        'deleted' => $summary->deleted,
                        'not_found' => $summary->notFound,
                        'failed' => $summary->failed,
                        'invalid' => $summary->invalid,
                        'duplicate' => $summary->duplicate,
                        'already_done' => $summary->alreadyDone,
                        'would_delete' => $summary->wouldDelete,
                        'not_started' => $summary->notStarted,
                        'rate_limited' => $summary->rateLimited,
                        'interrupted' => $summary->interrupted,
                        'dry_run' => $summary->dryRun,
                        'stopped' => $summary->stopped !== null,
                    ];
                    foreach (get_object_vars($expect->summary) as $k => $v) {
                        self::assertArrayHasKey($k, $got, "{$where}: summary.{$k} is not a field");
                        self::assertSame($v, $got[$k], "{$where}: summary.{$k}");
                    }
                }
                $n = 0;
                $reportLines = self::lines($report, $reportSeen, $n);
                $reportSeen = $n;
                if (isset($expect->report)) {
                    $want = array_map(static fn ($l) => "{$l->registration_id} {$l->outcome}", $expect->report);
                    $got = [];
                    foreach ($reportLines as $l) {
                        if (isset($l->outcome)) {
                            $got[] = "{$l->registration_id} {$l->outcome}";
                        }
                    }
                    self::assertSame(self::sorted($want), self::sorted($got), "{$where}: report");
                }
                $backupLines = self::lines($backup, $backupSeen, $n);
                $backupSeen = $n;
                if (isset($expect->backup)) {
                    $got = array_map(static fn ($l) => $l->registration_id, $backupLines);
                    self::assertSame(self::sorted($expect->backup), self::sorted($got), "{$where}: backup");
                }
                if (isset($expect->requests)) {
                    $want = array_map(static fn ($q) => "{$q->method} {$q->path}", $expect->requests);
                    $got = array_map(static fn ($q) => "{$q->method} {$q->path}", array_slice($mock->log(), $before));
                    self::assertSame(self::sorted($want), self::sorted($got), "{$where}: requests");
                }
                if (isset($expect->resolved)) {
                    self::assertSame(
                        json_encode($expect->resolved),
                        json_encode($resolved),
                        "{$where}: resolved",
                    );
                }
                if (isset($expect->users)) {
                    self::assertInstanceOf(Erasure::class, $erasure, $where);
                    $got = array_map(static fn ($u) => [
                        'alias' => $u->alias,
                        'registration_ids' => $u->registrationIds,
                        'still_bound' => $u->stillBound,
                    ], $erasure->users);
                    self::assertSame(json_encode($expect->users), json_encode($got), "{$where}: users");
                }
                if (isset($expect->is_success)) {
                    self::assertInstanceOf(Erasure::class, $erasure, $where);
                    self::assertSame($expect->is_success, $erasure->isSuccess, "{$where}: is_success");
                }
                $store = $mock->devices();
                foreach ($expect->device_remains ?? [] as $id) {
                    self::assertContains($id, $store, "{$where}: {$id} should remain");
                }
                foreach ($expect->device_gone ?? [] as $id) {
                    self::assertNotContains($id, $store, "{$where}: {$id} should be gone");
                }
            }
        } finally {
            foreach (glob("{$dir}/*") ?: [] as $f) {
                unlink($f);
            }
            foreach (glob("{$dir}/.*") ?: [] as $f) {
                if (is_file($f)) {
                    unlink($f);
                }
            }
            @rmdir($dir);
        }
    }
}
