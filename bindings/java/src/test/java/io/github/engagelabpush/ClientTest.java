package io.github.engagelabpush;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The Java surface: arguments, lifetime, the environment, what is shown. */
class ClientTest {
    private static final String SECRET = Mock.MASTER_SECRET;

    @Test
    void deletesADeviceAndReportsTheNextCallAsTheMockAnswers() {
        Mock mock = Mock.shared();
        mock.addDevice("dev-1");
        try (Client client = mock.client().build()) {
            client.deleteDevice("dev-1");
            assertFalse(mock.devices().contains("dev-1"));
            NotFoundException e = assertThrows(NotFoundException.class, () -> client.deleteDevice("dev-1"));
            assertEquals(Status.NOT_FOUND, e.status());
            assertEquals(400, e.httpStatus().getAsInt());
            assertEquals(27002, e.apiCode().getAsLong());
            assertEquals(1, e.attempts());
            assertEquals("unknown error", e.detail());
            assertEquals("EngageLab does not know this registration id or alias (HTTP 400, code 27002): unknown error; "
                    + "check it, and that it belongs to this AppKey and data center", e.getMessage());
        }
    }

    @Test
    void getsADevicesTagsAliasAndAnswerAndReportsAnUnknownIdAsNotFound() throws Exception {
        Mock mock = Mock.shared();
        mock.addDevice(Mock.JSON.readTree(
                "{\"registration_id\":\"dev-java-get\",\"tags\":[\"vip\",\"beta\"],\"alias\":\"alice\"}"));
        mock.addDevice("dev-java-plain");
        Client client = mock.client().build();
        try {
            Device device = client.getDevice("dev-java-get");
            assertEquals("dev-java-get", device.registrationId());
            assertEquals(List.of("vip", "beta"), device.tags());
            assertEquals(Optional.of("alice"), device.alias());
            assertEquals(Mock.JSON.readTree("{\"tags\":[\"vip\",\"beta\"],\"alias\":\"alice\"}"),
                    Mock.JSON.readTree(device.rawJson()));
            assertThrows(UnsupportedOperationException.class, () -> device.tags().add("x"));
            assertTrue(mock.devices().contains("dev-java-get"), "getDevice must not remove the device");

            Device plain = client.getDevice("dev-java-plain", Duration.ofSeconds(5));
            assertEquals(List.of(), plain.tags());
            assertEquals(Optional.empty(), plain.alias());

            NotFoundException e = assertThrows(NotFoundException.class, () -> client.getDevice("dev-java-nope"));
            assertEquals(Status.NOT_FOUND, e.status());
            assertEquals(400, e.httpStatus().getAsInt());
            assertEquals(27002, e.apiCode().getAsLong());
            assertEquals(1, e.attempts());
            assertFalse(e.maybeDeleted());
            assertTrue(e.getMessage().contains(e.detail()), e.getMessage());

            assertThrows(NullPointerException.class, () -> client.getDevice(null));
            assertThrows(InvalidArgumentException.class, () -> client.getDevice("a\0b"));
            // A per-call timeout of 0 is the core's to judge: TIMEOUT, nothing sent.
            TimeoutException zero = assertThrows(TimeoutException.class, () -> client.getDevice("dev", Duration.ZERO));
            assertEquals(0, zero.attempts());
            assertFalse(zero.maybeDeleted());
            Thread.currentThread().interrupt();
            try {
                assertThrows(CancelledException.class, () -> client.getDevice("dev-java-get"));
            } finally {
                Thread.interrupted();
            }
        } finally {
            client.close();
        }
        assertThrows(IllegalStateException.class, () -> client.getDevice("dev-java-get"));
    }

