/* C-specific tests of el_get_device and el_device (the shared scenarios in
 * tests/contract/scenarios/get_device.json cover what every language shares):
 *   - NULL arguments and an id that is not UTF-8 are named, nothing is sent;
 *   - outputs are written only on success (out_device, out_error);
 *   - the accessors: counts, NULL past the end and for no alias, strings that
 *     stay valid after the client is freed;
 *   - el_get_device_with: a cancelled token sends nothing, a cancel from
 *     another thread stops a silent server, maybe_deleted stays false;
 *   - threads sharing one client and reading one device.
 * Needs ENGAGELAB_MOCK_URL (a running engagelab-mock). */
#define _POSIX_C_SOURCE 200809L

#include <engagelab_push.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "mock.h"
#include "mock_client.h"

static void test_null_arguments(el_client *client) {
    el_error err = EL_ERROR_INIT;
    el_device *device = (el_device *)&err; /* a pointer no call would write */
    CHECK(el_get_device(NULL, "id", &device, &err) == EL_INVALID_ARGUMENT);
    CHECK(strcmp(err.message, "client is NULL") == 0);
    CHECK(el_get_device(client, NULL, &device, &err) == EL_INVALID_ARGUMENT);
    CHECK(strcmp(err.message, "registration_id is NULL") == 0);
    CHECK(el_get_device(client, "id", NULL, &err) == EL_INVALID_ARGUMENT);
    CHECK(strcmp(err.message, "out_device is NULL") == 0);
    CHECK(el_get_device(client, "bad\xff", &device, &err) == EL_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "not valid UTF-8") != NULL);
    CHECK(el_get_device(client, "id", &device, NULL) == EL_NOT_FOUND); /* unknown id, no record */
    CHECK(device == (el_device *)&err);
    CHECK(mock_request_count() == 1);
    CHECK(el_device_tag_count(NULL) == 0);
    CHECK(el_device_tag(NULL, 0) == NULL);
    CHECK(el_device_alias(NULL) == NULL);
    CHECK(el_device_raw_json(NULL) == NULL);
    CHECK(el_device_registration_id(NULL) == NULL);
    el_device_free(NULL);
}

static void test_accessors_outlive_the_client(void) {
    el_client *client = mock_client();
    el_device *device = NULL;
    el_error err = EL_ERROR_INIT;
    CHECK(mock_add_device_json("{\"registration_id\":\"c-dev\",\"tags\":[\"vip\",\"\"],\"alias\":\"\"}") == 0);
    CHECK(el_get_device(client, "c-dev", &device, &err) == EL_OK);
    el_client_free(client);
    if (device == NULL) {
        failures++;
        return;
    }
    CHECK(el_device_tag_count(device) == 2);
    CHECK(strcmp(el_device_tag(device, 0), "vip") == 0);
    CHECK(strcmp(el_device_tag(device, 1), "") == 0);
    CHECK(el_device_tag(device, 2) == NULL);
    CHECK(el_device_tag(device, (size_t)-1) == NULL);
    /* An empty alias is "", not NULL. */
    CHECK(el_device_alias(device) != NULL && el_device_alias(device)[0] == '\0');
    CHECK(strcmp(el_device_registration_id(device), "c-dev") == 0);
    CHECK(strcmp(el_device_raw_json(device), "{\"tags\":[\"vip\",\"\"],\"alias\":\"\"}") == 0);
    CHECK(mock_has_device("c-dev") == 1);
    el_device_free(device);
}

static void test_cancel(el_client *client) {
    el_call_options options = EL_CALL_OPTIONS_INIT;
    el_error err = EL_ERROR_INIT;
    el_device *device = NULL;
    el_cancel *token = NULL;
    pthread_t thread;
    cJSON *answers;
    double start, took;

    /* Cancelled before the call: nothing is sent. */
    CHECK(el_cancel_new(&token) == EL_OK);
    el_cancel_cancel(token);
    options.cancel = token;
    CHECK(el_get_device_with(client, "cancel-before", &options, &device, &err) == EL_CANCELLED);
    CHECK(err.attempts == 0 && !err.maybe_deleted && device == NULL);
    CHECK(mock_request_count() == 0);
    el_cancel_free(token);

    /* Cancelled mid-call: a GET never deletes, so maybe_deleted is false. */
    CHECK(el_cancel_new(&token) == EL_OK);
    options.cancel = token;
    answers = cJSON_Parse("[{\"status\":200,\"body\":\"{}\",\"delay_ms\":5000}]");
    CHECK(mock_script("cancel-mid", answers) == 0);
    cJSON_Delete(answers);
    CHECK(cancel_once_sent(&thread, token) == 0);
    start = now_ms();
    CHECK(el_get_device_with(client, "cancel-mid", &options, &device, &err) == EL_CANCELLED);
    took = now_ms() - start;
    pthread_join(thread, NULL);
    CHECK(err.attempts == 1 && !err.maybe_deleted && device == NULL);
    CHECK(took < 3000); /* the answer would come after 5000 ms; valgrind is slow */
    el_cancel_free(token);

    /* NULL options: as el_get_device. */
    CHECK(mock_add_device("plain") == 0);
    CHECK(el_get_device_with(client, "plain", NULL, &device, &err) == EL_OK);
    CHECK(device != NULL && el_device_tag_count(device) == 0 && el_device_alias(device) == NULL);
    el_device_free(device);
}

#define THREADS 4
#define CALLS 25

static el_client *shared_client;
static el_device *shared_device;

static void *worker(void *arg) {
    int i, *bad = (int *)arg;
    for (i = 0; i < CALLS; i++) {
        el_device *device = NULL;
        if (el_get_device(shared_client, "threaded", &device, NULL) != EL_OK ||
            el_device_tag_count(device) != 1 || strcmp(el_device_tag(device, 0), "t") != 0 ||
            strcmp(el_device_tag(shared_device, 0), "t") != 0) {
            (*bad)++;
        }
        el_device_free(device);
    }
    return NULL;
}

static void test_threads(el_client *client) {
    pthread_t threads[THREADS];
    int bad[THREADS] = {0}, i;
    CHECK(mock_add_device_json("{\"registration_id\":\"threaded\",\"tags\":[\"t\"]}") == 0);
    shared_client = client;
    CHECK(el_get_device(client, "threaded", &shared_device, NULL) == EL_OK);
    for (i = 0; i < THREADS; i++) pthread_create(&threads[i], NULL, worker, &bad[i]);
    for (i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        CHECK(bad[i] == 0);
    }
    el_device_free(shared_device);
    CHECK(mock_request_count() == 1 + THREADS * CALLS);
}

int main(void) {
    el_client *client;
    mock_init();
    client = mock_client();
    CHECK(mock_reset() == 0);
    test_null_arguments(client);
    CHECK(mock_reset() == 0);
    test_accessors_outlive_the_client();
    CHECK(mock_reset() == 0);
    test_cancel(client);
    CHECK(mock_reset() == 0);
    test_threads(client);
    el_client_free(client);
    mock_cleanup();
    if (failures) {
        fprintf(stderr, "device_test: %d of %d checks failed\n", failures, checks);
        return 1;
    }
    printf("device_test: %d checks ok\n", checks);
    return 0;
}
