<?php

declare(strict_types=1);

namespace EngageLabPush;

/**
 * The bulk calls of the C ABI (`el_delete_devices`,
 * `el_delete_devices_from_file`, `el_erase_users`): `el_bulk_options` from
 * a {@see BulkOptions}, the callbacks, and the summary and erasure read
 * back into PHP objects.
 *
 * The callbacks: PHP's FFI keeps every closure it turns into a C function
 * pointer until the end of the request, so the three trampolines are made
 * once per process and copied into each run's options; each run is found
 * by the number in `user_data`. No PHP exception crosses C: a callback's is
 * caught, cancels the run (a confirm then says no) and is rethrown once the
 * run returned.
 *
 * @internal
 */
final class Bulk
{
    /** The trampolines' holder, made once (a struct of the three function pointers). */
    private static ?\FFI\CData $trampolines = null;

    /** @var array<int, self> the runs under way (nested through callbacks), by number */
    private static array $runs = [];

    private static int $next = 0;

    private int $number;

    /** What a callback threw (`->thrown`), shared with the token's check without holding the run. */
    private \stdClass $state;

    private CancelToken $token;

    /** @var list<\FFI\CData> what the options point to, alive for the run */
    private array $keep = [];

    private function __construct(private readonly BulkOptions $o)
    {
        $this->number = ++self::$next;
        $user = $o->cancel ?? CancelToken::default();
        // The run's own token: a callback's exception, or the caller's token
        // (whose own check runs signal handlers), cancels it.
        $state = $this->state = (object) ['thrown' => null];
        $this->token = CancelToken::withCheck(static fn (): bool => $state->thrown !== null || ($user?->isCancelled() ?? false));
    }

    /**
     * @param list<string> $ids
     */
    public static function deleteDevices(\FFI\CData $client, array $ids, BulkOptions $o): BulkSummary
    {
        $ffi = Native::ffi();
        [$array, $buffer] = Call::strings($ffi, 'deleteDevices', 1, 'registrationIds', $ids);
        $list = $array === null ? null : $ffi->cast('char**', \FFI::addr($array));
        $count = count($ids);
        return self::summarized($o, static fn (\FFI\CData $options, \FFI\CData $summary, \FFI\CData $err): int => $ffi->el_delete_devices(
            $client,
            $list,
            $count,
            \FFI::addr($options),
            \FFI::addr($summary),
            \FFI::addr($err),
        ), $buffer);
    }

    public static function deleteDevicesFromFile(\FFI\CData $client, string $path, BulkOptions $o): BulkSummary
    {
        $ffi = Native::ffi();
        $file = Call::text('path', $path);
        return self::summarized($o, static fn (\FFI\CData $options, \FFI\CData $summary, \FFI\CData $err): int => $ffi->el_delete_devices_from_file(
            $client,
            $file,
            \FFI::addr($options),
            \FFI::addr($summary),
            \FFI::addr($err),
        ));
    }

    /**
     * @param list<string> $aliases
     */
    public static function eraseUsers(\FFI\CData $client, array $aliases, BulkOptions $o): Erasure
    {
        $ffi = Native::ffi();
        [$array, $buffer] = Call::strings($ffi, 'eraseUsers', 1, 'aliases', $aliases);
        $list = $array === null ? null : $ffi->cast('char**', \FFI::addr($array));
        $count = count($aliases);
        $out = $ffi->new('el_erasure*');
        $err = Call::error($ffi);
        try {
            $status = (new self($o))->run(static fn (\FFI\CData $options): int => $ffi->el_erase_users(
                $client,
                $list,
                $count,
                \FFI::addr($options),
                \FFI::addr($out),
                \FFI::addr($err),
            ));
        } catch (\Throwable $e) {
            // A callback's exception, rethrown once the run returned: the
            // erasure the library wrote (it writes one for a refused or
            // stopped run too) is freed here, as nothing else will.
            if (!self::isNull($out)) {
                $ffi->el_erasure_free($out);
            }
            throw $e;
        }
        unset($buffer);
        if (self::isNull($out)) {
            Call::check($status, $err);
            throw new InternalException('el_erase_users returned no erasure');
        }
        try {
            $summary = self::newSummary($ffi);
            $ffi->el_erasure_summary($out, \FFI::addr($summary));
            if ($status !== 0) {
                throw self::failure($status, $err, $summary);
            }
            $users = [];
            $n = (int) $ffi->el_erasure_user_count($out);
            for ($i = 0; $i < $n; $i++) {
                $verify = Call::error($ffi);
                $verifyError = $ffi->el_erasure_verify_error($out, $i, \FFI::addr($verify))
                    ? EngageLabException::fromNative((int) $verify->status, $verify)
                    : null;
                $bound = $ffi->el_erasure_still_bound($out, $i);
                $users[] = new ErasedUser(
                    self::string($ffi->el_erasure_alias($out, $i)),
                    self::ids($ffi->el_erasure_registration_ids($out, $i)),
                    self::isNull($bound) ? null : self::ids($bound),
                    $verifyError,
                );
            }
            return new Erasure(self::summary($summary), $users, (bool) $ffi->el_erasure_is_success($out));
        } finally {
            $ffi->el_erasure_free($out);
        }
    }

