package io.github.engagelabpush;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The fault matrix of tests/contract/faults/matrix.json (format and checks in
 * tests/contract/faults/README.md): each case is a dynamic test, named after it, that
 * deletes a device through one toxiproxy proxy in front of the shared mock,
 * with the case's toxic (if any) on it, or with that proxy as the client's
 * CONNECT proxy. It needs a running toxiproxy server at
 * {@code TOXIPROXY_URL}, which {@code cargo xtask binding java test} starts;
 * without it the matrix is skipped, saying why.
 */
class FaultsTest {
    /**
     * Reads the matrix into the records below; {@code cargo xtask lint} checks it
     * against tests/contract/faults/schema.json.
     */
    private static final ObjectMapper JSON = Mock.JSON.copy()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

    record Matrix(String about, Settings client, long deadlineSlackMs, List<JsonNode> cases) {}

    record Settings(long timeoutMs, long connectTimeoutMs, int maxRetries, long backoffBaseMs, long backoffMaxMs) {}

    record Case(String name, String about, ObjectNode toxic, String throughProxy, ObjectNode mockConfig, Expect expect) {}

    record Expect(String status, Boolean maybeDeleted, Long minElapsedMs) {}

    private static final String DEVICE = "fault-device";
    /** The API host of a case run through a proxy: never resolved, the proxy is asked for it. */
    private static final String PROXIED_HOST = "push.example.invalid";
    private static final String PROXY = "engagelab-java-" + ProcessHandle.current().pid();
    private static final HttpClient HTTP =
            HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).connectTimeout(Duration.ofSeconds(10)).build();
    private static String toxiproxy;
    private static Mock mock;
    /** The proxy's address, once it exists. */
    private static String proxyUrl;

    private static JsonNode toxiproxy(String method, String path, Object body) {
        return Mock.callJson(HTTP, method, toxiproxy + path, body);
    }

    @TestFactory
    Stream<DynamicTest> faults() throws IOException {
        String api = System.getenv("TOXIPROXY_URL");
        if (api == null || api.isEmpty()) {
            String note = "TOXIPROXY_URL is not set: the fault matrix needs a running toxiproxy server"
                    + " (`cargo xtask binding java test` starts one)";
            System.err.println("FaultsTest skipped: " + note);
            return Stream.of(DynamicTest.dynamicTest("fault matrix", () -> Assumptions.abort(note)));
        }
        toxiproxy = api.replaceAll("/+$", "");
        Matrix matrix = JSON.readValue(Mock.REPO.resolve("tests/contract/faults/matrix.json").toFile(), Matrix.class);
        // One proxy in front of the mock for the whole matrix; the cases share
        // it and run one after the other.
        mock = Mock.shared();
        String upstream = mock.url.replaceFirst("^http://", "");
        JsonNode proxy = toxiproxy("POST", "/proxies", Map.of("name", PROXY, "listen", "127.0.0.1:0", "upstream", upstream));
        proxyUrl = "http://" + proxy.get("listen").asText();
        return matrix.cases().stream().map(node -> DynamicTest.dynamicTest(node.path("name").asText(), () -> {
            Case c = JSON.treeToValue(node, Case.class);
            try (Client client = setUp(matrix, c)) {
                run(matrix, c, client);
            }
        }));
    }

    @AfterAll
    static void removeProxy() {
        if (proxyUrl != null) {
            toxiproxy("DELETE", "/proxies/" + PROXY, null);
        }
    }

    /**
     * Prepares one case: the mock reset, seeded and given the case's
     * mock_config, toxiproxy reset with the case's toxic (if any) on the proxy;
     * returns the client that makes the call, through that proxy as its
     * CONNECT proxy when the case says through_proxy. A new kind of case is
     * set up here.
     */
    private static Client setUp(Matrix matrix, Case c) {
        String through = c.throughProxy();
        mock.reset();
        mock.addDevice(DEVICE);
        toxiproxy("POST", "/reset", null);
        if (c.mockConfig() != null) {
            mock.config(c.mockConfig().toString());
        }
        if (c.toxic() != null) {
            ObjectNode toxic = c.toxic().deepCopy().put("name", "fault").put("toxicity", 1.0);
            toxiproxy("POST", "/proxies/" + PROXY + "/toxics", toxic);
        }
        Settings s = matrix.client();
        Client.Builder builder = Client.builder(Mock.APP_KEY, Mock.MASTER_SECRET);
        // Through a proxy, toxiproxy stands before the mock as a CONNECT proxy.
        if (through == null) {
            builder.baseUrl(proxyUrl);
        } else {
            builder.baseUrl(through + "://" + PROXIED_HOST).allowInsecureHttp(true).proxy(proxyUrl);
        }
        return builder.timeout(Duration.ofMillis(s.timeoutMs()))
                .connectTimeout(Duration.ofMillis(s.connectTimeoutMs()))
                .maxRetries(s.maxRetries())
                .backoff(Duration.ofMillis(s.backoffBaseMs()), Duration.ofMillis(s.backoffMaxMs()))
                .build();
    }

    /** Makes the call and checks what tests/contract/faults/README.md lists for every case. */
    private static void run(Matrix matrix, Case c, Client client) throws InterruptedException {
        EngageLabException error = null;
        long started = System.nanoTime();
        try {
            client.deleteDevice(DEVICE);
        } catch (EngageLabException e) {
            error = e;
        }
        long tookMs = (System.nanoTime() - started) / 1_000_000;
        // Let the proxy pass on what it still holds before reading the log.
        toxiproxy("POST", "/reset", null);
        Thread.sleep(50);
        int seen = mock.log().size();

        Expect expect = c.expect();
        Settings s = matrix.client();
        List<String> wrong = new ArrayList<>();
        String status = error == null ? "OK" : error.status().name();
        boolean maybeDeleted = error != null && error.maybeDeleted();
        if (!status.equals(expect.status())) {
            wrong.add("status " + status + ", want " + expect.status() + (error == null ? "" : ": " + error));
        }
        if (expect.maybeDeleted() != null && expect.maybeDeleted() != maybeDeleted) {
            wrong.add("maybe_deleted " + maybeDeleted + ", want " + expect.maybeDeleted());
        }
        long limit = s.timeoutMs() + matrix.deadlineSlackMs();
        if (tookMs > limit) {
            wrong.add("took " + tookMs + " ms, past the deadline plus slack (" + limit + " ms)");
        }
        if (expect.minElapsedMs() != null && tookMs < expect.minElapsedMs()) {
            wrong.add("took " + tookMs + " ms, less than " + expect.minElapsedMs() + " ms");
        }
        if (seen > 1 + s.maxRetries()) {
            wrong.add("the server saw " + seen + " requests, more than 1 + " + s.maxRetries());
        }
        assertEquals(List.of(), wrong, c.name());
    }
}
