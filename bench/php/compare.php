<?php

// The PHP benchmark in one run: sequential deletes over TLS against the
// harness's nginx (answering 200 for every DELETE), through the C ABI from C
// (bench/c/el_bench.c), the PHP binding (el_bench.php) and PHP's curl
// extension with one reused handle (curl_bench.php); ROUNDS rounds of N
// calls each, the clients one after the other in every round, pinned to
// CPU 1 (nginx's worker on CPU 0) when there are two CPUs, as in
// `cargo xtask bench`. Prints each client's median round (by calls/s) as a BENCHMARKS.md
// row, with its calls/s as a fraction of the C ABI's in the same round.
//
//   cargo xtask lib --release
//   php bench/php/compare.php [--write] [N [ROUNDS]]   # default 20000 calls, 3 rounds
//
// --write: also into bench/php/results.md, which bench/report.py includes in
// BENCHMARKS.md as the section "PHP binding" (paste it there by hand, or
// rebuild the page from bench/results).
//
// Needs nginx, openssl, cc and php-curl (what `cargo xtask bench` installs);
// ENGAGELAB_LIB_DIR (default target/release/lib) says where the library is.

declare(strict_types=1);

$root = dirname(__DIR__, 2);
$args = array_values(array_filter(array_slice($argv, 1), static fn (string $a): bool => $a !== '--write'));
$write = in_array('--write', $argv, true);
$calls = (int) ($args[0] ?? 20000);
$rounds = (int) ($args[1] ?? 3);
$lib = getenv('ENGAGELAB_LIB_DIR') ?: "{$root}/target/release/lib";
$work = sys_get_temp_dir() . '/el-php-bench-' . getmypid();
@mkdir($work, 0700);

function say(string $line): void
{
    fwrite(STDERR, "== php bench: {$line}\n");
}

// The C client, built as the harness builds it.
$cBench = "{$work}/el_bench";
passthru(sprintf(
    'cc -O2 -std=c99 -Wall -Wextra -Werror %s -I%s -L%s -Wl,-rpath,%s -lengagelab_push -o %s',
    escapeshellarg("{$root}/bench/c/el_bench.c"),
    escapeshellarg("{$root}/include"),
    escapeshellarg($lib),
    escapeshellarg($lib),
    escapeshellarg($cBench),
), $rc);
if ($rc !== 0) {
    exit(1);
}

// The harness's server: nginx from bench/nginx.conf.in (one worker on CPU 0,
// 200 for every DELETE, any credentials), with a throwaway CA made by openssl
// as bench/run.py makes it.
$env = array_filter(getenv(), static fn (string $k): bool => !str_ends_with(strtolower($k), '_proxy') && $k !== 'LD_LIBRARY_PATH', ARRAY_FILTER_USE_KEY);
$ca = "{$work}/ca.crt";
file_put_contents("{$work}/server.ext", "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
    . "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n");
foreach ([
    'ecparam -name prime256v1 -genkey -noout -out ca.key',
    "req -x509 -new -key ca.key -sha256 -days 2 -subj '/CN=engagelab-push bench throwaway CA' -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -out ca.crt",
    'ecparam -name prime256v1 -genkey -noout -out server.key',
    "req -new -key server.key -subj /CN=localhost -out server.csr",
    'x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -sha256 -extfile server.ext -out server.crt',
] as $args) {
    exec('cd ' . escapeshellarg($work) . " && openssl {$args} 2>/dev/null", $ignored, $rc);
    if ($rc !== 0) {
        fwrite(STDERR, "openssl {$args} failed\n");
        exit(1);
    }
}
$ports = [];
for ($i = 0; $i < 2; $i++) {
    $probe = stream_socket_server('tcp://127.0.0.1:0');
    $ports[] = (int) substr(strrchr(stream_socket_get_name($probe, false), ':'), 1);
    fclose($probe);
}
$twoCpus = (int) trim((string) shell_exec('nproc')) >= 2;
file_put_contents("{$work}/nginx.conf", strtr((string) file_get_contents("{$root}/bench/nginx.conf.in"), [
    '@DIR@' => $work,
    '@PLAIN_PORT@' => (string) $ports[0],
    '@TLS_PORT@' => (string) $ports[1],
    '@AFFINITY@' => $twoCpus ? 'worker_cpu_affinity 01;' : '',
]));
$nginx = proc_open(['nginx', '-p', $work, '-c', "{$work}/nginx.conf"], [0 => ['file', '/dev/null', 'r'], 1 => STDERR, 2 => STDERR], $pipes, null, $env);
$url = "https://localhost:{$ports[1]}";
register_shutdown_function(static function () use ($nginx, $work): void {
    proc_terminate($nginx);
    proc_close($nginx);
    exec('rm -rf ' . escapeshellarg($work));
});
for ($i = 0; $i < 100 && @fsockopen('127.0.0.1', $ports[1]) === false; $i++) {
    usleep(50_000);
}