    /**
     * Runs a call that writes an el_bulk_summary; its summary, or the
     * exception of a refused or stopped run.
     *
     * @param \Closure(\FFI\CData, \FFI\CData, \FFI\CData): int $call
     */
    private static function summarized(BulkOptions $o, \Closure $call, mixed $keep = null): BulkSummary
    {
        $ffi = Native::ffi();
        $summary = self::newSummary($ffi);
        $err = Call::error($ffi);
        $status = (new self($o))->run(static fn (\FFI\CData $options): int => $call($options, $summary, $err));
        unset($keep);
        if ($status !== 0) {
            throw self::failure($status, $err, $summary);
        }
        return self::summary($summary);
    }

    /**
     * Makes the run's options, runs `$call` with them (counted as a
     * blocking call) and rethrows what a callback threw.
     *
     * @param \Closure(\FFI\CData): int $call
     */
    private function run(\Closure $call): int
    {
        $ffi = Native::ffi();
        $o = $this->o;
        $t = self::trampolines($ffi);
        $options = $ffi->new('el_bulk_options');
        $options->size = \FFI::sizeof($options);
        $options->qps = $o->qps ?? 0;
        $options->concurrency = $o->concurrency ?? 0;
        $options->max_deletions = $o->maxDeletions ?? 0;
        $options->dry_run = $o->dryRun;
        $options->journal = $this->path($ffi, 'journal', $o->journal);
        $options->backup = $this->path($ffi, 'backup', $o->backup);
        $options->report = $this->path($ffi, 'report', $o->report);
        $options->stall_timeout_ms = $o->stallTimeout === null ? 0 : max(1, Call::millis('stallTimeout', $o->stallTimeout));
        $options->on_progress = $o->onProgress === null ? null : $t->progress;
        $options->confirm = $o->confirm === null ? null : $t->confirm;
        $options->on_resolved = $o->onResolved === null ? null : $t->resolved;
        $number = $ffi->new('int64_t');
        $number->cdata = $this->number;
        $this->keep[] = $number;
        $options->user_data = $ffi->cast('void*', \FFI::addr($number));
        $options->cancel = $this->token->native();
        self::$runs[$this->number] = $this;
        self::cancelAtShutdown();
        try {
            $status = Call::blocking(static fn (): int => $call($options));
        } finally {
            unset(self::$runs[$this->number]);
        }
        $thrown = $this->state->thrown;
        if ($thrown !== null) {
            // Let go of it before rethrowing: the run's token check (held by
            // CancelToken's static list until the token is destroyed) holds
            // $state, and with exception arguments kept (zend.exception_ignore_args=0)
            // the exception's trace holds this run, so the run, its token and
            // the exception (the ids among its arguments) were never freed.
            $this->state->thrown = null;
            throw $thrown;
        }
        return $status;
    }

    /** Whether the shutdown function of {@see cancelAtShutdown()} is registered for this request. */
    private static bool $atShutdown = false;

    /**
     * Cancels, at the end of the request, every run still under way. A run
     * is only still under way then if a fatal error inside one of its
     * callbacks (max_execution_time or memory_limit reached there, exit())
     * abandoned it: PHP unwinds past the library, which goes on deleting
     * with nobody waiting (under PHP-FPM, after the request ended).
     */
    private static function cancelAtShutdown(): void
    {
        if (self::$atShutdown) {
            return;
        }
        self::$atShutdown = true;
        register_shutdown_function(static function (): void {
            foreach (self::$runs as $run) {
                $run->state->thrown ??= new \RuntimeException('the request ended during the run');
                $run->token->cancel();
            }
        });
    }

