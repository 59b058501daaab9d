/* The long asynchronous calls of the C ABI: el_delete_devices_async,
 * el_delete_devices_from_file_async, el_erase_users_async and
 * el_check_async.
 *   - each returns at once (a run on a 500 ms answer returns in < 100 ms)
 *     and completes once, off the caller's thread, with what the blocking
 *     call would have given: status, summary or erasure or report, error;
 *   - the run's callbacks (confirm, progress, resolved) and then done run
 *     on one thread, the run's own;
 *   - a refused run (the guard, a missing file) reaches done with its
 *     el_bulk_error, nothing sent; a call that could not start (NULL done,
 *     NULL client, a NULL id, an unset options size) fails at once and
 *     never calls back;
 *   - a run cancelled mid-way says interrupted; the client may be freed
 *     while a run is in flight.
 * Needs ENGAGELAB_MOCK_URL (a running engagelab-mock). */
#define _POSIX_C_SOURCE 200809L

#include <engagelab_push.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "mock.h"
#include "mock_client.h"

/* What the callbacks saw, under one lock. */
struct seen {
    int done;
    el_status status;
    bool error_matches;  /* error NULL exactly on EL_OK, with the same status */
    char message[EL_ERROR_MESSAGE_LEN];
    el_bulk_summary summary;
    size_t summary_size; /* the size the library set */
    int users;
    bool success;
    bool report_ok;
    bool credentials_accepted;
    int confirms;
    int progresses;
    int resolved;
    bool callbacks_on_done_thread; /* every callback ran on done's thread */
    bool off_main;                 /* done ran off the main thread */
    pthread_t run_thread;
    bool have_run_thread;
};

static struct seen seen;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t main_thread;

static void reset_seen(void) {
    pthread_mutex_lock(&lock);
    memset(&seen, 0, sizeof seen);
    seen.callbacks_on_done_thread = true;
    pthread_mutex_unlock(&lock);
}

/* Notes that a callback ran on this thread: all of one run's must share it. */
static void on_run_thread(void) {
    pthread_t self = pthread_self();
    if (!seen.have_run_thread) {
        seen.run_thread = self;
        seen.have_run_thread = true;
    } else if (!pthread_equal(seen.run_thread, self)) {
        seen.callbacks_on_done_thread = false;
    }
}

static void note(el_status status, const el_error *error) {
    on_run_thread();
    seen.done++;
    seen.status = status;
    seen.off_main = !pthread_equal(pthread_self(), main_thread);
    seen.error_matches = (status == EL_OK) == (error == NULL) &&
                         (error == NULL || error->status == (uint32_t)status);
    if (error != NULL) {
        snprintf(seen.message, sizeof seen.message, "%s", error->message);
    }
}

static void on_bulk_done(void *user_data, el_status status, const el_bulk_summary *summary,
                         const el_error *error) {
    CHECK(user_data == (void *)&seen);
    pthread_mutex_lock(&lock);
    note(status, error);
    if (summary != NULL) {
        seen.summary = *summary;
        seen.summary_size = summary->size;
    }
    pthread_mutex_unlock(&lock);
}

static void on_erasure_done(void *user_data, el_status status, el_erasure *erasure,
                            const el_error *error) {
    (void)user_data;
    pthread_mutex_lock(&lock);
    note(status, error);
    if (erasure != NULL) {
        seen.users = (int)el_erasure_user_count(erasure);
        seen.success = el_erasure_is_success(erasure);
        seen.summary.size = sizeof seen.summary;
        CHECK_STATUS(el_erasure_summary(erasure, &seen.summary), EL_OK);
        el_erasure_free(erasure);
    }
    pthread_mutex_unlock(&lock);
}

static void on_check_done(void *user_data, el_status status, el_check_report *report,
                          const el_error *error) {
    (void)user_data;
    pthread_mutex_lock(&lock);
    note(status, error);
    seen.report_ok = (status == EL_OK) == (report != NULL);
    if (report != NULL) {
        el_check_summary summary = EL_CHECK_SUMMARY_INIT;
        CHECK_STATUS(el_check_report_summary(report, &summary), EL_OK);
        seen.credentials_accepted = summary.credentials_accepted;
        el_check_report_free(report);
    }
    pthread_mutex_unlock(&lock);
}

static bool confirm(void *user_data, const el_bulk_plan *plan) {
    (void)user_data;
    pthread_mutex_lock(&lock);
    on_run_thread();
    seen.confirms++;
    CHECK(plan->ids == 2);
    pthread_mutex_unlock(&lock);
    return true;
}

static void progress(void *user_data, const el_bulk_progress *p) {
    (void)user_data;
    (void)p;
    pthread_mutex_lock(&lock);
    on_run_thread();
    seen.progresses++;
    pthread_mutex_unlock(&lock);
}

