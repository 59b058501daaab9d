package io.github.engagelabpush;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every scenario of {@code tests/contract/scenarios/bulk.json} ({@code deleteDevices}
 * with a list or a file, {@code eraseUsers}, and their callbacks);
 * {@code cargo xtask lint} checks the file against {@code bulk_schema.json}. A scenario's cancel is
 * {@code Thread.interrupt()} of the calling thread, from a callback.
 */
class BulkScenarioTest {

    @TestFactory
    Stream<DynamicTest> scenarios() throws IOException {
        JsonNode file = ScenarioTest.load("bulk.json");
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode sc : file.path("scenarios")) {
            String name = sc.path("name").asText();
            tests.add(DynamicTest.dynamicTest(name, () -> run(sc)));
        }
        return tests.stream();
    }

    private static List<String> strings(JsonNode node) {
        List<String> out = new ArrayList<>();
        node.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static List<JsonNode> lines(Path file, int from, int[] count) {
        List<JsonNode> out = new ArrayList<>();
        if (!Files.exists(file)) {
            count[0] = 0;
            return out;
        }
        try {
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            count[0] = all.size();
            for (String l : all.subList(Math.min(from, all.size()), all.size())) {
                if (!l.isBlank()) {
                    out.add(Mock.JSON.readTree(l));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private static List<String> sorted(List<String> l) {
        List<String> c = new ArrayList<>(l);
        Collections.sort(c);
        return c;
    }

    static void run(JsonNode sc) throws IOException {
        Mock mock = Mock.shared();
        for (JsonNode seed : sc.path("devices")) {
            if (seed.isTextual()) {
                mock.addDevice(seed.asText());
            } else {
                mock.addDevice(seed);
            }
        }
        for (JsonNode script : sc.path("scripts")) {
            mock.call("POST", "script", script);
        }
        Path dir = Files.createTempDirectory("el-bulk-");
        Path journal = dir.resolve("journal");
        Path backup = dir.resolve("backup.jsonl");
        Path report = dir.resolve("report.jsonl");
        int reportSeen = 0;
        int backupSeen = 0;
        try (Client client =
                Client.builder(Mock.APP_KEY, Mock.MASTER_SECRET)
                        .baseUrl(mock.url)
                        .backoff(Duration.ofMillis(1), Duration.ofMillis(20))
                        .build()) {
            int index = 0;
            for (JsonNode r : sc.path("runs")) {
                String where = "run " + ++index;
                JsonNode expect = r.path("expect");
                JsonNode settings = r.path("settings");
                BulkOptions options = new BulkOptions();
                if (settings.has("qps")) options.qps(settings.get("qps").asInt());
                if (settings.has("concurrency")) options.concurrency(settings.get("concurrency").asInt());
                if (settings.has("max_deletions")) options.maxDeletions(settings.get("max_deletions").asLong());
                options.dryRun(settings.path("dry_run").asBoolean(false));
                if (settings.path("journal").asBoolean(false)) options.journal(journal);
                if (settings.path("backup").asBoolean(false)) options.backup(backup);
                if (settings.path("report").asBoolean(false)) options.report(report);
                Thread caller = Thread.currentThread();
                long when = r.path("cancel_when_done").asLong(0);
                if (when > 0) {
                    options.onProgress(p -> {
                        if (p.done() >= when) caller.interrupt();
                    });
                }
                List<BulkPlan> plans = new ArrayList<>();
                if (r.has("confirm")) {
                    String how = r.get("confirm").asText();
                    options.confirm(plan -> {
                        plans.add(plan);
                        if (how.equals("cancel")) caller.interrupt();
                        return !how.equals("decline");
                    });
                }
                List<Map<String, Object>> resolved = new ArrayList<>();
                options.onResolved((alias, ids) -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("alias", alias);
                    m.put("registration_ids", ids);
                    resolved.add(m);
                });
                int before = mock.log().size();

                BulkSummary summary = null;
                Erasure erasure = null;
                RuntimeException failure = null;
                try {
                    switch (sc.path("call").asText()) {
                        case "erase_users" -> {
                            erasure = client.eraseUsers(strings(r.path("input")), options);
                            summary = erasure.summary();
                        }
                        case "delete_devices_from_file" -> {
                            Path input = dir.resolve("no-such-file.txt");
                            if (r.has("input")) {
                                input = dir.resolve("input.txt");
                                Files.writeString(input, String.join("\n", strings(r.get("input"))) + "\n");
                            }
                            summary = client.deleteDevices(input, options);
                        }
                        default -> summary = client.deleteDevices(strings(r.path("input")), options);
                    }
                } catch (BulkException | EngageLabException e) {
                    failure = e;
                } finally {
                    Thread.interrupted(); // the scenario's cancel, cleared for the next run
                }
                String status = "OK";
                String kind = null;
                if (failure instanceof BulkException b) {
                    status = b.getCause().status().name();
                    kind = b.kind().name();
                    summary = b.summary();
                } else if (failure instanceof EngageLabException e) {
                    status = e.status().name();
                }
                assertEquals(expect.path("status").asText(), status, where + ": " + failure);
                assertEquals(expect.has("error") ? expect.get("error").asText() : null, kind, where);
                for (JsonNode part : expect.path("message_contains")) {
                    assertTrue(failure != null && failure.getMessage().contains(part.asText()), where);
                }
                if (expect.has("plan")) {
                    assertEquals(1, plans.size(), where + ": confirm calls");
                    JsonNode want = expect.get("plan");
                    if (want.has("entries")) assertEquals(want.get("entries").asLong(), plans.get(0).entries(), where);
                    if (want.has("ids")) assertEquals(want.get("ids").asLong(), plans.get(0).ids(), where);
                    if (want.has("dry_run")) assertEquals(want.get("dry_run").asBoolean(), plans.get(0).dryRun(), where);
                }
                if (expect.has("summary")) {
                    BulkSummary s = summary;
                    Map<String, Object> got = new LinkedHashMap<>();
                    got.put("entries", s.entries());
                    got.put("ids", s.ids());
                    got.put("deleted", s.deleted());
                    got.put("not_found", s.notFound());
                    got.put("failed", s.failed());
                    got.put("invalid", s.invalid());
                    got.put("duplicate", s.duplicate());
                    got.put("already_done", s.alreadyDone());
                    got.put("would_delete", s.wouldDelete());
                    got.put("not_started", s.notStarted());
                    got.put("rate_limited", s.rateLimited());
                    got.put("interrupted", s.interrupted());
                    got.put("dry_run", s.dryRun());
                    got.put("stopped", s.stopped() != null);
                    for (Map.Entry<String, JsonNode> f : expect.get("summary").properties()) {
                        Object want = f.getValue().isBoolean() ? (Object) f.getValue().asBoolean() : (Object) f.getValue().asLong();
                        assertEquals(want, got.get(f.getKey()), where + ": summary." + f.getKey());
                    }
                }
                int[] n = new int[1];
                List<JsonNode> reportLines = lines(report, reportSeen, n);
                reportSeen = n[0];
                if (expect.has("report")) {
                    List<String> want = new ArrayList<>();
                    expect.get("report").forEach(l -> want.add(l.get("registration_id").asText() + " " + l.get("outcome").asText()));
                    List<String> got = new ArrayList<>();
                    reportLines.stream().filter(l -> l.has("outcome"))
                            .forEach(l -> got.add(l.get("registration_id").asText() + " " + l.get("outcome").asText()));
                    assertEquals(sorted(want), sorted(got), where + ": report");
                }
                List<JsonNode> backupLines = lines(backup, backupSeen, n);
                backupSeen = n[0];
                if (expect.has("backup")) {
                    List<String> got = new ArrayList<>();
                    backupLines.forEach(l -> got.add(l.get("registration_id").asText()));
                    assertEquals(sorted(strings(expect.get("backup"))), sorted(got), where + ": backup");
                }
                if (expect.has("requests")) {
                    List<String> want = new ArrayList<>();
                    expect.get("requests").forEach(q -> want.add(q.get("method").asText() + " " + q.get("path").asText()));
                    List<String> got = new ArrayList<>();
                    List<JsonNode> log = mock.log();
                    for (JsonNode q : log.subList(before, log.size())) {
                        got.add(q.get("method").asText() + " " + q.get("path").asText());
                    }
                    assertEquals(sorted(want), sorted(got), where + ": requests");
                }
                if (expect.has("resolved")) {
                    assertEquals(expect.get("resolved"), Mock.JSON.valueToTree(resolved), where + ": resolved");
                }
                if (expect.has("users")) {
                    List<Map<String, Object>> got = new ArrayList<>();
                    for (ErasedUser u : erasure.users()) {
                        Map<String, Object> m = new LinkedHashMap<>();
                        m.put("alias", u.alias());
                        m.put("registration_ids", u.registrationIds());
                        m.put("still_bound", u.stillBound());
                        got.add(m);
                    }
                    assertEquals(expect.get("users"), Mock.JSON.valueToTree(got), where + ": users");
                }
                if (expect.has("is_success")) {
                    assertEquals(expect.get("is_success").asBoolean(), erasure.isSuccess(), where);
                }
                Set<String> store = new HashSet<>(mock.devices());
                for (String id : strings(expect.path("device_remains"))) assertTrue(store.contains(id), where + ": " + id + " should remain");
                for (String id : strings(expect.path("device_gone"))) assertTrue(!store.contains(id), where + ": " + id + " should be gone");
            }
        } finally {
            try (Stream<Path> files = Files.list(dir)) {
                for (Path p : files.toList()) Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void aCallbackThatThrowsStopsTheRunAndIsRethrown() {
        Mock mock = Mock.shared();
        mock.addDevice("throw-1");
        try (Client client = Client.builder(Mock.APP_KEY, Mock.MASTER_SECRET).baseUrl(mock.url).build()) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> client.deleteDevices(
                    List.of("throw-1"), new BulkOptions().confirm(plan -> {
                        throw new IllegalStateException("no");
                    })));
            assertEquals("no", e.getMessage());
            assertEquals(0, mock.log().size());
            assertInstanceOf(List.class, mock.devices());
            assertTrue(mock.devices().contains("throw-1"));
        }
    }

    /**
     * A checked exception (Kotlin throws them undeclared) stops the run and
     * is rethrown as it is, as an unchecked one is; JNA would only log it.
     */
    @Test
    void aCallbackThatThrowsACheckedExceptionStopsTheRunAndIsRethrown() {
        Mock mock = Mock.shared();
        mock.reset();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            ids.add("checked-" + i);
            mock.addDevice("checked-" + i);
        }
        try (Client client = mock.client().build()) {
            IOException confirm = assertThrows(IOException.class, () -> client.deleteDevices(
                    ids, new BulkOptions().confirm(plan -> sneaky(new IOException("confirm")))));
            assertEquals("confirm", confirm.getMessage());
            assertEquals(List.of(), mock.log(), "a confirm that throws says no");
            IOException progress = assertThrows(IOException.class, () -> client.deleteDevices(
                    ids, new BulkOptions().qps(20).onProgress(p -> sneaky(new IOException("progress")))));
            assertEquals("progress", progress.getMessage());
            assertTrue(mock.devices().size() > 25, "the run stopped at the first progress: " + mock.devices().size());
            IOException resolved = assertThrows(IOException.class, () -> client.eraseUsers(
                    List.of("nobody"), new BulkOptions().onResolved((alias, found) -> sneaky(new IOException("resolved")))));
            assertEquals("resolved", resolved.getMessage());
        } finally {
            mock.reset();
        }
    }

    /** Throws a checked exception undeclared, as Kotlin code may. */
    @SuppressWarnings("unchecked")
    private static <T extends Throwable> boolean sneaky(Throwable t) throws T {
        throw (T) t;
    }

    /**
     * A stall timeout of any length is taken, as the core and the other
     * bindings take it, even one beyond a {@code long} of milliseconds; null
     * is Java's NullPointerException.
     */
    @Test
    void stallTimeoutTakesAnyLength() {
        Mock mock = Mock.shared();
        mock.reset();
        mock.addDevice("stall-long-1");
        try (Client client = mock.client().build()) {
            for (Duration d : List.of(Duration.ofDays(400), Duration.ofSeconds(Long.MAX_VALUE, 999_999_999))) {
                assertDoesNotThrow(() -> new BulkOptions().stallTimeout(d), d.toString());
            }
            BulkSummary s = client.deleteDevices(
                    List.of("stall-long-1"), new BulkOptions().stallTimeout(Duration.ofSeconds(Long.MAX_VALUE)));
            assertEquals(1, s.deleted(), s.toString());
            assertThrows(NullPointerException.class, () -> new BulkOptions().stallTimeout(null));
            assertThrows(IllegalArgumentException.class, () -> new BulkOptions().stallTimeout(Duration.ZERO));
        }
    }

    /** stallTimeout reaches the engine: a run held at a quota of 0 stops after it, saying why. */
    @Test
    void stallTimeoutStopsARunHeldByTheQuota() {
        Mock mock = Mock.shared();
        mock.reset();
        mock.addDevice("stall-1");
        mock.config("{\"rate_limit_qps\": 0}");
        try (Client client = Client.builder(Mock.APP_KEY, Mock.MASTER_SECRET).baseUrl(mock.url).build()) {
            assertThrows(IllegalArgumentException.class, () -> new BulkOptions().stallTimeout(Duration.ofMillis(-1)));
            BulkSummary s = client.deleteDevices(
                    List.of("stall-1"), new BulkOptions().qps(50).stallTimeout(Duration.ofMillis(300)));
            assertTrue(s.stopped() != null && s.stopped().contains("rate-limited with no device deleted"), s.toString());
            assertEquals(0, s.deleted());
            assertTrue(s.rateLimited() > 0);
        } finally {
            mock.reset();
        }
    }
}
