<?php

declare(strict_types=1);

namespace EngageLabPush;

/**
 * A client of EngageLab's Push REST API over the Rust core (`libengagelab_push`).
 *
 * Validation, error categories and messages, retries, the deadline and the
 * redaction of the Master Secret are the core's; this class checks PHP types
 * and maps results. One client keeps its connections alive across calls: make
 * one per script or request and reuse it (PHP frees it when the request ends,
 * so under PHP-FPM each request opens its own connection). A client made before
 * `pcntl_fork()` is safe to use in the child, which opens its own connections.
 */
final class Client
{
    private \FFI\CData $client;

    /** What var_dump and print_r show: never the Master Secret. */
    private readonly string $shown;

    /**
     * Durations are in seconds; the defaults are the core's ({@see Defaults}).
     *
     * @param ?string $region one of Defaults::REGIONS (default Defaults::DEFAULT_REGION)
     * @param ?string $baseUrl instead of a region: proxies, legacy hosts, test servers
     * @param float $timeout one deadline for the whole call, retries and waits included
     * @param float $connectTimeout per connection, TLS included
     * @param int $maxRetries 0 turns retries off
     * @param float $backoffBase with $backoffMax: each wait is random below min(max, base·2ⁿ)
     * @param float $maxRetryAfter longer Retry-After hints are cut to this
     * @param ?string $proxy http:// or https:// (HTTP_PROXY and the like are ignored)
     * @param ?string $caFile extra PEM roots trusted beside Mozilla's
     * @param bool $allowInsecureHttp http:// to hosts other than loopback
     * @throws InvalidArgumentException a setting the core refuses
     */
    public function __construct(
        string $appKey,
        #[\SensitiveParameter] string $masterSecret,
        ?string $region = null,
        #[\SensitiveParameter] ?string $baseUrl = null,
        float $timeout = Defaults::DEFAULT_TIMEOUT,
        float $connectTimeout = Defaults::DEFAULT_CONNECT_TIMEOUT,
        int $maxRetries = Defaults::DEFAULT_MAX_RETRIES,
        float $backoffBase = Defaults::DEFAULT_BACKOFF_BASE,
        float $backoffMax = Defaults::DEFAULT_BACKOFF_MAX,
        float $maxRetryAfter = Defaults::DEFAULT_MAX_RETRY_AFTER,
        ?string $userAgent = null,
        #[\SensitiveParameter] ?string $proxy = null,
        ?string $caFile = null,
        bool $allowInsecureHttp = false,
    ) {
        $ffi = Native::ffi();
        $err = self::error($ffi);
        $config = $ffi->new('el_config*');
        Call::check(
            $ffi->el_config_new(
                self::text('appKey', $appKey),
                self::text('masterSecret', $masterSecret),
                \FFI::addr($config),
                \FFI::addr($err),
            ),
            $err,
        );
        $this->client = self::configure($ffi, $config, [
            'region' => $region,
            'baseUrl' => $baseUrl,
            'timeout' => $timeout,
            'connectTimeout' => $connectTimeout,
            'maxRetries' => $maxRetries,
            'backoff' => [$backoffBase, $backoffMax],
            'maxRetryAfter' => $maxRetryAfter,
            'userAgent' => $userAgent,
            'proxy' => $proxy,
            'caFile' => $caFile,
            'allowInsecureHttp' => $allowInsecureHttp,
        ]);
        $this->shown = self::describe($ffi, $this->client);
    }

    /**
     * A client from ENGAGELAB_APP_KEY, ENGAGELAB_MASTER_SECRET and optionally
     * ENGAGELAB_REGION or ENGAGELAB_BASE_URL (not both), read by the core with
     * its rules and messages; the named arguments given replace the other
     * settings (null: the core's default; backoffBase and backoffMax only
     * together).
     *
     * @throws InvalidArgumentException a missing or bad variable
     */
    public static function fromEnv(
        ?string $region = null,
        #[\SensitiveParameter] ?string $baseUrl = null,
        ?float $timeout = null,
        ?float $connectTimeout = null,
        ?int $maxRetries = null,
        ?float $backoffBase = null,
        ?float $backoffMax = null,
        ?float $maxRetryAfter = null,
        ?string $userAgent = null,
        #[\SensitiveParameter] ?string $proxy = null,
        ?string $caFile = null,
        ?bool $allowInsecureHttp = null,
    ): self {
        $ffi = Native::ffi();
        $err = self::error($ffi);
        $config = $ffi->new('el_config*');
        Call::check($ffi->el_config_from_env(\FFI::addr($config), \FFI::addr($err)), $err);
        if (($backoffBase === null) !== ($backoffMax === null)) {
            $ffi->el_config_free($config);
            $given = $backoffBase === null ? 'backoffMax' : 'backoffBase';
            throw EngageLabException::invalidArgument("backoffBase and backoffMax must be given together: only {$given} was");
        }
        $client = (new \ReflectionClass(self::class))->newInstanceWithoutConstructor();
        $client->client = self::configure($ffi, $config, [
            'region' => $region,
            'baseUrl' => $baseUrl,
            'timeout' => $timeout,
            'connectTimeout' => $connectTimeout,
            'maxRetries' => $maxRetries,
            'backoff' => $backoffBase === null ? null : [$backoffBase, $backoffMax],
            'maxRetryAfter' => $maxRetryAfter,
            'userAgent' => $userAgent,
            'proxy' => $proxy,
            'caFile' => $caFile,
            'allowInsecureHttp' => $allowInsecureHttp,
        ]);
        $client->shown = self::describe($ffi, $client->client);
        return $client;
    }

