package io.github.engagelabpush;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The C ABI of {@code libengagelab_push} ({@code include/engagelab_push.h}),
 * bound with JNA direct mapping. Handles ({@code el_config*},
 * {@code el_client*}, {@code el_cancel*}, {@code el_device*},
 * {@code el_id_list*}) are passed as {@code long} (every platform shipped,
 * Linux on x86_64 and aarch64, is LP64: pointers, {@code size_t} and C's
 * {@code long} are 64-bit); strings as NUL-terminated UTF-8 {@code byte[]}
 * made by {@link CStrings}, a null array being NULL; the caller-owned
 * {@code el_error} and {@code el_call_options} records as {@code byte[]} laid
 * out by {@link ErrorRecord} and {@link CallOptions}.
 *
 * <p>The library is looked for in this order: {@code jna.library.path}, the
 * system's library path, then the jar: on glibc JNA's resource for the
 * platform ({@code linux-x86-64/} or {@code linux-aarch64/libengagelab_push.so}),
 * on musl, which JNA does not tell from glibc, the same folder suffixed
 * {@code -musl}, chosen by {@link #load}.
 */
final class Lib {
    private Lib() {}

    static final int EL_OK = 0;

    private static final String NAME = "engagelab_push";

    /**
     * The library loaded, the one every class registering natives must use
     * ({@link Bulk} too): loading it again by name would, on musl, load the
     * jar's glibc build beside it.
     */
    static final NativeLibrary LIBRARY =
            load(Map.of(Library.OPTION_STRING_ENCODING, StandardCharsets.UTF_8.name()));

    static {
        Native.register(Lib.class, LIBRARY);
    }

    /**
     * The library, found in the order the class comment gives: JNA's own
     * lookup, but on musl without the class path (its resource there is the
     * glibc build), which is replaced by the jar's {@code -musl} resource.
     */
    private static NativeLibrary load(Map<String, Object> options) {
        if (!onMusl()) {
            return NativeLibrary.getInstance(NAME, options);
        }
        Map<String, Object> notTheJar = new HashMap<>(options);
        // A class loader that does not see the jar: JNA looks only in
        // jna.library.path and the system's library path.
        notTheJar.put(Library.OPTION_CLASSLOADER, ClassLoader.getPlatformClassLoader());
        try {
            return NativeLibrary.getInstance(NAME, notTheJar);
        } catch (UnsatisfiedLinkError notInstalled) {
            String resource = "/" + Platform.RESOURCE_PREFIX + "-musl/" + System.mapLibraryName(NAME);
            try {
                File file = Native.extractFromResourcePath(resource, Lib.class.getClassLoader());
                return NativeLibrary.getInstance(file.getAbsolutePath(), options);
            } catch (IOException | UnsatisfiedLinkError e) {
                UnsatisfiedLinkError error =
                        new UnsatisfiedLinkError(
                                "libengagelab_push for musl is neither in jna.library.path, the system's"
                                        + " library path nor loadable from the class path as "
                                        + resource + ": " + e.getMessage());
                error.addSuppressed(notInstalled);
                throw error;
            }
        }
    }

    /** Whether this JVM runs on musl: its own memory maps hold musl's loader. */
    static boolean onMusl() {
        try (Stream<String> maps = Files.lines(Path.of("/proc/self/maps"))) {
            return maps.anyMatch(line -> line.contains("/ld-musl-") || line.contains("/libc.musl-"));
        } catch (IOException | UncheckedIOException e) {
            return false;
        }
    }

    static native int el_cancel_new(long[] outCancel);

    static native void el_cancel_cancel(long cancel);

    static native byte el_cancel_is_cancelled(long cancel);

    static native void el_cancel_free(long cancel);

    static native int el_config_new(byte[] appKey, byte[] masterSecret, long[] outConfig, byte[] err);

    static native int el_config_from_env(long[] outConfig, byte[] err);

    static native int el_config_set_region(long config, byte[] region, byte[] err);

    static native int el_config_set_base_url(long config, byte[] baseUrl, byte[] err);

    static native int el_config_set_timeout_ms(long config, long timeoutMs, byte[] err);

    static native int el_config_set_connect_timeout_ms(long config, long timeoutMs, byte[] err);

    static native int el_config_set_max_retries(long config, int maxRetries, byte[] err);

    static native int el_config_set_backoff_ms(long config, long baseMs, long maxMs, byte[] err);

    static native int el_config_set_max_retry_after_ms(long config, long maxMs, byte[] err);

    static native int el_config_set_user_agent(long config, byte[] userAgent, byte[] err);

    static native int el_config_set_proxy(long config, byte[] proxyUrl, byte[] err);

    static native int el_config_set_ca_file(long config, byte[] pemPath, byte[] err);

    static native int el_config_set_allow_insecure_http(long config, boolean allow, byte[] err);

    static native void el_config_free(long config);

    static native int el_client_new(long config, long[] outClient, byte[] err);

    static native void el_client_free(long client);

    static native int el_delete_device(long client, byte[] registrationId, byte[] err);

    static native int el_delete_device_with(
            long client, byte[] registrationId, byte[] options, byte[] err);

    static native int el_get_device(long client, byte[] registrationId, long[] outDevice, byte[] err);

    static native int el_get_device_with(
            long client, byte[] registrationId, byte[] options, long[] outDevice, byte[] err);

    static native Pointer el_device_registration_id(long device);

    /** {@code size_t} is a Java {@code long} (LP64). */
    static native long el_device_tag_count(long device);

    static native Pointer el_device_tag(long device, long index);

    static native Pointer el_device_alias(long device);

    static native Pointer el_device_raw_json(long device);

    static native void el_device_free(long device);

    /** {@code platform_count} ({@code size_t}) is a Java {@code long} (LP64). */
    static native int el_get_alias(
            long client, byte[] alias, Pointer platforms, long platformCount, long[] outIds, byte[] err);

    static native int el_get_alias_with(
            long client,
            byte[] alias,
            Pointer platforms,
            long platformCount,
            byte[] options,
            long[] outIds,
            byte[] err);

    /** {@code size_t} is a Java {@code long} (LP64). */
    static native long el_id_list_count(long ids);

    static native Pointer el_id_list_get(long ids, long index);

    static native void el_id_list_free(long ids);

    /**
     * The asynchronous calls: {@code user_data} is a key of {@link Async}'s
     * pending calls, passed as a {@code long}; {@code done} one of its static
     * callbacks. {@code registrationId}, {@code options} and the platforms are
     * only read during the call.
     */
    static native int el_delete_device_async(
            long client, byte[] registrationId, byte[] options, Async.DeleteDone done, long userData, byte[] err);

    static native int el_get_device_async(
            long client, byte[] registrationId, byte[] options, Async.DeviceDone done, long userData, byte[] err);

    static native int el_get_alias_async(
            long client,
            byte[] alias,
            Pointer platforms,
            long platformCount,
            byte[] options,
            Async.AliasDone done,
            long userData,
            byte[] err);

    static native int el_check(long client, byte[] options, long[] outReport, byte[] err);

    static native int el_check_report_summary(long report, byte[] summary);

    static native Pointer el_check_report_base_url(long report);

    static native Pointer el_check_report_address(long report);

    static native Pointer el_check_report_tls_version(long report);

    static native Pointer el_check_report_json(long report);

    static native Pointer el_check_report_finding_code(long report, long index);

    static native Pointer el_check_report_finding_message(long report, long index);

    static native void el_check_report_free(long report);

    /** A NUL-terminated UTF-8 string the library owns, copied; null for NULL. */
    static String string(Pointer p) {
        return p == null ? null : p.getString(0, StandardCharsets.UTF_8.name());
    }

    /** {@code size_t} is a Java {@code long} (LP64). */
    static native long el_error_describe(byte[] err, byte[] buf, long len);

    /** The core's description of a client ({@code el_client_describe}), same convention. */
    static native long el_client_describe(long client, byte[] buf, long len);

    /** The core's description of the live client {@code client}. */
    static String describeClient(long client) {
        byte[] buf = new byte[256];
        while (true) {
            long n = el_client_describe(client, buf, buf.length);
            if (n < buf.length) {
                return new String(buf, 0, (int) n, StandardCharsets.UTF_8);
            }
            buf = new byte[Math.toIntExact(n + 1)];
        }
    }

    static native Pointer el_status_name(int status);

    static native Pointer el_version();

    /** {@code el_status_name}: "OK", a category's name, or "UNKNOWN". */
    static String statusName(int status) {
        return el_status_name(status).getString(0, StandardCharsets.UTF_8.name());
    }

    /** {@code el_version}: the version of the library actually loaded. */
    static String version() {
        return el_version().getString(0, StandardCharsets.UTF_8.name());
    }

    /** The caller-set {@code el_error} record (see the header), read by offsets. */
    static final class ErrorRecord {
        private ErrorRecord() {}

        // The LP64 layout of el_error, the same on x86_64 and aarch64 Linux;
        // checked against the C compiler's offsetof/sizeof by LayoutTest.
        static final int SIZE = 296;
        static final int OFF_SIZE = 0;
        static final int OFF_STATUS = 8;
        static final int OFF_HTTP_STATUS = 12;
        static final int OFF_API_CODE = 16;
        static final int OFF_ATTEMPTS = 24;
        static final int OFF_RETRY_AFTER_MS = 28;
        static final int OFF_MESSAGE = 32;
        static final int MESSAGE_LEN = 256;
        static final int OFF_MAYBE_DELETED = 288;

        /** A zeroed record whose size field is set, ready to pass. */
        static byte[] create() {
            byte[] record = new byte[SIZE];
            buffer(record).putLong(OFF_SIZE, SIZE);
            return record;
        }

        static ByteBuffer buffer(byte[] record) {
            return ByteBuffer.wrap(record).order(ByteOrder.nativeOrder());
        }

        /**
         * The core's sentence for a filled record ({@code el_error_describe}):
         * what the exception's message shows.
         */
        static String describe(byte[] record) {
            // The core's sentence fits in 512 bytes; a longer one is asked for
            // again with the length el_error_describe reported.
            byte[] buf = new byte[512];
            while (true) {
                long n = el_error_describe(record, buf, buf.length);
                if (n < buf.length) {
                    return new String(buf, 0, (int) n, StandardCharsets.UTF_8);
                }
                buf = new byte[Math.toIntExact(n + 1)];
            }
        }

        /**
         * A record the binding fills itself, for a failure it finds before
         * calling C: described by the core like any other. The message is cut
         * to fit on a character boundary.
         */
        static byte[] local(int code, String message) {
            byte[] record = create();
            buffer(record).putInt(OFF_STATUS, code);
            byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
            int len = Math.min(bytes.length, MESSAGE_LEN - 1);
            while (len > 0 && len < bytes.length && (bytes[len] & 0xc0) == 0x80) {
                len--;
            }
            System.arraycopy(bytes, 0, record, OFF_MESSAGE, len);
            return record;
        }

        /** An {@link InvalidArgumentException} the binding finds before calling C. */
        static EngageLabException invalidArgument(String message) {
            int code = Status.INVALID_ARGUMENT.code();
            return toException(code, local(code, message));
        }

        /**
         * The exception a failed call's status code and record describe; its
         * message is the core's sentence for the record, taken now, while the
         * caller still holds it.
         */
        static EngageLabException toException(int code, byte[] record) {
            ByteBuffer b = buffer(record);
            int end = OFF_MESSAGE;
            while (end < OFF_MESSAGE + MESSAGE_LEN && record[end] != 0) {
                end++;
            }
            String message = new String(record, OFF_MESSAGE, end - OFF_MESSAGE, StandardCharsets.UTF_8);
            String sentence = describe(record);
            EngageLabException.Details details =
                    new EngageLabException.Details(
                            sentence,
                            message,
                            Short.toUnsignedInt(b.getShort(OFF_HTTP_STATUS)),
                            b.getLong(OFF_API_CODE),
                            b.getInt(OFF_ATTEMPTS),
                            Integer.toUnsignedLong(b.getInt(OFF_RETRY_AFTER_MS)),
                            record[OFF_MAYBE_DELETED] != 0);
            Status status = Status.fromCode(Integer.toUnsignedLong(code));
            if (status == null) {
                // A code this binding does not know (a newer library): still a
                // failure, reported as INTERNAL with the code and its name.
                details =
                        new EngageLabException.Details(
                                sentence,
                                "unknown status code " + Integer.toUnsignedString(code)
                                        + " (" + statusName(code) + ") from libengagelab_push "
                                        + version() + ": " + message,
                                details.httpStatus,
                                details.apiCode,
                                details.attempts,
                                details.retryAfterMs,
                                details.maybeDeleted);
                status = Status.INTERNAL;
            }
            return Exceptions.of(status, details);
        }
    }

    /** The caller-set {@code el_call_options} record. */
    static final class CallOptions {
        private CallOptions() {}

        static final int SIZE = 32;
        static final int OFF_SIZE = 0;
        static final int OFF_CANCEL = 8;
        static final int OFF_TIMEOUT_MS = 16;
        static final int OFF_HAS_TIMEOUT = 24;

        /**
         * The record for a token and a per-call timeout in milliseconds,
         * passed as is (0 included: the core decides what it means);
         * {@link Client#NO_TIMEOUT} for none.
         */
        static byte[] create(long cancel, long timeoutMs) {
            byte[] record = new byte[SIZE];
            ByteBuffer b = ByteBuffer.wrap(record).order(ByteOrder.nativeOrder());
            b.putLong(OFF_SIZE, SIZE);
            b.putLong(OFF_CANCEL, cancel);
            if (timeoutMs != Client.NO_TIMEOUT) {
                b.putLong(OFF_TIMEOUT_MS, timeoutMs);
                b.put(OFF_HAS_TIMEOUT, (byte) 1);
            }
            return record;
        }
    }

    /** {@code el_check_options}, as a record the binding owns (LP64 layout, x86_64 and aarch64 alike). */
    static final class CheckOptions {
        private CheckOptions() {}

        static final int SIZE = 40;
        static final int OFF_SIZE = 0;
        static final int OFF_DEVICE = 8;
        static final int OFF_CANCEL = 16;
        static final int OFF_TIMEOUT_MS = 24;
        static final int OFF_HAS_TIMEOUT = 32;

        /** The record for a device at {@code device} (0: none) and a call's options record. */
        static byte[] create(long device, byte[] callOptions) {
            ByteBuffer call = ByteBuffer.wrap(callOptions).order(ByteOrder.nativeOrder());
            byte[] record = new byte[SIZE];
            ByteBuffer b = ByteBuffer.wrap(record).order(ByteOrder.nativeOrder());
            b.putLong(OFF_SIZE, SIZE);
            b.putLong(OFF_DEVICE, device);
            b.putLong(OFF_CANCEL, call.getLong(CallOptions.OFF_CANCEL));
            b.putLong(OFF_TIMEOUT_MS, call.getLong(CallOptions.OFF_TIMEOUT_MS));
            b.put(OFF_HAS_TIMEOUT, call.get(CallOptions.OFF_HAS_TIMEOUT));
            return record;
        }
    }

    /** {@code el_check_summary}, as a record the binding owns (LP64 layout, x86_64 and aarch64 alike). */
    static final class CheckSummary {
        private CheckSummary() {}

        static final int SIZE = 48;
        static final int OFF_SIZE = 0;
        static final int OFF_RTT_US = 8;
        static final int OFF_CLOCK_SKEW_S = 16;
        static final int OFF_UNKNOWN_DEVICE_API_CODE = 24;
        static final int OFF_FINDING_COUNT = 32;
        static final int OFF_UNKNOWN_DEVICE_HTTP_STATUS = 40;
        static final int OFF_CREDENTIALS_ACCEPTED = 42;
        static final int OFF_HAS_CLOCK_SKEW = 43;

        static byte[] create() {
            byte[] record = new byte[SIZE];
            ByteBuffer.wrap(record).order(ByteOrder.nativeOrder()).putLong(OFF_SIZE, SIZE);
            return record;
        }
    }
}
