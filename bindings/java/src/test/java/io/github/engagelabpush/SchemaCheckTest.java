package io.github.engagelabpush;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The schema check the scenario runner uses bites: each case changes one thing
 * in a copy of the real scenario file and expects exactly that one problem,
 * naming the scenario and the offending key's path (the same cases as
 * python/tests/test_schema_check.py and the Rust runner's), and so does the
 * check of each scenario's input for its call.
 */
class SchemaCheckTest {
    static JsonNode load(String name) throws IOException {
        return Mock.JSON.readTree(Mock.REPO.resolve("tests/contract/scenarios/" + name).toFile());
    }

    @Test
    void theRealFilePasses() throws IOException {
        assertEquals(List.of(), SchemaCheck.fileProblems(load("schema.json"), load("delete_device.json")));
    }

    private static ObjectNode first(JsonNode doc) {
        return (ObjectNode) doc.get("scenarios").get(0);
    }

    private static DynamicTest rejects(String name, Consumer<ObjectNode> change, String want) {
        return DynamicTest.dynamicTest(name, () -> {
            ObjectNode doc = (ObjectNode) load("delete_device.json");
            String firstName = first(doc).get("name").asText();
            change.accept(doc);
            List<String> problems = SchemaCheck.fileProblems(load("schema.json"), doc);
            String named = want.startsWith("$.scenarios[0]") ? "scenario \"" + firstName + "\": " + want : want;
            assertEquals(1, problems.size(), problems.toString());
            assertTrue(problems.get(0).startsWith(named), problems.get(0) + " does not start with " + named);
        });
    }

    @TestFactory
    Stream<DynamicTest> rejectsOneChange() {
        return Stream.of(
                rejects("unknown_expect_key",
                        d -> ((ObjectNode) first(d).get("expect")).put("no_such_field", 1),
                        "$.scenarios[0].expect.no_such_field: unknown key"),
                rejects("unknown_client_key",
                        d -> first(d).putObject("client").put("timeout", 5),
                        "$.scenarios[0].client.timeout: unknown key"),
                rejects("unknown_scenario_key",
                        d -> first(d).putObject("expected"),
                        "$.scenarios[0].expected: unknown key"),
                rejects("unknown_request_key",
                        d -> ((ObjectNode) first(d).get("expect").get("requests").get(0)).put("query", ""),
                        "$.scenarios[0].expect.requests[0].query: unknown key"),
                rejects("unknown_script_key",
                        d -> first(d).putArray("script").addObject().put("code", 200),
                        "$.scenarios[0].script[0].code: unknown key"),
                rejects("unknown_top_level_key",
                        d -> d.putArray("scenario"),
                        "$.scenario: unknown key"),
                rejects("wrong_type",
                        d -> ((ObjectNode) first(d).get("expect")).put("attempts", "1"),
                        "$.scenarios[0].expect.attempts: expected integer, got string"),
                rejects("bool_is_not_integer",
                        d -> ((ObjectNode) first(d).get("expect")).put("attempts", true),
                        "$.scenarios[0].expect.attempts: expected integer, got boolean"),
                rejects("missing_required_key",
                        d -> ((ObjectNode) first(d).get("expect")).remove("status"),
                        "$.scenarios[0].expect: missing required key \"status\""),
                rejects("unknown_status",
                        d -> ((ObjectNode) first(d).get("expect")).put("status", "MAYBE"),
                        "$.scenarios[0].expect.status: \"MAYBE\" is not one of"),
                rejects("below_minimum",
                        d -> ((ObjectNode) first(d).get("expect")).put("attempts", -1),
                        "$.scenarios[0].expect.attempts: -1 is less than the minimum 0"),
                rejects("duplicate_name",
                        d -> ((ArrayNode) d.get("scenarios")).add(first(d).deepCopy()),
                        "scenario \"" + "deletes_known_device" + "\": the name is used twice"));
    }

    @Test
    void theRealGetFilePasses() throws IOException {
        assertEquals(List.of(), SchemaCheck.fileProblems(load("schema.json"), load("get_device.json")));
    }

    /** A change to the first scenario of get_device.json (a device seed with tags, an expected device). */
    private static DynamicTest rejectsInGetFile(String name, Consumer<ObjectNode> change, String want) {
        return rejectsIn("get_device.json", name, change, want);
    }

    /** A change to the first scenario of {@code file}, expecting one problem that names it. */
    private static DynamicTest rejectsIn(String file, String name, Consumer<ObjectNode> change, String want) {
        return DynamicTest.dynamicTest(name, () -> {
            ObjectNode doc = (ObjectNode) load(file);
            String named = "scenario \"" + first(doc).get("name").asText() + "\": " + want;
            change.accept(doc);
            List<String> problems = SchemaCheck.fileProblems(load("schema.json"), doc);
            assertEquals(1, problems.size(), problems.toString());
            assertTrue(problems.get(0).startsWith(named), problems.get(0) + " does not start with " + named);
        });
    }

    private static ObjectNode firstSeed(ObjectNode doc) {
        return (ObjectNode) first(doc).get("devices").get(0);
    }

    private static ObjectNode expectedDevice(ObjectNode doc) {
        return (ObjectNode) first(doc).get("expect").get("device");
    }

