/* C-specific tests of libengagelab_push: NULL arguments, invalid UTF-8,
 * message truncation, status names, version macros, outputs written only as
 * documented, threads sharing one client, create/free loops.
 * Needs ENGAGELAB_MOCK_URL (a running engagelab-mock). */
#define _POSIX_C_SOURCE 200809L

#include <engagelab_push.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "credentials.h"
#include "mock.h"

#ifndef EL_EXPECTED_VERSION
#define EL_EXPECTED_VERSION ""
#endif

#define APP_KEY EL_TEST_APP_KEY
#define MASTER_SECRET EL_TEST_MASTER_SECRET

/* A record full of a byte no call writes, to see what a call writes. */
static void poison(el_error *e) {
    memset(e, 0xA5, sizeof *e);
    e->size = sizeof *e;
    e->maybe_deleted = false;
}

static int untouched(const el_error *e) {
    el_error p = EL_ERROR_INIT;
    poison(&p);
    return e->status == p.status && e->http_status == p.http_status && e->api_code == p.api_code &&
           e->attempts == p.attempts && (unsigned char)e->message[0] == 0xA5;
}

/* A config for the mock with fast retries. */
static el_config *mock_config(void) {
    el_config *config = NULL;
    if (el_config_new(APP_KEY, MASTER_SECRET, &config, NULL) != EL_OK ||
        el_config_set_base_url(config, mock_url(), NULL) != EL_OK ||
        el_config_set_backoff_ms(config, 1, 20, NULL) != EL_OK) {
        fprintf(stderr, "cannot make a config\n");
        exit(1);
    }
    return config;
}

static el_client *mock_client(void) {
    el_config *config = mock_config();
    el_client *client = NULL;
    el_error err = EL_ERROR_INIT;
    if (el_client_new(config, &client, &err) != EL_OK) {
        fprintf(stderr, "cannot make a client: %s\n", err.message);
        exit(1);
    }
    el_config_free(config);
    return client;
}

static void test_status_names(void) {
    static const char *names[] = {"OK", "INVALID_ARGUMENT", "AUTH", "NOT_FOUND", "RATE_LIMITED",
                                  "SERVER", "API", "TIMEOUT", "NETWORK", "INVALID_RESPONSE",
                                  "INTERNAL"};
    uint32_t i;
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        CHECK(strcmp(el_status_name(i), names[i]) == 0);
    }
    CHECK(EL_OK == 0 && EL_INVALID_ARGUMENT == 1 && EL_AUTH == 2 && EL_NOT_FOUND == 3);
    CHECK(EL_RATE_LIMITED == 4 && EL_SERVER == 5 && EL_API == 6 && EL_TIMEOUT == 7);
    CHECK(EL_NETWORK == 8 && EL_INVALID_RESPONSE == 9 && EL_INTERNAL == 10);
    CHECK(strcmp(el_status_name(EL_CANCELLED + 1), "UNKNOWN") == 0);
    CHECK(strcmp(el_status_name(1000), "UNKNOWN") == 0);
    CHECK(strcmp(el_status_name(UINT32_MAX), "UNKNOWN") == 0);
    /* Static strings: the same pointer every time. */
    CHECK(el_status_name(EL_AUTH) == el_status_name(EL_AUTH));
}

#define STR_(x) #x
#define STR(x) STR_(x)

static void test_version(void) {
    const char *macros = STR(EL_VERSION_MAJOR) "." STR(EL_VERSION_MINOR) "." STR(EL_VERSION_PATCH);
    CHECK(el_version() != NULL);
    CHECK(strcmp(el_version(), macros) == 0);
    /* EL_EXPECTED_VERSION comes from Cargo.toml (`cargo xtask test c`). */
    CHECK(strcmp(EL_EXPECTED_VERSION, "") != 0);
    CHECK(strcmp(el_version(), EL_EXPECTED_VERSION) == 0);
    CHECK(EL_ERROR_MESSAGE_LEN == sizeof(((el_error *)0)->message));
}

