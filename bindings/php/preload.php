<?php

// For PHP-FPM (or any SAPI where ffi.enable=preload, PHP's default): set
//     opcache.preload=/path/to/vendor/engagelab-push/engagelab-push/preload.php
//     opcache.preload_user=www-data
// and the library's definitions are loaded once, at server start, under the
// FFI scope ENGAGELAB_PUSH, which every request's Client then uses.

declare(strict_types=1);

require_once __DIR__ . '/src/Native.php';

\EngageLabPush\Native::preload();