static void resolved(void *user_data, const char *alias, const el_id_list *ids) {
    (void)user_data;
    (void)ids;
    pthread_mutex_lock(&lock);
    on_run_thread();
    seen.resolved += strcmp(alias, "runs-user") == 0;
    pthread_mutex_unlock(&lock);
}

/* Waits until `n` completions, at most `ms`; returns how many there were. */
static int wait_done(int n, long ms) {
    double until = now_ms() + (double)ms;
    pthread_mutex_lock(&lock);
    while (seen.done < n && now_ms() < until) {
        pthread_mutex_unlock(&lock);
        sleep_ms(2);
        pthread_mutex_lock(&lock);
    }
    int done = seen.done;
    pthread_mutex_unlock(&lock);
    return done;
}

static void delete_devices(el_client *client) {
    el_error err = EL_ERROR_INIT;
    CHECK(mock_add_device("runs-1") == 0);
    const char *ids[] = {"runs-1", "runs-missing", "bad id"};
    el_bulk_options options = EL_BULK_OPTIONS_INIT;
    options.confirm = confirm;
    options.on_progress = progress;
    reset_seen();
    CHECK_STATUS(el_delete_devices_async(client, ids, 3, &options, on_bulk_done, &seen, &err), EL_OK);
    CHECK(wait_done(1, 10000) == 1);
    CHECK_STATUS(seen.status, EL_OK);
    CHECK(seen.error_matches && seen.off_main && seen.callbacks_on_done_thread);
    CHECK(seen.confirms == 1 && seen.progresses >= 1);
    CHECK(seen.summary_size == sizeof(el_bulk_summary));
    CHECK(seen.summary.error == EL_BULK_OK && seen.summary.deleted == 1 &&
          seen.summary.not_found == 1 && seen.summary.invalid == 1);
    CHECK(mock_has_device("runs-1") == 0);

    /* The guard refuses the run: done says why, nothing sent. */
    int before = mock_request_count();
    options = (el_bulk_options)EL_BULK_OPTIONS_INIT;
    options.max_deletions = 1;
    const char *two[] = {"runs-a", "runs-b"};
    reset_seen();
    CHECK_STATUS(el_delete_devices_async(client, two, 2, &options, on_bulk_done, &seen, &err), EL_OK);
    CHECK(wait_done(1, 10000) == 1);
    CHECK_STATUS(seen.status, EL_INVALID_ARGUMENT);
    CHECK(seen.error_matches && seen.summary.error == EL_BULK_GUARD);
    CHECK(mock_request_count() == before);
}

static void from_file(el_client *client) {
    el_error err = EL_ERROR_INIT;
    char path[] = "/tmp/el-async-runs-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    const char text[] = "runs-f1\n# a comment\nruns-f2\n";
    CHECK(write(fd, text, sizeof text - 1) == (ssize_t)(sizeof text - 1));
    close(fd);
    CHECK(mock_add_device("runs-f1") == 0);
    CHECK(mock_add_device("runs-f2") == 0);
    reset_seen();
    CHECK_STATUS(el_delete_devices_from_file_async(client, path, NULL, on_bulk_done, &seen, &err), EL_OK);
    CHECK(wait_done(1, 10000) == 1);
    CHECK_STATUS(seen.status, EL_OK);
    CHECK(seen.summary.deleted == 2 && seen.summary.entries == 2);
    unlink(path);

    /* A file that is not there: the run's own refusal, on its thread. */
    reset_seen();
    CHECK_STATUS(el_delete_devices_from_file_async(client, path, NULL, on_bulk_done, &seen, &err), EL_OK);
    CHECK(wait_done(1, 10000) == 1);
    CHECK_STATUS(seen.status, EL_INVALID_ARGUMENT);
    CHECK(seen.summary.error == EL_BULK_IO && seen.off_main);
    CHECK_CONTAINS(seen.message, path);
}

static void erase_users(el_client *client) {
    el_error err = EL_ERROR_INIT;
    CHECK(mock_add_device_json("{\"registration_id\":\"runs-e1\",\"alias\":\"runs-user\"}") == 0);
    CHECK(mock_add_device_json("{\"registration_id\":\"runs-e2\",\"alias\":\"runs-user\"}") == 0);
    const char *aliases[] = {"runs-user"};
    el_bulk_options options = EL_BULK_OPTIONS_INIT;
    options.on_resolved = resolved;
    reset_seen();
    CHECK_STATUS(el_erase_users_async(client, aliases, 1, &options, on_erasure_done, NULL, &err), EL_OK);
    CHECK(wait_done(1, 10000) == 1);
    CHECK_STATUS(seen.status, EL_OK);
    CHECK(seen.error_matches && seen.off_main && seen.callbacks_on_done_thread);
    CHECK(seen.resolved == 1 && seen.users == 1 && seen.success && seen.summary.deleted == 2);
    CHECK(mock_has_device("runs-e1") == 0 && mock_has_device("runs-e2") == 0);

    const char *bad[] = {"runs-user", NULL};
    CHECK_STATUS(el_erase_users_async(client, bad, 2, NULL, on_erasure_done, NULL, &err), EL_INVALID_ARGUMENT);
    CHECK_CONTAINS(err.message, "aliases[1] is NULL");
}