static void test_null_arguments(void) {
    el_config *config = NULL, *sentinel_config = (el_config *)&config;
    el_client *client = NULL, *sentinel_client = (el_client *)&client;
    el_error err = EL_ERROR_INIT;

    /* el_config_new: each NULL is refused and *out_config is not written. */
    config = sentinel_config;
    CHECK_STATUS(el_config_new(NULL, MASTER_SECRET, &config, NULL), EL_INVALID_ARGUMENT);
    CHECK_STATUS(el_config_new(APP_KEY, NULL, &config, NULL), EL_INVALID_ARGUMENT);
    CHECK(config == sentinel_config);
    CHECK_STATUS(el_config_new(APP_KEY, MASTER_SECRET, NULL, NULL), EL_INVALID_ARGUMENT);

    /* Every setter refuses a NULL config and a NULL string. */
    CHECK_STATUS(el_config_set_region(NULL, "sgp", NULL), EL_INVALID_ARGUMENT);
    CHECK_STATUS(el_config_set_base_url(NULL, "https://x.example", NULL), EL_INVALID_ARGUMENT);
    CHECK_STATUS(el_config_set_timeout_ms(NULL, 1000, NULL), EL_INVALID_ARGUMENT);
    CHECK_STATUS(el_config_set_connect_timeout_ms(NULL, 1000, NULL), EL_INVALID_ARGUMENT);
    CHECK_STATUS(el_config_set_max_retries(NULL, 1, NULL), EL_INVALID_ARGUMENT);
    CHECK_STATUS(el_config_set_backoff_ms(NULL, 1, 2, NULL), EL_INVALID_ARGUMENT);
    CHECK_STATUS(el_config_set_max_retry_after_ms(NULL, 1, NULL), EL_INVALID_ARGUMENT);
    CHECK_STATUS(el_config_set_user_agent(NULL, "ua", NULL), EL_INVALID_ARGUMENT);
    CHECK_STATUS(el_config_set_proxy(NULL, "http://127.0.0.1:3128", NULL), EL_INVALID_ARGUMENT);
    CHECK_STATUS(el_config_set_ca_file(NULL, "/tmp/ca.pem", NULL), EL_INVALID_ARGUMENT);
    CHECK_STATUS(el_config_set_allow_insecure_http(NULL, true, NULL), EL_INVALID_ARGUMENT);

    config = mock_config();
    CHECK_STATUS(el_config_set_region(config, NULL, NULL), EL_INVALID_ARGUMENT);
    CHECK_STATUS(el_config_set_base_url(config, NULL, NULL), EL_INVALID_ARGUMENT);
    CHECK_STATUS(el_config_set_user_agent(config, NULL, NULL), EL_INVALID_ARGUMENT);
    CHECK_STATUS(el_config_set_proxy(config, NULL, NULL), EL_INVALID_ARGUMENT);
    CHECK_STATUS(el_config_set_ca_file(config, NULL, NULL), EL_INVALID_ARGUMENT);

    /* el_client_new names the NULL argument; *out_client is not written. */
    poison(&err);
    client = sentinel_client;
    CHECK_STATUS(el_client_new(NULL, &client, &err), EL_INVALID_ARGUMENT);
    CHECK(err.status == EL_INVALID_ARGUMENT);
    CHECK_CONTAINS(err.message, "config is NULL");
    CHECK(err.attempts == 0 && err.http_status == 0 && err.api_code == 0 && !err.maybe_deleted);
    CHECK(client == sentinel_client);
    CHECK_STATUS(el_client_new(config, NULL, &err), EL_INVALID_ARGUMENT);
    CHECK_CONTAINS(err.message, "out_client");
    /* out_error may be NULL. */
    CHECK_STATUS(el_client_new(NULL, &client, NULL), EL_INVALID_ARGUMENT);

    client = NULL;
    CHECK_STATUS(el_client_new(config, &client, NULL), EL_OK);
    CHECK(client != NULL);
    poison(&err);
    CHECK_STATUS(el_delete_device(NULL, "dev-1", &err), EL_INVALID_ARGUMENT);
    CHECK_CONTAINS(err.message, "client is NULL");
    CHECK_STATUS(el_delete_device(client, NULL, &err), EL_INVALID_ARGUMENT);
    CHECK_CONTAINS(err.message, "registration_id is NULL");
    CHECK(err.attempts == 0);
    CHECK_STATUS(el_delete_device(client, NULL, NULL), EL_INVALID_ARGUMENT);

    el_client_free(client);
    el_config_free(config);
    el_client_free(NULL);
    el_config_free(NULL);
}

