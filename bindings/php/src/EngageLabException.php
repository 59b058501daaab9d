<?php

declare(strict_types=1);

namespace EngageLabPush;

/**
 * A failed call. Thrown as the subclass of its category (generated from the
 * error model: `InvalidArgumentException` … `CancelledException`); the
 * category and the message are the Rust core's, and the message never holds
 * the Master Secret.
 */
class EngageLabException extends \RuntimeException
{
    /** The category: `INVALID_ARGUMENT`, `AUTH`, `NOT_FOUND`, … (see getStatus()). */
    private readonly string $status;

    /**
     * @param string $message the core's sentence (el_error_describe)
     * @param ?int $httpStatus the HTTP status of the final attempt's answer; null for none
     * @param ?int $apiCode EngageLab's code; null for none
     * @param int $attempts attempts made (1 + retries); 0 when rejected before sending
     * @param ?float $retryAfter the server's rate-limit hint in seconds; null for none
     * @param bool $maybeDeleted whether an attempt may already have deleted the device
     */
    public function __construct(
        string $message,
        public readonly ?int $httpStatus = null,
        public readonly ?int $apiCode = null,
        public readonly int $attempts = 0,
        public readonly ?float $retryAfter = null,
        public readonly bool $maybeDeleted = false,
        ?string $status = null,
        ?\Throwable $previous = null,
    ) {
        parent::__construct($message, 0, $previous);
        $this->status = $status ?? (defined(static::class . '::STATUS') ? static::STATUS : 'INTERNAL');
    }

    /** The category of the failure, as every language reports it. */
    public function getStatus(): string
    {
        return $this->status;
    }

    /**
     * The exception for a failed C call: its category's class, the core's
     * message and the record's fields.
     *
     * @internal
     */
    public static function fromNative(int $status, \FFI\CData $err): self
    {
        $ffi = Native::ffi();
        $record = \FFI::addr($err);
        $length = (int) $ffi->el_error_describe($record, null, 0);
        $buffer = $ffi->new('char[' . ($length + 1) . ']');
        $ffi->el_error_describe($record, $buffer, $length + 1);
        $message = \FFI::string($buffer, $length);
        [$name, $class] = Categories::BY_CODE[$status] ?? Categories::BY_CODE[InternalException::CODE];
        return new $class(
            $message,
            httpStatus: $err->http_status === 0 ? null : (int) $err->http_status,
            apiCode: $err->api_code === 0 ? null : (int) $err->api_code,
            attempts: (int) $err->attempts,
            retryAfter: $err->retry_after_ms === 0 ? null : $err->retry_after_ms / 1000,
            maybeDeleted: (bool) $err->maybe_deleted,
            status: $name,
        );
    }

    /**
     * What PHP can express and C cannot carry (a NUL inside a string, a
     * negative duration): refused before anything is sent.
     *
     * @internal
     */
    public static function invalidArgument(string $message): InvalidArgumentException
    {
        return new InvalidArgumentException($message);
    }
}