    @Test
    void nullArgumentsThrowNullPointerException() {
        Mock mock = Mock.shared();
        assertThrows(NullPointerException.class, () -> Client.builder(null, SECRET));
        assertThrows(NullPointerException.class, () -> Client.builder("k", null));
        Client.Builder b = mock.client();
        assertThrows(NullPointerException.class, () -> b.region((Region) null));
        assertThrows(NullPointerException.class, () -> b.region((String) null));
        assertThrows(NullPointerException.class, () -> b.baseUrl(null));
        assertThrows(NullPointerException.class, () -> b.timeout(null));
        assertThrows(NullPointerException.class, () -> b.connectTimeout(null));
        assertThrows(NullPointerException.class, () -> b.backoff(null, Duration.ZERO));
        assertThrows(NullPointerException.class, () -> b.maxRetryAfter(null));
        assertThrows(NullPointerException.class, () -> b.userAgent(null));
        assertThrows(NullPointerException.class, () -> b.proxy(null));
        assertThrows(NullPointerException.class, () -> b.caFile(null));
        try (Client client = b.build()) {
            NullPointerException e = assertThrows(NullPointerException.class, () -> client.deleteDevice(null));
            assertEquals("registrationId", e.getMessage());
            assertThrows(NullPointerException.class, () -> client.deleteDevice("x", null));
        }
        assertEquals(List.of(), mock.log(), "nothing was sent");
    }

    @Test
    void valuesTheCAbiCannotHoldThrowIllegalArgumentException() {
        Client.Builder b = Mock.shared().client();
        assertThrows(IllegalArgumentException.class, () -> b.timeout(Duration.ofMillis(-1)));
        assertThrows(IllegalArgumentException.class, () -> b.connectTimeout(Duration.ofSeconds(-1)));
        assertThrows(IllegalArgumentException.class, () -> b.maxRetries(-1));
        assertThrows(IllegalArgumentException.class, () -> b.backoff(Duration.ofMillis(-1), Duration.ZERO));
        // A refused max leaves the builder as it was, the base not half-set.
        Client.Builder fresh = Client.builder(Mock.APP_KEY, Mock.MASTER_SECRET).baseUrl(Mock.shared().url);
        assertThrows(IllegalArgumentException.class, () -> fresh.backoff(Duration.ofMillis(1), Duration.ofMillis(-1)));
        assertThrows(NullPointerException.class, () -> fresh.backoff(Duration.ofMillis(1), null));
        fresh.build().close();
        try (Client client = b.build()) {
            assertThrows(IllegalArgumentException.class, () -> client.deleteDevice("x", Duration.ofMillis(-1)));
        }
    }

    @Test
    void theCoreRejectsBadSettingsWithInvalidArgumentException() {
        Mock mock = Mock.shared();
        InvalidArgumentException e =
                assertThrows(InvalidArgumentException.class, () -> mock.client().timeout(Duration.ZERO).build());
        assertEquals(0, e.attempts());
        assertThrows(InvalidArgumentException.class, () -> mock.client().baseUrl("not a url").build());
        assertThrows(InvalidArgumentException.class, () -> mock.client().baseUrl("http://example.com").build());
        assertThrows(InvalidArgumentException.class, () -> mock.client().region("mars").build());
        assertThrows(InvalidArgumentException.class, () -> mock.client().proxy("nope://x").build());
        assertThrows(InvalidArgumentException.class, () -> mock.client().caFile(Path.of("/no/such.pem")).build());
        assertThrows(InvalidArgumentException.class, () -> mock.client().userAgent("").build());
        assertThrows(InvalidArgumentException.class, () -> Client.builder("", SECRET).baseUrl(mock.url).build());
        // A 1 ns timeout is rounded up to 1 ms, not down to the invalid 0.
        mock.client().timeout(Duration.ofNanos(1)).build().close();
    }