$pin = $twoCpus ? ['taskset', '-c', '1'] : [];
$clients = [
    'c-abi' => [$cBench],
    'php-binding' => [PHP_BINARY, '-d', 'ffi.enable=1', __DIR__ . '/el_bench.php'],
    'php-curl' => [PHP_BINARY, __DIR__ . '/curl_bench.php'],
];
$loadBefore = $load = trim(explode(' ', (string) file_get_contents('/proc/loadavg'), 4)[0] ?? '');
$date = gmdate('Y-m-d H:i');
say("{$rounds} rounds x {$calls} calls, TLS, load average {$load}, " . ($pin === [] ? 'not pinned' : 'clients on CPU 1'));
$results = [];
for ($round = 1; $round <= $rounds; $round++) {
    foreach ($clients as $name => $argv) {
        $p = proc_open([...$pin, ...$argv, (string) $calls, $url, $ca, '200'], [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => STDERR], $out, null, $env + ['ENGAGELAB_PUSH_LIBRARY' => "{$lib}/libengagelab_push.so"]);
        $text = (string) stream_get_contents($out[1]);
        if (proc_close($p) !== 0) {
            fwrite(STDERR, "{$name} failed: {$text}\n");
            exit(1);
        }
        $r = json_decode(trim($text), true, 512, JSON_THROW_ON_ERROR);
        $results[$name][$round] = $r;
        say(sprintf('round %d %-12s %8.0f calls/s  median %6.1f us  cpu %6.1f us/call', $round, $name, $r['calls_per_s'], $r['median_us'], $r['cpu_us_per_call']));
    }
}
$load = trim(explode(' ', (string) file_get_contents('/proc/loadavg'), 4)[0] ?? '');
say("done, load average {$load}");

$names = [
    'c-abi' => 'C ABI from C (`libengagelab_push.so`)',
    'php-binding' => 'PHP binding (FFI over `libengagelab_push.so`)',
    'php-curl' => 'PHP `curl` extension, one reused handle',
];
/** The result of the median round by calls/s (so a row's figures come from one process). */
$median = static function (array $byRound): array {
    $sorted = array_values($byRound);
    usort($sorted, static fn ($x, $y) => $x['calls_per_s'] <=> $y['calls_per_s']);
    return $sorted[intdiv(count($sorted) - 1, 2)];
};
$c = $median($results['c-abi']);
$phpVersion = PHP_VERSION;
$curlVersion = curl_version()['version'] ?? '?';
$md = "## PHP binding: sequential deletes, TLS (HTTPS)\n\n"
    . "One run of `php bench/php/compare.php` on {$date} UTC ({$rounds} rounds of " . number_format($calls) . ' calls per client, '
    . "load average {$loadBefore} before and {$load} after): the C ABI client of the main tables (`bench/c/el_bench.c`), "
    . 'the PHP binding (`bench/php/el_bench.php`: one `Client`, `deleteDevice` per call, retries off, '
    . "`php -d ffi.enable=1`, PHP {$phpVersion}) and what a PHP user would write instead, PHP's `curl` extension with one "
    . "reused handle (`bench/php/curl_bench.php`, libcurl {$curlVersion}; Guzzle runs on it), one after the other in each "
    . 'round, against the same nginx, certificates and placement as the main tables (nginx on CPU 0, the clients on CPU 1), '
    . "each after 200 warm-up calls. Each row is the client's median round by calls/s; *of the C ABI* is its calls/s over "
    . "the C ABI's median round's. Its figures are this run's, not the main tables' (another run, another load).\n\n"
    . "| Client | median µs/call | p99 µs/call | calls/s | of the C ABI | CPU µs/call | peak RSS MiB | calls | calls/s, all rounds |\n"
    . "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
foreach ($results as $name => $byRound) {
    $r = $median($byRound);
    $md .= sprintf(
        "| %s | %.1f | %.1f | %s | %d%% | %.1f | %.1f | %s | %s |\n",
        $names[$name],
        $r['median_us'],
        $r['p99_us'],
        number_format($r['calls_per_s']),
        (int) round(100 * $r['calls_per_s'] / $c['calls_per_s']),
        $r['cpu_us_per_call'],
        $r['maxrss_kb'] / 1024,
        number_format($r['calls']),
        implode(', ', array_map(static fn ($x) => number_format($x['calls_per_s']), $byRound)),
    );
}
$md .= "\n";
foreach (['php-binding' => 'PHP binding', 'php-curl' => 'PHP curl'] as $name => $label) {
    $per = array_map(
        static fn (int $round): string => (int) round(100 * $results[$name][$round]['calls_per_s'] / $results['c-abi'][$round]['calls_per_s']) . '%',
        array_keys($results[$name]),
    );
    $ratio = (int) round(100 * $median($results[$name])['calls_per_s'] / $c['calls_per_s']);
    $md .= "- {$label}: {$ratio}% of the C ABI's calls/s; round by round " . implode(', ', $per)
        . ($name === 'php-binding' ? ' (target ≥ 90%: **' . ($ratio >= 90 ? 'met' : 'not met') . '**)' : '') . "\n";
}
echo $md;
if ($write) {
    file_put_contents(__DIR__ . '/results.md', $md);
    say('wrote bench/php/results.md');
}