    /**
     * Deletes one device (DELETE /v4/devices/{registrationId}). Irreversible.
     *
     * @param ?float $timeout this call's deadline in seconds, when earlier than the client's
     * @param ?CancelToken $cancel stops the call (CancelledException); default: the token of CancelToken::onSignal()
     * @throws EngageLabException the subclass of the failure's category
     */
    public function deleteDevice(string $registrationId, ?float $timeout = null, ?CancelToken $cancel = null): void
    {
        // The hot path of a sequential run: kept to a few opcodes.
        $client = $this->client ?? self::destroyed();
        $ffi = Native::ffi();
        $err = Call::error($ffi);
        if (str_contains($registrationId, "\0")) {
            Call::text('registrationId', $registrationId);
        }
        $options = Call::options($ffi, $timeout, $cancel);
        Call::$depth++;
        try {
            $status = $options === null
                ? $ffi->el_delete_device($client, $registrationId, \FFI::addr($err))
                : $ffi->el_delete_device_with($client, $registrationId, \FFI::addr($options), \FFI::addr($err));
        } finally {
            Call::$depth--;
        }
        if ($status !== 0) {
            throw EngageLabException::fromNative($status, $err);
        }
    }

    /**
     * Queries one device (GET /v4/devices/{registrationId}): its tags, alias
     * and the whole answer. Query before deleting, and keep `rawJson`.
     *
     * @param ?float $timeout this call's deadline in seconds, when earlier than the client's
     * @param ?CancelToken $cancel stops the call (CancelledException); default: the token of CancelToken::onSignal()
     * @throws EngageLabException NotFoundException for an unknown id
     */
    public function getDevice(string $registrationId, ?float $timeout = null, ?CancelToken $cancel = null): Device
    {
        $client = $this->client ?? self::destroyed();
        $ffi = Native::ffi();
        $err = self::error($ffi);
        $id = self::text('registrationId', $registrationId);
        $options = Call::options($ffi, $timeout, $cancel);
        $out = $ffi->new('el_device*');
        $status = Call::blocking(fn (): int => $options === null
                ? $ffi->el_get_device($client, $id, \FFI::addr($out), \FFI::addr($err))
                : $ffi->el_get_device_with($client, $id, \FFI::addr($options), \FFI::addr($out), \FFI::addr($err)));
        Call::check($status, $err);
        try {
            $tags = [];
            $count = (int) $ffi->el_device_tag_count($out);
            for ($i = 0; $i < $count; $i++) {
                $tags[] = (string) $ffi->el_device_tag($out, $i);
            }
            $rawJson = (string) $ffi->el_device_raw_json($out);
            $raw = json_decode($rawJson, true, 512, JSON_THROW_ON_ERROR);
            return new Device(
                (string) $ffi->el_device_registration_id($out),
                $tags,
                $ffi->el_device_alias($out),
                is_array($raw) ? $raw : [],
                $rawJson,
            );
        } finally {
            $ffi->el_device_free($out);
        }
    }

