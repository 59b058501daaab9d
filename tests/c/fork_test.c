/* Fork safety: a client used before fork() never shares a pooled connection
 * with the child, with or without calls in flight on other threads, and the
 * parent's connections stay usable.
 *   - a child deleting unknown ids gets its own EL_API answers, never a
 *     success meant for the parent;
 *   - the mock's log shows no connection used by both;
 *   - the same while a parent thread is mid-call during the fork.
 * Needs ENGAGELAB_MOCK_URL (a running engagelab-mock). */
#define _POSIX_C_SOURCE 200809L

#include <engagelab_push.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "mock.h"

static el_client *client;

/* In a forked child: delete unknown ids, each must be the child's own 400. */
static int run_child(void) {
    for (int i = 0; i < 20; i++) {
        char id[32];
        el_error err = EL_ERROR_INIT;
        snprintf(id, sizeof id, "unknown-%d", i);
        if (el_delete_device(client, id, &err) != EL_API || err.api_code != 27002) {
            fprintf(stderr, "child: %s gave %s (%s)\n", id, el_status_name(err.status), err.message);
            return 1;
        }
    }
    return 0;
}

static int fork_child(void) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) _exit(run_child());
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
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

static void *background(void *arg) {
    (void)arg;
    for (int i = 0; i < 200; i++) {
        char id[32];
        snprintf(id, sizeof id, "bg-%d", i);
        el_error err = EL_ERROR_INIT;
        if (el_delete_device(client, id, &err) != EL_OK) {
            fprintf(stderr, "parent thread: %s gave %s (%s)\n", id, el_status_name(err.status),
                    err.message);
            failures++;
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
    CHECK(fork_child() == 0);
    for (int i = 1; i < 20; i++) {
        char id[32];
        snprintf(id, sizeof id, "parent-%d", i);
        CHECK(el_delete_device(client, id, NULL) == EL_OK);
    }
    CHECK(!shared_connection("unknown-", "parent-"));

    /* Again with a parent thread mid-call during each fork. */
    CHECK(mock_reset() == 0);
    for (int i = 0; i < 200; i++) {
        char id[32];
        snprintf(id, sizeof id, "bg-%d", i);
        mock_add_device(id);
    }
    pthread_t thread;
    pthread_create(&thread, NULL, background, NULL);
    for (int k = 0; k < 3; k++) CHECK(fork_child() == 0);
    pthread_join(thread, NULL);
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
