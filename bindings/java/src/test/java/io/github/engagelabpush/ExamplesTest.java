package io.github.engagelabpush;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The erasure example runs as a user would run it ({@code java EraseUsers.java
 * ALIAS...}, the jar's classes and JNA on the class path) against
 * engagelab-mock, in an empty directory where it leaves its backup, report
 * and journal (0600).
 */
class ExamplesTest {
    private static final Path EXAMPLE = Mock.REPO.resolve("bindings/java/examples/EraseUsers.java");

    private static String[] run(Mock mock, Path dir, String... aliases) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), EXAMPLE.toString()));
        command.addAll(List.of(aliases));
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("ENGAGELAB_"));
        pb.environment().put("ENGAGELAB_APP_KEY", Mock.APP_KEY);
        pb.environment().put("ENGAGELAB_MASTER_SECRET", Mock.MASTER_SECRET);
        pb.environment().put("ENGAGELAB_BASE_URL", mock.url);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the example did not end");
        return new String[] {String.valueOf(p.exitValue()), out};
    }

    @Test
    void eraseUsersErasesWithABackupAReportAndAJournal(@TempDir Path dir) throws Exception {
        Mock mock = Mock.shared();
        mock.reset();
        mock.addDevice(Mock.JSON.readTree("{\"registration_id\": \"java-erase-1\", \"alias\": \"user-java\"}"));
        String[] done = run(mock, dir, "user-java", "nobody");
        assertEquals("0", done[0], done[1]);
        assertTrue(done[1].contains("user-java: no device bound"), done[1]);
        assertTrue(done[1].contains("nobody: no device bound"), done[1]);
        assertTrue(done[1].contains("deleted 1, failed 0"), done[1]);
        assertFalse(mock.devices().contains("java-erase-1"));
        for (String name : List.of("erased.backup.jsonl", "erasure.report.jsonl", "erasure.journal")) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(name))), name);
        }
        assertEquals("2", run(mock, dir)[0]);
    }

    /**
     * A run the engine refuses is a BulkException, not an EngageLabException:
     * the example says why and exits 1 instead of dying with a stack trace.
     */
    @Test
    void eraseUsersReportsARefusedRun(@TempDir Path dir) throws Exception {
        Mock mock = Mock.shared();
        mock.reset();
        String[] refused = run(mock, dir, "a/b");
        assertEquals("1", refused[0], refused[1]);
        // JDK 24+ may print its native-access warning first.
        assertTrue(refused[1].lines().anyMatch(l -> l.startsWith("nothing erased (INVALID_ARGUMENT): ")), refused[1]);
        assertFalse(refused[1].contains("Exception in thread"), refused[1]);
        assertTrue(mock.log().isEmpty(), "a refused run sent nothing");
    }
}
