<?php

declare(strict_types=1);

namespace EngageLabPush;

/**
 * What {@see Client::check()} found: whether the credentials were accepted,
 * where the calls went, the round trip, the server's clock, the answer to a
 * registration id that cannot exist, and the differences from what the
 * library assumes; `json` holds every fact (the probes and rate-limit
 * headers included), as `engagelab-push check --json` prints it. A plain
 * copy: no native memory, no secret.
 */
final class CheckReport
{
    /**
     * @param bool $credentialsAccepted no answer was AUTH, and one came from EngageLab's API (a success, or an error with its code)
     * @param string $baseUrl the base URL the calls went to
     * @param ?string $address the address the requests went to (the proxy's through a proxy); null when unknown
     * @param ?string $tlsVersion the TLS version negotiated ("TLS 1.3"); null over plain HTTP
     * @param float $rtt the median round trip of 5, in seconds
     * @param ?int $clockSkew the server's clock minus this machine's, in seconds; null without a readable Date
     * @param int $unknownDeviceHttpStatus the HTTP status of the answer to an id that cannot exist
     * @param ?int $unknownDeviceApiCode EngageLab's code in that answer; null for none
     * @param list<CheckFinding> $findings
     */
    public function __construct(
        public readonly bool $credentialsAccepted,
        public readonly string $baseUrl,
        public readonly ?string $address,
        public readonly ?string $tlsVersion,
        public readonly float $rtt,
        public readonly ?int $clockSkew,
        public readonly int $unknownDeviceHttpStatus,
        public readonly ?int $unknownDeviceApiCode,
        public readonly array $findings,
        public readonly string $json,
    ) {
    }

    /**
     * Runs `el_check` and copies its report.
     *
     * @internal
     */
    public static function run(\FFI\CData $client, ?string $device, ?float $timeout, ?CancelToken $cancel): self
    {
        $ffi = Native::ffi();
        $err = Call::error($ffi);
        $options = $ffi->new('el_check_options');
        $options->size = \FFI::sizeof($options);
        $id = $device === null ? null : Call::text('device', $device);
        $buffer = null;
        if ($id !== null) {
            $buffer = $ffi->new('char[' . (strlen($id) + 1) . ']');
            \FFI::memcpy($buffer, $id, strlen($id));
            $options->device = $ffi->cast('char*', \FFI::addr($buffer));
        }
        if ($timeout !== null) {
            // 0 included: the core decides what it means.
            $options->timeout_ms = Call::millis('timeout', $timeout);
            $options->has_timeout = true;
        }
        if ($cancel !== null) {
            $options->cancel = $cancel->native();
        }
        $out = $ffi->new('el_check_report*');
        $status = Call::blocking(static fn (): int => $ffi->el_check($client, \FFI::addr($options), \FFI::addr($out), \FFI::addr($err)));
        unset($buffer);
        Call::check($status, $err);
        try {
            $s = $ffi->new('el_check_summary');
            $s->size = \FFI::sizeof($s);
            if ($ffi->el_check_report_summary($out, \FFI::addr($s)) !== 0) {
                throw new InternalException('could not read the check report');
            }
            $findings = [];
            for ($i = 0; $i < (int) $s->finding_count; $i++) {
                $findings[] = new CheckFinding(
                    (string) $ffi->el_check_report_finding_code($out, $i),
                    (string) $ffi->el_check_report_finding_message($out, $i),
                );
            }
            return new self(
                (bool) $s->credentials_accepted,
                (string) $ffi->el_check_report_base_url($out),
                $ffi->el_check_report_address($out),
                $ffi->el_check_report_tls_version($out),
                $s->rtt_us / 1e6,
                $s->has_clock_skew ? (int) $s->clock_skew_s : null,
                (int) $s->unknown_device_http_status,
                $s->unknown_device_api_code === 0 ? null : (int) $s->unknown_device_api_code,
                $findings,
                (string) $ffi->el_check_report_json($out),
            );
        } finally {
            $ffi->el_check_report_free($out);
        }
    }
}
