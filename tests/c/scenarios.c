/* Runs every scenario of a scenario file (tests/contract/scenarios/delete_device.json,
 * tests/contract/scenarios/get_device.json, tests/contract/scenarios/get_alias.json) through the
 * C API against engagelab-mock (see tests/contract/scenarios/README.md for the format):
 * el_delete_device, or el_get_device or el_get_alias when the scenario's
 * "call" says so.
 *
 *   scenarios FILE [NAME...]    ENGAGELAB_MOCK_URL must name a running mock.
 *
 * The file is read as it is: `cargo xtask lint` checks it against
 * tests/contract/scenarios/schema.json. Prints one line per scenario and a
 * summary. */
#define _POSIX_C_SOURCE 200809L

#include <engagelab_push.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mock.h"

/* The runners' default backoff when a scenario sets none (README). */
#define FAST_BACKOFF_BASE_MS 1
#define FAST_BACKOFF_MAX_MS 20

static char failure[2048];

/* The C call a scenario makes, from its "call". */
typedef enum { DELETE_DEVICE, GET_DEVICE, GET_ALIAS } call_kind;

static call_kind call_of(const cJSON *scenario) {
    const cJSON *call = cJSON_GetObjectItemCaseSensitive(scenario, "call");
    if (cJSON_IsString(call) && strcmp(call->valuestring, "get_device") == 0) {
        return GET_DEVICE;
    }
    if (cJSON_IsString(call) && strcmp(call->valuestring, "get_alias") == 0) {
        return GET_ALIAS;
    }
    return DELETE_DEVICE;
}