    @Test
    void everySettingIsAcceptedAndUsed() throws Exception {
        Mock mock = Mock.shared();
        Path pem = Files.createTempFile("ca", ".pem");
        try {
            // A real PEM is needed: take the mock's own TLS CA.
            Mock tls = Mock.start(pem, "--tls", "--ca-out", pem.toString(), "--device", "dev-tls");
            try (Client client =
                    Client.builder(Mock.APP_KEY, SECRET)
                            .region(Region.HK)
                            .baseUrl(tls.url)
                            .timeout(Duration.ofSeconds(5))
                            .connectTimeout(Duration.ofSeconds(2))
                            .maxRetries(0)
                            .backoff(Duration.ofMillis(1), Duration.ofMillis(2))
                            .maxRetryAfter(Duration.ofSeconds(1))
                            .userAgent("engagelab-push-java-test/1")
                            .caFile(pem)
                            .allowInsecureHttp(false)
                            .build()) {
                client.deleteDevice("dev-tls");
                assertEquals(List.of(), tls.devices());
                assertEquals("engagelab-push-java-test/1", header(tls.log().get(0), "user-agent"));
            } finally {
                tls.stop();
            }
        } finally {
            Files.deleteIfExists(pem);
        }
        // The proxy setting is used: the mock stands in for an HTTP proxy.
        mock.addDevice("dev-proxied");
        try (Client client = mock.client().baseUrl("http://engagelab.invalid").allowInsecureHttp(true).proxy(mock.url).build()) {
            client.deleteDevice("dev-proxied");
        }
        var log = mock.log();
        assertEquals("CONNECT engagelab.invalid:80", log.get(0).get("method").asText() + " " + log.get(0).get("path").asText());
        assertEquals("/v4/devices/dev-proxied", log.get(1).get("path").asText());
        assertEquals(List.of(), mock.devices());
    }

    static String header(com.fasterxml.jackson.databind.JsonNode request, String name) {
        for (com.fasterxml.jackson.databind.JsonNode pair : request.get("headers")) {
            if (pair.get(0).asText().equals(name)) {
                return pair.get(1).asText();
            }
        }
        return null;
    }

