<?php

// Deletes one device: `php delete_device.php REGISTRATION_ID`.
//
// Credentials come from the environment (see Client::fromEnv):
// ENGAGELAB_APP_KEY, ENGAGELAB_MASTER_SECRET, and optionally ENGAGELAB_REGION
// (a region's short name) or ENGAGELAB_BASE_URL.
//
// Exit status: 0 deleted, 1 the call failed, 2 usage or configuration error.

declare(strict_types=1);

use EngageLabPush\Client;
use EngageLabPush\EngageLabException;

// Composer's autoloader when installed as a dependency; the package's own
// sources when run from a clone.
$autoload = array_filter([
    getenv('COMPOSER_AUTOLOAD') ?: null,
    __DIR__ . '/../vendor/autoload.php',
    __DIR__ . '/../../../autoload.php',
], static fn (?string $f): bool => $f !== null && is_file($f));
if ($autoload !== []) {
    require reset($autoload);
} else {
    spl_autoload_register(static function (string $class): void {
        $prefix = 'EngageLabPush\\';
        if (str_starts_with($class, $prefix)) {
            require __DIR__ . '/../src/' . substr($class, strlen($prefix)) . '.php';
        }
    });
}

if ($argc !== 2) {
    fwrite(STDERR, "usage: {$argv[0]} REGISTRATION_ID\n");
    exit(2);
}
try {
    $client = Client::fromEnv();
} catch (EngageLabException $e) {
    fwrite(STDERR, "configuration: {$e->getMessage()}\n");
    exit(2);
}
try {
    $client->deleteDevice($argv[1]);
} catch (EngageLabException $e) {
    fwrite(STDERR, "php: {$argv[1]} not deleted ({$e->getStatus()}): {$e->getMessage()}\n");
    if ($e->maybeDeleted) {
        fwrite(STDERR, "check before retrying: an attempt may already have deleted it\n");
    }
    exit(1);
}
echo "php: deleted {$argv[1]}\n";
