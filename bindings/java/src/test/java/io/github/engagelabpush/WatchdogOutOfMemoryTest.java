package io.github.engagelabpush;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The interrupt watchdog outlives an OutOfMemoryError. It polls the threads
 * in calls every 10 ms and allocates as it does; with the heap full for a
 * moment, an error thrown there once ended its thread for good (the
 * "OutOfMemoryError thrown from the UncaughtExceptionHandler in thread
 * engagelab-push-interrupt-watchdog"), and from then on no interrupt of any
 * thread cancelled its call: a blocked call ran to its answer or deadline.
 *
 * <p>A child JVM with a 16 MiB heap: a thread waits in getDevice for an answer
 * the mock holds 20 s; the main thread fills the heap to OutOfMemoryError and
 * holds it 300 ms, frees it, then interrupts the waiting thread, which must
 * end well before the answer.
 */
class WatchdogOutOfMemoryTest {
    @Test
    void interruptsStillCancelAfterTheHeapRanOut() throws Exception {
        Mock mock = Mock.shared();
        mock.addDevice("oom-device");
        mock.script("oom-slow-device", Mock.JSON.readTree(
                "[{\"status\":200,\"body\":\"{\\\"registration_id\\\":\\\"oom-slow-device\\\"}\",\"delay_ms\":20000}]"));
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx16m", "-XX:-HeapDumpOnOutOfMemoryError",
                "-cp", System.getProperty("java.class.path"),
                Child.class.getName(), mock.url));
        if (Runtime.version().feature() >= 22) {
            command.add(1, "--enable-native-access=ALL-UNNAMED");
        }
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child JVM did not end");
        assertEquals(0, p.exitValue(), out);
        Matcher m = Pattern.compile("interrupted call ended after (\\d+) ms: (\\w+)").matcher(out);
        assertTrue(m.find(), out);
        assertEquals("CancelledException", m.group(2), out);
        // Honoured at once (about 20 ms); unhonoured, the call waits out the
        // mock's 20 s.
        assertTrue(Long.parseLong(m.group(1)) < 5000, "the interrupt was not honoured:\n" + out);
    }

    /** The child: a call blocked while the heap runs out, then interrupted. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            try (Client client = Client.builder(Mock.APP_KEY, Mock.MASTER_SECRET).baseUrl(args[0]).build()) {
                client.getDevice("oom-device"); // the watchdog runs from here on
                String[] outcome = new String[1];
                long[] interruptedAt = new long[1];
                long[] endedAt = new long[1];
                Thread waiting = new Thread(() -> {
                    try {
                        client.getDevice("oom-slow-device");
                        outcome[0] = "returned";
                    } catch (Throwable e) {
                        outcome[0] = e.getClass().getSimpleName();
                    }
                    endedAt[0] = System.nanoTime();
                });
                waiting.start();
                // The slow call is on the wire (the mock logged it) before the
                // heap runs out: its thread allocates nothing more until it
                // ends.
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!new String(java.net.URI.create(args[0] + "/__mock/log").toURL().openStream().readAllBytes(),
                        StandardCharsets.UTF_8).contains("oom-slow-device")) {
                    if (System.nanoTime() > until) {
                        throw new IllegalStateException("the slow call never reached the mock");
                    }
                    Thread.sleep(10);
                }
                List<Object> hog = new ArrayList<>();
                try {
                    while (true) {
                        hog.add(new long[1024]);
                    }
                } catch (OutOfMemoryError e) {
                    // the heap is full
                }
                try {
                    while (true) {
                        hog.add(new long[1]);
                    }
                } catch (OutOfMemoryError e) {
                    // to the last word
                }
                Thread.sleep(300); // the watchdog polls, and allocates, meanwhile
                hog = null;
                System.gc();
                interruptedAt[0] = System.nanoTime();
                waiting.interrupt();
                waiting.join();
                System.out.println("interrupted call ended after "
                        + TimeUnit.NANOSECONDS.toMillis(endedAt[0] - interruptedAt[0]) + " ms: " + outcome[0]);
            }
        }
    }
}
