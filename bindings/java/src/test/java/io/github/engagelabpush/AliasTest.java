package io.github.engagelabpush;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** getAlias against the mock: ids, platforms, bad input refused before sending, Java's own checks. */
class AliasTest {
    /** A mock holding user-java's devices on each platform and another user's. */
    private static Mock seeded() throws IOException {
        Mock mock = Mock.shared();
        for (String seed : List.of(
                "{\"registration_id\":\"java-a\",\"alias\":\"user-java\",\"platform\":\"android\"}",
                "{\"registration_id\":\"java-b\",\"alias\":\"user-java\",\"platform\":\"ios\"}",
                "{\"registration_id\":\"java-c\",\"alias\":\"user-java\",\"platform\":\"hmos\"}",
                "{\"registration_id\":\"java-z\",\"alias\":\"someone-else\",\"platform\":\"android\"}")) {
            mock.addDevice(Mock.JSON.readTree(seed));
        }
        return mock;
    }

    private static List<String> paths(Mock mock) {
        return mock.log().stream().map(r -> r.get("method").asText() + " " + r.get("path").asText()).toList();
    }

    @Test
    void resolvesAnAliasToTheIdsOfItsDevices() throws IOException {
        Mock mock = seeded();
        try (Client client = mock.client().build()) {
            List<String> ids = client.getAlias("user-java");
            assertEquals(List.of("java-a", "java-b", "java-c"), ids);
            assertThrows(UnsupportedOperationException.class, () -> ids.add("x"));
            assertThrows(UnsupportedOperationException.class, () -> ids.remove(0));
            assertEquals(List.of("java-a", "java-b", "java-c"), client.getAlias("user-java", Duration.ofSeconds(5)));
        }
        assertEquals(List.of("GET /v4/aliases/user-java", "GET /v4/aliases/user-java"), paths(mock));
        assertEquals(List.of("java-a", "java-b", "java-c", "java-z"), mock.devices().stream().sorted().toList(),
                "resolving deletes nothing");
    }

    @Test
    void platformsNarrowTheLookupAndAreSentCommaSeparatedOnce() throws IOException {
        Mock mock = seeded();
        try (Client client = mock.client().build()) {
            assertEquals(List.of("java-a"), client.getAlias("user-java", "android"));
            assertEquals(List.of("java-a", "java-b"), client.getAlias("user-java", "ios", "android"));
            assertEquals(List.of("java-c"), client.getAlias("user-java", Duration.ofSeconds(5), "hmos", "hmos"));
            assertEquals(List.of("java-a", "java-b", "java-c"), client.getAlias("user-java", new String[0]));
            assertEquals(List.of(), client.getAlias("someone-else", "ios"));
        }
        assertEquals(List.of(
                "GET /v4/aliases/user-java?platform=android",
                "GET /v4/aliases/user-java?platform=ios,android",
                "GET /v4/aliases/user-java?platform=hmos",
                "GET /v4/aliases/user-java",
                "GET /v4/aliases/someone-else?platform=ios"), paths(mock));
    }

    @Test
    void anAliasNoDeviceHasIsAnEmptyList() {
        Mock mock = Mock.shared();
        mock.addDevice("dev-without-alias");
        try (Client client = mock.client().build()) {
            List<String> ids = client.getAlias("nobody-here");
            assertEquals(List.of(), ids);
            assertThrows(UnsupportedOperationException.class, () -> ids.add("x"));
        }
        assertEquals(List.of("GET /v4/aliases/nobody-here"), paths(mock));
    }

