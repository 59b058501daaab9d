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
        String out = child(mock, "delete");
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

    /**
     * getDevice frees every el_device it copies: 100 000 queries of a device
     * with tags and an alias (a few hundred bytes each if kept) stay flat.
     */
    @Test
    void oneHundredThousandGetDeviceCallsKeepTheRssFlat() throws Exception {
        Mock mock = Mock.shared();
        mock.addDevice(Mock.JSON.readTree("{\"registration_id\":\"leak-get\","
                + "\"tags\":[\"tag-one\",\"tag-two\",\"tag-three\"],\"alias\":\"an-alias-of-some-length\"}"));
        String out = child(mock, "get");
        String[] f = out.split("[ =]");
        long before = Long.parseLong(f[1]);
        long after = Long.parseLong(f[3]);
        System.out.println("LeakTest: VmRSS " + before + " KiB -> " + after + " KiB over " + CALLS + " getDevice calls");
        assertEquals(CALLS, Integer.parseInt(f[5]), out);
        assertTrue(after - before <= LIMIT_KIB,
                "VmRSS grew by " + (after - before) + " KiB over " + CALLS + " getDevice calls (limit " + LIMIT_KIB + "): " + out);
    }

    /**
     * getAlias frees every el_id_list it copies, and every error record: 100 000
     * lookups (a third of all platforms, a third narrowed, a third refused by
     * the core for an unknown platform) of a user with three devices stay flat.
     * A list kept would cost its three ids, their vector and the list itself:
     * with el_id_list_free skipped, VmRSS grew by 11 MB here.
     */
    @Test
    void oneHundredThousandGetAliasCallsKeepTheRssFlat() throws Exception {
        Mock mock = Mock.shared();
        for (String platform : List.of("android", "ios", "hmos")) {
            mock.addDevice(Mock.JSON.readTree("{\"registration_id\":\"leak-alias-device-" + platform
                    + "\",\"alias\":\"leak-user\",\"platform\":\"" + platform + "\"}"));
        }
        String out = child(mock, "alias");
        String[] f = out.split("[ =]");
        long before = Long.parseLong(f[1]);
        long after = Long.parseLong(f[3]);
        System.out.println("LeakTest: VmRSS " + before + " KiB -> " + after + " KiB over " + CALLS + " getAlias calls");
        int failed = CALLS / 3;
        assertEquals(CALLS - failed, Integer.parseInt(f[5]), out);
        assertEquals(failed, Integer.parseInt(f[7]), out);
        assertTrue(after - before <= LIMIT_KIB,
                "VmRSS grew by " + (after - before) + " KiB over " + CALLS + " getAlias calls (limit " + LIMIT_KIB + "): " + out);
    }

    /** Runs LeakMain in a child JVM against the mock; returns its one line. */
    private static String child(Mock mock, String mode) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new java.util.ArrayList<>(List.of(
                java.toString(), "-Xms64m", "-Xmx64m", "-XX:+AlwaysPreTouch", "-XX:+UseSerialGC"));
        if (Runtime.version().feature() >= 22) {
            command.add("--enable-native-access=ALL-UNNAMED"); // JNA loads a library
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"),
                LeakMain.class.getName(), mock.url, Integer.toString(CALLS), mode));
        Process p = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "the child JVM finished");
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    /** The child: warm up, measure, run the calls (half succeed, half fail in the core), measure. */
    public static final class LeakMain {
        public static void main(String[] args) throws Exception {
            int calls = Integer.parseInt(args[1]);
            String mode = args.length > 2 ? args[2] : "delete";
            try (Client client = Client.builder("demo-app-key", "demo-master-secret").baseUrl(args[0]).build()) {
                calls(mode, client, 20_000);
                long before = rss();
                int[] counts = calls(mode, client, calls);
                long after = rss();
                System.out.println("before=" + before + " after=" + after + " ok=" + counts[0] + " failed=" + counts[1]);
            }
        }

        /** The calls of one mode: {@code delete}, {@code get} or {@code alias}. */
        static int[] calls(String mode, Client client, int calls) {
            return switch (mode) {
                case "get" -> gets(client, calls);
                case "alias" -> aliases(client, calls);
                default -> run(client, calls);
            };
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

        /** Queries the seeded device {@code calls} times; every answer must be whole. */
        static int[] gets(Client client, int calls) {
            int ok = 0;
            for (int i = 0; i < calls; i++) {
                Device d = client.getDevice("leak-get");
                if (d.tags().size() != 3 || d.alias().isEmpty()) {
                    throw new IllegalStateException("got " + d);
                }
                ok++;
            }
            System.gc();
            return new int[] {ok, 0};
        }

        /**
         * Resolves the seeded user {@code calls} times: on every platform, on
         * two, or refused by the core for an unknown platform. Every answer
         * must be whole.
         */
        static int[] aliases(Client client, int calls) {
            int ok = 0;
            int failed = 0;
            for (int i = 0; i < calls; i++) {
                switch (i % 3) {
                    case 0 -> ok += expect(3, client.getAlias("leak-user"));
                    case 1 -> ok += expect(2, client.getAlias("leak-user", "android", "ios"));
                    default -> {
                        try {
                            client.getAlias("leak-user", "windows");
                        } catch (InvalidArgumentException e) {
                            failed++;
                        }
                    }
                }
            }
            System.gc();
            return new int[] {ok, failed};
        }

        private static int expect(int count, List<String> ids) {
            if (ids.size() != count) {
                throw new IllegalStateException("got " + ids);
            }
            return 1;
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