    /** A path for C, kept alive for the run; null for none. */
    private function path(\FFI $ffi, string $name, ?string $path): ?\FFI\CData
    {
        if ($path === null) {
            return null;
        }
        $text = Call::text($name, $path);
        $buffer = $ffi->new('char[' . (strlen($text) + 1) . ']');
        \FFI::memcpy($buffer, $text, strlen($text));
        $this->keep[] = $buffer;
        return $ffi->cast('char*', \FFI::addr($buffer));
    }

    /** Runs a callback's body; what it throws is kept and stops the run. */
    private function guarded(\Closure $body): mixed
    {
        if ($this->state->thrown !== null) {
            return null;
        }
        try {
            return $body();
        } catch (\Throwable $e) {
            $this->state->thrown = $e;
            $this->token->cancel();
            return null;
        }
    }

    /** The trampolines, made on first use. */
    private static function trampolines(\FFI $ffi): \FFI\CData
    {
        if (self::$trampolines !== null) {
            return self::$trampolines;
        }
        $t = $ffi->new('struct { el_bulk_progress_fn progress; el_bulk_confirm_fn confirm; el_bulk_resolved_fn resolved; }', false);
        $t->progress = static function ($user, $p): void {
            $run = self::$runs[self::number($user)] ?? null;
            $run?->guarded(static fn () => ($run->o->onProgress)(new BulkProgress(
                (int) $p->done,
                (int) $p->total,
                (int) $p->deleted,
                (int) $p->not_found,
                (int) $p->failed,
                (int) $p->invalid,
                (int) $p->duplicate,
                (int) $p->already_done,
                (int) $p->would_delete,
                (int) $p->rate_limited,
                $p->elapsed_ms / 1000,
                (int) $p->in_flight,
                (float) $p->qps,
                (bool) $p->interrupted,
            )));
        };
        $t->confirm = static function ($user, $p): bool {
            $run = self::$runs[self::number($user)] ?? null;
            $yes = $run?->guarded(static fn () => ($run->o->confirm)(new BulkPlan((int) $p->entries, (int) $p->ids, (bool) $p->dry_run)));
            return $yes === true;
        };
        $t->resolved = static function ($user, $alias, $ids): void {
            $run = self::$runs[self::number($user)] ?? null;
            $run?->guarded(static fn () => ($run->o->onResolved)(self::string($alias), self::ids($ids)));
        };
        return self::$trampolines = $t;
    }

    private static function number(mixed $user): int
    {
        return $user === null ? 0 : (int) Native::ffi()->cast('int64_t*', $user)[0];
    }

    private static function isNull(mixed $p): bool
    {
        return $p === null || ($p instanceof \FFI\CData && \FFI::isNull($p));
    }

    private static function string(mixed $s): string
    {
        return is_string($s) ? $s : ($s === null ? '' : \FFI::string($s));
    }

    /** @return list<string> the ids of an el_id_list the library owns (not freed) */
    public static function ids(mixed $list): array
    {
        $ffi = Native::ffi();
        $out = [];
        $n = self::isNull($list) ? 0 : (int) $ffi->el_id_list_count($list);
        for ($i = 0; $i < $n; $i++) {
            $out[] = self::string($ffi->el_id_list_get($list, $i));
        }
        return $out;
    }

    private static function newSummary(\FFI $ffi): \FFI\CData
    {
        $s = $ffi->new('el_bulk_summary');
        $s->size = \FFI::sizeof($s);
        return $s;
    }

    private static function summary(\FFI\CData $s): BulkSummary
    {
        $stopped = \FFI::string($s->stopped);
        return new BulkSummary(
            (int) $s->entries,
            (int) $s->ids,
            (int) $s->deleted,
            (int) $s->not_found,
            (int) $s->failed,
            (int) $s->invalid,
            (int) $s->duplicate,
            (int) $s->already_done,
            (int) $s->would_delete,
            (int) $s->not_started,
            (int) $s->rate_limited,
            $s->elapsed_ms / 1000,
            (bool) $s->interrupted,
            (bool) $s->dry_run,
            $stopped === '' ? null : $stopped,
        );
    }

    /** The exception of a failed run: BulkException when the engine refused or stopped it. */
    private static function failure(int $status, \FFI\CData $err, \FFI\CData $summary): \Throwable
    {
        $cause = EngageLabException::fromNative($status, $err);
        $kind = (int) $summary->error;
        if ($kind === 0) {
            return $cause;
        }
        return new BulkException(BulkException::KINDS[$kind] ?? 'UNKNOWN', self::summary($summary), $cause);
    }
}
