<?php

declare(strict_types=1);

namespace EngageLabPush;

/**
 * The settings of {@see Client::deleteDevices()},
 * {@see Client::deleteDevicesFromFile()} and {@see Client::eraseUsers()},
 * as named arguments; null takes the core's default.
 *
 * Callbacks run on the calling thread, one at a time, before the call
 * returns. An exception a callback throws stops the run (nothing more is
 * sent; a confirm that throws says no) and is rethrown once the run ended.
 * A callback must not exit() or die(): PHP's FFI makes that a fatal error
 * that abandons the run mid-flight (under PHP-FPM the worker goes on
 * deleting, then crashes); throw instead.
 */
final class BulkOptions
{
    /** @var ?\Closure(BulkProgress): void */
    public readonly ?\Closure $onProgress;

    /** @var ?\Closure(BulkPlan): bool */
    public readonly ?\Closure $confirm;

    /** @var ?\Closure(string, list<string>): void */
    public readonly ?\Closure $onResolved;

    /**
     * @param ?int $qps requests per second, GET and DELETE together (default Defaults::DEFAULT_QPS)
     * @param ?int $concurrency the most requests in flight (default: qps, between Defaults::MIN_DEFAULT_CONCURRENCY and Defaults::MAX_DEFAULT_CONCURRENCY)
     * @param ?int $maxDeletions the guard (default Defaults::DEFAULT_MAX_DELETIONS): more distinct ids and nothing is sent
     * @param bool $dryRun validate, dedupe and count; send no DELETE
     * @param ?string $journal the journal that makes the run resumable (created 0600)
     * @param ?string $backup each device (GET) appended as a JSON line before its DELETE (created 0600)
     * @param ?string $report one JSON line per entry, then a summary line (created 0600)
     * @param ?float $stallTimeout seconds the run may stay rate-limited with nothing settled before it stops (default Defaults::DEFAULT_STALL_TIMEOUT)
     * @param ?callable(BulkProgress): void $onProgress called at most every Defaults::PROGRESS_INTERVAL seconds and once at the end (not for a run cancelled before it started sending)
     * @param ?callable(BulkPlan): bool $confirm asked once the guard passed, before anything is sent; false declines
     * @param ?callable(string, list<string>): void $onResolved eraseUsers only: each alias and its ids, once resolved
     * @param ?CancelToken $cancel stops the run (the summary says interrupted); default: the token of CancelToken::onSignal()
     * @throws InvalidArgumentException a number below 1 or out of the C type's range
     */
    public function __construct(
        public readonly ?int $qps = null,
        public readonly ?int $concurrency = null,
        public readonly ?int $maxDeletions = null,
        public readonly bool $dryRun = false,
        public readonly ?string $journal = null,
        public readonly ?string $backup = null,
        public readonly ?string $report = null,
        public readonly ?float $stallTimeout = null,
        ?callable $onProgress = null,
        ?callable $confirm = null,
        ?callable $onResolved = null,
        public readonly ?CancelToken $cancel = null,
    ) {
        self::range('qps', $qps, 0xFFFFFFFF);
        self::range('concurrency', $concurrency, 0xFFFFFFFF);
        self::range('maxDeletions', $maxDeletions, PHP_INT_MAX);
        if ($stallTimeout !== null && !($stallTimeout > 0)) {
            throw EngageLabException::invalidArgument("stallTimeout must be positive: {$stallTimeout}");
        }
        $this->onProgress = $onProgress === null ? null : \Closure::fromCallable($onProgress);
        $this->confirm = $confirm === null ? null : \Closure::fromCallable($confirm);
        $this->onResolved = $onResolved === null ? null : \Closure::fromCallable($onResolved);
    }

    /** 0 means "the default" to C: a number given must be at least 1. */
    private static function range(string $name, ?int $value, int $max): void
    {
        if ($value !== null && ($value < 1 || $value > $max)) {
            throw EngageLabException::invalidArgument("{$name} must be between 1 and {$max}: {$value}");
        }
    }
}
