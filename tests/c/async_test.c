/* The asynchronous calls of the C ABI: el_delete_device_async,
 * el_get_device_async and el_get_alias_async.
 *   - each completes once, on a thread that is not the caller's, with the
 *     sync call's status and error record; results belong to the callback;
 *   - a call that could not start (NULL done, NULL client) fails at once and
 *     never calls back; a bad id reaches the callback;
 *   - 200 calls in flight on slow answers use at most EL_ASYNC_THREADS + 1
 *     threads, and all complete;
 *   - a call waiting behind EL_ASYNC_THREADS slow ones ends within 100 ms of
 *     its cancel, and at its per-call timeout, nothing sent;
 *   - freeing the client with calls pending is allowed: they complete, and
 *     the library's threads end after the last one.
 * Needs ENGAGELAB_MOCK_URL (a running engagelab-mock). */
#define _POSIX_C_SOURCE 200809L

#include <engagelab_push.h>

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mock.h"
#include "mock_client.h"

/* The completions seen so far, under one lock. */
struct seen {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int done;
    int off_thread;
    int ok;
    int per_status[32];
    double last_ms;
    char last_message[EL_ERROR_MESSAGE_LEN];
    uint32_t last_attempts;
    bool last_maybe_deleted;
    size_t last_count;
    char last_tag[64];
};

static struct seen seen = {.lock = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER};
static pthread_t main_thread;

static void reset_seen(void) {
    pthread_mutex_lock(&seen.lock);
    seen.done = seen.off_thread = seen.ok = 0;
    memset(seen.per_status, 0, sizeof seen.per_status);
    seen.last_message[0] = '\0';
    seen.last_tag[0] = '\0';
    seen.last_count = 0;
    pthread_mutex_unlock(&seen.lock);
}

/* Notes one completion; `error` must be NULL exactly when `status` is EL_OK. */
static void note(el_status status, const el_error *error) {
    pthread_mutex_lock(&seen.lock);
    seen.done++;
    if (!pthread_equal(pthread_self(), main_thread)) {
        seen.off_thread++;
    }
    if ((status == EL_OK) == (error == NULL)) {
        seen.ok++;
    }
    if ((unsigned)status < 32) {
        seen.per_status[status]++;
    }
    seen.last_ms = now_ms();
    if (error != NULL) {
        snprintf(seen.last_message, sizeof seen.last_message, "%s", error->message);
        seen.last_attempts = error->attempts;
        seen.last_maybe_deleted = error->maybe_deleted;
        if (error->status != (uint32_t)status) {
            seen.ok--;
        }
    }
    pthread_cond_broadcast(&seen.changed);
    pthread_mutex_unlock(&seen.lock);
}

static void on_delete(void *user_data, el_status status, const el_error *error) {
    (void)user_data;
    note(status, error);
}

static void on_device(void *user_data, el_status status, el_device *device, const el_error *error) {
    (void)user_data;
    if (device != NULL) {
        pthread_mutex_lock(&seen.lock);
        seen.last_count = el_device_tag_count(device);
        if (seen.last_count > 0) {
            snprintf(seen.last_tag, sizeof seen.last_tag, "%s", el_device_tag(device, 0));
        }
        pthread_mutex_unlock(&seen.lock);
        el_device_free(device);
    }
    note(device != NULL || status != EL_OK ? status : EL_INTERNAL, error);
}

static void on_alias(void *user_data, el_status status, el_id_list *ids, const el_error *error) {
    (void)user_data;
    if (ids != NULL) {
        pthread_mutex_lock(&seen.lock);
        seen.last_count = el_id_list_count(ids);
        pthread_mutex_unlock(&seen.lock);
        el_id_list_free(ids);
    }
    note(status, error);
}

/* Waits until `n` calls completed, at most `ms`; returns how many did. */
static int wait_done(int n, long ms) {
    double until = now_ms() + (double)ms;
    pthread_mutex_lock(&seen.lock);
    while (seen.done < n && now_ms() < until) {
        pthread_mutex_unlock(&seen.lock);
        sleep_ms(2);
        pthread_mutex_lock(&seen.lock);
    }
    int done = seen.done;
    pthread_mutex_unlock(&seen.lock);
    return done;
}

