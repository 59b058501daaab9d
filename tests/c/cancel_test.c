/* Cancellation through the C ABI: el_cancel tokens and el_delete_device_with.
 *   - a token cancelled before the call: EL_CANCELLED, nothing sent;
 *   - a token cancelled from another thread while the server is slow:
 *     EL_CANCELLED well before the answer would have come;
 *   - a per-call timeout shorter than the client's: EL_TIMEOUT in time;
 *   - a token made by el_cancel_new_with_check stops a slow call once its
 *     check says so, the check running on the calling thread only, and
 *     an asynchronous call refuses it;
 *   - a per-call timeout of 0 (has_timeout): the core's EL_TIMEOUT, nothing
 *     sent; 0 without has_timeout, or from a record older than it: none;
 *   - NULL options behave as el_delete_device; bad options are named.
 * Needs ENGAGELAB_MOCK_URL (a running engagelab-mock). */
#define _POSIX_C_SOURCE 200809L

#include <engagelab_push.h>

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "credentials.h"
#include "mock.h"
#include "mock_client.h"

/* Scripts a 3 s delay before the mock's answer for `id`. */
static int slow(const char *id) {
    cJSON *answers = cJSON_Parse("[{\"status\":200,\"body\":\"{}\",\"delay_ms\":3000}]");
    int rc = mock_script(id, answers);
    cJSON_Delete(answers);
    return rc;
}

/* The check of el_cancel_new_with_check: counts its calls, notes whether
 * one ran off the calling thread, and says yes from the third call on. */
struct checked {
    pthread_t caller;
    int calls;
    int off_thread;
};

static bool check_third(void *user_data) {
    struct checked *c = user_data;
    if (!pthread_equal(pthread_self(), c->caller)) {
        c->off_thread++;
    }
    return ++c->calls >= 3;
}

/* The completions of calls that must never start. */
static void never_done(void *user_data, el_status status, const el_error *error) {
    (void)user_data, (void)status, (void)error;
    CHECK(!"a refused call completed");
}
static void never_bulk_done(void *user_data, el_status status, const el_bulk_summary *summary,
                            const el_error *error) {
    (void)user_data, (void)status, (void)summary, (void)error;
    CHECK(!"a refused run completed");
}
static void never_check_done(void *user_data, el_status status, el_check_report *report,
                             const el_error *error) {
    (void)user_data, (void)status, (void)report, (void)error;
    CHECK(!"a refused check completed");
}

