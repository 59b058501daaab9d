<?php

declare(strict_types=1);

namespace EngageLabPush\Tests\Support;

/**
 * engagelab-mock, started from ENGAGELAB_MOCK_BIN (or the workspace's
 * target/debug/engagelab-mock) as tests/contract/scenarios/README.md says: the first
 * stdout line is its URL. The control API (/__mock/) is spoken through PHP's
 * http stream wrapper, which reads no proxy from the environment. Stopped when
 * dropped.
 */
final class Mock
{
    public const APP_KEY = 'demo-app-key';
    public const MASTER_SECRET = 'demo-master-secret';

    /** @var resource */
    private $process;
    public readonly string $url;

    /** @param list<string> $args */
    public function __construct(array $args = [])
    {
        $bin = getenv('ENGAGELAB_MOCK_BIN') ?: self::repo() . '/target/debug/engagelab-mock';
        if (!is_file($bin)) {
            throw new \RuntimeException("engagelab-mock not found at {$bin}: run `cargo build -p engagelab-mock` or set ENGAGELAB_MOCK_BIN");
        }
        $env = array_filter(getenv(), static fn (string $k): bool => !str_ends_with(strtolower($k), '_proxy'), ARRAY_FILTER_USE_KEY);
        $process = proc_open([$bin, ...$args], [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => STDERR], $pipes, null, $env);
        if ($process === false) {
            throw new \RuntimeException("cannot start {$bin}");
        }
        $this->process = $process;
        // Even after a fatal error, which skips destructors.
        register_shutdown_function(static function () use ($process): void {
            if (is_resource($process)) {
                proc_terminate($process);
            }
        });
        $line = fgets($pipes[1]);
        if ($line === false || !str_starts_with($line, 'http')) {
            throw new \RuntimeException('engagelab-mock printed ' . var_export($line, true) . ' instead of its URL');
        }
        $this->url = rtrim(trim($line), '/');
    }

    public static function repo(): string
    {
        return dirname(__DIR__, 4);
    }

    public function __destruct()
    {
        if (is_resource($this->process)) {
            proc_terminate($this->process);
            proc_close($this->process);
        }
    }

    /** The control API: a 2xx answer decoded (objects as stdClass), anything else fails. */
    public function call(string $method, string $what, mixed $body = null): mixed
    {
        $context = stream_context_create(['http' => [
            'method' => $method,
            'header' => "Content-Type: application/json\r\nConnection: close\r\n",
            'content' => $body === null ? '' : json_encode($body, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES),
            'ignore_errors' => true,
            'timeout' => 60,
        ]]);
        $text = file_get_contents("{$this->url}/__mock/{$what}", false, $context);
        $status = $http_response_header[0] ?? '';
        if ($text === false || !preg_match('#^HTTP/\S+ 2\d\d#', $status)) {
            throw new \RuntimeException("{$method} /__mock/{$what}: {$status} {$text}");
        }
        return $text === '' ? null : json_decode($text, false, 512, JSON_THROW_ON_ERROR);
    }

    public function reset(): void
    {
        $this->call('POST', 'reset', new \stdClass());
    }

    /** An id as {registration_id: id}, an object as it is. */
    public function addDevice(mixed $device): void
    {
        $this->call('POST', 'devices', is_string($device) ? ['registration_id' => $device] : $device);
    }

    /** @return list<string> */
    public function devices(): array
    {
        return $this->call('GET', 'devices')->registration_ids;
    }

    public function script(string $id, mixed $responses): void
    {
        $this->call('POST', 'script', ['registration_id' => $id, 'responses' => $responses]);
    }

    public function scriptAlias(string $alias, mixed $responses): void
    {
        $this->call('POST', 'script', ['alias' => $alias, 'responses' => $responses]);
    }

    /** @return list<\stdClass> */
    public function log(): array
    {
        return $this->call('GET', 'log')->requests;
    }
}
