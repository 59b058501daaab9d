/* C-specific tests of el_get_alias and el_id_list (the shared scenarios in
 * tests/contract/scenarios/get_alias.json cover what every language shares):
 *   - NULL arguments (the platform array, one of its entries) and an alias
 *     or platform that is not UTF-8 are named, nothing is sent;
 *   - bad aliases and platforms are EL_INVALID_ARGUMENT before sending; no
 *     platform (count 0, the array NULL or not) means every platform;
 *   - outputs are written only on success (out_ids, out_error); an unknown
 *     alias is EL_OK with an empty list;
 *   - the accessors: counts, NULL past the end and for a NULL list, strings
 *     that stay valid after the client is freed;
 *   - el_get_alias_with: a cancelled token sends nothing, a cancel from
 *     another thread stops a silent server, maybe_deleted stays false;
 *   - erasing a user: resolve, delete each id, resolve again;
 *   - threads sharing one client and reading one list.
 * Needs ENGAGELAB_MOCK_URL (a running engagelab-mock). */
#define _POSIX_C_SOURCE 200809L

#include <engagelab_push.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "mock.h"
#include "mock_client.h"

/* A pointer no call would write, to see whether out_ids was written. */
#define UNWRITTEN ((el_id_list *)&unwritten_marker)
static int unwritten_marker;

/* Whether the mock's last logged request has this path (query included). */
static int last_path_is(const char *want) {
    cJSON *log = mock_log();
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(log, cJSON_GetArraySize(log) - 1), "path");
    int same = cJSON_IsString(path) && strcmp(path->valuestring, want) == 0;
    if (!same) {
        fprintf(stderr, "last request: expected %s, got %s\n", want,
                cJSON_IsString(path) ? path->valuestring : "(none)");
    }
    cJSON_Delete(log);
    return same;
}

/* Whether `ids` holds exactly the `n` ids of `want`, in order. */
static int holds(const el_id_list *ids, const char *const *want, size_t n) {
    size_t i;
    if (el_id_list_count(ids) != n || el_id_list_get(ids, n) != NULL) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (el_id_list_get(ids, i) == NULL || strcmp(el_id_list_get(ids, i), want[i]) != 0) {
            return 0;
        }
    }
    return 1;
}

/* Four devices of "c-user" (one per platform and one without) and one of
 * another alias. */
static void seed_user(void) {
    CHECK(mock_add_device_json("{\"registration_id\":\"c-a\",\"alias\":\"c-user\",\"platform\":\"android\"}") == 0);
    CHECK(mock_add_device_json("{\"registration_id\":\"c-i\",\"alias\":\"c-user\",\"platform\":\"ios\"}") == 0);
    CHECK(mock_add_device_json("{\"registration_id\":\"c-h\",\"alias\":\"c-user\",\"platform\":\"hmos\"}") == 0);
    CHECK(mock_add_device_json("{\"registration_id\":\"c-n\",\"alias\":\"c-user\"}") == 0);
    CHECK(mock_add_device_json("{\"registration_id\":\"c-x\",\"alias\":\"c-other\"}") == 0);
}

static void test_null_arguments(el_client *client) {
    el_error err = EL_ERROR_INIT;
    el_id_list *ids = UNWRITTEN;
    CHECK_STATUS(el_get_alias(NULL, "c-user", NULL, 0, &ids, &err), EL_INVALID_ARGUMENT);
    CHECK(strcmp(err.message, "client is NULL") == 0);
    CHECK_STATUS(el_get_alias(client, NULL, NULL, 0, &ids, &err), EL_INVALID_ARGUMENT);
    CHECK(strcmp(err.message, "alias is NULL") == 0);
    CHECK_STATUS(el_get_alias(client, "c-user", NULL, 0, NULL, &err), EL_INVALID_ARGUMENT);
    CHECK(strcmp(err.message, "out_ids is NULL") == 0);
    CHECK_STATUS(el_get_alias(client, "bad\xff", NULL, 0, &ids, &err), EL_INVALID_ARGUMENT);
    CHECK(strcmp(err.message, "alias is not valid UTF-8 (at byte 3)") == 0);
    {
        const char *bad_utf8[] = {"ios", "android\xff"};
        const char *with_null[] = {"ios", NULL};
        CHECK_STATUS(el_get_alias(client, "c-user", bad_utf8, 2, &ids, &err), EL_INVALID_ARGUMENT);
        CHECK(strcmp(err.message, "platforms[1] is not valid UTF-8 (at byte 7)") == 0);
        CHECK_STATUS(el_get_alias(client, "c-user", with_null, 2, &ids, &err), EL_INVALID_ARGUMENT);
        CHECK(strcmp(err.message, "platforms[1] is NULL") == 0);
        CHECK_STATUS(el_get_alias(client, "c-user", NULL, 1, &ids, &err), EL_INVALID_ARGUMENT);
        CHECK(strcmp(err.message, "platforms is NULL but its count is 1") == 0);
    }
    CHECK(err.attempts == 0 && !err.maybe_deleted && err.http_status == 0);
    /* No error record: the status alone. */
    CHECK_STATUS(el_get_alias(client, "", NULL, 0, &ids, NULL), EL_INVALID_ARGUMENT);
    CHECK(ids == UNWRITTEN);
    CHECK(mock_request_count() == 0);
    CHECK(el_id_list_count(NULL) == 0);
    CHECK(el_id_list_get(NULL, 0) == NULL);
    el_id_list_free(NULL);
}

