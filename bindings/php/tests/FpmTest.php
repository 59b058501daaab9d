<?php

// PHP-FPM, where PHP's default ffi.enable=preload refuses FFI::cdef: Debian's
// php-fpm runs a generated pool on a unix socket in a temporary directory,
// with opcache.preload set to the package's preload.php; one request, sent
// with cgi-fcgi, deletes a device against engagelab-mock through
// FFI::scope, and the mock's log shows that one DELETE.

declare(strict_types=1);

namespace EngageLabPush\Tests;

use EngageLabPush\Tests\Support\Mock;
use PHPUnit\Framework\TestCase;

final class FpmTest extends TestCase
{
    private static function fpmBinary(): ?string
    {
        $found = glob('/usr/sbin/php-fpm*') ?: [];
        return $found[0] ?? null;
    }

    /** @return array<string, array{string}> */
    public static function preloads(): array
    {
        return ['opcache.preload of preload.php' => ['opcache'], 'ffi.preload of the scoped header' => ['ffi']];
    }

    /** @dataProvider preloads */
    public function testOneRequestDeletesADeviceThroughThePreloadedScope(string $how): void
    {
        $fpm = self::fpmBinary();
        $cgi = trim((string) shell_exec('command -v cgi-fcgi'));
        if ($fpm === null || $cgi === '') {
            self::fail('php-fpm and cgi-fcgi are needed (Debian php-fpm, libfcgi-bin: cargo xtask binding php test installs them)');
        }
        $mock = new Mock();
        $mock->addDevice('fpm-device');
        $mock->addDevice('fpm-keep');
        $dir = sys_get_temp_dir() . '/engagelab-fpm-' . bin2hex(random_bytes(6));
        mkdir($dir, 0700);
        $socket = "{$dir}/fpm.sock";
        $package = dirname(__DIR__);
        $root = posix_geteuid() === 0;
        // opcache.preload's FFI::load needs a master that is not root.
        $drop = $how === 'opcache' && $root;
        if ($drop) {
            chown($dir, 'nobody');
        }
        file_put_contents("{$dir}/php-fpm.conf", implode("\n", [
            '[global]',
            "error_log = {$dir}/stderr.fifo",
            "pid = {$dir}/fpm.pid",
            'daemonize = no',
            '[test]',
            "listen = {$socket}",
            'listen.mode = 0666',
            'pm = static',
            'pm.max_children = 1',
            'clear_env = yes',
            'env[ENGAGELAB_APP_KEY] = ' . Mock::APP_KEY,
            'env[ENGAGELAB_MASTER_SECRET] = ' . Mock::MASTER_SECRET,
            "env[ENGAGELAB_BASE_URL] = {$mock->url}",
            'catch_workers_output = yes',
            '',
        ]));
        $command = [
            $fpm, '--nodaemonize', '--force-stderr', '--fpm-config', "{$dir}/php-fpm.conf", '-n',
            '-d', 'extension=ffi', '-d', 'zend_extension=opcache', '-d', 'extension=posix',
            '-d', 'ffi.enable=preload', '-d', 'opcache.enable=1',
        ];
        array_push($command, '-d', "opcache.preload={$package}/preload.php");
        if ($how === 'ffi') {
            array_push($command, '-d', 'opcache.preload_user=nobody');
            $header = "{$dir}/engagelab_push.h";
            exec(escapeshellarg(PHP_BINARY) . ' ' . escapeshellarg("{$package}/preload.php") . ' --header > ' . escapeshellarg($header), $out, $code);
            self::assertSame(0, $code);
            array_push($command, '-d', "ffi.preload={$header}");
        }
        if ($drop) {
            $command = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', ...$command];
        } elseif ($root) {
            $command[] = '--allow-to-run-as-root';
        }
        // FPM's log, read here as it is written, through a FIFO the
        // (possibly unprivileged) master can open.
        $fifo = "{$dir}/stderr.fifo";
        self::assertTrue(posix_mkfifo($fifo, 0600));
        if ($drop) {
            chown($fifo, 'nobody');
        }
        $reader = fopen($fifo, 'r+');
        $process = proc_open($command, [0 => ['file', '/dev/null', 'r'], 1 => ['file', '/dev/null', 'w'], 2 => ['file', $fifo, 'w']], $unused);
        self::assertIsResource($process);
        try {
            // Started once it says so (a fact, not a delay); a master that
            // exits instead ends the wait.
            $said = '';
            stream_set_blocking($reader, false);
            while (!str_contains($said, 'ready to handle connections')) {
                $read = [$reader];
                $none = [];
                if (stream_select($read, $none, $none, 1) === 0) {
                    if (!proc_get_status($process)['running']) {
                        break;
                    }
                    continue;
                }
                $said .= (string) fread($reader, 8192);
            }
            self::assertStringContainsString('ready to handle connections', $said);
            $request = proc_open([$cgi, '-bind', '-connect', $socket], [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $io, null, [
                'GATEWAY_INTERFACE' => 'CGI/1.1',
                'REQUEST_METHOD' => 'GET',
                'SCRIPT_FILENAME' => __DIR__ . '/fpm/delete.php',
                'SCRIPT_NAME' => '/delete.php',
                'QUERY_STRING' => 'id=fpm-device',
                'SERVER_PROTOCOL' => 'HTTP/1.1',
            ]);
            $answer = stream_get_contents($io[1]);
            $errors = stream_get_contents($io[2]);
            proc_close($request);
            self::assertStringContainsString("cdef refused\n", $answer, "{$answer}\n{$errors}");
            self::assertStringContainsString("deleted fpm-device\n", $answer, "{$answer}\n{$errors}");
        } finally {
            proc_terminate($process);
            proc_close($process);
            foreach (glob("{$dir}/*") ?: [] as $f) {
                unlink($f);
            }
            rmdir($dir);
        }
        $log = $mock->log();
        self::assertCount(1, $log);
        self::assertSame('DELETE', $log[0]->method);
        self::assertSame('/v4/devices/fpm-device', $log[0]->path);
        self::assertSame(['fpm-keep'], array_values(array_intersect(['fpm-device', 'fpm-keep'], $mock->devices())));
    }
}
