package io.github.engagelabpush;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The layouts Bulk reads and writes (el_bulk_options, el_bulk_summary,
 * el_bulk_progress, el_bulk_plan) are the C compiler's, as LayoutTest checks
 * el_error's.
 */
class BulkLayoutTest {
    @Test
    void bulkRecordsMatchTheHeader() throws Exception {
        Path dir = Files.createTempDirectory("el-bulk-layout");
        Path src = dir.resolve("layout.c");
        Files.writeString(src, String.join("\n",
                "#include <stdio.h>",
                "#include <stddef.h>",
                "#include \"engagelab_push.h\"",
                "#define P(t, f) printf(#t \".\" #f \"=%zu\\n\", offsetof(t, f))",
                "int main(void) {",
                "  printf(\"el_bulk_options=%zu\\n\", sizeof(el_bulk_options));",
                "  P(el_bulk_options, qps); P(el_bulk_options, concurrency); P(el_bulk_options, max_deletions);",
                "  P(el_bulk_options, dry_run); P(el_bulk_options, journal); P(el_bulk_options, backup);",
                "  P(el_bulk_options, report); P(el_bulk_options, on_progress); P(el_bulk_options, confirm);",
                "  P(el_bulk_options, user_data); P(el_bulk_options, cancel); P(el_bulk_options, on_resolved);",
                "  P(el_bulk_options, stall_timeout_ms);",
                "  printf(\"el_bulk_summary=%zu\\n\", sizeof(el_bulk_summary));",
                "  P(el_bulk_summary, error); P(el_bulk_summary, entries); P(el_bulk_summary, elapsed_ms);",
                "  P(el_bulk_summary, interrupted); P(el_bulk_summary, dry_run); P(el_bulk_summary, stopped);",
                "  printf(\"stopped_len=%d\\n\", EL_BULK_STOPPED_LEN);",
                "  P(el_bulk_progress, done); P(el_bulk_progress, in_flight); P(el_bulk_progress, qps);",
                "  P(el_bulk_progress, interrupted); P(el_bulk_plan, ids); P(el_bulk_plan, dry_run);",
                "  return 0;",
                "}", ""));
        Path exe = dir.resolve("layout");
        run(dir, "cc", "-std=c99", "-I", Mock.REPO.resolve("include").toString(), "-o", exe.toString(), src.toString());
        String want = String.join("\n",
                "el_bulk_options=" + Bulk.OPTIONS_SIZE,
                "el_bulk_options.qps=8", "el_bulk_options.concurrency=12", "el_bulk_options.max_deletions=16",
                "el_bulk_options.dry_run=24", "el_bulk_options.journal=32", "el_bulk_options.backup=40",
                "el_bulk_options.report=48", "el_bulk_options.on_progress=56", "el_bulk_options.confirm=64",
                "el_bulk_options.user_data=72", "el_bulk_options.cancel=80", "el_bulk_options.on_resolved=88",
                "el_bulk_options.stall_timeout_ms=96",
                "el_bulk_summary=" + Bulk.SUMMARY_SIZE,
                "el_bulk_summary.error=8", "el_bulk_summary.entries=16", "el_bulk_summary.elapsed_ms=104",
                "el_bulk_summary.interrupted=112", "el_bulk_summary.dry_run=113",
                "el_bulk_summary.stopped=" + Bulk.OFF_STOPPED,
                "stopped_len=" + Bulk.STOPPED_LEN,
                "el_bulk_progress.done=8", "el_bulk_progress.in_flight=96", "el_bulk_progress.qps=104",
                "el_bulk_progress.interrupted=112", "el_bulk_plan.ids=16", "el_bulk_plan.dry_run=24",
                "");
        assertEquals(want, run(dir, exe.toString()));
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