/* An alias or platform the core refuses: EL_INVALID_ARGUMENT naming the
 * problem, nothing sent, out_ids unwritten. `platforms` is NULL or a list
 * ending with NULL. */
static void check_refused(el_client *client, const char *alias, const char *const *platforms,
                          const char *part) {
    el_error err = EL_ERROR_INIT;
    el_id_list *ids = UNWRITTEN;
    size_t count = 0;
    while (platforms != NULL && platforms[count] != NULL) count++;
    CHECK_STATUS(el_get_alias(client, alias, platforms, count, &ids, &err), EL_INVALID_ARGUMENT);
    CHECK(err.status == EL_INVALID_ARGUMENT && err.attempts == 0 && !err.maybe_deleted);
    CHECK_CONTAINS(err.message, part);
    CHECK(ids == UNWRITTEN);
}

static void test_invalid_input(el_client *client) {
    char long_alias[42];
    memset(long_alias, 'a', 41);
    long_alias[41] = '\0';
    check_refused(client, "", NULL, "alias is empty");
    check_refused(client, long_alias, NULL, "alias is 41 bytes long; EngageLab allows at most 40");
    check_refused(client, "c/user", NULL, "alias contains '/' at byte 1");
    check_refused(client, "c\x01user", NULL, "alias contains a control character U+0001 at byte 1");
    {
        static const char *const empty_name[] = {"android", "", "ios", NULL};
        static const char *const web[] = {"web", NULL};
        static const char *const joined[] = {"android,ios", NULL};
        static const char *const upper[] = {"Android", NULL};
        check_refused(client, "c-user", empty_name, "platform \"\" is not one of android, ios, hmos");
        check_refused(client, "c-user", web, "platform \"web\" is not one of android, ios, hmos");
        check_refused(client, "c-user", joined, "platform \"android,ios\"");
        check_refused(client, "c-user", upper, "platform \"Android\"");
    }
    CHECK(mock_request_count() == 0);
}

static void test_platforms(el_client *client) {
    static const char *const all[] = {"c-a", "c-h", "c-i", "c-n"};
    static const char *const two[] = {"c-a", "c-i"};
    el_id_list *ids = NULL;
    el_error err = EL_ERROR_INIT;
    seed_user();

    static const char *const android_ios[] = {"android", "ios"};
    /* A count of 0 asks for every platform, whatever the array: no query. */
    CHECK_STATUS(el_get_alias(client, "c-user", NULL, 0, &ids, &err), EL_OK);
    CHECK(holds(ids, all, 4));
    CHECK(last_path_is("/v4/aliases/c-user"));
    el_id_list_free(ids);
    ids = NULL;
    CHECK_STATUS(el_get_alias(client, "c-user", android_ios, 0, &ids, &err), EL_OK);
    CHECK(holds(ids, all, 4));
    CHECK(last_path_is("/v4/aliases/c-user"));
    el_id_list_free(ids);
    ids = NULL;

    CHECK_STATUS(el_get_alias(client, "c-user", android_ios, 2, &ids, &err), EL_OK);
    CHECK(holds(ids, two, 2));
    CHECK(last_path_is("/v4/aliases/c-user?platform=android,ios"));
    el_id_list_free(ids);
    CHECK(mock_request_count() == 3);
    /* A lookup deletes nothing. */
    CHECK(mock_has_device("c-a") == 1 && mock_has_device("c-n") == 1);
}

