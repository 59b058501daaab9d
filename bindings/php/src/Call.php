<?php

declare(strict_types=1);

namespace EngageLabPush;

/**
 * What every call into the C library shares: the error record, the status
 * check, strings and string arrays for C, durations as milliseconds, and
 * the per-call options (deadline, cancel token).
 *
 * @internal
 */
final class Call
{
    /** How many calls into the library are running (nested through callbacks): a signal then cancels. */
    public static int $depth = 0;

    /**
     * Runs one blocking call into the library, counted in {@see $depth}.
     *
     * @template T
     * @param \Closure(): T $call
     * @return T
     */
    public static function blocking(\Closure $call): mixed
    {
        self::$depth++;
        try {
            return $call();
        } finally {
            self::$depth--;
        }
    }

    /** el_error's type and size, looked up once (FFI would parse the name on every new). */
    private static ?\FFI\CType $errorType = null;

    private static int $errorSize = 0;

    /** A zeroed el_error with its size set. */
    public static function error(\FFI $ffi): \FFI\CData
    {
        if (self::$errorType === null) {
            self::$errorType = $ffi->type('el_error');
            self::$errorSize = \FFI::sizeof(self::$errorType);
        }
        $err = $ffi->new(self::$errorType);
        $err->size = self::$errorSize;
        return $err;
    }

    /** Throws the exception for a failed C call. */
    public static function check(int $status, \FFI\CData $err): void
    {
        if ($status !== 0) {
            throw EngageLabException::fromNative($status, $err);
        }
    }

    /** A string for C: one holding a NUL byte is refused (C would cut it there). */
    public static function text(string $name, #[\SensitiveParameter] string $value): string
    {
        $at = strpos($value, "\0");
        if ($at !== false) {
            throw EngageLabException::invalidArgument("{$name} contains a NUL byte at byte {$at}");
        }
        return $value;
    }

    /** Seconds as the C ABI's milliseconds, rounded up (a positive duration never becomes 0). */
    public static function millis(string $name, float $seconds): int
    {
        if (!is_finite($seconds) || $seconds < 0) {
            throw EngageLabException::invalidArgument(
                "{$name} must be a finite, non-negative number of seconds, got {$seconds}"
            );
        }
        $ms = ceil($seconds * 1000);
        return $ms >= PHP_INT_MAX ? PHP_INT_MAX : (int) $ms;
    }

    /**
     * A `char *[]` of `$values` in one buffer (`[$array, $buffer]`: keep
     * both alive for the call). Each item must be a string without NUL.
     *
     * @param array<mixed> $values
     * @return array{0: ?\FFI\CData, 1: ?\FFI\CData}
     */
    public static function strings(\FFI $ffi, string $method, int $position, string $name, array $values): array
    {
        $count = count($values);
        if ($count === 0) {
            return [null, null];
        }
        $joined = '';
        $offsets = [];
        foreach (array_values($values) as $i => $value) {
            if (!is_string($value)) {
                throw new \TypeError(sprintf(
                    'EngageLabPush\Client::%s(): Argument #%d ($%s) must hold only strings, %s given at index %d',
                    $method,
                    $position,
                    $name,
                    get_debug_type($value),
                    $i,
                ));
            }
            $offsets[] = strlen($joined);
            $joined .= self::text("{$name}[{$i}]", $value) . "\0";
        }
        $buffer = $ffi->new('char[' . strlen($joined) . ']');
        \FFI::memcpy($buffer, $joined, strlen($joined));
        $array = $ffi->new("char*[{$count}]");
        foreach ($offsets as $i => $offset) {
            $array[$i] = \FFI::addr($buffer[$offset]);
        }
        return [$array, $buffer];
    }

    /**
     * Per-call options for a per-call timeout and a cancel token (the one
     * given, else the default one of {@see CancelToken::onSignal()}); null
     * for neither.
     */
    public static function options(\FFI $ffi, ?float $timeout, ?CancelToken $cancel): ?\FFI\CData
    {
        $cancel ??= CancelToken::$default;
        if ($timeout === null && $cancel === null) {
            return null;
        }
        $options = $ffi->new('el_call_options');
        $options->size = \FFI::sizeof($options);
        if ($timeout !== null) {
            // 0 included: the core decides what it means.
            $options->timeout_ms = self::millis('timeout', $timeout);
            $options->has_timeout = true;
        }
        if ($cancel !== null) {
            $options->cancel = $cancel->native();
        }
        return $options;
    }
}