    /**
     * Resolves an alias (GET /v4/aliases/{alias}) to the registration ids of
     * the devices bound to it, in EngageLab's order; [] when none. The first
     * step of erasing a user: delete each id, then resolve the alias again.
     *
     * @param list<string> $platforms 'android', 'ios', 'hmos'; none: every platform
     * @param ?float $timeout this call's deadline in seconds, when earlier than the client's
     * @param ?CancelToken $cancel stops the call (CancelledException); default: the token of CancelToken::onSignal()
     * @return list<string>
     * @throws EngageLabException NotFoundException for an unknown alias
     */
    public function getAlias(string $alias, array $platforms = [], ?float $timeout = null, ?CancelToken $cancel = null): array
    {
        $client = $this->client ?? self::destroyed();
        $ffi = Native::ffi();
        $err = self::error($ffi);
        $name = self::text('alias', $alias);
        $count = count($platforms);
        $list = null;
        $keep = [];
        if ($count > 0) {
            $list = $ffi->new("char*[{$count}]");
            foreach (array_values($platforms) as $i => $platform) {
                if (!is_string($platform)) {
                    throw new \TypeError(sprintf(
                        'EngageLabPush\Client::getAlias(): Argument #2 ($platforms) must hold only strings, %s given at index %d',
                        get_debug_type($platform),
                        $i,
                    ));
                }
                $text = self::text("platforms[{$i}]", $platform);
                $buffer = $ffi->new('char[' . (strlen($text) + 1) . ']');
                \FFI::memcpy($buffer, $text, strlen($text));
                $keep[] = $buffer;
                $list[$i] = $ffi->cast('char*', \FFI::addr($buffer));
            }
        }
        $options = Call::options($ffi, $timeout, $cancel);
        $out = $ffi->new('el_id_list*');
        $platformsArg = $list === null ? null : $ffi->cast('char**', \FFI::addr($list));
        $status = Call::blocking(fn (): int => $options === null
                ? $ffi->el_get_alias($client, $name, $platformsArg, $count, \FFI::addr($out), \FFI::addr($err))
                : $ffi->el_get_alias_with(
                    $client, $name, $platformsArg, $count, \FFI::addr($options), \FFI::addr($out), \FFI::addr($err),
                ));
        unset($keep);
        Call::check($status, $err);
        try {
            $ids = [];
            $n = (int) $ffi->el_id_list_count($out);
            for ($i = 0; $i < $n; $i++) {
                $ids[] = (string) $ffi->el_id_list_get($out, $i);
            }
            return $ids;
        } finally {
            $ffi->el_id_list_free($out);
        }
    }

    /**
     * Deletes many devices through the core's bulk engine: paced under
     * `qps`, guarded by `maxDeletions`, with an optional journal
     * (resumable), backup and report, callbacks and a cancel token (see
     * {@see BulkOptions}). Failed ids and a cancel are not failures: the
     * summary counts them.
     *
     * @param list<string> $registrationIds
     * @throws BulkException a run the engine refused (nothing sent) or had to stop
     * @throws EngageLabException a bad argument (InvalidArgumentException)
     */
    public function deleteDevices(array $registrationIds, ?BulkOptions $options = null): BulkSummary
    {
        return Bulk::deleteDevices($this->client ?? self::destroyed(), $registrationIds, $options ?? new BulkOptions());
    }

    /**
     * As {@see deleteDevices()}, for the ids in a file (one per line; blank
     * lines, `#` lines and `ID # note` comments skipped), streamed by the
     * core: the file is never held in memory.
     *
     * @throws BulkException a run the engine refused (IO for a file it cannot read) or had to stop
     */
    public function deleteDevicesFromFile(string $path, ?BulkOptions $options = null): BulkSummary
    {
        return Bulk::deleteDevicesFromFile($this->client ?? self::destroyed(), $path, $options ?? new BulkOptions());
    }

    /**
     * Erases users by alias in one call, as an erasure request asks: each
     * alias is resolved, every device goes through one bulk run (backup,
     * journal, guard, report as `$options` says), then each alias is
     * resolved again to verify that no device is still bound.
     *
     * @param list<string> $aliases
     * @throws BulkException a run the engine refused or had to stop, or a first lookup that failed (LOOKUP)
     */
    public function eraseUsers(array $aliases, ?BulkOptions $options = null): Erasure
    {
        return Bulk::eraseUsers($this->client ?? self::destroyed(), $aliases, $options ?? new BulkOptions());
    }

    /**
     * Checks the setup with read-only calls before anything is deleted (it
     * cannot send a DELETE), as `engagelab-push check` does: a random
     * registration id that cannot exist (5 times), a random alias, and
     * `$device` when given. Refused credentials are not a failure: see
     * {@see CheckReport::$credentialsAccepted}.
     *
     * @param ?string $device a registration id known to exist, to GET as well
     * @param ?float $timeout the whole check's deadline in seconds, when earlier than the client's
     * @throws EngageLabException a request that got no answer (NETWORK, TIMEOUT, ...), a bad $device
     */
    public function check(?string $device = null, ?float $timeout = null, ?CancelToken $cancel = null): CheckReport
    {
        return CheckReport::run($this->client ?? self::destroyed(), $device, $timeout, $cancel ?? CancelToken::default());
    }

