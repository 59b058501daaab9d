/* Fork safety: a client used before fork() never shares a pooled connection
 * with the child, with or without calls in flight on other threads, and the
 * parent's connections stay usable.
 *   - a child deleting unknown ids gets its own EL_NOT_FOUND answers, never a
 *     success meant for the parent;
 *   - the mock's log shows no connection used by both;
 *   - the same while parent threads are mid-call during each of many forks,
 *     and no child ever blocks on a lock a parent thread held at the fork
 *     (a child that does is killed by its alarm and fails the test).
 * Needs ENGAGELAB_MOCK_URL (a running engagelab-mock). */
#define _POSIX_C_SOURCE 200809L

#include <engagelab_push.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "mock.h"

static el_client *client;

/* In a forked child: delete `calls` unknown ids, each must be the child's
 * own 400. */
static int run_child(int calls) {
    for (int i = 0; i < calls; i++) {
        char id[32];
        el_error err = EL_ERROR_INIT;
        snprintf(id, sizeof id, "unknown-%d", i);
        if (el_delete_device(client, id, &err) != EL_NOT_FOUND || err.api_code != 27002) {
            fprintf(stderr, "child: %s gave %s (%s)\n", id, el_status_name(err.status), err.message);
            return 1;
        }
    }
    return 0;
}

/* The longest a child may take, in seconds: its calls take milliseconds. */
#define CHILD_SECONDS 20

static int fork_child(int calls) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(CHILD_SECONDS);
        _exit(run_child(calls));
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
        fprintf(stderr, "child: hung for %d s (a lock held by a parent thread at fork()?)\n",
                CHILD_SECONDS);
        return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Whether any connection id serves both a path containing `a` and one
 * containing `b`. */
static int shared_connection(const char *a, const char *b) {
    cJSON *log = mock_log();
    int shared = 0;
    const cJSON *x, *y;
    cJSON_ArrayForEach(x, log) {
        const char *px = cJSON_GetStringValue(cJSON_GetObjectItem(x, "path"));
        if (px == NULL || strstr(px, a) == NULL) continue;
        cJSON_ArrayForEach(y, log) {
            const char *py = cJSON_GetStringValue(cJSON_GetObjectItem(y, "path"));
            if (py == NULL || strstr(py, b) == NULL) continue;
            if (cJSON_GetNumberValue(cJSON_GetObjectItem(x, "connection")) ==
                cJSON_GetNumberValue(cJSON_GetObjectItem(y, "connection")))
                shared = 1;
        }
    }
    cJSON_Delete(log);
    return shared;
}

/* Parent threads calling without pause until `stop`, at most BG_CALLS each;
 * their failures are counted apart (CHECK's counters are not atomic). */
#define BG_THREADS 4
#define BG_CALLS 20000
static atomic_int stop, bg_failures;

static void *background(void *arg) {
    int thread = (int)(intptr_t)arg;
    for (int i = 0; i < BG_CALLS && !atomic_load(&stop); i++) {
        char id[32];
        snprintf(id, sizeof id, "bg-%d-%d", thread, i);
        el_error err = EL_ERROR_INIT;
        if (el_delete_device(client, id, &err) != EL_NOT_FOUND || err.api_code != 27002) {
            fprintf(stderr, "parent thread: %s gave %s (%s)\n", id, el_status_name(err.status),
                    err.message);
            atomic_fetch_add(&bg_failures, 1);
        }
    }
    return NULL;
}

int main(void) {
    el_config *config = NULL;
    mock_init();
    if (mock_reset() != 0 || el_config_new("demo-app-key", "demo-master-secret", &config, NULL) != EL_OK ||
        el_config_set_base_url(config, mock_url(), NULL) != EL_OK ||
        el_client_new(config, &client, NULL) != EL_OK) {
        fprintf(stderr, "fork_test: cannot set up a client\n");
        return 1;
    }
    for (int i = 0; i < 20; i++) {
        char id[32];
        snprintf(id, sizeof id, "parent-%d", i);
        mock_add_device(id);
    }
    CHECK(el_delete_device(client, "parent-0", NULL) == EL_OK); /* a pooled connection */
    CHECK(fork_child(20) == 0);
    for (int i = 1; i < 20; i++) {
        char id[32];
        snprintf(id, sizeof id, "parent-%d", i);
        CHECK(el_delete_device(client, id, NULL) == EL_OK);
    }
    CHECK(!shared_connection("unknown-", "parent-"));

    /* Again with parent threads mid-call during each of many forks: each
     * fork may catch one of them inside the connection pool's lock. */
    CHECK(mock_reset() == 0);
    pthread_t threads[BG_THREADS];
    for (int t = 0; t < BG_THREADS; t++)
        CHECK(pthread_create(&threads[t], NULL, background, (void *)(intptr_t)t) == 0);
    for (int k = 0; k < 100; k++) CHECK(fork_child(3) == 0);
    atomic_store(&stop, 1);
    for (int t = 0; t < BG_THREADS; t++) pthread_join(threads[t], NULL);
    CHECK(atomic_load(&bg_failures) == 0);
    CHECK(!shared_connection("unknown-", "bg-"));

    el_client_free(client);
    el_config_free(config);
    mock_cleanup();
    if (failures) {
        fprintf(stderr, "fork_test: %d failed\n", failures);
        return 1;
    }
    printf("fork_test: ok\n");
    return 0;
}
