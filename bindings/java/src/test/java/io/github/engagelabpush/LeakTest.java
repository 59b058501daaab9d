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
 * 40k calls with flat memory. The calls run in a child JVM whose heap is fixed
 * and touched up front (-Xms = -Xmx, AlwaysPreTouch), so its resident size
 * (VmRSS) moves only with native memory and code. After a warm-up, the child
 * samples, after each of {@link #SEGMENTS} segments, the bytes glibc's malloc
 * has handed out and not had back (mallinfo2), which every native object of
 * the library is made of, and VmRSS. The growth per call is the Theil-Sen
 * slope over the samples (the median of the slopes between every pair), so
 * warm-up and a one-off jump of an allocator are never taken for a leak.
 */
class LeakTest {
    static final int CALLS = 40_000;
    static final int SEGMENTS = 8;
    /** Bytes per call malloc's bytes in use may grow by. */
    static final double MALLOC_LIMIT = 16;
    /** Bytes per call VmRSS may grow by: a loose bound beside malloc's. */
    static final double RSS_LIMIT = 100;

    /**
     * Half the calls reach the mock, half are refused by the core; each takes
     * a cancel token. With el_cancel_free skipped, malloc's bytes in use grew
     * 101 B/call here; flat runs stay under 2.
     */
    @Test
    void deleteCallsKeepMemoryFlat() throws Exception {
        Mock mock = Mock.shared();
        mock.config("{\"unknown_device\":{\"status\":200}}");
        Run run = child(mock, "delete");
        assertEquals(CALLS / 2, run.ok, run.line);
        assertEquals(CALLS / 2, run.failed, run.line);
        run.assertFlat("deleteDevice");
    }

    /**
     * getDevice frees every el_device it copies: 40 000 queries of a device
     * with tags and an alias stay flat. With el_device_free skipped, malloc's
     * bytes in use grew 416 B/call here.
     */
    @Test
    void getDeviceCallsKeepMemoryFlat() throws Exception {
        Mock mock = Mock.shared();
        mock.addDevice(Mock.JSON.readTree("{\"registration_id\":\"leak-get\","
                + "\"tags\":[\"tag-one\",\"tag-two\",\"tag-three\"],\"alias\":\"an-alias-of-some-length\"}"));
        Run run = child(mock, "get");
        assertEquals(CALLS, run.ok, run.line);
        run.assertFlat("getDevice");
    }

    /**
     * getAlias frees every el_id_list it copies, and every error record: 40 000
     * lookups (a third of all platforms, a third narrowed, a third refused by
     * the core for an unknown platform) of a user with three devices stay flat.
     * A list kept would cost its three ids, their vector and the list itself:
     * with el_id_list_free skipped, malloc's bytes in use grew 135 B/call here.
     */
    @Test
    void getAliasCallsKeepMemoryFlat() throws Exception {
        Mock mock = Mock.shared();
        for (String platform : List.of("android", "ios", "hmos")) {
            mock.addDevice(Mock.JSON.readTree("{\"registration_id\":\"leak-alias-device-" + platform
                    + "\",\"alias\":\"leak-user\",\"platform\":\"" + platform + "\"}"));
        }
        Run run = child(mock, "alias");
        int failed = CALLS / SEGMENTS / 3 * SEGMENTS; // i % 3 == 2 of each segment
        assertEquals(CALLS - failed, run.ok, run.line);
        assertEquals(failed, run.failed, run.line);
        run.assertFlat("getAlias");
    }

    /**
     * The asynchronous calls free what they are given and what they make: 40 000
     * calls (a third getDeviceAsync of a device with tags and an alias, a third
     * deleteDeviceAsync refused by the core in the callback, a third
     * getAliasAsync of a user with two devices), each with its cancel token,
     * key and callback, stay flat.
     */
    @Test
    void asyncCallsKeepMemoryFlat() throws Exception {
        Mock mock = Mock.shared();
        mock.addDevice(Mock.JSON.readTree("{\"registration_id\":\"leak-get\","
                + "\"tags\":[\"tag-one\",\"tag-two\",\"tag-three\"],\"alias\":\"an-alias-of-some-length\"}"));
        for (String platform : List.of("android", "ios")) {
            mock.addDevice(Mock.JSON.readTree("{\"registration_id\":\"leak-async-device-" + platform
                    + "\",\"alias\":\"leak-async-user\",\"platform\":\"" + platform + "\"}"));
        }
        Run run = child(mock, "async");
        int failed = (CALLS / SEGMENTS + 1) / 3 * SEGMENTS; // i % 3 == 1 of each segment
        assertEquals(CALLS - failed, run.ok, run.line);
        assertEquals(failed, run.failed, run.line);
        run.assertFlat("async calls");
    }

    /**
     * An erasure a callback stops still frees its el_erasure: the core hands
     * one back even for a run a callback's exception cancelled or declined,
     * and the binding must free it before rethrowing the callback's
     * exception. 8 000 erasures whose onResolved throws stay flat.
     */
    @Test
    void erasuresACallbackStopsKeepMemoryFlat() throws Exception {
        Mock mock = Mock.shared();
        for (String platform : List.of("android", "ios")) {
            mock.addDevice(Mock.JSON.readTree("{\"registration_id\":\"leak-erase-device-" + platform
                    + "\",\"alias\":\"leak-erase-user\",\"platform\":\"" + platform + "\"}"));
        }
        int calls = ERASE_CALLS;
        Run run = child(mock, "erase-throw", calls);
        assertEquals(0, run.ok, run.line);
        assertEquals(calls, run.failed, run.line);
        // A bulk run's own allocator drift reads 8 to 13 B/call here, near
        // MALLOC_LIMIT; the leak this catches read 920 B/call.
        run.assertFlat("eraseUsers whose callback throws", calls, ERASE_MALLOC_LIMIT);
        assertTrue(mock.devices().containsAll(List.of("leak-erase-device-android", "leak-erase-device-ios")),
                "nothing was deleted");
    }

    /** Erasures in {@link #erasuresACallbackStopsKeepMemoryFlat}: each is a lookup and a run. */
    static final int ERASE_CALLS = 8_000;

    /** Bytes per erasure malloc's bytes in use may grow by: an el_erasure kept is ~900. */
    static final double ERASE_MALLOC_LIMIT = 100;

    /**
     * The child's line, "ok=N failed=N malloc=B,B,... rss=KIB,KIB,...": the
     * calls that succeeded and failed, and malloc's bytes in use and VmRSS
     * before and after each segment.
     */
    record Run(String line, int ok, int failed, long[] malloc, long[] rssKib) {
        static Run parse(String line) {
            String[] f = line.split("[ =]");
            return new Run(line, Integer.parseInt(f[1]), Integer.parseInt(f[3]), longs(f[5]), longs(f[7]));
        }

        private static long[] longs(String csv) {
            return java.util.Arrays.stream(csv.split(",")).mapToLong(Long::parseLong).toArray();
        }

        /** Fails when malloc's bytes in use or VmRSS grow steadily by their limit per call. */
        void assertFlat(String what) {
            assertFlat(what, CALLS);
        }

        /** As {@link #assertFlat(String)}, for a child that made {@code calls} calls. */
        void assertFlat(String what, int calls) {
            assertFlat(what, calls, MALLOC_LIMIT);
        }

        /** As {@link #assertFlat(String, int)}, malloc's growth bounded by {@code mallocLimit} B/call. */
        void assertFlat(String what, int calls, double mallocLimit) {
            int perSegment = calls / SEGMENTS;
            double mallocPerCall = theilSen(malloc) / perSegment;
            double rssPerCall = theilSen(rssKib) * 1024 / perSegment;
            System.out.printf("LeakTest %s: malloc in use %s: %.1f B/call; VmRSS KiB %s: %.1f B/call%n",
                    what, java.util.Arrays.toString(malloc), mallocPerCall,
                    java.util.Arrays.toString(rssKib), rssPerCall);
            assertTrue(mallocPerCall < mallocLimit, String.format(
                    "%s: malloc's bytes in use grew %.1f B/call over %d calls: %s", what, mallocPerCall, calls, line));
            assertTrue(rssPerCall < RSS_LIMIT, String.format(
                    "%s: VmRSS grew %.1f B/call over %d calls: %s", what, rssPerCall, calls, line));
        }
    }

    /** The Theil-Sen slope of ys over 0, 1, 2, ...: the median of the pairwise slopes. */
    static double theilSen(long[] ys) {
        List<Double> slopes = new java.util.ArrayList<>();
        for (int i = 0; i < ys.length; i++) {
            for (int j = i + 1; j < ys.length; j++) {
                slopes.add((double) (ys[j] - ys[i]) / (j - i));
            }
        }
        java.util.Collections.sort(slopes);
        int mid = slopes.size() / 2;
        return slopes.size() % 2 == 1 ? slopes.get(mid) : (slopes.get(mid - 1) + slopes.get(mid)) / 2;
    }

    /** Runs LeakMain in a child JVM against the mock; returns its one line. */
    private static Run child(Mock mock, String mode) throws Exception {
        return child(mock, mode, CALLS);
    }

    /** {@link #child(Mock, String)} with {@code calls} calls measured. */
    private static Run child(Mock mock, String mode, int calls) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new java.util.ArrayList<>(List.of(
                java.toString(), "-Xms64m", "-Xmx64m", "-XX:+AlwaysPreTouch", "-XX:+UseSerialGC",
                // Interpreted only: the JIT's compiler arenas come and go in
                // malloc by megabytes, which would drown a leak of bytes.
                "-Xint"));
        if (Runtime.version().feature() >= 22) {
            command.add("--enable-native-access=ALL-UNNAMED"); // JNA loads a library
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"),
                LeakMain.class.getName(), mock.url, Integer.toString(calls), mode));
        Process p = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "the child JVM finished");
        assertEquals(0, p.exitValue(), out);
        return Run.parse(out);
    }

    /** glibc's mallinfo2, for malloc's bytes in use. */
    public interface LibC extends com.sun.jna.Library {
        LibC INSTANCE = com.sun.jna.Native.load("c", LibC.class);

        MallInfo2 mallinfo2();
    }

    /** struct mallinfo2, returned by value. */
    @com.sun.jna.Structure.FieldOrder({"arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
            "uordblks", "fordblks", "keepcost"})
    public static class MallInfo2 extends com.sun.jna.Structure implements com.sun.jna.Structure.ByValue {
        public long arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
    }

    /** The child: warm up, then run the calls in segments, measuring around each. */
    public static final class LeakMain {
        public static void main(String[] args) throws Exception {
            int calls = Integer.parseInt(args[1]);
            String mode = args.length > 2 ? args[2] : "delete";
            try (Client client = Client.builder(Mock.APP_KEY, Mock.MASTER_SECRET).baseUrl(args[0]).build()) {
                calls(mode, client, calls / 4);
                StringBuilder malloc = new StringBuilder().append(mallocInUse());
                StringBuilder rss = new StringBuilder().append(rss());
                int ok = 0;
                int failed = 0;
                for (int i = 0; i < SEGMENTS; i++) {
                    int[] counts = calls(mode, client, calls / SEGMENTS);
                    ok += counts[0];
                    failed += counts[1];
                    malloc.append(',').append(mallocInUse());
                    rss.append(',').append(rss());
                }
                System.out.println("ok=" + ok + " failed=" + failed + " malloc=" + malloc + " rss=" + rss);
            }
        }

        /**
         * malloc's bytes in use (small blocks plus mmap'd ones), once the
         * collector and JNA's cleaner have given back what they will: JNA
         * frees a call's native buffers when their Java objects are
         * collected, on a thread of its own, so the count is read after
         * collections until two readings agree within 16 KiB (at most 50).
         */
        static long mallocInUse() throws InterruptedException {
            long last = Long.MAX_VALUE;
            for (int i = 0; i < 50; i++) {
                System.gc();
                Thread.sleep(10);
                MallInfo2 m = LibC.INSTANCE.mallinfo2();
                long now = m.uordblks + m.hblkhd;
                if (Math.abs(now - last) < 16 * 1024) {
                    return now;
                }
                last = now;
            }
            return last;
        }

        /** The calls of one mode: {@code delete}, {@code get} or {@code alias}. */
        static int[] calls(String mode, Client client, int calls) {
            return switch (mode) {
                case "get" -> gets(client, calls);
                case "alias" -> aliases(client, calls);
                case "async" -> asyncCalls(client, calls);
                case "erase-throw" -> stoppedErasures(client, calls);
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

        /**
         * The asynchronous calls, 4 in flight at a time (each batch awaited
         * before the next): a query, a refused delete, a lookup.
         */
        static int[] asyncCalls(Client client, int calls) {
            int ok = 0;
            int failed = 0;
            java.util.List<java.util.concurrent.CompletableFuture<?>> batch = new java.util.ArrayList<>();
            for (int start = 0; start < calls; start += 4) {
                batch.clear();
                int end = Math.min(calls, start + 4);
                for (int i = start; i < end; i++) {
                    batch.add(switch (i % 3) {
                        case 0 -> client.getDeviceAsync("leak-get");
                        case 1 -> client.deleteDeviceAsync("");
                        default -> client.getAliasAsync("leak-async-user");
                    });
                }
                for (int i = start; i < end; i++) {
                    java.util.concurrent.CompletableFuture<?> f = batch.get(i - start);
                    switch (i % 3) {
                        case 0 -> {
                            Device d = (Device) f.join();
                            if (d.tags().size() != 3 || d.alias().isEmpty()) {
                                throw new IllegalStateException("got " + d);
                            }
                            ok++;
                        }
                        case 1 -> {
                            try {
                                f.join();
                            } catch (java.util.concurrent.CompletionException e) {
                                if (!(e.getCause() instanceof InvalidArgumentException)) {
                                    throw e;
                                }
                                failed++;
                            }
                        }
                        default -> {
                            @SuppressWarnings("unchecked")
                            List<String> ids = (List<String>) f.join();
                            ok += expect(2, ids);
                        }
                    }
                }
            }
            System.gc();
            return new int[] {ok, failed};
        }

        /**
         * Erasures of the seeded user whose onResolved throws: each run is
         * stopped before anything is deleted and the exception rethrown.
         */
        static int[] stoppedErasures(Client client, int calls) {
            int failed = 0;
            IllegalStateException stop = new IllegalStateException("stop");
            BulkOptions options = new BulkOptions().onResolved((alias, ids) -> {
                throw stop;
            });
            for (int i = 0; i < calls; i++) {
                try {
                    client.eraseUsers(List.of("leak-erase-user"), options);
                    throw new IllegalStateException("the callback's exception was not rethrown");
                } catch (IllegalStateException e) {
                    if (e != stop) {
                        throw e;
                    }
                    failed++;
                }
            }
            System.gc();
            return new int[] {0, failed};
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