    /**
     * Frees the native client. PHP runs it once the last reference goes;
     * called explicitly, it frees the client at once, and the client is
     * then unusable (a LogicException), never freed twice.
     */
    public function __destruct()
    {
        if (isset($this->client)) {
            $client = $this->client;
            // Forgotten before it is freed: a second __destruct() (PHP's own,
            // after an explicit one) and any later call find no client.
            unset($this->client);
            Native::ffi()->el_client_free($client);
        }
    }

    /** What a call on a client whose __destruct() already ran throws. */
    private static function destroyed(): never
    {
        throw new \LogicException('this EngageLabPush\\Client was destroyed (__destruct() was called): make a new one');
    }

    public function __clone()
    {
        throw new \LogicException('an EngageLabPush\Client is not cloneable: share the one client');
    }

    /** @return array<string, string> */
    public function __debugInfo(): array
    {
        return ['client' => $this->shown];
    }

    /** @return array<string, mixed> */
    public function __serialize(): array
    {
        throw new \LogicException('an EngageLabPush\Client cannot be serialized');
    }

    /**
     * The core's description of a client (el_client_describe): AppKey,
     * region, base URL, timeout, retries, proxy yes/no; never the secret.
     */
    private static function describe(\FFI $ffi, \FFI\CData $client): string
    {
        $length = (int) $ffi->el_client_describe($client, null, 0);
        $buffer = $ffi->new('char[' . ($length + 1) . ']');
        $ffi->el_client_describe($client, $buffer, $length + 1);
        return \FFI::string($buffer, $length);
    }

    /** A zeroed el_error with its size set. */
    private static function error(\FFI $ffi): \FFI\CData
    {
        return Call::error($ffi);
    }

    private static function text(string $name, #[\SensitiveParameter] string $value): string
    {
        return Call::text($name, $value);
    }

    private static function millis(string $name, float $seconds): int
    {
        return Call::millis($name, $seconds);
    }

    /**
     * Applies the settings not null to `$config`, frees it and returns the
     * client built from it.
     *
     * @param array<string, mixed> $s
     */
    private static function configure(\FFI $ffi, \FFI\CData $config, #[\SensitiveParameter] array $s): \FFI\CData
    {
        $err = self::error($ffi);
        $e = \FFI::addr($err);
        try {
            $set = static function (string $fn, #[\SensitiveParameter] mixed ...$args) use ($ffi, $config, $err, $e): void {
                Call::check($ffi->$fn($config, ...[...$args, $e]), $err);
            };
            if ($s['region'] !== null) {
                $set('el_config_set_region', self::text('region', $s['region']));
            }
            if ($s['baseUrl'] !== null) {
                $set('el_config_set_base_url', self::text('baseUrl', $s['baseUrl']));
            }
            if ($s['timeout'] !== null) {
                $set('el_config_set_timeout_ms', self::millis('timeout', $s['timeout']));
            }
            if ($s['connectTimeout'] !== null) {
                $set('el_config_set_connect_timeout_ms', self::millis('connectTimeout', $s['connectTimeout']));
            }
            if ($s['maxRetries'] !== null) {
                if ($s['maxRetries'] < 0 || $s['maxRetries'] > 0xFFFFFFFF) {
                    throw EngageLabException::invalidArgument("maxRetries is out of range: {$s['maxRetries']}");
                }
                $set('el_config_set_max_retries', $s['maxRetries']);
            }
            if ($s['backoff'] !== null) {
                $set(
                    'el_config_set_backoff_ms',
                    self::millis('backoffBase', $s['backoff'][0]),
                    self::millis('backoffMax', $s['backoff'][1]),
                );
            }
            if ($s['maxRetryAfter'] !== null) {
                $set('el_config_set_max_retry_after_ms', self::millis('maxRetryAfter', $s['maxRetryAfter']));
            }
            if ($s['userAgent'] !== null) {
                $set('el_config_set_user_agent', self::text('userAgent', $s['userAgent']));
            }
            if ($s['proxy'] !== null) {
                $set('el_config_set_proxy', self::text('proxy', $s['proxy']));
            }
            if ($s['caFile'] !== null) {
                $set('el_config_set_ca_file', self::text('caFile', $s['caFile']));
            }
            if ($s['allowInsecureHttp'] !== null) {
                $set('el_config_set_allow_insecure_http', $s['allowInsecureHttp']);
            }
            $client = $ffi->new('el_client*');
            Call::check($ffi->el_client_new($config, \FFI::addr($client), $e), $err);
            return $client;
        } finally {
            $ffi->el_config_free($config);
        }
    }
}
