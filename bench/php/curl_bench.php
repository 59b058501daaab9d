<?php

// What a PHP user would write instead of the binding (Guzzle is not
// available here; it runs on this same extension): PHP's curl extension
// with ONE handle reused for every call, so the connection and TLS session
// stay alive, as bench/c/curl_bench.c does from C. Same arguments and
// output as every bench client (see bench_common.php).

declare(strict_types=1);

require __DIR__ . '/bench_common.php';

$a = bench_args($argv);
$curl = curl_init($a['url'] . '/v4/devices/' . BENCH_DEVICE);
$options = [
    CURLOPT_CUSTOMREQUEST => 'DELETE',
    CURLOPT_HTTPHEADER => [
        'Authorization: Basic ' . base64_encode(BENCH_APP_KEY . ':' . BENCH_MASTER_SECRET),
        'Accept: application/json',
    ],
    CURLOPT_USERAGENT => 'php-curl-bench',
    CURLOPT_RETURNTRANSFER => true,
    CURLOPT_NOSIGNAL => true,
    CURLOPT_TCP_NODELAY => true,
    CURLOPT_TIMEOUT => 30,
    CURLOPT_SSL_VERIFYPEER => true,
    CURLOPT_SSL_VERIFYHOST => 2,
];
if ($a['ca'] !== null) {
    $options[CURLOPT_CAINFO] = $a['ca'];
}
curl_setopt_array($curl, $options);
$reported = false;
exit(bench_run('php-curl', $a, static function () use ($curl, &$reported): bool {
    $body = curl_exec($curl);
    $status = curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
    // The body is read (and dropped, as bench/c/curl_bench.c does).
    if ($body === false || $status < 200 || $status > 299) {
        if (!$reported) {
            $reported = true;
            fwrite(STDERR, 'curl_bench.php: call failed: ' . ($body === false ? curl_error($curl) : "HTTP {$status}") . "\n");
        }
        return false;
    }
    return true;
}));
