package io.github.engagelabpush;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The offsets this binding reads and writes el_error, el_call_options,
 * el_check_options and el_check_summary at
 * are the C compiler's: a small C program includes the real header and prints
 * offsetof/sizeof. (The C toolchain is there wherever the Rust library builds.)
 */
class LayoutTest {
    @Test
    void recordsMatchTheHeader() throws Exception {
        Path dir = Files.createTempDirectory("el-layout");
        Path src = dir.resolve("layout.c");
        Files.writeString(src, String.join("\n",
                "#include <stdio.h>",
                "#include <stddef.h>",
                "#include \"engagelab_push.h\"",
                "#define P(t, f) printf(#t \".\" #f \"=%zu\\n\", offsetof(t, f))",
                "int main(void) {",
                "  printf(\"el_error=%zu\\n\", sizeof(el_error));",
                "  P(el_error, size); P(el_error, status); P(el_error, http_status); P(el_error, api_code);",
                "  P(el_error, attempts); P(el_error, retry_after_ms); P(el_error, message); P(el_error, maybe_deleted);",
                "  printf(\"message_len=%d\\n\", EL_ERROR_MESSAGE_LEN);",
                "  printf(\"el_call_options=%zu\\n\", sizeof(el_call_options));",
                "  P(el_call_options, size); P(el_call_options, cancel); P(el_call_options, timeout_ms);",
                "  P(el_call_options, has_timeout);",
                "  printf(\"el_check_options=%zu\\n\", sizeof(el_check_options));",
                "  P(el_check_options, size); P(el_check_options, device); P(el_check_options, cancel);",
                "  P(el_check_options, timeout_ms); P(el_check_options, has_timeout);",
                "  printf(\"el_check_summary=%zu\\n\", sizeof(el_check_summary));",
                "  P(el_check_summary, size); P(el_check_summary, rtt_us); P(el_check_summary, clock_skew_s);",
                "  P(el_check_summary, unknown_device_api_code); P(el_check_summary, finding_count);",
                "  P(el_check_summary, unknown_device_http_status); P(el_check_summary, credentials_accepted);",
                "  P(el_check_summary, has_clock_skew);",
                "  return 0;",
                "}", ""));
        Path exe = dir.resolve("layout");
        run(dir, "cc", "-std=c99", "-I", Mock.REPO.resolve("include").toString(), "-o", exe.toString(), src.toString());
        String got = run(dir, exe.toString());
        String want = String.join("\n",
                "el_error=" + Lib.ErrorRecord.SIZE,
                "el_error.size=" + Lib.ErrorRecord.OFF_SIZE,
                "el_error.status=" + Lib.ErrorRecord.OFF_STATUS,
                "el_error.http_status=" + Lib.ErrorRecord.OFF_HTTP_STATUS,
                "el_error.api_code=" + Lib.ErrorRecord.OFF_API_CODE,
                "el_error.attempts=" + Lib.ErrorRecord.OFF_ATTEMPTS,
                "el_error.retry_after_ms=" + Lib.ErrorRecord.OFF_RETRY_AFTER_MS,
                "el_error.message=" + Lib.ErrorRecord.OFF_MESSAGE,
                "el_error.maybe_deleted=" + Lib.ErrorRecord.OFF_MAYBE_DELETED,
                "message_len=" + Lib.ErrorRecord.MESSAGE_LEN,
                "el_call_options=" + Lib.CallOptions.SIZE,
                "el_call_options.size=" + Lib.CallOptions.OFF_SIZE,
                "el_call_options.cancel=" + Lib.CallOptions.OFF_CANCEL,
                "el_call_options.timeout_ms=" + Lib.CallOptions.OFF_TIMEOUT_MS,
                "el_call_options.has_timeout=" + Lib.CallOptions.OFF_HAS_TIMEOUT,
                "el_check_options=" + Lib.CheckOptions.SIZE,
                "el_check_options.size=" + Lib.CheckOptions.OFF_SIZE,
                "el_check_options.device=" + Lib.CheckOptions.OFF_DEVICE,
                "el_check_options.cancel=" + Lib.CheckOptions.OFF_CANCEL,
                "el_check_options.timeout_ms=" + Lib.CheckOptions.OFF_TIMEOUT_MS,
                "el_check_options.has_timeout=" + Lib.CheckOptions.OFF_HAS_TIMEOUT,
                "el_check_summary=" + Lib.CheckSummary.SIZE,
                "el_check_summary.size=" + Lib.CheckSummary.OFF_SIZE,
                "el_check_summary.rtt_us=" + Lib.CheckSummary.OFF_RTT_US,
                "el_check_summary.clock_skew_s=" + Lib.CheckSummary.OFF_CLOCK_SKEW_S,
                "el_check_summary.unknown_device_api_code=" + Lib.CheckSummary.OFF_UNKNOWN_DEVICE_API_CODE,
                "el_check_summary.finding_count=" + Lib.CheckSummary.OFF_FINDING_COUNT,
                "el_check_summary.unknown_device_http_status=" + Lib.CheckSummary.OFF_UNKNOWN_DEVICE_HTTP_STATUS,
                "el_check_summary.credentials_accepted=" + Lib.CheckSummary.OFF_CREDENTIALS_ACCEPTED,
                "el_check_summary.has_clock_skew=" + Lib.CheckSummary.OFF_HAS_CLOCK_SKEW,
                "");
        assertEquals(want, got);
    }

    private static String run(Path dir, String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", command) + " failed:\n" + out);
        }
        return out;
    }
}
