<?php

// The PHP binding (bindings/php, FFI over libengagelab_push): one Client,
// one deleteDevice per call, retries off, as bench/c/el_bench.c does from C.
// Same arguments and output as every bench client (see bench_common.php).
// The library: ENGAGELAB_PUSH_LIBRARY, else the package's lib/.

declare(strict_types=1);

require __DIR__ . '/bench_common.php';
spl_autoload_register(static function (string $class): void {
    $prefix = 'EngageLabPush\\';
    if (str_starts_with($class, $prefix)) {
        require __DIR__ . '/../../bindings/php/src/' . substr($class, strlen($prefix)) . '.php';
    }
});

$a = bench_args($argv);
$client = new EngageLabPush\Client(BENCH_APP_KEY, BENCH_MASTER_SECRET, baseUrl: $a['url'], maxRetries: 0, caFile: $a['ca']);
$reported = false;
exit(bench_run('php-binding', $a, static function () use ($client, &$reported): bool {
    try {
        $client->deleteDevice(BENCH_DEVICE);
        return true;
    } catch (EngageLabPush\EngageLabException $e) {
        if (!$reported) {
            $reported = true;
            fwrite(STDERR, "el_bench.php: call failed: {$e->getStatus()}: {$e->getMessage()}\n");
        }
        return false;
    }
}));
