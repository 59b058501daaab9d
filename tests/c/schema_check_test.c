/* Proves that schema_check (the validator the C scenario runner uses) accepts
 * the real scenario file and rejects, with the offending key's path, copies of
 * it with one thing changed: an unknown key in expect, client, a scenario, a
 * request entry, a script entry or the top level, a wrong type, a missing
 * required key, an unknown status, an unknown call, an unknown key in
 * expect.device or a device seed, an unknown seed platform, registration_ids
 * that are not a list, a platforms item that is not a string, and a schema
 * keyword it does not support. Each change is made to the first scenario, so
 * every case applies to every scenario file (CTest runs it on each).
 *
 *   schema_check_test SCHEMA.json SCENARIOS.json        (needs no mock) */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema_check.h"

static char first[1024];
static int count;

static void collect(const char *path, const char *message, void *ctx) {
    (void)ctx;
    if (count++ == 0) {
        snprintf(first, sizeof first, "%s: %s", path, message);
    }
}

static cJSON *parse_file(const char *path) {
    FILE *f = fopen(path, "rb");
    static char text[1 << 20];
    size_t n;
    if (f == NULL) {
        return NULL;
    }
    n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    return cJSON_Parse(text);
}

static cJSON *scenario0(cJSON *doc) {
    return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "scenarios"), 0);
}
static cJSON *expect0(cJSON *doc) { return cJSON_GetObjectItemCaseSensitive(scenario0(doc), "expect"); }

static void unknown_expect_key(cJSON *d) { cJSON_AddNumberToObject(expect0(d), "no_such_field", 1); }
static void unknown_client_key(cJSON *d) {
    cJSON_AddNumberToObject(cJSON_AddObjectToObject(scenario0(d), "client"), "timeout", 5);
}
static void unknown_scenario_key(cJSON *d) { cJSON_AddObjectToObject(scenario0(d), "expected"); }
static void unknown_request_key(cJSON *d) {
    cJSON_AddStringToObject(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(expect0(d), "requests"), 0),
                            "query", "");
}
static void unknown_script_key(cJSON *d) {
    cJSON *answer = cJSON_CreateObject();
    cJSON_AddNumberToObject(answer, "code", 200);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(scenario0(d), "script"), answer);
}
static void unknown_top_level_key(cJSON *d) { cJSON_AddArrayToObject(d, "scenario"); }
static void wrong_type(cJSON *d) {
    cJSON_ReplaceItemInObjectCaseSensitive(expect0(d), "attempts", cJSON_CreateString("1"));
}
static void missing_required_key(cJSON *d) { cJSON_DeleteItemFromObjectCaseSensitive(expect0(d), "status"); }
static void unknown_call(cJSON *d) {
    cJSON_DeleteItemFromObjectCaseSensitive(scenario0(d), "call");
    cJSON_AddStringToObject(scenario0(d), "call", "get_devices");
}
static void unknown_device_key(cJSON *d) {
    cJSON_DeleteItemFromObjectCaseSensitive(expect0(d), "device");
    cJSON_AddArrayToObject(cJSON_AddObjectToObject(expect0(d), "device"), "tag");
}
/* Replaces the first scenario's devices with the one object `seed` (consumed). */
static void seed_only(cJSON *d, cJSON *seed) {
    cJSON_DeleteItemFromObjectCaseSensitive(scenario0(d), "devices");
    cJSON_AddItemToArray(cJSON_AddArrayToObject(scenario0(d), "devices"), seed);
}
static void unknown_device_seed_key(cJSON *d) {
    cJSON *seed = cJSON_CreateObject();
    cJSON_AddStringToObject(seed, "registration_id", "x");
    cJSON_AddObjectToObject(seed, "extra");
    seed_only(d, seed);
}
static void unknown_seed_platform(cJSON *d) {
    cJSON *seed = cJSON_CreateObject();
    cJSON_AddStringToObject(seed, "registration_id", "x");
    cJSON_AddStringToObject(seed, "platform", "web");
    seed_only(d, seed);
}
static void registration_ids_not_a_list(cJSON *d) {
    cJSON_DeleteItemFromObjectCaseSensitive(expect0(d), "registration_ids");
    cJSON_AddStringToObject(expect0(d), "registration_ids", "a");
}
static void platform_not_a_string(cJSON *d) {
    cJSON_DeleteItemFromObjectCaseSensitive(scenario0(d), "platforms");
    cJSON_AddItemToArray(cJSON_AddArrayToObject(scenario0(d), "platforms"), cJSON_CreateNumber(1));
}
static void unknown_status(cJSON *d) {
    cJSON_ReplaceItemInObjectCaseSensitive(expect0(d), "status", cJSON_CreateString("MAYBE"));
}