int main(void) {
    el_config *config = NULL;
    el_client *client = NULL;
    el_cancel *token = NULL;
    el_error err = EL_ERROR_INIT;

    mock_init();
    if (mock_reset() != 0 || el_config_new(EL_TEST_APP_KEY, EL_TEST_MASTER_SECRET, &config, NULL) != EL_OK ||
        el_config_set_base_url(config, mock_url(), NULL) != EL_OK ||
        el_config_set_backoff_ms(config, 1, 20, NULL) != EL_OK ||
        el_client_new(config, &client, &err) != EL_OK) {
        fprintf(stderr, "cancel_test: cannot set up a client\n");
        return 1;
    }
    el_call_options options = EL_CALL_OPTIONS_INIT;
    CHECK(options.size == sizeof options && options.cancel == NULL && options.timeout_ms == 0);

    /* Cancelled before the call: nothing is sent. */
    CHECK(el_cancel_new(&token) == EL_OK);
    CHECK(!el_cancel_is_cancelled(token));
    el_cancel_cancel(token);
    CHECK(el_cancel_is_cancelled(token));
    options.cancel = token;
    CHECK(mock_add_device("cancel-before") == 0);
    CHECK(el_delete_device_with(client, "cancel-before", &options, &err) == EL_CANCELLED);
    CHECK(err.status == EL_CANCELLED && err.attempts == 0 && !err.maybe_deleted);
    CHECK(mock_has_device("cancel-before") == 1);
    el_cancel_free(token);

    /* Cancelled mid-call from another thread, while the server is silent. */
    CHECK(el_cancel_new(&token) == EL_OK);
    options.cancel = token;
    CHECK(slow("cancel-mid") == 0);
    pthread_t thread;
    CHECK(cancel_once_sent(&thread, token) == 0);
    double start = now_ms();
    el_status st = el_delete_device_with(client, "cancel-mid", &options, &err);
    double took = now_ms() - start;
    pthread_join(thread, NULL);
    CHECK(st == EL_CANCELLED);
    CHECK(err.attempts == 1 && err.maybe_deleted);
    CHECK(took < 1500); /* the answer would come after 3000 ms */
    el_cancel_free(token);

    /* A check token: the call runs the check while it waits, on its own
     * thread, and stops once it says yes. */
    struct checked seen = {pthread_self(), 0, 0};
    CHECK(el_cancel_new_with_check(check_third, &seen, &token) == EL_OK);
    options.cancel = token;
    CHECK(slow("cancel-check") == 0);
    start = now_ms();
    st = el_delete_device_with(client, "cancel-check", &options, &err);
    took = now_ms() - start;
    CHECK(st == EL_CANCELLED);
    CHECK(seen.calls >= 3 && seen.off_thread == 0);
    CHECK(took < 1500);
    CHECK(el_cancel_is_cancelled(token));
    el_cancel_free(token);

    /* An asynchronous call refuses a check token, not started: its check
     * would run on the library's threads, after the token may be gone. */
    seen.calls = 0;
    CHECK(el_cancel_new_with_check(check_third, &seen, &token) == EL_OK);
    options.cancel = token;
    CHECK(mock_reset() == 0 && mock_add_device("cancel-async") == 0);
    CHECK(el_delete_device_async(client, "cancel-async", &options, never_done, NULL, &err) ==
          EL_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "el_cancel_new_with_check") != NULL);
    el_bulk_options bulk = EL_BULK_OPTIONS_INIT;
    bulk.cancel = token;
    const char *ids[] = {"cancel-async"};
    CHECK(el_delete_devices_async(client, ids, 1, &bulk, never_bulk_done, NULL, &err) ==
          EL_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "el_cancel_new_with_check") != NULL);
    el_check_options probe = EL_CHECK_OPTIONS_INIT;
    probe.cancel = token;
    CHECK(el_check_async(client, &probe, never_check_done, NULL, &err) == EL_INVALID_ARGUMENT);
    el_cancel_free(token);
    CHECK(seen.calls == 0 && mock_request_count() == 0 && mock_has_device("cancel-async") == 1);
    CHECK(el_cancel_new_with_check(NULL, NULL, &token) == EL_INVALID_ARGUMENT);
    CHECK(el_cancel_new_with_check(check_third, &seen, NULL) == EL_INVALID_ARGUMENT);

    /* A per-call deadline shorter than the client's 30 s. */
    options.cancel = NULL;
    options.timeout_ms = 300;
    CHECK(slow("deadline") == 0);
    start = now_ms();
    st = el_delete_device_with(client, "deadline", &options, &err);
    took = now_ms() - start;
    CHECK(st == EL_TIMEOUT);
    CHECK(took < 2000);

    /* A per-call timeout of 0, given as such: the core's EL_TIMEOUT, with
     * no attempt and nothing sent. */
    CHECK(mock_reset() == 0 && mock_add_device("zero") == 0);
    options.timeout_ms = 0;
    options.has_timeout = true;
    CHECK(el_delete_device_with(client, "zero", &options, &err) == EL_TIMEOUT);
    CHECK(err.attempts == 0 && !err.maybe_deleted);
    CHECK(mock_has_device("zero") == 1);
    /* 0 without has_timeout, or in a record that ends before has_timeout
     * (a caller built against an older header): no per-call timeout. */
    el_call_options old = options;
    old.size = offsetof(el_call_options, has_timeout);
    CHECK(el_delete_device_with(client, "zero", &old, &err) == EL_OK);
    CHECK(mock_add_device("zero") == 0);
    options.has_timeout = false;
    CHECK(el_delete_device_with(client, "zero", &options, &err) == EL_OK);

    /* A bulk run given a token is not a single call: once cancelled it sends
     * nothing more, but it returns only when its requests in flight end (at
     * most EL_CANCEL_GRACE_MS later), EL_OK with `interrupted`, and those
     * requests still delete their devices. el_cancel and el_cancel_cancel
     * promised "every call given it stops within about 20 ms with
     * EL_CANCELLED"; this is what they now say. */
    {
        const char *bulk_ids[] = {"grace-1", "grace-2"};
        cJSON *answers = cJSON_Parse("[{\"status\":200,\"body\":\"{}\",\"delay_ms\":1500}]");
        el_bulk_options bulk = EL_BULK_OPTIONS_INIT;
        el_bulk_summary summary = EL_BULK_SUMMARY_INIT;
        CHECK(mock_reset() == 0);
        CHECK(mock_script("grace-1", answers) == 0 && mock_script("grace-2", answers) == 0);
        cJSON_Delete(answers);
        CHECK(el_cancel_new(&token) == EL_OK);
        bulk.cancel = token;
        CHECK(cancel_once_sent(&thread, token) == 0);
        start = now_ms();
        st = el_delete_devices(client, bulk_ids, 2, &bulk, &summary, &err);
        took = now_ms() - start;
        pthread_join(thread, NULL);
        CHECK(st == EL_OK); /* not EL_CANCELLED */
        CHECK(summary.interrupted);
        CHECK(summary.deleted >= 1); /* a request in flight deleted its device */
        /* It waited for the answer in flight (1500 ms), not 20 ms, and no
         * longer than the grace. */
        CHECK(took >= 1000);
        CHECK(took < 1500 + EL_CANCEL_GRACE_MS);
        el_cancel_free(token);
    }

    /* NULL options: as el_delete_device. Options without a size: named. */
    CHECK(mock_add_device("plain") == 0);
    CHECK(el_delete_device_with(client, "plain", NULL, &err) == EL_OK);
    el_call_options unsized;
    memset(&unsized, 0, sizeof unsized);
    CHECK(el_delete_device_with(client, "plain", &unsized, &err) == EL_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "EL_CALL_OPTIONS_INIT") != NULL);
    el_cancel_cancel(NULL);
    el_cancel_free(NULL);
    CHECK(!el_cancel_is_cancelled(NULL));
    CHECK(el_cancel_new(NULL) == EL_INVALID_ARGUMENT);

    el_client_free(client);
    el_config_free(config);
    mock_cleanup();
    if (failures) {
        fprintf(stderr, "cancel_test: %d failed\n", failures);
        return 1;
    }
    printf("cancel_test: ok\n");
    return 0;
}
