<?php

// The package's sources by PSR-4 (as Composer's autoloader maps them) and the
// tests' support classes.

declare(strict_types=1);

spl_autoload_register(static function (string $class): void {
    foreach (['EngageLabPush\\Tests\\' => __DIR__ . '/', 'EngageLabPush\\' => __DIR__ . '/../src/'] as $prefix => $dir) {
        if (str_starts_with($class, $prefix)) {
            $file = $dir . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
            if (is_file($file)) {
                require $file;
            }
            return;
        }
    }
});