static void test_invalid_utf8(void) {
    el_config *config = NULL;
    el_client *client;
    el_error err = EL_ERROR_INIT;
    const char *bad = "dev-\xff\xfe";
    const char *truncated_sequence = "caf\xc3";

    CHECK_STATUS(el_config_new(bad, MASTER_SECRET, &config, NULL), EL_INVALID_ARGUMENT);
    CHECK_STATUS(el_config_new(APP_KEY, truncated_sequence, &config, NULL), EL_INVALID_ARGUMENT);
    CHECK(config == NULL);
    config = mock_config();
    CHECK_STATUS(el_config_set_region(config, bad, NULL), EL_INVALID_ARGUMENT);
    CHECK_STATUS(el_config_set_base_url(config, bad, NULL), EL_INVALID_ARGUMENT);
    CHECK_STATUS(el_config_set_user_agent(config, truncated_sequence, NULL), EL_INVALID_ARGUMENT);
    CHECK_STATUS(el_config_set_proxy(config, bad, NULL), EL_INVALID_ARGUMENT);
    CHECK_STATUS(el_config_set_ca_file(config, bad, NULL), EL_INVALID_ARGUMENT);
    /* A refused setter changes nothing: the config still builds a mock client. */
    client = NULL;
    CHECK_STATUS(el_client_new(config, &client, &err), EL_OK);

    mock_reset();
    poison(&err);
    CHECK_STATUS(el_delete_device(client, bad, &err), EL_INVALID_ARGUMENT);
    CHECK_CONTAINS(err.message, "registration_id");
    CHECK_CONTAINS(err.message, "UTF-8");
    CHECK(err.attempts == 0);
    CHECK(valid_utf8(err.message));
    {
        cJSON *log = mock_log();
        CHECK(log != NULL && cJSON_GetArraySize(log) == 0); /* nothing was sent */
        cJSON_Delete(log);
    }
    el_client_free(client);
    el_config_free(config);
}

/* Settings the core checks are reported by el_client_new, with its message. */
static void test_settings_checked_by_the_core(void) {
    el_config *config;
    el_client *client;
    el_error err = EL_ERROR_INIT;
    size_t i;

    /* An unknown region is accepted by the setter, refused by el_client_new
     * with the core's message naming it. */
    config = mock_config();
    CHECK_STATUS(el_config_set_region(config, "atlantis", NULL), EL_OK);
    client = NULL;
    poison(&err);
    CHECK_STATUS(el_client_new(config, &client, &err), EL_INVALID_ARGUMENT);
    CHECK(client == NULL);
    CHECK_CONTAINS(err.message, "atlantis");
    CHECK(err.attempts == 0 && err.http_status == 0 && err.api_code == 0);
    el_config_free(config);

    for (i = 0; i < 5; i++) {
        config = mock_config();
        switch (i) {
        case 0: el_config_set_timeout_ms(config, 0, NULL); break;
        case 1: el_config_set_connect_timeout_ms(config, 0, NULL); break;
        case 2: el_config_set_backoff_ms(config, 50, 10, NULL); break;
        case 3: el_config_set_user_agent(config, "", NULL); break;
        case 4: el_config_set_ca_file(config, "/nonexistent/ca.pem", NULL); break;
        }
        client = NULL;
        poison(&err);
        CHECK_STATUS(el_client_new(config, &client, &err), EL_INVALID_ARGUMENT);
        CHECK(client == NULL);
        CHECK(err.message[0] != '\0');
        if (i == 0) CHECK_CONTAINS(err.message, "timeout");
        if (i == 2) CHECK_CONTAINS(err.message, "backoff");
        if (i == 3) CHECK_CONTAINS(err.message, "user_agent");
        el_config_free(config);
    }

    /* Credentials are stored unchecked and reported by el_client_new. */
    config = NULL;
    CHECK_STATUS(el_config_new("", MASTER_SECRET, &config, NULL), EL_OK);
    poison(&err);
    CHECK_STATUS(el_client_new(config, &client, &err), EL_INVALID_ARGUMENT);
    CHECK_CONTAINS(err.message, "app_key");
    el_config_free(config);

    /* Region names ignore case; a base URL overrides the region. */
    config = mock_config();
    CHECK_STATUS(el_config_set_region(config, "DEFRA", NULL), EL_OK);
    client = NULL;
    CHECK_STATUS(el_client_new(config, &client, &err), EL_OK);
    el_client_free(client);
    el_config_free(config);
}