    @Test
    void badAliasesAreRejectedBeforeSending() {
        Mock mock = Mock.shared();
        // The core's words for the first four; a NUL and a lone surrogate are
        // refused by the binding, which a C string cannot carry unchanged.
        List<List<String>> cases = List.of(
                List.of("", "alias is empty"),
                List.of("a".repeat(41), "41 bytes"),
                List.of("user/../devices", "'/'"),
                List.of("user\u000142", "control character U+0001"),
                List.of("user 42", "whitespace U+0020"),
                List.of("..", "\"..\""),
                List.of("用".repeat(14), "42 bytes"),
                List.of("user\0b", "alias contains a NUL character"),
                List.of("user\uD800", "alias is not valid Unicode"));
        try (Client client = mock.client().build()) {
            for (List<String> c : cases) {
                String alias = c.get(0);
                InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> client.getAlias(alias));
                assertEquals(Status.INVALID_ARGUMENT, e.status());
                assertEquals(0, e.attempts(), alias);
                assertFalse(e.maybeDeleted());
                assertTrue(e.getMessage().startsWith("invalid argument: "), e.getMessage());
                assertTrue(e.getMessage().contains(c.get(1)), e.getMessage() + " lacks " + c.get(1));
            }
        }
        assertEquals(List.of(), mock.log(), "nothing was sent");
    }

    @Test
    void badPlatformsAreRejectedBeforeSending() throws IOException {
        Mock mock = seeded();
        // Each name reaches the core as it is, and the core names the bad
        // one; only a NUL, which a C string cannot carry, is the binding's.
        List<List<String>> cases = List.of(
                List.of("windows", "platform \"windows\" is not one of android, ios, hmos"),
                List.of("Android", "platform \"Android\""),
                List.of("ios", "", "platform \"\""),
                List.of("ios", " android", "platform \" android\""),
                List.of("android,ios", "platform \"android,ios\""),
                List.of("ios", "hmos,", "platform \"hmos,\""),
                List.of("", "platform \"\""),
                List.of("ios", "ios\0", "platforms[1] contains a NUL character"));
        try (Client client = mock.client().build()) {
            for (List<String> c : cases) {
                String[] platforms = c.subList(0, c.size() - 1).toArray(String[]::new);
                String want = c.get(c.size() - 1);
                InvalidArgumentException e =
                        assertThrows(InvalidArgumentException.class, () -> client.getAlias("user-java", platforms));
                assertEquals(0, e.attempts(), want);
                assertFalse(e.maybeDeleted());
                assertTrue(e.getMessage().contains(want), e.getMessage() + " lacks " + want);
            }
        }
        assertEquals(List.of(), mock.log(), "nothing was sent");
    }

    @Test
    void nullsAndBadDeadlinesThrowJavasExceptions() {
        Mock mock = Mock.shared();
        Client client = mock.client().build();
        try {
            assertEquals("alias", assertThrows(NullPointerException.class, () -> client.getAlias(null)).getMessage());
            assertEquals("platforms",
                    assertThrows(NullPointerException.class, () -> client.getAlias("u", (String[]) null)).getMessage());
            assertEquals("platforms[1]",
                    assertThrows(NullPointerException.class, () -> client.getAlias("u", "ios", null)).getMessage());
            assertThrows(NullPointerException.class, () -> client.getAlias("u", (Duration) null));
            assertThrows(NullPointerException.class, () -> client.getAlias(null, Duration.ofSeconds(1), "ios"));
            // A null alias is Java's NullPointerException whatever the platforms hold.
            assertEquals("alias", assertThrows(NullPointerException.class, () -> client.getAlias(null, "a\0")).getMessage());
            assertThrows(NullPointerException.class, () -> client.getAlias(null, Duration.ofSeconds(1), "\ud800"));
            // 0 is the core's to judge: TIMEOUT with no attempt, nothing sent.
            assertEquals(0, assertThrows(TimeoutException.class, () -> client.getAlias("u", Duration.ZERO)).attempts());
            assertThrows(IllegalArgumentException.class, () -> client.getAlias("u", Duration.ofMillis(-1), "ios"));
        } finally {
            client.close();
        }
        assertThrows(IllegalStateException.class, () -> client.getAlias("u"));
        assertEquals(List.of(), mock.log(), "nothing was sent");
    }

    @Test
    void answersThatAreNotIdListsAreInvalidResponses() {
        Mock mock = Mock.shared();
        mock.scriptAlias("user-bad", "[{\"status\":200,\"body\":\"{\\\"registration_ids\\\":[\\\"a\\\",7]}\"},"
                + "{\"status\":200,\"body\":\"{\\\"registration_ids\\\":null}\"}]");
        try (Client client = mock.client().build()) {
            for (String want : List.of("registration_ids[1]", "null")) {
                InvalidResponseException e =
                        assertThrows(InvalidResponseException.class, () -> client.getAlias("user-bad"));
                assertEquals(200, e.httpStatus().getAsInt());
                assertEquals(1, e.attempts());
                assertFalse(e.maybeDeleted());
                assertTrue(e.getMessage().contains(want), e.getMessage());
            }
        }
    }

    /** What the README shows: resolve the user's devices, back up and delete each, resolve again. */
    @Test
    void erasesAUserByDeletingEachDeviceOfTheAlias() throws IOException {
        Mock mock = seeded();
        try (Client client = mock.client().build()) {
            Map<String, String> backup = new LinkedHashMap<>();
            for (String id : client.getAlias("user-java")) {
                backup.put(id, client.getDevice(id).rawJson());
                client.deleteDevice(id);
            }
            assertEquals(List.of("java-a", "java-b", "java-c"), List.copyOf(backup.keySet()));
            assertEquals("user-java", Mock.JSON.readTree(backup.get("java-b")).get("alias").asText());
            assertEquals(List.of(), client.getAlias("user-java"));
        }
        assertEquals(List.of("java-z"), mock.devices(), "only the other user's device is left");
    }
}