static void test_unknown_alias(el_client *client) {
    el_id_list *ids = UNWRITTEN;
    el_error err = EL_ERROR_INIT;
    memset(&err, 0xA5, sizeof err);
    err.size = sizeof err;
    CHECK_STATUS(el_get_alias(client, "c-nobody", NULL, 0, &ids, &err), EL_OK);
    CHECK(ids != UNWRITTEN && ids != NULL);
    CHECK(err.status == 0xA5A5A5A5u); /* untouched on success */
    CHECK(el_id_list_count(ids) == 0);
    CHECK(el_id_list_get(ids, 0) == NULL);
    CHECK(mock_request_count() == 1);
    el_id_list_free(ids != UNWRITTEN ? ids : NULL);
}

static void test_list_outlives_the_client(void) {
    static const char *const all[] = {"c-a", "c-h", "c-i", "c-n"};
    el_client *client = mock_client();
    el_id_list *ids = NULL;
    seed_user();
    CHECK_STATUS(el_get_alias(client, "c-user", NULL, 0, &ids, NULL), EL_OK);
    el_client_free(client);
    CHECK(holds(ids, all, 4));
    CHECK(el_id_list_get(ids, (size_t)-1) == NULL);
    el_id_list_free(ids);
}

static void test_cancel(el_client *client) {
    el_call_options options = EL_CALL_OPTIONS_INIT;
    el_error err = EL_ERROR_INIT;
    el_id_list *ids = UNWRITTEN;
    el_cancel *token = NULL;
    pthread_t thread;
    cJSON *answers;
    double start, took;

    /* Cancelled before the call: nothing is sent. */
    CHECK(el_cancel_new(&token) == EL_OK);
    el_cancel_cancel(token);
    options.cancel = token;
    CHECK_STATUS(el_get_alias_with(client, "c-before", NULL, 0, &options, &ids, &err), EL_CANCELLED);
    CHECK(err.attempts == 0 && !err.maybe_deleted && ids == UNWRITTEN);
    CHECK(mock_request_count() == 0);
    el_cancel_free(token);

    /* Cancelled mid-call from another thread, while the server is silent. */
    CHECK(el_cancel_new(&token) == EL_OK);
    options.cancel = token;
    answers = cJSON_Parse("[{\"status\":200,\"body\":\"{\\\"registration_ids\\\":[]}\",\"delay_ms\":5000}]");
    CHECK(mock_script_alias("c-slow", answers) == 0);
    cJSON_Delete(answers);
    CHECK(cancel_once_sent(&thread, token) == 0);
    start = now_ms();
    {
        static const char *const ios[] = {"ios"};
        CHECK_STATUS(el_get_alias_with(client, "c-slow", ios, 1, &options, &ids, &err),
                     EL_CANCELLED);
    }
    took = now_ms() - start;
    pthread_join(thread, NULL);
    CHECK(err.status == EL_CANCELLED && err.attempts == 1 && !err.maybe_deleted);
    CHECK(ids == UNWRITTEN);
    CHECK(took < 3000); /* the answer would come after 5000 ms; valgrind is slow */
    CHECK(mock_request_count() == 1);
    el_cancel_free(token);

    /* NULL options: as el_get_alias. */
    ids = NULL;
    CHECK(mock_add_device_json("{\"registration_id\":\"c-plain\",\"alias\":\"c-plain-user\"}") == 0);
    CHECK_STATUS(el_get_alias_with(client, "c-plain-user", NULL, 0, NULL, &ids, &err), EL_OK);
    CHECK(el_id_list_count(ids) == 1 && strcmp(el_id_list_get(ids, 0), "c-plain") == 0);
    el_id_list_free(ids);
}

/* What the FFI README shows: resolve the user's devices, delete each, then
 * resolve again to see that none is left. */