/* Messages arrive whole when they fit, and are cut on a UTF-8 boundary to
 * 255 bytes + NUL when they do not. */
static void test_truncation(void) {
    el_client *client = mock_client();
    el_config *config;
    el_error err = EL_ERROR_INIT;
    char text[2048], *p;
    int i;
    cJSON *responses = cJSON_CreateArray(), *answer = cJSON_CreateObject();
    size_t len;

    /* A long server message: the core keeps an excerpt (under 255 bytes),
     * which C passes on whole and valid. */
    p = text + sprintf(text, "{\"code\": 21003, \"message\": \"x");
    for (i = 0; i < 400; i++) {
        p += sprintf(p, "\xe2\x82\xac"); /* U+20AC EURO SIGN, 3 bytes */
    }
    sprintf(p, "\"}");
    cJSON_AddNumberToObject(answer, "status", 400);
    cJSON_AddStringToObject(answer, "body", text);
    cJSON_AddItemToArray(responses, answer);
    mock_reset();
    CHECK(mock_script("dev-long", responses) == 0);
    poison(&err);
    CHECK_STATUS(el_delete_device(client, "dev-long", &err), EL_API);
    len = strnlen(err.message, sizeof err.message);
    CHECK(len < sizeof err.message);
    CHECK(valid_utf8(err.message));
    CHECK(strncmp(err.message, "x\xe2\x82\xac", 4) == 0);
    CHECK(err.http_status == 400 && err.api_code == 21003 && err.attempts == 1);
    cJSON_Delete(responses);
    el_client_free(client);

    /* A message longer than the buffer: the core shows up to 80 characters of
     * the CA file path, and the record keeps the message's start and its end
     * (the cause), joined by an ellipsis, each cut between characters:
     * "ca_file /nonexistent/" is 21 bytes, and 26 four-byte characters bring
     * the start to 125 of the 126 bytes it may take. */
    p = text + sprintf(text, "/nonexistent/");
    for (i = 0; i < 100; i++) {
        p += sprintf(p, "\xf0\x9f\x98\x80");
    }
    config = mock_config();
    CHECK_STATUS(el_config_set_ca_file(config, text, NULL), EL_OK);
    poison(&err);
    client = NULL;
    CHECK_STATUS(el_client_new(config, &client, &err), EL_INVALID_ARGUMENT);
    len = strnlen(err.message, sizeof err.message);
    CHECK(len <= 255);
    CHECK(valid_utf8(err.message));
    CHECK(strncmp(err.message, "ca_file /nonexistent/\xf0\x9f\x98\x80", 25) == 0);
    CHECK(err.message[125] == '\xe2' && err.message[126] == '\x80' && err.message[127] == '\xa6');
    CHECK(strstr(err.message, "cannot read it") != NULL);
    el_config_free(config);
}

/* Outputs are written only as documented: on success, el_error is untouched. */
static void test_outputs(void) {
    el_client *client = mock_client();
    el_error err = EL_ERROR_INIT;

    mock_reset();
    mock_add_device("dev-ok");
    poison(&err);
    CHECK_STATUS(el_delete_device(client, "dev-ok", &err), EL_OK);
    CHECK(untouched(&err));
    CHECK(mock_has_device("dev-ok") == 0);
    /* Unknown id with a NULL out_error: the status alone. */
    CHECK_STATUS(el_delete_device(client, "dev-ok", NULL), EL_NOT_FOUND);
    poison(&err);
    CHECK_STATUS(el_delete_device(client, "dev-ok", &err), EL_NOT_FOUND);
    CHECK(err.status == EL_NOT_FOUND && err.http_status == 400 && err.api_code == 27002);
    CHECK(err.attempts == 1 && err.retry_after_ms == 0 && !err.maybe_deleted);
    el_client_free(client);
}

