<?php

// Shared by the PHP benchmark clients (el_bench.php, curl_bench.php):
// argument parsing, per-call timing and the one JSON line every bench client
// prints, as bench/c/bench_common.h does for the C ones.
//
// Usage of every client: php CLIENT N|SECONDSs BASE_URL [CA_FILE|-] [WARMUP]
//   N         timed calls (e.g. 20000), or a duration (e.g. 5s);
//   CA_FILE   PEM file of the CA that signed the server's certificate ("-": none);
//   WARMUP    untimed calls first (default 200).

declare(strict_types=1);

const BENCH_DEVICE = 'bench-device-0001';
const BENCH_APP_KEY = 'bench-app-key';
const BENCH_MASTER_SECRET = 'bench-master-secret';

/** @return array{calls: int, seconds: float, url: string, ca: ?string, warmup: int} */
function bench_args(array $argv): array
{
    if (count($argv) < 3 || count($argv) > 5) {
        fwrite(STDERR, "usage: {$argv[0]} N|SECONDSs BASE_URL [CA_FILE|-] [WARMUP]\n");
        exit(2);
    }
    $amount = $argv[1];
    $seconds = str_ends_with($amount, 's') ? (float) substr($amount, 0, -1) : 0.0;
    $calls = $seconds > 0 ? 0 : (int) $amount;
    if ($seconds <= 0 && $calls <= 0) {
        fwrite(STDERR, "{$argv[0]}: bad N {$amount}\n");
        exit(2);
    }
    $ca = $argv[3] ?? '-';
    return [
        'calls' => $calls,
        'seconds' => $seconds,
        'url' => rtrim($argv[2], '/'),
        'ca' => $ca === '-' || $ca === '' ? null : $ca,
        'warmup' => isset($argv[4]) ? (int) $argv[4] : 200,
    ];
}

/** User + system CPU seconds of this process. */
function bench_cpu(): float
{
    $r = getrusage();
    return $r['ru_utime.tv_sec'] + $r['ru_utime.tv_usec'] / 1e6 + $r['ru_stime.tv_sec'] + $r['ru_stime.tv_usec'] / 1e6;
}

/** Nearest-rank percentile of sorted values. */
function bench_pct(array $v, float $q): int
{
    $n = count($v);
    if ($n === 0) {
        return 0;
    }
    $rank = (int) ceil($q * $n);
    return $v[max(1, min($n, $rank)) - 1];
}

/**
 * Warm-up, timed loop, JSON line; the exit status.
 *
 * @param \Closure(): bool $call one call, true on success
 */
function bench_run(string $impl, array $a, \Closure $call): int
{
    $errors = 0;
    for ($i = 0; $i < $a['warmup']; $i++) {
        $errors += $call() ? 0 : 1;
    }
    $lat = [];
    $cpu0 = bench_cpu();
    $start = hrtime(true);
    $until = $a['seconds'] > 0 ? $start + (int) ($a['seconds'] * 1e9) : 0;
    for ($n = 0;; $n++) {
        if ($a['calls'] > 0 && $n >= $a['calls']) {
            break;
        }
        $t0 = hrtime(true);
        if ($until > 0 && $t0 >= $until) {
            break;
        }
        $errors += $call() ? 0 : 1;
        $lat[] = hrtime(true) - $t0;
    }
    $wall = (hrtime(true) - $start) / 1e9;
    $cpu = bench_cpu() - $cpu0;
    $n = count($lat);
    $sum = array_sum($lat);
    sort($lat);
    $maxrss = getrusage()['ru_maxrss'];
    printf(
        '{"impl":"%s","threads":1,"warmup":%d,"calls":%d,"errors":%d,"wall_s":%.6f,"median_us":%.2f,"p99_us":%.2f,'
        . '"mean_us":%.2f,"calls_per_s":%.1f,"cpu_us_per_call":%.3f,"maxrss_kb":%d}' . "\n",
        $impl,
        $a['warmup'],
        $n,
        $errors,
        $wall,
        bench_pct($lat, 0.50) / 1e3,
        bench_pct($lat, 0.99) / 1e3,
        $n ? $sum / $n / 1e3 : 0.0,
        $n / $wall,
        $n ? $cpu * 1e6 / $n : 0.0,
        $maxrss,
    );
    if ($errors > 0) {
        fwrite(STDERR, "{$impl}: {$errors} calls failed\n");
        return 1;
    }
    return 0;
}