/* The number of threads of this process. */
static int thread_count(void) {
    DIR *dir = opendir("/proc/self/task");
    int n = 0;
    if (dir == NULL) {
        return -1;
    }
    for (struct dirent *e = readdir(dir); e != NULL; e = readdir(dir)) {
        if (e->d_name[0] != '.') {
            n++;
        }
    }
    closedir(dir);
    return n;
}

/* Scripts `count` devices slow-PREFIX-N whose delete is answered after `ms`. */
static void script_slow(const char *prefix, int count, int ms) {
    char json[96];
    snprintf(json, sizeof json, "[{\"status\":200,\"body\":\"{}\",\"delay_ms\":%d}]", ms);
    cJSON *answers = cJSON_Parse(json);
    for (int i = 0; i < count; i++) {
        char id[64];
        snprintf(id, sizeof id, "%s-%d", prefix, i);
        CHECK(mock_add_device(id) == 0);
        CHECK(mock_script(id, answers) == 0);
    }
    cJSON_Delete(answers);
}

/* Starts deletes of slow-PREFIX-0..count-1. */
static void start_slow(el_client *client, const char *prefix, int count) {
    for (int i = 0; i < count; i++) {
        char id[64];
        snprintf(id, sizeof id, "%s-%d", prefix, i);
        CHECK_STATUS(el_delete_device_async(client, id, NULL, on_delete, NULL, NULL), EL_OK);
    }
}

