package io.github.engagelabpush;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * 100k calls with flat memory. The calls run in a child JVM whose heap is fixed
 * and touched up front (-Xms = -Xmx, AlwaysPreTouch), so its resident size
 * (VmRSS) moves only with native memory and code: a leak of even 40 bytes per
 * call (a cancel token, an error record, a string) would show as 4 MB.
 */
class LeakTest {
    static final int CALLS = 100_000;
    static final long LIMIT_KIB = 3 * 1024;

    @Test
    void oneHundredThousandCallsKeepTheRssFlat() throws Exception {
        Mock mock = Mock.shared();
        mock.config("{\"unknown_device\":{\"status\":200}}");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new java.util.ArrayList<>(List.of(
                java.toString(), "-Xms64m", "-Xmx64m", "-XX:+AlwaysPreTouch", "-XX:+UseSerialGC"));
        if (Runtime.version().feature() >= 22) {
            command.add("--enable-native-access=ALL-UNNAMED"); // JNA loads a library
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"),
                LeakMain.class.getName(), mock.url, Integer.toString(CALLS)));
        Process p = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "the child JVM finished");
        assertEquals(0, p.exitValue(), out);
        // "before=KIB after=KIB ok=N failed=N"
        String[] f = out.split("[ =]");
        long before = Long.parseLong(f[1]);
        long after = Long.parseLong(f[3]);
        System.out.println("LeakTest: VmRSS " + before + " KiB -> " + after + " KiB over " + CALLS + " calls");
        assertEquals(CALLS / 2, Integer.parseInt(f[5]), out);
        assertEquals(CALLS / 2, Integer.parseInt(f[7]), out);
        assertTrue(after - before <= LIMIT_KIB,
                "VmRSS grew by " + (after - before) + " KiB over " + CALLS + " calls (limit " + LIMIT_KIB + "): " + out);
    }

    /** The child: warm up, measure, run the calls (half succeed, half fail in the core), measure. */
    public static final class LeakMain {
        public static void main(String[] args) throws Exception {
            int calls = Integer.parseInt(args[1]);
            try (Client client = Client.builder("demo-app-key", "demo-master-secret").baseUrl(args[0]).build()) {
                run(client, 20_000);
                long before = rss();
                int[] counts = run(client, calls);
                long after = rss();
                System.out.println("before=" + before + " after=" + after + " ok=" + counts[0] + " failed=" + counts[1]);
            }
        }

        static int[] run(Client client, int calls) {
            int ok = 0;
            int failed = 0;
            for (int i = 0; i < calls; i++) {
                try {
                    // Even calls go to the mock and succeed; odd ones are
                    // refused by the core (an empty id), filling an error record.
                    client.deleteDevice(i % 2 == 0 ? "leak-device" : "");
                    ok++;
                } catch (InvalidArgumentException e) {
                    failed++;
                }
            }
            System.gc();
            return new int[] {ok, failed};
        }

        static long rss() throws Exception {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
            throw new IllegalStateException("no VmRSS");
        }
    }
}
