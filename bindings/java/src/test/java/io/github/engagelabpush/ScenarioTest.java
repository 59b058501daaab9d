package io.github.engagelabpush;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The shared scenarios (tests/contract/scenarios/delete_device.json, get_device.json
 * and get_alias.json) against engagelab-mock, following the runner contract
 * of tests/contract/scenarios/README.md ({@code cargo xtask lint} validates the
 * files against schema.json): every scenario runs as its own test named after
 * it, and every {@code expect} field given is checked.
 */
class ScenarioTest {
    static final List<String> FILES = List.of("delete_device.json", "get_device.json", "get_alias.json");

    @TestFactory
    Stream<DynamicTest> scenarios() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (String name : FILES) {
            JsonNode file = load(name);
            JsonNode credentials = file.get("credentials");
            for (JsonNode scenario : file.path("scenarios")) {
                String scenarioName = scenario.path("name").asText();
                tests.add(DynamicTest.dynamicTest(scenarioName, () -> run(credentials, scenario)));
            }
        }
        return tests.stream();
    }

    /** A file of tests/contract/scenarios, as it is. */
    static JsonNode load(String name) throws IOException {
        return Mock.JSON.readTree(Mock.REPO.resolve("tests/contract/scenarios/" + name).toFile());
    }

    private static String text(JsonNode node, String key, String otherwise) {
        return node != null && node.has(key) ? node.get(key).asText() : otherwise;
    }

    static void run(JsonNode credentials, JsonNode scenario) {
        Mock mock = Mock.shared();
        for (JsonNode seed : scenario.path("devices")) {
            if (seed.isTextual()) {
                mock.addDevice(seed.asText());
            } else {
                mock.addDevice(seed);
            }
        }
        String call = text(scenario, "call", "delete_device");
        if (!List.of("delete_device", "get_device", "get_alias").contains(call)) {
            throw new AssertionError("call " + call + ": this runner does not make it");
        }
        boolean resolving = call.equals("get_alias");
        // The input: the alias for get_alias, else the registration id.
        String input = scenario.get(resolving ? "alias" : "registration_id").asText();
        if (scenario.has("script")) {
            String scriptId = text(scenario, "script_id", input);
            if (resolving) {
                mock.scriptAlias(scriptId, scenario.get("script"));
            } else {
                mock.script(scriptId, scenario.get("script"));
            }
        }
        List<String> platforms = new ArrayList<>();
        scenario.path("platforms").forEach(p -> platforms.add(p.asText()));
        JsonNode c = scenario.get("client");
        JsonNode expect = scenario.get("expect");
        String status = expect.get("status").asText();

        String masterSecret = text(c, "master_secret", credentials.get("master_secret").asText());
        Client.Builder builder =
                Client.builder(text(c, "app_key", credentials.get("app_key").asText()), masterSecret);
        builder.baseUrl(text(c, "base_url", "{mock}").replace("{mock}", mock.url));
        if (c != null && c.has("region")) {
            builder.region(c.get("region").asText());
        }
        if (c != null && c.has("timeout_ms")) {
            builder.timeout(Duration.ofMillis(c.get("timeout_ms").asLong()));
        }
        if (c != null && c.has("connect_timeout_ms")) {
            builder.connectTimeout(Duration.ofMillis(c.get("connect_timeout_ms").asLong()));
        }
        if (c != null && c.has("max_retries")) {
            builder.maxRetries(c.get("max_retries").asInt());
        }
        builder.backoff(
                Duration.ofMillis(c != null && c.has("backoff_base_ms") ? c.get("backoff_base_ms").asLong() : 1),
                Duration.ofMillis(c != null && c.has("backoff_max_ms") ? c.get("backoff_max_ms").asLong() : 20));
        if (c != null && c.has("max_retry_after_ms")) {
            builder.maxRetryAfter(Duration.ofMillis(c.get("max_retry_after_ms").asLong()));
        }
        if (c != null && c.has("allow_insecure_http")) {
            builder.allowInsecureHttp(c.get("allow_insecure_http").asBoolean());
        }

        List<String> shown = new ArrayList<>();
        shown.add(builder.toString());
        EngageLabException caught = null;
        Device device = null;
        List<String> ids = null;
        long start = System.nanoTime();
        try (Client client = builder.build()) {
            shown.add(client.toString());
            try {
                switch (call) {
                    case "get_device" -> device = client.getDevice(input);
                    case "get_alias" -> ids = client.getAlias(input, platforms.toArray(String[]::new));
                    default -> client.deleteDevice(input);
                }
            } catch (EngageLabException e) {
                caught = e;
            }
        } catch (EngageLabException e) {
            caught = e; // building the client failed: that is the result
            assertEquals(0, e.attempts(), "an error while building the client sends nothing");
        }
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        EngageLabException error = caught;

        if (status.equals("OK")) {
            assertNull(error, () -> "expected success, got " + error);
            if (call.equals("get_device")) {
                checkDevice(input, expect.path("device"), device);
            }
            if (resolving) {
                checkIds(expect.get("registration_ids"), ids);
            }
        } else {
            assertNotNull(error, "expected " + status + ", the call succeeded");
            assertEquals(status, error.status().name(), error::toString);
            assertEquals(className(status), error.getClass().getSimpleName(), "the exception's class");
            if (!call.equals("delete_device")) {
                assertFalse(error.maybeDeleted(), "a lookup deletes nothing: maybe_deleted is always false");
            }
            shown.add(error.getMessage());
            shown.add(error.toString());
            shown.add(error.detail());
        }
        List<JsonNode> log = mock.log();
        if (expect.has("http_status")) {
            JsonNode want = expect.get("http_status");
            assertEquals(want.isNull() ? "none" : want.asText(),
                    error.httpStatus().isPresent() ? Integer.toString(error.httpStatus().getAsInt()) : "none",
                    "http_status");
        }
        if (expect.has("api_code")) {
            JsonNode want = expect.get("api_code");
            assertEquals(want.isNull() ? "none" : want.asText(),
                    error.apiCode().isPresent() ? Long.toString(error.apiCode().getAsLong()) : "none",
                    "api_code");
        }
        int attempts = error != null ? error.attempts() : log.size();
        if (expect.has("attempts")) {
            assertEquals(expect.get("attempts").asInt(), attempts, "attempts");
        }
        if (expect.has("attempts_at_least")) {
            assertTrue(attempts >= expect.get("attempts_at_least").asInt(), "attempts " + attempts + " below the bound");
        }
        if (expect.has("maybe_deleted")) {
            assertEquals(expect.get("maybe_deleted").asBoolean(), error.maybeDeleted(), "maybe_deleted");
        }
        if (expect.has("retry_after_ms")) {
            JsonNode want = expect.get("retry_after_ms");
            assertEquals(want.isNull() ? "none" : want.asText(),
                    error.retryAfter().map(d -> Long.toString(d.toMillis())).orElse("none"),
                    "retry_after_ms");
        }
        for (JsonNode piece : expect.path("message_contains")) {
            assertTrue(error.getMessage().contains(piece.asText()),
                    () -> "message " + error.getMessage() + " lacks " + piece);
        }
        for (JsonNode secret : expect.path("message_excludes")) {
            for (String text : shown) {
                assertFalse(text.contains(secret.asText()), () -> "shown text holds " + secret + ": " + text);
            }
        }
        if (expect.has("requests")) {
            JsonNode want = expect.get("requests");
            assertEquals(want.size(), log.size(), () -> "requests logged: " + log);
            for (int i = 0; i < want.size(); i++) {
                checkRequest(i, want.get(i), log.get(i));
            }
        }
        if (expect.has("device_remains") || expect.has("device_gone")) {
            List<String> devices = mock.devices();
            for (JsonNode id : expect.path("device_remains")) {
                assertTrue(devices.contains(id.asText()), "device " + id + " should remain");
            }
            for (JsonNode id : expect.path("device_gone")) {
                assertFalse(devices.contains(id.asText()), "device " + id + " should be gone");
            }
        }
        if (expect.has("min_elapsed_ms")) {
            assertTrue(elapsedMs >= expect.get("min_elapsed_ms").asLong(),
                    "returned after " + elapsedMs + " ms, before " + expect.get("min_elapsed_ms"));
        }
    }

    /** The device's id is the one queried, and every field of expect.device given holds. */
    private static void checkDevice(String registrationId, JsonNode want, Device device) {
        assertNotNull(device, "getDevice returned null");
        assertEquals(registrationId, device.registrationId(), "registration id");
        assertThrows(UnsupportedOperationException.class, () -> device.tags().add("x"), "tags() is immutable");
        for (Map.Entry<String, JsonNode> field : want.properties()) {
            JsonNode value = field.getValue();
            switch (field.getKey()) {
                case "tags" -> {
                    List<String> tags = new ArrayList<>();
                    value.forEach(t -> tags.add(t.asText()));
                    assertEquals(tags, device.tags(), "tags");
                }
                case "alias" -> assertEquals(
                        value.isNull() ? Optional.empty() : Optional.of(value.asText()), device.alias(), "alias");
                case "raw" -> {
                    try {
                        assertEquals(value, Mock.JSON.readTree(device.rawJson()), "raw");
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
                case "raw_json" -> assertEquals(value.asText(), device.rawJson(), "raw_json");
                default -> fail("expect.device." + field.getKey() + ": this runner does not check it");
            }
        }
    }

    /** The ids are an unmodifiable list, exactly {@code want} in order when given. */
    private static void checkIds(JsonNode want, List<String> ids) {
        assertNotNull(ids, "getAlias returned null");
        assertThrows(UnsupportedOperationException.class, () -> ids.add("x"), "the list is unmodifiable");
        if (want != null) {
            List<String> expected = new ArrayList<>();
            want.forEach(id -> expected.add(id.asText()));
            assertEquals(expected, ids, "registration_ids");
        }
    }

    private static void checkRequest(int i, JsonNode want, JsonNode got) {
        assertEquals(want.get("method").asText(), got.get("method").asText(), "requests[" + i + "].method");
        assertEquals(want.get("path").asText(), got.get("path").asText(), "requests[" + i + "].path");
        if (want.has("headers")) {
            for (Map.Entry<String, JsonNode> header : want.get("headers").properties()) {
                String value = null;
                for (JsonNode pair : got.get("headers")) {
                    if (pair.get(0).asText().equals(header.getKey())) {
                        value = pair.get(1).asText();
                        break;
                    }
                }
                assertEquals(header.getValue().asText(), value, "requests[" + i + "].headers." + header.getKey());
            }
        }
        if (want.has("body_size")) {
            assertEquals(want.get("body_size").asLong(), got.get("body_size").asLong(), "requests[" + i + "].body_size");
        }
    }

    /** The exception class a category maps to: NOT_FOUND is NotFoundException. */
    static String className(String status) {
        StringBuilder s = new StringBuilder();
        for (String word : status.split("_")) {
            s.append(word.charAt(0)).append(word.substring(1).toLowerCase(Locale.ROOT));
        }
        return s.append("Exception").toString();
    }
}