static void check(el_client *client) {
    el_error err = EL_ERROR_INIT;
    reset_seen();
    CHECK_STATUS(el_check_async(client, NULL, on_check_done, NULL, &err), EL_OK);
    CHECK(wait_done(1, 10000) == 1);
    CHECK_STATUS(seen.status, EL_OK);
    CHECK(seen.error_matches && seen.off_main && seen.report_ok && seen.credentials_accepted);

    /* A bad device reaches done; nothing is sent. */
    int before = mock_request_count();
    el_check_options options = EL_CHECK_OPTIONS_INIT;
    options.device = "a b";
    reset_seen();
    CHECK_STATUS(el_check_async(client, &options, on_check_done, NULL, &err), EL_OK);
    CHECK(wait_done(1, 10000) == 1);
    CHECK_STATUS(seen.status, EL_INVALID_ARGUMENT);
    CHECK(seen.error_matches && seen.report_ok);
    CHECK(mock_request_count() == before);
}

static void not_started(el_client *client) {
    el_error err = EL_ERROR_INIT;
    const char *ids[] = {"runs-x"};
    reset_seen();
    CHECK_STATUS(el_delete_devices_async(client, ids, 1, NULL, NULL, NULL, &err), EL_INVALID_ARGUMENT);
    CHECK_CONTAINS(err.message, "done is NULL");
    CHECK_STATUS(el_delete_devices_async(NULL, ids, 1, NULL, on_bulk_done, &seen, &err), EL_INVALID_ARGUMENT);
    CHECK_CONTAINS(err.message, "client is NULL");
    CHECK_STATUS(el_delete_devices_async(client, NULL, 2, NULL, on_bulk_done, &seen, &err), EL_INVALID_ARGUMENT);
    el_bulk_options unsized = EL_BULK_OPTIONS_INIT;
    unsized.size = 0;
    CHECK_STATUS(el_delete_devices_async(client, ids, 1, &unsized, on_bulk_done, &seen, &err),
                 EL_INVALID_ARGUMENT);
    CHECK_CONTAINS(err.message, "EL_BULK_OPTIONS_INIT");
    CHECK_STATUS(el_delete_devices_from_file_async(client, NULL, NULL, on_bulk_done, &seen, &err),
                 EL_INVALID_ARGUMENT);
    CHECK_CONTAINS(err.message, "path is NULL");
    CHECK_STATUS(el_check_async(client, NULL, NULL, NULL, &err), EL_INVALID_ARGUMENT);
    CHECK_STATUS(el_erase_users_async(client, NULL, 0, NULL, NULL, NULL, &err), EL_INVALID_ARGUMENT);
    sleep_ms(50);
    CHECK(seen.done == 0);
}

/* A run on slow answers returns at once; a cancel ends it (interrupted);
 * the client is freed while it runs. */
static void cancel_and_free(void) {
    el_client *client = mock_client();
    el_error err = EL_ERROR_INIT;
    cJSON *slow = cJSON_Parse("[{\"status\":200,\"body\":\"{}\",\"delay_ms\":500}]");
    const char *ids[] = {"runs-s0", "runs-s1", "runs-s2", "runs-s3"};
    for (int i = 0; i < 4; i++) {
        CHECK(mock_add_device(ids[i]) == 0);
        CHECK(mock_script(ids[i], slow) == 0);
    }
    cJSON_Delete(slow);
    el_cancel *token = NULL;
    CHECK(el_cancel_new(&token) == EL_OK);
    el_bulk_options options = EL_BULK_OPTIONS_INIT;
    options.concurrency = 1;
    options.cancel = token;
    reset_seen();
    double started = now_ms();
    CHECK_STATUS(el_delete_devices_async(client, ids, 4, &options, on_bulk_done, &seen, &err), EL_OK);
    /* A call that waited for its run would return after 2 s (four answers
     * of 500 ms, one at a time); the bound leaves a loaded machine room. */
    CHECK(now_ms() - started < 1000);
    el_client_free(client);
    sleep_ms(200);
    CHECK(seen.done == 0);
    el_cancel_cancel(token);
    el_cancel_free(token);
    CHECK(wait_done(1, 5000) == 1);
    CHECK_STATUS(seen.status, EL_OK);
    CHECK(seen.summary.interrupted && seen.summary.deleted < 4);
}

int main(void) {
    main_thread = pthread_self();
    mock_init();
    CHECK(mock_reset() == 0);
    el_client *client = mock_client();
    not_started(client);
    delete_devices(client);
    from_file(client);
    erase_users(client);
    check(client);
    el_client_free(client);
    cancel_and_free();
    mock_cleanup();
    printf("async_runs_test: %d checks, %d failed\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
