<?php

declare(strict_types=1);

namespace EngageLabPush;

/**
 * A cancel token (the C ABI's `el_cancel`): cancelling it stops every call
 * given it with a {@see CancelledException} (a bulk run: the summary says
 * `interrupted`), and calls given it later fail at once. Once cancelled it
 * stays cancelled: make a new one for new calls.
 *
 * PHP runs its code on one thread, and a call blocks it: a token is
 * cancelled from a callback of a bulk run, or by a signal through
 * {@see onSignal()} (Ctrl-C under the CLI), whose handlers the library runs
 * while a call waits (about every 20 ms).
 */
final class CancelToken
{
    /**
     * The token {@see onSignal()} made: given to every call that gets none.
     *
     * @internal read it with {@see default()}
     */
    public static ?self $default = null;

    /** @var array<int, \Closure(): bool> each check token's check, by its number */
    private static array $checks = [];

    private static int $next = 0;

    /** The check trampoline, made once per process (FFI keeps every closure it converts). */
    private static ?\FFI\CData $trampoline = null;

    private \FFI\CData $native;

    private ?int $number = null;

    /** The number as C memory, whose address is the check's user data. */
    private ?\FFI\CData $userData = null;

    /** Whether a signal of {@see onSignal()} arrived. */
    private bool $signalled = false;

    public function __construct()
    {
        $ffi = Native::ffi();
        $out = $ffi->new('el_cancel*');
        self::created($ffi->el_cancel_new(\FFI::addr($out)));
        $this->native = $out;
    }

    /**
     * A token that also becomes cancelled once `$check` returns true; the
     * library runs the check on this thread while a call given the token
     * waits.
     *
     * @internal
     * @param \Closure(): bool $check
     */
    public static function withCheck(\Closure $check): self
    {
        $ffi = Native::ffi();
        if (self::$trampoline === null) {
            $holder = $ffi->new('struct { el_cancel_check_fn f; }', false);
            $holder->f = static function ($user): bool {
                $number = $user === null ? 0 : Native::ffi()->cast('int64_t*', $user)[0];
                $check = self::$checks[$number] ?? null;
                try {
                    return $check !== null && $check();
                } catch (\Throwable) {
                    // Never through C: a check that fails cancels.
                    return true;
                }
            };
            self::$trampoline = $holder;
        }
        $token = (new \ReflectionClass(self::class))->newInstanceWithoutConstructor();
        $token->number = ++self::$next;
        self::$checks[$token->number] = $check;
        $token->userData = $ffi->new('int64_t');
        $token->userData->cdata = $token->number;
        $out = $ffi->new('el_cancel*');
        self::created($ffi->el_cancel_new_with_check(
            self::$trampoline->f,
            $ffi->cast('void*', \FFI::addr($token->userData)),
            \FFI::addr($out),
        ));
        $token->native = $out;
        return $token;
    }

    /**
     * A token cancelled by the signals given (default SIGINT: Ctrl-C), and
     * from now on given to every call that gets no token of its own. Needs
     * ext-pcntl (the CLI). A signal during a call cancels it: the call
     * returns within about 20 ms with a CancelledException (a bulk run
     * stops, its journal kept, the summary `interrupted`); calls after it
     * fail at once. A signal outside a call does what it did before: the
     * handler installed then, or the default (Ctrl-C ends the script).
     * `pcntl_async_signals(true)` is not needed: the library runs the
     * handlers itself while a call waits, those of other signals included:
     * a handler that calls exit() there is a fatal error (PHP's FFI cannot
     * carry it through the library), so give that signal here too.
     */
    public static function onSignal(int ...$signals): self
    {
        if (!function_exists('pcntl_signal')) {
            throw new \LogicException('CancelToken::onSignal() needs ext-pcntl (the PHP CLI)');
        }
        $signals = $signals === [] ? [\SIGINT] : $signals;
        $token = null;
        $token = self::withCheck(static function () use (&$token): bool {
            pcntl_signal_dispatch();
            return $token instanceof self && $token->signalled;
        });
        foreach ($signals as $signal) {
            $before = pcntl_signal_get_handler($signal);
            pcntl_signal($signal, static function (int $signo, mixed $info = null) use ($token, $before): void {
                if (Call::$depth > 0) {
                    $token->signalled = true;
                    $token->cancel();
                    return;
                }
                if (is_callable($before)) {
                    $before($signo, $info);
                } elseif ($before === \SIG_DFL) {
                    pcntl_signal($signo, \SIG_DFL);
                    posix_kill(getmypid(), $signo);
                }
            });
        }
        self::$default = $token;
        return $token;
    }

    /**
     * The token calls get when given none ({@see onSignal()}); null for none.
     */
    public static function default(): ?self
    {
        return self::$default;
    }

    /** Cancels every call given this token, now and later. */
    public function cancel(): void
    {
        Native::ffi()->el_cancel_cancel($this->native());
    }

    public function isCancelled(): bool
    {
        return Native::ffi()->el_cancel_is_cancelled($this->native());
    }

    /** @internal the `el_cancel *` */
    public function native(): \FFI\CData
    {
        return $this->native
            ?? throw new \LogicException('this EngageLabPush\\CancelToken was destroyed (__destruct() was called): make a new one');
    }

    /**
     * Frees the native token once (an explicit call, then PHP's own, frees
     * it only the first time); the token is unusable afterwards.
     */
    public function __destruct()
    {
        if (isset($this->native)) {
            $native = $this->native;
            unset($this->native);
            Native::ffi()->el_cancel_free($native);
        }
        if ($this->number !== null) {
            unset(self::$checks[$this->number]);
        }
    }

    public function __clone()
    {
        throw new \LogicException('an EngageLabPush\CancelToken is not cloneable');
    }

    private static function created(int $status): void
    {
        if ($status !== 0) {
            throw new InternalException('could not create a cancel token');
        }
    }
}