static int fail(const char *fmt, ...) {
    va_list ap;
    size_t used = strlen(failure);
    if (used > 0 && used + 3 < sizeof failure) {
        strcat(failure, "; ");
        used += 2;
    }
    va_start(ap, fmt);
    vsnprintf(failure + used, sizeof failure - used, fmt, ap);
    va_end(ap);
    return 1;
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* `text` with every "{mock}" replaced by the mock's URL; free the result. */
static char *with_mock_url(const char *text) {
    const char *url = mock_url(), *p;
    size_t n = 0, len = strlen(url);
    char *out, *o;
    for (p = text; (p = strstr(p, "{mock}")) != NULL; p += 6) {
        n++;
    }
    out = (char *)malloc(strlen(text) + n * len + 1);
    for (o = out, p = text; *p;) {
        if (strncmp(p, "{mock}", 6) == 0) {
            memcpy(o, url, len);
            o += len;
            p += 6;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    return out;
}

static const char *string_field(const cJSON *o, const char *name, const char *dflt) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : dflt;
}

/* Applies the scenario's `client` settings to a new config. Returns the status
 * of the first setter that fails (which is then the scenario's result) or
 * EL_OK; `*out` is the config (NULL if el_config_new failed). */
static uint32_t configure(const cJSON *credentials, const cJSON *client, el_config **out) {
    const cJSON *item, *base, *max;
    el_config *config = NULL;
    uint32_t st;
    char *url;

    *out = NULL;
    st = el_config_new(string_field(client, "app_key", string_field(credentials, "app_key", "")),
                       string_field(client, "master_secret",
                                    string_field(credentials, "master_secret", "")),
                       &config, NULL);
    if (st != EL_OK) {
        return st;
    }
    *out = config;
    url = with_mock_url(string_field(client, "base_url", "{mock}"));
    st = el_config_set_base_url(config, url, NULL);
    free(url);
    if (st == EL_OK && (item = cJSON_GetObjectItemCaseSensitive(client, "region")) != NULL) {
        st = el_config_set_region(config, item->valuestring, NULL);
    }
    if (st == EL_OK && (item = cJSON_GetObjectItemCaseSensitive(client, "timeout_ms")) != NULL) {
        st = el_config_set_timeout_ms(config, (uint64_t)item->valuedouble, NULL);
    }
    if (st == EL_OK && (item = cJSON_GetObjectItemCaseSensitive(client, "connect_timeout_ms")) != NULL) {
        st = el_config_set_connect_timeout_ms(config, (uint64_t)item->valuedouble, NULL);
    }
    if (st == EL_OK && (item = cJSON_GetObjectItemCaseSensitive(client, "max_retries")) != NULL) {
        st = el_config_set_max_retries(config, (uint32_t)item->valuedouble, NULL);
    }
    if (st == EL_OK && (item = cJSON_GetObjectItemCaseSensitive(client, "max_retry_after_ms")) != NULL) {
        st = el_config_set_max_retry_after_ms(config, (uint64_t)item->valuedouble, NULL);
    }
    if (st == EL_OK && (item = cJSON_GetObjectItemCaseSensitive(client, "allow_insecure_http")) != NULL) {
        st = el_config_set_allow_insecure_http(config, cJSON_IsTrue(item), NULL);
    }
    base = cJSON_GetObjectItemCaseSensitive(client, "backoff_base_ms");
    max = cJSON_GetObjectItemCaseSensitive(client, "backoff_max_ms");
    if (st == EL_OK) {
        st = el_config_set_backoff_ms(config,
                                      base ? (uint64_t)base->valuedouble : FAST_BACKOFF_BASE_MS,
                                      max ? (uint64_t)max->valuedouble : FAST_BACKOFF_MAX_MS, NULL);
    }
    return st;
}

/* Checks an expected integer-or-null field against `actual` (0 meaning none). */
static void check_number(const cJSON *expect, const char *name, long long actual) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(expect, name);
    long long want;
    if (v == NULL) {
        return;
    }
    want = cJSON_IsNull(v) ? 0 : (long long)v->valuedouble;
    if (want != actual) {
        fail("%s: expected %lld, got %lld", name, want, actual);
    }
}

static void check_requests(const cJSON *expected) {
    cJSON *log = mock_log();
    const cJSON *want, *got;
    int i = 0;
    if (log == NULL) {
        fail("cannot read the mock's log");
        return;
    }
    if (cJSON_GetArraySize(log) != cJSON_GetArraySize(expected)) {
        fail("requests: expected %d, the mock saw %d", cJSON_GetArraySize(expected),
             cJSON_GetArraySize(log));
    } else {
        cJSON_ArrayForEach(want, expected) {
            const cJSON *headers = cJSON_GetObjectItemCaseSensitive(want, "headers"), *h;
            const cJSON *size = cJSON_GetObjectItemCaseSensitive(want, "body_size");
            got = cJSON_GetArrayItem(log, i++);
            if (strcmp(string_field(want, "method", ""), string_field(got, "method", "?")) != 0 ||
                strcmp(string_field(want, "path", ""), string_field(got, "path", "?")) != 0) {
                fail("request %d: expected %s %s, got %s %s", i, string_field(want, "method", ""),
                     string_field(want, "path", ""), string_field(got, "method", "?"),
                     string_field(got, "path", "?"));
            }
            cJSON_ArrayForEach(h, headers) {
                const cJSON *pair;
                const char *value = NULL;
                cJSON_ArrayForEach(pair, cJSON_GetObjectItemCaseSensitive(got, "headers")) {
                    const cJSON *name = cJSON_GetArrayItem(pair, 0);
                    if (value == NULL && cJSON_IsString(name) && strcmp(name->valuestring, h->string) == 0) {
                        value = cJSON_GetArrayItem(pair, 1)->valuestring;
                    }
                }
                if (value == NULL || strcmp(value, h->valuestring) != 0) {
                    fail("request %d: header %s: expected \"%s\", got \"%s\"", i, h->string,
                         h->valuestring, value ? value : "(absent)");
                }
            }
            if (size != NULL) {
                const cJSON *actual = cJSON_GetObjectItemCaseSensitive(got, "body_size");
                if (!cJSON_IsNumber(actual) || actual->valuedouble != size->valuedouble) {
                    fail("request %d: body_size: expected %.0f", i, size->valuedouble);
                }
            }
        }
    }
    cJSON_Delete(log);
}

/* Checks the device el_get_device returned against `expect.device`: tags,
 * alias, raw (el_device_raw_json parsed and compared as JSON) and raw_json
 * (byte for byte); and always that every string is valid UTF-8. */
static void check_device(const el_device *device, const char *id, const cJSON *want) {
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(want, "tags");
    const cJSON *alias = cJSON_GetObjectItemCaseSensitive(want, "alias");
    const cJSON *raw = cJSON_GetObjectItemCaseSensitive(want, "raw");
    const cJSON *raw_json = cJSON_GetObjectItemCaseSensitive(want, "raw_json");
    const char *got_alias = el_device_alias(device);
    size_t i, count = el_device_tag_count(device);
    const char *got_id = el_device_registration_id(device);
    if (got_id == NULL || strcmp(got_id, id) != 0) {
        fail("device registration_id: expected %s, got %s", id, got_id ? got_id : "(NULL)");
    }
    if (el_device_raw_json(device) == NULL || !valid_utf8(el_device_raw_json(device))) {
        fail("el_device_raw_json is not a UTF-8 string");
    }
    for (i = 0; i < count; i++) {
        if (el_device_tag(device, i) == NULL || !valid_utf8(el_device_tag(device, i))) {
            fail("el_device_tag(%zu) is not a UTF-8 string", i);
        }
    }
    if (el_device_tag(device, count) != NULL) {
        fail("el_device_tag(%zu) past the end is not NULL", count);
    }
    if (got_alias != NULL && !valid_utf8(got_alias)) {
        fail("el_device_alias is not a UTF-8 string");
    }
    if (tags != NULL) {
        if ((size_t)cJSON_GetArraySize(tags) != count) {
            fail("device tags: expected %d, got %zu", cJSON_GetArraySize(tags), count);
        } else {
            for (i = 0; i < count; i++) {
                const char *w = cJSON_GetArrayItem(tags, (int)i)->valuestring;
                const char *g = el_device_tag(device, i) ? el_device_tag(device, i) : "(NULL)";
                if (strcmp(w, g) != 0) {
                    fail("device tag %zu: expected \"%s\", got \"%s\"", i, w, g);
                }
            }
        }
    }
    if (alias != NULL) {
        if (cJSON_IsNull(alias) ? got_alias != NULL
                                : got_alias == NULL || strcmp(got_alias, alias->valuestring) != 0) {
            fail("device alias: expected %s, got %s", cJSON_IsNull(alias) ? "NULL" : alias->valuestring,
                 got_alias ? got_alias : "NULL");
        }
    }
    if (raw != NULL) {
        cJSON *parsed = cJSON_Parse(el_device_raw_json(device));
        if (parsed == NULL || !cJSON_Compare(parsed, raw, 1)) {
            fail("device raw: got %s", el_device_raw_json(device));
        }
        cJSON_Delete(parsed);
    }
    if (raw_json != NULL && strcmp(raw_json->valuestring, el_device_raw_json(device)) != 0) {
        fail("device raw_json: expected %s, got %s", raw_json->valuestring, el_device_raw_json(device));
    }
}

/* Checks the list el_get_alias returned against `expect.registration_ids`
 * (when given: exactly, in order); and always that the count and every id
 * read back agree, that each id is UTF-8 and that past the end is NULL. */
static void check_ids(const el_id_list *ids, const cJSON *want) {
    size_t i, count = el_id_list_count(ids);
    for (i = 0; i < count; i++) {
        if (el_id_list_get(ids, i) == NULL || !valid_utf8(el_id_list_get(ids, i))) {
            fail("el_id_list_get(%zu) is not a UTF-8 string", i);
        }
    }
    if (el_id_list_get(ids, count) != NULL) {
        fail("el_id_list_get(%zu) past the end is not NULL", count);
    }
    if (want == NULL) {
        return;
    }
    if ((size_t)cJSON_GetArraySize(want) != count) {
        fail("registration_ids: expected %d, got %zu", cJSON_GetArraySize(want), count);
        return;
    }
    for (i = 0; i < count; i++) {
        const char *w = cJSON_GetArrayItem(want, (int)i)->valuestring;
        const char *g = el_id_list_get(ids, i) ? el_id_list_get(ids, i) : "(NULL)";
        if (strcmp(w, g) != 0) {
            fail("registration_ids[%zu]: expected \"%s\", got \"%s\"", i, w, g);
        }
    }
}

/* The scenario's `platforms` as el_get_alias takes them: an array of its
 * strings (owned by the scenario), and its length in `count`; NULL (and 0)
 * when absent or empty. Free the array. */
static const char **platform_array(const cJSON *scenario, size_t *count) {
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(scenario, "platforms"), *p;
    const char **out;
    size_t i = 0;
    *count = list == NULL ? 0 : (size_t)cJSON_GetArraySize(list);
    if (*count == 0) {
        return NULL;
    }
    out = (const char **)malloc(*count * sizeof *out);
    cJSON_ArrayForEach(p, list) {
        out[i++] = p->valuestring;
    }
    return out;
}

static void check_store(const cJSON *ids, int present) {
    const cJSON *id;
    cJSON_ArrayForEach(id, ids) {
        int has = mock_has_device(id->valuestring);
        if (has != present) {
            fail("device %s: expected %s the store", id->valuestring, present ? "in" : "gone from");
        }
    }
}

/* Runs one scenario; returns 0 if every expectation holds. */
static int run(const cJSON *credentials, const cJSON *scenario) {
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(scenario, "expect");
    const cJSON *client = cJSON_GetObjectItemCaseSensitive(scenario, "client");
    const cJSON *devices = cJSON_GetObjectItemCaseSensitive(scenario, "devices");
    const cJSON *script = cJSON_GetObjectItemCaseSensitive(scenario, "script");
    const call_kind call = call_of(scenario);
    /* The call's input: the registration id, or the alias for get_alias. */
    const char *id = string_field(scenario, call == GET_ALIAS ? "alias" : "registration_id", NULL);
    const cJSON *item;
    el_device *device = NULL;
    el_id_list *ids = NULL;
    const char **platforms;
    size_t platform_count;
    el_config *config = NULL;
    el_client *c = NULL;
    el_error err = EL_ERROR_INIT;
    uint32_t st;
    double start, elapsed;
    const char *want_status;

    failure[0] = '\0';
    if (mock_reset() != 0) {
        return fail("cannot reset the mock");
    }
    cJSON_ArrayForEach(item, devices) {
        if (mock_add_device_seed(item) != 0) {
            return fail("cannot add a device");
        }
    }
    if (script != NULL) {
        const char *key = string_field(scenario, "script_id", id);
        if ((call == GET_ALIAS ? mock_script_alias(key, script) : mock_script(key, script)) != 0) {
            return fail("cannot script the mock");
        }
    }
    platforms = platform_array(scenario, &platform_count);

    /* Start with a record no call would produce, to see what is written. */
    memset(&err, 0xA5, sizeof err);
    err.maybe_deleted = false;
    start = now_ms();
    st = configure(credentials, client, &config);
    if (st != EL_OK) {
        /* A setter refused a value: setters report only a status (the scenario
         * format's fields are then those of an error with attempts 0). */
        memset(&err, 0, sizeof err);
        err.status = st;
    } else {
        st = el_client_new(config, &c, &err);
        if (st == EL_OK && call == GET_DEVICE) {
            /* Poisoned too: a failure must leave it unwritten. */
            device = (el_device *)&err;
            st = el_get_device(c, id, &device, &err);
            if (st != EL_OK && device != (el_device *)&err) {
                fail("out_device was written on failure");
            }
        } else if (st == EL_OK && call == GET_ALIAS) {
            ids = (el_id_list *)&err;
            st = el_get_alias(c, id, platforms, platform_count, &ids, &err);
            if (st != EL_OK && ids != (el_id_list *)&err) {
                fail("out_ids was written on failure");
            }
        } else if (st == EL_OK) {
            st = el_delete_device(c, id, &err);
        }
    }
    elapsed = now_ms() - start;
    el_client_free(c);
    el_config_free(config);
    free((void *)platforms);

    want_status = string_field(expect, "status", "?");
    if (strcmp(el_status_name(st), want_status) != 0) {
        fail("status: expected %s, got %s (%s)", want_status, el_status_name(st),
             st == EL_OK ? "" : err.message);
    }
    if (st == EL_OK) {
        /* A success writes nothing into the error record. */
        if (err.status != 0xA5A5A5A5u) {
            fail("el_error was written on success");
        }
        if (call == GET_DEVICE) {
            if (device == NULL) {
                fail("el_get_device succeeded without a device");
            } else {
                check_device(device, id, cJSON_GetObjectItemCaseSensitive(expect, "device"));
            }
        }
        if (call == GET_ALIAS) {
            if (ids == NULL) {
                fail("el_get_alias succeeded without a list");
            } else {
                check_ids(ids, cJSON_GetObjectItemCaseSensitive(expect, "registration_ids"));
            }
        }
    } else {
        if (err.status != st) {
            fail("el_error.status %u differs from the returned %u", err.status, st);
        }
        if (memchr(err.message, '\0', sizeof err.message) == NULL || !valid_utf8(err.message)) {
            fail("el_error.message is not a NUL-terminated UTF-8 string");
        }
        check_number(expect, "http_status", err.http_status);
        check_number(expect, "api_code", err.api_code);
        check_number(expect, "retry_after_ms", err.retry_after_ms);
    }
    {
        /* A success reports no attempts in C: count the requests the mock saw. */
        const cJSON *at_least = cJSON_GetObjectItemCaseSensitive(expect, "attempts_at_least");
        long long attempts = err.attempts;
        if (st == EL_OK) {
            cJSON *log = mock_log();
            attempts = log ? cJSON_GetArraySize(log) : -1;
            cJSON_Delete(log);
        }
        check_number(expect, "attempts", attempts);
        if (at_least != NULL && attempts < (long long)at_least->valuedouble) {
            fail("attempts: expected at least %.0f, got %lld", at_least->valuedouble, attempts);
        }
    }
    if (st != EL_OK) {
        item = cJSON_GetObjectItemCaseSensitive(expect, "maybe_deleted");
        if (item != NULL && cJSON_IsTrue(item) != err.maybe_deleted) {
            fail("maybe_deleted: expected %s", cJSON_IsTrue(item) ? "true" : "false");
        }
        if (call != DELETE_DEVICE && err.maybe_deleted) {
            fail("maybe_deleted: true for a lookup, which never deletes");
        }
    }
    /* C has no Display or Debug: the message is the only text (none on success,
     * where the record is left unwritten). */
    cJSON_ArrayForEach(item, (st == EL_OK ? NULL : cJSON_GetObjectItemCaseSensitive(expect, "message_contains"))) {
        if (strstr(err.message, item->valuestring) == NULL) {
            fail("message \"%s\" lacks \"%s\"", err.message, item->valuestring);
        }
    }
    cJSON_ArrayForEach(item, (st == EL_OK ? NULL : cJSON_GetObjectItemCaseSensitive(expect, "message_excludes"))) {
        if (strstr(err.message, item->valuestring) != NULL) {
            fail("message \"%s\" contains \"%s\"", err.message, item->valuestring);
        }
    }
    item = cJSON_GetObjectItemCaseSensitive(expect, "min_elapsed_ms");
    if (item != NULL && elapsed < item->valuedouble) {
        fail("returned after %.0f ms, expected at least %.0f", elapsed, item->valuedouble);
    }
    if ((item = cJSON_GetObjectItemCaseSensitive(expect, "requests")) != NULL) {
        check_requests(item);
    }
    check_store(cJSON_GetObjectItemCaseSensitive(expect, "device_remains"), 1);
    check_store(cJSON_GetObjectItemCaseSensitive(expect, "device_gone"), 0);
    if (st == EL_OK) {
        el_device_free(device);
        el_id_list_free(ids);
    }
    return failure[0] != '\0';
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    char *text;
    long size;
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        if (f) fclose(f);
        return NULL;
    }
    text = (char *)malloc((size_t)size + 1);
    if (fread(text, 1, (size_t)size, f) != (size_t)size) {
        free(text);
        fclose(f);
        return NULL;
    }
    text[size] = '\0';
    fclose(f);
    return text;
}

