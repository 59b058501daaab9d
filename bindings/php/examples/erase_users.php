<?php

// Erases users by alias, as an erasure request asks:
// `php erase_users.php ALIAS...`. Every device bound to them is backed up,
// deleted through the bulk engine and checked again, with a backup, a report
// and a journal in the current directory (rerun after a crash to resume).
// Ctrl-C stops the run cleanly; the journal keeps what was done.
//
// Credentials come from the environment (see Client::fromEnv):
// ENGAGELAB_APP_KEY, ENGAGELAB_MASTER_SECRET, and optionally ENGAGELAB_REGION
// or ENGAGELAB_BASE_URL.
//
// Exit status: 0 erased and verified, 1 not (or the run failed), 2 usage or
// configuration error.

declare(strict_types=1);

use EngageLabPush\BulkException;
use EngageLabPush\BulkOptions;
use EngageLabPush\BulkProgress;
use EngageLabPush\CancelToken;
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

if ($argc < 2) {
    fwrite(STDERR, "usage: {$argv[0]} ALIAS...\n");
    exit(2);
}
try {
    $client = Client::fromEnv();
} catch (EngageLabException $e) {
    fwrite(STDERR, "configuration: {$e->getMessage()}\n");
    exit(2);
}
// Ctrl-C cancels the run (under the CLI, with ext-pcntl).
$cancel = function_exists('pcntl_signal') ? CancelToken::onSignal(SIGINT, SIGTERM) : null;
try {
    $erasure = $client->eraseUsers(array_slice($argv, 1), new BulkOptions(
        journal: 'erasure.journal',
        backup: 'erased.backup.jsonl',
        report: 'erasure.report.jsonl',
        onProgress: static function (BulkProgress $p): void {
            fwrite(STDERR, "\r{$p->done} of {$p->total}, {$p->deleted} deleted");
        },
        cancel: $cancel,
    ));
} catch (BulkException $e) {
    // Only a run stopped mid-way (a file it could not write) has deleted
    // anything; every other failure sent no DELETE.
    if ($e->kind === 'WRITE_FAILED') {
        fwrite(STDERR, "stopped after deleting {$e->summary->deleted}: {$e->getMessage()}\n");
    } else {
        fwrite(STDERR, "nothing erased ({$e->kind}): {$e->getMessage()}\n");
    }
    exit(1);
} catch (EngageLabException $e) {
    fwrite(STDERR, "nothing erased ({$e->getStatus()}): {$e->getMessage()}\n");
    exit(1);
}
fwrite(STDERR, "\n");
foreach ($erasure->users as $user) {
    if ($user->stillBound === null) {
        echo "{$user->alias}: not checked\n";
    } elseif ($user->stillBound === []) {
        echo "{$user->alias}: no device bound (" . count($user->registrationIds) . " deleted)\n";
    } else {
        echo "{$user->alias}: still bound: " . implode(' ', $user->stillBound) . "\n";
    }
}
$s = $erasure->summary;
echo "deleted {$s->deleted}, not found {$s->notFound}, failed {$s->failed}" . ($s->interrupted ? ', interrupted' : '') . "\n";
exit($erasure->isSuccess ? 0 : 1);