int main(int argc, char **argv) {
    static const struct {
        const char *name;
        void (*change)(cJSON *);
        const char *want;
    } cases[] = {
        {"rejects_unknown_expect_key", unknown_expect_key, "$.scenarios[0].expect.no_such_field: unknown key"},
        {"rejects_unknown_client_key", unknown_client_key, "$.scenarios[0].client.timeout: unknown key"},
        {"rejects_unknown_scenario_key", unknown_scenario_key, "$.scenarios[0].expected: unknown key"},
        {"rejects_unknown_request_key", unknown_request_key, "$.scenarios[0].expect.requests[0].query: unknown key"},
        {"rejects_unknown_script_key", unknown_script_key, "$.scenarios[0].script[0].code: unknown key"},
        {"rejects_unknown_top_level_key", unknown_top_level_key, "$.scenario: unknown key"},
        {"rejects_wrong_type", wrong_type, "$.scenarios[0].expect.attempts: expected integer, got string"},
        {"rejects_missing_required_key", missing_required_key, "$.scenarios[0].expect: missing required key \"status\""},
        {"rejects_unknown_call", unknown_call, "$.scenarios[0].call: \"get_devices\" is not one of"},
        {"rejects_unknown_device_key", unknown_device_key, "$.scenarios[0].expect.device.tag: unknown key"},
        {"rejects_unknown_device_seed_key", unknown_device_seed_key,
         "$.scenarios[0].devices[0].extra: unknown key"},
        {"rejects_unknown_seed_platform", unknown_seed_platform,
         "$.scenarios[0].devices[0].platform: \"web\" is not one of"},
        {"rejects_registration_ids_of_wrong_type", registration_ids_not_a_list,
         "$.scenarios[0].expect.registration_ids: expected array, got string"},
        {"rejects_platforms_of_wrong_type", platform_not_a_string,
         "$.scenarios[0].platforms[0]: expected string, got integer"},
        {"rejects_unknown_status", unknown_status, "$.scenarios[0].expect.status: \"MAYBE\" is not one of"},
    };
    cJSON *schema, *doc;
    size_t i;
    int passed = 0, failed = 0;

    if (argc != 3 || (schema = parse_file(argv[1])) == NULL) {
        fprintf(stderr, "usage: %s SCHEMA.json SCENARIOS.json (both readable JSON)\n", argv[0]);
        return 2;
    }
#define RESULT(name, ok)                                                          \
    do {                                                                          \
        if (ok) {                                                                 \
            passed++;                                                             \
            printf("ok      %s\n", name);                                        \
        } else {                                                                  \
            failed++;                                                             \
            printf("FAIL    %s: %d problems, first: %s\n", name, count, first); \
        }                                                                         \
    } while (0)

    doc = parse_file(argv[2]);
    count = 0;
    first[0] = '\0';
    RESULT("real_file_passes", doc != NULL && schema_check(schema, doc, collect, NULL) == 0 && count == 0);
    cJSON_Delete(doc);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        doc = parse_file(argv[2]);
        count = 0;
        first[0] = '\0';
        if (doc != NULL) {
            cases[i].change(doc);
            schema_check(schema, doc, collect, NULL);
        }
        RESULT(cases[i].name, count == 1 && strncmp(first, cases[i].want, strlen(cases[i].want)) == 0);
        cJSON_Delete(doc);
    }
    /* A keyword outside the subset is an error, not silently skipped. */
    cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(
                                cJSON_GetObjectItemCaseSensitive(
                                    cJSON_GetObjectItemCaseSensitive(
                                        cJSON_GetObjectItemCaseSensitive(schema, "$defs"), "scenario"),
                                    "properties"),
                                "name"),
                            "pattern", "^[a-z_]+$");
    doc = parse_file(argv[2]);
    count = 0;
    first[0] = '\0';
    schema_check(schema, doc, collect, NULL);
    RESULT("rejects_unsupported_schema_keyword",
           count > 0 && strcmp(first, "$.scenarios[0].name: schema keyword \"pattern\" is not supported") == 0);
    cJSON_Delete(doc);
    cJSON_Delete(schema);
    printf("schema_check: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