static void test_erase_user(el_client *client) {
    el_id_list *ids = NULL;
    el_error err = EL_ERROR_INIT;
    size_t i;
    seed_user();
    CHECK_STATUS(el_get_alias(client, "c-user", NULL, 0, &ids, &err), EL_OK);
    CHECK(el_id_list_count(ids) == 4);
    for (i = 0; i < el_id_list_count(ids); i++) {
        CHECK_STATUS(el_delete_device(client, el_id_list_get(ids, i), &err), EL_OK);
    }
    el_id_list_free(ids);
    ids = NULL;
    CHECK_STATUS(el_get_alias(client, "c-user", NULL, 0, &ids, &err), EL_OK);
    CHECK(el_id_list_count(ids) == 0);
    el_id_list_free(ids);
    CHECK(mock_has_device("c-x") == 1); /* another user's device stays */
}

/* How many times `needle` occurs in `text`. */
static int occurrences(const char *text, const char *needle) {
    int n = 0;
    for (const char *at = strstr(text, needle); at != NULL; at = strstr(at + 1, needle)) n++;
    return n;
}

/* An erasure whose lookup keeps failing: the lookup's category, described
 * with the run's sentence and the attempts and advice once. */
static void test_erase_lookup_failure(el_client *client) {
    el_error err = EL_ERROR_INIT;
    el_erasure *erasure = NULL;
    cJSON *answers = cJSON_Parse("[{\"status\":503},{\"status\":503},{\"status\":503},{\"status\":503}]");
    CHECK(mock_script_alias("c-down", answers) == 0);
    cJSON_Delete(answers);
    static const char *const aliases[] = {"c-down"};
    CHECK_STATUS(el_erase_users(client, aliases, 1, NULL, &erasure, &err), EL_SERVER);
    char text[1024];
    CHECK(el_error_describe(&err, text, sizeof text) < sizeof text);
    CHECK(strstr(text, "cannot resolve the alias \"c-down\": HTTP 503 with an empty body") != NULL);
    CHECK(occurrences(text, "server error") == 1);
    CHECK(occurrences(text, "after 3 attempts") == 1);
    CHECK(occurrences(text, "retry later") == 1);
    if (occurrences(text, "retry later") != 1) fprintf(stderr, "described: %s\n", text);
    el_erasure_free(erasure);
}

#define THREADS 4
#define CALLS 10

static el_client *shared_client;
static el_id_list *shared_ids;

static void *worker(void *arg) {
    static const char *const two[] = {"c-a", "c-i"};
    static const char *const ios_android[] = {"ios", "android"};
    int i, *bad = (int *)arg;
    for (i = 0; i < CALLS; i++) {
        el_id_list *ids = NULL;
        if (el_get_alias(shared_client, "c-user", ios_android, 2, &ids, NULL) != EL_OK ||
            !holds(ids, two, 2) || !holds(shared_ids, two, 2)) {
            (*bad)++;
        }
        el_id_list_free(ids);
    }
    return NULL;
}

static void test_threads(el_client *client) {
    pthread_t threads[THREADS];
    int bad[THREADS] = {0}, i;
    seed_user();
    shared_client = client;
    static const char *const android_ios[] = {"android", "ios"};
    CHECK_STATUS(el_get_alias(client, "c-user", android_ios, 2, &shared_ids, NULL), EL_OK);
    for (i = 0; i < THREADS; i++) pthread_create(&threads[i], NULL, worker, &bad[i]);
    for (i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        CHECK(bad[i] == 0);
    }
    el_id_list_free(shared_ids);
    CHECK(mock_request_count() == 1 + THREADS * CALLS);
}

int main(void) {
    el_client *client;
    mock_init();
    client = mock_client();
    CHECK(mock_reset() == 0);
    test_null_arguments(client);
    CHECK(mock_reset() == 0);
    test_invalid_input(client);
    CHECK(mock_reset() == 0);
    test_platforms(client);
    CHECK(mock_reset() == 0);
    test_unknown_alias(client);
    CHECK(mock_reset() == 0);
    test_list_outlives_the_client();
    CHECK(mock_reset() == 0);
    test_cancel(client);
    CHECK(mock_reset() == 0);
    test_erase_user(client);
    CHECK(mock_reset() == 0);
    test_erase_lookup_failure(client);
    CHECK(mock_reset() == 0);
    test_threads(client);
    el_client_free(client);
    mock_cleanup();
    if (failures) {
        fprintf(stderr, "alias_test: %d of %d checks failed\n", failures, checks);
        return 1;
    }
    printf("alias_test: %d checks ok\n", checks);
    return 0;
}
