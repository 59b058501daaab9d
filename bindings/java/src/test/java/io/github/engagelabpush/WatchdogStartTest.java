package io.github.engagelabpush;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A call whose interrupt watchdog could not be started (its thread refused:
 * "unable to create native thread", a SecurityException) must leave nothing
 * registered: its cancel token is freed as the call fails, and a watchdog
 * started later must never cancel it. It once stayed registered, and the
 * next interrupt of the same thread made the watchdog call
 * {@code el_cancel_cancel} on the freed token: SIGSEGV, the JVM gone.
 *
 * <p>A child JVM refuses the first thread with a SecurityManager, which only
 * JDK 17 to 23 can install (24 removed it): the test is skipped on newer ones.
 */
class WatchdogStartTest {
    @Test
    void aWatchdogThatCouldNotStartLeavesNoTokenBehind() throws Exception {
        Assumptions.assumeTrue(Runtime.version().feature() < 24, "needs a SecurityManager (JDK 23 or older)");
        Mock mock = Mock.shared();
        mock.addDevice("watchdog-device");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.security.manager=allow",
                // A crash's report goes to a temp folder, not the working tree.
                "-XX:ErrorFile=" + java.nio.file.Files.createTempDirectory("watchdog-start") + "/hs_err_pid%p.log",
                "-cp", System.getProperty("java.class.path"),
                Child.class.getName(), mock.url));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child JVM did not end");
        assertEquals(0, p.exitValue(), "the child JVM crashed or failed:\n" + out);
        assertTrue(out.contains("registered after the refused start: 0"), out);
        assertTrue(out.contains("interrupted call: CancelledException"), out);
    }

    /** The child: the first call's watchdog refused, then calls and an interrupt. */
    public static final class Child {
        @SuppressWarnings("removal")
        public static void main(String[] args) throws Exception {
            try (Client client = Client.builder(Mock.APP_KEY, Mock.MASTER_SECRET).baseUrl(args[0]).build()) {
                System.setSecurityManager(new SecurityManager() {
                    @Override
                    public void checkPermission(java.security.Permission perm) {}

                    @Override
                    public void checkAccess(ThreadGroup g) {
                        throw new SecurityException("no new threads");
                    }
                });
                try {
                    client.getDevice("watchdog-device");
                    throw new IllegalStateException("the watchdog started despite the SecurityManager");
                } catch (SecurityException expected) {
                    // The watchdog's thread was refused: so was the call.
                } finally {
                    System.setSecurityManager(null);
                }
                var field = Watchdog.class.getDeclaredField("CALLS");
                field.setAccessible(true);
                System.out.println("registered after the refused start: " + ((Set<?>) field.get(null)).size());
                // The watchdog starts now; the interrupt makes it look at
                // every registered call of this thread.
                client.getDevice("watchdog-device");
                Thread.currentThread().interrupt();
                try {
                    client.getDevice("watchdog-device");
                    System.out.println("interrupted call: returned");
                } catch (CancelledException e) {
                    System.out.println("interrupted call: CancelledException");
                }
                // Give the watchdog several looks while the flag stays set.
                long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
                while (System.nanoTime() < end) {
                    Thread.onSpinWait();
                }
                Thread.interrupted();
                client.getDevice("watchdog-device");
                System.out.println("alive");
            }
        }
    }
}
