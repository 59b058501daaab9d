package io.github.engagelabpush;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Platform;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On musl the binding loads the jar's {@code -musl} library, and only it:
 * every call, the bulk ones included, goes to that one copy. Run in a JVM
 * that {@link Lib#onMusl()} takes for musl (a loader named
 * {@code ld-musl-*} preloaded: the JDK's own {@code libjsig.so}, made to
 * be preloaded), with the host's library as the {@code -musl} resource.
 */
class MuslLoadTest {
    @Test
    void theBulkCallsUseTheLibraryLoadedForMusl(@TempDir Path dir) throws Exception {
        Path jsig = Path.of(System.getProperty("java.home"), "lib", "libjsig.so");
        Path loader = dir.resolve("ld-musl-" + Platform.ARCH + ".so.1");
        Files.copy(jsig, loader);
        Path musl = dir.resolve("res").resolve(Platform.RESOURCE_PREFIX + "-musl").resolve("libengagelab_push.so");
        Files.createDirectories(musl.getParent());
        try (InputStream host = Lib.class.getResourceAsStream("/" + Platform.RESOURCE_PREFIX + "/libengagelab_push.so")) {
            assertNotNull(host, "the host's library is among the classes");
            Files.copy(host, musl);
        }

        Mock mock = Mock.shared();
        mock.reset();
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", dir.resolve("res") + java.io.File.pathSeparator + System.getProperty("java.class.path"),
                Child.class.getName(), mock.url));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("LD_PRELOAD", loader.toString());
        pb.environment().remove("LD_LIBRARY_PATH");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child did not end");
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("musl=true"), out);
        assertTrue(out.contains("notFound=1"), out);
        assertEquals("libraries=[" + musl.toRealPath() + "]", out.lines().filter(l -> l.startsWith("libraries=")).findFirst().orElse(out));
    }

    /** Makes a call and a bulk run, then prints the copies of the library it mapped. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            System.out.println("musl=" + Lib.onMusl());
            try (Client client = Client.builder(Mock.APP_KEY, Mock.MASTER_SECRET).baseUrl(args[0]).build()) {
                try {
                    client.getDevice("musl-load-1");
                } catch (NotFoundException expected) {
                    // the mock knows no device
                }
                System.out.println(client.deleteDevices(List.of("musl-load-1"), new BulkOptions()));
            }
            Set<String> mapped = new TreeSet<>();
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                String[] f = line.trim().split("\\s+", 6);
                if (f.length == 6 && f[5].endsWith("/libengagelab_push.so")) {
                    mapped.add(f[5]);
                }
            }
            System.out.println("libraries=" + mapped);
        }
    }
}