int main(void) {
    main_thread = pthread_self();
    mock_init();
    CHECK(mock_reset() == 0);
    int threads_at_start = thread_count();
    el_client *client = mock_client();
    el_error err = EL_ERROR_INIT;

    /* Each call completes once, off this thread, as the sync call would. */
    CHECK(mock_add_device("async-1") == 0);
    CHECK(mock_add_device_json("{\"registration_id\":\"async-2\",\"tags\":[\"vip\"],\"alias\":\"async-user\"}") == 0);
    reset_seen();
    CHECK_STATUS(el_delete_device_async(client, "async-1", NULL, on_delete, NULL, &err), EL_OK);
    CHECK_STATUS(el_delete_device_async(client, "async-missing", NULL, on_delete, NULL, &err), EL_OK);
    CHECK_STATUS(el_delete_device_async(client, "bad id", NULL, on_delete, NULL, &err), EL_OK);
    CHECK(wait_done(3, 10000) == 3);
    CHECK(seen.off_thread == 3 && seen.ok == 3);
    CHECK(seen.per_status[EL_OK] == 1 && seen.per_status[EL_NOT_FOUND] == 1 &&
          seen.per_status[EL_INVALID_ARGUMENT] == 1);
    CHECK(mock_has_device("async-1") == 0);

    reset_seen();
    CHECK_STATUS(el_get_device_async(client, "async-2", NULL, on_device, NULL, &err), EL_OK);
    CHECK(wait_done(1, 10000) == 1);
    CHECK(seen.per_status[EL_OK] == 1 && seen.last_count == 1 && strcmp(seen.last_tag, "vip") == 0);

    reset_seen();
    const char *ios[] = {"ios"};
    CHECK_STATUS(el_get_alias_async(client, "async-user", NULL, 0, NULL, on_alias, NULL, &err), EL_OK);
    CHECK(wait_done(1, 10000) == 1);
    CHECK(seen.per_status[EL_OK] == 1 && seen.last_count == 1);
    const char *bad_platforms[] = {"ios", NULL};
    CHECK_STATUS(el_get_alias_async(client, "async-user", bad_platforms, 2, NULL, on_alias, NULL, &err),
                 EL_INVALID_ARGUMENT);
    CHECK_CONTAINS(err.message, "platforms[1] is NULL");
    CHECK_STATUS(el_get_alias_async(client, "async-user", ios, 1, NULL, on_alias, NULL, &err), EL_OK);
    CHECK(wait_done(2, 10000) == 2);

    /* Not started: an error at once, and never a call back. */
    reset_seen();
    CHECK_STATUS(el_delete_device_async(client, "async-2", NULL, NULL, NULL, &err), EL_INVALID_ARGUMENT);
    CHECK_CONTAINS(err.message, "done is NULL");
    CHECK_STATUS(el_delete_device_async(NULL, "async-2", NULL, on_delete, NULL, &err), EL_INVALID_ARGUMENT);
    CHECK_STATUS(el_get_device_async(client, NULL, NULL, on_device, NULL, &err), EL_INVALID_ARGUMENT);
    CHECK_CONTAINS(err.message, "registration_id is NULL");
    el_call_options unsized = EL_CALL_OPTIONS_INIT;
    unsized.size = 0;
    CHECK_STATUS(el_delete_device_async(client, "async-2", &unsized, on_delete, NULL, &err),
                 EL_INVALID_ARGUMENT);
    CHECK(mock_has_device("async-2") == 1);

    /* 200 calls in flight: all complete, on at most EL_ASYNC_THREADS + 1
     * threads of the library. */
    reset_seen();
    script_slow("many", 200, 100);
    start_slow(client, "many", 200);
    int most = 0;
    while (wait_done(200, 5) < 200) {
        int n = thread_count();
        most = n > most ? n : most;
    }
    CHECK(seen.per_status[EL_OK] == 200 && seen.off_thread == 200);
    CHECK(most - threads_at_start <= EL_ASYNC_THREADS + 1);
    if (most - threads_at_start > EL_ASYNC_THREADS + 1) {
        fprintf(stderr, "async_test: %d threads at most, %d at the start\n", most, threads_at_start);
    }

    /* Behind EL_ASYNC_THREADS slow calls, a waiting call ends at its cancel
     * and at its per-call timeout, nothing sent. */
    reset_seen();
    script_slow("busy", EL_ASYNC_THREADS, 1500);
    CHECK(mock_add_device("async-waiting") == 0);
    int before = mock_request_count();
    start_slow(client, "busy", EL_ASYNC_THREADS);
    el_cancel *token = NULL;
    CHECK(el_cancel_new(&token) == EL_OK);
    el_call_options options = EL_CALL_OPTIONS_INIT;
    options.cancel = token;
    CHECK_STATUS(el_delete_device_async(client, "async-waiting", &options, on_delete, NULL, &err), EL_OK);
    el_cancel_free(token); /* the call keeps the token; cancelling still reaches it */
    CHECK(el_cancel_new(&token) == EL_OK);
    options.cancel = token;
    CHECK_STATUS(el_delete_device_async(client, "async-waiting", &options, on_delete, NULL, &err), EL_OK);
    double cancelled_at = now_ms();
    el_cancel_cancel(token);
    CHECK(wait_done(1, 1000) == 1);
    CHECK(seen.per_status[EL_CANCELLED] == 1 && seen.last_attempts == 0 && !seen.last_maybe_deleted);
    /* Had it waited for a thread, it would end when the busy calls do, after
     * 1500 ms: the bounds leave a loaded machine (and valgrind) room. */
    CHECK(seen.last_ms - cancelled_at < 750);
    el_cancel_free(token);

    options = (el_call_options)EL_CALL_OPTIONS_INIT;
    options.timeout_ms = 300;
    options.has_timeout = true;
    double started = now_ms();
    CHECK_STATUS(el_delete_device_async(client, "async-waiting", &options, on_delete, NULL, &err), EL_OK);
    CHECK(wait_done(2, 1200) == 2);
    CHECK(seen.per_status[EL_TIMEOUT] == 1 && seen.last_attempts == 0);
    CHECK(seen.last_ms - started >= 290 && seen.last_ms - started < 1000);
    CHECK(wait_done(EL_ASYNC_THREADS + 3, 10000) == EL_ASYNC_THREADS + 3);
    /* The first waiting call, never cancelled, deleted the device. */
    CHECK(seen.per_status[EL_OK] == EL_ASYNC_THREADS + 1);
    CHECK(mock_has_device("async-waiting") == 0);
    CHECK(mock_request_count() - before == EL_ASYNC_THREADS + 1);

    /* Freed with calls pending: they complete; then the threads end. */
    reset_seen();
    script_slow("orphan", 8, 200);
    start_slow(client, "orphan", 8);
    el_client_free(client);
    CHECK(wait_done(8, 10000) == 8);
    CHECK(seen.per_status[EL_OK] == 8);
    double until = now_ms() + 5000;
    while (thread_count() > threads_at_start && now_ms() < until) {
        sleep_ms(5);
    }
    CHECK(thread_count() == threads_at_start);

    mock_cleanup();
    printf("async_test: %d checks, %d failed\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
