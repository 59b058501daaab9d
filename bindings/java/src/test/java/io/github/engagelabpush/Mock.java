package io.github.engagelabpush;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A running {@code engagelab-mock} (the binary in {@code ENGAGELAB_MOCK_BIN},
 * else {@code target/debug/engagelab-mock}) and its control API under
 * {@code /__mock/}, as tests/contract/scenarios/README.md says: started with no flags,
 * its URL read from the first line of its stdout, the control calls made
 * without any proxy. One per test JVM, shared; tests reset it.
 */
final class Mock {
    /** The mock's demo credentials (engagelab_mock::DEFAULT_APP_KEY and DEFAULT_MASTER_SECRET). */
    static final String APP_KEY = "demo-app-key";
    /** See {@link #APP_KEY}. */
    static final String MASTER_SECRET = "demo-master-secret";

    static final ObjectMapper JSON =
            new ObjectMapper().enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    static final Path REPO =
            Path.of(System.getProperty("engagelab.repo", "../..")).toAbsolutePath().normalize();

    private static Mock shared;

    final String url;
    private final Process process;
    private final HttpClient http;

    private Mock(Process process, String url, Path caPem) {
        this.process = process;
        this.url = url;
        HttpClient.Builder b =
                HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).connectTimeout(Duration.ofSeconds(10));
        if (caPem != null) {
            b.sslContext(sslContext(caPem));
        }
        this.http = b.build();
    }

    /** An SSL context trusting only the CA certificate(s) in this PEM file. */
    static javax.net.ssl.SSLContext sslContext(Path caPem) {
        try (java.io.InputStream in = Files.newInputStream(caPem)) {
            java.security.KeyStore store = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (java.security.cert.Certificate cert :
                    java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                store.setCertificateEntry("ca" + i++, cert);
            }
            javax.net.ssl.TrustManagerFactory tmf =
                    javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path binary() {
        String given = System.getenv("ENGAGELAB_MOCK_BIN");
        Path path = given != null && !given.isEmpty() ? Path.of(given) : REPO.resolve("target/debug/engagelab-mock");
        if (!Files.isExecutable(path)) {
            throw new IllegalStateException(
                    "engagelab-mock not found at " + path
                            + ": run `cargo build -p engagelab-mock` or set ENGAGELAB_MOCK_BIN");
        }
        return path;
    }

    /** Starts a mock of its own with these flags; the caller stops it. */
    static Mock start(String... flags) {
        return start(null, flags);
    }

    /** Starts a mock with these flags whose control API is reached trusting {@code caPem}. */
    static Mock start(Path caPem, String... flags) {
        List<String> command = new ArrayList<>();
        command.add(binary().toString());
        command.addAll(List.of(flags));
        ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.toLowerCase().endsWith("_proxy"));
        try {
            Process p = pb.start();
            p.getOutputStream().close();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            if (line == null || !line.startsWith("http")) {
                p.destroyForcibly();
                throw new IllegalStateException("engagelab-mock printed " + line + " instead of its URL");
            }
            return new Mock(p, line.trim(), caPem);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The JVM's shared mock, reset. */
    static synchronized Mock shared() {
        if (shared == null) {
            shared = start();
            Mock m = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(m::stop));
        }
        shared.reset();
        return shared;
    }

    void stop() {
        process.destroy();
        try {
            if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    JsonNode call(String method, String path, Object body) {
        return callJson(http, method, url + "/__mock/" + path, body);
    }

    /**
     * Sends {@code body} (when not null) as JSON and returns the parsed 2xx
     * answer (a null node when empty); any other answer throws.
     */
    static JsonNode callJson(HttpClient http, String method, String url, Object body) {
        try {
            HttpRequest.BodyPublisher publisher =
                    body == null
                            ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body));
            HttpRequest request =
                    HttpRequest.newBuilder(URI.create(url))
                            .timeout(Duration.ofSeconds(10))
                            .header("Content-Type", "application/json")
                            .method(method, publisher)
                            .build();
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() / 100 != 2) {
                throw new IllegalStateException(
                        method + " " + url + ": " + response.statusCode() + " " + response.body());
            }
            return response.body().isEmpty() ? JSON.nullNode() : JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    void reset() {
        call("POST", "reset", Map.of());
    }

    void addDevice(String registrationId) {
        call("POST", "devices", Map.of("registration_id", registrationId));
    }

    /**
     * Adds a device given as an object ({@code registration_id}, {@code tags},
     * {@code alias}, {@code platform}), posted as it is.
     */
    void addDevice(JsonNode device) {
        call("POST", "devices", device);
    }

    List<String> devices() {
        List<String> ids = new ArrayList<>();
        call("GET", "devices", null).get("registration_ids").forEach(n -> ids.add(n.asText()));
        return ids;
    }

    void script(String registrationId, JsonNode responses) {
        script("registration_id", registrationId, responses);
    }

    /** Queues answers given as JSON text, e.g. {@code [{"status":200,"delay_ms":3000}]}. */
    void script(String registrationId, String responsesJson) {
        script(registrationId, parse(responsesJson));
    }

    /** Queues answers for {@code GET /v4/aliases/{alias}}. */
    void scriptAlias(String alias, JsonNode responses) {
        script("alias", alias, responses);
    }

    /** Queues answers for an alias given as JSON text. */
    void scriptAlias(String alias, String responsesJson) {
        scriptAlias(alias, parse(responsesJson));
    }

    /** Queues answers under {@code key} ({@code registration_id} or {@code alias}). */
    private void script(String key, String value, JsonNode responses) {
        ObjectNode body = JSON.createObjectNode();
        body.put(key, value);
        body.set("responses", responses);
        call("POST", "script", body);
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    List<JsonNode> log() {
        List<JsonNode> entries = new ArrayList<>();
        call("GET", "log", null).get("requests").forEach(entries::add);
        return entries;
    }

    void config(String settingsJson) {
        call("POST", "config", parse(settingsJson));
    }

    /** A client of this mock with the demo credentials and fast backoff. */
    Client.Builder client() {
        return Client.builder(APP_KEY, MASTER_SECRET)
                .baseUrl(url)
                .backoff(Duration.ofMillis(1), Duration.ofMillis(20));
    }
}