    @Test
    void badIdsAreRejectedBeforeSending() {
        Mock mock = Mock.shared();
        try (Client client = mock.client().build()) {
            for (String id : new String[] {"", "a\0b", "dev\uD800", "\uDC00", "dévice", "x".repeat(100_000), "a b\n"}) {
                InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> client.deleteDevice(id));
                assertEquals(0, e.attempts(), id);
                assertFalse(e.maybeDeleted());
                assertTrue(e.getMessage().startsWith("invalid argument"), e.getMessage());
            }
        }
        assertEquals(List.of(), mock.log(), "nothing was sent");
    }

    @Test
    void aNulOrLoneSurrogateIsNeverSentAsAnotherId() {
        Mock mock = Mock.shared();
        mock.addDevice("a");
        mock.addDevice("abc?");
        try (Client client = mock.client().build()) {
            assertThrows(InvalidArgumentException.class, () -> client.deleteDevice("a\0b"));
            assertThrows(InvalidArgumentException.class, () -> client.deleteDevice("abc\uD800"));
            assertThrows(InvalidArgumentException.class, () -> mock.client().userAgent("ua\0x").build());
        }
        assertEquals(List.of("a", "abc?"), mock.devices());
    }

    @Test
    void closeIsIdempotentAndLaterCallsThrowIllegalStateException() {
        Mock mock = Mock.shared();
        Client client = mock.client().build();
        assertFalse(client.isClosed());
        client.close();
        client.close();
        assertTrue(client.isClosed());
        assertTrue(client.toString().endsWith("closed]"));
        assertThrows(IllegalStateException.class, () -> client.deleteDevice("x"));
        assertEquals(List.of(), mock.log());
    }

    @Test
    void closeWhileCallsRunLetsThemFinish() throws Exception {
        Mock mock = Mock.shared();
        mock.script("slow", "[{\"status\":200,\"delay_ms\":500}]");
        Client client = mock.client().build();
        CompletableFuture<Void> call = CompletableFuture.runAsync(() -> client.deleteDevice("slow"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (mock.log().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        client.close();
        assertThrows(IllegalStateException.class, () -> client.deleteDevice("x"));
        call.get(5, TimeUnit.SECONDS); // succeeded: the native client outlived close()
    }

    @Test
    void noTextShowsTheSecret() {
        Mock mock = Mock.shared();
        Client.Builder b = Client.builder(Mock.APP_KEY, SECRET).baseUrl(mock.url).proxy("http://user:hunter2@127.0.0.1:9");
        assertFalse(b.toString().contains(SECRET));
        assertFalse(b.toString().contains("hunter2"));
        try (Client client = Client.builder(Mock.APP_KEY, "wrong-" + SECRET).baseUrl(mock.url).build()) {
            assertFalse(client.toString().contains(SECRET));
            AuthException e = assertThrows(AuthException.class, () -> client.deleteDevice("x"));
            for (String text : List.of(e.getMessage(), e.toString(), e.detail())) {
                assertFalse(text.contains(SECRET), text);
                assertFalse(text.contains("Basic "), text);
            }
        }
    }

    /**
     * The process's environment as the core reads it (libc's, which
     * {@link System#getenv} does not follow once the JVM has started).
     */
    interface LibC extends com.sun.jna.Library {
        LibC INSTANCE = com.sun.jna.Native.load("c", LibC.class);

        int setenv(String name, String value, int overwrite);

        int unsetenv(String name);
    }

    private static final List<String> ENV_NAMES =
            List.of("ENGAGELAB_APP_KEY", "ENGAGELAB_MASTER_SECRET", "ENGAGELAB_REGION", "ENGAGELAB_BASE_URL");

    /** Sets the variables in {@code env} (a null value unsets one) for the core to read. */
    private static void setEnv(Map<String, String> env) {
        for (String name : ENV_NAMES) {
            String value = env.get(name);
            assertEquals(0, value == null ? LibC.INSTANCE.unsetenv(name) : LibC.INSTANCE.setenv(name, value, 1), name);
        }
    }

    @Test
    void fromEnvReadsTheDocumentedVariables() {
        Mock mock = Mock.shared();
        mock.addDevice("dev-env");
        Map<String, String> env = new HashMap<>();
        env.put("ENGAGELAB_APP_KEY", Mock.APP_KEY);
        env.put("ENGAGELAB_MASTER_SECRET", SECRET);
        env.put("ENGAGELAB_BASE_URL", mock.url);
        try {
            setEnv(env);
            try (Client client = Client.fromEnv()) {
                client.deleteDevice("dev-env");
            }
            assertEquals(List.of(), mock.devices());

            env.remove("ENGAGELAB_BASE_URL");
            env.put("ENGAGELAB_REGION", "defra");
            setEnv(env);
            try (Client client = Client.fromEnv()) {
                // The core's description: the region shown, never the secret.
                String shown = client.toString();
                assertTrue(shown.startsWith("Client[app_key=\"" + Mock.APP_KEY + "\", region=defra, "), shown);
                assertFalse(shown.contains(SECRET), shown);
            }
            env.put("ENGAGELAB_REGION", "");
            setEnv(env);
            try (Client client = Client.fromEnv()) {
                // An empty variable, by the core's rule: its default region.
                assertTrue(client.toString().contains("region=sgp"), client.toString());
            }
            env.put("ENGAGELAB_REGION", "defra");

            env.put("ENGAGELAB_BASE_URL", mock.url);
            setEnv(env);
            assertEquals("set ENGAGELAB_REGION or ENGAGELAB_BASE_URL, not both",
                    assertThrows(InvalidArgumentException.class, Client::fromEnv).detail());
            env.put("ENGAGELAB_BASE_URL", "");
            env.put("ENGAGELAB_REGION", "mars");
            setEnv(env);
            assertTrue(assertThrows(InvalidArgumentException.class, Client::fromEnv)
                    .detail().startsWith("ENGAGELAB_REGION: "));
            env.put("ENGAGELAB_APP_KEY", "");
            setEnv(env);
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class, Client::fromEnv);
            assertEquals("ENGAGELAB_APP_KEY is not set", e.detail());
            // The core's sentence, as el_config_from_env reports it.
            assertEquals("invalid argument: ENGAGELAB_APP_KEY is not set", e.getMessage());
            env.put("ENGAGELAB_APP_KEY", "k");
            env.remove("ENGAGELAB_MASTER_SECRET");
            setEnv(env);
            assertEquals("ENGAGELAB_MASTER_SECRET is not set",
                    assertThrows(InvalidArgumentException.class, Client::fromEnv).detail());
        } finally {
            // Back to the environment the JVM started with.
            Map<String, String> original = new HashMap<>();
            for (String name : ENV_NAMES) {
                original.put(name, System.getenv(name));
            }
            setEnv(original);
        }
    }

    @Test
    void theMessageIsTheCoresSentenceForTheRecord() {
        byte[] record = Lib.ErrorRecord.local(Status.RATE_LIMITED.code(), "too many requests");
        java.nio.ByteBuffer b = Lib.ErrorRecord.buffer(record);
        b.putShort(Lib.ErrorRecord.OFF_HTTP_STATUS, (short) 429);
        b.putLong(Lib.ErrorRecord.OFF_API_CODE, 23008);
        b.putInt(Lib.ErrorRecord.OFF_ATTEMPTS, 3);
        b.putInt(Lib.ErrorRecord.OFF_RETRY_AFTER_MS, 7000);
        record[Lib.ErrorRecord.OFF_MAYBE_DELETED] = 1;
        EngageLabException e = Lib.ErrorRecord.toException(Status.RATE_LIMITED.code(), record);
        assertTrue(e instanceof RateLimitedException);
        assertEquals("too many requests", e.detail());
        assertEquals(Lib.ErrorRecord.describe(record), e.getMessage());
        assertEquals("EngageLab is rate limiting this AppKey (HTTP 429, code 23008): too many requests, "
                + "after 3 attempts, server asks to wait 7.000s; slow down and retry later; "
                + "an earlier attempt may already have deleted the device", e.getMessage());
        // A sentence longer than the first buffer (invalid UTF-8 in the message
        // grows as U+FFFD) is asked for again, whole.
        java.util.Arrays.fill(record, Lib.ErrorRecord.OFF_MESSAGE,
                Lib.ErrorRecord.OFF_MESSAGE + Lib.ErrorRecord.MESSAGE_LEN - 1, (byte) 0xff);
        String longer = Lib.ErrorRecord.describe(record);
        int bytes = longer.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        assertTrue(bytes > 512, bytes + " bytes");
        assertEquals(Lib.el_error_describe(record, null, 0), bytes);
        // A failure the binding finds itself reads the same way.
        Mock mock = Mock.shared();
        try (Client client = mock.client().build()) {
            InvalidArgumentException nul = assertThrows(InvalidArgumentException.class, () -> client.deleteDevice("a\0b"));
            assertEquals("invalid argument: registrationId contains a NUL character, which a C string cannot carry",
                    nul.getMessage());
        }
    }

    @Test
    void theLibraryComesFromTheJarsResource() {
        assertTrue(ClientTest.class.getClassLoader().getResource("linux-x86-64/libengagelab_push.so") != null);
        assertEquals("0.1.0", Client.libraryVersion());
        String path = com.sun.jna.NativeLibrary.getInstance("engagelab_push").getFile().getPath();
        assertTrue(!path.startsWith("/usr") && !path.startsWith("/lib"), path);
    }

    @Test
    void everyStatusNameMatchesTheLibrarys() {
        for (Status s : Status.values()) {
            assertEquals(s.name(), Lib.statusName(s.code()));
            assertEquals(s, Status.fromCode(s.code()));
        }
        assertEquals(null, Status.fromCode(0));
        assertEquals(null, Status.fromCode(4_000_000_000L));
    }

    @Test
    void anUnknownStatusCodeIsStillAFailure() {
        byte[] record = Lib.ErrorRecord.create();
        EngageLabException e = Lib.ErrorRecord.toException(999, record);
        assertEquals(Status.INTERNAL, e.status());
        assertTrue(e.detail().contains("unknown status code 999 (UNKNOWN)"), e.detail());
    }

    @Test
    void anUnclosedClientIsFreedByTheCleaner() throws Exception {
        Mock mock = Mock.shared();
        mock.config("{\"unknown_device\":{\"status\":200}}");
        long before = sockets();
        Client client = mock.client().build();
        client.deleteDevice("dev"); // leaves a kept-alive connection in its pool
        assertEquals(before + 1, sockets(), "the client holds one connection");
        client = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (sockets() > before && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
        }
        assertEquals(before, sockets(), "the Cleaner freed the client and closed its connection");
    }

    /** Sockets this process has open. */
    static long sockets() throws Exception {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(p -> {
                try {
                    return Files.readSymbolicLink(p).toString().startsWith("socket:");
                } catch (Exception e) {
                    return false;
                }
            }).count();
        }
    }
}
