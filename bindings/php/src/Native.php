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
        $notPreloaded = null;
        try {
            return self::$ffi = \FFI::scope(self::SCOPE);
        } catch (\FFI\Exception $e) {
            // Not preloaded: load it here.
            $notPreloaded = $e;
        }
        $library = self::library();
        if (!is_file($library)) {
            throw new \LogicException("engagelab-push: no native library at {$library}");
        }
        try {
            return self::$ffi = \FFI::cdef((string) file_get_contents(self::declarations()), $library);
        } catch (\FFI\Exception $e) {
            throw new \LogicException(
                'engagelab-push: cannot load the native library (' . $e->getMessage() . '; FFI::scope: '
                . $notPreloaded->getMessage() . '); under PHP-FPM (ffi.enable=preload) preload it: '
                . 'see preload.php',
                0,
                $e,
            );
        }
    }

    /**
     * The declarations with the two lines that name the scope and the
     * library: what `ffi.preload` reads, and what {@see preload()} loads.
     */
    public static function scopedDeclarations(): string
    {
        return '#define FFI_SCOPE "' . self::SCOPE . "\"\n"
            . '#define FFI_LIB "' . addcslashes(self::library(), "\"\\") . "\"\n"
            . (string) file_get_contents(self::declarations());
    }

    /**
     * Loads the definitions under the scope {@see SCOPE}: called by
     * `preload.php` from `opcache.preload`, where `FFI::load` is allowed
     * (PHP refuses it when the preload runs as `opcache.preload_user`, that
     * is under a root master process: use `ffi.preload` there).
     */
    public static function preload(): \FFI
    {
        $file = tempnam(sys_get_temp_dir(), 'engagelab-push-ffi-');
        if ($file === false) {
            throw new \LogicException('engagelab-push: no temporary file for FFI::load');
        }
        try {
            file_put_contents($file, self::scopedDeclarations());
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