#define THREADS 8
#define PER_THREAD 12

struct job {
    const el_client *client;
    int index;
    int failures;
};

static void *worker(void *arg) {
    struct job *job = (struct job *)arg;
    char id[64];
    int i;
    for (i = 0; i < PER_THREAD; i++) {
        el_error err = EL_ERROR_INIT;
        uint32_t st;
        snprintf(id, sizeof id, "dev-t%d-%d", job->index, i);
        st = el_delete_device(job->client, id, &err);
        if (st != EL_OK) {
            fprintf(stderr, "thread %d: %s: %s %s\n", job->index, id, el_status_name(st), err.message);
            job->failures++;
        }
        /* Unknown ids fail with the same category from every thread. */
        snprintf(id, sizeof id, "missing-t%d-%d", job->index, i);
        st = el_delete_device(job->client, id, &err);
        if (st != EL_NOT_FOUND || err.api_code != 27002) {
            job->failures++;
        }
    }
    return NULL;
}

static void test_threads_share_one_client(void) {
    el_client *client = mock_client();
    pthread_t threads[THREADS];
    struct job jobs[THREADS];
    char id[64];
    int t, i, total = 0;
    cJSON *left;

    mock_reset();
    for (t = 0; t < THREADS; t++) {
        for (i = 0; i < PER_THREAD; i++) {
            snprintf(id, sizeof id, "dev-t%d-%d", t, i);
            mock_add_device(id);
        }
    }
    for (t = 0; t < THREADS; t++) {
        jobs[t].client = client;
        jobs[t].index = t;
        jobs[t].failures = 0;
        CHECK(pthread_create(&threads[t], NULL, worker, &jobs[t]) == 0);
    }
    for (t = 0; t < THREADS; t++) {
        pthread_join(threads[t], NULL);
        total += jobs[t].failures;
    }
    CHECK(total == 0);
    left = mock_devices();
    CHECK(left != NULL);
    for (t = 0; t < THREADS; t++) {
        for (i = 0; i < PER_THREAD; i++) {
            const cJSON *item;
            snprintf(id, sizeof id, "dev-t%d-%d", t, i);
            cJSON_ArrayForEach(item, left) {
                CHECK(strcmp(item->valuestring, id) != 0);
            }
        }
    }
    cJSON_Delete(left);
    el_client_free(client);
}

/* Many configs and clients made and freed, on success and failure paths; the
 * leak checkers (ASan, valgrind) catch anything left behind. */
static void test_create_free_loops(void) {
    int i;
    for (i = 0; i < 200; i++) {
        el_config *config = mock_config();
        el_client *a = NULL, *b = NULL;
        el_error err = EL_ERROR_INIT;
        CHECK_STATUS(el_config_set_region(config, i % 2 ? "usva" : "jpn", NULL), EL_OK);
        CHECK_STATUS(el_config_set_user_agent(config, "loop/1", NULL), EL_OK);
        CHECK_STATUS(el_config_set_proxy(config, "http://user:pw@127.0.0.1:3128", NULL), EL_OK);
        CHECK_STATUS(el_config_set_proxy(config, "http://127.0.0.1:3128", NULL), EL_OK);
        CHECK_STATUS(el_client_new(config, &a, &err), EL_OK);
        /* One config builds many clients; clients outlive it. */
        CHECK_STATUS(el_client_new(config, &b, &err), EL_OK);
        el_config_free(config);
        el_client_free(a);
        el_client_free(b);

        config = mock_config();
        el_config_set_timeout_ms(config, 0, NULL);
        CHECK_STATUS(el_client_new(config, &a, &err), EL_INVALID_ARGUMENT);
        el_config_free(config);
    }
    /* A client used then freed, repeatedly. */
    mock_reset();
    for (i = 0; i < 50; i++) {
        el_client *client = mock_client();
        CHECK_STATUS(el_delete_device(client, "missing", NULL), EL_NOT_FOUND);
        el_client_free(client);
    }
}

