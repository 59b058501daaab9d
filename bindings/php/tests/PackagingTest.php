<?php

// Packaging proof: Composer installs the package from a path repository into
// an empty project (Packagist turned off), and the example deletes a device
// against engagelab-mock from there, with nothing of Rust on the PATH and the
// library the package carries.

declare(strict_types=1);

namespace EngageLabPush\Tests;

use EngageLabPush\Tests\Support\Mock;
use PHPUnit\Framework\TestCase;

final class PackagingTest extends TestCase
{
    /** @param array<string, string> $env */
    private static function exec(array $command, string $cwd, array $env): array
    {
        $process = proc_open($command, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $io, $cwd, $env);
        self::assertIsResource($process);
        $out = stream_get_contents($io[1]);
        $err = stream_get_contents($io[2]);
        return [proc_close($process), $out . $err];
    }

    private static function remove(string $path): void
    {
        if (is_dir($path) && !is_link($path)) {
            foreach (scandir($path) ?: [] as $entry) {
                if ($entry !== '.' && $entry !== '..') {
                    self::remove("{$path}/{$entry}");
                }
            }
            rmdir($path);
        } elseif (file_exists($path) || is_link($path)) {
            unlink($path);
        }
    }

    public function testComposerPathRepositoryInstallRunsTheExampleWithoutRust(): void
    {
        $composer = trim((string) shell_exec('command -v composer'));
        if ($composer === '') {
            self::fail('composer is needed (Debian composer: cargo xtask binding php test installs it)');
        }
        $package = dirname(__DIR__);
        $app = sys_get_temp_dir() . '/engagelab-composer-' . bin2hex(random_bytes(6));
        mkdir($app, 0700);
        try {
            file_put_contents("{$app}/composer.json", json_encode([
                'name' => 'example/app',
                'require' => ['engagelab-push/engagelab-push' => '*@dev'],
                'repositories' => [
                    ['type' => 'path', 'url' => $package, 'options' => ['symlink' => false]],
                    ['packagist.org' => false],
                ],
            ], JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES));
            // Nothing of Rust on the PATH: no directory holding cargo or rustc.
            $path = implode(':', array_filter(
                explode(':', (string) getenv('PATH')),
                static fn (string $d): bool => $d !== '' && !is_file("{$d}/cargo") && !is_file("{$d}/rustc"),
            ));
            $env = [
                'PATH' => $path,
                'HOME' => $app,
                'COMPOSER_HOME' => "{$app}/.composer",
                'COMPOSER_CACHE_DIR' => "{$app}/.composer-cache",
                'COMPOSER_ALLOW_SUPERUSER' => '1',
                'COMPOSER_NO_INTERACTION' => '1',
            ];
            [$code, $out] = self::exec([$composer, 'install', '--no-progress', '--no-ansi'], $app, $env);
            self::assertSame(0, $code, $out);
            $installed = "{$app}/vendor/engagelab-push/engagelab-push";
            self::assertFileExists("{$installed}/lib/linux-x86_64/libengagelab_push.so");
            self::assertFileExists("{$installed}/include/engagelab_push.ffi.h");
            self::assertFalse(is_link($installed), 'installed as a link, not a copy');

            $mock = new Mock();
            $mock->addDevice('composer-device');
            [$code, $out] = self::exec([PHP_BINARY, "{$installed}/examples/delete_device.php", 'composer-device'], $app, $env + [
                'ENGAGELAB_APP_KEY' => Mock::APP_KEY,
                'ENGAGELAB_MASTER_SECRET' => Mock::MASTER_SECRET,
                'ENGAGELAB_BASE_URL' => $mock->url,
            ]);
            self::assertSame(0, $code, $out);
            self::assertStringContainsString('php: deleted composer-device', $out);
            self::assertNotContains('composer-device', $mock->devices());
        } finally {
            self::remove($app);
        }
    }
}
