package io.github.engagelabpush;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A validator for the subset of JSON Schema that tests/contract/scenarios/schema.json
 * uses: {@code type}, {@code properties}, {@code required},
 * {@code additionalProperties} (false or a schema), {@code items},
 * {@code enum}, {@code $ref} to {@code #/$defs/...} and {@code minimum}. Any
 * other keyword in the schema is reported, so a rule this validator would skip
 * cannot be added silently. The same rules and messages as the Rust
 * (crates/engagelab-push/tests/common/schema.rs), C (tests/c/schema_check.c) and
 * Python (python/tests/schema_check.py) runners, and beside the schema the
 * same check of each scenario's input for its call.
 */
final class SchemaCheck {
    private SchemaCheck() {}

    private static final Set<String> KEYWORDS =
            Set.of("type", "properties", "required", "additionalProperties", "items", "enum", "$ref", "minimum");
    private static final Set<String> ANNOTATIONS =
            Set.of("$schema", "$id", "$comment", "title", "description", "$defs");
    private static final Pattern SCENARIO = Pattern.compile("^\\$\\.scenarios\\[(\\d+)\\]");

    /** Every violation of {@code schema} by {@code instance}, as "$.path.to.key: what". */
    static List<String> validate(JsonNode schema, JsonNode instance) {
        List<String> errors = new ArrayList<>();
        check(schema, schema, instance, "$", errors);
        return errors;
    }

    /**
     * The violations of a scenario file, each naming its scenario, duplicate
     * names, and inputs that do not fit the call ({@link #inputProblems}).
     */
    static List<String> fileProblems(JsonNode schema, JsonNode doc) {
        JsonNode scenarios = doc.isObject() && doc.get("scenarios") != null && doc.get("scenarios").isArray()
                ? doc.get("scenarios")
                : Mock.JSON.createArrayNode();
        List<String> problems = new ArrayList<>();
        for (String error : validate(schema, doc)) {
            Matcher m = SCENARIO.matcher(error);
            if (m.find()) {
                error = "scenario \"" + nameOf(scenarios.get(Integer.parseInt(m.group(1)))) + "\": " + error;
            }
            problems.add(error);
        }
        Set<String> seen = new HashSet<>();
        for (JsonNode scenario : scenarios) {
            String name = nameOf(scenario);
            if (scenario.path("name").isTextual() && !seen.add(name)) {
                problems.add("scenario \"" + name + "\": the name is used twice");
            }
            for (String problem : inputProblems(scenario)) {
                problems.add("scenario \"" + name + "\": " + problem);
            }
        }
        return problems;
    }

    /** A scenario's name, or "?" when it has none. */
    private static String nameOf(JsonNode scenario) {
        JsonNode name = scenario != null && scenario.isObject() ? scenario.get("name") : null;
        return name != null && name.isTextual() ? name.asText() : "?";
    }

    /**
     * What is wrong with a scenario's input for its call, which the schema
     * cannot say: {@code get_alias} needs {@code alias} and takes no
     * {@code registration_id}; the device calls need {@code registration_id}
     * and take no {@code alias} or {@code platforms}.
     */
    static List<String> inputProblems(JsonNode scenario) {
        List<String> problems = new ArrayList<>();
        if (!scenario.isObject()) {
            return problems;
        }
        JsonNode call = scenario.get("call");
        if (call != null && call.isTextual() && call.asText().equals("get_alias")) {
            if (!scenario.has("alias")) {
                problems.add("input: a get_alias scenario needs alias");
            }
            if (scenario.has("registration_id")) {
                problems.add("input: a get_alias scenario takes no registration_id");
            }
        } else {
            if (!scenario.has("registration_id")) {
                problems.add("input: a device scenario needs registration_id");
            }
            for (String key : List.of("alias", "platforms")) {
                if (scenario.has(key)) {
                    problems.add("input: " + key + " is for get_alias scenarios only");
                }
            }
        }
        return problems;
    }

    static String typeName(JsonNode v) {
        if (v == null || v.isNull()) {
            return "null";
        }
        if (v.isBoolean()) {
            return "boolean";
        }
        if (v.isIntegralNumber()) {
            return "integer";
        }
        if (v.isNumber()) {
            double d = v.doubleValue();
            return d == Math.rint(d) && !Double.isInfinite(d) ? "integer" : "number";
        }
        if (v.isTextual()) {
            return "string";
        }
        if (v.isArray()) {
            return "array";
        }
        return v.isObject() ? "object" : v.getNodeType().toString();
    }

    private static String json(JsonNode v) {
        return v.toString();
    }

    private static void check(JsonNode root, JsonNode schema, JsonNode v, String path, List<String> errors) {
        if (schema == null || !schema.isObject()) {
            errors.add(path + ": the schema here is not an object");
            return;
        }
        for (Iterator<String> it = schema.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!KEYWORDS.contains(key) && !ANNOTATIONS.contains(key)) {
                errors.add(path + ": schema keyword \"" + key + "\" is not supported");
            }
        }
        if (schema.has("$ref")) {
            JsonNode ref = schema.get("$ref");
            String name = ref.isTextual() && ref.asText().startsWith("#/$defs/")
                    ? ref.asText().substring("#/$defs/".length())
                    : null;
            JsonNode defs = root.get("$defs");
            if (name != null && defs != null && defs.has(name)) {
                check(root, defs.get(name), v, path, errors);
            } else {
                errors.add(path + ": cannot resolve $ref " + ref.asText());
            }
        }
        if (schema.has("type")) {
            JsonNode t = schema.get("type");
            List<String> types = new ArrayList<>();
            if (t.isArray()) {
                t.forEach(n -> types.add(n.asText()));
            } else {
                types.add(t.asText());
            }
            String got = typeName(v);
            boolean ok = types.stream().anyMatch(x -> x.equals(got) || (x.equals("number") && got.equals("integer")));
            if (!ok) {
                errors.add(path + ": expected " + String.join(" or ", types) + ", got " + got);
                return;
            }
        }
        if (schema.has("enum")) {
            boolean found = false;
            for (JsonNode a : schema.get("enum")) {
                if (typeName(a).equals(typeName(v)) && a.equals(v)) {
                    found = true;
                }
            }
            if (!found) {
                errors.add(path + ": " + json(v) + " is not one of " + json(schema.get("enum")));
            }
        }
        JsonNode minimum = schema.get("minimum");
        if (minimum != null && !minimum.isNull() && v != null && v.isNumber() && v.doubleValue() < minimum.doubleValue()) {
            errors.add(path + ": " + json(v) + " is less than the minimum " + formatG(minimum.doubleValue()));
        }
        if (schema.has("items") && v != null && v.isArray()) {
            for (int i = 0; i < v.size(); i++) {
                check(root, schema.get("items"), v.get(i), path + "[" + i + "]", errors);
            }
        }
        if (v == null || !v.isObject()) {
            return;
        }
        if (schema.has("required")) {
            for (JsonNode name : schema.get("required")) {
                if (!v.has(name.asText())) {
                    errors.add(path + ": missing required key \"" + name.asText() + "\"");
                }
            }
        }
        JsonNode properties = schema.has("properties") ? schema.get("properties") : Mock.JSON.createObjectNode();
        JsonNode extra = schema.get("additionalProperties");
        for (Iterator<Map.Entry<String, JsonNode>> it = v.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String child = path + "." + field.getKey();
            if (properties.has(field.getKey())) {
                check(root, properties.get(field.getKey()), field.getValue(), child, errors);
            } else if (extra != null && extra.isBoolean() && !extra.booleanValue()) {
                errors.add(child + ": unknown key");
            } else if (extra != null && extra.isObject()) {
                check(root, extra, field.getValue(), child, errors);
            }
        }
    }

    /** A number as Python's {@code :g} prints it (the minimums are small integers). */
    private static String formatG(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
