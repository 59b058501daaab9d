<?php

// PHP-FPM (or any SAPI where ffi.enable=preload, PHP's default) allows the FFI
// API only to preloaded code: this script, set as opcache.preload, preloads
// the package's classes and the library's definitions under the FFI scope
// ENGAGELAB_PUSH, which every request's Client then uses.
//
// A master process not running as root:
//     opcache.preload=/path/to/vendor/engagelab-push/engagelab-push/preload.php
// A root master (the usual php-fpm service): PHP then runs the preload as
// opcache.preload_user and refuses FFI::load there, so the definitions come
// from ffi.preload, written once:
//     php /path/to/vendor/engagelab-push/engagelab-push/preload.php --header > /etc/php/engagelab_push.h
//     ffi.preload=/etc/php/engagelab_push.h
//     opcache.preload=/path/to/vendor/engagelab-push/engagelab-push/preload.php
//     opcache.preload_user=www-data

declare(strict_types=1);

require_once __DIR__ . '/src/Native.php';

if (PHP_SAPI === 'cli' && ($argv[1] ?? null) === '--header') {
    echo \EngageLabPush\Native::scopedDeclarations();
    return;
}

// The base exception first: the generated classes extend it.
require_once __DIR__ . '/src/EngageLabException.php';
foreach (glob(__DIR__ . '/src/*.php') ?: [] as $file) {
    require_once $file;
}

if ((string) ini_get('ffi.preload') === '') {
    \EngageLabPush\Native::preload();
}