static cJSON *read_json(const char *path) {
    char *text = read_file(path);
    cJSON *json = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (json == NULL) {
        fprintf(stderr, "cannot read %s as JSON\n", path);
    }
    return json;
}

int main(int argc, char **argv) {
    cJSON *root;
    const cJSON *scenario, *credentials;
    int passed = 0, failed = 0, i;

    if (argc < 2) {
        fprintf(stderr, "usage: %s SCENARIOS.json [NAME...]\n", argv[0]);
        return 2;
    }
    if ((root = read_json(argv[1])) == NULL) {
        return 2;
    }
    mock_init();
    credentials = cJSON_GetObjectItemCaseSensitive(root, "credentials");
    cJSON_ArrayForEach(scenario, cJSON_GetObjectItemCaseSensitive(root, "scenarios")) {
        const char *name = string_field(scenario, "name", "?");
        int selected = argc == 2;
        for (i = 2; i < argc; i++) {
            selected |= strcmp(argv[i], name) == 0;
        }
        if (!selected) {
            continue;
        }
        if (run(credentials, scenario) == 0) {
            passed++;
            printf("ok      %s\n", name);
        } else {
            failed++;
            printf("FAIL    %s: %s\n", name, failure);
        }
        fflush(stdout);
    }
    cJSON_Delete(root);
    mock_cleanup();
    printf("scenarios: %d passed, %d failed\n", passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}
