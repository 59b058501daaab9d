<?php

// Proves the scenario validator bites (step 3 of the runner contract,
// tests/contract/scenarios/README.md): copies of the real files with one fault each
// give exactly that one problem; the real files give none.

declare(strict_types=1);

namespace EngageLabPush\Tests;

use EngageLabPush\Tests\Support\Mock;
use EngageLabPush\Tests\Support\Schema;
use PHPUnit\Framework\TestCase;

final class SchemaCheckTest extends TestCase
{
    private static function load(string $file): mixed
    {
        return json_decode((string) file_get_contents(Mock::repo() . "/tests/contract/scenarios/{$file}"), false, 512, JSON_THROW_ON_ERROR);
    }

    /** The first scenario for which $has holds, and its index. */
    private static function find(\stdClass $doc, callable $has): array
    {
        foreach ($doc->scenarios as $i => $s) {
            if ($has($s)) {
                return [$i, $s];
            }
        }
        self::fail('no scenario fits');
    }

    /** @return list<string> */
    private static function problems(mixed $doc): array
    {
        return Schema::fileProblems(self::load('schema.json'), $doc);
    }

    public function testTheRealFilesPass(): void
    {
        foreach (['delete_device.json', 'get_device.json', 'get_alias.json'] as $file) {
            self::assertSame([], self::problems(self::load($file)), $file);
        }
    }

    /** @return array<string, array{string, callable, string}> */
    public static function faults(): array
    {
        $first = static fn (string $key): callable => static fn (\stdClass $s): bool => isset($s->$key);
        return [
            'unknown key in expect' => ['delete_device.json', static function (\stdClass $d): string {
                $d->scenarios[0]->expect->no_such_field = 1;
                return "scenario \"{$d->scenarios[0]->name}\": \$.scenarios[0].expect.no_such_field: unknown key";
            }, ''],
            'unknown key in client' => ['delete_device.json', static function (\stdClass $d) use ($first): string {
                [$i, $s] = self::find($d, $first('client'));
                $s->client->no_such_setting = 1;
                return "scenario \"{$s->name}\": \$.scenarios[{$i}].client.no_such_setting: unknown key";
            }, ''],
            'unknown key at the top of a scenario' => ['delete_device.json', static function (\stdClass $d): string {
                $d->scenarios[0]->whatever = true;
                return "scenario \"{$d->scenarios[0]->name}\": \$.scenarios[0].whatever: unknown key";
            }, ''],
            'unknown key in a request entry' => ['delete_device.json', static function (\stdClass $d) use ($first): string {
                [$i, $s] = self::find($d, static fn ($s) => isset($s->expect->requests[0]));
                $s->expect->requests[0]->extra = 1;
                return "scenario \"{$s->name}\": \$.scenarios[{$i}].expect.requests[0].extra: unknown key";
            }, ''],
            'unknown key in a script entry' => ['delete_device.json', static function (\stdClass $d) use ($first): string {
                [$i, $s] = self::find($d, $first('script'));
                $s->script[0]->extra = 1;
                return "scenario \"{$s->name}\": \$.scenarios[{$i}].script[0].extra: unknown key";
            }, ''],
            'unknown key at the top level' => ['delete_device.json', static function (\stdClass $d): string {
                $d->extra = 1;
                return '$.extra: unknown key';
            }, ''],
            'wrong type' => ['delete_device.json', static function (\stdClass $d): string {
                $d->scenarios[0]->expect->attempts = 'one';
                return "scenario \"{$d->scenarios[0]->name}\": \$.scenarios[0].expect.attempts: expected integer, got string";
            }, ''],
            'missing required key' => ['delete_device.json', static function (\stdClass $d): string {
                unset($d->scenarios[0]->about);
                return "scenario \"{$d->scenarios[0]->name}\": \$.scenarios[0]: missing required key \"about\"";
            }, ''],
            'unknown status' => ['delete_device.json', static function (\stdClass $d): string {
                $d->scenarios[0]->expect->status = 'MAYBE';
                return "scenario \"{$d->scenarios[0]->name}\": \$.scenarios[0].expect.status: \"MAYBE\"";
            }, 'prefix'],
            'unknown call' => ['get_device.json', static function (\stdClass $d): string {
                $d->scenarios[0]->call = 'get_everything';
                return "scenario \"{$d->scenarios[0]->name}\": \$.scenarios[0].call: \"get_everything\"";
            }, 'prefix'],
            'unknown key in expect.device' => ['get_device.json', static function (\stdClass $d): string {
                [$i, $s] = self::find($d, static fn ($s) => isset($s->expect->device));
                $s->expect->device->colour = 'red';
                return "scenario \"{$s->name}\": \$.scenarios[{$i}].expect.device.colour: unknown key";
            }, ''],
            'unknown key in an object device seed' => ['get_device.json', static function (\stdClass $d): string {
                [$i, $s] = self::find($d, static fn ($s) => is_object($s->devices[0] ?? null));
                $s->devices[0]->colour = 'red';
                return "scenario \"{$s->name}\": \$.scenarios[{$i}].devices[0].colour: unknown key";
            }, ''],
            'unknown platform in a device seed' => ['get_alias.json', static function (\stdClass $d): string {
                [$i, $s] = self::find($d, static fn ($s) => is_object($s->devices[0] ?? null));
                $s->devices[0]->platform = 'amiga';
                return "scenario \"{$s->name}\": \$.scenarios[{$i}].devices[0].platform: \"amiga\"";
            }, 'prefix'],
            'registration_ids not a list' => ['get_alias.json', static function (\stdClass $d): string {
                [$i, $s] = self::find($d, static fn ($s) => isset($s->expect->registration_ids));
                $s->expect->registration_ids = 'a';
                return "scenario \"{$s->name}\": \$.scenarios[{$i}].expect.registration_ids: expected array, got string";
            }, ''],
            'platforms item not a string' => ['get_alias.json', static function (\stdClass $d): string {
                [$i, $s] = self::find($d, static fn ($s) => isset($s->platforms));
                $s->platforms = [7];
                return "scenario \"{$s->name}\": \$.scenarios[{$i}].platforms[0]: expected string, got integer";
            }, ''],
        ];
    }

    /** @dataProvider faults */
    public function testOneFaultGivesExactlyThatProblem(string $file, callable $break, string $match): void
    {
        $doc = self::load($file);
        $want = $break($doc);
        $got = self::problems($doc);
        self::assertCount(1, $got, implode("\n", $got));
        if ($match === 'prefix') {
            self::assertStringStartsWith($want, $got[0]);
        } else {
            self::assertSame($want, $got[0]);
        }
    }

    public function testAnUnsupportedSchemaKeywordIsReported(): void
    {
        $schema = self::load('schema.json');
        $schema->pattern = 'x';
        self::assertSame(['$: schema keyword "pattern" is not supported'], Schema::validate($schema, self::load('delete_device.json')));
    }
}