/* el_error_describe gives the core's sentence; el_config_from_env reads the
 * environment with the core's rules. */
static void test_describe_and_from_env(void) {
    el_config *config = mock_config();
    el_client *client = NULL;
    el_error err = EL_ERROR_INIT;
    CHECK_STATUS(el_client_new(config, &client, &err), EL_OK);
    CHECK_STATUS(el_delete_device(client, "describe-unknown", &err), EL_NOT_FOUND);
    char text[512];
    size_t n = el_error_describe(&err, text, sizeof text);
    CHECK(n == strlen(text));
    CHECK_CONTAINS(text, "EngageLab does not know this registration id or alias (HTTP 400, code 27002): unknown error");
    char small[10];
    CHECK(el_error_describe(&err, small, sizeof small) == n);
    CHECK(strlen(small) == sizeof small - 1);
    CHECK(el_error_describe(&err, NULL, 0) == n);
    CHECK(el_error_describe(NULL, text, sizeof text) == 0 && text[0] == '\0');
    el_client_free(client);
    el_config_free(config);

    el_config *from_env = NULL;
    unsetenv("ENGAGELAB_APP_KEY");
    CHECK_STATUS(el_config_from_env(&from_env, &err), EL_INVALID_ARGUMENT);
    CHECK_CONTAINS(err.message, "ENGAGELAB_APP_KEY is not set");
    CHECK(from_env == NULL);
    setenv("ENGAGELAB_APP_KEY", APP_KEY, 1);
    setenv("ENGAGELAB_MASTER_SECRET", MASTER_SECRET, 1);
    setenv("ENGAGELAB_BASE_URL", mock_url(), 1);
    CHECK_STATUS(el_config_from_env(&from_env, &err), EL_OK);
    CHECK_STATUS(el_client_new(from_env, &client, &err), EL_OK);
    CHECK(mock_add_device("from-env") == 0);
    CHECK_STATUS(el_delete_device(client, "from-env", &err), EL_OK);
    el_client_free(client);
    el_config_free(from_env);
    setenv("ENGAGELAB_REGION", "hk", 1);
    CHECK_STATUS(el_config_from_env(&from_env, &err), EL_INVALID_ARGUMENT);
    CHECK_CONTAINS(err.message, "not both");
    unsetenv("ENGAGELAB_BASE_URL");

    /* el_client_describe: the core's description, the region shown, never
     * the secret; the snprintf convention of el_error_describe. */
    CHECK_STATUS(el_config_from_env(&from_env, &err), EL_OK);
    CHECK_STATUS(el_client_new(from_env, &client, &err), EL_OK);
    n = el_client_describe(client, text, sizeof text);
    CHECK(n == strlen(text));
    CHECK_CONTAINS(text, "region=hk");
    CHECK_CONTAINS(text, "base_url=\"https://pushapi-hk.engagelab.com\"");
    CHECK(strstr(text, MASTER_SECRET) == NULL);
    CHECK(el_client_describe(client, NULL, 0) == n);
    CHECK(el_client_describe(client, small, sizeof small) == n && strlen(small) == sizeof small - 1);
    CHECK(el_client_describe(NULL, text, sizeof text) == 0 && text[0] == '\0');
    /* el_client_timeout_ms: the core's default, else the config's. */
    CHECK(el_client_timeout_ms(client) == EL_DEFAULT_TIMEOUT_MS);
    el_client_free(client);
    CHECK_STATUS(el_config_set_timeout_ms(from_env, 1500, &err), EL_OK);
    CHECK_STATUS(el_client_new(from_env, &client, &err), EL_OK);
    CHECK(el_client_timeout_ms(client) == 1500);
    CHECK(el_client_timeout_ms(NULL) == 0);
    el_client_free(client);
    el_config_free(from_env);
    unsetenv("ENGAGELAB_REGION");
}

int main(void) {
    mock_init();
    test_status_names();
    test_version();
    test_null_arguments();
    test_invalid_utf8();
    test_settings_checked_by_the_core();
    test_truncation();
    test_outputs();
    test_threads_share_one_client();
    test_create_free_loops();
    test_describe_and_from_env();
    mock_cleanup();
    printf("api: %d checks, %d failed\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
