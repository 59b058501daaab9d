<?php

declare(strict_types=1);

namespace EngageLabPush;

/**
 * The C library (`libengagelab_push`) as PHP's FFI sees it: the definitions
 * preloaded under the scope `ENGAGELAB_PUSH` (PHP-FPM with `preload.php`),
 * else loaded from `include/engagelab_push.ffi.h` and the library inside the
 * package (the CLI, or `ffi.enable=true`).
 *
 * @internal
 */
final class Native
{
    /** The FFI scope `preload.php` defines. */
    public const SCOPE = 'ENGAGELAB_PUSH';

    private static ?\FFI $ffi = null;

    /** The library: `ENGAGELAB_PUSH_LIBRARY` when set, else the package's own. */
    public static function library(): string
    {
        $path = getenv('ENGAGELAB_PUSH_LIBRARY');
        if (is_string($path) && $path !== '') {
            return $path;
        }
        return dirname(__DIR__) . '/lib/linux-x86_64/libengagelab_push.so';
    }

    /** The C declarations, without preprocessor lines (generated from the C header). */
    public static function declarations(): string
    {
        return dirname(__DIR__) . '/include/engagelab_push.ffi.h';
    }

    /** The loaded library. */
    public static function ffi(): \FFI
    {
        if (self::$ffi !== null) {
            return self::$ffi;
        }
        if (!extension_loaded('ffi')) {
            throw new \LogicException('engagelab-push needs PHP\'s FFI extension (ext-ffi)');
        }
        try {
            return self::$ffi = \FFI::scope(self::SCOPE);
        } catch (\FFI\Exception) {
            // Not preloaded: load it here.
        }
        $library = self::library();
        if (!is_file($library)) {
            throw new \LogicException("engagelab-push: no native library at {$library}");
        }
        try {
            return self::$ffi = \FFI::cdef((string) file_get_contents(self::declarations()), $library);
        } catch (\FFI\Exception $e) {
            throw new \LogicException(
                'engagelab-push: cannot load the native library (' . $e->getMessage() . '); under '
                . 'PHP-FPM (ffi.enable=preload) set opcache.preload to this package\'s preload.php',
                0,
                $e,
            );
        }
    }

    /**
     * Loads the definitions under the scope {@see SCOPE}: called by
     * `preload.php` from `opcache.preload`, where `FFI::load` is allowed.
     */
    public static function preload(): \FFI
    {
        $file = tempnam(sys_get_temp_dir(), 'engagelab-push-ffi-');
        if ($file === false) {
            throw new \LogicException('engagelab-push: no temporary file for FFI::load');
        }
        try {
            $text = '#define FFI_SCOPE "' . self::SCOPE . "\"\n"
                . '#define FFI_LIB "' . addcslashes(self::library(), "\"\\") . "\"\n"
                . (string) file_get_contents(self::declarations());
            file_put_contents($file, $text);
            $ffi = \FFI::load($file);
            if ($ffi === null) {
                throw new \LogicException('engagelab-push: FFI::load of the declarations failed');
            }
            return $ffi;
        } finally {
            unlink($file);
        }
    }
}