    @TestFactory
    Stream<DynamicTest> rejectsOneChangeInGetFile() {
        return Stream.of(
                rejectsInGetFile("unknown_call",
                        d -> first(d).put("call", "get_devices"),
                        "$.scenarios[0].call: \"get_devices\" is not one of"),
                rejectsInGetFile("unknown_device_key",
                        d -> expectedDevice(d).putArray("tag"),
                        "$.scenarios[0].expect.device.tag: unknown key"),
                rejectsInGetFile("unknown_device_seed_key",
                        d -> firstSeed(d).putObject("extra"),
                        "$.scenarios[0].devices[0].extra: unknown key"),
                rejectsInGetFile("device_seed_wrong_type",
                        d -> ((ArrayNode) first(d).get("devices")).set(0, Mock.JSON.getNodeFactory().numberNode(7)),
                        "$.scenarios[0].devices[0]: expected string or object, got integer"),
                rejectsInGetFile("device_alias_wrong_type",
                        d -> expectedDevice(d).put("alias", 1),
                        "$.scenarios[0].expect.device.alias: expected string or null, got integer"),
                rejectsInGetFile("unknown_expect_key",
                        d -> ((ObjectNode) first(d).get("expect")).put("no_such_field", 1),
                        "$.scenarios[0].expect.no_such_field: unknown key"));
    }

    @Test
    void theRealAliasFilePasses() throws IOException {
        assertEquals(List.of(), SchemaCheck.fileProblems(load("schema.json"), load("get_alias.json")));
    }

    /** Changes to the first scenario of get_alias.json (device seeds with platforms, expected ids). */
    @TestFactory
    Stream<DynamicTest> rejectsOneChangeInAliasFile() {
        return Stream.of(
                rejectsIn("get_alias.json", "unknown_seed_platform",
                        d -> firstSeed(d).put("platform", "web"),
                        "$.scenarios[0].devices[0].platform: \"web\" is not one of"),
                rejectsIn("get_alias.json", "registration_ids_wrong_type",
                        d -> ((ObjectNode) first(d).get("expect")).put("registration_ids", "a"),
                        "$.scenarios[0].expect.registration_ids: expected array, got string"),
                rejectsIn("get_alias.json", "platforms_item_wrong_type",
                        d -> first(d).putArray("platforms").add(1),
                        "$.scenarios[0].platforms[0]: expected string, got integer"),
                rejectsIn("get_alias.json", "alias_scenario_with_registration_id",
                        d -> first(d).put("registration_id", "r"),
                        "input: a get_alias scenario takes no registration_id"),
                rejectsIn("get_alias.json", "alias_scenario_without_alias",
                        d -> first(d).remove("alias"),
                        "input: a get_alias scenario needs alias"),
                rejectsIn("get_device.json", "device_scenario_with_alias",
                        d -> first(d).put("alias", "a"),
                        "input: alias is for get_alias scenarios only"));
    }

    /** The input check on its own: one problem for each input that does not fit the call. */
    @TestFactory
    Stream<DynamicTest> inputCheck() {
        return Stream.of(
                inputRejected("alias_scenario_without_alias",
                        "{\"call\":\"get_alias\"}", "needs alias"),
                inputRejected("alias_scenario_with_registration_id",
                        "{\"call\":\"get_alias\",\"alias\":\"a\",\"registration_id\":\"r\"}",
                        "takes no registration_id"),
                inputRejected("device_scenario_with_platforms",
                        "{\"registration_id\":\"r\",\"platforms\":[]}", "platforms is for get_alias"),
                inputRejected("device_scenario_without_registration_id",
                        "{\"call\":\"get_device\"}", "needs registration_id"));
    }

    private static DynamicTest inputRejected(String name, String scenario, String want) {
        return DynamicTest.dynamicTest(name, () -> {
            List<String> problems = SchemaCheck.inputProblems(Mock.JSON.readTree(scenario));
            assertEquals(1, problems.size(), problems.toString());
            assertTrue(problems.get(0).contains(want), problems.get(0) + " does not name " + want);
        });
    }

    @Test
    void rejectsAnUnsupportedSchemaKeyword() throws IOException {
        ObjectNode schema = (ObjectNode) load("schema.json");
        ((ObjectNode) schema.get("$defs").get("scenario").get("properties").get("name")).put("pattern", "^[a-z_]+$");
        List<String> errors = SchemaCheck.validate(schema, load("delete_device.json"));
        assertEquals("$.scenarios[0].name: schema keyword \"pattern\" is not supported", errors.get(0));
    }

    @Test
    void everyObjectSchemaIsClosed() throws IOException {
        StringBuilder open = new StringBuilder();
        walk(load("schema.json"), "#", open);
        assertEquals("", open.toString());
    }

    private static void walk(JsonNode node, String at, StringBuilder open) {
        if (node.isObject()) {
            if ("object".equals(node.path("type").asText()) && !node.has("additionalProperties")) {
                open.append(at).append(' ');
            }
            node.properties().forEach(e -> walk(e.getValue(), at + "/" + e.getKey(), open));
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                walk(node.get(i), at + "/" + i, open);
            }
        }
    }
}
