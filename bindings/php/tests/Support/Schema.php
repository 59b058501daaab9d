<?php

declare(strict_types=1);

namespace EngageLabPush\Tests\Support;

/**
 * A validator for the subset of JSON Schema that tests/contract/scenarios/schema.json
 * uses: type, properties, required, additionalProperties (false or a schema),
 * items, enum, $ref to #/$defs/..., minimum. Any other keyword in the schema
 * is reported, so a rule this validator would skip cannot be added silently.
 * It follows bindings/node/test/support/schema.cjs and the Rust, C and Python
 * validators rule for rule. Documents are decoded with objects as stdClass,
 * so {} and [] stay apart.
 */
final class Schema
{
    private const KEYWORDS = ['type', 'properties', 'required', 'additionalProperties', 'items', 'enum', '$ref', 'minimum'];
    private const ANNOTATIONS = ['$schema', '$id', '$comment', 'title', 'description', '$defs'];

    public static function typeName(mixed $v): string
    {
        return match (true) {
            $v === null => 'null',
            is_bool($v) => 'boolean',
            is_int($v) => 'integer',
            is_float($v) => floor($v) == $v && is_finite($v) ? 'integer' : 'number',
            is_string($v) => 'string',
            is_array($v) => 'array',
            $v instanceof \stdClass => 'object',
            default => get_debug_type($v),
        };
    }

    private static function json(mixed $v): string
    {
        return json_encode($v, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION);
    }

    /** @param list<string> $errors */
    private static function check(\stdClass $root, mixed $schema, mixed $v, string $at, array &$errors): void
    {
        if (!$schema instanceof \stdClass) {
            $errors[] = "{$at}: the schema here is not an object";
            return;
        }
        foreach (array_keys(get_object_vars($schema)) as $key) {
            if (!in_array($key, self::KEYWORDS, true) && !in_array($key, self::ANNOTATIONS, true)) {
                $errors[] = "{$at}: schema keyword \"{$key}\" is not supported";
            }
        }
        if (property_exists($schema, '$ref')) {
            $ref = $schema->{'$ref'};
            $name = is_string($ref) && str_starts_with($ref, '#/$defs/') ? substr($ref, 8) : null;
            $defs = ($root->{'$defs'} ?? null) instanceof \stdClass ? $root->{'$defs'} : new \stdClass();
            if ($name !== null && property_exists($defs, $name)) {
                self::check($root, $defs->$name, $v, $at, $errors);
            } else {
                $errors[] = "{$at}: cannot resolve \$ref " . self::json($ref);
            }
        }
        $got = self::typeName($v);
        if (property_exists($schema, 'type')) {
            $types = is_array($schema->type) ? $schema->type : [$schema->type];
            $fits = array_filter($types, static fn ($t): bool => $t === $got || ($t === 'number' && $got === 'integer'));
            if ($fits === []) {
                $errors[] = "{$at}: expected " . implode(' or ', $types) . ", got {$got}";
                return;
            }
        }
        if (property_exists($schema, 'enum')) {
            $same = array_filter($schema->enum, static fn ($a): bool => self::typeName($a) === $got && self::json($a) === self::json($v));
            if ($same === []) {
                $errors[] = "{$at}: " . self::json($v) . ' is not one of ' . self::json($schema->enum);
            }
        }
        if (isset($schema->minimum) && (is_int($v) || is_float($v)) && $v < $schema->minimum) {
            $errors[] = "{$at}: " . self::json($v) . " is less than the minimum {$schema->minimum}";
        }
        if (property_exists($schema, 'items') && is_array($v)) {
            foreach ($v as $i => $item) {
                self::check($root, $schema->items, $item, "{$at}[{$i}]", $errors);
            }
        }
        if (!$v instanceof \stdClass) {
            return;
        }
        foreach ($schema->required ?? [] as $name) {
            if (!property_exists($v, $name)) {
                $errors[] = "{$at}: missing required key \"{$name}\"";
            }
        }
        $properties = $schema->properties ?? new \stdClass();
        $extra = $schema->additionalProperties ?? null;
        foreach (get_object_vars($v) as $key => $value) {
            $child = "{$at}.{$key}";
            if (property_exists($properties, (string) $key)) {
                self::check($root, $properties->$key, $value, $child, $errors);
            } elseif ($extra === false) {
                $errors[] = "{$child}: unknown key";
            } elseif ($extra instanceof \stdClass) {
                self::check($root, $extra, $value, $child, $errors);
            }
        }
    }

    /** @return list<string> every violation of $schema by $instance, as "$.path: what" */
    public static function validate(\stdClass $schema, mixed $instance): array
    {
        $errors = [];
        self::check($schema, $schema, $instance, '$', $errors);
        return $errors;
    }

    /** @return list<string> what the schema cannot say about a scenario's input for its call */
    public static function inputProblems(\stdClass $scenario): array
    {
        $has = static fn (string $k): bool => property_exists($scenario, $k);
        $bad = [];
        if (($scenario->call ?? null) === 'get_alias') {
            if (!$has('alias')) {
                $bad[] = 'input: a get_alias scenario needs alias';
            }
            if ($has('registration_id')) {
                $bad[] = 'input: a get_alias scenario takes no registration_id';
            }
        } else {
            if (!$has('registration_id')) {
                $bad[] = 'input: a device scenario needs registration_id';
            }
            foreach (['alias', 'platforms'] as $key) {
                if ($has($key)) {
                    $bad[] = "input: {$key} is for get_alias scenarios only";
                }
            }
        }
        return $bad;
    }

    /** @return list<string> the violations of a scenario file, each naming its scenario */
    public static function fileProblems(\stdClass $schema, mixed $doc): array
    {
        $scenarios = $doc instanceof \stdClass && is_array($doc->scenarios ?? null) ? $doc->scenarios : [];
        $nameOf = static fn (mixed $s): string => $s instanceof \stdClass && is_string($s->name ?? null) ? $s->name : '?';
        $problems = array_map(static function (string $e) use ($scenarios, $nameOf): string {
            if (!preg_match('/^\$\.scenarios\[(\d+)\]/', $e, $m)) {
                return $e;
            }
            return "scenario \"{$nameOf($scenarios[(int) $m[1]] ?? null)}\": {$e}";
        }, self::validate($schema, $doc));
        $seen = [];
        foreach ($scenarios as $s) {
            $name = $nameOf($s);
            if ($s instanceof \stdClass && is_string($s->name ?? null)) {
                if (isset($seen[$name])) {
                    $problems[] = "scenario \"{$name}\": the name is used twice";
                }
                $seen[$name] = true;
            }
            if ($s instanceof \stdClass) {
                foreach (self::inputProblems($s) as $p) {
                    $problems[] = "scenario \"{$name}\": {$p}";
                }
            }
        }
        return $problems;
    }
}
