<?php

// The one request FpmTest sends through php-fpm: deletes ?id= with a client
// from the environment, through the definitions preload.php loaded
// (ffi.enable=preload refuses FFI::cdef in a request).

declare(strict_types=1);

require __DIR__ . '/../bootstrap.php';

header('Content-Type: text/plain');
try {
    \FFI::cdef('int abs(int);');
    echo "cdef allowed\n";
} catch (\FFI\Exception) {
    echo "cdef refused\n";
}
try {
    \EngageLabPush\Client::fromEnv()->deleteDevice((string) ($_GET['id'] ?? ''));
    echo "deleted {$_GET['id']}\n";
} catch (\Throwable $e) {
    http_response_code(500);
    echo get_class($e), ': ', $e->getMessage(), "\n";
}
